# t_run_resume.sh - interrupted runs resume and transform every item exactly
# once.  kill -9 of the runner in the middle of a 200,000-item migration
# (its child dies with it), then `run` again: the dead holder's lease is
# taken over, the run resumes from the checkpoints (fewer items the second
# time) and every car's counter is 1.  Then Ctrl-C (SIGINT) in the middle:
# status interrupted, exit 130, and the rerun completes it: every counter 2.
. "$(dirname "$0")/lib.sh"
N=200000
copy_migrations m seed counter 0003_counter_again=counter check
json() { "$WHIMBREL" history dev "$1" --json; }

SEED_N=$N "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
run "$WHIMBREL" run dev m/0004_check.c
has "seeded $N cars" "$out" "cars=$N counter0=$N"

# --- kill -9 of the runner in the middle.
SLOW_US=20 "$WHIMBREL" run dev m/0002_counter.c >run1.out 2>&1 &
runner=$!
wait_for run1.out "progress 40000"; ok "first run makes progress" '[ $? -eq 0 ]'
child=$(cat child.pid)
kill -9 "$runner"
wait "$runner" 2>/dev/null
sleep 0.5
state=$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null)
ok "the child died with its runner (state '${state:-gone}')" '[ -z "$state" ] || [ "$state" = Z ]'
run "$WHIMBREL" run dev m/0002_counter.c
is "second run: exit 0" "$rc" 0
has "second run: takes over the dead holder's lease" "$err" "took over the lease of 0002_counter"
has "second run: resumes" "$err" "resuming run"
scanned=$(json 0002_counter | jfield 2 scanned)
ok "second run processed fewer items ($scanned < $N)" '[ "$scanned" -gt 0 ] && [ "$scanned" -lt $N ]'
is "dead run marked failed" "$(json 0002_counter | jfield 1 status)" failed
has "dead run: says why" "$(json 0002_counter)" "the runner died"
run "$WHIMBREL" run dev m/0004_check.c
has "every car transformed exactly once" "$out" "cars=$N counter0=0 counter1=$N counter2=0 counter3+=0"
is "checkpoints cleared after success" "$("$WHIMBREL" scan whimbrel_checkpoints | grep -c 0002_counter)" 0
is "lease released" "$("$WHIMBREL" scan whimbrel_locks | wc -l)" 0

# --- Ctrl-C (SIGINT to the runner) in the middle.
SLOW_US=20 "$WHIMBREL" run dev m/0003_counter_again.c >run2.out 2>&1 &
runner=$!
wait_for run2.out "progress 30000"
kill -INT "$runner"
wait "$runner"
is "interrupted run: exit 130" "$?" 130
has "interrupted run: says it stops" "$(cat run2.out)" "interrupted"
is "interrupted run: ledger status interrupted" "$(json 0003_counter_again | jfield 1 status)" interrupted
first=$(json 0003_counter_again | jfield 1 scanned)
ok "interrupted run: its counters are recorded ($first)" '[ "$first" -ge 30000 ] && [ "$first" -lt $N ]'
run "$WHIMBREL" run dev m/0003_counter_again.c
is "rerun: exit 0" "$rc" 0
has "rerun: resumes the interrupted run" "$err" "(interrupted) from its checkpoints"
second=$(json 0003_counter_again | jfield 2 scanned)
is "rerun: did the rest ($first + $second)" "$((first + second))" "$N"
run "$WHIMBREL" run dev m/0004_check.c
has "every car transformed exactly once more" "$out" "cars=$N counter0=0 counter1=0 counter2=$N counter3+=0"

# --- --restart ignores the checkpoints of an interrupted run.
SLOW_US=20 "$WHIMBREL" run dev m/0002_counter.c >run3.out 2>&1 &
runner=$!
wait_for run3.out "progress 20000"
kill -INT "$runner"
wait "$runner"
run "$WHIMBREL" run dev m/0002_counter.c --restart
is "--restart: exit 0" "$rc" 0
has "--restart: says so" "$err" "starting over"
is "--restart: visits every item" "$(json 0002_counter | jfield 4 scanned)" "$N"
