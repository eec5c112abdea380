/*
 * test_store.c - the store API, the same suite against every available target.
 *
 * Each test is listed once per target of tests/lib (WBT_BOTH: a fresh
 * SQLite file; DynamoDB when WB_TEST_DYNAMODB_URL is set, a skip without
 * it), uses fresh table names, and checks only what every backend promises
 * (the SQLite-only promise tested here, all-or-nothing batches, is checked
 * when the target is SQLite).
 * Tables: create/describe/list/drop and their errors; get/put/delete/update
 * with every condition; conditions over items with empty and nested maps
 * and lists; batches; a round trip of every type; validation
 * errors; query with every sort-key condition, both orders and paging;
 * parallel scan segments, key-prefix scans and paging cursors.  On
 * DynamoDB every expression sent is recorded (wb__dynamodb_set_request_hook):
 * none may pass DynamoDB's 4 KB limit, items of 400 attributes included,
 * and a change deep inside a map is written by its document path.
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "store_fixture.h"
#include "dynamodb.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* --------------------------------------------- expressions sent (DynamoDB) */

static const char *const expr_names[] = {"UpdateExpression", "ConditionExpression", "KeyConditionExpression",
					 "FilterExpression", "ProjectionExpression"};

/* What the request hook saw since the last rec_clear(). */
static struct {
	size_t sent;       /* expressions */
	size_t longest;    /* bytes of the longest */
	char update[4200]; /* the last UpdateExpression (cut) */
	char cond[4200];   /* the last ConditionExpression (cut) */
} rec;

static void rec_clear(void)
{
	memset(&rec, 0, sizeof(rec));
}

/* Called from the lanes too, several at once (dynamodb_pool.c): under a lock. */
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

static void record_request(const char *op, const char *body, size_t len, void *arg)
{
	(void)op;
	(void)arg;
	pthread_mutex_lock(&rec_lock);
	for (size_t i = 0; i < NELEM(expr_names); i++) {
		char key[64];
		int kl = snprintf(key, sizeof(key), "\"%s\":\"", expr_names[i]);
		const char *p = memmem(body, len, key, (size_t)kl), *end;
		if (!p || !(end = memchr(p + kl, '"', len - (size_t)(p + kl - body))))
			continue;
		size_t n = (size_t)(end - (p + kl));
		rec.sent++;
		if (n > rec.longest)
			rec.longest = n;
		char *dst = i == 0 ? rec.update : i == 1 ? rec.cond : NULL;
		if (dst)
			snprintf(dst, sizeof(rec.update), "%.*s", (int)n, p + kl);
	}
	pthread_mutex_unlock(&rec_lock);
}

/* On DynamoDB: expressions were sent, none longer than DynamoDB's 4 KB. */
static void assert_expressions_fit(int target)
{
	if (wbt_target_kind(target) != WBT_DYNAMODB)
		return;
	assert_true(rec.sent > 0);
	if (rec.longest > 4096)
		fail_msg("an expression of %zu bytes was sent (DynamoDB's limit: 4096)", rec.longest);
}

/* -------------------------------------------------------------- tables */

static void tables_on(int target)
{
	wb_db *db = wbt_open(target);
	char a[80], b[80];
	wb_table_desc d;
	wb_key_schema k;
	char **names = NULL;
	size_t count = 0, ia = 0, ib = 0;

	wbt_new_table(db, a, sizeof(a), "tb_b", "id", WB_S, NULL, WB_S);
	wbt_new_table(db, b, sizeof(b), "tb_a", "pk", WB_N, "sk", WB_B);
	wbt_ok(wb_table_describe(&d, db, b));
	assert_string_equal(d.name, b);
	assert_string_equal(d.key.pk_name, "pk");
	assert_int_equal(d.key.pk_type, WB_N);
	assert_string_equal(d.key.sk_name, "sk");
	assert_int_equal(d.key.sk_type, WB_B);
	if (d.item_count != -1) /* DynamoDB's ItemCount is stale: reported as unknown */
		assert_int_equal(d.item_count, 0);
	wbt_ok(wb_table_describe(&d, db, a));
	assert_string_equal(d.key.sk_name, "");
	wbt_put_json(db, a, "{\"id\":\"x\"}");
	wbt_put_json(db, a, "{\"id\":\"y\",\"v\":1}");
	wbt_ok(wb_table_describe(&d, db, a));
	if (d.item_count != -1)
		assert_int_equal(d.item_count, 2);

	wbt_ok(wb_table_list(&names, &count, db));
	for (size_t i = 0; i < count; i++) {
		if (strcmp(names[i], a) == 0) ia = i + 1;
		if (strcmp(names[i], b) == 0) ib = i + 1;
		if (i > 0)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
	}
	assert_null(names[count]);
	assert_true(ia > 0 && ib > 0 && ib < ia); /* tb_a_... sorts before tb_b_... */
	wb_strings_free(names);

	k = wbt_key("id", WB_S, NULL, WB_S);
	wbt_assert_error(db, wb_table_create(db, a, &k), WB_EEXISTS, a, "exists");
	wbt_ok(wb_table_drop(db, a));
	wbt_assert_error(db, wb_table_describe(&d, db, a), WB_ENOTFOUND, a, NULL);
	wbt_assert_error(db, wb_table_drop(db, a), WB_ENOTFOUND, a, NULL);
	wbt_ok(wb_table_list(&names, &count, db));
	for (size_t i = 0; i < count; i++)
		assert_string_not_equal(names[i], a);
	wb_strings_free(names);
	wbt_ok(wb_table_drop(db, b));
	wb_close(db);
}

WBT_CASE(tables)

static void table_errors_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("id", WB_S, NULL, WB_S);
	wb_item *it = wbt_item("{\"id\":\"x\"}"), *out = NULL;
	wb_page *page = NULL;
	wb_scan sc = WB_SCAN_INIT;
	char name[80];

	wbt_assert_error(db, wb_table_create(db, "ab", &k), WB_EINVALID, "ab", "3 to 255");
	wbt_assert_error(db, wb_table_create(db, "cars; DROP TABLE x", &k), WB_EINVALID, "character 5", NULL);
	wbt_assert_error(db, wb_table_create(db, "x\"y'z", &k), WB_EINVALID, "character 2", NULL);
	wbt_table_name(name, sizeof(name), "tbad");
	k = wbt_key("id", WB_BOOL, NULL, WB_S);
	wbt_assert_error(db, wb_table_create(db, name, &k), WB_EINVALID, "id", "S, N or B");
	k = wbt_key("id", WB_S, "when", WB_M);
	wbt_assert_error(db, wb_table_create(db, name, &k), WB_EINVALID, "when", "S, N or B");
	k = wbt_key("", WB_S, NULL, WB_S);
	wbt_assert_error(db, wb_table_create(db, name, &k), WB_EINVALID, "partition key", NULL);
	k = wbt_key("id", WB_S, "id", WB_N);
	wbt_assert_error(db, wb_table_create(db, name, &k), WB_EINVALID, "id", NULL);
	wbt_assert_error(db, wb_table_describe(&(wb_table_desc){0}, db, name), WB_ENOTFOUND, name, NULL);

	/* every operation on a missing table says which table */
	wbt_assert_error(db, wb_put(db, name, it, NULL), WB_ENOTFOUND, name, NULL);
	wbt_assert_error(db, wb_get(&out, db, name, it), WB_ENOTFOUND, name, NULL);
	assert_null(out);
	wbt_assert_error(db, wb_delete(db, name, it, NULL), WB_ENOTFOUND, name, NULL);
	wbt_assert_error(db, wb_scan_page(&page, db, name, &sc), WB_ENOTFOUND, name, NULL);
	assert_null(page);
	wbt_assert_error(db, wb_put(db, "no such", it, NULL), WB_EINVALID, "character 3", NULL);
	wb_item_free(it);
	wb_close(db);
}

WBT_CASE(table_errors)

/* --------------------------------------------------------- single items */

static void items_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	wb_item *got, *want;

	wbt_new_table(db, t, sizeof(t), "items", "pk", WB_S, "n", WB_N);
	wbt_put_json(db, t, "{\"pk\":\"a\",\"n\":1,\"v\":\"one\"}");
	wbt_put_json(db, t, "{\"pk\":\"a\",\"n\":2,\"v\":\"two\"}");
	got = wbt_get_json(db, t, "{\"pk\":\"a\",\"n\":1,\"other\":true}"); /* extra attributes ignored */
	want = wbt_item("{\"pk\":\"a\",\"n\":1,\"v\":\"one\"}");
	assert_non_null(got);
	assert_true(wb_item_equal(got, want));
	wb_item_free(got);
	wb_item_free(want);

	/* number keys compare as numbers: 1.0 is the key 1 */
	got = wbt_get_json(db, t, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.0\"}}");
	assert_non_null(got);
	assert_string_equal(wb_item_get_string(got, "v"), "one");
	wb_item_free(got);

	/* put replaces the whole item */
	wbt_put_json(db, t, "{\"pk\":\"a\",\"n\":1,\"w\":\"new\"}");
	got = wbt_get_json(db, t, "{\"pk\":\"a\",\"n\":1}");
	assert_false(wb_item_has(got, "v"));
	assert_string_equal(wb_item_get_string(got, "w"), "new");
	wb_item_free(got);

	/* delete; deleting again is fine; get is then not found with the key in the message */
	want = wbt_item("{\"pk\":\"a\",\"n\":1}");
	wbt_ok(wb_delete(db, t, want, NULL));
	wbt_ok(wb_delete(db, t, want, NULL));
	got = (wb_item *)1;
	wbt_assert_error(db, wb_get(&got, db, t, want), WB_ENOTFOUND, t, NULL);
	assert_null(got);
	wb_item_free(want);
	got = wbt_get_json(db, t, "{\"pk\":\"a\",\"n\":2}");
	assert_non_null(got);
	wb_item_free(got);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(items)

