# t_run_lock.sh - one lease per migration per target.  Two concurrent
# `run prod` of one migration: exactly one runs, the other exits 3 at once
# naming the holder.  A lease left by a holder that is gone (expired, or a
# dead process of this host) is taken over with a warning; a live one on
# another host is not, until `whimbrel unlock`.
. "$(dirname "$0")/lib.sh"
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
copy_migrations m seed counter check
SEED_N=30000 "$WHIMBREL" run prod --allow-dirty m/0001_seed.c --yes --dir m --no-stamp >/dev/null 2>&1

SLOW_US=50 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp >first.out 2>&1 &
first=$!
wait_for first.out "progress 10000"
start=$(date +%s)
run "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
took=$(( $(date +%s) - start ))
is "second concurrent run: exit 3" "$rc" 3
has "second run: names the holder" "$err" "is being run by $(hostname):$first:"
has "second run: says since when" "$err" "since 20"
ok "second run: fails at once (${took}s)" '[ "$took" -le 3 ]'
is "second run: not recorded as a run" "$("$WHIMBREL" history prod 0002_counter --json | grep -c '"run_id"')" 1
wait "$first"
is "first run: succeeded" "$?" 0
run "$WHIMBREL" run prod --allow-dirty m/0003_check.c --yes --dir m --no-stamp
has "exactly one run transformed the cars" "$out" "cars=30000 counter0=0 counter1=30000 counter2=0"

# A live lease of another host blocks; unlock removes it.
lease() {  # HOST PID EXPIRES
	"$WHIMBREL" --db "$WHIMBREL_PROD_DB" item put whimbrel_locks \
		"{\"migration\":\"0002_counter\",\"holder\":\"$1:$2:RUNX\",\"host\":\"$1\",\"pid\":$2,\"run_id\":\"RUNX\",\"acquired\":$(date +%s),\"expires\":$3,\"heartbeat\":$(date +%s)}"
}
lease otherhost 4242 $(( $(date +%s) + 600 ))
run "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
is "live lease elsewhere: exit 3" "$rc" 3
has "live lease elsewhere: names it" "$err" "otherhost:4242:RUNX"
run "$WHIMBREL" unlock 0002_counter prod
is "unlock: exit 0" "$rc" 0
has "unlock: says whose lease it was" "$out" "otherhost:4242:RUNX"
run "$WHIMBREL" unlock 0002_counter prod
has "unlock again: not locked" "$out" "not locked"

# An expired lease is taken over with a warning.
lease otherhost 4242 $(( $(date +%s) - 5 ))
run "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
is "expired lease: the run goes ahead" "$rc" 0
has "expired lease: warning naming the old holder" "$err" "took over the lease of 0002_counter from otherhost:4242:RUNX"
is "lease released after the run" "$("$WHIMBREL" --db "$WHIMBREL_PROD_DB" scan whimbrel_locks | wc -l)" 0

# A heartbeat keeps a short lease alive during a long run.
export WHIMBREL_LEASE_SECONDS=2
SLOW_US=500 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp >long.out 2>&1 &
long=$!
wait_for long.out "progress 10000"
sleep 3
run "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp
is "heartbeat: lease still held after its length (exit 3)" "$rc" 3
kill -INT "$long"
wait "$long"
# A run whose lease was taken by another run stops (after its batch).
SLOW_US=500 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp --restart >stolen.out 2>&1 &
victim=$!
wait_for stolen.out "progress 10000"
lease otherhost 4343 $(( $(date +%s) + 600 ))
wait "$victim"
is "lease taken over: the run stops as interrupted (130)" "$?" 130
has "lease taken over: says why" "$(cat stolen.out)" "is now held by otherhost:4343:RUNX"
has "lease taken over: recorded" "$("$WHIMBREL" history prod 0002_counter --json)" "the lease was taken over by another run"
is "lease taken over: the new holder keeps it" "$("$WHIMBREL" --db "$WHIMBREL_PROD_DB" scan whimbrel_locks | grep -c otherhost)" 1

run "$WHIMBREL" unlock --help
has "unlock --help" "$out" "usage: whimbrel unlock"
