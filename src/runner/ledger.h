/*
 * ledger.h - the run ledger and run logs kept in the target (private part; the reading side is in whimbrel/runner.h).
 *
 * whimbrel_runs holds one item per run (agreed schema, read by other
 * modules and by `whimbrel status`):
 *
 *     run_id S (partition key, sortable: "20261125T100003Z-1a2b3c4d")
 *     migration S, version S, name S, checksum S (SHA-256 hex), target S,
 *     mode S (dev|prod|plan|revert|verify), status S (running|succeeded|failed|
 *     interrupted|reverted|verify failed), started N, finished N (absent while running),
 *     duration_ms N, host S, user S, exit_code N, scanned N, written N,
 *     deleted N, unchanged N, failed N, retries N, throttled N,
 *     conditions_failed N, error S (absent unless failed), commit S (prod:
 *     the file's git commit), dirty S (prod: why --allow-dirty was needed),
 *     job_id S (a worker's job) - these three absent when empty,
 *     journal BOOL (its writes are in whimbrel_journal, journal.h); a
 *     revert's row also has reverts S and reverted_status S, a reverted
 *     run's reverted_by S (revert.h); rcu_estimate N, wcu_estimate N (the
 *     capacity its plan estimated, absent without one), verify_checked N,
 *     verify_failed N, verify_keys S (a JSON array of the first keys that
 *     failed; absent unless its verify callbacks ran), status "verify
 *     failed" when one failed; a `whimbrel verify` run (mode verify) has
 *     verifies S, the run it verified
 *
 * whimbrel_logs holds the captured output: run_id S (partition key),
 * seq N (sort key), ts N (Unix time, milliseconds), stream S (stdout,
 * stderr, info, warn, error, runner), line S, worker S (the worker's id,
 * only in the logs of a job).  Workers number their lines by the clock
 * (wb__log_seq_clock), so that the lines of several workers sort by time.
 *
 * The reserved tables (runs, logs, locks, checkpoints) are created on
 * first use by wb__reserved_ensure.
 */
#ifndef WB_LEDGER_H
#define WB_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "whimbrel.h"
#include <whimbrel/runner.h>

#define WB_RUNS_TABLE "whimbrel_runs"
#define WB_LOGS_TABLE "whimbrel_logs"

/** Create the reserved tables that do not exist yet. */
int wb__reserved_ensure(wb_db *db);

/** A new sortable run id ("20261125T100003Z-" + 8 hex digits) into buf (>= 32 bytes). */
void wb__run_id_new(char *buf, size_t size, int64_t now);

/** Write (insert or replace) a run. */
int wb__ledger_put(wb_db *db, const wb_ledger_run *run);
/**
 * For a log several processes write (a job's workers): move *seq up to the
 * clock, in microseconds times 1000 plus `slot` (0-999, the process's own),
 * so that lines sort by time and the lines of one append (at most 1000)
 * never meet another process's.  Called before each append.
 */
void wb__log_seq_clock(int64_t *seq, int slot);

/** Append lines to a run's log, numbered from *seq (advanced). */
int wb__log_append(wb_db *db, const char *run_id, int64_t *seq,
		   const wb_log_line *lines, size_t n);

#endif /* WB_LEDGER_H */
