/*
 * sqlite_bulk.c - the embedded backend's batches: wb_batch_write as one
 * transaction, and the bulk puts that write back a scanned page at once.
 *
 * Many puts to one table in a batch (a migration writing back the page it
 * has just scanned, which is a narrow range of h) are applied by ONE range
 * UPDATE over [min h, max h] instead of one UPDATE statement (and B-tree
 * seek) per item: the SQL functions wb_bulk_has(h, pk, sk) and
 * wb_bulk_new(h, pk, sk, item) look each row up in a hash table of the
 * batch and return its new bytes.  A probe first checks that the range
 * holds few other rows; puts the UPDATE did not find are inserted after.
 * Puts conditional on the stored item (WB_COND_ITEM_EQUALS) are checked
 * inside wb_bulk_new; other conditions and deletes go one by one.  The
 * migration pages of sqlite_each.c reuse struct bulk for their changes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"

#define BULK_MIN 16      /* fewer puts to a table go one by one */

/* ------------------------------------------------------------- bulk puts */

void wb__sq_bulk_free(struct bulk *b)
{
	free(b->p);
	free(b->slots);
	wb__buf_free(&b->buf);
}

static uint32_t bulk_hash(int64_t h, const void *sk, size_t sklen)
{
	return (uint32_t)key_hash(sk, sklen) ^ (uint32_t)h * 2654435761u;
}

/* Is the put p of b the row with key (h, pk, sk)? */
static int bulk_is(const struct bulk *b, const struct bulk_put *p, int64_t h, const void *pk, size_t pklen,
		   const void *sk, size_t sklen)
{
	return p->h == h && p->pklen == pklen && p->sklen == sklen &&
	       (!pklen || memcmp(b->buf.data + p->pk, pk, pklen) == 0) &&
	       (!sklen || memcmp(b->buf.data + p->sk, sk, sklen) == 0);
}

/* Index of the put with this key, or -1. */
static long bulk_find(const struct bulk *b, int64_t h, const void *pk, size_t pklen, const void *sk,
		      size_t sklen)
{
	for (size_t i = bulk_hash(h, sk, sklen) & b->mask;; i = (i + 1) & b->mask) {
		const struct bulk_put *p;
		if (!b->slots[i])
			return -1;
		p = &b->p[b->slots[i] - 1];
		if (bulk_is(b, p, h, pk, pklen, sk, sklen))
			return (long)(b->slots[i] - 1);
	}
}

static int bulk_append(wb_buf *buf, const void *data, size_t len, size_t *off, size_t *outlen)
{
	*off = buf->len;
	*outlen = len;
	return wb__buf_append(buf, data, len);
}

/* Append a put (key k, new bytes) to b, whose arrays have room; hashed: findable by key. */
int wb__sq_bulk_add_raw(struct bulk *b, const struct key *k, const void *item, size_t itemlen, int hashed)
{
	struct bulk_put *p = &b->p[b->n];
	int rc;

	memset(p, 0, sizeof(*p));
	p->h = k->h;
	if ((rc = bulk_append(&b->buf, k->pk, k->pklen, &p->pk, &p->pklen)) < 0 ||
	    (rc = bulk_append(&b->buf, k->sk, k->sklen, &p->sk, &p->sklen)) < 0 ||
	    (rc = bulk_append(&b->buf, item, itemlen, &p->item, &p->itemlen)) < 0)
		return wb__oom(b->db);
	for (size_t j = bulk_hash(k->h, k->sk, k->sklen) & b->mask; hashed; j = (j + 1) & b->mask) {
		if (!b->slots[j]) {
			b->slots[j] = (uint32_t)(b->n + 1);
			break;
		}
	}
	b->n++;
	b->hmin = b->n == 1 || k->h < b->hmin ? k->h : b->hmin;
	b->hmax = b->n == 1 || k->h > b->hmax ? k->h : b->hmax;
	return 0;
}

/* Room for n puts in b (of table t on db). */
int wb__sq_bulk_init(struct bulk *b, wb_db *db, struct tbl *t, size_t n)
{
	size_t nslots = 64;

	while (nslots < 2 * n)
		nslots *= 2;
	b->db = db;
	b->t = t;
	if (!(b->p = wb__calloc(n, sizeof(*b->p))) || !(b->slots = wb__calloc(nslots, sizeof(*b->slots))))
		return wb__oom(db);
	b->mask = nslots - 1;
	return 0;
}

