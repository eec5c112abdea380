# t_run_demo.sh - `make demo` (scripts/demo.sh) works, twice in a row, and
# leaves the repository's example untouched.
. "$(dirname "$0")/lib.sh"
before=$(sha256sum "$WB_ROOT/examples/migrations/0001_add_price_to_cars.c")
for i in 1 2; do
	run env BUILD="${WB_BUILD#"$WB_ROOT"/}" "$WB_ROOT/scripts/demo.sh"
	is "demo run $i: exit 0" "$rc" 0
	has "demo run $i: the car before" "$out" '{"id":"car-00042","brand":"Toyota","model":"Prius","color":"green","year":2001}'
	has "demo run $i: the car after" "$out" '"year":2001,"price":0}'
	has "demo run $i: the plan" "$out" "plan: 3000 item(s) would be written"
	ok "demo run $i: status succeeded" 'grep 0001_add_price_to_cars <<<"$out" | grep -q succeeded'
	has "demo run $i: the prod run stamped the header" "$out" " * Execution Time: 20"
done
is "demo: the example file is unchanged" "$(sha256sum "$WB_ROOT/examples/migrations/0001_add_price_to_cars.c")" "$before"
