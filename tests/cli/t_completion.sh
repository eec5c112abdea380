# t_completion.sh - the bash completion (completion/whimbrel.bash): commands,
# the options of each (checked against every command's --help, so a new
# option without completion fails here), target names from whimbrel.conf
# and --config, migration files, and the values of --format and --dir.
. "$(dirname "$0")/lib.sh"
# shellcheck source=/dev/null
. "$WB_ROOT/completion/whimbrel.bash"
comp() {  # WORDS...: the candidates for the last word, sorted, on one line
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_whimbrel
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

is "registered for whimbrel" "$(complete -p whimbrel)" "complete -F _whimbrel whimbrel"
cmds=$("$WHIMBREL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
ok "the help lists commands" '[ "$(wc -w <<<"$cmds")" -ge 17 ]'
all=$(comp whimbrel "")
for c in $cmds; do
	has "command $c is completed" " $all " " $c "
	# options of the usage and option lines (the text of a description may name others)
	opts=$("$WHIMBREL" "$c" --help 2>/dev/null | grep -E '^(usage:|[[:space:]])' |
	       grep -o -- '--[a-z][a-z-]*' | sort -u |
	       grep -vx -e --db -e --target -e --config)
	mine=$(comp whimbrel "$c" --)
	missing=""
	for o in $opts; do [[ " $mine " == *" $o "* ]] || missing="$missing $o"; done
	is "command $c: every option of its --help is completed" "$missing" ""
done
is "a prefix" "$(comp whimbrel ru)" "run"
is "global options" "$(comp whimbrel --)" "--config --db --help --quiet --target --version"
is "after global options" "$(comp whimbrel --db sqlite:x.db -q st)" "stamp status"
is "table subcommands" "$(comp whimbrel table "")" "create describe drop list"
is "item subcommands" "$(comp whimbrel --target prod item "")" "delete get put"
is "run: the target" "$(comp whimbrel run "")" "dev prod"

mkdir migrations sub
touch migrations/0001_a.c migrations/0002_b.c migrations/notes.txt sub/x.c top.c
is "run: migrations/ when nothing is typed" "$(comp whimbrel run dev "")" \
	"migrations/0001_a.c migrations/0002_b.c"
is "plan: .c files and directories" "$(comp whimbrel plan prod --threads 4 migrations/)" \
	"migrations/0001_a.c migrations/0002_b.c"
is "run: a directory" "$(comp whimbrel run dev su)" "sub"
is "run: a file" "$(comp whimbrel run dev t)" "top.c"
is "run: nothing after the file" "$(comp whimbrel run dev top.c "")" ""
is "stamp: the file, then the target" "$(comp whimbrel stamp top.c "")" "dev prod"

printf '[dev]\ndb = sqlite:a.db\n\n[ staging ]\ndb = sqlite:b.db\n[prod]\n' >whimbrel.conf
printf '[qa]\n' >other.conf
is "--target: names from whimbrel.conf" "$(comp whimbrel --target "")" "dev prod staging"
is "--target: names from --config FILE" "$(comp whimbrel --config other.conf --target "")" "dev prod qa"
is "--format" "$(comp whimbrel scan cars --format "")" "ddb plain"
is "--dir: directories" "$(comp whimbrel status --dir m)" "migrations"
is "status: the target" "$(comp whimbrel status p)" "prod"
is "query options" "$(comp whimbrel query cars --pk 1 --sk-between a b --d)" "--desc"
