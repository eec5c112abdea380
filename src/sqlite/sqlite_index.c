/*
 * sqlite_index.c - the embedded backend's secondary indexes: creating them
 * with their table, keeping them by triggers, listing and reading them.
 *
 * The catalog table wb_indexes (made by the first table created with an
 * index) holds one row per index: its table's id, name, keys, projection
 * and the projected attribute names (NUL-terminated, one after another).
 * Each index is an SQLite table "x<id>" of keys only:
 *
 *   ih   INTEGER  32-bit hash of ipk (scan segments, as h of the table)
 *   ipk  BLOB     the index's partition key value, encoded as the table's pk
 *   isk  BLOB     the index's sort key value; X'' without sort key
 *   h, pk, sk     the item's key in its table
 *   PRIMARY KEY (ih, ipk, isk, pk, sk) WITHOUT ROWID
 *
 * Three triggers on the table keep it: after an INSERT the new item's
 * entry is added, when it has the index's key attributes; after a DELETE
 * the old item's is removed; after an UPDATE OF item that changed the
 * index keys, both (a migration that leaves them alone costs no write of
 * the index).  The SQL function wb_ix_key(item, index, attribute, type)
 * reads a key attribute out of the stored bytes (NULL when absent; an
 * error, WB_EINVALID, when of another type or empty, as DynamoDB refuses
 * such writes).  Connections run with recursive_triggers on, so that the
 * rows an INSERT OR REPLACE replaces leave the index too.  So every write path of
 * the backend (put, delete, update, batches, bulk puts, migration pages,
 * and any later one that writes the table with SQL) keeps the index in the
 * same statement and transaction, and no write path knows about indexes.
 * A file with indexes cannot be written by a whimbrel that lacks
 * wb_ix_key: its writes fail rather than leave the index stale.
 *
 * Reads join the index with the table and project the item (index.c);
 * the order is (isk, pk, sk) within a partition of the index, (ih, ipk,
 * isk, pk, sk) for a scan, and a page's last_key holds the table's and the
 * index's keys.  Names reach SQL as validated identifiers, attribute names
 * as quoted literals (%Q) inside the triggers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"
#include "index.h"

static const char *const type_letters[] = {"S", "N", "B"};
static const char *const proj_names[] = {"ALL", "KEYS_ONLY", "INCLUDE"};

#define IX_CATALOG "CREATE TABLE IF NOT EXISTS wb_indexes(" \
	" id INTEGER PRIMARY KEY AUTOINCREMENT, table_id INTEGER NOT NULL, name TEXT NOT NULL," \
	" local INTEGER NOT NULL, pk_name TEXT NOT NULL, pk_type TEXT NOT NULL," \
	" sk_name TEXT NOT NULL, sk_type TEXT NOT NULL, projection TEXT NOT NULL," \
	" attrs BLOB NOT NULL, UNIQUE(table_id, name))"

/* ------------------------------------------------------------ SQL functions */

/* Refuse a write's index key: the statement fails with msg, mapped to WB_EINVALID. */
static void ix_refuse(sqlite3_context *ctx, struct sq *s, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->ix_failed = 1;
	sqlite3_result_error(ctx, msg, -1);
}

/*
 * The item stored as the bytes v, decoded once for the keys the triggers
 * ask of it: two entries, for the OLD and the NEW item of an update.
 */
static const wb_item *ix_item(struct sq *s, sqlite3_value *v)
{
	const void *p = sqlite3_value_blob(v);
	size_t len = (size_t)sqlite3_value_bytes(v);
	wb_item *item = NULL;
	int i;

	for (i = 0; i < 2; i++)
		if (s->ix_item[i] && len && s->ix_bytes[i].len == len && memcmp(s->ix_bytes[i].data, p, len) == 0)
			return s->ix_item[i];
	if (wb__item_decode(&item, p, len) < 0)
		return NULL;
	i = s->ix_next;
	s->ix_next = !i;
	wb_item_free(s->ix_item[i]);
	s->ix_item[i] = NULL;
	s->ix_bytes[i].len = 0;
	if (wb__buf_append(&s->ix_bytes[i], p, len) < 0) {
		wb_item_free(item);
		return NULL;
	}
	return s->ix_item[i] = item;
}

