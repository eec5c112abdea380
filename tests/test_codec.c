/*
 * test_codec.c - the binary item encoding and the order-preserving key
 * encoding (codec.c): round trips of every type, rejection of every
 * truncated or corrupted encoding, and numeric order == byte order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "codec.h"

static const char *every_type =
	"{\"s\":{\"S\":\"h\xc3\xa9llo \xf0\x9f\x98\x80\"},"
	"\"n\":{\"N\":\"12345678901234567890123456789012345678\"},"
	"\"neg\":{\"N\":\"-1.5E-100\"},\"b\":{\"B\":\"AAEC/w==\"},"
	"\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},\"z\":{\"NULL\":true},"
	"\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"1\"},{\"L\":[]},{\"M\":{}}]},"
	"\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"SS\":[\"p\",\"q\"]}}}}},"
	"\"ss\":{\"SS\":[\"red\",\"green\"]},\"ns\":{\"NS\":[\"1\",\"2.5\",\"-3\"]},"
	"\"bs\":{\"BS\":[\"AA==\",\"AAE=\",\"AAEC\"]},\"e\":{\"S\":\"\"},\"eb\":{\"B\":\"\"}}";

static void encode(wb_buf *b, const wb_item *it)
{
	b->len = 0;
	wbt_ok(wb__item_encode(b, it));
}

static void test_item_round_trip_every_type(void **state)
{
	wb_item *it = wbt_item(every_type), *back = NULL;
	wb_buf b = {0};
	char *j1, *j2;
	(void)state;

	encode(&b, it);
	wbt_ok(wb__item_decode(&back, b.data, b.len));
	assert_true(wb_item_equal(it, back));
	j1 = wbt_json(it);
	j2 = wbt_json(back);
	assert_string_equal(j1, j2); /* same order, same exact text */
	wb_string_free(j1);
	wb_string_free(j2);
	wb_item_free(back);
	wb_item_free(it);
	wb__buf_free(&b);
}

static void test_binary_every_byte(void **state)
{
	unsigned char all[256];
	wb_item *it = wb_item_new(), *back = NULL;
	wb_buf b = {0};
	size_t len;
	const char *p;
	(void)state;

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	wbt_ok(wb_item_set_binary(it, "b", all, sizeof(all)));
	wbt_ok(wb_item_set_string(it, "s", "caf\xc3\xa9"));
	encode(&b, it);
	wbt_ok(wb__item_decode(&back, b.data, b.len));
	p = wb_value_bytes(wb_item_get(back, "b"), &len);
	assert_int_equal(len, 256);
	assert_memory_equal(p, all, 256);
	assert_string_equal(wb_item_get_string(back, "s"), "caf\xc3\xa9");
	wb_item_free(back);
	wb_item_free(it);
	wb__buf_free(&b);
}

static void test_every_prefix_and_corruption_fails_cleanly(void **state)
{
	wb_item *it = wbt_item(every_type), *back;
	wb_buf b = {0};
	(void)state;

	encode(&b, it);
	for (size_t n = 0; n < b.len; n++) {
		unsigned char *copy = malloc(n ? n : 1); /* exact size: ASan catches overreads */
		memcpy(copy, b.data, n);
		back = (wb_item *)1;
		assert_int_equal(wb__item_decode(&back, copy, n), WB_EINVALID);
		assert_null(back);
		assert_non_null(strstr(wb_error_last(), "corrupt"));
		free(copy);
	}
	/* trailing garbage */
	wbt_ok(wb__buf_append(&b, "x", 1));
	assert_int_equal(wb__item_decode(&back, b.data, b.len), WB_EINVALID);
	b.len--;
	/* flip each byte to a few values: must fail or decode, never crash */
	for (size_t i = 0; i < b.len; i++) {
		static const unsigned char vals[] = { 0x00, 0x01, 0x09, 0x0a, 0x7f, 0x80, 0xff };
		unsigned char saved = b.data[i];
		for (size_t k = 0; k < sizeof(vals); k++) {
			int rc;
			b.data[i] = vals[k];
			back = NULL;
			rc = wb__item_decode(&back, b.data, b.len);
			assert_true(rc == 0 || rc == WB_EINVALID);
			assert_true((rc == 0) == (back != NULL));
			wb_item_free(back);
		}
		b.data[i] = saved;
	}
	/* unknown version */
	b.data[0] = 0x7f;
	assert_int_equal(wb__item_decode(&back, b.data, b.len), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "version"));
	wb_item_free(it);
	wb__buf_free(&b);
}

