/*
 * wrap.c - the pass-through operations of the runner's wrapping backends
 * (see wrap.h): each calls the public API on the inner handle and carries
 * a failure's message up to the wrapper.
 */
#include "common.h"
#include "wrap.h"

int wb__wrap_fwd(wb_db *db, int rc)
{
	return rc < 0 ? wb__error_to_db(db, rc) : rc;
}

int wb__wrap_open(wb_db *db, const char *url)
{
	WB_UNUSED(url);
	db->state = NULL;
	return 0;
}

int wb__wrap_table_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	return wb__wrap_fwd(db, wb_table_create(WB_WRAP_INNER(db), name, key));
}

int wb__wrap_table_create_ix(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix, size_t n)
{
	wb_table_options o = WB_TABLE_OPTIONS_INIT;

	o.indexes = ix;
	o.nindexes = n;
	return wb__wrap_fwd(db, wb_table_create_opts(WB_WRAP_INNER(db), name, key, &o));
}

int wb__wrap_table_describe(wb_db *db, const char *name, wb_table_desc *out)
{
	return wb__wrap_fwd(db, wb_table_describe(out, WB_WRAP_INNER(db), name));
}

int wb__wrap_table_indexes(wb_db *db, const char *name, wb_index **out, size_t *count)
{
	return wb__wrap_fwd(db, wb_table_indexes(out, count, WB_WRAP_INNER(db), name));
}

int wb__wrap_table_list(wb_db *db, char ***out, size_t *count)
{
	return wb__wrap_fwd(db, wb_table_list(out, count, WB_WRAP_INNER(db)));
}

int wb__wrap_table_drop(wb_db *db, const char *name)
{
	return wb__wrap_fwd(db, wb_table_drop(WB_WRAP_INNER(db), name));
}

int wb__wrap_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	return wb__wrap_fwd(db, wb_get(out, WB_WRAP_INNER(db), table, key));
}

int wb__wrap_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	return wb__wrap_fwd(db, wb_query_page(out, WB_WRAP_INNER(db), table, q));
}

int wb__wrap_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *s)
{
	return wb__wrap_fwd(db, wb_scan_page(out, WB_WRAP_INNER(db), table, s));
}
