/*
 * test_dynamodb_faults.c - a full-table update of 20,000 items through a
 * fault-injecting proxy, with the store API.
 *
 * tests/interop/faultproxy.mjs sits between whimbrel and dynalite and, at
 * fixed seeded rates, answers throttling errors and 500s, drops client
 * connections before forwarding, and returns part of BatchWriteItem
 * requests as UnprocessedItems.  Through it: 20,000 items are loaded with
 * wb_batch_write; then four threads, each with its own handle, scan one
 * segment each and update every item, two segments with unconditional
 * batches (BatchWriteItem) and two with writes conditional on the item
 * being unchanged (UpdateItem one by one).  Read back directly from
 * dynalite, every item must be right, and the retry counters must show that
 * every kind of fault was met and none was given up on.  Skipped without
 * dynalite (WB_TEST_DYNAMODB_URL) or node.
 *
 * Leases whose answers are lost: through the proxy losing the answer of
 * half the requests after dynalite carried them out, whimbrel_locks
 * included, leases are acquired, heartbeaten and released; a retry that
 * fails its condition because of our own first write must be recognised
 * as ours (never "being run by" ourselves).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wbtest.h"
#include "dynamodb.h"
#include "ledger.h"
#include "lock.h"

#define NITEMS 20000
#define SEGMENTS 4

static char proxy_url[128];
static char table[80];
static pid_t proxy_pid;

static int available(void)
{
	const char *root = getenv("WB_ROOT");
	char path[1024];
	struct stat st;

	if (!getenv("WB_TEST_DYNAMODB_URL") || !root)
		return 0;
	snprintf(path, sizeof(path), "%s/node_modules/dynalite", root);
	return stat(path, &st) == 0;
}

/* The proxy's fault options of the 20,000-item test. */
static const char *const update_faults[] = {
	"--throttle", "0.02", "--pte", "0.01", "--error500", "0.02", "--drop", "0.02",
	"--unprocessed", "0.3", "--seed", "20261125", NULL,
};

