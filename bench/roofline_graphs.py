#!/usr/bin/python3
"""Writes the two single-MatMul graphs RooflineProbe times, to find this machine's limits as
ONNX Runtime sees them (float32, the server's session options):

gemm.onnx  x[M, 768] @ W[768, 3072]: at M = 2048 compute-bound, gives the practical FLOP/s.
gemv.onnx  x[M, 4096] @ W[4096, 16384] (256 MiB): at M = 1 it reads W once per call and does
           almost no arithmetic per byte, gives the practical read bandwidth (the bound of a
           batch-1 decode step, which reads every weight once).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def matmul_graph(path, k, n, seed):
    weight = np.random.default_rng(seed).standard_normal((k, n), dtype=np.float32) * 0.02
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(path) + ".data")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    matmul_graph(os.path.join(args.out, "gemm.onnx"), 768, 3072, 1)
    matmul_graph(os.path.join(args.out, "gemv.onnx"), 4096, 16384, 2)


if __name__ == "__main__":
    main()
