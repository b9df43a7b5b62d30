#!/usr/bin/env bash
# Writes the committed weight-type variants of every fixture in testdata/models (see WEIGHT_TYPES.md).
# Usage: tools/testmodels/gen_all_variants.sh [python]   (default /work/venv/bin/python or python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${1:-$( [ -x /work/venv/bin/python ] && echo /work/venv/bin/python || echo python3 )}"
"$PY" tools/testmodels/make_weight_variants.py testdata/models/tiny-llava --dtypes fp16 q8 int8 uint8 q4 q4f16 bnb4
for m in tiny-llava-gqa tiny-idefics3 tiny-smolvlm tiny-qwen2-vl tiny-qwen2.5-vl tiny-lfm2-vl; do
    "$PY" tools/testmodels/make_weight_variants.py "testdata/models/$m" --dtypes fp16 q8 q4 q4f16
done
