#!/usr/bin/env bash
# runner_each.sh - the "add an attribute" migration end to end through the
# runner (`whimbrel run dev`: compile cached, child process, ledger, lease,
# wb_each with threads, conditional batched writes, checkpoints), against
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

cpu() { /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1; }
report() { # label "wall user sys"
	echo "$1 $2" | awk '{l = $0; sub(/ [0-9.]+ [0-9.]+ [0-9.]+$/, "", l);
		printf "%-48s %8.2f s wall %8.2f s CPU\n", l, $(NF-2), $(NF-1) + $NF}'
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
for threads in 1 2; do
	cp loaded.db .whimbrel/dev.db
	rm -f .whimbrel/dev.db-wal .whimbrel/dev.db-shm
	report "(w) whimbrel run dev, --threads $threads" \
		"$(cpu "$W" -q run dev migrations/0001_add_price_to_cars.c --threads $threads)"
done
