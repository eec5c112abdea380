/*
 * test_item.c - values and items (item.c, number.c) and their validation
 * (validate.c): construction, access, copies, equality, DynamoDB's size
 * accounting, keys, and every validation error with its message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"

/* Expect validation to fail with a message holding w1 and w2. */
static void invalid(const wb_item *it, const wb_key_schema *key, const char *w1, const char *w2)
{
	assert_int_equal(wb_item_validate(it, key), WB_EINVALID);
	if (!strstr(wb_error_last(), w1) || (w2 && !strstr(wb_error_last(), w2)))
		fail_msg("message '%s' lacks '%s' / '%s'", wb_error_last(), w1, w2 ? w2 : "");
	assert_null(strchr(wb_error_last(), '\n'));
}

static void invalid_json(const char *json, const char *w1, const char *w2)
{
	wb_item *it = wbt_item(json);

	invalid(it, NULL, w1, w2);
	wb_item_free(it);
}

static void test_set_get_remove(void **state)
{
	wb_item *it = wb_item_new();
	(void)state;

	assert_int_equal(wb_item_count(it), 0);
	wbt_ok(wb_item_set_string(it, "name", "car"));
	wbt_ok(wb_item_set_number(it, "price", "12.50"));
	wbt_ok(wb_item_set_int(it, "year", -2024));
	wbt_ok(wb_item_set_bool(it, "new", 1));
	wbt_ok(wb_item_set_null(it, "note"));
	wbt_ok(wb_item_set_binary(it, "raw", "\0\1", 2));
	assert_int_equal(wb_item_count(it), 6);
	assert_string_equal(wb_item_get_string(it, "name"), "car");
	assert_string_equal(wb_item_get_number(it, "price"), "12.50");
	assert_int_equal(wb_item_get_int(it, "year", 0), -2024);
	assert_int_equal(wb_item_get_int(it, "price", 7), 7);   /* not an integer */
	assert_int_equal(wb_item_get_int(it, "missing", 9), 9);
	assert_null(wb_item_get_string(it, "price"));           /* wrong type */
	assert_true(wb_value_get_bool(wb_item_get(it, "new")));
	assert_int_equal(wb_value_type(wb_item_get(it, "note")), WB_NULL);
	assert_true(wb_item_has(it, "raw"));
	assert_false(wb_item_has(it, "nope"));
	/* replacing keeps the position */
	wbt_ok(wb_item_set_string(it, "price", "free"));
	assert_string_equal(wb_item_name_at(it, 1), "price");
	assert_string_equal(wb_item_get_string(it, "price"), "free");
	assert_int_equal(wb_item_count(it), 6);
	wbt_ok(wb_item_remove(it, "name"));
	assert_int_equal(wb_item_remove(it, "name"), WB_ENOTFOUND);
	assert_string_equal(wb_item_name_at(it, 0), "price");
	assert_int_equal(wb_item_count(it), 5);
	assert_null(wb_item_name_at(it, 5));
	wb_item_free(it);
	wb_item_free(NULL);
	wb_value_free(NULL);
}

static void test_values_and_ownership(void **state)
{
	wb_item *it = wb_item_new(), *inner = wb_item_new();
	wb_value *l = wb_value_list(), *ss = wb_value_set(WB_SS), *m;
	const wb_value *got;
	size_t len;
	(void)state;

	wbt_ok(wb_value_list_append(l, wb_value_string("a", 1)));
	wbt_ok(wb_value_list_append(l, wb_value_number("1")));
	for (int i = 0; i < 50; i++)
		wbt_ok(wb_value_list_append(l, wb_value_bool(i & 1)));
	wbt_ok(wb_value_set_add(ss, "x", 1));
	wbt_ok(wb_value_set_add(ss, "yy", 2));
	wbt_ok(wb_item_set_string(inner, "k", "v"));
	m = wb_value_map(inner); /* takes inner */
	assert_int_equal(wb_value_type(m), WB_M);
	assert_string_equal(wb_item_get_string(wb_value_get_map(m), "k"), "v");
	wbt_ok(wb_item_set(it, "l", l));
	wbt_ok(wb_item_set(it, "ss", ss));
	wbt_ok(wb_item_set(it, "m", m));
	got = wb_item_get(it, "l");
	assert_int_equal(wb_value_count(got), 52);
	assert_string_equal(wb_value_bytes(wb_value_list_at(got, 0), &len), "a");
	assert_int_equal(len, 1);
	assert_null(wb_value_list_at(got, 52));
	got = wb_item_get(it, "ss");
	assert_int_equal(wb_value_count(got), 2);
	assert_string_equal(wb_value_set_at(got, 1, &len), "yy");
	assert_int_equal(len, 2);
	/* wrong-type accessors */
	assert_null(wb_value_bytes(got, &len));
	assert_int_equal(len, 0);
	assert_null(wb_value_get_map(got));
	assert_null(wb_value_set_at(wb_item_get(it, "l"), 0, NULL));
	/* a set of the wrong kind */
	assert_null(wb_value_set(WB_S));
	assert_int_equal(wb_item_set(it, "x", NULL), WB_EINVALID);
	/* the value of an item cannot be appended to: not standalone */
	assert_int_equal(wb_value_list_append((wb_value *)wb_item_get(it, "l"), wb_value_null()),
			 WB_EINVALID);
	wb_item_free(it);
}

