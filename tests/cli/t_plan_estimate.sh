#!/usr/bin/env bash
# t_plan_estimate.sh - `whimbrel plan`'s estimate of the capacity a run
# consumes, its time and cost, against what a real run consumed on the same
# data: a private dynalite behind tests/interop/faultproxy.mjs --capacity,
# which asks DynamoDB for the consumed capacity of every request and sums
# it per table.  1,500 items of sizes from 40 bytes to 3 KB; the migration
# deletes a third, grows a third by 700 bytes and keeps the rest.  The read
# and write units of the plan are within 10% of those the run consumed on
# the table; the run's ledger row keeps the plan's estimate.  Then the
# price table: the installed one, --prices FILE, `prices =` in
# whimbrel.conf, a broken file; and the time at --max-wcu.
. "$(dirname "$0")/lib.sh"
need_dynamodb
dynalite_start "$T/dyn"
proxy_start --capacity
P=http://127.0.0.1:$PPORT
export WHIMBREL_DEV_DB=$PROXY
copy_migrations m estimate

"$WHIMBREL" table create cars --pk id >/dev/null
awk 'BEGIN { for (i = 0; i < 1500; i++) { b = ""; n = (i * 37) % 3000;
	while (length(b) < n) b = b "abcdefghij"; printf "{\"id\":\"car-%06d\",\"n\":%d,\"blob\":\"%s\"}\n", i, i, substr(b, 1, n) } }' >cars.jsonl
run "$WHIMBREL" import cars cars.jsonl
is "import 1500 items" "$rc" 0

run "$WHIMBREL" plan dev m/0001_estimate.c --json --max-wcu 100
is "plan --json: exit 0" "$rc" 0
num() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" <<<"$2"; }
prcu=$(num rcu "$out"); pwcu=$(num wcu "$out")
ok "plan --json: read and write units" '[ -n "$prcu" ] && [ -n "$pwcu" ]'
has "plan --json: the prices' date" "$out" '"date":"2024-11-01"'
ok "plan --json: the last line is one JSON object" \
	'tail -1 <<<"$out" | node -e "JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"))"'
ok "plan --json: the time at --max-wcu 100 is wcu/100" \
	'awk -v s="$(num seconds "$out")" -v w="$pwcu" "BEGIN { exit !(s > 0 && s - w / 100 < 0.01 && w / 100 - s < 0.01) }"'

curl -s "$P/__reset" >/dev/null
run "$WHIMBREL" run dev m/0001_estimate.c
is "run: exit 0" "$rc" 0
cap=$(curl -s "$P/__capacity")
# dynalite 4.0.0 drops ConsistentRead from a Scan (its validations/scan.js does
# not declare it) and charges every Scan as eventually consistent, half a unit
# per 4 KB; DynamoDB charges the strongly consistent Scans whimbrel sends (the
# run's only reads of cars here) a whole unit: twice what dynalite says.
tables() { node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(c.tables[process.argv[1]].cars ?? "")' "$1" <<<"$cap"; }
rrcu=$(tables read)
rrcu=$(awk -v r="$rrcu" 'BEGIN { if (r != "") print 2 * r }')
rwcu=$(tables write)
echo "# plan: $prcu RCU, $pwcu WCU; the run consumed on cars: $rrcu RCU (strongly consistent), $rwcu WCU ($cap)"
within() { awk -v e="$1" -v a="$2" 'BEGIN { exit !(a > 0 && (e - a) / a <= 0.10 && (a - e) / a <= 0.10) }'; }
ok "estimate: read units within 10% of the run's ($prcu vs $rrcu)" 'within "$prcu" "$rrcu"'
ok "estimate: write units within 10% of the run's ($pwcu vs $rwcu)" 'within "$pwcu" "$rwcu"'
hist=$("$WHIMBREL" history dev 0001_estimate --json)
has "ledger: the run keeps the plan's read estimate" "$hist" "\"rcu_estimate\": $prcu"
has "ledger: the run keeps the plan's write estimate" "$hist" "\"wcu_estimate\": $pwcu"

# --- the price table
run "$WHIMBREL" plan dev m/0001_estimate.c
has "plan: the estimate line" "$out" "plan: estimate:"
has "plan: no limit: says so" "$out" "no limit given"
has "plan: the installed prices" "$out" "share/whimbrel/prices.ini"
printf '[prices]\ndate = 2030-01-01\nregion = eu-west-1\ncurrency = EUR\non_demand_write_million = 1\non_demand_read_million = 1\nprovisioned_wcu_hour = 1\nprovisioned_rcu_hour = 1\n' >mine.ini
run "$WHIMBREL" plan dev m/0001_estimate.c --prices mine.ini --max-wcu 10
has "--prices FILE: its date and region" "$out" "prices of 2030-01-01 for eu-west-1"
has "--prices FILE: its currency" "$out" "EUR"
has "--prices FILE: 10 WCU provisioned cost 10 per hour" "$out" "10.0000 EUR per hour"
printf '[dev]\nprices = mine.ini\n' >whimbrel.conf
run "$WHIMBREL" plan dev m/0001_estimate.c
has "whimbrel.conf prices = FILE" "$out" "prices of 2030-01-01"
rm whimbrel.conf
sed '/provisioned_rcu_hour/d' mine.ini >broken.ini
run "$WHIMBREL" plan dev m/0001_estimate.c --prices broken.ini
is "a price file without a key: exit 1" "$rc" 1
has "a price file without a key: names it" "$err" "broken.ini: [prices] has no provisioned_rcu_hour"
run "$WHIMBREL" plan dev m/0001_estimate.c --prices nowhere.ini
has "no such price file: says so" "$err" "no price file nowhere.ini"
echo "1..$n"