/* Put `json` under a condition; returns the result code. */
static int put_if(wb_db *db, const char *t, const char *json, const wb_cond *c)
{
	wb_item *it = wbt_item(json);
	int rc = wb_put(db, t, it, c);

	wb_item_free(it);
	return rc;
}

static int del_if(wb_db *db, const char *t, const char *json, const wb_cond *c)
{
	wb_item *it = wbt_item(json);
	int rc = wb_delete(db, t, it, c);

	wb_item_free(it);
	return rc;
}

static void conditions_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	wb_value *red = wb_value_string("red", 3), *blue = wb_value_string("blue", 4);
	wb_item *v1 = wbt_item("{\"id\":\"c\",\"color\":\"red\",\"n\":1}");
	wb_item *v2 = wbt_item("{\"id\":\"c\",\"color\":\"blue\",\"n\":2}");
	wb_cond not_exists = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	wb_cond exists = {WB_COND_EXISTS, NULL, NULL, NULL};
	wb_cond is_red = {WB_COND_ATTR_EQUALS, "color", red, NULL};
	wb_cond is_blue = {WB_COND_ATTR_EQUALS, "color", blue, NULL};
	wb_cond has_size = {WB_COND_ATTR_EQUALS, "size", red, NULL};
	wb_cond was_v1 = {WB_COND_ITEM_EQUALS, NULL, NULL, v1};
	wb_cond was_v2 = {WB_COND_ITEM_EQUALS, NULL, NULL, v2};
	wb_item *got;

	wbt_new_table(db, t, sizeof(t), "cond", "id", WB_S, NULL, WB_S);
	/* absent item: EXISTS, ATTR_EQUALS and ITEM_EQUALS fail, NOT_EXISTS passes */
	wbt_assert_error(db, put_if(db, t, "{\"id\":\"c\"}", &exists), WB_ECONDITION, "condition", t);
	wbt_assert_error(db, put_if(db, t, "{\"id\":\"c\"}", &is_red), WB_ECONDITION, "condition", NULL);
	wbt_assert_error(db, put_if(db, t, "{\"id\":\"c\"}", &was_v1), WB_ECONDITION, "condition", NULL);
	wbt_assert_error(db, del_if(db, t, "{\"id\":\"c\"}", &exists), WB_ECONDITION, "condition", NULL);
	assert_null(wbt_get_json(db, t, "{\"id\":\"c\"}"));
	wbt_ok(wb_put(db, t, v1, &not_exists));
	/* present item */
	wbt_assert_error(db, wb_put(db, t, v2, &not_exists), WB_ECONDITION, "condition", NULL);
	wbt_assert_error(db, wb_put(db, t, v2, &is_blue), WB_ECONDITION, "color", NULL);
	wbt_assert_error(db, wb_put(db, t, v2, &has_size), WB_ECONDITION, "size", NULL);
	wbt_assert_error(db, wb_put(db, t, v2, &was_v2), WB_ECONDITION, "condition", NULL);
	got = wbt_get_json(db, t, "{\"id\":\"c\"}");
	assert_true(wb_item_equal(got, v1)); /* nothing was written by the failures */
	wb_item_free(got);
	wbt_ok(wb_put(db, t, v2, &was_v1));
	wbt_ok(wb_put(db, t, v2, &is_blue));
	wbt_ok(wb_put(db, t, v2, &exists));
	got = wbt_get_json(db, t, "{\"id\":\"c\"}");
	assert_true(wb_item_equal(got, v2));
	wb_item_free(got);
	/* deletes under every condition */
	wbt_assert_error(db, del_if(db, t, "{\"id\":\"c\"}", &not_exists), WB_ECONDITION, "condition", NULL);
	wbt_assert_error(db, del_if(db, t, "{\"id\":\"c\"}", &is_red), WB_ECONDITION, "color", NULL);
	wbt_assert_error(db, del_if(db, t, "{\"id\":\"c\"}", &was_v1), WB_ECONDITION, "condition", NULL);
	assert_non_null(got = wbt_get_json(db, t, "{\"id\":\"c\"}"));
	wb_item_free(got);
	wbt_ok(del_if(db, t, "{\"id\":\"c\"}", &was_v2));
	assert_null(wbt_get_json(db, t, "{\"id\":\"c\"}"));
	wbt_ok(wb_put(db, t, v2, NULL));
	wbt_ok(del_if(db, t, "{\"id\":\"c\"}", &is_blue));
	wbt_ok(wb_put(db, t, v2, NULL));
	wbt_ok(del_if(db, t, "{\"id\":\"c\"}", &exists));
	assert_null(wbt_get_json(db, t, "{\"id\":\"c\"}"));
	wbt_ok(del_if(db, t, "{\"id\":\"c\"}", &not_exists));

	wbt_ok(wb_table_drop(db, t));
	wb_value_free(red);
	wb_value_free(blue);
	wb_item_free(v1);
	wb_item_free(v2);
	wb_close(db);
}

WBT_CASE(conditions)

static void update_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	wb_item *key = wbt_item("{\"pk\":\"u\",\"sk\":\"1\"}");
	wb_item *set = wbt_item("{\"color\":\"red\",\"n\":5}");
	wb_item *set2 = wbt_item("{\"color\":\"green\",\"size\":\"L\"}");
	wb_item *bad = wbt_item("{\"sk\":\"2\"}");
	wb_item *got, *want;
	const char *rm[] = {"n"}, *rm_key[] = {"pk"}, *rm_absent[] = {"nothing"};
	wb_value *red = wb_value_string("red", 3);
	wb_cond exists = {WB_COND_EXISTS, NULL, NULL, NULL};
	wb_cond not_exists = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	wb_cond is_red = {WB_COND_ATTR_EQUALS, "color", red, NULL};
	wb_cond was;

	wbt_new_table(db, t, sizeof(t), "upd", "pk", WB_S, "sk", WB_S);
	/* EXISTS on an absent item creates nothing */
	wbt_assert_error(db, wb_update(db, t, key, set, NULL, 0, &exists), WB_ECONDITION, "condition", NULL);
	assert_null(wbt_get_json(db, t, "{\"pk\":\"u\",\"sk\":\"1\"}"));
	/* unconditional update creates the item */
	wbt_ok(wb_update(db, t, key, set, NULL, 0, NULL));
	got = wbt_get_json(db, t, "{\"pk\":\"u\",\"sk\":\"1\"}");
	want = wbt_item("{\"pk\":\"u\",\"sk\":\"1\",\"color\":\"red\",\"n\":5}");
	assert_true(wb_item_equal(got, want));
	wb_item_free(want);
	wbt_assert_error(db, wb_update(db, t, key, set, NULL, 0, &not_exists), WB_ECONDITION, "condition", NULL);
	/* set and remove under an attribute condition; removing an absent attribute is fine */
	wbt_ok(wb_update(db, t, key, set2, rm, 1, &is_red));
	wbt_ok(wb_update(db, t, key, NULL, rm_absent, 1, NULL));
	wb_item_free(got);
	got = wbt_get_json(db, t, "{\"pk\":\"u\",\"sk\":\"1\"}");
	want = wbt_item("{\"pk\":\"u\",\"sk\":\"1\",\"color\":\"green\",\"size\":\"L\"}");
	assert_true(wb_item_equal(got, want));
	wb_item_free(want);
	wbt_assert_error(db, wb_update(db, t, key, set2, NULL, 0, &is_red), WB_ECONDITION, "color", NULL);
	/* item condition */
	was = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, got};
	wbt_ok(wb_update(db, t, key, set, NULL, 0, &was));
	wbt_assert_error(db, wb_update(db, t, key, set, NULL, 0, &was), WB_ECONDITION, "condition", NULL);
	wb_item_free(got);
	/* key attributes cannot change */
	wbt_assert_error(db, wb_update(db, t, key, bad, NULL, 0, NULL), WB_EINVALID, "sk", "key");
	wbt_assert_error(db, wb_update(db, t, key, NULL, rm_key, 1, NULL), WB_EINVALID, "pk", "key");
	got = wbt_get_json(db, t, "{\"pk\":\"u\",\"sk\":\"1\"}");
	assert_string_equal(wb_item_get_string(got, "color"), "red");
	wb_item_free(got);

	wbt_ok(wb_table_drop(db, t));
	wb_value_free(red);
	wb_item_free(key);
	wb_item_free(set);
	wb_item_free(set2);
	wb_item_free(bad);
	wb_close(db);
}

