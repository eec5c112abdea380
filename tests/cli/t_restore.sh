#!/usr/bin/env bash
# t_restore.sh - `whimbrel restore` on an SQLite prod target: each prod run
# starts with a snapshot (DB.snapshots/, the ledger's snapshot flag;
# --no-snapshot takes none); restore to just before a run (its run id) and
# to just after it (a time) gives items byte-identical to an export taken
# at those points; a time after an item was changed outside any run, with
# nothing keeping what the run wrote, is restored to an earlier point that
# the output names (never silently); a run without a journal in the gap
# stops the journal there, saying so; a time older than every snapshot is
# refused with the nearest points; NEW must not exist; prune --snapshots
# (--older-than, snapshot_days) deletes old snapshots; the three steps of
# docs/restore.md (restore, copy back --keys-of-run, drop) undo a run.
. "$(dirname "$0")/lib.sh"
export WHIMBREL_PROD_DB=sqlite:prod.db
copy_migrations m seed counter
W() { "$WHIMBREL" --target prod "$@"; }
dump() { W export "$1" | sort; }  # a table's items, sorted: byte-identical or not
run_of() { printf %s "$1" | sed -n 's/.*(run \([0-9A-Za-z-]*\)).*/\1/p' | tail -1; }
prod() { "$WHIMBREL" run prod "$@" --yes --allow-dirty --dir m --no-stamp; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
snaps() { find prod.db.snapshots -name '*.db' 2>/dev/null | wc -l; }
N=300

W table create shop --pk id --gsi by_color:color --yes >/dev/null
W item put --yes shop '{"id":"s1","color":"red"}' >/dev/null
SEED_N=$N prod m/0001_seed.c >/dev/null 2>&1
is "the seed run took a snapshot" "$(snaps)" 1
dump cars >before.jsonl
is "seeded" "$(wc -l <before.jsonl)" $N
sleep 0.1; T0=$(now)

# --- R1: a prod run; R2 another (its snapshot keeps what R1 wrote)
sleep 0.1
run prod m/0002_counter.c
is "R1: exit 0" "$rc" 0
R1=$(run_of "$err")
has "R1: says it took a snapshot" "$err" "snapshot of the target taken at"
has "R1: the ledger records the snapshot" "$(W scan whimbrel_runs | grep "$R1")" '"snapshot":{"BOOL":true}'
dump cars >after1.jsonl
sleep 0.1; T1=$(now); sleep 0.1
run prod m/0002_counter.c
R2=$(run_of "$err")
is "two more snapshots" "$(snaps)" 3
dump cars >after2.jsonl
W item put --yes cars '{"id":"car-000005","brand":"Saab","color":"green"}' >/dev/null
sleep 0.1; T2=$(now)

run "$WHIMBREL" restore cars prod --to "$R1" --into cars_r1
is "just before R1 (its run id): exit 0" "$rc" 0
has "names the snapshot" "$out" "start of run $R1"
ok "no warning: the exact point" '[ -z "$err" ]'
is "just before R1: byte-identical to before R1" "$(dump cars_r1)" "$(cat before.jsonl)"

run "$WHIMBREL" restore cars prod --to "$T0" --into cars_t0
is "just after the seed run, which created the table with wb_batch_write: exit 0" "$rc" 0
has "its own writes are journaled: the table from the journal alone" "$out" "the table did not exist yet) and $N journaled write(s)"
is "just after the seed run: byte-identical" "$(dump cars_t0)" "$(cat before.jsonl)"

run "$WHIMBREL" restore cars prod --to "$T1" --into cars_t1
is "just after R1 (a time): exit 0" "$rc" 0
has "from R1's snapshot and its journal" "$out" "start of run $R1) and $N journaled write(s)"
ok "no warning: the exact point" '[ -z "$err" ]'
is "just after R1: byte-identical to after R1" "$(dump cars_t1)" "$(cat after1.jsonl)"

T1Z=$(TZ=Etc/GMT-2 date -d "$T1" --iso-8601=ns)  # the same time, +02:00 and nanoseconds
run "$WHIMBREL" restore cars prod --to "$T1Z" --into cars_t1z
is "the same time as an offset with a long fraction ($T1Z): exit 0" "$rc" 0
is "... the same table" "$(dump cars_t1z)" "$(cat after1.jsonl)"

run "$WHIMBREL" restore cars prod --to "$T2" --into cars_t2
is "after R2 and a change outside runs: exit 0" "$rc" 0
has "says the point is not the time asked for" "$out" ", not "
has "says why: what R2 wrote to car 5 is kept nowhere" "$out" \
	"the item {\"id\":{\"S\":\"car-000005\"}} as run $R2 wrote it"
has "warns on stderr" "$err" "earlier than the time asked for"

run "$WHIMBREL" restore cars prod --to 2020-01-01T00:00:00Z --into cars_old
is "older than every snapshot: exit 1" "$rc" 1
has "names the earliest point" "$err" "the earliest point restorable is"
has "and the latest" "$err" "3 snapshot(s), the latest"
ok "nothing created" '! W table describe cars_old >/dev/null 2>&1'

run "$WHIMBREL" restore cars prod --to "$T1" --into cars_t1
is "NEW exists: exit 1" "$rc" 1
has "says so" "$err" "cars_t1 exists already"
run "$WHIMBREL" restore cars prod --to yesterday --into cars_y
is "a bad time: exit 1" "$rc" 1
has "says what a time is" "$err" "expected an RFC 3339 time"
run "$WHIMBREL" restore cars prod --to "$T1"
is "no --into: exit 2" "$rc" 2
run "$WHIMBREL" restore nope prod --to "$T1" --into x
is "no such table: exit 1" "$rc" 1

run "$WHIMBREL" restore shop prod --to "$T1" --into shop_r
is "a table with a secondary index: exit 0" "$rc" 0
has "NEW has the index" "$(W table describe shop_r)" "by_color"
has "... and its item, found through the index" "$(W query shop_r --index by_color --pk red 2>&1)" '"s1"'

# --- a run without a journal: the journal stops before it
run prod m/0002_counter.c --no-journal
R3=$(run_of "$err")
is "--no-journal still takes a snapshot" "$(snaps)" 4
sleep 0.1
run "$WHIMBREL" restore cars prod --to "$(now)" --into cars_t3
is "after a run without a journal: exit 0" "$rc" 0
has "from R3's snapshot" "$out" "start of run $R3) and 0 journaled write(s)"
has "says which run stopped the journal" "$out" "run $R3 (0002_counter, prod) wrote without a journal"
has "not the time asked for" "$out" ", not "
run prod m/0002_counter.c --no-snapshot
R3B=$(run_of "$err")
is "--no-snapshot: no snapshot" "$(snaps)" 4
has "the ledger records it" "$(W scan whimbrel_runs | grep "$R3B")" '"snapshot":{"BOOL":false}'

run "$WHIMBREL" pitr status cars
is "pitr status on SQLite: exit 0" "$rc" 0
has "counts the snapshots" "$out" "cars: 4 snapshot(s) kept"
run "$WHIMBREL" pitr enable cars
is "pitr enable on SQLite: exit 1" "$rc" 1
has "says snapshots are the history" "$err" "snapshot per prod run"

# --- the three steps of docs/restore.md undo R4
sleep 0.1
dump cars >before4.jsonl
run prod m/0002_counter.c
R4=$(run_of "$err")
ok "R4 changed the items" '[ "$(dump cars)" != "$(cat before4.jsonl)" ]'
run "$WHIMBREL" restore cars prod --to "$R4" --into cars_recovery
is "step 1, restore to just before R4: exit 0" "$rc" 0
run "$WHIMBREL" copy cars_recovery cars --from prod --keys-of-run "$R4" --yes
is "step 2, copy back the items of R4: exit 0" "$rc" 0
run "$WHIMBREL" --target prod table drop cars_recovery --yes
is "step 3, drop the copy: exit 0" "$rc" 0
ok "the copy is gone" '! W table describe cars_recovery >/dev/null 2>&1'
is "every item as before R4" "$(dump cars)" "$(cat before4.jsonl)"

# --- a scheduled prod run (workers) takes its snapshot too, before any segment runs
run "$WHIMBREL" schedule prod m/0002_counter.c --now --allow-dirty
is "schedule: exit 0" "$rc" 0
run "$WHIMBREL" worker prod --once
is "worker: exit 0" "$rc" 0
is "the attempt took a snapshot" "$(snaps)" 6
RJ=$(W scan whimbrel_runs | grep '"job_id"' | sed 's/.*"run_id":{"S":"\([^"]*\)".*/\1/' | tail -1)
has "the ledger records it" "$(W scan whimbrel_runs | grep "$RJ")" '"snapshot":{"BOOL":true}'
has "and that the attempt is journaled" "$(W scan whimbrel_runs | grep "$RJ")" '"journal":{"BOOL":true}'
run "$WHIMBREL" restore cars prod --to "$RJ" --into cars_job
is "restore to just before the scheduled run: exit 0" "$rc" 0
is "... its items as before it" "$(dump cars_job)" "$(cat before4.jsonl)"

# --- retention: prune --snapshots
run "$WHIMBREL" prune --snapshots prod --dry-run
is "prune --snapshots --dry-run: exit 0" "$rc" 0
has "nothing is old yet" "$out" "would delete 0 snapshot(s)"
LATER=$(date -u -d '+3 days' +%Y-%m-%d)
printf '[prod]\nsnapshot_days = 2\n' >whimbrel.conf
run "$WHIMBREL" prune --snapshots prod --now "$LATER" --dry-run
has "snapshot_days = 2, three days later: all of them" "$out" "would delete 6 snapshot(s)"
is "dry run deletes nothing" "$(snaps)" 6
run "$WHIMBREL" prune --snapshots prod --now "$LATER"
is "prod without a terminal needs --yes" "$rc" 1
run "$WHIMBREL" prune --snapshots prod --now "$LATER" --yes
is "prune --snapshots: exit 0" "$rc" 0
has "says what it deleted" "$out" "deleted 6 snapshot(s)"
is "the files are gone" "$(snaps)" 0
run "$WHIMBREL" restore cars prod --to "$T1" --into cars_late
is "no snapshot left: exit 1" "$rc" 1
has "says so" "$err" "no snapshot of this target"
printf '[prod]\nsnapshot_days = 0\n' >whimbrel.conf
run "$WHIMBREL" prune --snapshots prod
is "a bad snapshot_days: exit 1" "$rc" 1
has "names it" "$err" "snapshot_days = 0"

echo "1..$n"

# The target before the table reads as after it; two targets are refused.
run "$WHIMBREL" restore dev nosuch --into nosuch_back --latest
is "restore dev TABLE: the target taken (exit 1, not a usage error)" "$rc" 1
run "$WHIMBREL" restore dev nosuch prod --into nosuch_back --latest
is "restore dev TABLE prod: exit 2" "$rc" 2
