/*
 * sqlite_int.h - what the files of the embedded backend share (private to
 * src/sqlite/; the rest of the library sees only wb_backend_sqlite).
 *
 * The layout of a file (one SQLite table per whimbrel table, keyed by
 * (h, pk, sk)) is described atop sqlite_open.c.  The backend is split along
 * its sections:
 *
 *   sqlite_open.c    errors, statements, transactions, open, catalog, the ops table
 *   sqlite_tables.c  table create, describe, list, drop
 *   sqlite_write.c   keys, item access, conditions, get, put, delete, update
 *   sqlite_bulk.c    batches, and the bulk puts that apply a page's writes at once
 *   sqlite_read.c    query and scan pages
 *   sqlite_each.c    migration pages: each_page and tx_write
 *   sqlite_index.c   secondary indexes: tables kept by triggers, their reads
 *   sqlite_load.c    bulk loads: sorted, one transaction
 *
 * Every operation names what it does in a struct op, for messages; every
 * public operation runs in LOCKED_TX.
 */
#ifndef WB_SQLITE_INT_H
#define WB_SQLITE_INT_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sqlite3.h>

#include "common.h"
#include "backend.h"
#include "codec.h"

#define DEFAULT_PAGE 1000        /* items per page when the caller gives no limit */
#define NQUERY 36                /* query statement variants: 3 lo x 3 hi x 2 cursor x 2 order */
#define NSCAN 10                 /* scan statements, see sqlite_read.c */
#define HASH_SPAN 4294967296LL   /* h is in [0, 2^32) */

/* The statements of one whimbrel table, prepared on first use. */
struct tbl {
	char name[WB_NAME_MAX + 1];   /* whimbrel table name */
	int64_t id;                   /* catalog id, part of the SQL names */
	wb_key_schema key;            /* key schema from the catalog */
	sqlite3_stmt *get;            /* item by (h, pk, sk) */
	sqlite3_stmt *update;         /* replace the item at a key */
	sqlite3_stmt *insert;         /* insert an item */
	sqlite3_stmt *del;            /* delete by key */
	sqlite3_stmt *put_if;         /* replace only if the stored bytes equal ?5 */
	sqlite3_stmt *del_if;         /* delete only if the stored bytes equal ?4 */
	sqlite3_stmt *count;          /* COUNT(*) */
	sqlite3_stmt *probe;          /* rows in a range of h, up to a limit (bulk puts) */
	sqlite3_stmt *bulk;           /* the range UPDATE of bulk puts */
	sqlite3_stmt *xf_whole;       /* the UPDATE of a migration page in h order */
	sqlite3_stmt *xf_index;       /* the same through the (pk, sk) index */
	sqlite3_stmt *xf_next;        /* h of the row `limit` rows further (page bounds) */
	sqlite3_stmt *scan[NSCAN];    /* scan variants, see scan_sql */
	sqlite3_stmt *query[NQUERY];  /* query variants, see query_sql */
	int64_t seen_hmin, seen_hmax; /* range of h of the last scan page read through this handle */
	int64_t seen_rows;            /* its number of rows, or -1 when unknown */
	struct sq_ix *ix;             /* its secondary indexes (sqlite_index.c), once loaded */
	size_t nix;                   /* how many */
	int ix_loaded;                /* ix and nix have been read from the catalog */
};

/* A secondary index: a catalog row of wb_indexes and the SQLite table "x<id>". */
struct sq_ix {
	wb_index def;                 /* the definition (attrs owned, see wb_indexes_free) */
	int64_t id;                   /* catalog id, part of the SQL names */
};

/* Per-handle state (db->state). */
struct sq {
	sqlite3 *conn;                /* the connection (opened NOMUTEX: mu serialises) */
	pthread_mutex_t mu;           /* held for the whole of every operation */
	char *path;                   /* file path, for messages */
	int busy_ms;                  /* busy timeout */
	int readonly;                 /* opened without write access (sqlite_open.c, open_flags) */
	int dev;                      /* commits no longer wait for the disk (a dev run's pages) */
	struct wb__sq_load_rows *load_rows; /* the load being written (read by wb_load_rows) */
	int64_t schema_version;       /* schema the cached statements belong to */
	struct tbl **tbls;            /* cached tables */
	size_t ntbls;                 /* how many */
	size_t cap;                   /* allocated */
	sqlite3_stmt *begin_r;        /* BEGIN */
	sqlite3_stmt *begin_w;        /* BEGIN IMMEDIATE */
	sqlite3_stmt *commit;         /* COMMIT */
	sqlite3_stmt *schema;         /* PRAGMA schema_version */
	sqlite3_stmt *lookup;         /* catalog row by name */
	wb_buf ibuf;                  /* scratch: encoded item */
	wb_buf ebuf;                  /* scratch: encoded expected item */
	struct bulk *bulk;            /* the bulk put being applied (read by the SQL functions) */
	struct xform *xform;          /* the migration page being transformed (wb_xf_keep) */
	int in_hook;                  /* running a hook of wb__sq_each_page */
	wb_buf kbuf[6];               /* scratch: encoded key values (0-1 key, 2-3 bounds, 4-5 cursor) */
	int ix_failed;                /* wb_ix_key refused a write's index key: the failure is WB_EINVALID */
	wb_buf ix_bytes[2];           /* the item bytes wb_ix_key decoded last (OLD and NEW)... */
	wb_item *ix_item[2];          /* ...and the items (the triggers ask for several keys of each) */
	int ix_next;                  /* the entry to replace next */
};

