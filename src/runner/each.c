/*
 * each.c - wb_each and wb_each_query: the per-item helper of migrations.
 *
 * A scan is split into segments (fixed per migration and table on the
 * first run, kept in a "meta" checkpoint so resumed runs split the same
 * way); worker threads take segments in turn, each with its own handle on
 * the target, and run each segment as a stream (each_batch.c) from its
 * checkpoint to its end.  A query is one stream.  A worker process of a
 * batch job (worker.c) holds a claim on one segment and runs that one only.
 *
 * This file holds the job (one call), its segments, its streams' names (the
 * checkpoints' sort keys) and its threads; the first failure of any thread
 * stops the others and is the call's result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "each_int.h"
#include "pace.h"

#define MAX_SEGMENTS 256        /* cap on the number of scan segments */

/* ----------------------------------------------------------------- errors */

static void job_fail(struct job *job, int rc)
{
	pthread_mutex_lock(&job->lock);
	if (job->rc == 0) {
		job->rc = rc;
		snprintf(job->err, sizeof(job->err), "%s",
			 rc == WB_EINTERRUPTED ? "interrupted" : wb_error_last());
	}
	pthread_mutex_unlock(&job->lock);
}

int wb__each_job_failed(struct job *job)
{
	int rc;

	pthread_mutex_lock(&job->lock);
	rc = job->rc;
	pthread_mutex_unlock(&job->lock);
	return rc;
}

/* The key of an item as typed JSON (WB_JSON_DDB), for messages (static per thread). */
const char *wb__each_key_text(const struct job *job, const wb_item *item)
{
	static __thread char buf[512];
	wb_item *key = item ? wb_item_key(item, &job->key) : NULL;
	char *s = NULL;

	if (key && wb_item_to_json(&s, key, WB_JSON_DDB) == 0)
		snprintf(buf, sizeof(buf), "%s", s);
	else
		snprintf(buf, sizeof(buf), "(key unknown)");
	wb_string_free(s);
	wb_item_free(key);
	return buf;
}


/*
 * Streams are named by table (with "#N" for the N-th wb_each call of the
 * run after the first, so that a second pass over a table has its own
 * checkpoints), key prefix and segment.
 */
static void stream_base(const struct job *job, char *buf, size_t size)
{
	if (job->call > 1)
		snprintf(buf, size, "%s#%d", job->table, job->call);
	else
		snprintf(buf, size, "%s", job->table);
}

static void stream_name_scan(struct job *job, struct stream *st, unsigned seg)
{
	char base[300];

	stream_base(job, base, sizeof(base));
	if (job->prefix)
		snprintf(st->name, sizeof(st->name), "%s|%s|seg%04u", base, job->prefix, seg);
	else
		snprintf(st->name, sizeof(st->name), "%s|seg%04u", base, seg);
}

