#!/usr/bin/env bash
# Weight types side by side on the bench model (docs/PERFORMANCE.md, "Weight types"): for each
# dtype, batch-1 decode against the memory-bandwidth bound (bandwidth / decoder weight bytes
# read per token), and the server's tokens/s one request at a time and 32 concurrent. Prints
# the table and the ratios the targets name, writes bench/results_dtypes.json. bench/run.sh runs
# it last; it also runs alone.
#
# Knobs (environment):
#   DTYPES=fp32,fp16,q8,q4   weight types (variants are made on first use, not committed)
#   REQUESTS=32              requests of the 32-concurrent run; SERIAL_REQUESTS=6 one at a time
#   CONCURRENCY=32
#   SWEEP_STEPS=16           timed decode steps per batch-1 measurement (context 128)
#   SKIP_BUILD=1             use the jars already built
#   WEIGHTS_PYTHON=PATH      a python with requirements-weights.txt (default: bench/.venv, made on first use)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source bench/lib.sh
DTYPES="${DTYPES:-fp32,fp16,q8,q4}"
REQUESTS="${REQUESTS:-32}"
SERIAL_REQUESTS="${SERIAL_REQUESTS:-6}"
CONCURRENCY="${CONCURRENCY:-32}"
export SWEEP_STEPS="${SWEEP_STEPS:-16}"
OUT=bench/out/dtypes
MODEL="$MODELS/bench-llava"
ensure_bench_models concat
build_jars
rm -rf "$OUT" && mkdir -p "$OUT"

# --- the weight-type variants, made with the tools real exports are made with ---
WEIGHTS_PYTHON="${WEIGHTS_PYTHON:-bench/.venv/bin/python}"
if ! "$WEIGHTS_PYTHON" -c 'import onnxruntime, onnx' 2>/dev/null; then
  log "making bench/.venv with tools/testmodels/requirements-weights.txt"
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q -r tools/testmodels/requirements-weights.txt
  WEIGHTS_PYTHON=bench/.venv/bin/python
fi
IFS=, read -ra WANTED <<< "$DTYPES"
for dtype in "${WANTED[@]}"; do
  if [[ "$dtype" != fp32 ]] && ! "$WEIGHTS_PYTHON" bench/weight_bytes.py "$MODEL" "$dtype" >/dev/null 2>&1; then
    log "making the $dtype variant of $MODEL"
    "$WEIGHTS_PYTHON" tools/testmodels/make_weight_variants.py "$MODEL" --dtypes "$dtype" > "$OUT/variants-$dtype.log" 2>&1
  fi
done

# --- the machine's memory bandwidth, measured by a plain streaming read (not ONNX Runtime) ---
gcc -O3 -march=native -pthread bench/bandwidth.c -o "$OUT/bandwidth"
log "memory bandwidth (multi-threaded streaming read of 2 GiB)"
"$OUT/bandwidth" 2048 8 2>/dev/null | tee "$OUT/bandwidth.txt"

"$PYTHON" bench/workload.py --out "$OUT/mixed" --image testdata/images/shapes_32.png --requests "$REQUESTS" \
  --prompt-words 32 --min-output "${MIN_OUTPUT:-16}" --max-output "${MAX_OUTPUT:-128}"

for dtype in "${WANTED[@]}"; do
  "$WEIGHTS_PYTHON" bench/weight_bytes.py "$MODEL" "$dtype" --json > "$OUT/weights_$dtype.json"
  export DTYPE="$dtype"
  SWEEP_CONTEXTS=128 SWEEP_ONLY=true engine_bench "d_$dtype" "$MODEL" mixed 1
  serve_bench "b_$dtype" "$MODEL" mixed "$SERIAL_REQUESTS" --max-running-sequences 1
  serve_bench "a_$dtype" "$MODEL" mixed "$REQUESTS"
done
unset DTYPE

"$PYTHON" bench/summarize_dtypes.py --out "$OUT" --dtypes "$DTYPES" --results bench/results_dtypes.json
