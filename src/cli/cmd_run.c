/*
 * cmd_run.c - `whimbrel run`, `whimbrel plan`, `whimbrel unlock`, `whimbrel stamp`.
 *
 * Argument parsing, the prod confirmation and the exit code; the run
 * itself (compile, lease, checkpoints, ledger, child process, header
 * stamp) is the runner's wb_runner_run (src/runner/runner.c).  Before a
 * prod run, the prod guard (guard.c) checks that the file is committed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"
#include "guard.h"

/* The command line of run / plan. */
struct opts {
	const char *cmd;      /* "run" or "plan" */
	int plan;             /* plan mode */
	const char *target;   /* dev or prod */
	const char *path;     /* the migration file */
	wb_run_options ro;    /* as typed: --restart, --no-stamp, --threads, --diffs, --journal /
	                         --no-journal, --unconditional, --no-snapshot */
	int yes;              /* --yes */
	int allow_dirty;      /* --allow-dirty */
	int concurrency;      /* --concurrency N (0 = the target's setting, else the default) */
	const char *dir;      /* --dir DIR: the migrations directory (prod runs take files of it only) */
	wb_run_control limits; /* --max-wcu, --max-rcu, --max-rate, --capacity */
	const char *prices;   /* plan: --prices FILE */
	int json;             /* plan: --json */
};

/* What the confirmation callback needs. */
struct ask {
	wb_cli *cli;          /* global options */
	const struct opts *o; /* command line */
	int refused;          /* it refused (and said why) */
};

const char wb_cli_help_run[] =
	"usage: whimbrel run dev|prod FILE [--yes] [--threads N] [--restart] [--no-stamp]\n"
	"                                 [--journal | --no-journal] [--no-snapshot]\n"
	"                            [--concurrency N] [--unconditional]\n"
	"                            [--allow-dirty] [--dir DIR]\n"
	"                            [--max-wcu N] [--max-rcu N] [--max-rate N]\n"
	"                            [--capacity P%]\n"
	"\n"
	"Compile the migration FILE and run it on the dev or prod target.  The run is\n"
	"recorded in the target's ledger (whimbrel_runs) with its output (whimbrel log),\n"
	"holds the migration's lease while it runs (a second run exits 3 at once), and\n"
	"checkpoints every batch: a run that was interrupted (Ctrl-C, crash, kill -9)\n"
	"resumes where it stopped the next time.  A prod run asks for confirmation on a\n"
	"terminal and stamps its times into the file's header when it ends.  A prod run\n"
	"refuses a FILE that is not committed or differs from HEAD (its header's times\n"
	"aside); the ledger records the commit.\n"
	"\n"
	"  --yes          do not ask for confirmation (required for prod without a terminal)\n"
	"  --threads N    scan threads for wb_each (default: the number of cores;\n"
	"                 1 on an SQLite target, whose writes serialize)\n"
	"  --concurrency N  DynamoDB requests in flight per process (default: the\n"
	"                 target's `concurrency =` in whimbrel.conf, else 32)\n"
	"  --unconditional  DynamoDB: write without conditions, by BatchWriteItem of 25:\n"
	"                 faster, but overwrites whatever another writer changed in an\n"
	"                 item since it was read (maintenance windows only); needs --yes\n"
	"                 on a terminal; the ledger records it\n"
	"  --restart      ignore the checkpoints of an interrupted run: start over\n"
	"  --no-stamp     do not write the run's times into the header (prod)\n"
	"  --no-journal   do not journal the before-image of every item written\n"
	"                 (prod journals by default: `whimbrel revert RUN` needs it;\n"
	"                 the ledger records which runs have a journal)\n"
	"  --journal      journal a dev run too\n"
	"  --no-snapshot  prod on an embedded (SQLite) target: do not take the snapshot of\n"
	"                 the target a run starts with (`whimbrel restore` goes back to\n"
	"                 it); the ledger records it\n"
	"  --allow-dirty  run a FILE that is not committed on prod; the ledger records it\n"
	"  --dir DIR      the migrations directory (default: migrations): a prod run\n"
	"                 takes only a file DIR/NNNN_slug.c with a well-formed header\n"
	"  --max-wcu N    at most N write capacity units per second (DynamoDB)\n"
	"  --max-rcu N    at most N read capacity units per second (DynamoDB)\n"
	"  --max-rate N   at most N items per second (SQLite; DynamoDB too)\n"
	"  --capacity P%  P percent of the table's provisioned capacity, GSIs included\n"
	"                 (an on-demand table has none: use --max-wcu)\n"
	"                 Throttling lowers the rate (halved, then recovering); the\n"
	"                 limits can change while it runs: whimbrel limit / pause\n"
	"\n"
	"Exit: 0 succeeded, 1 failed (or does not compile), 3 another run holds the\n"
	"lease, 130 interrupted.  See whimbrel-run(1).\n";

