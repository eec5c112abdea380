/*
 * test_run_each.c - wb_each in-process, on SQLite (and DynamoDB when
 * available): a concurrent write is transformed, not lost; a callback error
 * stops the run after committing the work before it, and the next run
 * resumes with every item transformed exactly once (those two on SQLite
 * and, when available, DynamoDB); key changes are
 * refused; key prefixes and queries visit exactly their items, also through
 * a secondary index (both targets), which must project every attribute; plan mode
 * writes nothing; the ledger and lock modules round-trip.
 *
 * The run context comes from the same environment variables the runner
 * sets (src/run.h).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbtest.h"
#include "run_fixture.h"
#include "run.h"
#include "ledger.h"
#include "lock.h"
#include "checkpoint.h"

#define N_CARS 1500

static char url[600];
static char cars[64];            /* the test table (unique per test: shared DynamoDB) */
static char mig[96];             /* the migration name (unique per test) */
static wb_db *side;              /* a second connection: "the application" */
static atomic_int calls_hot;     /* callback calls on the hot item */
static atomic_int visited;       /* callback calls in all */
static int fail_at = -1;         /* index of the car whose callback fails */

static void seed(wb_db *db, const char *table, int n)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};

	wbt_ok(wb_table_create(db, table, &key));
	for (int i = 0; i < n; i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"id\":\"car-%06d\",\"grp\":\"%s\",\"n\":%d}", i,
			 i % 3 == 0 ? "G0" : "G1", i);
		wb_item *it = wbt_item(json);
		wbt_ok(wb_put(db, table, it, NULL));
		wb_item_free(it);
	}
}

/*
 * A fresh table of N_CARS cars on target i, the reserved tables, and the
 * environment of a run of `migration` (made unique) in `mode`.
 */
static wb_db *fresh(int i, const char *migration, const char *mode, int threads)
{
	wb_db *db = NULL;

	wbt_target_url(i, url, sizeof(url));
	wbt_table_name(cars, sizeof(cars), "cars");
	snprintf(mig, sizeof(mig), "%s_%s", migration, cars);
	wb_close(side); /* left over by a failed test */
	side = NULL;
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__reserved_ensure(db));
	seed(db, cars, N_CARS);
	setenv(WB_ENV_RUN_ID, "20261125T000000Z-test", 1);
	wbt_run_env(url, mode, mig, threads, 100);
	atomic_store(&calls_hot, 0);
	atomic_store(&visited, 0);
	fail_at = -1;
	return db;
}

static int64_t counter_of(wb_db *db, int i, wb_item **out)
{
	char json[64];
	wb_item *key, *it = NULL;
	int64_t c;

	snprintf(json, sizeof(json), "{\"id\":\"car-%06d\"}", i);
	key = wbt_item(json);
	wbt_ok(wb_get(&it, db, cars, key));
	wb_item_free(key);
	c = wb_item_get_int(it, "counter", 0);
	if (out)
		*out = it;
	else
		wb_item_free(it);
	return c;
}

/* Count cars by counter value: hist[0..2], 2 = two or more. */
static void histogram(wb_db *db, int64_t hist[3])
{
	hist[0] = hist[1] = hist[2] = 0;
	for (int i = 0; i < N_CARS; i++) {
		int64_t c = counter_of(db, i, NULL);
		hist[c < 2 ? c : 2]++;
	}
}

/*
 * The transform: counter + 1.  On car 100, first call: the application
 * changes it meanwhile (an attribute the item has, and a new one).
 */
static int bump(wb_item *car, void *arg)
{
	const char *id = wb_item_get_string(car, "id");

	(void)arg;
	atomic_fetch_add(&visited, 1);
	if (fail_at >= 0 && atoi(id + 4) == fail_at)
		return WB_EINVALID;
	if (strcmp(id, "car-000100") == 0 && atomic_fetch_add(&calls_hot, 1) == 0 && side) {
		wb_item *key = wbt_item("{\"id\":\"car-000100\"}");
		wb_item *set = wbt_item("{\"color\":\"green\",\"n\":424242}");
		wbt_ok(wb_update(side, cars, key, set, NULL, 0, NULL));
		wb_item_free(key);
		wb_item_free(set);
	}
	wb_item_set_int(car, "counter", wb_item_get_int(car, "counter", 0) + 1);
	return WB_WRITE;
}

