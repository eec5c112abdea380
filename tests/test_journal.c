/*
 * test_journal.c - the journal of a run's writes (src/runner/journal.c and
 * its hooks in each_batch.c and each_fast.c) and wb_revert (src/runner/revert.c): the content
 * hash ignores attribute and set order and number spelling; a prod wb_each
 * records one entry per change, on the fast path and the generic one, on
 * SQLite and (when available) DynamoDB, with the before-image as read and
 * the hash of what was written; dev runs and WHIMBREL_JOURNAL=0 record
 * nothing.  Revert after an application changed some of the same items
 * reports exactly those as conflicts and puts every other item back as it
 * was (same DynamoDB JSON); --force puts back the rest; the revert of the
 * revert brings the migration's changes back; the ledger says who reverted
 * what; a run without a journal is refused.  wb_copy with keys_of_run
 * copies back exactly what the run touched from a copy taken before it,
 * leaving an item the run did not touch as the application changed it;
 * wb_clone with a sample keeps whole partitions (both on SQLite and
 * DynamoDB, cloned into a fresh SQLite file).
 *
 * The run context comes from the environment variables the runner sets
 * (src/runner/run.h), as in test_run_each.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "run_fixture.h"
#include "run.h"
#include "ledger.h"
#include "journal.h"
#include "revert.h"
#include "checkpoint.h"

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
	wbt_run_env(url, mode, mig, 2, 50);
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

/* What journal_chunk counts in, and whether it checks each entry. */
struct journal_tally {
	wb_db *db;
	int check;
	size_t n;
};

/* One chunk of the journal (a wb_visit_fn): its entries counted into the tally, and checked. */
static int journal_chunk(const wb_item *item, void *arg)
{
	struct journal_tally *t = arg;
	wb_journal_read r;

	wbt_ok(wb__journal_parse(&r, item));
	assert_string_equal(r.table, cars);
	for (size_t k = 0; t->check && k < r.n; k++)
		check_entry(t->db, &r.e[k]);
	t->n += r.n;
	wb__journal_read_clear(&r);
	return 0;
}

