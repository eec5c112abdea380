/*
 * Test fixture: print every car as DynamoDB JSON, one per line (run it
 * with --threads 1 for a stable order).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <stdlib.h>
#include <whimbrel.h>

static int print(wb_item *car, void *arg)
{
	char *json = NULL;

	(void)arg;
	if (wb_item_to_json(&json, car, WB_JSON_DDB) < 0)
		return WB_EINVALID;
	printf("%s\n", json);
	wb_string_free(json);
	return WB_KEEP;
}

int main(void)
{
	wb_run *run = wb_run_begin();

	return wb_run_end(run, wb_each(run, "cars", NULL, print, NULL));
}
