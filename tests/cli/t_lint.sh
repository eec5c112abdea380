# t_lint.sh - `whimbrel lint`: every rule has a failing fixture, a clean
# directory passes, malformed headers (bad date, missing colon, binary
# garbage, a huge file) get a clear FILE:LINE: message and no crash.
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data
NOW="--now 2026-11-25"

# A clean directory passes, silently on stdout.
cp -r "$D/migrations-lint-clean" migrations
run "$WHIMBREL" lint $NOW
is "clean directory: exit 0" "$rc" 0
is "clean directory: no problem printed" "$out" ""
has "clean directory: summary on stderr" "$err" "3 migrations in migrations, 0 problems"
run "$WHIMBREL" -q lint $NOW
is "-q: no summary" "$err" ""

# --dir, and a missing directory.
run "$WHIMBREL" lint --dir "$D/migrations-lint-clean" $NOW
is "--dir: exit 0" "$rc" 0
run "$WHIMBREL" lint --dir nowhere $NOW
is "missing directory: exit 1" "$rc" 1
has "missing directory: says which" "$err" "nowhere"
run "$WHIMBREL" lint --now 2026-02-30
is "bad --now: usage exit 2" "$rc" 2
has "bad --now: says why" "$err" "bad --now '2026-02-30'"
run "$WHIMBREL" lint --bogus
is "unknown option: usage exit 2" "$rc" 2
run "$WHIMBREL" lint --help
has "--help: usage" "$out" "usage: whimbrel lint"

# Each rule, alone: the clean files plus one bad file (two for duplicates).
lint_with() {  # expected message, bad files...
	local want=$1; shift
	rm -rf m && cp -r "$D/migrations-lint-clean" m
	for f in "$@"; do cp "$D/migrations-lint-bad/$f" m/; done
	run "$WHIMBREL" -q lint --dir m $NOW
	is "$* : exit 1" "$rc" 1
	has "$* : message" "$out" "$want"
	lines=$(printf '%s\n' "$out" | grep -c .)
	ok "$* : every line is FILE:LINE: message" \
		"[ \$(printf '%s\n' \"\$out\" | grep -cE '^m/[^:]+:[0-9]+: .') -eq $lines ]"
}
lint_with "m/AddPrice.c:1: file name should be NNNN_slug.c" AddPrice.c
lint_with "m/0009_Bad-Slug.c:1: file name should be NNNN_slug.c" 0009_Bad-Slug.c
lint_with "m/0010_dup_b.c:1: migration number 0010 is also used by 0010_dup_a.c" 0010_dup_a.c 0010_dup_b.c
lint_with "m/0011_no_description.c:1: empty description" 0011_no_description.c
lint_with "m/0012_no_time_lines.c:3: no 'Execution Time:' / 'Finalization Time:' lines" 0012_no_time_lines.c
lint_with "m/0013_bad_date.c:4: bad Execution Time '2026-13-45 at 10:00:00 UTC': expected YYYY-MM-DD at HH:MM:SS UTC" 0013_bad_date.c
lint_with "m/0014_missing_colon.c:4: missing colon after 'Execution Time'" 0014_missing_colon.c
lint_with "m/0015_fin_before_exec.c:5: Finalization Time 2026-01-10 at 10:00:03 UTC is before its Execution Time" 0015_fin_before_exec.c
lint_with "m/0016_future.c:4: Execution Time 2030-01-10 at 10:00:03 UTC is in the future" 0016_future.c
lint_with "m/0016_future.c:5: Finalization Time 2030-01-10 at 10:04:12 UTC is in the future" 0016_future.c
lint_with "m/0017_exec_without_fin.c:4: Execution Time without a Finalization Time line" 0017_exec_without_fin.c
lint_with "m/0018_exec_with_empty_fin.c:5: Finalization Time is empty but its Execution Time is filled" 0018_exec_with_empty_fin.c
lint_with "m/0019_no_header.c:1: no header comment" 0019_no_header.c
lint_with "m/0020_unterminated.c:1: the header comment is not closed" 0020_unterminated.c
lint_with "m/0021_bad_label.c:4: write the label exactly as 'Execution Time:'" 0021_bad_label.c

# The future check follows --now, in both accepted forms.
rm -rf m && mkdir m && cp "$D/migrations-lint-bad/0016_future.c" m/
run "$WHIMBREL" -q lint --dir m --now "2030-01-10 at 10:04:12 UTC"
is "future: not future at --now equal to the last time" "$rc" 0
run "$WHIMBREL" -q lint --dir m --now "2030-01-10 at 10:04:11 UTC"
is "future: one second earlier it is" "$rc" 1
is "future: only the finalization is" "$out" \
	"m/0016_future.c:5: Finalization Time 2030-01-10 at 10:04:12 UTC is in the future (now is 2030-01-10 at 10:04:11 UTC)"

