/*
 * verify.c - wb_verify: the checks a migration registers, run over every
 * item of a table (or a key prefix) after the run's work.
 *
 * wb_verify only records the check; wb_run_end runs them all, one after
 * the other, when the migration's work succeeded (never in a plan): each
 * scan is split into segments (fixed on the first run in a "meta"
 * checkpoint, so that a resumed run splits the same way), which worker
 * threads take in turn, each with its own handle on the target, as wb_each
 * does.  Every page of items goes through the callback, then the stream's
 * checkpoint is written (whimbrel_checkpoints, segment names
 * "verify:N:TABLE[|PREFIX]|segNNNN"): the items checked and failed so far,
 * all runs together, and the keys of the first failures.  An interrupted
 * verification (Ctrl-C, a crash) goes on from there on the next run.
 *
 * The counts go to the runner on the control pipe (run.h: V checked
 * failed, K key), which records them in the ledger and turns a run whose
 * check failed on any item into "verify failed".  In verify-only mode
 * (`whimbrel verify RUN`, mode "verify") wb_each does nothing and
 * only the checks run.  A check is paced like the run: its pages wait
 * while the run is paused and for their turn under --max-rate, and its
 * reads on DynamoDB take their turn under --max-rcu in the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "checkpoint.h"
#include "run.h"

#define VERIFY_MAX_KEYS WB_VERIFY_MAX_KEYS /* failed keys kept and reported (run.h) */
#define VERIFY_MAX_SEGMENTS 256  /* cap on the number of scan segments */

/* One registered check. */
struct wb_verify_check {
	char *table;         /* table checked (owned) */
	char *prefix;        /* partition-key prefix, or NULL (owned) */
	wb_verify_fn fn;     /* the callback */
	void *arg;           /* its argument */
};

/* One check being run, shared by its threads. */
struct vjob {
	wb_run *run;                    /* the run */
	const struct wb_verify_check *c; /* the check */
	int index;                      /* its number among the run's checks */
	wb_key_schema key;              /* the table's key */
	unsigned total;                 /* segments of the scan */
	unsigned next, end;             /* next segment to take, one past the last */
	pthread_mutex_t lock;           /* guards next and rc (the counts are the run's, under its lock) */
	int rc;                         /* first error, 0 */
};

/* What one thread works with. */
struct vworker {
	struct vjob *job;    /* its job */
	wb_db *db;           /* its own handle (owned) */
};

/* -------------------------------------------------------- registration */

int wb_verify(wb_run *run, const char *table, const char *pk_prefix, wb_verify_fn fn, void *arg)
{
	struct wb_verify_check *grown, *c;

	if (!run || !table || !*table || !fn)
		return wb__error(NULL, WB_EINVALID, "wb_verify: a run, a table and a callback are required");
	pthread_mutex_lock(&run->lock);
	grown = realloc(run->checks, (run->nchecks + 1) * sizeof(*grown));
	if (grown)
		run->checks = grown;
	pthread_mutex_unlock(&run->lock);
	if (!grown)
		return wb__oom(NULL);
	c = &run->checks[run->nchecks];
	memset(c, 0, sizeof(*c));
	c->table = strdup(table);
	c->prefix = pk_prefix && *pk_prefix ? strdup(pk_prefix) : NULL;
	c->fn = fn;
	c->arg = arg;
	if (!c->table || (pk_prefix && *pk_prefix && !c->prefix)) {
		free(c->table);
		free(c->prefix);
		return wb__oom(NULL);
	}
	run->nchecks++;
	return 0;
}

void wb__verify_free(wb_run *run)
{
	for (size_t i = 0; i < run->nchecks; i++) {
		free(run->checks[i].table);
		free(run->checks[i].prefix);
	}
	free(run->checks);
	run->checks = NULL;
	run->nchecks = 0;
}

/* ------------------------------------------------------------- reporting */

static void send_counts(wb_run *run)
{
	wb__run_ctl(run, "V %lld %lld", (long long)run->verify_checked, (long long)run->verify_failed);
}

