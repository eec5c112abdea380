/*
 * sqlite_update.c - the embedded "add an attribute" budget (DESIGN.md).
 *
 * Creates N items of about 200 bytes (id, color, brand, model, year, a
 * description) twice: (a) as JSON text in a raw SQLite table, timing one
 * `UPDATE t SET item = json_set(item, '$.price', 0)`; (b) in a whimbrel
 * table, timing a read-modify-write loop through the store API shaped like
 * wb_each's (scan pages of 1000 -> set price -> one batch write per page of
 * puts conditional on the item read, plus a checkpoint put: one
 * transaction), then (c) the same loop again without conditions and
 * checkpoints (the items no longer grow: a second pass), and (d) the same
 * change as (b) on a copy of the loaded table, through the SQLite fast path
 * wb__db_each_page, the backend's each_page operation (backend.h: one
 * UPDATE per page running the callback inside SQLite, with a checkpoint put).
 * Prints the times, the ratios to (a) and the peak RSS.  Both databases use
 * the backend's settings (8 KB pages, WAL, synchronous=NORMAL, 16 MB cache).
 *
 * Usage: sqlite_update [ITEMS] [DIR]     (defaults: 1000000, /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sqlite3.h>

#include "whimbrel.h"
#include "backend.h"

#define PAGE 1000

static const char *const colors[] = {"red", "blue", "black", "white", "silver", "green"};
static const char *const brands[] = {"Volvo", "Saab", "Toyota", "Ford", "Renault", "Skoda"};
static const char *const models[] = {"XC60", "900", "Corolla", "Focus", "Clio", "Octavia"};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of this process so far. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "sqlite_update: %s: %s\n", what, msg);
	exit(1);
}

/* The fields of car i. */
static void car(long i, char *id, const char **color, const char **brand, const char **model,
		int *year, char *desc)
{
	sprintf(id, "car-%08ld", i);
	*color = colors[i % 6];
	*brand = brands[(i / 6) % 6];
	*model = models[(i / 36) % 6];
	*year = 1990 + (int)(i % 33);
	sprintf(desc, "A well kept %s %s %s, serviced every year, one careful owner, number %ld of the fleet.",
		*color, *brand, *model, i);
}

