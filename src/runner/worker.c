/*
 * worker.c - `whimbrel worker`: wb_worker_run (whimbrel/runner.h) runs the
 * due jobs of whimbrel_jobs (jobs.c), together with every other worker
 * process on every machine that reaches the target.
 *
 * A job's scan is cut into segments (wb_job.segments).  A worker claims one
 * segment at a time with a conditional write of the segment's item in
 * whimbrel_jobs (part "segNNNN"): a lease that it heartbeats, as
 * whimbrel_locks is for `run`.  It runs the job's source, compiled once
 * (and cached by compile.c), as a child process told by WHIMBREL_SEGMENT
 * to scan only that segment (each.c), with checkpoints under the job's own
 * name ("MIGRATION@JOB"), so that a segment whose worker died is taken
 * over once its lease expired and resumed where its checkpoint says.
 *
 * Each attempt of a job is one run in the ledger; its counters are summed
 * from the job's checkpoints, which on SQLite are written in the same
 * transaction as the items.  The worker that sees the last segment done
 * closes the run (succeeded); a failed segment fails the attempt (another
 * attempt follows while wb_job.attempts allows); past wb_job.timeout_s the
 * job is stopped and recorded as timed out.  Every change of a job is
 * conditional on the status it was read with (wb__job_update).
 *
 * Log lines (the child's output, the worker's notes) go to the run's log
 * with the worker's id.  SIGTERM, SIGINT and SIGHUP stop the worker after
 * the batch in hand: the child commits its checkpoint, the worker hands
 * the segment back (state waiting) and returns.
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
#include "control.h"
#include "jobs.h"
#include "ledger.h"
#include "lock.h"
#include "run.h"
#include "snapshot.h"

/* A worker process. */
struct worker {
	const wb_worker_options *o; /* options */
	wb_db *db;                   /* the target (owned) */
	char id[128];                /* its id in leases and logs */
	char exe_of[65];             /* checksum of the program in exe */
	char *exe;                   /* the compiled job (owned) */
	char seen[64][64];           /* jobs it worked on, to count when they end */
	size_t nseen;                /* how many */
	int ended;                   /* of those, how many have ended */
	int64_t seq;                 /* next log line number (wb__log_seq_clock) */
	int slot;                    /* its slot in log line numbers, 0-999 */
};

/* What became of one segment run. */
enum seg_end { SEG_DONE, SEG_FAILED, SEG_HANDED_BACK, SEG_LOST, SEG_TIMED_OUT, SEG_JOB_MOVED };

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int stopping(const struct worker *w)
{
	return got_term || (w->o->stop && *w->o->stop);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A worker's note: on stderr and, with a run, in its log under the worker's id. */
static void note(struct worker *w, const char *run_id, const char *fmt, ...) WB_PRINTF(3, 4);
static void note(struct worker *w, const char *run_id, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "whimbrel worker %s: %s\n", w->id, line);
	if (run_id && run_id[0]) {
		wb_log_line l = {now_ms(), "runner", line, w->id, 0};
		wb__log_seq_clock(&w->seq, w->slot);
		wb__log_append(w->db, run_id, &w->seq, &l, 1);
	}
}

/* ------------------------------------------------------------- segments */

static void seg_part(char *buf, size_t size, int k)
{
	snprintf(buf, size, "seg%04d", k);
}

