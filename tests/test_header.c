/*
 * test_header.c - the migration header parser and stamper (header.c).
 *
 * Parses good headers (0, 1 and 3 runs), malformed ones (bad date, missing
 * colon, no header, unterminated comment, binary garbage, a huge file), and
 * stamps real files: first, second and third runs, a status note, CRLF line
 * endings, the file mode, and that every byte outside the stamped lines is
 * unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "wbtest.h"
#include "header.h"

#define T1 1795600803   /* 2026-11-25 at 10:00:03 UTC */
#define T2 1795601052   /* 2026-11-25 at 10:04:12 UTC */

static const char *const GOOD0 =
	"/*\n"
	" * Add the price attribute to every car: 0 until the pricing job fills it in.\n"
	" *\n"
	" * Execution Time:\n"
	" * Finalization Time:\n"
	" */\n"
	"#include <whimbrel.h>\n"
	"\n"
	"int main(void) { return 0; }\n";

static const char *const GOOD3 =
	"/*\n"
	" * Add the price attribute\n"
	" * to every car.\n"
	" *\n"
	" * Execution Time: 2026-11-25 at 10:00:03 UTC\n"
	" * Finalization Time: 2026-11-25 at 10:04:12 UTC\n"
	" * Execution Time: 2026-12-01 at 09:00:00 UTC\n"
	" * Finalization Time: 2026-12-01 at 09:00:42 UTC (failed)\n"
	" * Execution Time: 2026-12-02 at 09:00:00 UTC\n"
	" * Finalization Time: 2026-12-02 at 09:01:00 UTC\n"
	" */\n"
	"int main(void) { return 0; }\n";

static wb_header *parse(const char *text)
{
	wb_header *h = NULL;

	wbt_ok(wb_header_parse(&h, text, strlen(text)));
	assert_non_null(h);
	return h;
}

/* The index of the first problem whose message holds `sub`, or -1. */
static int find_problem(const wb_header *h, const char *sub)
{
	for (size_t i = 0; i < h->nproblems; i++)
		if (strstr(h->problems[i].msg, sub))
			return (int)i;
	return -1;
}

static void test_time_format_and_parse(void **state)
{
	char buf[32];
	time_t t;

	(void)state;
	wb_time_format(buf, sizeof(buf), T1);
	assert_string_equal(buf, "2026-11-25 at 10:00:03 UTC");
	wbt_ok(wb_time_parse(&t, "2026-11-25 at 10:00:03 UTC"));
	assert_int_equal(t, T1);
	wbt_ok(wb_time_parse(&t, "2028-02-29 at 23:59:59 UTC"));
	assert_int_equal(wb_time_parse(&t, "2026-13-45 at 10:00:00 UTC"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "2026-13-45"));
	assert_int_equal(wb_time_parse(&t, "2027-02-29 at 10:00:00 UTC"), WB_EINVALID);
	assert_int_equal(wb_time_parse(&t, "2026-11-25 at 24:00:00 UTC"), WB_EINVALID);
	assert_int_equal(wb_time_parse(&t, "2026-11-25 10:00:03 UTC"), WB_EINVALID);
	assert_int_equal(wb_time_parse(&t, "2026-11-25 at 10:00:03"), WB_EINVALID);
	assert_int_equal(wb_time_parse(&t, "2026-11-25 at 10:00:03 UTC "), WB_EINVALID);
	assert_int_equal(wb_time_parse(&t, "1969-12-31 at 23:59:59 UTC"), WB_EINVALID);
	assert_int_equal(wb_time_parse(&t, ""), WB_EINVALID);
	assert_int_equal(t, 0);
}

