/*
 * Test fixture: add 1 to every car's `counter`, but the callback fails
 * with WB_EIO the first time it sees car-000700 (a transient failure): the
 * run stops with that error on every backend.  Prints "calls=N" (callback
 * calls) at the end.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <whimbrel.h>

static atomic_long calls;
static atomic_int failed;

/* The table: "cars", or $CARS_TABLE (tests on a shared DynamoDB). */
static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static int bump(wb_item *car, void *arg)
{
	(void)arg;
	atomic_fetch_add(&calls, 1);
	if (strcmp(wb_item_get_string(car, "id"), "car-000700") == 0 && atomic_exchange(&failed, 1) == 0)
		return WB_EIO;
	wb_item_set_int(car, "counter", wb_item_get_int(car, "counter", 0) + 1);
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	int rc = wb_each(run, cars(), NULL, bump, NULL);

	printf("calls=%ld\n", (long)atomic_load(&calls));
	return wb_run_end(run, rc);
}
