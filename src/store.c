/*
 * store.c - the public store API: open a target by URL and dispatch.
 *
 * wb_open picks the backend from the URL's scheme.  Every public store call
 * checks what is common to all backends (handle, table name, item shape)
 * and forwards to the backend's table of operations (backend.h); so do
 * the optional operations of a backend's capabilities (wb__db_each_page,
 * wb__db_tx_write) at the end.  Here too is reporting on a handle
 * (wb__error and friends, declared in common.h): the message is recorded
 * as this thread's last error by util/error.c, then copied into the handle
 * under its lock.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "index.h"

/* ---------------------------------------------------------------- errors */

static void db_set_errmsg(wb_db *db, const char *msg)
{
	pthread_mutex_lock(&db->lock);
	strncpy(db->errmsg, msg, sizeof(db->errmsg) - 1);
	db->errmsg[sizeof(db->errmsg) - 1] = '\0';
	pthread_mutex_unlock(&db->lock);
}

int wb__error_to_db(wb_db *db, int code)
{
	if (db)
		db_set_errmsg(db, wb_error_last());
	return code;
}

int wb__verror(wb_db *db, int code, const char *fmt, va_list ap)
{
	wb__vfail(code, fmt, ap);
	return wb__error_to_db(db, code);
}

int wb__error(wb_db *db, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wb__verror(db, code, fmt, ap);
	va_end(ap);
	return code;
}

int wb__oom(wb_db *db)
{
	return wb__error_to_db(db, wb__fail_oom());
}

/* Writers of db->errmsg hold db->lock; so does this reader, copying it out. */
const char *wb_errmsg(wb_db *db)
{
	static _Thread_local char copy[sizeof(((wb_db *)0)->errmsg)];

	if (!db)
		return wb_error_last();
	pthread_mutex_lock(&db->lock);
	memcpy(copy, db->errmsg, sizeof(copy));
	pthread_mutex_unlock(&db->lock);
	return copy[0] ? copy : "no error";
}

/* ---------------------------------------------------------------- handles */

const char *wb_db_url(wb_db *db)
{
	return db ? db->url : "";
}

int wb__db_open_with(wb_db **out, const struct wb_backend_ops *ops, const char *url)
{
	wb_db *db;
	int rc;

	*out = NULL;
	if (ops->version != WB_BACKEND_OPS_VERSION)
		return wb__error(NULL, WB_ERROR, "backend %s: interface version %u, expected %u",
				 ops->name, ops->version, WB_BACKEND_OPS_VERSION);
	if (!(db = wb__calloc(1, sizeof(*db))))
		return WB_ENOMEM;
	pthread_mutex_init(&db->lock, NULL);
	db->ops = ops;
	if (!(db->url = wb__strdup(url))) {
		free(db);
		return WB_ENOMEM;
	}
	if ((rc = ops->open(db, url)) < 0) {
		pthread_mutex_destroy(&db->lock);
		free(db->url);
		free(db);
		return rc;
	}
	*out = db;
	return 0;
}

static const struct wb_backend_ops *backend_for(const char *url)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return &wb_backend_sqlite;
	if (strncmp(url, "dynamodb:", 9) == 0 || strncmp(url, "dynamodbs:", 10) == 0)
		return &wb_backend_dynamodb;
	return NULL;
}

int wb_open(wb_db **out, const char *url)
{
	const struct wb_backend_ops *ops;

	if (!out || !url)
		return wb__error(NULL, WB_EINVALID, "wb_open: no URL given");
	*out = NULL;
	if (!(ops = backend_for(url)))
		return wb__error(NULL, WB_EINVALID,
				 "unknown target '%s': expected sqlite:PATH, dynamodb://HOST:PORT, "
				 "dynamodbs://HOST or dynamodb:REGION", url);
	return wb__db_open_with(out, ops, url);
}

void wb_close(wb_db *db)
{
	if (!db)
		return;
	db->ops->close(db);
	pthread_mutex_destroy(&db->lock);
	free(db->url);
	free(db);
}

void wb_strings_free(char **strings)
{
	if (!strings)
		return;
	for (char **s = strings; *s; s++)
		free(*s);
	free(strings);
}

void wb_page_free(wb_page *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->count; i++)
		wb_item_free(page->items[i]);
	free(page->items);
	wb_item_free(page->last_key);
	free(page);
}

int wb_table_name_validate(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 3 || n > 255)
		return wb__error(NULL, WB_EINVALID,
				 "invalid table name '%s': must be 3 to 255 characters", name ? name : "");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return wb__error(NULL, WB_EINVALID,
					 "invalid table name '%s': character %zu is not a letter, digit, '_', '-' or '.'",
					 name, i + 1);
	}
	return 0;
}