static void test_parse_zero_runs(void **state)
{
	wb_header *h = parse(GOOD0);

	(void)state;
	assert_string_equal(h->description,
			    "Add the price attribute to every car: 0 until the pricing job fills it in.");
	assert_int_equal(h->desc_line, 2);
	assert_int_equal(h->nproblems, 0);
	assert_int_equal(h->nruns, 1);
	assert_int_equal(h->runs[0].exec, 0);
	assert_int_equal(h->runs[0].fin, 0);
	assert_int_equal(h->runs[0].exec_line, 4);
	assert_int_equal(h->runs[0].fin_line, 5);
	assert_int_equal(h->end_line, 6);
	assert_int_equal(wb_header_last_finalization(h), 0);
	wb_header_free(h);
}

static void test_parse_one_run_tolerant(void **state)
{
	/* no " * " prefixes, odd spacing, lower-case label: parsed, but lint is told */
	wb_header *h = parse("  /* Fix the cars.\n"
			     "   Execution Time :   2026-11-25 at 10:00:03 UTC   \n"
			     "Finalization time: 2026-11-25 at 10:04:12 UTC\n"
			     "*/\n");

	(void)state;
	assert_string_equal(h->description, "Fix the cars.");
	assert_int_equal(h->nruns, 1);
	assert_int_equal(h->runs[0].exec, T1);
	assert_int_equal(h->runs[0].fin, T2);
	assert_string_equal(h->runs[0].note, "");
	assert_int_equal(h->nproblems, 2);
	assert_int_equal(h->problems[0].line, 2);
	assert_non_null(strstr(h->problems[0].msg, "'Execution Time:'"));
	assert_int_equal(h->problems[1].line, 3);
	wb_header_free(h);
}

static void test_parse_three_runs(void **state)
{
	wb_header *h = parse(GOOD3);

	(void)state;
	assert_string_equal(h->description, "Add the price attribute to every car.");
	assert_int_equal(h->nproblems, 0);
	assert_int_equal(h->nruns, 3);
	assert_int_equal(h->runs[0].exec, T1);
	assert_int_equal(h->runs[0].fin, T2);
	assert_string_equal(h->runs[1].note, "failed");
	assert_int_equal(h->runs[1].fin - h->runs[1].exec, 42);
	assert_int_equal(h->runs[2].exec_line, 9);
	assert_int_equal(h->runs[2].fin_line, 10);
	assert_int_equal(wb_header_last_finalization(h), h->runs[2].fin);
	wb_header_free(h);
}

/*
 * A header whose one Execution Time line (line 3) is malformed: one run is
 * still read, with `exec` as its time, and a problem on line 3 holds
 * `problem` (and `also`, unless NULL); `only`: that problem is the only one.
 */
struct bad_time {
	const char *text, *problem, *also;
	time_t exec;
	int only;
};

static const struct bad_time bad_date = {
	"/*\n * Desc.\n * Execution Time: 2026-13-45 at 10:00:00 UTC\n"
	" * Finalization Time: 2026-11-25 at 10:04:12 UTC\n */\n",
	"2026-13-45", "bad Execution Time", 0, 1, /* no cascade of "empty" complaints */
};

static const struct bad_time missing_colon = {
	"/*\n * Desc.\n * Execution Time 2026-11-25 at 10:00:03 UTC\n"
	" * Finalization Time: 2026-11-25 at 10:04:12 UTC\n */\n",
	"missing colon after 'Execution Time'", NULL, T1, 0, /* tolerant: the time is still read */
};

/* The test of one bad_time (its cmocka state). */
static void test_parse_bad_time(void **state)
{
	const struct bad_time *c = *state;
	wb_header *h = parse(c->text);
	int i = find_problem(h, c->problem);

	assert_true(i >= 0);
	assert_int_equal(h->problems[i].line, 3);
	if (c->also)
		assert_non_null(strstr(h->problems[i].msg, c->also));
	if (c->only)
		assert_int_equal(h->nproblems, 1);
	assert_int_equal(h->nruns, 1);
	assert_int_equal(h->runs[0].exec, c->exec);
	wb_header_free(h);
}

