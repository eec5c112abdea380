/*
 * sqlite_index.c - what secondary indexes cost the embedded backend's writes.
 *
 * For 0, 1 and 3 indexes (by_group: group S, rank N; by_status: status S,
 * keys only; a local index by rank), loads N items of about 200 bytes with
 * batch writes of 1000 (the triggers of sqlite_index.c add each item to
 * every index it belongs to), then transforms the table with the migration
 * fast path wb__db_each_page twice: changing an attribute no index uses
 * (the update trigger's WHEN finds the keys unchanged) and changing rank,
 * an index key (each item moves in two indexes).  Prints wall and CPU
 * seconds of each step.
 *
 * Usage: sqlite_index [ITEMS] [DIR]     (defaults: 100000, /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "whimbrel.h"
#include "backend.h"

static double clock_s(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bump(wb_item *item, void *arg)
{
	const char *attr = arg;

	return wb_item_set_int(item, attr, wb_item_get_int(item, attr, 0) + 1) < 0 ? WB_ENOMEM : WB_WRITE;
}

static int load(wb_db *db, long n)
{
	wb_write w[1000];
	wb_item *items[1000];
	char json[300];

	for (long b = 0; b < n; b += 1000) {
		int k = (int)(n - b < 1000 ? n - b : 1000);
		for (int i = 0; i < k; i++) {
			long id = b + i;
			snprintf(json, sizeof(json), "{\"pk\":\"u%08ld\",\"sk\":%ld,\"group\":\"g%03ld\",\"rank\":%ld,"
				 "\"status\":\"%s\",\"body\":\"%0120d\"}", id, id % 7, id % 500, id, id % 3 ? "open" : "done", 0);
			if (wb_item_from_json(&items[i], json, strlen(json), WB_JSON_PLAIN) < 0)
				return -1;
			w[i] = (wb_write){"bench", WB_WRITE_PUT, items[i], NULL};
		}
		int rc = wb_batch_write(db, w, (size_t)k, NULL);
		for (int i = 0; i < k; i++)
			wb_item_free(items[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int transform(wb_db *db, const char *attr)
{
	wb_scan sc = WB_SCAN_INIT;
	wb__page_result r;
	int rc;

	do {
		if ((rc = wb__db_each_page(db, "bench", &sc, bump, (void *)attr, NULL, &r)) < 0)
			return rc;
		wb_item_free((wb_item *)sc.start_after);
		sc.start_after = r.last_key;
	} while (sc.start_after);
	return 0;
}

/* Run one step, printing its times. */
#define STEP(what, call) do { \
	double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID); \
	if ((call) < 0) { fprintf(stderr, "%s: %s\n", what, wb_errmsg(db)); return 1; } \
	printf("  %-34s %6.2f s wall %6.2f s CPU\n", what, clock_s(CLOCK_MONOTONIC) - w0, \
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0); \
} while (0)

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	wb_key_schema key = {"pk", WB_S, "sk", WB_N};
	wb_index ix[3] = {
		{.name = "by_group", .key = {"group", WB_S, "rank", WB_N}},
		{.name = "by_status", .key = {"status", WB_S, "", WB_S}, .projection = WB_PROJECT_KEYS},
		{.name = "by_rank", .local = 1, .key = {"pk", WB_S, "rank", WB_N}},
	};
	const size_t counts[] = {0, 1, 3};

	printf("sqlite_index: %ld items\n", n);
	for (size_t v = 0; v < 3; v++) {
		wb_table_options opts = WB_TABLE_OPTIONS_INIT;
		char path[512], url[600];
		wb_db *db = NULL;

		snprintf(path, sizeof(path), "%s/wb_bench_index_%zu.db", dir, counts[v]);
		remove(path);
		snprintf(url, sizeof(url), "sqlite:%s", path);
		opts.indexes = ix;
		opts.nindexes = counts[v];
		if (wb_open(&db, url) < 0 || wb_table_create_opts(db, "bench", &key, &opts) < 0) {
			fprintf(stderr, "%s\n", wb_error_last());
			return 1;
		}
		printf("%zu index%s:\n", counts[v], counts[v] == 1 ? "" : "es");
		STEP("load (batches of 1000)", load(db, n));
		STEP("each_page, no index key changed", transform(db, "v"));
		STEP("each_page, index key rank changed", transform(db, "rank"));
		wb_close(db);
		remove(path);
	}
	return 0;
}
