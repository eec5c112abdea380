/*
 * sqlite_tables.c - the embedded backend's tables: create, describe, list
 * and drop.
 *
 * A whimbrel table is a row of the catalog wb_tables and an SQLite table
 * "t<id>_<name>" with its (pk, sk) index (layout: sqlite_open.c).  Creating
 * and dropping change the schema, which makes every handle drop its cached
 * statements at its next transaction.  A table's secondary indexes are
 * created and dropped with it (sqlite_index.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"

/* ---------------------------------------------------------------- tables */

/* Create table `name` in an open write transaction (also of tables with indexes: sqlite_index.c). */
int wb__sq_create_in_tx(wb_db *db, const char *name, const wb_key_schema *key, const struct op *op)
{
	static const char *const tn[] = {"S", "N", "B"};
	struct sq *s = db->state;
	struct tbl t = {0};
	sqlite3_stmt *st = NULL;
	int rc = wb__sq_catalog_lookup(db, name, &t, op);

	if (rc == 0)
		return wb__error(db, WB_EEXISTS, "%s: table %s already exists in %s", OPNAME(op), name, s->path);
	if (rc != WB_ENOTFOUND)
		return rc;
	if ((rc = wb__sq_prepare(db, &st, "INSERT INTO wb_tables(name, pk_name, pk_type, sk_name, sk_type)"
			  " VALUES(?1, ?2, ?3, ?4, ?5)", op)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key->pk_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tn[key->pk_type], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key->sk_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, key->sk_name[0] ? tn[key->sk_type] : "", -1, SQLITE_STATIC);
	rc = wb__sq_run(db, st, op);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0)
		return rc;
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.id = sqlite3_last_insert_rowid(s->conn);
	if ((rc = wb__sq_prepare_tbl(db, &t, &st, "CREATE TABLE %1$s(h INTEGER NOT NULL, pk BLOB NOT NULL,"
			      " sk BLOB NOT NULL, item BLOB NOT NULL, PRIMARY KEY(h, pk, sk)) WITHOUT ROWID", op)) < 0)
		return rc;
	rc = wb__sq_run(db, st, op);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0 || (rc = wb__sq_prepare_tbl(db, &t, &st, "CREATE INDEX %2$s ON %1$s(pk, sk)", op)) < 0)
		return rc;
	rc = wb__sq_run(db, st, op);
	sqlite3_finalize(st);
	return rc;
}

int wb__sq_table_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	struct op op = {"create table", name, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = wb__sq_create_in_tx(db, name, key, &op));
	return rc;
}

static int describe_in_tx(wb_db *db, const char *name, wb_table_desc *out, const struct op *op)
{
	struct tbl *t;
	int rc;

	if ((rc = wb__sq_tbl_get(db, name, &t, op)) < 0 ||
	    (rc = wb__sq_prepare_tbl(db, t, &t->count, "SELECT COUNT(*) FROM %1$s", op)) < 0)
		return rc;
	if ((rc = sqlite3_step(t->count)) != SQLITE_ROW) {
		rc = wb__sq_fail(db, rc, op);
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

int wb__sq_table_describe(wb_db *db, const char *name, wb_table_desc *out)
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

	if ((rc = wb__sq_prepare(db, &st, "SELECT name FROM wb_tables ORDER BY name", op)) < 0)
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
	rc = rc == SQLITE_DONE ? 0 : wb__sq_fail(db, rc, op);
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

int wb__sq_table_list(wb_db *db, char ***out, size_t *count)
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

	if ((rc = wb__sq_catalog_lookup(db, name, &t, op)) < 0)
		return rc;
	wb__sq_cache_flush(s); /* no statement may stay open on the dropped table */
	s->schema_version = -1;
	if ((rc = wb__sq_ix_drop(db, &t, op)) < 0 ||
	    (rc = wb__sq_prepare_tbl(db, &t, &st, "DROP TABLE %1$s", op)) < 0)
		return rc;
	rc = wb__sq_run(db, st, op);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0 || (rc = wb__sq_prepare(db, &st, "DELETE FROM wb_tables WHERE id = ?1", op)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, t.id);
	rc = wb__sq_run(db, st, op);
	sqlite3_finalize(st);
	return rc;
}

int wb__sq_table_drop(wb_db *db, const char *name)
{
	struct op op = {"drop table", name, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = drop_in_tx(db, name, &op));
	return rc;
}