/* Add put w (batch index i) to the bulk; *dup = 1 when its key is already there. */
static int bulk_add(struct bulk *b, const wb_write *w, size_t i, int *dup, const struct op *op)
{
	wb_db *db = b->db;
	struct sq *s = db->state;
	struct bulk_put *p;
	struct key k;
	int rc;

	if ((rc = wb__sq_key_of(db, b->t, w->item, &k, 0, op)) < 0)
		return rc;
	if ((*dup = bulk_find(b, k.h, k.pk, k.pklen, k.sk, k.sklen) >= 0))
		return 0;
	if ((rc = wb__sq_encode(db, &s->ibuf, w->item, op)) < 0 ||
	    (rc = wb__sq_bulk_add_raw(b, &k, s->ibuf.data, s->ibuf.len, 1)) < 0)
		return rc;
	p = &b->p[b->n - 1];
	p->w = w;
	p->index = i;
	if (w->cond && w->cond->kind == WB_COND_ITEM_EQUALS &&
	    ((rc = wb__sq_encode(db, &s->ebuf, w->cond->expect, op)) < 0 ||
	     (rc = bulk_append(&b->buf, s->ebuf.data, s->ebuf.len, &p->exp, &p->explen)) < 0))
		return rc == WB_ENOMEM ? wb__oom(db) : rc;
	return 0;
}

/* Can write w go into the bulk of table t? */
static int bulk_eligible(const wb_write *w, const char *table)
{
	return w->kind == WB_WRITE_PUT && strcmp(w->table, table) == 0 &&
	       (!w->cond || w->cond->kind == WB_COND_NONE ||
		(w->cond->kind == WB_COND_ITEM_EQUALS && w->cond->expect));
}

/* The table of the batch with the most eligible puts, if it has at least BULK_MIN. */
static const char *bulk_table(const wb_write *w, size_t n)
{
	const char *best = NULL;
	size_t best_count = 0;

	if (n < BULK_MIN)
		return NULL;
	for (size_t i = 0; i < n && best_count < n / 2 + 1; i++) {
		size_t count = 0;
		if (w[i].kind != WB_WRITE_PUT || (best && strcmp(w[i].table, best) == 0))
			continue;
		for (size_t j = i; j < n; j++)
			count += bulk_eligible(&w[j], w[i].table);
		if (count > best_count) {
			best = w[i].table;
			best_count = count;
		}
		if (i > 8)
			break; /* a batch of many tables: look no further */
	}
	return best_count >= BULK_MIN ? best : NULL;
}

/*
 * Collect the bulk puts of the batch into b, or leave b->n == 0 when the
 * batch is better done one by one (a key written twice).  A bad key fails
 * the batch with its index.
 */
static int bulk_collect(struct bulk *b, const wb_write *w, size_t n, const char *table,
			size_t *failed_index)
{
	struct op op = {"put into", table, 0};
	int rc, dup = 0;

	if ((rc = wb__sq_bulk_init(b, b->db, b->t, n)) < 0)
		return rc;
	for (size_t i = 0; i < n && !dup; i++) {
		if (!bulk_eligible(&w[i], table))
			continue;
		op.index = (long)i;
		if ((rc = bulk_add(b, &w[i], i, &dup, &op)) < 0) {
			if (failed_index)
				*failed_index = i;
			return rc;
		}
	}
	for (size_t i = 0; i < n && !dup; i++) {
		struct key k;
		if (bulk_eligible(&w[i], table) || strcmp(w[i].table, table) != 0)
			continue;
		op.index = (long)i;
		if (wb__sq_key_of(b->db, b->t, w[i].item, &k, 0, &op) < 0)
			continue; /* reported when the write runs */
		dup = bulk_find(b, k.h, k.pk, k.pklen, k.sk, k.sklen) >= 0;
	}
	if (dup)
		b->n = 0;
	return 0;
}

/* SQL wb_bulk_has(h, pk, sk): is this row one of the bulk's? */
void wb__sq_fn_bulk_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq *s = sqlite3_user_data(ctx);
	struct bulk *b = s->bulk;

	WB_UNUSED(argc);
	sqlite3_result_int(ctx, b && bulk_find(b, sqlite3_value_int64(argv[0]),
					       sqlite3_value_blob(argv[1]), (size_t)sqlite3_value_bytes(argv[1]),
					       sqlite3_value_blob(argv[2]), (size_t)sqlite3_value_bytes(argv[2])) >= 0);
}

