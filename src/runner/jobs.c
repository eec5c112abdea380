/*
 * jobs.c - scheduled batch runs: add, read, list and cancel the jobs kept
 * in the target's whimbrel_jobs table (schema in jobs.h; wb_job_* in
 * whimbrel/runner.h).  `whimbrel schedule` writes them, `whimbrel worker`
 * runs them.
 *
 * A job carries the migration's source, so that every worker on every
 * machine runs exactly what was scheduled, whatever is on its own disk;
 * its SHA-256 and git commit say which reviewed version that is.
 * Everything goes through the public store API: jobs work the same on
 * every backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "checkpoint.h"
#include "jobs.h"
#include "ledger.h"
#include "sha256.h"

/* ------------------------------------------------------------ the table */

int wb__jobs_ensure(wb_db *db)
{
	static const wb_key_schema key = {"job_id", WB_S, "part", WB_S};

	return wb__reserved_table(db, WB_JOBS_TABLE, &key);
}

/* ---------------------------------------------------- item <-> struct */

static wb_item *job_key(const char *job_id)
{
	return wb__key_item("job_id", job_id, "part", WB_JOB_PART);
}

#define JOB(m, kind) WB__FIELD(wb_job, m, kind)

/* The attributes of a job's item set at its creation, beside its key and source. */
static const struct wb__field job_fields[] = {
	JOB(migration, WB__STR), JOB(file, WB__STR), JOB(target, WB__STR), JOB(checksum, WB__STR),
	JOB(commit, WB__STR), JOB(dirty, WB__STR), JOB(created, WB__NUM), JOB(created_by, WB__STR),
	WB__FIELD_DFLT(wb_job, workers, 1), JOB(segments, WB__NUM),
	WB__FIELD_DFLT(wb_job, attempts, 1), JOB(timeout_s, WB__NUM),
};

/* ... and those that change after it (set_state). */
static const struct wb__field job_state[] = {
	JOB(status, WB__STR), JOB(at, WB__NUM), JOB(attempt, WB__NUM), JOB(started, WB__NUM),
	JOB(run_id, WB__STR), WB__FIELD_OPT(wb_job, finished, WB__NUM), WB__FIELD_OPT(wb_job, error, WB__STR),
};

/* The attributes of a job that change after its creation, onto `it`. */
static int set_state(wb_item *it, const wb_job *j)
{
	return wb__fields_write(it, j, job_state, WB_ARRAY_SIZE(job_state));
}

