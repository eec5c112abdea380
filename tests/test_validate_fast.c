/*
 * test_validate_fast.c - the shortcuts of validation on the write-back path
 * (issue 11, the `run dev` hot path): values decoded from the store's own
 * encoding are marked checked and not validated again, while anything a
 * caller sets is; the 400 KB rule is checked from the encoded length
 * (an item's size is at most twice its encoding); and the SQLite fast path
 * (each_page) still refuses every invalid write: a bad string or number
 * (top level or nested in a stored map), an item over 400 KB, a changed key
 * of type N (compared through its encoding) or of type S (in place).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "store_fixture.h"
#include "backend.h"
#include "codec.h"
#include "item.h"

/* Items whose size is largest against their encoding, and ordinary ones. */
static void test_size_within_twice_the_encoding(void **state)
{
	const char *json[] = {
		"{\"s\":{\"S\":\"h\\u00e9llo\"},\"n\":{\"N\":\"-1.5E-100\"},\"t\":{\"BOOL\":true},"
		"\"z\":{\"NULL\":true},\"l\":{\"L\":[{\"S\":\"x\"},{\"L\":[]},{\"M\":{}}]},"
		"\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2\",\"3\"]},\"bs\":{\"BS\":[\"AA==\"]}}",
		"{\"a\":{\"L\":[{\"NULL\":true},{\"NULL\":true},{\"NULL\":true},{\"NULL\":true}]}}",
		"{\"a\":{\"L\":[{\"L\":[{\"L\":[]},{\"L\":[]}]},{\"L\":[{\"M\":{}},{\"M\":{}}]}]}}",
		"{\"m\":{\"M\":{\"a\":{\"NULL\":true},\"b\":{\"BOOL\":false},\"c\":{\"N\":\"1\"}}}}",
		"{\"e\":{\"S\":\"\"},\"n\":{\"N\":\"9\"},\"ns\":{\"NS\":[\"1\",\"9\",\"0\"]}}",
	};
	wb_buf b = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
		wb_item *it = wbt_item(json[i]);
		b.len = 0;
		wbt_ok(wb__item_encode(&b, it));
		if (wb_item_size(it) > 2 * b.len)
			fail_msg("item %zu: size %zu over twice its encoding (%zu)", i, wb_item_size(it), b.len);
		wbt_ok(wb__item_size_check(it, b.len));
		wb_item_free(it);
	}
	{ /* a list of 100,000 NULLs: 200,003 bytes for an encoding of 100,005 */
		wb_item *it = wb_item_new();
		wb_value *l = wb_value_list();
		for (int i = 0; i < 100000; i++)
			wbt_ok(wb_value_list_append(l, wb_value_null()));
		wbt_ok(wb_item_set(it, "l", l));
		b.len = 0;
		wbt_ok(wb__item_encode(&b, it));
		assert_true(wb_item_size(it) <= 2 * b.len);
		assert_true(wb_item_size(it) > b.len);
		wbt_ok(wb__item_size_check(it, b.len));
		wb_item_free(it);
	}
	{ /* over 400 KB: refused whatever the path */
		size_t n = WB_ITEM_MAX_SIZE + 10;
		char *big = malloc(n + 1);
		wb_item *it = wb_item_new();
		assert_non_null(big);
		memset(big, 'x', n);
		big[n] = '\0';
		wbt_ok(wb_item_set_string(it, "big", big));
		b.len = 0;
		wbt_ok(wb__item_encode(&b, it));
		assert_int_equal(wb__item_size_check(it, b.len), WB_EINVALID);
		assert_non_null(strstr(wb_error_last(), "400 KB"));
		assert_int_equal(wb_item_validate(it, NULL), WB_EINVALID);
		wb_item_free(it);
		free(big);
	}
	wb__buf_free(&b);
}

/* Bytes holding a string that is not UTF-8 (as a corrupt file might). */
static void encode_bad_string(wb_buf *b)
{
	wb_item *it = wb_item_new();

	wbt_ok(wb_item_set(it, "s", wb_value_string("\xff\xfe", 2)));
	b->len = 0;
	wbt_ok(wb__item_encode(b, it));
	wb_item_free(it);
}

