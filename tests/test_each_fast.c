/*
 * test_each_fast.c - wb_each on SQLite's fast path (each_fast.c, the each_page
 * operation of the backend's capabilities, backend.h):
 * a callback that writes to the same file through wb_run_db (which cannot
 * wait for the page's own transaction) still gets every write done and
 * every item transformed exactly once (the page is done again the generic
 * way); an item "written" unchanged is counted unchanged and not written;
 * deletes are counted; two threads take turns and visit every item once.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "run_fixture.h"
#include "run.h"
#include "ledger.h"

#define N 1200

static char url[600];
static char cars[64];
static char mig[96];
static wb_run *cur_run;          /* the run, for callbacks that write through wb_run_db */
static atomic_int calls;         /* callback calls */

static wb_db *fresh(const char *migration, int threads)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_db *db = NULL;

	wbt_target_url(0, url, sizeof(url));
	wbt_table_name(cars, sizeof(cars), "cars");
	snprintf(mig, sizeof(mig), "%s_%s", migration, cars);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__reserved_ensure(db));
	wbt_ok(wb_table_create(db, cars, &key));
	for (int i = 0; i < N; i++) {
		char json[96];
		snprintf(json, sizeof(json), "{\"id\":\"car-%06d\",\"n\":%d}", i, i);
		wb_item *it = wbt_item(json);
		wbt_ok(wb_put(db, cars, it, NULL));
		wb_item_free(it);
	}
	setenv(WB_ENV_RUN_ID, "20261126T000000Z-fast", 1);
	wbt_run_env(url, "dev", mig, threads, 100);
	atomic_store(&calls, 0);
	return db;
}

/* Count the items of the table whose attribute `name` equals v. */
static int count_with(wb_db *db, const char *table, const char *name, int64_t v)
{
	wb_scan s = WB_SCAN_INIT;
	wb_item *cursor = NULL;
	int count = 0;

	for (;;) {
		wb_page *p = NULL;
		s.start_after = cursor;
		wbt_ok(wb_scan_page(&p, db, table, &s));
		for (size_t i = 0; i < p->count; i++)
			count += wb_item_get_int(p->items[i], name, -1) == v;
		wb_item_free(cursor);
		cursor = p->last_key;
		p->last_key = NULL;
		wb_page_free(p);
		if (!cursor)
			return count;
	}
}

/* counter + 1, and on car 500 a note in another table through wb_run_db. */
static int bump_and_note(wb_item *car, void *arg)
{
	const char *id = wb_item_get_string(car, "id");
	int rc;

	(void)arg;
	atomic_fetch_add(&calls, 1);
	if (strcmp(id, "car-000500") == 0) {
		wb_item *note = wbt_item("{\"id\":\"note\",\"counter\":1}");
		rc = wb_put(wb_run_db(cur_run), "notes", note, NULL);
		wb_item_free(note);
		if (rc < 0)
			return rc;
	}
	wb_item_set_int(car, "counter", wb_item_get_int(car, "counter", 0) + 1);
	return WB_WRITE;
}

static void test_write_through_run_db(void **state)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_db *db = fresh("m_note", 1);

	(void)state;
	wbt_ok(wb_table_create(db, "notes", &key));
	cur_run = wb_run_begin();
	wbt_ok(wb_each(cur_run, cars, NULL, bump_and_note, NULL));
	assert_int_equal(cur_run->counters.scanned, N);
	assert_int_equal(cur_run->counters.written, N);
	assert_true(atomic_load(&calls) > N); /* the refused fast page was done again the generic way */
	assert_int_equal(wb_run_end(cur_run, 0), 0);
	assert_int_equal(count_with(db, cars, "counter", 1), N); /* exactly once */
	assert_int_equal(count_with(db, "notes", "counter", 1), 1);
	wb_close(db);
}

/* Even n: WB_WRITE without a change; n % 3 == 1: delete; else keep. */
static int mixed(wb_item *car, void *arg)
{
	int64_t n = wb_item_get_int(car, "n", 0);

	(void)arg;
	atomic_fetch_add(&calls, 1);
	if (n % 2 == 0)
		return WB_WRITE;
	return n % 3 == 1 ? WB_DELETE : WB_KEEP;
}

static void test_counters(void **state)
{
	wb_db *db = fresh("m_mixed", 2);
	int64_t deleted = 0;
	wb_table_desc desc;
	wb_run *run;

	(void)state;
	for (int n = 0; n < N; n++)
		deleted += n % 2 != 0 && n % 3 == 1;
	run = wb_run_begin();
	wbt_ok(wb_each(run, cars, NULL, mixed, NULL));
	assert_int_equal(atomic_load(&calls), N); /* two threads, every item once */
	assert_int_equal(run->counters.scanned, N);
	assert_int_equal(run->counters.written, 0);
	assert_int_equal(run->counters.deleted, deleted);
	assert_int_equal(run->counters.unchanged, N - deleted);
	assert_int_equal(wb_run_end(run, 0), 0);
	wbt_ok(wb_table_describe(&desc, db, cars));
	assert_int_equal(desc.item_count, N - deleted);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_through_run_db),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
