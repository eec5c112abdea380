/*
 * Test fixture: price every car, while "another writer" (this program,
 * through the run's own handle) changes some cars between their read and
 * their write, so that the write's condition fails.  CONFLICT_N (default 3)
 * cars, car-000000 ... , are changed: once each (their writes then pass on
 * the fresh copy), or, with CONFLICT_ALWAYS=1, before every attempt (the
 * run fails, naming the last car).  Run it with one thread.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <whimbrel.h>

/* The table: "cars", or $CARS_TABLE (tests on a shared DynamoDB). */
static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static wb_run *run;
static int conflicts = 3, always;

static int price(wb_item *car, void *arg)
{
	const char *id = wb_item_get_string(car, "id");
	char last[32];

	(void)arg;
	snprintf(last, sizeof(last), "car-%06d", conflicts - 1);
	if (id && strcmp(id, last) <= 0 && (always || !wb_item_has(car, "touched"))) {
		wb_item *theirs = wb_item_dup(car);
		int rc;
		wb_item_set_int(theirs, "touched", wb_item_get_int(car, "touched", 0) + 1);
		wb_item_set_string(theirs, "color", "green"); /* an attribute read: the write's condition fails */
		rc = wb_put(wb_run_db(run), cars(), theirs, NULL);
		wb_item_free(theirs);
		if (rc != 0)
			return WB_ERROR;
	}
	wb_item_set_number(car, "price", always ? "1" : "0"); /* always: a change after a first run */
	return WB_WRITE;
}

int main(void)
{
	const char *n = getenv("CONFLICT_N"), *a = getenv("CONFLICT_ALWAYS");

	run = wb_run_begin();
	if (n)
		conflicts = atoi(n);
	always = a && strcmp(a, "1") == 0;
	return wb_run_end(run, wb_each(run, cars(), NULL, price, NULL));
}