/* Count results (thread-safe). */
static void count(wb_run *run, int64_t checked, int64_t failed)
{
	pthread_mutex_lock(&run->lock);
	run->verify_checked += checked;
	run->verify_failed += failed;
	pthread_mutex_unlock(&run->lock);
}

/* Keep a failed key (DynamoDB JSON, `len` bytes) while fewer than VERIFY_MAX_KEYS are kept. */
static void keep_key(wb_run *run, const char *json, size_t len)
{
	pthread_mutex_lock(&run->lock);
	if (run->nverify_keys < VERIFY_MAX_KEYS &&
	    (run->verify_keys[run->nverify_keys] = strndup(json, len)))
		run->nverify_keys++;
	pthread_mutex_unlock(&run->lock);
}

/* ----------------------------------------------------------- checkpoints */

static void stream_name(const struct vjob *job, char *buf, size_t size, const char *what)
{
	const struct wb_verify_check *c = job->c;

	snprintf(buf, size, "verify:%d:%s%s%s|%s", job->index, c->table, c->prefix ? "|" : "",
		 c->prefix ? c->prefix : "", what);
}

static void seg_name(const struct vjob *job, char *buf, size_t size, unsigned seg)
{
	char what[32];

	snprintf(what, sizeof(what), "seg%04u", seg);
	stream_name(job, buf, size, what);
}

/* A stream's checkpoint: counts and the JSON array of its first failed keys. */
static int save(struct vworker *w, unsigned seg, const wb_item *last, int done, int64_t checked,
		int64_t failed, const char *keys)
{
	struct vjob *job = w->job;
	char name[600];
	wb_item *cp;
	int rc;

	seg_name(job, name, sizeof(name), seg);
	if (!(cp = wb__checkpoint_item(job->run->migration, name, job->run->run_id, job->c->table, last,
				       done, job->total, checked, NULL)))
		return WB_ENOMEM;
	rc = wb_item_set_int(cp, "failed", failed);
	if (rc == 0 && keys[0])
		rc = wb_item_set_string(cp, "failed_keys", keys);
	if (rc == 0)
		rc = wb_put(w->db, WB_CHECKPOINT_TABLE, cp, NULL);
	wb_item_free(cp);
	return rc;
}

/* The segments of the scan: from its meta checkpoint, or chosen now and kept. */
static int choose_segments(struct vjob *job, wb_db *db)
{
	wb_run *run = job->run;
	unsigned want = run->seg_total ? run->seg_total : (unsigned)(run->threads > 0 ? run->threads : 1);
	wb_checkpoint cp;
	char name[600];
	wb_item *it;
	int rc;

	stream_name(job, name, sizeof(name), "meta");
	rc = wb__checkpoint_load(db, run->migration, name, &cp);
	if (rc == 0 && cp.total_segments > 0) {
		job->total = (unsigned)cp.total_segments;
		wb__checkpoint_clear_struct(&cp);
		return 0;
	}
	wb__checkpoint_clear_struct(&cp);
	if (rc < 0 && rc != WB_ENOTFOUND)
		return rc;
	job->total = want > VERIFY_MAX_SEGMENTS ? VERIFY_MAX_SEGMENTS : want;
	if (!(it = wb__checkpoint_item(run->migration, name, run->run_id, job->c->table, NULL, 0,
				       job->total, 0, NULL)))
		return WB_ENOMEM;
	rc = wb_put(db, WB_CHECKPOINT_TABLE, it, NULL);
	wb_item_free(it);
	return rc;
}

/* --------------------------------------------------------------- streams */

/* The state of one stream (a segment) while it is checked. */
struct vstream {
	unsigned seg;        /* its segment */
	int64_t checked;     /* items checked, all runs together */
	int64_t failed;      /* of them, failed */
	char keys[2048];     /* its first failed keys, one DynamoDB JSON a line */
	size_t nkeys;        /* how many */
};