static wb_item *seg_key(const wb_job *j, int k)
{
	char part[16];
	wb_item *it = wb_item_new();

	seg_part(part, sizeof(part), k);
	if (it && (wb_item_set_string(it, "job_id", j->job_id) || wb_item_set_string(it, "part", part))) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

/* A claim being held. */
struct claim {
	const wb_job *job;  /* the job */
	int k;              /* the segment */
	char token[160];    /* our claim: worker id, pid, random */
	int takeovers;      /* times the segment was taken over, ours included */
	char from[128];     /* the worker it was taken over from, or "" */
	wb_job_segment done; /* once done: its counters (kept in its item) */
	double rcu, wcu;    /* once done: capacity units its process consumed (kept in its item) */
};

static wb_item *seg_item(struct worker *w, const struct claim *c, const char *state, const char *error)
{
	char host[256];
	wb_item *it = seg_key(c->job, c->k);
	int64_t now = now_s();
	int rc = 0;

	if (!it)
		return NULL;
	wb__host_name(host, sizeof(host));
	rc |= wb_item_set_string(it, "state", state);
	rc |= wb_item_set_string(it, "run_id", c->job->run_id);
	rc |= wb_item_set_string(it, "worker", w->id);
	rc |= wb_item_set_string(it, "host", host);
	rc |= wb_item_set_int(it, "pid", (int64_t)getpid());
	rc |= wb_item_set_string(it, "claim", c->token);
	rc |= wb_item_set_int(it, "heartbeat", now);
	rc |= wb_item_set_int(it, "expires", now + wb__lease_seconds());
	rc |= wb_item_set_int(it, "takeovers", c->takeovers);
	if (strcmp(state, "done") == 0) {
		rc |= wb_item_set_int(it, "scanned", c->done.scanned);
		rc |= wb_item_set_int(it, "written", c->done.written);
		rc |= wb_item_set_int(it, "deleted", c->done.deleted);
		rc |= wb__set_units(it, "rcu_consumed", c->rcu);
		rc |= wb__set_units(it, "wcu_consumed", c->wcu);
	}
	if (error && *error)
		rc |= wb_item_set_string(it, "error", error);
	if (rc) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

/* Put our segment item, conditional on the claim attribute being `expect`. */
static int seg_put(struct worker *w, const struct claim *c, const char *state, const char *error,
		   const char *expect)
{
	wb_cond cond = {WB_COND_ATTR_EQUALS, "claim", NULL, NULL};
	wb_cond absent = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	wb_value *v = expect ? wb_value_string(expect, strlen(expect)) : NULL;
	wb_item *it = seg_item(w, c, state, error);
	int rc;

	if (!it || (expect && !v)) {
		rc = wb__oom(w->db);
	} else {
		cond.value = v;
		rc = wb_put(w->db, WB_JOBS_TABLE, it, expect ? &cond : &absent);
	}
	wb_item_free(it);
	wb_value_free(v);
	return rc;
}

/*
 * Whether segment item `it` (NULL: absent) can be claimed for run `run_id`:
 * not when done (in any attempt: its checkpoints say so too), nor while
 * someone holds a live lease on it (even for an earlier attempt: that
 * worker hands it back within a heartbeat), nor when it failed in this
 * attempt (the failure ended the attempt).
 */
static int claimable(const wb_item *it, const char *run_id)
{
	const char *state, *run;

	if (!it)
		return 1;
	state = wb_item_get_string(it, "state");
	run = wb_item_get_string(it, "run_id");
	if (!state)
		return 1;
	if (strcmp(state, "done") == 0)
		return 0;
	if (strcmp(state, "running") == 0)
		return wb_item_get_int(it, "expires", 0) < now_s();
	return strcmp(state, "failed") != 0 || !run || strcmp(run, run_id) != 0;
}

/* Try to claim segment k; 1 when we hold it now, 0 when it is not ours to take. */
static int seg_claim(struct worker *w, struct claim *c, const wb_job *j, int k)
{
	wb_item *key = seg_key(j, k), *it = NULL;
	const char *old = NULL, *state;
	unsigned char rnd[4];
	int rc;

	if (!key)
		return wb__oom(w->db);
	rc = wb_get(&it, w->db, WB_JOBS_TABLE, key);
	wb_item_free(key);
	if (rc < 0 && rc != WB_ENOTFOUND)
		return rc;
	if (!claimable(it, j->run_id)) {
		wb_item_free(it);
		return 0;
	}
	memset(c, 0, sizeof(*c));
	c->job = j;
	c->k = k;
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)(rand() & 0xff);
	snprintf(c->token, sizeof(c->token), "%s/%d/%02x%02x%02x%02x", w->id, (int)getpid(), rnd[0],
		 rnd[1], rnd[2], rnd[3]);
	if (it) {
		old = wb_item_get_string(it, "claim");
		state = wb_item_get_string(it, "state");
		c->takeovers = (int)wb_item_get_int(it, "takeovers", 0);
		if (state && strcmp(state, "running") == 0) { /* its holder's lease expired */
			c->takeovers++;
			snprintf(c->from, sizeof(c->from), "%s",
				 wb_item_get_string(it, "worker") ? wb_item_get_string(it, "worker") : "?");
		}
	}
	rc = seg_put(w, c, "running", NULL, old ? old : it ? "" : NULL);
	wb_item_free(it);
	if (rc == WB_ECONDITION)
		return 0; /* another worker was faster */
	return rc < 0 ? rc : 1;
}

/* ------------------------------------------------------------- the ledger */

/* Sum the counters of one checkpoint into a wb_counters (not the scan's meta item). */
static int add_cp(wb_db *db, const wb_item *it, void *arg)
{
	wb_counters *t = arg;
	const char *seg = wb_item_get_string(it, "segment");
	size_t n = seg ? strlen(seg) : 0;

	(void)db;
	if (n >= 5 && strcmp(seg + n - 5, "|meta") == 0)
		return 0;
	t->scanned += wb_item_get_int(it, "count", 0);
	t->written += wb_item_get_int(it, "written", 0);
	t->deleted += wb_item_get_int(it, "deleted", 0);
	return 0;
}

/* Sum the capacity units of one segment item of the attempt (arg: the ledger record). */
static int add_units(const wb_item *it, void *arg)
{
	wb_ledger_run *rec = arg;
	const char *run = wb_item_get_string(it, "run_id");

	if (run && strcmp(run, rec->run_id) == 0) {
		rec->rcu_consumed += wb__get_units(it, "rcu_consumed");
		rec->wcu_consumed += wb__get_units(it, "wcu_consumed");
	}
	return 0;
}

/* The capacity units of the attempt's segments done so far (their processes'), into rec. */
static void job_units(struct worker *w, const wb_job *j, wb_ledger_run *rec)
{
	wb_value *pk = wb_value_string(j->job_id, strlen(j->job_id)), *pre = wb_value_string("seg", 3);
	wb_query q = WB_QUERY_INIT;

	rec->rcu_consumed = rec->wcu_consumed = 0;
	if (pk && pre) {
		q.pk = pk;
		q.sk_op = WB_SK_BEGINS_WITH;
		q.sk_a = pre;
		if (wb_query_all(w->db, WB_JOBS_TABLE, &q, add_units, rec) < 0)
			wb_error_clear();
	}
	wb_value_free(pk);
	wb_value_free(pre);
}

/* The counters of a job so far, summed from its checkpoints, into its ledger record. */
static void job_totals(struct worker *w, const wb_job *j, wb_ledger_run *rec)
{
	wb_counters t;
	char ns[400];

	memset(&t, 0, sizeof(t));
	job_units(w, j, rec);
	wb__job_namespace(ns, sizeof(ns), j);
	if (wb__checkpoint_each(w->db, ns, add_cp, &t) < 0)
		return;
	rec->scanned = t.scanned;
	rec->written = t.written;
	rec->deleted = t.deleted;
	rec->unchanged = t.scanned - t.written - t.deleted > 0 ? t.scanned - t.written - t.deleted : 0;
}

/* The ledger record of a new attempt. */
static void record_init(struct worker *w, wb_ledger_run *rec, const wb_job *j)
{
	wb_migration_id m;

	memset(&m, 0, sizeof(m));
	wb_migration_id_parse(&m, j->file[0] ? j->file : j->migration);
	wb__ledger_run_init(rec, j->migration, m.version, m.slug, w->o->url, j->target);
	snprintf(rec->run_id, sizeof(rec->run_id), "%s", j->run_id); /* the job's attempt, not a new id */
	snprintf(rec->checksum, sizeof(rec->checksum), "%s", j->checksum);
	snprintf(rec->commit, sizeof(rec->commit), "%s", j->commit);
	snprintf(rec->dirty, sizeof(rec->dirty), "%s", j->dirty);
	snprintf(rec->job_id, sizeof(rec->job_id), "%s", j->job_id);
	rec->started = j->started;
	rec->journal = strcmp(j->target, "prod") == 0; /* as the child journals (run.c: prod by default) */
}

/* Record how attempt j->run_id ended: its counters, status and error. */
static void record_end(struct worker *w, const wb_job *j, const char *status, const char *error)
{
	wb_ledger_run rec;

	if (wb_ledger_get(&rec, w->db, j->run_id) < 0)
		record_init(w, &rec, j);
	job_totals(w, j, &rec);
	snprintf(rec.status, sizeof(rec.status), "%s", status);
	snprintf(rec.error, sizeof(rec.error), "%s", error ? error : "");
	rec.finished = now_s();
	rec.duration_ms = (rec.finished - rec.started) * 1000;
	rec.exit_code = strcmp(status, "succeeded") == 0 ? 0 : 1;
	if (wb__ledger_put(w->db, &rec) < 0)
		note(w, NULL, "warning: cannot record the end of run %s: %s", j->run_id, wb_error_last());
}

/* Progress of a running attempt: its counters so far, while it still runs. */
static void record_progress(struct worker *w, const wb_job *j)
{
	wb_ledger_run rec;

	if (wb_ledger_get(&rec, w->db, j->run_id) < 0 || strcmp(rec.status, "running") != 0)
		return;
	job_totals(w, j, &rec);
	rec.duration_ms = (now_s() - rec.started) * 1000;
	wb__ledger_put(w->db, &rec);
}

/* ------------------------------------------------------------ job states */

static int job_final(const wb_job *j)
{
	return strcmp(j->status, "scheduled") != 0 && strcmp(j->status, "running") != 0;
}

/*
 * A prod attempt on a backend that takes snapshots starts with one, as
 * `whimbrel run prod` does (snapshot.c; `whimbrel restore` goes back to
 * it): taken before the attempt is marked running, so before any worker
 * claims a segment of it; `path` gets its file ("" when none).  A
 * failure is noted, not fatal.
 */
static int attempt_snapshot(struct worker *w, const wb_job *j, char *path, size_t size)
{
	char dir[4096];
	int64_t ms;

	path[0] = '\0';
	if (strcmp(j->target, "prod") != 0 || wb__db_snapshot_dir(w->db, dir, sizeof(dir)) < 0)
		return 0;
	if (wb__snapshot_take(w->db, j->run_id, &ms, path, size) < 0) {
		note(w, NULL, "warning: no snapshot of the target for run %s: %s", j->run_id, wb_error_last());
		return 0;
	}
	return 1;
}

/* Start the next attempt of a scheduled job; 1 when we did, 0 when another worker did. */
static int attempt_start(struct worker *w, wb_job *j)
{
	wb_ledger_run rec;
	char snap[4400];
	int rc, took;

	j->attempt++;
	j->started = now_s();
	wb__run_id_new(j->run_id, sizeof(j->run_id), j->started);
	snprintf(j->status, sizeof(j->status), "running");
	j->error[0] = '\0';
	j->finished = 0;
	took = attempt_snapshot(w, j, snap, sizeof(snap));
	if ((rc = wb__job_update(w->db, j, "scheduled")) < 0 && snap[0])
		unlink(snap); /* another worker started it (or the job could not be updated) */
	if (rc == WB_ECONDITION)
		return 0;
	if (rc < 0)
		return rc;
	record_init(w, &rec, j);
	rec.snapshot = took;
	if (wb__ledger_put(w->db, &rec) < 0)
		note(w, NULL, "warning: cannot record run %s: %s", j->run_id, wb_error_last());
	note(w, j->run_id, "job %s: attempt %d of %d of %s started (run %s, %d segments)", j->job_id,
	     j->attempt, j->attempts, j->migration, j->run_id, j->segments);
	if (took)
		note(w, j->run_id, "snapshot of the target taken for run %s (whimbrel restore goes back to it)",
		     j->run_id);
	return 1;
}

/* Move a running attempt to `status` (and the ledger with it); 1 when we did. */
static int attempt_end(struct worker *w, wb_job *j, const char *status, const char *ledger_status,
		       const char *error)
{
	wb_job next = *j;
	int retry = strcmp(status, "failed") == 0 && j->attempt < j->attempts;

	snprintf(next.status, sizeof(next.status), "%s", retry ? "scheduled" : status);
	snprintf(next.error, sizeof(next.error), "%s", error ? error : "");
	next.finished = retry ? 0 : now_s();
	if (retry)
		next.at = now_s();
	if (wb__job_update(w->db, &next, "running") != 0)
		return 0; /* someone else ended it first */
	record_end(w, j, ledger_status, error);
	if (strcmp(status, "succeeded") == 0) {
		char ns[400];
		wb__job_namespace(ns, sizeof(ns), j);
		wb__checkpoint_clear(w->db, ns, NULL);
	}
	note(w, j->run_id, "job %s: attempt %d of %d %s%s%s%s", j->job_id, j->attempt, j->attempts,
	     status, error && *error ? ": " : "", error ? error : "", retry ? "; it will be retried" : "");
	*j = next;
	return 1;
}

static int timed_out(const wb_job *j)
{
	return j->timeout_s > 0 && strcmp(j->status, "running") == 0 &&
	       now_s() >= j->started + j->timeout_s;
}

static void end_timed_out(struct worker *w, wb_job *j)
{
	char dur[32], msg[96];

	wb_format_duration(dur, sizeof(dur), j->timeout_s * 1000);
	snprintf(msg, sizeof(msg), "timed out after %s (--timeout)", dur);
	attempt_end(w, j, "timed out", "failed", msg);
}

/* ------------------------------------------------------------ heartbeat */

/* The thread that keeps a claim alive and watches the job while a segment runs. */
struct beat {
	pthread_t tid;          /* the thread */
	wb__stopwait sw;        /* asks it to stop beating; its sleep between beats */
	struct worker *w;       /* the worker */
	const struct claim *c;  /* the claim */
	wb_db *db;              /* its own handle */
	volatile int stop;      /* tell the child to stop */
	int why;                /* SEG_LOST, SEG_TIMED_OUT or SEG_JOB_MOVED once stop is set */
};

static void beat_check(struct beat *b, int64_t *last_lease)
{
	const wb_job *j = b->c->job;
	wb_job now_j;
	wb_item *it;

	if (timed_out(j)) {
		b->why = SEG_TIMED_OUT, b->stop = 1;
		return;
	}
	if (now_s() - *last_lease < (wb__lease_seconds() + 2) / 3)
		return;
	*last_lease = now_s();
	if (wb_job_get(&now_j, b->db, j->job_id) == 0 &&
	    (strcmp(now_j.status, "running") != 0 || strcmp(now_j.run_id, j->run_id) != 0)) {
		b->why = SEG_JOB_MOVED, b->stop = 1;
		return;
	}
	it = seg_item(b->w, b->c, "running", NULL);
	if (it) {
		wb_value *v = wb_value_string(b->c->token, strlen(b->c->token));
		wb_cond cond = {WB_COND_ATTR_EQUALS, "claim", v, NULL};
		if (v && wb_put(b->db, WB_JOBS_TABLE, it, &cond) == WB_ECONDITION)
			b->why = SEG_LOST, b->stop = 1;
		wb_value_free(v);
		wb_item_free(it);
	}
}

static void *beat_main(void *arg)
{
	struct beat *b = arg;
	int64_t last_lease = now_s();

	while (!wb__stopwait_sleep(&b->sw, 1000))
		if (!b->stop)
			beat_check(b, &last_lease);
	return NULL;
}

static int beat_start(struct beat *b, struct worker *w, const struct claim *c)
{
	memset(b, 0, sizeof(*b));
	b->w = w;
	b->c = c;
	if (wb_open(&b->db, w->o->url) < 0)
		return -1;
	wb__stopwait_init(&b->sw);
	if (pthread_create(&b->tid, NULL, beat_main, b) != 0) {
		wb__stopwait_destroy(&b->sw);
		wb_close(b->db);
		return -1;
	}
	return 0;
}

static void beat_stop(struct beat *b)
{
	wb__stopwait_stop(&b->sw);
	pthread_join(b->tid, NULL);
	wb__stopwait_destroy(&b->sw);
	wb_close(b->db);
}

/* ---------------------------------------------------------- one segment */

/* The child's settings: the attempt's run, the job's checkpoints, one segment. */
struct seg_env {
	char run[96], url[600], mode[96], mig[480], thr[48], seg[64], job[96];
	char *v[8];
};

static void seg_env(struct seg_env *e, struct worker *w, const struct claim *c)
{
	char ns[400];

	wb__job_namespace(ns, sizeof(ns), c->job);
	snprintf(e->run, sizeof(e->run), "%s=%s", WB_ENV_RUN_ID, c->job->run_id);
	snprintf(e->url, sizeof(e->url), "%s=%s", WB_ENV_TARGET, w->o->url);
	snprintf(e->mode, sizeof(e->mode), "%s=%s", WB_ENV_MODE, c->job->target);
	snprintf(e->mig, sizeof(e->mig), "%s=%s", WB_ENV_MIGRATION, ns);
	snprintf(e->thr, sizeof(e->thr), "%s=1", WB_ENV_THREADS);
	snprintf(e->seg, sizeof(e->seg), "%s=%d/%d", WB_ENV_SEGMENT, c->k, c->job->segments);
	e->v[0] = e->run, e->v[1] = e->url, e->v[2] = e->mode, e->v[3] = e->mig;
	snprintf(e->job, sizeof(e->job), "%s=%s", WB_ENV_JOB, c->job->job_id);
	e->v[4] = e->thr, e->v[5] = e->seg, e->v[6] = e->job, e->v[7] = NULL;
}

/* Compile the job's source, once per checksum (compile.c caches the program too). */
static int job_program(struct worker *w, const wb_job *j)
{
	char *src = NULL, name[300];
	size_t len = 0;
	int rc;

	if (w->exe && strcmp(w->exe_of, j->checksum) == 0)
		return 0;
	free(w->exe);
	w->exe = NULL;
	if ((rc = wb_job_source(&src, &len, w->db, j->job_id)) < 0)
		return rc;
	snprintf(name, sizeof(name), "%s.c", j->migration);
	rc = wb__compile(name, src, len, 1, &w->exe);
	free(src);
	if (rc == 0)
		snprintf(w->exe_of, sizeof(w->exe_of), "%s", j->checksum);
	return rc;
}

static enum seg_end run_child(struct worker *w, const struct claim *c, wb_child_result *res)
{
	struct seg_env e;
	struct beat b;
	wb_child_opts co;
	int beating;

	seg_env(&e, w, c);
	memset(&co, 0, sizeof(co));
	co.exe = w->exe;
	co.env = e.v;
	co.db = w->db;
	co.run_id = c->job->run_id;
	co.seq = &w->seq;
	co.label = c->job->migration;
	co.worker = w->id;
	co.worker_slot = w->slot;
	beating = beat_start(&b, w, c) == 0;
	co.stop = beating ? &b.stop : NULL;
	if (wb__child_run(&co, res) < 0) {
		memset(res, 0, sizeof(*res));
		res->exit_code = 127;
		snprintf(res->error, sizeof(res->error), "the compiled migration could not be started: %s",
			 wb_error_last());
	}
	if (beating)
		beat_stop(&b);
	install_handlers(); /* the child supervisor's handlers forwarded signals meanwhile */
	if (beating && b.stop)
		return (enum seg_end)b.why;
	if (res->exit_code == 0)
		return SEG_DONE;
	if (res->interrupted) {
		got_term = 1; /* a signal for us, forwarded to the child */
		return SEG_HANDED_BACK;
	}
	return SEG_FAILED;
}

static void seg_error(char *buf, size_t size, const wb_child_result *res)
{
	if (res->sig)
		snprintf(buf, size, "killed by signal %d (%s)", res->sig, strsignal(res->sig));
	else if (res->error[0])
		snprintf(buf, size, "%s", res->error);
	else
		snprintf(buf, size, "the migration exited with status %d", res->exit_code);
}

/* The counters of a segment just done, from its checkpoints, into c->done. */
static void segment_counts(struct worker *w, const wb_job *j, struct claim *c)
{
	wb_job_segment *segs = NULL;
	size_t n = 0;

	if (wb_job_segments(&segs, &n, w->db, j) == 0 && (size_t)c->k < n)
		c->done = segs[c->k];
	wb_job_segments_free(segs);
}

/* Run a claimed segment and record what became of it. */
static enum seg_end run_segment(struct worker *w, wb_job *j, struct claim *c)
{
	wb_child_result res;
	char err[600], msg[900];
	enum seg_end end;

	if (c->from[0])
		note(w, j->run_id, "segment %d of %d: taken over from worker %s (its lease expired); "
		     "resuming from its checkpoint", c->k, j->segments, c->from);
	else
		note(w, j->run_id, "segment %d of %d: claimed", c->k, j->segments);
	end = run_child(w, c, &res);
	switch (end) {
	case SEG_DONE:
		segment_counts(w, j, c);
		c->rcu = res.counters.rcu;
		c->wcu = res.counters.wcu;
		seg_put(w, c, "done", NULL, c->token);
		note(w, j->run_id, "segment %d of %d: done", c->k, j->segments);
		record_progress(w, j);
		break;
	case SEG_FAILED:
		seg_error(err, sizeof(err), &res);
		seg_put(w, c, "failed", err, c->token);
		snprintf(msg, sizeof(msg), "segment %d failed on worker %s: %s", c->k, w->id, err);
		attempt_end(w, j, "failed", "failed", msg);
		break;
	case SEG_HANDED_BACK:
		seg_put(w, c, "waiting", NULL, c->token);
		note(w, j->run_id, "segment %d of %d: handed back after a signal (checkpoint kept)",
		     c->k, j->segments);
		break;
	case SEG_TIMED_OUT:
		seg_put(w, c, "waiting", NULL, c->token);
		end_timed_out(w, j);
		break;
	case SEG_JOB_MOVED:
		seg_put(w, c, "waiting", NULL, c->token);
		note(w, j->run_id, "segment %d of %d: stopped, the job is no longer running this attempt "
		     "(cancelled, timed out or failed elsewhere)", c->k, j->segments);
		break;
	case SEG_LOST:
		note(w, j->run_id, "segment %d of %d: stopped, its lease was taken over", c->k, j->segments);
		break;
	}
	return end;
}

/* ---------------------------------------------------------------- a job */

/* How many of job j's segments are done. */
static int segments_done(struct worker *w, const wb_job *j)
{
	wb_job_segment *segs = NULL;
	size_t n = 0;
	int done = 0;

	if (wb_job_segments(&segs, &n, w->db, j) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		done += strcmp(segs[i].state, "done") == 0;
	wb_job_segments_free(segs);
	return done;
}

static void remember(struct worker *w, const char *job_id)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i], job_id) == 0)
			return;
	if (w->nseen < sizeof(w->seen) / sizeof(w->seen[0]))
		snprintf(w->seen[w->nseen++], sizeof(w->seen[0]), "%s", job_id);
}

