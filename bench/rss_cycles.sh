#!/usr/bin/env bash
# Memory that really comes back (docs/ARCHITECTURE.md, Residency): 50 cycles of loading three
# models, one request each, unloading them; VmRSS after each cycle must stay within 10% of the
# first cycle's, with no explicit GC. The heap is fixed and pre-touched so its own growth is not
# read as a leak. Exits 1 on failure. Knobs: CYCLES=50 SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# As in deploy/entrypoint.sh: fewer malloc arenas, so freed native memory does not stay resident.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -q -DskipTests package
fi
exec "$JAVA_HOME/bin/java" -Xms256m -Xmx256m -XX:+AlwaysPreTouch \
  -cp server/target/vlm-server.jar:server/target/test-classes dev.vlm.server.e2e.LoadUnloadCycles "${CYCLES:-50}"
