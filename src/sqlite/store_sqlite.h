/*
 * store_sqlite.h - the embedded backend's fast path for migrations.
 *
 * The generic way to transform a table (wb_scan_page, change the items,
 * wb_batch_write them back) reads every row twice and crosses the store API
 * four times per page.  On SQLite, wb__sqlite_each_page does the same work
 * inside ONE write transaction and one SQL UPDATE: the per-item callback
 * runs in an SQL function while SQLite walks the page, and the changed
 * items are written back in the same pass.  Used by the migration runner
 * (each.c) when the handle is an SQLite one and writes are not intercepted.
 *
 * Contract of the callback (the migration's wb_item_fn): it runs while the
 * page's write transaction is open, on the calling thread, so it must not
 * use the same handle (that fails with WB_EINVALID) and cannot write to the
 * same file through another handle on this thread (that would wait for this
 * transaction: such a write fails at once with WB_EBUSY, and so does the
 * page, whatever the callback returns).  Items it returns WB_WRITE for are
 * validated and must keep their key; an item written back byte for byte as
 * it was is not written (not counted in `written`); WB_DELETE deletes; a
 * negative return stops the page, rolls it back and is returned.
 */
#ifndef WB_STORE_SQLITE_H
#define WB_STORE_SQLITE_H

#include "whimbrel.h"

/** What one wb__sqlite_each_page call did. */
typedef struct wb__sqlite_page {
	size_t scanned;     /**< items the callback saw */
	size_t written;     /**< items rewritten (WB_WRITE) */
	size_t deleted;     /**< items deleted (WB_DELETE) */
	wb_item *last_key;  /**< key to continue after (caller frees), NULL when the scan is done */
} wb__sqlite_page;

/** Hooks run inside the page's transaction (all optional). */
typedef struct wb__sqlite_hooks {
	/**
	 * After the page's changes, once per changed item, in scan order:
	 * `before` as read, `after` as written (NULL when deleted).  Both are
	 * valid during the call only.  May write with wb__sqlite_tx_write
	 * (the journal).  A negative return rolls the page back.
	 */
	int (*on_change)(wb_db *db, const wb_item *before, const wb_item *after, void *arg);
	/** Last, before COMMIT: may write with wb__sqlite_tx_write (the checkpoint). */
	int (*before_commit)(wb_db *db, const wb__sqlite_page *page, void *arg);
	void *arg;          /**< passed to both */
} wb__sqlite_hooks;

/** True when db is a handle of the SQLite backend (not a wrapper around one). */
int wb__sqlite_is(wb_db *db);

/**
 * Transform one page of a scan: the items of `sc` (segment, key prefix,
 * start_after, limit: at most that many items, default 1000) go through
 * fn(item, arg) and are written back or deleted as it says, all in one
 * transaction with the hooks' writes.  Fills *out (zeroed first); continue
 * with sc->start_after = out->last_key until it is NULL.  On failure nothing
 * of the page is written.
 */
int wb__sqlite_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
			 const wb__sqlite_hooks *hooks, wb__sqlite_page *out);

/**
 * Writes inside a hook of wb__sqlite_each_page, in its transaction: as
 * wb_batch_write (all or nothing with the page).  WB_EINVALID elsewhere.
 */
int wb__sqlite_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);

#endif /* WB_STORE_SQLITE_H */