static void test_parse_pairing_problems(void **state)
{
	wb_header *h = parse("/*\n * Desc.\n"
			     " * Execution Time: 2026-11-25 at 10:04:12 UTC\n"
			     " * Finalization Time: 2026-11-25 at 10:00:03 UTC\n"
			     " * Execution Time: 2026-11-26 at 10:00:03 UTC\n"
			     " * Finalization Time:\n"
			     " * Finalization Time:\n"
			     " * Some note\n */\n");

	(void)state;
	assert_int_equal(h->nruns, 3);
	assert_true(find_problem(h, "is before its Execution Time") >= 0);
	assert_true(find_problem(h, "Finalization Time is empty but") >= 0);
	assert_true(find_problem(h, "without an Execution Time line") >= 0);
	assert_true(find_problem(h, "unexpected text") >= 0);
	wb_header_free(h);
}

static void test_parse_no_header(void **state)
{
	const char *text = "#include <whimbrel.h>\n/* Desc.\n Execution Time:\n Finalization Time:\n*/\n";
	wb_header *h = NULL;

	(void)state;
	assert_int_equal(wb_header_parse(&h, text, strlen(text)), WB_EINVALID);
	assert_non_null(h);
	assert_int_equal(h->nproblems, 1);
	assert_non_null(strstr(h->problems[0].msg, "no header comment"));
	assert_int_equal(h->nruns, 0);
	wb_header_free(h);
	assert_int_equal(wb_header_parse(&h, "", 0), WB_EINVALID);
	wb_header_free(h);
}

static void test_parse_empty_description_and_no_lines(void **state)
{
	wb_header *h = parse("/*\n *\n */\nint x;\n");

	(void)state;
	assert_true(find_problem(h, "empty description") >= 0);
	assert_true(find_problem(h, "no 'Execution Time:'") >= 0);
	assert_int_equal(h->nruns, 0);
	wb_header_free(h);
}

static void test_parse_unterminated(void **state)
{
	wb_header *h = parse("/*\n * Desc.\n * Execution Time:\n * Finalization Time:\n");

	(void)state;
	assert_int_equal(h->end_line, 0);
	assert_true(find_problem(h, "not closed") >= 0);
	wb_header_free(h);
}

static void test_parse_binary_garbage(void **state)
{
	unsigned char buf[4096];
	wb_header *h = NULL;
	unsigned s = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)((s = s * 1103515245u + 12345u) >> 16);
	buf[0] = '/', buf[1] = '*';   /* looks like a header, then garbage */
	for (int round = 0; round < 50; round++) {
		int rc = wb_header_parse(&h, (const char *)buf + (round ? 2 : 0), sizeof(buf) - (round ? 2 : 0));
		assert_true(rc == 0 || rc == WB_EINVALID);
		assert_non_null(h);
		assert_true(h->nproblems > 0);
		for (size_t i = 0; i < h->nproblems; i++)
			assert_null(strchr(h->problems[i].msg, '\n'));
		wb_header_free(h);
		buf[2 + round * 7] ^= 0x5a;
	}
	h = parse("/* \x01\x02\xff garbage\n * Execution Time: \x03\n * Finalization Time:\n */");
	assert_true(find_problem(h, "control character 0x01") >= 0);
	assert_true(find_problem(h, "bad Execution Time") >= 0);
	wb_header_free(h);
}

static void test_parse_file_huge_and_missing(void **state)
{
	const char *p = wbt_tmp_path("huge.c");
	size_t n = 3 << 20;
	char *big = malloc(n);
	wb_header *h = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big, "/* Desc.\n", 9);   /* never closed */
	wbt_write_file(p, big, n);
	wbt_ok(wb_header_parse_file(&h, p));
	assert_true(find_problem(h, "not closed within the first 64 KB") >= 0);
	wb_header_free(h);
	assert_int_equal(wb_header_stamp(p, T1, T2, NULL), WB_EINVALID);
	free(big);
	assert_int_equal(wb_header_parse_file(&h, wbt_tmp_path("absent.c")), WB_EIO);
	assert_null(h);
	assert_non_null(strstr(wb_error_last(), "absent.c"));
}

