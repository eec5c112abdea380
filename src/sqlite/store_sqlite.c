/*
 * store_sqlite.c - the embedded backend: whimbrel tables in one SQLite file.
 *
 * A target "sqlite:PATH" is one SQLite database in WAL mode.  The catalog
 * table wb_tables holds one row per whimbrel table (name, key schema, an id);
 * each whimbrel table is an SQLite table named "t<id>_<name>" (the name is
 * validated to [A-Za-z0-9_.-], the id keeps names that differ only in case
 * apart, since SQLite identifiers ignore case):
 *
 *   h    INTEGER  32-bit hash of pk: scan segment i of n is a range of h
 *   pk   BLOB     partition key value: S and B raw bytes, N in codec.c's
 *                 order-preserving encoding, so memcmp order = DynamoDB order
 *   sk   BLOB     sort key value, encoded the same way; X'' without sort key
 *   item BLOB     the whole item in codec.c's binary encoding
 *   PRIMARY KEY (h, pk, sk) WITHOUT ROWID, and an index "i<id>_<name>"(pk, sk)
 *   for partition-key prefix scans.
 *
 * Only bound parameters and validated identifiers reach SQL.  Every
 * operation runs in one transaction (BEGIN IMMEDIATE for writes, so that
 * waiting for another writer goes through the busy timeout; then a failure
 * is WB_EBUSY "locked by another process").  A handle serialises its calls
 * with a mutex; statements are prepared once per handle and table and
 * dropped whenever the database schema changes (checked per transaction).
 * Environment: WB_SQLITE_BUSY_MS overrides the busy timeout (5000 ms).
 *
 * New files get 8 KB pages (about 10% faster than 4 KB for ~200-byte
 * items, scans and write-backs alike).
 *
 * Speed (bench/RESULTS.md): a batch writing back a scanned page is applied
 * as one range UPDATE ("bulk puts"), and wb__sqlite_each_page
 * (store_sqlite.h) runs a migration's callback inside that UPDATE.
 * Sections: errors, statements, transactions, open, catalog, keys, item
 * access, conditions, single writes, bulk puts, tables, pages, query,
 * scan, migration pages.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "common.h"
#include "backend.h"
#include "codec.h"
#include "store_sqlite.h"
#include "sorter.h"

#define DEFAULT_PAGE 1000        /* items per page when the caller gives no limit */
#define DEFAULT_BUSY_MS 5000     /* how long to wait for another writer */
#define LAYOUT_VERSION 1         /* PRAGMA user_version of the layout above */
#define NQUERY 36                /* query statement variants: 3 lo x 3 hi x 2 cursor x 2 order */
#define NSCAN 10                 /* scan statements, see scan_sql */
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
};

/* Per-handle state (db->state). */
struct sq {
	sqlite3 *conn;                /* the connection (opened NOMUTEX: mu serialises) */
	pthread_mutex_t mu;           /* held for the whole of every operation */
	char *path;                   /* file path, for messages */
	int busy_ms;                  /* busy timeout */
	int readonly;                 /* opened without write access (see open_flags) */
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
	int in_hook;                  /* running a hook of wb__sqlite_each_page */
	wb_buf kbuf[6];               /* scratch: encoded key values (0-1 key, 2-3 bounds, 4-5 cursor) */
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

static const char *opname(char *buf, size_t size, const struct op *op)
{
	if (op->index >= 0)
		snprintf(buf, size, "batch write %ld: %s %s", op->index, op->verb, op->table);
	else if (op->table)
		snprintf(buf, size, "%s %s", op->verb, op->table);
	else
		snprintf(buf, size, "%s", op->verb);
	return buf;
}

#define OPNAME(op) opname((char[320]){0}, 320, (op))

/* ------------------------------------------------------------- errors */

/* Map an SQLite result code to a whimbrel error with a one-line message. */
static int fail_sqlite(wb_db *db, int src, const struct op *op)
{
	struct sq *s = db->state;
	const char *msg = sqlite3_errmsg(s->conn);

	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return wb__error(db, WB_EBUSY, "%s: database %s is locked by another process (waited %d ms)",
				 OPNAME(op), s->path, s->busy_ms);
	case SQLITE_NOMEM:
		return wb__oom(db);
	case SQLITE_READONLY:
		if (s->readonly)
			return wb__error(db, WB_EIO, "%s: database %s is read-only here (no write access to it"
					 " or its directory)", OPNAME(op), s->path);
		return wb__error(db, WB_EIO, "%s: database %s: %s", OPNAME(op), s->path, msg);
	case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CORRUPT: case SQLITE_NOTADB:
	case SQLITE_CANTOPEN: case SQLITE_PERM: case SQLITE_PROTOCOL:
		return wb__error(db, WB_EIO, "%s: database %s: %s", OPNAME(op), s->path, msg);
	default:
		return wb__error(db, WB_ERROR, "%s: database %s: %s", OPNAME(op), s->path, msg);
	}
}

/* Prefix this thread's last error (set by a nested call) with the operation. */
static int fail_nested(wb_db *db, int rc, const struct op *op)
{
	char msg[1024];

	if (rc == WB_ENOMEM)
		return wb__oom(db);
	snprintf(msg, sizeof(msg), "%s", wb_error_last());
	return wb__error(db, rc, "%s: %s", OPNAME(op), msg);
}

/* ------------------------------------------------------- statements */

/* Step a statement that returns no row, then reset it. */
static int run(wb_db *db, sqlite3_stmt *st, const struct op *op)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		rc = fail_sqlite(db, rc, op);
	else
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

static int prepare(wb_db *db, sqlite3_stmt **out, const char *sql, const struct op *op)
{
	struct sq *s = db->state;
	int rc = sqlite3_prepare_v3(s->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);

	if (rc != SQLITE_OK) {
		*out = NULL;
		return fail_sqlite(db, rc, op);
	}
	return 0;
}

/* Prepare a table statement from a format whose %1$s is the table and %2$s its index. */
static int prepare_tbl(wb_db *db, struct tbl *t, sqlite3_stmt **slot, const char *fmt,
		       const struct op *op)
{
	char tname[WB_NAME_MAX + 32], iname[WB_NAME_MAX + 32], sql[1024];

	if (*slot)
		return 0;
	snprintf(tname, sizeof(tname), "\"t%lld_%s\"", (long long)t->id, t->name);
	snprintf(iname, sizeof(iname), "\"i%lld_%s\"", (long long)t->id, t->name);
	snprintf(sql, sizeof(sql), fmt, tname, iname);
	return prepare(db, slot, sql, op);
}

static void tbl_free(struct tbl *t)
{
	if (!t)
		return;
	sqlite3_finalize(t->get);
	sqlite3_finalize(t->update);
	sqlite3_finalize(t->insert);
	sqlite3_finalize(t->del);
	sqlite3_finalize(t->put_if);
	sqlite3_finalize(t->del_if);
	sqlite3_finalize(t->count);
	sqlite3_finalize(t->probe);
	sqlite3_finalize(t->bulk);
	sqlite3_finalize(t->xf_whole);
	sqlite3_finalize(t->xf_index);
	sqlite3_finalize(t->xf_next);
	for (size_t i = 0; i < NSCAN; i++)
		sqlite3_finalize(t->scan[i]);
	for (size_t i = 0; i < NQUERY; i++)
		sqlite3_finalize(t->query[i]);
	free(t);
}

/* Forget every cached table (after a schema change). */
static void cache_flush(struct sq *s)
{
	for (size_t i = 0; i < s->ntbls; i++)
		tbl_free(s->tbls[i]);
	s->ntbls = 0;
}

/* --------------------------------------------------------- transactions */

/* Drop the cached statements when the schema changed since they were made. */
static int schema_check(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc = sqlite3_step(s->schema);
	int64_t v;

	if (rc != SQLITE_ROW) {
		rc = fail_sqlite(db, rc, op);
		sqlite3_reset(s->schema);
		return rc;
	}
	v = sqlite3_column_int64(s->schema, 0);
	sqlite3_reset(s->schema);
	if (v != s->schema_version) {
		cache_flush(s);
		s->schema_version = v;
	}
	return 0;
}

