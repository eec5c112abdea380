/*
 * each.c - wb_each and wb_each_query: the per-item helper of migrations.
 *
 * A scan is split into segments (fixed per migration and table on the
 * first run, kept in a "meta" checkpoint so resumed runs split the same
 * way); worker threads take segments in turn, each with its own handle on
 * the target.  Every item goes through the user's callback; the items it
 * changes or deletes are collected into a batch that is written with one
 * wb_batch_write together with the stream's checkpoint (where the backend's
 * batches are atomic, WB_CAP_ATOMIC_BATCH, one transaction: an item is
 * never transformed twice, even after kill -9).  Where they are not, the
 * checkpoint is written after the changes, so a crash in between means
 * those items are visited again (at least once), never skipped.
 *
 * Every write is conditional on the stored item still being the one that
 * was read (WB_COND_ITEM_EQUALS with the before-image).  When a condition
 * fails, that item is read again, the callback runs on the fresh copy and
 * the batch is retried, a bounded number of times.
 *
 * When the run is journaled (prod by default, journal.h), every change
 * gets its whimbrel_journal entry, gathered into one chunk per batch
 * (journal_chunk_out): in the same batch where batches are atomic, in a
 * batch of its own written just before the changes where they are not
 * (no WB_CAP_ATOMIC_BATCH); on the fast path from the on_change hook, written into the
 * page's transaction with its checkpoint.
 *
 * When the handle can transform pages itself (the optional each_page
 * operation of backend.h; a wrapper that intercepts writes, like plan,
 * cannot), a scan takes that fast path instead: per page of 4 x `batch`
 * items ONE write transaction in which the store walks the rows, the
 * callback runs on each and the changed rows are written in the same pass;
 * the checkpoint (and the journal's writes) join that transaction from its
 * hooks (wb__db_tx_write).  The read and the
 * write of an item are then one transaction, so no other writer can slip in
 * between: no condition is needed and none can fail.  When the callback
 * fails on an item of a fast page (a negative or unknown verdict), the page
 * is rolled back and the run stops with the callback's error, as on the
 * generic path and on every backend (fast_failed).  Whenever a fast page
 * fails otherwise (a changed key or an invalid item, a write of the
 * callback to the same file through another handle, which cannot wait for
 * the page's own transaction), nothing of it was written, and the stream
 * goes on from that page the generic way, whose messages and semantics
 * (commit the work before a failed item) apply.  The callback may thus see
 * the items of that one page twice; nothing is written twice.  A worker whose pages held the
 * write lock longer than FAST_PAGE_MS three times in a row (a slow
 * callback, where the fast path gains little) goes on the generic way too,
 * so that other writers are not kept waiting.  Where the store takes one
 * writer at a time (WB_CAP_ONE_WRITER), several threads take turns
 * (job->fast) instead of queueing in the store.  Set
 * WHIMBREL_EACH_GENERIC=1 to always take the generic path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "backend.h"
#include "checkpoint.h"
#include "journal.h"
#include "run.h"

#define MAX_RETRIES 50          /* condition failures tolerated per batch */
#define MAX_SEGMENTS 256        /* cap on the number of scan segments */
#define FAST_PAGE_MS 50         /* a fast page holding the write lock longer: go generic */

/* One change waiting in a batch. */
struct entry {
	wb_item *before;   /* the item as read (owned); also its key (stores use only the key attributes) */
	wb_item *after;    /* WB_WRITE: the new item (owned); WB_DELETE: NULL */
	int verdict;       /* WB_WRITE or WB_DELETE */
	int applied;       /* written by an earlier non-atomic attempt */
};

