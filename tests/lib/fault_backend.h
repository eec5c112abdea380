/*
 * fault_backend.h - a test backend that wraps a real handle and makes
 * chosen calls fail.
 *
 * The wrapper is a backend like any other (backend.h): opened through
 * wb__db_open_with, it forwards every operation to the handle it wraps and
 * declares that handle's capabilities (it forwards each_page and tx_write
 * too, and the page's hooks see the wrapper, so a checkpoint written from a
 * hook goes through it).  Rules say which calls fail: the nth call of an
 * operation (counted from when the rule is added), or that call and every
 * later one, with a given WB_E* code and a message naming the operation and
 * the call.  By default the fault comes before the call reaches the inner
 * handle (nothing happens); WBT_FAULT_AFTER lets the call through and then
 * reports the failure (a lost reply: the write did happen).
 *
 * For tests only: real stores under it, no mocks; the base for allocation
 * and I/O sweeps (fail call 1, then 2, ... until the work succeeds).
 */
#ifndef WB_FAULT_BACKEND_H
#define WB_FAULT_BACKEND_H

#include "whimbrel.h"

/** The operations a rule can name (WBT_FOP_ANY: every call). */
typedef enum {
	WBT_FOP_ANY = 0,
	WBT_FOP_TABLE_CREATE,
	WBT_FOP_TABLE_DESCRIBE,
	WBT_FOP_TABLE_LIST,
	WBT_FOP_TABLE_DROP,
	WBT_FOP_GET,
	WBT_FOP_PUT,
	WBT_FOP_DEL,
	WBT_FOP_UPDATE,
	WBT_FOP_BATCH_WRITE,
	WBT_FOP_QUERY_PAGE,
	WBT_FOP_SCAN_PAGE,
	WBT_FOP_EACH_PAGE,
	WBT_FOP_TX_WRITE,
	WBT_FOP_COUNT
} wbt_fop;

/** Rule flags. */
#define WBT_FAULT_STICKY 0x1 /**< the nth call and every later one fail */
#define WBT_FAULT_AFTER  0x2 /**< run the call, then report the failure */

/**
 * Wrap `inner` (owned from now on: closed with the wrapper, also on
 * failure).  *out is the wrapper, closed with wb_close.
 */
int wbt_fault_wrap(wb_db **out, wb_db *inner);

/** wb_open(url) and wrap it. */
int wbt_fault_open(wb_db **out, const char *url);

/**
 * Add a rule: the nth call (1 = the next) of `op` from now fails with
 * `code` (negative WB_E*); flags WBT_FAULT_*.  At most 8 rules; WB_EINVALID
 * beyond, or when db is not a wrapper.
 */
int wbt_fault_add(wb_db *db, wbt_fop op, unsigned long nth, int code, int flags);

/** Drop every rule (the call counts go on). */
void wbt_fault_clear(wb_db *db);

/** Calls of `op` seen by the wrapper so far (WBT_FOP_ANY: all). */
unsigned long wbt_fault_calls(wb_db *db, wbt_fop op);

/** Failures injected so far. */
unsigned long wbt_fault_injected(wb_db *db);

/** The inner handle (still owned by the wrapper). */
wb_db *wbt_fault_inner(wb_db *db);

#endif /* WB_FAULT_BACKEND_H */
