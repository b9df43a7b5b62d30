# Sourced by bench/fuzz.sh, soak.sh and rss_cycles.sh from the repository root: builds the server
# jar and test classes unless SKIP_BUILD=1, then `run_program JVM_FLAGS... -- CLASS ARGS...` runs a
# program from the server's test classes, with native access allowed and, as in
# deploy/entrypoint.sh, fewer malloc arenas so that freed native memory does not stay resident.
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -q -DskipTests package
fi

run_program() {
  local flags=()
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${flags[@]}" \
    -cp server/target/vlm-server.jar:server/target/test-classes "$@"
}
