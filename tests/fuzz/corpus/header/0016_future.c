/*
 * A header with times in the future.
 *
 * Execution Time: 2030-01-10 at 10:00:03 UTC
 * Finalization Time: 2030-01-10 at 10:04:12 UTC
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
