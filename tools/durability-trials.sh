#!/usr/bin/env bash
# By-hand durability trials (issue 15's figures): a real PostgreSQL 15 (Debian's postgresql-15),
# one api process and two worker processes of target/headprune.jar sharing a data directory.
#   kill -9 of the worker running a job (5×), SIGSTOP of it past revival then SIGCONT (3×),
#   the database stopped for 30 s and for 5 min mid-job, a 1,000,000-line dataset (run, then
#   cancel), and an archive of a model plus 10 × 120 MB of zeros.
# Needs root (pg_ctlcluster, su postgres), curl and python3. Prints one line per trial.
# Usage: tools/durability-trials.sh [long]   (without "long" the 5-minute outage is skipped)
set -u
cd "$(dirname "$0")/.."
JAR=${JAR:-$PWD/target/headprune.jar}
WORK=${WORK:-/tmp/hp-trials}
KEY=hp_trials-admin-key-0123456789abcdefghij
AUTH="Authorization: Bearer $KEY"
API=http://localhost:8080
PIDS=()

log() { echo "$(date -u +%H:%M:%S) $*"; }
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

db_start() { pg_ctlcluster 15 main start; }
db_stop() { pg_ctlcluster 15 main stop -m fast; }
psql_q() { su postgres -c "psql -tA -d headprune -c \"$1\""; }

setup_db() {
  pg_lsclusters | grep -q '15 *main' || pg_createcluster 15 main
  db_start 2>/dev/null || true
  su postgres -c "psql -tA -c \"select 1 from pg_roles where rolname='headprune'\"" | grep -q 1 \
    || su postgres -c "psql -c \"create user headprune password 'headprune'\""
  su postgres -c "dropdb --if-exists headprune" && su postgres -c "createdb -O headprune headprune"
}

COMMON=(--spring.datasource.url=jdbc:postgresql://localhost:5432/headprune --spring.datasource.username=headprune
  --spring.datasource.password=headprune --headprune.data-dir=$WORK/data --headprune.security.admin-key=$KEY
  --db-scheduler.heartbeat-interval=2s --db-scheduler.missed-heartbeats-limit=5 --db-scheduler.polling-interval=1s
  --headprune.worker.devices=cpu --headprune.worker.progress-interval=1s)

start() { # name port role
  java -jar "$JAR" "${COMMON[@]}" --server.port=$2 --headprune.role=$3 >> $WORK/$1.log 2>&1 &
  echo $! > $WORK/$1.pid
  for _ in $(seq 1 120); do curl -sf localhost:$2/actuator/health/liveness > /dev/null && return; sleep 0.5; done
  log "$1 did not start"; exit 1
}
pid_of() { cat $WORK/$1.pid; }

upload() { curl -s -H "$AUTH" -F file=@$2 $API/v1/$1 | json "d['id']"; }
job() { curl -s -H "$AUTH" $API/v1/jobs/$1; }
field() { job $1 | json "$2"; }
submit() { # calibration [evaluation]
  local evaluation=""
  [ -n "${2:-}" ] && evaluation=", \"evaluation\": {\"id\": \"$2\"}"
  curl -s -H "$AUTH" -H 'Content-Type: application/json' $API/v1/jobs -d "{\"model\": {\"id\": \"$MODEL\"},
    \"calibration\": {\"id\": \"$1\"}$evaluation, \"criteria\": [\"hies\", \"his\", \"entropy\", \"random\"],
    \"sparsities\": [0.1, 0.3, 0.5], \"target\": {\"sparsity\": 0.5}, \"seeds\": 5}" | json "d['id']"
}
await_phase() { # id regex
  for _ in $(seq 1 600); do
    [[ "$(field $1 "d['status']+':'+d['progress']['phase']")" =~ $2 ]] && return 0; sleep 0.2
  done; return 1
}
await_end() { # id → prints status; also remembers any status seen on the way
  local seen=""
  for _ in $(seq 1 3000); do
    local s; s=$(field $1 "d['status']" 2>/dev/null)
    [[ -n "$s" && "$seen" != *"$s"* ]] && seen="$seen $s"
    [[ "$s" =~ ^(SUCCEEDED|FAILED|CANCELLED)$ ]] && { echo "$s (seen:$seen)"; return; }
    sleep 0.2
  done; echo "TIMEOUT (seen:$seen)"
}
worker_running() { # id → name of the worker process running it
  local w; w=$(field $1 "d.get('worker') or ''" 2>/dev/null)
  local pid; pid=$(psql_q "select worker from jobs where id = '$1'" | sed 's|.*/||')
  for name in worker1 worker2; do [ "$(pid_of $name)" = "$pid" ] && echo $name; done
}
outputs() { # id → rows of artifacts, head scores, files on disk, scratch dirs left
  echo "artifacts=$(psql_q "select count(*) from artifacts where job_id = '$1'")" \
    "head_scores=$(psql_q "select count(*) from head_scores where job_id = '$1'")" \
    "files=$(ls $WORK/data/artifacts/jobs/$1 2>/dev/null | wc -l)" \
    "scratch=$(ls $WORK/data/artifacts/work/$1 2>/dev/null | wc -l)"
}

