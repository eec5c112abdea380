#!/usr/bin/env bash
# t_read.sh - `whimbrel scan` and `whimbrel query`: key conditions, order,
# limits, segments, prefixes, key values converted to the key type, errors.
. "$(dirname "$0")/lib.sh"
W() { "$WHIMBREL" --db sqlite:t.db "$@"; }
W table create orders --pk pk --sk n:N >/dev/null 2>&1
python3 - >orders.jsonl <<'PY'
import json
for c in range(1, 251):            # 250 customers x 10 orders = 2500 items
    for n in range(1, 11):
        print(json.dumps({"pk": "C#%d" % c, "n": n, "v": "x" * 20}))
for n in range(1, 4):
    print(json.dumps({"pk": "X#1", "n": n}))
PY
W import orders orders.jsonl >/dev/null
nums() { python3 -c 'import json,sys; print(" ".join(json.loads(l)["n"]["N"] for l in sys.stdin))'; }

# scan: everything, across pages
run W scan orders
is "scan: exit 0" "$rc" 0
is "scan: every item, one a line" "$(printf '%s\n' "$out" | wc -l)" 2503
is "scan: no duplicates" "$(printf '%s\n' "$out" | sort -u | wc -l)" 2503
run W scan orders --limit 7
is "scan --limit 7" "$(printf '%s\n' "$out" | wc -l)" 7
run W scan orders --prefix 'X#'
is "scan --prefix" "$(printf '%s\n' "$out" | nums | tr ' ' '\n' | sort | tr '\n' ' ')" "1 2 3 "
run W scan orders --prefix 'C#25' --format plain
# C#25 and C#250: 20 items
is "scan --prefix C#25" "$(printf '%s\n' "$out" | wc -l)" 20
has "scan --format plain" "$out" '"n":'
ok "scan --format plain: no type objects" '! printf "%s" "$out" | grep -q "\"N\":"'
W scan orders | sort >all.txt
for total in 1 2 7; do
	: >segs.txt
	for ((i = 0; i < total; i++)); do W scan orders --segment "$i/$total" >>segs.txt; done
	is "segments of $total: disjoint, union is the table" "$(sort segs.txt | sha1sum)" "$(sha1sum <all.txt)"
done

# query: conditions and order
q() { W query orders --pk 'C#7' "$@" | nums; }
is "query: whole partition in order" "$(q)" "1 2 3 4 5 6 7 8 9 10"
is "query --desc" "$(q --desc)" "10 9 8 7 6 5 4 3 2 1"
is "query --sk-op =" "$(q --sk-op = 4)" "4"
is "query --sk-op <" "$(q --sk-op '<' 3)" "1 2"
is "query --sk-op <=" "$(q --sk-op '<=' 3)" "1 2 3"
is "query --sk-op >" "$(q --sk-op '>' 8)" "9 10"
is "query --sk-op >=" "$(q --sk-op ge 8)" "8 9 10"
is "query --sk-between" "$(q --sk-between 3 5)" "3 4 5"
is "query --sk-between --desc" "$(q --sk-between 3 5 --desc)" "5 4 3"
is "query --limit" "$(q --desc --limit 2)" "10 9"
is "query number forms: 4.0 = 4" "$(q --sk-op = 4.0)" "4"
run W query orders --pk 'C#999'
is "query empty partition: exit 0" "$rc" 0
is "query empty partition: no output" "$out" ""

# string sort keys: begins_with
W table create events --pk pk --sk sk >/dev/null 2>&1
for s in 2026-01-05 2026-02-01 2026-02-17 2027-01-01; do W item put events "{\"pk\":\"E\",\"sk\":\"$s\"}"; done
run W query events --pk E --sk-prefix 2026-02
is "query --sk-prefix" "$(printf '%s\n' "$out" | wc -l)" 2
run W query events --pk E --sk-op begins_with 2026
is "query --sk-op begins_with" "$(printf '%s\n' "$out" | wc -l)" 3

