/*
 * index.h - secondary indexes: what every backend shares (internal;
 * implemented in index.c).
 *
 * Checking a table's index definitions before a backend sees them, the
 * owned copy of a definition that wb_table_indexes hands out, projecting a
 * stored item onto an index, and the key of an index page's last item (the
 * table's and the index's key attributes).
 */
#ifndef WB_INDEX_H
#define WB_INDEX_H

#include "whimbrel.h"

#define WB_MAX_GLOBAL_INDEXES 20 /* DynamoDB's limits per table */
#define WB_MAX_LOCAL_INDEXES 5

/** Check the n definitions of table `name` (key `key`); WB_EINVALID naming the index. */
int wb__index_check(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix, size_t n);

/**
 * Fill *dst from *src with its own copy of the attribute names (freed by
 * wb_indexes_free); returns WB_ENOMEM (no message) when out of memory.
 */
int wb__index_copy(wb_index *dst, const wb_index *src);

/** Free the attribute names of a definition filled by wb__index_copy (not ix itself). */
void wb__index_clear(wb_index *ix);

/** Sort n definitions by name (wb_table_indexes' order). */
void wb__index_sort(wb_index *ix, size_t n);

/** The index `name` among n, or NULL. */
const wb_index *wb__index_find(const wb_index *ix, size_t n, const char *name);

/**
 * Project `item` (a whole stored item) onto index ix of a table with key
 * `key`: a new item (caller frees), or NULL when out of memory.
 */
wb_item *wb__index_project(const wb_item *item, const wb_key_schema *key, const wb_index *ix);

/**
 * The paging key of an index page's last item: the table's and the index's
 * key attributes (caller frees), or NULL (error set) when one is missing.
 */
wb_item *wb__index_cursor(const wb_item *item, const wb_key_schema *key, const wb_index *ix);

#endif /* WB_INDEX_H */
