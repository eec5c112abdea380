/*
 * Test fixture: give every car of `cars` ($CARS_TABLE if set) a price (0), then check with
 * wb_verify that every car has one.  VERIFY_SKIP=N: cars whose number is 7
 * modulo N keep no price (their check fails).  VERIFY_LOG=FILE: each check
 * appends a line to FILE.  VERIFY_SLEEP_US=N: each check sleeps N
 * microseconds (an interruptible verification).  VERIFY_PREFIX=P: a second
 * check, of the cars whose id begins with P.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <whimbrel.h>

static int skipped(const wb_item *car)
{
	const char *id = wb_item_get_string(car, "id"), *n = getenv("VERIFY_SKIP");
	int mod = n ? atoi(n) : 0;

	return mod > 0 && id && strlen(id) > 4 && atoi(id + 4) % mod == 7;
}

static int add_price(wb_item *car, void *arg)
{
	(void)arg;
	if (wb_item_has(car, "price") || skipped(car))
		return WB_KEEP;
	wb_item_set_number(car, "price", "0");
	return WB_WRITE;
}

static int has_price(const wb_item *car, void *arg)
{
	const char *log = getenv("VERIFY_LOG"), *us = getenv("VERIFY_SLEEP_US");

	(void)arg;
	if (log) {
		FILE *f = fopen(log, "a");
		if (f) {
			fprintf(f, "%s\n", wb_item_get_string(car, "id"));
			fclose(f);
		}
	}
	if (us)
		usleep((useconds_t)atoi(us));
	return wb_item_get_number(car, "price") ? 0 : 1;
}

int main(void)
{
	const char *t = getenv("CARS_TABLE");
	const char *cars = t && *t ? t : "cars";
	wb_run *run = wb_run_begin();
	int rc = wb_each(run, cars, NULL, add_price, NULL);

	if (rc == 0)
		rc = wb_verify(run, cars, NULL, has_price, NULL);
	if (rc == 0 && getenv("VERIFY_PREFIX")) /* a second check, of one key prefix */
		rc = wb_verify(run, cars, getenv("VERIFY_PREFIX"), has_price, NULL);
	return wb_run_end(run, rc);
}