void wb__sq_ix_cache_free(struct sq *s)
{
	for (int i = 0; i < 2; i++) {
		wb_item_free(s->ix_item[i]);
		s->ix_item[i] = NULL;
		wb__buf_free(&s->ix_bytes[i]);
	}
}

/* SQL wb_ix_key(item, index, attribute, type): the stored bytes of a key attribute, or NULL. */
void wb__sq_fn_ix_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq *s = sqlite3_user_data(ctx);
	const char *ix = (const char *)sqlite3_value_text(argv[1]);
	const char *attr = (const char *)sqlite3_value_text(argv[2]);
	wb_type t = (wb_type)sqlite3_value_int(argv[3]);
	const wb_item *item = ix_item(s, argv[0]);
	const wb_value *v;
	wb_buf b = {0};
	size_t len;
	const char *p;

	WB_UNUSED(argc);
	if (!item || !ix || !attr) {
		sqlite3_result_error(ctx, "index key: the stored item does not decode", -1);
		return;
	}
	if (!(v = wb_item_get(item, attr))) {
		sqlite3_result_null(ctx);
		return;
	}
	if (wb_value_type(v) != t) {
		ix_refuse(ctx, s, "index %s: key attribute '%s' must be of type %s, not %s", ix, attr,
			  wb_type_name(t), wb_type_name(wb_value_type(v)));
		return;
	}
	if (t == WB_N) {
		if (wb__key_encode(&b, v) < 0)
			sqlite3_result_error_nomem(ctx);
		else
			sqlite3_result_blob(ctx, b.data, (int)b.len, SQLITE_TRANSIENT);
		wb__buf_free(&b);
		return;
	}
	if (!(p = wb_value_bytes(v, &len)) || len == 0) {
		ix_refuse(ctx, s, "index %s: key attribute '%s' is empty", ix, attr);
		return;
	}
	sqlite3_result_blob(ctx, p, (int)len, SQLITE_TRANSIENT);
}

/* SQL wb_ix_hash(ipk): the hash of an index partition key, as h of a table's. */
void wb__sq_fn_ix_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	WB_UNUSED(argc);
	sqlite3_result_int64(ctx, key_hash(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0])));
}

/* ---------------------------------------------------------------- catalog */

static wb_type type_of(const char *t)
{
	return t && t[0] == 'N' ? WB_N : t && t[0] == 'B' ? WB_B : WB_S;
}

/* Run one SQL text (several statements); failures are the operation's. */
static int ix_exec(wb_db *db, const char *sql, const struct op *op)
{
	struct sq *s = db->state;
	int rc = sql ? sqlite3_exec(s->conn, sql, NULL, NULL, NULL) : SQLITE_NOMEM;

	return rc == SQLITE_OK ? 0 : wb__sq_fail(db, rc, op);
}

/* *exists = 1 when the file has the catalog of indexes. */
static int ix_catalog_exists(wb_db *db, int *exists, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = wb__sq_prepare(db, &st, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
				 " AND name = 'wb_indexes'", op)) < 0)
		return rc;
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : wb__sq_fail(db, rc, op);
	sqlite3_finalize(st);
	return rc;
}

void wb__sq_ix_free(struct tbl *t)
{
	for (size_t i = 0; i < t->nix; i++)
		wb__index_clear(&t->ix[i].def);
	free(t->ix);
	t->ix = NULL;
	t->nix = 0;
	t->ix_loaded = 0;
}

/* The projected attribute names of a catalog row (NUL-terminated names one after another). */
static int ix_attrs_read(wb_index *d, const char *p, size_t len)
{
	size_t n = 0;
	char **attrs;

	for (size_t i = 0; i < len; i++)
		n += p[i] == '\0';
	if (n == 0)
		return 0;
	if (!(attrs = wb__calloc(n, sizeof(*attrs))))
		return WB_ENOMEM;
	d->attrs = (const char *const *)attrs;
	for (size_t i = 0, at = 0; i < n; i++, d->nattrs++) {
		if (!(attrs[i] = wb__strdup(p + at)))
			return WB_ENOMEM;
		at += strlen(p + at) + 1;
	}
	return 0;
}

