#!/usr/bin/env bash
# The long gRPC fuzz run (docs/RELIABILITY.md): hostile and malformed calls from several client
# threads against a fresh server serving every family; prints the status counts, memory before
# and after, and any INTERNAL/UNKNOWN or hung call; exits 1 if the run did not pass.
#
# Knobs (environment): CALLS=10000 SEED=1 THREADS=4 MINUTES=60 ROUNDS=1 HEAP=2g SKIP_BUILD=1
# (ROUNDS > 1 repeats the run with seeds SEED, SEED+1, ..., each measured from the end of the
# last, which tells a one-off growth of memory from a leak.)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# As in deploy/entrypoint.sh: fewer malloc arenas, so freed native memory does not stay resident.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -q -DskipTests package
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx"${HEAP:-2g}" -cp server/target/vlm-server.jar:server/target/test-classes \
  dev.vlm.server.e2e.GrpcFuzz "${CALLS:-10000}" "${SEED:-1}" "${THREADS:-4}" "${MINUTES:-60}" "${ROUNDS:-1}"
