#!/usr/bin/env bash
# runner_each.sh - the "add an attribute" migration end to end through the
# runner (`whimbrel run dev`: compile cached, child process, ledger, lease,
# wb_each on SQLite's fast path: one transaction per page of 2000 items with
# its checkpoint; also with 2 threads and on the generic path), against
# (a) one raw SQL `UPDATE t SET item = json_set(item, '$.price', 0)` on an
# equivalent SQLite table of JSON text and (p) a plain Python script doing it
# with the standard library's sqlite3 and json (DESIGN.md budgets: within
# 1.5x of (a) and at least 5x faster than (p)).
# Usage: bench/runner_each.sh ITEMS SCRATCH_DIR   (scripts/bench.sh runner_each)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$ROOT/${BUILD:-build}/bin/whimbrel
N=${1:-1000000}
D=$(mktemp -d "${2:-/tmp}/wb-runner-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
cd "$D"

# ~200-byte items, as plain JSON lines.
python3 - "$N" >cars.jsonl <<'PY'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({"id": "car-%08d" % i, "brand": "Volvo", "model": "V70", "color": "red",
                      "year": 1990 + i % 30,
                      "description": "a reliable family estate car, one owner, full service history"},
                     separators=(",", ":")))
PY

python3 - "$N" <<'PY'
import sqlite3, sys
c = sqlite3.connect("raw.db")
c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=normal")
c.execute("create table t(id text primary key, item text)")
with open("cars.jsonl") as f:
    c.executemany("insert into t values(?, ?)", ((line[7:21], line.rstrip("\n")) for line in f))
c.commit()
PY
cp raw.db py.db

cpu() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1; }
report() { # label "wall user sys maxrss_kb"
	echo "$1 $2" | awk '{l = $0; sub(/ [0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$/, "", l);
		printf "%-48s %8.2f s wall %8.2f s CPU %6.1f MB peak RSS\n", l, $(NF-3), $(NF-2) + $(NF-1), $NF / 1024}'
}

report "(a) raw UPDATE ... json_set" "$(cpu python3 -c '
import sqlite3
c = sqlite3.connect("raw.db"); c.execute("pragma synchronous=normal")
c.execute("update t set item = json_set(item, \"$.price\", 0)"); c.commit()')"

report "(p) Python sqlite3 + json loop" "$(cpu python3 -c '
import sqlite3, json
c = sqlite3.connect("py.db"); c.execute("pragma synchronous=normal")
rows = c.execute("select id, item from t").fetchall()
for k, v in rows:
    it = json.loads(v); it["price"] = 0
    c.execute("update t set item = ? where id = ?", (json.dumps(it), k))
c.commit()')"

mkdir -p migrations
cp "$ROOT/examples/migrations/0001_add_price_to_cars.c" migrations/
"$W" table create cars --pk id:S >/dev/null 2>&1
"$W" import cars cars.jsonl >/dev/null
cp .whimbrel/dev.db loaded.db
"$W" plan dev migrations/0001_add_price_to_cars.c --diffs 0 >/dev/null 2>&1 # compiles (cached)
# (w) as users run it (default: 1 thread on SQLite, the fast path), then
# with 2 threads, then the generic path (WHIMBREL_EACH_GENERIC=1) for comparison,
# then with the journal (as prod runs: whimbrel_journal gets every before-image;
# DESIGN.md budget: within 2.5x of (a)), on the fast and the generic path.
for how in default "--threads 2" generic journal journal-generic; do
	cp loaded.db .whimbrel/dev.db
	rm -f .whimbrel/dev.db-wal .whimbrel/dev.db-shm
	sync
	case $how in
	default) report "(w) whimbrel run dev" \
		"$(cpu "$W" -q run dev migrations/0001_add_price_to_cars.c)" ;;
	generic) report "(w) whimbrel run dev, generic path" \
		"$(cpu env WHIMBREL_EACH_GENERIC=1 "$W" -q run dev migrations/0001_add_price_to_cars.c)" ;;
	journal) report "(j) whimbrel run dev, journal on" \
		"$(cpu env WHIMBREL_JOURNAL=1 "$W" -q run dev migrations/0001_add_price_to_cars.c)" ;;
	journal-generic) report "(j) journal on, generic path" \
		"$(cpu env WHIMBREL_JOURNAL=1 WHIMBREL_EACH_GENERIC=1 "$W" -q run dev migrations/0001_add_price_to_cars.c)" ;;
	*) report "(w) whimbrel run dev $how" \
		"$(cpu "$W" -q run dev migrations/0001_add_price_to_cars.c $how)" ;;
	esac
done
