#!/usr/bin/env bash
# t_dynamo_conc.sh - many DynamoDB requests in flight (issue 10, item 3).
#
# On a private dynalite, through tests/interop/faultproxy.mjs where noted:
#   0. the store suite (tests/test_store.c) at concurrency 1 and 128;
#   1. a migration at --concurrency 1 and 128: every item transformed
#      exactly once (a counter), the writes in flight together (the
#      proxy's peak);
#   2. one batch of 200 conditional writes in flight at once, faults on
#      the migrated table only (throttled, dropped connections, answers
#      lost after the write) and three items changed by another writer
#      between read and write (conditions failed): every item transformed
#      exactly once, and the ledger row true: scanned and written 200,
#      conditions_failed 3, retries and throttled equal to what the
#      migration's handles counted (WHIMBREL_DYNAMODB_STATS) and to what
#      the proxy injected;
#   3. --unconditional: refused on a terminal without --yes (`script`),
#      allowed with it; BatchWriteItem only, its UnprocessedItems and
#      throttles retried and counted in the ledger; said on prod; recorded
#      in the ledger and shown by history and status;
#   4. --concurrency and `concurrency =` checked;
#   5. `worker --concurrency N` reaches the job's migration processes.
# Skipped when WB_TEST_DYNAMODB_URL is unset (no dynalite).
. "$(dirname "$0")/lib.sh"
need_dynamodb
dynalite_start "$T/dyn"
start_proxy() {  # OPTIONS...: the proxy in front of dynalite, its URL in PROXY, its stats URL in PSTATS
	proxy_start "$@"
	PSTATS="http://127.0.0.1:$PPORT/__faults"
}
fault() { curl -s "$PSTATS" | sed "s/.*\"$1\":\([0-9]*\).*/\1/"; }
json() { "$WHIMBREL" history prod "$1" --json; }
field() { grep "\"$2\"" | sed -n "${1}p" | sed 's/.*: "*\([^",]*\)"*,*$/\1/'; }
copy_migrations m seed counter counter 0009_check=check

# --- 0. the store suite on DynamoDB without lanes and with many
for c in 1 128; do
	if [ -x "$WB_BUILD/tests/test_store" ]; then
		run env WHIMBREL_DYNAMODB_CONCURRENCY=$c WB_TEST_DYNAMODB_URL="$URL" CMOCKA_MESSAGE_OUTPUT=TAP \
			"$WB_BUILD/tests/test_store"
		ok "test_store at concurrency $c: passes ($(grep -c '^ok' <<<"$out") ok)" \
			'[ "$rc" -eq 0 ] && ! grep -q "^not ok" <<<"$out" && grep -q "on dynamodb" <<<"$out"'
	else
		skip "test_store at concurrency $c" "no $WB_BUILD/tests/test_store"
	fi
done

# --- 1. low and high concurrency, exactly once
export WHIMBREL_PROD_DB=$URL
run env SEED_N=3000 "$WHIMBREL" run prod --allow-dirty m/0001_seed.c --yes --dir m --no-stamp
is "seed: 3000 cars" "$rc" 0
start_proxy --delay 2
export WHIMBREL_PROD_DB=$PROXY
run env WHIMBREL_THREADS=2 "$WHIMBREL" run prod --allow-dirty m/0002_counter.c --yes --dir m --no-stamp --concurrency 1
is "concurrency 1: the run succeeds" "$rc" 0
peak1=$(fault peakInFlight)
ok "concurrency 1: at most one write per thread in flight (+ the runner's) ($peak1)" '[ "$peak1" -le 4 ]'
run env WHIMBREL_THREADS=2 "$WHIMBREL" run prod --allow-dirty m/0003_counter.c --yes --dir m --no-stamp --concurrency 128
is "concurrency 128: the run succeeds" "$rc" 0
has "concurrency 128: 3000 written" "$err" "3000 written"
peak=$(fault peakInFlight)
ok "concurrency 128: many writes in flight at once ($peak)" '[ "$peak" -gt 64 ]'
run env WHIMBREL_PROD_DB="$URL" "$WHIMBREL" run prod --allow-dirty m/0009_check.c --yes --dir m --no-stamp
has "concurrency 1 then 128: every car transformed exactly once by each" "$out" "cars=3000 counter0=0 counter1=0 counter2=3000 counter3+=0"

