/*
 * test_index.c - secondary indexes through the store API, the same suite
 * against every available target (WBT_BOTH: a fresh SQLite file; DynamoDB,
 * i.e. dynalite, when WB_TEST_DYNAMODB_URL is set, a skip without it).
 *
 * Creating tables with global (and local) indexes and reading the
 * definitions back; the checks of bad definitions; items without the
 * index key absent from the index; a changed index key moving the item;
 * deletes, updates, batches and bulk loads kept in the index; a write whose index key
 * has the wrong type refused; paging through an index query (both orders)
 * and an index scan (segments); KEYS_ONLY and INCLUDE projections; an
 * unknown index failing with a one-line message.  On SQLite also a
 * migration page (each_page, the fast path) moving items in the index; on
 * DynamoDB a table created by another tool's CreateTable, whose indexes are
 * described and queried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "wbtest.h"
#include "store_fixture.h"
#include "backend.h"
#include "dynamodb_store.h"

/* ---------------------------------------------------------------- helpers */

static wb_index index_def(const char *name, const char *pk, wb_type pkt, const char *sk, wb_type skt,
			  wb_projection proj)
{
	wb_index ix;

	memset(&ix, 0, sizeof(ix));
	snprintf(ix.name, sizeof(ix.name), "%s", name);
	ix.key = wbt_key(pk, pkt, sk, skt);
	ix.projection = proj;
	return ix;
}

static const char *const include_attrs[] = {"title"};

/*
 * The table of most tests: pk "pk" (S), sk "sk" (N); indexes "by_group"
 * (group S, rank N; ALL), "by_owner" (owner S; KEYS_ONLY) and "by_status"
 * (status S, sk N; INCLUDE title).
 */
static const char *new_table(wb_db *db, char *buf, size_t size, const char *base)
{
	wb_key_schema k = wbt_key("pk", WB_S, "sk", WB_N);
	wb_index ix[3] = {
		index_def("by_group", "group", WB_S, "rank", WB_N, WB_PROJECT_ALL),
		index_def("by_owner", "owner", WB_S, NULL, WB_S, WB_PROJECT_KEYS),
		index_def("by_status", "status", WB_S, "sk", WB_N, WB_PROJECT_INCLUDE),
	};
	wb_table_options opts = WB_TABLE_OPTIONS_INIT;

	ix[2].attrs = include_attrs;
	ix[2].nattrs = 1;
	opts.indexes = ix;
	opts.nindexes = 3;
	wbt_table_name(buf, size, base);
	wbt_ok(wb_table_create_opts(db, buf, &k, &opts));
	return buf;
}

/* The "pk" values of an index query's items, in order, joined by spaces (paged by `limit`). */
static char *query_pks(wb_db *db, const char *table, const char *index, const char *pk, int desc, size_t limit)
{
	static char out[4096];
	wb_value *v = wb_value_string(pk, strlen(pk));
	wb_query q = WB_QUERY_INIT;
	wb_item *cursor = NULL;
	size_t pages = 0;

	out[0] = '\0';
	q.pk = v;
	q.index = index;
	q.descending = desc;
	q.limit = limit;
	do {
		wb_page *page = NULL;
		q.start_after = cursor;
		wbt_ok(wb_query_page(&page, db, table, &q));
		for (size_t i = 0; i < page->count; i++) {
			const char *s = wb_item_get_string(page->items[i], "pk");
			assert_non_null(s);
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "", s);
		}
		if (limit)
			assert_true(page->count <= limit);
		wb_item_free(cursor);
		cursor = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
		assert_true(++pages < 100);
	} while (cursor);
	wb_value_free(v);
	return out;
}

/* --------------------------------------------------------- definitions */

