# t_run_dynamodb.sh - the runner on the DynamoDB backend (dynalite, when
# scripts/run-tests.sh started it): run, plan (data unchanged), the lease,
# Ctrl-C and resume with every item transformed exactly once, status.
. "$(dirname "$0")/lib.sh"
need_dynamodb
D=$WB_ROOT/tests/data/migrations
W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
export CARS_TABLE="cars_run_$$"
N=3000
s=$$   # migration names unique on the shared server
mkdir -p m
cp "$D/seed.c" "m/0001_seed_$s.c"
cp "$D/counter.c" "m/0002_counter_$s.c"
cp "$D/check.c" "m/0003_check_$s.c"
cp "$D/reshape.c" "m/0004_reshape_$s.c"

SEED_N=$N W run dev "m/0001_seed_$s.c" >/dev/null 2>&1
run W run dev "m/0002_counter_$s.c"
is "run: exit 0" "$rc" 0
has "run: counters" "$err" "$N scanned, $N written, 0 deleted, 0 unchanged, 0 failed"
run W run dev "m/0003_check_$s.c"
has "run: every item once" "$out" "cars=$N counter0=0 counter1=$N counter2=0"

W export "$CARS_TABLE" | sort >before.jsonl
run W plan dev "m/0004_reshape_$s.c" --diffs 1
is "plan: exit 0" "$rc" 0
has "plan: counts" "$out" "would be written"
W export "$CARS_TABLE" | sort >after.jsonl
ok "plan: data unchanged" 'cmp -s before.jsonl after.jsonl && [ "$(wc -l <after.jsonl)" -eq $N ]'

W item put whimbrel_locks "{\"migration\":\"0002_counter_$s\",\"holder\":\"h:1:R\",\"host\":\"h\",\"pid\":1,\"run_id\":\"R\",\"acquired\":1,\"expires\":9999999999,\"heartbeat\":1}" >/dev/null
run W run dev "m/0002_counter_$s.c"
is "lease held: exit 3" "$rc" 3
has "lease held: names the holder" "$err" "h:1:R"
W unlock "0002_counter_$s" >/dev/null

SLOW_US=2000 PROGRESS_EVERY=300 "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" run dev "m/0002_counter_$s.c" >int.out 2>&1 &
runner=$!
wait_for int.out "progress 300"
kill -INT "$runner"
wait "$runner"
is "Ctrl-C: exit 130" "$?" 130
run W run dev "m/0002_counter_$s.c"
is "resume: exit 0" "$rc" 0
has "resume: resumes" "$err" "resuming run"
run W run dev "m/0003_check_$s.c"
has "Ctrl-C and resume: every item exactly once more" "$out" "cars=$N counter0=0 counter1=0 counter2=$N counter3+=0"

run W status dev --dir m
ok "status: the counter succeeded" 'grep "0002_counter_$s" <<<"$out" | grep -q succeeded'
W table drop "$CARS_TABLE" --yes >/dev/null 2>&1 || true
