/*
 * test_faults.c - failures injected under real work on a real SQLite file
 * (the fault backend of tests/lib/fault_backend.h wraps the handle).
 *
 * The wrapper itself: it mirrors the store's capabilities, fails exactly
 * the calls its rules name with a one-line message, and a failure "after"
 * the call leaves the write done.  Then a migration-like loop the generic
 * way (scan a page, change its items, write them back with the checkpoint
 * in one batch): a batch that fails stops the loop with the error, leaves
 * that page unchanged and the checkpoint on the page before, and resuming
 * from the checkpoint changes every item exactly once; so does a batch
 * whose reply is lost after it committed.  Last the fast path (each_page):
 * when the checkpoint write inside a page's transaction fails, the page's
 * changes, already made inside the transaction, are rolled back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "backend.h"
#include "fault_backend.h"

#define ITEMS 100
#define PAGE 10

static wb_key_schema key_id(void)
{
	wb_key_schema k;

	memset(&k, 0, sizeof(k));
	snprintf(k.pk_name, sizeof(k.pk_name), "id");
	k.pk_type = WB_S;
	return k;
}

/* A wrapper over a fresh SQLite file with tables "cars" (ITEMS items) and "ckpt". */
static wb_db *fresh(void)
{
	wb_key_schema k = key_id();
	char url[600], id[32];
	wb_db *db = NULL;

	wbt_target_url(0, url, sizeof(url));
	wbt_ok(wbt_fault_open(&db, url));
	wbt_ok(wb_table_create(db, "cars", &k));
	wbt_ok(wb_table_create(db, "ckpt", &k));
	for (int i = 0; i < ITEMS; i++) {
		wb_item *it = wb_item_new();
		snprintf(id, sizeof(id), "car-%03d", i);
		wb_item_set_string(it, "id", id);
		wb_item_set_string(it, "brand", "Volvo");
		wbt_ok(wb_put(db, "cars", it, NULL));
		wb_item_free(it);
	}
	return db;
}

static wb_item *key_item(const char *id)
{
	wb_item *k = wb_item_new();

	wb_item_set_string(k, "id", id);
	return k;
}

/* Items of "cars" with visits == 1 (through the inner handle); fails on any other count. */
static int visited_once(wb_db *db)
{
	wb_scan sc = WB_SCAN_INIT;
	wb_page *page = NULL;
	int n = 0;

	sc.limit = 1000;
	wbt_ok(wb_scan_page(&page, wbt_fault_inner(db), "cars", &sc));
	assert_int_equal(page->count, ITEMS);
	for (size_t i = 0; i < page->count; i++) {
		int64_t v = wb_item_get_int(page->items[i], "visits", 0);
		if (v > 1)
			fail_msg("item %s changed %lld times", wb_item_get_string(page->items[i], "id"),
				 (long long)v);
		n += v == 1;
	}
	wb_page_free(page);
	return n;
}

/* The checkpoint: the id to continue after (NULL: none; caller frees), and *pages. */
static char *checkpoint(wb_db *db, int64_t *pages)
{
	wb_item *k = key_item("mig"), *got = NULL;
	char *after = NULL;
	int rc = wb_get(&got, wbt_fault_inner(db), "ckpt", k);

	*pages = 0;
	if (rc == 0) {
		after = strdup(wb_item_get_string(got, "after"));
		*pages = wb_item_get_int(got, "pages", 0);
	} else {
		assert_int_equal(rc, WB_ENOTFOUND);
	}
	wb_item_free(k);
	wb_item_free(got);
	return after;
}

static wb_item *checkpoint_item(const wb_item *last_key, int64_t pages)
{
	wb_item *cp = key_item("mig");

	wb_item_set_string(cp, "after", wb_item_get_string(last_key, "id"));
	wb_item_set_int(cp, "pages", pages);
	return cp;
}

/* ----------------------------------------------------------- the wrapper */

