/*
 * test_load.c - bulk loads (wb_load_*, load.c and the SQLite backend's
 * sorted load), against every available target: everything added is there
 * after the commit, the last of equal keys wins, items already in the
 * table are replaced or kept, nothing is written before the commit or by a
 * load freed without one, bad items are refused one by one, a missing
 * table or another key fails the commit, progress can stop it (on SQLite
 * with nothing written), and key-prefix scans (the (pk, sk) index the
 * SQLite load rebuilds) and queries find the loaded items.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "store_fixture.h"

static void add_json(wb_load *ld, const char *json)
{
	wb_item *it = wbt_item(json);

	wbt_ok(wb_load_add(ld, it));
	wb_item_free(it);
}

/* Add the items printf(fmt, i) for i from `from` up to `to` (excluded); fmt holds one %d. */
static void add_range(wb_load *ld, int from, int to, const char *fmt)
{
	char json[200];

	for (int i = from; i < to; i++) {
		snprintf(json, sizeof(json), fmt, i);
		add_json(ld, json);
	}
}

/* The number attribute `attr` of the item at key {"g": g, "n": n}, or -1 when absent. */
static long value_at(wb_db *db, const char *table, const char *g, int n, const char *attr)
{
	char json[100];
	wb_item *key, *out = NULL;
	long v;
	int rc;

	snprintf(json, sizeof(json), "{\"g\":\"%s\",\"n\":%d}", g, n);
	key = wbt_item(json);
	rc = wb_get(&out, db, table, key);
	wb_item_free(key);
	if (rc == WB_ENOTFOUND)
		return -1;
	wbt_ok(rc);
	v = (long)wb_item_get_int(out, attr, -1);
	wb_item_free(out);
	return v;
}

/* 3000 items over 30 partitions, each key twice: the second (v = 1) wins. */
static void load_all_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("g", WB_S, "n", WB_N);
	wb_load *ld;
	uint64_t written = 0;
	char t[300], json[200];

	wbt_table_name(t, sizeof(t), "load");
	wbt_ok(wb_load_begin(&ld, db, t, &k)); /* the table is created after the load began */
	for (int v = 0; v < 2; v++)
		for (int i = 0; i < 3000; i++) {
			snprintf(json, sizeof(json), "{\"g\":\"g%d\",\"n\":%d,\"v\":%d}", i % 30, i, v);
			add_json(ld, json);
		}
	wbt_ok(wb_table_create(db, t, &k));
	assert_int_equal(wb_load_atomic(ld), wbt_target_kind(target) == WBT_SQLITE);
	assert_int_equal(wbt_count_items(db, t, NULL), 0); /* nothing before the commit */
	wbt_ok(wb_load_commit(ld, &written, NULL, NULL));
	wb_load_free(ld);
	assert_int_equal(written, wbt_target_kind(target) == WBT_SQLITE ? 3000 : 6000);
	assert_int_equal(wbt_count_items(db, t, NULL), 3000);
	assert_int_equal(wbt_count_items(db, t, "g1"), 1100); /* g1, g10..g19 */
	assert_int_equal(value_at(db, t, "g7", 7, "v"), 1);
	assert_int_equal(value_at(db, t, "g29", 2999, "v"), 1);
	assert_int_equal(wbt_count_partition(db, t, "g7"), 100);
	wb_close(db);
}

WBT_CASE(load_all)

/* Into a table with items: loaded keys replaced, the others kept. */
static void load_over_items_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("g", WB_S, "n", WB_N);
	wb_load *ld;
	char t[300];

	wbt_table_name(t, sizeof(t), "over");
	wbt_ok(wb_table_create(db, t, &k));
	wbt_ok(wb_load_begin(&ld, db, t, &k));
	add_range(ld, 0, 200, "{\"g\":\"a\",\"n\":%d,\"v\":1}");
	wbt_ok(wb_load_commit(ld, NULL, NULL, NULL));
	wb_load_free(ld);
	wbt_ok(wb_load_begin(&ld, db, t, &k));
	add_range(ld, 100, 300, "{\"g\":\"a\",\"n\":%d,\"v\":2}");
	wbt_ok(wb_load_commit(ld, NULL, NULL, NULL));
	wb_load_free(ld);
	assert_int_equal(wbt_count_items(db, t, NULL), 300);
	assert_int_equal(wbt_count_items(db, t, "a"), 300);
	assert_int_equal(value_at(db, t, "a", 99, "v"), 1);
	assert_int_equal(value_at(db, t, "a", 100, "v"), 2);
	assert_int_equal(value_at(db, t, "a", 299, "v"), 2);
	wb_close(db);
}

WBT_CASE(load_over_items)

