#!/usr/bin/env python3
"""How often greedy tokens change when a sequence is decoded in a batch instead of alone.

Dynamic 8-bit quantization (q8 / int8 / uint8: ``DynamicQuantizeLinear`` before each
``MatMulInteger``) picks one activation scale and zero point per tensor, over every row of the
batch, so a sequence's logits depend on its batch partners. This measures the effect on the
tokens, with ONNX Runtime (Python) on a fixture's decoder:

- every prompt is decoded alone (batch 1, no padding): the reference tokens;
- then in left-padded batches of 4 and 16 (several seeded shuffles, so each prompt meets
  different partners): ``attention_mask`` 0 over the padding, ``position_ids`` counted over the
  real tokens (padding at 1, as transformers.js does), the pad token's embedding in padded
  rows, one prefill call for the batch and one call per decode step for all rows;
- a case (prompt x batch) "differs" when its first ``--tokens`` greedy tokens (up to and
  including EOS, if the solo run stops earlier) are not the solo run's.

The same is run for the other dtypes given, as the control: their kernels do not couple rows,
so any difference there comes from floating-point summation order, not from quantization.

    /work/venv/bin/python tools/testmodels/q8_batch_invariance.py testdata/models/tiny-llava --dtypes fp32 q8
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_weight_variants import SUFFIX  # noqa: E402
from python_goldens import NUMPY, session  # noqa: E402

QUESTIONS = [
    "What is in this image?", "Tell me about the weather tomorrow.", "Describe the picture.",
    "Where is the red circle?", "Count the squares.", "What colours are the stripes?",
    "Which corner is blue?", "What shapes do you see?", "Write a short poem about the sea.",
    "How many legs does a spider have?", "Explain why the sky is blue.", "Name three fruits.",
    "What is the capital of France?", "Give me a recipe for pancakes.", "Is it going to rain?",
    "Summarize the story in one sentence.", "hello", "What time is it?",
    "Translate good morning into German.", "List the planets of the solar system in order.",
    "Why do cats purr?", "What is two plus two?", "Describe a sunset over the mountains.",
    "Can you help me with my homework?", "What does a gradient look like?",
    "Tell me a joke about computers.", "What is the largest animal?", "Spell the word banana.",
    "What happens when water boils?", "Draw a picture of a house with words.",
    "Who wrote the first program?", "What is the colour of grass?",
]


class Decoder:
    def __init__(self, model_dir: Path, dtype: str):
        suffix = SUFFIX.get(dtype, "")
        self.embed = session(model_dir / "onnx" / f"embed_tokens{suffix}.onnx")
        self.decoder = session(model_dir / "onnx" / f"decoder_model_merged{suffix}.onnx")
        self.inputs = {i.name: i for i in self.decoder.get_inputs()}
        self.outputs = [o.name for o in self.decoder.get_outputs()]

    def greedy(self, rows: list[list[int]], pad: int, steps: int) -> list[list[int]]:
        """Greedy tokens of each row, all rows decoded together, left-padded to one length."""
        width = max(len(r) for r in rows)
        ids = np.array([[pad] * (width - len(r)) + r for r in rows], dtype=np.int64)
        mask = (np.arange(width)[None, :] >= (width - np.array([len(r) for r in rows]))[:, None]).astype(np.int64)
        out_tokens: list[list[int]] = [[] for _ in rows]
        presents = None
        for _ in range(steps):
            positions = np.cumsum(mask, axis=1) - 1
            positions[mask == 0] = 1
            seq = ids.shape[1]
            feeds = {
                "inputs_embeds": self.embed.run(None, {"input_ids": ids})[0].astype(NUMPY[self.inputs["inputs_embeds"].type]),
                "attention_mask": mask,
                "position_ids": positions[:, -seq:],
            }
            for name, meta in self.inputs.items():
                if name.startswith("past"):
                    if presents is None:
                        shape = [len(rows) if d == "batch_size" else (d if isinstance(d, int) else 0) for d in meta.shape]
                        feeds[name] = np.zeros(shape, dtype=NUMPY[meta.type])
                    else:
                        feeds[name] = presents[name.replace("past_key_values", "present")]
            result = dict(zip(self.outputs, self.decoder.run(None, feeds)))
            presents = result
            nxt = result["logits"][:, -1].astype(np.float32).argmax(-1)
            for row, token in zip(out_tokens, nxt):
                row.append(int(token))
            ids = nxt[:, None].astype(np.int64)
            mask = np.concatenate([mask, np.ones((len(rows), 1), dtype=np.int64)], axis=1)
        return out_tokens


def compared(tokens: list[int], solo: list[int], eos: int) -> list[int]:
    """The part of a run that is compared: up to and including the solo run's EOS."""
    end = solo.index(eos) + 1 if eos in solo else len(solo)
    return tokens[:end]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--dtypes", nargs="+", default=["fp32", "q8"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument("--shuffles", type=int, default=4, help="seeded groupings per batch size")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    tokenizer = Tokenizer.from_file(str(args.model_dir / "tokenizer.json"))
    config = json.loads((args.model_dir / "generation_config.json").read_text())
    eos, pad = config["eos_token_id"], config.get("pad_token_id", 0)
    prompts = [tokenizer.encode(f"USER: {q} ASSISTANT:").ids for q in QUESTIONS]
    figures = {}
    for dtype in args.dtypes:
        decoder = Decoder(args.model_dir, dtype)
        solo = [decoder.greedy([p], pad, args.tokens)[0] for p in prompts]
        for batch in args.batch_sizes:
            rng = np.random.default_rng(batch)
            cases = differ = 0
            first_steps = []
            for _ in range(args.shuffles if batch > 1 else 1):
                order = rng.permutation(len(prompts))
                for start in range(0, len(order) - batch + 1, batch):
                    group = [int(i) for i in order[start:start + batch]]
                    outs = decoder.greedy([prompts[i] for i in group], pad, args.tokens)
                    for i, out in zip(group, outs):
                        want = compared(solo[i], solo[i], eos)
                        got = compared(out, solo[i], eos)
                        cases += 1
                        if got != want:
                            differ += 1
                            first_steps.append(next(k for k, (a, b) in enumerate(zip(got, want)) if a != b))
            figures[f"{dtype} batch {batch}"] = {"cases": cases, "differ": differ, "first_difference_steps": sorted(first_steps)}
            print(f"{dtype:6} batch {batch:2}: {differ}/{cases} cases differ from solo within {args.tokens} tokens"
                  + (f" (first difference at steps {sorted(first_steps)})" if first_steps else ""))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
