/*
 * test_config.c - the whimbrel.conf reader (config.c): values, comments,
 * quoting, and a one-line "FILE:LINE: what" message for each malformed line;
 * and a replay of the fuzz corpus, tests/data/config-corpus/ (fuzz_config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "config.h"

static wb__config *parse_ok(const char *text)
{
	wb__config *cf = NULL;

	if (wb__config_parse(&cf, text, strlen(text), "whimbrel.conf") != 0)
		fail_msg("parse failed: %s", wb_error_last());
	return cf;
}

/* Parse must fail with a message starting with `prefix`. */
static void parse_bad(const char *text, const char *prefix)
{
	wb__config *cf = (wb__config *)1;

	assert_int_equal(wb__config_parse(&cf, text, strlen(text), "whimbrel.conf"), WB_EINVALID);
	assert_null(cf);
	if (strncmp(wb_error_last(), prefix, strlen(prefix)) != 0)
		fail_msg("message '%s' does not start with '%s'", wb_error_last(), prefix);
	assert_null(strchr(wb_error_last(), '\n'));
}

/* A key of a section and its value (NULL: not set). */
struct value {
	const char *section, *key, *value;
};

static void expect_values(const wb__config *cf, const struct value *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = wb__config_get(cf, want[i].section, want[i].key);
		if (!want[i].value)
			assert_null(got);
		else
			assert_string_equal(got, want[i].value);
	}
}

static void test_sections_and_values(void **state)
{
	wb__config *cf = parse_ok("# targets\n"
				  "[dev]\n"
				  "db = sqlite:.whimbrel/dev.db\n"
				  "\n"
				  "  [ prod ]  \n"
				  "\tdb=dynamodb:us-east-1   ; the real one\n"
				  "confirm = yes # always ask\n"
				  "[empty]\n");
	static const struct value want[] = {
		{"dev", "db", "sqlite:.whimbrel/dev.db"},
		{"prod", "db", "dynamodb:us-east-1"},
		{"prod", "confirm", "yes"},
		{"dev", "confirm", NULL},
		{"staging", "db", NULL},
	};
	(void)state;
	expect_values(cf, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(wb__config_line(cf, "prod", "confirm"), 7);
	assert_true(wb__config_has_section(cf, "empty"));
	assert_false(wb__config_has_section(cf, "staging"));
	assert_string_equal(wb__config_name(cf), "whimbrel.conf");
	wb__config_free(cf);
}

static void test_quotes_comments_and_bom(void **state)
{
	wb__config *cf = parse_ok("\xef\xbb\xbf[dev]\r\n"
				  "db = \"sqlite:a#b;c.db\"  # quoted keeps # and ;\r\n"
				  "note = x#y\n"
				  "blank =\n"
				  "spaces = \"  padded  \"\n");
	static const struct value want[] = {
		{"dev", "db", "sqlite:a#b;c.db"}, {"dev", "note", "x#y"}, {"dev", "blank", ""}, {"dev", "spaces", "  padded  "},
	};
	(void)state;
	expect_values(cf, want, sizeof(want) / sizeof(want[0]));
	wb__config_free(cf);
}

static void test_malformed_lines_name_file_and_line(void **state)
{
	(void)state;
	parse_bad("db = x\n", "whimbrel.conf:1: key 'db' outside any [section]");
	parse_bad("[dev]\n\njust words\n", "whimbrel.conf:3: expected '[section]' or 'key = value'");
	parse_bad("[dev\n", "whimbrel.conf:1: section header without closing ']'");
	parse_bad("[de v]\n", "whimbrel.conf:1: bad section name 'de v'");
	parse_bad("[]\n", "whimbrel.conf:1: bad section name ''");
	parse_bad("[dev]\nd b = x\n", "whimbrel.conf:2: bad key 'd b'");
	parse_bad("[dev]\n= x\n", "whimbrel.conf:2: bad key ''");
	parse_bad("[dev]\ndb = a\n[prod]\n[dev]\ndb = b\n",
		  "whimbrel.conf:5: key 'db' of [dev] already set on line 2");
	parse_bad("[dev]\ndb = \"abc\n", "whimbrel.conf:2: unterminated quoted value");
	parse_bad("[dev]\ndb = \"abc\" def\n", "whimbrel.conf:2: text after the quoted value");
}

static void test_nul_byte_is_an_error(void **state)
{
	static const char text[] = "[dev]\ndb = a\0b\n";
	wb__config *cf = NULL;

	(void)state;
	assert_int_equal(wb__config_parse(&cf, text, sizeof(text) - 1, "c.conf"), WB_EINVALID);
	assert_string_equal(wb_error_last(), "c.conf:2: NUL byte in line");
}

static void test_load_missing_and_present_file(void **state)
{
	static const char bad[] = "[prod]\ndb = dynamodb://127.0.0.1:8000\n[x]\nbad line\n";
	static const char good[] = "[prod]\ndb = dynamodb://127.0.0.1:8000\n";
	const char *path = wbt_tmp_path("w.conf");
	wb__config *cf = (wb__config *)1;

	(void)state;
	assert_int_equal(wb__config_load(&cf, wbt_tmp_path("none.conf")), WB_ENOTFOUND);
	assert_null(cf);
	assert_null(wb__config_get(NULL, "dev", "db"));
	wbt_write_file(path, bad, strlen(bad));
	assert_int_equal(wb__config_load(&cf, path), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "w.conf:4: "));
	wbt_write_file(path, good, strlen(good));
	assert_int_equal(wb__config_load(&cf, path), 0);
	assert_string_equal(wb__config_get(cf, "prod", "db"), "dynamodb://127.0.0.1:8000");
	wb__config_free(cf);
}

