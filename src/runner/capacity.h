/*
 * capacity.h - DynamoDB capacity units of reads and writes, counted as
 * DynamoDB documents them (internal API; capacity.c).
 *
 *   - Item size: attribute names plus values (wb_item_size).
 *   - Reads: a Scan or Query page costs the sizes of the items it read,
 *     summed over the page and rounded up to the next 4 KB, one unit per
 *     4 KB read strongly consistent, half a unit eventually consistent
 *     (whimbrel reads tables and local indexes strongly consistent; a
 *     global index can only be read eventually consistent).  A GetItem
 *     costs its item's size rounded the same way, at least one 4 KB.
 *   - Writes: one unit per 1 KB of the item, rounded up, at least one; for
 *     a put or an update that replaces an item, the larger of the item
 *     before and after; for a delete, the item deleted.
 *   - Index writes: for every secondary index of the table, a write that
 *     adds the index's key attributes costs a put into the index, one that
 *     removes them a delete, one that changes them a delete and a put, one
 *     that keeps them but changes a projected attribute an update; each of
 *     the size of the item as the index projects it, rounded up per 1 KB.
 *
 * Used by the plan interceptor (plan.c) to estimate what a run consumes.
 */
#ifndef WB_CAPACITY_H
#define WB_CAPACITY_H

#include <stddef.h>
#include "whimbrel.h"

#define WB_READ_UNIT_BYTES 4096  /* one read unit reads 4 KB strongly consistent */
#define WB_WRITE_UNIT_BYTES 1024 /* one write unit writes 1 KB */

/** Read units of one Scan or Query page of `bytes` (sum of item sizes). */
double wb__units_page(size_t bytes, int consistent);

/** Read units of one GetItem of an item of `bytes` (0: absent). */
double wb__units_get(size_t bytes, int consistent);

/** Write units of one write: `before` NULL for a new item, `after` NULL for a delete. */
double wb__units_write(const wb_item *before, const wb_item *after);

/**
 * Write units the `n` secondary indexes `ix` of a table with key `key`
 * take for a write from `before` to `after` (either NULL as above).
 */
double wb__units_index(const wb_index *ix, size_t n, const wb_key_schema *key,
		       const wb_item *before, const wb_item *after);

#endif /* WB_CAPACITY_H */
