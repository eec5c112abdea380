/*
 * test_sqlite.c - what only the embedded SQLite backend promises.
 *
 * Two processes writing one file; a write lock held past the busy timeout
 * gives WB_EBUSY with a clear message instead of a hang; a table name full
 * of SQL metacharacters is refused and changes nothing; table names that
 * differ only in case are different tables; several threads with a handle
 * each and several threads sharing one handle; another handle's schema
 * change is noticed; open errors (missing directory, not a database);
 * the migration fast path: the each_page and tx_write operations of its
 * capabilities (wb__db_each_page, backend.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "wbtest.h"
#include "store_fixture.h"
#include "common.h"
#include "backend.h"

static wb_key_schema key_s(const char *pk)
{
	wb_key_schema k;

	memset(&k, 0, sizeof(k));
	snprintf(k.pk_name, sizeof(k.pk_name), "%s", pk);
	k.pk_type = WB_S;
	return k;
}

/* A fresh database file: its URL in url, its path returned (inside url). */
static const char *fresh_db(char *url, size_t size)
{
	wbt_target_url(0, url, size);
	return url + strlen("sqlite:");
}

/* The "n" of the item whose id is `id` (the test fails when there is none). */
static int64_t n_of(wb_db *db, const char *table, const char *id)
{
	char key[100];
	wb_item *got;
	int64_t n;

	snprintf(key, sizeof(key), "{\"id\":\"%s\"}", id);
	got = wbt_get_json(db, table, key);
	assert_non_null(got);
	n = wb_item_get_int(got, "n", -1);
	wb_item_free(got);
	return n;
}

/* A fresh database (its URL into url), open, with a table `table` keyed by "id" (S). */
static wb_db *open_fresh_table(char *url, size_t size, const char *table)
{
	wb_key_schema k = key_s("id");
	wb_db *db = NULL;

	fresh_db(url, size);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, table, &k));
	return db;
}

/* Put an item {id: "<prefix><i>", n: i}. */
static int put_id(wb_db *db, const char *table, const char *prefix, int i)
{
	char id[64];
	wb_item *it = wb_item_new();
	int rc;

	snprintf(id, sizeof(id), "%s%d", prefix, i);
	if (!it || wb_item_set_string(it, "id", id) < 0 || wb_item_set_int(it, "n", i) < 0)
		return WB_ENOMEM;
	rc = wb_put(db, table, it, NULL);
	wb_item_free(it);
	return rc;
}

/* ------------------------------------------------------------ processes */

#define PROC_ITEMS 200

/* What a child process does on its own connection: 0 or an error code. */
typedef int child_work(wb_db *db, const char *name);

/* The child: open url, work(db, name), exit 0 when both worked (else say why and exit 1). */
static void child_run(const char *url, child_work *work, const char *name)
{
	wb_db *db = NULL;
	int rc = wb_open(&db, url);

	if (rc == 0)
		rc = work(db, name);
	if (rc != 0)
		fprintf(stderr, "child %s: %s\n", name, wb_error_last());
	wb_close(db);
	_exit(rc == 0 ? 0 : 1);
}

/* Two processes at once, the i-th doing work(db, names[i]) on url; both must exit 0. */
static void two_children(const char *url, child_work *work, const char *const names[2])
{
	pid_t pid[2];
	int status;

	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0)
			child_run(url, work, names[i]);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/* PROC_ITEMS items with ids prefix0.. into the table "shared". */
static int child_writes(wb_db *db, const char *prefix)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < PROC_ITEMS; i++)
		rc = put_id(db, "shared", prefix, i);
	return rc;
}

static void test_two_processes(void **state)
{
	static const char *const prefixes[2] = {"a", "b"};
	char url[600];
	wb_db *db = open_fresh_table(url, sizeof(url), "shared");

	(void)state;
	wb_close(db);
	two_children(url, child_writes, prefixes);
	wbt_ok(wb_open(&db, url));
	assert_int_equal(wbt_count_items(db, "shared", NULL), 2 * PROC_ITEMS);
	wb_close(db);
}

/* Two processes opening a file that does not exist yet, each making a table (and 50 items in it). */
static int child_creates(wb_db *db, const char *table)
{
	wb_key_schema k = key_s("id");
	int rc = wb_table_create(db, table, &k);

	for (int i = 0; rc == 0 && i < 50; i++)
		rc = put_id(db, table, "c", i);
	return rc;
}

