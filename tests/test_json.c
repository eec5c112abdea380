/*
 * test_json.c - items to and from DynamoDB JSON and plain JSON (json.c):
 * round trips of every type, exact numbers, every byte of binary, unicode,
 * nesting, format detection and the error messages of bad input.
 */
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"

static wb_item *parse(const char *json, wb_json_format format)
{
	wb_item *it = NULL;
	int rc = wb_item_from_json(&it, json, strlen(json), format);

	if (rc != 0)
		fail_msg("parse %s: %s", json, wb_error_last());
	return it;
}

static char *dump(const wb_item *it, wb_json_format format)
{
	char *s = NULL;

	wbt_ok(wb_item_to_json(&s, it, format));
	assert_null(strchr(s, '\n'));
	return s;
}

/* Parse, print, compare the text and reparse to an equal item. */
static void round_trip(const char *json, wb_json_format format)
{
	wb_item *a = parse(json, format), *b;
	char *s = dump(a, format);

	assert_string_equal(s, json);
	b = parse(s, format);
	assert_true(wb_item_equal(a, b));
	wb_string_free(s);
	wb_item_free(a);
	wb_item_free(b);
}

/* Expect a parse failure whose message holds every word of `words` ("|" separated). */
static void parse_fails(const char *json, wb_json_format format, const char *w1, const char *w2)
{
	wb_item *it = (wb_item *)1;

	assert_int_equal(wb_item_from_json(&it, json, strlen(json), format), WB_EINVALID);
	assert_null(it);
	if (!strstr(wb_error_last(), w1) || (w2 && !strstr(wb_error_last(), w2)))
		fail_msg("%s: message '%s' lacks '%s' / '%s'", json, wb_error_last(), w1, w2 ? w2 : "");
	assert_null(strchr(wb_error_last(), '\n'));
}

static void test_ddb_every_type_round_trips(void **state)
{
	(void)state;
	round_trip("{\"s\":{\"S\":\"hello\"},\"n\":{\"N\":\"-12.5E+3\"},\"b\":{\"B\":\"AAEC/w==\"},"
		   "\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},\"z\":{\"NULL\":true},"
		   "\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"1\"},{\"L\":[]}]},"
		   "\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"SS\":[\"p\",\"q\"]}}}}},"
		   "\"ss\":{\"SS\":[\"red\",\"green\"]},\"ns\":{\"NS\":[\"1\",\"2.5\",\"-3\"]},"
		   "\"bs\":{\"BS\":[\"AA==\",\"AAE=\",\"AAEC\"]},\"e\":{\"S\":\"\"}}", WB_JSON_DDB);
}

static void test_plain_every_type_round_trips(void **state)
{
	(void)state;
	round_trip("{\"s\":\"hello\",\"n\":-12.5E+3,\"i\":42,\"t\":true,\"f\":false,\"z\":null,"
		   "\"l\":[\"x\",1,[],{}],\"m\":{\"a\":{\"b\":[1,2]}}}", WB_JSON_PLAIN);
}

static void test_plain_numbers_keep_exact_text(void **state)
{
	const char *json = "{\"big\":12345678901234567890123456789012345678,"
			   "\"neg\":-0.00000000000000000000000000000000000001234,"
			   "\"frac\":1.50,\"huge\":9.9999999999999999999999999999999999999E+125,"
			   "\"tiny\":1E-130,\"zero\":0,\"list\":[3.14159265358979323846264338327950288,1]}";
	wb_item *it = parse(json, WB_JSON_PLAIN);
	char *ddb;
	(void)state;

	assert_string_equal(wb_item_get_number(it, "big"), "12345678901234567890123456789012345678");
	assert_string_equal(wb_item_get_number(it, "frac"), "1.50");
	assert_string_equal(wb_item_get_number(it, "tiny"), "1E-130");
	assert_string_equal(wb_value_bytes(wb_value_list_at(wb_item_get(it, "list"), 0), NULL),
			    "3.14159265358979323846264338327950288");
	wbt_ok(wb_item_validate(it, NULL));
	ddb = dump(it, WB_JSON_DDB);
	assert_non_null(strstr(ddb, "{\"N\":\"12345678901234567890123456789012345678\"}"));
	wb_string_free(ddb);
	wb_item_free(it);
	round_trip(json, WB_JSON_PLAIN);
}

