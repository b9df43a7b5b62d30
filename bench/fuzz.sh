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
source bench/program.sh
run_program -Xmx"${HEAP:-2g}" -- \
  dev.vlm.server.e2e.GrpcFuzz "${CALLS:-10000}" "${SEED:-1}" "${THREADS:-4}" "${MINUTES:-60}" "${ROUNDS:-1}"
