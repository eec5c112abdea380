/*
 * child.h - running a compiled migration as a child process (internal API).
 *
 * The child gets the run's context in its environment and a control pipe
 * (src/runner/run.h describes both).  The runner forwards the child's stdout and
 * stderr to its own while keeping every line in whimbrel_logs, reads
 * counters and log lines from the control pipe, draws progress on a
 * terminal, forwards SIGINT/SIGTERM, and reports how the child ended.
 * The child is killed if the runner dies (PR_SET_PDEATHSIG).
 */
#ifndef WB_CHILD_H
#define WB_CHILD_H

#include <stdint.h>
#include "whimbrel.h"
#include "run.h"
#include <whimbrel/runner.h>

/** What the runner tells the child supervisor. */
typedef struct wb_child_opts {
	const char *exe;          /**< program to run */
	char *const *env;         /**< extra "NAME=VALUE" settings, NULL-terminated */
	wb_db *db;                /**< where the log lines go (NULL: not kept) */
	const char *run_id;       /**< the run whose log it is */
	int64_t *seq;             /**< next log line number (advanced) */
	const char *label;        /**< shown in progress ("0001_add_price_to_cars") */
	int progress;             /**< draw progress on stderr (a terminal) */
	/** Called about every 5 s with the counters so far (may be NULL). */
	void (*tick)(const wb_counters *c, void *arg);
	void *tick_arg;           /**< its argument */
	/** Set (by another thread) to make the child stop as on Ctrl-C; may be NULL. */
	volatile int *stop;
	/** A second such flag (the caller's, wb_run_options.stop); may be NULL. */
	volatile int *stop_also;
	/** The worker whose lines these are (kept with each log line, numbered by
	 *  the clock: wb__log_seq_clock with worker_slot), or NULL. */
	const char *worker;
	int worker_slot;          /**< that worker's slot, 0-999 */
} wb_child_opts;

/** How the child ended. */
typedef struct wb_child_result {
	int exit_code;            /**< its exit status, or 128 + signal */
	int sig;                  /**< the signal that killed it, or 0 */
	int interrupted;          /**< the runner got SIGINT/SIGTERM and forwarded it */
	wb_counters counters;     /**< last counters reported */
	char error[512];          /**< error reported by the child ("" if none) */
	int ended;                /**< the child reported its end (wb_run_end's D line) */
	int end_status;           /**< the exit status it announced then */
	int64_t log_lines;        /**< lines captured (the log keeps a bounded part, logcap.h) */
	wb_plan_units units;      /**< a plan's estimate (its U line) */
	int has_units;            /**< it sent one */
	int verified;             /**< the program verified items (V lines: wb_verify) */
	int64_t verify_checked;   /**< items checked */
	int64_t verify_failed;    /**< of them, items that failed */
	char verify_keys[1024];   /**< JSON array of the first keys that failed (K lines), or "" */
} wb_child_result;

/** Run the child to its end.  Returns 0, or a negative code if it could not be started. */
int wb__child_run(const wb_child_opts *o, wb_child_result *r);

/** Append one runner line to a run's log (best effort). */
void wb__child_log(wb_db *db, const char *run_id, int64_t *seq, const char *stream, const char *line);

#endif /* WB_CHILD_H */
