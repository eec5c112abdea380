/*
 * sqlite_read.c - the embedded backend's reads: query and scan pages.
 *
 * A query is one range of the primary key (h and pk fixed, a range of sk);
 * a scan a range of h (its segment), or of pk through the (pk, sk) index
 * when it has a key prefix.  Pages are fetched with LIMIT n + 1: the extra
 * row says whether a further page exists (last_key).
 */
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"

/* ------------------------------------------------------------ reading pages */

/*
 * Remember the range of h of the scan page being read (first: its first
 * row), so that writing the page back needs no probe (bulk_try, sqlite_bulk.c).
 */
static void seen_row(struct tbl *t, int64_t h, int first)
{
	if (first) {
		t->seen_hmin = t->seen_hmax = h;
		t->seen_rows = 0;
	}
	t->seen_hmin = h < t->seen_hmin ? h : t->seen_hmin;
	t->seen_hmax = h > t->seen_hmax ? h : t->seen_hmax;
	t->seen_rows++;
}

/* Add the rows of st to the page until it holds limit items; *full once a further row exists. */
static int collect_one(wb_db *db, struct tbl *t, sqlite3_stmt *st, size_t limit, int track,
		       wb_page *page, size_t *cap, int *full, const struct op *op)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (page->count == limit) {
			*full = 1;
			if (!(page->last_key = wb_item_key(page->items[limit - 1], &t->key)))
				rc = wb__sq_fail_nested(db, wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM, op);
			break;
		}
		if (page->count == *cap) {
			wb_item **p = wb__realloc(page->items, (*cap = *cap ? *cap * 2 : 64) * sizeof(*p));
			if (!p) {
				rc = wb__oom(db);
				break;
			}
			page->items = p;
		}
		if ((rc = wb__sq_decode_col(db, st, 0, &page->items[page->count], op)) < 0)
			break;
		if (track)
			seen_row(t, sqlite3_column_int64(st, 1), page->count == 0);
		page->count++;
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = 0;
	else if (rc > 0)
		rc = wb__sq_fail(db, rc, op);
	sqlite3_reset(st);
	return rc;
}

/*
 * Fill a page from the rows of the statements st[0..n) in turn (each
 * bound, each returning the item as column 0, and h as column 1 when
 * `track`): at most `limit` items, and last_key when a further row exists.
 * *out is the caller's.
 */
static int collect(wb_db *db, struct tbl *t, sqlite3_stmt *const *st, size_t n, size_t limit,
		   int track, wb_page **out, const struct op *op)
{
	wb_page *page = wb__calloc(1, sizeof(*page));
	size_t cap = 0;
	int rc = 0, full = 0;

	if (!page)
		return wb__oom(db);
	t->seen_rows = -1;
	for (size_t i = 0; i < n && rc == 0 && !full; i++)
		rc = collect_one(db, t, st[i], limit, track, page, &cap, &full, op);
	for (size_t i = 0; i < n; i++)
		sqlite3_reset(st[i]);
	if (rc < 0) {
		wb_page_free(page);
		return rc;
	}
	*out = page;
	return 0;
}

/* The smallest byte string greater than every string beginning with p[0..len). */
int wb__sq_successor(wb_buf *out, const void *p, size_t len, int *has)
{
	const unsigned char *b = p;
	int rc;

	while (len > 0 && b[len - 1] == 0xff)
		len--;
	*has = len > 0;
	out->len = 0;
	if (!*has)
		return 0;
	if ((rc = wb__buf_append(out, b, len)) < 0)
		return rc;
	out->data[len - 1]++;
	return 0;
}

/* ------------------------------------------------------------------ query */

static int query_sql(char *sql, size_t size, const struct bounds *b, int cursor, int desc)
{
	static const char *const lo[] = {"", " AND sk >= ?3", " AND sk > ?3"};
	static const char *const hi[] = {"", " AND sk <= ?4", " AND sk < ?4"};

	return snprintf(sql, size, "SELECT item FROM %%1$s WHERE h = ?1 AND pk = ?2%s%s%s ORDER BY sk %s LIMIT ?6",
			lo[b->lo_kind], hi[b->hi_kind],
			!cursor ? "" : desc ? " AND sk < ?5" : " AND sk > ?5", desc ? "DESC" : "ASC");
}