/* What is being done, for messages: "put into cars", "batch write 3: ...". */
struct op {
	const char *verb;             /* "put into", "scan of", ... */
	const char *table;            /* the whimbrel table (or NULL) */
	long index;                   /* index in a batch, or -1 */
};

/* A key as stored: the bytes of pk and sk and the hash of pk. */
struct key {
	const void *pk;               /* pk bytes (item's memory or a scratch buffer) */
	size_t pklen;                 /* their length */
	const void *sk;               /* sk bytes, "" without sort key */
	size_t sklen;                 /* their length */
	int64_t h;                    /* hash of pk, in [0, 2^32) */
};


/* One put of a bulk: offsets into bulk.buf. */
struct bulk_put {
	int64_t h;                    /* hash of pk */
	size_t pk, pklen;             /* pk bytes */
	size_t sk, sklen;             /* sk bytes */
	size_t item, itemlen;         /* encoded new item */
	size_t exp, explen;           /* encoded expected item (ITEM_EQUALS) */
	const wb_write *w;            /* the write */
	size_t index;                 /* its index in the batch */
	int done;                     /* the UPDATE applied it */
};

/* The bulk puts of one batch to one table. */
struct bulk {
	struct tbl *t;                /* the table */
	wb_db *db;                    /* the handle (errors) */
	struct bulk_put *p;           /* the puts */
	size_t n, cap;                /* used, allocated */
	uint32_t *slots;              /* hash table: index into p + 1, 0 = empty */
	size_t mask;                  /* number of slots - 1 */
	wb_buf buf;                   /* key and item bytes */
	int64_t hmin, hmax;           /* range of h */
	long failed;                  /* put whose condition failed inside the UPDATE, or -1 */
	int cond_rc;                  /* its error code */
};

/* ------------------------------------------------------------- helpers */

/* A 32-bit hash of the partition key bytes (FNV-1a, then a murmur3 finaliser). */
static inline int64_t key_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return (int64_t)h;
}

/* Bind h, pk, sk as ?1, ?2, ?3. */
static inline void bind_key(sqlite3_stmt *st, const struct key *k)
{
	sqlite3_bind_int64(st, 1, k->h);
	sqlite3_bind_blob(st, 2, k->pk, (int)k->pklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, k->sk, (int)k->sklen, SQLITE_STATIC);
}

/* Byte order of SQLite BLOBs: memcmp, then the shorter first. */
static inline int blob_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/* -------------------------------------------------- sqlite_open.c: errors */

/* "put into cars", "batch write 3: ..." into buf. */
const char *wb__sq_opname(char *buf, size_t size, const struct op *op);
#define OPNAME(op) wb__sq_opname((char[320]){0}, 320, (op))
/* Map an SQLite result code to a whimbrel error with a one-line message. */
int wb__sq_fail(wb_db *db, int src, const struct op *op);
/* Prefix this thread's last error (set by a nested call) with the operation. */
int wb__sq_fail_nested(wb_db *db, int rc, const struct op *op);

/* ---------------------------------- sqlite_open.c: statements, transactions */

/* Prepare a statement that lives as long as the handle. */
int wb__sq_prepare(wb_db *db, sqlite3_stmt **out, const char *sql, const struct op *op);
/* Prepare *slot (once) from a format whose %1$s is the table and %2$s its index. */
int wb__sq_prepare_tbl(wb_db *db, struct tbl *t, sqlite3_stmt **slot, const char *fmt,
		       const struct op *op);
/* Forget every cached table (after a schema change). */
void wb__sq_cache_flush(struct sq *s);
/* BEGIN (IMMEDIATE when write), dropping stale statements. */
int wb__sq_tx_begin(wb_db *db, int write, const struct op *op);
/* Commit when rc == 0, else roll back; returns rc or the commit's failure. */
int wb__sq_tx_end(wb_db *db, int rc, const struct op *op);
/* Read a table's catalog row into t; WB_ENOTFOUND when absent. */
int wb__sq_catalog_lookup(wb_db *db, const char *name, struct tbl *t, const struct op *op);
/* The cached table `name` (looked up in the catalog on first use). */
int wb__sq_tbl_get(wb_db *db, const char *name, struct tbl **out, const struct op *op);

