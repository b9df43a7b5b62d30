#!/usr/bin/env bash
# Generates Python gRPC stubs for the vlm.v1 API from proto/ into client/python/build/
# (or the directory given as the first argument).
#
# Uses Debian's protoc (package protobuf-compiler) with grpc_python_plugin (package
# protobuf-compiler-grpc) when both are installed, otherwise `python3 -m grpc_tools.protoc`.
# The API uses proto3 `optional`, which needs protoc 3.15 or newer: Debian 12's
# python3-grpc-tools bundles protoc 3.5 and cannot compile it, a grpcio-tools from PyPI can.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="$(cd "$here/../../proto/src/main/proto" && pwd)"
out="${1:-$here/build}"
python="${PYTHON:-/usr/bin/python3}"
protos=(vlm/v1/inference.proto vlm/v1/models.proto)

mkdir -p "$out"
if command -v protoc >/dev/null && command -v grpc_python_plugin >/dev/null; then
  protoc -I"$proto_root" --python_out="$out" --grpc_out="$out" \
    --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" "${protos[@]}"
elif "$python" -c 'import grpc_tools' 2>/dev/null; then
  "$python" -m grpc_tools.protoc -I"$proto_root" --python_out="$out" --grpc_python_out="$out" \
    "${protos[@]}"
else
  echo "gen_stubs.sh: need protoc + grpc_python_plugin (apt-get install protobuf-compiler" \
    "protobuf-compiler-grpc) or grpcio-tools for $python" >&2
  exit 1
fi
echo "stubs written to $out"