static int tx_begin(wb_db *db, int write, const struct op *op)
{
	struct sq *s = db->state;
	int rc = run(db, write ? s->begin_w : s->begin_r, op);

	if (rc < 0)
		return rc;
	if ((rc = schema_check(db, op)) < 0 && !sqlite3_get_autocommit(s->conn))
		sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Commit when rc == 0, else roll back; returns rc or the commit's failure. */
static int tx_end(wb_db *db, int rc, const struct op *op)
{
	struct sq *s = db->state;

	if (rc == 0)
		rc = run(db, s->commit, op);
	if (rc < 0 && !sqlite3_get_autocommit(s->conn))
		sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---------------------------------------------------------------- open */

static int env_busy_ms(void)
{
	const char *v = getenv("WB_SQLITE_BUSY_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return DEFAULT_BUSY_MS;
	ms = strtol(v, &end, 10);
	return (*end || ms < 0 || ms > 3600000) ? DEFAULT_BUSY_MS : (int)ms;
}

/* A clear error when the file's directory is missing (SQLite only says "unable to open"). */
static int check_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (!slash || strcmp(path, ":memory:") == 0)
		return 0;
	if (slash == path)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return wb__error(NULL, WB_EIO, "cannot open database %s: directory %s does not exist",
				 path, dir);
	return 0;
}

static const char catalog_sql[] =
	"CREATE TABLE IF NOT EXISTS wb_tables("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" pk_name TEXT NOT NULL, pk_type TEXT NOT NULL,"
	" sk_name TEXT NOT NULL, sk_type TEXT NOT NULL,"
	" created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
	"PRAGMA user_version = 1;";

/* Create the catalog in a new file; refuse files of a newer layout. */
static int ensure_catalog(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	sqlite3_stmt *st = NULL;
	int64_t version = 0;
	int rc;

	if ((rc = prepare(db, &st, "PRAGMA user_version", op)) < 0)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	else
		rc = fail_sqlite(db, rc, op);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (version > LAYOUT_VERSION)
		return wb__error(db, WB_EIO, "database %s was written by a newer whimbrel (layout %lld, this one knows %d)",
				 s->path, (long long)version, LAYOUT_VERSION);
	if (version == LAYOUT_VERSION)
		return 0;
	if (s->readonly)
		return wb__error(db, WB_EIO, "database %s is read-only here and holds no whimbrel tables", s->path);
	if ((rc = sqlite3_exec(s->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL)) == SQLITE_OK &&
	    (rc = sqlite3_exec(s->conn, catalog_sql, NULL, NULL, NULL)) == SQLITE_OK)
		rc = sqlite3_exec(s->conn, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	rc = fail_sqlite(db, rc, op);
	if (!sqlite3_get_autocommit(s->conn))
		sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Busy handler: try again every millisecond until busy_ms.  SQLite's own
 * sleeps up to 100 ms between tries, which rarely meets the short gaps
 * between the transactions of a busy writer (a migration commits a page
 * every millisecond or so); polling finds them.
 */
static int on_busy(void *arg, int tries)
{
	const struct sq *s = arg;

	if (tries >= s->busy_ms)
		return 0;
	usleep(1000);
	return 1;
}

static int set_pragmas(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc;

	sqlite3_extended_result_codes(s->conn, 1);
	sqlite3_busy_handler(s->conn, on_busy, s);
	rc = sqlite3_exec(s->conn, s->readonly ? "PRAGMA cache_size=-16384;" :
			  "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;"
			  " PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;",
			  NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail_sqlite(db, rc, op);
}

static void fn_bulk_has(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static void fn_bulk_new(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static void fn_xf_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv);

static int prepare_common(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc;

	if ((rc = sqlite3_create_function_v2(s->conn, "wb_bulk_has", 3, SQLITE_UTF8, s, fn_bulk_has,
					     NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->conn, "wb_bulk_new", 4, SQLITE_UTF8, s, fn_bulk_new,
					     NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->conn, "wb_xf_keep", 4, SQLITE_UTF8, s, fn_xf_keep,
					     NULL, NULL, NULL)) != SQLITE_OK)
		return fail_sqlite(db, rc, op);

	if ((rc = prepare(db, &s->begin_r, "BEGIN", op)) < 0 ||
	    (rc = prepare(db, &s->begin_w, "BEGIN IMMEDIATE", op)) < 0 ||
	    (rc = prepare(db, &s->commit, "COMMIT", op)) < 0 ||
	    (rc = prepare(db, &s->schema, "PRAGMA schema_version", op)) < 0)
		return rc;
	return prepare(db, &s->lookup,
		       "SELECT id, pk_name, pk_type, sk_name, sk_type FROM wb_tables WHERE name = ?1", op);
}

/*
 * WAL mode and the catalog.  Two processes opening a new file at once can
 * each hold a lock the other needs (switching to WAL takes an exclusive
 * lock), and SQLite then fails one at once instead of waiting: retry for
 * as long as the busy timeout allows.
 */
static int open_setup(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc, waited = 0;

	while ((rc = set_pragmas(db, op)) == WB_EBUSY || (rc == 0 && (rc = ensure_catalog(db, op)) == WB_EBUSY)) {
		if (waited >= s->busy_ms)
			break;
		usleep(20000);
		waited += 20;
	}
	return rc;
}

static void sq_close(wb_db *db)
{
	struct sq *s = db->state;

	if (!s)
		return;
	cache_flush(s);
	free(s->tbls);
	sqlite3_finalize(s->begin_r);
	sqlite3_finalize(s->begin_w);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->schema);
	sqlite3_finalize(s->lookup);
	sqlite3_close_v2(s->conn);
	pthread_mutex_destroy(&s->mu);
	wb__buf_free(&s->ibuf);
	wb__buf_free(&s->ebuf);
	for (size_t i = 0; i < WB_ARRAY_SIZE(s->kbuf); i++)
		wb__buf_free(&s->kbuf[i]);
	free(s->path);
	free(s);
	db->state = NULL;
}

/*
 * How to open `path` (*name: what to pass to SQLite, in buf).  A file this
 * process cannot write (it, or its directory, where SQLite keeps the -wal
 * and -shm files of WAL mode, lacks write access: chmod, another owner) is
 * opened read-only, so that scans, exports, status and plans work; writes
 * then fail saying so.  Without a -shm file (no writer has the file open)
 * and no way to create one, SQLite can read a WAL-mode file only as
 * "immutable" (no locks, no -wal): fine while nobody writes it.
 */
static int open_flags(const char *path, char *buf, size_t size, const char **name, int *readonly)
{
	char dir[4096], shm[4096];
	const char *slash = strrchr(path, '/');
	size_t o = 0;

	*name = path;
	*readonly = 0;
	if (strcmp(path, ":memory:") == 0 || access(path, F_OK) != 0)
		return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path + 1) : 1, slash ? path : ".");
	if (access(path, W_OK) == 0 && access(dir, W_OK) == 0)
		return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	*readonly = 1;
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (access(shm, F_OK) == 0 || access(dir, W_OK) == 0)
		return SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	o = (size_t)snprintf(buf, size, "file:");
	for (const char *p = path; *p && o + 4 < size; p++)
		o += (size_t)(*p == '%' || *p == '?' || *p == '#' ? snprintf(buf + o, size - o, "%%%02X", *p)
								  : snprintf(buf + o, size - o, "%c", *p));
	snprintf(buf + o, size - o, "?immutable=1");
	*name = buf;
	return SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
}

static int sq_open(wb_db *db, const char *url)
{
	struct op op = {"open", NULL, -1};
	const char *path = url + strlen("sqlite:"), *name;
	char uri[4200];
	struct sq *s;
	int rc, flags;

	if (!*path)
		return wb__error(NULL, WB_EINVALID, "target '%s' names no file: expected sqlite:PATH", url);
	if ((rc = check_dir(path)) < 0)
		return rc;
	if (!(s = wb__calloc(1, sizeof(*s))))
		return WB_ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	s->schema_version = -1;
	s->busy_ms = env_busy_ms();
	db->state = s;
	if (!(s->path = wb__strdup(path))) {
		rc = WB_ENOMEM;
		goto fail;
	}
	flags = open_flags(path, uri, sizeof(uri), &name, &s->readonly);
	rc = sqlite3_open_v2(name, &s->conn, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = wb__error(NULL, WB_EIO, "cannot open database %s: %s", path,
			       s->conn ? sqlite3_errmsg(s->conn) : "out of memory");
		goto fail;
	}
	if ((rc = open_setup(db, &op)) < 0 || (rc = prepare_common(db, &op)) < 0)
		goto fail;
	return 0;
fail:
	sq_close(db);
	return rc;
}

/* ------------------------------------------------------------- catalog */

static int type_of(const char *t)
{
	return t[0] == 'N' ? WB_N : t[0] == 'B' ? WB_B : WB_S;
}

/* Read a table's catalog row into t; WB_ENOTFOUND when absent. */
static int catalog_lookup(wb_db *db, const char *name, struct tbl *t, const struct op *op)
{
	struct sq *s = db->state;
	sqlite3_stmt *st = s->lookup;
	int rc;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->id = sqlite3_column_int64(st, 0);
		snprintf(t->key.pk_name, sizeof(t->key.pk_name), "%s", sqlite3_column_text(st, 1));
		t->key.pk_type = type_of((const char *)sqlite3_column_text(st, 2));
		snprintf(t->key.sk_name, sizeof(t->key.sk_name), "%s", sqlite3_column_text(st, 3));
		t->key.sk_type = type_of((const char *)sqlite3_column_text(st, 4));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = wb__error(db, WB_ENOTFOUND, "%s: table %s does not exist in %s", OPNAME(op), name, s->path);
	} else {
		rc = fail_sqlite(db, rc, op);
	}
	sqlite3_reset(st);
	return rc;
}

/* The cached table `name` (looked up in the catalog on first use). */
static int tbl_get(wb_db *db, const char *name, struct tbl **out, const struct op *op)
{
	struct sq *s = db->state;
	struct tbl *t;
	int rc;

	for (size_t i = 0; i < s->ntbls; i++) {
		if (strcmp(s->tbls[i]->name, name) == 0) {
			*out = s->tbls[i];
			return 0;
		}
	}
	if (s->ntbls == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct tbl **p = wb__realloc(s->tbls, cap * sizeof(*p));
		if (!p)
			return wb__oom(db);
		s->tbls = p;
		s->cap = cap;
	}
	if (!(t = wb__calloc(1, sizeof(*t))))
		return wb__oom(db);
	if ((rc = catalog_lookup(db, name, t, op)) < 0) {
		free(t);
		return rc;
	}
	t->seen_rows = -1;
	s->tbls[s->ntbls++] = t;
	*out = t;
	return 0;
}

/* ---------------------------------------------------------------- keys */

/* A 32-bit hash of the partition key bytes (FNV-1a, then a murmur3 finaliser). */
static int64_t key_hash(const void *data, size_t len)
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

/*
 * The stored bytes of a key value of type t: S and B raw (pointing into v),
 * N through the order-preserving codec into buf.  Fails on a wrong type or
 * an empty value, naming `role` ("partition key") and `name`.
 */
static int value_bytes(wb_db *db, const wb_value *v, wb_type t, wb_buf *buf, const void **p,
		       size_t *len, const char *role, const char *name, const struct op *op)
{
	int rc;

	if (wb_value_type(v) != t)
		return wb__error(db, WB_EINVALID, "%s: %s '%s' must be of type %s, not %s", OPNAME(op),
				 role, name, wb_type_name(t), wb_type_name(wb_value_type(v)));
	if (t == WB_N) {
		buf->len = 0;
		if ((rc = wb__key_encode(buf, v)) < 0)
			return fail_nested(db, rc, op);
		*p = buf->data;
		*len = buf->len;
		return 0;
	}
	*p = wb_value_bytes(v, len);
	if (*len == 0)
		return wb__error(db, WB_EINVALID, "%s: %s '%s' is empty", OPNAME(op), role, name);
	return 0;
}

/* The stored key of `item` (or a key item) under key schema ks: pk, sk and hash, N values encoded in buf[0], buf[1]. */
static int key_in(wb_db *db, const wb_key_schema *ks, const wb_item *item, struct key *k, wb_buf *buf,
		  const struct op *op)
{
	const wb_value *v;
	int rc;

	if (!(v = wb_item_get(item, ks->pk_name)))
		return wb__error(db, WB_EINVALID, "%s: missing partition key attribute '%s'", OPNAME(op), ks->pk_name);
	if ((rc = value_bytes(db, v, ks->pk_type, &buf[0], &k->pk, &k->pklen, "partition key", ks->pk_name, op)) < 0)
		return rc;
	k->h = key_hash(k->pk, k->pklen);
	k->sk = "";
	k->sklen = 0;
	if (!ks->sk_name[0])
		return 0;
	if (!(v = wb_item_get(item, ks->sk_name)))
		return wb__error(db, WB_EINVALID, "%s: missing sort key attribute '%s'", OPNAME(op), ks->sk_name);
	return value_bytes(db, v, ks->sk_type, &buf[1], &k->sk, &k->sklen, "sort key", ks->sk_name, op);
}

/* The stored key of `item` in table t.  Uses kbuf[slot], kbuf[slot+1]. */
static int key_of(wb_db *db, const struct tbl *t, const wb_item *item, struct key *k, int slot,
		  const struct op *op)
{
	struct sq *s = db->state;

	return key_in(db, &t->key, item, k, &s->kbuf[slot], op);
}

/* Bind h, pk, sk as ?1, ?2, ?3. */
static void bind_key(sqlite3_stmt *st, const struct key *k)
{
	sqlite3_bind_int64(st, 1, k->h);
	sqlite3_bind_blob(st, 2, k->pk, (int)k->pklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, k->sk, (int)k->sklen, SQLITE_STATIC);
}

/* A short description of an item's key for messages: id="abc", n=12. */
static const char *key_text(char *buf, size_t size, const struct tbl *t, const wb_item *item)
{
	const char *names[2] = {t->key.pk_name, t->key.sk_name};
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 2 && names[i][0] && off < size; i++) {
		const wb_value *v = wb_item_get(item, names[i]);
		size_t len = 0;
		const char *b = v ? wb_value_bytes(v, &len) : NULL;
		const char *sep = i ? ", " : "";

		if (!b)
			off += snprintf(buf + off, size - off, "%s%s=?", sep, names[i]);
		else if (wb_value_type(v) == WB_B)
			off += snprintf(buf + off, size - off, "%s%s=<%zu bytes>", sep, names[i], len);
		else if (wb_value_type(v) == WB_S)
			off += snprintf(buf + off, size - off, "%s%s=\"%.*s\"", sep, names[i],
					(int)(len > 64 ? 64 : len), b);
		else
			off += snprintf(buf + off, size - off, "%s%s=%s", sep, names[i], b);
	}
	return buf;
}

#define KEYTEXT(t, item) key_text((char[200]){0}, 200, (t), (item))

/* ---------------------------------------------------------- item access */

/* Decode the item column `col` of the current row. */
static int decode_col(wb_db *db, sqlite3_stmt *st, int col, wb_item **out, const struct op *op)
{
	int rc = wb__item_decode(out, sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col));

	return rc < 0 ? fail_nested(db, rc, op) : 0;
}