static void definitions_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_index *ix = NULL;
	size_t n = 0;
	char t[80], plain[80];
	wb_key_schema k = wbt_key("id", WB_S, NULL, WB_S);

	new_table(db, t, sizeof(t), "ix_def");
	wbt_ok(wb_table_indexes(&ix, &n, db, t));
	assert_int_equal(n, 3);
	assert_string_equal(ix[0].name, "by_group");
	assert_string_equal(ix[0].key.pk_name, "group");
	assert_int_equal(ix[0].key.pk_type, WB_S);
	assert_string_equal(ix[0].key.sk_name, "rank");
	assert_int_equal(ix[0].key.sk_type, WB_N);
	assert_int_equal(ix[0].projection, WB_PROJECT_ALL);
	assert_int_equal(ix[0].local, 0);
	assert_string_equal(ix[1].name, "by_owner");
	assert_string_equal(ix[1].key.sk_name, "");
	assert_int_equal(ix[1].projection, WB_PROJECT_KEYS);
	assert_string_equal(ix[2].name, "by_status");
	assert_int_equal(ix[2].projection, WB_PROJECT_INCLUDE);
	assert_int_equal(ix[2].nattrs, 1);
	assert_string_equal(ix[2].attrs[0], "title");
	wb_indexes_free(ix, n);

	wbt_table_name(plain, sizeof(plain), "ix_none");
	wbt_ok(wb_table_create(db, plain, &k));
	ix = (wb_index *)1;
	wbt_ok(wb_table_indexes(&ix, &n, db, plain));
	assert_null(ix);
	assert_int_equal(n, 0);
	assert_int_equal(wb_table_indexes(&ix, &n, db, "no_such_table_ix"), WB_ENOTFOUND);
	wbt_ok(wb_table_drop(db, plain));
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(definitions)

/* Creating a table with this one index fails with WB_EINVALID and `word`; no table is left. */
static void bad_index(wb_db *db, const wb_key_schema *k, const wb_index *ix, const char *word)
{
	wb_table_options opts = WB_TABLE_OPTIONS_INIT;
	wb_table_desc d;
	char t[80];

	opts.indexes = ix;
	opts.nindexes = 1;
	wbt_table_name(t, sizeof(t), "ix_bad");
	wbt_assert_error(db, wb_table_create_opts(db, t, k, &opts), WB_EINVALID, word, NULL);
	assert_int_equal(wb_table_describe(&d, db, t), WB_ENOTFOUND);
}

static void bad_definitions_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("pk", WB_S, NULL, WB_S);
	wb_index ix = index_def("ok_name", "g", WB_S, NULL, WB_S, WB_PROJECT_ALL);
	wb_table_options opts = WB_TABLE_OPTIONS_INIT;
	char t[80];

	ix = index_def("x", "g", WB_S, NULL, WB_S, WB_PROJECT_ALL);
	bad_index(db, &k, &ix, "invalid index name");
	ix = index_def("by_g", "pk", WB_N, NULL, WB_S, WB_PROJECT_ALL);
	bad_index(db, &k, &ix, "another type");
	ix = index_def("by_g", "g", WB_S, NULL, WB_S, WB_PROJECT_INCLUDE);
	bad_index(db, &k, &ix, "names no attribute");
	ix = index_def("by_g", "pk", WB_S, "g", WB_S, WB_PROJECT_ALL);
	ix.local = 1; /* the table has no sort key */
	bad_index(db, &k, &ix, "local index");
	ix = index_def("by_g", "g", WB_BOOL, NULL, WB_S, WB_PROJECT_ALL);
	bad_index(db, &k, &ix, "S, N or B");

	opts.version = 99;
	wbt_table_name(t, sizeof(t), "ix_bad");
	wbt_assert_error(db, wb_table_create_opts(db, t, &k, &opts), WB_EINVALID, "version", NULL);
	wb_close(db);
}

WBT_CASE(bad_definitions)

/* ----------------------------------------------------------- maintenance */

