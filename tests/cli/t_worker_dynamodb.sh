# t_worker_dynamodb.sh - batch runs on the DynamoDB backend (dynalite, when
# scripts/run-tests.sh started it): three worker processes share one job,
# one of them is killed -9 midway; its segment is taken over once its
# lease expired and resumed from its checkpoint.  Every car is transformed
# at least once (the batch in hand when the worker died may be done again:
# DynamoDB batches are not atomic with their checkpoint), the ledger's
# counters equal the cars changed, and the logs of all three workers are
# read back with `log`.  Size: WB_WORKER_DDB_N cars (5000; `make
# test-batch-full` runs 20000).
. "$(dirname "$0")/lib.sh"
need_dynamodb
command -v git >/dev/null 2>&1 || skip_all "git is not installed"
D=$WB_ROOT/tests/data/migrations
N=${WB_WORKER_DDB_N:-5000}
s=$$   # table and migration names unique on the shared server
export CARS_TABLE="cars_worker_$s" WHIMBREL_LEASE_SECONDS=3 WHIMBREL_BATCH=50
W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
json() { python3 -c "import json,sys; r=json.load(sys.stdin); print(r[-1].get('$1',''))"; }
field() { W schedule show "$1" | awk -v f="$2:" '$1==f{ $1=""; sub(/^ /,""); print }'; }

git init -q .
mkdir m
cp "$D/seed.c" "m/0001_seed_$s.c"
cp "$D/counter.c" "m/0002_counter_$s.c"
cp "$D/check.c" "m/0003_check_$s.c"
git add m && git -c user.name=tester -c user.email=tester@example.com commit -qm migrations
SEED_N=$N W run prod "m/0001_seed_$s.c" --yes --dir m --no-stamp >/dev/null 2>&1

run W schedule prod "m/0002_counter_$s.c" --now --workers 3
is "schedule: exit 0" "$rc" 0
job=$(awk '/^scheduled /{sub(":","",$2); print $2}' <<<"$out")
# 12 segments of N/12 cars, about 10 s of callbacks in all; w3 dies 100 cars into a segment.
for i in 1 2 3; do
	SLOW_US=$((10000000 / N)) PROGRESS_EVERY=100 \
		"$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" worker prod --id "w$i" --max-jobs 1 >"w$i.out" 2>"w$i.err" &
	eval "pid$i=$!"
done
wait_for w3.out "progress 100"
{ kill -9 "$pid3"; wait "$pid3"; } 2>/dev/null
finish "$pid1" 300; rc1=$?; finish "$pid2" 300; rc2=$?
is "w1 and w2 finish the job: exit 0" "$rc1$rc2" "00"
is "job: succeeded" "$(field "$job" status)" "succeeded"
run W run prod "m/0003_check_$s.c" --yes --dir m --no-stamp
has "every car at least once" "$out" "cars=$N counter0=0"
has "at most twice (the batch in hand of the dead worker)" "$out" "counter3+=0"
has "w3's segment taken over" "$(cat w1.err w2.err)" "taken over from worker w3"
runid=$(field "$job" run)
hist=$(W history prod "0002_counter_$s" --json)
is "ledger: succeeded" "$(json status <<<"$hist")" "succeeded"
is "ledger: written = cars changed" "$(json written <<<"$hist")" "$N"
run W log "$runid" prod
for i in 1 2 3; do has "log: worker w$i's lines" "$out" "[w$i]"; done
W table drop "$CARS_TABLE" --yes >/dev/null 2>&1 || true