/* A failed item: its key into the stream's list and the run's. */
static void failed_key(struct vworker *w, struct vstream *st, const wb_item *item)
{
	wb_item *k = wb_item_key(item, &w->job->key);
	char *json = NULL;
	size_t used = strlen(st->keys), len;

	if (!k || wb_item_to_json(&json, k, WB_JSON_DDB) < 0 || !json) {
		wb_item_free(k);
		return;
	}
	wb_item_free(k);
	len = strlen(json);
	if (st->nkeys < VERIFY_MAX_KEYS && used + len + 2 < sizeof(st->keys)) {
		snprintf(st->keys + used, sizeof(st->keys) - used, "%s\n", json);
		st->nkeys++;
	}
	keep_key(w->job->run, json, len);
	wb_string_free(json);
}

/* Check one page; the callback's negative result stops the check. */
static int check_page(struct vworker *w, struct vstream *st, const wb_page *page)
{
	const struct wb_verify_check *c = w->job->c;
	int64_t failed = 0;

	for (size_t i = 0; i < page->count; i++) {
		int v = c->fn(page->items[i], c->arg);
		if (v < 0)
			return wb__error(NULL, v, "verify %s: the callback failed (%d)", c->table, v);
		if (v > 0) {
			failed++;
			failed_key(w, st, page->items[i]);
		}
	}
	st->checked += (int64_t)page->count;
	st->failed += failed;
	count(w->job->run, (int64_t)page->count, failed);
	if (w->job->run->verify_only) { /* the verify's progress and counters: the items it visited */
		wb_counters d = {.scanned = (int64_t)page->count};
		wb__run_count(w->job->run, &d);
	}
	return 0;
}

/* The failed count and keys of a stream's checkpoint (beside what wb__checkpoint_load reads). */
static void resume_failed(struct vworker *w, struct vstream *st, const char *name)
{
	wb_item *key = wb_item_new(), *it = NULL;
	const char *keys;

	if (key && wb_item_set_string(key, "migration", w->job->run->migration) == 0 &&
	    wb_item_set_string(key, "segment", name) == 0 &&
	    wb_get(&it, w->db, WB_CHECKPOINT_TABLE, key) == 0) {
		st->failed = wb_item_get_int(it, "failed", 0);
		keys = wb_item_get_string(it, "failed_keys");
		if (keys && strlen(keys) < sizeof(st->keys))
			snprintf(st->keys, sizeof(st->keys), "%s", keys);
	}
	wb_item_free(key);
	wb_item_free(it);
	for (const char *p = st->keys, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		keep_key(w->job->run, p, (size_t)(nl - p));
		st->nkeys++;
	}
}