const char wb_cli_help_plan[] =
	"usage: whimbrel plan dev|prod FILE [--diffs N] [--threads N] [--concurrency N]\n"
	"                                  [--max-wcu N] [--max-rcu N] [--max-rate N]\n"
	"                                  [--prices FILE] [--json]\n"
	"\n"
	"Run the migration FILE on the target with every write intercepted: print how\n"
	"many items would be written, deleted or left unchanged, and the first N\n"
	"before/after diffs (default 10).  Nothing is written to the target's data and no\n"
	"checkpoint is kept; the plan is recorded in the ledger with mode `plan`.\n"
	"--max-rcu N and --max-rate N pace its reads as they pace a run (whimbrel run\n"
	"--help).\n"
	"\n"
	"It also estimates what the run would consume on DynamoDB: the read and write\n"
	"capacity units of the items it read and would write (index writes included),\n"
	"the time at the given limits, and the cost at on-demand prices and per hour of\n"
	"provisioned capacity (whimbrel-plan(1)).\n"
	"\n"
	"  --max-wcu N    the write units per second the run may take (for the time)\n"
	"  --max-rcu N    the read units per second the run may take (paces the plan too)\n"
	"  --max-rate N   items per second (paces the plan)\n"
	"  --prices FILE  the price table (default: `prices =` of the target in\n"
	"                 whimbrel.conf, else the installed share/whimbrel/prices.ini)\n"
	"  --json         print the counts and the estimate as one JSON object\n";

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

/* A limit of --max-wcu / --max-rcu as the estimate's units per second (0: none given). */
static int limit_int(double v)
{
	return v > 0 && v < INT_MAX ? (int)v : 0;
}

/* When `a` is a flag (an option without a value) of o->cmd, set what it sets and return 1. */
static int take_flag(struct opts *o, const char *a)
{
	const struct {
		const char *name;
		int plan;   /* a flag of plan (else of run) */
		int *field;
		int value;
	} flags[] = {
		{"--yes", 0, &o->yes, 1},
		{"--restart", 0, &o->ro.restart, 1},
		{"--no-stamp", 0, &o->ro.no_stamp, 1},
		{"--journal", 0, &o->ro.journal, 1},
		{"--no-journal", 0, &o->ro.journal, 0},
		{"--no-snapshot", 0, &o->ro.snapshot, 0},
		{"--allow-dirty", 0, &o->allow_dirty, 1},
		{"--unconditional", 0, &o->ro.unconditional, 1},
		{"--json", 1, &o->json, 1},
	};

	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		if (flags[k].plan == o->plan && strcmp(a, flags[k].name) == 0) {
			*flags[k].field = flags[k].value;
			return 1;
		}
	}
	return 0;
}

static int parse(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int *num = NULL, code = 0;
		if (wb_cli_limit_option(&o->limits, o->cmd, argc, argv, &i, &code)) {
			if (code)
				return code;
			continue;
		}
		if (take_flag(o, a))
			continue;
		if (!o->plan && strcmp(a, "--dir") == 0 && i + 1 < argc)
			o->dir = argv[++i];
		else if (!o->plan && strcmp(a, "--dir") == 0)
			return wb_cli_usage(o->cmd, "--dir needs a directory");
		else if (strcmp(a, "--threads") == 0)
			num = &o->ro.threads;
		else if (strcmp(a, "--concurrency") == 0)
			num = &o->concurrency;
		else if (o->plan && strcmp(a, "--diffs") == 0)
			num = &o->ro.diffs;
		else if (o->plan && strcmp(a, "--prices") == 0 && i + 1 < argc)
			o->prices = argv[++i];
		else if (o->plan && strcmp(a, "--prices") == 0)
			return wb_cli_usage(o->cmd, "--prices needs a file");
		else if (a[0] == '-' && a[1])
			return wb_cli_usage(o->cmd, "unknown option '%s'", a);
		else if ((code = wb_cli_take_arg(o->cmd, a, &o->target, &o->path)) != 0)
			return code;
		if (num && (i + 1 >= argc || parse_int(argv[++i], num) < 0))
			return wb_cli_usage(o->cmd, "%s needs a number", a);
	}
	if (!o->target || !o->path)
		return wb_cli_usage(o->cmd, "expected dev|prod and a migration FILE");
	if (o->concurrency > 256)
		return wb_cli_usage(o->cmd, "--concurrency is from 1 to 256");
	if (!wb_cli_is_target(o->target))
		return wb_cli_usage(o->cmd, "unknown target '%s': dev or prod", o->target);
	return 0;
}