static void test_dup_and_equality(void **state)
{
	wb_item *a = wbt_item("{\"a\":{\"S\":\"x\"},\"n\":{\"N\":\"1.50\"},"
			      "\"s\":{\"NS\":[\"1\",\"2\",\"3\"]},\"m\":{\"M\":{\"q\":{\"L\":[{\"NULL\":true}]}}}}");
	wb_item *b = wbt_item("{\"m\":{\"M\":{\"q\":{\"L\":[{\"NULL\":true}]}}},"
			      "\"s\":{\"NS\":[\"3\",\"1.0\",\"2\"]},\"n\":{\"N\":\"1.5\"},\"a\":{\"S\":\"x\"}}");
	wb_item *c = wb_item_dup(a);
	wb_value *v;
	(void)state;

	assert_true(wb_item_equal(a, b)); /* order ignored, sets as sets, numbers numerically */
	assert_true(wb_item_equal(a, c));
	wbt_ok(wb_item_set_string(c, "a", "y"));
	assert_false(wb_item_equal(a, c));
	assert_string_equal(wb_item_get_string(a, "a"), "x"); /* the copy is deep */
	wbt_ok(wb_item_remove(c, "a"));
	assert_false(wb_item_equal(a, c));
	assert_false(wb_item_equal(c, a));
	v = wb_value_dup(wb_item_get(a, "m"));
	assert_true(wb_value_equal(v, wb_item_get(b, "m")));
	assert_false(wb_value_equal(v, wb_item_get(b, "a")));
	wb_value_free(v);
	assert_true(wb_item_equal(NULL, NULL));
	assert_false(wb_item_equal(a, NULL));
	wb_item_free(a);
	wb_item_free(b);
	wb_item_free(c);
}

static void test_size_as_dynamodb_counts(void **state)
{
	wb_item *it = wb_item_new();
	wb_value *l = wb_value_list(), *ns = wb_value_set(WB_NS);
	(void)state;

	wbt_ok(wb_item_set_string(it, "ab", "hello"));       /* 2 + 5 */
	assert_int_equal(wb_item_size(it), 7);
	wbt_ok(wb_item_set_string(it, "ab", "\xc3\xa9"));    /* 2 + 2 UTF-8 bytes */
	assert_int_equal(wb_item_size(it), 4);
	wbt_ok(wb_item_remove(it, "ab"));
	wbt_ok(wb_item_set_number(it, "n", "12345"));        /* 1 + (5+1)/2 + 1 */
	assert_int_equal(wb_item_size(it), 5);
	wbt_ok(wb_item_set_number(it, "n", "0.00100"));      /* 1 significant digit: 1 + 1 + 1 */
	assert_int_equal(wb_item_size(it), 3);
	wbt_ok(wb_item_set_bool(it, "n", 0));                /* 1 + 1 */
	assert_int_equal(wb_item_size(it), 2);
	wbt_ok(wb_item_set_binary(it, "n", "abc", 3));       /* 1 + 3 */
	assert_int_equal(wb_item_size(it), 4);
	wbt_ok(wb_value_list_append(l, wb_value_string("xy", 2)));
	wbt_ok(wb_value_list_append(l, wb_value_null()));
	wbt_ok(wb_item_set(it, "n", l));                     /* 1 + 3 + (2+1) + (1+1) */
	assert_int_equal(wb_item_size(it), 9);
	wbt_ok(wb_value_set_add(ns, "1", 1));
	wbt_ok(wb_value_set_add(ns, "123", 3));
	wbt_ok(wb_item_set(it, "n", ns));                    /* 1 + 2 + 3 */
	assert_int_equal(wb_item_size(it), 6);
	wb_item_free(it);
	it = wbt_item("{\"m\":{\"M\":{\"ab\":{\"S\":\"x\"}}}}"); /* 1 + 3 + (2+1+1) */
	assert_int_equal(wb_item_size(it), 8);
	wb_item_free(it);
}

