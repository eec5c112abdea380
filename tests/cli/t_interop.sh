#!/usr/bin/env bash
# t_interop.sh - whimbrel and the AWS SDK for JavaScript v3 read each
# other's items identically, against dynalite.
#
# Items of every type (tests/interop/items.ddb.jsonl: strings with unicode
# and escapes, numbers at the edges of DynamoDB's range, binary of every
# byte value, booleans, null, sets, nested lists and maps) are written by
# the SDK (tests/interop/sdk.mjs) and read with `whimbrel item get`, and
# written with `whimbrel item put` / `whimbrel import` and read with the
# SDK's GetItem and Scan.  Comparisons are of canonical DynamoDB JSON
# (sorted keys and set members, numbers by value: DynamoDB answers numbers
# in its own canonical text).  Skipped without dynalite or the SDK.
. "$(dirname "$0")/lib.sh"
if [ -z "${WB_TEST_DYNAMODB_URL:-}" ] || [ ! -d "$WB_ROOT/node_modules/@aws-sdk/client-dynamodb" ]; then
	skip_all "needs dynalite (WB_TEST_DYNAMODB_URL) and node_modules/@aws-sdk/client-dynamodb"
fi
URL=$WB_TEST_DYNAMODB_URL
ITEMS=$WB_ROOT/tests/interop/items.ddb.jsonl
SDK() { node "$WB_ROOT/tests/interop/sdk.mjs" "$@"; }
W() { "$WHIMBREL" --db "$URL" "$@"; }
canon() { SDK canon; }
# The fixture with every id prefixed.
prefixed() { sed -e "s/^{\"id\":{\"S\":\"/{\"id\":{\"S\":\"$1/" "$ITEMS"; }
nitems=$(wc -l <"$ITEMS")

t=interop_$$
run W table create "$t" --pk id
is "create the table" "$rc" 0

# --- the SDK writes, whimbrel reads
run SDK put "$URL" "$t" sdk- <"$ITEMS"
is "SDK PutItem of every fixture item" "$rc" 0
: >"$T/wb_read.jsonl"
bad=0
while IFS= read -r line; do
	id=$(printf '%s' "$line" | sed -e 's/^{"id":{"S":"\([^"]*\)".*/\1/')
	if ! W item get "$t" "{\"id\":{\"S\":\"sdk-$id\"}}" >>"$T/wb_read.jsonl" 2>"$T/err"; then
		bad=$((bad + 1)); cat "$T/err"
	fi
done <"$ITEMS"
is "whimbrel item get of each SDK-written item" "$bad" 0
is "whimbrel reads the SDK's items identically" "$(canon <"$T/wb_read.jsonl")" "$(prefixed sdk- | canon)"
run SDK get "$URL" "$t" sdk- <"$ITEMS"
is "and the same as the SDK reads them" "$(printf '%s\n' "$out" | canon)" "$(canon <"$T/wb_read.jsonl")"

# --- whimbrel writes (one by one), the SDK reads
bad=0
while IFS= read -r line; do
	W item put "$t" "$line" 2>"$T/err" >/dev/null || { bad=$((bad + 1)); cat "$T/err"; }
done < <(prefixed wb-)
is "whimbrel item put of every fixture item" "$bad" 0
run SDK get "$URL" "$t" wb- <"$ITEMS"
is "SDK GetItem of each whimbrel-written item" "$rc" 0
is "the SDK reads whimbrel's items identically" "$(printf '%s\n' "$out" | canon)" "$(prefixed wb- | canon)"

# --- whimbrel imports in bulk (BatchWriteItem), the SDK scans; whimbrel exports the same
prefixed imp- >"$T/imp.jsonl"
run W import "$t" "$T/imp.jsonl"
is "whimbrel import (BatchWriteItem)" "$rc" 0
run SDK scan "$URL" "$t"
is "SDK Scan sees every item once" "$(printf '%s\n' "$out" | grep -c .)" "$((3 * nitems))"
sdk_scan=$(printf '%s\n' "$out" | canon)
is "SDK Scan holds the imported items identically" \
	"$(printf '%s\n' "$sdk_scan" | grep '"S":"imp-')" "$(canon <"$T/imp.jsonl")"
run W export "$t"
is "whimbrel export equals the SDK's Scan" "$(printf '%s\n' "$out" | canon)" "$sdk_scan"

run W table drop "$t" --yes
is "drop the table" "$rc" 0
echo "1..$n"
