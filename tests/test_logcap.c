/*
 * test_logcap.c - what a run's stored log keeps (src/runner/logcap.c and
 * the log writer of ledger.c): every line, bad UTF-8 bytes replaced by
 * U+FFFD; the first and last lines of a long output with one note of what
 * was dropped between; the packing of lines into items (a 10,000-line
 * log in 50 items, long lines split over items under DynamoDB's 400 KB,
 * items of one line as written before packs still read), on SQLite and
 * dynalite; and the terminal escaping of what is shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "store_fixture.h"
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

/* A capture's fixture (the cmocka state of the tests that use it): the log db, the capture, what is read back. */
struct cap {
	wb_db *db;     /* a SQLite file with the reserved tables */
	wb_logcap *c;  /* the capture, from wb__logcap_new */
	int64_t seq;   /* its sequence counter */
	struct got g;  /* the lines read back by cap_read */
};

static int cap_setup(void **state)
{
	static struct cap k;
	char url[4096];

	memset(&k, 0, sizeof(k));
	snprintf(url, sizeof(url), "sqlite:%s/log.db", wbt_tmpdir());
	wbt_ok(wb_open(&k.db, url));
	wbt_ok(wb__reserved_ensure(k.db));
	*state = &k;
	return 0;
}

static int cap_teardown(void **state)
{
	struct cap *k = *state;

	wb__buf_free(&k->g.text);
	wb_close(k->db);
	return 0;
}

/* End and free the capture of run `run`, then read its lines back into k->g. */
static void cap_read(struct cap *k, const char *run)
{
	wb__logcap_end(k->c);
	wb__logcap_free(k->c);
	wbt_ok(wb_ledger_log_each(k->db, run, collect, &k->g));
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
	struct cap *k = *state;

	wbt_ok(wb__logcap_new(&k->c, k->db, "r1", &k->seq, 0, 0));
	wb__logcap_add(k->c, 1, "stdout", "before", 6);
	wb__logcap_add(k->c, 2, "stdout", "bad \xff byte", 10);
	wb__logcap_add(k->c, 3, "error", "after", 5);
	cap_read(k, "r1");
	assert_string_equal(k->g.text.text, "stdout:before|stdout:bad \xef\xbf\xbd byte|error:after");
}

/* 1,000 lines kept as the first 10 and the last 5, and a note between. */
static void test_head_and_tail(void **state)
{
	struct cap *k = *state;
	char line[32];

	wbt_ok(wb__logcap_new(&k->c, k->db, "r2", &k->seq, 10, 5));
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof(line), "line %d", i);
		wb__logcap_add(k->c, i, "stdout", line, (size_t)n);
	}
	assert_int_equal(wb__logcap_lines(k->c), 1000);
	cap_read(k, "r2");
	assert_int_equal(k->seq, 16);
	assert_int_equal(k->g.n, 16);
	assert_non_null(strstr(k->g.text.text, "stdout:line 0|stdout:line 1|"));
	assert_non_null(strstr(k->g.text.text, "stdout:line 9|runner:985 line(s), "));
	assert_non_null(strstr(k->g.text.text, "keeps its first 10 and its last 5 lines|stdout:line 995|"));
	assert_non_null(strstr(k->g.text.text, "|stdout:line 999"));
	assert_null(strstr(k->g.text.text, "line 10|"));
}

/* A short output is kept whole, with no note. */
static void test_short_output_whole(void **state)
{
	struct cap *k = *state;

	wbt_ok(wb__logcap_new(&k->c, k->db, "r3", &k->seq, 10, 5));
	for (int i = 0; i < 10; i++)
		wb__logcap_add(k->c, i, "stdout", "x", 1);
	cap_read(k, "r3");
	assert_int_equal(k->g.n, 10);
	assert_null(strstr(k->g.text.text, "runner"));
}

/* A db on the case's target (SQLite or dynalite) with the reserved tables. */
static wb_db *case_db(void **state)
{
	char url[4096];
	wb_db *db = NULL;

	wbt_ok(wb_open(&db, wbt_target_url(wbt_case_target(state), url, sizeof(url))));
	wbt_ok(wb__reserved_ensure(db));
	return db;
}

/* The lines read back: each checked against what `want` makes of its number. */
struct seen {
	int n;                                  /* lines read */
	int64_t last_seq;                       /* the previous line's seq */
	int bad;                                /* lines out of order or not as written */
	const char *(*want)(char *buf, int i); /* the i-th line as written */
};

