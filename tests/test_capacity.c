/*
 * test_capacity.c - the capacity units of reads and writes as DynamoDB
 * documents them (src/runner/capacity.c), and the plan interceptor's
 * estimate over a real SQLite table with a global secondary index
 * (src/runner/plan.c): pages rounded up per 4 KB, writes per 1 KB with the
 * larger of before and after, and index writes: a put when the index key
 * appears, a delete when it goes, both when it changes, an update when a
 * projected attribute changes, nothing when the index does not see the
 * change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "capacity.h"
#include "run.h"

/* An item {"id":ID, ...extra} with a string `pad` of n bytes (n > 0). */
static wb_item *car(const char *id, const char *color, size_t n)
{
	wb_item *it = wb_item_new();
	char *pad = malloc(n + 1);

	memset(pad, 'x', n);
	pad[n] = '\0';
	assert_int_equal(wb_item_set_string(it, "id", id), 0);
	if (color)
		assert_int_equal(wb_item_set_string(it, "color", color), 0);
	if (n)
		assert_int_equal(wb_item_set_string(it, "pad", pad), 0);
	free(pad);
	return it;
}

static void test_reads(void **state)
{
	(void)state;
	assert_true(wb__units_page(0, 1) == 0);
	assert_true(wb__units_page(1, 1) == 1);
	assert_true(wb__units_page(4096, 1) == 1);
	assert_true(wb__units_page(4097, 1) == 2);
	assert_true(wb__units_page(4097, 0) == 1);
	assert_true(wb__units_get(0, 1) == 1);     /* an absent item still costs a read */
	assert_true(wb__units_get(0, 0) == 0.5);
	assert_true(wb__units_get(9000, 1) == 3);
}

static void test_writes(void **state)
{
	wb_item *small = car("a", NULL, 10), *big = car("a", NULL, 2500), *kb = car("a", NULL, 1024 - 2 - 1 - 3);

	(void)state;
	assert_int_equal(wb_item_size(kb), 1024);
	assert_true(wb__units_write(NULL, small) == 1);
	assert_true(wb__units_write(NULL, kb) == 1);
	assert_true(wb__units_write(small, big) == 3); /* the larger of before and after */
	assert_true(wb__units_write(big, small) == 3);
	assert_true(wb__units_write(big, NULL) == 3);  /* a delete: the item deleted */
	wb_item_free(small);
	wb_item_free(big);
	wb_item_free(kb);
}

static void test_index_writes(void **state)
{
	wb_key_schema key = wbt_key("id", WB_S, NULL, WB_S);
	wb_index ix[1];
	wb_item *none = car("a", NULL, 3000), *red = car("a", "red", 3000), *blue = car("a", "blue", 3000);
	wb_item *red2 = car("a", "red", 10);

	(void)state;
	memset(ix, 0, sizeof(ix));
	snprintf(ix[0].name, sizeof(ix[0].name), "by_color");
	ix[0].key = wbt_key("color", WB_S, NULL, WB_S);
	ix[0].projection = WB_PROJECT_KEYS;
	assert_true(wb__units_index(ix, 1, &key, none, red) == 1);   /* added: a put of the keys */
	assert_true(wb__units_index(ix, 1, &key, red, none) == 1);   /* removed: a delete */
	assert_true(wb__units_index(ix, 1, &key, red, blue) == 2);   /* changed: delete and put */
	assert_true(wb__units_index(ix, 1, &key, red, red2) == 0);   /* keys only: nothing changed */
	assert_true(wb__units_index(ix, 1, &key, none, none) == 0);  /* not in the index */
	assert_true(wb__units_index(ix, 1, &key, NULL, red) == 1);   /* a new item */
	ix[0].projection = WB_PROJECT_ALL;
	assert_true(wb__units_index(ix, 1, &key, red, red2) == 3);   /* an update of the whole item */
	assert_true(wb__units_index(ix, 1, &key, red, blue) == 6);   /* 3 KB deleted, 3 KB put */
	wb_item_free(none);
	wb_item_free(red);
	wb_item_free(blue);
	wb_item_free(red2);
}

/* The plan interceptor over a real table with a global index. */
static void test_plan_estimate(void **state)
{
	wb_key_schema key = wbt_key("id", WB_S, NULL, WB_S);
	wb_table_options to = WB_TABLE_OPTIONS_INIT;
	wb_index ix;
	struct wb_plan *plan = wb__plan_new(0);
	wb_plan_units u;
	wb_db *db = wbt_open(0), *p = NULL;
	wb_item *red = car("a", "red", 1500), *blue = car("a", "blue", 1500), *other = car("b", NULL, 100);
	wb_page *page = NULL;

	(void)state;
	memset(&ix, 0, sizeof(ix));
	snprintf(ix.name, sizeof(ix.name), "by_color");
	ix.key = wbt_key("color", WB_S, NULL, WB_S);
	ix.projection = WB_PROJECT_ALL;
	to.indexes = &ix;
	to.nindexes = 1;
	assert_int_equal(wb_table_create_opts(db, "cars", &key, &to), 0);
	assert_int_equal(wb_put(db, "cars", red, NULL), 0);
	assert_int_equal(wb_put(db, "cars", other, NULL), 0);
	assert_int_equal(wb__plan_wrap(&p, db, plan), 0);
	assert_int_equal(wb_scan_page(&page, p, "cars", NULL), 0);  /* 1.5 KB + 0.1 KB: one read unit */
	wb_page_free(page);
	assert_int_equal(wb_put(p, "cars", blue, NULL), 0);          /* 2 units + index 2 + 2 */
	assert_int_equal(wb_delete(p, "cars", other, NULL), 0);      /* 1 unit, not in the index */
	assert_int_equal(wb_put(p, "cars", red, NULL), 0);           /* the same item: nothing */
	wb__plan_units(plan, &u);
	assert_true(u.rcu == 1);
	assert_true(u.wcu == 7);
	assert_true(u.index_wcu == 4);
	wb_close(p);
	wb_close(db);
	wb__plan_free(plan);
	wb_item_free(red);
	wb_item_free(blue);
	wb_item_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_index_writes),
		cmocka_unit_test(test_plan_estimate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
