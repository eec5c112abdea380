# t_man.sh - the manual pages (docs/man/) and `make install`: every page
# renders without a warning, every command of `whimbrel --help` has a page
# that whimbrel(1) lists, and after `make install PREFIX=...` `man
# whimbrel-COMMAND` finds and shows each (MANPATH set), with the bash
# completion installed beside them.
. "$(dirname "$0")/lib.sh"
M=$WB_ROOT/docs/man
cmds=$("$WHIMBREL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
ok "the help lists commands" '[ "$(wc -w <<<"$cmds")" -ge 17 ]'

if command -v groff >/dev/null; then
	for f in "$M"/*.1; do
		run groff -man -Tutf8 -ww -z "$f"
		is "$(basename "$f") renders without warnings" "$rc:$out$err" "0:"
	done
else
	pass "rendering # SKIP groff is not installed"
fi
for c in $cmds; do
	page=whimbrel-$c
	[ "$c" = logs ] && page=whimbrel-log # installed as a link, see the Makefile
	ok "command $c has a page" '[ -f "$M/$page.1" ]'
	ok "whimbrel(1) lists $c" 'grep -q "^\.BR .*whimbrel\\\\-$c " "$M/whimbrel.1"'
done

P=$T/prefix
run make -C "$WB_ROOT" --no-print-directory install PREFIX="$P" BUILD="${WB_BUILD#"$WB_ROOT"/}"
is "make install: exit 0" "$rc" 0
ok "make install: the completion" '[ -f "$P/share/bash-completion/completions/whimbrel" ]'
ok "make install: the command" '[ -x "$P/bin/whimbrel" ]'
if command -v man >/dev/null; then
	export MANPATH=$P/share/man MANWIDTH=80
	for c in "" $cmds; do
		page=whimbrel${c:+-$c}
		run man -P cat "$page"
		is "man $page: exit 0" "$rc" 0
		has "man $page: its page" "$out" "NAME"
	done
	run man -P cat whimbrel-run
	has "man whimbrel-run: the options" "$out" "--restart"
	run man -P cat whimbrel-logs
	has "man whimbrel-logs: the log page" "$out" "whimbrel-log, whimbrel-logs"
else
	pass "man # SKIP man is not installed"
fi