/* The whole item of a new job (caller frees), or NULL when out of memory. */
static wb_item *job_item(const wb_job *j, const char *src, size_t len)
{
	wb_item *it = job_key(j->job_id);
	wb_value *v = wb_value_string(src, len);

	if (!it || !v) {
		wb_value_free(v);
		wb_item_free(it);
		return NULL;
	}
	if (wb_item_set(it, "source", v) || /* it takes v, even when it fails */
	    wb__fields_write(it, j, job_fields, WB_ARRAY_SIZE(job_fields)) || set_state(it, j)) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

static void item_to_job(wb_job *j, const wb_item *it)
{
	memset(j, 0, sizeof(*j));
	wb__attr_copy(j->job_id, sizeof(j->job_id), it, "job_id");
	wb__fields_read(j, job_fields, WB_ARRAY_SIZE(job_fields), it);
	wb__fields_read(j, job_state, WB_ARRAY_SIZE(job_state), it);
	if (!wb_item_get(it, "segments")) /* as many as workers */
		j->segments = j->workers;
}

/* ----------------------------------------------------------------- add */

static int check_job_options(const wb_job_options *o)
{
	int rc = wb__options_check("wb_job_add", o, o ? o->version : 0, WB_JOB_OPTIONS_VERSION,
				   "WB_JOB_OPTIONS_INIT", o && o->path && o->source && o->target,
				   "path, source and target");

	if (rc < 0)
		return rc;
	if (o->workers < 1 || o->attempts < 1 || o->timeout_s < 0 || o->segments < 0 ||
	    o->segments > WB_JOB_MAX_SEGMENTS || o->workers > WB_JOB_MAX_SEGMENTS)
		return wb__error(NULL, WB_EINVALID, "wb_job_add: workers and attempts must be at least 1, "
				 "segments and workers at most %d, the timeout at least 0",
				 WB_JOB_MAX_SEGMENTS);
	return 0;
}

void wb__user_at_host(char *buf, size_t size)
{
	char host[256];

	wb__host_name(host, sizeof(host));
	snprintf(buf, size, "%s@%s", wb__user_name(), host);
}

/* The job described by `o`, before it is stored. */
static int job_init(wb_job *j, const wb_job_options *o)
{
	wb_migration_id m;
	int rc;

	if ((rc = wb_migration_id_parse(&m, o->path)) < 0)
		return rc;
	memset(j, 0, sizeof(*j));
	j->created = (int64_t)time(NULL);
	wb__run_id_new(j->job_id + 4, sizeof(j->job_id) - 4, j->created);
	memcpy(j->job_id, "job-", 4);
	snprintf(j->migration, sizeof(j->migration), "%s", m.name);
	snprintf(j->file, sizeof(j->file), "%s", o->path);
	snprintf(j->target, sizeof(j->target), "%s", o->target);
	wb__sha256_hex(j->checksum, o->source, o->source_len);
	snprintf(j->commit, sizeof(j->commit), "%s", o->commit ? o->commit : "");
	snprintf(j->dirty, sizeof(j->dirty), "%s", o->dirty ? o->dirty : "");
	wb__user_at_host(j->created_by, sizeof(j->created_by));
	j->at = o->at > 0 ? o->at : j->created;
	j->workers = o->workers;
	j->segments = o->segments ? o->segments : 4 * o->workers;
	if (j->segments > WB_JOB_MAX_SEGMENTS)
		j->segments = WB_JOB_MAX_SEGMENTS;
	j->attempts = o->attempts;
	j->timeout_s = o->timeout_s;
	snprintf(j->status, sizeof(j->status), "scheduled");
	return 0;
}

int wb_job_add(wb_job *out, wb_db *db, const wb_job_options *o)
{
	wb_cond not_exists = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	wb_job j;
	int rc;

	if ((rc = check_job_options(o)) < 0 || (rc = job_init(&j, o)) < 0)
		return rc;
	if ((rc = wb__jobs_ensure(db)) < 0)
		return wb__error(NULL, rc, "cannot create %s: %s", WB_JOBS_TABLE, wb_error_last());
	if (o->control && (rc = wb_run_control_update(db, j.job_id, o->control)) < 0)
		return wb__error(NULL, rc, "cannot record the limits of job %s: %s", j.job_id, wb_error_last());
	rc = wb__write_free(db, WB_WRITE_PUT, WB_JOBS_TABLE, job_item(&j, o->source, o->source_len),
			    &not_exists);
	if (rc < 0)
		return wb__error(NULL, rc, "cannot record job %s: %s", j.job_id, wb_error_last());
	if (out)
		*out = j;
	return 0;
}

/* ---------------------------------------------------------------- read */

/* The stored item of job `job_id` (caller frees); WB_ENOTFOUND with a message. */
static int job_fetch(wb_item **out, wb_db *db, const char *job_id)
{
	char esc[160];
	int rc = wb__get_key(out, db, WB_JOBS_TABLE, "job_id", job_id, "part", WB_JOB_PART);

	if (rc == WB_ENOTFOUND)
		return wb__error(NULL, rc, "no job %s in the target (see `whimbrel schedule list`)",
				 wb_escape_line(esc, sizeof(esc), job_id));
	return rc;
}

int wb_job_get(wb_job *out, wb_db *db, const char *job_id)
{
	wb_item *it;
	int rc = job_fetch(&it, db, job_id);

	if (rc == 0)
		item_to_job(out, it);
	wb_item_free(it);
	return rc;
}

int wb_job_source(char **out, size_t *len, wb_db *db, const char *job_id)
{
	const wb_value *v;
	const char *s;
	wb_item *it;
	size_t n = 0;
	int rc = job_fetch(&it, db, job_id);

	*out = NULL;
	if (rc < 0)
		return rc;
	v = wb_item_get(it, "source");
	s = v && wb_value_type(v) == WB_S ? wb_value_bytes(v, &n) : NULL;
	if (!s)
		rc = wb__error(NULL, WB_EINVALID, "job %s holds no source", job_id);
	else if (!(*out = wb__strndup(s, n)))
		rc = WB_ENOMEM;
	else
		*len = n;
	wb_item_free(it);
	return rc;
}

/* A job's item (part "job") as a job; its segments' items are passed over. */
static int take_job(void *rec, const wb_item *it, void *arg)
{
	const char *part = wb_item_get_string(it, "part");

	(void)arg;
	if (!part || strcmp(part, WB_JOB_PART) != 0)
		return 0;
	item_to_job(rec, it);
	return 1;
}

/* Due first, then by id (ids sort by creation time). */
static int by_due(const void *a, const void *b)
{
	const wb_job *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->job_id, y->job_id);
}

