/*
 * A header with an Execution line and no Finalization line.
 *
 * Execution Time: 2026-01-10 at 10:00:03 UTC
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
