# whimbrel.bash - bash completion for whimbrel(1).
#
# Completes the commands, the options of each, target names (dev, prod and
# the [sections] of whimbrel.conf, or of --config FILE), migration files
# (*.c, from migrations/ when nothing is typed yet) and directories.  Pure
# bash: it never runs whimbrel, so completing touches no target.
# Installed by `make install` as PREFIX/share/bash-completion/completions/whimbrel;
# or source it from ~/.bashrc.

_whimbrel_commands="table item scan query import export new plan run status history log logs unlock pause resume limit stamp lint prune schedule worker version revert copy clone restore pitr"

# The options of one command (after its subcommand, for table and item).
_whimbrel_options() {
	case $1 in
	table) echo "--pk --sk --gsi --lsi --projection --yes --all --json --help" ;;
	item) echo "--format --if-not-exists --if-exists --yes --help" ;;
	scan) echo "--index --segment --prefix --limit --format --help" ;;
	query) echo "--index --pk --sk-prefix --sk-between --sk-op --desc --limit --format --help" ;;
	import) echo "--continue --create --pk --sk --yes --help" ;;
	export) echo "--format --help" ;;
	new) echo "--dir --help" ;;
	plan) echo "--diffs --threads --concurrency --max-rcu --max-rate --help" ;;
	run) echo "--yes --threads --concurrency --unconditional --restart --no-stamp --journal --no-journal --no-snapshot --allow-dirty --dir --max-wcu --max-rcu --max-rate --capacity --help" ;;
	status) echo "--dir --json --help" ;;
	history) echo "--json --help" ;;
	log | logs) echo "--raw --follow --help" ;;
	lint) echo "--dir --now --help" ;;
	prune) echo "--dir --older-than --dry-run --yes --check --now --no-ledger --verbose --journal --snapshots --help" ;;
	unlock) echo "--force --help" ;;
	limit) echo "--max-wcu --max-rcu --max-rate --capacity --help" ;;
	revert) echo "--dry-run --force --yes --help" ;;
	copy) echo "--from --to --keys-of-run --only-missing --overwrite --yes --help" ;;
	clone) echo "--tables --sample --fraction --mask --yes --help" ;;
	restore) echo "--to --into --latest --help" ;;
	schedule) echo "--at --now --workers --attempts --timeout --allow-dirty --max-wcu --max-rcu --max-rate --capacity --help" ;;
	worker) echo "--once --id --max-jobs --concurrency --help" ;;
	version) echo "--json --help" ;;
	*) echo "--help" ;;
	esac
}

# Target names: dev, prod and the sections of the configuration file.
_whimbrel_targets() {
	local conf=${1:-whimbrel.conf}
	{
		echo dev; echo prod
		[ -r "$conf" ] && sed -n 's/^[[:space:]]*\[[[:space:]]*\([A-Za-z0-9_.-]*\)[[:space:]]*\][[:space:]]*\([#;].*\)\{0,1\}$/\1/p' "$conf"
	} | sort -u
}

# Migration files: *.c and directories matching $1; migrations/*.c when $1 is empty.
_whimbrel_files() {
	local cur=$1
	if [ -z "$cur" ] && [ -d migrations ]; then
		compgen -G 'migrations/*.c'
		return
	fi
	compgen -f -X '!*.c' -- "$cur"
	compgen -d -- "$cur"
}

