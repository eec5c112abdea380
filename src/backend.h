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
 *
 * Capabilities (`caps`, WB_CAP_* bits) tell the layers above what a backend
 * guarantees, so that they never need to know its name: whether a batch is
 * one transaction, whether the store takes one writer at a time.  Two
 * operations are optional (NULL when absent): each_page transforms one page
 * of a scan inside one write transaction (the migration fast path), and
 * tx_write writes inside that transaction from one of its hooks.  A wrapper
 * declares only what it honours itself (plan intercepts writes: no
 * each_page), never its inner handle's capabilities.
 *
 * Secondary indexes (version 3) are two more optional operations:
 * table_create_ix creates a table with indexes (store.c has checked the
 * definitions; without it, creating one fails), table_indexes lists a
 * table's (without it, a table has none).  Reads of an index come through
 * query_page and scan_page with wb_query.index / wb_scan.index set.
 */
#ifndef WB_BACKEND_H
#define WB_BACKEND_H

#include <pthread.h>
#include "whimbrel.h"

#define WB_BACKEND_OPS_VERSION 3

/* Capabilities: the bits of wb_backend_ops.caps. */
#define WB_CAP_ATOMIC_BATCH 0x1u /**< batch_write is one transaction: all of it or nothing */
#define WB_CAP_ONE_WRITER   0x2u /**< one writer at a time per store: more writers only wait */

/** What one each_page call did. */
typedef struct wb__page_result {
	size_t scanned;     /**< items the callback saw */
	size_t written;     /**< items rewritten (WB_WRITE) */
	size_t deleted;     /**< items deleted (WB_DELETE) */
	wb_item *last_key;  /**< key to continue after (caller frees), NULL when the scan is done */
	int again;          /**< on failure: 1 when it failed only because the callback wrote to the
	                         same store through another handle: the page done again without
	                         each_page works (0 otherwise: the failure stands) */
} wb__page_result;

/** Hooks run inside the page's transaction of each_page (all optional). */
typedef struct wb__page_hooks {
	/**
	 * After the page's changes, once per changed item, in scan order:
	 * `before` as read, `after` as written (NULL when deleted).  Both are
	 * valid during the call only.  May write with wb__db_tx_write (the
	 * journal).  A negative return rolls the page back.
	 */
	int (*on_change)(wb_db *db, const wb_item *before, const wb_item *after, void *arg);
	/** Last, before COMMIT: may write with wb__db_tx_write (the checkpoint). */
	int (*before_commit)(wb_db *db, const wb__page_result *page, void *arg);
	void *arg;          /**< passed to both */
	/**
	 * 1: the pages of a dev run (a local copy): from this page on, the
	 * handle may commit without waiting for the disk (SQLite:
	 * synchronous=OFF and a shorter WAL between checkpoints).  Every page
	 * stays one transaction with its hooks' writes: a crash of the process
	 * loses nothing committed and never leaves half a page; only a crash
	 * of the machine (or a power loss) may lose or damage the copy.
	 */
	int dev;
} wb__page_hooks;

struct wb_backend_ops {
	unsigned int version; /**< WB_BACKEND_OPS_VERSION */
	const char *name;     /**< "sqlite", "dynamodb", ... (for messages only) */
	unsigned int caps;    /**< WB_CAP_* bits */

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

	/**
	 * Optional: transform one page of a scan in one write transaction (see
	 * wb__db_each_page; store.c has validated the arguments).
	 */
	int (*each_page)(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
			 const wb__page_hooks *hooks, wb__page_result *out);
	/** Optional, with each_page: write inside its transaction (see wb__db_tx_write). */
	int (*tx_write)(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);

	/** Optional: create a table with n (checked) secondary indexes. */
	int (*table_create_ix)(wb_db *db, const char *name, const wb_key_schema *key,
			       const wb_index *ix, size_t n);
	/** Optional: a table's indexes (wb_table_indexes: sorted, the caller's). */
	int (*table_indexes)(wb_db *db, const char *name, wb_index **out, size_t *count);

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

	/**
	 * Optional: batch_write telling the fate of every write (see
	 * wb_batch_write_each: results[i] 0, WB_WRITE_NOT_SENT or the code of
	 * its failure).  Without it store.c derives the results from
	 * batch_write's failed_index: with WB_CAP_ATOMIC_BATCH nothing else was
	 * applied, else the writes before it were and none after.
	 */
	int (*batch_write_each)(wb_db *db, const wb_write *writes, size_t n, int *results);

	/*
	 * Snapshots (optional, NULL when the backend keeps no history of its
	 * own): snapshot writes a consistent copy of the whole store into the
	 * new file `path`, openable as a target of the same backend;
	 * snapshot_dir names the directory beside the store where they go.
	 */
	int (*snapshot)(wb_db *db, const char *path);
	int (*snapshot_dir)(wb_db *db, char *buf, size_t size);
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

/** The capabilities (WB_CAP_*) of a handle's backend (of the wrapper, for a wrapper). */
unsigned int wb__db_caps(const wb_db *db);

/**
 * Transform one page of a scan: the items of `sc` (segment, key prefix,
 * start_after, limit: at most that many items, default 1000) go through
 * fn(item, arg) and are written back or deleted as it says, all in one
 * write transaction with the hooks' writes.  Fills *out (zeroed first);
 * continue with sc->start_after = out->last_key until it is NULL.  On
 * failure nothing of the page is written.  WB_EINVALID when the backend
 * has no each_page.
 *
 * Contract of the callback (a migration's wb_item_fn): it runs while the
 * page's write transaction is open, on the calling thread, so it must not
 * use the same handle (WB_EINVALID) and must not write to the same store
 * through another handle (that would wait for this transaction: the page
 * fails with WB_EBUSY and out->again = 1, whatever the callback returns).  Items it returns
 * WB_WRITE for are validated and must keep their key; an item written back
 * exactly as it was is not written (not counted in `written`); WB_DELETE
 * deletes; a negative return stops the page, rolls it back and is returned.
 */
int wb__db_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
		     const wb__page_hooks *hooks, wb__page_result *out);

/**
 * Writes inside a hook of wb__db_each_page, in its transaction: as
 * wb_batch_write, all or nothing with the page.  WB_EINVALID elsewhere.
 */
int wb__db_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);

/**
 * The store's snapshot directory into buf and, with path != NULL, a
 * snapshot of the whole store into the new file `path` (backend.h's
 * snapshot).  WB_EINVALID when the backend takes none.
 */
int wb__db_snapshot_dir(wb_db *db, char *buf, size_t size);
int wb__db_snapshot(wb_db *db, const char *path);

/** Check a table name and key schema (as wb_table_create does); 0 or WB_EINVALID. */
int wb__key_schema_check(wb_db *db, const char *table, const wb_key_schema *key);

/** The backends compiled in. */
extern const struct wb_backend_ops wb_backend_sqlite;
extern const struct wb_backend_ops wb_backend_dynamodb;

#endif /* WB_BACKEND_H */