static int check_line(const wb_log_line *l, void *arg)
{
	struct seen *s = arg;
	char buf[70000];

	if ((s->n && l->seq <= s->last_seq) || strcmp(l->line, s->want(buf, s->n)) != 0 ||
	    l->ts_ms != s->n || strcmp(l->stream, s->n % 2 ? "stderr" : "stdout") != 0)
		s->bad++;
	s->last_seq = l->seq;
	s->n++;
	return 0;
}

/* Short lines, one with a byte that is not UTF-8 (read back as U+FFFD). */
static const char *short_line(char *buf, int i)
{
	sprintf(buf, i == 7 ? "line %d \xef\xbf\xbd" : "line %d", i);
	return buf;
}

static void add_lines(wb_logcap *c, int n, const char *(*make)(char *buf, int i))
{
	char buf[70000];

	for (int i = 0; i < n; i++) {
		make(buf, i);
		if (i == 7 && make == short_line)
			strcpy(buf + strlen(buf) - 3, "\xff"); /* U+FFFD as written: a bad byte */
		wb__logcap_add(c, i, i % 2 ? "stderr" : "stdout", buf, strlen(buf));
	}
}

/*
 * n lines made by `make`, through a capture with the default bounds (all
 * kept up to 10,000): stored in `items` items, read back as written, in order.
 */
static void packed_case(void **state, int n, const char *(*make)(char *buf, int i), int items)
{
	wb_db *db = case_db(state);
	char run_id[64];
	int64_t seq = 0;
	wb_logcap *c;
	struct seen s = {0, 0, 0, make};

	wbt_table_name(run_id, sizeof(run_id), "run");
	wbt_ok(wb__logcap_new(&c, db, run_id, &seq, 0, 0));
	add_lines(c, n, make);
	wb__logcap_end(c);
	wb__logcap_free(c);
	assert_int_equal(seq, n);
	assert_int_equal(wbt_count_partition(db, WB_LOGS_TABLE, run_id), items);
	wbt_ok(wb_ledger_log_each(db, run_id, check_line, &s));
	assert_int_equal(s.n, n);
	assert_int_equal(s.bad, 0);
	wb_close(db);
}

/* 10,000 lines in 50 items of 200 (a batch an item). */
static void test_packed_10000(void **state)
{
	packed_case(state, 10000, short_line, 10000 / WB_LOG_BATCH);
}

/* Lines of 60,000 bytes: five to an item (300 KB), never over DynamoDB's 400 KB. */
static const char *long_line(char *buf, int i)
{
	int n = sprintf(buf, "%d:", i);

	memset(buf + n, 'a' + i % 26, 60000 - (size_t)n);
	buf[60000] = '\0';
	return buf;
}

static void test_packed_long_lines(void **state)
{
	packed_case(state, 30, long_line, 30 / 5);
}

/* An item of one line (as written before packs) is read beside the packs. */
static void test_unpacked_item_read(void **state)
{
	wb_db *db = case_db(state);
	char run_id[64], json[256];
	int64_t seq = 1;
	wb_item *old;
	wb_log_line l = {1, "stderr", "line 1", NULL, 0};
	struct seen s = {1, 0, 0, short_line};

	wbt_table_name(run_id, sizeof(run_id), "run");
	snprintf(json, sizeof(json),
		 "{\"run_id\":\"%s\",\"seq\":0,\"ts\":0,\"stream\":\"stdout\",\"line\":\"line 0\"}",
		 run_id);
	old = wbt_item(json);
	wbt_ok(wb_put(db, WB_LOGS_TABLE, old, NULL));
	wb_item_free(old);
	wbt_ok(wb__log_append(db, run_id, &seq, &l, 1));
	s.n = 0;
	wbt_ok(wb_ledger_log_each(db, run_id, check_line, &s));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.bad, 0);
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
		cmocka_unit_test_setup_teardown(test_bad_utf8_line_kept, cap_setup, cap_teardown),
		cmocka_unit_test_setup_teardown(test_head_and_tail, cap_setup, cap_teardown),
		cmocka_unit_test_setup_teardown(test_short_output_whole, cap_setup, cap_teardown),
		WBT_BOTH(test_packed_10000),
		WBT_BOTH(test_packed_long_lines),
		WBT_BOTH(test_unpacked_item_read),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