/* Does the stored item (bytes) satisfy the put's ITEM_EQUALS condition? */
static int bulk_cond(struct bulk *b, const struct bulk_put *p, const void *stored, size_t len)
{
	wb_item *item = NULL;
	int equal;

	if (len == p->explen && memcmp(stored, b->buf.data + p->exp, len) == 0)
		return 1;
	if (wb__item_decode(&item, stored, len) < 0)
		return 0;
	equal = wb_item_equal(item, p->w->cond->expect);
	wb_item_free(item);
	return equal;
}

/*
 * The put of the row (h, pk, sk), or -1.  The last put first: a migration
 * page (sqlite_each.c) adds each row's put in the WHERE clause of the very
 * UPDATE whose SET then asks for it.
 */
static long bulk_row(const struct bulk *b, sqlite3_value **argv)
{
	int64_t h = sqlite3_value_int64(argv[0]);
	const void *pk = sqlite3_value_blob(argv[1]), *sk = sqlite3_value_blob(argv[2]);
	size_t pklen = (size_t)sqlite3_value_bytes(argv[1]), sklen = (size_t)sqlite3_value_bytes(argv[2]);

	if (b->n && bulk_is(b, &b->p[b->n - 1], h, pk, pklen, sk, sklen))
		return (long)b->n - 1;
	return bulk_find(b, h, pk, pklen, sk, sklen);
}

/* SQL wb_bulk_new(h, pk, sk, item): the new bytes of a bulk row (fails on a condition). */
void wb__sq_fn_bulk_new(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq *s = sqlite3_user_data(ctx);
	struct bulk *b = s->bulk;
	long i = !b ? -1 : bulk_row(b, argv);
	struct bulk_put *p;

	WB_UNUSED(argc);
	if (i < 0) {
		sqlite3_result_value(ctx, argv[3]);
		return;
	}
	p = &b->p[i];
	if (p->explen && !bulk_cond(b, p, sqlite3_value_blob(argv[3]), (size_t)sqlite3_value_bytes(argv[3]))) {
		b->failed = i;
		sqlite3_result_error(ctx, "whimbrel condition failed", -1);
		return;
	}
	p->done = 1;
	sqlite3_result_blob(ctx, b->buf.data + p->item, (int)p->itemlen, SQLITE_STATIC);
}