WBT_CASE(update)

/* ---------------------------------------------------------------- batch */

static void batch_on(int target)
{
	wb_db *db = wbt_open(target);
	char a[80], b[80];
	wb_item *it[6];
	wb_cond not_exists = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	wb_write w[6];
	size_t failed = 99;
	wb_item *got;

	wbt_new_table(db, a, sizeof(a), "batch_a", "id", WB_S, NULL, WB_S);
	wbt_new_table(db, b, sizeof(b), "batch_b", "id", WB_N, NULL, WB_S);
	it[0] = wbt_item("{\"id\":\"x\",\"v\":1}");
	it[1] = wbt_item("{\"id\":\"y\",\"v\":2}");
	it[2] = wbt_item("{\"id\":7,\"v\":3}");
	it[3] = wbt_item("{\"id\":\"gone\"}");
	it[4] = wbt_item("{\"id\":\"z\"}");
	it[5] = wbt_item("{\"id\":8}");
	wbt_put_json(db, a, "{\"id\":\"gone\"}");
	w[0] = (wb_write){a, WB_WRITE_PUT, it[0], NULL};
	w[1] = (wb_write){a, WB_WRITE_PUT, it[1], &not_exists};
	w[2] = (wb_write){b, WB_WRITE_PUT, it[2], NULL};
	w[3] = (wb_write){a, WB_WRITE_DELETE, it[3], NULL};
	wbt_ok(wb_batch_write(db, w, 4, &failed));
	assert_non_null(got = wbt_get_json(db, a, "{\"id\":\"x\"}"));
	wb_item_free(got);
	assert_non_null(got = wbt_get_json(db, b, "{\"id\":7}"));
	wb_item_free(got);
	assert_null(wbt_get_json(db, a, "{\"id\":\"gone\"}"));

	/* a failing condition in the middle: the batch fails and says which write */
	w[0] = (wb_write){a, WB_WRITE_PUT, it[4], NULL};
	w[1] = (wb_write){b, WB_WRITE_PUT, it[5], NULL};
	w[2] = (wb_write){a, WB_WRITE_PUT, it[1], &not_exists};
	w[3] = (wb_write){a, WB_WRITE_DELETE, it[0], NULL};
	wbt_assert_error(db, wb_batch_write(db, w, 4, &failed), WB_ECONDITION, "condition", a);
	assert_int_equal(failed, 2);
	if (wbt_target_kind(target) == WBT_SQLITE) { /* all or nothing */
		assert_null(wbt_get_json(db, a, "{\"id\":\"z\"}"));
		assert_null(wbt_get_json(db, b, "{\"id\":8}"));
		assert_non_null(got = wbt_get_json(db, a, "{\"id\":\"x\"}"));
		wb_item_free(got);
	}
	/* an invalid write is reported with its index */
	w[1] = (wb_write){b, WB_WRITE_PUT, it[0], NULL}; /* S key for an N table */
	failed = 99;
	wbt_assert_error(db, wb_batch_write(db, w, 2, &failed), WB_EINVALID, "id", NULL);
	assert_int_equal(failed, 1);
	wbt_ok(wb_batch_write(db, w, 0, NULL));

	for (int i = 0; i < 6; i++)
		wb_item_free(it[i]);
	wbt_ok(wb_table_drop(db, a));
	wbt_ok(wb_table_drop(db, b));
	wb_close(db);
}

WBT_CASE(batch)


/* Batches of many puts to one table (the migration write-back), with every twist. */
#define NBIG 60

static wb_item *big_item(int i, const char *color)
{
	char json[200];

	snprintf(json, sizeof(json), "{\"pk\":\"k%02d\",\"sk\":%d,\"color\":\"%s\",\"i\":%d}",
		 i % 20, i / 20, color, i);
	return wbt_item(json);
}

static void check_colors(wb_db *db, const char *t, const char *color, int skip_from)
{
	for (int i = 0; i < NBIG; i++) {
		char key[80];
		wb_item *got;
		snprintf(key, sizeof(key), "{\"pk\":\"k%02d\",\"sk\":%d}", i % 20, i / 20);
		got = wbt_get_json(db, t, key);
		if (i >= skip_from) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		if (strcmp(wb_item_get_string(got, "color"), color) != 0)
			fail_msg("item %d is %s, expected %s", i, wb_item_get_string(got, "color"), color);
		wb_item_free(got);
	}
}

static void batch_large_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80], other[80];
	wb_item *red[NBIG], *blue[NBIG], *odd;
	wb_cond was_red[NBIG], was_blue[NBIG];
	wb_write w[NBIG + 2];
	size_t failed = 0;

	wbt_new_table(db, t, sizeof(t), "bulk", "pk", WB_S, "sk", WB_N);
	wbt_new_table(db, other, sizeof(other), "bulk_other", "id", WB_S, NULL, WB_S);
	for (int i = 0; i < NBIG; i++) {
		red[i] = big_item(i, "red");
		blue[i] = big_item(i, "blue");
		was_red[i] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, red[i]};
		was_blue[i] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, blue[i]};
	}
	/* inserts, then a write-back of every item, plus a write to another table */
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){t, WB_WRITE_PUT, red[i], NULL};
	wbt_ok(wb_batch_write(db, w, NBIG, NULL));
	check_colors(db, t, "red", NBIG);
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){t, WB_WRITE_PUT, blue[i], &was_red[i]};
	odd = wbt_item("{\"id\":\"checkpoint\",\"at\":\"k59\"}");
	w[NBIG] = (wb_write){other, WB_WRITE_PUT, odd, NULL};
	wbt_ok(wb_batch_write(db, w, NBIG + 1, NULL));
	check_colors(db, t, "blue", NBIG);
	wb_item_free(odd);
	assert_non_null(odd = wbt_get_json(db, other, "{\"id\":\"checkpoint\"}"));
	wb_item_free(odd);

	/* a write to a missing table is named too */
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){i == 20 ? "no_such_table" : t, WB_WRITE_PUT, blue[i], NULL};
	failed = 0;
	wbt_assert_error(db, wb_batch_write(db, w, NBIG, &failed), WB_ENOTFOUND, "no_such_table", NULL);
	assert_int_equal(failed, 20);
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){i < 5 ? t : "no_such_table", WB_WRITE_PUT, blue[i], NULL};
	wbt_assert_error(db, wb_batch_write(db, w, NBIG, &failed), WB_ENOTFOUND, "no_such_table", NULL);
	assert_int_equal(failed, 5);

	/* one stale condition fails the batch and names the write */
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){t, WB_WRITE_PUT, red[i], i == 37 ? &was_red[i] : &was_blue[i]};
	wbt_assert_error(db, wb_batch_write(db, w, NBIG, &failed), WB_ECONDITION, "condition", t);
	assert_int_equal(failed, 37);
	if (wbt_target_kind(target) == WBT_SQLITE)
		check_colors(db, t, "blue", NBIG);

	/* deletes mixed in (distinct keys), then the same key twice (the last put wins) */
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){t, i >= 50 ? WB_WRITE_DELETE : WB_WRITE_PUT, red[i], NULL};
	wbt_ok(wb_batch_write(db, w, NBIG, NULL));
	check_colors(db, t, "red", 50);
	for (int i = 0; i < 50; i++)
		w[i] = (wb_write){t, WB_WRITE_PUT, blue[i], NULL};
	w[50] = (wb_write){t, WB_WRITE_PUT, red[3], NULL};
	wbt_ok(wb_batch_write(db, w, 51, NULL));
	odd = wbt_get_json(db, t, "{\"pk\":\"k03\",\"sk\":0}");
	assert_string_equal(wb_item_get_string(odd, "color"), "red");
	wb_item_free(odd);
	odd = wbt_get_json(db, t, "{\"pk\":\"k04\",\"sk\":0}");
	assert_string_equal(wb_item_get_string(odd, "color"), "blue");
	wb_item_free(odd);

	/* a condition on an item that is gone */
	for (int i = 0; i < 50; i++)
		w[i] = (wb_write){t, WB_WRITE_PUT, blue[i], i == 3 ? &was_red[i] : &was_blue[i]};
	w[50] = (wb_write){t, WB_WRITE_PUT, blue[55], &was_red[55]};
	wbt_assert_error(db, wb_batch_write(db, w, 51, &failed), WB_ECONDITION, "condition", NULL);
	/*
	 * Only w[50] fails, on both backends: k03 is red (the batch above put it
	 * last, asserted there), so w[3]'s was_red holds, and k55 was deleted.
	 * (An earlier `failed == 3 || failed == 50` would have let a backend that
	 * reorders repeated keys through.)  SQLite rolls the whole batch back, so
	 * w[3] did not land; DynamoDB runs conditional writes one by one in
	 * order, so w[0..49] landed before w[50] failed.
	 */
	assert_int_equal(failed, 50);
	odd = wbt_get_json(db, t, "{\"pk\":\"k03\",\"sk\":0}");
	assert_string_equal(wb_item_get_string(odd, "color"),
			    wbt_target_kind(target) == WBT_SQLITE ? "red" : "blue");
	wb_item_free(odd);
	w[3].cond = &was_red[3];
	w[50] = (wb_write){t, WB_WRITE_DELETE, blue[55], NULL};
	if (wbt_target_kind(target) != WBT_SQLITE) /* not atomic: the writes before the failed one were applied */
		for (size_t i = 0; i < failed && i < 50; i++)
			w[i].cond = &was_blue[i];
	failed = 0;
	wbt_ok(wb_batch_write(db, w, 51, &failed));
	check_colors(db, t, "blue", 50);

	for (int i = 0; i < NBIG; i++) {
		wb_item_free(red[i]);
		wb_item_free(blue[i]);
	}
	wbt_ok(wb_table_drop(db, t));
	wbt_ok(wb_table_drop(db, other));
	wb_close(db);
}