extern _Thread_local struct sq *wb__sq_busy; /* handle whose page this thread is transforming */
extern _Thread_local int wb__sq_refused;     /* a write through another handle was refused meanwhile */
/* A write through s that would wait for this thread's own migration page: 1 (refused). */
int wb__sq_nested_write(const struct sq *s, int write);

/*
 * Run `body` inside a transaction, holding the handle's lock; refuse when
 * this thread is inside wb__sq_each_page on the same handle, or on
 * another handle of the same file for a write (wb__sq_nested_write).
 */
#define LOCKED_TX(db, write, op, body) do { \
	struct sq *s_ = (db)->state; \
	if (wb__sq_busy == s_) { \
		rc = wb__error((db), WB_EINVALID, "%s: the handle is running a migration page on this" \
			       " thread: its callback may not use it", OPNAME(op)); \
		break; \
	} \
	if (wb__sq_nested_write(s_, (write))) { \
		rc = wb__error((db), WB_EBUSY, "%s: a migration page of this file is being written on" \
			       " this thread: the page will be done again without the fast path", OPNAME(op)); \
		break; \
	} \
	pthread_mutex_lock(&s_->mu); \
	rc = wb__sq_tx_begin((db), (write), (op)); \
	if (rc == 0) { body; rc = wb__sq_tx_end((db), rc, (op)); } \
	pthread_mutex_unlock(&s_->mu); \
} while (0)

/*
 * ------------------------------------------------ helpers of every row
 * Inline: as calls into another file they cost ~0.2% of a migration's
 * instructions (callgrind, bench/sqlite_update).
 */

/* Step a statement that returns no row, then reset it. */
static inline int wb__sq_run(wb_db *db, sqlite3_stmt *st, const struct op *op)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		rc = wb__sq_fail(db, rc, op);
	else
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/* Decode the item column `col` of the current row. */
static inline int wb__sq_decode_col(wb_db *db, sqlite3_stmt *st, int col, wb_item **out, const struct op *op)
{
	int rc = wb__item_decode_stored(out, sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col));

	return rc < 0 ? wb__sq_fail_nested(db, rc, op) : 0;
}

/* Encode an item into buf (emptied first). */
static inline int wb__sq_encode(wb_db *db, wb_buf *buf, const wb_item *item, const struct op *op)
{
	int rc;

	buf->len = 0;
	if ((rc = wb__item_encode(buf, item)) < 0)
		return wb__sq_fail_nested(db, rc, op);
	return 0;
}

/* ------------------------------------------------------- sqlite_write.c */

/* The stored bytes of a key value of type t (N encoded into buf). */
int wb__sq_value_bytes(wb_db *db, const wb_value *v, wb_type t, wb_buf *buf, const void **p,
		       size_t *len, const char *role, const char *name, const struct op *op);
/* The stored key of `item` under key schema ks: pk, sk and hash (N values encoded into buf[0], buf[1]). */
int wb__sq_key_in(wb_db *db, const wb_key_schema *ks, const wb_item *item, struct key *k, wb_buf *buf,
		  const struct op *op);
/* The stored key of `item` (or a key item): pk, sk and hash.  Uses kbuf[slot], kbuf[slot+1]. */
int wb__sq_key_of(wb_db *db, const struct tbl *t, const wb_item *item, struct key *k, int slot,
		  const struct op *op);
/* A short description of an item's key for messages: id="abc", n=12. */
const char *wb__sq_key_text(char *buf, size_t size, const struct tbl *t, const wb_item *item);
#define KEYTEXT(t, item) wb__sq_key_text((char[200]){0}, 200, (t), (item))
/* A condition failed on the item with key `key`: WB_ECONDITION saying `why`. */
int wb__sq_cond_fail(wb_db *db, const struct tbl *t, const wb_item *key, const struct op *op,
		     const char *why);
/* A put or a delete inside an open write transaction. */
int wb__sq_do_put(wb_db *db, struct tbl *t, const wb_item *item, const wb_cond *cond,
		  const struct op *op);
int wb__sq_do_del(wb_db *db, struct tbl *t, const wb_item *key, const wb_cond *cond,
		  const struct op *op);

/* -------------------------------------------------------- sqlite_bulk.c */

