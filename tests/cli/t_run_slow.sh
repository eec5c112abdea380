# t_run_slow.sh - a slow callback does not starve the embedded store's
# other writers (issue 9, item 10): a fast-path page ends its transaction
# after about 100 ms of callbacks, so while a migration taking 3 ms an item
# runs, an application's `item put` (busy timeout 1.5 s) gets the write
# lock, and a second `run` of the same migration gets the lease message,
# not "locked by another process".  Every car is still changed once.
. "$(dirname "$0")/lib.sh"
copy_migrations m seed counter check
SEED_N=1000 "$WHIMBREL" run dev m/0001_seed.c >/dev/null 2>&1

SLOW_US=3000 "$WHIMBREL" run dev m/0002_counter.c >first.out 2>&1 &
first=$!
for _ in $(seq 100); do [ -s child.pid ] && break; sleep 0.05; done
sleep 0.2
export WB_SQLITE_BUSY_MS=1500
run "$WHIMBREL" item put cars '{"id":"app-1","brand":"Lada"}'
is "item put during a slow migration: exit 0" "$rc" 0
ok "item put: no busy error" '! grep -q "locked" <<<"$err"'
run "$WHIMBREL" run dev m/0002_counter.c
is "second run: exit 3 (busy)" "$rc" 3
has "second run: the lease message" "$err" "is being run by"
ok "second run: not the store's busy error" '! grep -q "locked by another process" <<<"$err"'
unset WB_SQLITE_BUSY_MS
wait "$first"
is "the slow run: exit 0" "$?" 0
run "$WHIMBREL" item get cars '{"id":"app-1"}' --format plain
has "the application's item is kept" "$out" '"brand":"Lada"'
run "$WHIMBREL" run dev m/0003_check.c
ok "every seeded car changed once, none twice" \
	'grep -Eq "^cars=1001 counter0=[01] counter1=(1000|1001) counter2=0 counter3\+=0$" <<<"$out"'
