# lib.sh - shell helpers shared by the DynamoDB benchmarks (bench/dynamo.sh,
# bench/dynamo_latency.sh): sourced, never run.  The caller sets ITEMS, DIR
# (a scratch directory, removed at exit) and NAME (its own name, for
# messages) first; this sets ROOT (the checkout, the working directory from
# here on), BUILD (default build) and W (the whimbrel binary).
#
#   bench_dynalite           start dynalite on a free loopback port: URL
#   bench_items              ITEMS ~200-byte cars into $DIR/items.jsonl
#   bench_migration FILE     the add-price example migration (examples/migrations/0001),
#                            on the table $BENCH_TABLE names
#   bench_load TABLE         a fresh copy of the items, loaded directly
#   bench_check TABLE        every item has its price (else exit 1)
#   bench_warm               compile the migration once (the cache), untimed
#   bench_cpu PID            CPU seconds (user + system) process PID has used
#   bench_server_cpu         dynalite's so far
# Cleanup: bench_at_exit CMD adds CMD to what runs at exit (dynalite is
# stopped and DIR removed last).

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
W=$ROOT/$BUILD/bin/whimbrel
[ -d "$ROOT/node_modules/dynalite" ] || { echo "$NAME: run scripts/deps.sh first (dynalite)" >&2; exit 1; }
[ -x "$W" ] || make --no-print-directory -C "$ROOT" all BUILD="$BUILD"
mkdir -p "$DIR/work"

BENCH_EXIT=""
bench_at_exit() { BENCH_EXIT="$1; $BENCH_EXIT"; }
bench_cleanup() {
	eval "$BENCH_EXIT"
	[ -n "${URL:-}" ] && "$ROOT/scripts/dynalite.sh" stop "$DIR/dyn"
	rm -rf "$DIR"
}
trap bench_cleanup EXIT

bench_dynalite() { URL=$("$ROOT/scripts/dynalite.sh" start "$DIR/dyn"); }

bench_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

bench_server_cpu() { bench_cpu "$(cat "$DIR/dyn/dynalite.pid")"; }

bench_items() { node "$ROOT/bench/gen_items.mjs" "$ITEMS" "$DIR/items.jsonl"; }

bench_migration() {  # FILE
	sed -e 's/^#include <whimbrel.h>$/#include <stdlib.h>\n&/' -e 's/wb_each(run, "cars",/wb_each(run, getenv("BENCH_TABLE"),/' \
		"$ROOT/examples/migrations/0001_add_price_to_cars.c" >"$1"
	grep -q 'getenv("BENCH_TABLE")' "$1" || { echo "$NAME: examples/migrations/0001 no longer runs wb_each on \"cars\"" >&2; exit 1; }
}

bench_load() {  # TABLE
	"$W" --db "$URL" table create "$1" --pk id >/dev/null 2>&1
	"$W" --db "$URL" import "$1" "$DIR/items.jsonl" >/dev/null
}

bench_check() {  # TABLE
	local got
	got=$("$W" --db "$URL" export "$1" | grep -c '"price":{"N":"0"}' || true)
	[ "$got" -eq "$ITEMS" ] || { echo "$NAME: $1: $got of $ITEMS items have a price" >&2; exit 1; }
}

bench_warm() {  # compile $DIR/work/0001_add_price.c once on a small table (the cache), untimed
	"$W" --db "$URL" table create b_warm --pk id >/dev/null 2>&1
	head -10 "$DIR/items.jsonl" | "$W" --db "$URL" import b_warm - >/dev/null
	(cd "$DIR/work" && BENCH_TABLE=b_warm WHIMBREL_PROD_DB=$URL "$W" -q run prod --allow-dirty --dir . \
		0001_add_price.c --yes --no-stamp >/dev/null 2>&1)
}
