/*
 * control.h - pausing and pacing a running migration through the target
 * (private part of control.c; the public side, wb_run_control_*, is in
 * whimbrel/runner.h).
 *
 * whimbrel_control has the partition key run S and the sort key part S.
 * Part "limit" is a run's or a job's control row: paused N (0 or 1),
 * max_wcu N, max_rcu N, max_rate N, capacity_pct N (each absent when not
 * set), updated N (Unix seconds), by S (user@host).  Parts "proc#HOST#PID"
 * are the live processes of a run that share its limits: expires N (Unix
 * seconds); a worker's segment process renews its worker's row (PID: the
 * worker's) every 2 s while it runs, and the next segment of that worker
 * takes it over; a worker that ran its last segment stops counting 6 s
 * later.  A worker new to the run waits 1.3 s after its first beat, until
 * the others have counted it, before it spends its share.
 *
 * A migration process polls every second (wb__control_start): it applies
 * pause and limits to its pacer (util/pace.h), each limit divided among the
 * live processes of the run; only worker processes (a claim of a job's
 * segment) count themselves, a plain run is one process.
 */
#ifndef WB_CONTROL_H
#define WB_CONTROL_H

#include "whimbrel.h"
#include <whimbrel/runner.h>

#define WB_CONTROL_TABLE "whimbrel_control"

struct wb__control;

/**
 * Start polling the control of run `run_id` (attempt of `job_id`, or
 * NULL) on `url` (opens its own handle): once before returning, so the
 * first request is already paced, then every second on a thread.
 * `shared`: this process is one of several of the run (a worker's claim).
 * `log` (may be NULL) gets a line when the run is paused or resumed.
 */
int wb__control_start(struct wb__control **out, const char *url, const char *run_id, const char *job_id,
		      int shared, void (*log)(void *arg, const char *line), void *arg);
/** Stop polling, remove this process from the run's live ones, close. */
void wb__control_stop(struct wb__control *c);

/** Whether run `run_id` (attempt of `job_id`, may be NULL) is paused; 0 on any error. */
int wb__control_paused(wb_db *db, const char *run_id, const char *job_id);

#endif /* WB_CONTROL_H */
