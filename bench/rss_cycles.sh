#!/usr/bin/env bash
# Memory that really comes back (docs/ARCHITECTURE.md, Residency): 50 cycles of loading three
# models, one request each, unloading them; VmRSS after each cycle must stay within 10% of the
# first cycle's, with no explicit GC. The heap is fixed and pre-touched so its own growth is not
# read as a leak. Exits 1 on failure. Knobs: CYCLES=50 SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/program.sh
run_program -Xms256m -Xmx256m -XX:+AlwaysPreTouch -- dev.vlm.server.e2e.LoadUnloadCycles "${CYCLES:-50}"
