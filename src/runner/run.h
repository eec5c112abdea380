/*
 * run.h - the child side of a migration run (internal API).
 *
 * A migration is a program started by `whimbrel run|plan`; the runner hands
 * it the run's context in environment variables (names below) and a pipe,
 * the control channel, on which the child reports counters, totals, log
 * lines and its error message as text lines:
 *
 *     C scanned written deleted unchanged failed retries throttled conditions rcu wcu
 *                                                  cumulative counters (rcu, wcu: capacity
 *                                                  units consumed, decimals)
 *     T n                                          n more items to visit (a table's count)
 *     R n                                          n items already done by earlier runs
 *     L level text                                 a log line (level: info, warn, error)
 *     U rcu wcu index_wcu journal_wcu              plan: the capacity the run would consume
 *     V checked failed                             wb_verify: items checked and failed
 *     K key                                        wb_verify: a key that failed (DynamoDB JSON;
 *                                                  the first ten)
 *     E text                                       the error that ended the run
 *     D status                                     wb_run_end: the run is over, the program
 *                                                  exits with `status` (0, 1 or 130)
 *
 * A program that exits without having sent its D line (exit() from a
 * callback, a main that never calls wb_run_end) has not finished its run:
 * the runner records it failed whatever its exit status.
 * run.c holds struct wb_run and the public wb_run_* / wb_log_* calls;
 * each*.c (wb_each), plan.c (the write interceptor) and checkpoint.c use
 * what is declared here.
 */
#ifndef WB_RUN_H
#define WB_RUN_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "whimbrel.h"

/* Environment variables set by the runner for the child. */
#define WB_ENV_RUN_ID "WHIMBREL_RUN_ID"         /* the run id */
#define WB_ENV_TARGET "WHIMBREL_TARGET_URL"     /* the target's URL */
#define WB_ENV_MODE "WHIMBREL_MODE"             /* dev, prod, plan or verify (`whimbrel verify`:
                                                   wb_each does nothing, writes are intercepted,
                                                   the wb_verify checks run) */
#define WB_ENV_MIGRATION "WHIMBREL_MIGRATION"   /* file base name without .c */
#define WB_ENV_THREADS "WHIMBREL_THREADS"       /* threads for wb_each (default: cores) */
#define WB_ENV_CTL_FD "WHIMBREL_CTL_FD"         /* control pipe's file descriptor */
#define WB_ENV_RESUME "WHIMBREL_RESUME"         /* id of the run being resumed (informational) */
#define WB_ENV_PLAN_DIFFS "WHIMBREL_PLAN_DIFFS" /* plan: how many diffs to print */
#define WB_ENV_BATCH "WHIMBREL_BATCH"           /* writes per batch (tests; default 500) */
#define WB_ENV_EACH_GENERIC "WHIMBREL_EACH_GENERIC" /* 1: wb_each never takes the SQLite fast path */
#define WB_ENV_JOURNAL "WHIMBREL_JOURNAL"       /* 1: journal the writes, 0: do not (default: prod only) */
#define WB_ENV_UNCONDITIONAL "WHIMBREL_UNCONDITIONAL" /* 1: wb_each writes without conditions */
#define WB_ENV_JOB "WHIMBREL_JOB"               /* a worker's claim: the job id (its control row) */
#define WB_ENV_SEGMENT "WHIMBREL_SEGMENT"       /* "K/N": a worker's claim: scans visit only segment K
                                                   of N, queries run in segment 0 only */
#define WB_ENV_PLAN_TEXT "WHIMBREL_PLAN_TEXT"   /* plan: 0 when the caller prints the report (--json) */

/** Counters of a run, as in the ledger. */
typedef struct wb_counters {
	int64_t scanned;   /**< items visited (and covered by a checkpoint) */
	int64_t written;   /**< items written back */
	int64_t deleted;   /**< items deleted */
	int64_t unchanged; /**< items kept as they were */
	int64_t failed;    /**< items that could not be processed */
	int64_t retries;   /**< requests the store retried (the process's, when reported) */
	int64_t throttled; /**< of them, after the store throttled */
	int64_t conditions; /**< writes whose condition failed (the item changed since read) */
	double rcu, wcu;    /**< capacity units the store reported consumed (the process's, util/pace.h) */
} wb_counters;

struct wb_plan;
struct wb__control;

#define WB_VERIFY_MAX_KEYS 10 /* failed keys a run keeps and reports (verify.c) */

/** The capacity a planned run would consume on DynamoDB (capacity.h), as the plan saw it. */
typedef struct wb_plan_units {
	double rcu;          /**< read units of the migration's reads */
	double wcu;          /**< write units of its writes, index writes included */
	double index_wcu;    /**< of them, the writes into secondary indexes */
	double journal_wcu;  /**< about what the journal of a journaled (prod) run adds */
} wb_plan_units;

