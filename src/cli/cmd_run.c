/*
 * cmd_run.c - `whimbrel run`, `whimbrel plan`, `whimbrel unlock`, `whimbrel stamp`.
 *
 * The runner: resolve the target, compile the migration (compile.c), ask
 * for confirmation before prod, take the migration's lease (lock.c), decide
 * between resuming and starting over (checkpoint.c), record the run in the
 * ledger (ledger.c), run the program as a child (child.c) while a thread
 * heartbeats the lease, then record how it ended, release the lease, clear
 * the checkpoints of a finished run and, for prod, stamp the file's header.
 * The child can crash in any way without leaving the ledger or the lease
 * wrong: all of that is done here.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "runner.h"
#include "compile.h"
#include "child.h"
#include "checkpoint.h"
#include "header.h"
#include "ledger.h"
#include "lock.h"


/* The command line of run / plan. */
struct opts {
	const char *cmd;      /* "run" or "plan" */
	int plan;             /* plan mode */
	const char *target;   /* dev or prod */
	const char *path;     /* the migration file */
	int yes;              /* --yes */
	int restart;          /* --restart */
	int no_stamp;         /* --no-stamp */
	int threads;          /* --threads N (0 = default) */
	int diffs;            /* --diffs N */
};

/* The migration file. */
struct mig {
	char name[256];       /* base name without .c */
	char version[32];     /* leading number */
	char slug[256];       /* the rest */
	char *src;            /* contents (owned) */
	size_t len;           /* their length */
	char checksum[65];    /* SHA-256 hex */
};

/* A run in progress, as the runner keeps it. */
struct runner {
	wb_cli *cli;          /* global options */
	const struct opts *o; /* command line */
	struct mig m;         /* the migration */
	char *url;            /* target URL (owned) */
	wb_db *db;            /* target (owned) */
	char *exe;            /* compiled program (owned) */
	wb_ledger_run rec;    /* the ledger record */
	int locked;           /* we hold the lease */
	int unrecorded;       /* a plan the ledger could not take (a read-only target) */
	char resume_of[64];   /* run being resumed, or "" */
	int64_t seq;          /* next log line number */
	int64_t t0_ms;        /* start, for the duration */
};

static void run_help(void)
{
	printf("usage: whimbrel run dev|prod FILE [--yes] [--threads N] [--restart] [--no-stamp]\n"
	       "\n"
	       "Compile the migration FILE and run it on the dev or prod target.  The run is\n"
	       "recorded in the target's ledger (whimbrel_runs) with its output (whimbrel log),\n"
	       "holds the migration's lease while it runs (a second run exits 3 at once), and\n"
	       "checkpoints every batch: a run that was interrupted (Ctrl-C, crash, kill -9)\n"
	       "resumes where it stopped the next time.  A prod run asks for confirmation on a\n"
	       "terminal and stamps its times into the file's header when it ends.\n"
	       "\n"
	       "  --yes          do not ask for confirmation (required for prod without a terminal)\n"
	       "  --threads N    scan threads for wb_each (default: the number of cores;\n"
	       "                 1 on an SQLite target, whose writes serialize)\n"
	       "  --restart      ignore the checkpoints of an interrupted run: start over\n"
	       "  --no-stamp     do not write the run's times into the header (prod)\n"
	       "\n"
	       "Exit: 0 succeeded, 1 failed (or does not compile), 3 another run holds the\n"
	       "lease, 130 interrupted.  See docs/migrations.md.\n");
}

static void plan_help(void)
{
	printf("usage: whimbrel plan dev|prod FILE [--diffs N] [--threads N]\n"
	       "\n"
	       "Run the migration FILE on the target with every write intercepted: print how\n"
	       "many items would be written, deleted or left unchanged, and the first N\n"
	       "before/after diffs (default 10).  Nothing is written to the target's data and no\n"
	       "checkpoint is kept; the plan is recorded in the ledger with mode `plan`.\n");
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int *num = NULL;
		if (!o->plan && strcmp(a, "--yes") == 0)
			o->yes = 1;
		else if (!o->plan && strcmp(a, "--restart") == 0)
			o->restart = 1;
		else if (!o->plan && strcmp(a, "--no-stamp") == 0)
			o->no_stamp = 1;
		else if (strcmp(a, "--threads") == 0)
			num = &o->threads;
		else if (o->plan && strcmp(a, "--diffs") == 0)
			num = &o->diffs;
		else if (a[0] == '-' && a[1])
			return wb_cli_usage(o->cmd, "unknown option '%s'", a);
		else if (!o->target)
			o->target = a;
		else if (!o->path)
			o->path = a;
		else
			return wb_cli_usage(o->cmd, "unexpected argument '%s'", a);
		if (num && (i + 1 >= argc || parse_int(argv[++i], num) < 0))
			return wb_cli_usage(o->cmd, "%s needs a number", a);
	}
	if (!o->target || !o->path)
		return wb_cli_usage(o->cmd, "expected dev|prod and a migration FILE");
	if (!wb_cli_is_target(o->target))
		return wb_cli_usage(o->cmd, "unknown target '%s': dev or prod", o->target);
	return 0;
}

