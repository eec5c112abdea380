/*
 * Test fixture: add 1 to every car's `counter`, but with QUIT_AFTER=N the
 * program calls exit(0) from the callback at the N-th item: it never
 * reaches wb_run_end, so the run has not succeeded whatever its status.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <whimbrel.h>

static atomic_long seen;
static long quit_after;

static int bump(wb_item *car, void *arg)
{
	(void)arg;
	if (atomic_fetch_add(&seen, 1) + 1 == quit_after)
		exit(0);
	wb_item_set_int(car, "counter", wb_item_get_int(car, "counter", 0) + 1);
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();

	quit_after = getenv("QUIT_AFTER") ? atol(getenv("QUIT_AFTER")) : 0;
	return wb_run_end(run, wb_each(run, "cars", NULL, bump, NULL));
}
