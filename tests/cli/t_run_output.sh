# t_run_output.sh - what a run's output becomes (issue 9, items 7-9): every
# line is kept whatever its bytes (bad UTF-8 becomes U+FFFD), a huge output
# keeps the target small (first and last lines, a note of what was dropped,
# long lines cut with a marker), and control characters from a migration or
# from the data never reach the terminal raw: `log`, `history`, `plan` diffs.
# Migration file names with control characters are refused.
. "$(dirname "$0")/lib.sh"
mkdir migrations

hdr() { printf '/*\n * %s\n *\n * Execution Time:\n * Finalization Time:\n */\n#include <stdio.h>\n#include <string.h>\n#include <whimbrel.h>\n' "$1"; }

# --- item 7: one bad byte does not drop the rest of the log
{ hdr "bad bytes"; cat <<'C'; } > migrations/0001_bad_bytes.c
int main(void)
{
	wb_run *run = wb_run_begin();
	printf("before\n");
	printf("bad \xff byte\n");
	printf("after\n");
	fflush(stdout);
	wb_log_error(run, "an error \x1b]0;pwned\x07 after the bad byte");
	return wb_run_end(run, 0);
}
C
run "$WHIMBREL" run dev migrations/0001_bad_bytes.c
is "bad byte: exit 0" "$rc" 0
ok "bad byte: no warning about the log" '! grep -q "cannot keep" <<<"$err"'
id=$("$WHIMBREL" history dev 0001_bad_bytes | awk 'NR==2 {print $1}')
run "$WHIMBREL" log "$id" --raw
has "log: the line before" "$out" "before"
has "log: the bad byte replaced by U+FFFD" "$out" $'bad \xef\xbf\xbd byte'
has "log: the line after" "$out" "after"
has "log: the later wb_log_error line" "$out" "after the bad byte"
has "log --raw: the line as written" "$out" $'an error \x1b]0;pwned\x07 after'
run "$WHIMBREL" log "$id"
cleanlines "log: no raw control character" "$out"
has "log: the escape shown escaped" "$out" '[error] an error \x1b]0;pwned\x07 after the bad byte'
cleanlines "run: the [error] line escaped on the terminal" "$err"

# --- item 8: 300,000 lines and a 5 MB line
{ hdr "loud"; cat <<'C'; } > migrations/0002_loud.c
int main(void)
{
	wb_run *run = wb_run_begin();
	static char big[5 * 1024 * 1024 + 1];
	for (int i = 0; i < 150000; i++)
		printf("line %d of the head and the middle\n", i);
	memset(big, 'x', sizeof(big) - 1);
	big[0] = 'B';
	printf("%s\n", big);
	for (int i = 150000; i < 300000; i++)
		printf("line %d of the middle and the tail\n", i);
	wb_log_info(run, "the very end");
	return wb_run_end(run, 0);
}
C
run "$WHIMBREL" run dev migrations/0001_bad_bytes.c
before=$(stat -c %s .whimbrel/dev.db)
"$WHIMBREL" run dev migrations/0002_loud.c >loud.out 2>loud.err
is "loud: exit 0" "$?" 0
after=$(stat -c %s .whimbrel/dev.db)
ok "loud: dev.db grew by less than 3 MB ($before -> $after bytes)" '[ $((after - before)) -lt 3000000 ]'
id=$("$WHIMBREL" history dev 0002_loud | awk 'NR==2 {print $1}')
"$WHIMBREL" log "$id" --raw >log.txt
lines=$(wc -l <log.txt)
ok "loud: the log keeps at most 10,002 lines ($lines)" '[ "$lines" -le 10002 ] && [ "$lines" -ge 10000 ]'
ok "loud: the first line kept" 'head -1 log.txt | grep -qx "line 0 of the head and the middle"'
ok "loud: the last lines kept" 'grep -q "^line 299999 of the middle and the tail$" log.txt && grep -q "the very end" log.txt'
ok "loud: a note says how many lines were dropped" 'grep -Eq "^\[runner\] [0-9]+ line\(s\), [0-9]+ byte\(s\) of output not kept" log.txt'
ok "loud: the 5 MB line is not kept (it is in the middle)" '! grep -q "^Bxxx" log.txt'
ok "loud: the terminal got every line" '[ "$(grep -c "^line " loud.out)" -eq 300000 ]'
long=$(grep "^Bxxx" loud.out)
is "loud: the long line cut at 64 KiB with a marker" "${#long} ${long:65530:60}" \
	"65585 xxxxxx [... 5177344 more byte(s) of this line not kept]"