# binary keys are typed as base64
W table create blobs --pk b:B >/dev/null 2>&1
W item put blobs '{"b":{"B":"AAEC/w=="},"v":{"S":"found"}}'
run W query blobs --pk 'AAEC/w=='
has "query B key from base64" "$out" '"found"'
run W query blobs --pk 'not base64!'
is "bad base64 key: exit 1" "$rc" 1
has "bad base64 key: message" "$err" "not valid base64"

# errors
run W query orders --pk 'C#7' --sk-op = abc
is "non-number for N sort key: exit 1" "$rc" 1
has "non-number for N sort key: message" "$err" "'abc' is not a valid number"
run W query orders --pk 'C#7' --sk-op = 123456789012345678901234567890123456789
is "39-digit key value: exit 1" "$rc" 1
run W query orders --pk 'C#7' --sk-prefix 1
is "begins_with on N sort key: exit 1" "$rc" 1
has "begins_with on N sort key: message" "$err" "begins_with needs a string or binary sort key"
run W query blobs --pk AAEC --sk-op = 1
is "sort key condition without sort key: exit 1" "$rc" 1
has "no sort key: message" "$err" "has no sort key"
run W query orders --pk ''
is "empty key: exit 1" "$rc" 1
run W query orders
is "query without --pk: exit 2" "$rc" 2
run W query orders --pk x --sk-prefix a --sk-op = 1
is "two sort key conditions: exit 2" "$rc" 2
run W query orders --pk x --sk-op '~' 1
is "unknown --sk-op: exit 2" "$rc" 2
run W query orders --pk 'C#7' --sk-between 5 3
is "--sk-between A > B: exit 2" "$rc" 2
has "--sk-between A > B: message" "$err" "needs A <= B"
is "query --sk-between 9 10 (numeric order)" "$(q --sk-between 9 10)" "9 10"
run W query orders --pk x --sk-between 1
is "--sk-between with one value: exit 2" "$rc" 2
run W scan orders --segment 3/3
is "--segment I >= N: exit 2" "$rc" 2
run W scan orders --segment x
is "--segment not I/N: exit 2" "$rc" 2
run W scan orders --limit 0
is "--limit 0: exit 2" "$rc" 2
run W scan orders --limit -3
is "--limit negative: exit 2" "$rc" 2
run W scan blobs --prefix A
is "--prefix on a B partition key: exit 1" "$rc" 1
run W scan nosuch
is "scan missing table: exit 1" "$rc" 1
has "scan missing table: message" "$err" "does not exist"
run W query nosuch --pk x
is "query missing table: exit 1" "$rc" 1
run W scan 'x;y'
is "scan bad table name: exit 1" "$rc" 1
run W scan orders --frob
is "unknown option: exit 2" "$rc" 2
run W scan
is "scan without TABLE: exit 2" "$rc" 2

for c in "scan --help" "query --help" "query orders -h"; do
	run "$WHIMBREL" $c
	is "$c: exit 0" "$rc" 0
	has "$c: usage on stdout" "$out" "usage: whimbrel"
done
# input echoed in messages is escaped; repeated options are refused
run W scan orders --segment $'1\x1b/2'
is "ESC in --segment: exit 2" "$rc" 2
clean1 "ESC in --segment: one clean line" "$err"
run W scan orders $'--\x1bx'
clean1 "ESC in an unknown option: one clean line" "$err"
run W query orders --pk $'a\nb' --sk-op '>' $'1\x1b'
clean1 "ESC in a key value: one clean line" "$err"
run W query orders --pk a --pk b
is "--pk twice: exit 2" "$rc" 2
has "--pk twice: says so" "$err" "option '--pk' given twice"
run W scan orders --segment 0/2 --segment 1/2
is "--segment twice: exit 2" "$rc" 2
run W scan orders --limit 1 --limit=2
is "--limit twice: exit 2" "$rc" 2

echo "1..$n"