/* One wb_each call, shared by its worker threads. */
struct job {
	wb_run *run;             /* the run */
	const char *table;       /* the table */
	const char *prefix;      /* pk prefix of a scan, or NULL */
	const wb_query *query;   /* wb_each_query: the query, else NULL */
	wb_item_fn fn;           /* user callback */
	void *arg;               /* its argument */
	wb_key_schema key;       /* the table's key schema */
	int checkpoints;         /* 0 in plan mode */
	int journal;             /* journal the changes (run->journal, never in plan mode) */
	int call;                /* this is the run's call-th wb_each / wb_each_query */
	unsigned total_segments; /* segments of the scan */
	pthread_mutex_t lock;    /* guards next, rc, err */
	pthread_mutex_t fast;    /* fast path on a one-writer store: one page at a time in this
	                            process (waiting here beats the store's busy handler) */
	unsigned next;           /* next segment to take */
	unsigned end;            /* segments before this one are taken (a worker's claim: next + 1) */
	int rc;                  /* first failure, 0 if none */
	char err[1024];          /* its message */
};

/* A stream: one scan segment or one query. */
struct stream {
	char name[1400];         /* checkpoint sort key */
	int64_t count;           /* items done in this stream, all runs */
	wb_counters run;         /* this run's counters in this stream, as committed in its checkpoint */
	int64_t written;         /* of those, written back (all runs, as the checkpoint says) */
	int64_t deleted;         /* of those, deleted */
	wb_item *last_key;       /* key of the last item covered by a checkpoint (owned) */
	wb_item *last_item;      /* the last item visited, when it was left unchanged (owned) */
	int moved;               /* items were visited since last_key was set */
	int64_t jn;              /* journal entries made by this stream (their counter) */
};

/* A worker thread's state. */
struct worker {
	struct job *job;         /* shared */
	wb_db *db;               /* its handle (plan wrapper in plan mode; owned) */
	wb_db *inner;            /* the real handle under db (owned; may equal db) */
	int atomic;              /* batches are all-or-nothing (WB_CAP_ATOMIC_BATCH) */
	int fast;                /* scans take the each_page fast path (until a page fails) */
	int one_writer;          /* the store takes one writer at a time (WB_CAP_ONE_WRITER) */
	struct entry *e;         /* pending changes */
	wb_journal_chunk chunk;  /* journal entries being gathered */
	size_t n, cap;           /* how many, room */
	wb_counters pending;     /* scanned / unchanged / failed since the last commit */
	size_t since_flush;      /* items visited since the last checkpoint */
};

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

static int job_failed(struct job *job)
{
	int rc;

	pthread_mutex_lock(&job->lock);
	rc = job->rc;
	pthread_mutex_unlock(&job->lock);
	return rc;
}

/* The key of an item as typed JSON (WB_JSON_DDB), for messages (static per thread). */
static const char *key_text(const struct job *job, const wb_item *item)
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

/* -------------------------------------------------------------- entries */

static void entry_free(struct entry *e)
{
	wb_item_free(e->before);
	wb_item_free(e->after);
	memset(e, 0, sizeof(*e));
}

static void entries_clear(struct worker *w)
{
	for (size_t i = 0; i < w->n; i++)
		entry_free(&w->e[i]);
	w->n = 0;
}

static int same_key(const struct job *job, const wb_item *a, const wb_item *b)
{
	const wb_key_schema *k = &job->key;

	if (!wb_value_equal(wb_item_get(a, k->pk_name), wb_item_get(b, k->pk_name)))
		return 0;
	return !k->sk_name[0] || wb_value_equal(wb_item_get(a, k->sk_name), wb_item_get(b, k->sk_name));
}

/*
 * The callback returned v, neither WB_KEEP, WB_WRITE nor WB_DELETE, on
 * `item`: the error that stops the run, the same on every path and backend
 * (the callback's own message when it set one with that code).
 */
static int verdict_error(const struct job *job, int v, const wb_item *item)
{
	if (v > WB_DELETE)
		return wb__error(NULL, WB_EINVALID, "%s: the callback returned %d on item %s "
				 "(expected WB_KEEP, WB_WRITE or WB_DELETE)", job->table, v,
				 key_text(job, item));
	if (wb_error_last_code() == v)
		return v;
	return wb__error(NULL, v, "%s: the callback failed with %d (%s) on item %s",
			 job->table, v, wb_strerror(v), key_text(job, item));
}

/*
 * Run the callback on `item` (which it may change) read as `before`, and
 * classify the result into *e.  Takes ownership of item and before.
 * Returns 1 when *e holds a change, 0 when the item stays as it is (then
 * `before` goes to *spare when spare is not NULL), or a negative error
 * (callback failure, key changed).
 */