/* (a) raw SQLite: load, then time one UPDATE ... json_set. */
static double raw_update(const char *path, long n, double *cpu_s)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char id[32], desc[200], json[400];
	const char *color, *brand, *model;
	int year;
	double t0, c0;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	sqlite3_exec(db, "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;"
		     "CREATE TABLE t(id TEXT PRIMARY KEY, item TEXT NOT NULL); BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1, ?2)", -1, &st, NULL);
	for (long i = 0; i < n; i++) {
		car(i, id, &color, &brand, &model, &year, desc);
		snprintf(json, sizeof(json),
			 "{\"id\":\"%s\",\"color\":\"%s\",\"brand\":\"%s\",\"model\":\"%s\",\"year\":%d,\"description\":\"%s\"}",
			 id, color, brand, model, year, desc);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("raw insert", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (n > 0)
		printf("raw item size: %zu bytes of JSON\n", strlen(json));
	t0 = now();
	c0 = cpu();
	if (sqlite3_exec(db, "UPDATE t SET item = json_set(item, '$.price', 0)", NULL, NULL, NULL) != SQLITE_OK)
		die("raw update", sqlite3_errmsg(db));
	t0 = now() - t0;
	*cpu_s = cpu() - c0;
	sqlite3_close(db);
	return t0;
}

static void check(int rc, const char *what)
{
	if (rc != 0)
		die(what, wb_error_last());
}

/* (b) whimbrel: load through batch writes. */
static void load_items(wb_db *db, long n)
{
	wb_item *items[PAGE];
	wb_write w[PAGE];
	char id[32], desc[200];
	const char *color, *brand, *model;
	int year;
	size_t k = 0;

	for (long i = 0; i < n; i++) {
		wb_item *it = items[k] = wb_item_new();
		car(i, id, &color, &brand, &model, &year, desc);
		check(wb_item_set_string(it, "id", id) || wb_item_set_string(it, "color", color) ||
		      wb_item_set_string(it, "brand", brand) || wb_item_set_string(it, "model", model) ||
		      wb_item_set_int(it, "year", year) || wb_item_set_string(it, "description", desc), "item");
		w[k] = (wb_write){"cars", WB_WRITE_PUT, it, NULL};
		if (++k == PAGE || i == n - 1) {
			check(wb_batch_write(db, w, k, NULL), "load");
			for (size_t j = 0; j < k; j++)
				wb_item_free(items[j]);
			k = 0;
		}
	}
}

/*
 * (b), (c) whimbrel: the read-modify-write loop of a migration; returns
 * items written.  runner_shape: like wb_each, every write conditional on
 * the item read (WB_COND_ITEM_EQUALS) and a checkpoint put in the batch.
 */
static long scan_write(wb_db *db, int runner_shape)
{
	wb_scan sc = WB_SCAN_INIT;
	wb_item *cursor = NULL;
	wb_write w[PAGE + 1];
	wb_cond conds[PAGE];
	long written = 0;

	sc.limit = PAGE;
	do {
		wb_page *page = NULL;
		wb_item *orig[PAGE], *ckpt = NULL;
		size_t n = 0;
		sc.start_after = cursor;
		check(wb_scan_page(&page, db, "cars", &sc), "scan");
		for (size_t i = 0; i < page->count; i++) {
			orig[i] = runner_shape ? wb_item_dup(page->items[i]) : NULL;
			check(wb_item_set_number(page->items[i], "price", "0"), "set");
			conds[i] = (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, orig[i]};
			w[n++] = (wb_write){"cars", WB_WRITE_PUT, page->items[i], runner_shape ? &conds[i] : NULL};
		}
		if (runner_shape && page->last_key) {
			ckpt = wb_item_dup(page->last_key);
			wb_item_set_string(ckpt, "run", "bench");
			w[n++] = (wb_write){"checkpoints", WB_WRITE_PUT, ckpt, NULL};
		}
		if (n)
			check(wb_batch_write(db, w, n, NULL), "write");
		written += (long)page->count;
		for (size_t i = 0; runner_shape && i < page->count; i++)
			wb_item_free(orig[i]);
		wb_item_free(ckpt);
		wb_item_free(cursor);
		cursor = page->last_key ? wb_item_dup(page->last_key) : NULL;
		wb_page_free(page);
	} while (cursor);
	return written;
}

/* The migration of DESIGN.md: add a price of 0 where there is none. */
static int add_price(wb_item *item, void *arg)
{
	(void)arg;
	if (wb_item_has(item, "price"))
		return WB_KEEP;
	return wb_item_set_number(item, "price", "0") < 0 ? WB_ENOMEM : WB_WRITE;
}

/* Every item written, and the first one has its price. */
static void check_price(wb_db *db, long n, long written)
{
	wb_item *k = wb_item_new(), *one = NULL;

	if (written != n)
		die("rmw", "wrong item count");
	wb_item_set_string(k, "id", "car-00000000");
	if (n > 0) {
		check(wb_get(&one, db, "cars", k), "get");
		if (!wb_item_get_number(one, "price"))
			die("check", "price not set");
	}
	wb_item_free(one);
	wb_item_free(k);
}

/* Copy a file (the loaded database, closed), synced so its writing is not timed later. */
static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[1 << 16];
	size_t n;

	if (!in || !out)
		die(to, "cannot copy the database");
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			die(to, "short write");
	fclose(in);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0)
		die(to, "write failed");
}

static int write_checkpoint(wb_db *db, const wb__page_result *page, void *arg)
{
	wb_write w = {"checkpoints", WB_WRITE_PUT, NULL, NULL};
	wb_item *ck;
	int rc;

	(void)arg;
	if (!page->last_key)
		return 0;
	ck = wb_item_dup(page->last_key);
	wb_item_set_string(ck, "run", "bench");
	w.item = ck;
	rc = wb__db_tx_write(db, &w, 1, NULL);
	wb_item_free(ck);
	return rc;
}

