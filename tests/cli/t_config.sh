#!/usr/bin/env bash
# t_config.sh - target resolution: the default dev target, whimbrel.conf,
# WHIMBREL_DEV_DB / WHIMBREL_PROD_DB, --db, --target, --config, malformed
# configuration, an unconfigured prod, and no credentials in messages.
. "$(dirname "$0")/lib.sh"
unset WHIMBREL_DEV_DB WHIMBREL_PROD_DB
W() { "$WHIMBREL" "$@"; }

# no configuration: dev is sqlite:.whimbrel/dev.db, created on first use
run W table list
is "no config: table list exit 0" "$rc" 0
ok "no config: .whimbrel/dev.db created" '[ -f .whimbrel/dev.db ]'
W table create indev --pk id >/dev/null 2>&1
run W --db sqlite:.whimbrel/dev.db table list
is "no config: the default file is the dev target" "$out" "indev"

# prod without configuration: a clear error
run W --target prod table list
is "prod unconfigured: exit 1" "$rc" 1
is "prod unconfigured: message" "$err" "whimbrel: no prod target configured: add [prod] db = URL to whimbrel.conf, set WHIMBREL_PROD_DB, or pass --db URL"
run W --target staging table list
is "other target unconfigured: exit 1" "$rc" 1
has "other target: names its variable" "$err" "WHIMBREL_STAGING_DB"

# whimbrel.conf < environment < --db
cat >whimbrel.conf <<'CONF'
# targets of this repository
[dev]
db = sqlite:file-dev.db   ; from the file
[prod]
db = sqlite:file-prod.db
confirm = yes
CONF
W table create a_file --pk id >/dev/null 2>&1
ok "conf: dev from the file" '[ -f file-dev.db ]'
run W --db sqlite:file-dev.db table list
is "conf: table created in the file's dev" "$out" "a_file"
run W --target prod table create p_file --pk id </dev/null
is "confirm = yes, not a terminal, no --yes: exit 1" "$rc" 1
is "confirm = yes: message" "$err" "whimbrel: target prod asks for confirmation (confirm = yes): pass --yes to create table p_file"
ok "confirm = yes: nothing created" '[ ! -f file-prod.db ] || [ -z "$("$WHIMBREL" --db sqlite:file-prod.db table list)" ]'
W --target prod table create p_file --pk id --yes >/dev/null 2>&1
run W --db sqlite:file-prod.db table list
is "conf: --target prod uses [prod]" "$out" "p_file"
run W --target prod item put p_file '{"id":"a"}' </dev/null
is "confirm = yes: item put refused" "$rc" 1
run W --target prod item put p_file '{"id":"a"}' -y
is "confirm = yes: item put --yes" "$rc" 0
echo '{"id":"b"}' >one.jsonl
run W --target prod import p_file one.jsonl
is "confirm = yes: import refused" "$rc" 1
run W --target prod import p_file one.jsonl --yes
is "confirm = yes: import --yes" "$out" "imported 1 item into p_file"
run W --target prod item delete p_file '{"id":"a"}'
is "confirm = yes: delete refused" "$rc" 1
run W --target prod item get p_file '{"id":"a"}'
is "confirm = yes: reads need no confirmation" "$rc" 0
run W --target prod scan p_file
is "confirm = yes: scan needs no confirmation" "$(printf '%s\n' "$out" | wc -l)" 2
run W --db sqlite:file-prod.db item delete p_file '{"id":"a"}'
is "--db URL: no confirmation" "$rc" 0
run W item put a_file '{"id":"a"}'
is "dev: no confirmation by default" "$rc" 0
WHIMBREL_DEV_DB=sqlite:env-dev.db W table create b_env --pk id >/dev/null 2>&1
run W --db sqlite:env-dev.db table list
is "env overrides the file" "$out" "b_env"
run W table list
is "env override left the file's target alone" "$out" "a_file"
WHIMBREL_PROD_DB=sqlite:env-prod.db W --target prod table create q_env --pk id --yes >/dev/null 2>&1
run W --db sqlite:env-prod.db table list
is "WHIMBREL_PROD_DB overrides [prod]" "$out" "q_env"
WHIMBREL_DEV_DB=sqlite:env-dev.db W --db sqlite:flag.db table create c_flag --pk id >/dev/null 2>&1
run W --db sqlite:flag.db table list
is "--db overrides env and file" "$out" "c_flag"
run W --db=sqlite:flag.db table list
is "--db=URL" "$out" "c_flag"
run W --db sqlite:env-dev.db table list
is "--db: env target untouched" "$out" "b_env"
run env WHIMBREL_DEV_DB= "$WHIMBREL" table list
is "empty WHIMBREL_DEV_DB counts as unset" "$out" "a_file"

# --config FILE
printf '[dev]\ndb = sqlite:other.db\n' >other.conf
W --config other.conf table create d_other --pk id >/dev/null 2>&1
run W --db sqlite:other.db table list
is "--config FILE" "$out" "d_other"
run W --config missing.conf table list
is "--config missing file: exit 1" "$rc" 1
has "--config missing file: message" "$err" "missing.conf"