static int judge(struct worker *w, wb_item *item, wb_item *before, struct entry *e, wb_item **spare)
{
	struct job *job = w->job;
	int v = job->fn(item, job->arg);

	memset(e, 0, sizeof(*e));
	if (v < 0 || v > WB_DELETE) {
		int rc = verdict_error(job, v, before);
		wb_item_free(item);
		wb_item_free(before);
		return rc;
	}
	if (v == WB_KEEP || (v == WB_WRITE && wb_item_equal(item, before))) {
		wb_item_free(item);
		if (spare)
			*spare = before;
		else
			wb_item_free(before);
		return 0;
	}
	if (v == WB_WRITE && !same_key(job, item, before)) {
		const char *k = key_text(job, before);
		wb_item_free(item);
		wb_item_free(before);
		return wb__error(NULL, WB_EINVALID, "%s: the callback changed the key of item %s "
				 "(write a new item and delete the old one instead)", job->table, k);
	}
	e->verdict = v;
	e->before = before;
	if (v == WB_WRITE)
		e->after = item;
	else
		wb_item_free(item);
	return 1;
}

static int push_entry(struct worker *w, struct entry *e)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct entry *p = wb__realloc(w->e, ncap * sizeof(*p));
		if (!p) {
			entry_free(e);
			return WB_ENOMEM;
		}
		w->e = p;
		w->cap = ncap;
	}
	w->e[w->n++] = *e;
	return 0;
}

/* ---------------------------------------------------------------- batches */

/* Does the journal want the changes' before-images?  (The fast path then asks for them.) */
static int journal_on(const struct worker *w)
{
	return w->job->journal;
}

/* The chunk's whimbrel_journal item (caller frees; NULL with the error set); the chunk is emptied. */
static wb_item *journal_chunk_out(struct worker *w, struct stream *st)
{
	struct job *job = w->job;
	char seq[1500];
	wb_item *it;

	wb__journal_seq(seq, sizeof(seq), job->call, st->name, st->jn++);
	it = wb__journal_chunk_item(job->run->run_id, seq, job->table, &w->chunk);
	wb__journal_chunk_reset(&w->chunk);
	return it;
}

/*
 * Writes of the batch: per change, its write (+ its journal entry when
 * batches are atomic), then the checkpoint; the journal's entries apart
 * (jw) when they are not, to be written first.
 */
struct batch {
	wb_write *w;         /* the writes */
	wb_cond *cond;       /* their conditions */
	size_t *entry_of;    /* index of the entry behind each write, or SIZE_MAX */
	size_t n;            /* how many */
	wb_item **jitem;     /* journal entries (owned) */
	wb_write *jw;        /* not atomic: their puts, written before w */
	size_t jn;           /* how many */
};

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->jn; i++)
		wb_item_free(b->jitem[i]);
	free(b->w);
	free(b->cond);
	free(b->entry_of);
	free(b->jitem);
	free(b->jw);
	memset(b, 0, sizeof(*b));
}

/* The chunk gathered so far goes into the batch: beside the writes (atomic) or into jw. */
static int batch_chunk(struct worker *w, struct stream *st, struct batch *b)
{
	wb_item *j = journal_chunk_out(w, st);
	wb_write put;

	if (!j)
		return wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM;
	b->jitem[b->jn++] = j;
	put = (wb_write){WB_JOURNAL_TABLE, WB_WRITE_PUT, j, NULL};
	if (w->atomic) {
		b->w[b->n] = put;
		b->entry_of[b->n++] = SIZE_MAX;
	} else {
		b->jw[b->jn - 1] = put;
	}
	return 0;
}