static void maintained_on(int target)
{
	wb_db *db = wbt_open(target);
	const char *rm[] = {"group"};
	wb_item *key, *set;
	wb_write w[2];
	char t[80];

	new_table(db, t, sizeof(t), "ix_keep");
	wbt_put_json(db, t, "{\"pk\":\"a\",\"sk\":1,\"group\":\"g1\",\"rank\":2}");
	wbt_put_json(db, t, "{\"pk\":\"b\",\"sk\":1,\"group\":\"g1\",\"rank\":1}");
	wbt_put_json(db, t, "{\"pk\":\"c\",\"sk\":1,\"group\":\"g1\"}");          /* no rank: not indexed */
	wbt_put_json(db, t, "{\"pk\":\"d\",\"sk\":1,\"rank\":3}");                 /* no group: not indexed */
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "b a");

	/* a changed index key moves the item */
	wbt_put_json(db, t, "{\"pk\":\"a\",\"sk\":1,\"group\":\"g2\",\"rank\":2}");
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "b");
	assert_string_equal(query_pks(db, t, "by_group", "g2", 0, 0), "a");

	/* update: a new rank reorders, a removed key takes the item out, an added one puts it in */
	key = wbt_item("{\"pk\":\"b\",\"sk\":1}");
	set = wbt_item("{\"group\":\"g2\",\"rank\":9}");
	wbt_ok(wb_update(db, t, key, set, NULL, 0, NULL));
	assert_string_equal(query_pks(db, t, "by_group", "g2", 0, 0), "a b");
	wbt_ok(wb_update(db, t, key, NULL, rm, 1, NULL));
	assert_string_equal(query_pks(db, t, "by_group", "g2", 0, 0), "a");
	wb_item_free(set);
	set = wbt_item("{\"group\":\"g1\"}");
	wb_item_free(key);
	key = wbt_item("{\"pk\":\"d\",\"sk\":1}");
	wbt_ok(wb_update(db, t, key, set, NULL, 0, NULL));
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "d");

	/* delete and batch */
	wbt_ok(wb_delete(db, t, key, NULL));
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "");
	wb_item_free(key);
	wb_item_free(set);
	key = wbt_item("{\"pk\":\"a\",\"sk\":1}");
	set = wbt_item("{\"pk\":\"e\",\"sk\":1,\"group\":\"g1\",\"rank\":0}");
	w[0] = (wb_write){t, WB_WRITE_DELETE, key, NULL};
	w[1] = (wb_write){t, WB_WRITE_PUT, set, NULL};
	wbt_ok(wb_batch_write(db, w, 2, NULL));
	assert_string_equal(query_pks(db, t, "by_group", "g2", 0, 0), "");
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "e");
	wb_item_free(key);
	wb_item_free(set);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(maintained)

/* A write whose index key attribute has another type (or is empty) is refused, and nothing changes. */
static void wrong_type_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_item *bad = wbt_item("{\"pk\":\"a\",\"sk\":1,\"group\":\"g1\",\"rank\":\"high\"}");
	wb_item *empty = wbt_item("{\"pk\":\"a\",\"sk\":1,\"group\":\"\",\"rank\":1}");
	wb_item *key = wbt_item("{\"pk\":\"a\",\"sk\":1}"), *out = NULL;
	char t[80];

	new_table(db, t, sizeof(t), "ix_type");
	wbt_put_json(db, t, "{\"pk\":\"a\",\"sk\":1,\"group\":\"g1\",\"rank\":1}");
	wbt_assert_error(db, wb_put(db, t, bad, NULL), WB_EINVALID, "rank", NULL);
	/* DynamoDB refuses an empty index key too; dynalite (what the suite runs) accepts it */
	if (wbt_target_kind(target) == WBT_SQLITE)
		wbt_assert_error(db, wb_put(db, t, empty, NULL), WB_EINVALID, "group", NULL);
	wbt_ok(wb_get(&out, db, t, key));
	assert_string_equal(wb_item_get_string(out, "group"), "g1");
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "a");
	wb_item_free(out);
	wb_item_free(bad);
	wb_item_free(empty);
	wb_item_free(key);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(wrong_type)

