#!/usr/bin/env bash
# t_item.sh - `whimbrel item get|put|delete`: both JSON forms, standard
# input, conditions, and every validation error with message and exit code.
. "$(dirname "$0")/lib.sh"
W() { "$WHIMBREL" --db sqlite:t.db "$@"; }
W table create cars --pk make --sk model >/dev/null 2>&1
W table create nums --pk id:N >/dev/null 2>&1

# put plain, get as DynamoDB JSON and plain
run W item put cars '{"make":"Volvo","model":"240","year":1974,"tags":["a","b"],"electric":false,"n":null}'
is "put plain: exit 0" "$rc" 0
is "put: prints nothing" "$out" ""
run W item get cars '{"make":"Volvo","model":"240"}'
is "get: exit 0" "$rc" 0
norm() { python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "$1"; }
is "get: DynamoDB JSON" "$(norm "$out")" "$(norm '{"make":{"S":"Volvo"},"model":{"S":"240"},"year":{"N":"1974"},"tags":{"L":[{"S":"a"},{"S":"b"}]},"electric":{"BOOL":false},"n":{"NULL":true}}')"
ok "get: one line" '[ "$(printf "%s\n" "$out" | wc -l)" -eq 1 ]'
run W item get cars '{"make":"Volvo","model":"240"}' --format plain
is "get --format plain" "$(norm "$out")" "$(norm '{"make":"Volvo","model":"240","year":1974,"tags":["a","b"],"electric":false,"n":null}')"
run W item get cars '{"make":{"S":"Volvo"},"model":{"S":"240"},"year":{"N":"1"}}'
is "get: DynamoDB JSON key, other attributes ignored" "$rc" 0

# put DynamoDB JSON from standard input; 38 digits kept exactly
echo '{"make":{"S":"Saab"},"model":{"S":"900"},"price":{"N":"12345678901234567890123456789012345678"},"ss":{"SS":["x","y"]}}' | W item put cars -
is "put from stdin: exit 0" "$?" 0
run W item get cars '{"make":"Saab","model":"900"}'
has "38-digit number kept" "$out" '"N":"12345678901234567890123456789012345678"'
echo '{"make":"Saab","model":"900"}' >key.json
run W item get cars - <key.json
is "get key from stdin: exit 0" "$rc" 0
has "get key from stdin: the item" "$out" '"SS"'

# number keys
run W item put nums '{"id":42,"v":"x"}'
is "put N key: exit 0" "$rc" 0
run W item get nums '{"id":{"N":"42"}}'
has "get N key" "$out" '"v":{"S":"x"}'

# conditions
run W item put cars '{"make":"Saab","model":"900"}' --if-not-exists
is "--if-not-exists on existing: exit 1" "$rc" 1
has "--if-not-exists: message" "$err" "already an item"
run W item get cars '{"make":"Saab","model":"900"}'
has "--if-not-exists: item unchanged" "$out" '"price"'
run W item put cars '{"make":"Fiat","model":"500"}' --if-exists
is "--if-exists on missing: exit 1" "$rc" 1
run W item get cars '{"make":"Fiat","model":"500"}'
is "--if-exists: nothing written" "$rc" 1
run W item put cars '{"make":"Fiat","model":"500"}' --if-not-exists
is "--if-not-exists on missing: exit 0" "$rc" 0
run W item put cars '{"make":"Fiat","model":"500","year":1957}' --if-exists
is "--if-exists on existing: exit 0" "$rc" 0
run W item put cars '{"make":"Fiat","model":"500"}' --if-exists --if-not-exists
is "both conditions: exit 2" "$rc" 2

# delete
run W item delete cars '{"make":"Fiat","model":"500"}'
is "delete: exit 0" "$rc" 0
run W item get cars '{"make":"Fiat","model":"500"}'
is "get after delete: exit 1" "$rc" 1
has "not found: message" "$err" "no item with key"
is "not found: nothing on stdout" "$out" ""
run W item delete cars '{"make":"Fiat","model":"500"}'
is "delete absent item: exit 0" "$rc" 0
run W item delete cars '{"make":"Fiat","model":"500"}' --if-exists
is "delete --if-exists absent: exit 1" "$rc" 1