static void test_binary_every_byte_round_trips(void **state)
{
	unsigned char all[256];
	wb_item *it = wb_item_new(), *back;
	const char *p;
	size_t len;
	char *s;
	(void)state;

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t n = 0; n <= 256; n += (n < 8 ? 1 : 61)) {
		wbt_ok(wb_item_set_binary(it, "b", all + (256 - n) / 2, n));
		for (int f = WB_JSON_DDB; f <= WB_JSON_PLAIN; f++) {
			s = dump(it, f);
			if (f == WB_JSON_DDB) {
				back = parse(s, f);
				p = wb_value_bytes(wb_item_get(back, "b"), &len);
				assert_int_equal(len, n);
				assert_memory_equal(p, all + (256 - n) / 2, n);
				assert_true(wb_item_equal(it, back));
				wb_item_free(back);
			} else {
				/* plain JSON carries base64 text as a string */
				back = parse(s, f);
				assert_int_equal(wb_value_type(wb_item_get(back, "b")), WB_S);
				wb_item_free(back);
			}
			wb_string_free(s);
		}
	}
	wbt_ok(wb_item_set_binary(it, "b", all, 256));
	s = dump(it, WB_JSON_DDB);
	back = parse(s, WB_JSON_AUTO);
	assert_true(wb_item_equal(it, back));
	wb_string_free(s);
	wb_item_free(back);
	wb_item_free(it);
}

static void test_unicode_and_escapes(void **state)
{
	(void)state;
	wb_item *it = parse("{\"caf\\u00e9\":\"\\ud83d\\ude00 \\\"q\\\" \\\\ \\n\\t\\u0001 /\"}",
			    WB_JSON_PLAIN);
	char *s;

	assert_string_equal(wb_item_name_at(it, 0), "caf\xc3\xa9");
	assert_string_equal(wb_item_get_string(it, "caf\xc3\xa9"), "\xf0\x9f\x98\x80 \"q\" \\ \n\t\x01 /");
	s = dump(it, WB_JSON_PLAIN);
	assert_string_equal(s, "{\"caf\xc3\xa9\":\"\xf0\x9f\x98\x80 \\\"q\\\" \\\\ \\n\\t\\u0001 /\"}");
	wb_string_free(s);
	wb_item_free(it);
	round_trip("{\"\xc3\xa9\":{\"S\":\"\xf0\x9f\x98\x80\"},\"k\":{\"SS\":[\"\xc3\xa9\",\"e\"]}}",
		   WB_JSON_DDB);
}

static void test_nul_inside_strings(void **state)
{
	wb_item *it = parse("{\"a\":\"x\\u0000y\"}", WB_JSON_PLAIN);
	size_t len;
	const char *p = wb_value_bytes(wb_item_get(it, "a"), &len);
	(void)state;

	assert_int_equal(len, 3);
	assert_memory_equal(p, "x\0y", 3);
	wb_item_free(it);
	parse_fails("{\"a\\u0000b\":1}", WB_JSON_PLAIN, "NUL", NULL);
}

static void test_auto_detection(void **state)
{
	wb_item *it;
	(void)state;

	it = parse("{\"price\":{\"N\":\"12\"},\"name\":{\"S\":\"x\"}}", WB_JSON_AUTO);
	assert_string_equal(wb_item_get_number(it, "price"), "12");
	wb_item_free(it);
	/* one attribute that is not a type object makes the whole thing plain */
	it = parse("{\"price\":{\"N\":\"12\"},\"name\":\"x\"}", WB_JSON_AUTO);
	assert_int_equal(wb_value_type(wb_item_get(it, "price")), WB_M);
	assert_string_equal(wb_item_get_string(it, "name"), "x");
	wb_item_free(it);
	it = parse("{\"price\":12}", WB_JSON_AUTO);
	assert_string_equal(wb_item_get_number(it, "price"), "12");
	wb_item_free(it);
	it = parse("{\"a\":{\"X\":1}}", WB_JSON_AUTO);
	assert_int_equal(wb_value_type(wb_item_get(it, "a")), WB_M);
	wb_item_free(it);
	it = parse("{}", WB_JSON_AUTO);
	assert_int_equal(wb_item_count(it), 0);
	wb_item_free(it);
}

