/*
 * Test fixture: a program that does not use wb_each and ignores the
 * runner's SIGINT: prints "started", sleeps STUBBORN_MS milliseconds
 * (default 30000), then ends its run as succeeded.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	long ms = getenv("STUBBORN_MS") ? atol(getenv("STUBBORN_MS")) : 30000;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	printf("started\n");
	fflush(stdout);
	while (nanosleep(&ts, &ts) != 0) /* a signal: sleep the rest */
		;
	return wb_run_end(run, 0);
}
