#!/usr/bin/env bash
# Writes decoders-new.json (then merged into golden/decoders.json by hand): for each decoder fixture named, the reference's
# (shared/reference/decoder_ref.py) selections and evaluations, as golden/decoders.json has them
# for the older fixtures. Run from the repository root with the shared reference beside it:
#   src/test/resources/golden/tools/decoder_goldens.sh <shared reference folder> tiny-llama3-rope ...
set -euo pipefail
REF=$(cd "$1" && pwd); shift
F=$(pwd)/src/test/resources/fixtures
OUT=$(pwd)/decoders-new.json
TMP=$(mktemp -d)
cd "$REF"
echo "{" > "$TMP/out"
first=1
for fx in "$@"; do
  s="$F/$fx/golden-scores.json"
  hies=$(/usr/bin/python3 decoder_ref.py select "$s" --sparsity 0.5)
  ent=$(/usr/bin/python3 decoder_ref.py select "$s" --sparsity 0.25 --criterion entropy)
  uh=$(/usr/bin/python3 decoder_ref.py select "$s" --sparsity 0.5 --uniform-groups)
  us=$(/usr/bin/python3 decoder_ref.py select "$s" --sparsity 0.5 --uniform-groups --criterion his)
  ev=$(/usr/bin/python3 decoder_ref.py evaluate "$F/$fx" "$F/$fx/eval.jsonl" --pruned "$hies")
  evu=$(/usr/bin/python3 decoder_ref.py evaluate "$F/$fx" "$F/$fx/eval.jsonl" --pruned "$uh")
  evc=$(/usr/bin/python3 decoder_ref.py evaluate "$F/$fx" "$F/$fx/eval-choices.jsonl" --pruned "$hies")
  [ $first = 1 ] || echo "," >> "$TMP/out"; first=0
  printf '"%s": {"select-hies-0.5": %s, "select-entropy-0.25": %s, "uniform-hies-0.5": %s, "uniform-his-0.5": %s, "evaluate": %s, "evaluate-uniform": %s, "evaluate-choices": %s}\n' \
    "$fx" "$hies" "$ent" "$uh" "$us" "$ev" "$evu" "$evc" >> "$TMP/out"
done
echo "}" >> "$TMP/out"
/usr/bin/python3 -m json.tool "$TMP/out" > "$OUT"
echo "wrote $OUT"