/* (d) the fast path: one transaction and one UPDATE per page. */
static long fast_pages(wb_db *db)
{
	wb__page_hooks hooks = {NULL, write_checkpoint, NULL, 0}; /* as prod: synced commits */
	wb_scan sc = WB_SCAN_INIT;
	wb_item *cursor = NULL;
	long written = 0;

	sc.limit = PAGE;
	do {
		wb__page_result page;
		sc.start_after = cursor;
		check(wb__db_each_page(db, "cars", &sc, add_price, NULL, &hooks, &page), "page");
		written += (long)page.written;
		wb_item_free(cursor);
		cursor = page.last_key;
	} while (cursor);
	return written;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char raw_path[600], wb_url[600], wb2_url[600];
	wb_key_schema key = {"id", WB_S, "", WB_S}, ckey = {"run", WB_S, "", WB_S};
	wb_db *db = NULL;
	double raw, load, rmw, rmw_cond, fast, c, c_raw, c_rmw, c_fast;
	struct rusage ru;
	long written;

	snprintf(raw_path, sizeof(raw_path), "%s/bench_raw.db", dir);
	snprintf(wb_url, sizeof(wb_url), "sqlite:%s/bench_wb.db", dir);
	snprintf(wb2_url, sizeof(wb2_url), "sqlite:%s/bench_wb2.db", dir);
	printf("items: %ld   sqlite %s\n", n, sqlite3_libversion());
	raw = raw_update(raw_path, n, &c_raw);
	printf("(a) raw SQL UPDATE json_set:          %7.2f s  (cpu %.2f s)\n", raw, c_raw);

	unlink(wb_url + 7);
	check(wb_open(&db, wb_url), "open");
	check(wb_table_create(db, "cars", &key), "create");
	check(wb_table_create(db, "checkpoints", &ckey), "create");
	load = now();
	c = cpu();
	load_items(db, n);
	load = now() - load;
	printf("    whimbrel load, batches of %d:    %7.2f s  (cpu %.2f s)\n", PAGE, load, cpu() - c);
	wb_close(db);
	copy_file(wb_url + 7, wb2_url + 7); /* the same table for (d) */

	check(wb_open(&db, wb_url), "open");
	rmw = now();
	c = cpu();
	written = scan_write(db, 1);
	rmw = now() - rmw;
	c_rmw = cpu() - c;
	printf("(b) whimbrel scan, set, write back:   %7.2f s  (cpu %.2f s, %ld items)\n", rmw, c_rmw, written);
	rmw_cond = now();
	c = cpu();
	written = scan_write(db, 0);
	rmw_cond = now() - rmw_cond;
	c = cpu() - c;
	printf("(c) again, unconditional, no checkpoint: %5.2f s  (cpu %.2f s)\n", rmw_cond, c);
	check_price(db, n, written);
	wb_close(db);

	check(wb_open(&db, wb2_url), "open");
	fast = now();
	c = cpu();
	written = fast_pages(db);
	fast = now() - fast;
	c_fast = cpu() - c;
	printf("(d) as (b) through the fast path:     %7.2f s  (cpu %.2f s, %ld items)\n", fast, c_fast, written);
	check_price(db, n, written);
	wb_close(db);

	getrusage(RUSAGE_SELF, &ru);
	printf("ratio (b)/(a): %.2f (cpu %.2f)   (c)/(a): %.2f   (d)/(a): %.2f (cpu %.2f)   peak RSS %ld MB\n",
	       rmw / raw, c_rmw / c_raw, rmw_cond / raw, fast / raw, c_fast / c_raw, ru.ru_maxrss / 1024);
	unlink(raw_path);
	unlink(wb_url + 7);
	unlink(wb2_url + 7);
	return 0;
}