static int batch_build(struct worker *w, struct stream *st, struct batch *b, wb_item *checkpoint)
{
	size_t room = w->n * 2 + 1;
	int rc;

	memset(b, 0, sizeof(*b));
	b->w = wb__calloc(room, sizeof(*b->w));
	b->cond = wb__calloc(room, sizeof(*b->cond));
	b->entry_of = wb__calloc(room, sizeof(*b->entry_of));
	b->jitem = wb__calloc(room, sizeof(*b->jitem));
	b->jw = wb__calloc(room, sizeof(*b->jw));
	if (!b->w || !b->cond || !b->entry_of || !b->jitem || !b->jw) {
		batch_free(b);
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < w->n; i++) {
		struct entry *e = &w->e[i];
		if (e->applied)
			continue;
		b->cond[b->n] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, e->before};
		b->w[b->n] = (wb_write){w->job->table,
					e->verdict == WB_WRITE ? WB_WRITE_PUT : WB_WRITE_DELETE,
					e->verdict == WB_WRITE ? e->after : e->before, &b->cond[b->n]};
		b->entry_of[b->n++] = i;
		if (!journal_on(w))
			continue;
		rc = wb__journal_add(&w->chunk, &w->job->key, e->before, e->verdict == WB_WRITE ? e->after : NULL);
		if (rc > 0)
			rc = batch_chunk(w, st, b);
		if (rc < 0) {
			wb__journal_chunk_reset(&w->chunk);
			batch_free(b);
			return rc;
		}
	}
	if (w->chunk.n && (rc = batch_chunk(w, st, b)) < 0) {
		batch_free(b);
		return rc;
	}
	if (checkpoint) {
		b->w[b->n] = (wb_write){WB_CHECKPOINT_TABLE, WB_WRITE_PUT, checkpoint, NULL};
		b->entry_of[b->n++] = SIZE_MAX;
	}
	return 0;
}

/* Drop entry i (the item now needs no change). */
static void entry_drop(struct worker *w, size_t i)
{
	entry_free(&w->e[i]);
	memmove(&w->e[i], &w->e[i + 1], (w->n - i - 1) * sizeof(*w->e));
	w->n--;
	w->pending.unchanged++;
}

/* A write of entry i failed its condition: read the item again and redo it. */
static int refresh(struct worker *w, size_t i)
{
	struct job *job = w->job;
	wb_item *fresh = NULL, *copy;
	struct entry e;
	int rc;

	rc = wb_get(&fresh, w->inner, job->table, w->e[i].before);
	if (rc == WB_ENOTFOUND) { /* deleted meanwhile: nothing left to change */
		entry_drop(w, i);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!(copy = wb_item_dup(fresh))) {
		wb_item_free(fresh);
		return WB_ENOMEM;
	}
	if ((rc = judge(w, copy, fresh, &e, NULL)) < 0)
		return rc;
	if (rc == 0) {
		entry_drop(w, i);
		return 0;
	}
	entry_free(&w->e[i]);
	w->e[i] = e;
	return 0;
}

/* a += b */
static void counters_add(wb_counters *a, const wb_counters *b)
{
	a->scanned += b->scanned;
	a->written += b->written;
	a->deleted += b->deleted;
	a->unchanged += b->unchanged;
	a->failed += b->failed;
	a->retries += b->retries;
	a->throttled += b->throttled;
	a->conditions += b->conditions;
}

/* Add the writes and deletes of the pending batch to *d. */
static void batch_verdicts(const struct worker *w, wb_counters *d)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->e[i].verdict == WB_WRITE)
			d->written++;
		else
			d->deleted++;
	}
}

/* What the pending batch adds to the counters. */
static wb_counters batch_counters(const struct worker *w)
{
	wb_counters d = w->pending;

	batch_verdicts(w, &d);
	return d;
}

/* Count the committed batch and forget it. */
static void batch_done(struct worker *w, struct stream *st)
{
	wb_counters d = batch_counters(w);

	st->count += d.scanned;
	st->written += d.written;
	st->deleted += d.deleted;
	counters_add(&st->run, &d);
	wb__run_count(w->job->run, &d);
	memset(&w->pending, 0, sizeof(w->pending));
	entries_clear(w);
	w->since_flush = 0;
}

/*
 * The key of the last item visited becomes the stream's position: the last
 * unchanged item, or else the last change of the batch (entries are in
 * visit order).  Computed once per batch, not per item.
 */