static int load_migration(struct mig *m, const char *path)
{
	if (wb_cli_migration_name(path, m->name, sizeof(m->name), m->version, sizeof(m->version),
				  m->slug, sizeof(m->slug)) < 0)
		return wb_cli_fail("%s: a migration is a C file (NNNN_name.c)", path);
	if (wb_cli_read_file(path, &m->src, &m->len) < 0)
		return wb_cli_fail("cannot read %s: %s", path, strerror(errno));
	wb_cli_sha256_hex(m->src, m->len, m->checksum);
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

static int confirm(struct runner *r)
{
	char answer[32];

	if (r->o->plan || r->o->yes || strcmp(r->o->target, "prod") != 0)
		return 0;
	if (!wb_cli_target_confirm(r->cli, "prod"))
		return 0;
	if (!isatty(STDIN_FILENO))
		return wb_cli_fail("refusing to run %s on prod without confirmation: stdin is not "
				   "a terminal (pass --yes)", r->m.name);
	fprintf(stderr, "About to run %s on prod: %s\n", r->m.name, r->url);
	show_tables(r->db);
	fprintf(stderr, "Type 'yes' to run it: ");
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin) || strncmp(answer, "yes", 3) != 0 ||
	    (answer[3] != '\n' && answer[3] != '\0'))
		return wb_cli_fail("not confirmed: nothing was run");
	return 0;
}

/* ------------------------------------------------------------- the record */

static void record_init(struct runner *r)
{
	wb_ledger_run *rec = &r->rec;
	struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");

	memset(rec, 0, sizeof(*rec));
	rec->started = (int64_t)time(NULL);
	wb__run_id_new(rec->run_id, sizeof(rec->run_id), rec->started);
	snprintf(rec->migration, sizeof(rec->migration), "%s", r->m.name);
	snprintf(rec->version, sizeof(rec->version), "%s", r->m.version);
	snprintf(rec->name, sizeof(rec->name), "%s", r->m.slug);
	snprintf(rec->checksum, sizeof(rec->checksum), "%s", r->m.checksum);
	snprintf(rec->target, sizeof(rec->target), "%s", r->url);
	snprintf(rec->mode, sizeof(rec->mode), "%s", r->o->plan ? "plan" : r->o->target);
	snprintf(rec->status, sizeof(rec->status), "running");
	if (gethostname(rec->host, sizeof(rec->host)) != 0)
		snprintf(rec->host, sizeof(rec->host), "unknown");
	rec->host[sizeof(rec->host) - 1] = '\0';
	snprintf(rec->user, sizeof(rec->user), "%s", user ? user : pw ? pw->pw_name : "unknown");
	rec->exit_code = -1;
}

static void note(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct runner *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "whimbrel: %s\n", line);
	wb_cli_child_log(r->db, r->rec.run_id, &r->seq, "runner", line);
}

/* A dead runner's run still says running: say what became of it. */
static void close_dead_run(struct runner *r, const wb_lease *old)
{
	wb_ledger_run dead;

	if (!old->run_id[0] || wb__ledger_get(r->db, old->run_id, &dead) < 0 ||
	    strcmp(dead.status, "running") != 0)
		return;
	snprintf(dead.status, sizeof(dead.status), "failed");
	snprintf(dead.error, sizeof(dead.error), "the runner died (its lease was taken over by run %s)",
		 r->rec.run_id);
	dead.finished = old->heartbeat > dead.started ? old->heartbeat : dead.started;
	dead.duration_ms = (dead.finished - dead.started) * 1000;
	dead.exit_code = -1;
	wb__ledger_put(r->db, &dead);
}