main() {
  rm -rf $WORK && mkdir -p $WORK
  setup_db
  start api 8080 api; start worker1 8091 worker; start worker2 8092 worker
  tar czf $WORK/model.tar.gz -C examples/tiny-bert-order config.json model.safetensors tokenizer.json \
    tokenizer_config.json special_tokens_map.json vocab.txt
  MODEL=$(upload models $WORK/model.tar.gz)
  CALIB=$(upload datasets examples/tiny-bert-order/calib.jsonl)
  EVAL=$(upload datasets examples/tiny-bert-order/eval.jsonl)
  log "load: $(cat /proc/loadavg)"

  for i in 1 2 3 4 5; do
    id=$(submit $CALIB $EVAL); await_phase $id 'RUNNING:(score|evaluate)'
    victim=$(worker_running $id); port=$([ "$victim" = worker1 ] && echo 8091 || echo 8092)
    phase=$(field $id "d['progress']['phase']"); kill -9 $(pid_of $victim); start $victim $port worker
    log "kill -9 #$i ($victim in $phase): $(await_end $id) attempt=$(field $id "d['attempt']") $(outputs $id)"
  done

  for i in 1 2 3; do
    id=$(submit $CALIB $EVAL); await_phase $id 'RUNNING:evaluate'
    victim=$(worker_running $id); kill -STOP $(pid_of $victim)
    end=$(await_end $id); kill -CONT $(pid_of $victim); sleep 15
    log "SIGSTOP #$i ($victim): $end; 15 s after SIGCONT: $(field $id "d['status']+' attempt='+str(d['attempt'])+' error='+str(d['error'])") $(outputs $id) lost-ownership-logged=$(grep -c 'lost the job' $WORK/$victim.log)"
  done

  for outage in 30 $([ "${1:-}" = long ] && echo 300); do
    id=$(submit $CALIB $EVAL); await_phase $id 'RUNNING:(score|evaluate)'
    db_stop; t0=$(date +%s.%N)
    code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}s' -H "$AUTH" $API/v1/jobs/$id)
    ready=$(curl -s -o /dev/null -w '%{http_code} %{time_total}s' localhost:8080/actuator/health/readiness)
    sleep $outage; db_start
    log "database stopped ${outage} s: during it GET job → $code, readiness → $ready; job: $(await_end $id) attempt=$(field $id "d['attempt']") error=$(field $id "d['error']") $(outputs $id)"
  done

  python3 - $WORK/million.jsonl <<'PY'
import sys, random
random.seed(0)
words = "the a cat dog sat ran over under near by quickly slowly big small".split()
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        w = random.sample(words, 8); f.write('{"text": "%s", "label": %d}\n' % (" ".join(w), int(w.index("cat") < w.index("dog")) if "cat" in w and "dog" in w else 0))
PY
  t0=$(date +%s); MILLION=$(upload datasets $WORK/million.jsonl); t1=$(date +%s)
  id=$(submit $MILLION); await_phase $id 'RUNNING:(dense|score)'
  sleep 5; phase=$(field $id "d['progress']")
  c0=$(date +%s.%N); curl -s -o /dev/null -H "$AUTH" -X POST $API/v1/jobs/$id/cancel; end=$(await_end $id); c1=$(date +%s.%N)
  log "1,000,000-line dataset: upload $((t1 - t0)) s; progress 5 s into the run: $phase; cancel → $end in $(python3 -c "print(round($c1-$c0,1))") s $(outputs $id)"

  python3 - $WORK/zeros <<'PY'
import sys, os
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(10):
    with open(os.path.join(sys.argv[1], "zeros-%d.bin" % i), "wb") as f:
        for _ in range(120): f.write(bytes(1 << 20))
PY
  cp examples/tiny-bert-order/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt} $WORK/zeros/
  tar czf $WORK/zeros.tar.gz -C $WORK/zeros .
  before=$(du -sb $WORK/data/artifacts | cut -f1)
  answer=$(curl -s -w ' %{http_code}' -H "$AUTH" -F file=@$WORK/zeros.tar.gz $API/v1/models)
  after=$(du -sb $WORK/data/artifacts | cut -f1)
  log "archive of a model + 10 × 120 MB zeros ($(stat -c %s $WORK/zeros.tar.gz) bytes): $answer; artifacts grew by $((after - before)) bytes"
  log "load: $(cat /proc/loadavg)"
  for name in api worker1 worker2; do kill $(pid_of $name); done
}
main "$@"
