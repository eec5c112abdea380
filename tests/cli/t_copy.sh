#!/usr/bin/env bash
# t_copy.sh - `whimbrel copy` on SQLite: a whole table into a new one (same
# items, same key); --only-missing keeps what the destination holds,
# --overwrite (the default) puts the source's back; across two targets;
# the restore procedure's second step with --keys-of-run: after a prod run
# changed, deleted and kept items and the application changed an item the
# run did not touch, copying back only the run's keys from a copy taken
# before the run restores exactly what the run changed and leaves the
# application's change alone; kill -9 in the middle of a copy, then the
# same command again: it resumes and every item is there (on SQLite, and
# into DynamoDB, where the copy runs in parallel segments).
. "$(dirname "$0")/lib.sh"
export WHIMBREL_PROD_DB=sqlite:prod.db
copy_migrations m seed reshape
N=2000
SEED_N=$N "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
sorted() { "$WHIMBREL" ${2:+--target "$2"} export "$1" | sort; }
run_of() { printf %s "$1" | sed -n 's/.*(run \([0-9A-Za-z-]*\)).*/\1/p' | tail -1; }

run "$WHIMBREL" copy cars cars2
is "copy into a new table: exit 0" "$rc" 0
has "says what it did" "$out" "copied cars (dev) -> cars2 (dev): $N written"
has "creates the table" "$out" "table created"
is "the same items" "$(sorted cars2)" "$(sorted cars)"
has "the same key" "$("$WHIMBREL" table describe cars2)" 'partition key  id (S)'

"$WHIMBREL" item put cars2 '{"id":"car-000001","brand":"Lada"}' >/dev/null
run "$WHIMBREL" copy cars cars2 --only-missing
has "--only-missing keeps what is there" "$out" "0 written, $N kept"
has "--only-missing: car 1 kept" "$("$WHIMBREL" item get cars2 '{"id":"car-000001"}' --format plain)" Lada
run "$WHIMBREL" copy cars cars2 --overwrite
is "--overwrite puts the source back" "$(sorted cars2)" "$(sorted cars)"
run "$WHIMBREL" copy cars cars2 --only-missing --overwrite
is "the two exclude each other" "$rc" 2
run "$WHIMBREL" copy cars cars
is "onto itself: refused" "$rc" 1

run "$WHIMBREL" copy cars cars --from dev --to prod
is "into prod without a terminal needs --yes" "$rc" 1
run "$WHIMBREL" copy cars cars --from dev --to prod --yes
is "across targets: exit 0" "$rc" 0
is "across targets: the same items" "$(sorted cars prod)" "$(sorted cars)"

# --- the restore procedure on prod: a copy taken before the run, the run, copy back its keys
run "$WHIMBREL" copy cars cars_recovery --from prod --yes
run "$WHIMBREL" run prod m/0002_reshape.c --yes --allow-dirty --dir m --no-stamp
RUN=$(run_of "$err")
ok "the run changed the table" '[ "$(sorted cars prod)" != "$(sorted cars_recovery prod)" ]'
"$WHIMBREL" --target prod item put --yes cars '{"id":"car-000010","brand":"Fiat","color":"blue","note":"app"}' >/dev/null
run "$WHIMBREL" copy cars_recovery cars --from prod --keys-of-run "$RUN" --yes
is "copy back the run's keys: exit 0" "$rc" 0
has "deleted items come back, changed ones go back" "$out" "written"
want=$(sorted cars_recovery prod | grep -v '"car-000010"')
is "every item the run touched as before it" "$(sorted cars prod | grep -v '"car-000010"')" "$want"
has "the item the run did not touch keeps the application's change" \
	"$("$WHIMBREL" --target prod item get cars '{"id":"car-000010"}' --format plain)" '"note":"app"'
run "$WHIMBREL" copy cars_recovery cars --from prod --keys-of-run 20261127T000000Z-nope --yes
has "an unknown run: says so" "$err" "no run 20261127T000000Z-nope"

# --- kill -9 in the middle, then again: it resumes
BIG=150000
SEED_N=$BIG CARS_TABLE=big "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
"$WHIMBREL" copy big big2 >cp1.out 2>&1 &
pid=$!
cp_seen() { "$WHIMBREL" scan whimbrel_checkpoints 2>/dev/null | grep -q "copy:big>big2"; }
for _ in $(seq 600); do cp_seen && break; sleep 0.05; done
ok "the copy checkpoints as it goes" 'cp_seen'
kill -9 "$pid"
wait "$pid" 2>/dev/null
run "$WHIMBREL" copy big big2
is "the copy again: exit 0" "$rc" 0
has "it resumes" "$out" "resumed"
is "every item copied" "$("$WHIMBREL" export big2 | wc -l)" "$BIG"
is "checkpoint gone" "$("$WHIMBREL" scan whimbrel_checkpoints | grep -c 'copy:big>big2')" 0

# --- into DynamoDB (parallel segments): kill -9 in the middle, then again
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	export WHIMBREL_DYN_DB=$WB_TEST_DYNAMODB_URL
	DT=copy_$$_$RANDOM
	SEED_N=20000 CARS_TABLE=mid "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
	"$WHIMBREL" copy mid "$DT" --to dyn >cp2.out 2>&1 &
	pid=$!
	dseen() { "$WHIMBREL" --target dyn scan whimbrel_checkpoints 2>/dev/null | grep -q "copy:mid>$DT"; }
	for _ in $(seq 600); do dseen && break; sleep 0.05; done
	ok "dynamodb: the copy checkpoints its segments" 'dseen'
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	run "$WHIMBREL" copy mid "$DT" --to dyn
	is "dynamodb: the copy again: exit 0" "$rc" 0
	has "dynamodb: it resumes" "$out" "resumed"
	is "dynamodb: every item there" "$("$WHIMBREL" --target dyn export "$DT" | sort)" "$(sorted mid)"
else
	skip "dynamodb: copy with kill -9 and resume" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
echo "1..$n"