static int take_lease(struct runner *r)
{
	wb_lease old;
	char since[32];
	int rc = wb__lock_acquire(r->db, r->m.name, r->rec.run_id, &old);

	if (rc == WB_EBUSY) {
		wb_cli_fail("%s", wb_error_last());
		return WB_EXIT_BUSY;
	}
	if (rc < 0)
		return wb_cli_fail("cannot take the lease of %s: %s", r->m.name, wb_error_last());
	r->locked = 1;
	if (old.holder[0]) {
		wb_cli_fmt_time(since, sizeof(since), old.heartbeat);
		note(r, "warning: took over the lease of %s from %s (dead or expired; last heartbeat %s UTC)",
		     r->m.name, old.holder, since);
		close_dead_run(r, &old);
	}
	return 0;
}

/* The last dev/prod run of this migration before ours, into *out. */
static int previous_run(struct runner *r, wb_ledger_run *out)
{
	wb_ledger_run *runs = NULL;
	size_t n = 0;
	int found = 0;

	if (wb__ledger_list(r->db, r->m.name, &runs, &n) < 0)
		return 0;
	for (size_t i = n; i-- > 0 && !found;) {
		if (strcmp(runs[i].mode, "plan") == 0 || strcmp(runs[i].run_id, r->rec.run_id) == 0)
			continue;
		*out = runs[i];
		found = 1;
	}
	free(runs);
	return found;
}

/* Resume from the checkpoints of an interrupted run, or start over. */
static int resume_or_restart(struct runner *r)
{
	size_t n = 0;
	wb_ledger_run prev;

	if (r->o->plan)
		return 0;
	if (r->o->restart) {
		if (wb__checkpoint_clear(r->db, r->m.name, &n) < 0)
			return wb_cli_fail("cannot clear the checkpoints of %s: %s", r->m.name, wb_error_last());
		if (n)
			note(r, "--restart: cleared %zu checkpoint(s); starting over", n);
		return 0;
	}
	if (wb__checkpoint_count(r->db, r->m.name, &n) < 0)
		return wb_cli_fail("cannot read the checkpoints of %s: %s", r->m.name, wb_error_last());
	if (n == 0)
		return 0;
	if (previous_run(r, &prev)) {
		snprintf(r->resume_of, sizeof(r->resume_of), "%s", prev.run_id);
		note(r, "resuming run %s (%s) from its checkpoints (--restart to start over)",
		     prev.run_id, prev.status);
	} else {
		note(r, "resuming from %zu checkpoint(s) (--restart to start over)", n);
	}
	return 0;
}

/* -------------------------------------------------------------- heartbeat */

struct beat {
	pthread_t tid;         /* the thread */
	pthread_mutex_t mu;    /* guards stop */
	pthread_cond_t cv;     /* signalled to stop */
	int stop;              /* stop now */
	const char *url;       /* target */
	const char *migration; /* lease */
	const char *run_id;    /* holder's run */
	volatile int lost;     /* the lease was taken by another run: stop the child */
};

static void *beat_main(void *arg)
{
	struct beat *b = arg;
	wb_db *db = NULL;
	int every = wb__lease_seconds() / 3, warned = 0;

	if (every < 1)
		every = 1;
	if (wb_open(&db, b->url) < 0)
		return NULL;
	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += every;
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		if (b->stop)
			break;
		pthread_mutex_unlock(&b->mu);
		int rc = wb__lock_heartbeat(db, b->migration, b->run_id);
		if (rc == WB_ECONDITION && !b->lost) {
			/* Someone else holds the lease now: two runs must never overlap. */
			fprintf(stderr, "whimbrel: %s: stopping the run\n", wb_error_last());
			b->lost = 1;
		} else if (rc < 0 && !warned++) {
			fprintf(stderr, "whimbrel: warning: lease heartbeat failed: %s\n", wb_error_last());
		}
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	wb_close(db);
	return NULL;
}

static int beat_start(struct beat *b, struct runner *r)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->url = r->url;
	b->migration = r->m.name;
	b->run_id = r->rec.run_id;
	return pthread_create(&b->tid, NULL, beat_main, b) == 0 ? 0 : -1;
}

