#!/usr/bin/env python3
"""Checks the GroupQueryAttention decoder's in-place KV mode in every weight type present.

For each variant of ``tiny-llava-gqa``'s decoder: an 8-token prefill and one decode step, once
with growing KV (empty pasts, presents fed back) and once with one NaN-filled buffer
``[1, kv_heads, 512, head_dim]`` per past, in the graph's KV element type, bound as both the
past input and the present output (ONNX Runtime then writes only the new positions). Prints the
largest difference of the decode step's logits; exit code 1 unless it is 0 without NaN.

    /work/venv/bin/python tools/testmodels/gqa_inplace_check.py [model dir]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_weight_variants import SUFFIX  # noqa: E402
from python_goldens import NUMPY, session  # noqa: E402

CONTEXT = 512
PREFILL = 8


def present(name: str) -> str:
    return name.replace("past_key_values", "present")


def growing(sess, embeds, pasts) -> np.ndarray:
    names = [o.name for o in sess.get_outputs()]
    feeds = {"inputs_embeds": embeds[:, :PREFILL], "attention_mask": np.ones((1, PREFILL), np.int64)}
    feeds.update({n: np.zeros((1, m.shape[1], 0, m.shape[3]), NUMPY[m.type]) for n, m in pasts.items()})
    out = dict(zip(names, sess.run(None, feeds)))
    feeds = {"inputs_embeds": embeds[:, PREFILL:], "attention_mask": np.ones((1, PREFILL + 1), np.int64)}
    feeds.update({n: out[present(n)] for n in pasts})
    return sess.run(["logits"], feeds)[0]


def in_place(sess, embeds, pasts) -> np.ndarray:
    buffers = {
        n: ort.OrtValue.ortvalue_from_numpy(np.full((1, m.shape[1], CONTEXT, m.shape[3]), np.nan, NUMPY[m.type]))
        for n, m in pasts.items()
    }
    logits = None
    for chunk, total, width in [(embeds[:, :PREFILL], PREFILL, PREFILL), (embeds[:, PREFILL:], PREFILL + 1, CONTEXT)]:
        binding = sess.io_binding()
        binding.bind_cpu_input("inputs_embeds", np.ascontiguousarray(chunk))
        mask = np.zeros((1, width), np.int64)
        mask[0, :total] = 1
        binding.bind_cpu_input("attention_mask", mask)
        binding.bind_output("logits")
        for name, value in buffers.items():
            binding.bind_ortvalue_input(name, value)
            binding.bind_ortvalue_output(present(name), value)
        sess.run_with_iobinding(binding)
        logits = binding.copy_outputs_to_cpu()[0]
    return logits


def main() -> int:
    model_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("testdata/models/tiny-llava-gqa")
    failures = 0
    for dtype, suffix in [("fp32", "")] + list(SUFFIX.items()):
        path = model_dir / "onnx" / f"decoder_model_merged{suffix}.onnx"
        if not path.exists():
            continue
        sess = session(path)
        inputs = {i.name: i for i in sess.get_inputs()}
        pasts = {n: m for n, m in inputs.items() if n.startswith("past")}
        embeds_type = NUMPY[inputs["inputs_embeds"].type]
        hidden = inputs["inputs_embeds"].shape[2]
        embeds = (np.random.default_rng(0).standard_normal((1, PREFILL + 1, hidden)) * 0.5).astype(embeds_type)
        a = growing(sess, embeds, pasts)[0, -1].astype(np.float32)
        b = in_place(sess, embeds, pasts)[0, -1].astype(np.float32)
        diff = float(np.abs(a - b).max())
        ok = diff == 0 and not np.isnan(b).any()
        failures += not ok
        kv = next(iter(pasts.values())).type
        print(f"{dtype:6} KV {kv}: in place vs growing, max logit diff {diff}{'' if ok else '  FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
