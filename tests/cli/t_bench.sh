#!/usr/bin/env bash
# t_bench.sh - the benchmarks of bench/ keep working as the library changes:
# every C program compiles against it with every warning an error
# (scripts/bench.sh --build), and sqlite_update, the embedded budget's
# benchmark, runs end to end at a tiny size and reports each of its steps.
# Their figures belong in bench/RESULTS.md and are never asserted here.
. "$(dirname "$0")/lib.sh"
: "${WB_BUILD:?run through scripts/run-tests.sh}" "${WB_ROOT:?}"

build=$(basename "$WB_BUILD")
# The sanitizer build's library wants its programs built the same way.
export CC=${CC:-cc}
[ -n "${WB_SANITIZE:-}" ] && CC="$CC -fsanitize=address,undefined -fno-omit-frame-pointer"
run env -C "$WB_ROOT" BUILD="$build" scripts/bench.sh --build
is "bench.sh --build: exit 0" "$rc" 0
is "bench.sh --build: no warning" "$err" ""
for src in "$WB_ROOT"/bench/*.c; do
	name=$(basename "$src" .c)
	ok "bench/$name.c built" "[ -x '$WB_BUILD/bench/$name' ] && [ '$WB_BUILD/bench/$name' -nt '$src' ]"
done

run env -C "$WB_ROOT" BUILD="$build" WB_BENCH_ITEMS=300 WB_BENCH_DIR="$T" scripts/bench.sh sqlite_update
is "sqlite_update 300: exit 0" "$rc" 0
for step in "(a)" "(b)" "(c)" "(d)"; do
	has "sqlite_update 300: step $step reported" "$out" "$step"
done
