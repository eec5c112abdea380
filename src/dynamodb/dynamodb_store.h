/*
 * dynamodb_store.h - what store_dynamodb.c (handles, key schemas, tables)
 * and the item operations (dynamodb_write.c, dynamodb_read.c) share
 * (internal).
 */
#ifndef WB_DYNAMODB_STORE_H
#define WB_DYNAMODB_STORE_H

#include "whimbrel.h"
#include "dynamodb_client.h"

/** The client of a dynamodb handle. */
struct wb__ddb_client *wb__ddb_client_of(wb_db *db);

/** The key schema of `table` (DescribeTable once, then cached per handle). */
int wb__ddb_key_of(wb_db *db, const char *table, wb_key_schema *key);

/* The item operations of the backend (see backend.h): dynamodb_write.c, dynamodb_read.c. */
int wb__ddb_get(wb_db *db, wb_item **out, const char *table, const wb_item *key);
int wb__ddb_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond);
int wb__ddb_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond);
int wb__ddb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		   const char *const *remove, size_t nremove, const wb_cond *cond);
int wb__ddb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);
int wb__ddb_query(wb_db *db, wb_page **out, const char *table, const wb_query *q);
int wb__ddb_scan(wb_db *db, wb_page **out, const char *table, const wb_scan *s);

#endif /* WB_DYNAMODB_STORE_H */
