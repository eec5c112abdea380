/*
 * test_alloc_sweep.c - allocation failure sweep (issue 9, sweeps): fail the
 * Nth allocation, for N = 1, 2, ... until the operation succeeds without
 * reaching it, of open, put, scan, an import (JSON lines parsed and written
 * as one batch) and a whole wb_each page on the embedded store.  Each
 * failure must be a clean error (negative code, one-line message, no
 * output left half made) and leave the data intact; `make test-asan` runs
 * this under LeakSanitizer, so no failure path may leak.  wb_each (a run in
 * this process) is swept at every 7th allocation, every one under
 * SWEEP_FULL=1 (`make sweep`); after each failure a rerun resumes and every
 * item ends changed exactly once.
 *
 * The library's wrappers (wb__malloc & co., src/util/error.c) consult the
 * hook; SQLite's and jansson's allocators are routed through it here (the
 * SQLITE_CONFIG_MALLOC methods and json_set_alloc_funcs).  libcurl is not:
 * the DynamoDB backend is not swept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <jansson.h>

#include "wbtest.h"
#include "run_fixture.h"
#include "store_fixture.h"
#include "common.h"
#include "backend.h"
#include "checkpoint.h"
#include "ledger.h"
#include "run.h"

#define ITEMS 200
#define MAX_N 20000

/* -------------------------------------------------- routed allocators */

static sqlite3_mem_methods sq_orig;

static void *sq_malloc(int n)
{
	return wb__alloc_fails() ? NULL : sq_orig.xMalloc(n);
}

static void *sq_realloc(void *p, int n)
{
	return wb__alloc_fails() ? NULL : sq_orig.xRealloc(p, n);
}

static void *js_malloc(size_t n)
{
	return wb__alloc_fails() ? NULL : malloc(n);
}

static void route_allocators(void)
{
	sqlite3_mem_methods m;

	assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_orig), SQLITE_OK);
	m = sq_orig;
	m.xMalloc = sq_malloc;
	m.xRealloc = sq_realloc;
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	json_set_alloc_funcs(js_malloc, free);
}

/* ------------------------------------------------------------ fixture */

static char url[700];
static const char *table = "cars";

static void seed(void)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_db *db = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/alloc.db", wbt_tmpdir());
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, table, &key));
	wbt_seed_items(db, table, ITEMS, "{\"id\":\"car-%04d\",\"n\":0}");
	wb_close(db);
}

/* The count of seeded cars ("car-0...") whose n is `want`. */
static int count_n(wb_db *db, int64_t want)
{
	wb_scan s = WB_SCAN_INIT;
	wb_page *p = NULL;
	int same = 0;

	s.limit = 10000;
	s.pk_prefix = "car-0";
	wbt_ok(wb_scan_page(&p, db, table, &s));
	for (size_t i = 0; i < p->count; i++)
		same += wb_item_get_int(p->items[i], "n", -1) == want;
	wb_page_free(p);
	return same;
}

/* A failure is clean: a negative code and a one-line message. */
static void clean_failure(int rc, long n, const char *what)
{
	if (rc >= 0)
		fail_msg("%s: allocation %ld failed but the call returned %d", what, n, rc);
	if (strchr(wb_error_last(), '\n') || !wb_error_last()[0])
		fail_msg("%s: allocation %ld: message '%s'", what, n, wb_error_last());
}

/*
 * The sweep, on one handle: op(db) runs with the nth allocation failing
 * and returns its rc; check(db, rc) verifies the data.  Ends when op
 * succeeds without reaching the nth allocation.
 */
typedef int (*op_fn)(wb_db *db);

typedef void (*check_fn)(wb_db *db, int rc);

static long sweep_on(const char *what, wb_db *db, op_fn op, check_fn check)
{
	long failures = 0;

	for (long n = 1; n < MAX_N; n++) {
		wb_error_clear();
		wb__alloc_fail_at(n);
		int rc = op(db);
		long counted = wb__alloc_fail_at(0);
		if (counted < n) { /* the nth allocation never came: done */
			wbt_ok(rc);
			check(db, rc);
			printf("# %s: %ld failure points swept: %ld clean errors, the others absorbed "
			       "(SQLite's caches), the data intact each time\n", what, n - 1, failures);
			return failures;
		}
		if (rc < 0) {
			clean_failure(rc, n, what);
			failures++;
		}
		check(db, rc);
	}
	fail_msg("%s: still allocating after %d allocations", what, MAX_N);
	return failures;
}