static void test_two_processes_new_file(void **state)
{
	static const char *const tables[2] = {"first", "second"};
	char url[600];
	wb_db *db = NULL;
	char **names = NULL;
	size_t count = 0;

	(void)state;
	fresh_db(url, sizeof(url));
	two_children(url, child_creates, tables);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_list(&names, &count, db));
	assert_int_equal(count, 2);
	assert_string_equal(names[0], "first");
	assert_string_equal(names[1], "second");
	wb_strings_free(names);
	assert_int_equal(wbt_count_items(db, "first", NULL), 50);
	assert_int_equal(wbt_count_items(db, "second", NULL), 50);
	wb_close(db);
}

/* A write lock held by another connection past the busy timeout: WB_EBUSY, said clearly. */
static void test_busy_timeout(void **state)
{
	char url[600];
	const char *path = fresh_db(url, sizeof(url));
	wb_key_schema k = key_s("id");
	wb_db *db = NULL;
	sqlite3 *other = NULL;

	(void)state;
	setenv("WB_SQLITE_BUSY_MS", "150", 1);
	wbt_ok(wb_open(&db, url));
	unsetenv("WB_SQLITE_BUSY_MS");
	wbt_ok(wb_table_create(db, "locked", &k));
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	assert_int_equal(put_id(db, "locked", "x", 1), WB_EBUSY);
	assert_non_null(strstr(wb_errmsg(db), "locked by another process"));
	assert_non_null(strstr(wb_errmsg(db), path));
	assert_non_null(strstr(wb_errmsg(db), "put into locked"));
	/* reads still work while another process writes (WAL) */
	assert_int_equal(wbt_count_items(db, "locked", NULL), 0);

	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	wbt_ok(put_id(db, "locked", "x", 1));
	assert_int_equal(n_of(db, "locked", "x1"), 1);
	sqlite3_close(other);
	wb_close(db);
}

/* ---------------------------------------------------------------- names */

/* Everything in sqlite_master and the catalog, as one string. */
static char *schema_dump(const char *path)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);

	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c,
		"SELECT type || ' ' || name || ' ' || ifnull(sql, '') FROM sqlite_master UNION ALL "
		"SELECT name || ' ' || pk_name || pk_type || sk_name || sk_type FROM wb_tables ORDER BY 1",
		-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		len += (size_t)snprintf(out + len, cap - len, "%s\n", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(c);
	return out;
}

static void test_sql_metacharacters(void **state)
{
	static const char *const evil[] = {
		"x\"; DROP TABLE wb_tables; --",
		"cars\"; DROP TABLE \"t1_cars",
		"cars' OR '1'='1",
		"t1_cars\" (h)",
	};
	char url[600];
	const char *path = fresh_db(url, sizeof(url));
	wb_key_schema k = key_s("id");
	wb_db *db = NULL;
	wb_item *it, *got = NULL;
	wb_page *page = NULL;
	wb_table_desc d;
	char *before, *after;

	(void)state;
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, "cars", &k));
	wbt_ok(put_id(db, "cars", "car", 1));
	before = schema_dump(path);
	it = wb_item_new();
	wbt_ok(wb_item_set_string(it, "id", "car1"));
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		assert_int_equal(wb_table_create(db, evil[i], &k), WB_EINVALID);
		assert_non_null(strstr(wb_errmsg(db), "invalid table name"));
		assert_int_equal(wb_put(db, evil[i], it, NULL), WB_EINVALID);
		assert_int_equal(wb_get(&got, db, evil[i], it), WB_EINVALID);
		assert_int_equal(wb_table_drop(db, evil[i]), WB_EINVALID);
		assert_int_equal(wb_table_describe(&d, db, evil[i]), WB_EINVALID);
		assert_int_equal(wb_scan_page(&page, db, evil[i], NULL), WB_EINVALID);
	}
	after = schema_dump(path);
	assert_string_equal(before, after);
	assert_non_null(strstr(after, "cars"));
	assert_int_equal(n_of(db, "cars", "car1"), 1);
	wb_item_free(it);
	free(before);
	free(after);
	wb_close(db);
}

