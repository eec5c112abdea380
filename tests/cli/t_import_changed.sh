# t_import_changed.sh - an import whose file changes between its check pass
# and its write pass (a file over 8 MB is read twice) stops, and says how
# many items were already written (issue 9, the Smaller list).
. "$(dirname "$0")/lib.sh"
python3 - <<'PY' || { skip_all "python3 not available"; }
with open('big.jsonl', 'w') as f:
    for i in range(120000):
        f.write('{"id":"item-%07d","pad":"%s"}\n' % (i, 'x' * 120))
PY
("$WHIMBREL" --db sqlite:t.db import big big.jsonl --create --pk id >imp.out 2>imp.err; echo $? >imp.rc) &
# The table is created when the check pass is over: then spoil the last line.
for _ in $(seq 500); do
	[ -f t.db ] && "$WHIMBREL" --db sqlite:t.db table list 2>/dev/null | grep -q big && break
	sleep 0.02
done
printf 'GARBAGE GARBAGE!!!!\n' | dd of=big.jsonl bs=1 seek=$(( $(stat -c %s big.jsonl) - 20 )) conv=notrunc 2>/dev/null
wait
err=$(cat imp.err)
if [ "$(cat imp.rc)" = 0 ]; then
	skip "import of a changing file" "the write pass ended before the file was changed"
else
	is "changed file: exit 1" "$(cat imp.rc)" 1
	ok "changed file: says how many items were written" \
		'grep -Eq "big.jsonl changed while it was imported \(line 120000 no longer reads as an item\): [0-9]+ items written into big before it, the rest not" <<<"$err"'
	written=$(sed -n 's/.*: \([0-9]*\) items written into big.*/\1/p' <<<"$err")
	got=$("$WHIMBREL" --db sqlite:t.db scan big | wc -l)
	is "changed file: that many items are in the table" "$got" "$written"
fi
