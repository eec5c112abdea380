# t_run_plan.sh - `whimbrel plan`: counts and attribute-level diffs of every
# kind of change, and nothing written: the data exported before and after
# are byte for byte the same, no checkpoint, no lease; the plan is in the
# ledger with mode plan.  Then the real run does what the plan said.
. "$(dirname "$0")/lib.sh"
export WHIMBREL_PROD_DB="sqlite:$T/prod.db"
copy_migrations m seed reshape
SEED_N=1200 "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1
SEED_N=1200 "$WHIMBREL" run prod --allow-dirty m/0001_seed.c --yes --dir m --no-stamp >/dev/null 2>&1
"$WHIMBREL" export cars >before.jsonl
cp m/0002_reshape.c pristine.c

# 1200 cars: red = i%3==0 (400); of the rest, Saab = i%4==1; blue Fiat = i%4==2 && i%3==1.
red=400; saab=0; keep=0
for i in $(seq 0 1199); do
	[ $((i % 3)) -eq 0 ] && continue
	[ $((i % 4)) -eq 2 ] && [ $((i % 3)) -eq 1 ] && keep=$((keep + 1)) && continue
	[ $((i % 4)) -eq 1 ] && saab=$((saab + 1))
done
write=$((1200 - red - keep))

run "$WHIMBREL" plan dev m/0002_reshape.c --diffs 2000
is "plan: exit 0" "$rc" 0
has "plan: counts" "$out" "plan: $write item(s) would be written, $red deleted, $keep unchanged"
has "plan: an added attribute" "$out" "    + price: N 0"
has "plan: a removed attribute" "$out" "    - color"
has "plan: a changed attribute" "$out" "    ~ brand: S Saab -> S SAAB"
has "plan: a deleted item" "$out" '- cars {"id":{"S":"car-000000"}} (deleted)'
is "plan: --diffs 2000 shows every change" "$(grep -cE '^[-~+] cars ' <<<"$out")" $((write + red))
has "plan: says nothing was written" "$out" "nothing was written"
"$WHIMBREL" export cars >after.jsonl
ok "plan: data byte for byte unchanged (export)" 'cmp -s before.jsonl after.jsonl && [ -s before.jsonl ]'
ok "plan: file untouched" 'cmp -s m/0002_reshape.c pristine.c'
is "plan: no checkpoint" "$("$WHIMBREL" scan whimbrel_checkpoints | wc -l)" 0
has "plan: in the ledger as mode plan" "$("$WHIMBREL" history dev 0002 --json)" '"mode": "plan"'
run "$WHIMBREL" status dev --dir m
ok "plan: does not count as a run in status" 'grep 0002_reshape <<<"$out" | grep -q pending'

run "$WHIMBREL" plan dev m/0002_reshape.c --diffs 0
is "--diffs 0: no diff" "$(grep -cE '^[-~+] cars ' <<<"$out")" 0
run "$WHIMBREL" plan dev m/0002_reshape.c
is "default: 10 diffs" "$(grep -cE '^[-~+] cars ' <<<"$out")" 10

run "$WHIMBREL" plan prod m/0002_reshape.c </dev/null
is "plan prod: no confirmation needed, exit 0" "$rc" 0
ok "plan prod: header not stamped" 'cmp -s m/0002_reshape.c pristine.c'
"$WHIMBREL" --db "$WHIMBREL_PROD_DB" export cars >prod-after.jsonl
ok "plan prod: data unchanged" 'cmp -s before.jsonl prod-after.jsonl'

# While a run holds the lease, a plan still works (it takes none).
"$WHIMBREL" item put whimbrel_locks '{"migration":"0002_reshape","holder":"elsewhere:1:R","host":"elsewhere","pid":1,"run_id":"R","acquired":1,"expires":9999999999,"heartbeat":1}'
run "$WHIMBREL" plan dev m/0002_reshape.c
is "plan while locked: exit 0" "$rc" 0
"$WHIMBREL" unlock 0002_reshape >/dev/null

run "$WHIMBREL" run dev m/0002_reshape.c
is "run: exit 0" "$rc" 0
has "run: did what the plan said" "$err" "1200 scanned, $write written, $red deleted, $keep unchanged, 0 failed"
"$WHIMBREL" export cars >done.jsonl
is "run: red cars gone" "$(grep -c '"red"' done.jsonl)" 0
is "run: cars left" "$(wc -l <done.jsonl)" $((1200 - red))
is "run: SAABs" "$(grep -c '"SAAB"' done.jsonl)" "$saab"
