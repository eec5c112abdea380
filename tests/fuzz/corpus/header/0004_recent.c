/*
 * Finalized in October 2026: deleted only with a short --older-than.
 *
 * Execution Time: 2026-10-01 at 08:00:00 UTC
 * Finalization Time: 2026-10-01 at 08:10:00 UTC
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
