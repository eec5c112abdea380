# t_pace.sh - pacing and control of a run on the embedded target (issue 15):
#   1. --max-rate N holds a run to N items per second;
#   2. pause from a second process: the run makes no progress, keeps its
#      lease (a second run is refused) and `status` shows it paused with
#      its limit; resume and it finishes, the ledger says succeeded;
#   3. `limit` raises the rate of a running run;
#   4. the commands' errors: capacity units on SQLite, an unknown run, a
#      finished run, bad values;
#   5. a job: schedule --max-rate, pause JOB stops its worker's segments,
#      resume JOB and the job succeeds.
. "$(dirname "$0")/lib.sh"
copy_migrations m seed counter check
SEED_N=600 "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
running_id() { "$WHIMBREL" history dev 0002_counter --json | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["status"] == "running"]
print(r[-1]["run_id"] if r else "")'; }
progress() { grep -c '^progress' "$1" 2>/dev/null || true; }
wait_run() {  # wait until a run of 0002_counter is running; print its id
	local id=""
	for _ in $(seq 200); do id=$(running_id); [ -n "$id" ] && break; sleep 0.05; done
	echo "$id"
}

# --- 1. --max-rate
t0=$(date +%s%N)
run "$WHIMBREL" run dev m/0002_counter.c --max-rate 300
t1=$(date +%s%N)
is "max-rate: exit 0" "$rc" 0
ms=$(((t1 - t0) / 1000000))
ok "max-rate 300: 600 items take at least 1.6 s (took ${ms} ms)" '[ "$ms" -ge 1600 ]'
ok "without a limit they take under 1.6 s" '
	t0=$(date +%s%N); "$WHIMBREL" run dev m/0002_counter.c >/dev/null 2>&1; t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 1600 ]'

# --- 2. pause and resume from another process (a second later: run ids sort by the second)
sleep 1
PROGRESS_EVERY=20 "$WHIMBREL" run dev m/0002_counter.c --max-rate 100 >run2.out 2>&1 &
pid=$!
id=$(wait_run)
ok "pause: the run is running" '[ -n "$id" ]'
sleep 0.5
run "$WHIMBREL" pause "$id" dev
is "pause: exit 0" "$rc" 0
has "pause: says so" "$out" "run $id: paused"
sleep 2
a=$(progress run2.out)
sleep 2.5
b=$(progress run2.out)
is "paused: no progress in 2.5 s" "$b" "$a"
ok "paused: the child told its log" 'grep -q "paused by" run2.out'
run "$WHIMBREL" run dev m/0002_counter.c
is "paused: it keeps its lease (a second run exits 3)" "$rc" 3
run "$WHIMBREL" status dev --dir m
has "status: paused" "$out" "paused"
has "status: its limit" "$out" "limits: max-rate 100"
run "$WHIMBREL" status dev --dir m --json
has "status --json: paused" "$out" '"paused": true'
run "$WHIMBREL" resume "$id" dev
is "resume: exit 0" "$rc" 0
wait "$pid"
is "resumed: the run finishes, exit 0" "$?" 0
ok "resumed: it made progress again" '[ "$(progress run2.out)" -gt "$b" ]'
is "ledger: succeeded" "$("$WHIMBREL" history dev 0002_counter --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["status"])')" succeeded
run "$WHIMBREL" run dev m/0003_check.c
has "every car changed once per run (four runs)" "$out" "cars=600"

# --- 3. limit raises the rate of a running run
PROGRESS_EVERY=10 "$WHIMBREL" run dev m/0002_counter.c --max-rate 40 >run3.out 2>&1 &
pid=$!
id=$(wait_run)
sleep 2
a=$(progress run3.out)
run "$WHIMBREL" limit "$id" dev --max-rate 400
is "limit: exit 0" "$rc" 0
has "limit: says the new limit" "$out" "max-rate 400"
t0=$(date +%s%N)
wait "$pid"
is "limited run: exit 0" "$?" 0
ms=$((($(date +%s%N) - t0) / 1000000))
# about $((600 - 10 * a)) items were left: 10 s and more at 40/s, under 2 s at 400/s
ok "limit: the rest went at the new rate (${ms} ms for $((600 - 10 * a)) items)" '[ "$ms" -lt 6000 ]'