/* SQLite identifiers ignore case; table names do not. */
static void test_names_differing_in_case(void **state)
{
	char url[600];
	wb_key_schema k = key_s("id"), kn = key_s("num");
	wb_db *db = NULL;
	wb_table_desc d;

	(void)state;
	fresh_db(url, sizeof(url));
	wbt_ok(wb_open(&db, url));
	kn.pk_type = WB_N;
	wbt_ok(wb_table_create(db, "cars", &k));
	wbt_ok(wb_table_create(db, "CARS", &kn));
	wbt_ok(put_id(db, "cars", "c", 1));
	wbt_ok(put_id(db, "cars", "c", 2));
	wbt_ok(wb_table_describe(&d, db, "CARS"));
	assert_string_equal(d.key.pk_name, "num");
	assert_int_equal(d.item_count, 0);
	wbt_ok(wb_table_describe(&d, db, "cars"));
	assert_int_equal(d.item_count, 2);
	wbt_ok(wb_table_drop(db, "CARS"));
	wbt_ok(wb_table_describe(&d, db, "cars"));
	assert_int_equal(d.item_count, 2);
	wb_close(db);
}

/* Another handle drops and re-creates a table with another key: this handle follows. */
static void test_schema_change_by_other_handle(void **state)
{
	char url[600];
	wb_key_schema k = key_s("id"), k2 = key_s("other");
	wb_db *a = NULL, *b = NULL;

	(void)state;
	fresh_db(url, sizeof(url));
	wbt_ok(wb_open(&a, url));
	wbt_ok(wb_open(&b, url));
	wbt_ok(wb_table_create(a, "moving", &k));
	wbt_ok(put_id(a, "moving", "m", 1));
	wbt_ok(wb_table_drop(b, "moving"));
	assert_int_equal(put_id(a, "moving", "m", 2), WB_ENOTFOUND);
	wbt_ok(wb_table_create(b, "moving", &k2));
	assert_int_equal(put_id(a, "moving", "m", 3), WB_EINVALID); /* needs 'other' now */
	assert_non_null(strstr(wb_errmsg(a), "'other'"));
	assert_int_equal(wbt_count_items(a, "moving", NULL), 0);
	wb_close(a);
	wb_close(b);
}