/* ----------------------------------------------------------- confirmation */

static void show_tables(wb_db *db)
{
	char **names = NULL;
	size_t n = 0;

	if (wb_table_list(&names, &n, db) < 0) {
		fprintf(stderr, "  (tables unknown: %s)\n", wb_error_last());
		return;
	}
	for (size_t i = 0; i < n; i++) {
		wb_table_desc d;
		if (strncmp(names[i], "whimbrel_", 9) == 0)
			continue;
		if (wb_table_describe(&d, db, names[i]) == 0 && d.item_count >= 0)
			fprintf(stderr, "  table %-30s %lld items\n", names[i], (long long)d.item_count);
		else
			fprintf(stderr, "  table %-30s (item count unknown)\n", names[i]);
	}
	wb_strings_free(names);
}

/* What --unconditional risks, said wherever it is used on prod. */
static const char unconditional_risk[] =
	"writes without conditions overwrite whatever another writer changed in an item since it was read";

/*
 * --unconditional is refused without --yes when stdin is a terminal: a
 * person at the keyboard must have said yes to blind overwrites.
 */
static int unconditional_refused(const struct opts *o, int stdin_tty)
{
	return o->ro.unconditional && !o->yes && stdin_tty;
}

/* wb_confirm_fn: before prod, ask on the terminal unless --yes or confirm = no. */
static int confirm(wb_db *db, const wb_migration_id *m, const char *url, void *arg)
{
	struct ask *a = arg;
	char answer[32];

	if (a->o->ro.unconditional && strcmp(a->o->target, "prod") == 0 && (a->o->yes ||
									!wb_cli_target_confirm(a->cli, "prod")))
		fprintf(stderr, "whimbrel: --unconditional on prod: %s\n", unconditional_risk);
	if (a->o->plan || a->o->yes || strcmp(a->o->target, "prod") != 0)
		return 0;
	if (!wb_cli_target_confirm(a->cli, "prod"))
		return 0;
	a->refused = 1;
	if (!isatty(STDIN_FILENO))
		return wb_cli_fail("refusing to run %s on prod without confirmation: stdin is not "
				   "a terminal (pass --yes)", m->name), WB_ERROR;
	fprintf(stderr, "About to run %s on prod: %s\n", m->name, url);
	if (a->o->ro.unconditional)
		fprintf(stderr, "  UNCONDITIONAL: %s\n", unconditional_risk);
	show_tables(db);
	fprintf(stderr, "Type 'yes' to run it: ");
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin) || strncmp(answer, "yes", 3) != 0 ||
	    (answer[3] != '\n' && answer[3] != '\0'))
		return wb_cli_fail("not confirmed: nothing was run"), WB_ERROR;
	a->refused = 0;
	return 0;
}

/* ------------------------------------------------------- prod: the file */

/* The directory part of path ("." when none) into buf. */
static void dir_of(char *buf, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, size, ".");
	else if (slash == path)
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

/* Is the file at path in directory dir (both resolved)? */
static int in_dir(const char *path, const char *dir)
{
	char d[PATH_MAX], want[PATH_MAX], got[PATH_MAX];

	dir_of(d, sizeof(d), path);
	return realpath(dir, want) && realpath(d, got) && strcmp(want, got) == 0;
}

/* Its header: present and without a grammar problem. */
static int header_ok(const char *path, const char *shown)
{
	wb_header *h = NULL;
	int rc = wb_header_parse_file(&h, path), code = WB_EXIT_OK;
	const wb_header_problem *p;

	if (rc < 0 && !h)
		return wb_cli_fail("%s", wb_error_last());
	if (rc == WB_EINVALID)
		code = wb_cli_fail("refusing to run %s on prod: it has no header comment (`whimbrel new` "
				   "writes one; see whimbrel-lint(1))", shown);
	else if (wb_header_problem_count(h) > 0 && (p = wb_header_problem_at(h, 0)))
		code = wb_cli_fail("refusing to run %s on prod: its header is not well formed: line %d: %s "
				   "(`whimbrel lint`)", shown, p->line, p->msg);
	wb_header_free(h);
	return code;
}

/*
 * Before a prod run, without compiling anything: the file is a migration
 * of the migrations directory (DIR/NNNN_slug.c, so that its name, which
 * keys its ledger rows, lease and checkpoints, is one file's) and its
 * header, which the run stamps, is well formed.
 */
