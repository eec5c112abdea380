/*
 * cmd_prune.c - `whimbrel prune`: delete migrations past their retention,
 * and `whimbrel prune --check`, the CI check that the bulk deletion of
 * January or July happened.
 *
 * A migration's age counts from, in this order: the latest Finalization
 * Time of its header; else its last finished prod run in the ledger
 * (whimbrel_runs of the prod target, when reachable); else the date of the
 * git commit that added the file; else the file's modification time.  A
 * migration that never ran in prod is never deleted.  Deletion is one bulk
 * `git rm` in a git work tree, plain unlink otherwise.  The policy and exit
 * codes are in docs/retention.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "cli.h"
#include "tools.h"

#define DAY 86400

enum source { SRC_HEADER, SRC_LEDGER, SRC_GIT, SRC_MTIME, SRC_NONE };

/* What each source's time means, for the listing. */
static const char *const source_text[] = {
	"header: finalized", "ledger: last prod run finished", "git: added", "mtime: modified", "unknown",
};

/* Options of one prune invocation. */
struct prune_opts {
	const char *dir;   /* migrations directory */
	long days;         /* --older-than, in days */
	time_t now;        /* --now or the clock */
	int dry_run;       /* --dry-run: list, delete nothing */
	int yes;           /* --yes: no confirmation */
	int check;         /* --check: CI mode */
	int verbose;       /* -v: every migration and the ledger's fate */
	int no_ledger;     /* --no-ledger: do not open the prod target */
};

/* The ledger's view of one migration. */
struct ledger_row {
	char *migration;   /* base name without ".c" (malloc'd) */
	time_t finished;   /* latest finished prod run, or 0 */
};

/* The prod runs of the ledger, one row per migration. */
struct ledger {
	int reachable;          /* the ledger could be read */
	struct ledger_row *v;   /* malloc'd */
	size_t n;               /* rows */
};

/* One migration file and its verdict. */
struct mig {
	const char *name;  /* file name (owned by the listing) */
	time_t since;      /* the time its age counts from */
	enum source src;   /* where `since` came from */
	int ran;           /* ran in prod (header pair or ledger run) */
	int header_bad;    /* its header has problems (lint lists them) */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: whimbrel prune [--dir DIR] [--older-than Nd] [--dry-run] [--yes] [--now DATE]\n"
		   "       whimbrel prune --check [--dir DIR] [--older-than Nd] [--now DATE]\n"
		   "       whimbrel prune --journal [prod|dev] [--older-than Nd] [--dry-run] [--yes]\n"
		   "                  (the journal of old runs: whimbrel prune --journal --help)\n"
		   "       whimbrel prune --snapshots [prod|dev] [--older-than Nd] [--dry-run] [--yes]\n"
		   "                  (old snapshots of an embedded target: the same help)\n"
		   "\n"
		   "Delete, in one bulk operation (git rm in a git work tree), every migration\n"
		   "older than the retention limit.  A migration's age counts from the latest\n"
		   "Finalization Time of its header, else its last finished prod run in the\n"
		   "ledger, else the git commit that added it, else the file's modification time.\n"
		   "A migration that never ran in prod is never deleted.\n"
		   "\n"
		   "  --dir DIR         the migrations directory (default: migrations)\n"
		   "  --older-than Nd   the retention limit in days (default: 365d)\n"
		   "  --dry-run         list what would be deleted, delete nothing\n"
		   "  --yes             do not ask for confirmation (required when stdin is not a terminal)\n"
		   "  --check           delete nothing; fail if a migration was already past the limit\n"
		   "                    at the most recent 1 January or 1 July (a missed bulk deletion)\n"
		   "  --now DATE        the current time, \"YYYY-MM-DD\" or \"YYYY-MM-DD at HH:MM:SS UTC\"\n"
		   "  --no-ledger       do not read the prod target's ledger\n"
		   "  -v, --verbose     list every migration, and say why the ledger was not used\n"
		   "\n"
		   "Exit codes: 0 done, nothing to do, or nothing overdue; 1 error, declined, or\n"
		   "(--check) something overdue; 2 usage, or deletion without --yes when stdin is not\n"
		   "a terminal.  See whimbrel-prune(1).\n");
}

/* ---- the ledger ---- */