/* A new file: WAL, 8 KB pages, the catalog. */
static int64_t pragma_int(sqlite3 *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_new_file_settings(void **state)
{
	char url[600];
	const char *path = fresh_db(url, sizeof(url));
	wb_db *db = NULL;
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	wbt_ok(wb_open(&db, url));
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(pragma_int(c, "PRAGMA page_size"), 8192);
	assert_int_equal(pragma_int(c, "PRAGMA user_version"), 1);
	assert_int_equal(pragma_int(c, "SELECT count(*) FROM wb_tables"), 0);
	assert_int_equal(sqlite3_prepare_v2(c, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(c);
	wb_close(db);
}

static void test_open_errors(void **state)
{
	char url[700], path[600];
	wb_db *db = (wb_db *)1;
	FILE *f;

	(void)state;
	snprintf(url, sizeof(url), "sqlite:%s/no/such/dir/x.db", wbt_tmpdir());
	assert_int_equal(wb_open(&db, url), WB_EIO);
	assert_null(db);
	assert_non_null(strstr(wb_error_last(), "does not exist"));
	assert_non_null(strstr(wb_error_last(), "no/such/dir"));
	assert_int_equal(wb_open(&db, "sqlite:"), WB_EINVALID);
	assert_int_equal(wb_open(&db, "sqlite::memory:"), WB_EINVALID); /* gone at close */
	assert_non_null(strstr(wb_error_last(), "in-memory database is lost"));

	snprintf(path, sizeof(path), "%s/not-a-db.txt", wbt_tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database file, just text\n", f);
	fclose(f);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(wb_open(&db, url), WB_EIO);
	assert_non_null(strstr(wb_error_last(), path));
	assert_null(strchr(wb_error_last(), '\n'));
}

/* --------------------------------------------------------------- threads */

#define NTHREADS 4
#define THREAD_ITEMS 150

struct worker {
	const char *url;   /* open a handle of its own when db is NULL */
	wb_db *db;         /* or share this one */
	int no;            /* thread number */
	int rc;            /* result */
};

/* Batches of 10 puts, a get after each batch, a scan page now and then. */
static int work(wb_db *db, int no)
{
	char prefix[16];
	int rc = 0;

	snprintf(prefix, sizeof(prefix), "t%d-", no);
	for (int i = 0; rc == 0 && i < THREAD_ITEMS; i += 10) {
		wb_item *items[10] = {0}, *got = NULL;
		wb_write w[10];
		for (int j = 0; j < 10; j++) {
			char id[32];
			snprintf(id, sizeof(id), "%s%d", prefix, i + j);
			items[j] = wb_item_new();
			wb_item_set_string(items[j], "id", id);
			wb_item_set_int(items[j], "n", i + j);
			w[j] = (wb_write){"threads", WB_WRITE_PUT, items[j], NULL};
		}
		rc = wb_batch_write(db, w, 10, NULL);
		if (rc == 0)
			rc = wb_get(&got, db, "threads", items[9]);
		if (rc == 0 && wb_item_get_int(got, "n", -1) != i + 9)
			rc = WB_ERROR;
		if (rc == 0 && i % 50 == 0) {
			wb_page *page = NULL;
			wb_scan sc = WB_SCAN_INIT;
			sc.limit = 20;
			rc = wb_scan_page(&page, db, "threads", &sc);
			wb_page_free(page);
		}
		wb_item_free(got);
		for (int j = 0; j < 10; j++)
			wb_item_free(items[j]);
	}
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	wb_db *db = w->db;

	if (!db && (w->rc = wb_open(&db, w->url)) < 0)
		return NULL;
	w->rc = work(db, w->no);
	if (w->rc)
		fprintf(stderr, "thread %d: %s\n", w->no, wb_error_last());
	if (!w->db)
		wb_close(db);
	return NULL;
}

static void run_threads(const char *url, wb_db *shared, int first)
{
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];

	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){url, shared, first + i, -1};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
}

static void test_threads(void **state)
{
	char url[600];
	wb_db *db = open_fresh_table(url, sizeof(url), "threads");

	(void)state;
	run_threads(url, NULL, 0);   /* a handle each */
	run_threads(url, db, 100);   /* one shared handle */
	assert_int_equal(wbt_count_items(db, "threads", NULL), 2 * NTHREADS * THREAD_ITEMS);
	wb_close(db);
}


/* ------------------------------------------------- migration fast path */

#define XF_ITEMS 300

/* The callback: count visits (non-idempotent), delete every 5th, keep every 7th. */
static int xf_fn(wb_item *item, void *arg)
{
	int64_t n = wb_item_get_int(item, "n", -1);
	int *calls = arg;

	(*calls)++;
	if (n % 5 == 0)
		return WB_DELETE;
	if (n % 7 == 0)
		return WB_KEEP;
	return wb_item_set_int(item, "visits", wb_item_get_int(item, "visits", 0) + 1) < 0 ? WB_ENOMEM : WB_WRITE;
}

struct xf_hooks_state {
	size_t changes, deletes, pages;  /* seen by the hooks */
};

static int xf_on_change(wb_db *db, const wb_item *before, const wb_item *after, void *arg)
{
	struct xf_hooks_state *h = arg;

	(void)db;
	assert_non_null(before);
	assert_false(wb_item_has(before, "visits") && after && wb_item_get_int(after, "visits", 0) == 1);
	h->changes++;
	h->deletes += after == NULL;
	return 0;
}

static int xf_before_commit(wb_db *db, const wb__page_result *page, void *arg)
{
	struct xf_hooks_state *h = arg;
	wb_item *ck = wb_item_new();
	wb_write w = {"xf_checkpoints", WB_WRITE_PUT, ck, NULL};
	int rc;

	wb_item_set_string(ck, "id", "ck");
	wb_item_set_int(ck, "pages", (int64_t)++h->pages);
	wb_item_set_bool(ck, "done", page->last_key == NULL);
	rc = wb__db_tx_write(db, &w, 1, NULL);
	wb_item_free(ck);
	return rc;
}

/* Run every page of every segment; returns the items the callback saw. */
static size_t xf_run(wb_db *db, const char *table, unsigned nseg, const char *prefix, size_t limit,
		     int *calls, struct xf_hooks_state *hs)
{
	wb__page_hooks hooks = {xf_on_change, xf_before_commit, hs, 0};
	size_t scanned = 0;

	for (unsigned seg = 0; seg < nseg; seg++) {
		wb_scan sc = {seg, nseg, prefix, limit, NULL, NULL};
		wb_item *cursor = NULL;
		do {
			wb__page_result page;
			sc.start_after = cursor;
			wbt_ok(wb__db_each_page(db, table, &sc, xf_fn, calls, &hooks, &page));
			assert_true(page.scanned <= limit);
			scanned += page.scanned;
			wb_item_free(cursor);
			cursor = page.last_key;
		} while (cursor);
	}
	return scanned;
}

static void xf_fill(wb_db *db, const char *table, const char *prefix, int per_partition)
{
	for (int i = 0; i < XF_ITEMS; i++) {
		wb_item *it = wb_item_new();
		char id[32];
		snprintf(id, sizeof(id), "%s%03d", i % 2 ? prefix : "other#", i / per_partition * per_partition + i % 2);
		wb_item_set_string(it, "id", id);
		wb_item_set_int(it, "sk", i);
		wb_item_set_int(it, "n", i);
		wbt_ok(wb_put(db, table, it, NULL));
		wb_item_free(it);
	}
}

/* Every item: deleted if n % 5 == 0, else visited once when selected (and not kept). */
static void xf_check(wb_db *db, const char *table, const char *only_prefix)
{
	wb_scan sc = WB_SCAN_INIT;
	wb_page *page = NULL;
	size_t left = 0;

	sc.limit = 10000;
	wbt_ok(wb_scan_page(&page, db, table, &sc));
	for (size_t i = 0; i < page->count; i++) {
		const wb_item *it = page->items[i];
		int64_t n = wb_item_get_int(it, "n", -1);
		int selected = !only_prefix || strncmp(wb_item_get_string(it, "id"), only_prefix,
							 strlen(only_prefix)) == 0;
		assert_false(selected && n % 5 == 0);
		assert_int_equal(wb_item_get_int(it, "visits", 0), selected && n % 7 != 0 ? 1 : 0);
		left++;
	}
	assert_int_equal(left, only_prefix ? XF_ITEMS - XF_ITEMS / 10 : XF_ITEMS - XF_ITEMS / 5);
	wb_page_free(page);
}

static void test_each_page(void **state)
{
	char url[600];
	wb_key_schema k = key_s("id"), ck = key_s("id");
	wb_db *db = NULL;
	wb_item *got = NULL, *key;
	struct xf_hooks_state hs = {0};
	int calls = 0;

	(void)state;
	fresh_db(url, sizeof(url));
	wbt_ok(wb_open(&db, url));
	snprintf(k.sk_name, sizeof(k.sk_name), "sk");
	k.sk_type = WB_N;
	wbt_ok(wb_table_create(db, "xfw", &k));
	wbt_ok(wb_table_create(db, "xf_checkpoints", &ck));
	wbt_ok(wb_table_create(db, "xfp", &k));
	assert_int_equal(wb__db_caps(db), WB_CAP_ATOMIC_BATCH | WB_CAP_ONE_WRITER);
	assert_non_null(db->ops->each_page);

	/* whole table, 3 segments, pages of 7 */
	xf_fill(db, "xfw", "G#", 1);
	assert_int_equal(xf_run(db, "xfw", 3, NULL, 7, &calls, &hs), XF_ITEMS);
	assert_int_equal(calls, XF_ITEMS);
	xf_check(db, "xfw", NULL);
	assert_int_equal(hs.deletes, XF_ITEMS / 5);
	assert_int_equal(hs.changes, XF_ITEMS - (XF_ITEMS / 7 - XF_ITEMS / 35) - 0);
	key = wb_item_new();
	wb_item_set_string(key, "id", "ck");
	wbt_ok(wb_get(&got, db, "xf_checkpoints", key));
	assert_int_equal(wb_item_get_int(got, "pages", 0), (int64_t)hs.pages);
	wb_item_free(got);

	/* a key prefix, one segment then 2, pages of 4 */
	xf_fill(db, "xfp", "G#", 1);
	calls = 0;
	assert_int_equal(xf_run(db, "xfp", 2, "G#", 4, &calls, &hs), XF_ITEMS / 2);
	assert_int_equal(calls, XF_ITEMS / 2);
	xf_check(db, "xfp", "G#");

	/* partitions of 10 items (5 under each prefix): pages smaller and larger than one */
	for (size_t limit = 3; limit <= 12; limit += 9) {
		char name[32];
		snprintf(name, sizeof(name), "xfbig%zu", limit);
		wbt_ok(wb_table_create(db, name, &k));
		xf_fill(db, name, "G#", 10);
		calls = 0;
		assert_int_equal(xf_run(db, name, limit == 3 ? 1 : 4, NULL, limit, &calls, &hs), XF_ITEMS);
		assert_int_equal(calls, XF_ITEMS);
		xf_check(db, name, NULL);
	}
	wb_item_free(key);
	wb_close(db);
}

/* Failures inside a page roll the whole page back. */
static int fail_third(wb_item *item, void *arg)
{
	int *calls = arg;

	if (++*calls == 3)
		return wb__error(NULL, WB_EIO, "the callback gave up on item %lld",
				 (long long)wb_item_get_int(item, "n", -1));
	wb_item_set_string(item, "touched", "yes");
	return WB_WRITE;
}

static int change_key(wb_item *item, void *arg)
{
	(void)arg;
	wb_item_set_string(item, "id", "stolen");
	return WB_WRITE;
}

static int bad_number(wb_item *item, void *arg)
{
	(void)arg;
	wb_item_set_number(item, "price", "12abc");
	return WB_WRITE;
}

static int use_same_handle(wb_item *item, void *arg)
{
	wb_item *got = NULL;
	int rc = wb_get(&got, arg, "xer", item);

	wb_item_free(got);
	return rc < 0 ? rc : WB_KEEP;
}

static void test_each_page_failures(void **state)
{
	char url[600];
	wb_db *db = open_fresh_table(url, sizeof(url), "xer");
	wb__page_result page;
	wb_scan sc = WB_SCAN_INIT;
	wb_write w = {"xer", WB_WRITE_PUT, NULL, NULL};
	wb_item *outside;
	int calls = 0;

	(void)state;
	for (int i = 0; i < 20; i++)
		wbt_ok(put_id(db, "xer", "e", i));
	sc.limit = 100;
	assert_int_equal(wb__db_each_page(db, "xer", &sc, fail_third, &calls, NULL, &page), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "gave up"));
	assert_null(page.last_key);
	assert_int_equal(wb__db_each_page(db, "xer", &sc, change_key, NULL, NULL, &page), WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "changed the key"));
	assert_int_equal(wb__db_each_page(db, "xer", &sc, bad_number, NULL, NULL, &page), WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "price"));
	assert_int_equal(wb__db_each_page(db, "xer", &sc, use_same_handle, db, NULL, &page), WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "callback may not use it"));
	assert_int_equal(wb__db_each_page(db, "nope", &sc, bad_number, NULL, NULL, &page), WB_ENOTFOUND);
	outside = wb_item_new();
	wb_item_set_string(outside, "id", "outside");
	w.item = outside;
	assert_int_equal(wb__db_tx_write(db, &w, 1, NULL), WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "only inside a hook"));
	wb_item_free(outside);
	/* nothing was written by any of them */
	{
		wb_page *p = NULL;
		wbt_ok(wb_scan_page(&p, db, "xer", &sc));
		assert_int_equal(p->count, 20);
		for (size_t i = 0; i < p->count; i++) {
			assert_false(wb_item_has(p->items[i], "touched"));
			assert_false(wb_item_has(p->items[i], "price"));
		}
		wb_page_free(p);
	}
	/* and the handle still works */
	calls = 10;
	wbt_ok(wb__db_each_page(db, "xer", &sc, fail_third, &calls, NULL, &page));
	assert_int_equal(page.written, 20);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_two_processes_new_file),
		cmocka_unit_test(test_busy_timeout),
		cmocka_unit_test(test_sql_metacharacters),
		cmocka_unit_test(test_names_differing_in_case),
		cmocka_unit_test(test_schema_change_by_other_handle),
		cmocka_unit_test(test_new_file_settings),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_each_page),
		cmocka_unit_test(test_each_page_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