/* Stamp path and check its bytes equal `want` afterwards. */
static void stamp_expect(const char *path, time_t e, time_t f, const char *status, const char *want)
{
	char *got;

	wbt_ok(wb_header_stamp(path, e, f, status));
	got = wbt_read_file(path, NULL);
	assert_string_equal(got, want);
	free(got);
}

/*
 * Stamp GOOD0's copy at path once more: its run lines so far (runs, 1 KB)
 * gain `added`, and the file must be GOOD0 with those run lines.
 */
static void stamp_adds(const char *path, time_t e, time_t f, const char *status, char *runs, const char *added)
{
	char want[2048];

	strcat(runs, added);
	snprintf(want, sizeof(want), "/*\n * Add the price attribute to every car: 0 until the pricing job fills it in.\n"
		 " *\n%s */\n#include <whimbrel.h>\n\nint main(void) { return 0; }\n", runs);
	stamp_expect(path, e, f, status, want);
}

static void test_stamp_first_second_third(void **state)
{
	const char *p = wbt_tmp_path("0001_add_price.c");
	char runs[1024] = "";
	struct stat st;

	(void)state;
	wbt_write_file(p, GOOD0, strlen(GOOD0));
	chmod(p, 0640);
	stamp_adds(p, T1, T2, "succeeded", runs,
		   " * Execution Time: 2026-11-25 at 10:00:03 UTC\n"
		   " * Finalization Time: 2026-11-25 at 10:04:12 UTC\n");
	stamp_adds(p, T2, T2, "failed", runs,
		   " * Execution Time: 2026-11-25 at 10:04:12 UTC\n"
		   " * Finalization Time: 2026-11-25 at 10:04:12 UTC (failed)\n");
	stamp_adds(p, T2, T2 + 1, NULL, runs,
		   " * Execution Time: 2026-11-25 at 10:04:12 UTC\n"
		   " * Finalization Time: 2026-11-25 at 10:04:13 UTC\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* the result parses cleanly, with three runs and the note */
	wb_header *h = NULL;
	wbt_ok(wb_header_parse_file(&h, p));
	assert_int_equal(h->nproblems, 0);
	assert_int_equal(h->nruns, 3);
	assert_string_equal(h->runs[1].note, "failed");
	wb_header_free(h);
}

/* Everything before `a` and after the end of the pair's lines is byte-identical. */
static void test_stamp_changes_nothing_else(void **state)
{
	const char *p = wbt_tmp_path("0002_tabs.c");
	const char *before = "/**\n\t**  Odd but valid: tab prefixes.\n\t**\n";
	const char *pair = "\t**  Execution Time:   \n\t**  Finalization Time:\n";
	const char *after = "\t*/\n\n#include <whimbrel.h>\n/* Execution Time: not a header */\nint main(void) { return 0; }\n"
			    "\xff\xfe binary tail \x01";
	char in[1024], *got;
	size_t n, lb = strlen(before), la = strlen(after);

	(void)state;
	snprintf(in, sizeof(in), "%s%s%s", before, pair, after);
	wbt_write_file(p, in, strlen(in));
	wbt_ok(wb_header_stamp(p, T1, T2, "interrupted"));
	got = wbt_read_file(p, &n);
	assert_memory_equal(got, before, lb);
	assert_memory_equal(got + n - la, after, la);
	assert_memory_equal(got + lb, "\t**  Execution Time: 2026-11-25 at 10:00:03 UTC\n"
			    "\t**  Finalization Time: 2026-11-25 at 10:04:12 UTC (interrupted)\n", n - lb - la);
	free(got);
	/* a second stamp inserts with the same prefix */
	wbt_ok(wb_header_stamp(p, T1, T2, NULL));
	got = wbt_read_file(p, &n);
	assert_non_null(strstr(got, "(interrupted)\n\t**  Execution Time: 2026-11-25 at 10:00:03 UTC\n"
			       "\t**  Finalization Time: 2026-11-25 at 10:04:12 UTC\n\t*/\n"));
	assert_memory_equal(got + n - la, after, la);
	free(got);
}

static void test_stamp_crlf(void **state)
{
	const char *p = wbt_tmp_path("0003_crlf.c");
	const char *in = "/*\r\n * Windows file.\r\n *\r\n * Execution Time:\r\n * Finalization Time:\r\n */\r\nint x;\r\n";
	const char *want1 = "/*\r\n * Windows file.\r\n *\r\n * Execution Time: 2026-11-25 at 10:00:03 UTC\r\n"
			    " * Finalization Time: 2026-11-25 at 10:04:12 UTC\r\n */\r\nint x;\r\n";
	const char *want2 = "/*\r\n * Windows file.\r\n *\r\n * Execution Time: 2026-11-25 at 10:00:03 UTC\r\n"
			    " * Finalization Time: 2026-11-25 at 10:04:12 UTC\r\n"
			    " * Execution Time: 2026-11-25 at 10:00:03 UTC\r\n"
			    " * Finalization Time: 2026-11-25 at 10:04:12 UTC (failed)\r\n */\r\nint x;\r\n";
	wb_header *h = NULL;

	(void)state;
	wbt_write_file(p, in, strlen(in));
	wbt_ok(wb_header_parse_file(&h, p));
	assert_int_equal(h->nproblems, 0);
	wb_header_free(h);
	stamp_expect(p, T1, T2, NULL, want1);
	stamp_expect(p, T1, T2, "failed", want2);
}

static void test_stamp_refusals_leave_file_untouched(void **state)
{
	static const char *const bad[] = {
		"int main(void) { return 0; }\n",                         /* no header */
		"/*\n * Only a description.\n */\nint x;\n",             /* no time lines */
		"/*\n * Desc.\n * Execution Time:\n * Finalization Time:\n", /* unterminated */
		"/*\n * Desc.\n * Execution Time: 2026-11-25 at 10:00:03 UTC\n"
		" * Finalization Time: 2026-11-25 at 10:04:12 UTC */\nint x;\n", /* closes on the line */
	};
	const char *p = wbt_tmp_path("0004_bad.c");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *got;
		wbt_write_file(p, bad[i], strlen(bad[i]));
		assert_int_equal(wb_header_stamp(p, T1, T2, NULL), WB_EINVALID);
		assert_non_null(strstr(wb_error_last(), "cannot stamp"));
		assert_non_null(strstr(wb_error_last(), "0004_bad.c"));
		got = wbt_read_file(p, NULL);
		assert_string_equal(got, bad[i]);
		free(got);
	}
	assert_int_equal(wb_header_stamp(p, T1, T2, "bad(status)"), WB_EINVALID);
	assert_int_equal(wb_header_stamp(wbt_tmp_path("nope.c"), T1, T2, NULL), WB_EIO);
	/* no temporary file is left behind */
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q '\\.tmp\\.'", wbt_tmpdir());
	assert_int_not_equal(system(cmd), 0);
}

