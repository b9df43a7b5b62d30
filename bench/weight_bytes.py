#!/usr/bin/env python3
"""Bytes of weights the decoder reads per decoded token, for a model directory and dtype.

Decoding one token at batch 1 runs every MatMul of the decoder once, so it streams each weight
once: the bytes read per token are the decoder graph's initializers (external data included),
plus the tensors of its Constant nodes. Two kinds are left out because a step reads only a
sliver of them: tables gathered by token id (an embedding table inside the decoder: one row
per token) and ``cos_cache`` / ``sin_cache`` style tables gathered by position. The tiny
``embed_tokens`` read (one row) is printed separately and not added.

With ``bench/bandwidth.c``'s figure B (GB/s) and these bytes W, B * 1e9 / W is the batch-1
decode bound in tokens/s.

    /work/venv/bin/python bench/weight_bytes.py bench/models/bench-llava q4
    /work/venv/bin/python bench/weight_bytes.py bench/models/bench-llava --all --json

Output: ``weight_bytes_per_token=<n> dtype=<d> file=<decoder file>`` per dtype (or JSON).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

SUFFIX = {"fp32": "", "fp16": "_fp16", "q8": "_quantized", "int8": "_int8", "uint8": "_uint8",
          "q4": "_q4", "q4f16": "_q4f16", "bnb4": "_bnb4"}
GATHERED_BY_POSITION = ("cos_cache", "sin_cache")


def tensor_bytes(t: onnx.TensorProto) -> int:
    """Stored size of a tensor, without loading external data."""
    for entry in t.external_data:
        if entry.key == "length":
            return int(entry.value)
    if t.raw_data:
        return len(t.raw_data)
    count = int(np.prod(t.dims)) if t.dims else 1
    if t.data_type in (onnx.TensorProto.INT4, onnx.TensorProto.UINT4):
        return (count + 1) // 2
    return count * np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize


def graph_tensors(graph: onnx.GraphProto):
    """(name, tensor) for initializers and Constant-node values, subgraphs included."""
    for t in graph.initializer:
        yield t.name, t
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Constant" and attr.type == onnx.AttributeProto.TENSOR:
                yield node.output[0], attr.t
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from graph_tensors(attr.g)


def gathered_tables(graph: onnx.GraphProto) -> set[str]:
    """Tensors read by row through Gather / GatherBlockQuantized (data input): embedding tables."""
    names = set()
    for node in graph.node:
        if node.op_type in ("Gather", "GatherBlockQuantized") and node.input:
            names.add(node.input[0])
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                names |= gathered_tables(attr.g)
    return names


def per_token(path: Path) -> dict:
    model = onnx.load(path, load_external_data=False)
    skipped = gathered_tables(model.graph)
    read = skipped_bytes = 0
    for name, t in graph_tensors(model.graph):
        size = tensor_bytes(t)
        if name in skipped or name.endswith(GATHERED_BY_POSITION):
            skipped_bytes += size
        else:
            read += size
    return {"weight_bytes_per_token": read, "excluded_gathered_bytes": skipped_bytes}


def embed_row_bytes(model_dir: Path, suffix: str) -> int | None:
    path = model_dir / "onnx" / f"embed_tokens{suffix}.onnx"
    if not path.exists():
        return None
    model = onnx.load(path, load_external_data=False)
    tables = gathered_tables(model.graph)
    for name, t in graph_tensors(model.graph):
        if name in tables and len(t.dims) == 2:
            return tensor_bytes(t) // t.dims[0]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("dtype", nargs="?", default="fp32", choices=sorted(SUFFIX))
    parser.add_argument("--all", action="store_true", help="every dtype whose decoder file exists")
    parser.add_argument("--graph", default="decoder_model_merged")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    dtypes = [d for d in SUFFIX if (args.model_dir / "onnx" / f"{args.graph}{SUFFIX[d]}.onnx").exists()] if args.all else [args.dtype]
    results = {}
    for dtype in dtypes:
        path = args.model_dir / "onnx" / f"{args.graph}{SUFFIX[dtype]}.onnx"
        if not path.exists():
            print(f"{path} does not exist", file=sys.stderr)
            return 1
        result = per_token(path)
        result["file"] = str(path)
        result["embed_row_bytes"] = embed_row_bytes(args.model_dir, SUFFIX[dtype])
        results[dtype] = result
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for dtype, r in results.items():
            print(f"weight_bytes_per_token={r['weight_bytes_per_token']} dtype={dtype} file={r['file']}"
                  f" (excluded gathered tables {r['excluded_gathered_bytes']}, embed row {r['embed_row_bytes']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
