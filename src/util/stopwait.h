/*
 * stopwait.h - a background thread's stop request and its sleep, which the
 * request cuts short: the runner's lease heartbeat, a worker's segment
 * heartbeat and a run's control poller sleep between rounds this way, so
 * that the end of a run never waits for a round (internal API;
 * implemented in stopwait.c).
 *
 *     while (!wb__stopwait_sleep(&sw, 1000))    the thread: a round a second
 *             round();
 *     wb__stopwait_stop(&sw);                   its owner: ask, wake it,
 *     pthread_join(tid, NULL);                  then join it
 *     wb__stopwait_destroy(&sw);
 */
#ifndef WB_STOPWAIT_H
#define WB_STOPWAIT_H

#include <pthread.h>

typedef struct wb__stopwait {
	pthread_mutex_t mu; /* guards stop */
	pthread_cond_t cv;  /* signalled when stop is set (on the monotonic clock) */
	int stop;           /* the stop was asked */
} wb__stopwait;

/** Ready to sleep on, no stop asked. */
void wb__stopwait_init(wb__stopwait *s);
/** Sleep `ms` milliseconds, or less when the stop is asked: 1 when it was (at once if before). */
int wb__stopwait_sleep(wb__stopwait *s, int ms);
/** Ask the stop, waking a sleeper. */
void wb__stopwait_stop(wb__stopwait *s);
/** Whether the stop was asked. */
int wb__stopwait_asked(wb__stopwait *s);
void wb__stopwait_destroy(wb__stopwait *s);

#endif