static void test_stamp_pair_closing_on_same_line(void **state)
{
	const char *p = wbt_tmp_path("0005_inline.c");
	const char *in = "/* Desc.\n   Execution Time:\n   Finalization Time: */\nint x;\n";

	(void)state;
	wbt_write_file(p, in, strlen(in));
	stamp_expect(p, T1, T2, NULL, "/* Desc.\n   Execution Time: 2026-11-25 at 10:00:03 UTC\n"
		     "   Finalization Time: 2026-11-25 at 10:04:12 UTC */\nint x;\n");
}

/* A file far larger than the 64 KB header window keeps its whole tail. */
static void test_stamp_large_file_copies_tail(void **state)
{
	const char *p = wbt_tmp_path("0006_large.c");
	size_t n = 300000, got_n, grow;
	char *in = malloc(n), *got;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 23);
	memcpy(in, GOOD0, strlen(GOOD0));
	wbt_write_file(p, in, n);
	wbt_ok(wb_header_stamp(p, T1, T2, NULL));
	got = wbt_read_file(p, &got_n);
	grow = 2 * strlen(" 2026-11-25 at 10:00:03 UTC");
	assert_int_equal(got_n, n + grow);
	assert_memory_equal(got + strlen(GOOD0) + grow, in + strlen(GOOD0), n - strlen(GOOD0));
	free(got);
	free(in);
}

