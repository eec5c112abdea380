/*
 * runner.c - run one migration on one target: wb_runner_run
 * (whimbrel/runner.h), called by `whimbrel run|plan` and by workers.
 *
 * Compile the migration (compile.c), let the caller confirm, take the
 * migration's lease (lock.c), decide between resuming and starting over
 * (checkpoint.c), record the run in the ledger (ledger.c), run the program
 * as a child (child.c) while a thread heartbeats the lease, then record how
 * it ended, release the lease, clear the checkpoints of a finished run
 * and, for prod, stamp the file's header (header.c).  The child can crash
 * in any way without leaving the ledger or the lease wrong: all of that
 * is done here.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "stopwait.h"
#include "backend.h"
#include "checkpoint.h"
#include "child.h"
#include "compile.h"
#include "ledger.h"
#include "lock.h"
#include "sha256.h"
#include "snapshot.h"

/* A run in progress, as the runner keeps it. */
struct runner {
	const wb_run_options *o; /* what to run and how */
	wb_migration_id m;       /* the migration's name */
	char *src;               /* its source (owned) */
	size_t len;              /* its length */
	wb_db *db;               /* target (owned) */
	char *exe;               /* compiled program (owned) */
	wb_ledger_run rec;       /* the ledger record */
	int locked;              /* we hold the lease */
	int unrecorded;          /* a plan the ledger could not take (a read-only target) */
	char resume_of[64];      /* run being resumed, or "" */
	int64_t seq;             /* next log line number */
	int64_t t0_ms;           /* start, for the duration */
	int ended;               /* the program reported the end of its run (wb_run_end) */
	int out_err;             /* stdout had an error before the run (so ours cannot be told apart) */
	char ckpt[300];          /* the checkpoints' migration: its name, NAME#verify for a verify run */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_prod(const struct runner *r)
{
	return !r->o->plan && r->o->mode && strcmp(r->o->mode, "prod") == 0;
}

static int load_migration(struct runner *r)
{
	int rc = wb_migration_id_parse(&r->m, r->o->path);

	if (rc < 0)
		return rc;
	if (r->o->source) {
		if (!(r->src = wb__malloc(r->o->source_len + 1)))
			return WB_ENOMEM;
		memcpy(r->src, r->o->source, r->o->source_len);
		r->src[r->o->source_len] = '\0';
		r->len = r->o->source_len;
		return 0;
	}
	if (wb__read_file(r->o->path, &r->src, &r->len) < 0)
		return wb__error(NULL, WB_EIO, "cannot read %s: %s", r->o->path, strerror(errno));
	return 0;
}

/* A runner's note: on stderr and in the run's log. */
static void note(struct runner *r, const char *fmt, ...) WB_PRINTF(2, 3);
static void note(struct runner *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "whimbrel: %s\n", line);
	wb__child_log(r->db, r->rec.run_id, &r->seq, "runner", line);
}

/* ------------------------------------------------------------- the record */

static void record_init(struct runner *r)
{
	wb_ledger_run *rec = &r->rec;

	wb__ledger_run_init(rec, r->m.name, r->m.version, r->m.slug, r->o->url,
			    r->o->plan ? "plan" : r->o->mode);
	wb__sha256_hex(rec->checksum, r->src, r->len);
	rec->journal = !r->o->plan && (r->o->journal >= 0 ? r->o->journal : strcmp(rec->mode, "prod") == 0);
	rec->unconditional = !r->o->plan && r->o->unconditional;
	snprintf(rec->commit, sizeof(rec->commit), "%s", r->o->commit ? r->o->commit : "");
	snprintf(rec->dirty, sizeof(rec->dirty), "%s", r->o->dirty ? r->o->dirty : "");
	if (r->o->verifies) {
		snprintf(rec->mode, sizeof(rec->mode), "verify");
		snprintf(rec->verifies, sizeof(rec->verifies), "%s", r->o->verifies);
		rec->journal = 0;
	}
}

/*
 * A run records next to its own the estimate of the last plan of the
 * same source on the same target (`plan` estimates the capacity units).
 */
