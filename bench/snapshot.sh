#!/usr/bin/env bash
# snapshot.sh - what the snapshot a prod run takes on an embedded target
# costs (docs/restore.md): N cars of ~200 bytes (bench/gen_items.mjs)
# imported into an SQLite target, then the time of a copy of the whole file
# by SQLite's online backup API (what whimbrel uses, sqlite_snapshot.c)
# against VACUUM INTO, both through the sqlite3 shell, and the snapshot
# time a `whimbrel run prod` reports, per GB of database file.
#
#   bench/snapshot.sh [N]      (default 2000000; needs node and sqlite3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${WHIMBREL:-$ROOT/build/bin/whimbrel}
N=${1:-2000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/wbsnap.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
node "$ROOT/bench/gen_items.mjs" "$N" items.jsonl
"$W" --db sqlite:db.sqlite import cars items.jsonl --create --pk id >/dev/null
rm items.jsonl
bytes=$(stat -c %s db.sqlite)
gb() { awk -v s="$1" -v b="$bytes" 'BEGIN { printf "%.2f s/GB", s / (b / 1e9) }'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }
sync
b=$(secs sqlite3 db.sqlite ".backup backup.db"); rm -f backup.db
v=$(secs sqlite3 db.sqlite "VACUUM INTO 'vacuum.db'"); rm -f vacuum.db
mkdir m
cat >m/0001_noop.c <<'C'
/*
 * A migration that changes nothing (the snapshot's cost alone).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <whimbrel.h>
int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
C
note=$(WHIMBREL_PROD_DB=sqlite:db.sqlite "$W" run prod m/0001_noop.c --yes --allow-dirty --dir m --no-stamp 2>&1 |
	sed -n 's/.*snapshot of the target taken at .* (\([0-9]*\) ms;.*/\1/p')
r=$(awk -v ms="$note" 'BEGIN { printf "%.2f", ms / 1000 }')
echo "items: $N, database file: $((bytes / 1000000)) MB"
echo "backup API (sqlite3 .backup): $b s, $(gb "$b")"
echo "VACUUM INTO:                  $v s, $(gb "$v")"
echo "whimbrel run prod snapshot:   $r s, $(gb "$r")"