static void test_huge_counts_rejected(void **state)
{
	/* version, count = 2^62, nothing else */
	static const unsigned char evil[] = { 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40 };
	static const unsigned char overflow[] = { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0x01 };
	wb_item *back;
	(void)state;

	assert_int_equal(wb__item_decode(&back, evil, sizeof(evil)), WB_EINVALID);
	assert_int_equal(wb__item_decode(&back, overflow, sizeof(overflow)), WB_EINVALID);
	assert_int_equal(wb__item_decode(&back, "", 0), WB_EINVALID);
}

static void test_duplicate_names_rejected(void **state)
{
	/* {"a":"x","a":"y"} and the same inside a map */
	static const unsigned char dup[] = { 1, 2, 1, 'a', 0, 1, 'x', 1, 'a', 0, 1, 'y' };
	static const unsigned char dup_in_map[] = { 1, 1, 1, 'm', 6, 2, 1, 'a', 4, 1, 'a', 4 };
	wb_item *back = NULL, *wide = wb_item_new();
	wb_buf b = {0};
	char name[16];
	(void)state;

	assert_int_equal(wb__item_decode(&back, dup, sizeof(dup)), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "appears twice"));
	assert_int_equal(wb__item_decode(&back, dup_in_map, sizeof(dup_in_map)), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "appears twice"));
	/* a wide item (hashed check) decodes; with one name doubled it does not */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "attr%d", i);
		wbt_ok(wb_item_set_int(wide, name, i));
	}
	wbt_ok(wb__item_encode(&b, wide));
	wbt_ok(wb__item_decode(&back, b.data, b.len));
	assert_true(wb_item_equal(back, wide));
	wb_item_free(back);
	/* rename attr299 to attr298 in the encoding: same length, so still well formed */
	{
		unsigned char *p = b.data + b.len;
		while (memcmp(p, "attr299", 7) != 0)
			p--;
		p[6] = '8';
	}
	assert_int_equal(wb__item_decode(&back, b.data, b.len), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "appears twice"));
	wb__buf_free(&b);
	wb_item_free(wide);
}

static void test_deep_nesting_round_trips(void **state)
{
	wb_item *it = wb_item_new(), *back = NULL;
	wb_buf b = {0};
	(void)state;

	wbt_ok(wb_item_set(it, "deep", wbt_nested_lists(wb_value_list(), 100)));
	encode(&b, it);
	wbt_ok(wb__item_decode(&back, b.data, b.len));
	assert_true(wb_item_equal(it, back));
	wb_item_free(back);
	wb_item_free(it);
	wb__buf_free(&b);
}

static void test_depth_limit_is_the_same_both_ways(void **state)
{
	wb_item *it = wb_item_new();
	wb_buf b = {0};
	(void)state;

	wbt_ok(wb_item_set(it, "deep", wbt_nested_lists(wb_value_null(), 1100)));
	assert_int_equal(wb__item_encode(&b, it), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "nested deeper"));
	assert_int_equal(b.len, 0); /* nothing half-written */
	wb_item_free(it);
	wb__buf_free(&b);
}

/* ------------------------------------------------------------------ keys */

static void key_bytes(wb_buf *b, const wb_value *v)
{
	b->len = 0;
	wbt_ok(wb__key_encode(b, v));
}

static int buf_cmp(const wb_buf *a, const wb_buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->data, b->data, n) : 0;

	return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