/* Runs of h stamped with exactly (T1, T2). */
static size_t stamped_runs(const wb_header *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nruns; i++)
		n += h->runs[i].exec == T1 && h->runs[i].fin == T2;
	return n;
}

/*
 * One corpus file (a wbt_corpus_fn): parse it (0 or WB_EINVALID, one-line problems), then
 * stamp a copy: either it works and the re-parse finds one more (T1, T2)
 * pair, or it fails with WB_EINVALID and the copy is byte-identical.
 */
static void replay_one(const char *path, const char *name, const char *text, size_t len, void *arg)
{
	const char *copy = wbt_tmp_path("corpus-copy.c");
	wb_header *h = NULL, *h2 = NULL;
	char *after;
	size_t alen;
	int rc = wb_header_parse(&h, text, len);

	(void)path;
	(void)arg;
	if (rc != 0 && rc != WB_EINVALID)
		fail_msg("%s: parse returned %d", name, rc);
	assert_non_null(h);
	for (size_t i = 0; i < h->nproblems; i++) {
		assert_true(h->problems[i].line >= 1);
		assert_null(strchr(h->problems[i].msg, '\n'));
	}
	wbt_write_file(copy, text, len);
	rc = wb_header_stamp(copy, T1, T2, "failed");
	after = wbt_read_file(copy, &alen);
	if (rc == 0) {
		wbt_ok(wb_header_parse(&h2, after, alen));
		if (stamped_runs(h2) != stamped_runs(h) + 1)
			fail_msg("%s: stamp did not add a pair", name);
		assert_true(alen > len);
		wb_header_free(h2);
	} else {
		if (rc != WB_EINVALID)
			fail_msg("%s: stamp returned %d (%s)", name, rc, wb_error_last());
		assert_int_equal(alen, len);
		assert_memory_equal(after, text, len);
	}
	free(after);
	wb_header_free(h);
}

static void test_replay_corpus(void **state)
{
	(void)state;
	assert_true(wbt_each_corpus_file("header-corpus", replay_one, NULL) >= 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_format_and_parse),
		cmocka_unit_test(test_parse_zero_runs),
		cmocka_unit_test(test_parse_one_run_tolerant),
		cmocka_unit_test(test_parse_three_runs),
		{"test_parse_bad_date", test_parse_bad_time, NULL, NULL, (void *)&bad_date},
		{"test_parse_missing_colon", test_parse_bad_time, NULL, NULL, (void *)&missing_colon},
		cmocka_unit_test(test_parse_pairing_problems),
		cmocka_unit_test(test_parse_no_header),
		cmocka_unit_test(test_parse_empty_description_and_no_lines),
		cmocka_unit_test(test_parse_unterminated),
		cmocka_unit_test(test_parse_binary_garbage),
		cmocka_unit_test(test_parse_file_huge_and_missing),
		cmocka_unit_test(test_stamp_first_second_third),
		cmocka_unit_test(test_stamp_changes_nothing_else),
		cmocka_unit_test(test_stamp_crlf),
		cmocka_unit_test(test_stamp_refusals_leave_file_untouched),
		cmocka_unit_test(test_stamp_pair_closing_on_same_line),
		cmocka_unit_test(test_stamp_large_file_copies_tail),
		cmocka_unit_test(test_replay_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