# A long line near the start is kept (cut) in the log.
{ hdr "long line"; cat <<'C'; } > migrations/0003_long_line.c
int main(void)
{
	wb_run *run = wb_run_begin();
	static char big[100000 + 1];
	memset(big, 'y', sizeof(big) - 1);
	printf("%s\nshort\n", big);
	return wb_run_end(run, 0);
}
C
"$WHIMBREL" run dev migrations/0003_long_line.c >/dev/null 2>&1
id=$("$WHIMBREL" history dev 0003_long_line | awk 'NR==2 {print $1}')
"$WHIMBREL" log "$id" --raw >log3.txt
long=$(grep "^yyy" log3.txt)
is "long line: kept up to 64 KiB with the marker" "${#long} ${long:65530:58}" \
	"65583 yyyyyy [... 34464 more byte(s) of this line not kept]"
ok "long line: the next line kept whole" 'grep -qx short log3.txt'

# --- item 9: control characters from the data, in plan diffs
{ hdr "hostile"; cat <<'C'; } > migrations/0004_hostile.c
int main(void)
{
	wb_run *run = wb_run_begin();
	wb_db *db = wb_run_db(run);
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_item *it = wb_item_new();
	int rc = wb_table_create(db, "odd", &key);
	if (rc == WB_EEXISTS)
		rc = 0;
	wb_item_set_string(it, "id", "k1");
	wb_item_set_string(it, "\x1b]0;pwned\x07", "v");
	wb_item_set_string(it, "note", "one\n    + forged: S line");
	if (rc == 0)
		rc = wb_put(db, "odd", it, NULL);
	wb_item_free(it);
	return wb_run_end(run, rc);
}
C
"$WHIMBREL" --db sqlite:.whimbrel/dev.db table create odd --pk id >/dev/null
run "$WHIMBREL" plan dev migrations/0004_hostile.c --diffs 5
is "plan hostile: exit 0" "$rc" 0
cleanlines "plan: no raw control character in the diff" "$out"
has "plan: the attribute name escaped" "$out" '+ \x1b]0;pwned\x07: S v'
has "plan: the newline of a value escaped" "$out" '+ note: S one\n    + forged: S line'
ok "plan: no forged diff line" '! grep -q "^    + forged" <<<"$out"'

# history: an error message with control characters stays on its line
{ hdr "fails oddly"; cat <<'C'; } > migrations/0005_fails_oddly.c
int main(void)
{
	wb_run *run = wb_run_begin();
	wb_log_error(run, "x");
	fprintf(stderr, "odd\n");
	return wb_run_end(run, WB_EINVALID);
}
C
run "$WHIMBREL" run dev migrations/0005_fails_oddly.c
run "$WHIMBREL" history dev
cleanlines "history: no raw control character" "$out"

# file names with control characters are refused
nl=$'migrations/0006_new\nline.c'
cp migrations/0001_bad_bytes.c "$nl"
for cmd in run plan; do
	run "$WHIMBREL" $cmd dev "$nl"
	is "$cmd: a file name with a newline is refused" "$rc" 1
	clean1 "$cmd: the refusal is one clean line" "$err"
	has "$cmd: says why" "$err" "control character"
done
run "$WHIMBREL" history dev
ok "history: the refused file never reached the ledger" '! grep -q 0006 <<<"$out"'
cleanlines "history: still no raw control character" "$out"
run "$WHIMBREL" status
cleanlines "status: the odd file listed escaped" "$out"