/* A bulk load (wb_load_*; on SQLite one INSERT OR REPLACE pass) keeps the indexes. */
static void load_on(int target, int empty)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("pk", WB_S, "sk", WB_N);
	const char *lines[] = {
		"{\"pk\":\"a\",\"sk\":1,\"group\":\"g2\",\"rank\":1}", /* replaces a: moves it from g1 */
		"{\"pk\":\"b\",\"sk\":1,\"group\":\"g1\",\"rank\":2}",
		"{\"pk\":\"c\",\"sk\":1,\"rank\":3}",                       /* no group: not indexed */
		"{\"pk\":\"d\",\"sk\":1,\"group\":\"g1\",\"rank\":1}",
	};
	wb_load *load = NULL;
	uint64_t written = 0;
	char t[80];

	new_table(db, t, sizeof(t), "ix_load");
	if (!empty)
		wbt_put_json(db, t, "{\"pk\":\"a\",\"sk\":1,\"group\":\"g1\",\"rank\":5}");
	wbt_ok(wb_load_begin(&load, db, t, &k));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		wb_item *it = wbt_item(lines[i]);
		wbt_ok(wb_load_add(load, it));
		wb_item_free(it);
	}
	wbt_ok(wb_load_commit(load, &written, NULL, NULL));
	wb_load_free(load);
	assert_int_equal(written, 4);
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "d b");
	assert_string_equal(query_pks(db, t, "by_group", "g2", 0, 0), "a");
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

static void test_load(void **state)
{
	load_on(wbt_case_target(state), 1);
	load_on(wbt_case_target(state), 0);
}

/* ----------------------------------------------------------------- paging */

/* A wb_visit_fn of an index scan: the item is one with the index key; counted into *(size_t *)arg. */
static int count_indexed(const wb_item *item, void *arg)
{
	assert_string_not_equal(wb_item_get_string(item, "pk"), "none");
	++*(size_t *)arg;
	return 0;
}

static void paging_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80], json[200], want[600] = "", rwant[600] = "";
	wb_scan sc = WB_SCAN_INIT;
	wb_item *items[23];
	wb_write w[23];
	size_t seen = 0;

	new_table(db, t, sizeof(t), "ix_page");
	/* 23 items in g; on SQLite pairs share a rank (DynamoDB leaves the order of equal keys open) */
	for (int i = 0; i < 23; i++) {
		snprintf(json, sizeof(json), "{\"pk\":\"p%02d\",\"sk\":%d,\"group\":\"g\",\"rank\":%d}", i, i % 3,
			 wbt_target_kind(target) == WBT_SQLITE ? i / 2 : i);
		items[i] = wbt_item(json);
		w[i] = (wb_write){t, WB_WRITE_PUT, items[i], NULL};
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%sp%02d", i ? " " : "", i);
		snprintf(json, sizeof(json), "p%02d%s", 22 - i, i < 22 ? " " : "");
		strcat(rwant, json);
	}
	wbt_ok(wb_batch_write(db, w, 23, NULL));
	wbt_ok(wb_batch_write(db, w, 23, NULL)); /* again: on SQLite, by the bulk puts' one UPDATE */
	for (int i = 0; i < 23; i++)
		wb_item_free(items[i]);
	wbt_put_json(db, t, "{\"pk\":\"other\",\"sk\":1,\"group\":\"h\",\"rank\":1}");
	wbt_put_json(db, t, "{\"pk\":\"none\",\"sk\":1}");
	assert_string_equal(query_pks(db, t, "by_group", "g", 0, 7), want);
	assert_string_equal(query_pks(db, t, "by_group", "g", 1, 5), rwant);
	assert_string_equal(query_pks(db, t, "by_group", "g", 0, 1), want);

	/* scan the index in 3 segments, 4 items a page: every indexed item once */
	sc.index = "by_group";
	sc.total_segments = 3;
	sc.limit = 4;
	for (unsigned s = 0; s < 3; s++) {
		sc.segment = s;
		wbt_ok(wb_scan_all(db, t, &sc, count_indexed, &seen));
	}
	assert_int_equal(seen, 24);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(paging)

/* -------------------------------------------------------------- projection */

/* A query of `index` for pk must give exactly one item, the one of want_json. */
static void expect_one(wb_db *db, const char *t, const char *index, const char *pk, const char *want_json)
{
	wb_value *v = wb_value_string(pk, strlen(pk));
	wb_item *want = wbt_item(want_json);
	wb_query q = WB_QUERY_INIT;
	wb_page *page = NULL;

	q.pk = v;
	q.index = index;
	wbt_ok(wb_query_page(&page, db, t, &q));
	assert_int_equal(page->count, 1);
	assert_true(wb_item_equal(page->items[0], want));
	wb_item_free(want);
	wb_page_free(page);
	wb_value_free(v);
}

