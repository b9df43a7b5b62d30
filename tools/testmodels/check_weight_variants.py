#!/usr/bin/env python3
"""Opens every weight-type variant of a model directory with ONNX Runtime and compares it with float32.

For each graph (vision_encoder, embed_tokens, decoder_model_merged) and each variant file
present (see make_weight_variants.py for the names), this:

- opens it at ORT_ENABLE_ALL (the server's optimisation level) on the CPU provider,
- prints the element type of every graph input and output,
- runs it on the same seeded inputs as the float32 graph (the decoder: a 7-token prefill and one
  cached decode step, fed back with its own present tensors in their own element type) and
  prints the largest absolute difference from float32 relative to float32's largest magnitude,
  and, for the decoder, whether the last position's argmax agrees.

Exit code 1 if a file fails to open or run, or a float16 decoder has a float32 KV input.

    /work/venv/bin/python tools/testmodels/check_weight_variants.py testdata/models/tiny-llava
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_weight_variants import GRAPHS, SUFFIX  # noqa: E402

NUMPY = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
}
SHORT = {"tensor(float)": "f32", "tensor(float16)": "f16", "tensor(int64)": "i64", "tensor(int32)": "i32", "tensor(bool)": "bool"}

PREFILL = 7
# Token ids drawn for embed_tokens: below every fixture's vocabulary size, above the specials.
MAX_TOKEN_ID = 200


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def vision_feeds(sess: ort.InferenceSession, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One valid image per vision encoder layout of the fixtures."""
    shapes = {i.name: i.shape for i in sess.get_inputs()}
    pixel_shape = shapes["pixel_values"]
    feeds: dict[str, np.ndarray] = {}
    if "grid_thw" in shapes or "image_grid_thw" in shapes:  # Qwen2-VL: flattened patches + grid
        grid = np.array([[1, 4, 4]], dtype=np.int64)
        feeds["grid_thw" if "grid_thw" in shapes else "image_grid_thw"] = grid
        feeds["pixel_values"] = rng.standard_normal((16, pixel_shape[1]), dtype=np.float32)
    elif "spatial_shapes" in shapes:  # LFM2-VL (SigLIP2 NaFlex): patches + mask + shape
        h, w = 8, 8
        feeds["pixel_values"] = rng.standard_normal((1, h * w, pixel_shape[2]), dtype=np.float32)
        feeds["pixel_attention_mask"] = np.ones((1, h * w), dtype=np.int64)
        feeds["spatial_shapes"] = np.array([[h, w]], dtype=np.int64)
    elif "pixel_attention_mask" in shapes:  # Idefics3 / SmolVLM: [batch, images, 3, H, W]
        size = pixel_shape[-1]
        feeds["pixel_values"] = rng.standard_normal((1, 1, 3, size, size), dtype=np.float32)
        feeds["pixel_attention_mask"] = np.ones((1, 1, size, size), dtype=np.bool_)
    else:  # LLaVA: [batch, 3, H, W]
        feeds["pixel_values"] = rng.standard_normal((1, *pixel_shape[1:]), dtype=np.float32)
    return feeds


def dims(shape, batch: int, past: int) -> list[int]:
    out = []
    for d in shape:
        if isinstance(d, int):
            out.append(d)
        elif d == "batch_size":
            out.append(batch)
        else:
            out.append(past)  # past_sequence_length (the only other symbolic dim of a past input)
    return out


def decoder_inputs(sess, embeds, past_len, presents):
    """Feeds for one decoder call: embeds [1, S, H] on top of past_len cached positions."""
    seq = embeds.shape[1]
    feeds = {}
    for i in sess.get_inputs():
        if i.name == "inputs_embeds":
            feeds[i.name] = embeds.astype(NUMPY[i.type])
        elif i.name == "attention_mask":
            feeds[i.name] = np.ones((1, past_len + seq), dtype=np.int64)
        elif i.name == "position_ids":
            pos = np.arange(past_len, past_len + seq, dtype=np.int64)[None, :]
            feeds[i.name] = np.broadcast_to(pos, (3, 1, seq)).copy() if len(i.shape) == 3 else pos
        elif i.name.startswith("past"):
            if presents is None:
                feeds[i.name] = np.zeros(dims(i.shape, 1, 0), dtype=NUMPY[i.type])
            else:
                feeds[i.name] = presents[i.name.replace("past_key_values", "present").replace("past_conv", "present_conv")]
        else:
            raise ValueError(f"no feed for decoder input {i.name}")
    return feeds


def run_decoder(sess: ort.InferenceSession, embeds: np.ndarray) -> np.ndarray:
    """Logits of a prefill of all but the last position, then one cached step for the last."""
    names = [o.name for o in sess.get_outputs()]
    first = sess.run(None, decoder_inputs(sess, embeds[:, :-1], 0, None))
    presents = dict(zip(names, first))
    second = sess.run(None, decoder_inputs(sess, embeds[:, -1:], embeds.shape[1] - 1, presents))
    return np.concatenate([first[0], second[0]], axis=1).astype(np.float32)


def outputs(name: str, sess: ort.InferenceSession, hidden: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    if name == "vision_encoder":
        return sess.run(None, vision_feeds(sess, rng))[0].astype(np.float32)
    if name == "embed_tokens":
        ids = rng.integers(3, MAX_TOKEN_ID, size=(1, PREFILL + 1), dtype=np.int64)
        return sess.run(None, {"input_ids": ids})[0].astype(np.float32)
    embeds = rng.standard_normal((1, PREFILL + 1, hidden), dtype=np.float32)
    return run_decoder(sess, embeds)


def io_types(sess: ort.InferenceSession) -> str:
    def group(values):
        seen: dict[str, str] = {}
        for v in values:
            key = v.name.split(".")[0] + (".*" if "." in v.name else "")
            seen.setdefault(key, SHORT.get(v.type, v.type))
        return ", ".join(f"{k} {t}" for k, t in seen.items())

    return f"in: {group(sess.get_inputs())} | out: {group(sess.get_outputs())}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dirs", type=Path, nargs="+")
    args = parser.parse_args()
    failures = 0
    for model_dir in args.model_dirs:
        print(f"== {model_dir}")
        onnx_dir = model_dir / "onnx"
        for name in GRAPHS:
            reference = None
            for dtype, suffix in [("fp32", "")] + list(SUFFIX.items()):
                path = onnx_dir / f"{name}{suffix}.onnx"
                if not path.exists():
                    continue
                try:
                    sess = session(path)
                    inputs = {i.name: i for i in sess.get_inputs()}
                    hidden = inputs["inputs_embeds"].shape[2] if "inputs_embeds" in inputs else 0
                    out = outputs(name, sess, hidden)
                except Exception as e:  # report and go on with the other files
                    print(f"  {path.name}: FAILED {type(e).__name__}: {str(e)[:300]}")
                    failures += 1
                    continue
                line = f"  {path.name:40} {io_types(sess)}"
                if reference is None:
                    reference = out
                else:
                    rel = float(np.abs(out - reference).max() / np.abs(reference).max())
                    line += f" | rel max diff {rel:.2e}"
                    if name.startswith("decoder"):
                        agree = np.mean(out.argmax(-1) == reference.argmax(-1))
                        line += f", argmax agrees {agree:.2f}"
                if dtype in ("fp16", "q4f16") and name.startswith("decoder"):
                    wrong = [i.name for i in sess.get_inputs() if i.name.startswith("past") and i.type != "tensor(float16)"]
                    if wrong:
                        line += f" | NOT float16: {wrong}"
                        failures += 1
                print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
