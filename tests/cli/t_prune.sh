# t_prune.sh - `whimbrel prune` and `whimbrel prune --check`: both sides of
# the January and July boundaries, never-run migrations kept, --dry-run,
# the refusal without --yes off a terminal, plain and git deletion, and the
# age sources (header, ledger, git, mtime) as the listing names them.
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data/migrations-prune
export GIT_CEILING_DIRECTORIES=$(dirname "$T")   # no repository above $T counts
unset WHIMBREL_PROD_DB WHIMBREL_DEV_DB
: > "$T/none.conf"   # an empty configuration: prod is not configured
W() { run "$WHIMBREL" --config "$T/none.conf" "$@"; }
fresh() {  # the named fixtures, alone in ./migrations
	rm -rf migrations && mkdir migrations
	for f in "$@"; do cp "$D/$f" migrations/; done
}

# July boundary: finalized 2025-06-15, a year later 2026-06-15.
fresh 0001_summer.c
W prune --check --now 2026-06-30
is "july: --check on 2026-06-30 passes" "$rc" 0
has "july: says nothing overdue" "$out" "nothing overdue"
W prune --check --now 2026-07-01
is "july: --check on 2026-07-01 fails" "$rc" 1
has "july: lists the overdue migration, its age and source" "$out" \
	"overdue  migrations/0001_summer.c  380 days (header: finalized 2025-06-15 at 10:05:00 UTC)"
has "july: says which bulk deletion was missed" "$err" "bulk deletion of 2026-07-01"
W prune --check --now "2026-06-30 at 23:59:59 UTC"
is "july: one second before the boundary passes" "$rc" 0
W prune --dry-run --now "2026-06-15 at 10:04:59 UTC"
has "july: not yet a year old: nothing to delete" "$out" "nothing to delete"
W prune --dry-run --now "2026-06-15 at 10:05:00 UTC"
has "july: a year old to the second: would delete" "$out" "would delete migrations/0001_summer.c  365 days"

# January boundary: finalized 2025-12-20.
fresh 0002_winter.c
W prune --check --now 2026-12-31
is "january: --check on 2026-12-31 passes" "$rc" 0
W prune --check --now 2027-01-01
is "january: --check on 2027-01-01 fails" "$rc" 1
has "january: age from the latest finalization, not the failed run" "$out" \
	"(header: finalized 2025-12-20 at 09:30:00 UTC)"
W prune --check --now 2027-06-30
is "january: still overdue in June" "$rc" 1
W prune --check --now 2026-12-31 --older-than 180d
is "--older-than 180d: overdue at the July boundary" "$rc" 1
has "--older-than 180d: says so" "$out" "past 180 days before 2026-07-01"

# A never-run migration is never deleted, whatever its age (here: mtime).
fresh 0001_summer.c 0003_never_run.c
touch -d "2020-01-01 00:00:00 UTC" migrations/0003_never_run.c
W prune --yes --now 2026-11-25
is "never run: prune exits 0" "$rc" 0
ok "never run: the file is still there" "[ -f migrations/0003_never_run.c ]"
ok "never run: the prod-run file is gone" "[ ! -e migrations/0001_summer.c ]"
has "never run: listed as never run, age from mtime" "$out" \
	"keep     migrations/0003_never_run.c  2520 days (mtime: modified 2020-01-01 at 00:00:00 UTC), never run in prod"
has "never run: one deleted" "$out" "deleted 1 migration"
W prune --check --now 2026-11-25
is "never run: --check does not fail for it" "$rc" 0
has "never run: --check lists it as kept" "$out" "kept     migrations/0003_never_run.c"

# --dry-run deletes nothing; without --yes off a terminal, refuse.
fresh 0001_summer.c 0002_winter.c 0003_never_run.c 0004_recent.c
W prune --dry-run --now 2027-06-01
is "dry run: exit 0" "$rc" 0
is "dry run: all four files remain" "$(ls migrations | wc -l)" 4
has "dry run: counts" "$out" "dry run: would delete 2 migrations"
W prune --now 2027-06-01 </dev/null
is "no --yes, stdin not a terminal: usage exit 2" "$rc" 2
has "no --yes: says why" "$err" "without --yes"
is "no --yes: nothing deleted" "$(ls migrations | wc -l)" 4
# On a terminal without --yes: ask (script(1) provides the terminal).
if command -v script >/dev/null; then
	cmd="'$WHIMBREL' --config '$T/none.conf' prune --now 2027-06-01"
	run sh -c "printf 'n\\n' | script -qec \"$cmd\" /dev/null"
	has "terminal: asks" "$out" "Delete 2 migrations from migrations? [y/N]"
	is "terminal: declined: exit 1" "$rc" 1
	is "terminal: declined: nothing deleted" "$(ls migrations | wc -l)" 4
	run sh -c "printf 'y\\n' | script -qec \"$cmd\" /dev/null"
	has "terminal: accepted: deleted" "$out" "deleted 2 migrations"
	is "terminal: two left" "$(ls migrations | wc -l)" 2
	fresh 0001_summer.c 0002_winter.c 0003_never_run.c 0004_recent.c