/* How many rows the range [hmin, hmax] holds, counting up to `limit`. */
static int bulk_probe(struct bulk *b, int64_t limit, int64_t *count, const struct op *op)
{
	struct tbl *t = b->t;
	int rc;

	if ((rc = wb__sq_prepare_tbl(b->db, t, &t->probe, "SELECT count(*) FROM (SELECT 1 FROM %1$s"
			      " WHERE h >= ?1 AND h <= ?2 LIMIT ?3)", op)) < 0)
		return rc;
	sqlite3_bind_int64(t->probe, 1, b->hmin);
	sqlite3_bind_int64(t->probe, 2, b->hmax);
	sqlite3_bind_int64(t->probe, 3, limit);
	if ((rc = sqlite3_step(t->probe)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(t->probe, 0);
		rc = 0;
	} else {
		rc = wb__sq_fail(b->db, rc, op);
	}
	sqlite3_reset(t->probe);
	return rc;
}

/* Report the put whose condition failed. */
static int bulk_cond_fail(struct bulk *b, const struct bulk_put *p, const char *why, size_t *failed_index)
{
	struct op op = {"put into", b->t->name, (long)p->index};

	if (failed_index)
		*failed_index = p->index;
	return wb__sq_cond_fail(b->db, b->t, p->w->item, &op, why);
}

/* The range UPDATE, then the inserts of the puts it did not find. */
static int bulk_apply(struct bulk *b, size_t *failed_index)
{
	struct sq *s = b->db->state;
	struct tbl *t = b->t;
	struct op op = {"put into", t->name, -1};
	int rc;

	if ((rc = wb__sq_prepare_tbl(b->db, t, &t->bulk, "UPDATE %1$s SET item = wb_bulk_new(h, pk, sk, item)"
			      " WHERE h >= ?1 AND h <= ?2 AND wb_bulk_has(h, pk, sk)", &op)) < 0)
		return rc;
	sqlite3_bind_int64(t->bulk, 1, b->hmin);
	sqlite3_bind_int64(t->bulk, 2, b->hmax);
	b->failed = -1;
	s->bulk = b;
	rc = sqlite3_step(t->bulk);
	s->bulk = NULL;
	if (rc != SQLITE_DONE) {
		rc = b->failed >= 0 ? bulk_cond_fail(b, &b->p[b->failed], "has changed since it was read",
						     failed_index) : wb__sq_fail(b->db, rc, &op);
		sqlite3_reset(t->bulk);
		return rc;
	}
	sqlite3_reset(t->bulk);
	for (size_t i = 0; i < b->n; i++) {
		struct bulk_put *p = &b->p[i];
		if (p->done)
			continue;
		if (p->explen)
			return bulk_cond_fail(b, p, "does not exist", failed_index);
		if ((rc = wb__sq_prepare_tbl(b->db, t, &t->insert,
				      "INSERT INTO %1$s(h, pk, sk, item) VALUES(?1, ?2, ?3, ?4)", &op)) < 0)
			return rc;
		sqlite3_bind_int64(t->insert, 1, p->h);
		sqlite3_bind_blob(t->insert, 2, b->buf.data + p->pk, (int)p->pklen, SQLITE_STATIC);
		sqlite3_bind_blob(t->insert, 3, b->buf.data + p->sk, (int)p->sklen, SQLITE_STATIC);
		sqlite3_bind_blob(t->insert, 4, b->buf.data + p->item, (int)p->itemlen, SQLITE_STATIC);
		op.index = (long)p->index;
		if ((rc = wb__sq_run(b->db, t->insert, &op)) < 0) {
			if (failed_index)
				*failed_index = p->index;
			return rc;
		}
	}
	return 0;
}

/*
 * Apply the bulk puts of a batch when there are enough of them in a dense
 * range; *used says whether it did (then those writes are done).
 */
static int bulk_try(wb_db *db, struct bulk *b, const wb_write *w, size_t n, size_t *failed_index,
		    int *used)
{
	const char *table = bulk_table(w, n);
	struct op op = {"put into", table, -1};
	int64_t count = 0, limit;
	int rc;

	*used = 0;
	if (!table)
		return 0;
	b->db = db;
	if (wb__sq_tbl_get(db, table, &b->t, &op) < 0)
		return 0; /* reported with its index by the write itself */
	if ((rc = bulk_collect(b, w, n, table, failed_index)) < 0 || b->n < BULK_MIN)
		return rc;
	limit = 2 * (int64_t)b->n + 64;
	if (b->t->seen_rows >= 0 && b->t->seen_rows < limit && b->hmin >= b->t->seen_hmin &&
	    b->hmax <= b->t->seen_hmax)
		count = b->t->seen_rows; /* the page just scanned: no need to probe */
	else if ((rc = bulk_probe(b, limit, &count, &op)) < 0)
		return rc;
	if (count >= limit)
		return 0;
	*used = 1;
	return bulk_apply(b, failed_index);
}

/* One write of a batch, one by one. */
static int batch_one(wb_db *db, const wb_write *w, size_t i)
{
	struct op op = {w->kind == WB_WRITE_DELETE ? "delete from" : "put into", w->table, (long)i};
	struct tbl *t;
	int rc;

	if ((rc = wb__sq_tbl_get(db, w->table, &t, &op)) < 0)
		return rc;
	if (w->kind == WB_WRITE_DELETE)
		return wb__sq_do_del(db, t, w->item, w->cond, &op);
	if (w->kind == WB_WRITE_PUT)
		return wb__sq_do_put(db, t, w->item, w->cond, &op);
	return wb__error(db, WB_EINVALID, "%s: unknown write kind %d", OPNAME(&op), (int)w->kind);
}

int wb__sq_batch_in_tx(wb_db *db, const wb_write *w, size_t n, size_t *failed_index)
{
	struct bulk b = {0};
	int rc, used;

	rc = bulk_try(db, &b, w, n, failed_index, &used);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (used && bulk_eligible(&w[i], b.t->name))
			continue;
		if ((rc = batch_one(db, &w[i], i)) < 0 && failed_index)
			*failed_index = i;
	}
	wb__sq_bulk_free(&b);
	return rc;
}

int wb__sq_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct op op = {"batch write", NULL, -1};
	int rc;

	if (n == 0)
		return 0;
	LOCKED_TX(db, 1, &op, rc = wb__sq_batch_in_tx(db, writes, n, failed_index));
	return rc;
}
