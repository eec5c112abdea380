# t_compile_cache.sh - the compile cache runs only what was reviewed (issue
# 9, items 5 and 6): an edited header that the migration includes
# recompiles it; the cache directories and programs are 0700 even under
# umask 000; a group-writable cache directory, a cached program owned by
# another user, or one that no longer matches its seal is never run.
. "$(dirname "$0")/lib.sh"
copy_migrations m includes
echo '#define HELPER_VALUE 1' >m/helpers.h

run "$WHIMBREL" run dev m/0001_includes.c
is "first run: exit 0" "$rc" 0
has "first run: the header's value" "$out" "value=1"
echo '#define HELPER_VALUE 2' >m/helpers.h
run "$WHIMBREL" run dev m/0001_includes.c
is "edited header: exit 0" "$rc" 0
has "edited header: recompiled, the new value" "$out" "value=2"
run "$WHIMBREL" run dev m/0001_includes.c
has "unchanged: the cached program runs" "$out" "value=2"

exe=$(ls .whimbrel/build/*/migration | head -1)
is "cache directory: 0700" "$(stat -c %a .whimbrel/build)" 700
is "program directory: 0700" "$(stat -c %a "$(dirname "$exe")")" 700
is "program: 0700" "$(stat -c %a "$exe")" 700
ok "program: sealed" '[ -f "$exe.key" ] && grep -q " m/helpers.h$" "$exe.key"'

rm -rf .whimbrel/build
(umask 000; "$WHIMBREL" run dev m/0001_includes.c >/dev/null 2>&1)
exe=$(ls .whimbrel/build/*/migration | head -1)
is "umask 000: cache directory 0700" "$(stat -c %a .whimbrel/build)" 700
is "umask 000: program 0700" "$(stat -c %a "$exe")" 700

chmod g+w .whimbrel/build
run "$WHIMBREL" run dev m/0001_includes.c
is "group-writable cache: exit 1" "$rc" 1
clean1 "group-writable cache: one line" "$err"
has "group-writable cache: says why" "$err" "refusing the compile cache .whimbrel/build: writable by group or others"
ok "group-writable cache: nothing ran" '! grep -q value= <<<"$out"'
chmod 700 .whimbrel/build

printf '#!/bin/sh\necho pwned\n' >"$exe"
chmod 700 "$exe"
run "$WHIMBREL" run dev m/0001_includes.c
is "program replaced: exit 0" "$rc" 0
ok "program replaced: the replacement does not run" '! grep -q pwned <<<"$out"'
has "program replaced: compiled again from the source" "$out" "value=2"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$exe"
	run "$WHIMBREL" run dev m/0001_includes.c
	is "another user's program: exit 1" "$rc" 1
	clean1 "another user's program: one line" "$err"
	has "another user's program: says why" "$err" "owned by another user"
	ok "another user's program: nothing ran" '! grep -q value= <<<"$out"'
else
	skip "another user's program" "needs root to chown a file to nobody"
fi