void wb__sq_bulk_free(struct bulk *b);
/* Room for n puts in b (of table t on db). */
int wb__sq_bulk_init(struct bulk *b, wb_db *db, struct tbl *t, size_t n);
/* Append a put (key k, new bytes) to b, whose arrays have room; hashed: findable by key. */
int wb__sq_bulk_add_raw(struct bulk *b, const struct key *k, const void *item, size_t itemlen, int hashed);
/* The writes of a batch inside an open write transaction. */
int wb__sq_batch_in_tx(wb_db *db, const wb_write *w, size_t n, size_t *failed_index);

/* ---------------------------------------------------------- sqlite_read.c */

/* Sort-key bounds of a query: kinds 0 none, 1 inclusive, 2 exclusive. */
struct bounds {
	int lo_kind, hi_kind;         /* lower and upper bound kinds */
	const void *lo, *hi;          /* their bytes */
	size_t lolen, hilen;          /* their lengths */
};

/* The sort-key condition of q on a sort key of schema ks as bounds (uses kbuf[2], kbuf[3]). */
int wb__sq_query_bounds(wb_db *db, const wb_key_schema *ks, const wb_query *q, struct bounds *b,
			const struct op *op);
/* The smallest byte string greater than every string beginning with p[0..len); *has = 0: none. */
int wb__sq_successor(wb_buf *out, const void *p, size_t len, int *has);

/* The statements of a scan page, bound, in st[0..*nst); *whole when it runs in h order. */
int wb__sq_scan_setup(wb_db *db, struct tbl *t, const wb_scan *sc, size_t limit, sqlite3_stmt *st[3],
		      int *nst, int *whole, const struct op *op);

/* -------------------------------------------------------- sqlite_index.c */

/* Create table `name` (in an open write transaction); sqlite_tables.c. */
int wb__sq_create_in_tx(wb_db *db, const char *name, const wb_key_schema *key, const struct op *op);
/* Free t's loaded indexes. */
void wb__sq_ix_free(struct tbl *t);
/* The index `name` of t (loaded on first use); WB_EINVALID naming it when t has none of that name. */
int wb__sq_ix_get(wb_db *db, struct tbl *t, const char *name, const struct sq_ix **out, const struct op *op);
/* Drop the index tables and catalog rows of t (inside drop's transaction). */
int wb__sq_ix_drop(wb_db *db, const struct tbl *t, const struct op *op);
/* A page of a query or a scan of an index (inside a read transaction). */
int wb__sq_ix_query(wb_db *db, wb_page **out, struct tbl *t, const wb_query *q, const struct op *op);
int wb__sq_ix_scan(wb_db *db, wb_page **out, struct tbl *t, const wb_scan *sc, const struct op *op);
/* Release wb_ix_key's cached item (close). */
void wb__sq_ix_cache_free(struct sq *s);

/* ------------------------------------------------ SQL functions (open registers them) */

void wb__sq_fn_bulk_has(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void wb__sq_fn_bulk_new(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void wb__sq_fn_xf_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void wb__sq_fn_ix_key(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void wb__sq_fn_ix_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* ------------------------------------------- the operations (wb_backend_sqlite) */

int wb__sq_table_create(wb_db *db, const char *name, const wb_key_schema *key);
int wb__sq_table_describe(wb_db *db, const char *name, wb_table_desc *out);
int wb__sq_table_list(wb_db *db, char ***out, size_t *count);
int wb__sq_table_drop(wb_db *db, const char *name);
int wb__sq_get(wb_db *db, wb_item **out, const char *table, const wb_item *key);
int wb__sq_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond);
int wb__sq_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond);
int wb__sq_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		  const char *const *remove, size_t nremove, const wb_cond *cond);
int wb__sq_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);
int wb__sq_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q);
int wb__sq_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *sc);
int wb__sq_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
		     const wb__page_hooks *hooks, wb__page_result *out);
int wb__sq_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);
int wb__sq_table_create_ix(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix,
			   size_t n);
int wb__sq_table_indexes(wb_db *db, const char *name, wb_index **out, size_t *count);
int wb__sq_load_begin(wb_db *db, void **out, const char *table, const wb_key_schema *key);
int wb__sq_load_add(wb_db *db, void *state, const wb_item *item);
int wb__sq_load_commit(wb_db *db, void *state, wb_load_fn progress, void *arg, uint64_t *written);
void wb__sq_load_free(wb_db *db, void *state);
/** Register the virtual table wb_load_rows (the rows of a load's commit) on the connection. */
int wb__sq_load_module(wb_db *db, const struct op *op);
/* sqlite_snapshot.c */
int wb__sq_snapshot(wb_db *db, const char *path);
int wb__sq_snapshot_dir(wb_db *db, char *buf, size_t size);

#endif /* WB_SQLITE_INT_H */