int wb_job_list(wb_job **out, size_t *count, wb_db *db)
{
	void *v;
	int rc = wb__records_scan(&v, count, db, WB_JOBS_TABLE, sizeof(**out), take_job, NULL, by_due);

	*out = v;
	return rc;
}

void wb_jobs_free(wb_job *jobs)
{
	free(jobs);
}

/* -------------------------------------------------------------- change */

int wb__job_update(wb_db *db, const wb_job *j, const char *expect_status)
{
	wb_item *key = job_key(j->job_id), *set = wb_item_new();
	wb_value *v = wb_value_string(expect_status, strlen(expect_status));
	wb_cond cond = {WB_COND_ATTR_EQUALS, "status", NULL, NULL};
	const char *gone[2];
	size_t ngone = 0;
	int rc;

	if (!key || !set || !v || set_state(set, j)) {
		rc = wb__oom(db);
		goto out;
	}
	if (j->finished <= 0)
		gone[ngone++] = "finished";
	if (!j->error[0])
		gone[ngone++] = "error";
	cond.value = v;
	rc = wb_update(db, WB_JOBS_TABLE, key, set, gone, ngone, &cond);
out:
	wb_item_free(key);
	wb_item_free(set);
	wb_value_free(v);
	return rc;
}

static int job_is_over(const wb_job *j)
{
	return strcmp(j->status, "scheduled") != 0 && strcmp(j->status, "running") != 0;
}

/* The run of a cancelled job's attempt, if still running, ends as interrupted. */
static void cancel_run(wb_db *db, const wb_job *j)
{
	wb_ledger_run rec;

	if (!j->run_id[0] || wb_ledger_get(&rec, db, j->run_id) < 0 || strcmp(rec.status, "running") != 0)
		return;
	snprintf(rec.status, sizeof(rec.status), "interrupted");
	snprintf(rec.error, sizeof(rec.error), "job %s was cancelled", j->job_id);
	rec.finished = j->finished;
	rec.duration_ms = (rec.finished - rec.started) * 1000;
	wb__ledger_put(db, &rec);
}