# --- 4. errors
run "$WHIMBREL" run dev m/0002_counter.c --max-wcu 10
is "--max-wcu on SQLite: exit 2" "$rc" 2
has "--max-wcu on SQLite: points to --max-rate" "$err" "--max-rate"
run "$WHIMBREL" run dev m/0002_counter.c --max-rate fast
is "a bad value: exit 2" "$rc" 2
run "$WHIMBREL" run dev m/0002_counter.c --capacity 150%
is "a capacity above 100%: exit 2" "$rc" 2
run "$WHIMBREL" pause 20200101T000000Z-00000000 dev
is "pause: an unknown run exits 1" "$rc" 1
has "pause: says there is no such run" "$err" "no run or job"
run "$WHIMBREL" resume "$id" dev
is "resume: a finished run exits 1" "$rc" 1
has "resume: says it is not running" "$err" "not running"
run "$WHIMBREL" pause
is "pause without a run: exit 2" "$rc" 2
for c in pause resume limit; do
	run "$WHIMBREL" "$c" --help
	has "$c --help: usage and exit codes" "$out" "Exit: 0"
done

# --- 5. a job and its worker
export WHIMBREL_PROD_DB="sqlite:$T/prod.db" WHIMBREL_LEASE_SECONDS=3
SEED_N=300 "$WHIMBREL" run prod m/0001_seed.c --allow-dirty --yes --dir m --no-stamp >/dev/null 2>&1
run "$WHIMBREL" schedule prod m/0002_counter.c --now --workers 2 --allow-dirty --max-wcu 60
is "schedule --max-wcu on SQLite: usage error" "$rc" 2
has "schedule --max-wcu on SQLite: says --max-rate" "$err" "--max-rate N"
run "$WHIMBREL" schedule list prod
ok "schedule --max-wcu on SQLite: no job recorded" '! grep -q 0002_counter <<<"$out"'
run "$WHIMBREL" schedule prod m/0002_counter.c --now --workers 2 --allow-dirty --max-rate 60
is "schedule --max-rate: exit 0" "$rc" 0
job=$(awk '/^scheduled /{sub(":","",$2); print $2}' <<<"$out")
run "$WHIMBREL" limit "$job" prod
has "the job's limits are recorded with it" "$out" "max-rate 60"
PROGRESS_EVERY=10 "$WHIMBREL" worker prod --id w1 --max-jobs 1 >w1.out 2>&1 &
pid=$!
for _ in $(seq 300); do [ "$(progress w1.out)" -ge 3 ] && break; sleep 0.1; done
run "$WHIMBREL" pause "$job" prod
is "pause JOB: exit 0" "$rc" 0
has "pause JOB: says so" "$out" "job $job: paused"
sleep 2
a=$(progress w1.out); sleep 2.5; b=$(progress w1.out)
is "paused job: its worker makes no progress" "$b" "$a"
run "$WHIMBREL" limit "$job" prod
has "limit JOB: shows it paused with its rate" "$out" "paused, limits: max-rate 60"
run "$WHIMBREL" resume "$job" prod
is "resume JOB: exit 0" "$rc" 0
wait "$pid"
is "resumed job: the worker ends, exit 0" "$?" 0
run "$WHIMBREL" schedule show "$job" prod
has "resumed job: succeeded" "$out" "succeeded"
run "$WHIMBREL" run prod m/0003_check.c --allow-dirty --yes --dir m --no-stamp
has "resumed job: every car changed once" "$out" "cars=300 counter0=0 counter1=300 counter2=0"
echo "1..$n"