static void beat_stop(struct beat *b)
{
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->tid, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

/* --------------------------------------------------------------- the child */

static void tick(const wb_counters *c, void *arg)
{
	struct runner *r = arg;

	r->rec.scanned = c->scanned;
	r->rec.written = c->written;
	r->rec.deleted = c->deleted;
	r->rec.unchanged = c->unchanged;
	r->rec.failed = c->failed;
	r->rec.duration_ms = (int64_t)time(NULL) * 1000 - r->rec.started * 1000;
	wb__ledger_put(r->db, &r->rec);
}

static int run_child(struct runner *r, wb_child_result *res, volatile int *stop)
{
	char e_run[96], e_url[600], e_mode[32], e_mig[300], e_thr[48], e_res[96], e_diffs[48];
	char *env[8];
	int n = 0;
	wb_child_opts co;

	snprintf(e_run, sizeof(e_run), "%s=%s", WB_ENV_RUN_ID, r->rec.run_id);
	snprintf(e_url, sizeof(e_url), "%s=%s", WB_ENV_TARGET, r->url);
	snprintf(e_mode, sizeof(e_mode), "%s=%s", WB_ENV_MODE, r->rec.mode);
	snprintf(e_mig, sizeof(e_mig), "%s=%s", WB_ENV_MIGRATION, r->m.name);
	env[n++] = e_run;
	env[n++] = e_url;
	env[n++] = e_mode;
	env[n++] = e_mig;
	if (r->o->threads > 0) {
		snprintf(e_thr, sizeof(e_thr), "%s=%d", WB_ENV_THREADS, r->o->threads);
		env[n++] = e_thr;
	}
	if (r->resume_of[0]) {
		snprintf(e_res, sizeof(e_res), "%s=%s", WB_ENV_RESUME, r->resume_of);
		env[n++] = e_res;
	}
	snprintf(e_diffs, sizeof(e_diffs), "%s=%d", WB_ENV_PLAN_DIFFS, r->o->diffs);
	env[n++] = e_diffs;
	env[n] = NULL;
	memset(&co, 0, sizeof(co));
	co.exe = r->exe;
	co.env = env;
	co.db = r->unrecorded ? NULL : r->db; /* a plan the ledger did not take keeps no log */
	co.run_id = r->rec.run_id;
	co.seq = &r->seq;
	co.label = r->m.name;
	co.progress = r->cli->isatty_out && !r->cli->quiet;
	co.tick = tick;
	co.tick_arg = r;
	co.stop = stop;
	return wb_cli_child_run(&co, res);
}

/* Ledger status and error from how the child ended; returns our exit code. */
static int judge(struct runner *r, const wb_child_result *res)
{
	wb_ledger_run *rec = &r->rec;
	int interrupted = res->exit_code == 130 ||
			  (res->interrupted && (res->sig == SIGINT || res->sig == SIGTERM || res->sig == SIGKILL));

	rec->exit_code = res->exit_code;
	rec->scanned = res->counters.scanned;
	rec->written = res->counters.written;
	rec->deleted = res->counters.deleted;
	rec->unchanged = res->counters.unchanged;
	rec->failed = res->counters.failed;
	if (res->exit_code == 0) {
		snprintf(rec->status, sizeof(rec->status), "succeeded");
		return WB_EXIT_OK;
	}
	if (interrupted) {
		snprintf(rec->status, sizeof(rec->status), "interrupted");
		snprintf(rec->error, sizeof(rec->error), "interrupted (SIGINT)");
		return WB_EXIT_INTERRUPTED;
	}
	snprintf(rec->status, sizeof(rec->status), "failed");
	if (res->sig)
		snprintf(rec->error, sizeof(rec->error), "killed by signal %d (%s)", res->sig, strsignal(res->sig));
	else if (res->error[0])
		snprintf(rec->error, sizeof(rec->error), "%s", res->error);
	else
		snprintf(rec->error, sizeof(rec->error), "the migration exited with status %d", res->exit_code);
	return WB_EXIT_ERROR;
}

static void stamp(struct runner *r)
{
	if (r->o->plan || strcmp(r->o->target, "prod") != 0 || r->o->no_stamp)
		return;
	if (wb__header_stamp(r->o->path, (time_t)r->rec.started, (time_t)r->rec.finished,
			     r->rec.status) < 0)
		note(r, "warning: could not stamp the header of %s: %s", r->o->path, wb_error_last());
}

static void summary(struct runner *r)
{
	char dur[32];
	const wb_ledger_run *c = &r->rec;

	wb_cli_fmt_duration(dur, sizeof(dur), c->duration_ms);
	note(r, "%s %s on %s: %s in %s: %lld scanned, %lld %s, %lld %s, "
		"%lld unchanged, %lld failed (run %s)",
	     r->o->plan ? "plan of" : "run of", r->m.name, r->o->target, c->status, dur,
	     (long long)c->scanned, (long long)c->written, r->o->plan ? "would be written" : "written",
	     (long long)c->deleted, r->o->plan ? "would be deleted" : "deleted",
	     (long long)c->unchanged, (long long)c->failed, c->run_id);
	if (c->error[0] && strcmp(c->status, "failed") == 0)
		note(r, "%s failed: %s", r->m.name, c->error);
	if (strcmp(c->status, "interrupted") == 0)
		note(r, "the next `whimbrel run %s %s` resumes where this one stopped",
		     r->o->target, r->o->path);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Record, run, record again.  The lease (if any) is held by the caller. */
static int execute(struct runner *r)
{
	wb_child_result res;
	struct beat b;
	int code, beating;

	if (wb__ledger_put(r->db, &r->rec) < 0) {
		if (!r->o->plan)
			return wb_cli_fail("cannot record the run in the ledger: %s", wb_error_last());
		fprintf(stderr, "whimbrel: warning: the plan is not recorded in the ledger: %s\n", wb_error_last());
		r->unrecorded = 1;
	}
	beating = r->locked && beat_start(&b, r) == 0;
	if (run_child(r, &res, beating ? &b.lost : NULL) < 0) {
		res = (wb_child_result){.exit_code = 127};
		snprintf(res.error, sizeof(res.error), "the compiled migration could not be started");
	}
	if (beating)
		beat_stop(&b);
	code = judge(r, &res);
	if (beating && b.lost && code == WB_EXIT_INTERRUPTED)
		snprintf(r->rec.error, sizeof(r->rec.error), "stopped: the lease was taken over by another run");
	r->rec.finished = (int64_t)time(NULL);
	r->rec.duration_ms = now_ms() - r->t0_ms;
	if (!r->unrecorded && wb__ledger_put(r->db, &r->rec) < 0)
		fprintf(stderr, "whimbrel: warning: cannot record the end of run %s: %s\n",
			r->rec.run_id, wb_error_last());
	if (code == WB_EXIT_OK && !r->o->plan && wb__checkpoint_clear(r->db, r->m.name, NULL) < 0)
		fprintf(stderr, "whimbrel: warning: cannot clear the checkpoints of %s: %s\n",
			r->m.name, wb_error_last());
	summary(r);
	stamp(r);
	return code;
}

static int run_migration(wb_cli *cli, const struct opts *o)
{
	struct runner r;
	int code;

	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.o = o;
	if ((code = load_migration(&r.m, o->path)) != 0)
		goto out;
	if ((code = wb_cli_runner_open(&r.db, &r.url, cli, o->target)) != 0)
		goto out;
	if (wb_cli_compile(o->path, r.m.src, r.m.len, &r.exe) < 0) {
		code = WB_EXIT_ERROR;
		goto out;
	}
	if ((code = confirm(&r)) != 0)
		goto out;
	if (wb__reserved_ensure(r.db) < 0 && !o->plan) {
		code = wb_cli_fail("cannot create the whimbrel_* tables on %s: %s", r.url, wb_error_last());
		goto out;
	}
	record_init(&r);
	r.t0_ms = now_ms();
	if (!o->plan && (code = take_lease(&r)) != 0)
		goto out;
	if ((code = resume_or_restart(&r)) != 0)
		goto out;
	code = execute(&r);
out:
	if (r.locked && wb__lock_release(r.db, r.m.name, r.rec.run_id) < 0)
		fprintf(stderr, "whimbrel: warning: cannot release the lease of %s: %s\n",
			r.m.name, wb_error_last());
	wb_close(r.db);
	free(r.url);
	free(r.exe);
	free(r.m.src);
	return code;
}

int wb_cmd_run(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {.cmd = "run"};
	int code;

	if (wb_cli_wants_help(argc, argv)) {
		run_help();
		return WB_EXIT_OK;
	}
	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	return run_migration(cli, &o);
}

int wb_cmd_plan(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {.cmd = "plan", .plan = 1, .diffs = 10};
	int code;

	if (wb_cli_wants_help(argc, argv)) {
		plan_help();
		return WB_EXIT_OK;
	}
	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	return run_migration(cli, &o);
}

/* ------------------------------------------------------------------ unlock */

int wb_cmd_unlock(wb_cli *cli, int argc, char **argv)
{
	char name[256], version[32], slug[256], since[32];
	const char *target = "dev", *mig = NULL;
	wb_lease l;
	wb_db *db;
	int code, rc;

	if (wb_cli_wants_help(argc, argv)) {
		printf("usage: whimbrel unlock MIGRATION [dev|prod]\n\n"
		       "Delete the lease of MIGRATION (a name like 0001_add_price_to_cars, or its file)\n"
		       "on the target (default dev), whoever holds it.  For a run that is known to be\n"
		       "dead; a dead run's lease also expires by itself (60 s).\n");
		return WB_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (wb_cli_is_target(argv[i]) && mig)
			target = argv[i];
		else if (!mig && argv[i][0] != '-')
			mig = argv[i];
		else
			return wb_cli_usage("unlock", "unexpected argument '%s'", argv[i]);
	}
	if (!mig)
		return wb_cli_usage("unlock", "which migration?");
	if (wb_cli_migration_name(mig, name, sizeof(name), version, sizeof(version), slug, sizeof(slug)) < 0)
		snprintf(name, sizeof(name), "%s", mig);
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	rc = wb__lock_get(db, name, &l);
	if (rc == WB_ENOTFOUND) {
		printf("%s is not locked on %s\n", name, target);
		code = WB_EXIT_OK;
	} else if (rc < 0 || wb__lock_break(db, name) < 0) {
		code = wb_cli_fail("cannot unlock %s: %s", name, wb_error_last());
	} else {
		wb_cli_fmt_time(since, sizeof(since), l.acquired);
		printf("unlocked %s on %s (was held by %s since %s UTC)\n", name, target, l.holder, since);
		code = WB_EXIT_OK;
	}
	wb_close(db);
	return code;
}

/* ------------------------------------------------------------------- stamp */

static int stamped_already(const wb_header *h, int64_t exec)
{
	for (size_t i = 0; i < h->nruns; i++)
		if ((int64_t)h->runs[i].exec == exec)
			return 1;
	return 0;
}

static int stamp_from(wb_db *db, const char *path, const char *name)
{
	wb_ledger_run *runs = NULL;
	wb_header *h = NULL;
	size_t n = 0, done = 0;
	int code = WB_EXIT_OK;

	if (wb__ledger_list(db, name, &runs, &n) < 0)
		return wb_cli_fail("cannot read the ledger: %s", wb_error_last());
	if (wb__header_parse_file(&h, path) < 0 && !h) {
		free(runs);
		return wb_cli_fail("%s: %s", path, wb_error_last());
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(runs[i].mode, "prod") != 0 || runs[i].finished <= 0 ||
		    stamped_already(h, runs[i].started))
			continue;
		if (wb__header_stamp(path, (time_t)runs[i].started, (time_t)runs[i].finished,
				     runs[i].status) < 0) {
			code = wb_cli_fail("cannot stamp %s: %s", path, wb_error_last());
			break;
		}
		printf("stamped run %s (%s)\n", runs[i].run_id, runs[i].status);
		done++;
	}
	if (code == WB_EXIT_OK && !done)
		printf("%s: every prod run is already in the header\n", path);
	wb__header_free(h);
	free(runs);
	return code;
}

int wb_cmd_stamp(wb_cli *cli, int argc, char **argv)
{
	char name[256], version[32], slug[256];
	const char *path = NULL, *target = "prod";
	wb_db *db;
	int code;

	if (wb_cli_wants_help(argc, argv)) {
		printf("usage: whimbrel stamp FILE [prod|dev]\n\n"
		       "Write into FILE's header the Execution / Finalization times of every finished\n"
		       "prod run of it recorded in the target's ledger (default prod) that the header\n"
		       "does not hold yet: for a run made with --no-stamp, or a header lost in a merge.\n");
		return WB_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (wb_cli_is_target(argv[i]) && path)
			target = argv[i];
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			return wb_cli_usage("stamp", "unexpected argument '%s'", argv[i]);
	}
	if (!path)
		return wb_cli_usage("stamp", "which migration file?");
	if (wb_cli_migration_name(path, name, sizeof(name), version, sizeof(version), slug, sizeof(slug)) < 0)
		return wb_cli_fail("%s: a migration is a C file (NNNN_name.c)", path);
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	code = stamp_from(db, path, name);
	wb_close(db);
	return code;
}