static void value_text(char *buf, size_t size, const wb_value *v)
{
	size_t len = 0;
	const char *b = v ? wb_value_bytes(v, &len) : NULL;
	size_t o = 0;

	buf[0] = '\0';
	if (!b)
		return;
	if (wb_value_type(v) != WB_B) {
		snprintf(buf, size, "%.*s", (int)len, b);
		return;
	}
	for (size_t i = 0; i < len && o + 3 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%02x", (unsigned char)b[i]);
}

static void stream_name_query(struct job *job, struct stream *st)
{
	const wb_query *q = job->query;
	char pk[400], a[300], b[300];

	value_text(pk, sizeof(pk), q->pk);
	value_text(a, sizeof(a), q->sk_op != WB_SK_NONE ? q->sk_a : NULL);
	value_text(b, sizeof(b), q->sk_op == WB_SK_BETWEEN ? q->sk_b : NULL);
	char base[300];

	stream_base(job, base, sizeof(base));
	snprintf(st->name, sizeof(st->name), "%s|query%s%s|%s|%d|%s|%s|%d", base, q->index ? "@" : "",
		 q->index ? q->index : "", pk,
		 (int)q->sk_op, a, b, q->descending);
}

/* ---------------------------------------------------------------- workers */

static int worker_open(struct worker *w, struct job *job)
{
	memset(w, 0, sizeof(*w));
	w->job = job;
	if (wb__run_open(job->run, &w->db, &w->inner) < 0)
		return wb_error_last_code() ? wb_error_last_code() : WB_ERROR;
	w->atomic = (wb__db_caps(w->db) & WB_CAP_ATOMIC_BATCH) != 0;
	w->one_writer = (wb__db_caps(w->inner) & WB_CAP_ONE_WRITER) != 0;
	w->fast = job->checkpoints && w->db->ops->each_page && w->db->ops->tx_write &&
		  !(getenv(WB_ENV_EACH_GENERIC) && atoi(getenv(WB_ENV_EACH_GENERIC)) > 0);
	return 0;
}

static void worker_close(struct worker *w)
{
	wb__each_entries_clear(w);
	free(w->e);
	wb__journal_chunk_free(&w->chunk);
	if (w->db != w->inner)
		wb_close(w->db);
	wb_close(w->inner);
}

int wb__each_take_segment(pthread_mutex_t *lock, const int *failed, unsigned *next, unsigned end, unsigned *seg)
{
	int ok;

	pthread_mutex_lock(lock);
	ok = *failed == 0 && *next < end;
	if (ok)
		*seg = (*next)++;
	pthread_mutex_unlock(lock);
	return ok;
}

static void *worker_main(void *arg)
{
	struct job *job = arg;
	struct worker w;
	unsigned seg;
	int rc;

	if ((rc = worker_open(&w, job)) < 0) {
		job_fail(job, rc);
		return NULL;
	}
	while (wb__each_take_segment(&job->lock, &job->rc, &job->next, job->end, &seg)) {
		struct stream st;
		memset(&st, 0, sizeof(st));
		if (job->query)
			stream_name_query(job, &st);
		else
			stream_name_scan(job, &st, seg);
		rc = wb__run_interrupted ? WB_EINTERRUPTED : wb__each_stream(&w, &st, seg);
		wb_item_free(st.last_key);
		wb_item_free(st.last_item);
		if (rc < 0) {
			job_fail(job, rc);
			break;
		}
	}
	worker_close(&w);
	return NULL;
}

/* ---------------------------------------------------------------- setup */

static void meta_name(const struct job *job, char *buf, size_t size)
{
	char base[300];

	stream_base(job, base, sizeof(base));
	if (job->prefix)
		snprintf(buf, size, "%s|%s|meta", base, job->prefix);
	else
		snprintf(buf, size, "%s|meta", base);
}

/* A worker's claim must cut the table as its checkpoints did. */
static int segments_agree(const struct job *job)
{
	if (!job->run->seg_total || job->total_segments == job->run->seg_total)
		return 0;
	return wb__error(NULL, WB_EINVALID, "wb_each on %s: the checkpoints cut it into %u segments, "
			 "the worker's claim into %u", job->table, job->total_segments, job->run->seg_total);
}

/* The number of segments: from the meta checkpoint, or chosen and stored now. */
static int choose_segments(struct job *job, wb_db *db)
{
	wb_cond not_exists = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	char name[1200];
	wb_checkpoint cp;
	wb_item *it;
	unsigned want = job->run->seg_total ? job->run->seg_total : (unsigned)job->run->threads;
	int rc;

	if (want < 1)
		want = 1;
	if (want > MAX_SEGMENTS)
		want = MAX_SEGMENTS;
	job->total_segments = want;
	if (!job->checkpoints || job->query)
		return 0;
	meta_name(job, name, sizeof(name));
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = wb__checkpoint_load(db, job->run->migration, name, &cp);
		if (rc == 0) {
			if (cp.total_segments >= 1 && cp.total_segments <= MAX_SEGMENTS)
				job->total_segments = (unsigned)cp.total_segments;
			wb__checkpoint_clear_struct(&cp);
			return segments_agree(job);
		}
		if (rc != WB_ENOTFOUND)
			return rc;
		if (!(it = wb__checkpoint_item(job->run->migration, name, job->run->run_id, job->table,
					       NULL, 0, want, 0, NULL)))
			return WB_ENOMEM;
		rc = wb_put(db, WB_CHECKPOINT_TABLE, it, &not_exists);
		wb_item_free(it);
		if (rc != WB_ECONDITION)
			return rc;
	}
	return rc;
}

static int job_init(struct job *job, wb_run *run, const char *table, wb_item_fn fn, void *arg)
{
	wb_table_desc desc;
	int rc;

	memset(job, 0, sizeof(*job));
	if (!run || !fn)
		return wb__error(NULL, WB_EINVALID, "wb_each: no run or no callback");
	job->run = run;
	job->table = table;
	job->fn = fn;
	job->arg = arg;
	job->checkpoints = !wb__run_is_plan(run);
	job->journal = job->checkpoints && run->journal;
	job->call = ++run->each_calls;
	if ((rc = wb_table_describe(&desc, run->inner, table)) < 0)
		return rc;
	job->key = desc.key;
	if (job->journal && (rc = wb__journal_ensure(run->inner)) < 0)
		return rc;
	pthread_mutex_init(&job->lock, NULL);
	pthread_mutex_init(&job->fast, NULL);
	return 0;
}

