#!/usr/bin/env bash
# t_pitr.sh - `whimbrel restore` and `whimbrel pitr` on DynamoDB.  dynalite
# has no point-in-time recovery, so these run against a scripted endpoint
# on loopback (pitr_server.mjs) that answers DescribeTable,
# DescribeContinuousBackups, UpdateContinuousBackups and
# RestoreTableToPointInTime as DynamoDB does, errors included: the requests
# whimbrel sends (target, content type, signature scheme, body) and what it
# makes of every answer are checked.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || skip_all "node is not installed (the scripted server)"
mkdir srv
node "$WB_ROOT/tests/cli/pitr_server.mjs" "$T/srv" 2>srv/log &
SRV=$!
at_exit 'kill $SRV 2>/dev/null'
for _ in $(seq 100); do [ -s srv/port ] && break; sleep 0.05; done
[ -s srv/port ] || skip_all "the scripted server did not start: $(cat srv/log)"
export WHIMBREL_PROD_DB="dynamodb://127.0.0.1:$(cat srv/port)" WB_RESTORE_POLL_MS=20
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret AWS_REGION=us-east-1
last() { tail -1 srv/requests.jsonl; }             # the last request
count() { grep -c "\"DynamoDB_20120810.$1\"" srv/requests.jsonl; }
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

# --- pitr status / enable
run "$WHIMBREL" pitr status cars
is "status: exit 0" "$rc" 0
has "status: enabled, with the window" "$out" "cars: point-in-time recovery ENABLED; earliest restorable"
is "the request: target, type, signature, body" "$(last)" \
	'{"target":"DynamoDB_20120810.DescribeContinuousBackups","contentType":"application/x-amz-json-1.0","auth":"AWS4-HMAC-SHA256 us-east-1/dynamodb","body":{"TableName":"cars"}}'
run "$WHIMBREL" pitr status plain
has "status of a table without it: DISABLED" "$out" "plain: point-in-time recovery DISABLED"
run "$WHIMBREL" pitr enable plain
is "enable: exit 0" "$rc" 0
has "enable: says so" "$out" "plain: point-in-time recovery enabled"
has "enable: then ENABLED" "$out" "plain: point-in-time recovery ENABLED"
has "enable: UpdateContinuousBackups" "$(grep UpdateContinuousBackups srv/requests.jsonl)" \
	'"body":{"TableName":"plain","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}'
run "$WHIMBREL" pitr status nope
is "status of no table: exit 1" "$rc" 1
has "TableNotFoundException, one line" "$err" "TableNotFoundException: Table not found: nope"
clean1 "one line" "$err"
run "$WHIMBREL" pitr enable nope
is "enable of no table: exit 1" "$rc" 1
run "$WHIMBREL" pitr
is "pitr without a verb: exit 2" "$rc" 2

# --- restore
AT=$(iso '-30 min')
run "$WHIMBREL" restore cars --to "$AT" --into cars_r
is "restore: exit 0" "$rc" 0
has "restore: the request" "$(grep RestoreTableToPointInTime srv/requests.jsonl | tail -1)" \
	'"body":{"SourceTableName":"cars","TargetTableName":"cars_r","RestoreDateTime":'
SENT=$(grep RestoreTableToPointInTime srv/requests.jsonl | tail -1 | sed 's/.*"RestoreDateTime":\([0-9.]*\).*/\1/')
is "restore: the time sent (seconds)" "${SENT%.*}" "$(date -u -d "$AT" +%s)"
has "restore: progress while CREATING" "$err" "restoring cars into cars_r: CREATING"
has "restore: then ACTIVE" "$err" "restoring cars into cars_r: ACTIVE"
ok "restore: DescribeTable polled until ACTIVE" '[ "$(grep -c "\"TableName\":\"cars_r\"" srv/requests.jsonl)" -ge 4 ]'
has "restore: the point" "$out" "restored cars into cars_r as of $(date -u -d "$AT" '+%Y-%m-%d %H:%M:%S').000 UTC: DynamoDB's point-in-time recovery"

RUN=20261127T100000Z-0badf00d  # the run pitr_server.mjs's ledger holds, started 30 minutes ago
run "$WHIMBREL" restore cars --to "$RUN" --into cars_run
is "--to RUN (just before it): exit 0" "$rc" 0
SENT=$(grep RestoreTableToPointInTime srv/requests.jsonl | tail -1 | sed 's/.*"RestoreDateTime":\([0-9.]*\).*/\1/')
ok "--to RUN: the millisecond before the second it started in ($SENT)" \
	'awk -v s="$SENT" -v t="$(date -u -d "-30 min" +%s)" "BEGIN { exit !(s < t && s > t - 5) }"'
run "$WHIMBREL" restore cars --to 20261127T100000Z-deadbeef --into cars_nr
is "--to an unknown run: exit 1" "$rc" 1
has "says what TIME may be" "$err" "or the id of a run of this target"

run "$WHIMBREL" restore cars --latest --into cars_l
is "--latest: exit 0" "$rc" 0
has "--latest: UseLatestRestorableTime" "$(grep RestoreTableToPointInTime srv/requests.jsonl | tail -1)" \
	'"body":{"SourceTableName":"cars","TargetTableName":"cars_l","UseLatestRestorableTime":true}'
has "--latest: the point DynamoDB chose" "$out" "(its latest restorable time)"

n0=$(count RestoreTableToPointInTime)
run "$WHIMBREL" restore cars --to "$(iso '-2 hours')" --into cars_old
is "before the window: exit 1" "$rc" 1
has "names the earliest and latest restorable times" "$err" "is outside the restorable window of table cars: earliest"
has "latest too" "$err" ", latest "
is "no restore was asked for" "$(count RestoreTableToPointInTime)" "$n0"
run "$WHIMBREL" restore cars --to "$(iso '-1 min')" --into cars_new
is "after the window: exit 1" "$rc" 1

refused() {  # TABLE NEW WHAT [CHECK TEXT]: restore TABLE at $AT into NEW exits 1 (test WHAT), its error holding TEXT
	run "$WHIMBREL" restore "$1" --to "$AT" --into "$2"
	is "$3: exit 1" "$rc" 1
	[ $# -lt 5 ] || has "$4" "$err" "$5"
}
refused drift drift_r InvalidRestoreTimeException "the window in the error" "outside the restorable window of table drift: earliest"
refused liar liar_r PointInTimeRecoveryUnavailableException "says recovery is off" "point-in-time recovery is not enabled on table liar"
refused race race_r TableAlreadyExistsException "says NEW exists" "table race_r exists already"
refused ghost ghost_r TableNotFoundException "says so" TableNotFoundException
n0=$(count RestoreTableToPointInTime)
refused cars plain "NEW exists (DescribeTable)" "says so" "table plain exists already"
refused nope nope_r "no such table"
is "neither asked DynamoDB to restore" "$(count RestoreTableToPointInTime)" "$n0"

echo "1..$n"
