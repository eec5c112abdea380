/*
 * test_each_dev.c - the pages of a dev run on SQLite (wb__page_hooks.dev,
 * backend.h: synchronous=OFF and a shorter WAL, sqlite_each.c) keep the
 * guarantees of every page: each page is one transaction with its hooks'
 * writes (a failing checkpoint hook leaves nothing of the page), and a
 * crash of the process right after a commit loses nothing committed (a
 * child process runs pages and dies with _exit, without closing; the
 * parent then finds every committed page and its checkpoint, and the file
 * passes SQLite's integrity check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "wbtest.h"
#include "store_fixture.h"
#include "backend.h"
#include "common.h"

#define N 3000
#define PAGE 500

static int tried; /* pages tried since fresh() */

static int add_price(wb_item *it, void *arg)
{
	(void)arg;
	wb_item_set_int(it, "price", 7);
	return WB_WRITE;
}

/* The checkpoint of every page, in its transaction; fails page *arg (1-based) when set. */
static int checkpoint(wb_db *db, const wb__page_result *page, void *arg)
{
	int *fail_at = arg;
	wb_item *ck = wb_item_new();
	wb_write w = {"dev_marks", WB_WRITE_PUT, ck, NULL};
	int rc;

	wb_item_set_string(ck, "id", "ck");
	wb_item_set_int(ck, "scanned", (int64_t)page->scanned);
	wb_item_set_int(ck, "page", ++tried);  /* counts the tries: a failed page's count is rolled back */
	rc = wb__db_tx_write(db, &w, 1, NULL);
	wb_item_free(ck);
	if (rc == 0 && *fail_at && tried == *fail_at)
		return wb__error(db, WB_EIO, "checkpoint refused (test)");
	return rc;
}

static wb_db *fresh(char *url, size_t size)
{
	wb_key_schema k = {"id", WB_S, "", WB_S};
	wb_db *db = NULL;

	tried = 0;
	wbt_target_url(0, url, size);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, "dev_cars", &k));
	wbt_ok(wb_table_create(db, "dev_marks", &k));
	wbt_seed_items(db, "dev_cars", N, "{\"id\":\"car-%1$05d\",\"n\":%1$d}");
	return db;
}

/* Pages from the start until done or `pages` pages: returns the pages committed, *items their items. */
static int pages_of(wb_db *db, int pages, int *fail_at, int *rc_out, int64_t *items)
{
	wb__page_hooks hooks = {NULL, checkpoint, fail_at, 1};
	wb_item *cursor = NULL;
	int done = 0;

	*rc_out = 0;
	*items = 0;
	do {
		wb__page_result page;
		wb_scan sc = WB_SCAN_INIT;
		sc.limit = PAGE;
		sc.start_after = cursor;
		if ((*rc_out = wb__db_each_page(db, "dev_cars", &sc, add_price, NULL, &hooks, &page)) < 0)
			break;
		done++;
		*items += (int64_t)page.scanned;
		wb_item_free(cursor);
		cursor = page.last_key;
	} while (cursor && done < pages);
	wb_item_free(cursor);
	return done;
}

/* A wb_visit_fn: counts the items that have a price into *(int64_t *)arg. */
static int count_priced(const wb_item *item, void *arg)
{
	*(int64_t *)arg += wb_item_has(item, "price");
	return 0;
}

static int64_t priced(wb_db *db)
{
	int64_t n = 0;

	wbt_ok(wb_scan_all(db, "dev_cars", NULL, count_priced, &n));
	return n;
}

static void test_dev_page_stays_atomic(void **state)
{
	char url[600];
	wb_db *db = fresh(url, sizeof(url));
	wb_item *key = wbt_item("{\"id\":\"ck\"}"), *ck = NULL;
	int fail_at = 3, rc;
	int64_t items;
	(void)state;

	assert_int_equal(pages_of(db, 100, &fail_at, &rc, &items), 2);
	assert_int_equal(rc, WB_EIO);
	assert_true(items > PAGE);
	assert_int_equal(priced(db), items); /* nothing of page 3 */
	wbt_ok(wb_get(&ck, db, "dev_marks", key));
	assert_int_equal(wb_item_get_int(ck, "page", 0), 2);
	wb_item_free(ck);
	wb_item_free(key);
	wb_close(db);
}

static void test_dev_pages_survive_a_process_crash(void **state)
{
	char url[600];
	wb_db *db = fresh(url, sizeof(url));
	wb_item *key = wbt_item("{\"id\":\"ck\"}"), *ck = NULL;
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	int status = 0, fd[2];
	int64_t items = 0;
	pid_t pid;
	(void)state;

	wb_close(db);
	fflush(NULL);
	assert_int_equal(pipe(fd), 0);
	if ((pid = fork()) == 0) {
		int fail_at = 0, rc;
		wb_db *child = NULL;
		if (wb_open(&child, url) < 0 || pages_of(child, 4, &fail_at, &rc, &items) != 4 || rc < 0 ||
		    write(fd[1], &items, sizeof(items)) != (ssize_t)sizeof(items))
			_exit(3);
		_exit(0); /* dies with the handle open: no close, no final checkpoint */
	}
	assert_true(pid > 0);
	close(fd[1]);
	assert_int_equal(read(fd[0], &items, sizeof(items)), sizeof(items));
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(items > 3 * PAGE && items < N);
	wbt_ok(wb_open(&db, url));
	assert_int_equal(priced(db), items);
	wbt_ok(wb_get(&ck, db, "dev_marks", key));
	assert_non_null(ck);
	assert_int_equal(wb_item_get_int(ck, "page", 0), 4);
	wb_item_free(ck);
	wb_item_free(key);
	wb_close(db);
	assert_int_equal(sqlite3_open_v2(url + strlen("sqlite:"), &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_page_stays_atomic),
		cmocka_unit_test(test_dev_pages_survive_a_process_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
