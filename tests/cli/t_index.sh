#!/usr/bin/env bash
# t_index.sh - secondary indexes on the command line: `table create --gsi
# / --lsi / --projection`, `table describe` (text and --json), `query
# --index` and `scan --index`, and their errors; on SQLite, and on DynamoDB
# (dynalite) when the runner started it.
. "$(dirname "$0")/lib.sh"

# Every check against one target URL; $1 names it in the test names.
checks() {
	local on=$1 url=$2 t=$3
	W() { "$WHIMBREL" --db "$url" "$@"; }
	run W table create "$t" --pk pk --sk sk:N --gsi by_group:group,rank:N \
		--gsi by_owner:owner --projection keys --lsi by_date:date --projection title,date
	is "$on: create with indexes: exit 0" "$rc" 0
	run W table describe "$t"
	has "$on: describe: global index" "$out" "index          by_group (global) group (S), rank (N); projects all"
	has "$on: describe: keys-only index" "$out" "index          by_owner (global) owner (S); projects keys"
	has "$on: describe: local index" "$out" "index          by_date (local) pk (S), date (S); projects keys and"
	run W table describe "$t" --json
	has "$on: describe --json: indexes" "$out" '"indexes":[{"name":"by_date","local":true,"partition_key":{"name":"pk","type":"S"},"sort_key":{"name":"date","type":"S"},"projection":"INCLUDE","attributes":['
	has "$on: describe --json: keys only" "$out" '{"name":"by_owner","local":false,"partition_key":{"name":"owner","type":"S"},"sort_key":null,"projection":"KEYS_ONLY","attributes":[]}'
	W item put "$t" '{"pk":"a","sk":1,"group":"g","rank":2,"owner":"me","body":"A"}' >/dev/null 2>&1
	W item put "$t" '{"pk":"b","sk":1,"group":"g","rank":1,"owner":"me","body":"B"}' >/dev/null 2>&1
	W item put "$t" '{"pk":"c","sk":1,"group":"h","rank":1}' >/dev/null 2>&1
	W item put "$t" '{"pk":"d","sk":1,"body":"not indexed"}' >/dev/null 2>&1
	run W query "$t" --index by_group --pk g --format plain
	is "$on: query --index: in index order" "$out" "$(printf '%s\n%s' \
		'{"pk":"b","sk":1,"group":"g","rank":1,"owner":"me","body":"B"}' \
		'{"pk":"a","sk":1,"group":"g","rank":2,"owner":"me","body":"A"}')"
	run W query "$t" --index by_group --pk g --sk-op '>' 1 --format plain
	is "$on: query --index with a sort key condition" "$out" '{"pk":"a","sk":1,"group":"g","rank":2,"owner":"me","body":"A"}'
	run W query "$t" --index by_owner --pk me --desc --limit 1 --format plain
	ok "$on: query a keys-only index: keys only" '[ "$rc" = 0 ] && [ "$(printf "%s" "$out" | grep -c body)" = 0 ] && [ -n "$out" ]'
	run W scan "$t" --index by_group --format plain
	is "$on: scan --index: only the items that have its keys" "$(printf '%s\n' "$out" | wc -l)" 3
	run W query "$t" --index by_group --pk g --sk-op '>' high
	is "$on: index sort key value of the wrong type: exit 1" "$rc" 1
	has "$on: index sort key value of the wrong type: message" "$err" "type N"
	run W query "$t" --index by_owner --pk me --sk-prefix x
	is "$on: sort key condition on an index without one: exit 1" "$rc" 1
	has "$on: sort key condition on an index without one: message" "$err" "index by_owner of $t has no sort key"
	run W query "$t" --index nope --pk g
	is "$on: unknown index: exit 1" "$rc" 1
	clean1 "$on: unknown index: one line" "$err"
	has "$on: unknown index: names it" "$err" "no index 'nope'"
	run W scan "$t" --index nope
	is "$on: scan of an unknown index: exit 1" "$rc" 1
	run W item put "$t" '{"pk":"e","sk":1,"group":"g","rank":"high"}'
	is "$on: wrong index key type: exit 1" "$rc" 1
	has "$on: wrong index key type: message" "$err" "rank"
	W table drop "$t" --yes >/dev/null 2>&1
}

checks sqlite sqlite:t.db shop

# usage errors: exit 2, nothing created
W() { "$WHIMBREL" --db sqlite:t.db "$@"; }
run W table create tt2 --pk pk --gsi by_x
is "--gsi without keys: exit 2" "$rc" 2
has "--gsi without keys: message" "$err" "NAME:PK"
run W table create tt2 --pk pk --projection keys --gsi by_x:x
is "--projection before any index: exit 2" "$rc" 2
run W table create tt2 --pk pk --gsi by_x:x:Q
is "--gsi bad type: exit 2" "$rc" 2
run W table create tt2 --pk pk --lsi by_x:x
is "--lsi on a table without sort key: exit 1" "$rc" 1
has "--lsi on a table without sort key: message" "$err" "local index"
run W table create tt2 --pk pk --gsi by_x:x --gsi by_x:y
is "two indexes of one name: exit 1" "$rc" 1
run W table list
is "no table was created by the failures" "$out" ""

if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	checks dynamodb "$WB_TEST_DYNAMODB_URL" "clix_$$_$RANDOM"
else
	skip "dynamodb: indexes on the command line" "WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
echo "1..$n"
