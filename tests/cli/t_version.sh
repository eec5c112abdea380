# t_version.sh - `whimbrel version [--json]`: the versions of whimbrel and of
# the libraries it runs with, the same in text and JSON, agreeing with what
# pkg-config says is installed; its usage errors; and the help of every
# command, and the template of `new`, pointing at no document a user does
# not have (the manual pages instead).
. "$(dirname "$0")/lib.sh"
run "$WHIMBREL" version
is "version: exit 0" "$rc" 0
is "version: five lines" "$(wc -l <<<"$out")" 5
is "version: whimbrel's, as --version says" "whimbrel $(sed -n 's/^whimbrel  *//p' <<<"$out")" \
	"$("$WHIMBREL" --version)"
text=$out
run "$WHIMBREL" version --json
is "version --json: exit 0" "$rc" 0
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$out" "$1"; }
is "version --json: the keys" "$(python3 -c 'import json, sys; print(" ".join(json.loads(sys.argv[1])))' "$out")" \
	"whimbrel sqlite libcurl libcurl_ssl openssl jansson"
has "text and JSON agree: SQLite" "$text" "SQLite    $(field sqlite)"
has "text and JSON agree: libcurl" "$text" "libcurl   $(field libcurl) ($(field libcurl_ssl))"
has "text and JSON agree: OpenSSL" "$text" "OpenSSL   $(field openssl)"
has "text and JSON agree: Jansson" "$text" "Jansson   $(field jansson)"
# the libraries loaded are those installed (Debian: one version of each)
for p in sqlite3:sqlite libcurl:libcurl openssl:openssl jansson:jansson; do
	if want=$(pkg-config --modversion "${p%%:*}" 2>/dev/null); then
		is "version: ${p#*:} is the installed ${p%%:*}" "$(field "${p#*:}")" "$want"
	else
		pass "version: ${p#*:} # SKIP pkg-config does not know ${p%%:*}"
	fi
done
run "$WHIMBREL" version --yaml
is "version --yaml: exit 2" "$rc" 2
is "version --yaml: one usage line" "$err" "whimbrel version: unknown option '--yaml' (see whimbrel version --help)"
run "$WHIMBREL" version extra
is "version extra: exit 2" "$rc" 2
run "$WHIMBREL" version --help
has "version --help" "$out" "usage: whimbrel version [--json]"

run "$WHIMBREL" --help
has "--help: logs is another name for log" "$out" "logs      another name for log"
has "--help: version" "$out" "version   the versions of whimbrel"
ok "--help: names no document of the source tree" '! grep -qE "DESIGN\.md|docs/" <<<"$out"'
for c in $(sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' <<<"$out"); do
	help=$("$WHIMBREL" "$c" --help 2>&1)
	ok "$c --help names no document of the source tree" '! grep -qE "DESIGN\.md|docs/" <<<"$help"'
done
run "$WHIMBREL" new "check the template"
ok "the template of new names no document of the source tree" \
	'! grep -qE "DESIGN\.md|docs/" migrations/0001_check_the_template.c'
