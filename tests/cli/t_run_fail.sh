# t_run_fail.sh - migrations that fail: a segfault, an exit with a non-zero
# status, a callback error, a file that does not compile.  Each gets a clear
# message and a non-zero exit, the ledger says failed (no run at all for the
# compile error), and the lease is released: the next run takes it.
. "$(dirname "$0")/lib.sh"
copy_migrations m seed segv exit7 fails broken
run "$WHIMBREL" run dev m/0001_seed.c
is "seed: exit 0" "$rc" 0
# Under the sanitizers, migrations are built with them too: let the signal
# kill the program (not ASan's handler), and do not count the leaks of a
# program that exits without wb_run_end.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0:detect_leaks=0"

last_status() { "$WHIMBREL" history dev "$1" --json | grep '"status"' | tail -1 | sed 's/.*: "\(.*\)".*/\1/'; }
last_error() { "$WHIMBREL" history dev "$1" --json | grep '"error"' | tail -1; }
locks() { "$WHIMBREL" scan whimbrel_locks | wc -l; }

run "$WHIMBREL" run dev m/0002_segv.c
is "segfault: exit 1" "$rc" 1
has "segfault: its output is forwarded" "$out" "about to crash"
has "segfault: clear message" "$err" "killed by signal 11 (Segmentation fault)"
is "segfault: ledger status failed" "$(last_status 0002_segv)" failed
has "segfault: ledger error" "$(last_error 0002_segv)" "killed by signal 11"
is "segfault: lease released" "$(locks)" 0
run "$WHIMBREL" run dev m/0002_segv.c
is "segfault again: the lease is free (not busy)" "$rc" 1

run "$WHIMBREL" run dev m/0003_exit7.c
is "exit 7: run exits 1" "$rc" 1
has "exit 7: its log line is shown" "$err" "[error] giving up on purpose"
has "exit 7: clear message" "$err" "the migration exited with status 7"
is "exit 7: ledger status failed" "$(last_status 0003_exit7)" failed
has "exit 7: exit code in the ledger" "$("$WHIMBREL" history dev 0003_exit7 --json)" '"exit_code": 7'
is "exit 7: lease released" "$(locks)" 0

run "$WHIMBREL" run dev m/0004_fails.c --threads 1
is "callback error: exit 1" "$rc" 1
has "callback error: names the item" "$err" 'car-000500'
is "callback error: ledger status failed" "$(last_status 0004_fails)" failed
has "callback error: ledger error names the item" "$(last_error 0004_fails)" "car-000500"
has "callback error: one failed item counted" "$("$WHIMBREL" history dev 0004_fails --json)" '"failed": 1'
is "callback error: lease released" "$(locks)" 0

run "$WHIMBREL" run dev m/0005_broken.c
is "compile error: exit 1" "$rc" 1
has "compile error: the compiler's message" "$err" "error:"
has "compile error: one-line verdict" "$err" "whimbrel: m/0005_broken.c does not compile"
is "compile error: no run in the ledger" "$("$WHIMBREL" history dev 0005_broken --json)" "[]"
run "$WHIMBREL" plan dev m/0005_broken.c
is "compile error under plan: exit 1" "$rc" 1

run "$WHIMBREL" run dev m/nowhere.c
is "missing file: exit 1" "$rc" 1
has "missing file: says so" "$err" "cannot read m/nowhere.c"
run "$WHIMBREL" run dev m
is "not a C file: exit 1" "$rc" 1

# A migration that leaves a process holding its output: the run still ends.
copy_migrations m 0006_orphan=orphan
start=$(date +%s)
run "$WHIMBREL" run dev m/0006_orphan.c
took=$(( $(date +%s) - start ))
is "orphan holding the output: exit 0" "$rc" 0
ok "orphan holding the output: the runner does not wait for it (${took}s)" '[ "$took" -lt 10 ]'
if [ -f sleeper.pid ]; then kill "$(cat sleeper.pid)" 2>/dev/null || true; fi