# --- 2. one batch in flight, a few of its writes failing
cat >m/0004_touchy.c <<'EOF'
/*
 * Test fixture: n = n + 1 on every item of `touchy` (twice shows 2); on
 * visiting t010, t020 and t030 another writer changes t011, t021 and t031
 * (v = -1) after they were read and before they are written.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <whimbrel.h>

static wb_db *other;

static int touch(const char *id)
{
	wb_item *key = wb_item_new(), *set = wb_item_new();
	int rc;

	wb_item_set_string(key, "id", id);
	wb_item_set_int(set, "v", -1);
	rc = wb_update(other, "touchy", key, set, NULL, 0, NULL);
	wb_item_free(key);
	wb_item_free(set);
	return rc;
}

static int bump(wb_item *it, void *arg)
{
	const char *id = wb_item_get_string(it, "id");
	static int done[3];

	(void)arg;
	for (int i = 0; i < 3; i++) {
		char mine[8], next[8];
		snprintf(mine, sizeof(mine), "t%03d", 10 * (i + 1));
		snprintf(next, sizeof(next), "t%03d", 10 * (i + 1) + 1);
		if (strcmp(id, mine) == 0 && !done[i]) {
			done[i] = 1;
			if (touch(next) < 0)
				return WB_ERROR;
		}
	}
	wb_item_set_int(it, "n", wb_item_get_int(it, "n", 0) + 1);
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	int rc;

	if (wb_open(&other, getenv("WHIMBREL_TARGET_URL")) < 0)
		return wb_run_end(run, WB_ERROR);
	rc = wb_each(run, "touchy", NULL, bump, NULL);
	wb_close(other); /* its counters too (WHIMBREL_DYNAMODB_STATS) */
	return wb_run_end(run, rc);
}
EOF
run "$WHIMBREL" --db "$URL" table create touchy --pk id
for i in $(seq 0 199); do printf '{"id":"t%03d","v":%d}\n' "$i" "$i"; done >touchy.jsonl
run "$WHIMBREL" --db "$URL" import touchy touchy.jsonl
is "faults: 200 items" "$rc" 0
start_proxy --only-table touchy --throttle 0.04 --pte 0.02 --error500 0.02 --drop 0.02 --drop-after 0.03 --seed 7 \
	--delay 5
export WHIMBREL_PROD_DB=$PROXY
run env WHIMBREL_THREADS=1 WHIMBREL_DYNAMODB_STATS=1 "$WHIMBREL" run prod --allow-dirty m/0004_touchy.c --yes \
	--dir m --no-stamp --concurrency 64
is "faults: the run succeeds" "$rc" 0
peak=$(fault peakInFlight)
ok "faults: the batch's writes were in flight together ($peak)" '[ "$peak" -gt 32 ]'
injected=$(($(fault throttle) + $(fault pte) + $(fault error500) + $(fault drop) + $(fault dropAfter)))
throttles=$(($(fault throttle) + $(fault pte)))
ok "faults: the proxy failed some of them ($injected: $(curl -s "$PSTATS"))" '[ "$(fault drop)" -gt 0 ] && [ "$(fault dropAfter)" -gt 0 ] && [ "$throttles" -gt 0 ]'
export WHIMBREL_PROD_DB=$URL
run "$WHIMBREL" --db "$URL" export touchy
is "faults: every item transformed exactly once" "$(grep -c '"n":{"N":"1"}' <<<"$out")" 200
is "faults: the other writer's changes kept" "$(grep -c '"v":{"N":"-1"}' <<<"$out")" 3
row=$(json 0004_touchy)
is "faults: the ledger says succeeded" "$(field 1 status <<<"$row")" succeeded
is "faults: the ledger's scanned" "$(field 1 scanned <<<"$row")" 200
is "faults: the ledger's written" "$(field 1 written <<<"$row")" 200
is "faults: the ledger's conditions failed: the three items changed" "$(field 1 conditions_failed <<<"$row")" 3
run_id=$(field 1 run_id <<<"$row")
"$WHIMBREL" log "$run_id" prod >log.txt 2>&1
stat() { grep "whimbrel: dynamodb" log.txt | grep -o "[0-9]* $1" | awk '{s += $1} END {print s + 0}'; }
counted=$(($(stat throttled) + $(stat 5xx) + $(stat network)))
is "faults: the ledger's retries are every retry of the migration's handles" "$(field 1 retries <<<"$row")" "$counted"
is "faults: the ledger's throttled are every throttle the proxy answered" "$(field 1 throttled <<<"$row")" "$throttles"
ok "faults: every injected fault was retried ($injected, $counted counted; a dropped kept-alive connection may be re-sent by libcurl itself)" \
	'[ "$counted" -le "$injected" ] && [ "$counted" -ge $((throttles + $(fault error500))) ]'
is "faults: nothing given up" "$(stat "gave up")" 0

# --- 3. --unconditional
copy_migrations m 0005_counter=counter 0006_counter=counter
if command -v script >/dev/null; then
	script -qec "$WHIMBREL run prod --allow-dirty m/0005_counter.c --dir m --no-stamp --unconditional" /dev/null \
		</dev/null >tty.txt 2>&1
	rc=$?
	is "unconditional: refused on a terminal without --yes" "$rc" 1
	has "unconditional: it says why" "$(cat tty.txt)" "refusing --unconditional without --yes on a terminal"
	ok "unconditional: nothing ran" '! json 0005_counter | grep -q run_id'
