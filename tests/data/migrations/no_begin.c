/*
 * Test fixture: a main that returns $RET (default 0) without wb_run_begin
 * or wb_run_end: nothing was migrated, and the run must not say succeeded
 * (nor interrupted for 130: no signal was sent).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

int main(void)
{
	const char *ret = getenv("RET");

	return ret ? atoi(ret) : 0;
}
