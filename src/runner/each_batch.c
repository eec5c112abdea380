/*
 * each_batch.c - the generic path of a wb_each stream.
 *
 * Every item of a page goes through the user's callback; the items it
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
 * (wb__each_journal_chunk_out): in the same batch where batches are atomic,
 * in a batch of its own written just before the changes where they are not.
 *
 * A scan on a store that transforms pages itself takes the fast path of
 * each_fast.c first, and comes back here from the page where that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "each_int.h"

#define MAX_RETRIES 50          /* condition failures tolerated per batch */

/* -------------------------------------------------------------- entries */

static void entry_free(struct entry *e)
{
	wb_item_free(e->before);
	wb_item_free(e->after);
	memset(e, 0, sizeof(*e));
}

void wb__each_entries_clear(struct worker *w)
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
int wb__each_verdict_error(const struct job *job, int v, const wb_item *item)
{
	if (v > WB_DELETE)
		return wb__error(NULL, WB_EINVALID, "%s: the callback returned %d on item %s "
				 "(expected WB_KEEP, WB_WRITE or WB_DELETE)", job->table, v,
				 wb__each_key_text(job, item));
	if (wb_error_last_code() == v)
		return v;
	return wb__error(NULL, v, "%s: the callback failed with %d (%s) on item %s",
			 job->table, v, wb_strerror(v), wb__each_key_text(job, item));
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
		int rc = wb__each_verdict_error(job, v, before);
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
		const char *k = wb__each_key_text(job, before);
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

/* The chunk's whimbrel_journal item (caller frees; NULL with the error set); the chunk is emptied. */
wb_item *wb__each_journal_chunk_out(struct worker *w, struct stream *st)
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
	wb_item *j = wb__each_journal_chunk_out(w, st);
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
		/* --unconditional: no condition (a blind batch), whatever changed meanwhile */
		b->cond[b->n] = w->job->run->unconditional ? (wb_cond){WB_COND_NONE, NULL, NULL, NULL}
							   : (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, e->before};
		b->w[b->n] = (wb_write){w->job->table,
					e->verdict == WB_WRITE ? WB_WRITE_PUT : WB_WRITE_DELETE,
					e->verdict == WB_WRITE ? e->after : e->before, &b->cond[b->n]};
		b->entry_of[b->n++] = i;
		if (!wb__each_journal_on(w))
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
void wb__each_counters_add(wb_counters *a, const wb_counters *b)
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
	wb__each_counters_add(&st->run, &d);
	wb__run_count(w->job->run, &d);
	memset(&w->pending, 0, sizeof(w->pending));
	wb__each_entries_clear(w);
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

/* Why a batch failed for good, naming its items: those of fails (n of them; at most 3 named). */
static int batch_failed(const struct worker *w, int rc, const size_t *fails, size_t n, int attempts)
{
	char why[512], keys[400] = "";
	size_t len = 0;

	snprintf(why, sizeof(why), "%s", wb_error_last());
	for (size_t i = 0; i < n && i < 3 && len < sizeof(keys); i++)
		len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s%s", i ? ", " : "",
					wb__each_key_text(w->job, w->e[fails[i]].before));
	if (rc != WB_ECONDITION)
		return wb__error(NULL, rc, "%s: %zu write%s of a batch failed (item%s %s%s): %s", w->job->table, n,
				 n == 1 ? "" : "s", n == 1 ? "" : "s", keys, n > 3 ? ", ..." : "", why);
	return wb__error(NULL, WB_ECONDITION, "%s: a batch kept failing its conditions (%d attempts), "
			 "the last on item%s %s%s: %s", w->job->table, attempts, n == 1 ? "" : "s", keys,
			 n > 3 ? ", ..." : "", why);
}

/*
 * After wb_batch_write_each of batch b: the entries whose writes were
 * applied are marked (a batch that is not atomic), those that failed are
 * listed into fails (ascending, *nfails).  Returns WB_ECONDITION when
 * only conditions failed (the caller reads those items again), the code of
 * another failure, or WB_ECONDITION with *nfails = 0 when a write of no
 * entry (checkpoint, journal) failed its condition; rc_write when no
 * write failed (the journal's batch did, before them).
 */
static int batch_fates(struct worker *w, const struct batch *b, const int *res, size_t *fails, size_t *nfails,
		       int rc_write)
{
	int rc = WB_ECONDITION, orphan = 0, any = 0;

	*nfails = 0;
	for (size_t k = 0; k < b->n; k++) {
		size_t ei = b->entry_of[k];
		if (res[k] == 0 && ei != SIZE_MAX && !w->atomic)
			w->e[ei].applied = 1;
		if (res[k] >= 0)
			continue;
		any = 1;
		if (res[k] != WB_ECONDITION)
			rc = res[k];
		if (ei != SIZE_MAX)
			fails[(*nfails)++] = ei;
		else
			orphan = res[k];
	}
	if (!any || orphan)
		*nfails = 0;
	return !any ? rc_write : orphan ? orphan : rc;
}

/* Read the failed entries again, the last first (refresh may drop one, moving those after it). */
static int refresh_all(struct worker *w, const size_t *fails, size_t n)
{
	int rc = 0;

	for (size_t i = n; i-- > 0 && rc == 0;)
		rc = refresh(w, fails[i]);
	return rc;
}

