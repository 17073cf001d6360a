#!/usr/bin/env bash
# Replays README.md's service example ("Worked example: the service") against a fresh service,
# every call as the README shows it, and keeps each answer in OUT; regenerate.py then writes those
# real answers into README.md in place of the old ones.
#   tools/readme-example/replay.sh <checkout> <headprune.jar> <out-dir>
#   python3 tools/readme-example/regenerate.py <out-dir> <previous-out-dir> README.md
# (the previous out-dir holds the ids the README shows now; the first time, make its ids.txt and
# 13-key.txt, 01-adminkey.txt by hand from the README.)
set -u
CHECKOUT=${1:?checkout}; JAR=${2:?jar}; OUT=${3:?out-dir}
cd "$CHECKOUT"
rm -rf "$OUT" data; mkdir -p "$OUT"
DJL_OFFLINE=true java -jar "$JAR" serve > $OUT/service.log 2>&1 &
SVC=$!
until curl -s localhost:8080/actuator/health | grep -q UP; do sleep 1; done
grep "platform-admin key" $OUT/service.log | sed 's/.*INFO/    INFO .../' > $OUT/01-adminkey.txt
curl -s localhost:8080/v1/jobs > $OUT/02-401.txt
AUTH="Authorization: Bearer $(cat data/admin.key)"
tar czf /tmp/tiny-bert-order.tar.gz -C examples/tiny-bert-order config.json model.safetensors tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt
curl -s -H "$AUTH" -F file=@/tmp/tiny-bert-order.tar.gz -F name=examples/tiny-bert-order -F 'labels={"team":"nlp","task":"cat-dog"}' localhost:8080/v1/models > $OUT/03-model.txt
curl -s -H "$AUTH" -F file=@examples/tiny-bert-order/calib.jsonl -F 'name=cat-dog calibration' -F 'labels={"team":"nlp"}' localhost:8080/v1/datasets > $OUT/04-calib.txt
curl -s -H "$AUTH" -F file=@examples/tiny-bert-order/eval.jsonl localhost:8080/v1/datasets > $OUT/05-eval.txt
M=$(python3 -c "import json;print(json.load(open('$OUT/03-model.txt'))['id'])")
C=$(python3 -c "import json;print(json.load(open('$OUT/04-calib.txt'))['id'])")
E=$(python3 -c "import json;print(json.load(open('$OUT/05-eval.txt'))['id'])")
curl -s -H "$AUTH" "localhost:8080/v1/models?label=team=nlp" > $OUT/05a-list.txt
curl -s -X PATCH -H "$AUTH" -H 'Content-Type: application/merge-patch+json' -d '{"labels": {"stage": "reviewed"}}' localhost:8080/v1/datasets/$C > $OUT/05b-patch.txt
curl -s -H "$AUTH" "localhost:8080/v1/datasets?name=cat-dog%20calibration&label=stage=reviewed" > $OUT/05c-list.txt
curl -s -i -X POST localhost:8080/v1/jobs -H "$AUTH" -H 'Content-Type: application/json' -d '{
    "model": {"id": "'$M'"},
    "calibration": {"id": "'$C'"},
    "evaluation": {"id": "'$E'"},
    "criteria": ["hies", "his", "entropy", "random"], "sparsities": [0.1, 0.3, 0.5],
    "target": {"sparsity": 0.5}, "seeds": 5,
    "name": "cat-dog nightly", "labels": {"team": "nlp"}, "externalId": "airflow-run-42"}' > $OUT/06-submit.txt
J=$(tail -1 $OUT/06-submit.txt | python3 -c "import json,sys;print(json.load(sys.stdin)['id'])")
echo $M $C $E $J > $OUT/ids.txt
n=0
while true; do
  V=$(curl -s -H "$AUTH" localhost:8080/v1/jobs/$J)
  S=$(echo "$V" | python3 -c "import json,sys;print(json.load(sys.stdin)['status'])")
  if [ "$S" = RUNNING ]; then echo "$V" > $OUT/07-running-$n.txt; n=$((n+1)); fi
  if [ "$S" = SUCCEEDED ] || [ "$S" = FAILED ]; then echo "$V" > $OUT/08-done.txt; break; fi
  sleep 2