/*
 * wb_batch_write_each: three writes of one batch fail their conditions.
 * DynamoDB sends them all at once: the other 57 are applied and each
 * write's fate is told; SQLite rolls the batch back at the first.  At
 * WHIMBREL_DYNAMODB_CONCURRENCY=1 (no lanes) DynamoDB goes in order and
 * stops at the first: those before it applied, none after.
 */
static void batch_each_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	wb_item *red[NBIG], *blue[NBIG];
	wb_cond was_red[NBIG], was_blue[NBIG];
	wb_write w[NBIG];
	const char *conc = getenv("WHIMBREL_DYNAMODB_CONCURRENCY");
	int res[NBIG], sqlite = wbt_target_kind(target) == WBT_SQLITE, nfailed = 0;
	int in_order = !sqlite && conc && atoi(conc) == 1;

	wbt_new_table(db, t, sizeof(t), "each", "pk", WB_S, "sk", WB_N);
	for (int i = 0; i < NBIG; i++) {
		red[i] = big_item(i, "red");
		blue[i] = big_item(i, "blue");
		was_red[i] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, red[i]};
		was_blue[i] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, blue[i]};
		w[i] = (wb_write){t, WB_WRITE_PUT, red[i], NULL};
	}
	wbt_ok(wb_batch_write_each(db, w, NBIG, res));
	for (int i = 0; i < NBIG; i++)
		assert_int_equal(res[i], 0);
	for (int i = 0; i < NBIG; i++)
		w[i] = (wb_write){t, WB_WRITE_PUT, blue[i], i == 7 || i == 23 || i == 41 ? &was_blue[i] : &was_red[i]};
	wbt_assert_error(db, wb_batch_write_each(db, w, NBIG, res), WB_ECONDITION, "condition", t);
	for (int i = 0; i < NBIG; i++) {
		int stale = i == 7 || i == 23 || i == 41;
		/* SQLite stops at the first it meets (in its own order), the others are not sent */
		if (res[i] == WB_ECONDITION && stale && (!(sqlite || in_order) || nfailed == 0)) {
			nfailed++;
			continue;
		}
		if (res[i] != (sqlite || (in_order && i > 7) ? WB_WRITE_NOT_SENT : 0))
			fail_msg("write %d: result %d", i, res[i]);
	}
	assert_int_equal(nfailed, sqlite || in_order ? 1 : 3);
	if (sqlite) {
		check_colors(db, t, "red", NBIG);
	} else if (in_order) {
		assert_int_equal(res[7], WB_ECONDITION);
	} else {
		assert_non_null(strstr(wb_errmsg(db), "3 writes of the batch failed, the first (write 7)"));
		/* only the failed ones again, now on their true images */
		for (int i = 0; i < NBIG; i++)
			w[i].cond = &was_red[i];
		wbt_ok(wb_batch_write_each(db, (wb_write[]){w[7], w[23], w[41]}, 3, res));
		check_colors(db, t, "blue", NBIG);
	}
	/* a write that cannot be sent: its fate, the others not sent */
	w[5] = (wb_write){"no such table!", WB_WRITE_PUT, blue[5], NULL};
	assert_int_equal(wb_batch_write_each(db, w, NBIG, res), WB_EINVALID);
	for (int i = 0; i < NBIG; i++)
		assert_int_equal(res[i], i == 5 ? WB_EINVALID : WB_WRITE_NOT_SENT);
	for (int i = 0; i < NBIG; i++) {
		wb_item_free(red[i]);
		wb_item_free(blue[i]);
	}
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(batch_each)

WBT_CASE(batch_large)

/* ----------------------------------------------------------- round trip */