else
	skip "terminal: the prompt" "script(1) not installed"
fi
W prune --dry-run --now 2026-11-25 --older-than 30d
has "--older-than 30d: the recent one qualifies" "$out" "would delete migrations/0004_recent.c  54 days"
W prune --now 2027-06-01 --yes
is "plain removal: exit 0" "$rc" 0
is "plain removal: two left" "$(ls migrations | tr '\n' ' ')" "0003_never_run.c 0004_recent.c "

# In a git work tree: one git rm, the deletions staged; age from the commit.
rm -rf repo && mkdir -p repo/migrations && cd repo
git init -q . && git config user.email t@example.com && git config user.name Test
cp "$D/0001_summer.c" "$D/0002_winter.c" "$D/0003_never_run.c" migrations/
cp "$D/0001_summer.c" 'migrations/0006_star*.c'     # a glob character: taken literally
cp "$D/0004_recent.c" migrations/0006_starry.c      # recent: kept
GIT_AUTHOR_DATE="2024-03-01T12:00:00Z" GIT_COMMITTER_DATE="2024-03-01T12:00:00Z" \
	git add migrations && GIT_AUTHOR_DATE="2024-03-01T12:00:00Z" GIT_COMMITTER_DATE="2024-03-01T12:00:00Z" \
	git commit -q -m "three migrations"
cp "$D/0002_winter.c" migrations/0005_untracked.c
touch -d "2025-01-01 00:00:00 UTC" migrations/0003_never_run.c
W prune --dry-run --now 2027-06-01
has "git: age from the commit that added the file" "$out" \
	"keep     migrations/0003_never_run.c  1186 days (git: added 2024-03-01 at 12:00:00 UTC), never run in prod"
W prune --yes --now 2027-06-01
is "git: exit 0" "$rc" 0
has "git: says the deletion is staged" "$out" "staged with git rm"
st=$(git status --porcelain)
has "git: 0001 deletion staged" "$st" "D  migrations/0001_summer.c"
has "git: 0002 deletion staged" "$st" "D  migrations/0002_winter.c"
ok "git: the never-run file stays" "[ -f migrations/0003_never_run.c ]"
ok "git: the untracked old file is removed too" "[ ! -e migrations/0005_untracked.c ]"
has "git: the file with '*' in its name staged" "$st" 'D  migrations/0006_star*.c'
ok "git: the recent file matching that glob stays" "[ -f migrations/0006_starry.c ]"
ok "git: nothing else staged" "[ \$(git diff --cached --name-only | wc -l) -eq 3 ]"
cd "$T"

