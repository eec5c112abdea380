# t_run_dead.sh - kill -9 of the runner (issue 9, item 3): the counters of
# what the dead run committed are kept with its checkpoints, so the next
# run records them (not 0 scanned, 0 written, 0 ms); `status` says the
# dead run's runner is gone meanwhile (its process no longer exists on this
# host) instead of `running`; the dead prod run is stamped into the header
# (failed) by the run that takes over, which resumes and completes it.
. "$(dirname "$0")/lib.sh"
N=20000
P() { "$WHIMBREL" --db "sqlite:$T/prod.db" "$@"; }
json() { P history prod "$1" --json; }
copy_migrations migrations seed counter check

SEED_N=$N P run prod migrations/0001_seed.c --yes --allow-dirty >/dev/null 2>&1
SLOW_US=100 PROGRESS_EVERY=5000 "$WHIMBREL" --db "sqlite:$T/prod.db" run prod migrations/0002_counter.c --yes --allow-dirty >run1.out 2>&1 &
runner=$!
wait_for run1.out "progress 5000"; ok "first run makes progress" '[ $? -eq 0 ]'
kill -9 "$runner"
wait "$runner" 2>/dev/null
sleep 0.5

run P status prod
ok "status: the dead run is not shown running" 'grep 0002_counter <<<"$out" | grep -q " dead "'
has "status: says its runner is dead, and why" "$out" "its process $runner is gone on this host"
run P run prod migrations/0003_check.c --yes --allow-dirty
committed=$(sed -n 's/.* counter1=\([0-9]*\) .*/\1/p' <<<"$out")
ok "some items were committed before the kill ($committed)" '[ "${committed:-0}" -gt 0 ] && [ "$committed" -lt $N ]'

sleep 1 # run ids of one second sort by their random part: keep the history in order
run P run prod migrations/0002_counter.c --yes --allow-dirty
is "second run: exit 0" "$rc" 0
has "second run: takes over the dead holder's lease" "$err" "took over the lease of 0002_counter"
has "second run: resumes" "$err" "resuming run"
has "second run: stamps the dead run" "$err" "stamped the dead run"
is "dead run: failed" "$(json 0002_counter | jfield 1 status)" failed
is "dead run: scanned = what it committed" "$(json 0002_counter | jfield 1 scanned)" "$committed"
is "dead run: written = what it committed" "$(json 0002_counter | jfield 1 written)" "$committed"
ok "dead run: its duration is recorded" '[ "$(json 0002_counter | jfield 1 duration_ms)" -gt 0 ]'
second=$(json 0002_counter | jfield 2 scanned)
is "second run: did the rest ($committed + $second)" "$((committed + second))" "$N"
is "header: the dead run's pair, then the second run's" \
	"$(grep -c '^ \* Execution Time: 20' migrations/0002_counter.c)" 2
ok "header: the dead run is stamped failed" 'grep -q "^ \* Finalization Time: .* (failed)$" migrations/0002_counter.c'
run P run prod migrations/0003_check.c --yes --allow-dirty
has "every car transformed exactly once" "$out" "cars=$N counter0=0 counter1=$N counter2=0 counter3+=0"

# --- the same on DynamoDB (dynalite): the checkpoint's own write carries the
# counters, after the batch: what a dead run counted was written (an item
# written but not yet checkpointed is visited again, never lost).
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
	s=$$
	export CARS_TABLE="cars_dead_$s"
	copy_migrations migrations 0021_seed_$s=seed 0022_counter_$s=counter 0023_check_$s=check
	SEED_N=3000 W run dev "migrations/0021_seed_$s.c" >/dev/null 2>&1
	SLOW_US=1000 PROGRESS_EVERY=1000 "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" run dev \
		"migrations/0022_counter_$s.c" --threads 1 >run2.out 2>&1 &
	runner=$!
	wait_for run2.out "progress 1000"
	kill -9 "$runner"
	wait "$runner" 2>/dev/null
	sleep 0.5
	run W status dev
	ok "dynamodb: status shows the run dead" 'grep "0022_counter_$s" <<<"$out" | grep -q " dead "'
	run W run dev "migrations/0023_check_$s.c"
	changed=$(sed -n 's/.* counter1=\([0-9]*\) .*/\1/p' <<<"$out")
	sleep 1
	run W run dev "migrations/0022_counter_$s.c"
	is "dynamodb: second run: exit 0" "$rc" 0
	dead_written=$(W history dev "0022_counter_$s" --json | jfield 1 written)
	is "dynamodb: dead run: failed" "$(W history dev "0022_counter_$s" --json | jfield 1 status)" failed
	ok "dynamodb: dead run: its written counter is what it checkpointed (0 < $dead_written <= $changed)" \
		'[ "$dead_written" -gt 0 ] && [ "$dead_written" -le "$changed" ]'
	run W run dev "migrations/0023_check_$s.c"
	has "dynamodb: no car lost" "$out" "cars=3000 counter0=0 "
	W table drop "$CARS_TABLE" --yes >/dev/null 2>&1 || true
else
	skip "the same on DynamoDB" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
