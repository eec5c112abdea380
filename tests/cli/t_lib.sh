#!/usr/bin/env bash
# t_lib.sh - the shared library as a program outside the tree sees it: the
# SONAME libwhimbrel.so.0 and its links, exactly the functions the public
# headers (whimbrel.h, whimbrel/runner.h) declare exported (no private wb__
# symbol), and a program linked with -lwhimbrel that runs against it and
# reports the header's version.
. "$(dirname "$0")/lib.sh"
: "${WB_BUILD:?run through scripts/run-tests.sh}" "${WB_ROOT:?}"
LIB=$WB_BUILD/lib
HDR=$WB_ROOT/include/whimbrel.h
RUN_HDR=$WB_ROOT/include/whimbrel/runner.h

run readelf -d "$LIB/libwhimbrel.so"
has "SONAME is libwhimbrel.so.0" "$out" "Library soname: [libwhimbrel.so.0]"
is "libwhimbrel.so links to the SONAME" "$(readlink "$LIB/libwhimbrel.so")" "libwhimbrel.so.0"
ok "libwhimbrel.so.0 links to a versioned file" \
	'[ -f "$LIB/$(readlink "$LIB/libwhimbrel.so.0")" ] && [[ "$(readlink "$LIB/libwhimbrel.so.0")" == libwhimbrel.so.0.* ]]'

nm -D --defined-only "$LIB/libwhimbrel.so" >syms 2>nm.err
is "nm reads the library" "$?:$(cat nm.err)" "0:"
is "no private wb__ symbol is exported" "$(grep ' wb__' syms | head -5)" ""
ok "wb_open is exported" 'grep -q " T wb_open$" syms'
ok "wb_version is exported" 'grep -q " T wb_version$" syms'
# Every WB_EXTERN declaration of the public headers, and nothing else of ours.
sed -n 's/^WB_EXTERN[^(]*[ *]\(wb_[a-z0-9_]*\)(.*/\1/p' "$HDR" "$RUN_HDR" | sort >declared
awk '$2 ~ /^[TDBRVW]$/ && $3 ~ /^wb_/ {print $3}' syms | sort >exported
ok "the runner's header declares its functions" \
	'[ "$(sed -n "s/^WB_EXTERN[^(]*[ *]\(wb_[a-z0-9_]*\)(.*/\1/p" "$RUN_HDR" | wc -l)" -ge 25 ]'
ok "the headers declare at least 80 functions" '[ "$(wc -l <declared)" -ge 80 ]'
is "exported wb_ symbols are the headers' declarations" "$(diff declared exported)" ""
is "nothing else is exported" "$(awk '$2 ~ /^[TDBRVW]$/ && $3 !~ /^wb_/ {print $3}' syms | grep -v '^_' | head -5)" ""

# A program outside the tree: header and -lwhimbrel only.
cat >prog.c <<'EOF'
#include <stdio.h>
#include <string.h>
#include <whimbrel.h>
int main(void)
{
	wb_db *db = NULL;
	int rc = wb_open(&db, "sqlite:prog.db");
	printf("%s %d %d\n", wb_version(), wb_version_number(), rc);
	wb_close(db);
	return strcmp(wb_version(), WB_VERSION_STRING) != 0;
}
EOF
san=""
[ -n "${WB_SANITIZE:-}" ] && san="-fsanitize=address,undefined"
run ${CC:-cc} $san -I"$WB_ROOT/include" prog.c -L"$LIB" -lwhimbrel -o prog
is "a program links with -lwhimbrel" "$rc:$err" "0:"
run readelf -d prog
has "it needs libwhimbrel.so.0" "$out" "Shared library: [libwhimbrel.so.0]"
run env LD_LIBRARY_PATH="$LIB" ./prog
want=$(sed -n 's/^#define WB_VERSION_STRING "\(.*\)"/\1/p' "$HDR")
is "it runs against the shared library" "$rc" 0
has "wb_version() is the header's version" "$out" "$want "
has "wb_open works through the shared library" "$out" " 0"