static int check_prod_file(const struct opts *o)
{
	const char *base = strrchr(o->path, '/'), *dir = o->dir ? o->dir : "migrations";
	char shown[512], d[512];

	base = base ? base + 1 : o->path;
	wb_escape_line(shown, sizeof(shown), o->path);
	wb_escape_line(d, sizeof(d), dir);
	if (!wb_migration_name_ok(NULL, base))
		return wb_cli_fail("refusing to run %s on prod: its name is not NNNN_slug.c (four digits "
				   "or more, '_', then lower-case letters, digits and '_')", shown);
	if (access(o->path, R_OK) != 0)
		return wb_cli_fail("cannot read %s", shown);
	if (!in_dir(o->path, dir))
		return wb_cli_fail("refusing to run %s on prod: it is not in the migrations directory %s "
				   "(--dir DIR names another)", shown, d);
	return header_ok(o->path, shown);
}

/* ------------------------------------------------------------------ run */

static int run_migration(wb_cli *cli, const struct opts *o)
{
	wb_run_options ro = o->ro;
	struct ask a = {cli, o, 0};
	wb_cli_origin origin = {"", ""};
	wb_ledger_run rec;
	char *url = NULL;
	wb_db *db = NULL;
	int code, rc;

	if (unconditional_refused(o, isatty(STDIN_FILENO)))
		return wb_cli_fail("refusing --unconditional without --yes on a terminal: %s; pass --yes "
				   "to confirm (docs/dynamodb.md)", unconditional_risk);
	if (!o->plan && strcmp(o->target, "prod") == 0 && (code = check_prod_file(o)) != 0)
		return code;
	if ((code = wb_cli_concurrency(cli, o->target, o->concurrency)) != 0)
		return code;
	/* opened here first: a bad target is reported as every command reports it, and
	 * the .whimbrel directory of the embedded default is created */
	if (!o->plan && strcmp(o->target, "prod") == 0 &&
	    (code = wb_cli_guard(&origin, "run", o->path, o->target, o->allow_dirty)) != 0)
		return code;
	if ((code = wb_cli_runner_open(&db, &url, cli, o->target)) != 0)
		return code;
	wb_close(db);
	if ((code = wb_cli_limits_check(&o->limits, o->cmd, url)) != 0) {
		wb_string_free(url);
		return code;
	}
	ro.control = wb_cli_limits_set(&o->limits) ? &o->limits : NULL;
	ro.commit = origin.commit;
	ro.dirty = origin.dirty;
	ro.path = o->path;
	ro.url = url;
	ro.mode = o->target;
	ro.plan = o->plan;
	ro.progress = cli->isatty_out && !cli->quiet;
	ro.confirm = confirm;
	ro.confirm_arg = &a;
	ro.plan_quiet = o->json;
	rc = wb_runner_run(&rec, &ro);
	wb_string_free(url);
	if (rc == 0 && o->plan && strcmp(rec.status, "succeeded") == 0)
		return wb_cli_plan_estimate(cli, &rec, o->target, o->prices, limit_int(o->limits.max_rcu),
					    limit_int(o->limits.max_wcu), o->json);
	if (rc == 0)
		return wb_cli_exit_of_run(&rec);
	if (a.refused)
		return WB_EXIT_ERROR;
	return wb_cli_error(rc); /* WB_EBUSY: another run holds the lease, exit 3 */
}

int wb_cmd_run(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {.cmd = "run", .ro = WB_RUN_OPTIONS_INIT, .limits = WB_RUN_CONTROL_INIT};
	int code;

	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	return run_migration(cli, &o);
}

int wb_cmd_plan(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {.cmd = "plan", .plan = 1, .ro = WB_RUN_OPTIONS_INIT, .limits = WB_RUN_CONTROL_INIT};
	int code;

	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	return run_migration(cli, &o);
}

/* ------------------------------------------------------------------ unlock */

/*
 * Whether lease l is held by a live process of this host (its run is
 * going on: unlocking it needs --force).
 */
static int live_here(const wb_lease *l)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		return 0;
	host[sizeof(host) - 1] = '\0';
	return strcmp(host, l->host) == 0 && !wb_lease_stale(l);
}

const char wb_cli_help_unlock[] =
	"usage: whimbrel unlock MIGRATION [dev|prod] [--force]\n\n"
	"Delete the lease of MIGRATION (a name like 0001_add_price_to_cars, or its file)\n"
	"on the target (default: --target, else dev).  For a run that is known to be\n"
	"dead; a dead run's lease also expires by itself (60 s).  A lease held by a\n"
	"live process of this host is kept unless --force: its run then stops at its\n"
	"next heartbeat.\n";

