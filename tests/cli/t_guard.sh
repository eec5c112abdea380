# t_guard.sh - the prod guard: `run prod` and `schedule` refuse a migration
# file that is not committed or differs from HEAD, with one line saying
# why; --allow-dirty runs it and the ledger (and the job) record that it
# did; the ledger records the commit of every prod run; the header stamps
# of a prod run are not a change; dev runs and plans are not guarded.
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null 2>&1 || skip_all "git is not installed"
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
ledger() { "$WHIMBREL" history prod "$1" --json; }
# a field of a prod run (runs of one second are not in time order: each has its own value here)
field() { python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['mode']=='prod']; print(r[-1].get('$1',''))"; }

mkdir repo
copy_migrations loose seed
run "$WHIMBREL" run prod loose/0001_seed.c --yes --dir loose
is "outside git: refused (exit 1)" "$rc" 1
is "outside git: one line" "$err" "whimbrel: refusing to run loose/0001_seed.c on prod: not committed (not in a git work tree) (commit it, or pass --allow-dirty)"
ok "outside git: nothing ran" '[ "$(ledger 0001_seed)" = "[]" ] || [ -z "$(ledger 0001_seed)" ]'
run "$WHIMBREL" run dev loose/0001_seed.c
is "run dev: not guarded" "$rc" 0
run "$WHIMBREL" plan prod loose/0001_seed.c
is "plan prod: not guarded" "$rc" 0

cd repo
g init -q .
copy_migrations m seed counter
run "$WHIMBREL" run prod m/0001_seed.c --yes --dir m
is "no commit yet: refused" "$rc" 1
has "no commit yet: says so" "$err" "not committed (its repository has no commit yet)"
g add m/0001_seed.c && g commit -qm seed
head=$(git rev-parse HEAD)
run "$WHIMBREL" run prod m/0002_counter.c --yes --dir m
is "untracked file: refused" "$rc" 1
is "untracked file: one line" "$err" "whimbrel: refusing to run m/0002_counter.c on prod: not committed (commit it, or pass --allow-dirty)"
clean1 "untracked file: message is one line" "$err"
g add m/0002_counter.c
run "$WHIMBREL" run prod m/0002_counter.c --yes --dir m
is "staged, not committed: refused" "$rc" 1

run "$WHIMBREL" run prod m/0001_seed.c --yes --dir m
is "committed: runs" "$rc" 0
is "committed: the ledger records the commit" "$(ledger 0001_seed | field commit)" "$head"
is "committed: nothing dirty recorded" "$(ledger 0001_seed | field dirty)" ""
ok "committed: the header was stamped" 'grep -q "Execution Time: 20" m/0001_seed.c'
run "$WHIMBREL" run prod m/0001_seed.c --yes --dir m
is "only the stamps changed: still runs" "$rc" 0
is "only the stamps changed: commit recorded" "$(ledger 0001_seed | field commit)" "$head"

g commit -qm counter
head2=$(git rev-parse HEAD)
echo '/* changed */' >> m/0002_counter.c
run "$WHIMBREL" run prod m/0002_counter.c --yes --dir m --no-stamp
is "changed since HEAD: refused" "$rc" 1
is "changed since HEAD: one line" "$err" "whimbrel: refusing to run m/0002_counter.c on prod: changed since HEAD ${head2:0:12} (commit it, or pass --allow-dirty)"
run "$WHIMBREL" run prod m/0002_counter.c --yes --dir m --no-stamp --allow-dirty
is "--allow-dirty: runs" "$rc" 0
has "--allow-dirty: a warning" "$err" "whimbrel: warning: --allow-dirty: m/0002_counter.c: changed since HEAD ${head2:0:12}; the ledger records it"
is "--allow-dirty: the ledger records it" "$(ledger 0002_counter | field dirty)" "changed since HEAD ${head2:0:12}"
is "--allow-dirty: and the commit" "$(ledger 0002_counter | field commit)" "$head2"
run "$WHIMBREL" history prod 0002_counter
has "history: shows the dirty run" "$out" "dirty"

# From another directory: the file's own repository counts, not the current one.
cd "$T/loose"
run "$WHIMBREL" run prod ../repo/m/0001_seed.c --yes --dir ../repo/m --no-stamp
is "path into a repository from outside: runs" "$rc" 0

# schedule: the same guard.
cd "$T/repo"
run "$WHIMBREL" schedule prod m/0002_counter.c --now
is "schedule a changed file: refused" "$rc" 1
is "schedule a changed file: one line" "$err" "whimbrel: refusing to schedule m/0002_counter.c on prod: changed since HEAD ${head2:0:12} (commit it, or pass --allow-dirty)"
is "schedule refused: no job" "$("$WHIMBREL" schedule list prod)" "no jobs"
cp "$T/loose/0001_seed.c" m/0003_seed.c
run "$WHIMBREL" schedule prod m/0003_seed.c --now
is "schedule an untracked file: refused" "$rc" 1
run "$WHIMBREL" schedule prod m/0002_counter.c --now --allow-dirty
is "schedule --allow-dirty: recorded" "$rc" 0
job=$(awk '{print $2}' <<<"$out"); job=${job%:}
run "$WHIMBREL" schedule show "$job"
has "schedule --allow-dirty: the job says so" "$out" "dirty:      changed since HEAD ${head2:0:12}"
has "schedule --allow-dirty: and the commit" "$out" "commit:     $head2"
