#!/usr/bin/env bash
# t_revert.sh - `whimbrel revert` on an SQLite prod target: a prod run
# journals its writes (the ledger says so; --no-journal does not); after an
# application changed one of the migrated items, revert lists that item as
# a conflict (exit 1, the run not marked reverted) and puts every other one
# back; --force puts it back too (the run becomes `reverted`, a second
# revert is refused); the revert of the revert brings the migration's
# changes back; kill -9 of a revert in the middle, then revert again:
# it resumes from its checkpoint and every item is back exactly.
. "$(dirname "$0")/lib.sh"
export WHIMBREL_PROD_DB=sqlite:prod.db
copy_migrations m seed counter 0003_counter_big=counter check
run_of() { printf %s "$1" | sed -n 's/.*(\(revert \)*run \([0-9A-Za-z-]*\)).*/\2/p' | tail -1; }  # the run id a command printed
status() { "$WHIMBREL" --target prod scan whimbrel_runs | grep "\"run_id\":{\"S\":\"$1\"}" | sed 's/.*"status":{"S":"\([a-z]*\)"}.*/\1/'; }
check() { "$WHIMBREL" run prod m/0004_check.c --yes --allow-dirty --dir m --no-stamp 2>/dev/null; }
wait_for() {  # COMMAND...: until it succeeds (at most 60 s)
	for _ in $(seq 600); do "$@" && return 0; sleep 0.1; done
	return 1
}
N=3000
SEED_N=$N "$WHIMBREL" run prod m/0001_seed.c --yes --allow-dirty --dir m --no-stamp >/dev/null 2>&1

# --- a journaled prod run, then the application changes one item
run "$WHIMBREL" run prod m/0002_counter.c --yes --allow-dirty --dir m --no-stamp
is "the migration runs" "$rc" 0
RUN=$(run_of "$err")
ok "its run id ($RUN)" '[ -n "$RUN" ]'
has "the ledger says it is journaled" "$("$WHIMBREL" --target prod scan whimbrel_runs | grep "$RUN" | grep -o "\"journal\":{[^}]*}")" '"journal":{"BOOL":true}'
run "$WHIMBREL" --target prod item put --yes cars '{"id":"car-000005","brand":"Saab","color":"green","counter":1}'

run "$WHIMBREL" revert "$RUN" prod --dry-run
is "dry run: exit 0" "$rc" 0
has "dry run: counts" "$out" "would revert run $RUN: $((N - 1)) restored"
has "dry run: lists the conflict" "$out" 'conflict: cars {"id":{"S":"car-000005"}}'
has "dry run: wrote nothing" "$(check)" "counter1=$N"

run "$WHIMBREL" revert "$RUN" prod
is "prod without a terminal needs --yes" "$rc" 1
has "says so" "$err" "pass --yes"

run "$WHIMBREL" revert "$RUN" prod --yes
is "revert with a conflict: exit 1" "$rc" 1
has "lists the changed item" "$out" 'conflict: cars {"id":{"S":"car-000005"}} changed since run'
has "says what it did" "$out" "reverted run $RUN: $((N - 1)) restored"
has "every other item back" "$(check)" "cars=$N counter0=$((N - 1)) counter1=1"
is "the run is not marked reverted" "$(status "$RUN")" succeeded
run "$WHIMBREL" --target prod item get cars '{"id":"car-000005"}' --format plain
has "the application's change is kept" "$out" '"color":"green"'

run "$WHIMBREL" revert "$RUN" prod --yes --force
is "--force: exit 0" "$rc" 0
RR=$(run_of "$out")
has "--force: the conflict put back" "$out" "put back (--force)"
has "--force: every item as seeded" "$(check)" "cars=$N counter0=$N"
run "$WHIMBREL" --target prod item get cars '{"id":"car-000005"}' --format plain
is "--force: car 5 as seeded" "$out" '{"id":"car-000005","brand":"Saab","color":"black"}'
is "the run is marked reverted" "$(status "$RUN")" reverted
has "status shows the migration reverted (a revert is not its last run)" \
	"$("$WHIMBREL" status prod --dir m | grep 0002_counter)" "reverted"
is "history lists the reverts with mode revert" \
	"$("$WHIMBREL" history prod 0002_counter --json | grep -c '"mode": "revert"')" 2