# The whole bad directory: all problems, sorted by file and line, and a count.
rm -rf m && cp -r "$D/migrations-lint-bad" m
run "$WHIMBREL" lint --dir m $NOW
is "bad directory: exit 1" "$rc" 1
is "bad directory: one line per problem" "$(printf '%s\n' "$out" | wc -l)" 15
has "bad directory: summary counts them" "$err" "15 migrations in m, 15 problems"
is "bad directory: sorted" "$(printf '%s\n' "$out" | cut -d: -f1 | sort -c && echo sorted)" sorted

# Binary garbage, NUL bytes and a huge file: a clear message, no crash.
rm -rf m && mkdir m
head -c 20000 /dev/urandom >m/0001_random.c
{ printf '/*\001\002\377 junk\000\n * Execution Time: \033[31m\n'; head -c 3000 /dev/urandom; } >m/0002_binary.c
{ printf '/* Big.\n'; head -c 3000000 /dev/zero | tr '\0' 'x'; } >m/0003_huge.c
printf '/*\n * Desc.\n * Execution Time: 2026-01-10 at 10:00:03 UTC\n * Finalization Time: 2026-01-10 at 10:04:12 UTC\n */\n' >m/0004_fine.c
run "$WHIMBREL" -q lint --dir m $NOW
is "garbage: exit 1, not a crash" "$rc" 1
has "garbage: random file has no header (or a clear problem)" "$out" "m/0001_random.c:"
has "garbage: control character named" "$out" "m/0002_binary.c:1: control character 0x01 in the header (binary data?)"
has "garbage: bad value quoted printably" "$out" "m/0002_binary.c:2: bad Execution Time '?[31m'"
has "garbage: huge file" "$out" "m/0003_huge.c:1: the header comment is not closed within the first 64 KB"
ok "garbage: fine file has no problem" "! printf '%s\n' \"\$out\" | grep -q 0004_fine"
ok "garbage: output is printable text" "! printf '%s' \"\$out\" | LC_ALL=C grep -q '[^[:print:][:space:]]'"
# file names with control characters are escaped in the output
mkdir -p odd
printf '/*\n * x\n * Execution Time:\n * Finalization Time:\n */\n' > $'odd/0001_a\nb.c'
cp $'odd/0001_a\nb.c' $'odd/0002_a\x1bb.c'
run "$WHIMBREL" -q lint --dir odd $NOW
is "odd names: exit 1" "$rc" 1
has "odd names: newline escaped" "$out" 'odd/0001_a\nb.c:1: file name should be'
has "odd names: ESC escaped" "$out" 'odd/0002_a\x1bb.c:1: file name should be'
is "odd names: one line per problem" "$(printf '%s\n' "$out" | wc -l)" 2
cleanlines "odd names: no control characters" "$out"

# output that cannot be written is reported
"$WHIMBREL" -q lint --dir odd $NOW >/dev/full 2>"$T/.err"; rc=$?; err=$(cat "$T/.err")
is "problems to a full disk: exit 1" "$rc" 1
has "problems to a full disk: says so" "$err" "whimbrel: cannot write the output"

# a directory or a dangling symbolic link named like a migration is a problem
mkdir -p dd/0001_dir.c && ln -s /nonexistent/x.c dd/0002_link.c
run "$WHIMBREL" -q lint --dir dd $NOW
is "non-files: exit 1" "$rc" 1
has "non-files: the directory" "$out" "dd/0001_dir.c:1: cannot read the file: Is a directory"
has "non-files: the dangling link" "$out" "dd/0002_link.c:1: "

# numbers past 64 bits are still told apart; two empty pairs get a clear message
mkdir -p nb
printf '/*\n * Desc.\n * Execution Time:\n * Finalization Time:\n */\n' > nb/99999999999999999999999_big.c
cp nb/99999999999999999999999_big.c nb/18446744073709551616_big.c
printf '/*\n * Desc.\n * Execution Time: 2025-01-01 at 10:00:00 UTC\n * Finalization Time: 2025-01-01 at 10:01:00 UTC\n * Execution Time:\n * Finalization Time:\n * Execution Time:\n * Finalization Time:\n */\n' > nb/0001_two_empty.c
run "$WHIMBREL" -q lint --dir nb $NOW
ok "huge numbers: no false duplicate" "! printf '%s' \"\$out\" | grep -q 'also used by'"
has "two empty pairs: says only the last may be empty" "$out" "nb/0001_two_empty.c:5: only the last Execution/Finalization pair may be empty"

# --dir with a trailing slash: paths in messages are DIR/FILE, not DIR//FILE
run "$WHIMBREL" -q lint --dir nb/ $NOW
has "--dir with a slash: clean paths" "$out" "nb/0001_two_empty.c:5:"
