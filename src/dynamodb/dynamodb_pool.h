/*
 * dynamodb_pool.h - the lanes of the DynamoDB backend (internal;
 * implemented in dynamodb_pool.c): worker threads, shared by every handle
 * of the process, that send requests while their callers wait, so many
 * requests are in flight at once.  How many lanes: the concurrency.
 */
#ifndef WB_DYNAMODB_POOL_H
#define WB_DYNAMODB_POOL_H

#include <pthread.h>
#include <stddef.h>

/** Default of the concurrency (bench/RESULTS.md, "DynamoDB at 0 and 5 ms"). */
#define WB_DDB_CONCURRENCY_DEFAULT 32
/** Most lanes a process runs. */
#define WB_DDB_CONCURRENCY_MAX 256

/**
 * The concurrency of this process: the most DynamoDB requests its lanes
 * keep in flight at once (WHIMBREL_DYNAMODB_CONCURRENCY, read once; default
 * WB_DDB_CONCURRENCY_DEFAULT, clamped to 1..WB_DDB_CONCURRENCY_MAX).  1:
 * no lanes, every request on its caller's thread.
 */
int wb__ddb_concurrency(void);

/** Tasks waited for together. */
struct wb__ddb_group {
	pthread_mutex_t lock;
	pthread_cond_t done; /* signalled when pending reaches 0 */
	size_t pending;      /* tasks not finished */
};

/** A task for a lane: fn(arg, i). */
struct wb__ddb_task {
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t i;
	struct wb__ddb_group *group; /* told when it is done */
	struct wb__ddb_task *next;   /* the queue's */
};

void wb__ddb_group_init(struct wb__ddb_group *g);
/** Wait until every task started in g is done, then destroy g. */
void wb__ddb_group_wait(struct wb__ddb_group *g);

/**
 * Start task t (the caller's until g says it is done) in group g: on a
 * lane, or on this thread at once when there are no lanes (concurrency 1,
 * or no thread could be started).
 */
void wb__ddb_task_start(struct wb__ddb_group *g, struct wb__ddb_task *t);

/** Run fn(arg, i) for every i < n on the lanes (in order here when there are none) and wait for all. */
void wb__ddb_pool_run(size_t n, void (*fn)(void *arg, size_t i), void *arg);

#endif /* WB_DYNAMODB_POOL_H */