static void test_type_names(void **state)
{
	wb_type t;
	(void)state;

	for (int i = WB_S; i <= WB_BS; i++) {
		wbt_ok(wb_type_parse(&t, wb_type_name((wb_type)i)));
		assert_int_equal(t, i);
	}
	assert_string_equal(wb_type_name(WB_BOOL), "BOOL");
	assert_int_equal(wb_type_parse(&t, "s"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "'s'"));
}

static wb_key_schema schema(const char *pk, wb_type pt, const char *sk, wb_type st)
{
	wb_key_schema k;

	memset(&k, 0, sizeof(k));
	strcpy(k.pk_name, pk);
	k.pk_type = pt;
	strcpy(k.sk_name, sk);
	k.sk_type = st;
	return k;
}

static void test_key_extraction_and_key_errors(void **state)
{
	wb_key_schema ks = schema("pk", WB_S, "sk", WB_N);
	wb_item *it = wbt_item("{\"pk\":\"GROUP#1\",\"sk\":7,\"other\":true}"), *key;
	(void)state;

	wbt_ok(wb_item_validate(it, &ks));
	key = wb_item_key(it, &ks);
	assert_non_null(key);
	assert_int_equal(wb_item_count(key), 2);
	assert_string_equal(wb_item_get_string(key, "pk"), "GROUP#1");
	assert_string_equal(wb_item_get_number(key, "sk"), "7");
	wb_item_free(key);
	wbt_ok(wb_item_remove(it, "sk"));
	assert_null(wb_item_key(it, &ks));
	assert_non_null(strstr(wb_error_last(), "'sk'"));
	invalid(it, &ks, "key attribute 'sk'", "missing");
	wbt_ok(wb_item_set_string(it, "sk", "7"));
	invalid(it, &ks, "key attribute 'sk'", "type S");
	wbt_ok(wb_item_set_number(it, "sk", "7"));
	wbt_ok(wb_item_set_string(it, "pk", ""));
	invalid(it, &ks, "key attribute 'pk'", "empty");
	ks = schema("id", WB_B, "", WB_S);
	wbt_ok(wb_item_set_binary(it, "id", "", 0));
	invalid(it, &ks, "key attribute 'id'", "empty");
	wbt_ok(wb_item_set_binary(it, "id", "\0", 1));
	wbt_ok(wb_item_validate(it, &ks));
	{
		char big[2050];
		memset(big, 'k', sizeof(big));
		wbt_ok(wb_item_set_binary(it, "id", big, 2048));
		wbt_ok(wb_item_validate(it, &ks));
		wbt_ok(wb_item_set_binary(it, "id", big, 2049));
		invalid(it, &ks, "key attribute 'id'", "2048-byte limit for a partition key");
		ks = schema("p", WB_S, "id", WB_B);
		wbt_ok(wb_item_set_string(it, "p", "x"));
		wbt_ok(wb_item_set_binary(it, "id", big, 1025));
		invalid(it, &ks, "key attribute 'id'", "1024-byte limit for a sort key");
		ks = schema("p", WB_BOOL, "", WB_S);
		wbt_ok(wb_item_set_bool(it, "p", 1));
		invalid(it, &ks, "key schema", "S, N or B");
	}
	wb_item_free(it);
}

