/*
 * Test fixture: count the cars by their `counter` and print
 * "cars=N counter0=N counter1=N counter2=N counter3+=N".
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <whimbrel.h>

/* The table: "cars", or $CARS_TABLE (tests on a shared DynamoDB). */
static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static atomic_long count[4];

static int look(wb_item *car, void *arg)
{
	int64_t c = wb_item_get_int(car, "counter", 0);

	(void)arg;
	atomic_fetch_add(&count[c < 3 ? c : 3], 1);
	return WB_KEEP;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	int rc = wb_each(run, cars(), NULL, look, NULL);

	printf("cars=%ld counter0=%ld counter1=%ld counter2=%ld counter3+=%ld\n",
	       (long)(count[0] + count[1] + count[2] + count[3]), (long)count[0], (long)count[1],
	       (long)count[2], (long)count[3]);
	return wb_run_end(run, rc);
}