/* Load the stored item at key k: *exists says whether it is there; decoded into *out if out. */
static int load(wb_db *db, struct tbl *t, const struct key *k, int *exists, wb_item **out,
		const struct op *op)
{
	int rc;

	if ((rc = prepare_tbl(db, t, &t->get, "SELECT item FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
		return rc;
	bind_key(t->get, k);
	rc = sqlite3_step(t->get);
	*exists = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		rc = out ? decode_col(db, t->get, 0, out, op) : 0;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = fail_sqlite(db, rc, op);
	sqlite3_reset(t->get);
	return rc;
}

/*
 * Write the encoded item in s->ibuf at key k: an UPDATE (the common case of
 * a migration, which leaves the (pk, sk) index alone), else an INSERT.
 */
static int store(wb_db *db, struct tbl *t, const struct key *k, const struct op *op)
{
	struct sq *s = db->state;
	int rc;

	if ((rc = prepare_tbl(db, t, &t->update, "UPDATE %1$s SET item = ?4"
			      " WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
		return rc;
	bind_key(t->update, k);
	sqlite3_bind_blob(t->update, 4, s->ibuf.data, (int)s->ibuf.len, SQLITE_STATIC);
	if ((rc = run(db, t->update, op)) < 0 || sqlite3_changes(s->conn) > 0)
		return rc;
	if ((rc = prepare_tbl(db, t, &t->insert, "INSERT INTO %1$s(h, pk, sk, item) VALUES(?1, ?2, ?3, ?4)", op)) < 0)
		return rc;
	bind_key(t->insert, k);
	sqlite3_bind_blob(t->insert, 4, s->ibuf.data, (int)s->ibuf.len, SQLITE_STATIC);
	return run(db, t->insert, op);
}

static int encode(wb_db *db, wb_buf *buf, const wb_item *item, const struct op *op)
{
	int rc;

	buf->len = 0;
	if ((rc = wb__item_encode(buf, item)) < 0)
		return fail_nested(db, rc, op);
	return 0;
}

/* ----------------------------------------------------------- conditions */

static int cond_fail(wb_db *db, const struct tbl *t, const wb_item *key, const struct op *op,
		     const char *why)
{
	return wb__error(db, WB_ECONDITION, "%s: condition failed: item %s %s", OPNAME(op),
			 KEYTEXT(t, key), why);
}

/* Check `cond` against the stored item (NULL when absent). */
static int cond_check(wb_db *db, const struct tbl *t, const wb_item *key, const wb_item *stored,
		      const wb_cond *cond, const struct op *op)
{
	const wb_value *v;

	switch (cond ? cond->kind : WB_COND_NONE) {
	case WB_COND_NONE:
		return 0;
	case WB_COND_NOT_EXISTS:
		return stored ? cond_fail(db, t, key, op, "already exists") : 0;
	case WB_COND_EXISTS:
		return stored ? 0 : cond_fail(db, t, key, op, "does not exist");
	case WB_COND_ATTR_EQUALS:
		if (!stored)
			return cond_fail(db, t, key, op, "does not exist");
		if (!(v = wb_item_get(stored, cond->attr)))
			return wb__error(db, WB_ECONDITION, "%s: condition failed: item %s has no attribute '%s'",
					 OPNAME(op), KEYTEXT(t, key), cond->attr);
		if (!wb_value_equal(v, cond->value))
			return wb__error(db, WB_ECONDITION, "%s: condition failed: attribute '%s' of item %s differs",
					 OPNAME(op), cond->attr, KEYTEXT(t, key));
		return 0;
	case WB_COND_ITEM_EQUALS:
		if (!stored)
			return cond_fail(db, t, key, op, "does not exist");
		return wb_item_equal(stored, cond->expect) ? 0 :
			cond_fail(db, t, key, op, "has changed since it was read");
	}
	return wb__error(db, WB_EINVALID, "%s: unknown condition kind %d", OPNAME(op), (int)cond->kind);
}

static int cond_valid(wb_db *db, const wb_cond *cond, const struct op *op)
{
	if (!cond)
		return 0;
	if (cond->kind == WB_COND_ATTR_EQUALS && (!cond->attr || !cond->value))
		return wb__error(db, WB_EINVALID, "%s: attribute condition without attribute or value", OPNAME(op));
	if (cond->kind == WB_COND_ITEM_EQUALS && !cond->expect)
		return wb__error(db, WB_EINVALID, "%s: item condition without expected item", OPNAME(op));
	if ((unsigned)cond->kind > WB_COND_ITEM_EQUALS)
		return wb__error(db, WB_EINVALID, "%s: unknown condition kind %d", OPNAME(op), (int)cond->kind);
	return 0;
}

/*
 * Check a condition the slow way: load and decode the stored item.  Sets
 * *exists.  Used when the condition is not NONE.
 */
static int cond_load_check(wb_db *db, struct tbl *t, const struct key *k, const wb_item *keyitem,
			   const wb_cond *cond, int *exists, const struct op *op)
{
	wb_item *stored = NULL;
	int need = cond->kind == WB_COND_ATTR_EQUALS || cond->kind == WB_COND_ITEM_EQUALS;
	int rc;

	if ((rc = load(db, t, k, exists, need ? &stored : NULL, op)) < 0)
		return rc;
	if (!need) /* (NOT_)EXISTS only test for presence: any non-NULL item will do */
		rc = cond_check(db, t, keyitem, *exists ? keyitem : NULL, cond, op);
	else
		rc = cond_check(db, t, keyitem, stored, cond, op);
	wb_item_free(stored);
	return rc;
}

/* ---------------------------------------------------------- single writes */

/*
 * Fast path of an ITEM_EQUALS write: compare the stored bytes with the
 * encoding of the expected item in SQL.  *done = 1 when it applied.
 */
static int write_if_same(wb_db *db, struct tbl *t, const struct key *k, int is_put, int *done,
			 const wb_cond *cond, const struct op *op)
{
	struct sq *s = db->state;
	sqlite3_stmt *st;
	int rc;

	if ((rc = encode(db, &s->ebuf, cond->expect, op)) < 0)
		return rc;
	if (is_put) {
		rc = prepare_tbl(db, t, &t->put_if, "UPDATE %1$s SET item = ?4"
				 " WHERE h = ?1 AND pk = ?2 AND sk = ?3 AND item = ?5", op);
		st = t->put_if;
	} else {
		rc = prepare_tbl(db, t, &t->del_if,
				 "DELETE FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3 AND item = ?4", op);
		st = t->del_if;
	}
	if (rc < 0)
		return rc;
	bind_key(st, k);
	if (is_put)
		sqlite3_bind_blob(st, 4, s->ibuf.data, (int)s->ibuf.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, is_put ? 5 : 4, s->ebuf.data, (int)s->ebuf.len, SQLITE_STATIC);
	if ((rc = run(db, st, op)) < 0)
		return rc;
	*done = sqlite3_changes(s->conn) > 0;
	return 0;
}

/* A put inside an open write transaction. */
static int do_put(wb_db *db, struct tbl *t, const wb_item *item, const wb_cond *cond,
		  const struct op *op)
{
	struct sq *s = db->state;
	struct key k;
	int rc, exists, done = 0;

	if ((rc = key_of(db, t, item, &k, 0, op)) < 0 || (rc = cond_valid(db, cond, op)) < 0 ||
	    (rc = encode(db, &s->ibuf, item, op)) < 0)
		return rc;
	if (cond && cond->kind == WB_COND_ITEM_EQUALS) {
		if ((rc = write_if_same(db, t, &k, 1, &done, cond, op)) < 0 || done)
			return rc;
	}
	if (cond && cond->kind != WB_COND_NONE &&
	    (rc = cond_load_check(db, t, &k, item, cond, &exists, op)) < 0)
		return rc;
	return store(db, t, &k, op);
}

/* A delete inside an open write transaction. */
static int do_del(wb_db *db, struct tbl *t, const wb_item *key, const wb_cond *cond,
		  const struct op *op)
{
	struct key k;
	int rc, exists, done = 0;

	if ((rc = key_of(db, t, key, &k, 0, op)) < 0 || (rc = cond_valid(db, cond, op)) < 0)
		return rc;
	if (cond && cond->kind == WB_COND_ITEM_EQUALS) {
		if ((rc = write_if_same(db, t, &k, 0, &done, cond, op)) < 0 || done)
			return rc;
	}
	if (cond && cond->kind != WB_COND_NONE &&
	    (rc = cond_load_check(db, t, &k, key, cond, &exists, op)) < 0)
		return rc;
	if ((rc = prepare_tbl(db, t, &t->del, "DELETE FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
		return rc;
	bind_key(t->del, &k);
	return run(db, t->del, op);
}

static _Thread_local struct sq *tl_busy; /* handle whose page this thread is transforming */
static _Thread_local int tl_refused;     /* a write through another handle was refused meanwhile */

/*
 * A write through handle s while this thread transforms a page of the same
 * file through another handle would wait for that page's own transaction
 * (until the busy timeout): refuse it at once, and remember it so that the
 * page fails whatever the callback does with the error (each.c then does
 * the page again the generic way, where such writes work).
 */
static int nested_write(const struct sq *s, int write)
{
	if (!write || !tl_busy || tl_busy == s || strcmp(tl_busy->path, s->path) != 0)
		return 0;
	tl_refused = 1;
	return 1;
}

/*
 * Run `body` inside a transaction, holding the handle's lock; refuse when
 * this thread is inside wb__sqlite_each_page on the same handle, or on
 * another handle of the same file for a write (nested_write).
 */
#define LOCKED_TX(db, write, op, body) do { \
	struct sq *s_ = (db)->state; \
	if (tl_busy == s_) { \
		rc = wb__error((db), WB_EINVALID, "%s: the handle is running a migration page on this" \
			       " thread: its callback may not use it", OPNAME(op)); \
		break; \
	} \
	if (nested_write(s_, (write))) { \
		rc = wb__error((db), WB_EBUSY, "%s: a migration page of this file is being written on" \
			       " this thread: the page will be done again without the fast path", OPNAME(op)); \
		break; \
	} \
	pthread_mutex_lock(&s_->mu); \
	rc = tx_begin((db), (write), (op)); \
	if (rc == 0) { body; rc = tx_end((db), rc, (op)); } \
	pthread_mutex_unlock(&s_->mu); \
} while (0)

static int sq_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	struct op op = {"put into", table, -1};
	struct tbl *t;
	int rc;

	LOCKED_TX(db, 1, &op, {
		if ((rc = tbl_get(db, table, &t, &op)) == 0)
			rc = do_put(db, t, item, cond, &op);
	});
	return rc;
}

static int sq_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	struct op op = {"delete from", table, -1};
	struct tbl *t;
	int rc;

	LOCKED_TX(db, 1, &op, {
		if ((rc = tbl_get(db, table, &t, &op)) == 0)
			rc = do_del(db, t, key, cond, &op);
	});
	return rc;
}

static int get_in_tx(wb_db *db, wb_item **out, const char *table, const wb_item *key,
		     const struct op *op)
{
	struct tbl *t;
	struct key k;
	int rc, exists;

	if ((rc = tbl_get(db, table, &t, op)) < 0 || (rc = key_of(db, t, key, &k, 0, op)) < 0)
		return rc;
	if ((rc = load(db, t, &k, &exists, out, op)) < 0)
		return rc;
	if (!exists)
		return wb__error(db, WB_ENOTFOUND, "%s: no item with key %s", OPNAME(op), KEYTEXT(t, key));
	return 0;
}

static int sq_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	struct op op = {"get from", table, -1};
	int rc;

	*out = NULL;
	LOCKED_TX(db, 0, &op, rc = get_in_tx(db, out, table, key, &op));
	if (rc < 0) {
		wb_item_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Refuse updates that touch key attributes. */
static int update_check(wb_db *db, const struct tbl *t, const wb_item *set,
			const char *const *remove, size_t nremove, const struct op *op)
{
	const char *names[2] = {t->key.pk_name, t->key.sk_name};

	for (int i = 0; i < 2 && names[i][0]; i++) {
		if (set && wb_item_has(set, names[i]))
			return wb__error(db, WB_EINVALID, "%s: cannot set key attribute '%s'", OPNAME(op), names[i]);
		for (size_t j = 0; j < nremove; j++)
			if (remove[j] && strcmp(remove[j], names[i]) == 0)
				return wb__error(db, WB_EINVALID, "%s: cannot remove key attribute '%s'",
						 OPNAME(op), names[i]);
	}
	for (size_t j = 0; j < nremove; j++)
		if (!remove[j] || !remove[j][0])
			return wb__error(db, WB_EINVALID, "%s: empty attribute name to remove", OPNAME(op));
	return 0;
}

/* Apply set and remove to `item` in place. */
static int update_apply(wb_db *db, wb_item *item, const wb_item *set, const char *const *remove,
			size_t nremove, const struct op *op)
{
	size_t n = set ? wb_item_count(set) : 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		wb_value *v = wb_value_dup(wb_item_value_at(set, i));
		if (!v || (rc = wb_item_set(item, wb_item_name_at(set, i), v)) < 0)
			return wb__oom(db);
	}
	for (size_t j = 0; j < nremove; j++)
		wb_item_remove(item, remove[j]);
	if ((rc = wb_item_validate(item, NULL)) < 0)
		return fail_nested(db, rc, op);
	return 0;
}

static int update_in_tx(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
			const char *const *remove, size_t nremove, const wb_cond *cond,
			const struct op *op)
{
	struct sq *s = db->state;
	wb_item *item = NULL;
	struct tbl *t;
	struct key k;
	int rc, exists;

	if ((rc = tbl_get(db, table, &t, op)) < 0 || (rc = key_of(db, t, key, &k, 0, op)) < 0 ||
	    (rc = cond_valid(db, cond, op)) < 0 ||
	    (rc = update_check(db, t, set, remove, nremove, op)) < 0)
		return rc;
	if ((rc = load(db, t, &k, &exists, &item, op)) < 0)
		goto done;
	if ((rc = cond_check(db, t, key, item, cond, op)) < 0)
		goto done;
	if (!item && !(item = wb_item_key(key, &t->key))) {
		rc = fail_nested(db, wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM, op);
		goto done;
	}
	/* k points into `key` and kbuf[0..1], which stay valid until the store. */
	if ((rc = update_apply(db, item, set, remove, nremove, op)) < 0 ||
	    (rc = encode(db, &s->ibuf, item, op)) < 0)
		goto done;
	rc = store(db, t, &k, op);
done:
	wb_item_free(item);
	return rc;
}

static int sq_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		     const char *const *remove, size_t nremove, const wb_cond *cond)
{
	struct op op = {"update of", table, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = update_in_tx(db, table, key, set, remove, nremove, cond, &op));
	return rc;
}

/* ------------------------------------------------------------- bulk puts */

/*
 * Many puts to one table in a batch (a migration writing back the page it
 * has just scanned, which is a narrow range of h) are applied by ONE range
 * UPDATE over [min h, max h] instead of one UPDATE statement (and B-tree
 * seek) per item: the SQL functions wb_bulk_has(h, pk, sk) and
 * wb_bulk_new(h, pk, sk, item) look each row up in a hash table of the
 * batch and return its new bytes.  A probe first checks that the range
 * holds few other rows; puts the UPDATE did not find are inserted after.
 * Puts conditional on the stored item (WB_COND_ITEM_EQUALS) are checked
 * inside wb_bulk_new; other conditions and deletes go one by one.
 */
#define BULK_MIN 16      /* fewer puts to a table go one by one */

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

static void bulk_free(struct bulk *b)
{
	free(b->p);
	free(b->slots);
	wb__buf_free(&b->buf);
}

static uint32_t bulk_hash(int64_t h, const void *sk, size_t sklen)
{
	return (uint32_t)key_hash(sk, sklen) ^ (uint32_t)h * 2654435761u;
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
		if (p->h == h && p->pklen == pklen && p->sklen == sklen &&
		    (!pklen || memcmp(b->buf.data + p->pk, pk, pklen) == 0) &&
		    (!sklen || memcmp(b->buf.data + p->sk, sk, sklen) == 0))
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
static int bulk_add_raw(struct bulk *b, const struct key *k, const void *item, size_t itemlen, int hashed)
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
static int bulk_init(struct bulk *b, wb_db *db, struct tbl *t, size_t n)
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

	if ((rc = key_of(db, b->t, w->item, &k, 0, op)) < 0)
		return rc;
	if ((*dup = bulk_find(b, k.h, k.pk, k.pklen, k.sk, k.sklen) >= 0))
		return 0;
	if ((rc = encode(db, &s->ibuf, w->item, op)) < 0 ||
	    (rc = bulk_add_raw(b, &k, s->ibuf.data, s->ibuf.len, 1)) < 0)
		return rc;
	p = &b->p[b->n - 1];
	p->w = w;
	p->index = i;
	if (w->cond && w->cond->kind == WB_COND_ITEM_EQUALS &&
	    ((rc = encode(db, &s->ebuf, w->cond->expect, op)) < 0 ||
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

	if ((rc = bulk_init(b, b->db, b->t, n)) < 0)
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
		if (key_of(b->db, b->t, w[i].item, &k, 0, &op) < 0)
			continue; /* reported when the write runs */
		dup = bulk_find(b, k.h, k.pk, k.pklen, k.sk, k.sklen) >= 0;
	}
	if (dup)
		b->n = 0;
	return 0;
}

/* SQL wb_bulk_has(h, pk, sk): is this row one of the bulk's? */
static void fn_bulk_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
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

/* SQL wb_bulk_new(h, pk, sk, item): the new bytes of a bulk row (fails on a condition). */
static void fn_bulk_new(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq *s = sqlite3_user_data(ctx);
	struct bulk *b = s->bulk;
	long i = !b ? -1 : bulk_find(b, sqlite3_value_int64(argv[0]), sqlite3_value_blob(argv[1]),
				     (size_t)sqlite3_value_bytes(argv[1]), sqlite3_value_blob(argv[2]),
				     (size_t)sqlite3_value_bytes(argv[2]));
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

	if ((rc = prepare_tbl(b->db, t, &t->probe, "SELECT count(*) FROM (SELECT 1 FROM %1$s"
			      " WHERE h >= ?1 AND h <= ?2 LIMIT ?3)", op)) < 0)
		return rc;
	sqlite3_bind_int64(t->probe, 1, b->hmin);
	sqlite3_bind_int64(t->probe, 2, b->hmax);
	sqlite3_bind_int64(t->probe, 3, limit);
	if ((rc = sqlite3_step(t->probe)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(t->probe, 0);
		rc = 0;
	} else {
		rc = fail_sqlite(b->db, rc, op);
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
	return cond_fail(b->db, b->t, p->w->item, &op, why);
}

/* The range UPDATE, then the inserts of the puts it did not find. */
static int bulk_apply(struct bulk *b, size_t *failed_index)
{
	struct sq *s = b->db->state;
	struct tbl *t = b->t;
	struct op op = {"put into", t->name, -1};
	int rc;

	if ((rc = prepare_tbl(b->db, t, &t->bulk, "UPDATE %1$s SET item = wb_bulk_new(h, pk, sk, item)"
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
						     failed_index) : fail_sqlite(b->db, rc, &op);
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
		if ((rc = prepare_tbl(b->db, t, &t->insert,
				      "INSERT INTO %1$s(h, pk, sk, item) VALUES(?1, ?2, ?3, ?4)", &op)) < 0)
			return rc;
		sqlite3_bind_int64(t->insert, 1, p->h);
		sqlite3_bind_blob(t->insert, 2, b->buf.data + p->pk, (int)p->pklen, SQLITE_STATIC);
		sqlite3_bind_blob(t->insert, 3, b->buf.data + p->sk, (int)p->sklen, SQLITE_STATIC);
		sqlite3_bind_blob(t->insert, 4, b->buf.data + p->item, (int)p->itemlen, SQLITE_STATIC);
		op.index = (long)p->index;
		if ((rc = run(b->db, t->insert, &op)) < 0) {
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
	if (tbl_get(db, table, &b->t, &op) < 0)
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

	if ((rc = tbl_get(db, w->table, &t, &op)) < 0)
		return rc;
	if (w->kind == WB_WRITE_DELETE)
		return do_del(db, t, w->item, w->cond, &op);
	if (w->kind == WB_WRITE_PUT)
		return do_put(db, t, w->item, w->cond, &op);
	return wb__error(db, WB_EINVALID, "%s: unknown write kind %d", OPNAME(&op), (int)w->kind);
}

static int batch_in_tx(wb_db *db, const wb_write *w, size_t n, size_t *failed_index)
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
	bulk_free(&b);
	return rc;
}

static int sq_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct op op = {"batch write", NULL, -1};
	int rc;

	if (n == 0)
		return 0;
	LOCKED_TX(db, 1, &op, rc = batch_in_tx(db, writes, n, failed_index));
	return rc;
}

/* ---------------------------------------------------------------- tables */

static int create_in_tx(wb_db *db, const char *name, const wb_key_schema *key, const struct op *op)
{
	static const char *const tn[] = {"S", "N", "B"};
	struct sq *s = db->state;
	struct tbl t = {0};
	sqlite3_stmt *st = NULL;
	int rc = catalog_lookup(db, name, &t, op);

	if (rc == 0)
		return wb__error(db, WB_EEXISTS, "%s: table %s already exists in %s", OPNAME(op), name, s->path);
	if (rc != WB_ENOTFOUND)
		return rc;
	if ((rc = prepare(db, &st, "INSERT INTO wb_tables(name, pk_name, pk_type, sk_name, sk_type)"
			  " VALUES(?1, ?2, ?3, ?4, ?5)", op)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key->pk_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tn[key->pk_type], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key->sk_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, key->sk_name[0] ? tn[key->sk_type] : "", -1, SQLITE_STATIC);
	rc = run(db, st, op);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0)
		return rc;
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.id = sqlite3_last_insert_rowid(s->conn);
	if ((rc = prepare_tbl(db, &t, &st, "CREATE TABLE %1$s(h INTEGER NOT NULL, pk BLOB NOT NULL,"
			      " sk BLOB NOT NULL, item BLOB NOT NULL, PRIMARY KEY(h, pk, sk)) WITHOUT ROWID", op)) < 0)
		return rc;
	rc = run(db, st, op);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0 || (rc = prepare_tbl(db, &t, &st, "CREATE INDEX %2$s ON %1$s(pk, sk)", op)) < 0)
		return rc;
	rc = run(db, st, op);
	sqlite3_finalize(st);
	return rc;
}

static int sq_table_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	struct op op = {"create table", name, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = create_in_tx(db, name, key, &op));
	return rc;
}

static int describe_in_tx(wb_db *db, const char *name, wb_table_desc *out, const struct op *op)
{
	struct tbl *t;
	int rc;

	if ((rc = tbl_get(db, name, &t, op)) < 0 ||
	    (rc = prepare_tbl(db, t, &t->count, "SELECT COUNT(*) FROM %1$s", op)) < 0)
		return rc;
	if ((rc = sqlite3_step(t->count)) != SQLITE_ROW) {
		rc = fail_sqlite(db, rc, op);
	} else {
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s", t->name);
		out->key = t->key;
		out->item_count = sqlite3_column_int64(t->count, 0);
		rc = 0;
	}
	sqlite3_reset(t->count);
	return rc;
}

static int sq_table_describe(wb_db *db, const char *name, wb_table_desc *out)
{
	struct op op = {"describe table", name, -1};
	int rc;

	LOCKED_TX(db, 0, &op, rc = describe_in_tx(db, name, out, &op));
	return rc;
}

static int list_in_tx(wb_db *db, char ***out, size_t *count, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if ((rc = prepare(db, &st, "SELECT name FROM wb_tables ORDER BY name", op)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n + 2 > cap) {
			char **p = wb__realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*p));
			if (!p)
				goto oom;
			names = p;
		}
		if (!(names[n] = wb__strdup((const char *)sqlite3_column_text(st, 0))))
			goto oom;
		names[++n] = NULL;
	}
	rc = rc == SQLITE_DONE ? 0 : fail_sqlite(db, rc, op);
	sqlite3_finalize(st);
	if (rc == 0 && !names && !(names = wb__calloc(1, sizeof(*names))))
		rc = wb__oom(db);
	if (rc < 0) {
		wb_strings_free(names);
		return rc;
	}
	*out = names;
	*count = n;
	return 0;
oom:
	sqlite3_finalize(st);
	wb_strings_free(names);
	return wb__oom(db);
}

static int sq_table_list(wb_db *db, char ***out, size_t *count)
{
	struct op op = {"list tables", NULL, -1};
	int rc;

	*out = NULL;
	*count = 0;
	LOCKED_TX(db, 0, &op, rc = list_in_tx(db, out, count, &op));
	return rc;
}

static int drop_in_tx(wb_db *db, const char *name, const struct op *op)
{
	struct sq *s = db->state;
	struct tbl t = {0};
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = catalog_lookup(db, name, &t, op)) < 0)
		return rc;
	cache_flush(s); /* no statement may stay open on the dropped table */
	s->schema_version = -1;
	if ((rc = prepare_tbl(db, &t, &st, "DROP TABLE %1$s", op)) < 0)
		return rc;
	rc = run(db, st, op);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0 || (rc = prepare(db, &st, "DELETE FROM wb_tables WHERE id = ?1", op)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, t.id);
	rc = run(db, st, op);
	sqlite3_finalize(st);
	return rc;
}

static int sq_table_drop(wb_db *db, const char *name)
{
	struct op op = {"drop table", name, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = drop_in_tx(db, name, &op));
	return rc;
}

/* ------------------------------------------------------------ reading pages */

/*
 * Remember the range of h of the scan page being read (first: its first
 * row), so that writing the page back needs no probe (see bulk_try).
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
				rc = fail_nested(db, wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM, op);
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
		if ((rc = decode_col(db, st, 0, &page->items[page->count], op)) < 0)
			break;
		if (track)
			seen_row(t, sqlite3_column_int64(st, 1), page->count == 0);
		page->count++;
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = 0;
	else if (rc > 0)
		rc = fail_sqlite(db, rc, op);
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
static int successor(wb_buf *out, const void *p, size_t len, int *has)
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

/* Sort-key bounds of a query: kinds 0 none, 1 inclusive, 2 exclusive. */
struct bounds {
	int lo_kind, hi_kind;         /* lower and upper bound kinds */
	const void *lo, *hi;          /* their bytes */
	size_t lolen, hilen;          /* their lengths */
};

static int query_sql(char *sql, size_t size, const struct bounds *b, int cursor, int desc)
{
	static const char *const lo[] = {"", " AND sk >= ?3", " AND sk > ?3"};
	static const char *const hi[] = {"", " AND sk <= ?4", " AND sk < ?4"};

	return snprintf(sql, size, "SELECT item FROM %%1$s WHERE h = ?1 AND pk = ?2%s%s%s ORDER BY sk %s LIMIT ?6",
			lo[b->lo_kind], hi[b->hi_kind],
			!cursor ? "" : desc ? " AND sk < ?5" : " AND sk > ?5", desc ? "DESC" : "ASC");
}

/* The bytes of a sort key operand, checked against the table's sort key type. */
static int sk_operand(wb_db *db, const struct tbl *t, const wb_value *v, int slot, const void **p,
		      size_t *len, const struct op *op)
{
	struct sq *s = db->state;

	if (wb_value_type(v) != t->key.sk_type)
		return wb__error(db, WB_EINVALID, "%s: sort key condition value must be of type %s, not %s",
				 OPNAME(op), wb_type_name(t->key.sk_type), wb_type_name(wb_value_type(v)));
	if (t->key.sk_type == WB_N) {
		int rc;
		s->kbuf[slot].len = 0;
		if ((rc = wb__key_encode(&s->kbuf[slot], v)) < 0)
			return fail_nested(db, rc, op);
		*p = s->kbuf[slot].data;
		*len = s->kbuf[slot].len;
		return 0;
	}
	*p = wb_value_bytes(v, len);
	return 0;
}

/* Turn the sort-key condition into bounds (uses kbuf[2], kbuf[3]). */
static int query_bounds(wb_db *db, const struct tbl *t, const wb_query *q, struct bounds *b,
			const struct op *op)
{
	struct sq *s = db->state;
	const void *a = NULL;
	size_t alen = 0;
	int rc, has;

	memset(b, 0, sizeof(*b));
	if (q->sk_op == WB_SK_NONE)
		return 0;
	if (!t->key.sk_name[0])
		return wb__error(db, WB_EINVALID, "%s: the table has no sort key to put a condition on", OPNAME(op));
	if ((rc = sk_operand(db, t, q->sk_a, 2, &a, &alen, op)) < 0)
		return rc;
	switch (q->sk_op) {
	case WB_SK_EQ: b->lo_kind = b->hi_kind = 1; break;
	case WB_SK_LT: b->hi_kind = 2; break;
	case WB_SK_LE: b->hi_kind = 1; break;
	case WB_SK_GT: b->lo_kind = 2; break;
	case WB_SK_GE: b->lo_kind = 1; break;
	case WB_SK_BETWEEN:
		b->lo_kind = b->hi_kind = 1;
		if ((rc = sk_operand(db, t, q->sk_b, 3, &b->hi, &b->hilen, op)) < 0)
			return rc;
		break;
	case WB_SK_BEGINS_WITH:
		if (t->key.sk_type == WB_N)
			return wb__error(db, WB_EINVALID, "%s: begins_with needs a sort key of type S or B", OPNAME(op));
		b->lo_kind = 1;
		if ((rc = successor(&s->kbuf[3], a, alen, &has)) < 0)
			return fail_nested(db, rc, op);
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

	if ((rc = tbl_get(db, table, &t, op)) < 0 ||
	    (rc = value_bytes(db, q->pk, t->key.pk_type, &s->kbuf[0], &pk.pk, &pk.pklen,
			      "partition key", t->key.pk_name, op)) < 0 ||
	    (rc = query_bounds(db, t, q, &b, op)) < 0)
		return rc;
	pk.h = key_hash(pk.pk, pk.pklen);
	if (q->start_after && (rc = key_of(db, t, q->start_after, &cur, 4, op)) < 0)
		return rc;
	idx = ((b.lo_kind * 3 + b.hi_kind) * 2 + (q->start_after != NULL)) * 2 + (q->descending != 0);
	slot = &t->query[idx];
	query_sql(sql, sizeof(sql), &b, q->start_after != NULL, q->descending);
	if ((rc = prepare_tbl(db, t, slot, sql, op)) < 0)
		return rc;
	sqlite3_bind_int64(*slot, 1, pk.h);
	sqlite3_bind_blob(*slot, 2, pk.pk, (int)pk.pklen, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 3, b.lo ? b.lo : "", (int)b.lolen, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 4, b.hi ? b.hi : "", (int)b.hilen, SQLITE_STATIC);
	sqlite3_bind_blob(*slot, 5, cur.sk ? cur.sk : "", (int)cur.sklen, SQLITE_STATIC);
	sqlite3_bind_int64(*slot, 6, (int64_t)limit + 1);
	return collect(db, t, slot, 1, limit, 0, out, op);
}

static int sq_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q)
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

	if ((rc = prepare_tbl(db, t, &t->scan[i], scan_sql[i], op)) < 0)
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

/* Byte order of SQLite BLOBs: memcmp, then the shorter first. */
static int blob_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
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
static int scan_setup(wb_db *db, struct tbl *t, const wb_scan *sc, size_t limit, sqlite3_stmt *st[3],
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
	if (cursor && (rc = key_of(db, t, sc->start_after, &cur, 0, op)) < 0)
		return rc;
	s->kbuf[2].len = s->kbuf[3].len = 0;
	if (plen && ((rc = wb__buf_append(&s->kbuf[2], sc->pk_prefix, plen)) < 0 ||
		     (rc = successor(&s->kbuf[3], sc->pk_prefix, plen, &has)) < 0))
		return fail_nested(db, rc, op);
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

	if ((rc = tbl_get(db, table, &t, op)) < 0 ||
	    (rc = scan_setup(db, t, sc, limit, st, &nst, &whole, op)) < 0)
		return rc;
	return collect(db, t, st, (size_t)nst, limit, whole, out, op);
}

static int sq_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *sc)
{
	struct op op = {"scan of", table, -1};
	int rc;

	LOCKED_TX(db, 0, &op, rc = scan_in_tx(db, out, table, sc, &op));
	return rc;
}

/* -------------------------------------------------------- migration pages */

/*
 * wb__sqlite_each_page (store_sqlite.h): a probe walks the scan page to
 * find its first and last key F and L; then one UPDATE over the rows
 * between them calls the SQL function wb_xf_keep(h, pk, sk, item) on each,
 * which decodes the item, runs the migration's callback and, for WB_WRITE,
 * stores the new bytes in a bulk (see bulk puts) that wb_bulk_new returns
 * as the row's new value: one pass over the page.  Deletes follow, then the
 * hooks, then COMMIT.
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
};

int wb__sqlite_is(wb_db *db)
{
	return db && db->ops == &wb_backend_sqlite;
}

static void xform_free(struct xform *x)
{
	for (size_t i = 0; i < x->nch; i++) {
		wb_item_free(x->ch[i].before);
		wb_item_free(x->ch[i].after);
	}
	free(x->ch);
	bulk_free(&x->put);
	bulk_free(&x->del);
	wb__buf_free(&x->fpk);
	wb__buf_free(&x->fsk);
	wb__buf_free(&x->lpk);
	wb__buf_free(&x->lsk);
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
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail_sqlite(x->db, rc, op);
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
	if (!x->hi_open)
		return xform_cmp(x, k->h, k->pk, k->pklen, k->sk, k->sklen, x->lh, &x->lpk, &x->lsk) <= 0;
	if (x->scanned == 0 || xform_cmp(x, k->h, k->pk, k->pklen, k->sk, k->sklen, x->lh, &x->lpk, &x->lsk) > 0) {
		x->lh = k->h;
		x->lpk.len = x->lsk.len = 0;
		if (wb__buf_append(&x->lpk, k->pk ? k->pk : "", k->pklen) < 0 ||
		    wb__buf_append(&x->lsk, k->sk ? k->sk : "", k->sklen) < 0)
			return WB_ENOMEM;
	}
	return 1;
}

/* Record the verdict of the callback on one row; 1 when the row is rewritten. */
static int xform_verdict(struct xform *x, const struct key *k, wb_item *item, wb_item *before, int v,
			 const void *stored, size_t storedlen)
{
	struct sq *s = x->db->state;
	struct op op = {"migration of", x->t->name, -1};
	struct key k2;
	int rc;

	if (v == WB_KEEP) {
		wb_item_free(item);
		wb_item_free(before);
		return 0;
	}
	if (v == WB_DELETE) {
		wb_item_free(item);
		item = NULL;
		rc = bulk_add_raw(&x->del, k, "", 0, 0);
	} else if (v != WB_WRITE) {
		rc = wb__error(x->db, WB_EINVALID, "%s: the callback returned %d, not WB_KEEP, WB_WRITE or WB_DELETE",
			       OPNAME(&op), v);
	} else if ((rc = wb_item_validate(item, NULL)) < 0) {
		rc = fail_nested(x->db, rc, &op);
	} else if ((rc = key_of(x->db, x->t, item, &k2, 0, &op)) == 0 &&
		   (k2.pklen != k->pklen || k2.sklen != k->sklen || memcmp(k2.pk, k->pk, k->pklen) ||
		    (k->sklen && memcmp(k2.sk, k->sk, k->sklen)))) {
		rc = wb__error(x->db, WB_EINVALID, "%s: the callback changed the key of item %s",
			       OPNAME(&op), KEYTEXT(x->t, item));
	} else if (rc == 0 && (rc = encode(x->db, &s->ibuf, item, &op)) == 0) {
		if (s->ibuf.len == storedlen && memcmp(s->ibuf.data, stored, storedlen) == 0)
			v = WB_KEEP; /* written as it was: nothing to write (each.c counts it unchanged) */
		else
			rc = bulk_add_raw(&x->put, k, s->ibuf.data, s->ibuf.len, 1);
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
static void fn_xf_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq *s = sqlite3_user_data(ctx);
	struct xform *x = s->xform;
	struct key k = {sqlite3_value_blob(argv[1]), (size_t)sqlite3_value_bytes(argv[1]),
			sqlite3_value_blob(argv[2]), (size_t)sqlite3_value_bytes(argv[2]),
			sqlite3_value_int64(argv[0])};
	wb_item *item = NULL, *before = NULL;
	int rc;

	WB_UNUSED(argc);
	if (!x || (rc = xform_in_page(x, &k)) == 0) {
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
	rc = wb__item_decode(&item, sqlite3_value_blob(argv[3]), (size_t)sqlite3_value_bytes(argv[3]));
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
		if (rc >= 0 && tl_refused) /* the callback wrote through another handle: see nested_write */
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

	rc = prepare_tbl(x->db, t, slot, x->whole ?
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
		rc = x->rc ? x->rc : fail_sqlite(x->db, rc, op);
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
		if ((rc = prepare_tbl(x->db, t, &t->del, "DELETE FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
			return rc;
		if (!k.sklen)
			k.sk = "";
		bind_key(t->del, &k);
		if ((rc = run(x->db, t->del, op)) < 0)
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

static int xform_hooks(struct xform *x, const wb__sqlite_hooks *hooks, wb__sqlite_page *out)
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

	if ((rc = prepare_tbl(x->db, t, &t->xf_next, "SELECT h FROM %1$s WHERE h >= ?1 AND h < ?2"
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
		rc = rc == SQLITE_DONE ? 0 : fail_sqlite(x->db, rc, op);
	}
	sqlite3_reset(t->xf_next);
	return rc;
}

/* Size the page's arrays for at most n rows. */
static int xform_alloc(struct xform *x, size_t n)
{
	int rc;

	if ((rc = bulk_init(&x->put, x->db, x->t, n)) < 0 || (rc = bulk_init(&x->del, x->db, x->t, n)) < 0)
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
		if ((rc = key_of(x->db, x->t, sc->start_after, &cur, 4, op)) < 0)
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
			   const wb__sqlite_hooks *hooks, wb__sqlite_page *out, const struct op *op)
{
	size_t limit = sc->limit ? sc->limit : DEFAULT_PAGE, count = 0;
	int plen = sc->pk_prefix && sc->pk_prefix[0], done = 0;
	sqlite3_stmt *st[3];
	int rc, nst = 0;

	if ((rc = tbl_get(db, table, &x->t, op)) < 0)
		return rc;
	x->whole = !plen;
	if (x->whole && (rc = xform_by_range(x, sc, limit, &done, op)) < 0)
		return rc;
	if (!done) { /* walk the page to find its first and last row */
		x->lo_mode = 1;
		x->hi_open = 0;
		x->more = 0;
		if ((rc = scan_setup(db, x->t, sc, limit, st, &nst, &x->whole, op)) < 0 ||
		    (rc = xform_probe(x, st, nst, limit, &count, op)) < 0)
			return rc;
		x->h_lo = x->fh;
		x->h_hi = x->lh;
		if (count > 0 && ((!x->cap && (rc = xform_alloc(x, count)) < 0) ||
				  (rc = xform_update(x, sc, op)) < 0))
			return rc;
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

int wb__sqlite_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
			 const wb__sqlite_hooks *hooks, wb__sqlite_page *out)
{
	static const wb_scan whole = WB_SCAN_INIT;
	struct op op = {"migration of", table, -1};
	struct xform x = {0};
	struct sq *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!wb__sqlite_is(db) || !fn)
		return wb__error(db, WB_EINVALID, "%s: needs an SQLite handle and a callback", OPNAME(&op));
	if ((rc = wb_table_name_validate(table)) < 0)
		return wb__error_to_db(db, rc);
	sc = sc ? sc : &whole;
	if (sc->total_segments > 1 && sc->segment >= sc->total_segments)
		return wb__error(db, WB_EINVALID, "%s: segment %u is not below %u", OPNAME(&op),
				 sc->segment, sc->total_segments);
	s = db->state;
	x = (struct xform){.db = db, .fn = fn, .arg = arg, .keep_before = hooks && hooks->on_change};
	LOCKED_TX(db, 1, &op, {
		tl_busy = s;
		tl_refused = 0;
		rc = each_page_in_tx(db, table, sc, &x, hooks, out, &op);
		tl_busy = NULL;
		tl_refused = 0;
	});
	xform_free(&x);
	if (rc < 0) {
		wb_item_free(out->last_key);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

int wb__sqlite_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct sq *s = wb__sqlite_is(db) ? db->state : NULL;
	int rc;

	if (!s || tl_busy != s || !s->in_hook)
		return wb__error(db, WB_EINVALID, "wb__sqlite_tx_write: only inside a hook of wb__sqlite_each_page");
	for (size_t i = 0; i < n; i++) {
		if ((rc = wb_table_name_validate(writes[i].table)) < 0 ||
		    (!writes[i].item && (rc = wb__error(NULL, WB_EINVALID, "batch write %zu: no item", i)) < 0) ||
		    (writes[i].kind == WB_WRITE_PUT && (rc = wb_item_validate(writes[i].item, NULL)) < 0)) {
			if (failed_index)
				*failed_index = i;
			return wb__error_to_db(db, rc);
		}
	}
	return batch_in_tx(db, writes, n, failed_index);
}

/* ---------------------------------------------------------- bulk load */

/*
 * A bulk load (backend ops load_*; wb_load_begin in whimbrel.h).  Items are
 * encoded as they come and kept in a sorter (sorter.h) under the table's
 * clustering key (h, pk, sk); nothing touches the database before the
 * commit.  The commit writes them in one transaction in key order, so each
 * page of the table is filled once (puts in random order dirty about one
 * page per item and write it again at every commit), with INSERT OR REPLACE
 * (a later put of a key wins, as with wb_put).  Into an empty table the
 * (pk, sk) index is dropped first and built after from a sort (SQLite's
 * CREATE INDEX), in the same transaction.  Memory: the sorter's budget plus
 * SQLite's page cache, whatever the number of items.
 */

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

static void sq_load_free(wb_db *db, void *state)
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

static int sq_load_begin(wb_db *db, void **out, const char *table, const wb_key_schema *key)
{
	struct load *ld = wb__calloc(1, sizeof(*ld));
	int rc;

	*out = NULL;
	if (!ld)
		return wb__oom(db);
	snprintf(ld->table, sizeof(ld->table), "%s", table);
	ld->key = *key;
	if ((rc = wb__sorter_new(&ld->sorter, load_cmp, 4, LOAD_BUDGET)) < 0) {
		sq_load_free(db, ld);
		return wb__error_to_db(db, rc);
	}
	*out = ld;
	return 0;
}

static int sq_load_add(wb_db *db, void *state, const wb_item *item)
{
	struct load *ld = state;
	struct op op = {"load into", ld->table, -1};
	struct key k;
	int rc;

	if ((rc = key_in(db, &ld->key, item, &k, ld->kbuf, &op)) < 0)
		return rc;
	ld->ibuf.len = 0;
	if ((rc = load_key(ld, &k)) < 0 || (rc = wb__item_encode(&ld->ibuf, item)) < 0)
		return wb__oom(db);
	if ((rc = wb__sorter_add(ld->sorter, ld->rec.data, ld->rec.len, ld->ibuf.data, ld->ibuf.len)) < 0)
		return fail_nested(db, rc, &op);
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
	int rc = prepare_tbl(db, t, &st, fmt, op);

	if (rc == 0)
		rc = run(db, st, op);
	sqlite3_finalize(st);
	return rc;
}

/* Whether the table holds no row: *empty. */
static int load_empty(wb_db *db, struct tbl *t, int *empty, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_tbl(db, t, &st, "SELECT 1 FROM %1$s LIMIT 1", op);

	if (rc == 0) {
		rc = sqlite3_step(st);
		*empty = rc == SQLITE_DONE;
		rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail_sqlite(db, rc, op);
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
		if ((rc = run(db, st, op)) < 0)
			return rc;
		if (++*written % LOAD_PROGRESS == 0 && progress && progress(*written, arg) != 0)
			return wb__error(db, WB_EINTERRUPTED, "%s: interrupted, nothing written", OPNAME(op));
	}
	if (rc < 0)
		return fail_nested(db, rc, op);
	wb__sorter_free(ld->sorter); /* its memory goes back before the index is built */
	ld->sorter = NULL;
	malloc_trim(0);
	return 0;
}

static int load_in_tx(wb_db *db, struct load *ld, wb_load_fn progress, void *arg, uint64_t *written,
		      const struct op *op)
{
	sqlite3_stmt *st = NULL;
	struct tbl *t;
	int rc, empty = 0;

	if ((rc = tbl_get(db, ld->table, &t, op)) < 0)
		return rc;
	if (!same_schema(&t->key, &ld->key))
		return wb__error(db, WB_EINVALID, "%s: the table's key is not the one the load was given",
				 OPNAME(op));
	t->seen_rows = -1;
	if ((rc = load_empty(db, t, &empty, op)) < 0 ||
	    (empty && (rc = load_exec(db, t, "DROP INDEX %2$s", op)) < 0) ||
	    (rc = prepare_tbl(db, t, &st, "INSERT OR REPLACE INTO %1$s(h, pk, sk, item)"
			      " VALUES(?1, ?2, ?3, ?4)", op)) < 0)
		goto out;
	if ((rc = load_rows(db, ld, st, progress, arg, written, op)) == 0 && empty)
		rc = load_exec(db, t, "CREATE INDEX %2$s ON %1$s(pk, sk)", op);
out:
	sqlite3_finalize(st);
	return rc;
}

static int sq_load_commit(wb_db *db, void *state, wb_load_fn progress, void *arg, uint64_t *written)
{
	struct load *ld = state;
	struct op op = {"load into", ld->table, -1};
	int rc;

	*written = 0;
	if ((rc = wb__sorter_finish(ld->sorter)) < 0)
		return fail_nested(db, rc, &op);
	LOCKED_TX(db, 1, &op, rc = load_in_tx(db, ld, progress, arg, written, &op));
	if (rc < 0)
		*written = 0;
	return rc;
}

const struct wb_backend_ops wb_backend_sqlite = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.table_create = sq_table_create,
	.table_describe = sq_table_describe,
	.table_list = sq_table_list,
	.table_drop = sq_table_drop,
	.get = sq_get,
	.put = sq_put,
	.del = sq_del,
	.update = sq_update,
	.batch_write = sq_batch_write,
	.query_page = sq_query_page,
	.scan_page = sq_scan_page,
	.load_begin = sq_load_begin,
	.load_add = sq_load_add,
	.load_commit = sq_load_commit,
	.load_free = sq_load_free,
};