static void concurrent_write_is_transformed(int target)
{
	wb_db *db = fresh(target, "m_concurrent", "dev", 2);
	int64_t hist[3];
	wb_item *hot = NULL;
	wb_run *run;

	/*
	 * The "concurrent" write comes from inside the callback, through another
	 * handle: on SQLite's fast path (read and write of a page in one
	 * transaction) no write can come between, so test the generic path.
	 */
	setenv(WB_ENV_EACH_GENERIC, "1", 1);
	wbt_ok(wb_open(&side, url));
	run = wb_run_begin();
	wbt_ok(wb_each(run, cars, NULL, bump, NULL));
	assert_int_equal(run->counters.scanned, N_CARS);
	assert_int_equal(run->counters.written, N_CARS);
	assert_int_equal(wb_run_end(run, 0), 0);
	assert_int_equal(atomic_load(&calls_hot), 2); /* read again after the conflict */
	histogram(db, hist);
	assert_int_equal(hist[1], N_CARS);
	assert_int_equal(counter_of(db, 100, &hot), 1);
	assert_string_equal(wb_item_get_string(hot, "color"), "green"); /* not lost */
	assert_int_equal(wb_item_get_int(hot, "n", 0), 424242);
	wb_item_free(hot);
	wb_close(side);
	side = NULL;
	wb_close(db);
}

static void error_then_resume_exactly_once(int target)
{
	wb_db *db = fresh(target, "m_resume", "dev", 1);
	int64_t hist[3];
	wb_run *run;
	int rc, first;

	fail_at = 700;
	run = wb_run_begin();
	rc = wb_each(run, cars, NULL, bump, NULL);
	assert_int_equal(rc, WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "car-000700"));
	first = (int)run->counters.written;
	assert_true(first < N_CARS);
	assert_int_equal(run->counters.failed, 1);
	assert_int_equal(wb_run_end(run, rc), 1);
	histogram(db, hist);
	assert_int_equal(hist[1], first); /* the work before the failure was committed */
	assert_int_equal(hist[2], 0);

	fail_at = -1;
	run = wb_run_begin();
	wbt_ok(wb_each(run, cars, NULL, bump, NULL));
	assert_int_equal(run->counters.scanned + first, N_CARS); /* resumed after the last checkpoint */
	assert_int_equal(wb_run_end(run, 0), 0);
	histogram(db, hist);
	assert_int_equal(hist[1], N_CARS);
	wb_close(db);
}

/* On every target: SQLite (atomic batches), DynamoDB (writes one by one). */
static void test_concurrent_write_is_transformed(void **state)
{
	concurrent_write_is_transformed(wbt_case_target(state));
}

static void test_error_then_resume_exactly_once(void **state)
{
	error_then_resume_exactly_once(wbt_case_target(state));
}

/* A search of scan_position: the car's id, and how many items came before it. */
struct position {
	const char *id;
	int pos;
};

/* A wb_visit_fn: stops (1) at the car searched for, else counts the item. */
static int find_car(const wb_item *item, void *arg)
{
	struct position *p = arg;

	if (strcmp(wb_item_get_string(item, "id"), p->id) == 0)
		return 1;
	p->pos++;
	return 0;
}

/* Where car `id` comes in a plain scan of the table (0-based), the order wb_each visits with one thread. */
static int scan_position(wb_db *db, const char *id)
{
	struct position p = {id, 0};
	int rc = wb_scan_all(db, cars, NULL, find_car, &p);

	assert_true(rc >= 0);
	return rc == 1 ? p.pos : -1;
}

static atomic_int eio_left;      /* how many more times flaky() fails on car 700 */

/* counter + 1, but WB_EIO on car 700 while eio_left > 0 (a transient failure). */
static int flaky(wb_item *car, void *arg)
{
	(void)arg;
	atomic_fetch_add(&visited, 1);
	if (strcmp(wb_item_get_string(car, "id"), "car-000700") == 0 && atomic_fetch_sub(&eio_left, 1) > 0)
		return WB_EIO;
	wb_item_set_int(car, "counter", wb_item_get_int(car, "counter", 0) + 1);
	return WB_WRITE;
}

/*
 * A callback that fails once, on one item: the run stops there with that
 * error on every backend (SQLite's fast page used to be done again the
 * generic way, where the callback then succeeded: the error was dropped and
 * the callback called more than once per item).
 */
static void failing_once_stops(int target)
{
	wb_db *db = fresh(target, "m_eio", "dev", 1);
	int pos = scan_position(db, "car-000700"), rc;
	int64_t hist[3], written, updated = 0;
	wb_counters committed;
	wb_run *run;

	assert_true(pos >= 0);
	atomic_store(&eio_left, 1);
	run = wb_run_begin();
	rc = wb_each(run, cars, NULL, flaky, NULL);
	assert_int_equal(rc, WB_EIO);
	assert_non_null(strstr(wb_error_last(), "car-000700"));
	assert_non_null(strstr(wb_error_last(), "callback failed"));
	assert_int_equal(atomic_load(&visited), pos + 1); /* once per item, up to the failing one */
	assert_int_equal(run->counters.failed, 1);
	written = run->counters.written;
	assert_true(written <= pos);
	/* what was committed is counted in the checkpoints, with them */
	wbt_ok(wb__checkpoint_run_counters(db, mig, wb_run_id(run), &committed, &updated));
	assert_int_equal(committed.scanned, run->counters.scanned);
	assert_int_equal(committed.written, written);
	assert_true(updated > 0);
	assert_int_equal(wb_run_end(run, rc), 1);
	histogram(db, hist);
	assert_int_equal(hist[1], written); /* what was counted is what was committed */
	assert_int_equal(hist[2], 0);
	wb_close(db);
}

