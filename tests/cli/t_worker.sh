# t_worker.sh - batch runs on SQLite: `schedule` and `worker`.  Three worker
# processes share one job and one of them is killed -9 midway: its segment
# is taken over once its lease expired and resumed from its checkpoint,
# every car is transformed exactly once, the ledger's counters equal the
# cars changed, and the logs of all three workers are read back with
# `log`.  Also: --once with nothing due exits 0 at once; a job due later
# does not run early; a job past its --timeout is stopped and recorded as
# timed out; a failing job is tried --attempts times; SIGTERM hands the
# segment back with its checkpoint; cancel, also of a running job; `status`
# shows the segments.
# Size: WB_WORKER_N cars (20000; `make test-batch-full` runs 100000).
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null 2>&1 || skip_all "git is not installed"
N=${WB_WORKER_N:-20000}
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
export WHIMBREL_LEASE_SECONDS=3 WHIMBREL_BATCH=50
W() { "$WHIMBREL" "$@"; }
json() { python3 -c "import json,sys; r=json.load(sys.stdin); print(r[-1].get('$1',''))"; }
job_of() { awk '/^scheduled /{sub(":","",$2); print $2}' <<<"$1"; }
field() { W schedule show "$1" | awk -v f="$2:" '$1==f{ $1=""; sub(/^ /,""); print }'; }
ms() { date +%s%3N; }

g init -q .
copy_migrations m seed counter check fails 0005_slow=counter
g add m && g commit -qm migrations
SEED_N=$N W run prod m/0001_seed.c --yes --dir m --no-stamp >/dev/null 2>&1
SEED_N=1000 CARS_TABLE=slow W run prod m/0001_seed.c --yes --dir m --no-stamp >/dev/null 2>&1

# --once with nothing due exits 0 at once.
t0=$(ms); run W worker prod --once; t1=$(ms)
is "nothing due: --once exits 0" "$rc" 0
ok "nothing due: at once (under 2 s)" '[ $((t1 - t0)) -lt 2000 ]'

# A job due later does not run early.
run W schedule prod m/0002_counter.c --at 2099-01-01T00:00:00Z --workers 3
is "schedule --at: exit 0" "$rc" 0
has "schedule --at: says when, in UTC" "$out" "due 2099-01-01 00:00:00 UTC"
later=$(job_of "$out")
t0=$(ms); run W worker prod --once; t1=$(ms)
is "future job: --once exits 0" "$rc" 0
ok "future job: at once" '[ $((t1 - t0)) -lt 2000 ]'
is "future job: still scheduled" "$(field "$later" status)" "scheduled"
run W run prod m/0003_check.c --yes --dir m --no-stamp
has "future job: no car touched" "$out" "cars=$N counter0=$N counter1=0"
run W schedule cancel "$later"
is "cancel: exit 0" "$rc" 0
is "cancel: cancelled" "$(field "$later" status)" "cancelled"
run W schedule cancel "$later"
is "cancel twice: one line" "$err" "whimbrel: job $later is cancelled already: nothing to cancel"

# Three workers share one job; one of them is killed -9 midway.
run W schedule prod m/0002_counter.c --now --workers 3
job=$(job_of "$out")
has "schedule --now: 3 workers" "$out" "3 workers"
# 12 segments of N/12 cars; about 12 s of callbacks in all; w3 dies 300 cars into a segment.
for i in 1 2 3; do
	SLOW_US=$((12000000 / N)) PROGRESS_EVERY=300 \
		"$WHIMBREL" worker prod --id "w$i" --max-jobs 1 >"w$i.out" 2>"w$i.err" &
	eval "pid$i=$!"
done
wait_for w3.out "progress 300"
{ kill -9 "$pid3"; wait "$pid3"; } 2>/dev/null
run W status prod
has "status: the running job" "$out" "job $job"
has "status: segments by worker" "$out" "running"
finish "$pid1" 120; rc1=$?; finish "$pid2" 120; rc2=$?
is "w1 and w2 finish the job: exit 0" "$rc1$rc2" "00"
is "job: succeeded" "$(field "$job" status)" "succeeded"
run W run prod m/0003_check.c --yes --dir m --no-stamp
has "every car exactly once" "$out" "cars=$N counter0=0 counter1=$N counter2=0 counter3+=0"
has "w3's segment taken over" "$(cat w1.err w2.err)" "taken over from worker w3"
runid=$(field "$job" run)
hist=$(W history prod 0002_counter --json)
is "ledger: the job's run succeeded" "$(json status <<<"$hist")" "succeeded"
is "ledger: the job's run id" "$(json run_id <<<"$hist")" "$runid"
is "ledger: written = cars changed" "$(json written <<<"$hist")" "$N"
is "ledger: scanned = cars" "$(json scanned <<<"$hist")" "$N"
is "ledger: the commit" "$(json commit <<<"$hist")" "$(git rev-parse HEAD)"
run W log "$runid" prod
is "log: exit 0" "$rc" 0
for i in 1 2 3; do has "log: worker w$i's lines" "$out" "[w$i]"; done
has "log: the take-over" "$out" "taken over from worker w3"
run W log "$runid" prod --follow
is "log --follow of a finished run: exit 0" "$rc" 0

