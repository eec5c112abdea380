/*
 * Test fixture: prints "value=N" where N comes from helpers.h, a header
 * next to it: editing the header must recompile the cached program.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <whimbrel.h>
#include "helpers.h"

int main(void)
{
	wb_run *run = wb_run_begin();

	printf("value=%d\n", HELPER_VALUE);
	return wb_run_end(run, 0);
}