/* ----------------------------------------------------------------- open */

static int op_open(wb_db *unused)
{
	wb_db *db = (wb_db *)1;
	int rc = wb_open(&db, url);

	(void)unused;
	if (rc == 0) {
		wb_table_desc d;
		rc = wb_table_describe(&d, db, table);
		wb_close(db);
	} else if (db) {
		fail_msg("open failed (%d) but handed out a handle", rc);
	}
	return rc;
}

static void check_intact(wb_db *db, int rc)
{
	(void)rc;
	assert_int_equal(count_n(db, 0) + count_n(db, 1) + count_n(db, 2), ITEMS);
}

/* ------------------------------------------------------------------ put */

static int put_gen; /* the value of `n` the last successful put wrote */

static int op_put(wb_db *db)
{
	char json[96];
	wb_item *it;
	int rc;

	snprintf(json, sizeof(json), "{\"id\":\"car-put\",\"n\":%d,\"pad\":\"some text\"}", put_gen + 1);
	if ((rc = wb_item_from_json(&it, json, strlen(json), WB_JSON_PLAIN)) < 0)
		return rc;
	rc = wb_put(db, table, it, NULL);
	wb_item_free(it);
	if (rc == 0)
		put_gen++;
	return rc;
}

static void check_put(wb_db *db, int rc)
{
	wb_item *key = wbt_item("{\"id\":\"car-put\"}"), *got = NULL;
	int grc;

	(void)rc;
	grc = wb_get(&got, db, table, key);
	if (put_gen == 0)
		assert_int_equal(grc, WB_ENOTFOUND);
	else
		assert_int_equal(wb_item_get_int(got, "n", -1), put_gen);
	wb_item_free(got);
	wb_item_free(key);
}

/* ----------------------------------------------------------------- scan */

static int op_scan(wb_db *db)
{
	wb_scan s = WB_SCAN_INIT;
	wb_page *p = (wb_page *)1;
	int rc;

	s.limit = 1000;
	if ((rc = wb_scan_page(&p, db, table, &s)) < 0) {
		if (p)
			fail_msg("scan failed (%d) but handed out a page", rc);
		return rc;
	}
	rc = p->count >= ITEMS ? 0 : -1;
	wb_page_free(p);
	return rc;
}

/* --------------------------------------------------------------- import */

#define IMPORT 100
static int imported; /* batches written */

static int op_import(wb_db *db)
{
	wb_item *items[IMPORT] = {0};
	wb_write w[IMPORT];
	int rc = 0;

	for (int i = 0; i < IMPORT && rc == 0; i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"id\":\"imp-%03d\",\"batch\":%d,\"tags\":[\"a\",\"b\"]}", i,
			 imported + 1);
		rc = wb_item_from_json(&items[i], json, strlen(json), WB_JSON_PLAIN);
		w[i] = (wb_write){table, WB_WRITE_PUT, items[i], NULL};
	}
	if (rc == 0 && (rc = wb_batch_write(db, w, IMPORT, NULL)) == 0)
		imported++;
	for (int i = 0; i < IMPORT; i++)
		wb_item_free(items[i]);
	return rc;
}

/* All of the batch or none of it (one transaction). */
static void check_import(wb_db *db, int rc)
{
	wb_scan s = WB_SCAN_INIT;
	wb_page *p = NULL;
	int with = 0, other = 0;

	(void)rc;
	s.limit = 10000;
	s.pk_prefix = "imp-";
	wbt_ok(wb_scan_page(&p, db, table, &s));
	for (size_t i = 0; i < p->count; i++) {
		if (wb_item_get_int(p->items[i], "batch", -1) == imported)
			with++;
		else
			other++;
	}
	wb_page_free(p);
	assert_int_equal(other, 0);
	assert_int_equal(with, imported ? IMPORT : 0);
}

/* ------------------------------------------------------------ each page */

static int each_gen; /* pages done: every car's n */

static int bump(wb_item *it, void *arg)
{
	(void)arg;
	if (strncmp(wb_item_get_string(it, "id"), "car-0", 5) != 0)
		return WB_KEEP;
	return wb_item_set_int(it, "n", wb_item_get_int(it, "n", 0) + 1) < 0 ? WB_ENOMEM : WB_WRITE;
}

