/*
 * test_journal.c - the journal of a run's writes (src/runner/journal.c and
 * its hooks in each.c): the content hash ignores attribute and set order
 * and number spelling; a prod wb_each records one entry per change, on the
 * fast path and the generic one, on SQLite and (when available) DynamoDB,
 * with the before-image as read and the hash of what was written; dev
 * runs and WHIMBREL_JOURNAL=0 record nothing.
 *
 * The run context comes from the environment variables the runner sets
 * (src/runner/run.h), as in test_run_each.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "run.h"
#include "ledger.h"
#include "journal.h"

#define N_CARS 600

static char url[600];
static char cars[64];
static char mig[96];
static char run_id[128];

/* ------------------------------------------------------------------ hash */

static void hash_of(char out[WB_JOURNAL_HASH_SIZE], const char *json)
{
	wb_item *it = wbt_item(json);

	wbt_ok(wb__journal_hash(out, it));
	wb_item_free(it);
}

static void test_hash_canonical(void **state)
{
	char a[WB_JOURNAL_HASH_SIZE], b[WB_JOURNAL_HASH_SIZE];

	(void)state;
	hash_of(a, "{\"id\":{\"S\":\"x\"},\"n\":{\"N\":\"1.50\"},\"s\":{\"NS\":[\"2\",\"10\"]},"
		   "\"m\":{\"M\":{\"p\":{\"S\":\"q\"},\"r\":{\"BOOL\":true}}}}");
	hash_of(b, "{\"m\":{\"M\":{\"r\":{\"BOOL\":true},\"p\":{\"S\":\"q\"}}},\"s\":{\"NS\":[\"10\",\"2.0\"]},"
		   "\"n\":{\"N\":\"1.5\"},\"id\":{\"S\":\"x\"}}");
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	hash_of(b, "{\"id\":{\"S\":\"x\"},\"n\":{\"N\":\"1.51\"},\"s\":{\"NS\":[\"2\",\"10\"]},"
		   "\"m\":{\"M\":{\"p\":{\"S\":\"q\"},\"r\":{\"BOOL\":true}}}}");
	assert_string_not_equal(a, b);
	/* a list keeps its order; a string is not a number */
	hash_of(a, "{\"l\":{\"L\":[{\"S\":\"1\"},{\"S\":\"2\"}]}}");
	hash_of(b, "{\"l\":{\"L\":[{\"S\":\"2\"},{\"S\":\"1\"}]}}");
	assert_string_not_equal(a, b);
	hash_of(a, "{\"v\":{\"S\":\"1\"}}");
	hash_of(b, "{\"v\":{\"N\":\"1\"}}");
	assert_string_not_equal(a, b);
	wbt_ok(wb__journal_hash(a, NULL));
	assert_string_equal(a, "-");
}

/* ------------------------------------------------------------------ runs */

/* Car i as seeded. */
static wb_item *car(int i)
{
	char json[160];

	snprintf(json, sizeof(json), "{\"id\":\"car-%06d\",\"n\":%d}", i, i);
	return wbt_item(json);
}

static wb_db *fresh(int i, const char *mode, const char *journal)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_db *db = NULL;

	wbt_target_url(i, url, sizeof(url));
	wbt_table_name(cars, sizeof(cars), "jcars");
	snprintf(mig, sizeof(mig), "0001_journal_%s", cars);
	snprintf(run_id, sizeof(run_id), "20261127T000000Z-%s", cars + 6);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__reserved_ensure(db));
	wbt_ok(wb_table_create(db, cars, &key));
	for (int k = 0; k < N_CARS; k++) {
		wb_item *it = car(k);
		wbt_ok(wb_put(db, cars, it, NULL));
		wb_item_free(it);
	}
	setenv(WB_ENV_RUN_ID, run_id, 1);
	setenv(WB_ENV_TARGET, url, 1);
	setenv(WB_ENV_MODE, mode, 1);
	setenv(WB_ENV_MIGRATION, mig, 1);
	setenv(WB_ENV_THREADS, "2", 1);
	setenv(WB_ENV_BATCH, "50", 1);
	unsetenv(WB_ENV_CTL_FD);
	unsetenv(WB_ENV_EACH_GENERIC);
	if (journal)
		setenv(WB_ENV_JOURNAL, journal, 1);
	else
		unsetenv(WB_ENV_JOURNAL);
	return db;
}