/* One catalog row (id, name, local, pk_name, pk_type, sk_name, sk_type, projection, attrs). */
static int ix_row(sqlite3_stmt *st, struct sq_ix *x)
{
	wb_index *d = &x->def;
	const char *proj = (const char *)sqlite3_column_text(st, 7);

	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	snprintf(d->name, sizeof(d->name), "%s", sqlite3_column_text(st, 1));
	d->local = sqlite3_column_int(st, 2);
	snprintf(d->key.pk_name, sizeof(d->key.pk_name), "%s", sqlite3_column_text(st, 3));
	d->key.pk_type = type_of((const char *)sqlite3_column_text(st, 4));
	snprintf(d->key.sk_name, sizeof(d->key.sk_name), "%s", sqlite3_column_text(st, 5));
	d->key.sk_type = type_of((const char *)sqlite3_column_text(st, 6));
	d->projection = proj && strcmp(proj, "KEYS_ONLY") == 0 ? WB_PROJECT_KEYS :
			proj && strcmp(proj, "INCLUDE") == 0 ? WB_PROJECT_INCLUDE : WB_PROJECT_ALL;
	return ix_attrs_read(d, sqlite3_column_blob(st, 8), (size_t)sqlite3_column_bytes(st, 8));
}

/* Read t's indexes from the catalog (once per cached table). */
static int ix_load(wb_db *db, struct tbl *t, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, exists;

	if (t->ix_loaded)
		return 0;
	if ((rc = ix_catalog_exists(db, &exists, op)) < 0)
		return rc;
	if (exists && (rc = wb__sq_prepare(db, &st, "SELECT id, name, local, pk_name, pk_type, sk_name,"
					   " sk_type, projection, attrs FROM wb_indexes WHERE table_id = ?1"
					   " ORDER BY name", op)) < 0)
		return rc;
	if (exists)
		sqlite3_bind_int64(st, 1, t->id);
	while (exists && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t->nix == cap) {
			struct sq_ix *p = wb__realloc(t->ix, (cap = cap ? 2 * cap : 4) * sizeof(*p));
			if (!p)
				goto oom;
			t->ix = p;
		}
		if (ix_row(st, &t->ix[t->nix++]) < 0)
			goto oom;
	}
	rc = !exists || rc == SQLITE_DONE ? 0 : wb__sq_fail(db, rc, op);
	sqlite3_finalize(st);
	if (rc < 0) {
		wb__sq_ix_free(t);
		return rc;
	}
	t->ix_loaded = 1;
	return 0;
oom:
	sqlite3_finalize(st);
	wb__sq_ix_free(t);
	return wb__oom(db);
}

int wb__sq_ix_get(wb_db *db, struct tbl *t, const char *name, const struct sq_ix **out, const struct op *op)
{
	int rc;

	if ((rc = ix_load(db, t, op)) < 0)
		return rc;
	for (size_t i = 0; i < t->nix; i++) {
		if (strcmp(t->ix[i].def.name, name) == 0) {
			*out = &t->ix[i];
			return 0;
		}
	}
	return wb__error(db, WB_EINVALID, "%s: table %s has no index '%s'", OPNAME(op), t->name, name);
}

/* ------------------------------------------------------------------ create */

