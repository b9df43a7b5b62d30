#!/usr/bin/env python3
"""Writes the weight-type variants of a model directory's float32 ONNX graphs.

For every graph X in ``<model>/onnx`` (``vision_encoder``, ``embed_tokens``,
``decoder_model_merged`` by default) it writes, next to ``X.onnx``, the files a
transformers.js / onnx-community export ships:

=========  ======================  ==============================================================
dtype      file                    how
=========  ======================  ==============================================================
fp16       ``X_fp16.onnx``         ``onnxruntime.transformers.float16.convert_float_to_float16``
q8         ``X_quantized.onnx``    ``quantize_dynamic``, QUInt8 weights when the graph has Conv /
                                   GroupQueryAttention / MultiHeadAttention, else QInt8
int8       ``X_int8.onnx``         ``quantize_dynamic``, QInt8 weights
uint8      ``X_uint8.onnx``        ``quantize_dynamic``, QUInt8 weights
q4         ``X_q4.onnx``           ``MatMulNBitsQuantizer``, 4 bits, block 32, symmetric
q4f16      ``X_q4f16.onnx``        q4, then the fp16 conversion
bnb4       ``X_bnb4.onnx``         ``MatMulBnb4Quantizer``, NF4, block 64
=========  ======================  ==============================================================

The choices follow transformers.js' ``scripts/quantize.py``; ``WEIGHT_TYPES.md`` (next to this
file) names the sources and says where this script differs (float16 graph inputs/outputs).

float16 graph inputs and outputs: in decoders every float input and output becomes float16
(``inputs_embeds``, ``past_key_values.*`` / ``past_conv.*``, ``logits``, ``present.*``);
``embed_tokens`` returns float16 ``inputs_embeds``; the vision encoder keeps its float
inputs (``pixel_values``: processors produce float32) and returns float16 ``image_features``,
so the features can be written into the float16 ``inputs_embeds`` as they are. Integer inputs
(``attention_mask``, ``position_ids``, ``input_ids``, grids, pixel masks) never change.

Graphs whose float32 file keeps its weights in external data (``X.onnx_data``) get their
variants written the same way (``X_fp16.onnx`` + ``X_fp16.onnx_data``), and ``config.json``'s
``transformers.js_config.use_external_data_format`` lists them; it also gets
``kv_cache_dtype: {fp16: float16, q4f16: float16}``, as real exports carry (unless
``--no-kv-cache-dtype``; ``--no-config`` leaves config.json alone).

Nothing here is random: the same float32 graphs and tool versions
(``requirements-weights.txt``) give byte-identical files. The float32 files are only read.

    /work/venv/bin/python tools/testmodels/make_weight_variants.py testdata/models/tiny-llava
    /work/venv/bin/python tools/testmodels/make_weight_variants.py bench/models/bench-llava \\
        --dtypes q8 q4 --graphs decoder_model_merged
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

import onnx
from onnx import TensorProto

from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.matmul_bnb4_quantizer import MatMulBnb4Quantizer
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
from onnxruntime.transformers import float16

GRAPHS = ("vision_encoder", "embed_tokens", "decoder_model_merged")

# transformers.js' file-name suffix per dtype (DEFAULT_DTYPE_SUFFIX_MAPPING in its utils/dtypes.js).
SUFFIX = {
    "fp16": "_fp16",
    "q8": "_quantized",
    "int8": "_int8",
    "uint8": "_uint8",
    "q4": "_q4",
    "q4f16": "_q4f16",
    "bnb4": "_bnb4",
}
DEFAULT_DTYPES = ("fp16", "q8", "int8", "uint8", "q4", "q4f16")

# transformers.js' quantize.py picks QUInt8 weights for q8 when a graph holds one of these ops
# (onnxruntime-web has no ConvInteger for int8 weights; genai's attention ops prefer uint8).
QUINT8_OPS = {"Conv", "GroupQueryAttention", "MultiHeadAttention"}

# transformers.js' float16.py blocks Cast (its converter otherwise writes invalid graphs around
# existing float32 casts) and RandomNormalLike on top of ONNX Runtime's list, and clamps
# weights to +-1e4 / 1e-7 instead of the float16 limits.
FP16_OP_BLOCK_LIST = sorted(set(float16.DEFAULT_OP_BLOCK_LIST) | {"RandomNormalLike", "Cast"})
FP16_MIN_POSITIVE = 1e-7
FP16_MAX_FINITE = 1e4

Q4_BLOCK_SIZE = 32
BNB4_BLOCK_SIZE = 64

# Weights of at least this many bytes go to external data, as the float32 fixtures do.
EXTERNAL_DATA_THRESHOLD = 1024


def operators(graph: onnx.GraphProto) -> set[str]:
    """Every op type in the graph and its subgraphs."""
    ops = set()
    for node in graph.node:
        ops.add(node.op_type)
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops |= operators(attr.g)
    return ops


def is_decoder(name: str) -> bool:
    return name.startswith("decoder")


def to_fp16(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """float16 weights and math; which float inputs/outputs stay float32 is in the module doc."""
    float_inputs = [i.name for i in model.graph.input if i.type.tensor_type.elem_type == TensorProto.FLOAT]
    keep_io = [] if is_decoder(name) or name == "embed_tokens" else float_inputs
    return float16.convert_float_to_float16(
        model,
        min_positive_val=FP16_MIN_POSITIVE,
        max_finite_val=FP16_MAX_FINITE,
        keep_io_types=keep_io,
        op_block_list=FP16_OP_BLOCK_LIST,
    )


def quantize_8bit(model: onnx.ModelProto, dtype: str) -> onnx.ModelProto:
    """Dynamic 8-bit weights: per tensor, full range, every op type ONNX Runtime's IntegerOps cover."""
    if dtype == "q8":
        weight_type = QuantType.QUInt8 if operators(model.graph) & QUINT8_OPS else QuantType.QInt8
    else:
        weight_type = QuantType.QInt8 if dtype == "int8" else QuantType.QUInt8
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "q.onnx"
        quantize_dynamic(
            model,
            out,
            per_channel=False,
            reduce_range=False,
            weight_type=weight_type,
            # DefaultTensorType: onnx's shape inference gives no type to the outputs of
            # com.microsoft ops (GroupQueryAttention), which the MatMul quantizer then needs;
            # every float tensor of these graphs is float32. Used only where inference has none.
            extra_options={
                "EnableSubgraph": True,
                "MatMulConstBOnly": True,
                "DefaultTensorType": TensorProto.FLOAT,
            },
        )
        return onnx.load(out)


