/*
 * sqlite_each.c - the embedded backend's migration pages: the each_page
 * and tx_write operations of its capabilities (backend.h).
 *
 * The generic way to transform a table (wb_scan_page, change the items,
 * wb_batch_write them back) reads every row twice and crosses the store
 * API four times per page.  each_page does the same work inside ONE write
 * transaction and one SQL UPDATE: the per-item callback runs in an SQL
 * function while SQLite walks the page, and the changed items are written
 * back in the same pass.  tx_write lets the page's hooks (the checkpoint,
 * the journal) write in that transaction.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"
#include "clock.h"
#include "item.h"

#define PAGE_TX_MS 100    /* a page's transaction ends after about this long */
#define PAGE_TX_CHECK 4   /* rows between two looks at the clock */

/* -------------------------------------------------------- migration pages */

/*
 * each_page (wb__db_each_page in backend.h): a probe walks the scan page to
 * find its first and last key F and L; then one UPDATE over the rows
 * between them calls the SQL function wb_xf_keep(h, pk, sk, item) on each,
 * which decodes the item, runs the migration's callback and, for WB_WRITE,
 * stores the new bytes in a bulk (sqlite_bulk.c) that wb_bulk_new returns
 * as the row's new value: one pass over the page.  Deletes follow, then the
 * hooks, then COMMIT.
 *
 * A page is bounded by time as well as by count: once PAGE_TX_MS have
 * passed in the transaction (a slow callback), wb_xf_keep leaves the rows
 * after the last one visited to the next page, so that another writer (an
 * application, a second runner taking a lease) waits at most about that
 * long for the write lock.  The UPDATE visits rows in key order (the
 * primary key (h, pk, sk), or the (pk, sk) index), so the rows visited are
 * exactly those up to the page's new last key.
 */

/* One change of a page. */
struct change {
	wb_item *before;              /* as read (owned), or NULL when no hook wants it */
	wb_item *after;               /* as written (owned), NULL when deleted */
};

/* State of one page, read by wb_xf_keep. */
struct xform {
	wb_db *db;                    /* the handle */
	struct tbl *t;                /* the table */
	wb_item_fn fn;                /* the migration's callback */
	void *arg;                    /* its argument */
	int whole;                    /* page in (h, pk, sk) order, else (pk, sk) order */
	int64_t fh, lh;               /* h of the first and last row (or the bounds below) */
	wb_buf fpk, fsk, lpk, lsk;    /* their pk and sk */
	int lo_mode;                  /* rows from F: 0 any, 1 F included, 2 F excluded (a cursor) */
	int hi_open;                  /* no upper key: the UPDATE's range of h bounds the page,
	                                 and L records the last row visited */
	int64_t h_lo, h_hi;           /* whole-table page: its range of h */
	int more;                     /* rows follow the last one */
	int keep_before;              /* keep the changes (before and after) for on_change */
	struct bulk put;              /* new bytes of the items written */
	struct bulk del;              /* keys of the items deleted */
	struct change *ch;            /* changes in scan order */
	size_t nch, cap;              /* how many, room */
	size_t scanned;               /* rows given to the callback */
	int rc;                       /* failure inside the UPDATE, 0 if none */
	int64_t deadline;             /* wb__mono_ms() after which the page ends early */
	int cut;                      /* it did: the rows after the last visited are left */
	int64_t vh;                   /* h of the last row visited (walked pages) */
	wb_buf vpk, vsk;              /* its pk and sk */
};

static void xform_free(struct xform *x)
{
	for (size_t i = 0; i < x->nch; i++) {
		wb_item_free(x->ch[i].before);
		wb_item_free(x->ch[i].after);
	}
	free(x->ch);
	wb__sq_bulk_free(&x->put);
	wb__sq_bulk_free(&x->del);
	wb__buf_free(&x->fpk);
	wb__buf_free(&x->fsk);
	wb__buf_free(&x->lpk);
	wb__buf_free(&x->lsk);
	wb__buf_free(&x->vpk);
	wb__buf_free(&x->vsk);
}

