/*
 * Test fixture: create the table `cars` ($CARS_TABLE if set; key id S) if needed and put
 * SEED_N cars (default 1000) with a brand and a color.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <stdlib.h>
#include <whimbrel.h>

#define CHUNK 500

/* The table: "cars", or $CARS_TABLE (tests on a shared DynamoDB). */
static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static int put_chunk(wb_db *db, int from, int to)
{
	static const char *brands[] = {"Volvo", "Saab", "Fiat", "Audi"};
	static const char *colors[] = {"red", "blue", "black"};
	wb_item *items[CHUNK] = {0};
	wb_write w[CHUNK] = {{0}};
	int n = 0, rc;

	for (int i = from; i < to; i++, n++) {
		char id[32];
		snprintf(id, sizeof(id), "car-%06d", i);
		items[n] = wb_item_new();
		wb_item_set_string(items[n], "id", id);
		wb_item_set_string(items[n], "brand", brands[i % 4]);
		wb_item_set_string(items[n], "color", colors[i % 3]);
		w[n] = (wb_write){cars(), WB_WRITE_PUT, items[n], NULL};
	}
	rc = wb_batch_write(db, w, (size_t)n, NULL);
	for (int i = 0; i < n; i++)
		wb_item_free(items[i]);
	return rc;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	wb_db *db = wb_run_db(run);
	wb_key_schema key = {"id", WB_S, "", WB_S};
	const char *env = getenv("SEED_N");
	int n = env ? atoi(env) : 1000, rc;

	rc = wb_table_create(db, cars(), &key);
	if (rc == WB_EEXISTS)
		rc = 0;
	for (int i = 0; i < n && rc == 0; i += CHUNK)
		rc = put_chunk(db, i, i + CHUNK < n ? i + CHUNK : n);
	if (rc == 0)
		wb_log_info(run, "seeded %d cars", n);
	return wb_run_end(run, rc);
}
