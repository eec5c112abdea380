# lib.sh - helpers for the command-line tests (sourced by tests/cli/t_*.sh).
#
# Each test file runs in a fresh temporary directory ($T) with the built
# whimbrel as $WHIMBREL (exported by scripts/run-tests.sh) and prints TAP
# lines: `ok N - what` / `not ok N - what`.  Helpers:
#   run CMD...            run, capturing $out (stdout), $err (stderr), $rc
#   ok "what" CONDITION   pass when CONDITION (a shell expression) holds
#   is "what" GOT WANT    pass when the two strings are equal
#   has "what" TEXT SUB   pass when TEXT contains SUB
#   clean1 "what" TEXT   pass when TEXT is exactly one line without control characters
#   cleanlines "what" TEXT  pass when no line of TEXT holds a control character
#   skip "what" "why"     a test not run: `ok N - what # SKIP why` (counted
#                         as skipped by the runner, never as passed)
#   skip_all "why"        the whole file cannot run: one skip named after
#                         the file, then exit
#   need_dynamodb         skip_all unless the runner started dynalite
#   wait_for FILE TEXT    wait (at most 60 s) until FILE contains TEXT; 1 if it never does
#   jfield N NAME         of pretty-printed JSON on stdin (history --json), the value
#                         of the N-th "NAME": (quotes and comma stripped)
#   finish PID SECONDS    wait that long for PID to end (then kill -9 it); its exit status
#   g ARGS...             git with a tester's name and e-mail, branch main
#   copy_migrations DIR SPEC...  tests/data/migrations/SPEC.c into DIR (made if
#                         need be) as NNNN_SPEC.c, NNNN the SPEC's position
#                         (0001 first); SPEC NAME=SOURCE: SOURCE.c as NAME.c
#   at_exit CMD           run CMD at exit (the latest first), then remove $T
#   dynalite_start DIR    a dynalite of the test's own in DIR (stopped at
#                         exit): its URL in URL
#   proxy_start OPTION... tests/interop/faultproxy.mjs OPTION... in front of
#                         $URL (a running one stopped first; stopped at
#                         exit): its port in PPORT, its DynamoDB URL in PROXY
#   proxy_stop            stop it
set -u
: "${WHIMBREL:?run through scripts/run-tests.sh}"
T=$(mktemp -d "${TMPDIR:-/tmp}/wbtest.XXXXXX")
AT_EXIT=""
trap 'eval "$AT_EXIT"; rm -rf "$T"' EXIT
cd "$T"
n=0
out=""; err=""; rc=0

run() {
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out"); err=$(cat "$T/.err")
}
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
skip_all() { skip "$(basename "$0" .sh)" "$1"; exit 0; }
need_dynamodb() {
	[ -n "${WB_TEST_DYNAMODB_URL:-}" ] || skip_all "WB_TEST_DYNAMODB_URL not set (no dynalite)"
}
ok() {
	if eval "$2"; then pass "$1"; else fail "$1" "condition: $2" "rc=$rc out=${out:0:300}" "err=${err:0:300}"; fi
}
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got:  ${2:0:400}" "want: ${3:0:400}"; fi
}
has() {
	case "$2" in *"$3"*) pass "$1" ;; *) fail "$1" "text: ${2:0:400}" "lacks: $3" ;; esac
}
# Messages are one line per message with no raw control characters: input
# echoed in them is escaped (\n, \x1b).  clean1: exactly one such line;
# cleanlines: any number of lines, none holding a control character.
clean1() {
	if [ -n "$2" ] && [ "$(printf '%s' "$2" | wc -l)" -eq 0 ] &&
	   ! printf '%s' "$2" | LC_ALL=C grep -q $'[\x01-\x1f\x7f]'; then pass "$1"
	else fail "$1" "text: $(printf %q "$2")"; fi
}
cleanlines() {
	if ! printf '%s' "$2" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]'; then pass "$1"
	else fail "$1" "text: $(printf %q "$2")"; fi
}
wait_for() {
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
jfield() { grep "\"$2\":" | sed -n "${1}p" | sed 's/.*: "*\([^",]*\)"*,*$/\1/'; }
finish() {
	timeout "$2" tail --pid="$1" -f /dev/null || kill -9 "$1" 2>/dev/null
	wait "$1"
}
g() { git -c user.name=tester -c user.email=tester@example.com -c init.defaultBranch=main "$@"; }
copy_migrations() {  # DIR SPEC...
	local dir=$1 i=0 spec; shift
	mkdir -p "$dir"
	for spec in "$@"; do
		i=$((i + 1))
		case $spec in
		*=*) cp "$WB_ROOT/tests/data/migrations/${spec#*=}.c" "$dir/${spec%%=*}.c" ;;
		*) cp "$WB_ROOT/tests/data/migrations/$spec.c" "$dir/$(printf %04d $i)_$spec.c" ;;
		esac
	done
}
at_exit() { AT_EXIT="$1; $AT_EXIT"; }
dynalite_start() {  # DIR
	at_exit "\"\$WB_ROOT/scripts/dynalite.sh\" stop \"$1\""
	URL=$("$WB_ROOT/scripts/dynalite.sh" start "$1")
}
proxy=""
proxy_stop() { [ -z "$proxy" ] || { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null; proxy=""; }; }
proxy_start() {  # OPTION...
	proxy_stop
	at_exit proxy_stop
	rm -f "$T/proxy.port"
	node "$WB_ROOT/tests/interop/faultproxy.mjs" --target "http://${URL#dynamodb://}" --port-file "$T/proxy.port" \
		"$@" >"$T/proxy.log" 2>&1 &
	proxy=$!
	for _ in $(seq 300); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
	PPORT=$(cat "$T/proxy.port")
	PROXY="dynamodb://127.0.0.1:$PPORT"
}
