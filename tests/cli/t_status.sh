# t_status.sh - `whimbrel status`, `history` and `log` read headers and the
# ledger only: they never compile a migration (a file that no longer
# compiles is listed like any other), mark the pending ones, and show the
# captured output of a run from the target.
. "$(dirname "$0")/lib.sh"
copy_migrations migrations seed fails broken

run "$WHIMBREL" status
is "empty ledger: exit 0" "$rc" 0
has "empty ledger: everything pending" "$out" "3 migration(s), 3 pending"
ok "status compiles nothing" '[ ! -d .whimbrel/build ]'

"$WHIMBREL" run dev migrations/0001_seed.c >/dev/null 2>&1
"$WHIMBREL" run dev migrations/0002_fails.c --threads 1 >/dev/null 2>&1
run "$WHIMBREL" status dev
ok "status: seed succeeded" 'grep 0001_seed <<<"$out" | grep -q succeeded'
ok "status: fails failed" 'grep 0002_fails <<<"$out" | grep -q failed'
ok "status: broken one pending" 'grep 0003_broken <<<"$out" | grep -q pending'
has "status: summary" "$out" "3 migration(s), 1 pending"
is "the state directory keeps itself out of git" "$(grep -v '^#' .whimbrel/.gitignore)" "*"
run env WHIMBREL_PROD_DB=sqlite:p.db "$WHIMBREL" --target prod status
has "--target prod status: the prod ledger" "$out" "target prod"
has "--target prod status: nothing ran there" "$out" "3 migration(s), 3 pending"
run env WHIMBREL_PROD_DB=sqlite:p.db "$WHIMBREL" --target prod status dev
has "a target on the line wins over --target" "$out" "target dev"
ok "status: never compiled the broken file" '! ls .whimbrel/build/*/ 2>/dev/null | grep -q broken && [ "$(ls .whimbrel/build | wc -l)" -eq 2 ]'
run "$WHIMBREL" status --json
has "status --json: pending" "$out" '"status": "pending"'
has "status --json: counts" "$out" '"failed": 1'
has "status --json: error of the failed run" "$out" '"error": '
run "$WHIMBREL" status --dir nowhere
has "status of a missing directory: no migration" "$out" "0 migration(s)"
run "$WHIMBREL" status staging
is "status of an unknown target: usage" "$rc" 2

run "$WHIMBREL" history
is "history: two runs" "$(grep -c '^20' <<<"$out")" 2
has "history: the error line" "$out" "error: "
run "$WHIMBREL" history 0001
is "history by number: one run" "$(grep -c '^20' <<<"$out")" 1
run "$WHIMBREL" history migrations/0002_fails.c
is "history by file: one run" "$(grep -c '^20' <<<"$out")" 1
id=$(awk '/^20/ {print $1}' <<<"$out")
run "$WHIMBREL" log "$id"
is "log: exit 0" "$rc" 0
has "log: the migration's error output" "$out" "car-000500"
run "$WHIMBREL" status --help
has "status --help" "$out" "usage: whimbrel status"
run "$WHIMBREL" history --help
has "history --help" "$out" "usage: whimbrel history"
run "$WHIMBREL" log --help
has "log --help" "$out" "usage: whimbrel log"

# A run recorded as running without a lease (its runner died) shows as dead.
"$WHIMBREL" item put whimbrel_runs '{"run_id":"29991231T000000Z-dead0000","migration":"0003_broken","mode":"dev","status":"running","started":1790000000}'
run "$WHIMBREL" status
ok "status: a running run without a lease shows dead" 'grep 0003_broken <<<"$out" | grep -q " dead "'
has "status: says why" "$out" "note: 0003_broken: run 29991231T000000Z-dead0000 is recorded as running but its runner is dead (it holds no lease)"
run "$WHIMBREL" status --json
has "status --json: stale" "$out" '"stale": true'
run "$WHIMBREL" log "$id"
ok "log: each line with its time" 'grep -qE "^20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{3} " <<<"$out"'
run "$WHIMBREL" log "$id" --raw
ok "log --raw: text only" '! grep -qE "^20[0-9]{2}-" <<<"$out" && [ -n "$out" ]'

# Odd directory entries: names escaped, non-files not listed as migrations.
mkdir -p odd/migrations && cd odd
touch "migrations/$(printf '0008_a\033b.c')"
mkdir migrations/0005_dir.c
ln -s nowhere migrations/0013_dangling.c
run "$WHIMBREL" status dev
has "status: control character escaped" "$out" '0008_a\x1bb'
ok "status: no raw escape" '! grep -q "$(printf "\033")" <<<"$out"'
ok "status: a directory is not a migration" '! grep -q 0005_dir <<<"$out"'
ok "status: a dangling link is not a migration" '! grep -q 0013_dangling <<<"$out"'
cd ..

run "$WHIMBREL" logs --help
is "logs: an alias of log: --help exits 0" "$rc" 0
has "logs: shows log's usage" "$out" "usage: whimbrel log"

# Two targets on one command are refused, whichever order (not the last one
# winning, nor the second read as a migration's name).
for args in "history dev prod" "history prod dev" "status dev prod"; do
	run "$WHIMBREL" $args
	is "$args: exit 2" "$rc" 2
	has "$args: says two targets" "$err" "two targets"
done