/* Common checks of a call on a table; records the error on db. */
static int check_table(wb_db *db, const char *table)
{
	int rc;

	if (!db)
		return wb__error(NULL, WB_EINVALID, "no store handle");
	if ((rc = wb_table_name_validate(table)) < 0)
		return wb__error_to_db(db, rc);
	return 0;
}

static int check_key_type(wb_db *db, const char *what, const char *name, wb_type t)
{
	if (name[0] == '\0' || strlen(name) > WB_NAME_MAX)
		return wb__error(db, WB_EINVALID, "%s attribute name must be 1 to %d bytes", what, WB_NAME_MAX);
	if (t != WB_S && t != WB_N && t != WB_B)
		return wb__error(db, WB_EINVALID, "%s '%s' must be of type S, N or B", what, name);
	return 0;
}

int wb__key_schema_check(wb_db *db, const char *table, const wb_key_schema *key)
{
	int rc;

	if ((rc = check_table(db, table)) < 0)
		return rc;
	if (!key)
		return wb__error(db, WB_EINVALID, "table %s: no key schema", table);
	if ((rc = check_key_type(db, "partition key", key->pk_name, key->pk_type)) < 0)
		return rc;
	if (key->sk_name[0] && (rc = check_key_type(db, "sort key", key->sk_name, key->sk_type)) < 0)
		return rc;
	if (key->sk_name[0] && strcmp(key->pk_name, key->sk_name) == 0)
		return wb__error(db, WB_EINVALID, "table %s: partition and sort key are both '%s'",
				 table, key->pk_name);
	return 0;
}

int wb_table_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	return wb_table_create_opts(db, name, key, NULL);
}

/* The options of a table: their version and indexes (the key is checked). */
static int check_table_options(wb_db *db, const char *name, const wb_key_schema *key,
			       const wb_table_options *opts)
{
	if (opts->version != WB_TABLE_OPTIONS_VERSION)
		return wb__error(db, WB_EINVALID, "table %s: options of version %u, this library knows %d"
				 " (initialise them with WB_TABLE_OPTIONS_INIT)", name, opts->version,
				 WB_TABLE_OPTIONS_VERSION);
	if (opts->nindexes && !db->ops->table_create_ix)
		return wb__error(db, WB_EINVALID, "table %s: the %s backend has no secondary indexes", name,
				 db->ops->name);
	return wb__index_check(db, name, key, opts->indexes, opts->nindexes);
}

int wb_table_create_opts(wb_db *db, const char *name, const wb_key_schema *key,
			 const wb_table_options *opts)
{
	int rc;

	if ((rc = wb__key_schema_check(db, name, key)) < 0 ||
	    (opts && (rc = check_table_options(db, name, key, opts)) < 0))
		return rc;
	if (!opts || opts->nindexes == 0)
		return db->ops->table_create(db, name, key);
	return db->ops->table_create_ix(db, name, key, opts->indexes, opts->nindexes);
}

int wb_table_indexes(wb_index **out, size_t *count, wb_db *db, const char *table)
{
	size_t dummy;
	int rc;

	*out = NULL;
	count = count ? count : &dummy;
	*count = 0;
	if ((rc = check_table(db, table)) < 0)
		return rc;
	if (!db->ops->table_indexes) { /* a backend without indexes: the table must exist all the same */
		wb_table_desc d;
		return wb_table_describe(&d, db, table);
	}
	if ((rc = db->ops->table_indexes(db, table, out, count)) == 0)
		wb__index_sort(*out, *count);
	return rc;
}

int wb_table_describe(wb_table_desc *out, wb_db *db, const char *name)
{
	int rc;

	if ((rc = check_table(db, name)) < 0)
		return rc;
	return db->ops->table_describe(db, name, out);
}

int wb_table_list(char ***out, size_t *count, wb_db *db)
{
	size_t dummy;

	if (!db)
		return wb__error(NULL, WB_EINVALID, "no store handle");
	return db->ops->table_list(db, out, count ? count : &dummy);
}

int wb_table_drop(wb_db *db, const char *name)
{
	int rc;

	if ((rc = check_table(db, name)) < 0)
		return rc;
	return db->ops->table_drop(db, name);
}

/* The checks of a one-item operation: its table, and `arg` (its key or item, named `what`) given. */
static int check_op(wb_db *db, const char *verb, const char *table, const void *arg, const char *what)
{
	int rc = check_table(db, table);

	if (rc == 0 && !arg)
		rc = wb__error(db, WB_EINVALID, "%s %s: no %s", verb, table, what);
	return rc;
}