/* An item holding every type, with edge values. */
static wb_item *every_type(const unsigned char *bytes, size_t nbytes)
{
	wb_item *it = wb_item_new(), *inner = wb_item_new(), *deep = wb_item_new();
	wb_value *l = wb_value_list(), *l2 = wb_value_list();
	wb_value *ss = wb_value_set(WB_SS), *ns = wb_value_set(WB_NS), *bs = wb_value_set(WB_BS);

	wbt_ok(wb_item_set_string(it, "s", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6 \xe4\xb8\xad"));
	wbt_ok(wb_item_set_number(it, "n38", "12345678901234567890123456789012345678"));
	wbt_ok(wb_item_set_number(it, "nneg", "-0.00000000000000000000000000000000000001"));
	wbt_ok(wb_item_set_number(it, "nbig", "9.9999999999999999999999999999999999999E+125"));
	wbt_ok(wb_item_set_number(it, "nsmall", "1E-130"));
	wbt_ok(wb_item_set_binary(it, "b", bytes, nbytes));
	wbt_ok(wb_item_set_bool(it, "t", 1));
	wbt_ok(wb_item_set_bool(it, "f", 0));
	wbt_ok(wb_item_set_null(it, "nil"));
	wbt_ok(wb_item_set_string(deep, "leaf", "\xe2\x9c\x93"));
	wbt_ok(wb_value_list_append(l2, wb_value_map(deep)));
	wbt_ok(wb_value_list_append(l2, wb_value_number("-7")));
	wbt_ok(wb_value_list_append(l, wb_value_string("x", 1)));
	wbt_ok(wb_value_list_append(l, l2));
	wbt_ok(wb_value_list_append(l, wb_value_null()));
	wbt_ok(wb_item_set(it, "list", l));
	wbt_ok(wb_item_set_string(inner, "k", "v"));
	wbt_ok(wb_item_set(inner, "empty", wb_value_list()));
	wbt_ok(wb_item_set(inner, "emptymap", wb_value_map(NULL)));
	wbt_ok(wb_item_set(it, "map", wb_value_map(inner)));
	wbt_ok(wb_value_set_add(ss, "a", 1));
	wbt_ok(wb_value_set_add(ss, "\xc3\xa9", 2));
	wbt_ok(wb_value_set_add(ns, "1", 1));
	wbt_ok(wb_value_set_add(ns, "-2.5", 4));
	wbt_ok(wb_value_set_add(bs, "\x00", 1));
	wbt_ok(wb_value_set_add(bs, "\xff\x00", 2));
	wbt_ok(wb_item_set(it, "ss", ss));
	wbt_ok(wb_item_set(it, "ns", ns));
	wbt_ok(wb_item_set(it, "bs", bs));
	return it;
}

static void round_trip_on(int target)
{
	wb_db *db = wbt_open(target);
	unsigned char bytes[256];
	char t[80], tb[80];
	wb_item *it, *got = NULL, *key;
	wb_page *page = NULL;
	wb_scan sc = WB_SCAN_INIT;

	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)i;
	it = every_type(bytes, sizeof(bytes));
	wbt_ok(wb_item_validate(it, NULL));
	wbt_new_table(db, t, sizeof(t), "rt", "s", WB_S, "n38", WB_N);
	wbt_ok(wb_put(db, t, it, NULL));
	wbt_ok(wb_get(&got, db, t, it));
	if (!wb_item_equal(got, it))
		fail_msg("round trip changed the item: %s", wbt_json(got));
	wb_item_free(got);
	wbt_ok(wb_scan_page(&page, db, t, &sc));
	assert_int_equal(page->count, 1);
	assert_true(wb_item_equal(page->items[0], it));
	assert_null(page->last_key);
	wb_page_free(page);

	/* a binary partition key holding every byte value, and a 38-digit number sort key */
	wbt_new_table(db, tb, sizeof(tb), "rtb", "b", WB_B, "nbig", WB_N);
	wbt_ok(wb_put(db, tb, it, NULL));
	key = wb_item_new();
	wbt_ok(wb_item_set_binary(key, "b", bytes, sizeof(bytes)));
	wbt_ok(wb_item_set_number(key, "nbig", "9.9999999999999999999999999999999999999E125"));
	wbt_ok(wb_get(&got, db, tb, key));
	assert_true(wb_item_equal(got, it));
	wb_item_free(got);
	wb_item_free(key);

	wb_item_free(it);
	wbt_ok(wb_table_drop(db, t));
	wbt_ok(wb_table_drop(db, tb));
	wb_close(db);
}

WBT_CASE(round_trip)

/* ------------------------------------------- conditions over documents */

/*
 * An item of every type whose maps and lists are empty and nested; `e` is the
 * JSON of attribute e, `a` the list deep.a, `extra` more attributes.  The
 * variants below differ from the base in one place each, deep down.
 */
static wb_item *doc_item(const char *id, const char *e, const char *a, const char *extra)
{
	char json[1400];

	snprintf(json, sizeof(json),
		 "{\"id\":{\"S\":\"%s\"},\"s\":{\"S\":\"x\"},\"n\":{\"N\":\"1.5\"},\"b\":{\"B\":\"AAE=\"},"
		 "\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},\"z\":{\"NULL\":true},"
		 "\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},\"bs\":{\"BS\":[\"AA==\",\"AQ==\"]},"
		 "\"e\":%s,\"el\":{\"L\":[]},"
		 "\"deep\":{\"M\":{\"a\":{\"L\":%s},\"m\":{\"M\":{\"ss\":{\"SS\":[\"q\"]},\"e\":{\"M\":{}}}}}}%s}",
		 id, e, a, extra);
	return wbt_item(json);
}

#define DOC_E "{\"M\":{}}"
#define DOC_A "[{\"N\":\"1\"},{\"M\":{\"b\":{\"S\":\"x\"},\"e\":{\"M\":{}},\"l\":{\"L\":[]}}}," \
	      "{\"L\":[{\"L\":[]},{\"BOOL\":false},{\"NULL\":true}]}]"

/* Each differs from doc_item(id, DOC_E, DOC_A, "") in one value. */
static const char *const doc_variants[][2] = {
	{"{\"M\":{\"k\":{\"N\":\"1\"}}}", DOC_A},  /* a key in the empty map */
	{"{\"L\":[]}", DOC_A},                     /* an empty list for the empty map */
	{DOC_E, "[{\"N\":\"1\"},{\"M\":{\"b\":{\"S\":\"y\"},\"e\":{\"M\":{}},\"l\":{\"L\":[]}}},"
		"{\"L\":[{\"L\":[]},{\"BOOL\":false},{\"NULL\":true}]}]"},  /* a leaf, deep.a[1].b */
	{DOC_E, "[{\"M\":{\"b\":{\"S\":\"x\"},\"e\":{\"M\":{}},\"l\":{\"L\":[]}}},{\"N\":\"1\"},"
		"{\"L\":[{\"L\":[]},{\"BOOL\":false},{\"NULL\":true}]}]"},  /* list order */
	{DOC_E, "[{\"N\":\"1\"},{\"M\":{\"b\":{\"S\":\"x\"},\"l\":{\"L\":[]}}},"
		"{\"L\":[{\"L\":[]},{\"BOOL\":false},{\"NULL\":true}]}]"},  /* a nested empty map gone */
	{DOC_E, "[{\"N\":\"1\"},{\"M\":{\"b\":{\"S\":\"x\"},\"e\":{\"M\":{}},\"l\":{\"L\":[]}}},"
		"{\"L\":[{\"L\":[]},{\"BOOL\":true},{\"NULL\":true}]}]"},  /* false -> true, 3 deep */
	{DOC_E, "[{\"N\":\"1\"},{\"M\":{\"b\":{\"S\":\"x\"},\"e\":{\"M\":{}},\"l\":{\"L\":[]}}},"
		"{\"L\":[{\"L\":[{\"N\":\"0\"}]},{\"BOOL\":false},{\"NULL\":true}]}]"},  /* a nested empty list filled */
};

/* Every conditional write against an item that differs from `was` fails and writes nothing. */
static void doc_writes_fail(wb_db *db, const char *t, const wb_item *cur, const wb_item *was)
{
	wb_cond c = {WB_COND_ITEM_EQUALS, NULL, NULL, was};
	wb_item *want = wb_item_dup(cur), *set = wbt_item("{\"price\":7}"), *got;
	wb_write w = {t, WB_WRITE_PUT, want, &c};
	size_t failed = 9;

	wbt_ok(wb_item_set_number(want, "price", "7"));
	wbt_assert_error(db, wb_put(db, t, want, &c), WB_ECONDITION, "condition", t);
	wbt_assert_error(db, wb_update(db, t, cur, set, NULL, 0, &c), WB_ECONDITION, "condition", t);
	wbt_assert_error(db, wb_delete(db, t, cur, &c), WB_ECONDITION, "condition", t);
	wbt_assert_error(db, wb_batch_write(db, &w, 1, &failed), WB_ECONDITION, "condition", t);
	assert_int_equal(failed, 0);
	wbt_ok(wb_get(&got, db, t, cur));
	if (!wb_item_equal(got, cur))
		fail_msg("a failed condition wrote: %s", wbt_json(got));
	wb_item_free(got);
	wb_item_free(want);
	wb_item_free(set);
}

/* A change deep inside a document is written by its path (on DynamoDB: SET/REMOVE #a.#b[1].#c). */
static void documents_by_path(wb_db *db, const char *t, int target)
{
	wb_item *base = doc_item("p", DOC_E, DOC_A, ""), *leaf = doc_item("p", DOC_E, doc_variants[2][1], "");
	wb_item *gone = doc_item("p", DOC_E, doc_variants[4][1], ""), *got;
	wb_cond was = {WB_COND_ITEM_EQUALS, NULL, NULL, base};
	int ddb = wbt_target_kind(target) == WBT_DYNAMODB;

	wbt_ok(wb_put(db, t, base, NULL));
	rec_clear();
	wbt_ok(wb_put(db, t, leaf, &was)); /* deep.a[1].b: "x" -> "y" */
	if (ddb)
		assert_string_equal(rec.update, "SET #n0.#n1[1].#n2 = :v0");
	was.expect = leaf;
	wbt_ok(wb_put(db, t, gone, &was)); /* deep.a[1].b back to "x", deep.a[1].e removed */
	if (ddb)
		assert_string_equal(rec.update, "SET #n0.#n1[1].#n2 = :v0 REMOVE #n0.#n1[1].#n3");
	assert_expressions_fit(target);
	wbt_ok(wb_get(&got, db, t, base));
	if (!wb_item_equal(got, gone))
		fail_msg("written by paths: %s", wbt_json(got));
	wb_item_free(got);
	/* a path write is still conditional on the whole item */
	wbt_assert_error(db, wb_put(db, t, leaf, &was), WB_ECONDITION, "condition", t);
	wb_item_free(base);
	wb_item_free(leaf);
	wb_item_free(gone);
}

static void documents_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	wb_item *base = doc_item("d", DOC_E, DOC_A, ""), *other = doc_item("o", DOC_E, DOC_A, "");
	wb_item *priced = doc_item("d", DOC_E, DOC_A, ",\"price\":{\"N\":\"0\"}");
	wb_item *oprice = doc_item("o", DOC_E, DOC_A, ",\"price\":{\"N\":\"0\"}");
	wb_item *set = wbt_item("{\"price\":1}"), *got;
	wb_cond was_base = {WB_COND_ITEM_EQUALS, NULL, NULL, base};
	wb_cond was_priced = {WB_COND_ITEM_EQUALS, NULL, NULL, priced};
	wb_cond was_other = {WB_COND_ITEM_EQUALS, NULL, NULL, other};
	wb_write w[2] = {{NULL, WB_WRITE_PUT, oprice, &was_other}, {NULL, WB_WRITE_DELETE, priced, NULL}};
	size_t failed = 9;

	wbt_new_table(db, t, sizeof(t), "docs", "id", WB_S, NULL, WB_S);
	wbt_ok(wb_put(db, t, base, NULL));
	wbt_ok(wb_put(db, t, other, NULL));
	for (size_t i = 0; i < NELEM(doc_variants); i++) {
		wb_item *v = doc_item("d", doc_variants[i][0], doc_variants[i][1], "");

		assert_false(wb_item_equal(v, base));
		doc_writes_fail(db, t, base, v);
		wb_item_free(v);
	}
	/* the exact item read passes: put (an UpdateItem on DynamoDB), update, batch, delete */
	wbt_ok(wb_put(db, t, priced, &was_base));
	wbt_ok(wb_get(&got, db, t, base));
	assert_true(wb_item_equal(got, priced));
	wb_item_free(got);
	/* an attribute the write adds was added meanwhile by another writer: the write fails */
	wbt_ok(wb_item_set_number(got = wb_item_dup(priced), "price", "5"));
	wbt_assert_error(db, wb_put(db, t, got, &was_base), WB_ECONDITION, "condition", t);
	wb_item_free(got);
	wbt_ok(wb_update(db, t, priced, set, NULL, 0, &was_priced));
	wbt_ok(wb_item_set_number(priced, "price", "1"));
	w[0].table = w[1].table = t;
	w[1].cond = &was_priced;
	wbt_ok(wb_batch_write(db, w, 2, &failed));
	assert_null(wbt_get_json(db, t, "{\"id\":\"d\"}"));
	wbt_ok(wb_get(&got, db, t, other));
	assert_true(wb_item_equal(got, oprice));
	wb_item_free(got);
	was_other.expect = oprice;
	wbt_ok(wb_delete(db, t, other, &was_other));
	assert_null(wbt_get_json(db, t, "{\"id\":\"o\"}"));
	documents_by_path(db, t, target);

	wbt_ok(wb_table_drop(db, t));
	wb_item_free(base);
	wb_item_free(other);
	wb_item_free(priced);
	wb_item_free(oprice);
	wb_item_free(set);
	wb_close(db);
}