static void test_number_rules(void **state)
{
	static const char *good[] = {
		"0", "-0", "1", "-1", "1.5", "0.5", ".5", "5.", "+7", "1e5", "1E+125", "1E-130",
		"-1E-130", "9.9999999999999999999999999999999999999E+125",
		"12345678901234567890123456789012345678", "0.000", "1000000000000000000000000000000000000000000",
		"0.0000000000000000000000000000000000000000000000000000012", "0e999999999999",
	};
	static const char *malformed[] = {
		"", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "0x10", "NaN",
		"Infinity", "--1", "1e5.5", "١",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (wb_number_validate(good[i]) != 0)
			fail_msg("%s: %s", good[i], wb_error_last());
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(wb_number_validate(malformed[i]), WB_EINVALID);
		assert_non_null(strstr(wb_error_last(), "not a valid decimal"));
	}
	assert_int_equal(wb_number_validate("123456789012345678901234567890123456789"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "39 significant digits"));
	assert_int_equal(wb_number_validate("1.00000000000000000000000000000000000001"), WB_EINVALID);
	assert_int_equal(wb_number_validate("1E+126"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "out of range"));
	assert_int_equal(wb_number_validate("-1E+126"), WB_EINVALID);
	assert_int_equal(wb_number_validate("1E-131"), WB_EINVALID);
	assert_int_equal(wb_number_validate("0.99E-130"), WB_EINVALID);
	assert_int_equal(wb_number_validate("10E+125"), WB_EINVALID);
	assert_int_equal(wb_number_validate("1e99999999999999999999"), WB_EINVALID);
}

static void test_validation_errors_name_the_attribute(void **state)
{
	wb_item *it;
	char *big;
	(void)state;

	invalid_json("{\"price\":{\"N\":\"1\"},\"tags\":{\"SS\":[\"red\",\"blue\",\"red\"]}}",
		     "attribute 'tags'", "string set holds a duplicate member 'red'");
	invalid_json("{\"n\":{\"NS\":[\"1\",\"2\",\"1.0\"]}}", "attribute 'n'", "duplicate member '1.0'");
	invalid_json("{\"b\":{\"BS\":[\"AAE=\",\"AAE=\"]}}", "attribute 'b'", "binary set holds a duplicate");
	invalid_json("{\"tags\":{\"SS\":[]}}", "attribute 'tags'", "string set is empty");
	invalid_json("{\"m\":{\"M\":{\"inner\":{\"L\":[{\"S\":\"a\"},{\"NS\":[]}]}}}}",
		     "attribute 'm.inner[1]'", "number set is empty");
	invalid_json("{\"m\":{\"M\":{\"\":{\"S\":\"a\"}}}}", "empty attribute name", "'m'");
	invalid_json("{\"\":{\"S\":\"a\"}}", "empty attribute name", NULL);

	/* built with the API: things JSON cannot carry */
	it = wb_item_new();
	wbt_ok(wb_item_set_number(it, "price", "12x"));
	invalid(it, NULL, "attribute 'price'", "not a valid decimal");
	wbt_ok(wb_item_set_number(it, "price", "123456789012345678901234567890123456789"));
	invalid(it, NULL, "attribute 'price'", "more than 38");
	wbt_ok(wb_item_set_number(it, "price", "1E-131"));
	invalid(it, NULL, "attribute 'price'", "out of range");
	wbt_ok(wb_item_set_number(it, "price", "0"));
	wbt_ok(wb_item_set_string(it, "s", "ok\xc3"));
	invalid(it, NULL, "attribute 's'", "not valid UTF-8");
	wbt_ok(wb_item_set_string(it, "s", "\xed\xa0\x80")); /* a surrogate */
	invalid(it, NULL, "attribute 's'", "not valid UTF-8");
	wbt_ok(wb_item_set_string(it, "s", "\xc0\xaf"));     /* overlong */
	invalid(it, NULL, "attribute 's'", "not valid UTF-8");
	wbt_ok(wb_item_remove(it, "s"));
	wbt_ok(wb_item_set_string(it, "bad\xff", "x"));
	invalid(it, NULL, "attribute name", "not valid UTF-8");
	wbt_ok(wb_item_remove(it, "bad\xff"));
	wbt_ok(wb_item_validate(it, NULL));

	/* names over 64 KB */
	big = malloc(70000);
	memset(big, 'n', 69999);
	big[69999] = 0;
	wbt_ok(wb_item_set_null(it, big));
	invalid(it, NULL, "attribute name", "64 KB");
	wbt_ok(wb_item_remove(it, big));
	free(big);

	/* items over 400 KB, with the size in the message */
	big = malloc(400 * 1024);
	memset(big, 'x', 400 * 1024 - 1);
	big[400 * 1024 - 1] = 0;
	wbt_ok(wb_item_set_string(it, "blob", big));
	wbt_ok(wb_item_remove(it, "price"));
	assert_int_equal(wb_item_size(it), 400 * 1024 - 1 + 4);
	invalid(it, NULL, "409603 bytes", "400 KB");
	big[400 * 1024 - 5] = 0;
	wbt_ok(wb_item_set_string(it, "blob", big)); /* exactly 400 KB */
	wbt_ok(wb_item_validate(it, NULL));
	free(big);
	wb_item_free(it);
}