/* Run the job's streams on `threads` threads (the caller's when 1). */
static int job_run(struct job *job, unsigned threads)
{
	pthread_t tid[MAX_SEGMENTS];
	unsigned started = 0;

	if (threads <= 1) {
		worker_main(job);
	} else {
		for (; started < threads; started++)
			if (pthread_create(&tid[started], NULL, worker_main, job) != 0)
				break;
		if (started == 0)
			worker_main(job);
		for (unsigned i = 0; i < started; i++)
			pthread_join(tid[i], NULL);
	}
	pthread_mutex_destroy(&job->lock);
	pthread_mutex_destroy(&job->fast);
	if (job->rc == 0)
		return 0;
	if (job->rc == WB_EINTERRUPTED)
		return wb__error(NULL, WB_EINTERRUPTED, "interrupted");
	return wb__error(NULL, job->rc, "%s", job->err);
}

int wb_each(wb_run *run, const char *table, const char *pk_prefix, wb_item_fn fn, void *arg)
{
	struct job job;
	wb_table_desc desc;
	int rc;

	if (run && run->verify_only)
		return 0; /* `whimbrel verify`: only the wb_verify checks run */
	if ((rc = job_init(&job, run, table, fn, arg)) < 0)
		return rc;
	job.prefix = pk_prefix && *pk_prefix ? pk_prefix : NULL;
	if ((rc = choose_segments(&job, run->inner)) < 0) {
		pthread_mutex_destroy(&job.lock);
		pthread_mutex_destroy(&job.fast);
		return rc;
	}
	if (!job.prefix && wb_table_describe(&desc, run->inner, table) == 0 && desc.item_count >= 0)
		wb__run_ctl(run, "T %lld", (long long)desc.item_count);
	job.end = job.total_segments;
	if (run->seg_total) { /* a worker's claim: that one segment */
		job.next = run->seg_only;
		job.end = run->seg_only + 1;
	}
	return job_run(&job, job.total_segments < (unsigned)run->threads ?
			     job.total_segments : (unsigned)run->threads);
}

/*
 * A query of an index gives the callback whole items only when the index
 * projects every attribute: writing back a projected item would drop the
 * others (the before-image condition would refuse it anyway).
 */
static int check_query_index(wb_run *run, const char *table, const char *index)
{
	wb_index *ix = NULL;
	const wb_index *x = NULL;
	size_t n = 0;
	int rc;

	if (!index)
		return 0;
	if ((rc = wb_table_indexes(&ix, &n, run->inner, table)) < 0)
		return rc;
	for (size_t i = 0; i < n && !x; i++)
		x = strcmp(ix[i].name, index) == 0 ? &ix[i] : NULL;
	if (!x)
		rc = wb__error(NULL, WB_EINVALID, "wb_each_query on %s: the table has no index '%s'", table, index);
	else if (x->projection != WB_PROJECT_ALL)
		rc = wb__error(NULL, WB_EINVALID, "wb_each_query on %s: index '%s' does not project every attribute;"
			       " a migration needs whole items (an index with projection all)", table, index);
	wb_indexes_free(ix, n);
	return rc;
}

int wb_each_query(wb_run *run, const char *table, const wb_query *q, wb_item_fn fn, void *arg)
{
	struct job job;
	int rc;

	if (!q || !q->pk)
		return wb__error(NULL, WB_EINVALID, "wb_each_query on %s: no partition key value",
				 table ? table : "");
	if (run && run->verify_only)
		return 0;
	if (run && (rc = check_query_index(run, table, q->index)) < 0)
		return rc;
	if (run && run->seg_total && run->seg_only != 0)
		return 0; /* a worker's claim: the worker of segment 0 runs the queries */
	if ((rc = job_init(&job, run, table, fn, arg)) < 0)
		return rc;
	job.query = q;
	job.total_segments = 1;
	job.end = 1;
	return job_run(&job, 1);
}

size_t wb__each_pace_before(size_t dflt)
{
	double rate = wb__pace_rate(WB_PACE_ITEMS);
	size_t n = dflt;

	if (rate > 0 && rate / 5 < (double)dflt)
		n = rate / 5 >= 1 ? (size_t)(rate / 5) : 1;
	wb__pace_acquire(WB_PACE_ITEMS, (double)n);
	return n;
}

void wb__each_pace_after(size_t asked, size_t got)
{
	wb__pace_consumed(WB_PACE_ITEMS, -1, (double)asked, (double)got);
}