int wb_job_cancel(wb_job *out, wb_db *db, const char *job_id)
{
	wb_job j;
	char was[16];
	int rc;

	for (int tries = 0; tries < 5; tries++) {
		if ((rc = wb_job_get(&j, db, job_id)) < 0)
			return rc;
		if (job_is_over(&j))
			return wb__error(NULL, WB_EINVALID, "job %s is %s already: nothing to cancel",
					 j.job_id, j.status);
		snprintf(was, sizeof(was), "%s", j.status);
		snprintf(j.status, sizeof(j.status), "cancelled");
		j.finished = (int64_t)time(NULL);
		rc = wb__job_update(db, &j, was);
		if (rc == 0)
			cancel_run(db, &j);
		if (rc == 0 && out)
			*out = j;
		if (rc != WB_ECONDITION)
			return rc < 0 ? wb__error(NULL, rc, "cannot cancel job %s: %s", j.job_id,
						  wb_error_last()) : 0;
	}
	return wb__error(NULL, WB_EBUSY, "cannot cancel job %s: it keeps changing", job_id);
}

/* ------------------------------------------------------------- segments */

void wb__job_namespace(char *buf, size_t size, const wb_job *j)
{
	snprintf(buf, size, "%s@%s", j->migration, j->job_id);
}

/* The segments being collected by wb_job_segments. */
struct seg_list {
	wb_job_segment *v; /* one per segment */
	int n;             /* how many */
};

/* The segment index at the end of a name: "seg0003" or "cars|seg0003"; -1 if none. */
static int seg_index(const char *name)
{
	const char *p = name ? strrchr(name, 's') : NULL;
	char *end;
	long k;

	if (!p || strncmp(p, "seg", 3) != 0 || (p != name && p[-1] != '|'))
		return -1;
	k = strtol(p + 3, &end, 10);
	return *end || end == p + 3 || k < 0 || k > WB_JOB_MAX_SEGMENTS ? -1 : (int)k;
}

#define SEG(m, kind) WB__FIELD(wb_job_segment, m, kind)

/* The attributes of a segment's item (scanned...: a done segment's, kept past its checkpoints). */
static const struct wb__field seg_fields[] = {
	SEG(state, WB__STR),     SEG(worker, WB__STR),    SEG(run_id, WB__STR),
	SEG(error, WB__STR),     SEG(heartbeat, WB__NUM), SEG(expires, WB__NUM),
	SEG(takeovers, WB__NUM), SEG(scanned, WB__NUM),   SEG(written, WB__NUM),
	SEG(deleted, WB__NUM),
};

static int add_segment(const wb_item *it, void *arg)
{
	struct seg_list *l = arg;
	int k = seg_index(wb_item_get_string(it, "part"));

	if (k < 0 || k >= l->n)
		return 0;
	wb__fields_read(&l->v[k], seg_fields, WB_ARRAY_SIZE(seg_fields), it);
	return 0;
}

static int add_progress(wb_db *db, const wb_item *it, void *arg)
{
	struct seg_list *l = arg;
	int k = seg_index(wb_item_get_string(it, "segment"));

	(void)db;
	if (k < 0 || k >= l->n || strcmp(l->v[k].state, "done") == 0)
		return 0;
	l->v[k].scanned += wb_item_get_int(it, "count", 0);
	l->v[k].written += wb_item_get_int(it, "written", 0);
	l->v[k].deleted += wb_item_get_int(it, "deleted", 0);
	return 0;
}

int wb_job_segments(wb_job_segment **out, size_t *count, wb_db *db, const wb_job *job)
{
	struct seg_list l = {NULL, job->segments > 0 ? job->segments : 1};
	char ns[400];
	int rc;

	*out = NULL;
	*count = 0;
	if (!(l.v = wb__calloc((size_t)l.n, sizeof(*l.v))))
		return wb__oom(db);
	for (int k = 0; k < l.n; k++) {
		l.v[k].index = k;
		snprintf(l.v[k].state, sizeof(l.v[k].state), "waiting");
	}
	rc = wb__partition_each(db, WB_JOBS_TABLE, job->job_id, add_segment, &l);
	wb__job_namespace(ns, sizeof(ns), job);
	if (rc == 0)
		rc = wb__checkpoint_each(db, ns, add_progress, &l);
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*count = (size_t)l.n;
	return 0;
}

void wb_job_segments_free(wb_job_segment *segs)
{
	free(segs);
}