static void test_nesting_limit(void **state)
{
	wb_item *it = wb_item_new();
	wb_value *v;
	(void)state;

	wbt_ok(wb_item_set(it, "deep", wbt_nested_lists(wb_value_null(), 31)));
	wbt_ok(wb_item_validate(it, NULL));
	v = wb_value_list();
	wbt_ok(wb_value_list_append(v, wb_value_dup(wb_item_get(it, "deep"))));
	wbt_ok(wb_item_set(it, "deep", v));
	invalid(it, NULL, "attribute 'deep[0]", "32 levels");
	wb_item_free(it);
}

static void test_big_sets_find_duplicates(void **state)
{
	wb_value *ns = wb_value_set(WB_NS), *ss = wb_value_set(WB_SS);
	wb_item *it = wb_item_new();
	char buf[32];
	(void)state;

	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		wbt_ok(wb_value_set_add(ns, buf, strlen(buf)));
		wbt_ok(wb_value_set_add(ss, buf, strlen(buf)));
	}
	wbt_ok(wb_item_set(it, "ns", ns));
	wbt_ok(wb_item_set(it, "ss", ss));
	wbt_ok(wb_item_validate(it, NULL));
	ns = wb_value_dup(wb_item_get(it, "ns"));
	wbt_ok(wb_value_set_add(ns, "500.000", 7));
	wbt_ok(wb_item_set(it, "ns", ns));
	invalid(it, NULL, "attribute 'ns'", "duplicate member '500.000'");
	wb_item_free(it);
}

static void test_big_sets_compare_as_sets(void **state)
{
	wb_value *a = wb_value_set(WB_NS), *b = wb_value_set(WB_NS);
	char buf[32];
	(void)state;

	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		wbt_ok(wb_value_set_add(a, buf, strlen(buf)));
		snprintf(buf, sizeof(buf), "%d.0", 499 - i); /* reversed, other spelling */
		wbt_ok(wb_value_set_add(b, buf, strlen(buf)));
	}
	assert_true(wb_value_equal(a, b));
	wbt_ok(wb_value_set_add(a, "1000", 4));
	wbt_ok(wb_value_set_add(b, "1001", 4));
	assert_false(wb_value_equal(a, b));
	wb_value_free(a);
	wb_value_free(b);
}

static void test_get_int_edges(void **state)
{
	wb_item *it = wb_item_new();
	(void)state;

	wbt_ok(wb_item_set_int(it, "max", INT64_MAX));
	wbt_ok(wb_item_set_int(it, "min", INT64_MIN));
	wbt_ok(wb_item_set_number(it, "big", "99999999999999999999"));
	wbt_ok(wb_item_set_number(it, "exp", "1e3"));
	assert_true(wb_item_get_int(it, "max", 0) == INT64_MAX);
	assert_true(wb_item_get_int(it, "min", 0) == INT64_MIN);
	assert_int_equal(wb_item_get_int(it, "big", -5), -5);
	assert_int_equal(wb_item_get_int(it, "exp", -5), -5);
	wb_item_free(it);
}

static void test_many_sets_do_not_leak_or_grow_badly(void **state)
{
	wb_item *it = wb_item_new();
	(void)state;

	/* replacing one attribute many times: the arena keeps old values until free */
	for (int i = 0; i < 10000; i++)
		wbt_ok(wb_item_set_int(it, "counter", i));
	assert_int_equal(wb_item_get_int(it, "counter", -1), 9999);
	assert_int_equal(wb_item_count(it), 1);
	wb_item_free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_remove),
		cmocka_unit_test(test_values_and_ownership),
		cmocka_unit_test(test_dup_and_equality),
		cmocka_unit_test(test_size_as_dynamodb_counts),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_key_extraction_and_key_errors),
		cmocka_unit_test(test_number_rules),
		cmocka_unit_test(test_validation_errors_name_the_attribute),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_big_sets_find_duplicates),
		cmocka_unit_test(test_big_sets_compare_as_sets),
		cmocka_unit_test(test_get_int_edges),
		cmocka_unit_test(test_many_sets_do_not_leak_or_grow_badly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
