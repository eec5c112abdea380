/*
 * test_json_corpus.c - replays every file of tests/data/json-corpus/ (the
 * fuzz corpus of the item JSON reader) through wb_item_from_json in every
 * format.  Each input must either fail cleanly (WB_EINVALID, no item, a
 * one-line message) or give an item that survives the round trips: DynamoDB
 * JSON out and back, plain JSON out, the binary codec out and back, and
 * validation without a crash.  A few files also have a known outcome.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "codec.h"

/* Known outcomes: file, format, 1 = parses / 0 = fails. */
static const struct { const char *file; int format; int ok; } expect[] = {
	{ "empty.json", WB_JSON_AUTO, 0 },
	{ "truncated-object.json", WB_JSON_DDB, 0 },
	{ "not-object.json", WB_JSON_AUTO, 0 },
	{ "deep-arrays.json", WB_JSON_PLAIN, 0 },
	{ "deep-ddb-lists.json", WB_JSON_DDB, 1 },
	{ "deep-plain-maps.json", WB_JSON_PLAIN, 1 },
	{ "number-38-digits.json", WB_JSON_PLAIN, 1 },
	{ "number-39-digits.json", WB_JSON_DDB, 0 },
	{ "huge-number.json", WB_JSON_PLAIN, 0 },
	{ "bad-base64.json", WB_JSON_DDB, 0 },
	{ "bad-base64-padding.json", WB_JSON_DDB, 0 },
	{ "base64-set.json", WB_JSON_DDB, 1 },
	{ "wrong-tag.json", WB_JSON_DDB, 0 },
	{ "two-tags.json", WB_JSON_DDB, 0 },
	{ "duplicate-keys.json", WB_JSON_PLAIN, 0 },
	{ "invalid-utf8.json", WB_JSON_PLAIN, 0 },
	{ "nul-in-key.json", WB_JSON_AUTO, 0 },
	{ "nul-in-string.json", WB_JSON_AUTO, 1 },
	{ "unicode.json", WB_JSON_AUTO, 1 },
	{ "every-type.json", WB_JSON_AUTO, 1 },
	{ "mixed-auto.json", WB_JSON_AUTO, 1 },
	{ "big-string.json", WB_JSON_PLAIN, 1 },
};

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A parsed item must survive every way out and back. */
static void survive(const wb_item *it)
{
	wb_item *back = NULL;
	wb_buf b = {0};
	char *s = NULL;
	int rc;

	rc = wb_item_to_json(&s, it, WB_JSON_DDB);
	assert_int_equal(rc, 0);
	wbt_ok(wb_item_from_json(&back, s, strlen(s), WB_JSON_DDB));
	assert_true(wb_item_equal(it, back));
	wb_item_free(back);
	wb_string_free(s);
	s = NULL;
	rc = wb_item_to_json(&s, it, WB_JSON_PLAIN);
	assert_int_equal(rc, 0);
	wb_string_free(s);
	wbt_ok(wb__item_encode(&b, it));
	wbt_ok(wb__item_decode(&back, b.data, b.len));
	assert_true(wb_item_equal(it, back));
	wb_item_free(back);
	wb__buf_free(&b);
	rc = wb_item_validate(it, NULL);
	assert_true(rc == 0 || rc == WB_EINVALID);
}

/* Returns 1 when it parsed. */
static int replay(const char *name, const char *text, size_t len, wb_json_format format)
{
	wb_item *it = (wb_item *)1;
	int rc = wb_item_from_json(&it, text, len, format);

	if (rc != 0) {
		if (rc != WB_EINVALID)
			fail_msg("%s format %d: code %d (%s)", name, format, rc, wb_error_last());
		assert_null(it);
		assert_true(strlen(wb_error_last()) > 0);
		assert_null(strchr(wb_error_last(), '\n'));
		return 0;
	}
	assert_non_null(it);
	survive(it);
	wb_item_free(it);
	return 1;
}

static void test_replay_corpus(void **state)
{
	const char *root = getenv("WB_ROOT");
	char dir[4096], path[8192];
	struct dirent *e;
	int files = 0, parsed = 0, failed = 0;
	DIR *d;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/tests/data/json-corpus", root ? root : ".");
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (run from the repository root or set WB_ROOT)", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len;
		char *text;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = read_all(path, &len);
		files++;
		for (int f = WB_JSON_DDB; f <= WB_JSON_AUTO; f++) {
			int ok = replay(e->d_name, text, len, f);
			parsed += ok;
			failed += !ok;
			for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
				if (f == expect[i].format && strcmp(expect[i].file, e->d_name) == 0 &&
				    ok != expect[i].ok)
					fail_msg("%s in format %d: %s, expected %s (%s)", e->d_name, f,
						 ok ? "parsed" : "failed", expect[i].ok ? "success" : "failure",
						 wb_error_last());
		}
		free(text);
	}
	closedir(d);
	assert_true(files >= 20);
	assert_true(parsed > 0);
	assert_true(failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