# --timeout stops a job and records it.
run W schedule prod m/0005_slow.c --now --timeout 2s
slowjob=$(job_of "$out")
t0=$(ms); CARS_TABLE=slow SLOW_US=20000 run W worker prod --once --id wt; t1=$(ms)
is "timeout: worker exits 0" "$rc" 0
ok "timeout: stopped within a few seconds" '[ $((t1 - t0)) -lt 8000 ]'
is "timeout: job timed out" "$(field "$slowjob" status)" "timed out"
hist=$(W history prod 0005_slow --json)
is "timeout: the run failed" "$(json status <<<"$hist")" "failed"
has "timeout: the run says why" "$(json error <<<"$hist")" "timed out after 2.0s"

# A failing job is tried --attempts times.
run W schedule prod m/0004_fails.c --now --attempts 3
failjob=$(job_of "$out")
run W worker prod --once --id wf
is "attempts: worker exits 0" "$rc" 0
is "attempts: job failed" "$(field "$failjob" status)" "failed"
is "attempts: 3 of 3" "$(field "$failjob" attempt)" "3 of 3"
is "attempts: three failed runs" "$(W history prod 0004_fails --json | python3 -c 'import json,sys; print(sum(r["status"]=="failed" for r in json.load(sys.stdin)))')" 3

# SIGTERM: the batch in hand is finished, the segment handed back; another worker completes it.
run W schedule prod m/0005_slow.c --now --workers 1
termjob=$(job_of "$out")
CARS_TABLE=slow SLOW_US=2000 "$WHIMBREL" worker prod --id ws >ws.out 2>ws.err &
ws=$!
wait_for ws.err "segment .* claimed"
sleep 0.5
kill -TERM "$ws"
wait "$ws"
is "SIGTERM: exit 0" "$?" 0
has "SIGTERM: handed back" "$(cat ws.err)" "handed back"
CARS_TABLE=slow run W worker prod --once --id wz
is "after SIGTERM: the job succeeds" "$(field "$termjob" status)" "succeeded"
CARS_TABLE=slow run W run prod m/0003_check.c --yes --dir m --no-stamp
has "after SIGTERM: every slow car once (one timed-out pass before)" "$out" "counter0=0"
# Cancelling a running job stops its worker within a heartbeat; its run ends as interrupted.
run W schedule prod m/0005_slow.c --now
canceljob=$(job_of "$out")
CARS_TABLE=slow SLOW_US=10000 WHIMBREL_BATCH=5 "$WHIMBREL" worker prod --once --id wc >wc.out 2>wc.err &
wc=$!
wait_for wc.err "segment .* claimed"
run W schedule cancel "$canceljob"
is "cancel a running job: exit 0" "$rc" 0
finish "$wc" 30
is "cancel: the worker stops and exits 0" "$?" 0
has "cancel: the worker says why it stopped" "$(cat wc.err)" "no longer running this attempt"
hist=$(W history prod 0005_slow --json)
is "cancel: the run was interrupted" "$(json status <<<"$hist")" "interrupted"
is "cancel: the run says why" "$(json error <<<"$hist")" "job $canceljob was cancelled"
is "cancel: the job stays cancelled" "$(field "$canceljob" status)" "cancelled"

run W schedule list
has "list: the jobs" "$out" "$termjob"
run W schedule show nosuchjob
is "show an unknown job: one line" "$err" "whimbrel: no job nosuchjob in the target (see \`whimbrel schedule list\`)"
run W schedule prod m/0002_counter.c --at "tomorrow"
is "bad --at: usage" "$rc" 2
clean1 "bad --at: one line" "$err"
run W schedule prod m/0002_counter.c --now --timeout 5x
is "bad --timeout: usage" "$rc" 2
