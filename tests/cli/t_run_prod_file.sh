# t_run_prod_file.sh - `run prod` checks the file before anything runs
# (issue 9, item 12): its name is NNNN_slug.c, it is in the migrations
# directory (migrations, or --dir DIR), and its header is present and well
# formed.  So elsewhere/0010_x.c cannot share the ledger name, the lease and
# the checkpoints of migrations/0010_x.c on prod.  Dev runs take any file.
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data/migrations
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
runs() { "$WHIMBREL" history prod "$1" --json | grep -c '"run_id"'; }
mkdir -p migrations elsewhere other
cp "$D/seed.c" migrations/0010_x.c
cp "$D/seed.c" elsewhere/0010_x.c
cp "$D/seed.c" other/0011_y.c
sed '1,7d' "$D/seed.c" >migrations/0012_no_header.c
sed 's/^ \* Execution Time:$/ * Execution Time: yesterday/' "$D/seed.c" >migrations/0013_bad_header.c
cp "$D/seed.c" migrations/fix.c
cp "$D/seed.c" migrations/0014-Fix.c

run "$WHIMBREL" run prod elsewhere/0010_x.c --yes --allow-dirty
is "outside migrations/: exit 1" "$rc" 1
clean1 "outside migrations/: one line" "$err"
has "outside migrations/: says why" "$err" "refusing to run elsewhere/0010_x.c on prod: it is not in the migrations directory migrations"
is "outside migrations/: nothing ran" "$(runs 0010_x)" 0
run "$WHIMBREL" run prod migrations/0010_x.c --yes --allow-dirty
is "inside migrations/: runs" "$rc" 0
run "$WHIMBREL" run prod other/0011_y.c --yes --allow-dirty --dir other
is "--dir names another directory" "$rc" 0
run "$WHIMBREL" run prod other/0011_y.c --yes --allow-dirty
is "... which is needed" "$rc" 1

run "$WHIMBREL" run prod migrations/0012_no_header.c --yes --allow-dirty
is "no header: exit 1" "$rc" 1
has "no header: says why" "$err" "refusing to run migrations/0012_no_header.c on prod: it has no header comment"
is "no header: nothing ran" "$(runs 0012_no_header)" 0
run "$WHIMBREL" run prod migrations/0013_bad_header.c --yes --allow-dirty
is "malformed header: exit 1" "$rc" 1
has "malformed header: names the line" "$err" "its header is not well formed: line 5: bad Execution Time"
is "malformed header: nothing ran" "$(runs 0013_bad_header)" 0

run "$WHIMBREL" run prod migrations/fix.c --yes --allow-dirty
is "name without a number: exit 1" "$rc" 1
has "name without a number: says why" "$err" "its name is not NNNN_slug.c"
run "$WHIMBREL" run prod migrations/0014-Fix.c --yes --allow-dirty
is "name not NNNN_slug: exit 1" "$rc" 1
is "name not NNNN_slug: nothing ran" "$("$WHIMBREL" history prod --json | grep -c '"0014')" 0

run "$WHIMBREL" run dev elsewhere/0010_x.c
is "dev takes a file from anywhere" "$rc" 0
run "$WHIMBREL" run dev migrations/0012_no_header.c
is "dev takes a file without a header" "$rc" 0
