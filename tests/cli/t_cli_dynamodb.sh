#!/usr/bin/env bash
# t_cli_dynamodb.sh - the data commands against the DynamoDB backend
# (dynalite, when scripts/run-tests.sh started it and exported
# WB_TEST_DYNAMODB_URL): the same commands as on SQLite, same output.
. "$(dirname "$0")/lib.sh"
need_dynamodb
D=$WB_ROOT/tests/data
W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
# DynamoDB answers numbers in its own canonical text (-1.5E-130 comes back
# as -0.000...15): compare numbers by value, sets as sets.
norm() {
	python3 -c '
import json, sys
from decimal import Decimal
def num(x):
    return str(Decimal(x).normalize())
def sets(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "N" and isinstance(x, str):
                out[k] = num(x)
            elif k == "NS" and isinstance(x, list):
                out[k] = sorted(num(e) for e in x)
            elif k in ("SS", "BS") and isinstance(x, list):
                out[k] = sorted(x)
            else:
                out[k] = sets(x)
        return out
    if isinstance(v, list):
        return [sets(x) for x in v]
    return v
print("\n".join(sorted(json.dumps(sets(json.loads(l)), sort_keys=True) for l in sys.stdin if l.strip())))'
}
cars=cli_cars_$$
run W table create "$cars" --pk make --sk model
is "create: exit 0" "$rc" 0
run W table list
ok "list: has the table" 'printf "%s\n" "$out" | grep -qx "$cars"'
run W table describe "$cars" --json
has "describe --json: key schema" "$out" '"partition_key":{"name":"make","type":"S"},"sort_key":{"name":"model","type":"S"}'
run W import "$cars" "$D/cars.ddb.jsonl"
is "import: exit 0" "$out" "imported 5 items into $cars"
run W export "$cars"
is "export after import equals the input" "$(printf '%s\n' "$out" | norm)" "$(norm <"$D/cars.ddb.jsonl")"
run W item get "$cars" '{"make":"Saab","model":"900"}'
has "get: binary of every byte value" "$out" '"logo":{"B":"AAECAwQF'
run W item put "$cars" '{"make":"Saab","model":"900"}' --if-not-exists
is "put --if-not-exists on existing: exit 1" "$rc" 1
run W item delete "$cars" '{"make":"Fiat","model":"500"}' --if-exists
is "delete --if-exists: exit 0" "$rc" 0
run W item get "$cars" '{"make":"Fiat","model":"500"}'
is "get after delete: exit 1" "$rc" 1
run W query "$cars" --pk Volvo --sk-op '>=' 3 --format plain
has "query --sk-op >=" "$out" '"model":"XC40"'
run W query "$cars" --pk Volvo --desc --limit 1
has "query --desc --limit 1" "$out" '"XC40"'
is "query --limit 1: one line" "$(printf '%s\n' "$out" | wc -l)" 1
W scan "$cars" | sort >all.txt
: >segs.txt
for i in 0 1 2; do W scan "$cars" --segment "$i/3" >>segs.txt; done
is "scan segments: union is the table" "$(sort segs.txt | sha1sum)" "$(sha1sum <all.txt)"
run W import "$cars" "$D/bad_json_line3.jsonl"
is "bad line: exit 1" "$rc" 1
has "bad line: FILE:3:" "$err" "bad_json_line3.jsonl:3:"
run W scan "$cars" --prefix A
is "bad line: nothing imported" "$out" ""
run W table drop "$cars" --yes
is "drop: exit 0" "$rc" 0
run W table describe "$cars"
is "drop: gone" "$rc" 1
echo "1..$n"
