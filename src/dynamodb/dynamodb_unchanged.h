/*
 * dynamodb_unchanged.h - writes conditional on the stored item being the
 * one read (WB_COND_ITEM_EQUALS) on the dynamodb backend (internal;
 * implemented in dynamodb_unchanged.c, used by dynamodb_write.c): nested
 * document paths in the UpdateExpression, and conditions kept within
 * DynamoDB's 4 KB expression limit.
 */
#ifndef WB_DYNAMODB_UNCHANGED_H
#define WB_DYNAMODB_UNCHANGED_H

#include "whimbrel.h"
#include "buf.h"
#include "dynamodb_expr.h"

/** DynamoDB's limit on the length of any expression string, in bytes. */
#define WB_DDB_EXPR_MAX 4096

/**
 * Put `item` in place of `expect`, the item as read: an UpdateItem of the
 * differences (nested paths where only the inside of a map or list
 * changed), conditional on the item being `expect` (within the limit: see
 * dynamodb_unchanged.c).  A condition failure whose item already is `item`
 * (an earlier attempt's lost answer) is success.
 */
int wb__ddb_put_unchanged(wb_db *db, const char *table, const wb_item *item, const wb_item *expect,
			  const wb_key_schema *ks);

/** Delete the item of `key`, conditional on it being `expect`; gone already is success. */
int wb__ddb_del_unchanged(wb_db *db, const char *table, const wb_item *key, const wb_item *expect,
			  const wb_key_schema *ks);

/**
 * Send the UpdateItem of `key` whose UpdateExpression `ue` (placeholders in
 * e, the caller's) sets `set` and removes `remove`, conditional on the item
 * being `expect`.
 */
int wb__ddb_update_unchanged(wb_db *db, const char *table, const wb_key_schema *ks, const wb_item *key,
			     const wb_buf *ue, struct wb__ddb_ex *e, const wb_item *set, const char *const *remove,
			     size_t nremove, const wb_item *expect);

#endif /* WB_DYNAMODB_UNCHANGED_H */