/* Entries of the run's journal (checked when `check`), chunk by chunk. */
static size_t journal_count(wb_db *db, int check)
{
	wb_value *pk = wb_value_string(run_id, strlen(run_id));
	wb_query q = WB_QUERY_INIT;
	struct journal_tally t = {db, check, 0};
	wb_table_desc d;

	if (wb_table_describe(&d, db, WB_JOURNAL_TABLE) != WB_ENOTFOUND) {
		q.pk = pk;
		wbt_ok(wb_query_all(db, WB_JOURNAL_TABLE, &q, journal_chunk, &t));
	}
	wb_value_free(pk);
	return t.n;
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

/* ---------------------------------------------------------------- revert */

/* The ledger row of the run under test (wb_run_end does not write one: the runner does). */
static void ledger_row(wb_db *db, const char *id, const char *mode, int64_t written, int64_t deleted)
{
	wb_ledger_run r;

	memset(&r, 0, sizeof(r));
	snprintf(r.run_id, sizeof(r.run_id), "%s", id);
	snprintf(r.migration, sizeof(r.migration), "%s", mig);
	snprintf(r.mode, sizeof(r.mode), "%s", mode);
	snprintf(r.status, sizeof(r.status), "succeeded");
	r.written = written;
	r.deleted = deleted;
	wbt_ok(wb__ledger_put(db, &r));
}

static char conflicts[4096]; /* keys reported, "|"-separated */
static int resumed;

static void on_item(wb_revert_event ev, const char *table, const char *key, void *arg)
{
	(void)arg;
	(void)table;
	if (ev == WB_REVERT_RESUMED)
		resumed++;
	else if (strlen(conflicts) + strlen(key) + 2 < sizeof(conflicts))
		strcat(strcat(conflicts, key), "|");
}

static int do_revert(wb_revert_counts *c, wb_ledger_run *out, const char *id, int force, int dry)
{
	wb_revert_options o = WB_REVERT_OPTIONS_INIT;

	o.url = url;
	o.run_id = id;
	o.force = force;
	o.dry_run = dry;
	o.on_item = on_item;
	conflicts[0] = '\0';
	resumed = 0;
	return wb_revert(c, out, &o);
}

static const char *status_of(wb_db *db, const char *id)
{
	static wb_ledger_run r;

	wbt_ok(wb_ledger_get(&r, db, id));
	return r.status;
}

/* Every car as seeded, except those listed (n values, -1 ends), compared as DynamoDB JSON. */
static void assert_seeded(wb_db *db, const int *except)
{
	for (int n = 0; n < N_CARS; n++) {
		int skip = 0;
		for (const int *e = except; *e >= 0; e++)
			skip |= *e == n;
		if (skip)
			continue;
		wb_item *want = car(n), *got = NULL;
		wbt_ok(wb_get(&got, db, cars, want));
		char *a = wbt_json(want), *b = wbt_json(got);
		assert_string_equal(a, b);
		wb_string_free(a);
		wb_string_free(b);
		wb_item_free(want);
		wb_item_free(got);
	}
}

static void set_color(wb_db *db, int n)
{
	wb_item *it = car(n);

	wb_item_set_string(it, "color", "green");
	wbt_ok(wb_put(db, cars, it, NULL));
	wb_item_free(it);
}

static void test_revert_conflicts(void **state)
{
	int t = wbt_case_target(state);
	wb_db *db = fresh(t, "prod", NULL);
	wb_revert_counts c;
	wb_ledger_run me, me2, me3;
	char first[128];
	const int none[] = {-1}, apps[] = {3, 14, -1};
	int changes = expected_changes(), deleted = 0;

	for (int n = 0; n < N_CARS; n++)
		deleted += n % 3 != 0 && n % 7 == 0;
	run_price();
	ledger_row(db, run_id, "prod", changes - deleted, deleted);
	/* the application, after the run: car 3 (priced) and car 14 (deleted, created again) */
	set_color(db, 3);
	set_color(db, 14);

	/* a dry run counts, lists and writes nothing */
	wbt_ok(do_revert(&c, &me, run_id, 0, 1));
	assert_int_equal(c.conflicts, 2);
	assert_int_equal(c.restored + c.recreated, changes - 2);
	assert_string_equal(status_of(db, run_id), "succeeded");
	wb_item *k = car(0), *got = NULL;
	wbt_ok(wb_get(&got, db, cars, k));
	assert_true(wb_item_has(got, "price"));
	wb_item_free(got);

	wbt_ok(do_revert(&c, &me, run_id, 0, 0));
	assert_int_equal(c.entries, changes);
	assert_int_equal(c.conflicts, 2);
	assert_non_null(strstr(conflicts, "\"car-000003\""));
	assert_non_null(strstr(conflicts, "\"car-000014\""));
	assert_int_equal(c.restored, changes - deleted - 1);
	assert_int_equal(c.recreated, deleted - 1);
	assert_seeded(db, apps);
	assert_string_equal(status_of(db, me.run_id), "failed");
	assert_string_equal(status_of(db, run_id), "succeeded"); /* not all of it is back */

	/* --force: the two go back too; the run is reverted */
	wbt_ok(do_revert(&c, &me2, run_id, 1, 0));
	assert_int_equal(c.forced, 2);
	assert_int_equal(c.conflicts, 0);
	assert_int_equal(c.unchanged, changes - 2);
	assert_seeded(db, none);
	assert_string_equal(status_of(db, me2.run_id), "succeeded");
	assert_string_equal(status_of(db, run_id), "reverted");
	snprintf(first, sizeof(first), "%s", me2.run_id);

	/* reverting it again is refused, saying by whom */
	assert_int_equal(do_revert(&c, &me3, run_id, 0, 0), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), first));

	/* the revert of the forced revert: car 3 and 14 as the application left them */
	wbt_ok(do_revert(&c, &me3, first, 0, 0));
	assert_int_equal(c.conflicts, 0);
	assert_int_equal(c.restored, 2);
	assert_string_equal(status_of(db, first), "reverted");
	assert_string_equal(status_of(db, run_id), "succeeded");
	assert_seeded(db, apps);
	/* and of the first revert (which put back all but those two): the migration's changes again */
	wbt_ok(do_revert(&c, &me3, me.run_id, 0, 0));
	assert_int_equal(c.conflicts, 0);
	assert_int_equal(c.restored, changes - deleted - 1); /* priced again */
	assert_int_equal(c.deleted, deleted - 1);            /* deleted again */
	for (int n = 0; n < N_CARS; n++) {
		wb_item *key = car(n), *now = NULL;
		int rc = wb_get(&now, db, cars, key);
		if (n == 3 || n == 14)
			assert_string_equal(wb_item_get_string(now, "color"), "green");
		else if (n % 3 == 0)
			assert_true(strtod(wb_item_get_number(now, "price"), NULL) == 1.5);
		else
			assert_int_equal(rc, n % 7 == 0 ? WB_ENOTFOUND : 0);
		wb_item_free(key);
		wb_item_free(now);
	}
	wb_item_free(k);
	wb_close(db);
}

static void test_revert_refused(void **state)
{
	wb_db *db = fresh(0, "prod", "0");
	wb_revert_counts c;
	wb_ledger_run me;

	(void)state;
	run_price();
	ledger_row(db, run_id, "prod", 200, 60);
	assert_int_equal(do_revert(&c, &me, run_id, 0, 0), WB_ENOTFOUND);
	assert_non_null(strstr(wb_error_last(), "no journal"));
	assert_int_equal(do_revert(&c, &me, "20261127T000000Z-none", 0, 0), WB_ENOTFOUND);
	ledger_row(db, "20261127T000000Z-plan", "plan", 0, 0);
	assert_int_equal(do_revert(&c, &me, "20261127T000000Z-plan", 0, 0), WB_EINVALID);
	unsetenv(WB_ENV_JOURNAL);
	wb_close(db);
}

/* Fails on car 450: the run stops there, its checkpoints kept. */
static int price_then_fail(wb_item *it, void *arg)
{
	if (wb_item_get_int(it, "n", 0) == 450)
		return WB_EINVALID;
	return price(it, arg);
}