/* The bytes of a sort key operand, checked against the table's sort key type. */
static int sk_operand(wb_db *db, const wb_key_schema *ks, const wb_value *v, int slot, const void **p,
		      size_t *len, const struct op *op)
{
	struct sq *s = db->state;

	if (wb_value_type(v) != ks->sk_type)
		return wb__error(db, WB_EINVALID, "%s: sort key condition value must be of type %s, not %s",
				 OPNAME(op), wb_type_name(ks->sk_type), wb_type_name(wb_value_type(v)));
	if (ks->sk_type == WB_N) {
		int rc;
		s->kbuf[slot].len = 0;
		if ((rc = wb__key_encode(&s->kbuf[slot], v)) < 0)
			return wb__sq_fail_nested(db, rc, op);
		*p = s->kbuf[slot].data;
		*len = s->kbuf[slot].len;
		return 0;
	}
	*p = wb_value_bytes(v, len);
	return 0;
}

/* Turn the sort-key condition into bounds (uses kbuf[2], kbuf[3]). */
int wb__sq_query_bounds(wb_db *db, const wb_key_schema *ks, const wb_query *q, struct bounds *b,
			const struct op *op)
{
	struct sq *s = db->state;
	const void *a = NULL;
	size_t alen = 0;
	int rc, has;

	memset(b, 0, sizeof(*b));
	if (q->sk_op == WB_SK_NONE)
		return 0;
	if (!ks->sk_name[0])
		return wb__error(db, WB_EINVALID, "%s: the %s has no sort key to put a condition on", OPNAME(op),
				 q->index ? "index" : "table");
	if ((rc = sk_operand(db, ks, q->sk_a, 2, &a, &alen, op)) < 0)
		return rc;
	switch (q->sk_op) {
	case WB_SK_EQ: b->lo_kind = b->hi_kind = 1; break;
	case WB_SK_LT: b->hi_kind = 2; break;
	case WB_SK_LE: b->hi_kind = 1; break;
	case WB_SK_GT: b->lo_kind = 2; break;
	case WB_SK_GE: b->lo_kind = 1; break;
	case WB_SK_BETWEEN:
		b->lo_kind = b->hi_kind = 1;
		if ((rc = sk_operand(db, ks, q->sk_b, 3, &b->hi, &b->hilen, op)) < 0)
			return rc;
		break;
	case WB_SK_BEGINS_WITH:
		if (ks->sk_type == WB_N)
			return wb__error(db, WB_EINVALID, "%s: begins_with needs a sort key of type S or B", OPNAME(op));
		b->lo_kind = 1;
		if ((rc = wb__sq_successor(&s->kbuf[3], a, alen, &has)) < 0)
			return wb__sq_fail_nested(db, rc, op);
		if (has) {
			b->hi_kind = 2;
			b->hi = s->kbuf[3].data;
			b->hilen = s->kbuf[3].len;
		}
		break;
	default:
		return wb__error(db, WB_EINVALID, "%s: unknown sort key condition %d", OPNAME(op), (int)q->sk_op);
	}
	b->lo = a;
	b->lolen = alen;
	if (q->sk_op == WB_SK_EQ || q->sk_op == WB_SK_LT || q->sk_op == WB_SK_LE) {
		b->hi = a;
		b->hilen = alen;
	}
	return 0;
}

static int query_in_tx(wb_db *db, wb_page **out, const char *table, const wb_query *q,
		       const struct op *op)
{
	struct sq *s = db->state;
	struct key pk, cur = {0};
	struct bounds b;
	struct tbl *t;
	sqlite3_stmt **slot;
	size_t limit = q->limit ? q->limit : DEFAULT_PAGE;
	char sql[512];
	int rc, idx;

	if ((rc = wb__sq_tbl_get(db, table, &t, op)) < 0)
		return rc;
	if (q->index)
		return wb__sq_ix_query(db, out, t, q, op);
	if ((rc = wb__sq_value_bytes(db, q->pk, t->key.pk_type, &s->kbuf[0], &pk.pk, &pk.pklen,
			      "partition key", t->key.pk_name, op)) < 0 ||
	    (rc = wb__sq_query_bounds(db, &t->key, q, &b, op)) < 0)
		return rc;
	pk.h = key_hash(pk.pk, pk.pklen);
	if (q->start_after && (rc = wb__sq_key_of(db, t, q->start_after, &cur, 4, op)) < 0)
		return rc;
	idx = ((b.lo_kind * 3 + b.hi_kind) * 2 + (q->start_after != NULL)) * 2 + (q->descending != 0);
	slot = &t->query[idx];
	query_sql(sql, sizeof(sql), &b, q->start_after != NULL, q->descending);
	if ((rc = wb__sq_prepare_tbl(db, t, slot, sql, op)) < 0)
		return rc;
	sqlite3_bind_int64(*slot, 1, pk.h);
	sqlite3_bind_blob(*slot, 2, pk.pk, (int)pk.pklen, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 3, b.lo ? b.lo : "", (int)b.lolen, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 4, b.hi ? b.hi : "", (int)b.hilen, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 5, cur.sk ? cur.sk : "", (int)cur.sklen, SQLITE_STATIC);
	sqlite3_bind_int64(*slot, 6, (int64_t)limit + 1);
	return collect(db, t, slot, 1, limit, 0, out, op);
}

