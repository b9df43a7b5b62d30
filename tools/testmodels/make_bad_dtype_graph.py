"""Writes testdata/graphs/embed_tokens_float64.onnx: an embedding graph whose output is float64,
an element type the server cannot feed its decoder. Tests place it as a model's embed_tokens
variant and expect the load to fail naming the tensor and its type.

Run with any python that has onnx and numpy: python tools/testmodels/make_bad_dtype_graph.py
"""
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main():
    table = numpy_helper.from_array(np.arange(64 * 8, dtype=np.float64).reshape(64, 8) / 1000.0, "table")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["inputs_embeds"])],
        "embed_tokens_float64",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("inputs_embeds", TensorProto.DOUBLE, ["batch", "sequence", 8])],
        [table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="vlm-testmodels")
    model.ir_version = 8
    onnx.checker.check_model(model)
    out = ROOT / "testdata" / "graphs" / "embed_tokens_float64.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out)
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