else
	skip "unconditional: refused on a terminal without --yes" "no script(1)"
fi
start_proxy --only-table cars --unprocessed 0.4 --throttle 0.05 --seed 3
export WHIMBREL_PROD_DB=$PROXY
run "$WHIMBREL" run prod --allow-dirty m/0005_counter.c --yes --dir m --no-stamp --unconditional
is "unconditional: with --yes it runs" "$rc" 0
partial=$(fault unprocessed)
throttles=$(fault throttle)
ok "unconditional: the proxy held back entries and throttled ($partial, $throttles)" '[ "$partial" -gt 0 ] && [ "$throttles" -gt 0 ]'
row=$(WHIMBREL_PROD_DB=$URL json 0005_counter)
is "unconditional: the ledger's retries: every throttle and re-sent remainder" "$(field 1 retries <<<"$row")" \
	$((partial + throttles))
is "unconditional: all of them throttling" "$(field 1 throttled <<<"$row")" $((partial + throttles))
has "unconditional: prod says what it risks" "$err" "--unconditional on prod: writes without conditions overwrite"
batches=$(fault requests)
ok "unconditional: by BatchWriteItem of 25 (3000 items in $batches requests)" '[ "$batches" -lt 400 ]'
export WHIMBREL_PROD_DB=$URL
is "unconditional: the ledger records it" "$(json 0005_counter | field 1 unconditional)" true
ok "unconditional: a conditional run's row does not say so" '! json 0003_counter | grep -q unconditional'
run "$WHIMBREL" history prod 0005_counter
has "unconditional: history shows it" "$out" "unconditional: written without conditions"
run "$WHIMBREL" status prod --dir m
has "unconditional: status shows it" "$out" "unconditional: written without conditions"
run "$WHIMBREL" run prod --allow-dirty m/0009_check.c --yes --dir m --no-stamp
has "unconditional: every car transformed once more" "$out" "cars=3000 counter0=0 counter1=0 counter2=0 counter3+=3000"
run "$WHIMBREL" run prod --allow-dirty m/0006_counter.c --dir m --no-stamp --unconditional </dev/null
is "unconditional: without a terminal prod still needs --yes" "$rc" 1

# --- 4. the setting
run "$WHIMBREL" run prod m/0006_counter.c --concurrency 999
is "--concurrency 999: a usage error" "$rc" 2
run "$WHIMBREL" run prod m/0006_counter.c --concurrency
is "--concurrency without N: a usage error" "$rc" 2
run "$WHIMBREL" worker prod --once --concurrency 0
is "worker --concurrency 0: a usage error" "$rc" 2
printf '[prod]\ndb = %s\nconcurrency = lots\n' "$URL" >whimbrel.conf
run env -u WHIMBREL_PROD_DB "$WHIMBREL" run prod --allow-dirty m/0006_counter.c --yes --dir m --no-stamp
is "concurrency = lots: refused" "$rc" 1
has "concurrency = lots: says where" "$err" "whimbrel.conf:3: concurrency = lots"
printf '[prod]\ndb = %s\nconcurrency = 3\n' "$URL" >whimbrel.conf
start_proxy --delay 5
run env -u WHIMBREL_PROD_DB WHIMBREL_THREADS=1 "$WHIMBREL" --db "$PROXY" run prod --allow-dirty m/0006_counter.c --yes \
	--dir m --no-stamp
is "concurrency = 3: the run succeeds" "$rc" 0
peak=$(fault peakInFlight)
ok "concurrency = 3: 3 writes in flight, not 32 (+ the thread's own, the runner's) ($peak)" '[ "$peak" -le 7 ] && [ "$peak" -ge 3 ]'
# --- 5. a worker's migrations get its --concurrency
copy_migrations m 0007_counter=counter
rm whimbrel.conf
start_proxy --delay 5
run "$WHIMBREL" --db "$PROXY" schedule prod m/0007_counter.c --now --workers 1 --allow-dirty
is "worker: the job is scheduled" "$rc" 0
run env WHIMBREL_THREADS=1 "$WHIMBREL" --db "$PROXY" worker prod --once --concurrency 2
is "worker --concurrency 2: the job runs" "$rc" 0
has "worker --concurrency 2: it succeeds" "$err" "succeeded"
peak=$(fault peakInFlight)
ok "worker --concurrency 2: 2 writes in flight, not 32 ($peak)" '[ "$peak" -le 6 ] && [ "$peak" -ge 2 ]'
echo "1..$n"