/* Write batch b: the journal first where batches are not atomic, then its writes (fates into res). */
static int batch_write(struct worker *w, const struct batch *b, int *res)
{
	int rc = !w->atomic && b->jn ? wb_batch_write(w->db, b->jw, b->jn, NULL) : 0;

	for (size_t k = 0; k < b->n; k++)
		res[k] = WB_WRITE_NOT_SENT;
	if (rc == 0 && b->n)
		rc = wb_batch_write_each(w->db, b->w, b->n, res);
	return rc;
}

/*
 * Write the pending changes and the stream's checkpoint in one batch.
 * Where the batch is not atomic several of its writes may fail at once
 * (they are in flight together, wb_batch_write_each): those applied are
 * kept, only the items whose conditions failed are read again and
 * retried, each failure counted in the run's conditions.
 */
static int flush(struct worker *w, struct stream *st, int done)
{
	struct job *job = w->job;
	wb_item *cp = NULL;
	size_t *fails = NULL, nfails = 0;
	int *res = NULL, rc = 0;

	if ((rc = settle_last_key(w, st)) < 0)
		return rc;
	if (!(res = wb__calloc(w->n * 2 + 1, sizeof(*res))) || !(fails = wb__calloc(w->n + 1, sizeof(*fails)))) {
		free(res);
		return WB_ENOMEM;
	}
	for (int attempt = 0;; attempt++) {
		struct batch b;
		wb_counters d = batch_counters(w), c = d; /* c: the stream's counters once this batch is in */

		wb__each_counters_add(&c, &st->run);
		if (job->checkpoints &&
		    (!(cp = wb__checkpoint_item(job->run->migration, st->name, job->run->run_id, job->table,
						st->last_key, done, job->total_segments,
						st->count + w->pending.scanned, &c)) ||
		     wb__checkpoint_counts(cp, st->written + d.written, st->deleted + d.deleted) < 0)) {
			rc = WB_ENOMEM;
			break;
		}
		/* Not atomic: the checkpoint goes after the changes, never before. */
		if ((rc = batch_build(w, st, &b, w->atomic ? cp : NULL)) < 0)
			break;
		rc = batch_write(w, &b, res);
		if (rc < 0 && b.n)
			rc = batch_fates(w, &b, res, fails, &nfails, rc);
		batch_free(&b);
		if (rc == 0 && cp && !w->atomic)
			rc = wb_put(w->db, WB_CHECKPOINT_TABLE, cp, NULL);
		wb_item_free(cp);
		cp = NULL;
		if (rc != WB_ECONDITION) {
			if (rc < 0 && nfails && !w->atomic)
				rc = batch_failed(w, rc, fails, nfails, attempt + 1);
			break;
		}
		wb__run_count(job->run, &(wb_counters){.conditions = nfails ? nfails : 1});
		if (nfails == 0) {
			rc = wb__error(NULL, WB_ECONDITION, "%s: a batch kept failing its conditions "
				       "(%d attempts): %s", job->table, attempt + 1, wb_error_last());
			break;
		}
		if (attempt >= MAX_RETRIES) {
			rc = batch_failed(w, rc, fails, nfails, attempt + 1);
			break;
		}
		if ((rc = refresh_all(w, fails, nfails)) < 0)
			break;
	}
	wb_item_free(cp);
	free(res);
	free(fails);
	if (rc < 0)
		return rc == WB_ENOMEM ? wb__oom(NULL) : rc;
	batch_done(w, st);
	return 0;
}

/* ---------------------------------------------------------------- streams */

/* After a commit: stop here if interrupted or another thread failed. */
int wb__each_should_stop(struct worker *w)
{
	if (wb__run_interrupted)
		return WB_EINTERRUPTED;
	return wb__each_job_failed(w->job) ? WB_ERROR : 0;
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
		return wb__each_should_stop(w);
	}
	return 0;
}

static int fetch_page(struct worker *w, unsigned seg, const wb_item *cursor, size_t limit, wb_page **page)
{
	struct job *job = w->job;

	if (job->query) {
		wb_query q = *job->query;
		q.start_after = cursor;
		if (!q.limit || q.limit > limit)
			q.limit = limit;
		return wb_query_page(page, w->db, job->table, &q);
	}
	wb_scan s = WB_SCAN_INIT;
	s.segment = seg;
	s.total_segments = job->total_segments;
	s.pk_prefix = job->prefix;
	s.limit = limit;
	s.start_after = cursor;
	return wb_scan_page(page, w->db, job->table, &s);
}

/* A page, paced (--max-rate, pause). */
static int fetch(struct worker *w, unsigned seg, const wb_item *cursor, wb_page **page)
{
	size_t limit = wb__each_pace_before(w->job->run->batch);
	int rc = fetch_page(w, seg, cursor, limit, page);

	wb__each_pace_after(limit, rc == 0 && *page ? (*page)->count : 0);
	return rc;
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

/* ---------------------------------------------------------- generic path */

int wb__each_stream(struct worker *w, struct stream *st, unsigned seg)
{
	wb_item *cursor = NULL;
	int rc;

	if ((rc = stream_resume(w, st, &cursor)) != 0)
		return rc < 0 ? rc : 0;
	if (w->fast && !w->job->query) {
		rc = wb__each_fast_stream(w, st, seg, &cursor);
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
