/*
 * First of two migrations numbered 0010.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
