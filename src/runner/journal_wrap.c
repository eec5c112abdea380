/*
 * journal_wrap.c - the journal of the writes a migration makes itself: in
 * a journaled run, the handle wb_run_db() gives the migration is this
 * wrapping backend (backend.h) over the real one, so that its wb_put,
 * wb_delete, wb_update and wb_batch_write get their whimbrel_journal
 * entries as wb_each's writes do (journal.h): `whimbrel revert` undoes
 * them, `copy --keys-of-run` and `restore` see them.
 *
 * Each call reads the before-images of the items it writes, then writes
 * them with one chunk per table: in the same batch where batches are
 * atomic (SQLite: all or nothing), the chunks first elsewhere (DynamoDB:
 * never a change without its entry).  An update becomes the put of the
 * item it makes (before-image, then the set attributes, without the
 * removed ones), on the condition that the item is still as read (or on
 * the migration's own condition, when it gave one), read again when
 * another writer came between.  Chunks go in stream "~direct-PID" of the
 * current wb_each call, after that call's own chunks in the journal's
 * order.  Reads go through unchanged; the wrapper has no page
 * transactions (each_page), which wb_each never asks of it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "backend.h"
#include "journal.h"
#include "run.h"
#include "wrap.h"

struct jw_state {
	struct wb__wrap base;  /* first: the real handle (not owned) */
	wb_run *run;           /* its run: run id, wb_each calls (not owned) */
	pthread_mutex_t mu;    /* guards n and ensured */
	int64_t n;             /* chunks written */
	int ensured;           /* whimbrel_journal exists */
	int atomic;            /* the inner store's batches are all or nothing */
};

#define S(db) ((struct jw_state *)(db)->state)
#define UPDATE_TRIES 10    /* reads again of an item another writer changed meanwhile */
#define AGAIN 1            /* update_once: the item changed since read, read it again */

/* The whimbrel_journal items of `n` writes (befores read): one chunk per table. */
static int chunks_of(wb_db *db, const wb_write *w, wb_item *const *before, size_t n, wb_write **out,
		     size_t *nout)
{
	struct jw_state *st = S(db);
	wb_journal_chunk c = {0};
	wb_table_desc d;
	char seq[1500], stream[64];
	int rc = 0;

	snprintf(stream, sizeof(stream), "~direct-%ld", (long)getpid());
	*out = wb__calloc(n + 1, sizeof(**out));
	*nout = 0;
	if (!*out)
		return WB_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(w[j].table, w[i].table) == 0;
		if (seen || (rc = wb_table_describe(&d, st->base.inner, w[i].table)) < 0)
			continue;
		for (size_t j = i; rc >= 0 && j < n; j++)
			if (strcmp(w[j].table, w[i].table) == 0 && (before[j] || w[j].kind == WB_WRITE_PUT))
				rc = wb__journal_add(&c, &d.key, before[j], w[j].kind == WB_WRITE_PUT ? w[j].item : NULL);
		if (rc < 0 || c.n == 0)
			continue;
		pthread_mutex_lock(&st->mu);
		wb__journal_seq(seq, sizeof(seq), st->run->each_calls, stream, st->n++);
		pthread_mutex_unlock(&st->mu);
		(*out)[*nout].table = WB_JOURNAL_TABLE;
		(*out)[*nout].kind = WB_WRITE_PUT;
		if (!((*out)[(*nout)++].item = wb__journal_chunk_item(st->run->run_id, seq, w[i].table, &c)))
			rc = wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM;
		wb__journal_chunk_reset(&c);
	}
	wb__journal_chunk_free(&c);
	return rc < 0 ? rc : 0;
}

static void writes_free(wb_write *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++)
		wb_item_free((wb_item *)w[i].item);
	free(w);
}

/* Make the writes and their journal: one batch where atomic, else the journal first. */
static int write_journaled(wb_db *db, const wb_write *w, wb_item *const *before, size_t n, size_t *failed)
{
	struct jw_state *st = S(db);
	wb_write *j = NULL, *all = NULL;
	size_t nj = 0;
	int rc = 0;

	pthread_mutex_lock(&st->mu);
	if (!st->ensured && (rc = wb__journal_ensure(st->base.inner)) == 0)
		st->ensured = 1;
	pthread_mutex_unlock(&st->mu);
	if (rc == 0)
		rc = chunks_of(db, w, before, n, &j, &nj);
	if (rc == 0 && st->atomic && (all = wb__calloc(n + nj, sizeof(*all)))) {
		memcpy(all, w, n * sizeof(*w));
		memcpy(all + n, j, nj * sizeof(*j));
		rc = wb_batch_write(st->base.inner, all, n + nj, failed);
	} else if (rc == 0 && st->atomic) {
		rc = WB_ENOMEM;
	} else if (rc == 0 && (nj == 0 || (rc = wb_batch_write(st->base.inner, j, nj, NULL)) == 0)) {
		rc = wb_batch_write(st->base.inner, w, n, failed);
	}
	free(all);
	writes_free(j, nj);
	return wb__wrap_fwd(db, rc);
}

