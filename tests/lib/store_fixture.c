/*
 * store_fixture.c - store helpers shared by the store suites; see
 * store_fixture.h.
 */
#include <stdio.h>
#include <string.h>

#include "store_fixture.h"

const char *wbt_new_table(wb_db *db, char *buf, size_t size, const char *base, const char *pk,
			  wb_type pkt, const char *sk, wb_type skt)
{
	wb_key_schema k = wbt_key(pk, pkt, sk, skt);

	wbt_table_name(buf, size, base);
	wbt_ok(wb_table_create(db, buf, &k));
	return buf;
}

void wbt_put_json(wb_db *db, const char *table, const char *json)
{
	wb_item *it = wbt_item(json);

	wbt_ok(wb_put(db, table, it, NULL));
	wb_item_free(it);
}

void wbt_seed_items(wb_db *db, const char *table, int n, const char *fmt)
{
	char json[512];

	for (int i = 0; i < n; i++) {
		snprintf(json, sizeof(json), fmt, i);
		wbt_put_json(db, table, json);
	}
}

wb_item *wbt_get_json(wb_db *db, const char *table, const char *key_json)
{
	wb_item *key = wbt_item(key_json), *out = NULL;
	int rc = wb_get(&out, db, table, key);

	wb_item_free(key);
	if (rc == WB_ENOTFOUND)
		return NULL;
	if (rc != 0)
		fail_msg("get %s: %s", key_json, wb_errmsg(db));
	return out;
}

static int count_visit(const wb_item *it, void *arg)
{
	(void)it;
	++*(int *)arg;
	return 0;
}

int wbt_count_items(wb_db *db, const char *table, const char *prefix)
{
	wb_scan sc = WB_SCAN_INIT;
	int n = 0;

	sc.pk_prefix = prefix;
	wbt_ok(wb_scan_all(db, table, &sc, count_visit, &n));
	return n;
}

int wbt_count_partition(wb_db *db, const char *table, const char *pk)
{
	wb_query q = WB_QUERY_INIT;
	wb_value *v = wb_value_string(pk, strlen(pk));
	int n = 0;

	q.pk = v;
	wbt_ok(wb_query_all(db, table, &q, count_visit, &n));
	wb_value_free(v);
	return n;
}

void wbt_assert_error(wb_db *db, int rc, int code, const char *w1, const char *w2)
{
	const char *msg = wb_errmsg(db);

	if (rc != code)
		fail_msg("expected %s, got %d (%s)", wb_strerror(code), rc, msg);
	assert_null(strchr(msg, '\n'));
	if (w1 && !strstr(msg, w1))
		fail_msg("message '%s' lacks '%s'", msg, w1);
	if (w2 && !strstr(msg, w2))
		fail_msg("message '%s' lacks '%s'", msg, w2);
	assert_string_equal(msg, wb_error_last());
}