WBT_CASE(documents)

/* ------------------------------------------------- wide items (4 KB limit) */

/* An item "w" of 400 numbers; attributes from `changed` on hold i + 1000 instead of i. */
static wb_item *wide_item(int changed)
{
	wb_item *it = wb_item_new();
	char name[32], num[16];

	wbt_ok(wb_item_set_string(it, "id", "w"));
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "attribute_%03d", i);
		snprintf(num, sizeof(num), "%d", i >= changed ? i + 1000 : i);
		wbt_ok(wb_item_set_number(it, name, num));
	}
	return it;
}

static wb_item *with_number(const wb_item *it, const char *name, const char *num)
{
	wb_item *copy = wb_item_dup(it);

	wbt_ok(wb_item_set_number(copy, name, num));
	return copy;
}

static void wide_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	int ddb = wbt_target_kind(target) == WBT_DYNAMODB, rc;
	wb_item *w = wide_item(400), *priced = with_number(w, "price", "0"), *got;
	wb_item *theirs = with_number(priced, "attribute_399", "5"), *mine = with_number(priced, "attribute_399", "7");
	wb_item *all = wide_item(0);
	wb_cond was = {WB_COND_ITEM_EQUALS, NULL, NULL, w};
	struct wb__dynamodb_stats before = {0}, after = {0};

	wbt_new_table(db, t, sizeof(t), "wide", "id", WB_S, NULL, WB_S);
	rec_clear();
	if (ddb)
		wbt_ok(wb__dynamodb_stats(db, &before));
	wbt_ok(wb_put(db, t, w, NULL));
	/* a migration write adding one attribute: the condition is cut to fit, and passes */
	wbt_ok(wb_put(db, t, priced, &was));
	wbt_ok(wb_get(&got, db, t, w));
	assert_true(wb_item_equal(got, priced));
	wb_item_free(got);
	if (ddb) {
		wbt_ok(wb__dynamodb_stats(db, &after));
		assert_true(after.conditions_narrowed > before.conditions_narrowed);
		assert_non_null(strstr(rec.cond, "attribute_not_exists(")); /* price, added */
	}
	/* the attribute a write changes is always in its condition, even the last one */
	wbt_ok(wb_put(db, t, theirs, NULL));
	was.expect = priced;
	wbt_assert_error(db, wb_put(db, t, mine, &was), WB_ECONDITION, "condition", t);
	/* a write changing every attribute, and a delete: too long to check on DynamoDB */
	was.expect = theirs;
	rc = wb_put(db, t, all, &was);
	if (ddb)
		wbt_assert_error(db, rc, WB_EINVALID, "item {\"id\":{\"S\":\"w\"}}", "4 KB");
	else
		wbt_ok(rc);
	was.expect = ddb ? theirs : all;
	rc = wb_delete(db, t, w, &was);
	if (ddb) {
		wbt_assert_error(db, rc, WB_EINVALID, "item {\"id\":{\"S\":\"w\"}}", "4 KB");
		assert_non_null(got = wbt_get_json(db, t, "{\"id\":\"w\"}"));
		assert_true(wb_item_equal(got, theirs));
		wb_item_free(got);
	} else {
		wbt_ok(rc);
	}
	assert_expressions_fit(target);

	wbt_ok(wb_table_drop(db, t));
	wb_item_free(w);
	wb_item_free(priced);
	wb_item_free(theirs);
	wb_item_free(mine);
	wb_item_free(all);
	wb_close(db);
}

static void test_wide_items(void **state)
{
	wide_on(wbt_case_target(state));
}

/* ----------------------------------------------------------- validation */

static void validation_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];
	wb_item *big, *got = NULL;
	char *text;
	size_t n = WB_ITEM_MAX_SIZE + 10;

	wbt_new_table(db, t, sizeof(t), "val", "id", WB_S, "n", WB_N);
	wbt_assert_error(db, put_if(db, t, "{\"n\":1,\"x\":\"y\"}", NULL), WB_EINVALID, "'id'", "missing");
	wbt_assert_error(db, put_if(db, t, "{\"id\":\"a\"}", NULL), WB_EINVALID, "'n'", "missing");
	wbt_assert_error(db, put_if(db, t, "{\"id\":5,\"n\":1}", NULL), WB_EINVALID, "'id'", "type");
	wbt_assert_error(db, put_if(db, t, "{\"id\":\"a\",\"n\":\"1\"}", NULL), WB_EINVALID, "'n'", "type");
	wbt_assert_error(db, put_if(db, t, "{\"id\":\"\",\"n\":1}", NULL), WB_EINVALID, "'id'", "empty");
	big = wbt_item("{\"id\":\"a\",\"n\":1}");
	wbt_ok(wb_item_set_number(big, "x", "1e999"));
	wbt_assert_error(db, wb_put(db, t, big, NULL), WB_EINVALID, "'x'", NULL);
	wb_item_free(big);
	wbt_assert_error(db, put_if(db, t, "{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"},"
				"\"s\":{\"SS\":[\"a\",\"a\"]}}", NULL), WB_EINVALID, "'s'", NULL);
	wbt_assert_error(db, del_if(db, t, "{\"id\":\"a\"}", NULL), WB_EINVALID, "'n'", "missing");
	got = (wb_item *)1;
	wbt_assert_error(db, wb_get(&got, db, t, big = wbt_item("{\"id\":7,\"n\":1}")), WB_EINVALID, "'id'", "type");
	assert_null(got);
	wb_item_free(big);

	/* an item over 400 KB */
	big = wbt_item("{\"id\":\"a\",\"n\":1}");
	text = malloc(n + 1);
	memset(text, 'x', n);
	text[n] = '\0';
	wbt_ok(wb_item_set_string(big, "blob", text));
	wbt_assert_error(db, wb_put(db, t, big, NULL), WB_EINVALID, "400", NULL);
	free(text);
	wb_item_free(big);
	assert_null(wbt_get_json(db, t, "{\"id\":\"a\",\"n\":1}"));
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(validation)

/* ---------------------------------------------------------------- query */

/* Run a query through every page; the concatenated sort keys go to got[]. */
static size_t query_all(wb_db *db, const char *t, wb_query q, const char *sk,
			const wb_item **got_items, wb_item **keep, size_t max, int target)
{
	size_t n = 0, pages = 0;
	wb_item *cursor = NULL;

	for (;;) {
		wb_page *page = NULL;
		q.start_after = cursor;
		wbt_ok(wb_query_page(&page, db, t, &q));
		assert_true(page->count <= q.limit);
		for (size_t i = 0; i < page->count; i++) {
			assert_true(n < max);
			assert_non_null(wb_item_get(page->items[i], sk));
			got_items[n] = keep[n] = wb_item_dup(page->items[i]);
			n++;
		}
		wb_item_free(cursor);
		cursor = page->last_key ? wb_item_dup(page->last_key) : NULL;
		if (wbt_target_kind(target) == WBT_SQLITE && cursor) /* SQLite: a cursor means more follow */
			assert_int_equal(page->count, q.limit);
		wb_page_free(page);
		pages++;
		assert_true(pages < 100);
		if (!cursor)
			break;
	}
	return n;
}

/* Sorted sort key values of the test partition, ascending in DynamoDB order. */
static const char *const num_keys[] = {
	"-1E+30", "-100", "-20", "-3", "-1.5", "-0.001", "0", "0.25", "1", "2", "10", "11", "100",
	"1000", "12345678901234567890123456789012345678",
};
static const char *const str_keys[] = {
	"A", "B", "a", "ab", "abc", "abd", "b", "z", "\xc3\xa9", "\xef\xbf\xbf",
};
#define NNUM NELEM(num_keys)
#define NSTR NELEM(str_keys)

/* Expected indices for op with operands at indices a, b of n sorted keys. */
static int op_holds(wb_sk_op op, size_t i, size_t a, size_t b)
{
	switch (op) {
	case WB_SK_NONE: return 1;
	case WB_SK_EQ: return i == a;
	case WB_SK_LT: return i < a;
	case WB_SK_LE: return i <= a;
	case WB_SK_GT: return i > a;
	case WB_SK_GE: return i >= a;
	case WB_SK_BETWEEN: return i >= a && i <= b;
	default: return 0;
	}
}

