/*
 * clock.h - the monotonic clock in milliseconds, for deadlines and
 * durations (internal API; inline, it is read on hot paths).
 */
#ifndef WB_CLOCK_H
#define WB_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Milliseconds of CLOCK_MONOTONIC (for differences only). */
static inline int64_t wb__mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* WB_CLOCK_H */
