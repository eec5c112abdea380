#!/usr/bin/env bash
# t_table.sh - `whimbrel table create|list|describe|drop`: happy paths,
# every validation error with its message and exit code, and --help.
. "$(dirname "$0")/lib.sh"
W() { "$WHIMBREL" --db sqlite:t.db "$@"; }

# create, list, describe
run W table create cars --pk make --sk model
is "create: exit 0" "$rc" 0
has "create: says so on stderr" "$err" "created table cars"
run W table create counters --pk id:N
is "create N key: exit 0" "$rc" 0
run W table create blobs --pk b:B --sk n:N
is "create B/N keys: exit 0" "$rc" 0
run W table list
is "list: sorted names" "$out" "$(printf 'blobs\ncars\ncounters')"
run W table describe cars
is "describe: exit 0" "$rc" 0
has "describe: partition key" "$out" "partition key  make (S)"
has "describe: sort key" "$out" "sort key       model (S)"
has "describe: item count" "$out" "items          0"
run W table describe counters
has "describe: no sort key" "$out" "sort key       (none)"
has "describe: N key" "$out" "id (N)"
run W table describe blobs --json
is "describe --json" "$out" '{"name":"blobs","partition_key":{"name":"b","type":"B"},"sort_key":{"name":"n","type":"N"},"item_count":0,"indexes":[]}'
W item put cars '{"make":"Volvo","model":"240"}' >/dev/null 2>&1
W item put cars '{"make":"Saab","model":"900"}' >/dev/null 2>&1
run W table describe cars
has "describe counts items" "$out" "items          2"

# errors: exit 1 for failures, 2 for usage
run W table create cars --pk make
is "create existing: exit 1" "$rc" 1
has "create existing: message" "$err" "whimbrel: "
has "create existing: names the table" "$err" "cars"
run W table create "x'; DROP TABLE cars; --" --pk id
is "SQL metacharacters in name: exit 1" "$rc" 1
has "SQL metacharacters: message" "$err" "invalid table name"
run W table list
is "SQL metacharacters: table list unchanged" "$out" "$(printf 'blobs\ncars\ncounters')"
run W table describe cars
has "SQL metacharacters: items untouched" "$out" "items          2"
run W table create 'a"b' --pk id
is "quote in name: exit 1" "$rc" 1
run W table create ab --pk id
is "name too short: exit 1" "$rc" 1
has "name too short: message" "$err" "3 to 255"
run W table create whimbrel_mine --pk id
is "reserved name: exit 1" "$rc" 1
has "reserved name: message" "$err" "reserved"
run W table create t1 --pk id:X
is "bad key type: exit 2" "$rc" 2
has "bad key type: message" "$err" "key type must be S, N or B"
run W table create t1
is "missing --pk: exit 2" "$rc" 2
has "missing --pk: message" "$err" "missing --pk"
run W table create --pk id
is "missing name: exit 2" "$rc" 2
run W table create t1 --pk id --sk id
is "pk = sk: exit 1" "$rc" 1
run W table create t1 --pk id --bogus
is "unknown option: exit 2" "$rc" 2
has "unknown option: message" "$err" "unknown option '--bogus'"
has "usage error points to help" "$err" "see whimbrel table create --help"
ok "usage error is one line" '[ "$(printf "%s\n" "$err" | wc -l)" -eq 1 ]'
run W table create t1 --pk
is "option without value: exit 2" "$rc" 2
run W table frobnicate
is "unknown table command: exit 2" "$rc" 2
run W table
is "table alone: exit 2" "$rc" 2
run W table list extra
is "list with an argument: exit 2" "$rc" 2
run W table describe nosuch
is "describe missing table: exit 1" "$rc" 1
has "describe missing table: message" "$err" "table 'nosuch' does not exist"
run "$WHIMBREL" table list --db sqlite:t.db
is "global option after the command: exit 2" "$rc" 2
has "global option after the command: hint" "$err" "global option"

# drop
run W table drop counters </dev/null
is "drop without --yes, stdin not a terminal: exit 1" "$rc" 1
has "drop without --yes: message" "$err" "pass --yes"
run W table list
has "drop refused: table still there" "$out" "counters"
run W table drop counters --yes
is "drop --yes: exit 0" "$rc" 0
run W table list
is "drop --yes: gone" "$out" "$(printf 'blobs\ncars')"
run W table drop counters -y
is "drop missing table: exit 1" "$rc" 1
has "drop missing table: message" "$err" "does not exist"
if command -v python3 >/dev/null; then
	# On a terminal, drop asks; "n" keeps the table, "y" drops it.
	asktty() {
		python3 - "$@" <<'PY'
import os, pty, sys
answer = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
sent = False
while True:
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"[y/N]" in out:
        os.write(fd, answer + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.WEXITSTATUS(status))
PY
	}
	run asktty n "$WHIMBREL" --db sqlite:t.db table drop blobs
	is "drop on a terminal, answer n: exit 1" "$rc" 1
	has "drop on a terminal: asks" "$out" "Drop table blobs and its 0 items"
	run W table list
	has "answer n: table kept" "$out" "blobs"
	run asktty y "$WHIMBREL" --db sqlite:t.db table drop blobs
	is "drop on a terminal, answer y: exit 0" "$rc" 0
	run W table list
	is "answer y: table dropped" "$out" "cars"
fi

# reserved tables are hidden unless --all
run W table list --all
is "list --all without reserved tables" "$out" "cars"
f=$("$WHIMBREL" new "nothing at all")
"$WHIMBREL" --db sqlite:t.db run dev "$f" >/dev/null 2>&1
run W table list
is "list hides whimbrel's own tables" "$out" "cars"
run W table list --all
has "list --all shows them" "$out" "whimbrel_runs"
has "list --all shows the others too" "$out" "cars"

# --help everywhere: exit 0, usage on stdout
for c in "table --help" "table -h" "table create --help" "table list --help" \
	 "table describe --help" "table drop --help" "table drop x -h"; do
	run "$WHIMBREL" $c
	is "$c: exit 0" "$rc" 0
	has "$c: usage on stdout" "$out" "usage: whimbrel"
	is "$c: nothing on stderr" "$err" ""
done
# input echoed in messages is escaped; repeated options are refused
run W table create $'ab\ncd' --pk a
is "newline in table name: exit 1" "$rc" 1
clean1 "newline in table name: one clean line" "$err"
has "newline in table name: escaped" "$err" "'ab\ncd'"
run W table describe $'no\x1bpe'
clean1 "ESC in table name: one clean line" "$err"
has "ESC in table name: escaped" "$err" "'no\x1bpe'"
run W table create twice --pk a --pk b
is "--pk twice: exit 2" "$rc" 2
has "--pk twice: says so" "$err" "option '--pk' given twice"
run W table list
ok "--pk twice: nothing created" "! printf '%s' \"\$out\" | grep -q twice"

# key attribute names with control characters: escaped in the text form
W table create ctlkeys --pk $'a\nb\x1b[31m' --sk $'c\td' >/dev/null 2>&1
run W table describe ctlkeys
is "control chars in key names: four lines" "$(printf '%s\n' "$out" | wc -l)" 4
has "control chars in key names: pk escaped" "$out" 'partition key  a\nb\x1b[31m (S)'
has "control chars in key names: sk escaped" "$out" 'sort key       c\td (S)'
run W table describe ctlkeys --json
has "control chars in key names: --json exact" "$out" '"name":"a\nb\u001B[31m"'
echo "1..$n"
