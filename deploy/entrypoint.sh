#!/bin/sh
# Sizes the JVM from the container's memory limit so that the Java heap and the server's memory
# budget fit in it together (docs/ARCHITECTURE.md, "Memory arithmetic"):
#   Java heap (-Xmx)          20% of the limit
#   memory budget (default)   75% of the limit minus the heap = 55%: weights, KV cache and
#                             activations, in ONNX Runtime's native memory and direct buffers
#   direct-buffer limit       the budget (-XX:MaxDirectMemorySize), so KV buffers the budget
#                             granted can always be allocated, and never more
#   the rest                  25%: metaspace, JIT code, thread stacks, ONNX Runtime's thread pools,
#                             glibc arenas and the page cache of the model files
set -eu
limit=""
if [ -r /sys/fs/cgroup/memory.max ]; then
  limit=$(cat /sys/fs/cgroup/memory.max)                       # cgroup v2
elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)     # cgroup v1
fi
ram=$(awk '/^MemTotal:/ {print $2 * 1024}' /proc/meminfo)
# No limit ("max", or v1's huge sentinel): the machine's memory.
if [ -z "$limit" ] || [ "$limit" = max ] || [ "$limit" -gt "$ram" ]; then
  limit=$ram
fi
# glibc opens up to 8 malloc arenas per core, each keeping what it freed: under concurrent
# requests resident memory grows and stays (docs/RELIABILITY.md). Two arenas keep it flat.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
heap=$((limit / 5))
budget=$((limit * 3 / 4 - heap))
exec java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Xmx"$heap" -XX:MaxDirectMemorySize="$budget" -jar /opt/vlm/vlm-server.jar "$@"