int wb__sq_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	struct op op = {"query of", table, -1};
	int rc;

	LOCKED_TX(db, 0, &op, rc = query_in_tx(db, out, table, q, &op));
	return rc;
}

/* ------------------------------------------------------------------- scan */

/*
 * The statements of a scan.  Parameters: ?1 ?2 the range of h of the
 * segment; ?3 ?4 ?5 the cursor's h, pk, sk; ?6 ?7 the range of pk of a
 * prefix; ?8 the row limit.  A page after a cursor runs the parts A, B (and
 * C) in turn: each is one index range, whereas SQLite would only seek on
 * the first column of a row-value comparison like (h, pk, sk) > (...).
 * The caller places the cursor within the range first (scan_cursor).
 * Every statement returns item, h, pk, sk.
 */
enum { SCAN_WHOLE = 0, SCAN_PREFIX = 4, SCAN_PREFIX_HI = 7 };
#define SCAN_ALL "SELECT item, h, pk, sk FROM %1$s WHERE "
#define SCAN_IDX "SELECT item, h, pk, sk FROM %1$s INDEXED BY %2$s WHERE "
#define SCAN_H "h >= ?1 AND h < ?2"
static const char *const scan_sql[NSCAN] = {
	/* whole table: first page; A rest of the cursor's partition; B rest of its h; C later h */
	SCAN_ALL SCAN_H " ORDER BY h, pk, sk LIMIT ?8",
	SCAN_ALL "h = ?3 AND pk = ?4 AND sk > ?5 ORDER BY sk LIMIT ?8",
	SCAN_ALL "h = ?3 AND pk > ?4 ORDER BY pk, sk LIMIT ?8",
	SCAN_ALL "h > ?3 AND h < ?2 ORDER BY h, pk, sk LIMIT ?8",
	/* pk >= prefix (a prefix of 0xff bytes has no upper bound): first page, A, B */
	SCAN_IDX "pk >= ?6 AND " SCAN_H " ORDER BY pk, sk LIMIT ?8",
	SCAN_IDX "pk = ?4 AND sk > ?5 AND " SCAN_H " ORDER BY sk LIMIT ?8",
	SCAN_IDX "pk > ?4 AND " SCAN_H " ORDER BY pk, sk LIMIT ?8",
	/* pk in [prefix, successor): first page, A, B */
	SCAN_IDX "pk >= ?6 AND pk < ?7 AND " SCAN_H " ORDER BY pk, sk LIMIT ?8",
	SCAN_IDX "pk = ?4 AND sk > ?5 AND " SCAN_H " ORDER BY sk LIMIT ?8",
	SCAN_IDX "pk > ?4 AND pk < ?7 AND " SCAN_H " ORDER BY pk, sk LIMIT ?8",
};

/* Prepare and bind scan statement i. */
static int scan_stmt(wb_db *db, struct tbl *t, int i, const int64_t hr[2], const struct key *cur,
		     const wb_buf *pfx, const struct op *op)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wb__sq_prepare_tbl(db, t, &t->scan[i], scan_sql[i], op)) < 0)
		return rc;
	st = t->scan[i];
	sqlite3_bind_int64(st, 1, hr[0]);
	sqlite3_bind_int64(st, 2, hr[1]);
	sqlite3_bind_int64(st, 3, cur->h);
	sqlite3_bind_blob(st, 4, cur->pk ? cur->pk : "", (int)cur->pklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, cur->sk ? cur->sk : "", (int)cur->sklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, pfx[0].data ? (const void *)pfx[0].data : "", (int)pfx[0].len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, pfx[1].data ? (const void *)pfx[1].data : "", (int)pfx[1].len, SQLITE_STATIC);
	return 0;
}