/* Check one query of the number table against the expected indices. */
static void check_num_query(wb_db *db, const char *t, wb_sk_op op, size_t a, size_t b, int desc,
			    size_t limit, int target)
{
	wb_value *pk = wb_value_string("P", 1);
	wb_value *va = wb_value_number(num_keys[a]), *vb = wb_value_number(num_keys[b]);
	wb_query q = WB_QUERY_INIT;
	const wb_item *got[NNUM + 1];
	wb_item *keep[NNUM + 1];
	size_t want[NNUM], nwant = 0, n;

	q.pk = pk;
	q.sk_op = op;
	q.sk_a = va;
	q.sk_b = vb;
	q.descending = desc;
	q.limit = limit;
	for (size_t i = 0; i < NNUM; i++)
		if (op_holds(op, i, a, b))
			want[nwant++] = i;
	n = query_all(db, t, q, "n", got, keep, NNUM + 1, target);
	if (n != nwant)
		fail_msg("query op %d a=%zu b=%zu desc=%d limit=%zu: %zu items, expected %zu",
			 op, a, b, desc, limit, n, nwant);
	for (size_t i = 0; i < n; i++) {
		size_t w = want[desc ? nwant - 1 - i : i];
		wb_value *expect = wb_value_number(num_keys[w]);
		if (!wb_value_equal(wb_item_get(got[i], "n"), expect) ||
		    wb_item_get_int(got[i], "idx", -1) != (int64_t)w)
			fail_msg("query op %d desc=%d: item %zu is %s, expected n=%s", op, desc, i,
				 wbt_json(got[i]), num_keys[w]);
		wb_value_free(expect);
		wb_item_free(keep[i]);
	}
	wb_value_free(pk);
	wb_value_free(va);
	wb_value_free(vb);
}

static void query_numbers_on(int target)
{
	static const wb_sk_op ops[] = {WB_SK_NONE, WB_SK_EQ, WB_SK_LT, WB_SK_LE, WB_SK_GT, WB_SK_GE, WB_SK_BETWEEN};
	wb_db *db = wbt_open(target);
	char t[80], json[200];

	wbt_new_table(db, t, sizeof(t), "qn", "pk", WB_S, "n", WB_N);
	for (size_t i = 0; i < NNUM; i++) { /* inserted in an order unlike the sort order */
		size_t j = (i * 7) % NNUM;
		snprintf(json, sizeof(json), "{\"pk\":{\"S\":\"P\"},\"n\":{\"N\":\"%s\"},\"idx\":{\"N\":\"%zu\"}}",
			 num_keys[j], j);
		wbt_put_json(db, t, json);
		snprintf(json, sizeof(json), "{\"pk\":{\"S\":\"Q\"},\"n\":{\"N\":\"%s\"}}", num_keys[j]);
		wbt_put_json(db, t, json);
	}
	wbt_put_json(db, t, "{\"pk\":\"PP\",\"n\":1}");
	for (size_t o = 0; o < NELEM(ops); o++) {
		for (int desc = 0; desc < 2; desc++) {
			check_num_query(db, t, ops[o], 5, 11, desc, 2, target);
			check_num_query(db, t, ops[o], 0, NNUM - 1, desc, 4, target);
			check_num_query(db, t, ops[o], NNUM - 1, NNUM - 1, desc, 100, target);
		}
	}
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(query_numbers)

/* A query on the string sort keys: operator, operands, order, and the keys expected ("|" after each). */
struct str_query {
	wb_sk_op op;
	const char *a, *b;
	int desc;
	const char *expect;
};

/* b and desc left out: "" and ascending */
static const struct str_query str_queries[] = {
	{.op = WB_SK_NONE, .a = "", .expect = "A|B|a|ab|abc|abd|b|z|\xc3\xa9|\xef\xbf\xbf|"},
	{.op = WB_SK_BEGINS_WITH, .a = "ab", .expect = "ab|abc|abd|"},
	{.op = WB_SK_BEGINS_WITH, .a = "ab", .desc = 1, .expect = "abd|abc|ab|"},
	{.op = WB_SK_BEGINS_WITH, .a = "a", .expect = "a|ab|abc|abd|"},
	{.op = WB_SK_BEGINS_WITH, .a = "\xef\xbf\xbf", .expect = "\xef\xbf\xbf|"},
	{.op = WB_SK_BEGINS_WITH, .a = "c", .expect = ""},
	{.op = WB_SK_BETWEEN, .a = "B", .b = "abc", .desc = 1, .expect = "abc|ab|a|B|"},
	{.op = WB_SK_LT, .a = "a", .expect = "A|B|"},
	{.op = WB_SK_GT, .a = "b", .desc = 1, .expect = "\xef\xbf\xbf|\xc3\xa9|z|"},
	{.op = WB_SK_GE, .a = "z", .expect = "z|\xc3\xa9|\xef\xbf\xbf|"},
	{.op = WB_SK_LE, .a = "ab", .desc = 1, .expect = "ab|a|B|A|"},
	{.op = WB_SK_EQ, .a = "abc", .desc = 1, .expect = "abc|"},
};

/* begins_with and the other operators on string and binary sort keys. */
static void check_str_query(wb_db *db, const char *t, const struct str_query *c, int target)
{
	wb_value *pk = wb_value_string("P", 1);
	const char *b = c->b ? c->b : "";
	wb_value *va = wb_value_string(c->a, strlen(c->a)), *vb = wb_value_string(b, strlen(b));
	wb_query q = WB_QUERY_INIT;
	const wb_item *got[NSTR + 1];
	wb_item *keep[NSTR + 1];
	char list[400] = "";
	size_t n;

	q.pk = pk;
	q.sk_op = c->op;
	q.sk_a = va;
	q.sk_b = vb;
	q.descending = c->desc;
	q.limit = 3;
	n = query_all(db, t, q, "s", got, keep, NSTR + 1, target);
	for (size_t i = 0; i < n; i++) {
		strcat(list, wb_item_get_string(got[i], "s"));
		strcat(list, "|");
		wb_item_free(keep[i]);
	}
	if (strcmp(list, c->expect) != 0)
		fail_msg("query op %d '%s' desc=%d: got %s, expected %s", c->op, c->a, c->desc, list, c->expect);
	wb_value_free(pk);
	wb_value_free(va);
	wb_value_free(vb);
}

static void query_strings_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80], json[200];
	wb_value *pk = wb_value_string("P", 1), *n = wb_value_number("1");
	wb_query q = WB_QUERY_INIT;
	wb_page *page = NULL;

	wbt_new_table(db, t, sizeof(t), "qs", "pk", WB_S, "s", WB_S);
	for (size_t i = 0; i < NSTR; i++) {
		snprintf(json, sizeof(json), "{\"pk\":{\"S\":\"P\"},\"s\":{\"S\":\"%s\"}}", str_keys[(i * 3) % NSTR]);
		wbt_put_json(db, t, json);
	}
	wbt_put_json(db, t, "{\"pk\":\"Pa\",\"s\":\"ab\"}");
	for (size_t i = 0; i < sizeof(str_queries) / sizeof(str_queries[0]); i++)
		check_str_query(db, t, &str_queries[i], target);

	/* a sort key operand of the wrong type */
	q.pk = pk;
	q.sk_op = WB_SK_EQ;
	q.sk_a = n;
	wbt_assert_error(db, wb_query_page(&page, db, t, &q), WB_EINVALID, t, NULL);
	q.pk = n;
	q.sk_op = WB_SK_NONE;
	wbt_assert_error(db, wb_query_page(&page, db, t, &q), WB_EINVALID, t, NULL);
	assert_null(page);
	wb_value_free(pk);
	wb_value_free(n);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(query_strings)

