# t_examples.sh - the single-table example (examples/single-table/) and its
# four worked migrations (examples/migrations/0002..0005), on SQLite and,
# when scripts/run-tests.sh started dynalite, on DynamoDB: import the
# dataset, plan each migration (nothing written), run each migration and compare
# the whole table with tests/data/examples/NNNN.jsonl (keys sorted, lines
# sorted: the backends may order attributes differently), then run each
# again and check it changes nothing.  On dynalite the runs are skipped
# (one skip line) while it cannot compare maps in write conditions (issue
# 10): they run again by themselves once migrations can write maps there.
. "$(dirname "$0")/lib.sh"
E=$WB_ROOT/examples
X=$WB_ROOT/tests/data/examples
canon() {
	python3 -c 'import json, sys
print("\n".join(sorted(json.dumps(json.loads(l), sort_keys=True, separators=(",", ":"))
                       for l in sys.stdin if l.strip())))'
}
# migration -> its plan on the dataset as imported (the four touch
# different facets), the counters of its first run, then of a second run
declare -A plan=(
	[0002_remove_sorts_risk_level_normalized_from_toe_lines]="3 item(s) would be written, 0 deleted, 7 unchanged"
	[0003_backfill_finding_risk_score]="3 item(s) would be written, 0 deleted, 1 unchanged"
	[0004_vulnerability_treatment_from_history]="3 item(s) would be written, 0 deleted, 8 unchanged"
	[0005_split_roots_into_root_and_cloning]="6 item(s) would be written, 3 deleted, 7 unchanged"
)
declare -A first=(
	[0002_remove_sorts_risk_level_normalized_from_toe_lines]="10 scanned, 3 written, 0 deleted, 7 unchanged, 0 failed"
	[0003_backfill_finding_risk_score]="4 scanned, 3 written, 0 deleted, 1 unchanged, 0 failed"
	[0004_vulnerability_treatment_from_history]="11 scanned, 3 written, 0 deleted, 8 unchanged, 0 failed"
	[0005_split_roots_into_root_and_cloning]="10 scanned, 0 written, 3 deleted, 7 unchanged, 0 failed"
)
declare -A again=(
	[0002_remove_sorts_risk_level_normalized_from_toe_lines]="10 scanned, 0 written, 0 deleted, 10 unchanged, 0 failed"
	[0003_backfill_finding_risk_score]="4 scanned, 0 written, 0 deleted, 4 unchanged, 0 failed"
	[0004_vulnerability_treatment_from_history]="11 scanned, 0 written, 0 deleted, 11 unchanged, 0 failed"
	[0005_split_roots_into_root_and_cloning]="7 scanned, 0 written, 0 deleted, 7 unchanged, 0 failed"
)

examples() {  # NAME URL
	local name=$1 url=$2 m
	W() { "$WHIMBREL" --db "$url" "$@"; }
	W table drop security --yes >/dev/null 2>&1
	run W table create security --pk pk --sk sk
	is "$name: create the table" "$rc" 0
	run W import security "$E/single-table/security.jsonl"
	has "$name: import the dataset" "$out" "imported 25 items into security"
	before=$(W export security --format plain | canon)
	is "$name: the dataset as imported" "$before" "$(canon <"$E/single-table/security.jsonl")"

	for m in $(printf "%s\n" "${!plan[@]}" | sort); do  # the split last
		run W plan dev "$E/migrations/$m.c" --diffs 9
		has "$name: $m: its plan" "$out" "plan: ${plan[$m]}"
	done
	has "$name: the plan of the split shows the new items" "$out" \
		'+ security {"pk":{"S":"ROOT#acme-front"},"sk":{"S":"CLONING"}} (new item)'
	is "$name: the plans wrote nothing" "$(W export security --format plain | canon)" "$before"

	for m in 0002_remove_sorts_risk_level_normalized_from_toe_lines \
		 0003_backfill_finding_risk_score \
		 0004_vulnerability_treatment_from_history \
		 0005_split_roots_into_root_and_cloning; do
		run W run dev "$E/migrations/$m.c"
		if [ "$name" = dynamodb ] && [ "$rc" -ne 0 ] &&
		   [[ "$err" == *"kept failing its conditions"* ]]; then
			# dynalite compares M and L values in conditions by identity,
			# so no item holding a map can be written by a migration there
			# (issue 10); these checks turn themselves on once that is fixed
			pass "$name: the migrations # SKIP dynalite cannot compare maps in conditions (issue 10)"
			break
		fi
		is "$name: $m: exit 0" "$rc" 0
		has "$name: $m: counters" "$err" "${first[$m]}"
		[ "$m" = 0003_backfill_finding_risk_score ] &&
			has "$name: $m: warns about the finding it cannot score" "$out$err" \
				"[warn] FIN#f003: no whole severity.likelihood and severity.impact: left as it is"
		is "$name: $m: the items after it" "$(W export security --format plain | canon)" \
			"$(cat "$X/${m%%_*}.jsonl")"
		run W run dev "$E/migrations/$m.c"
		has "$name: $m: a second run changes nothing" "$err" "${again[$m]}"
	done
	W table drop security --yes >/dev/null 2>&1
}

examples sqlite "sqlite:$T/examples.db"
if [ -n "${WB_TEST_DYNAMODB_URL:-}" ]; then
	examples dynamodb "$WB_TEST_DYNAMODB_URL"
else
	pass "dynamodb # SKIP WB_TEST_DYNAMODB_URL not set (no dynalite)"
fi