/* Read the before-images of the writes (NULL where absent). */
static int befores(wb_db *db, const wb_write *w, size_t n, wb_item **out)
{
	for (size_t i = 0; i < n; i++) {
		int rc = wb_get(&out[i], WB_WRAP_INNER(db), w[i].table, w[i].item);
		if (rc == WB_ENOTFOUND)
			out[i] = NULL;
		else if (rc < 0)
			return wb__wrap_fwd(db, rc);
	}
	return 0;
}

static int jw_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	wb_item **b = wb__calloc(n + 1, sizeof(*b));
	int rc = b ? befores(db, writes, n, b) : wb__oom(db);

	if (rc == 0)
		rc = write_journaled(db, writes, b, n, failed_index);
	for (size_t i = 0; b && i < n; i++)
		wb_item_free(b[i]);
	free(b);
	return rc;
}

static int jw_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	wb_write w = {table, WB_WRITE_PUT, item, cond};

	return jw_batch_write(db, &w, 1, NULL);
}

static int jw_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	wb_write w = {table, WB_WRITE_DELETE, key, cond};

	return jw_batch_write(db, &w, 1, NULL);
}

/* The item an update makes of `before` (NULL: absent, the key then). */
static wb_item *updated(const wb_item *before, const wb_item *key, const wb_item *set,
			const char *const *remove, size_t nremove)
{
	wb_item *it = wb_item_dup(before ? before : key);

	for (size_t i = 0; it && set && i < wb_item_count(set); i++)
		if (wb_item_set(it, wb_item_name_at(set, i), wb_value_dup(wb_item_value_at(set, i))) < 0) {
			wb_item_free(it);
			return NULL;
		}
	for (size_t i = 0; it && i < nremove; i++)
		wb_item_remove(it, remove[i]);
	return it;
}

/* One try of an update as a journaled put; WB_ECONDITION when the item changed since read. */
static int update_once(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		       const char *const *remove, size_t nremove, const wb_cond *cond)
{
	wb_item *before = NULL, *after = NULL;
	wb_cond still = {0};
	wb_write w = {table, WB_WRITE_PUT, NULL, cond};
	int rc = wb_get(&before, WB_WRAP_INNER(db), table, key);

	if (rc < 0 && rc != WB_ENOTFOUND)
		return wb__wrap_fwd(db, rc);
	if (!(after = updated(rc == 0 ? before : NULL, key, set, remove, nremove))) {
		wb_item_free(before);
		return wb__oom(db);
	}
	if (!cond) { /* as read, or still absent */
		still.kind = before ? WB_COND_ITEM_EQUALS : WB_COND_NOT_EXISTS;
		still.expect = before;
		w.cond = &still;
	}
	w.item = after;
	rc = write_journaled(db, &w, &before, 1, NULL);
	wb_item_free(before);
	wb_item_free(after);
	return rc == WB_ECONDITION && !cond ? AGAIN : rc;
}

static int jw_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		     const char *const *remove, size_t nremove, const wb_cond *cond)
{
	int rc = AGAIN;

	for (int i = 0; i < UPDATE_TRIES && rc == AGAIN; i++)
		rc = update_once(db, table, key, set, remove, nremove, cond);
	if (rc == AGAIN)
		return wb__error(db, WB_ECONDITION, "update of %s: the item kept changing while read (%d tries)",
				 table, UPDATE_TRIES);
	return rc;
}

/* ------------------- the handle (reads and tables pass through: wrap.c) */

static void jw_close(wb_db *db)
{
	if (!db->state)
		return;
	pthread_mutex_destroy(&S(db)->mu);
	free(db->state);
	db->state = NULL;
}

static const struct wb_backend_ops journal_ops = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "journal",
	.caps = 0, /* batches as the inner store makes them; no page transactions */
	.open = wb__wrap_open,
	.close = jw_close,
	.table_create = wb__wrap_table_create,
	.table_describe = wb__wrap_table_describe,
	.table_list = wb__wrap_table_list,
	.table_drop = wb__wrap_table_drop,
	.get = wb__wrap_get,
	.put = jw_put,
	.del = jw_del,
	.update = jw_update,
	.batch_write = jw_batch_write,
	.query_page = wb__wrap_query_page,
	.scan_page = wb__wrap_scan_page,
	.table_create_ix = wb__wrap_table_create_ix,
	.table_indexes = wb__wrap_table_indexes,
};

int wb__journal_wrap(wb_db **out, wb_db *inner, wb_run *run)
{
	struct jw_state *st = wb__calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return WB_ENOMEM;
	st->base.inner = inner;
	st->run = run;
	st->atomic = (wb__db_caps(inner) & WB_CAP_ATOMIC_BATCH) != 0;
	pthread_mutex_init(&st->mu, NULL);
	if ((rc = wb__db_open_with(out, &journal_ops, wb_db_url(inner))) < 0) {
		pthread_mutex_destroy(&st->mu);
		free(st);
		return rc;
	}
	(*out)->state = st;
	return 0;
}