static struct ledger_row *ledger_row(struct ledger *l, const char *migration, int create)
{
	struct ledger_row *nv;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].migration, migration) == 0)
			return &l->v[i];
	if (!create || !(nv = realloc(l->v, (l->n + 1) * sizeof(*nv))))
		return NULL;
	l->v = nv;
	nv += l->n;
	if (!(nv->migration = strdup(migration)))
		return NULL;
	nv->finished = 0;
	l->n++;
	return nv;
}

/* The prod runs of the ledger (wb_ledger_list), the latest finish per migration. */
static int ledger_scan(struct ledger *l, wb_db *db)
{
	wb_ledger_run *runs = NULL;
	size_t n = 0;
	int rc = wb_ledger_list(&runs, &n, db, NULL);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct ledger_row *r;
		if (strcmp(runs[i].mode, "prod") != 0)
			continue;
		if (!(r = ledger_row(l, runs[i].migration, 1)))
			rc = WB_ENOMEM;
		else if ((time_t)runs[i].finished > r->finished)
			r->finished = (time_t)runs[i].finished;
	}
	wb_ledger_runs_free(runs);
	return rc;
}

/*
 * An embedded prod target whose database file does not exist has no ledger:
 * say so rather than create an empty database by opening it.  1 when there
 * is a prod target to read, 0 when not, -1 (printed) when whimbrel.conf is
 * malformed: that stops prune as it stops every command needing the file.
 */
static int prod_db_exists(wb_cli *cli, const struct prune_opts *o)
{
	char *url = NULL;
	int exists = 1, rc;

	if ((rc = wb_cli_target_url(&url, cli, "prod")) < 0) {
		if (rc != WB_ENOTFOUND) {
			wb_cli_fail("%s (--no-ledger does without the prod ledger)", wb_error_last());
			return -1;
		}
		if (o->verbose)
			fprintf(stderr, "whimbrel prune: ledger not used (prod target: %s)\n", wb_error_last());
		return 0;
	}
	if (strncmp(url, "sqlite:", 7) == 0 && access(url + 7, F_OK) != 0) {
		exists = 0;
		if (o->verbose)
			fprintf(stderr, "whimbrel prune: ledger not used (prod database %s does not exist)\n",
				url + 7);
	}
	wb_string_free(url);
	return exists;
}

/*
 * Load the prod ledger.  Not configured, unreachable or unreadable: the
 * source is skipped (l->reachable stays 0), with a note in verbose output.
 * Returns -1 (printed) only for a malformed whimbrel.conf.
 */
static int ledger_load(struct ledger *l, wb_cli *cli, const struct prune_opts *o)
{
	wb_db *db = NULL;
	int exists;

	memset(l, 0, sizeof(*l));
	if (o->no_ledger || (exists = prod_db_exists(cli, o)) == 0)
		return 0;
	if (exists < 0)
		return -1;
	if (wb_cli_open(&db, cli, "prod") < 0) {
		if (o->verbose)
			fprintf(stderr, "whimbrel prune: ledger not used (prod target: %s)\n", wb_error_last());
		return 0;
	}
	if (ledger_scan(l, db) < 0) {
		if (o->verbose)
			fprintf(stderr, "whimbrel prune: ledger not used (reading whimbrel_runs: %s)\n",
				wb_errmsg(db));
	} else {
		l->reachable = 1;
	}
	wb_close(db);
	return 0;
}

static void ledger_free(struct ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].migration);
	free(l->v);
}

/* ---- ages ---- */

static int in_git_work_tree(const char *dir)
{
	char *argv[] = {"git", "rev-parse", "--is-inside-work-tree", NULL};
	char *out = NULL;
	int yes = wb_cli_run(argv, dir, &out, 1) == 0 && out && strncmp(out, "true", 4) == 0;

	free(out);
	return yes;
}

/* The time of the (latest) commit that added `name` in dir, or 0. */
static time_t git_added(const char *dir, const char *name)
{
	char *argv[] = {"git", "--literal-pathspecs", "log", "--diff-filter=A", "--format=%ct", "--",
			(char *)name, NULL};
	char *out = NULL;
	time_t t = 0;

	if (wb_cli_run(argv, dir, &out, 1) == 0 && out)
		t = (time_t)strtoll(out, NULL, 10);
	free(out);
	return t;
}

