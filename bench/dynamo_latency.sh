#!/usr/bin/env bash
# dynamo_latency.sh - the DynamoDB benchmark at a real endpoint's latency
# (results: bench/RESULTS.md, section "DynamoDB at 0 and 5 ms").
#
# dynalite on loopback behind tests/interop/faultproxy.mjs adding DELAY ms
# to every request (about a round trip to a regional endpoint at 5 ms), the
# same change -- add price = 0 to every item of a table of ~200-byte cars --
# done four ways on identical copies of the data, side by side at each delay:
#   runner       `whimbrel run prod --threads SEG` of a wb_each migration,
#                the default mode: every write conditional on the item as
#                read, up to --concurrency (default 32) requests in flight;
#   runner-unc   the same with --unconditional: BatchWriteItem of 25, no
#                conditions (overwrites concurrent writes);
#   sdk-cond     AWS SDK for JavaScript v3, one conditional UpdateItem per
#                item, a scan page's items all sent at once (50 sockets);
#   sdk-batch    AWS SDK v3, unconditional BatchWriteItem of 25;
#   engine       dynamo_sdk.mjs raw: sdk-cond's requests sent with no SDK,
#                over bare HTTP (64 sockets): how fast this engine can carry
#                out the default mode's 5,000 conditional writes at all, the
#                floor under every client (runner and sdk-cond included).
# For each: wall time, client CPU (user + system, children included) and peak
# RSS from /usr/bin/time; requests sent and the most in flight at once, from
# the proxy; the CPU dynalite and the proxy spent meanwhile (on a small
# machine they bound everyone's wall time).  Then the budgets of issue 10 (runner: at most half sdk-cond's
# wall and a quarter of its CPU, RSS <= 32 MB; runner-unc: wall at or below
# sdk-batch's), each said ok or OVER.
#
#   bench/dynamo_latency.sh [ITEMS [DELAYS]]     (default: 5000 "0 5")
# WB_DYNAMO_SEGMENTS (default 4) segments / threads for every contender;
# WB_CONCURRENCY (default: whimbrel's) the runner's --concurrency;
# WB_CONTENDERS (default "runner runner-unc sdk-cond sdk-batch engine") which, in order;
# WB_ROUNDS (default 1) how many times each, interleaved (the budgets then
# compare each contender's median run by wall time: the machine's load
# drifts).
set -euo pipefail
ITEMS=${1:-5000}
DELAYS=${2:-0 5}
SEG=${WB_DYNAMO_SEGMENTS:-4}
CONC=${WB_CONCURRENCY:+--concurrency $WB_CONCURRENCY}
CONTENDERS=${WB_CONTENDERS:-runner runner-unc sdk-cond sdk-batch engine}
ROUNDS=${WB_ROUNDS:-1}
DIR=${TMPDIR:-/tmp}/wb-dynamo-latency.$$
NAME=dynamo_latency.sh
. "$(dirname "$0")/lib.sh"
bench_dynalite
bench_items
bench_migration "$DIR/work/0001_add_price.c"
proxy=""
bench_at_exit 'stop_proxy'

n=0
start_proxy() {  # DELAY
	rm -f "$DIR/proxy.port"
	node tests/interop/faultproxy.mjs --target "http://${URL#dynamodb://}" --port-file "$DIR/proxy.port" \
		--delay "$1" >"$DIR/proxy.log" 2>&1 &
	proxy=$!
	for _ in $(seq 100); do [ -s "$DIR/proxy.port" ] && break; sleep 0.1; done
	PROXY=dynamodb://127.0.0.1:$(cat "$DIR/proxy.port")
}
stop_proxy() { [ -n "$proxy" ] && { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null || true; }; proxy=""; }
measure() {  # NAME DELAY CMD...: run CMD (@TABLE@ = a fresh table) through the proxy; one result line
	local name=$1 delay=$2 stats a cmd=() s0 p0; shift 2
	n=$((n + 1))
	bench_load "bench_$n"
	for a in "$@"; do cmd+=("${a//@TABLE@/bench_$n}"); done
	curl -s "http://127.0.0.1:$(cat "$DIR/proxy.port")/__reset" >/dev/null
	export BENCH_TABLE="bench_$n"
	s0=$(bench_server_cpu)
	p0=$(bench_cpu "$proxy")
	/usr/bin/time -f '%e %U %S %M' -o "$DIR/time" "${cmd[@]}" >"$DIR/out" 2>"$DIR/err" </dev/null ||
		{ cat "$DIR/err" >&2; exit 1; }
	stats=$(curl -s "http://127.0.0.1:$(cat "$DIR/proxy.port")/__faults")
	bench_check "bench_$n"
	read -r wall user sys rss <"$DIR/time"
	awk -v n="$name" -v d="$delay" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v i="$ITEMS" \
		-v sc="$(awk -v a="$(bench_server_cpu)" -v b="$s0" 'BEGIN { print a - b }')" \
		-v pc="$(awk -v a="$(bench_cpu "$proxy")" -v b="$p0" 'BEGIN { print a - b }')" \
		-v q="$(sed 's/.*"requests":\([0-9]*\).*/\1/' <<<"$stats")" \
		-v p="$(sed 's/.*"peakInFlight":\([0-9]*\).*/\1/' <<<"$stats")" 'BEGIN {
		printf "%-10s %5s %8.2f %10.0f %8.2f %8.0f %9d %9d %9.2f %9.2f\n", n, d, w, i / w, u + s, r / 1024, q, p,
		       sc, pc }' |
		tee -a "$DIR/results"
}
next_mig() {  # a fresh copy of the migration (a new name in the ledger) into $MIG
	n_mig=$((${n_mig:-1} + 1))
	MIG=$(printf %04d "$n_mig")_add_price.c
	cp "$DIR/work/0001_add_price.c" "$DIR/work/$MIG"
}