static void test_booleans(void **state)
{
	int b = -1;

	(void)state;
	assert_int_equal(wb__config_bool(&b, "yes"), 0);
	assert_int_equal(b, 1);
	assert_int_equal(wb__config_bool(&b, "OFF"), 0);
	assert_int_equal(b, 0);
	assert_int_equal(wb__config_bool(&b, "true"), 0);
	assert_int_equal(b, 1);
	assert_int_equal(wb__config_bool(&b, "0"), 0);
	assert_int_equal(b, 0);
	assert_int_equal(wb__config_bool(&b, "maybe"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "maybe"));
}

/* Known outcomes of corpus files: 1 = parses, 0 = fails. */
static const struct { const char *file; int ok; } expect[] = {
	{"typical.conf", 1}, {"comments.conf", 1}, {"bom-crlf.conf", 1}, {"empty.conf", 1},
	{"no-newline.conf", 1}, {"empty-values.conf", 1}, {"key-outside.conf", 0},
	{"open-section.conf", 0}, {"duplicate.conf", 0}, {"unterminated-quote.conf", 0},
	{"nul.conf", 0}, {"empty-key.conf", 0},
};

/*
 * Load one corpus file (a wbt_corpus_fn): a clean success or a one-line
 * PATH:LINE: failure; adds 1 to *(int *)arg when it loads.
 */
static void replay_one(const char *path, const char *name, const char *text, size_t len, void *arg)
{
	wb__config *cf = NULL;
	int rc = wb__config_load(&cf, path);

	(void)text;
	(void)len;
	if (rc < 0) {
		const char *msg = wb_error_last();
		assert_int_equal(rc, WB_EINVALID);
		assert_null(cf);
		assert_null(strchr(msg, '\n'));
		if (strncmp(msg, path, strlen(path)) != 0 || atoi(msg + strlen(path) + 1) < 1)
			fail_msg("%s: message '%s' lacks PATH:LINE:", name, msg);
	} else {
		assert_non_null(cf);
		if (strcmp(name, "typical.conf") == 0) {
			assert_string_equal(wb__config_get(cf, "dev", "db"), "sqlite:.whimbrel/dev.db");
			assert_string_equal(wb__config_get(cf, "prod", "confirm"), "yes");
		} else if (strcmp(name, "bom-crlf.conf") == 0) {
			assert_string_equal(wb__config_get(cf, "dev", "db"), "x");
		}
		wb__config_free(cf);
	}
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (strcmp(expect[i].file, name) == 0 && expect[i].ok != (rc == 0))
			fail_msg("%s: expected %s", name, expect[i].ok ? "success" : "failure");
	*(int *)arg += rc == 0;
}

static void test_unknown_keys(void **state)
{
	static const char *const known[] = {"db", "confirm", NULL};
	wb__config *cf = parse_ok("[dev]\ndb = sqlite:x.db\n[prod]\ndb = sqlite:y.db\nconfirm = yes\n");

	(void)state;
	wbt_ok(wb__config_check_keys(cf, known));
	wb__config_free(cf);
	cf = parse_ok("[dev]\ndb = sqlite:x.db\n\n[prod]\nconfim = yes\n");
	assert_int_equal(wb__config_check_keys(cf, known), WB_EINVALID);
	assert_string_equal(wb_error_last(), "whimbrel.conf:5: unknown key 'confim' in [prod] (known keys: db, confirm)");
	wb__config_free(cf);
	wbt_ok(wb__config_check_keys(NULL, known)); /* no file: nothing unknown */
}

static void test_replay_corpus(void **state)
{
	int parsed = 0, files;

	(void)state;
	files = wbt_each_corpus_file("config-corpus", replay_one, &parsed);
	assert_true(files >= (int)(sizeof(expect) / sizeof(expect[0])));
	assert_true(parsed > 0 && parsed < files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_values),
		cmocka_unit_test(test_quotes_comments_and_bom),
		cmocka_unit_test(test_malformed_lines_name_file_and_line),
		cmocka_unit_test(test_nul_byte_is_an_error),
		cmocka_unit_test(test_load_missing_and_present_file),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_replay_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
