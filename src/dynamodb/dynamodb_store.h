/*
 * dynamodb_store.h - what store_dynamodb.c (handles, key schemas, tables)
 * and the item operations (dynamodb_write.c, dynamodb_read.c) share
 * (internal).
 */
#ifndef WB_DYNAMODB_STORE_H
#define WB_DYNAMODB_STORE_H

#include <jansson.h>

#include "whimbrel.h"
#include "dynamodb_client.h"

/** The client of a dynamodb handle. */
struct wb__ddb_client *wb__ddb_client_of(wb_db *db);

/** A scan page read ahead (dynamodb_read.c). */
struct wb__ddb_prefetch;

/** Put p (or NULL) in db's read-ahead slot; returns what was there (the caller's). */
struct wb__ddb_prefetch *wb__ddb_prefetch_swap(wb_db *db, struct wb__ddb_prefetch *p);
/** Wait for a read-ahead page and forget it (NULL: nothing). */
void wb__ddb_prefetch_free(struct wb__ddb_prefetch *p);

/** The key schema of `table` (DescribeTable once, then cached per handle). */
int wb__ddb_key_of(wb_db *db, const char *table, wb_key_schema *key);

/**
 * The definition of index `index` of `table` (cached with the key schema;
 * DescribeTable again when the index is not known yet).  out->attrs is
 * not filled.  WB_EINVALID, "VERB TABLE: table TABLE has no index 'INDEX'",
 * when the table has no such index.
 */
int wb__ddb_index_of(wb_db *db, const char *verb, const char *table, const char *index, wb_index *out);

/* dynamodb_index.c: indexes in DynamoDB's JSON. */
/** Add the indexes to a CreateTable request and their keys to its AttributeDefinitions `ad`. */
int wb__ddb_indexes_request(json_t *req, json_t *ad, const wb_index *ix, size_t n);
/** The indexes of a DescribeTable answer's Table (*out the caller's, wb_indexes_free). */
int wb__ddb_indexes_parse(wb_db *db, json_t *table, const char *name, wb_index **out, size_t *n);

/* The item operations of the backend (see backend.h): dynamodb_write.c, dynamodb_read.c. */
int wb__ddb_get(wb_db *db, wb_item **out, const char *table, const wb_item *key);
int wb__ddb_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond);
int wb__ddb_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond);
int wb__ddb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		   const char *const *remove, size_t nremove, const wb_cond *cond);
int wb__ddb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);
int wb__ddb_batch_write_each(wb_db *db, const wb_write *writes, size_t n, int *results);
int wb__ddb_query(wb_db *db, wb_page **out, const char *table, const wb_query *q);
int wb__ddb_scan(wb_db *db, wb_page **out, const char *table, const wb_scan *s);

#endif /* WB_DYNAMODB_STORE_H */
