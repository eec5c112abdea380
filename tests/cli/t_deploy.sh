# t_deploy.sh - the files of deploy/ parse (YAML with python3's yaml module,
# JSON with its json module, the Dockerfile's exec-form ENTRYPOINT/CMD as
# JSON, systemd units as key=value sections), each runs a whimbrel
# command, and every whimbrel command and --option they name is one that
# `whimbrel --help` and `whimbrel COMMAND --help` list.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
DEP=$WB_ROOT/deploy
"$WHIMBREL" --help >top.txt 2>&1

# One line per file: "ok FILE", "skip FILE why", or "bad FILE why", then
# "cmd FILE ARG..." for each whimbrel command found (tab-separated).
python3 - "$DEP" >found.txt 2>py.err <<'PY'
import json, os, re, shlex, sys
root = sys.argv[1]
try:
    import yaml
except ImportError:
    yaml = None

def walk(node, out):
    """Every command vector of a Kubernetes or AWS Batch document."""
    if isinstance(node, dict):
        cmd = node.get("command"); args = node.get("args")
        if isinstance(cmd, list) or isinstance(args, list):
            out.append([str(x) for x in (cmd or []) + (args or [])])
        for v in node.values():
            walk(v, out)
    elif isinstance(node, list):
        for v in node:
            walk(v, out)

def dockerfile(text):
    out, entry = [], []
    for line in text.splitlines():
        m = re.match(r"\s*(ENTRYPOINT|CMD)\s+(\[.*\])\s*$", line)
        if m:
            v = json.loads(m.group(2))
            if m.group(1) == "ENTRYPOINT":
                entry = v
            else:
                out.append(entry + v)
    return out

def unit(text):
    out, section = [], None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if re.fullmatch(r"\[[A-Za-z]+\]", s):
            section = s
            continue
        if section is None or "=" not in s:
            raise ValueError("line %d is not KEY=VALUE in a [Section]" % n)
        k, v = s.split("=", 1)
        if k.strip() == "ExecStart":
            out.append(shlex.split(v))
    return out

for dirpath, _, files in sorted(os.walk(root)):
    for f in sorted(files):
        p = os.path.join(dirpath, f)
        rel = os.path.relpath(p, root)
        if f.endswith(".md"):
            continue
        text = open(p).read()
        try:
            if f.endswith((".yaml", ".yml")):
                if yaml is None:
                    print("skip\t%s\tpython3's yaml module is not installed" % rel)
                    continue
                cmds = []
                for doc in yaml.safe_load_all(text):
                    walk(doc, cmds)
            elif f.endswith(".json"):
                cmds = []
                walk(json.loads(text), cmds)
            elif f == "Dockerfile":
                cmds = dockerfile(text)
            elif f.endswith((".service", ".timer")):
                cmds = unit(text)
            else:
                print("bad\t%s\tunknown kind of file" % rel)
                continue
        except Exception as e:
            print("bad\t%s\t%s" % (rel, str(e).replace("\n", " ")))
            continue
        print("ok\t%s" % rel)
        for c in cmds:
            if c and os.path.basename(c[0]) == "whimbrel":
                print("cmd\t%s\t%s" % (rel, "\t".join(c[1:])))
PY
is "checker ran" "$?$(cat py.err)" "0"

n_files=0
while IFS=$'\t' read -r kind file rest; do
	case $kind in
	ok) n_files=$((n_files + 1)); pass "$file parses" ;;
	skip) skip "$file parses" "$rest" ;;
	bad) fail "$file parses" "$rest" ;;
	esac
done <found.txt
ok "every deploy file was checked (7)" '[ $(grep -c -E "^(ok|skip)" found.txt) -eq 7 ]'

# Every file that parsed and is not the timer names a whimbrel command.
for f in Dockerfile systemd/whimbrel-worker.service kubernetes/cronjob.yaml \
	 kubernetes/indexed-job.yaml aws-batch/job-definition.json; do
	if grep -q "^skip	$f" found.txt; then skip "$f runs whimbrel" "not parsed"; continue; fi
	ok "$f runs whimbrel worker prod --once" 'grep -P "^cmd\t\Q$f\E\tworker\tprod\t--once" found.txt >/dev/null'
done

# The commands and options named exist.
while IFS=$'\t' read -r kind file sub args; do
	[ "$kind" = cmd ] || continue
	ok "$file: whimbrel $sub is a command" 'grep -qE "^  $sub " top.txt'
	"$WHIMBREL" "$sub" --help >sub.txt 2>&1
	for a in $args; do
		case $a in --*) ok "$file: whimbrel $sub $a exists" 'grep -qE -- "(^|[ [])$a([ =]|$)" sub.txt' ;; esac
	done
done <found.txt
