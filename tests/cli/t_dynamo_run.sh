#!/usr/bin/env bash
# t_dynamo_run.sh - the runner, unchanged, on the DynamoDB backend (dynalite).
#
# Each part starts its own dynalite (scripts/dynalite.sh) so that the
# reserved whimbrel_* tables and the cars table start empty:
#   1. `run prod` of the cars example with prod on dynalite: every car
#      priced, the run recorded, the header stamped;
#   2. kill -9 of the runner in the middle of a migration, then `run` again:
#      the lease is taken over, the run resumes from its checkpoints and
#      every item ends transformed;
#   3. two concurrent runs of one migration: one runs, the other is refused
#      (exit 3) naming the holder;
#   4. a 20,000-item migration through tests/interop/faultproxy.mjs
#      (throttling, 500s, dropped connections, partial UnprocessedItems,
#      writes carried out whose answer is lost): every item transformed
#      exactly once, and the retry counters of the migration's handles and
#      the run's ledger row show the faults were met.
# Skipped (ok 1 - t_dynamo_run # SKIP) when WB_TEST_DYNAMODB_URL is unset.
. "$(dirname "$0")/lib.sh"
need_dynamodb
E=$WB_ROOT/examples
json() { "$WHIMBREL" history prod "$1" --json; }

# --- 1. the cars example on prod = dynalite
dynalite_start "$T/d1"
export WHIMBREL_PROD_DB=$URL
mkdir -p ex && cp -r "$E/." ex/ && cd ex
run "$WHIMBREL" --db "$URL" table create cars --pk id
is "cars: create the table" "$rc" 0
run "$WHIMBREL" --db "$URL" import cars cars.jsonl
has "cars: import" "$out" "imported 3000 items into cars"
run "$WHIMBREL" run prod --allow-dirty migrations/0001_add_price_to_cars.c --yes
is "cars: run prod exits 0" "$rc" 0
has "cars: the run says it succeeded" "$err" "succeeded"
has "cars: 3000 written" "$err" "3000 written"
is "cars: every car has its price" "$("$WHIMBREL" --db "$URL" export cars | grep -c '"price":{"N":"0"}')" 3000
is "cars: the ledger on dynalite says succeeded" "$(json 0001_add_price_to_cars | jfield 1 status)" succeeded
ok "cars: the header is stamped" 'grep -q "Execution Time: 20" migrations/0001_add_price_to_cars.c'
run "$WHIMBREL" run prod --allow-dirty migrations/0001_add_price_to_cars.c --yes --no-stamp
is "cars: a second run changes nothing" "$(json 0001_add_price_to_cars | jfield 2 written)" 0
cd "$T"

# --- 2. kill -9 in the middle, then resume
dynalite_start "$T/d2"
export WHIMBREL_PROD_DB=$URL
N=12000
mkdir -p m2 && cd m2
copy_migrations m seed counter check
SEED_N=$N "$WHIMBREL" run prod --allow-dirty m/0001_seed.c --yes --dir m --no-stamp >/dev/null 2>&1
run "$WHIMBREL" run prod --allow-dirty m/0003_check.c --yes --dir m --no-stamp
has "resume: seeded $N cars on dynalite" "$out" "cars=$N counter0=$N"
WHIMBREL_THREADS=4 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp >run1.out 2>&1 &
runner=$!
wait_for run1.out "progress 10000"; ok "resume: the first run makes progress" '[ $? -eq 0 ]'
kill -9 "$runner"
wait "$runner" 2>/dev/null
sleep 0.5
run "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
is "resume: second run exits 0" "$rc" 0
has "resume: takes over the dead holder's lease" "$err" "took over the lease of 0002_counter"
has "resume: resumes" "$err" "resuming run"
scanned=$(json 0002_counter | jfield 2 scanned)
ok "resume: the second run scanned fewer items ($scanned < $N)" '[ "$scanned" -gt 0 ] && [ "$scanned" -lt $N ]'
run "$WHIMBREL" run prod --allow-dirty m/0003_check.c --yes --dir m --no-stamp
has "resume: every car transformed" "$out" "cars=$N counter0=0 counter1="
# On DynamoDB a batch (the items' conditional writes, then the checkpoint)
# is not atomic: the items of the batches in flight when the runner was
# killed were written but not checkpointed, and are transformed again on
# resume.  At most threads x batch (4 x 500) of them; none a third time.
twice=$(printf '%s\n' "$out" | sed -n 's/.*counter2=\([0-9]*\).*/\1/p')
echo "# resume: $twice of $N cars transformed twice (batches in flight at the kill)"
ok "resume: only items of the batches in flight transformed twice ($twice <= 2000)" '[ "$twice" -le 2000 ]'
has "resume: no car transformed three times" "$out" "counter3+=0"
is "resume: lease released" "$("$WHIMBREL" --db "$URL" scan whimbrel_locks | wc -l)" 0
cd "$T"