/*
 * Where a cursor lies relative to the scanned range: 1 inside (continue
 * after it), 0 before it (start at the beginning), -1 after it (done).
 */
static int scan_cursor(int first, const int64_t hr[2], const struct key *cur, const wb_buf *pfx)
{
	if (first == SCAN_WHOLE)
		return cur->h < hr[0] ? 0 : cur->h >= hr[1] ? -1 : 1;
	if (blob_cmp(cur->pk, cur->pklen, pfx[0].data, pfx[0].len) < 0)
		return 0;
	if (first == SCAN_PREFIX_HI && blob_cmp(cur->pk, cur->pklen, pfx[1].data, pfx[1].len) >= 0)
		return -1;
	return 1;
}

/* The statements of a scan page, bound, in st[0..*nst); *whole when it runs in h order. */
int wb__sq_scan_setup(wb_db *db, struct tbl *t, const wb_scan *sc, size_t limit, sqlite3_stmt *st[3],
		      int *nst, int *whole, const struct op *op)
{
	struct sq *s = db->state;
	unsigned n = sc->total_segments > 1 ? sc->total_segments : 1;
	size_t plen = sc->pk_prefix ? strlen(sc->pk_prefix) : 0;
	int64_t hr[2] = {HASH_SPAN * sc->segment / n, HASH_SPAN * (sc->segment + 1) / n};
	struct key cur = {0};
	int rc, first, has = 0, cursor = sc->start_after != NULL;

	if (plen && t->key.pk_type == WB_N)
		return wb__error(db, WB_EINVALID, "%s: a key prefix needs a partition key of type S or B, not N",
				 OPNAME(op));
	if (cursor && (rc = wb__sq_key_of(db, t, sc->start_after, &cur, 0, op)) < 0)
		return rc;
	s->kbuf[2].len = s->kbuf[3].len = 0;
	if (plen && ((rc = wb__buf_append(&s->kbuf[2], sc->pk_prefix, plen)) < 0 ||
		     (rc = wb__sq_successor(&s->kbuf[3], sc->pk_prefix, plen, &has)) < 0))
		return wb__sq_fail_nested(db, rc, op);
	first = plen ? (has ? SCAN_PREFIX_HI : SCAN_PREFIX) : SCAN_WHOLE;
	*whole = first == SCAN_WHOLE;
	if (cursor)
		cursor = scan_cursor(first, hr, &cur, &s->kbuf[2]);
	*nst = cursor == 0 ? 1 : cursor < 0 ? 0 : first == SCAN_WHOLE ? 3 : 2;
	cursor = cursor > 0;
	for (int i = 0; i < *nst; i++) {
		if ((rc = scan_stmt(db, t, first + i + cursor, hr, &cur, &s->kbuf[2], op)) < 0)
			return rc;
		st[i] = t->scan[first + i + cursor];
		sqlite3_bind_int64(st[i], 8, (int64_t)limit + 1);
	}
	return 0;
}

static int scan_in_tx(wb_db *db, wb_page **out, const char *table, const wb_scan *sc,
		      const struct op *op)
{
	size_t limit = sc->limit ? sc->limit : DEFAULT_PAGE;
	sqlite3_stmt *st[3];
	struct tbl *t;
	int rc, nst = 0, whole = 0;

	if ((rc = wb__sq_tbl_get(db, table, &t, op)) < 0)
		return rc;
	if (sc->index)
		return wb__sq_ix_scan(db, out, t, sc, op);
	if ((rc = wb__sq_scan_setup(db, t, sc, limit, st, &nst, &whole, op)) < 0)
		return rc;
	return collect(db, t, st, (size_t)nst, limit, whole, out, op);
}

int wb__sq_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *sc)
{
	struct op op = {"scan of", table, -1};
	int rc;

	LOCKED_TX(db, 0, &op, rc = scan_in_tx(db, out, table, sc, &op));
	return rc;
}
