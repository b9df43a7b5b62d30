#!/usr/bin/env python3
"""Reruns a golden file's cases with ONNX Runtime (Python) and a greedy loop of its own.

An independent check of the transformers.js goldens, in any weight type: for each case of
``testdata/goldens/<model>[.<dtype>].json`` it opens the dtype's three graphs at
ORT_ENABLE_ALL, embeds the golden's ``input_ids`` with ``embed_tokens``, runs the vision
encoder on the inputs transformers.js gave it, writes the image features over the image-token
rows, runs the decoder (empty pasts first, then its own presents fed back in their own element
type), takes the argmax of the last position's logits (widened to float32; first index on ties)
and stops at EOS or ``max_new_tokens``. It prints per case whether the tokens equal the golden's.

What comes from transformers.js is only the preprocessing, which these graphs do not do:
the vision encoder's inputs (pixel values, masks, grids) and, for Qwen2-VL's 3-D rotary
positions, the prefill ``position_ids``. Record them with the golden writer's --dump-feeds:

    cd tools/reference && node goldens.mjs --dtype q4 --check --dump-feeds /tmp/llava.q4.feeds.json
    /work/venv/bin/python tools/testmodels/python_goldens.py testdata/goldens/tiny-llava.q4.json /tmp/llava.q4.feeds.json

(Writers that cover two fixtures take --variant to run one.) Exit code 1 if any case differs.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_weight_variants import SUFFIX  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
NUMPY = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64, "tensor(bool)": np.bool_}
FEED_TYPES = {"float32": np.float32, "int64": np.int64, "bool": np.bool_, "int32": np.int32}


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def array(feed: dict) -> np.ndarray:
    return np.array(feed["data"], dtype=FEED_TYPES[feed["type"]]).reshape(feed["dims"])


def split_cases(calls: list[dict], count: int) -> list[dict]:
    """Groups the recorded calls per generate(): vision calls, then a prefill, then decode steps.

    Two writer habits are undone: goldens_lfm2_vl.mjs encodes the images once more before
    generate() (an identical vision call right after another is dropped), and
    goldens_qwen2_vl.mjs runs each text-only case twice, as shipped and then with Python's
    rope delta (the golden): of two text-only generate() calls in a row with the same prompt
    length, the later is kept, as long as there are more calls than cases.
    """
    runs: list[dict] = []
    vision: list[dict] = []
    for call in calls:
        if call["graph"] == "vision_encoder":
            if not vision or vision[-1] != call["feeds"]:
                vision.append(call["feeds"])
        elif call["attention_mask"][1] == call["inputs_embeds"][1]:  # no past: a new generate()
            runs.append({"vision": vision, "length": call["inputs_embeds"][1], "positions": [call.get("position_ids")]})
            vision = []
        else:
            runs[-1]["positions"].append(call.get("position_ids"))
    i = 0
    while len(runs) > count and i + 1 < len(runs):
        a, b = runs[i], runs[i + 1]
        if not a["vision"] and not b["vision"] and a["length"] == b["length"]:
            del runs[i]
        else:
            i += 1
    return runs


class Graphs:
    """The three sessions of one model directory in one dtype."""

    def __init__(self, model_dir: Path, dtype: str):
        suffix = SUFFIX.get(dtype, "")
        onnx_dir = model_dir / "onnx"
        self.vision = session(onnx_dir / f"vision_encoder{suffix}.onnx")
        self.embed = session(onnx_dir / f"embed_tokens{suffix}.onnx")
        self.decoder = session(onnx_dir / f"decoder_model_merged{suffix}.onnx")
        self.inputs = {i.name: i for i in self.decoder.get_inputs()}
        self.outputs = [o.name for o in self.decoder.get_outputs()]

    def image_features(self, vision_calls: list[dict]) -> np.ndarray | None:
        rows = []
        types = {i.name: NUMPY[i.type] for i in self.vision.get_inputs()}
        for feeds in vision_calls:
            out = self.vision.run(None, {k: array(v).astype(types[k]) for k, v in feeds.items()})[0]
            rows.append(out.reshape(-1, out.shape[-1]))
        return np.concatenate(rows) if rows else None

    def embeds(self, ids: list[int]) -> np.ndarray:
        return self.embed.run(None, {"input_ids": np.array([ids], dtype=np.int64)})[0]

    def step(self, embeds: np.ndarray, past: int, presents: dict | None, positions) -> tuple[np.ndarray, dict]:
        seq = embeds.shape[1]
        feeds = {"inputs_embeds": embeds.astype(NUMPY[self.inputs["inputs_embeds"].type])}
        feeds["attention_mask"] = np.ones((1, past + seq), dtype=np.int64)
        if "position_ids" in self.inputs:
            feeds["position_ids"] = positions
        for name, meta in self.inputs.items():
            if name.startswith("past"):
                if presents is None:
                    shape = [1 if d == "batch_size" else (d if isinstance(d, int) else 0) for d in meta.shape]
                    feeds[name] = np.zeros(shape, dtype=NUMPY[meta.type])
                else:
                    feeds[name] = presents[name.replace("past_key_values", "present").replace("past_conv", "present_conv")]
        out = dict(zip(self.outputs, self.decoder.run(None, feeds)))
        return out["logits"][0, -1].astype(np.float32), out


def positions_for(recorded, past: int, seq: int, rank: int) -> np.ndarray:
    """1-D positions are counted here (batch 1, no padding); 3-D (Qwen2-VL) come from the recording."""
    if rank == 3:
        return array(recorded)
    mine = np.arange(past, past + seq, dtype=np.int64)[None, :]
    if recorded is not None and not np.array_equal(mine, array(recorded)):
        raise ValueError(f"position_ids differ from transformers.js': {array(recorded)} vs {mine}")
    return mine


def generate(graphs: Graphs, case: dict, recorded: dict, image_token: int, eos: set[int]) -> list[int]:
    ids = case["input_ids"]
    embeds = graphs.embeds(ids)
    features = graphs.image_features(recorded["vision"])
    image_rows = [i for i, t in enumerate(ids) if t == image_token]
    if features is not None or image_rows:
        if features is None or len(image_rows) != features.shape[0]:
            raise ValueError(f"{len(image_rows)} image tokens, {0 if features is None else features.shape[0]} feature rows")
        embeds[0, image_rows] = features.astype(embeds.dtype)
    rank = len(graphs.inputs["position_ids"].shape) if "position_ids" in graphs.inputs else 0
    past, presents, tokens = 0, None, []
    for step in range(case["max_new_tokens"]):
        recorded_positions = recorded["positions"][step] if step < len(recorded["positions"]) else None
        positions = positions_for(recorded_positions, past, embeds.shape[1], rank) if rank else None
        logits, presents = graphs.step(embeds, past, presents, positions)
        past += embeds.shape[1]
        token = int(np.argmax(logits))
        tokens.append(token)
        if token in eos:
            break
        embeds = graphs.embeds([token])
    return tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("golden", type=Path)
    parser.add_argument("feeds", type=Path, help="the golden writer's --dump-feeds file")
    args = parser.parse_args()
    golden = json.loads(args.golden.read_text())
    recorded = split_cases(json.loads(args.feeds.read_text()), len(golden["cases"]))
    if len(recorded) != len(golden["cases"]):
        raise SystemExit(f"{len(recorded)} recorded generate() calls for {len(golden['cases'])} cases")
    dtype = golden.get("dtype", "fp32")
    special = golden["special_tokens"]
    eos = set(np.atleast_1d(special["eos"]).tolist())
    graphs = Graphs(REPO_ROOT / golden["cases"][0]["model"], dtype)
    differ = 0
    for case, rec in zip(golden["cases"], recorded):
        tokens = generate(graphs, case, rec, special["image"], eos)
        same = tokens == case["generated_ids"]
        differ += not same
        where = "" if same else f" (first difference at step {next((i for i, (a, b) in enumerate(zip(tokens, case['generated_ids'])) if a != b), min(len(tokens), len(case['generated_ids'])))})"
        print(f"{args.golden.name} {case['id']}: {'same' if same else 'DIFFERENT'}{where}")
    print(f"{args.golden.name}: {len(golden['cases']) - differ}/{len(golden['cases'])} cases give the golden tokens")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