/* Binary sort keys: byte order, and begins_with a prefix of 0xff bytes. */
static void query_binary_on(int target)
{
	static const char *const keys[] = {"\x00", "\x01", "\x7f", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\x01"};
	static const size_t lens[] = {1, 1, 1, 1, 2, 2, 3};
	wb_db *db = wbt_open(target);
	wb_value *pk = wb_value_number("42"), *a = NULL;
	wb_query q = WB_QUERY_INIT;
	wb_page *page = NULL;
	char t[80];

	wbt_new_table(db, t, sizeof(t), "qb", "pk", WB_N, "b", WB_B);
	for (size_t i = 0; i < NELEM(keys); i++) {
		wb_item *it = wb_item_new();
		wbt_ok(wb_item_set_number(it, "pk", "42"));
		wbt_ok(wb_item_set_binary(it, "b", keys[6 - i], lens[6 - i]));
		wbt_ok(wb_item_set_int(it, "idx", (int64_t)(6 - i)));
		wbt_ok(wb_put(db, t, it, NULL));
		wb_item_free(it);
	}
	q.pk = pk;
	for (int round = 0; round < 3; round++) {
		static const size_t plen[] = {1, 2, 0};
		static const int64_t first[] = {3, 5, 0};
		static const size_t count[] = {4, 2, 7};
		wb_value_free(a);
		a = wb_value_binary("\xff\xff", plen[round]);
		q.sk_a = a;
		q.sk_op = round == 2 ? WB_SK_NONE : WB_SK_BEGINS_WITH;
		q.descending = round == 2;
		wbt_ok(wb_query_page(&page, db, t, &q));
		assert_int_equal(page->count, count[round]);
		for (size_t i = 0; i < page->count; i++)
			assert_int_equal(wb_item_get_int(page->items[i], "idx", -1),
					 q.descending ? 6 - (int64_t)i : first[round] + (int64_t)i);
		wb_page_free(page);
	}
	/* begins_with is not defined on numbers */
	wbt_ok(wb_table_drop(db, t));
	wbt_new_table(db, t, sizeof(t), "qbn", "pk", WB_N, "n", WB_N);
	q.sk_op = WB_SK_BEGINS_WITH;
	q.sk_a = pk;
	page = NULL;
	wbt_assert_error(db, wb_query_page(&page, db, t, &q), WB_EINVALID, "begins_with", NULL);
	assert_null(page);
	wbt_ok(wb_table_drop(db, t));
	wb_value_free(a);
	wb_value_free(pk);
	wb_close(db);
}

WBT_CASE(query_binary)

/* ----------------------------------------------------------------- scan */

#define NPART 150
#define NSORT 3
#define NALL (NPART * NSORT + 1) /* and one more item in the prefix test */

/* Fill a table with NPART partitions of NSORT items; idx = p * NSORT + s. */
static void fill_scan_table(wb_db *db, const char *t)
{
	wb_item *items[NSORT * 25];
	wb_write w[NSORT * 25];
	size_t n = 0;

	for (int p = 0; p < NPART; p++) {
		for (int s = 0; s < NSORT; s++) {
			char json[160];
			snprintf(json, sizeof(json), "{\"pk\":\"%s#%03d\",\"sk\":%d,\"idx\":%d}",
				 p % 3 == 0 ? "GROUP" : p % 3 == 1 ? "USER" : "GROUPX", p, s, p * NSORT + s);
			items[n] = wbt_item(json);
			w[n] = (wb_write){t, WB_WRITE_PUT, items[n], NULL};
			n++;
		}
		if (n == NELEM(items) || p == NPART - 1) {
			wbt_ok(wb_batch_write(db, w, n, NULL));
			for (size_t i = 0; i < n; i++)
				wb_item_free(items[i]);
			n = 0;
		}
	}
}

/* Scan every page of one segment, counting each item into seen[idx]. */
static void scan_segment(wb_db *db, const char *t, wb_scan sc, int *seen, size_t *total)
{
	wb_item *cursor = NULL;
	int pages = 0;

	do {
		wb_page *page = NULL;
		sc.start_after = cursor;
		wbt_ok(wb_scan_page(&page, db, t, &sc));
		assert_true(page->count <= sc.limit);
		for (size_t i = 0; i < page->count; i++) {
			int64_t idx = wb_item_get_int(page->items[i], "idx", -1);
			assert_true(idx >= 0 && idx < NALL);
			seen[idx]++;
			(*total)++;
		}
		wb_item_free(cursor);
		cursor = page->last_key ? wb_item_dup(page->last_key) : NULL;
		wb_page_free(page);
		assert_true(++pages < 2000);
	} while (cursor);
}

static void scan_on(int target)
{
	static const unsigned segs[] = {1, 2, 7, 64};
	wb_db *db = wbt_open(target);
	int seen[NALL];
	char t[80];

	wbt_new_table(db, t, sizeof(t), "scan", "pk", WB_S, "sk", WB_N);
	fill_scan_table(db, t);
	for (size_t k = 0; k < NELEM(segs); k++) {
		size_t total = 0, nonempty = 0;
		memset(seen, 0, sizeof(seen));
		for (unsigned s = 0; s < segs[k]; s++) {
			wb_scan sc = WB_SCAN_INIT;
			size_t before = total;
			sc.segment = s;
			sc.total_segments = segs[k];
			sc.limit = segs[k] == 1 ? 7 : 40;
			scan_segment(db, t, sc, seen, &total);
			nonempty += total > before;
		}
		for (int i = 0; i < NPART * NSORT; i++)
			if (seen[i] != 1)
				fail_msg("%u segments: item %d seen %d times", segs[k], i, seen[i]);
		assert_int_equal(total, NPART * NSORT);
		assert_true(nonempty > segs[k] / 2); /* the work is actually spread */
	}
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

static void test_scan_segments(void **state)
{
	scan_on(wbt_case_target(state));
}

static void prefix_on(int target)
{
	wb_db *db = wbt_open(target);
	int seen[NALL];
	char t[80];
	size_t total;
	wb_scan sc = WB_SCAN_INIT;
	wb_page *page = NULL;

	wbt_new_table(db, t, sizeof(t), "pfx", "pk", WB_S, "sk", WB_N);
	fill_scan_table(db, t);
	wbt_put_json(db, t, "{\"pk\":\"GROUP\",\"sk\":0,\"idx\":450}"); /* not under GROUP# */
	for (unsigned n = 1; n <= 3; n += 2) {
		memset(seen, 0, sizeof(seen));
		total = 0;
		for (unsigned s = 0; s < n; s++) {
			sc.segment = s;
			sc.total_segments = n;
			sc.pk_prefix = "GROUP#";
			sc.limit = 4;
			scan_segment(db, t, sc, seen, &total);
		}
		assert_int_equal(total, NPART / 3 * NSORT);
		for (int i = 0; i < NALL; i++)
			assert_int_equal(seen[i], i < NPART * NSORT && (i / NSORT) % 3 == 0);
	}
	/* an empty prefix is the whole table; a prefix matching nothing gives an empty page */
	memset(seen, 0, sizeof(seen));
	total = 0;
	sc = (wb_scan)WB_SCAN_INIT;
	sc.pk_prefix = "";
	sc.limit = 1000;
	scan_segment(db, t, sc, seen, &total);
	assert_int_equal(total, NALL);
	sc.pk_prefix = "NOBODY";
	wbt_ok(wb_scan_page(&page, db, t, &sc));
	assert_int_equal(page->count, 0);
	assert_null(page->last_key);
	wb_page_free(page);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

static void test_scan_prefix(void **state)
{
	prefix_on(wbt_case_target(state));
}

/* ------------------------------------------------------ scan_all / query_all */

struct visit_count {
	int seen;      /* items visited */
	int stop_at;   /* return 7 at this visit (0 = never) */
};

static int count_visit(const wb_item *it, void *arg)
{
	struct visit_count *c = arg;

	assert_non_null(wb_item_get(it, "pk"));
	return ++c->seen == c->stop_at ? 7 : 0;
}

static void visit_all_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[300], json[200];
	wb_scan s = WB_SCAN_INIT;
	wb_query q = WB_QUERY_INIT;
	wb_value *pk = wb_value_string("p1", 2);
	struct visit_count c = {0, 0};

	wbt_new_table(db, t, sizeof(t), "visit", "pk", WB_S, "sk", WB_N);
	for (int i = 0; i < 25; i++) {
		snprintf(json, sizeof(json), "{\"pk\":\"p%d\",\"sk\":%d}", i % 2, i);
		wbt_put_json(db, t, json);
	}
	s.limit = 4; /* several pages */
	wbt_ok(wb_scan_all(db, t, &s, count_visit, &c));
	assert_int_equal(c.seen, 25);
	c.seen = 0;
	c.stop_at = 6;
	assert_int_equal(wb_scan_all(db, t, &s, count_visit, &c), 7);
	assert_int_equal(c.seen, 6);
	q.pk = pk;
	q.limit = 5;
	c.seen = 0;
	c.stop_at = 0;
	wbt_ok(wb_query_all(db, t, &q, count_visit, &c));
	assert_int_equal(c.seen, 12);
	c.seen = 0;
	assert_int_equal(wb_scan_all(db, "no_such_table", NULL, count_visit, &c), WB_ENOTFOUND);
	assert_int_equal(c.seen, 0);
	wb_value_free(pk);
	wb_close(db);
}

WBT_CASE(visit_all)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WBT_BOTH(test_tables),
		WBT_BOTH(test_table_errors),
		WBT_BOTH(test_items),
		WBT_BOTH(test_conditions),
		WBT_BOTH(test_update),
		WBT_BOTH(test_batch),
		WBT_BOTH(test_batch_large),
		WBT_BOTH(test_batch_each),
		WBT_BOTH(test_round_trip),
		WBT_BOTH(test_documents),
		WBT_BOTH(test_wide_items),
		WBT_BOTH(test_validation),
		WBT_BOTH(test_query_numbers),
		WBT_BOTH(test_query_strings),
		WBT_BOTH(test_query_binary),
		WBT_BOTH(test_scan_segments),
		WBT_BOTH(test_scan_prefix),
		WBT_BOTH(test_visit_all),
	};
	wb__dynamodb_set_request_hook(record_request, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