static void projection_on(int target)
{
	wb_db *db = wbt_open(target);
	char t[80];

	new_table(db, t, sizeof(t), "ix_proj");
	wbt_put_json(db, t, "{\"pk\":\"a\",\"sk\":1,\"owner\":\"me\",\"status\":\"open\",\"title\":\"T\",\"body\":\"B\"}");
	expect_one(db, t, "by_owner", "me", "{\"pk\":\"a\",\"sk\":1,\"owner\":\"me\"}");

	/* paging an index without sort key: every item once (in an order DynamoDB leaves open) */
	for (char c = 'b'; c <= 'e'; c++) {
		char json[100];
		snprintf(json, sizeof(json), "{\"pk\":\"%c\",\"sk\":%d,\"owner\":\"me\"}", c, c);
		wbt_put_json(db, t, json);
	}
	const char *all = query_pks(db, t, "by_owner", "me", 0, 2);
	assert_int_equal(strlen(all), 9);
	for (char c = 'a'; c <= 'e'; c++)
		assert_non_null(strchr(all, c));

	expect_one(db, t, "by_status", "open", "{\"pk\":\"a\",\"sk\":1,\"status\":\"open\",\"title\":\"T\"}");
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(projection)

/* ----------------------------------------------------------------- errors */

static void unknown_index_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_value *v = wb_value_string("x", 1), *n = wb_value_number("1");
	wb_query q = WB_QUERY_INIT;
	wb_scan sc = WB_SCAN_INIT;
	wb_page *page = NULL;
	char t[80];

	new_table(db, t, sizeof(t), "ix_unknown");
	q.pk = v;
	q.index = "no_such_index";
	wbt_assert_error(db, wb_query_page(&page, db, t, &q), WB_EINVALID, "no_such_index", NULL);
	assert_null(page);
	sc.index = "no_such_index";
	wbt_assert_error(db, wb_scan_page(&page, db, t, &sc), WB_EINVALID, "no_such_index", NULL);
	q.index = "by_owner"; /* no sort key to put a condition on */
	q.sk_op = WB_SK_EQ;
	q.sk_a = v;
	wbt_assert_error(db, wb_query_page(&page, db, t, &q), WB_EINVALID, "sort key", NULL);
	q.index = "by_group"; /* rank is N */
	q.sk_a = v;
	assert_int_equal(wb_query_page(&page, db, t, &q), WB_EINVALID);
	q.sk_a = n;
	wbt_ok(wb_query_page(&page, db, t, &q));
	assert_int_equal(page->count, 0);
	wb_page_free(page);
	wb_value_free(v);
	wb_value_free(n);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(unknown_index)

/* ----------------------------------------------------------------- local */

static void local_on(int target)
{
	wb_db *db = wbt_open(target);
	wb_key_schema k = wbt_key("pk", WB_S, "sk", WB_N);
	wb_index ix = index_def("by_date", "pk", WB_S, "date", WB_S, WB_PROJECT_ALL);
	wb_table_options opts = WB_TABLE_OPTIONS_INIT;
	wb_index *got = NULL;
	size_t n = 0;
	char t[80];

	ix.local = 1;
	opts.indexes = &ix;
	opts.nindexes = 1;
	wbt_table_name(t, sizeof(t), "ix_local");
	wbt_ok(wb_table_create_opts(db, t, &k, &opts));
	wbt_ok(wb_table_indexes(&got, &n, db, t));
	assert_int_equal(n, 1);
	assert_int_equal(got[0].local, 1);
	assert_string_equal(got[0].key.sk_name, "date");
	wb_indexes_free(got, n);
	wbt_put_json(db, t, "{\"pk\":\"u\",\"sk\":1,\"date\":\"2026-03\"}");
	wbt_put_json(db, t, "{\"pk\":\"u\",\"sk\":2,\"date\":\"2026-01\"}");
	wbt_put_json(db, t, "{\"pk\":\"u\",\"sk\":3}");
	wbt_put_json(db, t, "{\"pk\":\"v\",\"sk\":1,\"date\":\"2026-02\"}");
	wb_value *u = wb_value_string("u", 1);
	wb_query q = WB_QUERY_INIT;
	wb_page *page = NULL;
	q.pk = u;
	q.index = "by_date";
	wbt_ok(wb_query_page(&page, db, t, &q));
	assert_int_equal(page->count, 2);
	assert_string_equal(wb_item_get_number(page->items[0], "sk"), "2");
	assert_string_equal(wb_item_get_number(page->items[1], "sk"), "1");
	wb_page_free(page);
	wb_value_free(u);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

WBT_CASE(local)

/* ------------------------------------------ DynamoDB: a table made elsewhere */

/*
 * A table created by another tool (a CreateTable of its own, provisioned,
 * with an INCLUDE and a KEYS_ONLY index): its indexes are described and
 * can be queried.
 */
/* Wait (at most 10 s) until table t, made by a CreateTable of our own, is ACTIVE. */
static void wait_active(wb_db *db, const char *t)
{
	for (int i = 0; i < 1000; i++) {
		json_t *req = json_pack("{s:s}", "TableName", t), *resp = NULL;
		const char *st;
		int active;

		wbt_ok(wb__ddb_call(wb__ddb_client_of(db), db, "DescribeTable", t, req, &resp));
		st = json_string_value(json_object_get(json_object_get(resp, "Table"), "TableStatus"));
		active = st && strcmp(st, "ACTIVE") == 0;
		json_decref(req);
		json_decref(resp);
		if (active)
			return;
		usleep(10000);
	}
	fail_msg("table %s: not ACTIVE after 10 s", t);
}

static void test_created_elsewhere(void **state)
{
	int target = wbt_case_target(state);
	wb_db *db = wbt_open(target);
	json_t *req, *resp = NULL;
	wb_index *ix = NULL;
	size_t n = 0;
	char t[80];

	wbt_table_name(t, sizeof(t), "ix_elsewhere");
	req = json_pack("{s:s, s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}],"
			" s:[{s:s,s:s},{s:s,s:s}], s:{s:i,s:i},"
			" s:[{s:s, s:[{s:s,s:s}], s:{s:s,s:[s,s]}, s:{s:i,s:i}}],"
			" s:[{s:s, s:[{s:s,s:s},{s:s,s:s}], s:{s:s}}]}",
			"TableName", t,
			"AttributeDefinitions", "AttributeName", "user", "AttributeType", "S",
			"AttributeName", "ts", "AttributeType", "N", "AttributeName", "email", "AttributeType", "S",
			"AttributeName", "created", "AttributeType", "N",
			"KeySchema", "AttributeName", "user", "KeyType", "HASH", "AttributeName", "ts", "KeyType", "RANGE",
			"ProvisionedThroughput", "ReadCapacityUnits", 1, "WriteCapacityUnits", 1,
			"GlobalSecondaryIndexes", "IndexName", "by_email", "KeySchema", "AttributeName", "email",
			"KeyType", "HASH", "Projection", "ProjectionType", "INCLUDE", "NonKeyAttributes", "name", "plan",
			"ProvisionedThroughput", "ReadCapacityUnits", 1, "WriteCapacityUnits", 1,
			"LocalSecondaryIndexes", "IndexName", "by_created", "KeySchema", "AttributeName", "user",
			"KeyType", "HASH", "AttributeName", "created", "KeyType", "RANGE", "Projection",
			"ProjectionType", "KEYS_ONLY");
	assert_non_null(req);
	wbt_ok(wb__ddb_call(wb__ddb_client_of(db), db, "CreateTable", t, req, &resp));
	json_decref(req);
	json_decref(resp);
	wait_active(db, t); /* dynalite makes it ACTIVE a moment later, longer under load */
	wbt_ok(wb_table_indexes(&ix, &n, db, t));
	assert_int_equal(n, 2);
	assert_string_equal(ix[0].name, "by_created");
	assert_int_equal(ix[0].local, 1);
	assert_string_equal(ix[0].key.pk_name, "user");
	assert_string_equal(ix[0].key.sk_name, "created");
	assert_int_equal(ix[0].key.sk_type, WB_N);
	assert_int_equal(ix[0].projection, WB_PROJECT_KEYS);
	assert_string_equal(ix[1].name, "by_email");
	assert_int_equal(ix[1].local, 0);
	assert_string_equal(ix[1].key.pk_name, "email");
	assert_string_equal(ix[1].key.sk_name, "");
	assert_int_equal(ix[1].projection, WB_PROJECT_INCLUDE);
	assert_int_equal(ix[1].nattrs, 2);
	assert_string_equal(ix[1].attrs[0], "name");
	assert_string_equal(ix[1].attrs[1], "plan");
	wb_indexes_free(ix, n);

	wbt_put_json(db, t, "{\"user\":\"u1\",\"ts\":1,\"email\":\"a@x\",\"name\":\"A\",\"plan\":\"p\",\"secret\":1}");
	expect_one(db, t, "by_email", "a@x", "{\"user\":\"u1\",\"ts\":1,\"email\":\"a@x\",\"name\":\"A\",\"plan\":\"p\"}");
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

/* ------------------------------------------------- SQLite: migration pages */

/* Move every item of group g1 to g3 (rank kept). */
static int to_g3(wb_item *item, void *arg)
{
	const char *g = wb_item_get_string(item, "group");

	(void)arg;
	if (!g || strcmp(g, "g1") != 0)
		return WB_KEEP;
	return wb_item_set_string(item, "group", "g3") < 0 ? WB_ENOMEM : WB_WRITE;
}

/* Give every item a rank of the wrong type. */
static int bad_rank(wb_item *item, void *arg)
{
	(void)arg;
	return wb_item_set_string(item, "rank", "high") < 0 ? WB_ENOMEM : WB_WRITE;
}

/* each_page, the migration fast path, keeps the index in its transaction. */
static void test_each_page(void **state)
{
	wb_db *db = wbt_open(0);
	wb__page_result res;
	wb_scan sc = WB_SCAN_INIT;
	char t[80], json[200];

	(void)state;
	new_table(db, t, sizeof(t), "ix_each");
	for (int i = 0; i < 40; i++) {
		snprintf(json, sizeof(json), "{\"pk\":\"p%02d\",\"sk\":1,\"group\":\"g%d\",\"rank\":%d}", i, 1 + i % 2, i);
		wbt_put_json(db, t, json);
	}
	do {
		wbt_ok(wb__db_each_page(db, t, &sc, to_g3, NULL, NULL, &res));
		wb_item_free((wb_item *)sc.start_after);
		sc.start_after = res.last_key;
	} while (sc.start_after);
	assert_string_equal(query_pks(db, t, "by_group", "g1", 0, 0), "");
	assert_int_equal(strlen(query_pks(db, t, "by_group", "g3", 0, 0)), 20 * 4 - 1);
	assert_int_equal(strlen(query_pks(db, t, "by_group", "g2", 0, 0)), 20 * 4 - 1);

	/* an index key of the wrong type fails the page, which changes nothing */
	wbt_assert_error(db, wb__db_each_page(db, t, &sc, bad_rank, NULL, NULL, &res), WB_EINVALID, "rank", "by_group");
	assert_null(res.last_key);
	assert_int_equal(strlen(query_pks(db, t, "by_group", "g3", 0, 0)), 20 * 4 - 1);
	wbt_ok(wb_table_drop(db, t));
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		WBT_BOTH(test_definitions),
		WBT_BOTH(test_bad_definitions),
		WBT_BOTH(test_maintained),
		WBT_BOTH(test_wrong_type),
		WBT_BOTH(test_load),
		WBT_BOTH(test_paging),
		WBT_BOTH(test_projection),
		WBT_BOTH(test_unknown_index),
		WBT_BOTH(test_local),
		cmocka_unit_test(test_each_page),
		{"test_created_elsewhere on dynamodb", test_created_elsewhere, NULL, NULL, &wbt_kinds[WBT_DYNAMODB]},
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