/* Start the proxy in front of WB_TEST_DYNAMODB_URL with `faults` (NULL-ended); its URL goes to proxy_url. */
static void start_proxy(const char *const *faults)
{
	char target[200], portfile[600], log[600], port[32] = "";
	const char *url = getenv("WB_TEST_DYNAMODB_URL");

	snprintf(target, sizeof(target), "http://%s", url + strlen("dynamodb://"));
	snprintf(portfile, sizeof(portfile), "%s/proxy.port", wbt_tmpdir());
	snprintf(log, sizeof(log), "%s/proxy.log", wbt_tmpdir());
	unlink(portfile); /* a port file of an earlier proxy */
	proxy_pid = fork();
	assert_true(proxy_pid >= 0);
	if (proxy_pid == 0) {
		char script[1024];
		const char *argv[32] = {"node", script, "--target", target, "--port-file", portfile};
		size_t n = 6;
		snprintf(script, sizeof(script), "%s/tests/interop/faultproxy.mjs", getenv("WB_ROOT"));
		for (size_t i = 0; faults[i] && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
			argv[n++] = faults[i];
		argv[n] = NULL;
		if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
			_exit(127);
		execvp("node", (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 300 && !port[0]; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			if (!fgets(port, sizeof(port), f))
				port[0] = '\0';
			fclose(f);
		}
		if (!port[0])
			usleep(100000);
	}
	if (!port[0])
		fail_msg("the fault proxy did not start (see %s)", log);
	snprintf(proxy_url, sizeof(proxy_url), "dynamodb://127.0.0.1:%d", atoi(port));
}

static void stop_proxy(void)
{
	if (proxy_pid > 0) {
		kill(proxy_pid, SIGTERM);
		waitpid(proxy_pid, NULL, 0);
		proxy_pid = 0;
	}
}

/* A handle through the proxy, with a quicker retry policy than the default. */
static wb_db *open_proxied(void)
{
	struct wb__dynamodb_retry quick = {5, 200, 10, 60000};
	wb_db *db = NULL;

	wbt_ok(wb_open(&db, proxy_url));
	wbt_ok(wb__dynamodb_set_retry(db, &quick));
	return db;
}

static wb_item *make_item(int i)
{
	char id[32];
	wb_item *it = wb_item_new();

	snprintf(id, sizeof(id), "item-%05d", i);
	wbt_ok(wb_item_set_string(it, "id", id));
	wbt_ok(wb_item_set_int(it, "n", i));
	wbt_ok(wb_item_set_string(it, "color", i % 2 ? "red" : "blue"));
	return it;
}

static void load(void)
{
	wb_db *db = open_proxied();
	wb_item *items[500];
	wb_write w[500];

	for (int from = 0; from < NITEMS; from += 500) {
		for (int i = 0; i < 500; i++) {
			items[i] = make_item(from + i);
			w[i] = (wb_write){table, WB_WRITE_PUT, items[i], NULL};
		}
		wbt_ok(wb_batch_write(db, w, 500, NULL));
		for (int i = 0; i < 500; i++)
			wb_item_free(items[i]);
	}
	wb_close(db);
}

struct segment {
	unsigned index;  /* segment number */
	int conditional; /* write with WB_COND_ITEM_EQUALS, one by one */
	int rc;          /* outcome */
	char err[1024];  /* message of a failure */
	long updated;    /* items written */
};

/* Update every item of one page: twice n into "double", a new attribute. */
static int update_page(wb_db *db, wb_page *p, struct segment *s)
{
	wb_item *after[1000];
	wb_write w[1000];
	wb_cond cond[1000];
	size_t n = p->count < 1000 ? p->count : 1000;
	int rc;

	if (n == 0)
		return 0;

	for (size_t i = 0; i < n; i++) {
		after[i] = wb_item_dup(p->items[i]);
		wb_item_set_int(after[i], "double", 2 * wb_item_get_int(after[i], "n", -1));
		cond[i] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, p->items[i]};
		w[i] = (wb_write){table, WB_WRITE_PUT, after[i], s->conditional ? &cond[i] : NULL};
	}
	rc = wb_batch_write(db, w, n, NULL);
	for (size_t i = 0; i < n; i++)
		wb_item_free(after[i]);
	if (rc == 0)
		s->updated += (long)n;
	return rc;
}

static void *update_segment(void *arg)
{
	struct segment *s = arg;
	wb_db *db = NULL;
	wb_page *p = NULL;
	wb_item *cursor = NULL;
	struct wb__dynamodb_retry quick = {5, 200, 10, 60000};

	if ((s->rc = wb_open(&db, proxy_url)) < 0 || (s->rc = wb__dynamodb_set_retry(db, &quick)) < 0)
		goto out;
	do {
		wb_scan sc = {s->index, SEGMENTS, NULL, 400, cursor};
		if ((s->rc = wb_scan_page(&p, db, table, &sc)) < 0)
			break;
		if ((s->rc = update_page(db, p, s)) < 0)
			break;
		wb_item_free(cursor);
		cursor = p->last_key ? wb_item_dup(p->last_key) : NULL;
		wb_page_free(p);
		p = NULL;
	} while (cursor);
out:
	if (s->rc < 0)
		snprintf(s->err, sizeof(s->err), "%s", wb_error_last());
	wb_page_free(p);
	wb_item_free(cursor);
	wb_close(db);
	return NULL;
}

/* Read everything back from dynalite directly and check every item. */
static void verify(void)
{
	wb_db *db = NULL;
	wb_page *p = NULL;
	wb_item *cursor = NULL;
	static char seen[NITEMS];
	long count = 0;

	wbt_ok(wb_open(&db, getenv("WB_TEST_DYNAMODB_URL")));
	do {
		wb_scan sc = {0, 1, NULL, 0, cursor};
		wbt_ok(wb_scan_page(&p, db, table, &sc));
		for (size_t i = 0; i < p->count; i++) {
			int64_t n = wb_item_get_int(p->items[i], "n", -1);
			assert_true(n >= 0 && n < NITEMS);
			assert_false(seen[n]);
			seen[n] = 1;
			assert_int_equal(wb_item_get_int(p->items[i], "double", -1), 2 * n);
			assert_string_equal(wb_item_get_string(p->items[i], "color"), n % 2 ? "red" : "blue");
			assert_int_equal(wb_item_count(p->items[i]), 4);
			count++;
		}
		wb_item_free(cursor);
		cursor = p->last_key ? wb_item_dup(p->last_key) : NULL;
		wb_page_free(p);
	} while (cursor);
	assert_int_equal(count, NITEMS);
	wb_close(db);
}

static void test_update_through_faults(void **state)
{
	wb_db *direct = NULL;
	wb_key_schema key = {"id", WB_S, "", WB_S};
	struct segment seg[SEGMENTS];
	pthread_t th[SEGMENTS];
	struct wb__dynamodb_stats st;
	long updated = 0;

	(void)state;
	start_proxy(update_faults);
	wbt_ok(wb_open(&direct, getenv("WB_TEST_DYNAMODB_URL")));
	wbt_table_name(table, sizeof(table), "faults");
	wbt_ok(wb_table_create(direct, table, &key));
	load();
	for (unsigned i = 0; i < SEGMENTS; i++) {
		seg[i] = (struct segment){i, i >= SEGMENTS / 2, 0, "", 0};
		assert_int_equal(pthread_create(&th[i], NULL, update_segment, &seg[i]), 0);
	}
	for (unsigned i = 0; i < SEGMENTS; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < SEGMENTS; i++) {
		if (seg[i].rc != 0)
			fail_msg("segment %u: %d (%s)", i, seg[i].rc, seg[i].err);
		updated += seg[i].updated;
	}
	assert_int_equal(updated, NITEMS);
	stop_proxy();
	verify();
	wbt_ok(wb__dynamodb_stats(NULL, &st));
	printf("# requests %llu, retries: throttle %llu, 5xx %llu, network %llu, unprocessed %llu "
	       "(%llu items); gave up %llu; backoff %llu ms\n",
	       (unsigned long long)st.requests, (unsigned long long)st.retries_throttle,
	       (unsigned long long)st.retries_5xx, (unsigned long long)st.retries_network,
	       (unsigned long long)st.retries_unprocessed, (unsigned long long)st.unprocessed_items,
	       (unsigned long long)st.gave_up, (unsigned long long)st.backoff_ms);
	assert_true(st.retries_throttle > 0);
	assert_true(st.retries_5xx > 0);
	assert_true(st.retries_network > 0);
	assert_true(st.retries_unprocessed > 0);
	assert_int_equal(st.gave_up, 0);
	wbt_ok(wb_table_drop(direct, table));
	wb_close(direct);
}

static void test_lease_answers_lost(void **state)
{
	static const char *const lose_answers[] = {
		"--drop-after", "0.5", "--drop-after-reserved", "--seed", "20261126", NULL,
	};
	struct wb__dynamodb_retry patient = {5, 50, 12, 60000};
	struct wb__dynamodb_stats st;
	wb_db *db = NULL, *direct = NULL;
	wb_lease l;
	char name[80];

	(void)state;
	start_proxy(lose_answers);
	wbt_ok(wb_open(&direct, getenv("WB_TEST_DYNAMODB_URL")));
	wbt_ok(wb__reserved_ensure(direct));
	wbt_ok(wb_open(&db, proxy_url));
	wbt_ok(wb__dynamodb_set_retry(db, &patient));
	for (int i = 0; i < 12; i++) {
		wbt_table_name(name, sizeof(name), "lease");
		wbt_ok(wb__lock_acquire(db, name, "RUN-LOST", NULL));
		wbt_ok(wb_lock_get(&l, direct, name));
		assert_string_equal(l.run_id, "RUN-LOST");
		assert_int_equal(wb__lock_acquire(direct, name, "RUN-OTHER", NULL), WB_EBUSY);
		wbt_ok(wb__lock_heartbeat(db, name, "RUN-LOST"));
		wbt_ok(wb__lock_release(db, name, "RUN-LOST"));
		assert_int_equal(wb_lock_get(&l, direct, name), WB_ENOTFOUND);
	}
	wbt_ok(wb__dynamodb_stats(db, &st));
	printf("# leases through lost answers: %llu requests, %llu network retries, %llu conditions failed\n",
	       (unsigned long long)st.requests, (unsigned long long)st.retries_network,
	       (unsigned long long)st.conditions_failed);
	assert_true(st.retries_network > 0);
	assert_true(st.conditions_failed > 0); /* some retry met our own write */
	assert_int_equal(st.gave_up, 0);
	wb_close(db);
	wb_close(direct);
	stop_proxy();
}

static int teardown(void **state)
{
	(void)state;
	stop_proxy();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_lease_answers_lost, teardown),
		cmocka_unit_test_teardown(test_update_through_faults, teardown),
	};

	if (!available()) {
		printf("1..1\nok 1 - test_dynamodb_faults # SKIP needs dynalite (WB_TEST_DYNAMODB_URL) and node_modules\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
