/*
 * jobs.h - scheduled batch runs in whimbrel_jobs (private part; the public
 * side, wb_job and wb_job_*, is in whimbrel/runner.h).
 *
 * whimbrel_jobs has the partition key job_id S and the sort key part S.
 * The job itself is the item of part "job":
 *
 *     job_id S ("job-20261127T180000Z-1a2b3c4d"), part S ("job"),
 *     migration S (file base name without .c), file S (the path given to
 *     `schedule`), target S (the target's name), source S (the migration's
 *     source), checksum S (its SHA-256 hex), commit S (git commit of the
 *     file, "" outside git), dirty S (why --allow-dirty was needed, "" when
 *     clean), at N (due, Unix seconds), created N, created_by S
 *     (user@host), workers N, segments N, attempts N, timeout_s N (0: none), status S
 *     (scheduled, running, succeeded, failed, timed out, cancelled),
 *     attempt N (attempts started), started N (of the latest attempt), run_id S (the ledger run of the latest
 *     attempt, "" before), finished N (absent until done), error S (absent
 *     unless failed).
 *
 * Each scan segment of a job has an item of part "segNNNN" once a worker
 * claimed it (worker.c): state S (running, waiting, done, failed), run_id S
 * (the attempt), worker S, host S, pid N, claim S (the claimant's token: a
 * take-over is a put conditional on it), heartbeat N, expires N,
 * takeovers N, error S, and once done its counters scanned N, written N,
 * deleted N, rcu_consumed N, wcu_consumed N (the capacity units of the
 * process that finished it; the job's checkpoints go when it succeeds).  No item: waiting.
 *
 * Every change of a job after its creation is a put conditional on the
 * status it was read with, so two processes never both move a job on.
 */
#ifndef WB_JOBS_H
#define WB_JOBS_H

#include "whimbrel.h"
#include <whimbrel/runner.h>

#define WB_JOBS_TABLE "whimbrel_jobs"
#define WB_JOB_PART "job" /* sort key of the job's own item */

/**
 * The name a job's checkpoints are kept under ("MIGRATION@JOB", into buf of
 * 400 bytes or more), apart from those of `whimbrel run` of the same file.
 */
void wb__job_namespace(char *buf, size_t size, const wb_job *j);

/** "user@host" of this process, into buf (whoever schedules, pauses or limits). */
void wb__user_at_host(char *buf, size_t size);

/** Create whimbrel_jobs when it does not exist yet. */
int wb__jobs_ensure(wb_db *db);

/**
 * Replace job `j` (its source is kept) provided its stored status is still
 * `expect_status`; WB_ECONDITION when another process moved it on.
 */
int wb__job_update(wb_db *db, const wb_job *j, const char *expect_status);

#endif /* WB_JOBS_H */
