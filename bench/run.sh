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
export JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PYTHON=/usr/bin/python3
REQUESTS="${REQUESTS:-64}"
CONCURRENCY="${CONCURRENCY:-32}"
PEER_REQUESTS="${PEER_REQUESTS:-16}"
SERIAL_REQUESTS="${SERIAL_REQUESTS:-16}"
LONG="${LONG:-1}"
LONG_ENGINE="${LONG_ENGINE:-0}"
SWEEP="${SWEEP-1,8,32}"
OUTPUT_RANGE=(--min-output "${MIN_OUTPUT:-16}" --max-output "${MAX_OUTPUT:-256}")
MODELS=bench/models
OUT=bench/out
SIZE_FLAGS=(--hidden 768 --intermediate 3072 --layers 12 --heads 12 --kv-heads 4 --vocab 2000 --max-positions 512)
SERVER_PID=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT
# CPU seconds (user + system) a process has used so far.
cpu_ticks() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- models (random weights, about 105M parameters, not committed) ---
if [[ ! -f "$MODELS/bench-llava/onnx/decoder_model_merged.onnx" ]]; then
  log "generating the bench model (concat decoder)"
  "$PYTHON" tools/testmodels/generate_llava.py --out "$MODELS/bench-llava" "${SIZE_FLAGS[@]}"
fi
if [[ ! -f "$MODELS/bench-llava-gqa/onnx/decoder_model_merged.onnx" ]]; then
  log "generating the bench model (GroupQueryAttention decoder)"
  "$PYTHON" tools/testmodels/generate_llava_gqa.py --source "$MODELS/bench-llava" \
    --out "$MODELS/bench-llava-gqa" -- "${SIZE_FLAGS[@]}"
fi

# --- build ---
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building (./mvnw -q -DskipTests package)"
  ./mvnw -q -DskipTests package
fi
ENGINE_CP="server/target/vlm-server.jar:server/target/test-classes"

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

# serve_bench NAME MODEL_DIR WORKLOAD REQUESTS [server flags...]: one server run, one `vlm bench`.
serve_bench() {
  local name="$1" model="$2" workload="$3" requests="$4"
  shift 4
  local port
  port="$(free_port)"
  log "($name) server on :$port with $model $*"
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/$name.load"
  # Pinned, so the model loads at start-up and its load is no part of the figure.
  printf 'models:\n  - name: bench\n    path: %s\n    pinned: true\n' "$ROOT/$model" > "$OUT/$name.server.yaml"
  "$JAVA" -jar server/target/vlm-server.jar --config "$OUT/$name.server.yaml" --port "$port" --metrics-port -1 "$@" \
    > "$OUT/$name.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "($name) server exited; see $OUT/$name.server.log"; tail -20 "$OUT/$name.server.log"; exit 1
    fi
    sleep 0.5
  done
  for i in $(seq 1 600); do
    if grep -q "loaded model" "$OUT/$name.server.log"; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null || [[ "$i" == 600 ]]; then
      log "($name) the model did not load; see $OUT/$name.server.log"; tail -20 "$OUT/$name.server.log"; exit 1
    fi
    sleep 0.5
  done
  cpu_ticks "$SERVER_PID" > "$OUT/$name.cpu"
  "$JAVA" -jar client/target/vlm.jar --target "127.0.0.1:$port" bench --model bench \
    --concurrency "$CONCURRENCY" --requests "$requests" --warmup 2 --spec "$OUT/$workload/spec.json" \
    --json "$OUT/$name.json" --no-progress | tee "$OUT/$name.txt"
  cpu_ticks "$SERVER_PID" >> "$OUT/$name.cpu"
  cut -d' ' -f1-3 /proc/loadavg >> "$OUT/$name.load"
  stop_server
}

# --- (d) the bare engine: engine_bench NAME MODEL_DIR WORKLOAD SWEEP_BATCHES ---
engine_bench() {
  local name="$1" model="$2" workload="$3" sweep="$4"
  log "($name) bare engine on $model"
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/$name.load"
  "$JAVA" -cp "$ENGINE_CP" dev.vlm.server.generation.EngineBench --model "$model" \
    --workload "$OUT/$workload/workload.json" --concurrency "$CONCURRENCY" --json "$OUT/$name.json" \
    --sweep-batches "$sweep" --sweep-contexts 64,256 --sweep-steps 8 2>&1 | grep -E '^(engine|workload|sweep)'
  cut -d' ' -f1-3 /proc/loadavg >> "$OUT/$name.load"
}
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
