# t_run_truth.sh - the ledger says what became of a run (issue 9, items 1,
# 2 and 4): a program that exits 0 midway (from its callback) or returns
# without wb_run_begin/wb_run_end has failed ("exited without wb_run_end"),
# keeps its checkpoints (the next run resumes) and, on prod, is not stamped;
# a program returning 130 without any signal is not "interrupted"; a
# callback that fails once stops the run with its error on SQLite and on
# DynamoDB, each item seen once; a run whose output cannot be written
# (stdout on a full disk) exits 1 and is recorded failed.
. "$(dirname "$0")/lib.sh"
N=3000
copy_migrations m seed quits no_begin check flaky
json() { "$WHIMBREL" "$@" --json; }
checkpoints() { "$WHIMBREL" scan whimbrel_checkpoints | grep -c "\"$1\"" ; }

SEED_N=$N "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
run "$WHIMBREL" run dev m/0004_check.c
has "seeded $N cars" "$out" "cars=$N counter0=$N"

# --- 1. exit(0) from the callback at item 2500.
QUIT_AFTER=2500 run "$WHIMBREL" run dev m/0002_quits.c
is "exit(0) midway: exit 1" "$rc" 1
has "exit(0) midway: says why" "$err" "exited with status 0 without wb_run_end"
is "exit(0) midway: ledger failed" "$(json history dev 0002_quits | jfield 1 status)" failed
has "exit(0) midway: ledger error" "$(json history dev 0002_quits | jfield 1 error)" "without wb_run_end"
ok "exit(0) midway: checkpoints kept" '[ "$(checkpoints 0002_quits)" -gt 0 ]'
written=$(json history dev 0002_quits | jfield 1 written)
run "$WHIMBREL" run dev m/0004_check.c
has "exit(0) midway: the ledger's written is what was committed ($written)" "$out" "counter1=$written "
sleep 1 # run ids of one second sort by their random part: keep the history in order
run "$WHIMBREL" run dev m/0002_quits.c
is "rerun: exit 0" "$rc" 0
has "rerun: resumes the failed run" "$err" "resuming run"
is "rerun: succeeded" "$(json history dev 0002_quits | jfield 2 status)" succeeded
scanned=$(json history dev 0002_quits | jfield 2 scanned)
is "rerun: did the rest ($written + $scanned)" "$((written + scanned))" "$N"
run "$WHIMBREL" run dev m/0004_check.c
has "exit(0) midway then rerun: every car exactly once" "$out" "cars=$N counter0=0 counter1=$N counter2=0"

# --- main returning 0, then 130, without wb_run_begin/wb_run_end.
run "$WHIMBREL" run dev m/0003_no_begin.c
is "main returns 0 without wb_run_end: exit 1" "$rc" 1
has "main returns 0 without wb_run_end: says why" "$err" "without wb_run_end"
is "main returns 0 without wb_run_end: ledger failed" "$(json history dev 0003_no_begin | jfield 1 status)" failed
sleep 1
RET=130 run "$WHIMBREL" run dev m/0003_no_begin.c
is "main returns 130: exit 1" "$rc" 1
is "main returns 130: ledger failed, not interrupted" "$(json history dev 0003_no_begin | jfield 2 status)" failed
has "main returns 130: the status is in the error" "$(json history dev 0003_no_begin | jfield 2 error)" "status 130"
is "main returns 130: exit code kept" "$(json history dev 0003_no_begin | jfield 2 exit_code)" 130

# --- prod: a run without wb_run_end is not stamped.
copy_migrations m 0006_prod_no_begin=no_begin
run "$WHIMBREL" --db "sqlite:$T/prod.db" run prod m/0006_prod_no_begin.c --yes --allow-dirty --dir m
is "prod without wb_run_end: exit 1" "$rc" 1
ok "prod without wb_run_end: header not stamped" 'grep -q "^ \* Execution Time:$" m/0006_prod_no_begin.c'

# --- 2. a callback failing once, on SQLite.
pos=$("$WHIMBREL" scan cars | grep -n '"car-000700"' | cut -d: -f1)
run "$WHIMBREL" run dev m/0005_flaky.c --threads 1
is "flaky callback (sqlite): exit 1" "$rc" 1
has "flaky callback (sqlite): names the item" "$err" "car-000700"
has "flaky callback (sqlite): the callback's error" "$err" "callback failed with -9"
has "flaky callback (sqlite): each item seen once, up to the failing one" "$out" "calls=$pos"
is "flaky callback (sqlite): ledger failed" "$(json history dev 0005_flaky | jfield 1 status)" failed
has "flaky callback (sqlite): ledger error" "$(json history dev 0005_flaky | jfield 1 error)" "car-000700"
is "flaky callback (sqlite): one failed item" "$(json history dev 0005_flaky | jfield 1 failed)" 1

# --- 2. the same on DynamoDB (dynalite).
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
	s=$$
	export CARS_TABLE="cars_truth_$s"
	copy_migrations m 0011_seed_$s=seed 0012_flaky_$s=flaky
	SEED_N=1000 W run dev "m/0011_seed_$s.c" >/dev/null 2>&1
	pos=$(W scan "$CARS_TABLE" | grep -n '"car-000700"' | cut -d: -f1)
	run W run dev "m/0012_flaky_$s.c" --threads 1
	is "flaky callback (dynamodb): exit 1" "$rc" 1
	has "flaky callback (dynamodb): names the item" "$err" "car-000700"
	has "flaky callback (dynamodb): each item seen once, up to the failing one" "$out" "calls=$pos"
	is "flaky callback (dynamodb): ledger failed" "$(W history dev "0012_flaky_$s" --json | jfield 1 status)" failed
	has "flaky callback (dynamodb): ledger error" "$(W history dev "0012_flaky_$s" --json | jfield 1 error)" "car-000700"
	W table drop "$CARS_TABLE" --yes >/dev/null 2>&1 || true
	unset CARS_TABLE
else
	skip "flaky callback (dynamodb)" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi

# --- 4. stdout on a full disk: exit 1 and the ledger agrees.
if [ -w /dev/full ]; then
	copy_migrations m 0007_check_full=check
	"$WHIMBREL" run dev m/0007_check_full.c >/dev/full 2>full.err
	is "stdout full: exit 1" "$?" 1
	is "stdout full: ledger failed" "$(json history dev 0007_check_full | jfield 1 status)" failed
	has "stdout full: says why" "$(json history dev 0007_check_full | grep '"error":')" "output to stdout"
	has "stdout full: says so on stderr" "$(cat full.err)" "stdout"
else
	skip "stdout full" "no /dev/full"
fi