static void test_revert_clears_checkpoints(void **state)
{
	wb_db *db = fresh(0, "prod", NULL);
	wb_revert_counts c;
	wb_ledger_run me, r;
	size_t n = 0;
	const int none[] = {-1};

	(void)state;
	setenv(WB_ENV_THREADS, "1", 1);
	setenv(WB_ENV_EACH_GENERIC, "1", 1);
	wb_run *run = wb_run_begin();
	assert_true(wb_each(run, cars, NULL, price_then_fail, NULL) < 0);
	wb_run_end(run, 0);
	unsetenv(WB_ENV_EACH_GENERIC);
	wbt_ok(wb__checkpoint_count(db, mig, &n));
	assert_true(n > 0);
	ledger_row(db, run_id, "prod", 100, 10);
	wbt_ok(wb_ledger_get(&r, db, run_id));
	snprintf(r.status, sizeof(r.status), "failed");
	wbt_ok(wb__ledger_put(db, &r));
	wbt_ok(do_revert(&c, &me, run_id, 0, 0));
	assert_true(c.restored > 0);
	assert_seeded(db, none);
	wbt_ok(wb__checkpoint_count(db, mig, &n));
	assert_int_equal(n, 0); /* the next run starts over */
	wb_close(db);
}

/* ------------------------------------------------------------ copy, clone */

static void test_copy_keys_of_run(void **state)
{
	int t = wbt_case_target(state);
	wb_db *db = fresh(t, "prod", NULL);
	wb_copy_options co = WB_COPY_OPTIONS_INIT;
	wb_copy_counts c;
	char before[96];
	const int app[] = {1, -1};
	int changes = expected_changes(), deleted = 0;

	for (int n = 0; n < N_CARS; n++)
		deleted += n % 3 != 0 && n % 7 == 0;
	snprintf(before, sizeof(before), "%s_before", cars);
	co.from_url = url;
	co.src = cars;
	co.dst = before;
	wbt_ok(wb_copy(&c, &co));
	assert_int_equal(c.written, N_CARS);
	assert_int_equal(c.created_table, 1);
	run_price();
	ledger_row(db, run_id, "prod", changes - deleted, deleted);
	set_color(db, 1); /* the application, on an item the run did not touch */

	co.src = before;
	co.dst = cars;
	co.keys_of_run = run_id;
	wbt_ok(wb_copy(&c, &co));
	assert_int_equal(c.read, changes);
	assert_int_equal(c.written, changes);
	assert_seeded(db, app);
	wb_item *k = car(1), *now = NULL;
	wbt_ok(wb_get(&now, db, cars, k));
	assert_string_equal(wb_item_get_string(now, "color"), "green");
	wb_item_free(now);
	wb_item_free(k);
	wb_close(db);
}

static void test_clone_sample(void **state)
{
	int t = wbt_case_target(state);
	wb_key_schema key = {"pk", WB_S, "sk", WB_S};
	wb_clone_options co = WB_CLONE_OPTIONS_INIT;
	const char *tables[1];
	char shop[64], dev[600], json[160];
	wb_db *db = NULL, *d = NULL;
	wb_page *page = NULL;
	int per[40] = {0}, parts = 0;

	wbt_target_url(t, url, sizeof(url));
	wbt_target_url(0, dev, sizeof(dev)); /* a fresh SQLite file */
	wbt_table_name(shop, sizeof(shop), "shop");
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, shop, &key));
	for (int p = 0; p < 40; p++)
		for (int o = 0; o < 3; o++) {
			snprintf(json, sizeof(json), "{\"pk\":\"C#%02d\",\"sk\":\"O#%d\",\"mail\":\"c%d@x\"}", p, o, p);
			wb_item *it = wbt_item(json);
			wbt_ok(wb_put(db, shop, it, NULL));
			wb_item_free(it);
		}
	tables[0] = shop;
	co.from_url = url;
	co.to_url = dev;
	co.tables = tables;
	co.ntables = 1;
	co.sample = 7;
	wbt_ok(wb_clone(&co));
	wbt_ok(wb_open(&d, dev));
	wb_scan s = WB_SCAN_INIT;
	s.limit = 1000;
	wbt_ok(wb_scan_page(&page, d, shop, &s));
	for (size_t i = 0; i < page->count; i++)
		per[atoi(wb_item_get_string(page->items[i], "pk") + 2)]++;
	for (int p = 0; p < 40; p++) {
		assert_true(per[p] == 0 || per[p] == 3); /* whole partitions */
		parts += per[p] == 3;
	}
	assert_int_equal(parts, 7);
	wb_page_free(page);
	wb_close(d);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_canonical),
		WBT_BOTH(test_journal_prod),
		WBT_BOTH(test_journal_prod_generic),
		cmocka_unit_test(test_journal_off),
		WBT_BOTH(test_revert_conflicts),
		cmocka_unit_test(test_revert_refused),
		cmocka_unit_test(test_revert_clears_checkpoints),
		WBT_BOTH(test_copy_keys_of_run),
		WBT_BOTH(test_clone_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
