#!/usr/bin/env bash
# dynamo_latency.sh - the DynamoDB benchmark at a real endpoint's latency
# (results: bench/RESULTS.md, section "DynamoDB at 0 and 5 ms").
#
# dynalite on loopback behind tests/interop/faultproxy.mjs adding DELAY ms
# to every request (about a round trip to a regional endpoint at 5 ms), the
# same change -- add price = 0 to every item of a table of ~200-byte cars --
# done three ways on identical copies of the data:
#   runner       `whimbrel run prod --threads SEG` of a wb_each migration
#                (every write conditional on the item as read);
#   sdk-cond     AWS SDK for JavaScript v3, one conditional UpdateItem per
#                item, a scan page's items all sent at once (50 sockets);
#   sdk-batch    AWS SDK v3, unconditional BatchWriteItem of 25 (overwrites
#                concurrent writes).
# For each: wall time, client CPU (user + system, children included) and peak
# RSS from /usr/bin/time; requests sent and the most in flight at once, from
# the proxy.
#
#   bench/dynamo_latency.sh [ITEMS [DELAYS]]     (default: 5000 "0 5")
# WB_DYNAMO_SEGMENTS (default 4) segments / threads for every contender.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
W=$ROOT/$BUILD/bin/whimbrel
ITEMS=${1:-5000}
DELAYS=${2:-0 5}
SEG=${WB_DYNAMO_SEGMENTS:-4}
DIR=${TMPDIR:-/tmp}/wb-dynamo-latency.$$
[ -d node_modules/dynalite ] || { echo "dynamo_latency.sh: run scripts/deps.sh first (dynalite)" >&2; exit 1; }
[ -x "$W" ] || make --no-print-directory all BUILD="$BUILD"
mkdir -p "$DIR/work"
URL=$(scripts/dynalite.sh start "$DIR/dyn")
proxy=""
cleanup() {
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null
	scripts/dynalite.sh stop "$DIR/dyn"
	rm -rf "$DIR"
}
trap cleanup EXIT
node bench/gen_items.mjs "$ITEMS" "$DIR/items.jsonl"

cat >"$DIR/work/0001_add_price.c" <<'EOF'
/*
 * Add price = 0 to every item of $BENCH_TABLE (the DynamoDB latency benchmark).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

static int add_price(wb_item *item, void *arg)
{
	(void)arg;
	if (wb_item_has(item, "price"))
		return WB_KEEP;
	wb_item_set_number(item, "price", "0");
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, wb_each(run, getenv("BENCH_TABLE"), NULL, add_price, NULL));
}
EOF

n=0
load() {  # TABLE: a fresh copy of the items, loaded directly (not through the proxy)
	"$W" --db "$URL" table create "$1" --pk id >/dev/null 2>&1
	"$W" --db "$URL" import "$1" "$DIR/items.jsonl" >/dev/null
}
check() {  # TABLE: every item has its price
	local got
	got=$("$W" --db "$URL" export "$1" | grep -c '"price":{"N":"0"}' || true)
	[ "$got" -eq "$ITEMS" ] || { echo "dynamo_latency.sh: $1: $got of $ITEMS items have a price" >&2; exit 1; }
}
start_proxy() {  # DELAY
	rm -f "$DIR/proxy.port"
	node tests/interop/faultproxy.mjs --target "http://${URL#dynamodb://}" --port-file "$DIR/proxy.port" \
		--delay "$1" >"$DIR/proxy.log" 2>&1 &
	proxy=$!
	for _ in $(seq 100); do [ -s "$DIR/proxy.port" ] && break; sleep 0.1; done
	PROXY=dynamodb://127.0.0.1:$(cat "$DIR/proxy.port")
}
stop_proxy() { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null || true; proxy=""; }
measure() {  # NAME DELAY CMD...: run CMD (@TABLE@ = a fresh table) through the proxy; one result line
	local name=$1 delay=$2 stats a cmd=(); shift 2
	n=$((n + 1))
	load "bench_$n"
	for a in "$@"; do cmd+=("${a//@TABLE@/bench_$n}"); done
	curl -s "http://127.0.0.1:$(cat "$DIR/proxy.port")/__reset" >/dev/null
	export BENCH_TABLE="bench_$n"
	/usr/bin/time -f '%e %U %S %M' -o "$DIR/time" "${cmd[@]}" >"$DIR/out" 2>"$DIR/err" ||
		{ cat "$DIR/err" >&2; exit 1; }
	stats=$(curl -s "http://127.0.0.1:$(cat "$DIR/proxy.port")/__faults")
	check "bench_$n"
	read -r wall user sys rss <"$DIR/time"
	awk -v n="$name" -v d="$delay" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v i="$ITEMS" \
		-v q="$(sed 's/.*"requests":\([0-9]*\).*/\1/' <<<"$stats")" \
		-v p="$(sed 's/.*"peakInFlight":\([0-9]*\).*/\1/' <<<"$stats")" 'BEGIN {
		printf "%-10s %5s %8.2f %10.0f %8.2f %8.0f %9d %9d\n", n, d, w, i / w, u + s, r / 1024, q, p }'
}

# Compile the migration once (the cache), on a small table, outside the measure.
"$W" --db "$URL" table create b_warm --pk id >/dev/null 2>&1
head -10 "$DIR/items.jsonl" | "$W" --db "$URL" import b_warm - >/dev/null
(cd "$DIR/work" && BENCH_TABLE=b_warm WHIMBREL_PROD_DB=$URL "$W" -q run prod 0001_add_price.c --yes --no-stamp \
	>/dev/null 2>&1)

echo "dynalite $URL, $ITEMS items, $SEG segments / threads"
printf '%-10s %5s %8s %10s %8s %8s %9s %9s\n' contender "ms" "wall s" "items/s" "cpu s" "RSS MB" requests "in flight"
for delay in $DELAYS; do
	start_proxy "$delay"
	cp "$DIR/work/0001_add_price.c" "$DIR/work/0002_add_price_$delay.c"
	measure runner "$delay" env -C "$DIR/work" WHIMBREL_PROD_DB="$PROXY" \
		"$W" -q run prod "0002_add_price_$delay.c" --yes --no-stamp --threads "$SEG"
	measure sdk-cond "$delay" node bench/dynamo_sdk.mjs "$PROXY" @TABLE@ "$SEG" conditional
	measure sdk-batch "$delay" node bench/dynamo_sdk.mjs "$PROXY" @TABLE@ "$SEG" batch
	stop_proxy
done