done
curl -s -H "$AUTH" -o $OUT/pruned.tar.gz -D $OUT/09-download-headers.txt localhost:8080/v1/jobs/$J/artifacts/pruned
tar tzf $OUT/pruned.tar.gz > $OUT/10-tar.txt
curl -s -H "$AUTH" localhost:8080/v1/jobs/$J/heads > $OUT/10a-heads.txt
curl -s -X POST -H "$AUTH" localhost:8080/v1/jobs/$J/cancel > $OUT/11-cancel.txt
curl -s -H "$AUTH" localhost:8080/v1/jobs/$J/events > $OUT/12-events.txt
curl -s -X POST localhost:8080/v1/keys -H "$AUTH" -H 'Content-Type: application/json' -d '{"tenant": "vision-team", "role": "member"}' > $OUT/13-key.txt
K=$(python3 -c "import json;print(json.load(open('$OUT/13-key.txt'))['key'])")
curl -s -H "Authorization: Bearer $K" localhost:8080/v1/jobs/$J > $OUT/14-404.txt
curl -s -H "$AUTH" "localhost:8080/v1/audit?size=2" > $OUT/15-audit.txt
curl -s -H "$AUTH" -H "Authorization: Bearer $K" localhost:8080/v1/jobs/$J > $OUT/16-two-auth.txt
# the Vision Transformer section: its uploads and job
tar czf /tmp/tiny-vit.tar.gz -C examples/tiny-vit-shapes config.json model.safetensors preprocessor_config.json
curl -s -H "$AUTH" -F file=@/tmp/tiny-vit.tar.gz localhost:8080/v1/models > $OUT/20-vit-model.txt
rm -f /tmp/vit-calib.zip /tmp/vit-eval.zip
(cd examples/tiny-vit-shapes && zip -qr /tmp/vit-calib.zip calib.jsonl images && zip -qr /tmp/vit-eval.zip eval.jsonl images)
curl -s -H "$AUTH" -F file=@/tmp/vit-calib.zip localhost:8080/v1/datasets > $OUT/21-vit-calib.txt
curl -s -H "$AUTH" -F file=@/tmp/vit-eval.zip localhost:8080/v1/datasets > $OUT/22-vit-eval.txt
VM=$(python3 -c "import json;print(json.load(open('$OUT/20-vit-model.txt'))['id'])")
VC=$(python3 -c "import json;print(json.load(open('$OUT/21-vit-calib.txt'))['id'])")
VE=$(python3 -c "import json;print(json.load(open('$OUT/22-vit-eval.txt'))['id'])")
curl -s -H "$AUTH" -i -H 'Content-Type: application/json' localhost:8080/v1/jobs -d '{"model": {"id": "'$VM'"},
    "calibration": {"id": "'$VC'"}, "evaluation": {"id": "'$VE'"},
    "criteria": ["hies", "his", "random"], "sparsities": [0.1, 0.3, 0.5], "seeds": 5}' > $OUT/23-vit-submit.txt
VJ=$(tail -1 $OUT/23-vit-submit.txt | python3 -c "import json,sys;print(json.load(sys.stdin)['id'])")
until curl -s -H "$AUTH" localhost:8080/v1/jobs/$VJ | grep -q '"status":"SUCCEEDED"\|"status":"FAILED"'; do sleep 1; done
curl -s -H "$AUTH" localhost:8080/v1/jobs/$VJ > $OUT/24-vit-done.txt
echo $VM $VC $VE $VJ > $OUT/vit-ids.txt
kill $SVC; wait $SVC
echo done
