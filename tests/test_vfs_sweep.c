/*
 * test_vfs_sweep.c - SQLite I/O errors and a full disk during a migration
 * (issue 9, sweeps).  A VFS shim (tests/lib/faultvfs.c) fails the Nth read,
 * write or sync, or every write from the Nth on (a full disk), while
 * wb_each runs a migration in this process (the fast path, pages with
 * their checkpoints).  Each time: wb_each fails cleanly (a negative code,
 * a one-line message) or succeeds, `PRAGMA integrity_check` says ok, and a
 * rerun without faults completes with every item changed.
 * Small here (about 12 points per kind); SWEEP_FULL=1 (`make sweep`) fails
 * every operation in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "wbtest.h"
#include "run_fixture.h"
#include "store_fixture.h"
#include "faultvfs.h"
#include "run.h"
#include "ledger.h"
#include "checkpoint.h"

#define N 2000

static char url[720], path[700];
static const char *table = "cars";
static int iter;       /* the value the migration writes into `v` */
static int runs;       /* run ids */

static int set_v(wb_item *it, void *arg)
{
	(void)arg;
	return wb_item_set_int(it, "v", iter) < 0 ? WB_ENOMEM : WB_WRITE;
}

/* One in-process run of the migration: its wb_each's code. */
static int migrate(wbt_vfs_fault kind, long at)
{
	char id[64];
	wb_run *run;
	int rc;

	snprintf(id, sizeof(id), "20261127T000000Z-%08d", ++runs);
	setenv(WB_ENV_RUN_ID, id, 1);
	run = wb_run_begin(); /* opens the target: before the fault */
	wb_error_clear();
	wbt_vfs_fail(kind, at);
	rc = wb_each(run, table, NULL, set_v, NULL);
	wbt_vfs_fail(kind, 0);
	if (rc < 0 && (strchr(wb_error_last(), '\n') || !wb_error_last()[0]))
		fail_msg("fault %d at %ld: message '%s'", (int)kind, at, wb_error_last());
	wb_run_end(run, rc < 0 ? rc : 0);
	if (rc == 0) { /* as the runner does after a success; a failed run's are resumed from */
		wb_db *db = NULL;
		wbt_ok(wb_open(&db, url));
		wbt_ok(wb__checkpoint_clear(db, "0001_vfs_sweep", NULL));
		wb_close(db);
	}
	return rc;
}

static void integrity_ok(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* How many items have v == want. */
static int count_v(int64_t want)
{
	wb_db *db = NULL;
	wb_scan s = WB_SCAN_INIT;
	wb_page *p = NULL;
	int same = 0;

	wbt_ok(wb_open(&db, url));
	s.limit = 10000;
	wbt_ok(wb_scan_page(&p, db, table, &s));
	for (size_t i = 0; i < p->count; i++)
		same += wb_item_get_int(p->items[i], "v", -1) == want;
	wb_page_free(p);
	wb_close(db);
	return same;
}

static void setup_target(void)
{
	wb_key_schema key = {"id", WB_S, "", WB_S};
	wb_db *db = NULL;

	snprintf(path, sizeof(path), "%s/vfs.db", wbt_tmpdir());
	snprintf(url, sizeof(url), "sqlite:%s", path);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__reserved_ensure(db));
	wbt_ok(wb_table_create(db, table, &key));
	wbt_seed_items(db, table, N, "{\"id\":\"car-%06d\",\"v\":0}");
	wb_close(db);
	wbt_run_env(url, "dev", "0001_vfs_sweep", 1, 100);
}

static void sweep_kind(wbt_vfs_fault kind, const char *name)
{
	long ops, step, points = 0, failed = 0;
	int full = getenv("SWEEP_FULL") != NULL;

	iter++;
	wbt_vfs_fail(kind, 0);
	wbt_ok(migrate(kind, 0)); /* calibration: how many operations a run makes */
	ops = wbt_vfs_count(kind);
	assert_int_equal(count_v(iter), N);
	step = full || ops <= 12 ? 1 : ops / 12;
	for (long at = 1; at <= ops; at += step, points++) {
		iter++;
		int rc = migrate(kind, at);
		failed += rc < 0;
		integrity_ok();
		wbt_ok(migrate(kind, 0)); /* the rerun completes */
		assert_int_equal(count_v(iter), N);
	}
	printf("# %s: %ld operations a run; faults at %ld points: %ld runs failed cleanly, the others "
	       "absorbed the fault; integrity ok and the rerun complete each time\n",
	       name, ops, points, failed);
	assert_true(failed > 0);
}

/* The sweeps: the test's name, a kind of fault, and its name in the report. */
static const struct sweep {
	const char *test;
	wbt_vfs_fault kind;
	const char *name;
} sweeps[] = {
	{"test_read_errors", WBT_VFS_READ, "read errors"},
	{"test_write_errors", WBT_VFS_WRITE, "write errors"},
	{"test_sync_errors", WBT_VFS_SYNC, "sync errors"},
	{"test_full_disk", WBT_VFS_FULL, "full disk"},
};

#define NSWEEPS (sizeof(sweeps) / sizeof(sweeps[0]))

/* The test of one sweep (its cmocka state). */
static void test_sweep(void **state)
{
	const struct sweep *sw = *state;

	sweep_kind(sw->kind, sw->name);
}

int main(void)
{
	struct CMUnitTest tests[NSWEEPS];

	for (size_t i = 0; i < NSWEEPS; i++)
		tests[i] = (struct CMUnitTest){sweeps[i].test, test_sweep, NULL, NULL, (void *)&sweeps[i]};

	if (wbt_vfs_install() != SQLITE_OK) {
		printf("not ok 1 - cannot register the fault VFS\n");
		return 1;
	}
	setup_target();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
