/*
 * store_fixture.h - store helpers shared by the store suites (test_store,
 * test_index, ...): fresh tables, items put and got as JSON, items
 * counted, and the check of a failure's code and one-line message.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <stddef.h>
#include "wbtest.h"

/** Create a fresh table (name from `base`, into buf); fails the test on error. */
const char *wbt_new_table(wb_db *db, char *buf, size_t size, const char *base, const char *pk,
			  wb_type pkt, const char *sk, wb_type skt);

/** Put an item given as JSON (DynamoDB or plain); fails the test on error. */
void wbt_put_json(wb_db *db, const char *table, const char *json);

/** Put n items, the i-th the JSON of printf(fmt, i) (fmt holds one %d, or %1$d as often as needed); fails the test on error. */
void wbt_seed_items(wb_db *db, const char *table, int n, const char *fmt)
	__attribute__((format(printf, 4, 0)));

/** Get by a JSON key: the item (free it), or NULL when absent; other errors fail the test. */
wb_item *wbt_get_json(wb_db *db, const char *table, const char *key_json);

/** The items of a table (a whole scan; `prefix`, if not NULL: of those keys); fails the test on error. */
int wbt_count_items(wb_db *db, const char *table, const char *prefix);

/** The items of one partition (pk a string); fails the test on error. */
int wbt_count_partition(wb_db *db, const char *table, const char *pk);

/**
 * The store failed with `code` and a one-line message (that of
 * wb_error_last too) holding w1 and w2 (each may be NULL).
 */
void wbt_assert_error(wb_db *db, int rc, int code, const char *w1, const char *w2);

#endif /* STORE_FIXTURE_H */