static int settle_last_key(struct worker *w, struct stream *st)
{
	const wb_item *src = st->last_item ? st->last_item : w->n ? w->e[w->n - 1].before : NULL;
	wb_item *key;

	if (!st->moved || !src)
		return 0;
	if (!(key = wb_item_key(src, &w->job->key)))
		return wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM;
	wb_item_free(st->last_key);
	st->last_key = key;
	wb_item_free(st->last_item);
	st->last_item = NULL;
	st->moved = 0;
	return 0;
}

/* Write the pending changes and the stream's checkpoint in one batch. */
static int flush(struct worker *w, struct stream *st, int done)
{
	struct job *job = w->job;
	wb_item *cp = NULL;
	int rc = 0;

	if ((rc = settle_last_key(w, st)) < 0)
		return rc;

	for (int attempt = 0;; attempt++) {
		struct batch b;
		size_t failed = SIZE_MAX;
		wb_counters d = batch_counters(w), c = d; /* c: the stream's counters once this batch is in */

		counters_add(&c, &st->run);
		if (job->checkpoints &&
		    (!(cp = wb__checkpoint_item(job->run->migration, st->name, job->run->run_id, job->table,
						st->last_key, done, job->total_segments,
						st->count + w->pending.scanned, &c)) ||
		     wb__checkpoint_counts(cp, st->written + d.written, st->deleted + d.deleted) < 0))
			return WB_ENOMEM;
		/* Not atomic: the checkpoint goes after the changes, never before. */
		if ((rc = batch_build(w, st, &b, w->atomic ? cp : NULL)) < 0)
			break;
		/* Not atomic: the journal's entries go first, so no change is ever untracked. */
		rc = !w->atomic && b.jn ? wb_batch_write(w->db, b.jw, b.jn, NULL) : 0;
		if (rc == 0)
			rc = b.n ? wb_batch_write(w->db, b.w, b.n, &failed) : 0;
		size_t ei = (rc == WB_ECONDITION && failed < b.n) ? b.entry_of[failed] : SIZE_MAX;
		batch_free(&b);
		if (rc == 0 && cp && !w->atomic)
			rc = wb_put(w->db, WB_CHECKPOINT_TABLE, cp, NULL);
		wb_item_free(cp);
		cp = NULL;
		if (rc != WB_ECONDITION)
			break;
		wb__run_count(job->run, &(wb_counters){.conditions = 1});
		if (ei == SIZE_MAX) {
			rc = wb__error(NULL, WB_ECONDITION, "%s: a batch kept failing its conditions "
				       "(%d attempts): %s", job->table, attempt + 1, wb_error_last());
			break;
		}
		if (attempt >= MAX_RETRIES) {
			char why[512];
			snprintf(why, sizeof(why), "%s", wb_error_last());
			rc = wb__error(NULL, WB_ECONDITION, "%s: a batch kept failing its conditions "
				       "(%d attempts), the last on item %s: %s", job->table, attempt + 1,
				       key_text(job, w->e[ei].before), why);
			break;
		}
		if (!w->atomic) /* the writes before the failed one were applied */
			for (size_t i = 0; i < ei; i++)
				w->e[i].applied = 1;
		if ((rc = refresh(w, ei)) < 0)
			break;
	}
	wb_item_free(cp);
	if (rc < 0)
		return rc == WB_ENOMEM ? wb__oom(NULL) : rc;
	batch_done(w, st);
	return 0;
}

/* ---------------------------------------------------------------- streams */

/* After a commit: stop here if interrupted or another thread failed. */
static int should_stop(struct worker *w)
{
	if (wb__run_interrupted)
		return WB_EINTERRUPTED;
	return job_failed(w->job) ? WB_ERROR : 0;
}

/* The callback failed on an item: commit the work before it, keep the error. */
static int callback_failed(struct worker *w, struct stream *st, int rc)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", wb_error_last());
	w->pending.failed++;
	flush(w, st, 0);
	return wb__error(NULL, rc, "%s", msg);
}

