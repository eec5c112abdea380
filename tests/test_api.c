/*
 * test_api.c - the small public calls of the 0.2 API pass: the running
 * version (wb_version, wb_version_number) and those of the libraries it
 * runs with (wb_version_info_get), the string free function
 * (wb_string_free), the JSON format enum, and wb_errmsg's copy per thread.
 * The shared library's exports and SONAME are checked by tests/cli/t_lib.sh.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "wbtest.h"

static void test_version_matches_header(void **state)
{
	char want[32];
	(void)state;

	snprintf(want, sizeof(want), "%d.%d.%d", WB_VERSION_MAJOR, WB_VERSION_MINOR, WB_VERSION_PATCH);
	assert_string_equal(WB_VERSION_STRING, want);
	assert_string_equal(wb_version(), WB_VERSION_STRING);
	assert_int_equal(wb_version_number(), WB_VERSION_NUMBER);
	assert_int_equal(wb_version_number(),
			 WB_VERSION_MAJOR * 10000 + WB_VERSION_MINOR * 100 + WB_VERSION_PATCH);
	assert_true(wb_version() == wb_version()); /* static: the caller never frees it */
}

static void test_version_info_names_every_library(void **state)
{
	wb_version_info v = WB_VERSION_INFO_INIT, bad = WB_VERSION_INFO_INIT;
	const char *const *fields[] = {&v.whimbrel, &v.sqlite, &v.curl, &v.openssl, &v.jansson};
	(void)state;

	wbt_ok(wb_version_info_get(&v));
	assert_string_equal(v.whimbrel, wb_version());
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		assert_non_null(*fields[i]);
		if (strspn(*fields[i], "0123456789.") == 0) /* starts with a number: 3.40.1 */
			fail_msg("field %zu: '%s' is not a version", i, *fields[i]);
	}
	assert_non_null(v.curl_ssl);
	/* a struct of another version is refused, not half filled */
	bad.version = WB_VERSION_INFO_VERSION + 1;
	assert_int_equal(wb_version_info_get(&bad), WB_EINVALID);
	assert_null(bad.sqlite);
	assert_non_null(strstr(wb_error_last(), "WB_VERSION_INFO_INIT"));
	assert_int_equal(wb_version_info_get(NULL), WB_EINVALID);
}

static void test_string_free_takes_to_json_text(void **state)
{
	wb_item *it = wbt_item("{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"12\"}}");
	wb_json_format formats[] = {WB_JSON_DDB, WB_JSON_PLAIN};
	char *s = NULL;
	(void)state;

	wb_string_free(NULL); /* a no-op, like every *_free(NULL) */
	for (size_t i = 0; i < 2; i++) {
		wbt_ok(wb_item_to_json(&s, it, formats[i]));
		assert_non_null(s);
		assert_non_null(strstr(s, "\"id\""));
		wb_string_free(s); /* under ASan, a wrong allocator here is reported */
		s = NULL;
	}
	assert_int_equal(wb_item_to_json(&s, it, WB_JSON_AUTO), WB_EINVALID);
	assert_null(s);
	wb_string_free(s);
	wb_item_free(it);
}

static wb_db *open_sqlite(void)
{
	char url[600];
	wb_db *db = NULL;

	wbt_ok(wb_open(&db, wbt_target_url(0, url, sizeof(url))));
	return db;
}

/* A call that fails on db with a message naming `name` (too short a table name). */
static int fail_on(wb_db *db, const char *name)
{
	return wb_table_drop(db, name);
}

static void test_errmsg_is_this_threads_copy(void **state)
{
	wb_db *db = open_sqlite();
	const char *m;
	(void)state;

	assert_string_equal(wb_errmsg(db), "no error");
	assert_int_equal(fail_on(db, "ab"), WB_EINVALID);
	m = wb_errmsg(db);
	assert_non_null(strstr(m, "'ab'"));
	/* Another failure on the handle does not change what this thread holds... */
	assert_int_equal(fail_on(db, "xy"), WB_EINVALID);
	assert_non_null(strstr(m, "'ab'"));
	/* ...until this thread asks again. */
	m = wb_errmsg(db);
	assert_non_null(strstr(m, "'xy'"));
	assert_string_equal(wb_errmsg(NULL), wb_error_last());
	wb_close(db);
}

/*
 * Threads failing on one handle while another reads its message: every read
 * is one whole message.  A torn read is rare to catch this way; built with
 * -fsanitize=thread, an unlocked read (0.1's wb_errmsg) is reported at once.
 */
struct race {
	wb_db *db;        /* the shared handle */
	const char *name; /* writer: the name its failures quote; reader: NULL */
	char want[2][256];/* the two whole messages a reader may see */
	int torn;         /* reader: reads that were neither */
};

#define RACE_ROUNDS 20000

static void *race_thread(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RACE_ROUNDS; i++) {
		if (r->name) {
			fail_on(r->db, r->name);
			continue;
		}
		const char *m = wb_errmsg(r->db);
		if (strcmp(m, r->want[0]) != 0 && strcmp(m, r->want[1]) != 0)
			r->torn++;
	}
	return NULL;
}

static void test_errmsg_reads_whole_messages_under_writers(void **state)
{
	wb_db *db = open_sqlite();
	struct race w1 = {db, "ab", {{0}}, 0}, w2 = {db, "a_much_longer_name_\x01", {{0}}, 0};
	struct race rd = {db, NULL, {{0}}, 0};
	pthread_t t[3];
	(void)state;

	/* The two messages as they read alone. */
	fail_on(db, w1.name);
	snprintf(rd.want[0], sizeof(rd.want[0]), "%s", wb_errmsg(db));
	fail_on(db, w2.name);
	snprintf(rd.want[1], sizeof(rd.want[1]), "%s", wb_errmsg(db));
	assert_string_not_equal(rd.want[0], rd.want[1]);
	assert_int_equal(pthread_create(&t[0], NULL, race_thread, &w1), 0);
	assert_int_equal(pthread_create(&t[1], NULL, race_thread, &w2), 0);
	assert_int_equal(pthread_create(&t[2], NULL, race_thread, &rd), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(rd.torn, 0);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_matches_header),
		cmocka_unit_test(test_version_info_names_every_library),
		cmocka_unit_test(test_string_free_takes_to_json_text),
		cmocka_unit_test(test_errmsg_is_this_threads_copy),
		cmocka_unit_test(test_errmsg_reads_whole_messages_under_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
