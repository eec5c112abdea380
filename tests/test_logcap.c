/*
 * test_logcap.c - what a run's stored log keeps (src/runner/logcap.c and
 * the log writer of ledger.c): every line, bad UTF-8 bytes replaced by
 * U+FFFD; the first and last lines of a long output with one note of what
 * was dropped between; and the terminal escaping of what is shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "buf.h"
#include "common.h"
#include "item.h"
#include "ledger.h"
#include "logcap.h"

/* The lines read back, joined by "|" ("stream:line"). */
struct got {
	wb_buf text; /* joined lines */
	int n;       /* how many */
};

static int collect(const wb_log_line *l, void *arg)
{
	struct got *g = arg;

	wb__buf_appendf(&g->text, "%s%s:%s", g->n ? "|" : "", l->stream, l->line);
	g->n++;
	return 0;
}

static wb_db *log_db(void)
{
	char url[4096];
	wb_db *db = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/log.db", wbt_tmpdir());
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__reserved_ensure(db));
	return db;
}

static void test_scrub(void **state)
{
	wb_buf b = {0};

	(void)state;
	wbt_ok(wb__utf8_scrub(&b, "a\xff" "b\xc3\xa9" "c\xe2\x82", 8));
	assert_string_equal(b.text, "a\xef\xbf\xbd" "b\xc3\xa9" "c\xef\xbf\xbd\xef\xbf\xbd");
	assert_true(wb__utf8_valid(b.text, b.len));
	wb__buf_free(&b);
}

static void test_bad_utf8_line_kept(void **state)
{
	wb_db *db = log_db();
	int64_t seq = 0;
	wb_logcap *c;
	struct got g = {0};

	(void)state;
	wbt_ok(wb__logcap_new(&c, db, "r1", &seq, 0, 0));
	wb__logcap_add(c, 1, "stdout", "before", 6);
	wb__logcap_add(c, 2, "stdout", "bad \xff byte", 10);
	wb__logcap_add(c, 3, "error", "after", 5);
	wb__logcap_end(c);
	wb__logcap_free(c);
	wbt_ok(wb_ledger_log_each(db, "r1", collect, &g));
	assert_string_equal(g.text.text, "stdout:before|stdout:bad \xef\xbf\xbd byte|error:after");
	wb__buf_free(&g.text);
	wb_close(db);
}

/* 1,000 lines kept as the first 10 and the last 5, and a note between. */
static void test_head_and_tail(void **state)
{
	wb_db *db = log_db();
	int64_t seq = 0;
	wb_logcap *c;
	struct got g = {0};
	char line[32];

	(void)state;
	wbt_ok(wb__logcap_new(&c, db, "r2", &seq, 10, 5));
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof(line), "line %d", i);
		wb__logcap_add(c, i, "stdout", line, (size_t)n);
	}
	assert_int_equal(wb__logcap_lines(c), 1000);
	wb__logcap_end(c);
	wb__logcap_free(c);
	assert_int_equal(seq, 16);
	wbt_ok(wb_ledger_log_each(db, "r2", collect, &g));
	assert_int_equal(g.n, 16);
	assert_non_null(strstr(g.text.text, "stdout:line 0|stdout:line 1|"));
	assert_non_null(strstr(g.text.text, "stdout:line 9|runner:985 line(s), "));
	assert_non_null(strstr(g.text.text, "keeps its first 10 and its last 5 lines|stdout:line 995|"));
	assert_non_null(strstr(g.text.text, "|stdout:line 999"));
	assert_null(strstr(g.text.text, "line 10|"));
	wb__buf_free(&g.text);
	wb_close(db);
}

/* A short output is kept whole, with no note. */
static void test_short_output_whole(void **state)
{
	wb_db *db = log_db();
	int64_t seq = 0;
	wb_logcap *c;
	struct got g = {0};

	(void)state;
	wbt_ok(wb__logcap_new(&c, db, "r3", &seq, 10, 5));
	for (int i = 0; i < 10; i++)
		wb__logcap_add(c, i, "stdout", "x", 1);
	wb__logcap_end(c);
	wb__logcap_free(c);
	wbt_ok(wb_ledger_log_each(db, "r3", collect, &g));
	assert_int_equal(g.n, 10);
	assert_null(strstr(g.text.text, "runner"));
	wb__buf_free(&g.text);
	wb_close(db);
}

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(wb__escape_line(out, sizeof(out), "a\x1b]0;pwned\x07\nb"),
			    "a\\x1b]0;pwned\\x07\\nb");
	assert_string_equal(wb__escape_line(out, sizeof(out), "csi \xc2\x9b" "31m \xc3\xa9"),
			    "csi \\u009b31m \xc3\xa9");
	assert_string_equal(wb__escape_line(out, 6, "ab\x1b"), "ab"); /* an escape fits whole or not at all */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_bad_utf8_line_kept),
		cmocka_unit_test(test_head_and_tail),
		cmocka_unit_test(test_short_output_whole),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