static int op_each(wb_db *db)
{
	wb_scan s = WB_SCAN_INIT;
	wb__page_result page = {0};
	int rc;

	s.limit = 1000;
	if ((rc = wb__db_each_page(db, table, &s, bump, NULL, NULL, &page)) == 0) {
		each_gen++;
		wb_item_free(page.last_key);
	}
	return rc;
}

/* The page is one transaction: every car bumped, or none. */
static void check_each(wb_db *db, int rc)
{
	(void)rc;
	assert_int_equal(count_n(db, each_gen), ITEMS);
}

/* ------------------------------------------------------------- wb_each */

static int runs;

/* wb_each in this process (one thread): the run is begun before the hook; *counted its allocations. */
static int each_run(long fail_at, long *counted)
{
	char id[64];
	wb_run *run;
	int rc;

	snprintf(id, sizeof(id), "20261127T000000Z-%08d", ++runs);
	setenv(WB_ENV_RUN_ID, id, 1);
	run = wb_run_begin();
	wb_error_clear();
	wb__alloc_fail_at(fail_at);
	rc = wb_each(run, table, "car-0", bump, NULL);
	*counted = wb__alloc_fail_at(0);
	wb_run_end(run, rc < 0 ? rc : 0);
	return rc;
}

static void clear_checkpoints(void)
{
	wb_db *db = NULL;

	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__checkpoint_clear(db, "0001_alloc_sweep", NULL));
	wb_close(db);
}

/*
 * The Nth allocation of wb_each fails: a clean error, or a success; then
 * a rerun resumes from the checkpoints and every car is bumped exactly
 * once more (none lost, none twice).
 */
static void test_wb_each(void **state)
{
	long n, failures = 0, counted = 0, ignored, points = 0;
	long step = getenv("SWEEP_FULL") ? 1 : 7; /* every allocation under `make sweep` */
	wb_db *db = NULL;

	(void)state;
	wbt_run_env(url, "dev", "0001_alloc_sweep", 1, 50);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__reserved_ensure(db));
	wb_close(db);
	for (n = 1; n < MAX_N; n += step, points++) {
		int rc = each_run(n, &counted);
		if (rc < 0) {
			clean_failure(rc, n, "wb_each");
			failures++;
			wbt_ok(each_run(0, &ignored)); /* the rerun resumes */
		}
		clear_checkpoints();
		each_gen++;
		wbt_ok(wb_open(&db, url));
		assert_int_equal(count_n(db, each_gen), ITEMS);
		wb_close(db);
		if (counted < n) /* the nth allocation never came */
			break;
	}
	printf("# wb_each: %ld failure points swept (every %ld of %ld allocations): %ld clean errors, the "
	       "others absorbed; after each, the rerun left every car changed exactly once\n", points - 1,
	       step, counted, failures);
}

/*
 * The sweeps of one operation each: the test's name, the name in the
 * report, the operation and its check, and the count of its successes
 * that must be 1 at the end (NULL: none kept).
 */
static const struct sweep {
	const char *test, *what;
	op_fn op;
	check_fn check;
	int *done;
} sweeps[] = {
	{"test_open", "open", op_open, check_intact, NULL},
	{"test_put", "put", op_put, check_put, &put_gen},
	{"test_scan", "scan", op_scan, check_intact, NULL},
	{"test_import", "import", op_import, check_import, &imported},
	{"test_each_page", "each page", op_each, check_each, &each_gen},
};

#define NSWEEPS (sizeof(sweeps) / sizeof(sweeps[0]))

/* The test of one sweep (its cmocka state), on a handle of its own. */
static void test_sweep(void **state)
{
	const struct sweep *sw = *state;
	wb_db *db = NULL;

	wbt_ok(wb_open(&db, url));
	sweep_on(sw->what, db, sw->op, sw->check);
	if (sw->done)
		assert_int_equal(*sw->done, 1);
	wb_close(db);
}

int main(void)
{
	struct CMUnitTest tests[NSWEEPS + 1];

	for (size_t i = 0; i < NSWEEPS; i++)
		tests[i] = (struct CMUnitTest){sweeps[i].test, test_sweep, NULL, NULL, (void *)&sweeps[i]};
	tests[NSWEEPS] = (struct CMUnitTest)cmocka_unit_test(test_wb_each);

	route_allocators();
	seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