# validation errors: exit 1, one line, nothing written
count() { "$WHIMBREL" --db sqlite:t.db table describe cars --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["item_count"])'; }
before=$(count)
bad() {  # what, json, expected message part
	run W item put cars "$2"
	is "$1: exit 1" "$rc" 1
	has "$1: message" "$err" "$3"
	ok "$1: one line" '[ "$(printf "%s\n" "$err" | wc -l)" -eq 1 ]'
}
bad "bad JSON" '{"make":"A","model":' "bad item JSON"
bad "not an object" '[1,2]' "bad item JSON"
bad "missing sort key" '{"make":"A"}' "model"
bad "missing partition key" '{"model":"A"}' "make"
bad "wrong key type" '{"make":5,"model":"x"}' "make"
bad "empty key" '{"make":"","model":"x"}' "make"
bad "39-digit number" '{"make":{"S":"A"},"model":{"S":"x"},"n":{"N":"123456789012345678901234567890123456789"}}' "n"
bad "39-digit plain number" '{"make":"A","model":"x","n":123456789012345678901234567890123456789}' "n"
bad "empty set" '{"make":{"S":"A"},"model":{"S":"x"},"s":{"SS":[]}}' "s"
bad "duplicate set member" '{"make":{"S":"A"},"model":{"S":"x"},"s":{"NS":["1","1.0"]}}' "s"
python3 -c 'import json; print(json.dumps({"make":"A","model":"x","blob":"y"*(400*1024)}))' >big.json
run W item put cars - <big.json
is "oversize item: exit 1" "$rc" 1
has "oversize item: message" "$err" "400"
is "nothing written by bad puts" "$(count)" "$before"
run W item put nosuch '{"id":"x"}'
is "missing table: exit 1" "$rc" 1
has "missing table: message" "$err" "table 'nosuch' does not exist"
run W item put 'bad;name' '{"id":"x"}'
is "bad table name: exit 1" "$rc" 1
has "bad table name: message" "$err" "invalid table name"
run W item get cars '{"make":"Saab","model":"900"}' --format xml
is "bad format: exit 2" "$rc" 2
run W item get cars
is "missing JSON: exit 2" "$rc" 2
run W item put cars '{}' --format plain
is "--format on put: exit 2" "$rc" 2
run W item get cars '{}' extra
is "extra argument: exit 2" "$rc" 2
run W item fetch cars '{}'
is "unknown item command: exit 2" "$rc" 2

for c in "item --help" "item get --help" "item put --help" "item delete -h"; do
	run "$WHIMBREL" $c
	is "$c: exit 0" "$rc" 0
	has "$c: usage on stdout" "$out" "usage: whimbrel"
done
# input echoed in messages is escaped
run W item put cars '{"make":{"S":"a"},"model":{"S":"x"},"a\u001bb\nc":{"SS":[]}}'
is "control chars in attribute name: exit 1" "$rc" 1
clean1 "control chars in attribute name: one clean line" "$err"
has "control chars in attribute name: escaped" "$err" "'a\x1bb\nc'"
run W item put cars '{"make":{"S":"a"},"model":{"S":"x"},"n":{"N":"1\u001b2"}}'
clean1 "control char in a number: one clean line" "$err"
run W item get $'ca\x1brs' '{"make":"a","model":"x"}'
clean1 "ESC in table name: one clean line" "$err"
run W item put cars '{"make":"a","model":"x"}' --format plain --format ddb
is "unknown option for put: exit 2" "$rc" 2
run W item get cars '{"make":"a","model":"x"}' --format plain --format ddb
is "--format twice: exit 2" "$rc" 2
has "--format twice: says so" "$err" "option '--format' given twice"

# empty input says so; a bad KEY is called a key; no doubled "JSON"
run W item put cars ''
is "empty item: exit 1" "$rc" 1
is "empty item: message" "$err" "whimbrel: empty item: expected one JSON object"
run W item put cars - < /dev/null
is "empty stdin: message" "$err" "whimbrel: empty item: expected one JSON object (standard input is empty)"
run W item get cars '  '
is "blank key: message" "$err" "whimbrel: empty key: expected one JSON object"
run W item get cars '{"make":'
is "bad key JSON: exit 1" "$rc" 1
has "bad key JSON: called a key" "$err" "whimbrel: bad key JSON: line 1 column"
run W item put cars '{"make":{"S":"a"},"model":{"S":"x"},"n":{"N":"1x"}}'
has "bad item JSON: attribute named once" "$err" "whimbrel: bad item JSON: attribute 'n': number '1x'"
# repeated or padded --segment values
run W scan cars --segment ' 0/2'
is "--segment with a space: exit 2" "$rc" 2
run W scan cars --segment '+0/+2'
is "--segment with signs: exit 2" "$rc" 2
printf '  \n\n' > blank.json
run W item put cars - < blank.json
is "blank stdin: message" "$err" "whimbrel: empty item: expected one JSON object (standard input holds only blank space)"
echo "1..$n"
