/*
 * dynamodb_pool.c - the lanes of the DynamoDB backend (see dynamodb_pool.h).
 *
 * A pool of threads rather than libcurl's multi interface: a conditional
 * write is a small conversation (an UpdateItem, and after a lost answer a
 * GetItem to tell whether it was applied: dynamodb_unchanged.c), written
 * as plain blocking code; on a lane it stays so, each lane using a
 * connection of its handle's client (dynamodb_client.c).  Lanes are
 * started when first needed, up to the concurrency, and live as long as
 * the process; tasks wait in one FIFO queue.  At the 2-core machine's
 * measure (bench/RESULTS.md) 32 lanes cost ~0.1 s of CPU per 5,000 writes
 * more than one, and a few MB of stacks and connections.
 */
#include <stdlib.h>

#include "common.h"
#include "dynamodb_pool.h"

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static struct wb__ddb_task *head, *tail; /* the queue */
static size_t queued;                    /* tasks in it */
static int lanes, idle;                  /* lanes started, lanes waiting for a task */

static pthread_once_t conc_once = PTHREAD_ONCE_INIT;
static int conc;

static void conc_read(void)
{
	const char *e = getenv("WHIMBREL_DYNAMODB_CONCURRENCY");
	long n = e && *e ? strtol(e, NULL, 10) : WB_DDB_CONCURRENCY_DEFAULT;

	conc = n < 1 ? 1 : n > WB_DDB_CONCURRENCY_MAX ? WB_DDB_CONCURRENCY_MAX : (int)n;
}

int wb__ddb_concurrency(void)
{
	pthread_once(&conc_once, conc_read);
	return conc;
}

void wb__ddb_group_init(struct wb__ddb_group *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->done, NULL);
	g->pending = 0;
}

void wb__ddb_group_wait(struct wb__ddb_group *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->pending)
		pthread_cond_wait(&g->done, &g->lock);
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
}

static void task_run(struct wb__ddb_task *t)
{
	struct wb__ddb_group *g = t->group;

	t->fn(t->arg, t->i);
	pthread_mutex_lock(&g->lock);
	if (--g->pending == 0)
		pthread_cond_broadcast(&g->done);
	pthread_mutex_unlock(&g->lock);
}

static void *lane_main(void *arg)
{
	WB_UNUSED(arg);
	pthread_mutex_lock(&qlock);
	for (;;) {
		while (!head) {
			idle++;
			pthread_cond_wait(&qcond, &qlock);
			idle--;
		}
		struct wb__ddb_task *t = head;
		if (!(head = t->next))
			tail = NULL;
		queued--;
		pthread_mutex_unlock(&qlock);
		task_run(t);
		pthread_mutex_lock(&qlock);
	}
	return NULL;
}

/* A new lane when the queue has more tasks than idle lanes and room is left; under qlock. */
static void lane_grow(void)
{
	pthread_attr_t at;
	pthread_t th;

	if ((size_t)idle >= queued || lanes >= wb__ddb_concurrency())
		return;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 512 * 1024); /* a request's frames (TLS included), not the default 8 MB */
	if (pthread_create(&th, &at, lane_main, NULL) == 0)
		lanes++;
	pthread_attr_destroy(&at);
}

void wb__ddb_task_start(struct wb__ddb_group *g, struct wb__ddb_task *t)
{
	t->group = g;
	t->next = NULL;
	pthread_mutex_lock(&g->lock);
	g->pending++;
	pthread_mutex_unlock(&g->lock);
	if (wb__ddb_concurrency() > 1) {
		pthread_mutex_lock(&qlock);
		queued++;
		lane_grow();
		if (lanes > 0) {
			if (tail)
				tail->next = t;
			else
				head = t;
			tail = t;
			pthread_cond_signal(&qcond);
			pthread_mutex_unlock(&qlock);
			return;
		}
		queued--;
		pthread_mutex_unlock(&qlock);
	}
	task_run(t); /* no lanes: here and now */
}

void wb__ddb_pool_run(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
	struct wb__ddb_group g;
	struct wb__ddb_task *t = n > 1 && wb__ddb_concurrency() > 1 ? calloc(n, sizeof(*t)) : NULL;

	if (!t) { /* one task, no lanes, or no memory for the tasks: in order, here */
		for (size_t i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	wb__ddb_group_init(&g);
	for (size_t i = 0; i < n; i++) {
		t[i] = (struct wb__ddb_task){fn, arg, i, NULL, NULL};
		wb__ddb_task_start(&g, &t[i]);
	}
	wb__ddb_group_wait(&g);
	free(t);
}