/* Bad items refused one by one; a load freed uncommitted writes nothing. */
static void load_errors_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("g", WB_S, NULL, WB_S), other = wbt_key("x", WB_S, NULL, WB_S);
	wb_item *bad = wbt_item("{\"h\":\"no key\"}"), *wrong = wbt_item("{\"g\":5}");
	wb_load *ld;
	char t[300];

	wbt_table_name(t, sizeof(t), "errs");
	wbt_ok(wb_table_create(db, t, &k));
	wbt_ok(wb_load_begin(&ld, db, t, &k));
	assert_int_equal(wb_load_add(ld, bad), WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "'g'"));
	assert_int_equal(wb_load_add(ld, wrong), WB_EINVALID);
	add_json(ld, "{\"g\":\"fine\"}");
	wb_load_free(ld); /* not committed */
	assert_int_equal(wbt_count_items(db, t, NULL), 0);

	wbt_ok(wb_load_begin(&ld, db, t, &other)); /* the table's key is g */
	add_json(ld, "{\"x\":\"1\"}");
	assert_true(wb_load_commit(ld, NULL, NULL, NULL) < 0);
	assert_int_equal(wb_load_commit(ld, NULL, NULL, NULL), WB_EINVALID); /* once */
	wb_load_free(ld);
	assert_int_equal(wbt_count_items(db, t, NULL), 0);

	wbt_ok(wb_load_begin(&ld, db, "no_such_table_here", &k));
	add_json(ld, "{\"g\":\"1\"}");
	assert_true(wb_load_commit(ld, NULL, NULL, NULL) < 0);
	wb_load_free(ld);

	assert_int_equal(wb_load_begin(&ld, db, "bad name!", &k), WB_EINVALID);
	assert_null(ld);
	wb_item_free(bad);
	wb_item_free(wrong);
	wb_close(db);
}

WBT_CASE(load_errors)

static int stop_at_once(uint64_t written, void *arg)
{
	(void)written;
	(void)arg;
	return 1;
}

static int stop_at_index(uint64_t written, void *arg)
{
	return written >= *(uint64_t *)arg; /* every row is in: the index is being built */
}

/* A commit stopped by its progress function: on SQLite nothing is written. */
static void test_load_interrupted(void **state)
{
	wb_db *db = wbt_open(0);
	wb_key_schema k = wbt_key("g", WB_S, NULL, WB_S);
	uint64_t written = 99, all;
	wb_load *ld;
	char t[300];
	(void)state;

	assert_int_equal(wbt_target_kind(0), WBT_SQLITE);
	wbt_table_name(t, sizeof(t), "intr");
	wbt_ok(wb_table_create(db, t, &k));
	wbt_ok(wb_load_begin(&ld, db, t, &k));
	add_range(ld, 0, 120000, "{\"g\":\"k%d\"}"); /* more than one progress call */
	assert_int_equal(wb_load_commit(ld, &written, stop_at_once, NULL), WB_EINTERRUPTED);
	assert_int_equal(written, 0);
	wb_load_free(ld);
	assert_int_equal(wbt_count_items(db, t, NULL), 0);

	wbt_ok(wb_load_begin(&ld, db, t, &k)); /* stopped while the index is built */
	add_range(ld, 0, 120000, "{\"g\":\"k%d\"}");
	all = 120000;
	assert_int_equal(wb_load_commit(ld, &written, stop_at_index, &all), WB_EINTERRUPTED);
	assert_int_equal(written, 0);
	wb_load_free(ld);
	assert_int_equal(wbt_count_items(db, t, NULL), 0);
	wb_close(db);
}

/* More than the 16 MB kept in memory: sorted runs merged from the temporary file. */
static void test_load_spilled(void **state)
{
	wb_db *db = wbt_open(0);
	wb_key_schema k = wbt_key("g", WB_S, "n", WB_N);
	char t[300], json[700], pad[501];
	uint64_t written = 0;
	wb_load *ld;
	(void)state;

	assert_int_equal(wbt_target_kind(0), WBT_SQLITE);
	memset(pad, 'x', 500);
	pad[500] = '\0';
	wbt_table_name(t, sizeof(t), "spill");
	wbt_ok(wb_table_create(db, t, &k));
	wbt_ok(wb_load_begin(&ld, db, t, &k));
	for (int i = 0; i < 45000; i++) { /* ~25 MB encoded; the last 5000 keys again */
		snprintf(json, sizeof(json), "{\"g\":\"g%d\",\"n\":%d,\"v\":%d,\"pad\":\"%s\"}",
			 i % 40000 % 97, i % 40000, i / 40000, pad);
		add_json(ld, json);
	}
	wbt_ok(wb_load_commit(ld, &written, NULL, NULL));
	wb_load_free(ld);
	assert_int_equal(written, 40000);
	assert_int_equal(wbt_count_items(db, t, NULL), 40000);
	assert_int_equal(wbt_count_items(db, t, "g9"), 3297); /* g9, g90..g96: 8 of the 97 partitions */
	assert_int_equal(value_at(db, t, "g1", 1, "v"), 1);
	assert_int_equal(value_at(db, t, "g0", 5044, "v"), 0);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		WBT_BOTH(test_load_all),
		WBT_BOTH(test_load_over_items),
		WBT_BOTH(test_load_errors),
		cmocka_unit_test(test_load_interrupted),
		cmocka_unit_test(test_load_spilled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
