# t_run_lease.sh - leases and what is said about them (issue 9, item 11):
# the busy message's hint names the target (`whimbrel unlock M dev`);
# `unlock` of a live run of this host is refused without --force; a run
# whose lease is removed stops (SIGINT, then SIGTERM for a program that
# ignores it) and is not recorded succeeded, also when it ends before its
# next heartbeat.
. "$(dirname "$0")/lib.sh"
copy_migrations m stubborn
json() { "$WHIMBREL" history dev "$1" --json; }
STUBBORN_MS=10 "$WHIMBREL" run dev m/0001_stubborn.c >/dev/null 2>&1
sleep 1 # run ids of one second sort by their random part: keep the history in order

# --- the hint names the target; unlock of a live run needs --force.
WHIMBREL_LEASE_SECONDS=3 "$WHIMBREL" run dev m/0001_stubborn.c >run1.out 2>&1 &
runner=$!
wait_for run1.out started
run "$WHIMBREL" run dev m/0001_stubborn.c
is "busy: exit 3" "$rc" 3
has "busy: the hint names the target" "$err" '`whimbrel unlock 0001_stubborn dev` if that run is dead'
run "$WHIMBREL" unlock 0001_stubborn dev
is "unlock of a live local run: refused (exit 1)" "$rc" 1
has "unlock of a live local run: says why and how" "$err" "a live process (pid $runner) of this host; stop that run, or pass --force"
is "unlock of a live local run: the lease is kept" "$("$WHIMBREL" scan whimbrel_locks | grep -c 0001_stubborn)" 1
start=$(date +%s)
run "$WHIMBREL" unlock 0001_stubborn dev --force
is "unlock --force: exit 0" "$rc" 0
has "unlock --force: warns" "$err" "stops at its next heartbeat"

# --- the run that lost its lease stops (SIGINT ignored: SIGTERM) and is not succeeded.
wait "$runner"
code=$?
took=$(( $(date +%s) - start ))
is "lease removed: the run stops as interrupted (130)" "$code" 130
ok "lease removed: it stopped well before its end (${took}s of 30)" '[ "$took" -lt 20 ]'
has "lease removed: says so" "$(cat run1.out)" "stopping the run"
is "lease removed: ledger interrupted" "$(json 0001_stubborn | jfield 2 status)" interrupted
has "lease removed: ledger says why" "$(json 0001_stubborn | grep '"error":' | sed -n 1p)" "the lease was taken over"

# --- a run ending before its next heartbeat after losing its lease: failed, not succeeded.
sleep 1
STUBBORN_MS=3000 "$WHIMBREL" run dev m/0001_stubborn.c >run2.out 2>&1 &
runner=$!
wait_for run2.out started
"$WHIMBREL" unlock 0001_stubborn dev --force >/dev/null 2>&1
wait "$runner"
is "lease removed, no heartbeat since: exit 1" "$?" 1
is "lease removed, no heartbeat since: ledger failed" "$(json 0001_stubborn | jfield 3 status)" failed
has "lease removed, no heartbeat since: says why" "$(json 0001_stubborn | grep '"error":' | sed -n 2p)" "lost its lease"