# A ledger in the prod target gives the age when the header has none.
cat >ledger.c <<'EOF'
#include <stdio.h>
#include <whimbrel.h>
int main(int argc, char **argv)
{
	wb_db *db; wb_key_schema k = {0}; wb_item *it;
	const char *rows[][4] = {
		{"r1", "0006_ledger_only", "prod", "1735725600"},   /* 2025-01-01 10:00 */
		{"r2", "0006_ledger_only", "prod", "1736330400"},   /* 2025-01-08 10:00 */
		{"r3", "0006_ledger_only", "dev", "1790000000"},    /* dev: ignored */
		{"r4", "0007_dev_only", "dev", "1736330400"},
	};
	(void)argc;
	if (wb_open(&db, argv[1]) < 0) return 1;
	snprintf(k.pk_name, sizeof(k.pk_name), "run_id");
	k.pk_type = WB_S;
	if (wb_table_create(db, "whimbrel_runs", &k) < 0) { fprintf(stderr, "%s\n", wb_errmsg(db)); return 1; }
	for (int i = 0; i < 4; i++) {
		it = wb_item_new();
		wb_item_set_string(it, "run_id", rows[i][0]);
		wb_item_set_string(it, "migration", rows[i][1]);
		wb_item_set_string(it, "mode", rows[i][2]);
		wb_item_set_string(it, "status", "succeeded");
		wb_item_set_number(it, "started", rows[i][3]);
		wb_item_set_number(it, "finished", rows[i][3]);
		if (wb_put(db, "whimbrel_runs", it, NULL) < 0) { fprintf(stderr, "%s\n", wb_errmsg(db)); return 1; }
		wb_item_free(it);
	}
	wb_close(db);
	return 0;
}
EOF
if cc -std=gnu11 ${WB_SANITIZE:+-fsanitize=address,undefined} -I"$WB_ROOT/include" -o ledger ledger.c "$WB_BUILD/lib/libwhimbrel.a" \
	-lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm 2>ledger.err && ./ledger "sqlite:$T/prod.db"; then
	fresh 0003_never_run.c
	cp "$D/0003_never_run.c" migrations/0006_ledger_only.c
	cp "$D/0003_never_run.c" migrations/0007_dev_only.c
	touch -d "2024-01-01 00:00:00 UTC" migrations/*.c
	WHIMBREL_PROD_DB="sqlite:$T/prod.db" W prune --dry-run --now 2026-11-25
	has "ledger: age from the last finished prod run" "$out" \
		"would delete migrations/0006_ledger_only.c  685 days (ledger: last prod run finished 2025-01-08 at 10:00:00 UTC)"
	has "ledger: dev runs do not count as prod runs" "$out" \
		"keep     migrations/0007_dev_only.c  1059 days (mtime: modified 2024-01-01 at 00:00:00 UTC), never run in prod"
	WHIMBREL_PROD_DB="sqlite:$T/prod.db" W prune --check --now 2026-11-25
	is "ledger: --check fails for the ledger-aged migration" "$rc" 1
	WHIMBREL_PROD_DB="sqlite:$T/absent.db" W prune -v --dry-run --now 2026-11-25
	has "absent prod database: a verbose note" "$err" "ledger not used (prod database $T/absent.db does not exist)"
	ok "absent prod database: not created" "[ ! -e absent.db ]"
	W prune -v --dry-run --now 2026-11-25
	has "no prod target: a verbose note, no failure" "$err" "ledger not used"
	is "no prod target: exit 0" "$rc" 0
	has "no prod target: ledger-only migration counts as never run" "$out" \
		"keep     migrations/0006_ledger_only.c  1059 days (mtime"
else
	fail "ledger: could not build the ledger fixture" "$(head -c 300 ledger.err)"
fi

# Usage errors and a missing directory.
W prune --older-than 12x
is "bad --older-than: exit 2" "$rc" 2
has "bad --older-than: says why" "$err" "bad --older-than '12x'"
W prune --now yesterday
is "bad --now: exit 2" "$rc" 2
W prune --dir nowhere --dry-run
is "missing directory: exit 1" "$rc" 1
has "missing directory: named" "$err" "nowhere"
W prune --help
has "--help: usage with exit codes" "$out" "Exit codes"

# output that cannot be written is an error, not a silent success
fresh $(cd "$D" && ls | head -1)
"$WHIMBREL" --config "$T/none.conf" prune --dry-run --no-ledger >/dev/full 2>"$T/.err"; rc=$?; err=$(cat "$T/.err")
is "listing to a full disk: exit 1" "$rc" 1
has "listing to a full disk: says so" "$err" "whimbrel: cannot write the output"

# git rm refusing (a file with local changes): one line quoting git, nothing deleted
cd "$T" && rm -rf repo2 && mkdir -p repo2/migrations && cd repo2
git init -q . && git config user.email t@example.com && git config user.name Test
cp "$D/0001_summer.c" "$D/0002_winter.c" migrations/
git add migrations && git commit -q -m two
echo "/* local change */" >> migrations/0002_winter.c
W prune --yes --no-ledger --now 2027-06-01
is "git rm refuses: exit 1" "$rc" 1
ok "git rm refuses: one line" '[ "$(printf "%s\n" "$err" | wc -l)" -eq 1 ]'
has "git rm refuses: says what git said" "$err" "local modifications"
has "git rm refuses: nothing deleted" "$err" "nothing was deleted"
ok "git rm refuses: both files still there" "[ -f migrations/0001_summer.c ] && [ -f migrations/0002_winter.c ]"
cd "$T"

# A malformed whimbrel.conf stops prune (it needs [prod] for the ledger),
# unless --no-ledger says the ledger is not wanted.
rm -rf cfg && mkdir -p cfg/migrations && cd cfg
cp "$D/0001_summer.c" migrations/
printf '[prod\ndb = sqlite:p.db\n' > whimbrel.conf
run "$WHIMBREL" prune --dry-run --now 2027-06-01
is "malformed config: exit 1" "$rc" 1
ok "malformed config: one line" '[ "$(printf "%s\n" "$err" | wc -l)" -eq 1 ]'
has "malformed config: names file and line" "$err" "whimbrel.conf:1:"
has "malformed config: mentions --no-ledger" "$err" "--no-ledger"
run "$WHIMBREL" prune --dry-run --now 2027-06-01 --no-ledger
is "malformed config with --no-ledger: exit 0" "$rc" 0
cd "$T"

# A header with problems (a bad Execution Time) cannot prove a prod run: kept,
# and the listing points at lint instead of looking self-contradictory.
rm -rf badhdr && mkdir -p badhdr/migrations && cd badhdr
printf '/*\n * x\n * Execution Time: 2025-13-01 at 10:00:00 UTC\n * Finalization Time: 2025-01-01 at 10:01:00 UTC\n */\n' > migrations/0001_bad.c
W prune --dry-run --no-ledger --now 2027-06-01
is "bad header: exit 0" "$rc" 0
has "bad header: kept, never run in prod" "$out" "keep     migrations/0001_bad.c"
has "bad header: points at lint" "$out" "the header has problems: see whimbrel lint"
ok "bad header: still there" "[ -f migrations/0001_bad.c ]"
cd "$T"
