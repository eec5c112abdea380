/*
 * Finalized in December 2025 (after a failed first run): due in December
 * 2026, overdue from 1 January 2027.
 *
 * Execution Time: 2025-12-19 at 09:00:00 UTC
 * Finalization Time: 2025-12-19 at 09:00:42 UTC (failed)
 * Execution Time: 2025-12-20 at 09:00:00 UTC
 * Finalization Time: 2025-12-20 at 09:30:00 UTC
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
