/*
 * Test fixture for plan's estimate: over the cars of `cars` ($CARS_TABLE if
 * set; ids "car-NNNNNN"), delete car i when i % 3 == 0, give it a 700-byte
 * `notes` attribute when i % 3 == 1, keep it otherwise.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <string.h>
#include <whimbrel.h>

static int reshape(wb_item *car, void *arg)
{
	const char *id = wb_item_get_string(car, "id");
	char notes[701];
	int i = id && strlen(id) > 4 ? atoi(id + 4) : 0;

	(void)arg;
	if (i % 3 == 0)
		return WB_DELETE;
	if (i % 3 == 2)
		return WB_KEEP;
	memset(notes, 'n', 700);
	notes[700] = '\0';
	wb_item_set_string(car, "notes", notes);
	return WB_WRITE;
}

int main(void)
{
	const char *t = getenv("CARS_TABLE");
	wb_run *run = wb_run_begin();

	return wb_run_end(run, wb_each(run, t && *t ? t : "cars", NULL, reshape, NULL));
}
