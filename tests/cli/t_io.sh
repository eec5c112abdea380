#!/usr/bin/env bash
# t_io.sh - `whimbrel import` and `whimbrel export`: lossless round trip,
# all-or-nothing import with FILE:LINE messages, --continue, --create,
# standard input, large files (written in batches after a full check).
. "$(dirname "$0")/lib.sh"
D=$WB_ROOT/tests/data
W() { "$WHIMBREL" --db sqlite:t.db "$@"; }
# JSON lines, attribute order and set member order normalised.
norm() {
	python3 -c '
import json, sys
def canon(v):
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [canon(x) for x in v]
    return v
def sets(v):
    if isinstance(v, dict):
        return {k: (sorted(x) if k in ("SS", "NS", "BS") and isinstance(x, list) else sets(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [sets(x) for x in v]
    return v
lines = [json.dumps(sets(json.loads(l)), sort_keys=True) for l in sys.stdin if l.strip()]
print("\n".join(sorted(lines)))'
}
count() { W table describe "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["item_count"])'; }
W table create cars --pk make --sk model >/dev/null 2>&1

# DynamoDB JSON round trip is lossless
run W import cars "$D/cars.ddb.jsonl"
is "import ddb: exit 0" "$rc" 0
is "import ddb: summary" "$out" "imported 5 items into cars"
run W export cars
is "export: exit 0" "$rc" 0
is "export: one line per item" "$(printf '%s\n' "$out" | wc -l)" 5
is "export after import equals the input" "$(printf '%s\n' "$out" | norm)" "$(norm <"$D/cars.ddb.jsonl")"
printf '%s\n' "$out" >export1.jsonl
W table create cars2 --pk make --sk model >/dev/null 2>&1
W import cars2 export1.jsonl >/dev/null
is "import of an export gives the same items" "$(W export cars2 | norm)" "$(norm <export1.jsonl)"

# plain JSON, blank lines skipped, standard input
W table create plain --pk make --sk model >/dev/null 2>&1
run W import plain - <"$D/cars.plain.jsonl"
is "import plain from stdin: exit 0" "$rc" 0
is "import plain: blank line skipped" "$out" "imported 3 items into plain"
run W export plain --format plain
has "export --format plain" "$out" '"year":1974'
has "export --format plain: nested" "$out" '"specs":{'
run W export plain
has "plain import typed: number" "$out" '"year":{"N":"1974"}'
has "plain import typed: list" "$out" '"owners":{"L":[{"S":"Ann"},{"S":"Bo"}]}'
has "plain import typed: null" "$out" '"sold":{"NULL":true}'

# lines of AWS's DynamoDB export to S3 ({"Item":{...}}) are unwrapped
W table create aws --pk make --sk model >/dev/null 2>&1
run W import aws "$D/aws-export.json"
is "AWS export lines: exit 0" "$out" "imported 2 items into aws"
run W item get aws '{"make":"Volvo","model":"240"}'
is "AWS export lines: unwrapped, number text kept" "$(printf '%s\n' "$out" | norm)" \
	"$(echo '{"make":{"S":"Volvo"},"model":{"S":"240"},"price":{"N":"1.50"},"tags":{"SS":["a","b"]}}' | norm)"

# a bad line: FILE:LINE, nothing imported
W table create tt1 --pk make --sk model >/dev/null 2>&1
run W import tt1 "$D/bad_json_line3.jsonl"
is "bad JSON at line 3: exit 1" "$rc" 1
has "bad JSON at line 3: FILE:3:" "$err" "bad_json_line3.jsonl:3:"
has "bad JSON: nothing imported" "$err" "nothing imported"
is "bad JSON: table still empty" "$(count tt1)" 0
run W import tt1 - <"$D/bad_json_line3.jsonl"
has "bad line from stdin: stdin:3:" "$err" "stdin:3:"
is "bad line from stdin: nothing imported" "$(count tt1)" 0
run W import tt1 "$D/bad_json_line3.jsonl" --continue
is "--continue: exit 0" "$rc" 0
is "--continue: counts" "$out" "imported 3 items into tt1, skipped 1 bad line"
has "--continue: reports the line" "$err" "bad_json_line3.jsonl:3:"
is "--continue: good lines written" "$(count tt1)" 3

# each kind of invalid item, at its line, nothing imported
W table create vv1 --pk make --sk model >/dev/null 2>&1
badline() {  # what, the bad line, expected message part
	{ echo '{"make":"ok1","model":"m"}'; echo '{"make":"ok2","model":"m"}'; echo "$2"; echo '{"make":"ok4","model":"m"}'; } >bad.jsonl
	run W import vv1 bad.jsonl
	is "$1: exit 1" "$rc" 1
	has "$1: bad.jsonl:3:" "$err" "bad.jsonl:3: "
	has "$1: message" "$err" "$3"
	is "$1: nothing imported" "$(count vv1)" 0
}
badline "missing sort key" '{"make":"x"}' "model"
badline "missing partition key" '{"model":"x"}' "make"
badline "wrong key type" '{"make":{"N":"1"},"model":"x"}' "make"
badline "39-digit number" '{"make":{"S":"x"},"model":{"S":"y"},"n":{"N":"123456789012345678901234567890123456789"}}' "n"
badline "empty set" '{"make":{"S":"x"},"model":{"S":"y"},"s":{"SS":[]}}' "s"
badline "not an object" '[1,2,3]' ""
badline "oversize item" "$(python3 -c 'import json; print(json.dumps({"make":"x","model":"y","b":"z"*(401*1024)}))')" "400"
{ echo '{"make":"a","model":"m"}'; echo 'nope'; echo '{"make":"b"}'; echo '{"make":"c","model":"m"}'; } >two.jsonl
run W import vv1 two.jsonl
has "two bad lines: first" "$err" "two.jsonl:2:"
has "two bad lines: second" "$err" "two.jsonl:3:"
has "two bad lines: counted" "$err" "2 bad lines"
run W import vv1 two.jsonl --continue
is "two bad lines --continue" "$out" "imported 2 items into vv1, skipped 2 bad lines"

# missing table; --create
run W import nosuch "$D/cars.plain.jsonl"
is "import into a missing table: exit 1" "$rc" 1
has "missing table: message says how" "$err" "--create --pk"
run W table list
ok "missing table: not created" '! printf "%s" "$out" | grep -qx nosuch'
run W import made "$D/bad_json_line3.jsonl" --create --pk make --sk model
is "--create with a bad file: exit 1" "$rc" 1
run W table list
ok "--create with a bad file: table not created" '! printf "%s" "$out" | grep -qx made'
run W import made "$D/cars.plain.jsonl" --create --pk make --sk model
is "--create: exit 0" "$rc" 0
is "--create: items" "$(count made)" 3
run W import made "$D/cars.plain.jsonl" --create --pk make --sk model
is "--create on an existing table with the same key: exit 0" "$rc" 0
run W import made "$D/cars.plain.jsonl" --create --pk make:N --sk model
is "--create on an existing table with another key: exit 1" "$rc" 1
has "--create, another key: message" "$err" "exists with another key"
run W import xxx "$D/cars.plain.jsonl" --create
is "--create without --pk: exit 2" "$rc" 2
run W import xxx "$D/cars.plain.jsonl" --pk make
is "--pk without --create: exit 2" "$rc" 2

# a file larger than what is kept in memory: checked fully, then written in batches
W table create big --pk id:N >/dev/null 2>&1
python3 - >big.jsonl <<'PY'
import json
pad = "p" * 30000
for i in range(320):               # about 9.6 MB
    print(json.dumps({"id": i, "pad": pad}))
PY
cp big.jsonl bigbad.jsonl
echo '{"id":"not a number"}' >>bigbad.jsonl
run W import big bigbad.jsonl
is "large file, bad last line: exit 1" "$rc" 1
has "large file, bad last line: FILE:321:" "$err" "bigbad.jsonl:321:"
is "large file, bad last line: nothing imported" "$(count big)" 0
run W import big - <bigbad.jsonl
is "large stdin, bad last line: nothing imported" "$(count big)" 0
run W import big - <big.jsonl
is "large stdin: exit 0" "$rc" 0
is "large stdin: every item" "$(count big)" 320
W table drop big --yes >/dev/null 2>&1
W table create big --pk id:N >/dev/null 2>&1
run W import big big.jsonl
is "large file: every item" "$(count big)" 320
is "large file: export" "$(W export big | wc -l)" 320

# the store fails while writing (locked by another process): exit 3, nothing imported
W table create locked --pk make --sk model >/dev/null 2>&1
run python3 -c '
import os, sqlite3, subprocess, sys
c = sqlite3.connect("t.db", isolation_level=None)
c.execute("BEGIN IMMEDIATE")
r = subprocess.run([os.environ["WHIMBREL"], "--db", "sqlite:t.db", "import", "locked", sys.argv[1]],
                   env=dict(os.environ, WB_SQLITE_BUSY_MS="100"), capture_output=True, text=True)
c.execute("ROLLBACK")
sys.stderr.write(r.stderr)
sys.exit(r.returncode)' "$D/cars.plain.jsonl"
is "locked while writing: exit 3" "$rc" 3
has "locked while writing: message" "$err" "import into locked failed, nothing imported"
is "locked while writing: nothing imported" "$(count locked)" 0

# progress: on a terminal only, not with -q
ontty() {  # run a command with a terminal as stdin, stdout and stderr
	python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.WEXITSTATUS(status))' "$@"
}
W table create prog --pk id:N >/dev/null 2>&1
run ontty "$WHIMBREL" --db sqlite:t.db import prog big.jsonl
is "terminal: exit 0" "$rc" 0
has "terminal: progress line" "$out" "importing: "
has "terminal: progress has a rate" "$out" "items/s"
run ontty "$WHIMBREL" --db sqlite:t.db -q import prog big.jsonl
ok "terminal, -q: no progress" '! printf "%s" "$out" | grep -q "importing: "'
run W import prog big.jsonl
ok "not a terminal: no progress" '! printf "%s" "$err" | grep -q "importing"'
is "not a terminal: stderr empty" "$err" ""

# usage errors and help
run W import cars
is "import without FILE: exit 2" "$rc" 2
run W import cars nosuchfile.jsonl
is "import of a missing file: exit 1" "$rc" 1
has "import of a missing file: message" "$err" "nosuchfile.jsonl: cannot open"
run W export cars --format csv
is "export --format csv: exit 2" "$rc" 2
run W export nosuch
is "export missing table: exit 1" "$rc" 1
run W export
is "export without TABLE: exit 2" "$rc" 2
run W import 'a b' x.jsonl
is "import bad table name: exit 1" "$rc" 1
for c in "import --help" "export --help" "import cars -h"; do
	run "$WHIMBREL" $c
	is "$c: exit 0" "$rc" 0
	has "$c: usage on stdout" "$out" "usage: whimbrel"
done
# input echoed in messages is escaped
run W import cars $'no\x1bsuch.jsonl'
is "ESC in a missing file name: exit 1" "$rc" 1
clean1 "ESC in a missing file name: one clean line" "$err"
printf '{"make":"a","model":"1"}\n{"make":"b\n' > $'bad\x1bname.jsonl'
run W import cars $'bad\x1bname.jsonl'
is "bad line in an oddly named file: exit 1" "$rc" 1
cleanlines "bad line in an oddly named file: clean lines" "$err"
has "bad line: file name escaped" "$err" 'bad\x1bname.jsonl:2:'
run W import cars x.jsonl --create --pk a --pk b
is "import --pk twice: exit 2" "$rc" 2

# Ctrl-C (SIGINT) part-way through an import: exit 130 and one line saying
# how many items were written, which is what the table then holds.
W table create intr --pk id >/dev/null 2>&1
mkfifo intr.fifo
"$WHIMBREL" --db sqlite:t.db import intr intr.fifo --continue >/dev/null 2>intr.err &
pid=$!
exec 3>intr.fifo
for i in $(seq 1 2500); do echo "{\"id\":\"k$i\"}"; done >&3
sleep 0.3   # not a timing assertion: the outcome is checked whatever was read
kill -INT $pid
sleep 0.3
exec 3>&-
wait $pid; rc=$?
err=$(cat intr.err)
is "SIGINT during import: exit 130" "$rc" 130
clean1 "SIGINT during import: one line" "$err"
has "SIGINT during import: says so" "$err" "whimbrel: interrupted"
count=$(W scan intr | wc -l)
if [ "$count" -eq 0 ]; then has "SIGINT: nothing written, says so" "$err" "nothing imported"
else has "SIGINT: says how many were written" "$err" " $count item"; fi
echo "1..$n"