/* Visit one item (taking ownership); flush when the batch is full. */
static int visit(struct worker *w, struct stream *st, wb_item *item)
{
	struct job *job = w->job;
	wb_item *before = wb_item_dup(item), *spare = NULL;
	struct entry e;
	int rc, changed;

	if (!before) {
		wb_item_free(item);
		return WB_ENOMEM;
	}
	if ((changed = judge(w, item, before, &e, &spare)) < 0)
		return callback_failed(w, st, changed);
	if (changed && (rc = push_entry(w, &e)) < 0)
		return rc;
	if (!changed)
		w->pending.unchanged++;
	w->pending.scanned++;
	wb_item_free(st->last_item);
	st->last_item = spare; /* NULL when changed: the last entry is the last item */
	st->moved = 1;
	w->since_flush++;
	if (w->n >= job->run->batch || w->since_flush >= 4 * job->run->batch) {
		if ((rc = flush(w, st, 0)) < 0)
			return rc;
		return should_stop(w);
	}
	return 0;
}

static int fetch(struct worker *w, unsigned seg, const wb_item *cursor, wb_page **page)
{
	struct job *job = w->job;

	if (job->query) {
		wb_query q = *job->query;
		q.start_after = cursor;
		if (!q.limit)
			q.limit = job->run->batch;
		return wb_query_page(page, w->db, job->table, &q);
	}
	wb_scan s = WB_SCAN_INIT;
	s.segment = seg;
	s.total_segments = job->total_segments;
	s.pk_prefix = job->prefix;
	s.limit = job->run->batch;
	s.start_after = cursor;
	return wb_scan_page(page, w->db, job->table, &s);
}

/* Visit the items of one page. */
static int visit_page(struct worker *w, struct stream *st, wb_page *page)
{
	int rc = 0;

	for (size_t i = 0; i < page->count; i++) {
		wb_item *item = page->items[i];
		page->items[i] = NULL;
		if ((rc = visit(w, st, item)) < 0)
			break;
	}
	return rc;
}