static void test_failing_once_stops(void **state)
{
	failing_once_stops(wbt_case_target(state));
}

static int change_key(wb_item *car, void *arg)
{
	(void)arg;
	wb_item_set_string(car, "id", "other");
	return WB_WRITE;
}

static void test_key_change_refused(void **state)
{
	wb_db *db = fresh(0, "m_key", "dev", 1);
	wb_run *run = wb_run_begin();

	(void)state;
	assert_int_equal(wb_each(run, cars, NULL, change_key, NULL), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "changed the key"));
	wb_run_end(run, WB_EINVALID);
	assert_int_equal(counter_of(db, 0, NULL), 0);
	wb_close(db);
}

static int count_only(wb_item *car, void *arg)
{
	(void)car;
	(void)arg;
	atomic_fetch_add(&visited, 1);
	return WB_KEEP;
}

static void test_prefix_and_query(void **state)
{
	wb_db *db = fresh(0, "m_prefix", "dev", 2);
	wb_key_schema key = {"grp", WB_S, "id", WB_S};
	wb_query q = WB_QUERY_INIT;
	wb_value *g0 = wb_value_string("G0", 2);
	wb_run *run;

	(void)state;
	run = wb_run_begin();
	wbt_ok(wb_each(run, cars, "car-0001", count_only, NULL)); /* car-000100 .. car-000199 */
	assert_int_equal(atomic_load(&visited), 100);
	assert_int_equal(run->counters.unchanged, 100);

	wbt_ok(wb_table_create(db, "bygroup", &key));
	for (int i = 0; i < 300; i++) {
		char json[96];
		snprintf(json, sizeof(json), "{\"grp\":\"%s\",\"id\":\"c%04d\"}", i % 3 ? "G1" : "G0", i);
		wb_item *it = wbt_item(json);
		wbt_ok(wb_put(db, "bygroup", it, NULL));
		wb_item_free(it);
	}
	atomic_store(&visited, 0);
	q.pk = g0;
	wbt_ok(wb_each_query(run, "bygroup", &q, count_only, NULL));
	assert_int_equal(atomic_load(&visited), 100);
	wb_run_end(run, 0);
	wb_value_free(g0);
	wb_close(db);
}

/* Mark an item (whole: it still has n) and move it to group G2. */
static int mark_and_move(wb_item *item, void *arg)
{
	(void)arg;
	atomic_fetch_add(&visited, 1);
	if (!wb_item_has(item, "n"))
		return WB_EINVALID; /* a projected item: the migration would lose attributes */
	if (wb_item_set_int(item, "done", 1) < 0 || wb_item_set_string(item, "grp", "G2") < 0)
		return WB_ENOMEM;
	return WB_WRITE;
}

/* wb_each_query through a secondary index: whole items, written back, moved in the index. */
static void test_query_index(void **state)
{
	int target = wbt_case_target(state);
	wb_db *db = fresh(target, "m_qindex", "dev", 1);
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_index ix[2];
	wb_table_options opts = WB_TABLE_OPTIONS_INIT;
	wb_query q = WB_QUERY_INIT;
	wb_value *g0 = wb_value_string("G0", 2), *g2 = wb_value_string("G2", 2);
	wb_page *page = NULL;
	char t[64];
	wb_run *run;

	memset(ix, 0, sizeof(ix));
	snprintf(ix[0].name, sizeof(ix[0].name), "by_grp");
	snprintf(ix[0].key.pk_name, sizeof(ix[0].key.pk_name), "grp");
	snprintf(ix[0].key.sk_name, sizeof(ix[0].key.sk_name), "n");
	ix[0].key.sk_type = WB_N;
	ix[1] = ix[0];
	snprintf(ix[1].name, sizeof(ix[1].name), "by_grp_keys");
	ix[1].projection = WB_PROJECT_KEYS;
	opts.indexes = ix;
	opts.nindexes = 2;
	wbt_table_name(t, sizeof(t), "indexed");
	wbt_ok(wb_table_create_opts(db, t, &key, &opts));
	for (int i = 0; i < 300; i++) {
		char json[96];
		snprintf(json, sizeof(json), "{\"id\":\"c%04d\",\"grp\":\"%s\",\"n\":%d}", i, i % 3 ? "G1" : "G0", i);
		wb_item *it = wbt_item(json);
		wbt_ok(wb_put(db, t, it, NULL));
		wb_item_free(it);
	}
	run = wb_run_begin();
	q.pk = g0;
	q.index = "by_grp_keys";
	assert_int_equal(wb_each_query(run, t, &q, mark_and_move, NULL), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "projection all"));
	q.index = "no_such_index";
	assert_int_equal(wb_each_query(run, t, &q, mark_and_move, NULL), WB_EINVALID);
	assert_int_equal(atomic_load(&visited), 0);
	q.index = "by_grp";
	wbt_ok(wb_each_query(run, t, &q, mark_and_move, NULL));
	assert_int_equal(atomic_load(&visited), 100);
	wb_run_end(run, 0);

	q.limit = 1000;
	wbt_ok(wb_query_page(&page, db, t, &q));
	assert_int_equal(page->count, 0);
	wb_page_free(page);
	q.pk = g2;
	wbt_ok(wb_query_page(&page, db, t, &q));
	assert_int_equal(page->count, 100);
	for (size_t i = 0; i < page->count; i++)
		assert_int_equal(wb_item_get_int(page->items[i], "done", 0), 1);
	wb_page_free(page);
	wb_value_free(g0);
	wb_value_free(g2);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