/** A run, as seen from inside the migration process. */
struct wb_run {
	char *run_id;              /**< from the runner (owned) */
	char *url;                 /**< target URL (owned) */
	char *mode;                /**< "dev", "prod" or "plan" (owned) */
	char *migration;           /**< migration name, for checkpoints (owned) */
	int threads;               /**< threads for wb_each (>= 1) */
	size_t batch;              /**< writes per batch */
	int ctl_fd;                /**< control pipe, or -1 */
	wb_db *inner;              /**< the real handle (owned) */
	wb_db *db;                 /**< what the migration sees: inner, or the plan wrapper (owned) */
	struct wb_plan *plan;      /**< plan mode: the recorder (owned), else NULL */
	pthread_mutex_t lock;      /**< guards counters, ctl writes, last_report */
	wb_counters counters;      /**< this run's counters */
	int64_t last_report_ms;    /**< when counters were last sent */
	int each_calls;            /**< wb_each / wb_each_query calls so far */
	int journal;               /**< journal the writes into whimbrel_journal (journal.h) */
	int unconditional;         /**< WB_ENV_UNCONDITIONAL: wb_each writes without conditions */
	unsigned seg_only;         /**< WB_ENV_SEGMENT: the one segment to scan (when seg_total) */
	unsigned seg_total;        /**< WB_ENV_SEGMENT: segments of every scan, or 0 (no claim: all) */
	struct wb__control *control; /**< the poller of pause and limits (control.h), or NULL */
	int verify_only;           /**< mode verify: only the wb_verify checks run */
	int plan_text;             /**< plan: print the report (else the runner's caller does) */
	struct wb_verify_check *checks; /**< the checks wb_verify registered (owned; verify.c) */
	size_t nchecks;            /**< how many */
	int64_t verify_checked;    /**< items the checks checked (all runs together; under lock) */
	int64_t verify_failed;     /**< of them, failed */
	char *verify_keys[WB_VERIFY_MAX_KEYS]; /**< the first failed keys, DynamoDB JSON (owned) */
	size_t nverify_keys;       /**< how many */
};

/** Set by the SIGINT handler: wb_each stops after the current batch. */
extern volatile sig_atomic_t wb__run_interrupted;

/** Add to the run's counters (thread-safe) and report them when due. */
void wb__run_count(wb_run *run, const wb_counters *delta);
/** Send one control line (thread-safe; no-op without a runner). */
void wb__run_ctl(wb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * Open a handle on the run's target for one worker thread: the real target,
 * wrapped by the plan interceptor in plan mode.  `*inner` gets the real
 * handle when not NULL.  Both are the caller's: close *out then *inner.
 */
int wb__run_open(wb_run *run, wb_db **out, wb_db **inner);
/** True in plan mode (no checkpoints, writes recorded only). */
int wb__run_is_plan(const wb_run *run);

/* verify.c: the checks of wb_verify. */

/**
 * Run every registered check (not in a plan): 0 when every item passed;
 * WB_ERROR with a message naming the count and the first key when one
 * failed; WB_EINTERRUPTED, or the store's or the callback's error.  Sends
 * the V and K lines.
 */
int wb__verify_all(wb_run *run);
/** Free the registered checks and kept keys. */
void wb__verify_free(wb_run *run);

/* plan.c: the write interceptor. */

/** A new recorder keeping at most `max_diffs` diffs; NULL when out of memory. */
struct wb_plan *wb__plan_new(int max_diffs);
void wb__plan_free(struct wb_plan *plan);
/**
 * A handle over `inner` that forwards reads and records writes in `plan`.
 * `*out` is the caller's (wb_close); it does not own `inner`.
 */
int wb__plan_wrap(wb_db **out, wb_db *inner, struct wb_plan *plan);
/* journal_wrap.c: the journal of the migration's own writes. */

/**
 * A handle over `inner` that forwards reads and journals the writes
 * (wb_put, wb_delete, wb_update, wb_batch_write) as writes of `run`.
 * `*out` is the caller's (wb_close); it does not own `inner`.
 */
int wb__journal_wrap(wb_db **out, wb_db *inner, wb_run *run);
/** The units counted so far (thread-safe). */
void wb__plan_units(struct wb_plan *plan, wb_plan_units *out);
/** Print the counts (unchanged: plus the run's own `unchanged`), the units and the diffs. */
void wb__plan_report(struct wb_plan *plan, const wb_counters *counters, FILE *f);

/*
 * Before reading a page of at most `dflt` items (wb_each's pages, the
 * verify checks'): wait while the run is paused and for the page's turn
 * under --max-rate (util/pace.h); returns the page size to ask for (about
 * 200 ms of items when paced).  Implemented in each.c.
 */
size_t wb__each_pace_before(size_t dflt);
/* After it: the page asked for `asked` items and had `got`. */
void wb__each_pace_after(size_t asked, size_t got);
/*
 * The next segment of a scan that threads share (wb_each's, the verify
 * checks'): under `lock`, unless `*failed` says the job failed, the next
 * of [*next, end) into *seg and 1; else 0.  Implemented in each.c.
 */
int wb__each_take_segment(pthread_mutex_t *lock, const int *failed, unsigned *next, unsigned end,
			  unsigned *seg);

#endif /* WB_RUN_H */
