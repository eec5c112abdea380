#!/usr/bin/env bash
# t_layout.sh - the command is built on the public headers only: src/cli/
# includes no header of the library's src/, its objects call no private
# wb__ function, and include/whimbrel/runner.h compiles alone (C99,
# -pedantic, every warning an error) as a program outside the tree sees it.
. "$(dirname "$0")/lib.sh"
: "${WB_BUILD:?run through scripts/run-tests.sh}" "${WB_ROOT:?}"

# Every quoted include of src/cli names a header that lives in src/cli.
bad=""
for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$WB_ROOT"/src/cli/*.[ch] | sort -u); do
	[ -f "$WB_ROOT/src/cli/$inc" ] || bad="$bad $inc"
done
is "src/cli includes only its own headers" "$bad" ""
ok "src/cli has quoted includes to check" \
	'[ "$(grep -l "^#include \"" "$WB_ROOT"/src/cli/*.c | wc -l)" -ge 10 ]'

# The objects of the sources there now (a build tree may keep stale ones).
objs=()
for c in "$WB_ROOT"/src/cli/*.c; do
	objs+=("$WB_BUILD/obj/cli/$(basename "${c%.c}").o")
done
ok "the command's objects are built" '[ -f "${objs[0]}" ]'
is "the command calls no private wb__ function" \
	"$(nm -u "${objs[@]}" | awk '$2 ~ /^wb__/ {print $2}' | sort -u | head -5)" ""
ok "the command calls the runner's API" 'nm -u "${objs[@]}" | grep -q " wb_runner_run$"'

printf '#include <whimbrel/runner.h>\nint main(void) { wb_run_options o = WB_RUN_OPTIONS_INIT; return (int)o.version - 1; }\n' >h.c
run ${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -I"$WB_ROOT/include" -c h.c -o h.o
is "whimbrel/runner.h compiles alone (C99, -pedantic -Werror)" "$rc:$err" "0:"
is "the build tree has a copy of it" "$(cmp "$WB_BUILD/include/whimbrel/runner.h" \
	"$WB_ROOT/include/whimbrel/runner.h" && echo same)" "same"
