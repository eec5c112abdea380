# t_sweep_kill.sh - kill -9 of the runner at random points of one prod run,
# resumed after each (issue 9, sweeps).  On SQLite and, when dynalite runs,
# on DynamoDB: seed SWEEP_N cars, run a migration that adds 1 to each car's
# counter and marks it with the id of the run that changed it (`by`), kill
# the runner (its child dies with it) SWEEP_POINTS times at a random item
# of each resumed run, then run it to the end.
#
# After each kill, in the data and the ledger:
# - the killed run's row still says `running`; every earlier killed run's
#   row was closed by the run that took over (failed, not running);
# - each closed run's ledger counters are its cars in the data (written =
#   cars marked by it, scanned = written, deleted = 0), and the killed
#   run's counters committed with its checkpoints (run_written, summed
#   over its streams) are its marked cars;
# - the header holds no success stamp; each closed run is stamped (failed).
# On SQLite, where a page's writes and its checkpoint commit together, all
# of these are equalities: the cars changed are exactly what the ledger and
# the checkpoints say committed, never more.  On DynamoDB (at-least-once: a
# batch written but not yet checkpointed when the runner died is written
# again by the next run) a run's marked cars are at least its counters
# (more by what it wrote but did not checkpoint, until a later run
# rewrites them); doubles are counted and reported, not failed.
# After the last resume, on both: every row closed, the last succeeded;
# every car changed at least once (none doubled on SQLite); per run and
# summed over the dead runs and their resume, the ledger's counters equal
# the cars each run changed (sum = SWEEP_N); the header holds exactly one
# success stamp, the last, after one (failed) per dead run.
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
CTR=m/0002_counter_$s.c
export MARK_RUN=1

# The counter migration's runs: "run_id status scanned written deleted" a line.
runs() {
	"$@" history prod "0002_counter_$s" --json | awk -F'"' '
		/"run_id":/ { id = $4 }  /"status":/ { st = $4 }
		/"scanned":/ { sc = $3 } /"written":/ { wr = $3 } /"deleted":/ { de = $3 }
		/^  }/ { gsub(/[:, ]/, "", sc); gsub(/[:, ]/, "", wr); gsub(/[:, ]/, "", de)
			 print id, st, sc, wr, de }'
}
# The cars each run changed last: "run_id count" a line, from the data.
marks() {
	"$@" scan "$CARS_TABLE" | sed -n 's/.*"by":{"S":"\([^"]*\)"}.*/\1/p' | sort | uniq -c |
		awk '{print $2, $1}'
}
# What run $1 committed with its checkpoints of the counter migration: written.
ckpt_written() {
	local id=$1
	shift
	"$@" scan whimbrel_checkpoints | grep "\"0002_counter_$s\"" | grep "\"$id\"" |
		sed -n 's/.*"run_written":{"N":"\([0-9]*\)"}.*/\1/p' | awk '{t += $1} END {print t + 0}'
}
count_of() { awk -v id="$1" '$1 == id {print $2; f = 1} END {if (!f) print 0}' <<<"$2"; }
stamps_ok() { grep -c '^ \* Finalization Time: .*UTC$' "$CTR"; }
stamps_failed() { grep -c '^ \* Finalization Time: .*(failed)$' "$CTR"; }

# check_kill LABEL EXACT KILLS W...: the assertions after a kill (see the top).
check_kill() {
	local label=$1 exact=$2 k=$3 bad=""
	shift 3
	local r m dead closed=0 sum=0 changed mk cw
	r=$(runs "$@")
	m=$(marks "$@")
	changed=$(awk '{t += $2} END {print t + 0}' <<<"$m")
	dead=$(awk '$2 == "running" {print $1}' <<<"$r")
	[ "$(wc -w <<<"$dead")" = 1 ] || bad="$bad; running rows: '$dead' (want the killed run's only)"
	while read -r id st sc wr de; do
		[ -n "$id" ] && [ "$st" != running ] || continue
		closed=$((closed + 1)); sum=$((sum + wr))
		[ "$st" = failed ] || bad="$bad; closed run $id is $st"
		[ "$sc" = "$wr" ] && [ "$de" = 0 ] || bad="$bad; run $id: scanned $sc written $wr deleted $de"
		mk=$(count_of "$id" "$m")
		if [ "$exact" = 1 ]; then [ "$mk" = "$wr" ] || bad="$bad; run $id: ledger $wr, cars $mk"
		else [ "$mk" -ge "$wr" ] || bad="$bad; run $id: ledger $wr > cars $mk"; fi
	done <<<"$r"
	[ "$closed" = $((k - 1)) ] || bad="$bad; $closed runs closed, want $((k - 1))"
	cw=$(ckpt_written "$dead" "$@")
	mk=$(count_of "$dead" "$m")
	sum=$((sum + cw))
	if [ "$exact" = 1 ]; then
		[ "$mk" = "$cw" ] || bad="$bad; killed run: checkpoints $cw, cars $mk"
		[ "$changed" = "$sum" ] || bad="$bad; cars changed $changed, committed $sum"
	else
		[ "$mk" -ge "$cw" ] || bad="$bad; killed run: checkpoints $cw > cars $mk"
	fi
	[ "$(stamps_ok)" = 0 ] || bad="$bad; a success stamp before the end"
	[ "$(stamps_failed)" = $((k - 1)) ] || bad="$bad; $(stamps_failed) failed stamps, want $((k - 1))"
	echo "# $label: kill $k: $changed cars changed, ledger + checkpoints say $sum committed (killed run: $cw)"
	[ -z "$bad" ]  || echo "# $label: kill $k:${bad#;}"
	[ -z "$bad" ]
}