int wb_get(wb_item **out, wb_db *db, const char *table, const wb_item *key)
{
	int rc;

	*out = NULL;
	if ((rc = check_op(db, "get from", table, key, "key")) < 0)
		return rc;
	return db->ops->get(db, out, table, key);
}

int wb_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	int rc;

	if ((rc = check_op(db, "put into", table, item, "item")) < 0)
		return rc;
	if ((rc = wb_item_validate(item, NULL)) < 0)
		return wb__error_to_db(db, rc);
	return db->ops->put(db, table, item, cond);
}

int wb_delete(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	int rc;

	if ((rc = check_op(db, "delete from", table, key, "key")) < 0)
		return rc;
	return db->ops->del(db, table, key, cond);
}

int wb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
	      const char *const *remove, size_t nremove, const wb_cond *cond)
{
	int rc;

	if ((rc = check_op(db, "update of", table, key, "key")) < 0)
		return rc;
	if (set && (rc = wb_item_validate(set, NULL)) < 0)
		return wb__error_to_db(db, rc);
	return db->ops->update(db, table, key, set, remove, nremove, cond);
}

/* The checks of a batch (wb_batch_write, wb__db_tx_write). */
static int check_writes(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = check_table(db, writes[i].table)) < 0)
			goto bad;
		if (!writes[i].item) {
			rc = wb__error(db, WB_EINVALID, "batch write %zu: no item", i);
			goto bad;
		}
		if (writes[i].kind == WB_WRITE_PUT && (rc = wb_item_validate(writes[i].item, NULL)) < 0) {
			wb__error_to_db(db, rc);
			goto bad;
		}
		continue;
bad:
		if (failed_index)
			*failed_index = i;
		return rc;
	}
	return 0;
}

int wb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	int rc;

	if (!db)
		return wb__error(NULL, WB_EINVALID, "no store handle");
	if ((rc = check_writes(db, writes, n, failed_index)) < 0)
		return rc;
	return db->ops->batch_write(db, writes, n, failed_index);
}

int wb_batch_write_each(wb_db *db, const wb_write *writes, size_t n, int *results)
{
	size_t failed = SIZE_MAX;
	int rc;

	if (!db)
		return wb__error(NULL, WB_EINVALID, "no store handle");
	for (size_t i = 0; i < n; i++)
		results[i] = WB_WRITE_NOT_SENT;
	if ((rc = check_writes(db, writes, n, &failed)) < 0) {
		results[failed] = rc;
		return rc;
	}
	if (db->ops->batch_write_each)
		return db->ops->batch_write_each(db, writes, n, results);
	if ((rc = db->ops->batch_write(db, writes, n, &failed)) == 0) {
		for (size_t i = 0; i < n; i++)
			results[i] = 0;
		return 0;
	}
	/* Without the backend's word: what its contract says (backend.h). */
	for (size_t i = 0; i < n && i < failed && !(wb__db_caps(db) & WB_CAP_ATOMIC_BATCH); i++)
		results[i] = 0;
	if (failed < n)
		results[failed] = rc;
	return rc;
}

/* The index named by a read, when one is: a valid name (whether it exists is the backend's to say). */
static int check_index_name(wb_db *db, const char *verb, const char *table, const char *index)
{
	if (index && wb_table_name_validate(index) < 0)
		return wb__error(db, WB_EINVALID, "%s %s: invalid index name '%s'", verb, table, index);
	if (index && !db->ops->table_indexes)
		return wb__error(db, WB_EINVALID, "%s %s: the %s backend has no secondary indexes", verb, table,
				 db->ops->name);
	return 0;
}

int wb_query_page(wb_page **out, wb_db *db, const char *table, const wb_query *q)
{
	int rc;

	*out = NULL;
	if ((rc = check_table(db, table)) < 0)
		return rc;
	if (!q || !q->pk)
		return wb__error(db, WB_EINVALID, "query of %s: no partition key value", table);
	if ((q->sk_op != WB_SK_NONE && !q->sk_a) || (q->sk_op == WB_SK_BETWEEN && !q->sk_b))
		return wb__error(db, WB_EINVALID, "query of %s: sort key condition lacks a value", table);
	if ((rc = check_index_name(db, "query of", table, q->index)) < 0)
		return rc;
	return db->ops->query_page(db, out, table, q);
}

