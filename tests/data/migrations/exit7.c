/*
 * Test fixture: logs an error and exits with status 7 without wb_run_end.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();

	wb_log_error(run, "giving up on purpose");
	exit(7);
}
