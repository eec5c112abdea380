/*
 * sqlite_open.c - the embedded backend: whimbrel tables in one SQLite file;
 * here its handles (open, close, transactions, the catalog) and its table
 * of operations.
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
 * as one range UPDATE ("bulk puts", sqlite_bulk.c), and each_page
 * (sqlite_each.c) runs a migration's callback inside that UPDATE.  The
 * other files of the backend are listed in sqlite_int.h; bulk loads
 * (sqlite_load.c) write a whole load in one transaction in key order.
 * A file this process cannot write is opened read-only (open_flags).
 * Capabilities (backend.h): batches are atomic, one writer at a time,
 * each_page and tx_write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_int.h"

#define DEFAULT_BUSY_MS 5000     /* how long to wait for another writer */
#define LAYOUT_VERSION 1         /* PRAGMA user_version of the layout above */

/* ------------------------------------------------------------- errors */

/* "put into cars", "batch write 3: put into cars", "list tables". */
const char *wb__sq_opname(char *buf, size_t size, const struct op *op)
{
	if (op->index >= 0)
		snprintf(buf, size, "batch write %ld: %s %s", op->index, op->verb, op->table);
	else if (op->table)
		snprintf(buf, size, "%s %s", op->verb, op->table);
	else
		snprintf(buf, size, "%s", op->verb);
	return buf;
}

/* Map an SQLite result code to a whimbrel error with a one-line message. */
int wb__sq_fail(wb_db *db, int src, const struct op *op)
{
	struct sq *s = db->state;
	const char *msg = sqlite3_errmsg(s->conn);

	if (s->ix_failed) { /* wb_ix_key refused an index key: msg is its message */
		s->ix_failed = 0;
		return wb__error(db, WB_EINVALID, "%s: %s", OPNAME(op), msg);
	}
	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return wb__error(db, WB_EBUSY, "%s: database %s is locked by another process (waited %d ms)",
				 OPNAME(op), s->path, s->busy_ms);
	case SQLITE_NOMEM:
		return wb__oom(db);
	case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CORRUPT: case SQLITE_NOTADB:
	case SQLITE_READONLY:
		if (s->readonly)
			return wb__error(db, WB_EIO, "%s: database %s is read-only here (no write access to it"
					 " or its directory)", OPNAME(op), s->path);
		return wb__error(db, WB_EIO, "%s: database %s: %s", OPNAME(op), s->path, msg);
	case SQLITE_CANTOPEN: case SQLITE_PERM: case SQLITE_PROTOCOL:
		return wb__error(db, WB_EIO, "%s: database %s: %s", OPNAME(op), s->path, msg);
	default:
		return wb__error(db, WB_ERROR, "%s: database %s: %s", OPNAME(op), s->path, msg);
	}
}

/* Prefix this thread's last error (set by a nested call) with the operation. */
int wb__sq_fail_nested(wb_db *db, int rc, const struct op *op)
{
	char msg[1024];

	if (rc == WB_ENOMEM)
		return wb__oom(db);
	snprintf(msg, sizeof(msg), "%s", wb_error_last());
	return wb__error(db, rc, "%s: %s", OPNAME(op), msg);
}

/* ------------------------------------------------------- statements */

int wb__sq_prepare(wb_db *db, sqlite3_stmt **out, const char *sql, const struct op *op)
{
	struct sq *s = db->state;
	int rc = sqlite3_prepare_v3(s->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);

	if (rc != SQLITE_OK) {
		*out = NULL;
		return wb__sq_fail(db, rc, op);
	}
	return 0;
}

/* Prepare a table statement from a format whose %1$s is the table and %2$s its index. */
int wb__sq_prepare_tbl(wb_db *db, struct tbl *t, sqlite3_stmt **slot, const char *fmt,
		       const struct op *op)
{
	char tname[WB_NAME_MAX + 32], iname[WB_NAME_MAX + 32], sql[1024];

	if (*slot)
		return 0;
	snprintf(tname, sizeof(tname), "\"t%lld_%s\"", (long long)t->id, t->name);
	snprintf(iname, sizeof(iname), "\"i%lld_%s\"", (long long)t->id, t->name);
	snprintf(sql, sizeof(sql), fmt, tname, iname);
	return wb__sq_prepare(db, slot, sql, op);
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
	wb__sq_ix_free(t);
	for (size_t i = 0; i < NSCAN; i++)
		sqlite3_finalize(t->scan[i]);
	for (size_t i = 0; i < NQUERY; i++)
		sqlite3_finalize(t->query[i]);
	free(t);
}

/* Forget every cached table (after a schema change). */
void wb__sq_cache_flush(struct sq *s)
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
		rc = wb__sq_fail(db, rc, op);
		sqlite3_reset(s->schema);
		return rc;
	}
	v = sqlite3_column_int64(s->schema, 0);
	sqlite3_reset(s->schema);
	if (v != s->schema_version) {
		wb__sq_cache_flush(s);
		s->schema_version = v;
	}
	return 0;
}