/* Resume a stream from its checkpoint: *cursor, counts, keys; 1 when it was done. */
static int resume(struct vworker *w, struct vstream *st, wb_item **cursor)
{
	char name[600];
	wb_checkpoint cp;
	int rc, done;

	*cursor = NULL;
	seg_name(w->job, name, sizeof(name), st->seg);
	if ((rc = wb__checkpoint_load(w->db, w->job->run->migration, name, &cp)) == WB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	done = cp.done;
	*cursor = cp.last_key;
	cp.last_key = NULL;
	st->checked = cp.count;
	wb__checkpoint_clear_struct(&cp);
	resume_failed(w, st, name);
	count(w->job->run, st->checked, st->failed);
	return done;
}

static int should_stop(struct vjob *job)
{
	int rc;

	pthread_mutex_lock(&job->lock);
	rc = job->rc;
	pthread_mutex_unlock(&job->lock);
	return rc || wb__run_interrupted;
}

/* Check one segment page by page, a checkpoint after each page. */
static int run_stream(struct vworker *w, unsigned seg)
{
	struct vjob *job = w->job;
	struct vstream st = {.seg = seg};
	wb_scan s = WB_SCAN_INIT;
	wb_item *cursor = NULL;
	wb_page *page = NULL;
	int rc = resume(w, &st, &cursor);

	s.segment = seg;
	s.total_segments = job->total;
	s.pk_prefix = job->c->prefix;
	while (rc == 0) {
		if (should_stop(job)) {
			rc = wb__run_interrupted ? WB_EINTERRUPTED : 0;
			break;
		}
		s.start_after = cursor;
		s.limit = wb__each_pace_before(job->run->batch);
		rc = wb_scan_page(&page, w->db, job->c->table, &s);
		wb__each_pace_after(s.limit, rc == 0 && page ? page->count : 0);
		if (rc < 0 || (rc = check_page(w, &st, page)) < 0)
			break;
		wb_item_free(cursor);
		cursor = page->last_key ? wb_item_dup(page->last_key) : NULL;
		rc = save(w, seg, cursor, !page->last_key, st.checked, st.failed, st.keys);
		if (rc == 0 && !page->last_key)
			rc = 1;
		wb_page_free(page);
		page = NULL;
	}
	wb_page_free(page);
	wb_item_free(cursor);
	return rc < 0 ? rc : 0;
}

static void job_fail(struct vjob *job, int rc)
{
	pthread_mutex_lock(&job->lock);
	if (!job->rc)
		job->rc = rc;
	pthread_mutex_unlock(&job->lock);
}

static void *worker_main(void *arg)
{
	struct vworker *w = arg;
	unsigned seg;
	int rc;

	if (wb_open(&w->db, w->job->run->url) < 0) {
		job_fail(w->job, wb_error_last_code());
		return NULL;
	}
	while (wb__each_take_segment(&w->job->lock, &w->job->rc, &w->job->next, w->job->end, &seg))
		if ((rc = run_stream(w, seg)) < 0)
			job_fail(w->job, rc);
	wb_close(w->db);
	w->db = NULL;
	return NULL;
}

/* ----------------------------------------------------------------- a check */

static int job_init(struct vjob *job, wb_run *run, int index, wb_db *db)
{
	wb_table_desc desc;
	int rc;

	memset(job, 0, sizeof(*job));
	job->run = run;
	job->c = &run->checks[index];
	job->index = index;
	if ((rc = wb_table_describe(&desc, db, job->c->table)) < 0)
		return wb__error(NULL, rc, "verify %s: %s", job->c->table, wb_error_last());
	job->key = desc.key;
	if ((rc = choose_segments(job, db)) < 0)
		return wb__error(NULL, rc, "verify %s: cannot keep its checkpoints: %s", job->c->table,
				 wb_error_last());
	job->next = 0;
	job->end = job->total;
	if (run->seg_total) { /* a worker's claim: that one segment */
		job->next = run->seg_only;
		job->end = run->seg_only + 1;
	}
	pthread_mutex_init(&job->lock, NULL);
	return 0;
}

/* Run one check over its threads. */
static int run_check(wb_run *run, int index, wb_db *db)
{
	unsigned threads = run->threads > 0 ? (unsigned)run->threads : 1;
	struct vworker *w;
	pthread_t *tid;
	struct vjob job;
	unsigned started = 0;
	int rc;

	if ((rc = job_init(&job, run, index, db)) < 0)
		return rc;
	if (threads > job.end - job.next)
		threads = job.end - job.next;
	w = calloc(threads ? threads : 1, sizeof(*w));
	tid = calloc(threads ? threads : 1, sizeof(*tid));
	for (unsigned i = 0; w && tid && i < threads; i++) {
		w[i].job = &job;
		if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	if (started == 0 && threads > 0)
		job_fail(&job, wb__oom(NULL));
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(w);
	free(tid);
	rc = job.rc ? job.rc : wb__run_interrupted ? WB_EINTERRUPTED : 0;
	pthread_mutex_destroy(&job.lock);
	return rc;
}

int wb__verify_all(wb_run *run)
{
	wb_db *db = NULL;
	int rc = 0;

	if (!run->nchecks || strcmp(run->mode, "plan") == 0)
		return 0;
	if ((rc = wb_open(&db, run->url)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < run->nchecks; i++)
		rc = run_check(run, (int)i, db);
	wb_close(db);
	send_counts(run);
	for (size_t i = 0; i < run->nverify_keys; i++)
		wb__run_ctl(run, "K %s", run->verify_keys[i]);
	if (rc == 0 && run->verify_failed > 0)
		return wb__error(NULL, WB_ERROR, "verification failed on %lld of %lld item(s); first: %s",
				 (long long)run->verify_failed, (long long)run->verify_checked,
				 run->nverify_keys ? run->verify_keys[0] : "?");
	return rc;
}
