# Shared by bench/run.sh and bench/dtypes.sh, sourced from the repository root: the JDK, the
# bench model, the build, one server run under `vlm bench`, one bare-engine run. The functions
# expect OUT and CONCURRENCY set.

export JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PYTHON=/usr/bin/python3
MODELS=bench/models
ENGINE_CP="server/target/vlm-server.jar:server/target/test-classes"

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


# build_jars: the server and client jars, unless SKIP_BUILD=1.
build_jars() {
  if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "building (./mvnw -q -DskipTests package)"
    ./mvnw -q -DskipTests package
  fi
}

# ensure_bench_models [concat]: the bench-size LLaVA (random weights, about 105M parameters, not
# committed), concat and GQA variants (only the concat one with "concat"), generated on first
# use with $PYTHON (Debian's python3-torch; BENCH_PYTHON overrides).
ensure_bench_models() {
  local python="${BENCH_PYTHON:-$PYTHON}"
  if [[ ! -f "$MODELS/bench-llava/onnx/decoder_model_merged.onnx" ]]; then
    log "generating the bench model (concat decoder)"
    "$python" tools/testmodels/generate_llava.py --out "$MODELS/bench-llava" "${SIZE_FLAGS[@]}"
  fi
  if [[ "${1:-}" != concat && ! -f "$MODELS/bench-llava-gqa/onnx/decoder_model_merged.onnx" ]]; then
    log "generating the bench model (GroupQueryAttention decoder)"
    "$python" tools/testmodels/generate_llava_gqa.py --source "$MODELS/bench-llava" \
      --out "$MODELS/bench-llava-gqa" -- "${SIZE_FLAGS[@]}"
  fi
}

# serve_bench NAME MODEL_DIR WORKLOAD REQUESTS [server flags...]: one server run, one `vlm bench`.
serve_bench() {
  local name="$1" model="$2" workload="$3" requests="$4"
  shift 4
  local port
  port="$(free_port)"
  log "($name) server on :$port with $model $*"
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/$name.load"
  # Pinned, so the model loads at start-up and its load is no part of the figure.
  # DTYPE (environment) picks the weight type.
  printf 'models:\n  - name: bench\n    path: %s\n    pinned: true\n    dtype: %s\n' "$ROOT/$model" "${DTYPE:-fp32}" \
    > "$OUT/$name.server.yaml"
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
  # Resident memory with the model loaded, before any request: what its weights really take.
  awk '/^VmRSS/ {print $2 * 1024}' "/proc/$SERVER_PID/status" > "$OUT/$name.rss"
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
    --sweep-batches "$sweep" --sweep-contexts "${SWEEP_CONTEXTS:-64,256}" --sweep-steps "${SWEEP_STEPS:-8}" \
    --dtype "${DTYPE:-fp32}" --sweep-only "${SWEEP_ONLY:-false}" 2>&1 | grep -E '^(engine|workload|sweep)'
  cut -d' ' -f1-3 /proc/loadavg >> "$OUT/$name.load"
}
