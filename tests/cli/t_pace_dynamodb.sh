# t_pace_dynamodb.sh - pacing by consumed capacity on DynamoDB (issue 15),
# through tests/interop/faultproxy.mjs in front of a private dynalite: the
# proxy sums the ConsumedCapacity of the answers per second (dynalite
# reports it when asked, and whimbrel asks on every request).
#   1. three workers share one --max-wcu: the write units of any 5-second
#      window stay within 10% of 5 x the limit;
#   2. AIMD: with 10% of the requests throttled, the run goes well under its
#      limit, meets throttling (ledger) and still finishes;
#   3. pause from a second process: no write goes through, the lease is
#      kept (a second run exits 3), status says paused; resume and it
#      finishes; the ledger's wcu_consumed equals what the proxy counted;
#   4. limit raises the rate of a running run;
#   5. --capacity on an on-demand table fails and says to use --max-wcu;
#      on a provisioned table it takes that share of the table's units.
# Sizes: WB_PACE_DDB_N cars (450) for 1 and 4; 150 for 2 and 3, 60 for 5.
. "$(dirname "$0")/lib.sh"
need_dynamodb
N=${WB_PACE_DDB_N:-450}
LIMIT=40
dynalite_start "$T/dyn"
proxy_start
bg=""
at_exit '[ -z "$bg" ] || kill "$bg" 2>/dev/null'
export WHIMBREL_PROD_DB=$PROXY WHIMBREL_BATCH=25
P() { "$WHIMBREL" run prod --allow-dirty --yes --dir m --no-stamp "$@"; }
cap() { curl -s "http://127.0.0.1:$PPORT/__capacity"; }
writes() { cap | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["write"]))'; }
rate_between() {  # FROM TO (Unix seconds): mean write units per second of the proxy's seconds [FROM, TO)
	cap | python3 -c '
import json, sys
s = json.load(sys.stdin)["seconds"]; a, b = int(sys.argv[1]), int(sys.argv[2])
print(round(sum(s.get(str(t), {"write": 0})["write"] for t in range(a, b)) / (b - a), 1))' "$1" "$2"
}
hist() {  # FIELD [MIGRATION]: of the last run
	"$WHIMBREL" history prod "${2:-0002_counter}" --json | python3 -c "import json,sys; print(json.load(sys.stdin)[-1]['$1'])"
}
running_id() { "$WHIMBREL" history prod 0002_counter --json | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["status"] == "running"]
print(r[-1]["run_id"] if r else "")'; }
wait_run() {
	local id=""
	for _ in $(seq 300); do id=$(running_id); [ -n "$id" ] && break; sleep 0.1; done
	echo "$id"
}
copy_migrations m seed counter check
SEED_N=$N "$WHIMBREL" --db "$URL" run prod --allow-dirty --yes --dir m --no-stamp m/0001_seed.c >/dev/null 2>&1
CARS_TABLE=small SEED_N=150 "$WHIMBREL" --db "$URL" run prod --allow-dirty --yes --dir m --no-stamp \
	m/0001_seed.c >/dev/null 2>&1
CARS_TABLE=tiny SEED_N=60 "$WHIMBREL" --db "$URL" run prod --allow-dirty --yes --dir m --no-stamp \
	m/0001_seed.c >/dev/null 2>&1

# --- 1. three workers, one --max-wcu
run "$WHIMBREL" schedule prod m/0002_counter.c --now --workers 3 --allow-dirty --max-wcu $LIMIT
is "schedule --max-wcu: exit 0" "$rc" 0
t0=$(date +%s)
for i in 1 2 3; do
	"$WHIMBREL" worker prod --id "w$i" --max-jobs 1 >"w$i.out" 2>&1 &
	eval "pid$i=\$!"
done
wait "$pid1"; r1=$?; wait "$pid2"; r2=$?; wait "$pid3"; r3=$?
is "three workers: exit 0" "$r1$r2$r3" "000"
is "the job's ledger row: wcu_consumed summed over its workers is what the proxy counted" \
	"$(hist wcu_consumed | cut -d. -f1)" "$(writes)"