/* Whether the header holds a filled pair (the run happened in prod). */
static int header_ran(const wb_header *h)
{
	for (size_t i = 0; i < wb_header_run_count(h); i++)
		if (wb_header_run_at(h, i)->exec && wb_header_run_at(h, i)->fin)
			return 1;
	return 0;
}

/* The age source and "ran in prod" of one migration. */
static void age_of(struct mig *m, const struct prune_opts *o, struct ledger *l, int git)
{
	char path[4096], base[4096];
	struct ledger_row *r = NULL;
	wb_header *h = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", o->dir, m->name);
	snprintf(base, sizeof(base), "%.*s", (int)strlen(m->name) - 2, m->name);
	wb_header_parse_file(&h, path);
	if (l->reachable)
		r = ledger_row(l, base, 0);
	m->ran = header_ran(h) || r != NULL;
	m->header_bad = wb_header_problem_count(h) > 0;
	m->src = SRC_NONE;
	if ((m->since = wb_header_last_finalization(h)) > 0)
		m->src = SRC_HEADER;
	else if (r && (m->since = r->finished) > 0)
		m->src = SRC_LEDGER;
	else if (git && (m->since = git_added(o->dir, m->name)) > 0)
		m->src = SRC_GIT;
	else if (stat(path, &st) == 0 && (m->since = st.st_mtime) > 0)
		m->src = SRC_MTIME;
	wb_header_free(h);
}

/* The most recent 1 January or 1 July, 00:00:00 UTC, at or before t. */
static time_t last_boundary(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mon = tm.tm_mon >= 6 ? 6 : 0;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return timegm(&tm);
}

static int over_limit(const struct mig *m, const struct prune_opts *o)
{
	return m->src != SRC_NONE && o->now - m->since >= o->days * DAY;
}

/* One listing line: VERDICT  PATH  AGE days (SOURCE TIME) [note]. */
static void print_mig(const char *verdict, const struct mig *m, const struct prune_opts *o, const char *note)
{
	char t[32], path[4096], esc[4 * sizeof(path)], more[256];

	if (!m->ran && m->header_bad && *note) { /* why a finalized header is "never run" */
		snprintf(more, sizeof(more), "%s (the header has problems: see whimbrel lint)", note);
		note = more;
	}
	snprintf(path, sizeof(path), "%s/%s", o->dir, m->name);
	wb_escape_line(esc, sizeof(esc), path); /* odd file names stay on one line */
	if (m->src == SRC_NONE) {
		printf("%-8s %s  age unknown (no header time, ledger run, git commit or mtime)%s\n",
		       verdict, esc, note);
		return;
	}
	wb_time_format(t, sizeof(t), m->since);
	printf("%-8s %s  %lld days (%s %s)%s\n", verdict, esc,
	       (long long)((o->now - m->since) / DAY), source_text[m->src], t, note);
}

/* ---- --check ---- */

static int run_check(const struct mig *v, size_t n, const struct prune_opts *o)
{
	time_t b = last_boundary(o->now);
	char bs[32], note[160];
	size_t overdue = 0;

	wb_time_format(bs, sizeof(bs), b);
	bs[10] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct mig *m = &v[i];
		int due = m->src != SRC_NONE && m->since + o->days * DAY <= b;
		if (due && m->ran) {
			snprintf(note, sizeof(note), ", past %ld days before %s", o->days, bs);
			print_mig("overdue", m, o, note);
			overdue++;
		} else if (due || (o->verbose && over_limit(m, o))) {
			print_mig(m->ran ? "due" : "kept", m, o, m->ran ? ", due at the next bulk deletion"
				  : ", never run in prod: never deleted");
		} else if (o->verbose) {
			print_mig("ok", m, o, "");
		}
	}
	if (overdue) {
		fprintf(stderr, "whimbrel prune --check: %zu migration%s overdue (past %ld days "
			"at the bulk deletion of %s): run `whimbrel prune`\n",
			overdue, overdue == 1 ? "" : "s", o->days, bs);
		return WB_EXIT_ERROR;
	}
	if (!o->verbose && n)
		printf("nothing overdue (%zu migration%s, last bulk deletion %s)\n", n, n == 1 ? "" : "s", bs);
	else if (!n)
		printf("nothing overdue (no migrations in %s)\n", o->dir);
	return WB_EXIT_OK;
}

