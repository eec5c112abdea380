#!/usr/bin/env bash
# bench.sh - build and run the benchmarks of bench/ (results: bench/RESULTS.md).
#
# Every bench/*.c is compiled against the static library into
# $BUILD/bench/NAME; every bench/*.sh is a benchmark script.  Each given
# NAME runs (default: all of them), with two arguments: the number of items
# ($WB_BENCH_ITEMS, default 1000000) and a scratch directory ($WB_BENCH_DIR,
# default $TMPDIR or /tmp).  `make bench` builds the library first and calls
# this.  Benchmarks are slow: run them on an otherwise quiet machine.
# Usage: scripts/bench.sh [NAME...]
#        scripts/bench.sh --build     compile the programs (warnings are errors), run none
#                                     (tests/cli/t_bench.sh: the benchmarks keep building)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ITEMS=${WB_BENCH_ITEMS:-1000000}
DIR=${WB_BENCH_DIR:-${TMPDIR:-/tmp}}
CC=${CC:-cc}
LIBS="-lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm"
WERROR=""
[ "${1:-}" = --build ] && WERROR=-Werror

[ -f "$BUILD/lib/libwhimbrel.a" ] || make --no-print-directory all BUILD="$BUILD"
mkdir -p "$BUILD/bench"
for src in bench/*.c; do
	[ -f "$src" ] || continue
	bin="$BUILD/bench/$(basename "$src" .c)"
	if [ -n "$WERROR" ] || [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$BUILD/lib/libwhimbrel.a" -nt "$bin" ]; then
		$CC -std=gnu11 -O2 -g -Wall -Wextra $WERROR -pthread -Iinclude -Isrc/util -Isrc -Isrc/sqlite -Isrc/dynamodb -Isrc/runner -o "$bin" "$src" \
			"$BUILD/lib/libwhimbrel.a" $LIBS
	fi
done

[ -n "$WERROR" ] && exit 0
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in bench/*.c bench/*.sh; do
		[ -f "$f" ] && names+=("$(basename "${f%.*}")")
	done
fi
for name in "${names[@]}"; do
	echo "== $name ($ITEMS items, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores)"
	if [ -x "$BUILD/bench/$name" ]; then
		"$BUILD/bench/$name" "$ITEMS" "$DIR"
	elif [ -f "bench/$name.sh" ]; then
		BUILD=$BUILD bash "bench/$name.sh" "$ITEMS" "$DIR"
	else
		echo "bench.sh: no benchmark named $name" >&2
		exit 2
	fi
done