static void estimate_from_plan(struct runner *r)
{
	wb_ledger_run *runs = NULL;
	size_t n = 0;

	if (r->o->plan || r->o->verifies || wb_ledger_list(&runs, &n, r->db, r->m.name) < 0)
		return;
	for (size_t i = n; i-- > 0;) {
		if (strcmp(runs[i].mode, "plan") != 0 || strcmp(runs[i].checksum, r->rec.checksum) != 0 ||
		    strcmp(runs[i].target, r->rec.target) != 0 || strcmp(runs[i].status, "succeeded") != 0)
			continue;
		r->rec.rcu_estimate = runs[i].rcu_estimate;
		r->rec.wcu_estimate = runs[i].wcu_estimate;
		break;
	}
	wb_ledger_runs_free(runs);
}

/*
 * Run `dead` (recorded as running) lost its runner: record what it did,
 * the counters it committed with its checkpoints, until its last
 * checkpoint or heartbeat, as failed; stamp a dead prod run into the header
 * (its runner could not) when this run is a prod run that stamps.
 */
static void close_dead_run(struct runner *r, wb_ledger_run *dead, const wb_lease *old)
{
	wb_counters c;
	int64_t last = 0; /* ms */

	if (wb__checkpoint_run_counters(r->db, r->m.name, dead->run_id, &c, &last) == 0 && last > 0) {
		dead->scanned = c.scanned;
		dead->written = c.written;
		dead->deleted = c.deleted;
		dead->unchanged = c.unchanged;
		dead->failed = c.failed;
	}
	if (strcmp(old->run_id, dead->run_id) == 0 && old->heartbeat * 1000 > last)
		last = old->heartbeat * 1000;
	if (last < dead->started * 1000)
		last = dead->started * 1000;
	snprintf(dead->status, sizeof(dead->status), "failed");
	snprintf(dead->error, sizeof(dead->error), "the runner died (its lease was taken over by run %s)",
		 r->rec.run_id);
	dead->finished = last / 1000;
	dead->duration_ms = last - dead->started * 1000; /* started is in seconds: within a second */
	dead->exit_code = -1;
	if (wb__ledger_put(r->db, dead) < 0)
		note(r, "warning: cannot record the end of the dead run %s: %s", dead->run_id, wb_error_last());
	if (strcmp(dead->mode, "prod") != 0 || !is_prod(r) || r->o->no_stamp)
		return;
	if (wb_header_stamp(r->o->path, (time_t)dead->started, (time_t)dead->finished, "failed") < 0)
		note(r, "warning: could not stamp the dead run %s into %s: %s", dead->run_id, r->o->path,
		     wb_error_last());
	else
		note(r, "stamped the dead run %s into the header of %s (failed)", dead->run_id, r->o->path);
}

/*
 * Now that we hold the migration's lease, its runs still recorded as
 * running (plans aside) have lost their runner: killed, crashed, their
 * machine gone.  Close them before our run writes any checkpoint (theirs
 * hold their counters).
 */
