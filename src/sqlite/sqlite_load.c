/*
 * sqlite_load.c - the embedded backend's bulk loads (ops load_*;
 * wb_load_begin in whimbrel.h).
 *
 * Items are encoded as they come and kept in a sorter (sorter.h) under the
 * table's clustering key (h, pk, sk); nothing touches the database before
 * the commit.  The commit writes them in one transaction in key order, so
 * each page of the table is filled once (puts in random order dirty about
 * one page per item and write it again at every commit), with INSERT OR
 * REPLACE (a later put of a key wins, as with wb_put), in one statement
 * reading the sorter through a virtual table (wb_load_rows, below).  Into an empty table
 * the (pk, sk) index is dropped first and built after from a sort (SQLite's
 * CREATE INDEX), in the same transaction.  Memory: the sorter's budget plus
 * SQLite's page cache, whatever the number of items (bench/RESULTS.md,
 * "The embedded target at scale").
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"
#include "sorter.h"

#define LOAD_BUDGET (16u << 20)  /* bytes of encoded items sorted in memory */
#define LOAD_PROGRESS 50000      /* rows written between progress calls */

/* A load in progress (the backend state of a wb_load). */
struct load {
	char table[WB_NAME_MAX + 1];  /* the whimbrel table */
	wb_key_schema key;            /* its key schema, as the caller gave it */
	wb__sorter *sorter;           /* (sort key, encoded item) records */
	wb_buf kbuf[2];               /* scratch: encoded pk and sk (type N) */
	wb_buf rec;                   /* scratch: the sort key */
	wb_buf ibuf;                  /* scratch: the encoded item */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sort key: h (4 bytes, big-endian), the length of pk (4 bytes), pk, sk. */
static int load_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char *x = a, *y = b;
	size_t xl = be32(x + 4), yl = be32(y + 4);
	int c = memcmp(x, y, 4);

	if (c || (c = blob_cmp(x + 8, xl, y + 8, yl)))
		return c;
	return blob_cmp(x + 8 + xl, alen - 8 - xl, y + 8 + yl, blen - 8 - yl);
}

static int load_key(struct load *ld, const struct key *k)
{
	unsigned char hdr[8];
	uint32_t h = (uint32_t)k->h, pl = (uint32_t)k->pklen;

	for (int i = 0; i < 4; i++) {
		hdr[i] = (unsigned char)(h >> (24 - 8 * i));
		hdr[4 + i] = (unsigned char)(pl >> (24 - 8 * i));
	}
	ld->rec.len = 0;
	if (wb__buf_append(&ld->rec, hdr, 8) < 0 || wb__buf_append(&ld->rec, k->pk, k->pklen) < 0 ||
	    wb__buf_append(&ld->rec, k->sk, k->sklen) < 0)
		return WB_ENOMEM;
	return 0;
}

void wb__sq_load_free(wb_db *db, void *state)
{
	struct load *ld = state;

	WB_UNUSED(db);
	if (!ld)
		return;
	wb__sorter_free(ld->sorter);
	for (size_t i = 0; i < WB_ARRAY_SIZE(ld->kbuf); i++)
		wb__buf_free(&ld->kbuf[i]);
	wb__buf_free(&ld->rec);
	wb__buf_free(&ld->ibuf);
	free(ld);
}

int wb__sq_load_begin(wb_db *db, void **out, const char *table, const wb_key_schema *key)
{
	struct load *ld = wb__calloc(1, sizeof(*ld));
	int rc;

	*out = NULL;
	if (!ld)
		return wb__oom(db);
	snprintf(ld->table, sizeof(ld->table), "%s", table);
	ld->key = *key;
	if ((rc = wb__sorter_new(&ld->sorter, load_cmp, 4, LOAD_BUDGET)) < 0) {
		wb__sq_load_free(db, ld);
		return wb__error_to_db(db, rc);
	}
	*out = ld;
	return 0;
}

int wb__sq_load_add(wb_db *db, void *state, const wb_item *item)
{
	struct load *ld = state;
	struct op op = {"load into", ld->table, -1};
	struct key k;
	int rc;

	if ((rc = wb__sq_key_in(db, &ld->key, item, &k, ld->kbuf, &op)) < 0)
		return rc;
	ld->ibuf.len = 0;
	if ((rc = load_key(ld, &k)) < 0 || (rc = wb__item_encode(&ld->ibuf, item)) < 0)
		return wb__oom(db);
	if ((rc = wb__sorter_add(ld->sorter, ld->rec.data, ld->rec.len, ld->ibuf.data, ld->ibuf.len)) < 0)
		return wb__sq_fail_nested(db, rc, &op);
	return 0;
}

static int same_schema(const wb_key_schema *a, const wb_key_schema *b)
{
	return strcmp(a->pk_name, b->pk_name) == 0 && a->pk_type == b->pk_type &&
	       strcmp(a->sk_name, b->sk_name) == 0 && (!a->sk_name[0] || a->sk_type == b->sk_type);
}