# malformed configuration: one line, FILE:LINE
printf '[dev]\ndb = sqlite:x.db\nthis is not ini\n' >whimbrel.conf
run W table list
is "malformed config: exit 1" "$rc" 1
is "malformed config: FILE:LINE message" "$err" "whimbrel: whimbrel.conf:3: expected '[section]' or 'key = value'"
run W --db sqlite:flag.db table list
is "malformed config ignored with --db" "$rc" 0
printf 'db = sqlite:x.db\n' >whimbrel.conf
run W table list
has "key outside a section" "$err" "whimbrel.conf:1: key 'db' outside any [section]"
printf '[dev]\ndb =\n' >whimbrel.conf
run W table list
is "empty db: exit 1" "$rc" 1
has "empty db: message" "$err" "whimbrel.conf:2:"
printf '[dev]\ndb = sqlite:a.db\ndb = sqlite:b.db\n' >whimbrel.conf
run W table list
has "duplicate key" "$err" "whimbrel.conf:3: key 'db' of [dev] already set on line 2"
printf '[dev]\ndb = sqlite:a.db\nconfirm = perhaps\n' >whimbrel.conf
run W table list
is "confirm not a boolean: exit 1" "$rc" 1
is "confirm not a boolean: message" "$err" "whimbrel: whimbrel.conf:3: confirm = perhaps: use yes or no"
printf '[prod]\ndb = sqlite:a.db\nconfim = yes\n' >whimbrel.conf
run W --target prod table list
is "unknown key: exit 1" "$rc" 1
is "unknown key: FILE:LINE message" "$err" "whimbrel: whimbrel.conf:3: unknown key 'confim' in [prod] (known keys: db, confirm, concurrency, journal_days, snapshot_days)"
ok "unknown key: nothing created" '[ ! -f a.db ]'
rm whimbrel.conf

# URLs and targets that cannot work
run W --db mysql://x table list
is "unknown scheme: exit 1" "$rc" 1
has "unknown scheme: message" "$err" "mysql://x"
run W --target 'a b' table list
is "bad target name: exit 1" "$rc" 1
run W --db
is "--db without URL: exit 2" "$rc" 2

# credentials never printed
run W --db 'dynamodb://AKIDEXAMPLE:s3cr3tpassw0rd@127.0.0.1:1' table list
ok "credentials not printed (stderr)" '! printf "%s" "$err" | grep -q s3cr3t'
ok "credentials not printed (stdout)" '! printf "%s" "$out" | grep -q s3cr3t'

# global help and version
run W --help
is "--help: exit 0" "$rc" 0
has "--help: mentions --target" "$out" "--target NAME"
run W --version
is "--version: exit 0" "$rc" 0
run W --bogus
is "unknown global option: exit 2" "$rc" 2
run W bogus
is "unknown command: exit 2" "$rc" 2
run W
is "no command: exit 2" "$rc" 2
# input echoed in messages is escaped; empty global option values are usage errors
run W $'bo\x1bgus'
is "ESC in a command: exit 2" "$rc" 2
clean1 "ESC in a command: one clean line" "$err"
has "ESC in a command: escaped" "$err" "'bo\x1bgus'"
run W $'--bo\ngus'
clean1 "newline in a global option: one clean line" "$err"
run W --db '' table list
is "--db '': exit 2" "$rc" 2
clean1 "--db '': one line" "$err"
run W --target '' table list
is "--target '': exit 2" "$rc" 2
run W --config '' table list
is "--config '': exit 2" "$rc" 2

# output that cannot be written is reported (once)
"$WHIMBREL" --help >/dev/full 2>"$T/.err"; rc=$?; err=$(cat "$T/.err")
is "--help to a full disk: exit 1" "$rc" 1
clean1 "--help to a full disk: one line" "$err"
has "--help to a full disk: says so" "$err" "whimbrel: cannot write the output"
"$WHIMBREL" --db sqlite:full.db table list >/dev/full 2>"$T/.err"; rc=$?; err=$(cat "$T/.err")
is "table list to a full disk: exit 0 (nothing to write)" "$rc" 0
"$WHIMBREL" --db sqlite:full.db table create fulltab --pk a 2>/dev/null
"$WHIMBREL" --db sqlite:full.db table list >/dev/full 2>"$T/.err"; rc=$?; err=$(cat "$T/.err")
is "table list to a full disk: exit 1" "$rc" 1
clean1 "table list to a full disk: reported once" "$err"
# a global option given twice is refused, not silently overridden
run W --db sqlite:a.db --db=sqlite:b.db table list
is "--db twice: exit 2" "$rc" 2
has "--db twice: says so" "$err" "--db given twice"
run W --target dev --target prod table list
is "--target twice: exit 2" "$rc" 2
# a key on the line of its section header: say what is wrong
mkdir -p sameline && printf '[dev] db = sqlite:x.db\n' > sameline/whimbrel.conf
run W --config sameline/whimbrel.conf table list
is "key after [section]: exit 1" "$rc" 1
is "key after [section]: message" "$err" "whimbrel: sameline/whimbrel.conf:1: text after ']': put each key = value on its own line"
echo "1..$n"
