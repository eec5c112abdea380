/*
 * Test fixture: leaves a background process holding its stdout and stderr,
 * then ends successfully (the sleeper's pid goes to sleeper.pid).  The
 * runner must not wait for that process.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();

	if (system("sleep 20 & echo $! >sleeper.pid") != 0)
		return wb_run_end(run, WB_ERROR);
	wb_log_info(run, "left a sleeper behind");
	return wb_run_end(run, 0);
}