static void test_rules(void **state)
{
	wb_db *db = fresh();
	wb_item *k, *got = NULL;
	char **names = NULL;
	size_t count = 9;

	(void)state;
	assert_int_equal(wb__db_caps(db), wb__db_caps(wbt_fault_inner(db)));
	assert_non_null(db->ops->each_page);
	assert_int_equal(wbt_fault_calls(db, WBT_FOP_PUT), ITEMS);

	/* the 2nd put from now fails, before it reaches the store */
	wbt_ok(wbt_fault_add(db, WBT_FOP_PUT, 2, WB_EIO, 0));
	k = key_item("new-1");
	wbt_ok(wb_put(db, "cars", k, NULL));
	wb_item_set_string(k, "id", "new-2");
	assert_int_equal(wb_put(db, "cars", k, NULL), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "fault injected: put call 102 fails"));
	assert_int_equal(wb_get(&got, db, "cars", k), WB_ENOTFOUND);
	assert_null(got);
	wb_item_set_string(k, "id", "new-3");
	wbt_ok(wb_put(db, "cars", k, NULL));
	assert_int_equal(wbt_fault_injected(db), 1);

	/* sticky: every table list from the 2nd on fails, and hands nothing out */
	wbt_fault_clear(db);
	wbt_ok(wbt_fault_add(db, WBT_FOP_TABLE_LIST, 2, WB_EBUSY, WBT_FAULT_STICKY));
	wbt_ok(wb_table_list(&names, &count, db));
	assert_int_equal(count, 2);
	wb_strings_free(names);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(wb_table_list(&names, &count, db), WB_EBUSY);
		assert_null(names);
		assert_int_equal(count, 0);
	}

	/* after: the write is done, the caller hears of a failure */
	wbt_fault_clear(db);
	wbt_ok(wbt_fault_add(db, WBT_FOP_ANY, 1, WB_EIO, WBT_FAULT_AFTER));
	wb_item_set_string(k, "id", "new-4");
	assert_int_equal(wb_put(db, "cars", k, NULL), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "(after it ran)"));
	wbt_ok(wb_get(&got, db, "cars", k));
	wb_item_free(got);

	/* bad rules */
	assert_int_equal(wbt_fault_add(db, WBT_FOP_PUT, 0, WB_EIO, 0), WB_EINVALID);
	assert_int_equal(wbt_fault_add(wbt_fault_inner(db), WBT_FOP_PUT, 1, WB_EIO, 0), WB_EINVALID);
	wb_item_free(k);
	wb_close(db);
}

/* ------------------------------------------------- the generic way, batches */

static void visit(wb_item *item)
{
	wb_item_set_int(item, "visits", wb_item_get_int(item, "visits", 0) + 1);
}

/*
 * Pages of PAGE items from the checkpoint on: each item changed and written
 * back (conditional on the item read) with the checkpoint, in one batch.
 */
static int generic_run(wb_db *db)
{
	int64_t pages;
	char *after = checkpoint(db, &pages);
	wb_item *cursor = after ? key_item(after) : NULL;
	int rc = 0;

	free(after);
	do {
		wb_scan sc = WB_SCAN_INIT;
		wb_page *page = NULL;
		wb_write w[PAGE + 1];
		wb_cond cond[PAGE];
		wb_item *before[PAGE], *cp = NULL;
		size_t n;

		sc.limit = PAGE;
		sc.start_after = cursor;
		if ((rc = wb_scan_page(&page, db, "cars", &sc)) < 0)
			break;
		for (n = 0; n < page->count; n++) {
			before[n] = wb_item_dup(page->items[n]);
			visit(page->items[n]);
			cond[n] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, before[n]};
			w[n] = (wb_write){"cars", WB_WRITE_PUT, page->items[n], &cond[n]};
		}
		if (page->last_key || n) {
			cp = checkpoint_item(page->last_key ? page->last_key : page->items[n - 1], ++pages);
			w[n++] = (wb_write){"ckpt", WB_WRITE_PUT, cp, NULL};
		}
		rc = wb_batch_write(db, w, n, NULL);
		for (size_t i = 0; i < page->count; i++)
			wb_item_free(before[i]);
		wb_item_free(cp);
		wb_item_free(cursor);
		cursor = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
	} while (rc == 0 && cursor);
	wb_item_free(cursor);
	return rc;
}

/*
 * The 4th batch fails (flags: before or after it ran): the loop stops with
 * the error, `committed` pages are written with their checkpoint, the rest
 * untouched; resumed without faults, every item is changed exactly once.
 */
