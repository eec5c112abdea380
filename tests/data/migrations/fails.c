/*
 * Test fixture: a callback that fails on one car: the run stops with its error.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <string.h>
#include <whimbrel.h>

static int picky(wb_item *car, void *arg)
{
	(void)arg;
	if (strcmp(wb_item_get_string(car, "id"), "car-000500") == 0)
		return WB_EINVALID;
	return WB_KEEP;
}

int main(void)
{
	wb_run *run = wb_run_begin();

	return wb_run_end(run, wb_each(run, "cars", NULL, picky, NULL));
}
