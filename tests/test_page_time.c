/*
 * test_page_time.c - a fast-path page of the embedded store is bounded by
 * time as well as by count (src/sqlite/sqlite_each.c): with a callback of
 * 2 ms an item, a page asked for 1,000 items ends after about 100 ms,
 * and going on from its last key visits every item exactly once, for a
 * whole-table scan and for a key-prefix scan alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbtest.h"
#include "store_fixture.h"
#include "backend.h"

#define N 300

static int slow_bump(wb_item *it, void *arg)
{
	(void)arg;
	usleep(2000);
	wb_item_set_int(it, "n", wb_item_get_int(it, "n", 0) + 1);
	return WB_WRITE;
}

static wb_db *fresh(char *table, size_t size)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};
	char url[600];
	wb_db *db = NULL;

	wbt_target_url(0, url, sizeof(url));
	wbt_table_name(table, size, "slow");
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, table, &key));
	wbt_seed_items(db, table, N, "{\"id\":\"car-%06d\",\"n\":0}");
	return db;
}

/* Every item's n, which must be 1. */
static void all_once(wb_db *db, const char *table)
{
	wb_scan s = WB_SCAN_INIT;
	wb_page *p = NULL;

	s.limit = 1000;
	wbt_ok(wb_scan_page(&p, db, table, &s));
	assert_int_equal(p->count, N);
	for (size_t i = 0; i < p->count; i++)
		assert_int_equal(wb_item_get_int(p->items[i], "n", -1), 1);
	wb_page_free(p);
}

static void pages_by_time(const char *prefix)
{
	char table[64];
	wb_db *db = fresh(table, sizeof(table));
	wb_scan s = WB_SCAN_INIT;
	wb_item *cursor = NULL;
	size_t total = 0, pages = 0, first = 0;

	s.limit = 1000;
	s.pk_prefix = prefix;
	do {
		wb__page_result page = {0};
		s.start_after = cursor;
		wbt_ok(wb__db_each_page(db, table, &s, slow_bump, NULL, NULL, &page));
		if (pages++ == 0)
			first = page.scanned;
		total += page.scanned;
		wb_item_free(cursor);
		cursor = page.last_key;
	} while (cursor);
	assert_int_equal(total, N);
	assert_true(first >= 4 && first < N / 2); /* about 50 at 2 ms an item */
	assert_true(pages >= 3);
	all_once(db, table);
	wb_close(db);
}

static void test_whole_table(void **state)
{
	(void)state;
	pages_by_time(NULL);
}

static void test_prefix(void **state)
{
	(void)state;
	pages_by_time("car-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_table),
		cmocka_unit_test(test_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
