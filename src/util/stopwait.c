/*
 * stopwait.c - a thread's sleep that its stop request cuts short (see
 * stopwait.h): a condition on the monotonic clock, so that setting the
 * wall clock neither lengthens nor shortens a sleep.
 */
#include <time.h>

#include "stopwait.h"

void wb__stopwait_init(wb__stopwait *s)
{
	pthread_condattr_t a;

	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &a);
	pthread_condattr_destroy(&a);
	s->stop = 0;
}

int wb__stopwait_sleep(wb__stopwait *s, int ms)
{
	struct timespec t;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &t) == 0)
		; /* woken without the stop (spuriously): sleep on until the time */
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

void wb__stopwait_stop(wb__stopwait *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int wb__stopwait_asked(wb__stopwait *s)
{
	int stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

void wb__stopwait_destroy(wb__stopwait *s)
{
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}
