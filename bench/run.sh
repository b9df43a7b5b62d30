#!/usr/bin/env bash
# One benchmark run on this machine, one workload, every configuration (docs/PERFORMANCE.md):
#   (a) the server, continuous batching          (concat and GQA decoders)
#   (b) the same server, one sequence at a time  (--max-running-sequences 1; both decoders)
#   (c) the same server, static batching         (--static-batching)
#   (d) the bare engine in-process: OnnxVlm + BatchDecoder, no gRPC, no scheduler (the ceiling)
#   (e) transformers.js running the requests one by one (the peer)
# then prints the table and the ratios a/b, a/c, a/d, a/e and writes bench/results.json.
#
# Knobs (environment):
#   REQUESTS=64        measured requests per server run and for (d)
#   CONCURRENCY=32     client requests in flight (and the engine's batch for (d))
#   PEER_REQUESTS=16   requests for (e), the first ones of the same workload (it is slow)
#   SERIAL_REQUESTS=16 requests for (b) (one at a time, so slow; its rate hardly depends on the count)
#   LONG=1             also run (a) on a long-prompt workload (contexts about 240..480)
#   LONG_ENGINE=0      and (d) on it as well (about 3 more minutes)
#   SWEEP=1,8,32       batch sizes of the engine's decode-step sweep ("" skips it)
#   MIN_OUTPUT=16 MAX_OUTPUT=256  output lengths, drawn uniformly per request
#   SKIP_BUILD=1       use the jars already built
#   TJS_MODULES=DIR    node_modules holding @huggingface/transformers (default: bench/node_modules,
#                      else /tmp/tjs/node_modules; else `npm install --ignore-scripts` in bench/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source bench/lib.sh
REQUESTS="${REQUESTS:-64}"
CONCURRENCY="${CONCURRENCY:-32}"
PEER_REQUESTS="${PEER_REQUESTS:-16}"
SERIAL_REQUESTS="${SERIAL_REQUESTS:-16}"
LONG="${LONG:-1}"
LONG_ENGINE="${LONG_ENGINE:-0}"
SWEEP="${SWEEP-1,8,32}"
OUTPUT_RANGE=(--min-output "${MIN_OUTPUT:-16}" --max-output "${MAX_OUTPUT:-256}")
OUT=bench/out
ensure_bench_models

build_jars

# --- workloads: same seed, so every configuration gets the same requests ---
rm -rf "$OUT" && mkdir -p "$OUT"
IMAGE=testdata/images/shapes_32.png
"$PYTHON" bench/workload.py --out "$OUT/mixed" --image "$IMAGE" --requests "$REQUESTS" --prompt-words 32 "${OUTPUT_RANGE[@]}"
if [[ "$LONG" == 1 ]]; then
  "$PYTHON" bench/workload.py --out "$OUT/long" --image "$IMAGE" --requests "$REQUESTS" --prompt-words 150 "${OUTPUT_RANGE[@]}"
fi

# --- this machine's limits as ONNX Runtime sees them (FLOP/s, read bandwidth) ---
"$PYTHON" bench/roofline_graphs.py --out "$OUT/roofline"
cut -d' ' -f1-3 /proc/loadavg > "$OUT/roofline.load"
"$JAVA" -cp "$ENGINE_CP" dev.vlm.server.engine.RooflineProbe "$OUT/roofline" "$OUT/roofline.json" 2>&1 | grep '^roofline'
cut -d' ' -f1-3 /proc/loadavg >> "$OUT/roofline.load"
rm -rf "$OUT/roofline"

# --- (e) the peer ---
run_peer() {
  TJS="${TJS_MODULES:-}"
  if [[ -z "$TJS" ]]; then
    if [[ -d bench/node_modules/@huggingface/transformers ]]; then TJS=bench/node_modules
    elif [[ -d /tmp/tjs/node_modules/@huggingface/transformers ]]; then TJS=/tmp/tjs/node_modules
    else
      log "installing transformers.js into bench/node_modules"
      (cd bench && cp ../tools/reference/package.json ../tools/reference/package-lock.json . \
        && npm install --ignore-scripts --no-audit --no-fund && rm package.json package-lock.json)
      TJS=bench/node_modules
    fi
  fi
  log "(e_peer) transformers.js, $PEER_REQUESTS requests one by one"
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/e_peer.load"
  node bench/peer.mjs --model "$MODELS/bench-llava" --workload "$OUT/mixed/workload.json" \
    --json "$OUT/e_peer.json" --tjs "$TJS" --requests "$PEER_REQUESTS"
  cut -d' ' -f1-3 /proc/loadavg >> "$OUT/e_peer.load"
}

# Most telling first, so that a run cut short still yields the main ratios (summarize.py
# reports what is missing).
serve_bench a_concat "$MODELS/bench-llava" mixed "$REQUESTS"
engine_bench d_concat "$MODELS/bench-llava" mixed "$SWEEP"
serve_bench b_serial "$MODELS/bench-llava" mixed "$SERIAL_REQUESTS" --max-running-sequences 1
serve_bench c_static "$MODELS/bench-llava" mixed "$REQUESTS" --static-batching
run_peer
serve_bench a_gqa "$MODELS/bench-llava-gqa" mixed "$REQUESTS"
serve_bench b_serial_gqa "$MODELS/bench-llava-gqa" mixed "$SERIAL_REQUESTS" --max-running-sequences 1
serve_bench c_static_gqa "$MODELS/bench-llava-gqa" mixed "$REQUESTS" --static-batching
engine_bench d_gqa "$MODELS/bench-llava-gqa" mixed "$SWEEP"
if [[ "$LONG" == 1 ]]; then
  serve_bench a_concat_long "$MODELS/bench-llava" long "$REQUESTS"
  serve_bench a_gqa_long "$MODELS/bench-llava-gqa" long "$REQUESTS"
  if [[ "$LONG_ENGINE" == 1 ]]; then
    engine_bench d_concat_long "$MODELS/bench-llava" long ""
    engine_bench d_gqa_long "$MODELS/bench-llava-gqa" long ""
  fi
fi

# --- table, ratios, bench/results.json ---
"$PYTHON" bench/summarize.py --out "$OUT" --model "$MODELS/bench-llava" --results bench/results.json

# --- weight types side by side (bench/dtypes.sh; DTYPES="" skips it) ---
if [[ -n "${DTYPES-fp32,fp16,q8,q4}" ]]; then
  SKIP_BUILD=1 bench/dtypes.sh
fi
