#!/usr/bin/env bash
# t_journal_direct.sh - in a journaled prod run, the writes a migration
# makes itself through the store API (wb_put, wb_update, wb_delete,
# wb_batch_write on wb_run_db) are journaled like wb_each's
# (journal_wrap.c): revert puts every item back byte-identical, the items
# it created deleted; copy --keys-of-run sees them; a run with
# --no-journal journals none; a prod run over items holding string,
# number and binary sets (top level, in maps and lists, members in any
# order) is reverted byte-identical (conditional writes compare sets as
# sets).  On SQLite, and on dynalite when it runs.
. "$(dirname "$0")/lib.sh"
copy_migrations m seed direct counter
for i in 1 2 3; do
	echo "{\"id\":{\"S\":\"set-$i\"},\"ss\":{\"SS\":[\"b\",\"a\",\"c$i\"]},\"ns\":{\"NS\":[\"10\",\"2.50\",\"-1\"]},\"bs\":{\"BS\":[\"AQ==\",\"AA==\"]},\"m\":{\"M\":{\"ss\":{\"SS\":[\"z\",\"a\"]},\"l\":{\"L\":[{\"NS\":[\"3\",\"1\"]},{\"BS\":[\"Ag==\",\"AA==\"]}]}}}}"
done >sets.jsonl
run_of() { printf %s "$1" | sed -n 's/.*(\(revert \)*run \([0-9A-Za-z-]*\)).*/\2/p' | tail -1; }
chunks() { "$WHIMBREL" --target prod scan whimbrel_journal 2>/dev/null | grep -c "\"run_id\":{\"S\":\"$1\"}"; }

check_target() {  # NAME: the checks on the prod target in WHIMBREL_PROD_DB
	local name=$1 W="$WHIMBREL --target prod" R RR
	CARS_TABLE=$TBL SEED_N=20 "$WHIMBREL" run prod m/0001_seed.c --yes --allow-dirty --dir m --no-stamp >/dev/null 2>&1
	$W export "$TBL" | sort >before.jsonl
	run "$WHIMBREL" run prod m/0002_direct.c --yes --allow-dirty --dir m --no-stamp
	is "$name: the migration runs" "$rc" 0
	R=$(run_of "$err")
	ok "$name: it changed the table" '[ "$($W export "$TBL" | sort)" != "$(cat before.jsonl)" ]'
	ok "$name: its writes are in the journal" '[ "$(chunks "$R")" -ge 1 ]'
	run "$WHIMBREL" revert "$R" prod --yes
	is "$name: revert: exit 0" "$rc" 0
	has "$name: revert: 2 put back, 1 re-created, 2 deleted" "$out" "2 restored, 1 re-created, 2 deleted"
	is "$name: every item as before, byte for byte" "$($W export "$TBL" | sort)" "$(cat before.jsonl)"
	"$WHIMBREL" copy "$TBL" "${TBL}_rec" --from prod --yes >/dev/null
	run "$WHIMBREL" run prod m/0002_direct.c --yes --allow-dirty --dir m --no-stamp
	R=$(run_of "$err")
	run "$WHIMBREL" copy "${TBL}_rec" "$TBL" --from prod --keys-of-run "$R" --yes
	is "$name: copy back --keys-of-run: exit 0" "$rc" 0
	has "$name: copy back writes the 3 items it changed, deletes the 2 it created" "$out" "3 written, 0 kept (only missing), 2 deleted"
	is "$name: every item as before again" "$($W export "$TBL" | sort)" "$(cat before.jsonl)"
	run "$WHIMBREL" run prod m/0002_direct.c --yes --allow-dirty --dir m --no-stamp --no-journal
	R=$(run_of "$err")
	is "$name: --no-journal journals none of them" "$(chunks "$R")" 0
	$W table create "${TBL}_sets" --pk id --yes >/dev/null
	$W import "${TBL}_sets" sets.jsonl --yes >/dev/null
	$W export "${TBL}_sets" | sort >sets_before.jsonl
	run env CARS_TABLE="${TBL}_sets" "$WHIMBREL" run prod m/0003_counter.c --yes --allow-dirty --dir m --no-stamp
	is "$name: a prod run over items holding SS, NS and BS" "$rc" 0
	has "$name: ... writes them all" "$err" "3 written"
	R=$(run_of "$err")
	run "$WHIMBREL" revert "$R" prod --yes
	has "$name: revert of items holding sets: no conflict" "$out" "3 restored, 0 re-created, 0 deleted, 0 already as before, 0 conflict(s)"
	is "$name: the sets back byte-identical" "$($W export "${TBL}_sets" | sort)" "$(cat sets_before.jsonl)"
}

export WHIMBREL_PROD_DB=sqlite:prod.db TBL=cars
export CARS_TABLE=$TBL
check_target sqlite
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	export WHIMBREL_PROD_DB=$WB_TEST_DYNAMODB_URL TBL=direct_$$_$RANDOM
	export CARS_TABLE=$TBL
	check_target dynamodb
	"$WHIMBREL" --target prod table drop "$TBL" --yes >/dev/null 2>&1
	"$WHIMBREL" --target prod table drop "${TBL}_rec" --yes >/dev/null 2>&1
	"$WHIMBREL" --target prod table drop "${TBL}_sets" --yes >/dev/null 2>&1
else
	skip "dynamodb: the migration's own writes journaled" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
echo "1..$n"
