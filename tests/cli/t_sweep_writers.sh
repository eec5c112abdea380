# t_sweep_writers.sh - an application writing the same items during a
# migration, on SQLite and (when dynalite runs) on DynamoDB (issue 9,
# sweeps).  The migration adds 1 to every car's counter; meanwhile
# tests/data/sweep/app_writer.c sets `app` on random cars, an update that
# touches nothing else.  Afterwards no write of either is lost: every
# car's counter is 1 (the migration's write kept, not doubled), and every
# car the application wrote holds the application's last value.
# The application writes about 2,000 times a second.  (Unpaced, some 20,000
# a second on 2,000 cars, the SQLite run's generic path fails after 51
# attempts of a batch of 100 whose items keep changing: a clean failure,
# nothing lost, but no progress; batches retry as a whole.)
# Small in `make test` (2,000 cars); SWEEP_FULL=1 (`make sweep`) 20,000.
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data/migrations
N=2000
[ -n "${SWEEP_FULL:-}" ] && N=20000
s=$$
mkdir -p m
cp "$D/seed.c" "m/0001_seed_$s.c"
cp "$D/counter.c" "m/0002_counter_$s.c"
cp "$D/check.c" "m/0003_check_$s.c"
san=""
[ -n "${WB_SANITIZE:-}" ] && san="-fsanitize=address,undefined"
if ! cc -std=gnu11 $san -I"$WB_BUILD/include" "$WB_ROOT/tests/data/sweep/app_writer.c" \
	"$WB_BUILD/lib/libwhimbrel.a" -lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm -o app_writer 2>cc.err; then
	skip_all "cannot build the application writer: $(head -1 cc.err)"
fi

# writers LABEL URL SLOW_US: the sweep on one target.
writers() {
	local label=$1 url=$2 slow=$3
	SEED_N=$N "$WHIMBREL" --db "$url" run dev "m/0001_seed_$s.c" >/dev/null 2>&1
	rm -f stop app.out
	./app_writer "$url" "${CARS_TABLE:-cars}" "$N" stop app.out 2>app.err &
	local app=$!
	SLOW_US=$slow "$WHIMBREL" --db "$url" run dev "m/0002_counter_$s.c" >mig.out 2>mig.err
	local mrc=$?
	touch stop
	wait "$app"
	local arc=$?
	is "$label: the migration ends: exit 0" "$mrc" 0
	is "$label: the application ends: exit 0" "$arc" 0
	run "$WHIMBREL" --db "$url" run dev "m/0003_check_$s.c"
	has "$label: the migration's write kept on every car, once" "$out" "cars=$N counter0=0 counter1=$N counter2=0"
	"$WHIMBREL" --db "$url" export "${CARS_TABLE:-cars}" --format plain |
		sed -n 's/.*"id":"car-0*\([0-9][0-9]*\)".*"app":\([0-9]*\).*/\1 \2/p; s/.*"app":\([0-9]*\).*"id":"car-0*\([0-9][0-9]*\)".*/\2 \1/p' |
		sort -n >stored.txt
	sort -n app.out >wrote.txt
	local writes=$(awk '{t += $2} END {print t + 0}' wrote.txt)
	echo "# $label: $N cars; the application wrote $writes times to $(wc -l <wrote.txt) of them during the migration"
	ok "$label: the application wrote during the migration" '[ "$writes" -gt 0 ]'
	ok "$label: every application write kept (its last value on each car)" 'cmp -s stored.txt wrote.txt'
}

writers sqlite "sqlite:$T/w.db" 100
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	export CARS_TABLE="cars_writers_$s"
	writers dynamodb "$WB_TEST_DYNAMODB_URL" 0
else
	skip "dynamodb: an application writing during a migration" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