static void test_attribute_order_is_kept(void **state)
{
	wb_item *it = parse("{\"z\":1,\"a\":2,\"m\":3}", WB_JSON_PLAIN);
	(void)state;

	assert_string_equal(wb_item_name_at(it, 0), "z");
	assert_string_equal(wb_item_name_at(it, 1), "a");
	assert_string_equal(wb_item_name_at(it, 2), "m");
	wb_item_free(it);
}

static void test_bad_json_says_where(void **state)
{
	(void)state;
	parse_fails("{\"a\":1,\n \"b\": }", WB_JSON_PLAIN, "line 2", "column");
	parse_fails("[1,2]", WB_JSON_AUTO, "object", NULL);
	parse_fails("\"x\"", WB_JSON_AUTO, "object", NULL);
	parse_fails("{\"a\":1,\"a\":2}", WB_JSON_PLAIN, "duplicate", NULL);
	parse_fails("{\"a\":1} x", WB_JSON_PLAIN, "line 1", NULL);
	parse_fails("", WB_JSON_PLAIN, "line", NULL);
}

/* A number beyond a double (jansson's "real number overflow") names its attribute. */
static void test_plain_huge_number_names_the_attribute(void **state)
{
	static const char *docs[] = {"{\"id\":\"x\",\"price\":1e400}", "{\"id\":\"x\",\"a\":{\"b\":[1,-2E999]}}",
				     "{\"p\":1e400,\"q\":5e999}"};
	static const char *where[] = {"attribute 'price': number '1e400' is out of range",
				      "attribute 'a.b[1]': number '-2E999' is out of range",
				      "attribute 'p': number '1e400' is out of range"};
	wb_item *it = NULL;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(wb_item_from_json(&it, docs[i], strlen(docs[i]), WB_JSON_AUTO), WB_EINVALID);
		assert_null(it);
		if (!strstr(wb_error_last(), where[i]))
			fail_msg("'%s' lacks '%s'", wb_error_last(), where[i]);
	}
	/* another syntax error still says where it is */
	assert_int_equal(wb_item_from_json(&it, "{\"p\":1e400", 11, WB_JSON_AUTO), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "line 1 column"));
}

static void test_bad_ddb_values_name_the_attribute(void **state)
{
	(void)state;
	parse_fails("{\"price\":{\"N\":12}}", WB_JSON_DDB, "'price'", "string");
	parse_fails("{\"price\":{\"N\":\"12x\"}}", WB_JSON_DDB, "'price'", "not a valid decimal");
	parse_fails("{\"price\":{\"N\":\"123456789012345678901234567890123456789\"}}", WB_JSON_DDB,
		    "'price'", "39 significant digits");
	parse_fails("{\"price\":{\"N\":\"1E+126\"}}", WB_JSON_DDB, "'price'", "out of range");
	parse_fails("{\"b\":{\"B\":\"AAE\"}}", WB_JSON_DDB, "'b'", "base64");
	parse_fails("{\"b\":{\"B\":\"A*==\"}}", WB_JSON_DDB, "'b'", "base64");
	parse_fails("{\"b\":{\"BS\":[\"AA==\",\"!\"]}}", WB_JSON_DDB, "'b'", "base64");
	parse_fails("{\"x\":{\"Q\":\"1\"}}", WB_JSON_DDB, "'x'", "type");
	parse_fails("{\"x\":{\"S\":\"1\",\"N\":\"1\"}}", WB_JSON_DDB, "'x'", "one type key");
	parse_fails("{\"x\":{\"BOOL\":\"yes\"}}", WB_JSON_DDB, "'x'", "BOOL");
	parse_fails("{\"x\":{\"NULL\":false}}", WB_JSON_DDB, "'x'", "NULL");
	parse_fails("{\"x\":{\"SS\":[1]}}", WB_JSON_DDB, "'x'", "strings");
	parse_fails("{\"x\":{\"NS\":[\"1\",\"y\"]}}", WB_JSON_DDB, "'x'", "not a valid decimal");
	parse_fails("{\"m\":{\"M\":{\"in\":{\"L\":[{\"S\":\"a\"},{\"S\":5}]}}}}", WB_JSON_DDB,
		    "'m.in[1]'", "string");
	parse_fails("{\"p\":1e400}", WB_JSON_PLAIN, "'p'", "out of range"); /* not jansson's "real number overflow" */
	parse_fails("{\"p\":[1,123456789012345678901234567890123456789]}", WB_JSON_PLAIN,
		    "'p[1]'", "significant digits");
}

