/*
 * Add the price attribute to every car: 0 until the pricing job fills it in.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <whimbrel.h>

static int add_price(wb_item *car, void *arg)
{
	(void)arg;
	if (wb_item_has(car, "price"))
		return WB_KEEP;
	wb_item_set_number(car, "price", "0");
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin(); /* target, mode and run id from `whimbrel run` */
	int rc = wb_each(run, "cars", NULL, add_price, NULL);

	return wb_run_end(run, rc);
}
