/*
 * test_json_corpus.c - replays every file of tests/data/json-corpus/ (the
 * fuzz corpus of the item JSON reader) through wb_item_from_json in every
 * format.  Each input must either fail cleanly (WB_EINVALID, no item, a
 * one-line message) or give an item that survives the round trips: DynamoDB
 * JSON out and back, plain JSON out, the binary codec out and back, and
 * validation without a crash.  A few files also have a known outcome.
 * Every input also reads the same with and without json.c's fast path for
 * flat lines (same item, same text out, or the same error), and so do
 * flat lines made to sit on its edges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "codec.h"
#include "item.h"

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

/* The fast path and jansson read `text` alike: the same item (same text out) or the same error. */
static void same_both_ways(const char *text, size_t len, wb_json_format format)
{
	wb_item *fast = NULL, *slow = NULL;
	char *jf = NULL, *js = NULL, msg[1100];
	int rf, rs;

	rf = wb_item_from_json(&fast, text, len, format);
	snprintf(msg, sizeof(msg), "%s", rf < 0 ? wb_error_last() : "");
	wb__json_no_fast_path = 1;
	rs = wb_item_from_json(&slow, text, len, format);
	wb__json_no_fast_path = 0;
	if (rf != rs)
		fail_msg("%.*s (format %d): fast path %d, jansson %d (%s)", (int)len, text, format, rf, rs,
			 rf ? msg : wb_error_last());
	if (rf < 0) {
		assert_string_equal(msg, wb_error_last());
		return;
	}
	wbt_ok(wb_item_to_json(&jf, fast, WB_JSON_DDB));
	wbt_ok(wb_item_to_json(&js, slow, WB_JSON_DDB));
	assert_string_equal(jf, js);
	assert_true(wb_item_equal(fast, slow));
	wb_string_free(jf);
	wb_string_free(js);
	wb_item_free(fast);
	wb_item_free(slow);
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

/* Items parsed and inputs refused, over the corpus. */
struct tally {
	int parsed, failed;
};

/* One corpus file (a wbt_corpus_fn) in every format, checked against its known outcomes. */
static void replay_file(const char *path, const char *name, const char *text, size_t len, void *arg)
{
	struct tally *t = arg;

	(void)path;
	for (int f = WB_JSON_DDB; f <= WB_JSON_AUTO; f++) {
		int ok = replay(name, text, len, f);
		same_both_ways(text, len, f);
		t->parsed += ok;
		t->failed += !ok;
		for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
			if (f == expect[i].format && strcmp(expect[i].file, name) == 0 && ok != expect[i].ok)
				fail_msg("%s in format %d: %s, expected %s (%s)", name, f, ok ? "parsed" : "failed",
					 expect[i].ok ? "success" : "failure", wb_error_last());
	}
}

static void test_replay_corpus(void **state)
{
	struct tally t = {0, 0};
	(void)state;

	assert_true(wbt_each_corpus_file("json-corpus", replay_file, &t) >= 20);
	assert_true(t.parsed > 0);
	assert_true(t.failed > 0);
}

/* Flat lines on the edges of the fast path, read both ways in every format. */
static void test_flat_lines_both_ways(void **state)
{
	static const char *const lines[] = {
		"{}", " { } ", "{\"a\":1}", "{\"a\":-0}", "{\"a\":0.5,\"b\":-1.25e+3,\"c\":2E-2,\"d\":10}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":+1}",
		"{\"a\":1e400}", "{\"a\":1e-400}", "{\"a\":123456789012345678901234567890123456789}",
		"{\"a\":12345678901234567890123456789012345678}", "{\"a\":true,\"b\":false,\"c\":null}",
		"{\"a\":tru}", "{\"a\":nulll}", "{\"a\":\"x\",\"a\":\"y\"}", "{\"\":1}", "{\"a\":\"\"}",
		"{\"a\":\"tab\\there\"}", "{\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", "{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":\"\xc3\"}", "{\"a\":\"ctl\x01\"}", "{\"a\":\"x\"} x", "{\"a\":\"x\",}", "{\"a\" \"x\"}",
		"{\"a\":[1,2]}", "{\"a\":{\"S\":\"x\"}}", "{\"id\":{\"S\":\"x\"},\"n\":5}", "[1]", "\"s\"", "",
		"{\"a\":\"x\"", "\t{\"id\" : \"car-1\" ,\r\n \"year\" : 1999 }\n", "{\"a\":\"\\u00e9\"}",
		"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10}",
		"{\"id\":{\"S\":\"x\"},\"n\":{\"N\":\"5\"}}", "{ \"a\" : { \"N\" : \"-1.50\" } }",
		"{\"a\":{\"N\":\" 1\"}}", "{\"a\":{\"N\":\"1e400\"}}", "{\"a\":{\"N\":5}}",
		"{\"a\":{\"N\":\"abc\"}}", "{\"a\":{\"BOOL\":true},\"b\":{\"BOOL\":false}}",
		"{\"a\":{\"NULL\":true}}", "{\"a\":{\"NULL\":false}}", "{\"a\":{\"BOOL\":\"true\"}}",
		"{\"a\":{\"S\":\"x\",\"N\":\"1\"}}", "{\"a\":{\"B\":\"AA==\"}}", "{\"a\":{\"S\":1}}",
		"{\"a\":{\"S\":\"x\"},\"b\":1}", "{\"a\":{\"s\":\"x\"}}", "{\"a\":{}}", "{\"a\":{\"S\":\"x\"}",
		"{\"a\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}", "{\"a\":{\"SS\":[\"x\"]}}",
	};
	char big[4096];
	size_t o = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		for (int f = WB_JSON_DDB; f <= WB_JSON_AUTO; f++)
			same_both_ways(lines[i], strlen(lines[i]), f);
	o += (size_t)snprintf(big + o, sizeof(big) - o, "{");  /* more attributes than the fast path takes */
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s\"a%d\":%d", i ? "," : "", i, i);
	snprintf(big + o, sizeof(big) - o, "}");
	same_both_ways(big, strlen(big), WB_JSON_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_corpus),
		cmocka_unit_test(test_flat_lines_both_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
