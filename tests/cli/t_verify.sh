#!/usr/bin/env bash
# t_verify.sh - verify callbacks (wb_verify) and `whimbrel verify RUN`, on
# the embedded target: a check that fails on a few items makes the run
# "verify failed" with their count and keys (ledger, output, exit 1); a
# check every item passes makes it succeed; `whimbrel verify RUN` after the
# application broke an item finds it (a run of its own, mode verify); an
# interrupted verify goes on from its checkpoints; the checks run in
# parallel, and not in a plan; a run interrupted while it verifies resumes
# the checks; on dynalite too.
. "$(dirname "$0")/lib.sh"
copy_migrations m seed verified
SEED_N=300 "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
# The ledger row of the run the last command's summary named, and its fields.
rid() { sed -n 's/.* (run \([^)]*\))$/\1/p' <<<"$1" | tail -1; }
row() { "$WHIMBREL" scan whimbrel_runs --format plain | grep "\"run_id\":\"$(rid "$err")\""; }
last() { row | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

# --- a check that fails on three items (cars 7, 107, 207 get no price)
run env VERIFY_SKIP=100 WHIMBREL_THREADS=3 VERIFY_LOG="$T/calls" "$WHIMBREL" run dev m/0002_verified.c
is "failing check: exit 1" "$rc" 1
is "failing check: status verify failed" "$(last status)" "verify failed"
is "failing check: 300 checked" "$(last verify_checked)" 300
is "failing check: 3 failed" "$(last verify_failed)" 3
for k in 000007 000107 000207; do
	has "failing check: key car-$k in the ledger" "$(row)" "{\\\"id\\\":{\\\"S\\\":\\\"car-$k\\\"}}"
	has "failing check: key car-$k in the output" "$err" "car-$k"
done
has "failing check: the summary names the count" "$err" "3 of 300 item(s) failed"
is "failing check: every item checked once" "$(sort "$T/calls" | uniq | wc -l):$(wc -l <"$T/calls")" "300:300"
is "failing check: its checkpoints cleared (the run did its work)" \
	"$("$WHIMBREL" scan whimbrel_checkpoints | grep -c 0002_verified)" 0
run "$WHIMBREL" status dev --dir m
has "status: verify failed" "$out" "verify failed"
R1=$(rid "$err")

# --- a check every item passes
run "$WHIMBREL" run dev m/0002_verified.c
is "passing check: exit 0" "$rc" 0
is "passing check: succeeded" "$(last status)" succeeded
is "passing check: 0 failed" "$(last verify_failed)" 0
R2=$(rid "$err")
run env VERIFY_PREFIX=car-0001 "$WHIMBREL" run dev m/0002_verified.c
is "two checks, one of a key prefix: exit 0" "$rc" 0
is "two checks: 300 + 100 items checked" "$(last verify_checked)" 400

# --- a plan registers the check but does not run it
run "$WHIMBREL" plan dev m/0002_verified.c
is "plan: exit 0" "$rc" 0
ok "plan: no verification in its row" '[ -n "$(row)" ] && [ -z "$(last verify_checked)" ]'

# --- whimbrel verify RUN after the application broke an item
run "$WHIMBREL" verify "$R2" dev --dir m
is "verify: all pass again, exit 0" "$rc" 0
is "verify: a run of its own, mode verify" "$(last mode)" verify
is "verify: names the run it verified" "$(last verifies)" "$R2"
is "verify: its scanned counter is the items it checked" "$(last scanned)" 300
"$WHIMBREL" item put cars '{"id":"car-000042","brand":"Fiat","color":"red"}'
run "$WHIMBREL" verify "$R2" dev --dir m
is "verify after a change: exit 1" "$rc" 1
is "verify after a change: verify failed" "$(last status)" "verify failed"
is "verify after a change: 1 failed" "$(last verify_failed)" 1
has "verify after a change: names the key" "$err" "car-000042"
run "$WHIMBREL" verify "$R1" dev --file m/0002_verified.c
is "verify --file: exit 1 (the same item)" "$rc" 1
run "$WHIMBREL" verify "$R2" dev --file m/0001_seed.c
is "verify --file of another migration: refused" "$rc" 1
has "verify --file of another migration: says so" "$err" "is not migration 0002_verified"
run "$WHIMBREL" verify NOSUCHRUN dev --dir m
has "verify of an unknown run: says so" "$err" "no run NOSUCHRUN"
run "$WHIMBREL" verify
is "verify without a run: usage" "$rc" 2
S=$("$WHIMBREL" scan whimbrel_runs --format plain | grep 0001_seed | head -1 | sed 's/.*"run_id":"\([^"]*\)".*/\1/')
before=$("$WHIMBREL" export cars | md5sum)
run "$WHIMBREL" verify "$S" dev --dir m
is "verify of a migration without checks: exit 1" "$rc" 1
has "verify of a migration without checks: says so" "$err" "registers no verify check"
is "verify mode: the program's own writes are intercepted" "$("$WHIMBREL" export cars | md5sum)" "$before"
"$WHIMBREL" item put cars '{"id":"car-000042","brand":"Fiat","color":"red","price":5}'

# --- an interrupted verify goes on from its checkpoints
rm -f "$T/calls"
WHIMBREL_BATCH=20 WHIMBREL_THREADS=2 VERIFY_SLEEP_US=20000 VERIFY_LOG="$T/calls" \
	"$WHIMBREL" verify "$R2" dev --dir m >"$T/v.out" 2>"$T/v.err" &
pid=$!
for _ in $(seq 200); do [ -f "$T/calls" ] && [ "$(wc -l <"$T/calls")" -ge 100 ] && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
is "interrupted verify: exit 130" "$?" 130
err=$(cat "$T/v.err")
is "interrupted verify: interrupted" "$(last status)" interrupted
first=$(wc -l <"$T/calls")
ok "interrupted verify: stopped in the middle ($first checks)" '[ "$first" -ge 100 ] && [ "$first" -lt 300 ]'
ok "interrupted verify: its checkpoints kept" \
	'"$WHIMBREL" scan whimbrel_checkpoints | grep -q "0002_verified#verify"'
rm -f "$T/calls"
run env WHIMBREL_BATCH=20 VERIFY_LOG="$T/calls" "$WHIMBREL" verify "$R2" dev --dir m
is "resumed verify: exit 0" "$rc" 0
has "resumed verify: says it resumes" "$err" "resuming"
is "resumed verify: succeeded" "$(last status)" succeeded
is "resumed verify: every item counted" "$(last verify_checked)" 300
second=$(wc -l <"$T/calls")
ok "resumed verify: checked only what was left ($second after $first)" \
	'[ "$second" -lt 300 ] && [ $((first + second)) -ge 300 ] && [ $((first + second)) -le 340 ]'
is "resumed verify: its checkpoints cleared" \
	"$("$WHIMBREL" scan whimbrel_checkpoints | grep -c 0002_verified)" 0

# --- a run interrupted while it verifies: the next run resumes the checks
rm -f "$T/calls"
WHIMBREL_BATCH=20 WHIMBREL_THREADS=2 VERIFY_SLEEP_US=20000 VERIFY_LOG="$T/calls" \
	"$WHIMBREL" run dev m/0002_verified.c >"$T/r.out" 2>"$T/r.err" &
pid=$!
for _ in $(seq 200); do [ -f "$T/calls" ] && [ "$(wc -l <"$T/calls")" -ge 100 ] && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
is "run interrupted while verifying: exit 130" "$?" 130
first=$(wc -l <"$T/calls")
rm -f "$T/calls"
run env WHIMBREL_BATCH=20 VERIFY_LOG="$T/calls" "$WHIMBREL" run dev m/0002_verified.c
is "resumed run: exit 0" "$rc" 0
has "resumed run: resumes" "$err" "resuming run"
is "resumed run: every item counted" "$(last verify_checked)" 300
second=$(wc -l <"$T/calls")
ok "resumed run: checked only what was left ($second after $first)" \
	'[ "$second" -lt 300 ] && [ $((first + second)) -ge 300 ] && [ $((first + second)) -le 340 ]'

# --- on DynamoDB (a private dynalite): a check failing on three items, 4 threads
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	DYN=$WB_ROOT/scripts/dynalite.sh
	trap '"$DYN" stop "$T/dyn"; rm -rf "$T"' EXIT
	export WHIMBREL_DEV_DB=$("$DYN" start "$T/dyn")
	SEED_N=300 "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
	run env VERIFY_SKIP=100 WHIMBREL_THREADS=4 "$WHIMBREL" run dev m/0002_verified.c
	is "dynamodb: failing check: exit 1" "$rc" 1
	is "dynamodb: verify failed" "$(last status)" "verify failed"
	is "dynamodb: 300 checked" "$(last verify_checked)" 300
	is "dynamodb: 3 failed" "$(last verify_failed)" 3
	has "dynamodb: names a key" "$err" "car-000107"
	R3=$(rid "$err")
	"$WHIMBREL" item put cars '{"id":"car-000107","brand":"Fiat","color":"red","price":1}'
	run "$WHIMBREL" verify "$R3" dev --dir m
	is "dynamodb: whimbrel verify after a fix: 2 failed" "$(last verify_failed)" 2
else
	skip "dynamodb: verify checks" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
echo "1..$n"

# The run id and the target in either order; a target alone is no run.
run "$WHIMBREL" verify prod
is "verify prod: exit 2" "$rc" 2
has "verify prod: asks which run" "$err" "which run?"
run "$WHIMBREL" verify RUNID nowhere
is "verify RUN nowhere: exit 2" "$rc" 2
has "verify RUN nowhere: names the argument" "$err" "unexpected argument 'nowhere'"
