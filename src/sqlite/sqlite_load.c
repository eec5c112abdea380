/*
 * sqlite_load.c - the embedded backend's bulk loads (ops load_*;
 * wb_load_begin in whimbrel.h).
 *
 * Items are encoded as they come and kept in a sorter (sorter.h) under the
 * table's clustering key (h, pk, sk); nothing touches the database before
 * the commit.  The commit writes them in one transaction in key order, so
 * each page of the table is filled once (puts in random order dirty about
 * one page per item and write it again at every commit), with INSERT OR
 * REPLACE (a later put of a key wins, as with wb_put).  Into an empty table
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

/* Write the sorted records through st; progress every LOAD_PROGRESS rows. */
static int load_rows(wb_db *db, struct load *ld, sqlite3_stmt *st, wb_load_fn progress, void *arg,
		     uint64_t *written, const struct op *op)
{
	const unsigned char *key;
	const void *k, *v;
	size_t klen, vlen;
	int rc;

	while ((rc = wb__sorter_next(ld->sorter, &k, &klen, &v, &vlen)) == 1) {
		key = k;
		sqlite3_bind_int64(st, 1, (int64_t)be32(key));
		sqlite3_bind_blob(st, 2, key + 8, (int)be32(key + 4), SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, key + 8 + be32(key + 4), (int)(klen - 8 - be32(key + 4)), SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, v, (int)vlen, SQLITE_STATIC);
		if ((rc = wb__sq_run(db, st, op)) < 0)
			return rc;
		if (++*written % LOAD_PROGRESS == 0 && progress && progress(*written, arg) != 0)
			return wb__error(db, WB_EINTERRUPTED, "%s: interrupted, nothing written", OPNAME(op));
	}
	if (rc < 0)
		return wb__sq_fail_nested(db, rc, op);
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
			      " VALUES(?1, ?2, ?3, ?4)", op)) < 0)
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