/* Claim and run segments of j until none is left to claim; 1 when we ran any. */
static int work_segments(struct worker *w, wb_job *j)
{
	int ran = 0, start = rand() % (j->segments > 0 ? j->segments : 1);

	for (int i = 0; i < j->segments && !stopping(w); i++) {
		struct claim c;
		int k = (start + i) % j->segments, rc;
		if (wb_job_get(j, w->db, j->job_id) < 0 || strcmp(j->status, "running") != 0)
			break;
		if (timed_out(j)) {
			end_timed_out(w, j);
			break;
		}
		if (wb__control_paused(w->db, j->run_id, j->job_id))
			break; /* `whimbrel pause`: claim nothing until resumed */
		if ((rc = seg_claim(w, &c, j, k)) <= 0)
			continue;
		ran = 1;
		enum seg_end end = run_segment(w, j, &c);
		if (end != SEG_DONE && end != SEG_LOST)
			break;
		i = -1; /* look at every segment again: some may have been handed back */
		start = k;
	}
	return ran;
}

/* Work on one due job; 1 when we did something. */
static int work_job(struct worker *w, wb_job *j)
{
	int did = 0, rc;

	if (strcmp(j->status, "scheduled") == 0 && (rc = attempt_start(w, j)) <= 0) {
		if (rc < 0 || wb_job_get(j, w->db, j->job_id) < 0)
			return 0;
	}
	if (strcmp(j->status, "running") != 0)
		return 0;
	remember(w, j->job_id); /* counts for --max-jobs once it ends, whoever ends it */
	if (timed_out(j)) {
		end_timed_out(w, j);
		return 1;
	}
	if ((rc = job_program(w, j)) < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s does not compile on worker %s: %s", j->migration, w->id,
			 wb_error_last());
		attempt_end(w, j, "failed", "failed", msg);
		return 1;
	}
	did = work_segments(w, j);
	if (!stopping(w) && wb_job_get(j, w->db, j->job_id) == 0 && strcmp(j->status, "running") == 0 &&
	    segments_done(w, j) == j->segments)
		did |= attempt_end(w, j, "succeeded", "succeeded", NULL);
	return did;
}