def quantize_q4(model: onnx.ModelProto) -> onnx.ModelProto:
    quantizer = MatMulNBitsQuantizer(model, block_size=Q4_BLOCK_SIZE, is_symmetric=True, accuracy_level=None)
    quantizer.process()
    return quantizer.model.model


def quantize_bnb4(model: onnx.ModelProto) -> onnx.ModelProto:
    quantizer = MatMulBnb4Quantizer(model, quant_type=MatMulBnb4Quantizer.NF4, block_size=BNB4_BLOCK_SIZE)
    quantizer.process()
    return quantizer.model.model


def convert(model: onnx.ModelProto, name: str, dtype: str) -> onnx.ModelProto:
    if dtype == "fp16":
        return to_fp16(model, name)
    if dtype in ("q8", "int8", "uint8"):
        return quantize_8bit(model, dtype)
    if dtype == "q4":
        return quantize_q4(model)
    if dtype == "q4f16":
        return to_fp16(quantize_q4(model), name)
    if dtype == "bnb4":
        return quantize_bnb4(model)
    raise ValueError(f"unknown dtype {dtype}")


def save(model: onnx.ModelProto, path: Path, external: bool) -> list[Path]:
    """Writes the graph (and its .onnx_data when external); returns the files written."""
    data = path.with_name(path.name + "_data")
    if data.exists():
        data.unlink()  # onnx appends to an existing data file
    if external:
        onnx.save_model(
            model,
            path,
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data.name,
            size_threshold=EXTERNAL_DATA_THRESHOLD,
        )
        data.chmod(0o644)  # onnx creates it private; the other files are world-readable
        return [path, data]
    onnx.save_model(model, path)
    return [path]


def has_external_data(path: Path) -> bool:
    """Whether any weight of the graph lives outside the .onnx file."""
    model = onnx.load(path, load_external_data=False)
    return any(t.data_location == TensorProto.EXTERNAL for t in model.graph.initializer)


def update_config(model_dir: Path, written: dict[str, list[str]], dtypes: list[str], kv_cache_dtype: bool) -> None:
    """Lists external-data variants for transformers.js and, optionally, the float16 KV cache."""
    config_path = model_dir / "config.json"
    if not config_path.exists():
        return
    config = json.loads(config_path.read_text())
    tjs = config.setdefault("transformers.js_config", {})
    external = tjs.get("use_external_data_format")
    if isinstance(external, dict):
        for name, files in written.items():
            if f"{name}.onnx" in external:
                for file in files:
                    external.setdefault(file, external[f"{name}.onnx"])
    if kv_cache_dtype and any(is_decoder(n) for n in written):
        kv = tjs.setdefault("kv_cache_dtype", {})
        for dtype in ("fp16", "q4f16"):
            if dtype in dtypes:
                kv[dtype] = "float16"
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path, help="directory holding onnx/<graph>.onnx (float32)")
    parser.add_argument("--dtypes", nargs="+", default=list(DEFAULT_DTYPES), choices=sorted(SUFFIX))
    parser.add_argument("--graphs", nargs="+", default=list(GRAPHS), help="graph stems under onnx/")
    parser.add_argument(
        "--no-kv-cache-dtype",
        dest="kv_cache_dtype",
        action="store_false",
        help="do not add transformers.js_config.kv_cache_dtype to config.json",
    )
    parser.add_argument("--no-config", dest="config", action="store_false", help="leave config.json alone")
    args = parser.parse_args()
    # ONNX Runtime's quantizers log every node at INFO (on the root logger too).
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("onnxruntime").setLevel(logging.WARNING)

    onnx_dir = args.model_dir / "onnx"
    written: dict[str, list[str]] = {}
    for name in args.graphs:
        source = onnx_dir / f"{name}.onnx"
        if not source.exists():
            print(f"skip {source}: missing", file=sys.stderr)
            continue
        external = has_external_data(source)
        for dtype in args.dtypes:
            model = onnx.load(source)  # fresh per dtype: the tools change the model in place
            variant = convert(model, name, dtype)
            target = onnx_dir / f"{name}{SUFFIX[dtype]}.onnx"
            files = save(variant, target, external)
            written.setdefault(name, []).append(target.name)
            sizes = ", ".join(f"{f.name} {f.stat().st_size}" for f in files)
            print(f"{dtype:6} {sizes}")
    if args.config:
        update_config(args.model_dir, written, args.dtypes, args.kv_cache_dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
