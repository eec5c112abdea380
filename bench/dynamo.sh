#!/usr/bin/env bash
# dynamo.sh - the DynamoDB benchmark (results: bench/RESULTS.md, section
# "DynamoDB (dynalite)").
#
# Against a fresh dynalite on loopback, the same change -- add price = 0 to
# every item of a table of ~200-byte items -- done four ways on identical
# copies of the data:
#   sdk     bench/dynamo_sdk.mjs: AWS SDK for JavaScript v3, parallel Scan +
#           BatchWriteItem (unconditional), one async worker per segment;
#   store   build/bench/dynamo_store: libwhimbrel's store API, the same
#           shape (a thread and handle per segment, wb_scan_page +
#           wb_batch_write, unconditional BatchWriteItem);
#   runner  `whimbrel run prod` of a migration using wb_each: what users
#           run -- every write conditional on the item being unchanged since
#           it was read (one UpdateItem per item), checkpoints, ledger, lease,
#           and the journal (prod's default: a BatchWriteItem of the batch's
#           before-images into whimbrel_journal before its writes);
#   runner_nj the same with --no-journal (the journal's budget: runner within
#           1.5x of it).
# Wall time and client CPU (user + system of the client process and its
# children, from /usr/bin/time; dynalite's CPU is not counted) per run.
#
#   bench/dynamo.sh [ITEMS [DIR]]    (scripts/bench.sh dynamo)
# ITEMS is capped at 20000 (dynalite is slow) unless WB_DYNAMO_ITEMS is set;
# WB_DYNAMO_SEGMENTS (default 4) segments / threads for every contender.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
W=$ROOT/$BUILD/bin/whimbrel
want=${1:-20000}
ITEMS=${WB_DYNAMO_ITEMS:-$(( want < 20000 ? want : 20000 ))}
SEG=${WB_DYNAMO_SEGMENTS:-4}
DIR=${2:-${TMPDIR:-/tmp}}/wb-dynamo-bench.$$
[ -d node_modules/dynalite ] || { echo "dynamo.sh: run scripts/deps.sh first (dynalite)" >&2; exit 1; }
[ -x "$W" ] || make --no-print-directory all BUILD="$BUILD"
mkdir -p "$BUILD/bench"
[ -x "$BUILD/bench/dynamo_store" ] && [ "$BUILD/bench/dynamo_store" -nt "$BUILD/lib/libwhimbrel.a" ] || \
	cc -std=gnu11 -O2 -g -pthread -Iinclude -o "$BUILD/bench/dynamo_store" bench/dynamo_store.c \
		"$BUILD/lib/libwhimbrel.a" -lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm
mkdir -p "$DIR/work"
URL=$(scripts/dynalite.sh start "$DIR/dyn")
trap 'scripts/dynalite.sh stop "$DIR/dyn"; rm -rf "$DIR"' EXIT

# ~200-byte items.
node bench/gen_items.mjs "$ITEMS" "$DIR/items.jsonl"

load() {  # TABLE
	"$W" --db "$URL" table create "$1" --pk id >/dev/null 2>&1
	"$W" --db "$URL" import "$1" "$DIR/items.jsonl" >/dev/null
}
check() {  # TABLE: every item has its price
	local got
	got=$("$W" --db "$URL" export "$1" | grep -c '"price":{"N":"0"}' || true)
	[ "$got" -eq "$ITEMS" ] || { echo "dynamo.sh: $1: $got of $ITEMS items have a price" >&2; exit 1; }
}
server_cpu() {  # dynalite's CPU seconds so far
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$(cat "$DIR/dyn/dynalite.pid")/stat"
}
timed() {  # NAME CMD...: run, record "wall user sys" of the client in $DIR/NAME.time, dynalite's CPU in NAME.server
	local name=$1 before; shift
	before=$(server_cpu)
	/usr/bin/time -f '%e %U %S' -o "$DIR/$name.time" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" ||
		{ cat "$DIR/$name.err" >&2; exit 1; }
	awk -v a="$(server_cpu)" -v b="$before" 'BEGIN { print a - b }' >"$DIR/$name.server"
}

cat >"$DIR/work/0001_add_price.c" <<'EOF'
/*
 * Add price = 0 to every item of $BENCH_TABLE (the DynamoDB benchmark).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

static int add_price(wb_item *item, void *arg)
{
	(void)arg;
	wb_item_set_number(item, "price", "0");
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, wb_each(run, getenv("BENCH_TABLE"), NULL, add_price, NULL));
}
EOF

echo "dynalite $URL, $ITEMS items, $SEG segments"
load b_sdk
timed sdk node bench/dynamo_sdk.mjs "$URL" b_sdk "$SEG"
check b_sdk
load b_store
timed store "$BUILD/bench/dynamo_store" "$URL" b_store "$SEG"
check b_store
# The runner: compile the migration once (cached) on a small table, then measure.
"$W" --db "$URL" table create b_warm --pk id >/dev/null 2>&1
head -10 "$DIR/items.jsonl" | "$W" --db "$URL" import b_warm - >/dev/null
(cd "$DIR/work" && BENCH_TABLE=b_warm WHIMBREL_PROD_DB=$URL "$W" -q run prod --allow-dirty 0001_add_price.c --yes --no-stamp >/dev/null 2>&1)
cp "$DIR/work/0001_add_price.c" "$DIR/work/0002_add_price.c"
load b_run
(cd "$DIR/work" && BENCH_TABLE=b_run WHIMBREL_PROD_DB=$URL WHIMBREL_THREADS=$SEG \
	timed runner "$W" -q run prod --allow-dirty 0002_add_price.c --yes --no-stamp)
check b_run
# The same without the journal (prod journals every write by default; budget:
# the journaled run within 1.5x of this one).
cp "$DIR/work/0001_add_price.c" "$DIR/work/0003_add_price.c"
load b_nj
(cd "$DIR/work" && BENCH_TABLE=b_nj WHIMBREL_PROD_DB=$URL WHIMBREL_THREADS=$SEG \
	timed runner_nj "$W" -q run prod 0003_add_price.c --yes --no-stamp --no-journal)
check b_nj

printf '\n%-8s %8s %12s %14s %16s\n' contender "wall s" "items/s" "client cpu s" "client us/item" 
for name in sdk store runner runner_nj; do
	read -r wall user sys <"$DIR/$name.time"
	awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v i="$ITEMS" -v d="$(cat "$DIR/$name.server")" 'BEGIN {
		printf "%-8s %8.2f %12.0f %14.2f %16.1f   (dynalite: %.2f s cpu)\n", n, w, i / w, u + s, (u + s) * 1e6 / i, d }'
done
echo
echo "sdk (in-process): $(cat "$DIR/sdk.out")"
echo "store (in-process): $(cat "$DIR/store.out")"