/* ---- deletion ---- */

/* Ask on the terminal; 1 when the answer starts with y. */
static int confirm(size_t n, const struct prune_opts *o, int git)
{
	char line[64];

	fprintf(stderr, "Delete %zu migration%s from %s%s? [y/N] ", n, n == 1 ? "" : "s", o->dir,
		git ? " (git rm)" : "");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* The NUL-separated output of `git ls-files -z -- names`: which are tracked. */
static int git_tracked(const char *dir, char **names, size_t n, int *tracked)
{
	char **argv = calloc(n + 6, sizeof(*argv));
	char *out = NULL;
	int rc;

	if (!argv)
		return -1;
	argv[0] = "git", argv[1] = "--literal-pathspecs", argv[2] = "ls-files", argv[3] = "-z";
	argv[4] = "--";
	memcpy(argv + 5, names, n * sizeof(*names));
	rc = wb_cli_run(argv, dir, &out, 1);
	free(argv);
	if (rc != 0 || !out) {
		free(out);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		tracked[i] = 0;
		for (const char *s = out; *s; s += strlen(s) + 1)
			if (strcmp(s, names[i]) == 0)
				tracked[i] = 1;
	}
	free(out);
	return 0;
}

/*
 * One `git rm -q -- tracked...` in dir (literal pathspecs: a name is never a
 * glob); untracked files are unlinked after it.
 */
/* What a program said, on one line: blank runs become one space (in place; NULL -> ""). */
static const char *squeeze(char *s)
{
	size_t o = 0;

	if (!s)
		return "no message";
	for (size_t i = 0; s[i]; i++) {
		int blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
		if (blank && (o == 0 || s[o - 1] == ' '))
			continue;
		s[o++] = blank ? ' ' : s[i];
	}
	while (o && s[o - 1] == ' ')
		o--;
	s[o] = '\0';
	return o ? s : "no message";
}

static int git_remove(const char *dir, char **names, size_t n)
{
	int *tracked = calloc(n, sizeof(*tracked));
	char **argv = calloc(n + 6, sizeof(*argv));
	size_t k = 5;
	char *said = NULL;
	int rc = -1;

	if (!tracked || !argv || git_tracked(dir, names, n, tracked) < 0)
		goto done;
	argv[0] = "git", argv[1] = "--literal-pathspecs", argv[2] = "rm", argv[3] = "-q", argv[4] = "--";
	for (size_t i = 0; i < n; i++)
		if (tracked[i])
			argv[k++] = names[i];
	if (k > 5 && wb_cli_run(argv, dir, &said, WB_CLI_RUN_MERGE) != 0) {
		wb_cli_fail("git rm failed in %s (%s): nothing was deleted", dir, squeeze(said));
		goto done;
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!tracked[i] && unlink(path) < 0) {
			wb_cli_fail("cannot delete %s: %s", path, strerror(errno));
			rc = -1;
		}
	}
done:
	free(said);
	free(tracked);
	free(argv);
	return rc;
}