int wb__sq_tx_begin(wb_db *db, int write, const struct op *op)
{
	struct sq *s = db->state;
	int rc;

	s->ix_failed = 0;
	if ((rc = wb__sq_run(db, write ? s->begin_w : s->begin_r, op)) < 0)
		return rc;
	if ((rc = schema_check(db, op)) < 0 && !sqlite3_get_autocommit(s->conn))
		sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Commit when rc == 0, else roll back; returns rc or the commit's failure. */
int wb__sq_tx_end(wb_db *db, int rc, const struct op *op)
{
	struct sq *s = db->state;

	if (rc == 0)
		rc = wb__sq_run(db, s->commit, op);
	if (rc < 0 && !sqlite3_get_autocommit(s->conn))
		sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

_Thread_local struct sq *wb__sq_busy; /* handle whose page this thread is transforming */
_Thread_local int wb__sq_refused;     /* a write through another handle was refused meanwhile */

/*
 * A write through handle s while this thread transforms a page of the same
 * file through another handle would wait for that page's own transaction
 * (until the busy timeout): refuse it at once, and remember it so that the
 * page fails whatever the callback does with the error (the runner then does
 * the page again the generic way, where such writes work).
 */
int wb__sq_nested_write(const struct sq *s, int write)
{
	if (!write || !wb__sq_busy || wb__sq_busy == s || strcmp(wb__sq_busy->path, s->path) != 0)
		return 0;
	wb__sq_refused = 1;
	return 1;
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

	if ((rc = wb__sq_prepare(db, &st, "PRAGMA user_version", op)) < 0)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	else
		rc = wb__sq_fail(db, rc, op);
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
	rc = wb__sq_fail(db, rc, op);
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
			  " PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;"
			  " PRAGMA recursive_triggers=1;", /* REPLACE fires delete triggers (indexes, sqlite_index.c) */
			  NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : wb__sq_fail(db, rc, op);
}


static int prepare_common(wb_db *db, const struct op *op)
{
	struct sq *s = db->state;
	int rc;

	if ((rc = sqlite3_create_function_v2(s->conn, "wb_bulk_has", 3, SQLITE_UTF8, s, wb__sq_fn_bulk_has,
					     NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->conn, "wb_bulk_new", 4, SQLITE_UTF8, s, wb__sq_fn_bulk_new,
					     NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->conn, "wb_xf_keep", 4, SQLITE_UTF8, s, wb__sq_fn_xf_keep,
					     NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->conn, "wb_ix_key", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC, s,
					     wb__sq_fn_ix_key, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->conn, "wb_ix_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, s,
					     wb__sq_fn_ix_hash, NULL, NULL, NULL)) != SQLITE_OK)
		return wb__sq_fail(db, rc, op);

	if ((rc = wb__sq_load_module(db, op)) < 0 ||
	    (rc = wb__sq_prepare(db, &s->begin_r, "BEGIN", op)) < 0 ||
	    (rc = wb__sq_prepare(db, &s->begin_w, "BEGIN IMMEDIATE", op)) < 0 ||
	    (rc = wb__sq_prepare(db, &s->commit, "COMMIT", op)) < 0 ||
	    (rc = wb__sq_prepare(db, &s->schema, "PRAGMA schema_version", op)) < 0)
		return rc;
	return wb__sq_prepare(db, &s->lookup,
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
	wb__sq_cache_flush(s);
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
	wb__sq_ix_cache_free(s);
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
	if (strcmp(path, ":memory:") == 0) /* each connection would see its own, gone at exit */
		return wb__error(NULL, WB_EINVALID, "target '%s': an in-memory database is lost when the "
				 "handle closes (and the runner and the migration would not share it); "
				 "use sqlite:PATH", url);
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
int wb__sq_catalog_lookup(wb_db *db, const char *name, struct tbl *t, const struct op *op)
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
		rc = wb__sq_fail(db, rc, op);
	}
	sqlite3_reset(st);
	return rc;
}

/* The cached table `name` (looked up in the catalog on first use). */
int wb__sq_tbl_get(wb_db *db, const char *name, struct tbl **out, const struct op *op)
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
	if (wb__grow(&s->tbls, &s->cap, s->ntbls, sizeof(*s->tbls), 8) < 0)
		return wb__oom(db);
	if (!(t = wb__calloc(1, sizeof(*t))))
		return wb__oom(db);
	if ((rc = wb__sq_catalog_lookup(db, name, t, op)) < 0) {
		free(t);
		return rc;
	}
	t->seen_rows = -1;
	s->tbls[s->ntbls++] = t;
	*out = t;
	return 0;
}

const struct wb_backend_ops wb_backend_sqlite = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "sqlite",
	.caps = WB_CAP_ATOMIC_BATCH | WB_CAP_ONE_WRITER,
	.open = sq_open,
	.close = sq_close,
	.table_create = wb__sq_table_create,
	.table_describe = wb__sq_table_describe,
	.table_list = wb__sq_table_list,
	.table_drop = wb__sq_table_drop,
	.get = wb__sq_get,
	.put = wb__sq_put,
	.del = wb__sq_del,
	.update = wb__sq_update,
	.batch_write = wb__sq_batch_write,
	.query_page = wb__sq_query_page,
	.scan_page = wb__sq_scan_page,
	.each_page = wb__sq_each_page,
	.tx_write = wb__sq_tx_write,
	.table_create_ix = wb__sq_table_create_ix,
	.table_indexes = wb__sq_table_indexes,
	.load_begin = wb__sq_load_begin,
	.load_add = wb__sq_load_add,
	.load_commit = wb__sq_load_commit,
	.load_free = wb__sq_load_free,
	.snapshot = wb__sq_snapshot,
	.snapshot_dir = wb__sq_snapshot_dir,
};