/* Load a stream's checkpoint; returns 1 when the stream is already done. */
static int stream_resume(struct worker *w, struct stream *st, wb_item **cursor)
{
	wb_checkpoint cp;
	int rc;

	if (!w->job->checkpoints)
		return 0;
	rc = wb__checkpoint_load(w->inner, w->job->run->migration, st->name, &cp);
	if (rc == WB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	st->count = cp.count;
	st->written = cp.written;
	st->deleted = cp.deleted;
	if (cp.count > 0)
		wb__run_ctl(w->job->run, "R %lld", (long long)cp.count);
	if (cp.done) {
		wb__checkpoint_clear_struct(&cp);
		return 1;
	}
	if (cp.last_key) {
		st->last_key = cp.last_key;
		*cursor = wb_item_dup(cp.last_key);
		cp.last_key = NULL;
		if (!*cursor)
			return WB_ENOMEM;
	}
	wb__checkpoint_clear_struct(&cp);
	return 0;
}

/* ------------------------------------------------------------ fast path */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One fast page: what its hooks and fast_fn need. */
struct fast_page {
	struct worker *w;        /* the worker */
	struct stream *st;       /* its stream */
	wb_write *jw;            /* the page's journal entries, written with its checkpoint */
	size_t jn, jcap;         /* how many, room */
	int verdict;             /* the callback's failing verdict on this page, 0 if none */
	char err[1024];          /* its message (verdict_error) */
};

static void fast_page_clear(struct fast_page *fp)
{
	for (size_t i = 0; i < fp->jn; i++)
		wb_item_free((wb_item *)fp->jw[i].item);
	fp->jn = 0;
	wb__journal_chunk_reset(&fp->w->chunk);
}

/* The chunk gathered so far becomes one of the page's journal writes. */
static int fast_chunk(wb_db *db, struct fast_page *fp)
{
	wb_item *j;

	if (fp->jn == fp->jcap) {
		size_t ncap = fp->jcap ? fp->jcap * 2 : 4;
		wb_write *p = wb__realloc(fp->jw, ncap * sizeof(*p));
		if (!p)
			return wb__oom(db);
		fp->jw = p;
		fp->jcap = ncap;
	}
	if (!(j = journal_chunk_out(fp->w, fp->st)))
		return wb__error_to_db(db, wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM);
	fp->jw[fp->jn++] = (wb_write){WB_JOURNAL_TABLE, WB_WRITE_PUT, j, NULL};
	return 0;
}

/* The callback on the fast path: a failing verdict is kept with its message. */
static int fast_fn(wb_item *item, void *arg)
{
	struct fast_page *fp = arg;
	struct job *job = fp->w->job;
	int v = job->fn(item, job->arg);

	if ((v < 0 || v > WB_DELETE) && !fp->verdict) {
		fp->verdict = verdict_error(job, v, item);
		snprintf(fp->err, sizeof(fp->err), "%s", wb_error_last());
	}
	return v;
}

/*
 * A fast page failed: 1 to do it again the generic way (nothing of it was
 * written), or the error that stops the stream.  A failing verdict of the
 * callback stops it as on the generic path (counted failed, the message
 * naming the item): doing the page again would call the callback on those
 * items again and could drop the error.  Only a page refused because the
 * callback wrote to the same store through another handle (page->again),
 * or one that failed for the store's own reasons, is done again.
 */
static int fast_failed(struct fast_page *fp, const wb__page_result *page)
{
	wb_counters one_failed = {.failed = 1};

	if (!fp->verdict || page->again) {
		wb_error_clear();
		return 1;
	}
	wb__run_count(fp->w->job->run, &one_failed);
	return wb__error(NULL, fp->verdict, "%s", fp->err);
}

/* Hook: a change of the page gets its journal entry (only asked for when journal_on). */
static int fast_on_change(wb_db *db, const wb_item *before, const wb_item *after, void *arg)
{
	struct fast_page *fp = arg;
	int rc = wb__journal_add(&fp->w->chunk, &fp->w->job->key, before, after);

	if (rc < 0)
		return wb__error_to_db(db, rc);
	return rc > 0 ? fast_chunk(db, fp) : 0;
}

/* What a fast page adds to the counters. */
static wb_counters page_counters(const wb__page_result *page)
{
	wb_counters d = {.scanned = (int64_t)page->scanned, .written = (int64_t)page->written,
			 .deleted = (int64_t)page->deleted,
			 .unchanged = (int64_t)(page->scanned - page->written - page->deleted)};

	return d;
}

/* Hook: the stream's checkpoint and counters, in the page's transaction (committed with it or not at all). */
static int fast_before_commit(wb_db *db, const wb__page_result *page, void *arg)
{
	struct fast_page *fp = arg;
	struct job *job = fp->w->job;
	struct stream *st = fp->st;
	wb_counters c = page_counters(page);
	wb_item *cp;
	wb_write wr;
	int rc = 0;

	counters_add(&c, &st->run);
	cp = wb__checkpoint_item(job->run->migration, st->name, job->run->run_id, job->table,
				 page->last_key ? page->last_key : st->last_key, !page->last_key,
				 job->total_segments, st->count + (int64_t)page->scanned, &c);
	if (!cp || wb__checkpoint_counts(cp, st->written + (int64_t)page->written,
					 st->deleted + (int64_t)page->deleted) < 0) {
		wb_item_free(cp);
		return wb__oom(db);
	}
	if (fp->w->chunk.n && (rc = fast_chunk(db, fp)) < 0) {
		wb_item_free(cp);
		return rc;
	}
	if (fp->jn) /* the page's journal chunks */
		rc = wb__db_tx_write(db, fp->jw, fp->jn, NULL);
	wr = (wb_write){WB_CHECKPOINT_TABLE, WB_WRITE_PUT, cp, NULL};
	if (rc == 0)
		rc = wb__db_tx_write(db, &wr, 1, NULL);
	wb_item_free(cp);
	fast_page_clear(fp);
	return rc;
}

/*
 * The stream by fast pages from *cursor (owned, updated).  Returns 0 when
 * the stream is done, 1 when a page failed (nothing of it written: go on
 * the generic way from *cursor), or a negative error (the callback's,
 * interrupted, another thread failed).
 */
static int fast_pages(struct worker *w, struct stream *st, unsigned seg, wb_item **cursor,
		      struct fast_page *fp)
{
	struct job *job = w->job;
	wb__page_hooks hooks = {journal_on(w) ? fast_on_change : NULL, fast_before_commit, fp};
	wb_scan s = WB_SCAN_INIT;
	int rc, slow = 0;

	s.segment = seg;
	s.total_segments = job->total_segments;
	s.pk_prefix = job->prefix;
	/* Pages of 4 batches (as a generic batch is flushed after 4 batches of
	 * items visited): fewer commits, about 20% less CPU than pages of one
	 * batch (bench/RESULTS.md); still a few ms of write lock per page. */
	s.limit = 4 * job->run->batch;
	for (;;) {
		wb__page_result page;
		int64_t t0 = now_ms();
		s.start_after = *cursor;
		wb_error_clear(); /* the callback's own messages are told apart by their code */
		fp->verdict = 0;
		if (w->one_writer)
			pthread_mutex_lock(&job->fast);
		rc = wb__db_each_page(w->db, job->table, &s, fast_fn, fp, &hooks, &page);
		if (w->one_writer)
			pthread_mutex_unlock(&job->fast);
		fast_page_clear(fp); /* a failed page's entries were never written */
		if (rc < 0)
			return fast_failed(fp, &page);
		/* A slow callback: do not keep other writers waiting that long (one slow
		 * page may be a WAL checkpoint in its commit, three in a row are not). */
		slow = now_ms() - t0 > FAST_PAGE_MS ? slow + 1 : 0;
		if (slow >= 3)
			w->fast = 0;
		wb_counters d = page_counters(&page);
		st->count += d.scanned;
		st->written += d.written;
		st->deleted += d.deleted;
		counters_add(&st->run, &d);
		wb__run_count(job->run, &d);
		if (!page.last_key)
			return 0;
		wb_item_free(*cursor);
		*cursor = page.last_key;
		wb_item_free(st->last_key);
		if (!(st->last_key = wb_item_dup(page.last_key)))
			return WB_ENOMEM;
		if ((rc = should_stop(w)) < 0)
			return rc;
		if (!w->fast)
			return 1;
	}
}

static int fast_stream(struct worker *w, struct stream *st, unsigned seg, wb_item **cursor)
{
	struct fast_page fp = {w, st, NULL, 0, 0, 0, ""};
	int rc = fast_pages(w, st, seg, cursor, &fp);

	fast_page_clear(&fp);
	free(fp.jw);
	return rc;
}

/* ---------------------------------------------------------- generic path */

static int run_stream(struct worker *w, struct stream *st, unsigned seg)
{
	wb_item *cursor = NULL;
	int rc;

	if ((rc = stream_resume(w, st, &cursor)) != 0)
		return rc < 0 ? rc : 0;
	if (w->fast && !w->job->query) {
		rc = fast_stream(w, st, seg, &cursor);
		if (rc <= 0) {
			wb_item_free(cursor);
			return rc == WB_ENOMEM ? wb__oom(NULL) : rc;
		}
		w->fast = 0; /* a page failed or was slow: this worker goes on the generic way */
	}
	for (;;) {
		wb_page *page = NULL;
		if ((rc = fetch(w, seg, cursor, &page)) < 0)
			break;
		rc = visit_page(w, st, page);
		wb_item_free(cursor);
		cursor = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
		if (rc < 0)
			break;
		if (!cursor) {
			rc = flush(w, st, 1);
			break;
		}
	}
	wb_item_free(cursor);
	return rc;
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
	entries_clear(w);
	free(w->e);
	wb__journal_chunk_free(&w->chunk);
	if (w->db != w->inner)
		wb_close(w->db);
	wb_close(w->inner);
}

static int take_segment(struct job *job, unsigned *seg)
{
	int ok;

	pthread_mutex_lock(&job->lock);
	ok = job->rc == 0 && job->next < job->end;
	if (ok)
		*seg = job->next++;
	pthread_mutex_unlock(&job->lock);
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
	while (take_segment(job, &seg)) {
		struct stream st;
		memset(&st, 0, sizeof(st));
		if (job->query)
			stream_name_query(job, &st);
		else
			stream_name_scan(job, &st, seg);
		rc = wb__run_interrupted ? WB_EINTERRUPTED : run_stream(&w, &st, seg);
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
