/*
 * Backfill the owner of every car
 * from the registrations table.
 *
 * Execution Time: 2026-03-01 at 09:00:00 UTC
 * Finalization Time: 2026-03-01 at 09:00:42 UTC (failed)
 * Execution Time: 2026-03-02 at 09:00:00 UTC
 * Finalization Time: 2026-03-02 at 09:12:00 UTC
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