ok "the forced revert is in the ledger ($RR)" '[ -n "$RR" ] && [ "$RR" != "$RUN" ]'
run "$WHIMBREL" revert "$RUN" prod --yes
is "a second revert is refused" "$rc" 1
has "saying by which run" "$err" "already reverted by run $RR"

run "$WHIMBREL" revert "$RR" prod --yes
is "revert of the revert: exit 0" "$rc" 0
run "$WHIMBREL" --target prod item get cars '{"id":"car-000005"}' --format plain
is "revert of the revert: car 5 as the application left it" "$out" \
	'{"id":"car-000005","brand":"Saab","color":"green","counter":1}'
is "revert of the revert: the run is back to succeeded" "$(status "$RUN")" succeeded

# --- no journal: refused
run "$WHIMBREL" run prod m/0002_counter.c --yes --allow-dirty --dir m --no-stamp --no-journal
NJ=$(run_of "$err")
run "$WHIMBREL" revert "$NJ" prod --yes
is "a run without a journal: exit 1" "$rc" 1
has "says it has no journal" "$err" "has no journal"

# --- kill -9 in the middle of a revert, then again: it resumes
BIG=150000
rm -f prod.db*
SEED_N=$BIG "$WHIMBREL" run prod m/0001_seed.c --yes --allow-dirty --dir m --no-stamp >/dev/null 2>&1
run "$WHIMBREL" run prod m/0003_counter_big.c --yes --allow-dirty --dir m --no-stamp
BR=$(run_of "$err")
has "big run: every car counted once" "$(check)" "cars=$BIG counter0=0 counter1=$BIG"
"$WHIMBREL" revert "$BR" prod --yes >rv1.out 2>&1 &
pid=$!
cp_seen() { "$WHIMBREL" --target prod scan whimbrel_checkpoints 2>/dev/null | grep -q "revert:$BR"; }
wait_for cp_seen
ok "the revert checkpoints as it goes" '[ $? -eq 0 ]'
kill -9 "$pid"
wait "$pid" 2>/dev/null
partial=$(check)
ok "killed in the middle ($partial)" '! printf %s "$partial" | grep -q "counter0=$BIG"'
run "$WHIMBREL" revert "$BR" prod --yes
is "the revert again: exit 0" "$rc" 0
BRR=$(run_of "$out")
has "it resumes" "$err" "resuming the interrupted revert of run $BR"
has "every car back exactly" "$(check)" "cars=$BIG counter0=$BIG counter1=0"
is "the big run is reverted" "$(status "$BR")" reverted
is "the killed revert is marked failed" "$("$WHIMBREL" --target prod scan whimbrel_runs | grep -c '"error":{"S":"the revert died')" 1
is "lease released" "$("$WHIMBREL" --target prod scan whimbrel_locks | wc -l)" 0

# --- retention: prune --journal drops the journal of runs past journal_days
# (7 runs: the seed, the big run, the killed and the resumed revert, three checks)
printf '[prod]\njournal_days = 10\n' >whimbrel.conf
run "$WHIMBREL" prune --journal prod --dry-run
has "nothing is 10 days old yet" "$out" "would drop the journal of 0 run(s) finished more than 10 days ago"
later=$(date -u -d '+11 days' '+%Y-%m-%d')
run "$WHIMBREL" prune --journal prod --now "$later"
is "prod without a terminal needs --yes" "$rc" 1
run "$WHIMBREL" prune --journal prod --now "$later" --yes
is "prune --journal: exit 0" "$rc" 0
has "prune --journal: drops the old runs' journal" "$out" "dropped the journal of 7 run(s) finished more than 10 days ago"
ok "prune --journal: the ledger says which have none now" \
	'[ "$("$WHIMBREL" --target prod scan whimbrel_runs | grep -c "\"journal\":{\"BOOL\":true}")" = 0 ]'
is "whimbrel_journal is empty" "$("$WHIMBREL" --target prod scan whimbrel_journal | wc -l)" 0
run "$WHIMBREL" revert "$BRR" prod --yes --dry-run
has "a pruned run cannot be reverted" "$err" "has no journal"
printf '[prod]\njournal_days = soon\n' >whimbrel.conf
run "$WHIMBREL" prune --journal prod
has "a bad journal_days is an error" "$err" "whimbrel.conf:2: journal_days = soon"
rm whimbrel.conf
echo "1..$n"