static void test_plain_output_of_sets_and_binary(void **state)
{
	wb_item *it = parse("{\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1.5\",\".5\"]},"
			    "\"bs\":{\"BS\":[\"AQ==\"]},\"b\":{\"B\":\"/w==\"},\"z\":{\"NULL\":true}}",
			    WB_JSON_DDB);
	char *s = dump(it, WB_JSON_PLAIN);
	(void)state;

	/* ".5" is not JSON: written in canonical form */
	assert_string_equal(s, "{\"ss\":[\"a\",\"b\"],\"ns\":[1.5,0.5],\"bs\":[\"AQ==\"],"
			    "\"b\":\"/w==\",\"z\":null}");
	wb_string_free(s);
	wb_item_free(it);
}

/* The item cannot be written as JSON in `format`: WB_EINVALID, no text, a message holding `what`. */
static void expect_unwritable(const wb_item *it, wb_json_format format, const char *what)
{
	char *s = NULL;

	assert_int_equal(wb_item_to_json(&s, it, format), WB_EINVALID);
	assert_null(s);
	assert_non_null(strstr(wb_error_last(), what));
}

static void test_plain_output_of_odd_number_text(void **state)
{
	wb_item *it = wb_item_new();
	char *s = NULL;
	(void)state;

	wbt_ok(wb_item_set_number(it, "a", "+1"));
	wbt_ok(wb_item_set_number(it, "b", "5."));
	wbt_ok(wb_item_set_number(it, "c", "007.50e1"));
	s = dump(it, WB_JSON_PLAIN);
	assert_string_equal(s, "{\"a\":1,\"b\":5,\"c\":75}");
	wb_string_free(s);
	s = dump(it, WB_JSON_DDB); /* DynamoDB JSON keeps the text as it is */
	assert_string_equal(s, "{\"a\":{\"N\":\"+1\"},\"b\":{\"N\":\"5.\"},\"c\":{\"N\":\"007.50e1\"}}");
	wb_string_free(s);
	wbt_ok(wb_item_set_number(it, "d", "twelve"));
	expect_unwritable(it, WB_JSON_PLAIN, "'d'");
	wb_item_free(it);
}

static void test_invalid_utf8_cannot_be_written(void **state)
{
	wb_item *it = wb_item_new();
	(void)state;

	wbt_ok(wb_item_set_string(it, "bad", "\xff"));
	expect_unwritable(it, WB_JSON_DDB, "'bad'");
	assert_non_null(strstr(wb_error_last(), "UTF-8"));
	wb_item_free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ddb_every_type_round_trips),
		cmocka_unit_test(test_plain_every_type_round_trips),
		cmocka_unit_test(test_plain_numbers_keep_exact_text),
		cmocka_unit_test(test_binary_every_byte_round_trips),
		cmocka_unit_test(test_unicode_and_escapes),
		cmocka_unit_test(test_nul_inside_strings),
		cmocka_unit_test(test_auto_detection),
		cmocka_unit_test(test_attribute_order_is_kept),
		cmocka_unit_test(test_bad_json_says_where),
		cmocka_unit_test(test_plain_huge_number_names_the_attribute),
		cmocka_unit_test(test_bad_ddb_values_name_the_attribute),
		cmocka_unit_test(test_plain_output_of_sets_and_binary),
		cmocka_unit_test(test_plain_output_of_odd_number_text),
		cmocka_unit_test(test_invalid_utf8_cannot_be_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