static void test_number_keys_sort_numerically(void **state)
{
	static const char *sorted[] = {
		"-9.9999999999999999999999999999999999999E+125", "-1E+125", "-123456789012345678",
		"-10", "-9.5", "-9", "-1.01", "-1", "-0.99", "-0.5", "-1E-130",
		"0", "1E-130", "1.5E-130", "0.00001", "0.5", "0.99", "1", "1.000000001", "1.01",
		"9", "10", "11", "100", "1234567890123456789012345678901234567.8",
		"12345678901234567890123456789012345678", "1E+38", "1E+125",
		"9.9999999999999999999999999999999999999E+125",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	wb_buf prev = {0}, cur = {0};
	(void)state;

	for (size_t i = 0; i < n; i++) {
		wb_value *v = wb_value_number(sorted[i]);
		key_bytes(&cur, v);
		if (i > 0 && buf_cmp(&prev, &cur) >= 0)
			fail_msg("key(%s) is not below key(%s)", sorted[i - 1], sorted[i]);
		prev.len = 0;
		wbt_ok(wb__buf_append(&prev, cur.data, cur.len));
		wb_value_free(v);
	}
	wb__buf_free(&prev);
	wb__buf_free(&cur);
}

static void test_number_keys_decode_canonical(void **state)
{
	static const char *const cases[][2] = {
		{ "1.50", "1.5" }, { "0", "0" }, { "-0.0", "0" }, { "007", "7" }, { "+3", "3" },
		{ "100", "100" }, { "1e2", "100" }, { "-12.340E1", "-123.4" }, { ".5", "0.5" },
		{ "0.000001", "0.000001" }, { "0.0000001", "1E-7" }, { "1E-130", "1E-130" },
		{ "1E+125", "1E+125" }, { "-1.25E+40", "-1.25E+40" },
		{ "12345678901234567890123456789012345678", "12345678901234567890123456789012345678" },
		{ "123456789012345678901234567890123456780", "1.2345678901234567890123456789012345678E+38" },
	};
	wb_buf b = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wb_value *v = wb_value_number(cases[i][0]), *back = NULL;
		key_bytes(&b, v);
		wbt_ok(wb__key_decode(&back, WB_N, b.data, b.len));
		assert_int_equal(wb_value_type(back), WB_N);
		if (strcmp(wb_value_bytes(back, NULL), cases[i][1]) != 0)
			fail_msg("%s decoded as %s, want %s", cases[i][0], wb_value_bytes(back, NULL),
				 cases[i][1]);
		assert_true(wb_value_equal(v, back)); /* numerically equal */
		wb_value_free(v);
		wb_value_free(back);
	}
	wb__buf_free(&b);
}

static void test_string_and_binary_keys(void **state)
{
	static const char *sorted[] = { "", "A", "B", "a", "ab", "abc", "b", "\xc3\xa9", "\xf0\x9f\x98\x80" };
	wb_buf prev = {0}, cur = {0};
	wb_value *back;
	(void)state;

	for (size_t i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
		wb_value *v = wb_value_string(sorted[i], strlen(sorted[i]));
		key_bytes(&cur, v);
		if (i > 0)
			assert_true(buf_cmp(&prev, &cur) < 0);
		wbt_ok(wb__key_decode(&back, WB_S, cur.data, cur.len));
		assert_true(wb_value_equal(v, back));
		wb_value_free(back);
		prev.len = 0;
		wbt_ok(wb__buf_append(&prev, cur.data, cur.len));
		wb_value_free(v);
	}
	{
		unsigned char bin[3] = { 0, 0xff, 7 };
		wb_value *v = wb_value_binary(bin, 3);
		key_bytes(&cur, v);
		assert_int_equal(cur.len, 3);
		wbt_ok(wb__key_decode(&back, WB_B, cur.data, cur.len));
		assert_true(wb_value_equal(v, back));
		wb_value_free(back);
		wb_value_free(v);
	}
	wb__buf_free(&prev);
	wb__buf_free(&cur);
}

static void test_bad_keys_rejected(void **state)
{
	wb_buf b = {0};
	wb_value *v, *back;
	static const unsigned char junk[][4] = {
		{ 0x03, 0x80, 0x0b, 0x00 }, { 0x03, 0x80, 0x01, 0x00 }, { 0x03, 0x80, 0x02, 0x01 },
		{ 0x05, 0, 0, 0 }, { 0x01, 0x80, 0x09, 0x00 },
	};
	(void)state;

	v = wb_value_number("1E+126");
	assert_int_equal(wb__key_encode(&b, v), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "out of range"));
	wb_value_free(v);
	v = wb_value_bool(1);
	assert_int_equal(wb__key_encode(&b, v), WB_EINVALID);
	wb_value_free(v);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		for (size_t n = 0; n <= 4; n++)
			assert_int_equal(wb__key_decode(&back, WB_N, junk[i], n), WB_EINVALID);
	assert_int_equal(wb__key_decode(&back, WB_BOOL, "x", 1), WB_EINVALID);
	wb__buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item_round_trip_every_type),
		cmocka_unit_test(test_binary_every_byte),
		cmocka_unit_test(test_every_prefix_and_corruption_fails_cleanly),
		cmocka_unit_test(test_huge_counts_rejected),
		cmocka_unit_test(test_duplicate_names_rejected),
		cmocka_unit_test(test_deep_nesting_round_trips),
		cmocka_unit_test(test_depth_limit_is_the_same_both_ways),
		cmocka_unit_test(test_number_keys_sort_numerically),
		cmocka_unit_test(test_number_keys_decode_canonical),
		cmocka_unit_test(test_string_and_binary_keys),
		cmocka_unit_test(test_bad_keys_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