static void test_plan_writes_nothing(void **state)
{
	wb_db *db = fresh(0, "m_plan", "plan", 2);
	int64_t hist[3];
	wb_item *extra = wbt_item("{\"id\":\"new-car\"}");
	size_t ncp = 99;
	wb_run *run;

	(void)state;
	run = wb_run_begin();
	assert_string_equal(wb_run_mode(run), "plan");
	wbt_ok(wb_each(run, cars, NULL, bump, NULL));
	wbt_ok(wb_put(wb_run_db(run), cars, extra, NULL)); /* intercepted too */
	assert_int_equal(run->counters.written, N_CARS);
	assert_int_equal(wb_run_end(run, 0), 0);
	histogram(db, hist);
	assert_int_equal(hist[0], N_CARS);
	wb_item *got = NULL;
	assert_int_equal(wb_get(&got, db, cars, extra), WB_ENOTFOUND);
	wbt_ok(wb__checkpoint_count(db, mig, &ncp));
	assert_int_equal(ncp, 0);
	wb_item_free(extra);
	wb_close(db);
}

static void test_ledger_and_lock(void **state)
{
	wb_db *db = fresh(0, "m_ledger", "dev", 1);
	wb_ledger_run r, back, *all = NULL;
	wb_lease old, l;
	size_t n = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	wb__run_id_new(r.run_id, sizeof(r.run_id), 1795000000);
	assert_int_equal(strlen(r.run_id), 25);
	assert_memory_equal(r.run_id, "20261118T", 9);
	snprintf(r.migration, sizeof(r.migration), "0001_x");
	snprintf(r.status, sizeof(r.status), "running");
	snprintf(r.mode, sizeof(r.mode), "dev");
	r.started = 1795000000;
	r.written = 42;
	wbt_ok(wb__ledger_put(db, &r));
	wbt_ok(wb_ledger_get(&back, db, r.run_id));
	assert_string_equal(back.status, "running");
	assert_int_equal(back.written, 42);
	assert_int_equal(back.finished, 0);
	wbt_ok(wb_ledger_list(&all, &n, db, "0001_x"));
	assert_int_equal(n, 1);
	free(all);

	wbt_ok(wb__lock_acquire(db, "0001_x", "RUN1", &old));
	assert_string_equal(old.holder, "");
	assert_int_equal(wb__lock_acquire(db, "0001_x", "RUN2", NULL), WB_EBUSY);
	assert_non_null(strstr(wb_error_last(), ":RUN1"));
	wbt_ok(wb__lock_heartbeat(db, "0001_x", "RUN1"));
	assert_int_equal(wb__lock_heartbeat(db, "0001_x", "RUN2"), WB_ECONDITION);
	wbt_ok(wb__lock_release(db, "0001_x", "RUN2")); /* not ours: no-op */
	wbt_ok(wb_lock_get(&l, db, "0001_x"));
	wbt_ok(wb__lock_release(db, "0001_x", "RUN1"));
	assert_int_equal(wb_lock_get(&l, db, "0001_x"), WB_ENOTFOUND);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		WBT_BOTH(test_concurrent_write_is_transformed),
		WBT_BOTH(test_error_then_resume_exactly_once),
		WBT_BOTH(test_failing_once_stops),
		cmocka_unit_test(test_key_change_refused),
		cmocka_unit_test(test_prefix_and_query),
		WBT_BOTH(test_query_index),
		cmocka_unit_test(test_plan_writes_nothing),
		cmocka_unit_test(test_ledger_and_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
