# t_run_log_packs.sh - a run's log is stored several lines an item (issue 9,
# item 8: on DynamoDB each line was one write).  A migration prints 9,990
# lines, one with a byte that is not UTF-8; `whimbrel log RUN --raw` gives
# them back the same and in order (the bad byte as U+FFFD), and the log
# takes a few dozen items of whimbrel_logs, not one a line.  On SQLite and,
# when dynalite runs, on DynamoDB.
. "$(dirname "$0")/lib.sh"
mkdir -p m
s=$$
{ printf '/*\n * loud\n *\n * Execution Time:\n * Finalization Time:\n */\n'; cat <<'C'; } > "m/0001_lines_$s.c"
#include <stdio.h>
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();

	for (int i = 0; i < 9990; i++)
		printf(i == 7 ? "line %d \xff\n" : "line %d\n", i);
	return wb_run_end(run, 0);
}
C
for i in $(seq 0 9989); do
	if [ "$i" = 7 ]; then printf 'line 7 \xef\xbf\xbd\n'; else echo "line $i"; fi
done >want.txt

# packs LABEL W...: run it on one target and read its log back.
packs() {
	local label=$1 id items
	shift
	run "$@" run dev "m/0001_lines_$s.c"
	is "$label: exit 0" "$rc" 0
	id=$("$@" history dev "0001_lines_$s" | awk 'NR==2 {print $1}')
	"$@" log "$id" dev --raw | grep '^line ' >got.txt
	ok "$label: log --raw: the 9,990 lines as printed, in order" 'cmp -s want.txt got.txt'
	items=$("$@" query whimbrel_logs --pk "$id" | grep -c "\"$id\"")
	echo "# $label: 9,990 lines (and the runner's) in $items item(s) of whimbrel_logs"
	ok "$label: at most 100 items for the 9,990 lines ($items)" '[ "$items" -ge 1 ] && [ "$items" -le 100 ]'
}

packs sqlite "$WHIMBREL" --db "sqlite:$T/dev.db"
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	packs dynamodb "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL"
else
	skip "dynamodb: the log in packs" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
