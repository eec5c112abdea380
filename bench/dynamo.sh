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
want=${1:-20000}
ITEMS=${WB_DYNAMO_ITEMS:-$(( want < 20000 ? want : 20000 ))}
SEG=${WB_DYNAMO_SEGMENTS:-4}
DIR=${2:-${TMPDIR:-/tmp}}/wb-dynamo-bench.$$
NAME=dynamo.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$BUILD/bench"
[ -x "$BUILD/bench/dynamo_store" ] && [ "$BUILD/bench/dynamo_store" -nt "$BUILD/lib/libwhimbrel.a" ] || \
	cc -std=gnu11 -O2 -g -pthread -Iinclude -o "$BUILD/bench/dynamo_store" bench/dynamo_store.c \
		"$BUILD/lib/libwhimbrel.a" -lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm
bench_dynalite
bench_items   # ~200-byte items

timed() {  # NAME CMD...: run, record "wall user sys" of the client in $DIR/NAME.time, dynalite's CPU in NAME.server
	local name=$1 before; shift
	before=$(bench_server_cpu)
	/usr/bin/time -f '%e %U %S' -o "$DIR/$name.time" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" ||
		{ cat "$DIR/$name.err" >&2; exit 1; }
	awk -v a="$(bench_server_cpu)" -v b="$before" 'BEGIN { print a - b }' >"$DIR/$name.server"
}

bench_migration "$DIR/work/0001_add_price.c"

echo "dynalite $URL, $ITEMS items, $SEG segments"
bench_load b_sdk
timed sdk node bench/dynamo_sdk.mjs "$URL" b_sdk "$SEG"
bench_check b_sdk
bench_load b_store
timed store "$BUILD/bench/dynamo_store" "$URL" b_store "$SEG"
bench_check b_store
# The runner: compile the migration once (cached) on a small table, then measure.
bench_warm
cp "$DIR/work/0001_add_price.c" "$DIR/work/0002_add_price.c"
bench_load b_run
(cd "$DIR/work" && BENCH_TABLE=b_run WHIMBREL_PROD_DB=$URL WHIMBREL_THREADS=$SEG \
	timed runner "$W" -q run prod --allow-dirty --dir . 0002_add_price.c --yes --no-stamp)
bench_check b_run
# The same without the journal (prod journals every write by default; budget:
# the journaled run within 1.5x of this one).
cp "$DIR/work/0001_add_price.c" "$DIR/work/0003_add_price.c"
bench_load b_nj
(cd "$DIR/work" && BENCH_TABLE=b_nj WHIMBREL_PROD_DB=$URL WHIMBREL_THREADS=$SEG \
	timed runner_nj "$W" -q run prod --allow-dirty --dir . 0003_add_price.c --yes --no-stamp --no-journal)
bench_check b_nj

printf '\n%-8s %8s %12s %14s %16s\n' contender "wall s" "items/s" "client cpu s" "client us/item" 
for name in sdk store runner runner_nj; do
	read -r wall user sys <"$DIR/$name.time"
	awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v i="$ITEMS" -v d="$(cat "$DIR/$name.server")" 'BEGIN {
		printf "%-8s %8.2f %12.0f %14.2f %16.1f   (dynalite: %.2f s cpu)\n", n, w, i / w, u + s, (u + s) * 1e6 / i, d }'
done
echo
echo "sdk (in-process): $(cat "$DIR/sdk.out")"
echo "store (in-process): $(cat "$DIR/store.out")"