# check_end LABEL EXACT W...: the assertions after the last resume (see the top).
check_end() {
	local label=$1 exact=$2 bad=""
	shift 2
	local r m sum=0 runs_n=0 last
	r=$(runs "$@")
	m=$(marks "$@")
	while read -r id st sc wr de; do
		[ -n "$id" ] || continue
		runs_n=$((runs_n + 1)); sum=$((sum + wr))
		[ "$st" != running ] || bad="$bad; run $id still running"
		[ "$sc" = "$wr" ] && [ "$de" = 0 ] || bad="$bad; run $id: scanned $sc written $wr deleted $de"
		[ "$(count_of "$id" "$m")" = "$wr" ] || bad="$bad; run $id: ledger $wr, cars $(count_of "$id" "$m")"
	done <<<"$r"
	is "$label: $runs_n runs (the dead ones and the last)" "$runs_n" $((P + 1))
	is "$label: one run succeeded, the dead ones failed" \
		"$(awk '{print $2}' <<<"$r" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" \
		"failed=$P succeeded=1 "
	is "$label: per run, the ledger's counters are the cars it changed" "${bad#; }" ""
	is "$label: summed over the dead runs and the resume, the ledger says $N written" "$sum" "$N"
	is "$label: every car marked by the run that changed it" \
		"$(awk '{t += $2} END {print t + 0}' <<<"$m")" "$N"
	is "$label: header: one success stamp" "$(stamps_ok)" 1
	is "$label: header: one (failed) stamp per dead run" "$(stamps_failed)" "$P"
	last=$(grep '^ \* Finalization Time:' "$CTR" | tail -1)
	ok "$label: header: the success stamp is the last" '[[ "$last" == *UTC ]]'
	echo "# $label: $N cars, $P kills, $runs_n runs; ledger written sum $sum"
}

# sweep LABEL SLOW_US EXACT W...: the whole sweep on one target.
sweep() {
	local label=$1 slow=$2 exact=$3
	shift 3
	local every=$(( N / (20 * (P + 1)) )) kills=0
	local -a W=("$@") # the command, for the conditions that ok evaluates
	[ "$every" -ge 1 ] || every=1
	cp "$D/counter.c" "$CTR"  # a fresh header
	SEED_N=$N "$@" run prod "m/0001_seed_$s.c" --yes --allow-dirty --dir m >/dev/null 2>&1
	for i in $(seq "$P"); do
		# a random mark within this resumed run's share of the items
		local mark=$(( (RANDOM % 19 + 1) * every ))
		rm -f child.pid
		sleep 1 # run ids of one second sort by their random part: keep the history in order
		SLOW_US=$slow PROGRESS_EVERY=$every "$@" run prod "$CTR" --yes --allow-dirty --dir m \
			>"run$i.out" 2>&1 &
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
		ok "$label: kill $i: the ledger, the checkpoints and the header agree with the data" \
			'check_kill "$label" "$exact" "$i" "${W[@]}"'
	done
	is "$label: the runner was killed $P times" "$kills" "$P"
	sleep 1
	run "$@" run prod "$CTR" --yes --allow-dirty --dir m
	is "$label: the last resume ends: exit 0" "$rc" 0
	run "$@" run prod "m/0003_check_$s.c" --yes --allow-dirty --dir m
	echo "# $label: $N cars, $P kills: $out"
	has "$label: no car lost" "$out" "cars=$N counter0=0 "
	if [ "$exact" = 1 ]; then
		has "$label: no car doubled" "$out" "counter1=$N counter2=0 counter3+=0"
	else
		local c2 c3
		c2=$(sed -n 's/.*counter2=\([0-9]*\).*/\1/p' <<<"$out")
		c3=$(sed -n 's/.*counter3+=\([0-9]*\).*/\1/p' <<<"$out")
		echo "# $label: $c2 car(s) transformed twice, $c3 three times or more (written, not yet checkpointed, when the runner died)"
	fi
	check_end "$label" "$exact" "$@"
}

[ -n "${SWEEP_KEEP:-}" ] && trap "echo kept $T" EXIT
only=${SWEEP_ONLY:-}  # sqlite or dynamodb: one half only
export CARS_TABLE=cars
[ "$only" = dynamodb ] || sweep sqlite "${SWEEP_SLOW_US:-50}" 1 "$WHIMBREL" --db "sqlite:$T/prod.db"
if [ "$only" = sqlite ]; then
	:
elif [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	export CARS_TABLE="cars_sweep_$s"
	sweep dynamodb 0 0 "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" # a command, not a function: $! is its pid
else
	skip "dynamodb: kill -9 sweep" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
