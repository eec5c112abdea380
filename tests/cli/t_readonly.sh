# t_readonly.sh - a database file this process cannot write (another
# owner, or chmod 444 in a directory without write access) can still be
# read: scan, export, status, table list and plan work, writes fail saying
# the database is read-only, and the file is left exactly as it was (no
# -wal or -shm appears).  As root the reads run as user nobody (setpriv);
# otherwise the file and its directory lose their write bits.
. "$(dirname "$0")/lib.sh"
mkdir -p migrations
cp "$WB_ROOT/examples/migrations/0001_add_price_to_cars.c" migrations/
for i in 1 2 3 4 5; do echo "{\"id\":\"car-$i\",\"brand\":\"Volvo\",\"year\":199$i}"; done >cars.jsonl
"$WHIMBREL" -q import cars cars.jsonl --create --pk id:S
"$WHIMBREL" plan dev migrations/0001_add_price_to_cars.c --diffs 0 >/dev/null 2>&1 # compiles (cached)
"$WHIMBREL" export cars >owner.jsonl

if [ "$(id -u)" = 0 ]; then
	if ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
		echo "ok 1 - # SKIP running as root without setpriv or user nobody"
		exit 0
	fi
	chmod 755 "$T"
	as_reader() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
	if as_reader test -w .whimbrel/dev.db; then
		echo "ok 1 - # SKIP user nobody can write the database here"
		exit 0
	fi
else
	chmod 444 .whimbrel/dev.db
	chmod 555 .whimbrel
	as_reader() { "$@"; }
	trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
fi
sum_before=$(cksum <.whimbrel/dev.db)

run as_reader "$WHIMBREL" scan cars
is "scan: exit 0" "$rc" 0
is "scan: every item" "$(wc -l <<<"$out")" 5
run as_reader "$WHIMBREL" export cars
is "export: exit 0" "$rc" 0
is "export: the same lines as the owner's" "$out" "$(cat owner.jsonl)"
run as_reader "$WHIMBREL" table list
is "table list" "$out" "cars"
run as_reader "$WHIMBREL" status dev
is "status: exit 0" "$rc" 0
has "status: the migration" "$out" "0001_add_price_to_cars"
run as_reader "$WHIMBREL" plan dev migrations/0001_add_price_to_cars.c --diffs 0
is "plan: exit 0" "$rc" 0
has "plan: what it would write" "$out" "5 item(s) would be written"
has "plan: says it is not recorded" "$err" "the plan is not recorded in the ledger"
has "plan: because the database is read-only" "$err" "is read-only here"
run as_reader "$WHIMBREL" item put cars '{"id":"car-9"}'
ok "put: fails" '[ "$rc" -ne 0 ]'
has "put: says the database is read-only" "$err" "database .whimbrel/dev.db is read-only here"
clean1 "put: one line" "$err"
run as_reader "$WHIMBREL" import cars cars.jsonl
ok "import: fails" '[ "$rc" -ne 0 ]'
has "import: nothing imported, read-only" "$err" "nothing imported"
is "the file is unchanged" "$(cksum <.whimbrel/dev.db)" "$sum_before"
ok "no -wal or -shm was left" '[ ! -e .whimbrel/dev.db-wal ] && [ ! -e .whimbrel/dev.db-shm ]'
