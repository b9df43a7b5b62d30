#!/usr/bin/env bash
# Reruns every committed golden (every family, every dtype that has a file) with
# python_goldens.py: transformers.js records the preprocessing (--dump-feeds), Python ONNX
# Runtime does the rest with its own greedy loop. Needs tools/reference's npm install.
# Usage: tools/testmodels/check_goldens_python.sh [python]
set -uo pipefail
cd "$(dirname "$0")/../.."
PY="${1:-$( [ -x /work/venv/bin/python ] && echo /work/venv/bin/python || echo python3 )}"
FEEDS="$(mktemp -d)"
trap 'rm -rf "$FEEDS"' EXIT
status=0
# golden file stem, writer, extra writer arguments
while read -r stem writer extra; do
    for golden in testdata/goldens/"$stem".json testdata/goldens/"$stem".*.json; do
        [ -e "$golden" ] || continue
        name="$(basename "$golden" .json)"
        dtype="${name#"$stem"}"; dtype="${dtype#.}"; dtype="${dtype:-fp32}"
        (cd tools/reference && node "$writer" $extra --dtype "$dtype" --check --dump-feeds "$FEEDS/$name.json" > /dev/null) \
            || { echo "$name: transformers.js no longer gives the committed golden"; status=1; }
        "$PY" tools/testmodels/python_goldens.py "$golden" "$FEEDS/$name.json" | tail -1 || status=1
    done
done <<'LIST'
tiny-llava goldens.mjs
tiny-idefics3 goldens_idefics3.mjs --variant idefics3
tiny-smolvlm goldens_idefics3.mjs --variant smolvlm
tiny-qwen2-vl goldens_qwen2_vl.mjs --variant qwen2_vl
tiny-qwen2.5-vl goldens_qwen2_vl.mjs --variant qwen2_5_vl
tiny-lfm2-vl goldens_lfm2_vl.mjs
LIST
exit $status