/* Whether a due job may have work for us. */
static int due(const struct worker *w, const wb_job *j)
{
	return strcmp(j->target, w->o->target) == 0 && j->at <= now_s() &&
	       (strcmp(j->status, "scheduled") == 0 || strcmp(j->status, "running") == 0);
}

/* Count the jobs we worked on that have ended since. */
static void count_ended(struct worker *w, const wb_job *jobs, size_t n)
{
	for (size_t s = 0; s < w->nseen; s++)
		for (size_t i = 0; i < n; i++)
			if (strcmp(jobs[i].job_id, w->seen[s]) == 0 && job_final(&jobs[i])) {
				w->ended++;
				memmove(w->seen[s], w->seen[w->nseen - 1], sizeof(w->seen[0]));
				w->nseen--;
				s--;
				break;
			}
}

/* One pass over the due jobs; 1 when something was done. */
static int pass(struct worker *w)
{
	wb_job *jobs = NULL;
	size_t n = 0;
	int did = 0;

	if (wb_job_list(&jobs, &n, w->db) < 0)
		return -1;
	for (size_t i = 0; i < n && !stopping(w); i++)
		if (due(w, &jobs[i]))
			did |= work_job(w, &jobs[i]);
	wb_jobs_free(jobs);
	if (wb_job_list(&jobs, &n, w->db) == 0) {
		count_ended(w, jobs, n);
		wb_jobs_free(jobs);
	}
	return did;
}

