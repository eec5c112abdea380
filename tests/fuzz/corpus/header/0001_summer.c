/*
 * Finalized in June 2025: due in June 2026, overdue from 1 July 2026.
 *
 * Execution Time: 2025-06-15 at 10:00:00 UTC
 * Finalization Time: 2025-06-15 at 10:05:00 UTC
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
