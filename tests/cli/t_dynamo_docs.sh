# t_dynamo_docs.sh - `run prod` on dynalite of the add-price example
# (examples/migrations/0001, pointed at the test's table) over items holding
# every type, empty and nested maps and lists included: every
# write is conditional on the item as read (maps and lists compared whole),
# and each must pass.  Every item ends exactly as before plus its price;
# items already priced are kept.  Skipped without WB_TEST_DYNAMODB_URL.
. "$(dirname "$0")/lib.sh"
if [ -z "${WB_TEST_DYNAMODB_URL:-}" ]; then
	echo "ok 1 - # SKIP WB_TEST_DYNAMODB_URL not set (no dynalite)"
	exit 0
fi
W() { "$WHIMBREL" --db "$WB_TEST_DYNAMODB_URL" "$@"; }
export DOCS_TABLE="docs_run_$$"
s=$$   # migration names unique on the shared server
mkdir -p m
# The documented example (add price 0 to every item that has none), on $DOCS_TABLE.
sed -e 's/^#include <whimbrel.h>$/#include <stdlib.h>\n&/' -e 's/wb_each(run, "cars",/wb_each(run, getenv("DOCS_TABLE"),/' \
	"$WB_ROOT/examples/migrations/0001_add_price_to_cars.c" >"m/0001_add_price_$s.c"
ok "the example migration, on the test's table" 'grep -q "getenv(\"DOCS_TABLE\")" "m/0001_add_price_$s.c"'

# Items of every shape; $1 is the id, $2 more attributes.
every='"s":{"S":"x"},"n":{"N":"-1.5"},"b":{"B":"AAH/"},"t":{"BOOL":true},"f":{"BOOL":false},"z":{"NULL":true},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2.5"]},"bs":{"BS":["AA==","AQ=="]}'
nested='"deep":{"M":{"a":{"L":[{"N":"1"},{"M":{"b":{"S":"x"},"e":{"M":{}},"l":{"L":[]}}},{"L":[{"L":[]},{"BOOL":false},{"NULL":true},{"SS":["q"]}]}]},"m":{"M":{"e":{"M":{}},"z":{"NULL":true}}}}}'
N=0
: >items.jsonl
for i in $(seq 1 30); do
	printf '{"id":{"S":"empty-map-%02d"},"e":{"M":{}}}\n' "$i"
	printf '{"id":{"S":"empty-list-%02d"},"l":{"L":[]}}\n' "$i"
	printf '{"id":{"S":"list-%02d"},"l":{"L":[{"N":"%d"},{"S":"two"},{"M":{}}]}}\n' "$i" "$i"
	printf '{"id":{"S":"map-%02d"},"state":{"M":{"severity":{"S":"high"},"n":{"N":"%d"}}}}\n' "$i" "$i"
	printf '{"id":{"S":"nested-%02d"},"deep":{"M":{"a":{"L":[{"N":"1"}]}}}}\n' "$i"
	printf '{"id":{"S":"every-%02d"},%s,%s,"e":{"M":{}},"el":{"L":[]}}\n' "$i" "$every" "$nested"
	printf '{"id":{"S":"priced-%02d"},%s,"price":{"N":"9"}}\n' "$i" "$nested"
	N=$((N + 7))
done >items.jsonl
written=$((N - 30))

run W table create "$DOCS_TABLE" --pk id
is "create the table" "$rc" 0
run W import "$DOCS_TABLE" items.jsonl
has "import" "$out" "imported $N items"

run W run prod --allow-dirty "m/0001_add_price_$s.c" --yes --dir m --no-stamp
is "run prod exits 0" "$rc" 0
has "the run succeeded" "$err" "succeeded"
has "every unpriced item written, none failed" "$err" "$N scanned, $written written, 0 deleted, 30 unchanged, 0 failed"
ok "no condition kept failing" '! grep -q "kept failing" <<<"$err"'

# Every item is what it was plus price 0 (the priced ones unchanged), compared
# as JSON with keys and sets in one order.
canon() {
	python3 -c '
import json, sys
def norm(v):
    if isinstance(v, dict):
        return {k: (sorted(x) if k in ("SS", "NS", "BS") else norm(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
for line in sys.stdin:
    if line.strip():
        print(json.dumps(norm(json.loads(line)), sort_keys=True))
' | sort
}
while IFS= read -r line; do
	case "$line" in
	*'"price"'*) printf '%s\n' "$line" ;;
	*) printf '%s,"price":{"N":"0"}}\n' "${line%\}}" ;;
	esac
done <items.jsonl | canon >want.jsonl
W export "$DOCS_TABLE" | canon >got.jsonl
is "every item is as before plus its price" "$(diff want.jsonl got.jsonl | head -5)" ""
is "as many items as imported" "$(wc -l <got.jsonl)" "$N"

run W history prod "0001_add_price_$s" --json
has "the ledger on dynalite says succeeded" "$out" '"status": "succeeded"'
run W run prod --allow-dirty "m/0001_add_price_$s.c" --yes --dir m --no-stamp
has "a second run writes nothing" "$err" "$N scanned, 0 written, 0 deleted, $N unchanged, 0 failed"
W table drop "$DOCS_TABLE" --yes >/dev/null 2>&1 || true
echo "1..$n"
