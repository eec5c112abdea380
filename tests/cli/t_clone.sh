#!/usr/bin/env bash
# t_clone.sh - `whimbrel clone prod dev` on SQLite: every table but
# whimbrel's own is replaced in dev by prod's; --sample N keeps N whole
# partitions of a single-table design (every item of each); --fraction
# keeps whole partitions, the same ones each time; --mask replaces values
# by stable fakes of the same type (the same value, the same fake; keys
# masked stay consistent); --tables names the tables; a destination that
# confirms needs --yes.
. "$(dirname "$0")/lib.sh"
export WHIMBREL_PROD_DB=sqlite:prod.db
P() { "$WHIMBREL" --target prod "$@"; }
P table create --yes shop --pk pk:S --sk sk:S >/dev/null 2>&1 || P table create shop --pk pk:S --sk sk:S >/dev/null
P table create --yes other --pk id:S >/dev/null 2>&1 || P table create other --pk id:S >/dev/null
for c in $(seq 1 50); do
	printf '{"pk":"CUST#%03d","sk":"PROFILE","email":"c%d@example.com","n":%d}\n' "$c" "$c" "$c"
	for o in 1 2 3; do
		printf '{"pk":"CUST#%03d","sk":"ORDER#%d","email":"c%d@example.com","total":%d}\n' "$c" "$o" "$c" $((c * o))
	done
done >shop.jsonl
P import --yes shop shop.jsonl >/dev/null 2>&1 || P import shop shop.jsonl >/dev/null
echo '{"id":"x","v":1}' | { P import --yes other - >/dev/null 2>&1 || true; }
ok "prod holds 200 shop items" '[ "$(P export shop | wc -l)" -eq 200 ]'
"$WHIMBREL" table create shop --pk pk:S --sk sk:S >/dev/null
echo '{"pk":"OLD","sk":"x"}' | "$WHIMBREL" import shop - >/dev/null
parts() { "$WHIMBREL" export shop | sed 's/.*"pk":{"S":"\([^"]*\)".*/\1/' | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' '; }
npart() { "$WHIMBREL" export shop | sed 's/.*"pk":{"S":"\([^"]*\)".*/\1/' | sort -u | wc -l; }

run "$WHIMBREL" clone prod dev
is "clone: exit 0" "$rc" 0
has "says what it cloned" "$out" "cloned shop: 200 items"
is "dev's table replaced by prod's" "$("$WHIMBREL" export shop | sort)" "$(P export shop | sort)"
ok "whimbrel's own tables are not cloned" '! printf %s "$out" | grep -q whimbrel_'

run "$WHIMBREL" clone prod dev --tables shop --sample 10
is "--sample: exit 0" "$rc" 0
has "--sample: says how many were left out" "$out" "cloned shop: 40 items (160 left out of the sample)"
ok "--sample: only shop" '! printf %s "$out" | grep -q other'
is "--sample: 10 partitions" "$(npart)" 10
is "--sample: every partition whole (4 items each)" "$(parts)" "4 "

run "$WHIMBREL" clone prod dev --tables shop --fraction 0.5
a=$("$WHIMBREL" export shop | sort)
is "--fraction: every partition whole" "$(parts)" "4 "
ok "--fraction: about half ($(npart) of 50)" '[ "$(npart)" -gt 10 ] && [ "$(npart)" -lt 40 ]'
run "$WHIMBREL" clone prod dev --tables shop --fraction 0.5
is "--fraction: the same partitions again" "$("$WHIMBREL" export shop | sort)" "$a"

run "$WHIMBREL" clone prod dev --tables shop --mask email total
is "--mask: exit 0" "$rc" 0
m=$("$WHIMBREL" export shop)
ok "--mask: no real email left" '! printf %s "$m" | grep -q example.com'
has "--mask: strings stay strings" "$m" '"email":{"S":"fake-'
has "--mask: numbers stay numbers" "$m" '"total":{"N":"'
is "--mask: one fake per value (50 customers, 50 fakes)" \
	"$(printf '%s\n' "$m" | grep -o '"email":{"S":"[^"]*"}' | sort -u | wc -l)" 50
is "--mask: the same fake on every clone" "$("$WHIMBREL" clone prod dev --tables shop --mask email total >/dev/null; "$WHIMBREL" export shop)" "$m"
has "--mask: the rest as it was" "$m" '"sk":{"S":"ORDER#3"}'

run "$WHIMBREL" clone dev prod
is "into a target that confirms: refused without --yes" "$rc" 1
has "says so" "$err" "without --yes"
run "$WHIMBREL" clone dev dev
is "onto itself: refused" "$rc" 1
run "$WHIMBREL" clone prod dev --sample 3 --fraction 0.5
is "--sample and --fraction exclude each other" "$rc" 2
echo "1..$n"
