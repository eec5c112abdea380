/*
 * each_fast.c - the fast path of a wb_each scan.
 *
 * When the handle can transform pages itself (the optional each_page
 * operation of backend.h; a wrapper that intercepts writes, like plan,
 * cannot), a scan takes this path: per page of 4 x `batch` items ONE write
 * transaction in which the store walks the rows, the callback runs on each
 * and the changed rows are written in the same pass; the checkpoint (and
 * the journal's writes, from the on_change hook) join that transaction
 * from its hooks (wb__db_tx_write).  The read and the write of an item are
 * then one transaction, so no other writer can slip in between: no
 * condition is needed and none can fail.
 *
 * When the callback fails on an item of a fast page (a negative or unknown
 * verdict), the page is rolled back and the run stops with the callback's
 * error, as on the generic path and on every backend (fast_failed).
 * Whenever a fast page fails otherwise (a changed key or an invalid item, a
 * write of the callback to the same file through another handle, which
 * cannot wait for the page's own transaction), nothing of it was written,
 * and the stream goes on from that page the generic way (each_batch.c),
 * whose messages and semantics (commit the work before a failed item)
 * apply.  The callback may thus see the items of that one page twice;
 * nothing is written twice.  A worker whose pages held the write lock
 * longer than FAST_PAGE_MS three times in a row (a slow callback, where the
 * fast path gains little) goes on the generic way too, so that other
 * writers are not kept waiting.  Where the store takes one writer at a time
 * (WB_CAP_ONE_WRITER), several threads take turns (job->fast) instead of
 * queueing in the store.  Set WHIMBREL_EACH_GENERIC=1 to always take the
 * generic path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "clock.h"
#include "each_int.h"

#define FAST_PAGE_MS 50         /* a fast page holding the write lock longer: go generic */
#define ENV_DEV_SYNC "WHIMBREL_DEV_SYNC" /* 1: a dev run's pages wait for the disk as prod's do */

/* Do the pages of this run commit without waiting for the disk (wb__page_hooks.dev)? */
static int fast_dev(const struct job *job)
{
	const char *v = getenv(ENV_DEV_SYNC);

	return strcmp(wb_run_mode(job->run), "dev") == 0 && !(v && atoi(v) > 0);
}

/* One fast page: what its hooks and fast_fn need. */
struct fast_page {
	struct worker *w;        /* the worker */
	struct stream *st;       /* its stream */
	wb_write *jw;            /* the page's journal entries, written with its checkpoint */
	size_t jn, jcap;         /* how many, room */
	int verdict;             /* the callback's failing verdict on this page, 0 if none */
	char err[1024];          /* its message (wb__each_verdict_error) */
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
	if (!(j = wb__each_journal_chunk_out(fp->w, fp->st)))
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
		fp->verdict = wb__each_verdict_error(job, v, item);
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

/* Hook: a change of the page gets its journal entry (only asked for when wb__each_journal_on). */
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

	wb__each_counters_add(&c, &st->run);
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
	wb__page_hooks hooks = {wb__each_journal_on(w) ? fast_on_change : NULL, fast_before_commit, fp,
				fast_dev(job)};
	wb_scan s = WB_SCAN_INIT;
	int rc, slow = 0;

	s.segment = seg;
	s.total_segments = job->total_segments;
	s.pk_prefix = job->prefix;
	/* Pages of 4 batches (as a generic batch is flushed after 4 batches of
	 * items visited): fewer commits, about 20% less CPU than pages of one
	 * batch (bench/RESULTS.md); still a few ms of write lock per page. */
	for (;;) {
		wb__page_result page;
		int64_t t0;
		s.limit = wb__each_pace_before(4 * job->run->batch);
		t0 = wb__mono_ms();
		s.start_after = *cursor;
		wb_error_clear(); /* the callback's own messages are told apart by their code */
		fp->verdict = 0;
		if (w->one_writer)
			pthread_mutex_lock(&job->fast);
		rc = wb__db_each_page(w->db, job->table, &s, fast_fn, fp, &hooks, &page);
		if (w->one_writer)
			pthread_mutex_unlock(&job->fast);
		fast_page_clear(fp); /* a failed page's entries were never written */
		wb__each_pace_after(s.limit, rc < 0 ? 0 : page.scanned);
		if (rc < 0)
			return fast_failed(fp, &page);
		/* A slow callback: do not keep other writers waiting that long (one slow
		 * page may be a WAL checkpoint in its commit, three in a row are not). */
		slow = wb__mono_ms() - t0 > FAST_PAGE_MS ? slow + 1 : 0;
		if (slow >= 3)
			w->fast = 0;
		wb_counters d = page_counters(&page);
		st->count += d.scanned;
		st->written += d.written;
		st->deleted += d.deleted;
		wb__each_counters_add(&st->run, &d);
		wb__run_count(job->run, &d);
		if (!page.last_key)
			return 0;
		wb_item_free(*cursor);
		*cursor = page.last_key;
		wb_item_free(st->last_key);
		if (!(st->last_key = wb_item_dup(page.last_key)))
			return WB_ENOMEM;
		if ((rc = wb__each_should_stop(w)) < 0)
			return rc;
		if (!w->fast)
			return 1;
	}
}

int wb__each_fast_stream(struct worker *w, struct stream *st, unsigned seg, wb_item **cursor)
{
	struct fast_page fp = {w, st, NULL, 0, 0, 0, ""};
	int rc = fast_pages(w, st, seg, cursor, &fp);

	fast_page_clear(&fp);
	free(fp.jw);
	return rc;
}