static void test_decoded_values_are_checked_once(void **state)
{
	wb_item *it = NULL, *dup;
	wb_buf b = {0};
	(void)state;

	encode_bad_string(&b);
	wbt_ok(wb__item_decode(&it, b.data, b.len));
	assert_int_equal(wb_item_validate(it, NULL), WB_EINVALID); /* any bytes: checked */
	wb_item_free(it);
	wbt_ok(wb__item_decode_stored(&it, b.data, b.len));
	wbt_ok(wb_item_validate(it, NULL)); /* the store's bytes: trusted, as documented */
	dup = wb_item_dup(it);
	wbt_ok(wb_item_validate(dup, NULL)); /* a copy of the same bytes */
	wb_item_free(dup);
	wbt_ok(wb_item_set(it, "t", wb_value_string("\xc3", 1))); /* set by a caller: checked */
	assert_int_equal(wb_item_validate(it, NULL), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "'t'"));
	wb_item_free(it);
	wb__buf_free(&b);
}

/* ------------------------------------------------------ the fast path */

static int bad_string(wb_item *it, void *arg)
{
	(void)arg;
	wb_item_set(it, "note", wb_value_string("\xe2\x82", 2));
	return WB_WRITE;
}

static int bad_nested_number(wb_item *it, void *arg)
{
	(void)arg;
	wb_item_set_path(it, "m.n", wb_value_number("1e999"));
	return WB_WRITE;
}

static int too_big(wb_item *it, void *arg)
{
	static char big[WB_ITEM_MAX_SIZE / 2 + 100];
	(void)arg;
	memset(big, 'y', sizeof(big) - 1);
	wb_item_set_string(it, "b1", big);
	wb_item_set_string(it, "b2", big);
	return WB_WRITE;
}

static int change_n_key(wb_item *it, void *arg)
{
	wb_item_set_number(it, "n", *(int *)arg ? "13" : "12.50"); /* 12.50: the key 12.5 */
	wb_item_set_number(it, "x", "1");
	return WB_WRITE;
}

static void page_all(wb_db *db, const char *table, wb_item_fn fn, void *arg, int want)
{
	wb_scan sc = WB_SCAN_INIT;
	wb__page_result page;

	sc.limit = 100;
	assert_int_equal(wb__db_each_page(db, table, &sc, fn, arg, NULL, &page), want);
	if (want == 0)
		wb_item_free(page.last_key);
}

static void test_fast_path_refuses_invalid_writes(void **state)
{
	wb_key_schema ks = {"id", WB_S, "", WB_S}, kn = {"n", WB_N, "", WB_S};
	char url[600];
	wb_db *db = NULL;
	wb_page *p = NULL;
	wb_scan sc = WB_SCAN_INIT;
	int change = 0;
	(void)state;

	wbt_target_url(0, url, sizeof(url));
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_table_create(db, "vstr", &ks));
	wbt_ok(wb_table_create(db, "vnum", &kn));
	wbt_seed_items(db, "vstr", 10, "{\"id\":\"k%1$d\",\"s\":\"caf\\u00e9\",\"m\":{\"n\":%1$d}}");
	wbt_put_json(db, "vnum", "{\"n\":12.5,\"s\":\"x\"}");
	page_all(db, "vstr", bad_string, NULL, WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "note"));
	page_all(db, "vstr", bad_nested_number, NULL, WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "m.n"));
	page_all(db, "vstr", too_big, NULL, WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "400 KB"));
	change = 1;
	page_all(db, "vnum", change_n_key, &change, WB_EINVALID);
	assert_non_null(strstr(wb_errmsg(db), "changed the key"));
	change = 0;
	page_all(db, "vnum", change_n_key, &change, 0); /* 12.50 is the key 12.5: kept */
	wbt_ok(wb_scan_page(&p, db, "vnum", &sc));
	assert_int_equal(p->count, 1);
	assert_string_equal(wb_item_get_number(p->items[0], "x"), "1");
	wb_page_free(p);
	p = NULL;
	wbt_ok(wb_scan_page(&p, db, "vstr", &sc)); /* nothing of the refused pages was written */
	assert_int_equal(p->count, 10);
	for (size_t i = 0; i < p->count; i++)
		assert_false(wb_item_has(p->items[i], "note") || wb_item_has(p->items[i], "b1"));
	wb_page_free(p);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_within_twice_the_encoding),
		cmocka_unit_test(test_decoded_values_are_checked_once),
		cmocka_unit_test(test_fast_path_refuses_invalid_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
