#!/usr/bin/env bash
# Soak with faults (docs/RELIABILITY.md; not run in CI): three copies of the tiny model under a
# budget that fits two, open-loop at twice the sustained request rate, 20% of clients cancelling
# mid-stream, 10% deadlines that expire, LoadModel/UnloadModel churn, injected request failures
# and a loop-killing Error every two minutes. Prints calls that never ended, OK answers without a
# finish, RSS over time and time to first token; exits 1 if the run did not pass.
# Knobs (environment): MINUTES=10 SEED=1 HEAP=1g SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/program.sh
run_program -Xms"${HEAP:-1g}" -Xmx"${HEAP:-1g}" -XX:+AlwaysPreTouch -- \
  dev.vlm.server.e2e.Soak "${MINUTES:-10}" "${SEED:-1}"
