/*
 * Test fixture: every kind of change.  Red cars are deleted; Saabs get
 * brand "SAAB"; every other car loses its color and gains a price; blue
 * Fiats are kept as they are.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <string.h>
#include <stdlib.h>
#include <whimbrel.h>

/* The table: "cars", or $CARS_TABLE (tests on a shared DynamoDB). */
static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static int reshape(wb_item *car, void *arg)
{
	const char *color = wb_item_get_string(car, "color");
	const char *brand = wb_item_get_string(car, "brand");

	(void)arg;
	if (color && strcmp(color, "red") == 0)
		return WB_DELETE;
	if (brand && strcmp(brand, "Fiat") == 0 && color && strcmp(color, "blue") == 0)
		return WB_KEEP;
	if (brand && strcmp(brand, "Saab") == 0) {
		wb_item_set_string(car, "brand", "SAAB");
		return WB_WRITE;
	}
	wb_item_remove(car, "color");
	wb_item_set_number(car, "price", "0");
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();

	return wb_run_end(run, wb_each(run, cars(), NULL, reshape, NULL));
}