static void close_dead_runs(struct runner *r, const wb_lease *old)
{
	wb_ledger_run *runs = NULL;
	size_t n = 0;

	if (wb_ledger_list(&runs, &n, r->db, r->m.name) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (strcmp(runs[i].status, "running") == 0 && strcmp(runs[i].mode, "plan") != 0 &&
		    strcmp(runs[i].run_id, r->rec.run_id) != 0)
			close_dead_run(r, &runs[i], old);
	wb_ledger_runs_free(runs);
}

static int take_lease(struct runner *r)
{
	wb_lease old;
	char since[32];
	int rc = wb__lock_acquire(r->db, r->m.name, r->rec.run_id, &old);

	if (rc == WB_EBUSY) /* the message names the holder; the hint, the target */
		return wb__error(NULL, rc, "%s; `whimbrel unlock %s %s` if that run is dead", wb_error_last(),
				 r->m.name, r->o->mode);
	if (rc < 0)
		return wb__error(NULL, rc, "cannot take the lease of %s: %s", r->m.name, wb_error_last());
	r->locked = 1;
	if (old.holder[0]) {
		wb_format_utc(since, sizeof(since), old.heartbeat);
		note(r, "warning: took over the lease of %s from %s (dead or expired; last heartbeat %s UTC)",
		     r->m.name, old.holder, since);
	}
	close_dead_runs(r, &old);
	return 0;
}

/* The last dev/prod run of this migration before ours (for a verify run, the last verify), into *out. */
static int previous_run(struct runner *r, wb_ledger_run *out)
{
	wb_ledger_run *runs = NULL;
	size_t n = 0;
	int found = 0;

	if (wb_ledger_list(&runs, &n, r->db, r->m.name) < 0)
		return 0;
	for (size_t i = n; i-- > 0 && !found;) {
		if (strcmp(runs[i].mode, "plan") == 0 || strcmp(runs[i].mode, "revert") == 0 ||
		    (strcmp(runs[i].mode, "verify") == 0) != (r->o->verifies != NULL) ||
		    strcmp(runs[i].run_id, r->rec.run_id) == 0)
			continue;
		*out = runs[i];
		found = 1;
	}
	wb_ledger_runs_free(runs);
	return found;
}

/* Resume from the checkpoints of an interrupted run, or start over. */
static int resume_or_restart(struct runner *r)
{
	size_t n = 0;
	wb_ledger_run prev;
	int rc;

	if (r->o->plan)
		return 0;
	if (r->o->restart) {
		if ((rc = wb__checkpoint_clear(r->db, r->ckpt, &n)) < 0)
			return wb__error(NULL, rc, "cannot clear the checkpoints of %s: %s", r->ckpt,
					 wb_error_last());
		if (n)
			note(r, "--restart: cleared %zu checkpoint(s); starting over", n);
		return 0;
	}
	if ((rc = wb__checkpoint_count(r->db, r->ckpt, &n)) < 0)
		return wb__error(NULL, rc, "cannot read the checkpoints of %s: %s", r->ckpt,
				 wb_error_last());
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
	wb__stopwait sw;       /* asks it to stop; its sleep between beats */
	const char *url;       /* target */
	const char *migration; /* lease */
	const char *run_id;    /* holder's run */
	volatile int lost;     /* the lease was taken by another run: stop the child */
};

static void beat_once(struct beat *b, wb_db *db, int *warned)
{
	int rc = wb__lock_heartbeat(db, b->migration, b->run_id);

	if (rc == WB_ECONDITION && !b->lost) {
		/* Someone else holds the lease now: two runs must never overlap. */
		fprintf(stderr, "whimbrel: %s: stopping the run\n", wb_error_last());
		b->lost = 1;
	} else if (rc < 0 && !(*warned)++) {
		fprintf(stderr, "whimbrel: warning: lease heartbeat failed: %s\n", wb_error_last());
	}
}

static void *beat_main(void *arg)
{
	struct beat *b = arg;
	wb_db *db = NULL;
	int every = wb__lease_seconds() / 3, warned = 0;

	if (every < 1)
		every = 1;
	if (wb_open(&db, b->url) < 0)
		return NULL;
	while (!wb__stopwait_sleep(&b->sw, every * 1000))
		beat_once(b, db, &warned);
	wb_close(db);
	return NULL;
}

static int beat_start(struct beat *b, struct runner *r)
{
	memset(b, 0, sizeof(*b));
	wb__stopwait_init(&b->sw);
	b->url = r->o->url;
	b->migration = r->m.name;
	b->run_id = r->rec.run_id;
	if (pthread_create(&b->tid, NULL, beat_main, b) != 0) {
		wb__stopwait_destroy(&b->sw);
		return -1;
	}
	return 0;
}

static void beat_stop(struct beat *b)
{
	wb__stopwait_stop(&b->sw);
	pthread_join(b->tid, NULL);
	wb__stopwait_destroy(&b->sw);
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
	r->rec.retries = c->retries;
	r->rec.throttled = c->throttled;
	r->rec.conditions_failed = c->conditions;
	r->rec.rcu_consumed = c->rcu;
	r->rec.wcu_consumed = c->wcu;
	r->rec.duration_ms = (int64_t)time(NULL) * 1000 - r->rec.started * 1000;
	if (!r->unrecorded)
		wb__ledger_put(r->db, &r->rec);
}

/* The run's settings for the child's environment, into env (NULL-terminated). */
struct child_env {
	char run[96], url[600], mode[32], mig[340], thr[48], res[96], diffs[48], jnl[48], unc[48], text[48];
	char *v[10];
};

static void child_env(struct child_env *e, const struct runner *r)
{
	int n = 0;

	snprintf(e->run, sizeof(e->run), "%s=%s", WB_ENV_RUN_ID, r->rec.run_id);
	snprintf(e->url, sizeof(e->url), "%s=%s", WB_ENV_TARGET, r->o->url);
	snprintf(e->mode, sizeof(e->mode), "%s=%s", WB_ENV_MODE, r->rec.mode);
	snprintf(e->mig, sizeof(e->mig), "%s=%s", WB_ENV_MIGRATION, r->ckpt);
	e->v[n++] = e->run;
	e->v[n++] = e->url;
	e->v[n++] = e->mode;
	e->v[n++] = e->mig;
	if (r->o->threads > 0) {
		snprintf(e->thr, sizeof(e->thr), "%s=%d", WB_ENV_THREADS, r->o->threads);
		e->v[n++] = e->thr;
	}
	if (r->resume_of[0]) {
		snprintf(e->res, sizeof(e->res), "%s=%s", WB_ENV_RESUME, r->resume_of);
		e->v[n++] = e->res;
	}
	snprintf(e->diffs, sizeof(e->diffs), "%s=%d", WB_ENV_PLAN_DIFFS, r->o->diffs);
	e->v[n++] = e->diffs;
	snprintf(e->jnl, sizeof(e->jnl), "%s=%d", WB_ENV_JOURNAL, r->rec.journal);
	e->v[n++] = e->jnl;
	snprintf(e->unc, sizeof(e->unc), "%s=%d", WB_ENV_UNCONDITIONAL, r->rec.unconditional);
	e->v[n++] = e->unc;
	if (r->o->plan_quiet) {
		snprintf(e->text, sizeof(e->text), "%s=0", WB_ENV_PLAN_TEXT);
		e->v[n++] = e->text;
	}
	e->v[n] = NULL;
}

static int run_child(struct runner *r, wb_child_result *res, volatile int *lost)
{
	struct child_env e;
	wb_child_opts co;

	child_env(&e, r);
	memset(&co, 0, sizeof(co));
	co.exe = r->exe;
	co.env = e.v;
	co.db = r->unrecorded ? NULL : r->db; /* a plan the ledger did not take keeps no log */
	co.run_id = r->rec.run_id;
	co.seq = &r->seq;
	co.label = r->m.name;
	co.progress = r->o->progress;
	co.tick = tick;
	co.tick_arg = r;
	co.stop = lost;
	co.stop_also = r->o->stop;
	return wb__child_run(&co, res);
}

static void set_status(wb_ledger_run *rec, const char *status, const char *fmt, ...) WB_PRINTF(3, 4);
static void set_status(wb_ledger_run *rec, const char *status, const char *fmt, ...)
{
	va_list ap;

	snprintf(rec->status, sizeof(rec->status), "%s", status);
	va_start(ap, fmt);
	vsnprintf(rec->error, sizeof(rec->error), fmt, ap);
	va_end(ap);
}

/*
 * What a plan estimated and what verify checks found.  A program whose
 * checks failed on some item (and that ended as wb_run_end said) has done
 * its work: "verify failed", not "failed".
 */
static void judge_extra(wb_ledger_run *rec, const wb_child_result *res)
{
	if (res->has_units) {
		rec->rcu_estimate = res->units.rcu;
		rec->wcu_estimate = res->units.wcu;
	}
	if (!res->verified)
		return;
	rec->verify_checked = res->verify_checked;
	rec->verify_failed = res->verify_failed;
	snprintf(rec->verify_keys, sizeof(rec->verify_keys), "%s", res->verify_keys);
	if (res->verify_failed > 0 && strcmp(rec->status, "failed") == 0 && res->ended &&
	    !res->sig && res->exit_code == res->end_status)
		snprintf(rec->status, sizeof(rec->status), "verify failed");
}

/*
 * Ledger status and error from how the child ended.  Succeeded only when
 * the program reported the end of its run (wb_run_end's D line) with
 * status 0 and then exited 0: a program that exits without it (exit() from
 * a callback, a main that never calls wb_run_end) did not finish its run,
 * whatever its exit status.  Interrupted when the runner stopped it (Ctrl-C,
 * a stop request, a lost lease) or wb_run_end reported WB_EINTERRUPTED; an
 * exit status of 130 alone is not a signal.
 */
static void judge(struct runner *r, const wb_child_result *res)
{
	wb_ledger_run *rec = &r->rec;
	int stop_sig = res->sig == SIGINT || res->sig == SIGTERM || res->sig == SIGKILL;

	rec->exit_code = res->exit_code;
	rec->scanned = res->counters.scanned;
	rec->written = res->counters.written;
	rec->deleted = res->counters.deleted;
	rec->unchanged = res->counters.unchanged;
	rec->failed = res->counters.failed;
	rec->retries = res->counters.retries;
	rec->throttled = res->counters.throttled;
	rec->conditions_failed = res->counters.conditions;
	rec->rcu_consumed = res->counters.rcu;
	rec->wcu_consumed = res->counters.wcu;
	r->ended = res->ended;
	if (res->sig && res->interrupted && stop_sig)
		set_status(rec, "interrupted", "interrupted (%s)", res->sig == SIGINT ? "SIGINT" :
			   res->sig == SIGTERM ? "SIGTERM" : "SIGKILL");
	else if (res->sig)
		set_status(rec, "failed", "killed by signal %d (%s)", res->sig, strsignal(res->sig));
	else if (!res->ended)
		set_status(rec, "failed", "the migration exited with status %d without wb_run_end "
			   "(its run did not finish)", res->exit_code);
	else if (res->end_status == 130 && res->exit_code == 130)
		set_status(rec, "interrupted", "interrupted (SIGINT)");
	else if (res->end_status == 0 && res->exit_code == 0)
		set_status(rec, "succeeded", "%s", "");
	else if (res->error[0])
		set_status(rec, "failed", "%s", res->error);
	else
		set_status(rec, "failed", "the migration exited with status %d", res->exit_code);
	judge_extra(rec, res);
	if (r->o->verifies && strcmp(rec->status, "succeeded") == 0 && !res->verified)
		set_status(rec, "failed", "%s registers no verify check (wb_verify): nothing was verified",
			   r->m.name);
}

/*
 * The program's output goes to our stdout: a write lost there (a full
 * disk, a closed pipe) fails the run as it fails the command, so that the
 * ledger says what the exit status says.  The lines are in the run's log.
 */
static void check_output(struct runner *r)
{
	int lost = fflush(stdout) != 0, e = errno;

	if (r->out_err || !(lost || ferror(stdout)) || strcmp(r->rec.status, "succeeded") != 0)
		return;
	set_status(&r->rec, "failed", "cannot write the migration's output to stdout: %s (the run's "
		   "log keeps it: whimbrel log %s)", lost ? strerror(e) : "write error", r->rec.run_id);
}

static void stamp(struct runner *r)
{
	if (!is_prod(r) || r->o->no_stamp)
		return;
	if (!r->ended) {
		note(r, "not stamping the header of %s: the program did not finish its run", r->o->path);
		return;
	}
	if (wb_header_stamp(r->o->path, (time_t)r->rec.started, (time_t)r->rec.finished,
			    r->rec.status) < 0)
		note(r, "warning: could not stamp the header of %s: %s", r->o->path, wb_error_last());
}

static void summary(struct runner *r)
{
	char dur[32];
	const wb_ledger_run *c = &r->rec;
	int plan = r->o->plan;

	wb_format_duration(dur, sizeof(dur), c->duration_ms);
	note(r, "%s %s on %s: %s in %s: %lld scanned, %lld %s, %lld %s, "
		"%lld unchanged, %lld failed (run %s)",
	     plan ? "plan of" : r->o->verifies ? "verify of" : "run of", r->m.name, r->o->mode, c->status, dur,
	     (long long)c->scanned, (long long)c->written, plan ? "would be written" : "written",
	     (long long)c->deleted, plan ? "would be deleted" : "deleted",
	     (long long)c->unchanged, (long long)c->failed, c->run_id);
	if (c->retries || c->conditions_failed)
		note(r, "%s met %lld retries (%lld after throttling) and %lld failed conditions (items changed "
			"since read, read again)", r->m.name, (long long)c->retries, (long long)c->throttled,
		     (long long)c->conditions_failed);
	if (c->verify_checked || c->verify_failed)
		note(r, "verification of %s: %lld of %lld item(s) failed%s%s", r->m.name,
		     (long long)c->verify_failed, (long long)c->verify_checked,
		     c->verify_keys[0] ? "; first keys: " : "", c->verify_keys);
	if (c->error[0] && strcmp(c->status, "failed") == 0)
		note(r, "%s failed: %s", r->m.name, c->error);
	if (strcmp(c->status, "interrupted") == 0)
		note(r, "the next `whimbrel run %s %s` resumes where this one stopped",
		     r->o->mode, r->o->path);
}

/* A run that did all its work: succeeded, or verified with items that failed. */
static int finished(const wb_ledger_run *rec)
{
	return strcmp(rec->status, "succeeded") == 0 || strcmp(rec->status, "verify failed") == 0;
}

/* The end of the run: record it, clear the checkpoints of a finished run, stamp. */
static void record_end(struct runner *r)
{
	r->rec.finished = (int64_t)time(NULL);
	r->rec.duration_ms = now_ms() - r->t0_ms;
	if (!r->unrecorded && wb__ledger_put(r->db, &r->rec) < 0)
		fprintf(stderr, "whimbrel: warning: cannot record the end of run %s: %s\n",
			r->rec.run_id, wb_error_last());
	if (finished(&r->rec) && !r->o->plan && wb__checkpoint_clear(r->db, r->ckpt, NULL) < 0)
		fprintf(stderr, "whimbrel: warning: cannot clear the checkpoints of %s: %s\n",
			r->m.name, wb_error_last());
	summary(r);
	stamp(r);
}

/*
 * A run that lost its lease while it ran (taken over by another run, or
 * removed by `whimbrel unlock`) may have overlapped another: it never
 * succeeded.  `lost` says the heartbeat saw it; a last heartbeat checks
 * the time since.
 */
static void check_lease(struct runner *r, int lost)
{
	char why[512] = "it was taken over or removed";

	if (!lost && wb__lock_heartbeat(r->db, r->m.name, r->rec.run_id) == WB_ECONDITION) {
		lost = 1;
		snprintf(why, sizeof(why), "%s", wb_error_last());
	}
	if (!lost)
		return;
	if (strcmp(r->rec.status, "interrupted") == 0)
		snprintf(r->rec.error, sizeof(r->rec.error), "stopped: the lease was taken over by another run");
	else if (strcmp(r->rec.status, "succeeded") == 0)
		set_status(&r->rec, "failed", "the run lost its lease while it ran (%s): another run may "
			   "have overlapped it", why);
}

/*
 * A prod run on a backend that takes snapshots starts with one of the
 * whole target (restore.c goes back to it), unless --no-snapshot; the
 * ledger says whether it did.  0, or a negative code when it could not.
 */
static int snapshot(struct runner *r)
{
	int64_t ms;
	char when[32], dir[4096];
	int rc;

	if (!is_prod(r) || r->o->snapshot == 0 || wb__db_snapshot_dir(r->db, dir, sizeof(dir)) < 0)
		return 0;
	if ((rc = wb__snapshot_take(r->db, r->rec.run_id, &ms, NULL, 0)) < 0)
		return rc;
	r->rec.snapshot = 1;
	wb_format_utc(when, sizeof(when), ms / 1000);
	note(r, "snapshot of the target taken at %s.%03d UTC (%lld ms; whimbrel restore goes back to it)",
	     when, (int)(ms % 1000), (long long)(now_ms() - r->t0_ms));
	if (wb__ledger_put(r->db, &r->rec) < 0)
		note(r, "warning: cannot record the snapshot in the ledger: %s", wb_error_last());
	return 0;
}

/* Record, run, record again.  The lease (if any) is held by the caller. */
static int execute(struct runner *r)
{
	wb_child_result res;
	struct beat b;
	int rc, beating;

	if ((rc = wb__ledger_put(r->db, &r->rec)) < 0) {
		if (!r->o->plan)
			return wb__error(NULL, rc, "cannot record the run in the ledger: %s", wb_error_last());
		fprintf(stderr, "whimbrel: warning: the plan is not recorded in the ledger: %s\n", wb_error_last());
		r->unrecorded = 1; /* a read-only target: the plan runs all the same */
	}
	beating = r->locked && beat_start(&b, r) == 0;
	r->out_err = ferror(stdout);
	if ((rc = snapshot(r)) < 0) {
		res = (wb_child_result){.exit_code = -1};
		snprintf(res.error, sizeof(res.error), "no snapshot of the target could be taken, nothing was "
			 "run: %s (whimbrel run prod --no-snapshot runs without)", wb_error_last());
		res.ended = 1;
		res.end_status = 1;
	} else if (run_child(r, &res, beating ? &b.lost : NULL) < 0) {
		fprintf(stderr, "whimbrel: %s\n", wb_error_last());
		res = (wb_child_result){.exit_code = 127};
		snprintf(res.error, sizeof(res.error), "the compiled migration could not be started");
	}
	if (beating)
		beat_stop(&b);
	judge(r, &res);
	check_output(r);
	if (r->locked)
		check_lease(r, beating && b.lost);
	record_end(r);
	return 0;
}

/* Everything before the child: compile, confirm, tables, record, lease, checkpoints. */
static int prepare(struct runner *r)
{
	int rc;

	if ((rc = load_migration(r)) < 0)
		return rc;
	snprintf(r->ckpt, sizeof(r->ckpt), "%s%s", r->m.name, r->o->verifies ? "#verify" : "");
	if ((rc = wb_open(&r->db, r->o->url)) < 0)
		return wb__error(NULL, rc, "cannot open the %s target %s: %s", r->o->mode, r->o->url,
				 wb_error_last());
	if ((rc = wb__compile(r->o->path, r->src, r->len, r->o->source != NULL, &r->exe)) < 0)
		return rc;
	if (r->o->confirm && (rc = r->o->confirm(r->db, &r->m, r->o->url, r->o->confirm_arg)) != 0)
		return rc < 0 ? rc : WB_ERROR;
	if ((rc = wb__reserved_ensure(r->db)) < 0 && !r->o->plan)
		return wb__error(NULL, rc, "cannot create the whimbrel_* tables on %s: %s", r->o->url,
				 wb_error_last());
	record_init(r);
	estimate_from_plan(r);
	r->t0_ms = now_ms();
	if (!r->o->plan && (rc = take_lease(r)) != 0)
		return rc;
	if (r->o->control && (rc = wb_run_control_update(r->db, r->rec.run_id, r->o->control)) < 0)
		return wb__error(NULL, rc, "cannot record the run's limits in whimbrel_control: %s", wb_error_last());
	return resume_or_restart(r);
}

/* Release our lease, keeping the message of a failure `rc` for the caller. */
static void release(struct runner *r, int rc)
{
	char saved[1024];

	snprintf(saved, sizeof(saved), "%s", wb_error_last());
	if (wb__lock_release(r->db, r->m.name, r->rec.run_id) < 0)
		fprintf(stderr, "whimbrel: warning: cannot release the lease of %s: %s\n",
			r->m.name, wb_error_last());
	if (rc < 0)
		wb__error(NULL, rc, "%s", saved);
}

static int check_options(const wb_run_options *o)
{
	return wb__options_check("wb_runner_run", o, o ? o->version : 0, WB_RUN_OPTIONS_VERSION,
				 "WB_RUN_OPTIONS_INIT", o && o->path && o->url && o->mode,
				 "path, url and mode");
}

int wb_runner_run(wb_ledger_run *out, const wb_run_options *o)
{
	struct runner r;
	int rc;

	if ((rc = check_options(o)) < 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.o = o;
	if ((rc = prepare(&r)) == 0)
		rc = execute(&r);
	if (rc == 0 && out)
		*out = r.rec;
	if (r.locked)
		release(&r, rc);
	wb_close(r.db);
	free(r.exe);
	free(r.src);
	return rc;
}