/* Copy the key columns (1..3) of the current row. */
static int row_key(sqlite3_stmt *st, int64_t *h, wb_buf *pk, wb_buf *sk)
{
	*h = sqlite3_column_int64(st, 1);
	pk->len = sk->len = 0;
	if (wb__buf_append(pk, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2)) < 0 ||
	    wb__buf_append(sk, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3)) < 0)
		return WB_ENOMEM;
	return 0;
}

/* Walk the page's rows: first and last key, count, and whether more follow. */
static int xform_probe(struct xform *x, sqlite3_stmt *const *st, int nst, size_t limit, size_t *count,
		       const struct op *op)
{
	int rc = SQLITE_DONE;

	*count = 0;
	for (int i = 0; i < nst && !x->more; i++) {
		while ((rc = sqlite3_step(st[i])) == SQLITE_ROW) {
			if (*count == limit) {
				x->more = 1;
				break;
			}
			if ((*count == 0 && row_key(st[i], &x->fh, &x->fpk, &x->fsk) < 0) ||
			    row_key(st[i], &x->lh, &x->lpk, &x->lsk) < 0) {
				rc = WB_ENOMEM;
				break;
			}
			(*count)++;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
	}
	for (int i = 0; i < nst; i++)
		sqlite3_reset(st[i]);
	if (rc == WB_ENOMEM)
		return wb__oom(x->db);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : wb__sq_fail(x->db, rc, op);
}

/* Compare the key (h, pk, sk) with a key of the page, in the page's order. */
static int xform_cmp(const struct xform *x, int64_t h, const void *pk, size_t pklen, const void *sk,
		     size_t sklen, int64_t h2, const wb_buf *pk2, const wb_buf *sk2)
{
	int c;

	if (x->whole && h != h2)
		return h < h2 ? -1 : 1;
	if ((c = blob_cmp(pk ? pk : "", pklen, pk2->data ? (const void *)pk2->data : "", pk2->len)) != 0)
		return c;
	return blob_cmp(sk ? sk : "", sklen, sk2->data ? (const void *)sk2->data : "", sk2->len);
}

/*
 * Is the row k part of the page?  1 yes, 0 no, WB_ENOMEM.  Records it as
 * the last row when the page is open-ended.
 */
static int xform_in_page(struct xform *x, const struct key *k)
{
	int c;

	if (x->lo_mode) {
		c = xform_cmp(x, k->h, k->pk, k->pklen, k->sk, k->sklen, x->fh, &x->fpk, &x->fsk);
		if (c < 0 || (c == 0 && x->lo_mode == 2))
			return 0;
	}
	if (!x->hi_open) {
		if (xform_cmp(x, k->h, k->pk, k->pklen, k->sk, k->sklen, x->lh, &x->lpk, &x->lsk) > 0)
			return 0;
		x->vh = k->h; /* the page may end early here (L stays bound to the UPDATE) */
		x->vpk.len = x->vsk.len = 0;
		if (wb__buf_append(&x->vpk, k->pk ? k->pk : "", k->pklen) < 0 ||
		    wb__buf_append(&x->vsk, k->sk ? k->sk : "", k->sklen) < 0)
			return WB_ENOMEM;
		return 1;
	}
	if (x->scanned == 0 || xform_cmp(x, k->h, k->pk, k->pklen, k->sk, k->sklen, x->lh, &x->lpk, &x->lsk) > 0) {
		x->lh = k->h;
		x->lpk.len = x->lsk.len = 0;
		if (wb__buf_append(&x->lpk, k->pk ? k->pk : "", k->pklen) < 0 ||
		    wb__buf_append(&x->lsk, k->sk ? k->sk : "", k->sklen) < 0)
			return WB_ENOMEM;
	}
	return 1;
}

/*
 * Has the callback kept the key k of the row?  A key attribute of type S or
 * B is stored as its bytes: compared in place; an N key is encoded first
 * (wb__sq_key_of).  1 yes, 0 no, < 0 failed (a key attribute missing or of
 * another type: the message is recorded).
 */
static int same_key(struct xform *x, const wb_item *item, const struct key *k, const struct op *op)
{
	const wb_key_schema *ks = &x->t->key;
	const char *names[2] = {ks->pk_name, ks->sk_name};
	const wb_type types[2] = {ks->pk_type, ks->sk_type};
	const void *want[2] = {k->pk, k->sk};
	const size_t wlen[2] = {k->pklen, k->sklen};
	struct key k2;
	int rc;

	for (int i = 0; i < 2 && names[i][0]; i++) {
		const wb_value *v = wb_item_get(item, names[i]);
		if (types[i] == WB_N || !v || v->type != types[i])
			goto slow;
		if (v->u.s.len != wlen[i] || (wlen[i] && memcmp(v->u.s.p, want[i], wlen[i]) != 0))
			return 0;
	}
	return 1;
slow:
	if ((rc = wb__sq_key_of(x->db, x->t, item, &k2, 0, op)) < 0)
		return rc;
	return k2.pklen == k->pklen && k2.sklen == k->sklen && memcmp(k2.pk, k->pk, k->pklen) == 0 &&
	       (!k->sklen || memcmp(k2.sk, k->sk, k->sklen) == 0);
}

/* Record the verdict of the callback on one row; 1 when the row is rewritten. */
static int xform_verdict(struct xform *x, const struct key *k, wb_item *item, wb_item *before, int v,
			 const void *stored, size_t storedlen)
{
	struct sq *s = x->db->state;
	struct op op = {"migration of", x->t->name, -1};
	int rc;

	if (v == WB_KEEP) {
		wb_item_free(item);
		wb_item_free(before);
		return 0;
	}
	if (v == WB_DELETE) {
		wb_item_free(item);
		item = NULL;
		rc = wb__sq_bulk_add_raw(&x->del, k, "", 0, 0);
	} else if (v != WB_WRITE) {
		rc = wb__error(x->db, WB_EINVALID, "%s: the callback returned %d, not WB_KEEP, WB_WRITE or WB_DELETE",
			       OPNAME(&op), v);
	} else if ((rc = wb__item_check_values(item)) < 0) { /* the size: once encoded, below */
		rc = wb__sq_fail_nested(x->db, rc, &op);
	} else if ((rc = same_key(x, item, k, &op)) == 0) {
		rc = wb__error(x->db, WB_EINVALID, "%s: the callback changed the key of item %s",
			       OPNAME(&op), KEYTEXT(x->t, item));
	} else if (rc > 0 && (rc = wb__sq_encode(x->db, &s->ibuf, item, &op)) == 0 &&
		   (rc = wb__item_size_check(item, s->ibuf.len)) < 0) {
		rc = wb__sq_fail_nested(x->db, rc, &op);
	} else if (rc == 0) {
		if (s->ibuf.len == storedlen && memcmp(s->ibuf.data, stored, storedlen) == 0)
			v = WB_KEEP; /* written as it was: nothing to write (the runner counts it unchanged) */
		else
			rc = wb__sq_bulk_add_raw(&x->put, k, s->ibuf.data, s->ibuf.len, 1);
	}
	if (rc == 0 && v == WB_KEEP) {
		wb_item_free(item);
		wb_item_free(before);
		return 0;
	}
	if (rc < 0) {
		wb_item_free(item);
		wb_item_free(before);
		return rc;
	}
	if (!x->keep_before) { /* no hook will look at the change: keep nothing */
		wb_item_free(item);
		return v == WB_WRITE;
	}
	x->ch[x->nch++] = (struct change){before, item};
	return v == WB_WRITE;
}

/* The callback returned rc < 0: keep its message if it set one, else say so. */
static void callback_failed(struct xform *x, int rc)
{
	struct op op = {"migration of", x->t->name, -1};

	if (wb_error_last_code() == rc)
		wb__error_to_db(x->db, rc);
	else
		wb__error(x->db, rc, "%s: the callback failed (%s)", OPNAME(&op), wb_strerror(rc));
}

/* SQL wb_xf_keep(h, pk, sk, item): run the callback on a row of the page. */
void wb__sq_fn_xf_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq *s = sqlite3_user_data(ctx);
	struct xform *x = s->xform;
	struct key k = {sqlite3_value_blob(argv[1]), (size_t)sqlite3_value_bytes(argv[1]),
			sqlite3_value_blob(argv[2]), (size_t)sqlite3_value_bytes(argv[2]),
			sqlite3_value_int64(argv[0])};
	wb_item *item = NULL, *before = NULL;
	int rc;

	WB_UNUSED(argc);
	if (x && !x->cut && x->scanned && x->scanned % PAGE_TX_CHECK == 0 && wb__mono_ms() >= x->deadline)
		x->cut = 1; /* the rows from here on are the next page's */
	if (!x || x->cut || (rc = xform_in_page(x, &k)) == 0) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	if (rc < 0) {
		x->rc = wb__oom(x->db);
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (!k.sk)
		k.sk = "";
	rc = wb__item_decode_stored(&item, sqlite3_value_blob(argv[3]), (size_t)sqlite3_value_bytes(argv[3]));
	if (rc == 0 && x->keep_before && !(before = wb_item_dup(item)))
		rc = WB_ENOMEM;
	if (rc == 0 && x->scanned == x->cap) { /* cannot happen in the write transaction; guards the arrays */
		struct op op = {"migration of", x->t->name, -1};
		wb_item_free(item);
		wb_item_free(before);
		rc = wb__error(x->db, WB_ERROR, "%s: more rows than the page held", OPNAME(&op));
	} else if (rc == 0) {
		x->scanned++;
		rc = x->fn(item, x->arg);
		if (wb__sq_refused) /* the callback wrote through another handle: see wb__sq_nested_write */
			rc = wb__error(x->db, WB_EBUSY, "migration of %s: the callback wrote to the same file"
				       " through another handle", x->t->name);
		else if (rc < 0)
			callback_failed(x, rc);
		if (rc < 0) {
			wb_item_free(item);
			wb_item_free(before);
		} else {
			rc = xform_verdict(x, &k, item, before, rc, sqlite3_value_blob(argv[3]),
					   (size_t)sqlite3_value_bytes(argv[3]));
		}
	} else {
		wb_item_free(item);
		wb_item_free(before);
		rc = rc == WB_ENOMEM ? wb__oom(x->db) : wb__error_to_db(x->db, rc);
	}
	if (rc < 0) {
		x->rc = rc;
		sqlite3_result_error(ctx, "whimbrel migration callback failed", -1);
		return;
	}
	sqlite3_result_int(ctx, rc);
}

/* The UPDATE over the page [F, L], in h order (whole) or through the (pk, sk) index. */
static int xform_update(struct xform *x, const wb_scan *sc, const struct op *op)
{
	struct sq *s = x->db->state;
	struct tbl *t = x->t;
	unsigned n = sc->total_segments > 1 ? sc->total_segments : 1;
	sqlite3_stmt **slot = x->whole ? &t->xf_whole : &t->xf_index;
	int rc;

	rc = wb__sq_prepare_tbl(x->db, t, slot, x->whole ?
			 "UPDATE %1$s SET item = wb_bulk_new(h, pk, sk, item)"
			 " WHERE h >= ?1 AND h <= ?2 AND wb_xf_keep(h, pk, sk, item)" :
			 "UPDATE %1$s INDEXED BY %2$s SET item = wb_bulk_new(h, pk, sk, item)"
			 " WHERE pk >= ?3 AND pk <= ?4 AND h >= ?1 AND h < ?2 AND wb_xf_keep(h, pk, sk, item)", op);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(*slot, 1, x->whole ? x->h_lo : (int64_t)(HASH_SPAN * sc->segment / n));
	sqlite3_bind_int64(*slot, 2, x->whole ? x->h_hi : (int64_t)(HASH_SPAN * (sc->segment + 1) / n));
	sqlite3_bind_blob(*slot, 3, x->fpk.data, (int)x->fpk.len, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 4, x->lpk.data, (int)x->lpk.len, SQLITE_STATIC);
	s->xform = x;
	s->bulk = &x->put;
	rc = sqlite3_step(*slot);
	s->xform = NULL;
	s->bulk = NULL;
	if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = x->rc ? x->rc : wb__sq_fail(x->db, rc, op);
	sqlite3_reset(*slot);
	return rc;
}

/* Delete the items the callback deleted. */
static int xform_deletes(struct xform *x, const struct op *op)
{
	struct tbl *t = x->t;
	int rc;

	for (size_t i = 0; i < x->del.n; i++) {
		const struct bulk_put *p = &x->del.p[i];
		struct key k = {x->del.buf.data + p->pk, p->pklen, x->del.buf.data + p->sk, p->sklen, p->h};
		if ((rc = wb__sq_prepare_tbl(x->db, t, &t->del, "DELETE FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
			return rc;
		if (!k.sklen)
			k.sk = "";
		bind_key(t->del, &k);
		if ((rc = wb__sq_run(x->db, t->del, op)) < 0)
			return rc;
	}
	return 0;
}

/* The key item of the page's last row (to continue after). */
static int xform_last_key(struct xform *x, wb_item **out)
{
	const wb_key_schema *ks = &x->t->key;
	wb_item *k = wb_item_new();
	wb_value *v = NULL;
	int rc = k ? 0 : WB_ENOMEM;

	if (rc == 0 && (rc = wb__key_decode(&v, ks->pk_type, x->lpk.data, x->lpk.len)) == 0)
		rc = wb_item_set(k, ks->pk_name, v);
	if (rc == 0 && ks->sk_name[0] && (rc = wb__key_decode(&v, ks->sk_type, x->lsk.data, x->lsk.len)) == 0)
		rc = wb_item_set(k, ks->sk_name, v);
	if (rc < 0) {
		wb_item_free(k);
		return rc == WB_ENOMEM ? wb__oom(x->db) : wb__error_to_db(x->db, rc);
	}
	*out = k;
	return 0;
}

static int xform_hooks(struct xform *x, const wb__page_hooks *hooks, wb__page_result *out)
{
	struct sq *s = x->db->state;
	int rc = 0;

	if (!hooks)
		return 0;
	s->in_hook = 1;
	for (size_t i = 0; rc >= 0 && hooks->on_change && i < x->nch; i++)
		rc = hooks->on_change(x->db, x->ch[i].before, x->ch[i].after, hooks->arg);
	if (rc >= 0 && hooks->before_commit)
		rc = hooks->before_commit(x->db, out, hooks->arg);
	s->in_hook = 0;
	return rc < 0 ? rc : 0;
}

/*
 * The bounds of a whole-table page without walking it: from the cursor's h
 * (or the segment's start) up to the h of the row `limit` rows further,
 * found by one OFFSET query.  *ok = 0 when more than `limit` rows share the
 * first h (a big partition): then the page is walked (xform_probe).
 */
static int xform_bounds(struct xform *x, const wb_scan *sc, size_t limit, int64_t lo, int *ok,
			const struct op *op)
{
	struct tbl *t = x->t;
	unsigned n = sc->total_segments > 1 ? sc->total_segments : 1;
	int64_t seg_hi = (int64_t)(HASH_SPAN * (sc->segment + 1) / n);
	int rc;

	if ((rc = wb__sq_prepare_tbl(x->db, t, &t->xf_next, "SELECT h FROM %1$s WHERE h >= ?1 AND h < ?2"
			      " ORDER BY h LIMIT 1 OFFSET ?3", op)) < 0)
		return rc;
	sqlite3_bind_int64(t->xf_next, 1, lo);
	sqlite3_bind_int64(t->xf_next, 2, seg_hi);
	sqlite3_bind_int64(t->xf_next, 3, (int64_t)limit);
	rc = sqlite3_step(t->xf_next);
	*ok = 1;
	x->h_lo = lo;
	x->h_hi = seg_hi - 1;
	x->more = 0;
	if (rc == SQLITE_ROW) {
		int64_t hb = sqlite3_column_int64(t->xf_next, 0);
		*ok = hb > lo;
		x->h_hi = hb - 1;
		x->more = 1;
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : wb__sq_fail(x->db, rc, op);
	}
	sqlite3_reset(t->xf_next);
	return rc;
}

/* Size the page's arrays for at most n rows. */
static int xform_alloc(struct xform *x, size_t n)
{
	int rc;

	if ((rc = wb__sq_bulk_init(&x->put, x->db, x->t, n)) < 0 || (rc = wb__sq_bulk_init(&x->del, x->db, x->t, n)) < 0)
		return rc;
	if (!(x->ch = wb__calloc(n, sizeof(*x->ch))))
		return wb__oom(x->db);
	x->cap = n;
	return 0;
}

/*
 * A whole-table page by ranges of h; *done = 0 when it must be walked
 * instead.  A range holding only rows up to the cursor moves on to the next.
 */
static int xform_by_range(struct xform *x, const wb_scan *sc, size_t limit, int *done,
			  const struct op *op)
{
	unsigned n = sc->total_segments > 1 ? sc->total_segments : 1;
	int64_t lo = (int64_t)(HASH_SPAN * sc->segment / n), seg_hi = (int64_t)(HASH_SPAN * (sc->segment + 1) / n);
	struct key cur;
	int rc, ok;

	*done = 0;
	if (sc->start_after) {
		if ((rc = wb__sq_key_of(x->db, x->t, sc->start_after, &cur, 4, op)) < 0)
			return rc;
		if (cur.h >= seg_hi) {
			*done = 1; /* past the segment */
			return 0;
		}
		if (cur.h >= lo) {
			lo = cur.h;
			x->lo_mode = 2;
			x->fh = cur.h;
			if (wb__buf_append(&x->fpk, cur.pk, cur.pklen) < 0 ||
			    wb__buf_append(&x->fsk, cur.sk, cur.sklen) < 0)
				return wb__oom(x->db);
		}
	}
	x->hi_open = 1;
	for (;;) {
		if ((rc = xform_bounds(x, sc, limit, lo, &ok, op)) < 0 || !ok)
			return rc;
		if (!x->cap && (rc = xform_alloc(x, limit)) < 0)
			return rc;
		if ((rc = xform_update(x, sc, op)) < 0)
			return rc;
		if (x->scanned > 0 || !x->more)
			break;
		lo = x->h_hi + 1; /* nothing after the cursor in that range */
		x->lo_mode = 0;
	}
	*done = 1;
	return 0;
}

static int each_page_in_tx(wb_db *db, const char *table, const wb_scan *sc, struct xform *x,
			   const wb__page_hooks *hooks, wb__page_result *out, const struct op *op)
{
	size_t limit = sc->limit ? sc->limit : DEFAULT_PAGE, count = 0;
	int plen = sc->pk_prefix && sc->pk_prefix[0], done = 0;
	sqlite3_stmt *st[3];
	int rc, nst = 0;

	if ((rc = wb__sq_tbl_get(db, table, &x->t, op)) < 0)
		return rc;
	x->deadline = wb__mono_ms() + PAGE_TX_MS;
	x->whole = !plen;
	if (x->whole && (rc = xform_by_range(x, sc, limit, &done, op)) < 0)
		return rc;
	if (!done) { /* walk the page to find its first and last row */
		x->lo_mode = 1;
		x->hi_open = 0;
		x->more = 0;
		if ((rc = wb__sq_scan_setup(db, x->t, sc, limit, st, &nst, &x->whole, op)) < 0 ||
		    (rc = xform_probe(x, st, nst, limit, &count, op)) < 0)
			return rc;
		x->h_lo = x->fh;
		x->h_hi = x->lh;
		if (count > 0 && ((!x->cap && (rc = xform_alloc(x, count)) < 0) ||
				  (rc = xform_update(x, sc, op)) < 0))
			return rc;
	}
	if (x->cut) { /* the page ends at the last row visited */
		x->more = 1;
		if (!x->hi_open) {
			x->lh = x->vh;
			x->lpk.len = x->lsk.len = 0;
			if (wb__buf_append(&x->lpk, x->vpk.data ? x->vpk.data : (void *)"", x->vpk.len) < 0 ||
			    wb__buf_append(&x->lsk, x->vsk.data ? x->vsk.data : (void *)"", x->vsk.len) < 0)
				return wb__oom(db);
		}
	}
	if ((rc = xform_deletes(x, op)) < 0)
		return rc;
	out->scanned = x->scanned;
	out->written = x->put.n;
	out->deleted = x->del.n;
	if (x->more && (rc = xform_last_key(x, &out->last_key)) < 0)
		return rc;
	return xform_hooks(x, hooks, out);
}

/*
 * The first page of a dev run (hooks->dev, backend.h): this handle stops
 * waiting for the disk.  synchronous=OFF: no fsync at commits or
 * checkpoints; in WAL mode a commit is still atomic against a crash of the
 * process (the WAL is in the OS's page cache), not against a crash of the
 * machine.  wal_autocheckpoint=1000 pages (SQLite's default, against
 * 4000 for every handle, sqlite_open.c): a checkpoint no longer costs an
 * fsync, and a WAL of 8 MB stays in the CPU's and the OS's caches while
 * the checkpoint reads it back (bench/RESULTS.md: ~5% less CPU per page).
 */
static int dev_pragmas(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc = SQLITE_OK;

	pthread_mutex_lock(&s->mu);
	if (!s->dev && (rc = sqlite3_exec(s->conn, "PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=1000;",
					  NULL, NULL, NULL)) == SQLITE_OK)
		s->dev = 1;
	pthread_mutex_unlock(&s->mu);
	return rc == SQLITE_OK ? 0 : wb__sq_fail(db, rc, op);
}

/* each_page of backend.h (store.c has checked the table name, the callback and the segment). */
int wb__sq_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
		     const wb__page_hooks *hooks, wb__page_result *out)
{
	struct op op = {"migration of", table, -1};
	struct xform x = {0};
	struct sq *s;
	int rc, refused = 0;

	s = db->state;
	x = (struct xform){.db = db, .fn = fn, .arg = arg, .keep_before = hooks && hooks->on_change};
	if (hooks && hooks->dev && !s->dev && wb__sq_busy != s && (rc = dev_pragmas(db, &op)) < 0)
		return rc; /* (wb__sq_busy == s: a page of this handle is open on this thread, refused below) */
	LOCKED_TX(db, 1, &op, {
		wb__sq_busy = s;
		wb__sq_refused = 0;
		rc = each_page_in_tx(db, table, sc, &x, hooks, out, &op);
		refused = wb__sq_refused;
		wb__sq_busy = NULL;
		wb__sq_refused = 0;
	});
	xform_free(&x);
	if (rc < 0) {
		wb_item_free(out->last_key);
		memset(out, 0, sizeof(*out));
		out->again = refused;
	}
	return rc;
}

/* tx_write of backend.h (store.c has checked the writes). */
int wb__sq_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct sq *s = db->state;

	if (wb__sq_busy != s || !s->in_hook)
		return wb__error(db, WB_EINVALID, "wb__db_tx_write: only inside a hook of wb__db_each_page");
	return wb__sq_batch_in_tx(db, writes, n, failed_index);
}