# --- 3. two concurrent runs: one is refused
dynalite_start "$T/d3"
export WHIMBREL_PROD_DB=$URL
mkdir -p m3 && cd m3
copy_migrations m seed counter check
SEED_N=3000 "$WHIMBREL" run prod --allow-dirty m/0001_seed.c --yes --dir m --no-stamp >/dev/null 2>&1
SLOW_US=2000 WHIMBREL_THREADS=1 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp >first.out 2>&1 &
first=$!
for _ in $(seq 300); do [ -s child.pid ] && break; sleep 0.1; done
sleep 0.5
run "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
is "concurrent: the second run exits 3" "$rc" 3
has "concurrent: it names the holder" "$err" "is being run by $(hostname):$first:"
wait "$first"
is "concurrent: the first run succeeds" "$?" 0
run "$WHIMBREL" run prod --allow-dirty m/0003_check.c --yes --dir m --no-stamp
has "concurrent: exactly one run transformed the cars" "$out" "cars=3000 counter0=0 counter1=3000 counter2=0"
cd "$T"

# --- 4. 20,000 items through the fault proxy
dynalite_start "$T/d4"
proxy_start --throttle 0.02 --pte 0.01 --error500 0.02 --drop 0.02 --unprocessed 0.3 --drop-after 0.01 --seed 4
export WHIMBREL_PROD_DB=$PROXY
mkdir -p m4 && cd m4
copy_migrations m seed counter check 0004_counter_again=counter
run env SEED_N=20000 "$WHIMBREL" run prod --allow-dirty m/0001_seed.c --yes --dir m --no-stamp
is "faults: seeding 20000 items through the proxy succeeds" "$rc" 0
run env WHIMBREL_THREADS=8 WHIMBREL_DYNAMODB_STATS=1 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
is "faults: the migration through the proxy succeeds" "$rc" 0
has "faults: 20000 written" "$err" "20000 written"
run_id=$(json 0002_counter | jfield 1 run_id)
"$WHIMBREL" log "$run_id" prod >log.txt 2>&1 || "$WHIMBREL" log "$run_id" >log.txt 2>&1
sum() { grep -o "[0-9]* $1" log.txt | awk '{s += $1} END {print s + 0}'; }
ok "faults: throttling retried ($(sum throttled))" '[ "$(sum throttled)" -gt 0 ]'
ok "faults: 5xx retried ($(sum 5xx))" '[ "$(sum 5xx)" -gt 0 ]'
ok "faults: dropped connections retried ($(sum network))" '[ "$(sum network)" -gt 0 ]'
gaveup=$(sum "gave up")
ok "faults: nothing given up ($gaveup)" '[ "$gaveup" -eq 0 ]'
retries=$(json 0002_counter | jfield 1 retries)
throttled=$(json 0002_counter | jfield 1 throttled)
ok "faults: the ledger counts the run's retries ($retries)" '[ "$retries" -gt 0 ]'
ok "faults: and those after throttling ($throttled)" '[ "$throttled" -gt 0 ] && [ "$throttled" -le "$retries" ]'
faults=$(curl -s "http://127.0.0.1:$PPORT/__faults")
ok "faults: the proxy injected faults ($faults)" 'echo "$faults" | grep -q "\"throttle\":[1-9]"'
ok "faults: and partial batches" 'echo "$faults" | grep -q "\"unprocessed\":[1-9]"'
ok "faults: and writes whose answer was lost" 'echo "$faults" | grep -q "\"dropAfter\":[1-9]"'
run env WHIMBREL_PROD_DB="$URL" "$WHIMBREL" run prod --allow-dirty m/0003_check.c --yes --dir m --no-stamp
has "faults: every item transformed exactly once (read directly)" "$out" "cars=20000 counter0=0 counter1=20000 counter2=0 counter3+=0"
# Again: now each write's condition covers the counter it changes, so a
# write carried out whose answer was lost fails its condition on the retry,
# and must be recognised as done, not transformed a second time.
run env WHIMBREL_THREADS=8 "$WHIMBREL" run prod --allow-dirty m/0004_counter_again.c --yes --dir m --no-stamp
is "faults: a second migration through the proxy succeeds" "$rc" 0
proxy_stop
run env WHIMBREL_PROD_DB="$URL" "$WHIMBREL" run prod --allow-dirty m/0003_check.c --yes --dir m --no-stamp
has "faults: every item transformed exactly once again" "$out" "cars=20000 counter0=0 counter1=0 counter2=20000 counter3+=0"
cd "$T"
echo "1..$n"
