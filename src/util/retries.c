/*
 * retries.c - process-wide counts of the retries the stores made (see
 * retries.h): two atomic counters.
 */
#include "retries.h"

static uint64_t retries, throttled;

void wb__retry_note(int was_throttled)
{
	__atomic_fetch_add(&retries, 1, __ATOMIC_RELAXED);
	if (was_throttled)
		__atomic_fetch_add(&throttled, 1, __ATOMIC_RELAXED);
}

void wb__retry_totals(uint64_t *r, uint64_t *t)
{
	*r = __atomic_load_n(&retries, __ATOMIC_RELAXED);
	*t = __atomic_load_n(&throttled, __ATOMIC_RELAXED);
}