int wb_scan_page(wb_page **out, wb_db *db, const char *table, const wb_scan *s)
{
	static const wb_scan whole = WB_SCAN_INIT;
	int rc;

	*out = NULL;
	if ((rc = check_table(db, table)) < 0)
		return rc;
	if (!s)
		s = &whole;
	if (s->total_segments > 1 && s->segment >= s->total_segments)
		return wb__error(db, WB_EINVALID, "scan of %s: segment %u is not below %u",
				 table, s->segment, s->total_segments);
	if (s->total_segments > 1000000)
		return wb__error(db, WB_EINVALID, "scan of %s: at most 1000000 segments", table);
	if ((rc = check_index_name(db, "scan of", table, s->index)) < 0)
		return rc;
	return db->ops->scan_page(db, out, table, s);
}

/*
 * The paging loop of wb_scan_all / wb_query_all: `next` fetches the page
 * after `cursor`; the cursor is carried from each page's last_key.
 */
typedef int (*page_fn)(wb_db *db, wb_page **out, const char *table, const void *req,
		       const wb_item *cursor);

static int visit_pages(wb_db *db, const char *table, const void *req, page_fn next,
		       const wb_item *start, wb_visit_fn fn, void *arg)
{
	wb_item *cursor = NULL;
	int rc;

	do {
		wb_page *page = NULL;
		if ((rc = next(db, &page, table, req, cursor ? cursor : start)) < 0)
			break;
		for (size_t i = 0; i < page->count && rc == 0; i++)
			rc = fn(page->items[i], arg);
		wb_item_free(cursor);
		cursor = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
	} while (rc == 0 && cursor);
	wb_item_free(cursor);
	return rc;
}

static int next_scan(wb_db *db, wb_page **out, const char *table, const void *req,
		     const wb_item *cursor)
{
	wb_scan s = *(const wb_scan *)req;

	s.start_after = cursor;
	return wb_scan_page(out, db, table, &s);
}

static int next_query(wb_db *db, wb_page **out, const char *table, const void *req,
		      const wb_item *cursor)
{
	wb_query q = *(const wb_query *)req;

	q.start_after = cursor;
	return wb_query_page(out, db, table, &q);
}

int wb_scan_all(wb_db *db, const char *table, const wb_scan *s, wb_visit_fn fn, void *arg)
{
	static const wb_scan whole = WB_SCAN_INIT;

	if (!s)
		s = &whole;
	return visit_pages(db, table, s, next_scan, s->start_after, fn, arg);
}

int wb_query_all(wb_db *db, const char *table, const wb_query *q, wb_visit_fn fn, void *arg)
{
	if (!q)
		return wb__error(db, WB_EINVALID, "query of %s: no query", table ? table : "?");
	return visit_pages(db, table, q, next_query, q->start_after, fn, arg);
}

/* ------------------------------------------------------------ capabilities */

unsigned int wb__db_caps(const wb_db *db)
{
	return db ? db->ops->caps : 0;
}

int wb__db_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
		     const wb__page_hooks *hooks, wb__page_result *out)
{
	static const wb_scan whole = WB_SCAN_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_table(db, table)) < 0)
		return rc;
	if (!db->ops->each_page || !fn)
		return wb__error(db, WB_EINVALID, "migration of %s: %s", table,
				 fn ? "the backend cannot transform pages" : "no callback");
	sc = sc ? sc : &whole;
	if (sc->total_segments > 1 && sc->segment >= sc->total_segments)
		return wb__error(db, WB_EINVALID, "migration of %s: segment %u is not below %u",
				 table, sc->segment, sc->total_segments);
	return db->ops->each_page(db, table, sc, fn, arg, hooks, out);
}

int wb__db_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	int rc;

	if (!db || !db->ops->tx_write)
		return wb__error(db, WB_EINVALID, "wb__db_tx_write: the backend has no page transactions");
	if ((rc = check_writes(db, writes, n, failed_index)) < 0)
		return rc;
	return db->ops->tx_write(db, writes, n, failed_index);
}

/* --------------------------------------------------------------- snapshots */

int wb__db_snapshot_dir(wb_db *db, char *buf, size_t size)
{
	if (!db || !db->ops->snapshot_dir)
		return wb__error(db, WB_EINVALID, "snapshots: the %s backend keeps none",
				 db ? db->ops->name : "(null)");
	return db->ops->snapshot_dir(db, buf, size);
}

int wb__db_snapshot(wb_db *db, const char *path)
{
	if (!db || !db->ops->snapshot || !path)
		return wb__error(db, WB_EINVALID, "snapshot: the %s backend takes none",
				 db ? db->ops->name : "(null)");
	return db->ops->snapshot(db, path);
}