/* The catalog row of index ix of table t; *id is its id. */
static int ix_insert_row(wb_db *db, const struct tbl *t, const wb_index *ix, int64_t *id, const struct op *op)
{
	struct sq *s = db->state;
	sqlite3_stmt *st = NULL;
	wb_buf attrs = {0};
	int rc = 0;

	for (size_t i = 0; i < ix->nattrs && rc == 0; i++)
		rc = wb__buf_append(&attrs, ix->attrs[i], strlen(ix->attrs[i]) + 1);
	if (rc < 0)
		return wb__oom(db);
	if ((rc = wb__sq_prepare(db, &st, "INSERT INTO wb_indexes(table_id, name, local, pk_name, pk_type,"
				 " sk_name, sk_type, projection, attrs) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				 op)) == 0) {
		sqlite3_bind_int64(st, 1, t->id);
		sqlite3_bind_text(st, 2, ix->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, ix->local != 0);
		sqlite3_bind_text(st, 4, ix->key.pk_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, type_letters[ix->key.pk_type], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, ix->key.sk_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, ix->key.sk_name[0] ? type_letters[ix->key.sk_type] : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, proj_names[ix->projection], -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 9, attrs.data ? (const void *)attrs.data : "", (int)attrs.len, SQLITE_STATIC);
		rc = wb__sq_run(db, st, op);
		*id = sqlite3_last_insert_rowid(s->conn);
	}
	sqlite3_finalize(st);
	wb__buf_free(&attrs);
	return rc;
}

/* wb_ix_key(ROW.item, ...) of the index's partition key (sk 0) or sort key (sk 1; X'' without). */
static char *ix_key_expr(const wb_index *ix, const char *row, int sk)
{
	if (sk && !ix->key.sk_name[0])
		return sqlite3_mprintf("X''");
	return sqlite3_mprintf("wb_ix_key(%s.item, %Q, %Q, %d)", row, ix->name,
			       sk ? ix->key.sk_name : ix->key.pk_name, (int)(sk ? ix->key.sk_type : ix->key.pk_type));
}

/* The statements of the triggers: add NEW's entry, remove OLD's; the condition of an update. */
static int ix_trigger_sql(const wb_index *ix, long long id, char **add, char **del, char **changed)
{
	char *np = ix_key_expr(ix, "NEW", 0), *ns = ix_key_expr(ix, "NEW", 1);
	char *op = ix_key_expr(ix, "OLD", 0), *os = ix_key_expr(ix, "OLD", 1);
	int rc = np && ns && op && os ? 0 : WB_ENOMEM;

	*add = *del = *changed = NULL;
	if (rc == 0) {
		*add = sqlite3_mprintf("INSERT INTO \"x%lld\"(ih, ipk, isk, h, pk, sk) SELECT wb_ix_hash(a), a, b,"
				       " NEW.h, NEW.pk, NEW.sk FROM (SELECT %s AS a, %s AS b)"
				       " WHERE a IS NOT NULL AND b IS NOT NULL;", id, np, ns);
		*del = sqlite3_mprintf("DELETE FROM \"x%lld\" WHERE ih = wb_ix_hash(%s) AND ipk = %s AND isk = %s"
				       " AND pk = OLD.pk AND sk = OLD.sk;", id, op, op, os);
		*changed = sqlite3_mprintf("%s IS NOT %s OR %s IS NOT %s", op, np, os, ns);
		rc = *add && *del && *changed ? 0 : WB_ENOMEM;
	}
	sqlite3_free(np);
	sqlite3_free(ns);
	sqlite3_free(op);
	sqlite3_free(os);
	return rc;
}

/*
 * The index table of catalog id `id` on table t, and the triggers that keep
 * it.  An update that leaves the index keys as they were does not touch it.
 */
static int ix_make_table(wb_db *db, const struct tbl *t, const wb_index *ix, long long id, const struct op *op)
{
	char *add = NULL, *del = NULL, *changed = NULL, *sql = NULL;
	long long tid = (long long)t->id;
	int rc = ix_trigger_sql(ix, id, &add, &del, &changed);

	if (rc == 0)
		sql = sqlite3_mprintf(
			"CREATE TABLE \"x%lld\"(ih INTEGER NOT NULL, ipk BLOB NOT NULL, isk BLOB NOT NULL,"
			" h INTEGER NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,"
			" PRIMARY KEY(ih, ipk, isk, pk, sk)) WITHOUT ROWID;"
			"CREATE TRIGGER \"x%lld_ins\" AFTER INSERT ON \"t%lld_%s\" BEGIN %s END;"
			"CREATE TRIGGER \"x%lld_upd\" AFTER UPDATE OF item ON \"t%lld_%s\" WHEN %s BEGIN %s %s END;"
			"CREATE TRIGGER \"x%lld_del\" AFTER DELETE ON \"t%lld_%s\" BEGIN %s END;",
			id, id, tid, t->name, add, id, tid, t->name, changed, del, add, id, tid, t->name, del);
	rc = sql ? ix_exec(db, sql, op) : wb__oom(db);
	sqlite3_free(add);
	sqlite3_free(del);
	sqlite3_free(changed);
	sqlite3_free(sql);
	return rc;
}

static int create_ix_in_tx(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix,
			   size_t n, const struct op *op)
{
	struct tbl t = {0};
	int64_t id = 0;
	int rc;

	if ((rc = wb__sq_create_in_tx(db, name, key, op)) < 0 || (rc = ix_exec(db, IX_CATALOG, op)) < 0 ||
	    (rc = wb__sq_catalog_lookup(db, name, &t, op)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = ix_insert_row(db, &t, &ix[i], &id, op)) == 0)
			rc = ix_make_table(db, &t, &ix[i], (long long)id, op);
	return rc;
}

int wb__sq_table_create_ix(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix,
			   size_t n)
{
	struct op op = {"create table", name, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = create_ix_in_tx(db, name, key, ix, n, &op));
	return rc;
}

/* ------------------------------------------------------------ list, drop */

static int indexes_in_tx(wb_db *db, const char *name, wb_index **out, size_t *count, const struct op *op)
{
	struct tbl *t;
	wb_index *ix;
	int rc;

	if ((rc = wb__sq_tbl_get(db, name, &t, op)) < 0 || (rc = ix_load(db, t, op)) < 0 || t->nix == 0)
		return rc;
	if (!(ix = wb__calloc(t->nix, sizeof(*ix))))
		return wb__oom(db);
	for (size_t i = 0; i < t->nix; i++) {
		if (wb__index_copy(&ix[i], &t->ix[i].def) < 0) {
			wb_indexes_free(ix, i + 1);
			return wb__oom(db);
		}
	}
	*out = ix;
	*count = t->nix;
	return 0;
}

int wb__sq_table_indexes(wb_db *db, const char *name, wb_index **out, size_t *count)
{
	struct op op = {"describe table", name, -1};
	int rc;

	LOCKED_TX(db, 0, &op, rc = indexes_in_tx(db, name, out, count, &op));
	return rc;
}

/* The catalog ids of t's indexes (*ids the caller's). */
static int ix_ids(wb_db *db, const struct tbl *t, int64_t **ids, size_t *n, const struct op *op)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = wb__sq_prepare(db, &st, "SELECT id FROM wb_indexes WHERE table_id = ?1", op)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, t->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *p = wb__realloc(*ids, (cap = cap ? 2 * cap : 8) * sizeof(*p));
			if (!p) {
				sqlite3_finalize(st);
				return wb__oom(db);
			}
			*ids = p;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : wb__sq_fail(db, rc, op);
	sqlite3_finalize(st);
	return rc;
}

int wb__sq_ix_drop(wb_db *db, const struct tbl *t, const struct op *op)
{
	int64_t *ids = NULL;
	size_t n = 0;
	char *sql;
	int rc, exists;

	if ((rc = ix_catalog_exists(db, &exists, op)) < 0 || !exists)
		return rc;
	if ((rc = ix_ids(db, t, &ids, &n, op)) < 0) {
		free(ids);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		sql = sqlite3_mprintf("DROP TABLE \"x%lld\"", (long long)ids[i]);
		rc = ix_exec(db, sql, op);
		sqlite3_free(sql);
	}
	free(ids);
	if (rc == 0) {
		sql = sqlite3_mprintf("DELETE FROM wb_indexes WHERE table_id = %lld", (long long)t->id);
		rc = ix_exec(db, sql, op);
		sqlite3_free(sql);
	}
	return rc;
}

/* ------------------------------------------------------------------- reads */

/* The next row of st into page (projected), or its last_key when the page is full. */
static int ix_add_row(wb_db *db, const struct tbl *t, const struct sq_ix *x, sqlite3_stmt *st, size_t limit,
		      wb_page *page, size_t *cap, int *full, const struct op *op)
{
	wb_item *item = NULL, *p;
	int rc;

	if (page->count == limit) {
		*full = 1;
		if (!(page->last_key = wb__index_cursor(page->items[limit - 1], &t->key, &x->def)))
			return wb__sq_fail_nested(db, wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM, op);
		return 0;
	}
	if (page->count == *cap) {
		wb_item **items = wb__realloc(page->items, (*cap = *cap ? *cap * 2 : 64) * sizeof(*items));
		if (!items)
			return wb__oom(db);
		page->items = items;
	}
	if ((rc = wb__sq_decode_col(db, st, 0, &item, op)) < 0)
		return rc;
	if (x->def.projection == WB_PROJECT_ALL) {
		page->items[page->count++] = item;
		return 0;
	}
	p = wb__index_project(item, &t->key, &x->def);
	wb_item_free(item);
	if (!p)
		return wb__oom(db);
	page->items[page->count++] = p;
	return 0;
}

/* Run st (bound; LIMIT limit + 1) into a new page *out. */
static int ix_collect(wb_db *db, const struct tbl *t, const struct sq_ix *x, sqlite3_stmt *st, size_t limit,
		      wb_page **out, const struct op *op)
{
	wb_page *page = wb__calloc(1, sizeof(*page));
	size_t cap = 0;
	int rc = 0, full = 0;

	if (!page)
		return wb__oom(db);
	while (rc == 0 && !full && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = ix_add_row(db, t, x, st, limit, page, &cap, &full, op);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = wb__sq_fail(db, rc, op);
	if (rc < 0) {
		wb_page_free(page);
		return rc;
	}
	*out = page;
	return 0;
}

/* Prepare a read of index x of t: fmt's %1$lld is x's id, %2$s the table's quoted name. */
static int ix_prepare(wb_db *db, const struct tbl *t, const struct sq_ix *x, sqlite3_stmt **st,
		      const char *fmt, const char *a, const char *b, const char *c, const struct op *op)
{
	char tname[WB_NAME_MAX + 32], sql[1200];

	snprintf(tname, sizeof(tname), "\"t%lld_%s\"", (long long)t->id, t->name);
	snprintf(sql, sizeof(sql), fmt, (long long)x->id, tname, a, b, c);
	return wb__sq_prepare(db, st, sql, op);
}

#define IX_SELECT "SELECT m.item FROM \"x%1$lld\" AS x JOIN %2$s AS m" \
	" ON m.h = x.h AND m.pk = x.pk AND m.sk = x.sk WHERE "

/*
 * The stored bytes of index key attribute `name` (type t) of a cursor item,
 * into kbuf[slot]; "" when the index has no such key.
 */
static int ix_cursor_part(wb_db *db, const wb_item *cur, const char *name, wb_type t, int slot,
			  const void **p, size_t *len, const struct op *op)
{
	struct sq *s = db->state;
	const wb_value *v;

	*p = "";
	*len = 0;
	if (!name[0])
		return 0;
	if (!(v = wb_item_get(cur, name)))
		return wb__error(db, WB_EINVALID, "%s: the paging cursor lacks index key '%s'", OPNAME(op), name);
	return wb__sq_value_bytes(db, v, t, &s->kbuf[slot], p, len, "index key", name, op);
}

/* Bind the cursor (isk, pk, sk) as ?5, ?7, ?8. */
static int ix_bind_cursor(wb_db *db, const struct tbl *t, const struct sq_ix *x, const wb_item *cur,
			  sqlite3_stmt *st, const struct op *op)
{
	struct key k;
	const void *isk;
	size_t isklen;
	int rc;

	if (!cur)
		return 0;
	if ((rc = wb__sq_key_of(db, t, cur, &k, 4, op)) < 0 ||
	    (rc = ix_cursor_part(db, cur, x->def.key.sk_name, x->def.key.sk_type, 1, &isk, &isklen, op)) < 0)
		return rc;
	sqlite3_bind_blob(st, 5, isk, (int)isklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, k.pk, (int)k.pklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, k.sk, (int)k.sklen, SQLITE_STATIC);
	return 0;
}

int wb__sq_ix_query(wb_db *db, wb_page **out, struct tbl *t, const wb_query *q, const struct op *op)
{
	static const char *const lo[] = {"", " AND x.isk >= ?3", " AND x.isk > ?3"};
	static const char *const hi[] = {"", " AND x.isk <= ?4", " AND x.isk < ?4"};
	struct sq *s = db->state;
	size_t limit = q->limit ? q->limit : DEFAULT_PAGE, pklen;
	const char *dir = q->descending ? "DESC" : "ASC";
	const struct sq_ix *x;
	const void *pk;
	sqlite3_stmt *st = NULL;
	struct bounds b;
	char tail[200];
	int rc;

	if ((rc = wb__sq_ix_get(db, t, q->index, &x, op)) < 0 ||
	    (rc = wb__sq_value_bytes(db, q->pk, x->def.key.pk_type, &s->kbuf[0], &pk, &pklen,
				     "index partition key", x->def.key.pk_name, op)) < 0 ||
	    (rc = wb__sq_query_bounds(db, &x->def.key, q, &b, op)) < 0)
		return rc;
	snprintf(tail, sizeof(tail), "%s ORDER BY x.isk %s, x.pk %s, x.sk %s LIMIT ?6",
		 !q->start_after ? "" : q->descending ? " AND (x.isk, x.pk, x.sk) < (?5, ?7, ?8)" :
		 " AND (x.isk, x.pk, x.sk) > (?5, ?7, ?8)", dir, dir, dir);
	if ((rc = ix_prepare(db, t, x, &st, IX_SELECT "x.ih = ?1 AND x.ipk = ?2%3$s%4$s%5$s", lo[b.lo_kind],
			     hi[b.hi_kind], tail, op)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, key_hash(pk, pklen));
	sqlite3_bind_blob(st, 2, pk, (int)pklen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, b.lo ? b.lo : "", (int)b.lolen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, b.hi ? b.hi : "", (int)b.hilen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)limit + 1);
	if ((rc = ix_bind_cursor(db, t, x, q->start_after, st, op)) == 0)
		rc = ix_collect(db, t, x, st, limit, out, op);
	sqlite3_finalize(st);
	return rc;
}

int wb__sq_ix_scan(wb_db *db, wb_page **out, struct tbl *t, const wb_scan *sc, const struct op *op)
{
	struct sq *s = db->state;
	unsigned n = sc->total_segments > 1 ? sc->total_segments : 1;
	size_t limit = sc->limit ? sc->limit : DEFAULT_PAGE, plen = sc->pk_prefix ? strlen(sc->pk_prefix) : 0;
	const struct sq_ix *x;
	const void *ipk;
	size_t ipklen;
	sqlite3_stmt *st = NULL;
	int rc, has = 0;

	if ((rc = wb__sq_ix_get(db, t, sc->index, &x, op)) < 0)
		return rc;
	if (plen && x->def.key.pk_type == WB_N)
		return wb__error(db, WB_EINVALID, "%s: a key prefix needs an index partition key of type S or B,"
				 " not N", OPNAME(op));
	s->kbuf[2].len = s->kbuf[3].len = 0;
	if (plen && (wb__buf_append(&s->kbuf[2], sc->pk_prefix, plen) < 0 ||
		     wb__sq_successor(&s->kbuf[3], sc->pk_prefix, plen, &has) < 0))
		return wb__oom(db);
	if ((rc = ix_prepare(db, t, x, &st, IX_SELECT "x.ih >= ?1 AND x.ih < ?2%3$s%4$s%5$s"
			     " ORDER BY x.ih, x.ipk, x.isk, x.pk, x.sk LIMIT ?6", plen ? " AND x.ipk >= ?3" : "",
			     has ? " AND x.ipk < ?4" : "", sc->start_after ?
			     " AND (x.ih, x.ipk, x.isk, x.pk, x.sk) > (?10, ?11, ?5, ?7, ?8)" : "", op)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)(HASH_SPAN * sc->segment / n));
	sqlite3_bind_int64(st, 2, (int64_t)(HASH_SPAN * (sc->segment + 1) / n));
	sqlite3_bind_blob(st, 3, s->kbuf[2].data ? (const void *)s->kbuf[2].data : "", (int)s->kbuf[2].len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, s->kbuf[3].data ? (const void *)s->kbuf[3].data : "", (int)s->kbuf[3].len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)limit + 1);
	if (sc->start_after &&
	    (rc = ix_cursor_part(db, sc->start_after, x->def.key.pk_name, x->def.key.pk_type, 0, &ipk, &ipklen, op)) == 0) {
		sqlite3_bind_int64(st, 10, key_hash(ipk, ipklen));
		sqlite3_bind_blob(st, 11, ipk, (int)ipklen, SQLITE_STATIC);
	}
	if (rc == 0 && (rc = ix_bind_cursor(db, t, x, sc->start_after, st, op)) == 0)
		rc = ix_collect(db, t, x, st, limit, out, op);
	sqlite3_finalize(st);
	return rc;
}