bench_warm
# Warm dynalite up (node's JIT: the first contender would otherwise pay for
# it, up to 3x its wall time) with an untimed conditional run of each kind.
bench_load b_warm_sdk
node bench/dynamo_sdk.mjs "$URL" b_warm_sdk "$SEG" conditional >/dev/null
bench_load b_warm_run
next_mig
(cd "$DIR/work" && BENCH_TABLE=b_warm_run WHIMBREL_PROD_DB=$URL "$W" -q run prod --allow-dirty --dir . "$MIG" \
	--yes --no-stamp --threads "$SEG" >/dev/null 2>&1)
echo "dynalite $URL, $ITEMS items, $SEG segments / threads${CONC:+, $CONC}"
printf '%-10s %5s %8s %10s %8s %8s %9s %9s %9s %9s\n' contender "ms" "wall s" "items/s" "cpu s" "RSS MB" requests \
	"in flight" "dynalite" "proxy"
for delay in $DELAYS; do
	start_proxy "$delay"
	for c in $(for _ in $(seq "$ROUNDS"); do echo $CONTENDERS; done); do
		case $c in
		runner | runner-unc)
			next_mig
			# shellcheck disable=SC2086 # $CONC: no option, or two words
			measure "$c" "$delay" env -C "$DIR/work" WHIMBREL_PROD_DB="$PROXY" "$W" -q run prod --allow-dirty \
				--dir . "$MIG" --yes --no-stamp --threads "$SEG" $CONC \
				$([ "$c" = runner ] || echo --unconditional) ;;
		sdk-cond) measure sdk-cond "$delay" node bench/dynamo_sdk.mjs "$PROXY" @TABLE@ "$SEG" conditional ;;
		sdk-batch) measure sdk-batch "$delay" node bench/dynamo_sdk.mjs "$PROXY" @TABLE@ "$SEG" batch ;;
		engine) measure engine "$delay" node bench/dynamo_sdk.mjs "$PROXY" @TABLE@ "$SEG" raw ;;
		*) echo "$NAME: unknown contender $c" >&2; exit 2 ;;
		esac
	done
	stop_proxy
done

# The budgets of issue 10, per delay, on each contender's median run by wall time.
echo
sort -k1,1 -k2,2n -k3,3n "$DIR/results" | awk '{ k = $1 SUBSEP $2; i = ++cnt[k]
	w[k, i] = $3; c[k, i] = $5; r[k, i] = $6; d[$2] = 1 }
END {
	for (k in cnt) { m = int((cnt[k] + 1) / 2); wall[k] = w[k, m]; cpu[k] = c[k, m]; rss[k] = r[k, m] }
	for (x in d) {
		printf "%s ms: runner %.2fx sdk-cond wall (<= 0.5 %s), %.2fx its CPU (<= 0.25 %s), %d MB (<= 32 %s); " \
		       "runner-unc %.2f s vs sdk-batch %.2f s (%s)\n", x,
		       wall["runner", x] / wall["sdk-cond", x], wall["runner", x] <= 0.5 * wall["sdk-cond", x] ? "ok" : "OVER",
		       cpu["runner", x] / cpu["sdk-cond", x], cpu["runner", x] <= 0.25 * cpu["sdk-cond", x] ? "ok" : "OVER",
		       rss["runner", x], rss["runner", x] <= 32 ? "ok" : "OVER",
		       wall["runner-unc", x], wall["sdk-batch", x], wall["runner-unc", x] <= wall["sdk-batch", x] ? "ok" : "OVER"
		if (("engine", x) in wall)
			printf "%s ms: engine ceiling %.2f s = %.2fx sdk-cond wall (the runner: %.2fx the ceiling)\n", x,
			       wall["engine", x], wall["engine", x] / wall["sdk-cond", x], wall["runner", x] / wall["engine", x]
	}
}'
