#!/bin/sh
# Writes the data-format fixtures under src/test/resources/data (and the README's examples/data)
# with writers independent of
# headprune's readers: Parquet by hyparquet-writer (npm), CSV/JSON by Python's csv and json
# modules, .gz by gzip and .zst by zstd. Run once from the repository root; the files are committed.
#   usage: tools/data_fixtures.sh
set -eu
OUT=src/test/resources/data
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
(cd "$WORK" && npm init -y >/dev/null && npm install --silent hyparquet-writer@0.17.0 >/dev/null)
cp tools/data_fixtures.mjs "$WORK/"
mkdir -p examples/data
FIXTURES="$PWD/src/test/resources/fixtures" OUT="$PWD/$OUT" EXAMPLES="$PWD/examples" node "$WORK/data_fixtures.mjs"
python3 - "$OUT" <<'PY'
import csv, json, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open("src/test/resources/fixtures/tiny-bert-order/eval.jsonl")][:40]
names = ["dog_first", "cat_first"]
# CSV with its own column names, quoting and an embedded newline in every tenth sentence
with open(f"{out}/order-quoted.csv", "w", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
    w.writerow(["id", "sentence", "verdict"])
    for i, r in enumerate(rows):
        text = r["text"] + ("\n" if i % 10 == 0 else "") + (' "quoted", too' if i % 7 == 0 else "")
        w.writerow([i, text, names[r["label"]]])
with open(f"{out}/order.tsv", "w", newline="") as f:
    w = csv.writer(f, delimiter="\t")
    w.writerow(["sentence", "label"])
    for r in rows:
        w.writerow([r["text"], r["label"]])
with open(f"{out}/order-array.json", "w") as f:
    json.dump([{"sentence": r["text"], "label": r["label"]} for r in rows], f)
with open(f"{out}/order-data.json", "w") as f:
    json.dump({"version": "1.0", "data": [{"sentence": r["text"], "label": names[r["label"]]} for r in rows]}, f, indent=1)
with open(f"{out}/order.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps({"sentence": r["text"], "label": r["label"]}) + "\n")
PY
gzip -9 -n -c "$OUT/order.jsonl" > "$OUT/order.jsonl.gz"
zstd -q -19 -f "$OUT/order-quoted.csv" -o "$OUT/order-quoted.csv.zst"
rm "$OUT/order.jsonl"
