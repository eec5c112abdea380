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
# Each step runs REPEAT times (default 1; the machine is shared: 3 and
# the median) on the same starting state (a fresh database for the
# imports, a copy of the imported one for each run); (p) and run dev
# alternate, try by try, so that each pair sees the same load; a step's line gives
# the median wall and the median CPU (each its own median), the largest
# peak RSS, and every try's wall/CPU.  PY_MAX=N leaves the Python steps out
# above N items (the Python loop holds every row: 3.3 GB at 10M).  The load
# average (uptime) is printed before every step.
#
# Usage: bench/scale.sh SIZES [SCRATCH_DIR]      (SIZES: N or N,N,...)
#        scripts/bench.sh scale                  (WB_BENCH_ITEMS=N)
#        REPEAT=3 PY_MAX=1000000 bench/scale.sh 100000,1000000,10000000 bench/data
# Needs /usr/bin/time (package `time`, installed by scripts/deps.sh) and
# about 1 KB of disk per item; everything is removed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$ROOT/${BUILD:-build}/bin/whimbrel
SIZES=${1:-100000,1000000}
SCRATCH=${2:-${TMPDIR:-/tmp}}
REPEAT=${REPEAT:-1}
PY_MAX=${PY_MAX:-0}
mkdir -p "$SCRATCH"
D=$(mktemp -d "$SCRATCH/wb-scale-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
[ -x /usr/bin/time ] || { echo "scale.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
[ -x "$W" ] || { echo "scale.sh: build first ($W is missing)" >&2; exit 2; }
cd "$D"

# try SETUP CMD...: SETUP (untimed, a shell command), then CMD; prints "wall cpu rss_mb"
try() {
	sh -c "$1"
	shift
	sync
	/usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.2f %.2f %.1f\n", $1, $2 + $3, $4 / 1024}'
}

# report LABEL N TRIES: one line (median wall, median CPU, largest RSS, every
# try), and "wall cpu rss_mb" of the medians in $last
report() {
	local label=$1 n=$2 tries=$3
	last=$(printf '%s' "$tries" | awk '{w[NR] = $1; c[NR] = $2; if ($3 > r) r = $3}
		function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
		END {printf "%.2f %.2f %.1f", med(w, NR), med(c, NR), r}')
	echo "$n $last" | awk -v l="$label" -v t="$(printf '%s' "$tries" | awk '{printf "%s%s/%s", (NR > 1 ? " " : ""), $1, $2}')" \
		'{printf "  %-32s %8.2f s wall %7.2f s CPU %6.1f MB peak RSS %9.0f items/s %9.0f items/CPU-s  [%s]\n",
		l, $2, $3, $4, ($2 > 0 ? $1 / $2 : 0), ($3 > 0 ? $1 / $3 : 0), t}'
}

# measure LABEL N SETUP CMD...: REPEAT tries of CMD, each after SETUP
measure() {
	local label=$1 n=$2 setup=$3 tries="" i
	shift 3
	for ((i = 0; i < REPEAT; i++)); do
		tries="$tries$(try "$setup" "$@")
"
	done
	report "$label" "$n" "$tries"
}

load() { echo "  (uptime: $(uptime | sed 's/.*load average/load average/'))"; }
field() { echo "$1" | awk -v i="$2" '{print $i}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

mkdir -p migrations
cp "$ROOT/examples/migrations/0001_add_price_to_cars.c" migrations/
PYLOOP='
import sqlite3, json
c = sqlite3.connect("plain.db"); c.execute("pragma synchronous=normal")
rows = c.execute("select id, item from t").fetchall()
for k, v in rows:
    it = json.loads(v); it["price"] = 0
    c.execute("update t set item = ? where id = ?", (json.dumps(it), k))
c.commit()'

for N in ${SIZES//,/ }; do
	rm -rf .whimbrel plain.db* plain0.db loaded.db out.jsonl
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

	py=1
	[ "$PY_MAX" -gt 0 ] && [ "$N" -gt "$PY_MAX" ] && py=""
	e="0 0 0" p="0 0 0"
	if [ -n "$py" ]; then
		load
		measure "(e) python executemany" "$N" "rm -f plain.db plain.db-wal plain.db-shm" python3 -c '
import sqlite3
c = sqlite3.connect("plain.db")
c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=normal")
c.execute("create table t(id text primary key, item text)")
with open("cars.jsonl") as f:
    c.executemany("insert into t values(?, ?)", ((line[7:19], line.rstrip("\n")) for line in f))
c.commit()'
		e=$last
		cp plain.db plain0.db
	fi
	load
	measure "import" "$N" "rm -f .whimbrel/dev.db .whimbrel/dev.db-wal .whimbrel/dev.db-shm" \
		"$W" -q import cars cars.jsonl --create --pk id:S
	imp=$last
	db_mb=$(du -cm --apparent-size .whimbrel/dev.db* | tail -1 | cut -f1)
	cp .whimbrel/dev.db loaded.db
	# (p) and run dev side by side: try by try, one after the other
	load
	ptries="" rtries=""
	for ((i = 0; i < REPEAT; i++)); do
		[ -n "$py" ] && ptries="$ptries$(try "cp plain0.db plain.db; rm -f plain.db-wal plain.db-shm" python3 -c "$PYLOOP")
"
		rtries="$rtries$(try "cp loaded.db .whimbrel/dev.db; rm -f .whimbrel/dev.db-wal .whimbrel/dev.db-shm" \
			"$W" -q run dev migrations/0001_add_price_to_cars.c)
"
	done
	if [ -n "$py" ]; then
		report "(p) python sqlite3 + json loop" "$N" "$ptries"
		p=$last
		rm -f plain0.db plain.db*
	fi
	report "run dev (add price)" "$N" "$rtries"
	run=$last
	rm -f loaded.db
	load
	measure "export" "$N" ":" sh -c "\"$W\" export cars >out.jsonl"
	exp=$last
	lines=$(wc -l <out.jsonl)
	[ "$lines" -eq "$N" ] || echo "  export wrote $lines lines, not $N" >&2
	echo "  database $db_mb MB for $json_mb MB of JSON ($(ratio "$db_mb" "$json_mb")x)"
	[ -n "$py" ] && echo "  import / executemany: $(ratio "$(field "$imp" 1)" "$(field "$e" 1)") wall, $(ratio "$(field "$imp" 2)" "$(field "$e" 2)") CPU (budget <= 2)"
	[ -n "$py" ] && echo "  python loop / run:    $(ratio "$(field "$p" 1)" "$(field "$run" 1)") wall, $(ratio "$(field "$p" 2)" "$(field "$run" 2)") CPU (budget >= 5)"
	echo "  peak RSS: import $(field "$imp" 3) MB, run $(field "$run" 3) MB, export $(field "$exp" 3) MB (budget < 64)"
	echo "SUMMARY $N import $imp run $run export $exp e $e p $p db_mb $db_mb json_mb $json_mb"
done