/* Run one table statement once (DROP INDEX, CREATE INDEX). */
static int load_exec(wb_db *db, struct tbl *t, const char *fmt, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	int rc = wb__sq_prepare_tbl(db, t, &st, fmt, op);

	if (rc == 0)
		rc = wb__sq_run(db, st, op);
	sqlite3_finalize(st);
	return rc;
}

/* Whether the table holds no row: *empty. */
static int load_empty(wb_db *db, struct tbl *t, int *empty, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	int rc = wb__sq_prepare_tbl(db, t, &st, "SELECT 1 FROM %1$s LIMIT 1", op);

	if (rc == 0) {
		rc = sqlite3_step(st);
		*empty = rc == SQLITE_DONE;
		rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : wb__sq_fail(db, rc, op);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------ the virtual table wb_load_rows */

/*
 * The rows of a load reach SQLite through ONE statement, INSERT ... SELECT
 * FROM wb_load_rows: an eponymous virtual table whose cursor reads the
 * sorter.  The table's write cursor then stays open from row to row and
 * each row is appended after the last one (SQLite's shortcut for a key
 * past the cursor's last cell); with one statement per row, each row cost
 * a descent of the B-tree from its root, a level more at 10M items than at
 * 1M (bench/RESULTS.md, "The embedded target at scale").
 */

/* The rows being written (sq->load_rows while the INSERT runs). */
struct wb__sq_load_rows {
	struct load *ld;              /* the load: its sorter */
	wb_load_fn progress;          /* the caller's progress function, or NULL */
	void *arg;                    /* its argument */
	uint64_t written;             /* rows handed to SQLite */
	int rc;                       /* why the rows ended early (sorter error, WB_EINTERRUPTED), or 0 */
};

/* The table: SQLite's part, then the connection's state. */
struct rows_vtab {
	sqlite3_vtab base;
	struct sq *s;
};

/* A cursor: the sorter's current record. */
struct rows_cur {
	sqlite3_vtab_cursor base;
	struct wb__sq_load_rows *rows; /* NULL: no load is committing (the table is empty) */
	const unsigned char *key;     /* sort key (load_key's layout) */
	const void *item;             /* encoded item */
	size_t klen, ilen;
	int eof;
};

static int rows_connect(sqlite3 *conn, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
			char **err)
{
	struct rows_vtab *vt;
	int rc;

	WB_UNUSED(argc);
	WB_UNUSED(argv);
	WB_UNUSED(err);
	if ((rc = sqlite3_declare_vtab(conn, "CREATE TABLE x(h INTEGER, pk BLOB, sk BLOB, item BLOB)")) != SQLITE_OK)
		return rc;
	if (!(vt = sqlite3_malloc(sizeof(*vt))))
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->s = aux;
	*out = &vt->base;
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int rows_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	WB_UNUSED(vt);
	info->estimatedCost = 1e9; /* one pass over everything */
	return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct rows_cur *c = sqlite3_malloc(sizeof(*c));

	WB_UNUSED(vt);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->eof = 1;
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* The next record; the progress function every LOAD_PROGRESS rows (it may stop the load). */
static int rows_next(sqlite3_vtab_cursor *cur)
{
	struct rows_cur *c = (struct rows_cur *)cur;
	struct wb__sq_load_rows *r = c->rows;
	const void *k;
	int rc;

	if (!r || c->eof)
		return SQLITE_OK;
	if ((rc = wb__sorter_next(r->ld->sorter, &k, &c->klen, &c->item, &c->ilen)) != 1) {
		c->eof = 1;
		r->rc = rc < 0 ? rc : 0;
		return rc < 0 ? SQLITE_ERROR : SQLITE_OK;
	}
	c->key = k;
	if (++r->written % LOAD_PROGRESS == 0 && r->progress && r->progress(r->written, r->arg) != 0) {
		c->eof = 1;
		r->rc = WB_EINTERRUPTED;
		return SQLITE_INTERRUPT;
	}
	return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc, sqlite3_value **argv)
{
	struct rows_cur *c = (struct rows_cur *)cur;

	WB_UNUSED(idx);
	WB_UNUSED(idxstr);
	WB_UNUSED(argc);
	WB_UNUSED(argv);
	c->rows = ((struct rows_vtab *)cur->pVtab)->s->load_rows;
	c->eof = !c->rows;
	return rows_next(cur);
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct rows_cur *)cur)->eof;
}

static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct rows_cur *c = (struct rows_cur *)cur;
	size_t pklen = be32(c->key + 4);

	switch (col) {
	case 0:
		sqlite3_result_int64(ctx, (int64_t)be32(c->key));
		break;
	case 1:
		sqlite3_result_blob(ctx, c->key + 8, (int)pklen, SQLITE_TRANSIENT);
		break;
	case 2:
		sqlite3_result_blob(ctx, c->key + 8 + pklen, (int)(c->klen - 8 - pklen), SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_blob(ctx, c->item, (int)c->ilen, SQLITE_TRANSIENT);
		break;
	}
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = (sqlite3_int64)(((struct rows_cur *)cur)->rows ? ((struct rows_cur *)cur)->rows->written : 0);
	return SQLITE_OK;
}

static const sqlite3_module rows_module = {
	.iVersion = 0,
	.xConnect = rows_connect,     /* xCreate NULL: eponymous only */
	.xBestIndex = rows_best_index,
	.xDisconnect = rows_disconnect,
	.xOpen = rows_open,
	.xClose = rows_close,
	.xFilter = rows_filter,
	.xNext = rows_next,
	.xEof = rows_eof,
	.xColumn = rows_column,
	.xRowid = rows_rowid,
};

int wb__sq_load_module(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc = sqlite3_create_module_v2(s->conn, "wb_load_rows", &rows_module, s, NULL);

	return rc == SQLITE_OK ? 0 : wb__sq_fail(db, rc, op);
}

/* Write the sorted records through st (the INSERT ... SELECT from wb_load_rows). */
static int load_rows(wb_db *db, struct load *ld, sqlite3_stmt *st, wb_load_fn progress, void *arg,
		     uint64_t *written, const struct op *op)
{
	struct sq *s = db->state;
	struct wb__sq_load_rows rows = {ld, progress, arg, 0, 0};
	int rc;

	s->load_rows = &rows;
	rc = wb__sq_run(db, st, op);
	s->load_rows = NULL;
	*written = rows.written;
	if (rows.rc == WB_EINTERRUPTED)
		return wb__error(db, WB_EINTERRUPTED, "%s: interrupted, nothing written", OPNAME(op));
	if (rows.rc < 0)
		return wb__sq_fail_nested(db, rows.rc, op);
	if (rc < 0)
		return rc;
	wb__sorter_free(ld->sorter); /* its memory goes back before the index is built */
	ld->sorter = NULL;
	malloc_trim(0);
	return 0;
}

/* What the progress handler of the index build calls. */
struct load_progress {
	wb_load_fn fn;                /* the caller's progress function */
	void *arg;                    /* its argument */
	uint64_t written;             /* rows written */
	int stopped;                  /* it asked to stop */
};

static int on_sqlite_progress(void *arg)
{
	struct load_progress *p = arg;

	return p->stopped = p->fn(p->written, p->arg) != 0;
}

/* Build the (pk, sk) index, calling progress now and then (it may stop the build). */
static int load_index(wb_db *db, struct tbl *t, wb_load_fn progress, void *arg, uint64_t written,
		      const struct op *op)
{
	struct sq *s = db->state;
	struct load_progress p = {progress, arg, written, 0};
	int rc;

	if (progress)
		sqlite3_progress_handler(s->conn, 1000000, on_sqlite_progress, &p);
	rc = load_exec(db, t, "CREATE INDEX %2$s ON %1$s(pk, sk)", op);
	sqlite3_progress_handler(s->conn, 0, NULL, NULL);
	if (rc < 0 && p.stopped)
		return wb__error(db, WB_EINTERRUPTED, "%s: interrupted, nothing written", OPNAME(op));
	return rc;
}

static int load_in_tx(wb_db *db, struct load *ld, wb_load_fn progress, void *arg, uint64_t *written,
		      const struct op *op)
{
	sqlite3_stmt *st = NULL;
	struct tbl *t;
	int rc, empty = 0;

	if ((rc = wb__sq_tbl_get(db, ld->table, &t, op)) < 0)
		return rc;
	if (!same_schema(&t->key, &ld->key))
		return wb__error(db, WB_EINVALID, "%s: the table's key is not the one the load was given",
				 OPNAME(op));
	t->seen_rows = -1;
	if (wb__sorter_added(ld->sorter) == 0)
		return 0; /* nothing to write: the table exists with that key, that is all */
	if ((rc = load_empty(db, t, &empty, op)) < 0 ||
	    (empty && (rc = load_exec(db, t, "DROP INDEX %2$s", op)) < 0) ||
	    (rc = wb__sq_prepare_tbl(db, t, &st, "INSERT OR REPLACE INTO %1$s(h, pk, sk, item)"
			      " SELECT h, pk, sk, item FROM wb_load_rows", op)) < 0)
		goto out;
	if ((rc = load_rows(db, ld, st, progress, arg, written, op)) == 0 && empty)
		rc = load_index(db, t, progress, arg, *written, op);
out:
	sqlite3_finalize(st);
	return rc;
}

int wb__sq_load_commit(wb_db *db, void *state, wb_load_fn progress, void *arg, uint64_t *written)
{
	struct load *ld = state;
	struct op op = {"load into", ld->table, -1};
	int rc;

	*written = 0;
	if ((rc = wb__sorter_finish(ld->sorter)) < 0)
		return wb__sq_fail_nested(db, rc, &op);
	LOCKED_TX(db, 1, &op, rc = load_in_tx(db, ld, progress, arg, written, &op));
	if (rc < 0)
		*written = 0;
	return rc;
}
