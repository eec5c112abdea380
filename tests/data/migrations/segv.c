/*
 * Test fixture: crashes with a segmentation fault in the middle of a run.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <signal.h>
#include <stdio.h>
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();

	printf("about to crash\n");
	fflush(stdout);
	raise(SIGSEGV);
	return wb_run_end(run, 0);
}