run P m/0003_check.c
has "every car changed once" "$out" "cars=$N counter0=0 counter1=$N counter2=0"
stats=$(cap | python3 -c '
import json, sys
limit = float(sys.argv[1]); t0 = int(sys.argv[2])
secs = {int(k): v["write"] for k, v in json.load(sys.stdin)["seconds"].items() if int(k) >= t0}
busy = [s for s in secs if secs[s] > 0]
first, last = min(busy), max(busy)
wins = [sum(secs.get(s + i, 0) for i in range(5)) for s in range(first, last - 3)]
print(max(wins), sum(wins) / len(wins), len(wins), limit * 5)' $LIMIT "$t0")
read -r wmax wmean nwin budget <<<"$stats"
echo "# 3 workers at --max-wcu $LIMIT: $nwin five-second windows, at most $wmax units (budget $budget), mean $wmean"
ok "3 workers: every 5-second window within 10% of 5 x --max-wcu ($wmax <= 1.1 x $budget)" \
	'python3 -c "import sys; sys.exit(0 if $wmax <= 1.1 * $budget else 1)"'
ok "3 workers: the budget is used (mean window $wmean >= 0.5 x $budget)" \
	'[ "$nwin" -ge 3 ] && python3 -c "import sys; sys.exit(0 if $wmean >= 0.5 * $budget else 1)"'

# --- 2. AIMD under throttling
curl -s "http://127.0.0.1:$PPORT/__set?throttle=0.1" >/dev/null
w0=$(writes); t0=$(date +%s%N)
CARS_TABLE=small run P m/0002_counter.c --max-wcu 60
t1=$(date +%s%N); w1=$(writes)
curl -s "http://127.0.0.1:$PPORT/__set?throttle=0" >/dev/null
is "throttled run: exit 0" "$rc" 0
rate=$(python3 -c "print(round(($w1 - $w0) / (($t1 - $t0) / 1e9), 1))")
echo "# throttled 10%: $((w1 - w0)) units in $(((t1 - t0) / 1000000)) ms = $rate/s at --max-wcu 60; throttled $(hist throttled)"
ok "throttled: the ledger counts throttling" '[ "$(hist throttled)" -gt 0 ]'
# 150 writes: 2.5 s at the limit unthrottled; halved within the first second
ok "throttled: AIMD keeps the run well under its limit ($rate < 48/s)" \
	'python3 -c "import sys; sys.exit(0 if $rate < 48 else 1)"'

# --- 3. pause and resume from another process
export CARS_TABLE=small
w0=$(writes)
P m/0002_counter.c --max-wcu 15 >run3.out 2>&1 &
bg=$!
id=$(wait_run)
sleep 2
run "$WHIMBREL" pause "$id" prod
is "pause: exit 0" "$rc" 0
sleep 2
a=$(writes); sleep 3; b=$(writes)
is "paused: no write unit for 3 s" "$b" "$a"
run P m/0002_counter.c
is "paused: the lease is kept (a second run exits 3)" "$rc" 3
run "$WHIMBREL" status prod --dir m
has "status: paused with its limit" "$out" "is paused (by"
has "status: the limit" "$out" "max-wcu 15"
run "$WHIMBREL" resume "$id" prod
is "resume: exit 0" "$rc" 0
wait "$bg"; rc=$?; bg=""
is "resumed: the run finishes, exit 0" "$rc" 0
is "resumed: the ledger says succeeded" "$(hist status)" succeeded
w1=$(writes)
is "ledger: wcu_consumed is what the proxy counted" "$(hist wcu_consumed | cut -d. -f1)" "$((w1 - w0))"
ok "ledger: rcu_consumed counted" 'python3 -c "import sys; sys.exit(0 if float(\"$(hist rcu_consumed)\") > 0 else 1)"'

# --- 4. limit raises the rate of a running run
unset CARS_TABLE
P m/0002_counter.c --max-wcu 8 >run4.out 2>&1 &
bg=$!
id=$(wait_run)
sleep 5
run "$WHIMBREL" limit "$id" prod --max-wcu 60
is "limit: exit 0" "$rc" 0
t=$(date +%s)
wait "$bg"; bg=""
# the issue's measure: within 10% of the limit over a 5-second window
slow=$(rate_between $((t - 4)) "$t"); fast=$(rate_between $((t + 2)) $((t + 7)))
echo "# limit: $slow units/s at --max-wcu 8, then $fast units/s at 60"
ok "limit: the rate went up ($slow/s -> $fast/s)" \
	'python3 -c "import sys; sys.exit(0 if $fast >= 2.5 * $slow and $slow <= 8.8 and $fast <= 66 else 1)"'

# --- 5. --capacity
export CARS_TABLE=tiny
run P m/0002_counter.c --capacity 50%
is "--capacity on an on-demand table: the run fails" "$rc" 1
has "--capacity on-demand: it says so" "$err$out" "on-demand (PAY_PER_REQUEST)"
has "--capacity on-demand: and what to use" "$err$out" "--max-wcu"
node -e '
const http = require("http");
const body = JSON.stringify({TableName: "prov", KeySchema: [{AttributeName: "id", KeyType: "HASH"}],
  AttributeDefinitions: [{AttributeName: "id", AttributeType: "S"}, {AttributeName: "brand", AttributeType: "S"}],
  ProvisionedThroughput: {ReadCapacityUnits: 40, WriteCapacityUnits: 12},
  GlobalSecondaryIndexes: [{IndexName: "by_brand", KeySchema: [{AttributeName: "brand", KeyType: "HASH"}],
    Projection: {ProjectionType: "KEYS_ONLY"}, ProvisionedThroughput: {ReadCapacityUnits: 10, WriteCapacityUnits: 8}}]});
const req = http.request({host: "127.0.0.1", port: process.argv[1], method: "POST", path: "/", headers: {
  "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.CreateTable",
  "Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
  "X-Amz-Date": "20260101T000000Z"}}, (r) => { r.resume(); r.on("end", () => process.exit(r.statusCode == 200 ? 0 : 1)); });
req.end(body);' "${URL##*:}"
ok "a provisioned table (12 WCU, and 8 more for its GSI)" '[ $? -eq 0 ]'
CARS_TABLE=prov SEED_N=60 "$WHIMBREL" --db "$URL" run prod --allow-dirty --yes --dir m --no-stamp m/0001_seed.c >/dev/null 2>&1
export CARS_TABLE=prov
t0=$(date +%s%N)
run P m/0002_counter.c --capacity 50%
ms=$((($(date +%s%N) - t0) / 1000000))
is "--capacity 50% of 20 WCU: exit 0" "$rc" 0
has "--capacity: the table's units, GSI included, and the limits they make" "$err" \
	"table prov has 50 RCU and 20 WCU provisioned (global secondary indexes included): at most 25 RCU/s and 10 WCU/s"
ok "--capacity 50%: 60 writes at 10 WCU/s take 5 s or more (took $ms ms)" '[ "$ms" -ge 4500 ]'
echo "1..$n"
