# t_run_conflict.sh - writes whose condition fails because the item changed
# between its read and its write (tests/data/migrations/conflict.c changes
# some cars itself, through the run's own handle): changed once, the run
# writes the fresh copy and succeeds; changed before every attempt, the run
# fails with a message naming the item.  The ledger counts the conditions
# failed (history and --json).  On SQLite (generic path) and, when
# the suite started it, on dynalite.
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data/migrations
s=$$   # migration names unique on a shared server
mkdir -p m
cp "$D/seed.c" "m/0001_seed_$s.c"
cp "$D/conflict.c" "m/0002_conflict_$s.c"
cp "$D/conflict.c" "m/0003_conflict_always_$s.c"
export WHIMBREL_EACH_GENERIC=1 SEED_N=20

on() {  # NAME [--db URL]: the same checks on one target
	local name=$1; shift
	W() { "$WHIMBREL" "$@"; }
	[ $# -gt 0 ] && W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
	W run dev "m/0001_seed_$s.c" --no-stamp >/dev/null 2>&1
	run W run dev "m/0002_conflict_$s.c" --threads 1 --no-stamp
	is "$name: cars changed once between read and write: exit 0" "$rc" 0
	has "$name: every car written" "$err" "20 scanned, 20 written"
	run W scan "${CARS_TABLE:-cars}"
	is "$name: every car priced" "$(grep -c '"price"' <<<"$out")" 20
	is "$name: the other writer's change kept" "$(grep -c '"touched"' <<<"$out")" 3
	run W history dev "0002_conflict_$s" --json
	has "$name: the ledger counts the 3 failed conditions" "$out" '"conditions_failed": 3,'
	has "$name: and no retries" "$out" '"retries": 0,'
	run W history dev "0002_conflict_$s"
	has "$name: history shows them" "$out" "CONDFAILED"
	ok "$name: history's row" 'grep succeeded <<<"$out" | grep -qE " 0 +0 +3$"'
	run env CONFLICT_ALWAYS=1 CONFLICT_N=1 "$WHIMBREL" ${1:+--db "$WB_TEST_DYNAMODB_URL"} \
		run dev "m/0003_conflict_always_$s.c" --threads 1 --no-stamp
	is "$name: a car changed before every attempt: exit 1" "$rc" 1
	has "$name: the message names the car" "$err" \
		'kept failing its conditions (51 attempts), the last on item {"id":{"S":"car-000000"}}'
	has "$name: the end of the run says how many conditions failed" "$err" "51 failed conditions"
	run W history dev "0003_conflict_always_$s" --json
	has "$name: so does the ledger" "$out" '"conditions_failed": 51,'
}

on sqlite
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	export CARS_TABLE="cars_conflict_$s"
	on dynamodb --db
	"$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" table drop "$CARS_TABLE" --yes >/dev/null 2>&1 || true
else
	echo "ok $((n + 1)) - # SKIP dynamodb: WB_TEST_DYNAMODB_URL not set (no dynalite)"; n=$((n + 1))
fi
echo "1..$n"
