#!/usr/bin/env bash
# Soak with faults (docs/RELIABILITY.md; not run in CI): three copies of the tiny model under a
# budget that fits two, open-loop at twice the sustained request rate, 20% of clients cancelling
# mid-stream, 10% deadlines that expire, LoadModel/UnloadModel churn, injected request failures
# and a loop-killing Error every two minutes. Prints calls that never ended, OK answers without a
# finish, RSS over time and time to first token; exits 1 if the run did not pass.
# Knobs (environment): MINUTES=10 SEED=1 HEAP=1g SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# As in deploy/entrypoint.sh: fewer malloc arenas, so freed native memory does not stay resident.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -q -DskipTests package
fi
exec "$JAVA_HOME/bin/java" -Xms"${HEAP:-1g}" -Xmx"${HEAP:-1g}" -XX:+AlwaysPreTouch \
  -cp server/target/vlm-server.jar:server/target/test-classes dev.vlm.server.e2e.Soak "${MINUTES:-10}" "${SEED:-1}"