static int plain_remove(const char *dir, char **names, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) < 0) {
			wb_cli_fail("cannot delete %s: %s", path, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* List, confirm and delete the migrations over the limit that ran in prod. */
static int run_prune(const struct mig *v, size_t n, const struct prune_opts *o, int git)
{
	char **del = calloc(n + 1, sizeof(*del));
	size_t nd = 0, kept = 0;
	int rc = WB_EXIT_OK;

	if (!del)
		return wb_cli_fail("out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct mig *m = &v[i];
		if (over_limit(m, o) && m->ran) {
			print_mig(o->dry_run ? "would delete" : "delete", m, o, "");
			del[nd++] = (char *)m->name;
		} else if (over_limit(m, o) || (m->src == SRC_NONE && !m->ran)) {
			print_mig("keep", m, o, ", never run in prod");
			kept++;
		} else if (o->verbose) {
			print_mig("keep", m, o, "");
		}
	}
	if (nd == 0) {
		printf("nothing to delete: no migration that ran in prod is older than %ld days\n", o->days);
	} else if (o->dry_run) {
		printf("dry run: would delete %zu migration%s\n", nd, nd == 1 ? "" : "s");
	} else if (!o->yes && !isatty(STDIN_FILENO)) {
		rc = wb_cli_usage("prune", "refusing to delete %zu migration%s without --yes "
				  "(stdin is not a terminal)", nd, nd == 1 ? "" : "s");
	} else if (!o->yes && !confirm(nd, o, git)) {
		rc = wb_cli_fail("nothing deleted");
	} else if ((git ? git_remove(o->dir, del, nd) : plain_remove(o->dir, del, nd)) < 0) {
		rc = WB_EXIT_ERROR;
	} else {
		printf("deleted %zu migration%s%s\n", nd, nd == 1 ? "" : "s",
		       git ? " (staged with git rm: commit the deletion)" : "");
	}
	free(del);
	return rc;
}

/* ---- options ---- */

static int parse_days(long *out, const char *s)
{
	char *end;
	long d = strtol(s, &end, 10);

	if (end == s || d <= 0 || d > 100000 || (*end && strcmp(end, "d") != 0))
		return -1;
	*out = d;
	return 0;
}

/* The value of an option given as "--opt VALUE" or "--opt=VALUE", or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strcmp(argv[*i], opt) == 0 && *i + 1 < argc)
		return argv[++*i];
	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}

static int parse_flag(struct prune_opts *o, const char *a)
{
	if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0)
		o->dry_run = 1;
	else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0)
		o->yes = 1;
	else if (strcmp(a, "--check") == 0)
		o->check = 1;
	else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
		o->verbose = 1;
	else if (strcmp(a, "--no-ledger") == 0)
		o->no_ledger = 1;
	else
		return -1;
	return 0;
}

static int parse_args(struct prune_opts *o, int argc, char **argv)
{
	const char *now = NULL, *older = NULL, *v;

	memset(o, 0, sizeof(*o));
	o->dir = "migrations";
	o->days = 365;
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--dir")))
			o->dir = v;
		else if ((v = opt_value(argc, argv, &i, "--now")))
			now = v;
		else if ((v = opt_value(argc, argv, &i, "--older-than")))
			older = v;
		else if (parse_flag(o, argv[i]) < 0)
			return wb_cli_usage("prune", "unexpected argument '%s'", argv[i]);
	}
	if (older && parse_days(&o->days, older) < 0)
		return wb_cli_usage("prune", "bad --older-than '%s': expected a number of days such as 365d", older);
	o->now = time(NULL);
	return now ? wb_cli_now_arg(&o->now, "prune", now) : 0;
}

int wb_cmd_prune(wb_cli *cli, int argc, char **argv)
{
	struct prune_opts o;
	struct ledger l;
	struct mig *v = NULL;
	char **names = NULL, dirbuf[4096];
	size_t n = 0;
	int rc, git;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--journal") == 0 || strcmp(argv[i], "--snapshots") == 0)
			/* the journal's and the snapshots' retention: cmd_journal.c */
			return wb_cli_prune_journal(cli, argc, argv);
	if (wb_cli_wants_help(argc, argv)) {
		usage(stdout);
		return WB_EXIT_OK;
	}
	if ((rc = parse_args(&o, argc, argv)) != 0)
		return rc;
	o.dir = wb_cli_dir_arg(dirbuf, sizeof(dirbuf), o.dir); /* no "dir//file" in messages */
	if (wb_migration_list(&names, &n, o.dir, 0) < 0)
		return wb_cli_fail("%s", wb_error_last());
	if (!(v = calloc(n + 1, sizeof(*v)))) {
		wb_strings_free(names);
		return wb_cli_fail("out of memory");
	}
	if (ledger_load(&l, cli, &o) < 0) {
		free(v);
		wb_strings_free(names);
		return WB_EXIT_ERROR;
	}
	git = in_git_work_tree(o.dir);
	for (size_t i = 0; i < n; i++) {
		v[i].name = names[i];
		age_of(&v[i], &o, &l, git);
	}
	rc = o.check ? run_check(v, n, &o) : run_prune(v, n, &o, git);
	ledger_free(&l);
	free(v);
	wb_strings_free(names);
	return rc;
}
