#!/usr/bin/env bash
# scale.sh - the embedded target at scale: for each size N, ~150-byte cars
# (the items of runner_each.sh) as plain JSON lines through
#   import   `whimbrel import cars cars.jsonl --create --pk id:S`
#   run      `whimbrel run dev` of the add-price migration (compiled first)
#   export   `whimbrel export cars` to a file
# against, side by side in the same run,
#   (e) Python `executemany` of the same lines into a plain
#       `(id PRIMARY KEY, item)` table (the import budget: at most 2x)
#   (p) a Python sqlite3 + json loop doing the add-price change on that
#       table (the run budget: at least 5x faster, CPU and wall)
# Each step: wall, CPU (user + sys, children included), peak RSS (largest
# process, /usr/bin/time), items/s; the database's size against the JSON's.
# A summary line per size gives the ratios; items/s across sizes show
# whether the cost stays linear (budget: within 20% from 100k to 10M).
#
# Usage: bench/scale.sh SIZES [SCRATCH_DIR]      (SIZES: N or N,N,...)
#        scripts/bench.sh scale                  (WB_BENCH_ITEMS=N)
#        bench/scale.sh 100000,1000000,10000000 bench/data
# Needs /usr/bin/time (package `time`, installed by scripts/deps.sh) and
# about 1 KB of disk per item; everything is removed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$ROOT/${BUILD:-build}/bin/whimbrel
SIZES=${1:-100000,1000000}
SCRATCH=${2:-${TMPDIR:-/tmp}}
mkdir -p "$SCRATCH"
D=$(mktemp -d "$SCRATCH/wb-scale-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
[ -x /usr/bin/time ] || { echo "scale.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
[ -x "$W" ] || { echo "scale.sh: build first ($W is missing)" >&2; exit 2; }
cd "$D"

# measure LABEL N CMD...: run it, print one line, keep "wall cpu rss_mb" in $last
measure() {
	local label=$1 n=$2 out
	shift 2
	out=$(/usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1)
	last=$(echo "$out" | awk '{printf "%.2f %.2f %.1f", $1, $2 + $3, $4 / 1024}')
	echo "$n $last" | awk -v l="$label" '{printf "  %-32s %8.2f s wall %7.2f s CPU %6.1f MB peak RSS %9.0f items/s\n",
		l, $2, $3, $4, ($2 > 0 ? $1 / $2 : 0)}'
}
field() { echo "$1" | awk -v i="$2" '{print $i}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

mkdir -p migrations
cp "$ROOT/examples/migrations/0001_add_price_to_cars.c" migrations/

for N in ${SIZES//,/ }; do
	rm -rf .whimbrel plain.db* out.jsonl
	# ~150-byte items, as plain JSON lines (not timed)
	python3 - "$N" >cars.jsonl <<'PY'
import json, sys
n = int(sys.argv[1])
w = sys.stdout.write
for i in range(n):
    w(json.dumps({"id": "car-%08d" % i, "brand": "Volvo", "model": "V70", "color": "red",
                  "year": 1990 + i % 30,
                  "description": "a reliable family estate car, one owner, full service history"},
                 separators=(",", ":")) + "\n")
PY
	json_mb=$(du -m --apparent-size cars.jsonl | cut -f1)
	echo "== $N items ($json_mb MB of JSON lines), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1 /proc/loadavg)"

	# compile the migration once (cached), on a one-item table
	head -1 cars.jsonl >one.jsonl
	"$W" -q import cars one.jsonl --create --pk id:S
	"$W" plan dev migrations/0001_add_price_to_cars.c --diffs 0 >/dev/null 2>&1
	rm -rf .whimbrel/dev.db*
	sync

	measure "(e) python executemany" "$N" python3 -c '
import sqlite3
c = sqlite3.connect("plain.db")
c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=normal")
c.execute("create table t(id text primary key, item text)")
with open("cars.jsonl") as f:
    c.executemany("insert into t values(?, ?)", ((line[7:19], line.rstrip("\n")) for line in f))
c.commit()'
	e=$last
	sync
	measure "import" "$N" "$W" -q import cars cars.jsonl --create --pk id:S
	imp=$last
	db_mb=$(du -cm --apparent-size .whimbrel/dev.db* | tail -1 | cut -f1)
	sync
	measure "(p) python sqlite3 + json loop" "$N" python3 -c '
import sqlite3, json
c = sqlite3.connect("plain.db"); c.execute("pragma synchronous=normal")
rows = c.execute("select id, item from t").fetchall()
for k, v in rows:
    it = json.loads(v); it["price"] = 0
    c.execute("update t set item = ? where id = ?", (json.dumps(it), k))
c.commit()'
	p=$last
	sync
	measure "run dev (add price)" "$N" "$W" -q run dev migrations/0001_add_price_to_cars.c
	run=$last
	sync
	measure "export" "$N" sh -c "\"$W\" export cars >out.jsonl"
	exp=$last
	lines=$(wc -l <out.jsonl)
	[ "$lines" -eq "$N" ] || echo "  export wrote $lines lines, not $N" >&2
	echo "  database $db_mb MB for $json_mb MB of JSON ($(ratio "$db_mb" "$json_mb")x)"
	echo "  import / executemany: $(ratio "$(field "$imp" 1)" "$(field "$e" 1)") wall, $(ratio "$(field "$imp" 2)" "$(field "$e" 2)") CPU (budget <= 2)"
	echo "  python loop / run:    $(ratio "$(field "$p" 1)" "$(field "$run" 1)") wall, $(ratio "$(field "$p" 2)" "$(field "$run" 2)") CPU (budget >= 5)"
	echo "  peak RSS: import $(field "$imp" 3) MB, run $(field "$run" 3) MB, export $(field "$exp" 3) MB (budget < 64)"
	echo "SUMMARY $N import $imp run $run export $exp e $e p $p db_mb $db_mb json_mb $json_mb"
done