/* Unlock `name` on target; force: even a live local run's lease. */
static int unlock_one(wb_db *db, const char *name, const char *target, int force)
{
	char since[32];
	wb_lease l;
	int rc = wb_lock_get(&l, db, name);

	if (rc == WB_ENOTFOUND) {
		printf("%s is not locked on %s\n", name, target);
		return WB_EXIT_OK;
	}
	if (rc < 0)
		return wb_cli_fail("cannot unlock %s: %s", name, wb_error_last());
	if (live_here(&l) && !force)
		return wb_cli_fail("refusing to unlock %s on %s: it is held by run %s, a live process "
				   "(pid %lld) of this host; stop that run, or pass --force", name, target,
				   l.run_id, (long long)l.pid);
	if (wb_lock_break(db, name) < 0)
		return wb_cli_fail("cannot unlock %s: %s", name, wb_error_last());
	wb_format_utc(since, sizeof(since), l.acquired);
	printf("unlocked %s on %s (was held by %s since %s UTC)\n", name, target, l.holder, since);
	if (!wb_lease_stale(&l))
		fprintf(stderr, "whimbrel: warning: that lease had not expired: if run %s is alive, it "
			"stops at its next heartbeat\n", l.run_id);
	return WB_EXIT_OK;
}

int wb_cmd_unlock(wb_cli *cli, int argc, char **argv)
{
	char name[256];
	const char *target = wb_cli_target_name(cli), *mig = NULL;
	wb_migration_id id;
	wb_cli_opt opts[] = {{"--force", NULL, 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	wb_db *db;
	int code;

	if ((code = wb_cli_parse_operand("unlock", opts, argc, argv, &target, &mig, "which migration?")) != 0)
		return code;
	snprintf(name, sizeof(name), "%s", wb_migration_id_parse(&id, mig) == 0 ? id.name : mig);
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	code = unlock_one(db, name, target, opts[0].seen > 0);
	wb_close(db);
	return code;
}

/* ------------------------------------------------------------------- stamp */

static int stamped_already(const wb_header *h, int64_t exec)
{
	for (size_t i = 0; i < wb_header_run_count(h); i++)
		if ((int64_t)wb_header_run_at(h, i)->exec == exec)
			return 1;
	return 0;
}

static int stamp_from(wb_db *db, const char *path, const char *name)
{
	wb_ledger_run *runs = NULL;
	wb_header *h = NULL;
	size_t n = 0, done = 0;
	int code = WB_EXIT_OK;

	if (wb_ledger_list(&runs, &n, db, name) < 0)
		return wb_cli_fail("cannot read the ledger: %s", wb_error_last());
	if (wb_header_parse_file(&h, path) < 0 && !h) {
		wb_ledger_runs_free(runs);
		return wb_cli_fail("%s: %s", path, wb_error_last());
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(runs[i].mode, "prod") != 0 || runs[i].finished <= 0 ||
		    stamped_already(h, runs[i].started))
			continue;
		if (wb_header_stamp(path, (time_t)runs[i].started, (time_t)runs[i].finished,
				     runs[i].status) < 0) {
			code = wb_cli_fail("cannot stamp %s: %s", path, wb_error_last());
			break;
		}
		printf("stamped run %s (%s)\n", runs[i].run_id, runs[i].status);
		done++;
	}
	if (code == WB_EXIT_OK && !done)
		printf("%s: every prod run is already in the header\n", path);
	wb_header_free(h);
	wb_ledger_runs_free(runs);
	return code;
}

const char wb_cli_help_stamp[] =
	"usage: whimbrel stamp FILE [prod|dev]\n\n"
	"Write into FILE's header the Execution / Finalization times of every finished\n"
	"prod run of it recorded in the target's ledger (default prod) that the header\n"
	"does not hold yet: for a run made with --no-stamp, or a header lost in a merge.\n";

int wb_cmd_stamp(wb_cli *cli, int argc, char **argv)
{
	const char *path = NULL, *target = "prod";
	wb_migration_id id;
	wb_cli_opt opts[] = {{NULL, NULL, 0, 0, {0}}};
	wb_db *db;
	int code;

	if ((code = wb_cli_parse_operand("stamp", opts, argc, argv, &target, &path, "which migration file?")) != 0)
		return code;
	if (wb_migration_id_parse(&id, path) < 0)
		return wb_cli_fail("%s", wb_error_last());
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	code = stamp_from(db, path, id.name);
	wb_close(db);
	return code;
}