static void idle(struct worker *w)
{
	int poll_s = wb__lease_seconds() / 3;

	if (poll_s < 1)
		poll_s = 1;
	if (poll_s > 5)
		poll_s = 5;
	for (int i = 0; i < poll_s * 10 && !stopping(w); i++)
		usleep(100000);
}

static int check_worker_options(const wb_worker_options *o)
{
	return wb__options_check("wb_worker_run", o, o ? o->version : 0, WB_WORKER_OPTIONS_VERSION,
				 "WB_WORKER_OPTIONS_INIT", o && o->url && o->target, "url and target");
}

static int worker_open(struct worker *w, const wb_worker_options *o)
{
	char host[100];
	int rc;

	memset(w, 0, sizeof(*w));
	w->o = o;
	wb__host_name(host, sizeof(host));
	if (o->id && *o->id)
		snprintf(w->id, sizeof(w->id), "%s", o->id);
	else
		snprintf(w->id, sizeof(w->id), "%s:%d", host, (int)getpid());
	w->slot = rand() % 1000;
	if ((rc = wb_open(&w->db, o->url)) < 0)
		return wb__error(NULL, rc, "cannot open the %s target %s: %s", o->target, o->url,
				 wb_error_last());
	if ((rc = wb__reserved_ensure(w->db)) < 0 || (rc = wb__jobs_ensure(w->db)) < 0)
		return wb__error(NULL, rc, "cannot create the whimbrel_* tables on %s: %s", o->url,
				 wb_error_last());
	return 0;
}

int wb_worker_run(int *jobs, const wb_worker_options *o)
{
	struct worker w;
	int rc, did;

	if (jobs)
		*jobs = 0;
	if ((rc = check_worker_options(o)) < 0)
		return rc;
	srand((unsigned)(now_ms() ^ (getpid() << 16)));
	got_term = 0;
	install_handlers();
	if ((rc = worker_open(&w, o)) < 0) {
		wb_close(w.db);
		return rc;
	}
	while (!stopping(&w)) {
		if ((did = pass(&w)) < 0) {
			rc = wb__error(NULL, wb_error_last_code() ? wb_error_last_code() : WB_ERROR,
				       "cannot read the jobs of %s: %s", o->target, wb_error_last());
			break;
		}
		if (o->max_jobs > 0 && w.ended >= o->max_jobs)
			break;
		if (!did && o->once)
			break;
		if (!did)
			idle(&w);
	}
	if (jobs)
		*jobs = w.ended;
	wb_close(w.db);
	free(w.exe);
	return rc;
}
