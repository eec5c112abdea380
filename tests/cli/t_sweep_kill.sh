# t_sweep_kill.sh - kill -9 of the runner at random points of one run,
# resumed after each (issue 9, sweeps).  On SQLite and, when dynalite runs,
# on DynamoDB: seed SWEEP_N cars, run a migration that adds 1 to each car's
# counter, kill the runner (its child dies with it) SWEEP_POINTS times at a
# random item of each resumed run, then run it to the end.  Then: no car
# lost (counter 0) on either backend, none doubled (counter 2) on SQLite,
# where a page's writes and its checkpoint commit together; on DynamoDB a
# batch written but not checkpointed is transformed again (once per kill
# that finds it so), so doubles are counted and reported, not failed.  The ledger's written counters summed
# over the runs never exceed the cars changed.
# Small in `make test` (5,000 cars, 3 points); `make sweep` runs 200,000
# cars and 20 points (SWEEP_N, SWEEP_POINTS).
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data/migrations
N=${SWEEP_N:-5000}
P=${SWEEP_POINTS:-3}
s=$$
mkdir -p m
cp "$D/seed.c" "m/0001_seed_$s.c"
cp "$D/counter.c" "m/0002_counter_$s.c"
cp "$D/check.c" "m/0003_check_$s.c"

# The sum of `written` over the runs of the counter migration (history --json).
written_sum() {
	"$@" history dev "0002_counter_$s" --json | sed -n 's/.*"written": \([0-9]*\).*/\1/p' |
		awk '{t += $1} END {print t + 0}'
}

# sweep LABEL SLOW_US DOUBLES_OK W...: the whole sweep on one target.
sweep() {
	local label=$1 slow=$2 doubles_ok=$3
	shift 3
	local every=$(( N / (20 * (P + 1)) )) kills=0
	[ "$every" -ge 1 ] || every=1
	SEED_N=$N "$@" run dev "m/0001_seed_$s.c" >/dev/null 2>&1
	for i in $(seq "$P"); do
		# a random mark within this resumed run's share of the items
		local mark=$(( (RANDOM % 19 + 1) * every ))
		rm -f child.pid
		SLOW_US=$slow PROGRESS_EVERY=$every "$@" run dev "m/0002_counter_$s.c" >"run$i.out" 2>&1 &
		local runner=$!
		for _ in $(seq 3000); do
			grep -q "^progress $mark$" "run$i.out" 2>/dev/null && break
			kill -0 "$runner" 2>/dev/null || break
			sleep 0.01
		done
		if kill -9 "$runner" 2>/dev/null; then kills=$((kills + 1)); fi
		wait "$runner" 2>/dev/null
		# the child dies with its runner (PR_SET_PDEATHSIG): wait until it is gone
		for _ in $(seq 100); do
			[ -s child.pid ] && kill -0 "$(cat child.pid)" 2>/dev/null || break
			sleep 0.05
		done
	done
	is "$label: the runner was killed $P times" "$kills" "$P"
	run "$@" run dev "m/0002_counter_$s.c"
	is "$label: the last resume ends: exit 0" "$rc" 0
	run "$@" run dev "m/0003_check_$s.c"
	echo "# $label: $N cars, $P kills: $out"
	has "$label: no car lost" "$out" "cars=$N counter0=0 "
	if [ "$doubles_ok" = 0 ]; then
		has "$label: no car doubled" "$out" "counter1=$N counter2=0 counter3+=0"
	else
		local c2 c3
		c2=$(sed -n 's/.*counter2=\([0-9]*\).*/\1/p' <<<"$out")
		c3=$(sed -n 's/.*counter3+=\([0-9]*\).*/\1/p' <<<"$out")
		echo "# $label: $c2 car(s) transformed twice, $c3 three times or more (written, not yet checkpointed, when the runner died)"
	fi
	local sum=$(written_sum "$@")
	echo "# $label: the ledger's written counters sum to $sum for $N cars changed"
	# Equal once a killed run's counters are committed with its checkpoints
	# (issue 9, item 3); until then a killed run's row may say 0.
	[ "$doubles_ok" = 1 ] || ok "$label: the ledger never counts more than was written ($sum <= $N)" '[ "$sum" -le "$N" ]'
}

[ -n "${SWEEP_KEEP:-}" ] && trap "echo kept $T" EXIT
only=${SWEEP_ONLY:-}  # sqlite or dynamodb: one half only
[ "$only" = dynamodb ] || sweep sqlite "${SWEEP_SLOW_US:-50}" 0 "$WHIMBREL"
if [ "$only" = sqlite ]; then
	:
elif [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	export CARS_TABLE="cars_sweep_$s"
	sweep dynamodb 0 1 "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" # a command, not a function: $! is its pid
else
	skip "dynamodb: kill -9 sweep" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