static void generic_fault(int flags, int committed)
{
	wb_db *db = fresh();
	int64_t pages;
	char *after;

	assert_true(wb__db_caps(db) & WB_CAP_ATOMIC_BATCH);
	wbt_ok(wbt_fault_add(db, WBT_FOP_BATCH_WRITE, 4, WB_EIO, flags));
	assert_int_equal(generic_run(db), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "fault injected: batch_write call 4"));
	assert_non_null(strstr(wb_error_last(), "batch_write"));
	assert_int_equal(visited_once(db), committed * PAGE);
	after = checkpoint(db, &pages);
	assert_non_null(after);
	assert_int_equal(pages, committed);
	free(after);
	wbt_fault_clear(db);
	wbt_ok(generic_run(db));
	assert_int_equal(visited_once(db), ITEMS);
	wb_close(db);
}

/* A failed batch: three pages done, the fourth untouched, the checkpoint on the third. */
static void test_generic_batch_fails(void **state)
{
	(void)state;
	generic_fault(0, 3);
}

/* A lost reply: the fourth batch committed, checkpoint and all. */
static void test_generic_reply_lost(void **state)
{
	(void)state;
	generic_fault(WBT_FAULT_AFTER, 4);
}

/* ------------------------------------------------------- the fast path */

static int fast_fn(wb_item *item, void *arg)
{
	(*(int *)arg)++;
	visit(item);
	return WB_WRITE;
}

/* Hook: the checkpoint, in the page's transaction (through the wrapper: rules apply). */
static int fast_checkpoint(wb_db *db, const wb__page_result *page, void *arg)
{
	int64_t *pages = arg;
	wb_item *cp;
	wb_write w;
	int rc;

	if (!page->last_key)
		return 0;
	cp = checkpoint_item(page->last_key, ++*pages);
	w = (wb_write){"ckpt", WB_WRITE_PUT, cp, NULL};
	rc = wb__db_tx_write(db, &w, 1, NULL);
	wb_item_free(cp);
	if (rc < 0)
		--*pages;
	return rc;
}

/*
 * Pages of up to PAGE items through each_page from the checkpoint on;
 * *done counts the items of the pages that committed.
 */
static int fast_run(wb_db *db, int *calls, size_t *done)
{
	int64_t pages;
	char *after = checkpoint(db, &pages);
	wb__page_hooks hooks = {NULL, fast_checkpoint, &pages, 0};
	wb_item *cursor = after ? key_item(after) : NULL;
	int rc;

	free(after);
	do {
		wb__page_result page;
		wb_scan sc = WB_SCAN_INIT;
		sc.limit = PAGE;
		sc.start_after = cursor;
		rc = wb__db_each_page(db, "cars", &sc, fast_fn, calls, &hooks, &page);
		*done += rc == 0 ? page.scanned : 0;
		wb_item_free(cursor);
		cursor = rc == 0 ? page.last_key : NULL;
	} while (rc == 0 && cursor);
	wb_item_free(cursor);
	return rc;
}

static void test_fast_checkpoint_fails(void **state)
{
	wb_db *db = fresh();
	size_t done = 0, lost;
	int calls = 0;
	int64_t pages;
	char *after;

	(void)state;
	wbt_ok(wbt_fault_add(db, WBT_FOP_TX_WRITE, 3, WB_EIO, 0));
	assert_int_equal(fast_run(db, &calls, &done), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "fault injected: tx_write call 3"));
	assert_int_equal(wbt_fault_calls(db, WBT_FOP_EACH_PAGE), 3);
	/* the callback changed the third page too, but its transaction was rolled back */
	assert_true(done > 0 && (size_t)calls > done);
	lost = (size_t)calls - done;
	assert_int_equal(visited_once(db), done);
	after = checkpoint(db, &pages);
	assert_int_equal(pages, 2);
	free(after);
	/* and the handle goes on: resumed, every item changed exactly once */
	wbt_fault_clear(db);
	wbt_ok(fast_run(db, &calls, &done));
	assert_int_equal(done, ITEMS);
	assert_int_equal(visited_once(db), ITEMS);
	assert_int_equal((size_t)calls, ITEMS + lost);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_generic_batch_fails),
		cmocka_unit_test(test_generic_reply_lost),
		cmocka_unit_test(test_fast_checkpoint_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
