/*
 * Test fixture: add 1 to every car's `counter` (not idempotent: a car
 * transformed twice shows 2).  SLOW_US sleeps that long per item;
 * progress lines every 10000 items (PROGRESS_EVERY); the pid goes to
 * child.pid.  With MARK_RUN set, each car also gets `by`: the id of the
 * run that changed it last (the sweeps count a run's cars by it).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <whimbrel.h>

/* The table: "cars", or $CARS_TABLE (tests on a shared DynamoDB). */
static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static atomic_long seen;
static int slow_us;
static long every = 10000;
static int mark_run;

static int bump(wb_item *car, void *arg)
{
	long n = atomic_fetch_add(&seen, 1) + 1;

	if (n % every == 0) {
		printf("progress %ld\n", n);
		fflush(stdout);
	}
	if (slow_us)
		usleep((useconds_t)slow_us);
	wb_item_set_int(car, "counter", wb_item_get_int(car, "counter", 0) + 1);
	if (mark_run && wb_item_set_string(car, "by", wb_run_id(arg)) < 0)
		return WB_ENOMEM;
	return WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin();
	FILE *f = fopen("child.pid", "w");

	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	slow_us = getenv("SLOW_US") ? atoi(getenv("SLOW_US")) : 0;
	if (getenv("PROGRESS_EVERY") && atol(getenv("PROGRESS_EVERY")) > 0)
		every = atol(getenv("PROGRESS_EVERY"));
	mark_run = getenv("MARK_RUN") != NULL;
	return wb_run_end(run, wb_each(run, cars(), NULL, bump, run));
}