_whimbrel() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local i=1 cmd="" sub="" conf="" nargs=0 word
	COMPREPLY=()
	# global options, then the command
	while [ "$i" -lt "$COMP_CWORD" ]; do
		word=${COMP_WORDS[i]}
		case $word in
		--db | --target) i=$((i + 2)); continue ;;
		--config) conf=${COMP_WORDS[i+1]}; i=$((i + 2)); continue ;;
		-*) i=$((i + 1)); continue ;;
		esac
		cmd=$word
		break
	done
	case $prev in
	--target | --from | --to) mapfile -t COMPREPLY < <(compgen -W "$(_whimbrel_targets "$conf")" -- "$cur"); return ;;
	--config) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
	--dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	--format) mapfile -t COMPREPLY < <(compgen -W "ddb plain" -- "$cur"); return ;;
	--db) mapfile -t COMPREPLY < <(compgen -W "sqlite: dynamodb:// dynamodbs:// dynamodb:" -- "$cur")
	      compopt -o nospace 2>/dev/null; return ;;
	--pk | --sk | --segment | --prefix | --limit | --sk-prefix | --sk-between | --sk-op | \
	--diffs | --threads | --older-than | --keys-of-run | --sample | --fraction | --at | \
	--workers | --attempts | --timeout | --id | --max-jobs | --gsi | --lsi | --index | --concurrency) return ;;
	--projection) mapfile -t COMPREPLY < <(compgen -W "all keys" -- "$cur"); return ;;
	--now) [ "$cmd" = schedule ] || return ;; # a flag of schedule, a date of lint and prune
	esac
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--db --target --config --quiet --help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$_whimbrel_commands" -- "$cur")
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_whimbrel_options "$cmd")" -- "$cur")
		return
	fi
	# the positional arguments typed so far after the command
	for ((i = i + 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		--pk | --sk | --segment | --prefix | --limit | --sk-prefix | --sk-op | --diffs | \
		--threads | --older-than | --dir | --format | --from | --to | --keys-of-run | \
		--sample | --fraction | --at | --workers | --attempts | --timeout | --id | \
		--max-jobs | --gsi | --lsi | --projection | --index | --concurrency) i=$((i + 1)) ;;
		--now) [ "$cmd" = schedule ] || i=$((i + 1)) ;;
		--sk-between) i=$((i + 2)) ;;
		-*) ;;
		*) [ -z "$sub" ] && sub=$word; nargs=$((nargs + 1)) ;;
		esac
	done
	case $cmd in
	table) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "create list describe drop" -- "$cur") ;;
	item) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "get put delete" -- "$cur") ;;
	run | plan)
		if [ "$nargs" -eq 0 ]; then
			mapfile -t COMPREPLY < <(compgen -W "dev prod" -- "$cur")
		elif [ "$nargs" -eq 1 ]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(_whimbrel_files "$cur")
		fi ;;
	status | history | unlock)
		[ "$nargs" -le 1 ] && mapfile -t COMPREPLY < <(compgen -W "dev prod" -- "$cur") ;;
	log | logs | revert | pause | resume | limit) [ "$nargs" -eq 1 ] && mapfile -t COMPREPLY < <(compgen -W "dev prod" -- "$cur") ;;
	pitr) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "status enable" -- "$cur") ;;
	restore) [ "$nargs" -eq 1 ] && mapfile -t COMPREPLY < <(compgen -W "dev prod" -- "$cur") ;;
	clone) [ "$nargs" -le 1 ] && mapfile -t COMPREPLY < <(compgen -W "$(_whimbrel_targets "$conf")" -- "$cur") ;;
	stamp)
		if [ "$nargs" -eq 0 ]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(_whimbrel_files "$cur")
		elif [ "$nargs" -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W "prod dev" -- "$cur")
		fi ;;
	import)
		if [ "$nargs" -eq 1 ]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi ;;
	schedule)  # [add] dev|prod FILE, or list|show JOB|cancel JOB [dev|prod]
		[ "$sub" = add ] && nargs=$((nargs - 1))
		if [ "$nargs" -eq 0 ]; then
			mapfile -t COMPREPLY < <(compgen -W "add list show cancel dev prod" -- "$cur")
		elif [ "$sub" = list ] || { [ "$nargs" -eq 2 ] && [[ $sub == show || $sub == cancel ]]; }; then
			[ "$nargs" -le 2 ] && mapfile -t COMPREPLY < <(compgen -W "dev prod" -- "$cur")
		elif [ "$nargs" -eq 1 ] && [[ $sub != show && $sub != cancel ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(_whimbrel_files "$cur")
		fi ;;
	worker) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "dev prod" -- "$cur") ;;
	esac
}
complete -F _whimbrel whimbrel