/* Every 3rd car gets a price, every 7th (not 3rd) is deleted, the rest kept. */
static int price(wb_item *it, void *arg)
{
	int n = (int)wb_item_get_int(it, "n", 0);

	(void)arg;
	if (n % 3 == 0) {
		wb_item_set_number(it, "price", "1.50");
		return WB_WRITE;
	}
	return n % 7 == 0 ? WB_DELETE : WB_KEEP;
}

static int expected_changes(void)
{
	int c = 0;

	for (int n = 0; n < N_CARS; n++)
		c += n % 3 == 0 || n % 7 == 0;
	return c;
}

static void run_price(void)
{
	wb_run *run = wb_run_begin();

	wbt_ok(wb_each(run, cars, NULL, price, NULL));
	assert_int_equal(wb_run_end(run, 0), 0);
}

/* One entry: it names a changed car, holds it as seeded, and the hash of what is stored now. */
static void check_entry(wb_db *db, const wb_journal_entry *e)
{
	wb_item *now = NULL, *orig;
	char h[WB_JOURNAL_HASH_SIZE];
	int n, rc;

	assert_non_null(e->before);
	n = (int)wb_item_get_int(e->before, "n", -1);
	assert_true(n % 3 == 0 || n % 7 == 0);
	orig = car(n);
	assert_true(wb_item_equal(orig, e->before));
	wb_item_free(orig);
	rc = wb_get(&now, db, cars, e->key);
	assert_int_equal(rc, n % 3 == 0 ? 0 : WB_ENOTFOUND);
	wbt_ok(wb__journal_hash(h, rc == 0 ? now : NULL));
	assert_string_equal(e->after, h);
	wb_item_free(now);
}

/* Entries of the run's journal (checked when `check`), chunk by chunk. */
static size_t journal_count(wb_db *db, int check)
{
	wb_value *pk = wb_value_string(run_id, strlen(run_id));
	wb_query q = WB_QUERY_INIT;
	const wb_item *cursor = NULL;
	wb_item *keep = NULL;
	wb_page *page = NULL;
	size_t n = 0;
	wb_table_desc d;

	if (wb_table_describe(&d, db, WB_JOURNAL_TABLE) == WB_ENOTFOUND) {
		wb_value_free(pk);
		return 0;
	}
	q.pk = pk;
	for (;;) {
		q.start_after = cursor;
		wbt_ok(wb_query_page(&page, db, WB_JOURNAL_TABLE, &q));
		for (size_t i = 0; i < page->count; i++) {
			wb_journal_read r;
			wbt_ok(wb__journal_parse(&r, page->items[i]));
			assert_string_equal(r.table, cars);
			for (size_t k = 0; check && k < r.n; k++)
				check_entry(db, &r.e[k]);
			n += r.n;
			wb__journal_read_clear(&r);
		}
		wb_item_free(keep);
		keep = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
		if (!keep)
			break;
		cursor = keep;
	}
	wb_value_free(pk);
	return n;
}

static void journal_case(void **state, const char *generic)
{
	int t = wbt_case_target(state);
	wb_db *db = fresh(t, "prod", NULL);

	if (generic)
		setenv(WB_ENV_EACH_GENERIC, generic, 1);
	run_price();
	assert_int_equal(journal_count(db, 1), (size_t)expected_changes());
	wbt_ok(wb__journal_drop_run(db, run_id, NULL));
	assert_int_equal(journal_count(db, 0), 0);
	unsetenv(WB_ENV_EACH_GENERIC);
	wb_close(db);
}

static void test_journal_prod(void **state)
{
	journal_case(state, NULL);
}

static void test_journal_prod_generic(void **state)
{
	journal_case(state, "1");
}

static void test_journal_off(void **state)
{
	wb_db *db = fresh(0, "dev", NULL);

	(void)state;
	run_price();
	assert_int_equal(journal_count(db, 0), 0);
	wb_close(db);
	db = fresh(0, "prod", "0");
	run_price();
	assert_int_equal(journal_count(db, 0), 0);
	wb_close(db);
	db = fresh(0, "dev", "1"); /* dev may have it */
	run_price();
	assert_int_equal(journal_count(db, 1), (size_t)expected_changes());
	wb_close(db);
	unsetenv(WB_ENV_JOURNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_canonical),
		WBT_BOTH(test_journal_prod),
		WBT_BOTH(test_journal_prod_generic),
		cmocka_unit_test(test_journal_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
