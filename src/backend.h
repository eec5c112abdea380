/*
 * backend.h - the interface every storage backend implements.
 *
 * A backend is one versioned table of function pointers (version field
 * first, so the table can grow).  store.c validates arguments common to all
 * backends (table names, keys, items) and then dispatches here, so a backend
 * can assume its inputs are well formed.  A backend may also wrap another
 * handle (the plan interceptor, the fault injector in tests): its state then
 * holds the inner wb_db and forwards to it with the public wb_* calls.
 *
 * Every operation returns 0 or a negative WB_E* code and reports failures
 * with wb__error(db, ...).  Pointers returned through `out` are the caller's.
 */
#ifndef WB_BACKEND_H
#define WB_BACKEND_H

#include <pthread.h>
#include "whimbrel.h"

#define WB_BACKEND_OPS_VERSION 1

struct wb_backend_ops {
	unsigned int version; /**< WB_BACKEND_OPS_VERSION */
	const char *name;     /**< "sqlite", "dynamodb", ... */

	/** Open: parse `url` and set db->state. */
	int (*open)(wb_db *db, const char *url);
	/** Release db->state (db itself is freed by store.c). */
	void (*close)(wb_db *db);

	int (*table_create)(wb_db *db, const char *name, const wb_key_schema *key);
	int (*table_describe)(wb_db *db, const char *name, wb_table_desc *out);
	/** Sorted names, NULL-terminated array (see wb_table_list). */
	int (*table_list)(wb_db *db, char ***out, size_t *count);
	int (*table_drop)(wb_db *db, const char *name);

	int (*get)(wb_db *db, wb_item **out, const char *table, const wb_item *key);
	int (*put)(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond);
	int (*del)(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond);
	int (*update)(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		      const char *const *remove, size_t nremove, const wb_cond *cond);
	int (*batch_write)(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);

	int (*query_page)(wb_db *db, wb_page **out, const char *table, const wb_query *q);
	int (*scan_page)(wb_db *db, wb_page **out, const char *table, const wb_scan *s);

	/*
	 * Bulk load (wb_load_*), optional: without it load.c spools the items
	 * and writes them with batch_write.  begin makes the backend's state
	 * (*out), add takes an item already validated against `key`, commit
	 * writes them all (*written: how many), calling progress now and then,
	 * and free releases the state whether committed or not.
	 */
	int (*load_begin)(wb_db *db, void **out, const char *table, const wb_key_schema *key);
	int (*load_add)(wb_db *db, void *state, const wb_item *item);
	int (*load_commit)(wb_db *db, void *state, wb_load_fn progress, void *arg, uint64_t *written);
	void (*load_free)(wb_db *db, void *state);
};

/** A store handle: the backend, its state and the last error message. */
struct wb_db {
	const struct wb_backend_ops *ops; /**< the backend */
	void *state;                      /**< backend-owned state */
	char *url;                        /**< URL as opened (never holds secrets) */
	pthread_mutex_t lock;             /**< guards errmsg (readers too: wb_errmsg) */
	char errmsg[1024];                /**< last error on this handle */
};

/**
 * Make a handle over a given backend: used by wrapping backends (plan,
 * fault injection), which call ops->open themselves with their own URL.
 */
int wb__db_open_with(wb_db **out, const struct wb_backend_ops *ops, const char *url);

/** Check a table name and key schema (as wb_table_create does); 0 or WB_EINVALID. */
int wb__key_schema_check(wb_db *db, const char *table, const wb_key_schema *key);

/** The backends compiled in. */
extern const struct wb_backend_ops wb_backend_sqlite;
extern const struct wb_backend_ops wb_backend_dynamodb;

#endif /* WB_BACKEND_H */
