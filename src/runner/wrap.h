/*
 * wrap.h - the parts shared by the runner's wrapping backends (backend.h):
 * handles over another handle, which pass most calls through to it and
 * intercept a few (the journal of a migration's own writes, journal_wrap.c;
 * the recorder of a plan, plan.c).  Internal API; implemented in wrap.c.
 *
 * A wrapping backend's state starts with a struct wb__wrap, so that the
 * pass-through operations below find the inner handle whatever else the
 * state holds.  They report the inner handle's failure on the wrapper, so
 * that wb_errmsg() of the handle the caller holds says what went wrong.
 */
#ifndef WB_WRAP_H
#define WB_WRAP_H

#include "backend.h"

/** The first member of every wrapping backend's state. */
struct wb__wrap {
	wb_db *inner; /* the real handle (not owned) */
};

/** The handle under wrapper db. */
#define WB_WRAP_INNER(db) (((struct wb__wrap *)(db)->state)->inner)

/** rc, and when it is a failure, the inner handle's message copied onto db. */
int wb__wrap_fwd(wb_db *db, int rc);

/** Open: the state is set by the wrapper's constructor, after wb__db_open_with. */
int wb__wrap_open(wb_db *db, const char *url);

/* Pass-through operations, for a wrapper's wb_backend_ops. */
int wb__wrap_table_create(wb_db *db, const char *name, const wb_key_schema *key);
int wb__wrap_table_create_ix(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix,
			     size_t n);
int wb__wrap_table_describe(wb_db *db, const char *name, wb_table_desc *out);
int wb__wrap_table_indexes(wb_db *db, const char *name, wb_index **out, size_t *count);
int wb__wrap_table_list(wb_db *db, char ***out, size_t *count);
int wb__wrap_table_drop(wb_db *db, const char *name);
int wb__wrap_get(wb_db *db, wb_item **out, const char *table, const wb_item *key);
int wb__wrap_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q);
int wb__wrap_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *s);

#endif
