# t_run.sh - the workflow end to end through the command line:
# new -> plan -> run dev -> run prod -> status; the header is stamped after
# prod only (plan and dev leave the file byte for byte as it was).  The
# directory is a git repository: prod runs only committed files (t_guard.sh).
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null 2>&1 || skip_all "git is not installed"
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
commit() { git add "$@" && git -c user.name=tester -c user.email=tester@example.com commit -qm "$*"; }
git init -q .
copy_migrations setup seed check
commit setup

run "$WHIMBREL" run dev setup/0001_seed.c
is "seed dev: exit 0" "$rc" 0
run "$WHIMBREL" run prod setup/0001_seed.c --yes --dir setup --no-stamp
is "seed prod: exit 0" "$rc" 0

run "$WHIMBREL" new "count cars"
f=$out
# Make it a real migration: bump a counter on every car.
sed -e 's|^\t(void)item;$|\twb_item_set_int(item, "counter", wb_item_get_int(item, "counter", 0) + 1);|' \
    -e 's|^\treturn WB_KEEP;$|\treturn WB_WRITE;|' \
    -e 's|^\t/\* rc = wb_each(run, "TABLE", NULL, change, NULL); \*/$|\trc = wb_each(run, "cars", NULL, change, NULL);|' \
    "$f" > "$f.new" && mv "$f.new" "$f"
commit "$f"
cp "$f" pristine.c

run "$WHIMBREL" plan dev "$f" --diffs 2
is "plan: exit 0" "$rc" 0
has "plan: counts" "$out" "plan: 1000 item(s) would be written, 0 deleted, 0 unchanged"
has "plan: diff of an added attribute" "$out" "    + counter: N 1"
is "plan: two diffs shown" "$(grep -c '^~ cars' <<<"$out")" 2
ok "plan: header untouched" 'cmp -s "$f" pristine.c'
run "$WHIMBREL" run dev setup/0002_check.c
has "plan wrote nothing" "$out" "cars=1000 counter0=1000"

run "$WHIMBREL" run dev "$f"
is "run dev: exit 0" "$rc" 0
has "run dev: summary" "$err" "succeeded"
has "run dev: counters" "$err" "1000 scanned, 1000 written, 0 deleted, 0 unchanged, 0 failed"
ok "run dev: header untouched" 'cmp -s "$f" pristine.c'
run "$WHIMBREL" run dev setup/0002_check.c
has "run dev: every car once" "$out" "cars=1000 counter0=0 counter1=1000 counter2=0 counter3+=0"

run "$WHIMBREL" run prod "$f" </dev/null
is "run prod without a terminal or --yes: refused" "$rc" 1
has "run prod refused: says --yes" "$err" "--yes"
run "$WHIMBREL" run prod "$f" --yes --threads 3
is "run prod: exit 0" "$rc" 0
ok "run prod: header changed" '! cmp -s "$f" pristine.c'
ok "run prod: Execution Time filled" 'grep -qE "^ \* Execution Time: 20[0-9]{2}-[0-9]{2}-[0-9]{2} at [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$" "$f"'
ok "run prod: Finalization Time filled" 'grep -qE "^ \* Finalization Time: 20[0-9]{2}-[0-9]{2}-[0-9]{2} at [0-9:]{8} UTC" "$f"'
is "run prod: nothing else changed" "$(diff "$f" pristine.c | grep -c '^[<>]')" 4
run "$WHIMBREL" run prod setup/0002_check.c --yes --dir setup --no-stamp
has "run prod: every prod car once" "$out" "cars=1000 counter0=0 counter1=1000"
cp "$f" once.c
run "$WHIMBREL" run prod "$f" --yes
is "second prod run: exit 0" "$rc" 0
is "second prod run: a second pair appended" "$(grep -c 'Execution Time: 20' "$f")" 2

run "$WHIMBREL" status dev
is "status dev: exit 0" "$rc" 0
has "status dev: the run" "$out" "$(basename "$f" .c)"
ok "status dev: succeeded" 'grep "$(basename "$f" .c)" <<<"$out" | grep -q succeeded'
run "$WHIMBREL" status prod --json
has "status prod --json: status" "$out" '"status": "succeeded"'
has "status prod --json: written" "$out" '"written": 1000'
run "$WHIMBREL" new "not yet"
run "$WHIMBREL" status
ok "status: a new file is pending" 'grep 0002_not_yet <<<"$out" | grep -q pending'

run "$WHIMBREL" history prod "$(basename "$f" .c)"
is "history: two prod runs" "$(grep -c ' prod ' <<<"$out")" 2
id=$(awk 'NR==2 {print $1}' <<<"$out")
run "$WHIMBREL" log "$id" prod
is "log: exit 0" "$rc" 0
has "log: the migration's output is kept" "$out" "[info] nothing to do yet"
run "$WHIMBREL" history dev setup
run "$WHIMBREL" log nosuchrun
is "log of an unknown run: exit 1" "$rc" 1

unset WHIMBREL_PROD_DB
run "$WHIMBREL" run prod "$f" --yes
is "no prod target: exit 1" "$rc" 1
has "no prod target: says how to configure" "$err" "prod"
run "$WHIMBREL" run --help
has "run --help" "$out" "usage: whimbrel run"
run "$WHIMBREL" plan --help
has "plan --help" "$out" "usage: whimbrel plan"
run "$WHIMBREL" run staging "$f"
is "unknown target: usage" "$rc" 2

# Confirmation on a terminal (script(1) gives the runner one).
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
run "$WHIMBREL" new "confirm me"
g=$out
commit "$g"
printf 'no\n' | script -qec "$WHIMBREL run prod $g" /dev/null >confirm.out 2>&1
is "prod on a terminal, answered no: exit 1" "$?" 1
has "confirmation shows the target" "$(cat confirm.out)" "About to run $(basename "$g" .c) on prod: sqlite:$T/prod.db"
has "confirmation shows the tables and their item counts" "$(cat confirm.out)" "table cars"
has "confirmation shows the counts" "$(cat confirm.out)" "1000 items"
has "answered no: nothing was run" "$(cat confirm.out)" "not confirmed"
is "answered no: no run in the ledger" "$("$WHIMBREL" history prod "$(basename "$g" .c)" --json)" "[]"
printf 'yes\n' | script -qec "$WHIMBREL run prod $g" /dev/null >confirm.out 2>&1
is "answered yes: exit 0" "$?" 0
has "answered yes: the run happened" "$(cat confirm.out)" "succeeded"

# --no-stamp, then `whimbrel stamp` fills the header from the ledger.
run "$WHIMBREL" new "stamp later"
h=$out
commit "$h"
cp "$h" h-pristine.c
run "$WHIMBREL" run prod "$h" --yes --no-stamp
ok "--no-stamp: header untouched" 'cmp -s "$h" h-pristine.c'
run "$WHIMBREL" stamp "$h"
is "stamp: exit 0" "$rc" 0
has "stamp: says which run" "$out" "stamped run"
ok "stamp: Execution Time filled" 'grep -qE "^ \* Execution Time: 20[0-9-]{8} at [0-9:]{8} UTC$" "$h"'
run "$WHIMBREL" stamp "$h"
has "stamp again: nothing to add" "$out" "already in the header"
is "stamp again: one pair only" "$(grep -c 'Execution Time: 20' "$h")" 1
