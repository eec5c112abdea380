/*
 * ledger.h - the run ledger and run logs kept in the target (internal API).
 *
 * whimbrel_runs holds one item per run (agreed schema, read by other
 * modules and by `whimbrel status`):
 *
 *     run_id S (partition key, sortable: "20261125T100003Z-1a2b3c4d")
 *     migration S, version S, name S, checksum S (SHA-256 hex), target S,
 *     mode S (dev|prod|plan), status S (running|succeeded|failed|
 *     interrupted|reverted), started N, finished N (absent while running),
 *     duration_ms N, host S, user S, exit_code N, scanned N, written N,
 *     deleted N, unchanged N, failed N, error S (absent unless failed)
 *
 * whimbrel_logs holds the captured output: run_id S (partition key),
 * seq N (sort key), ts N (Unix time, milliseconds), stream S (stdout,
 * stderr, info, warn, error, runner), line S.
 *
 * The reserved tables (runs, logs, locks, checkpoints) are created on
 * first use by wb__reserved_ensure.
 */
#ifndef WB_LEDGER_H
#define WB_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "whimbrel.h"

#define WB_RUNS_TABLE "whimbrel_runs"
#define WB_LOGS_TABLE "whimbrel_logs"

/** One run of the ledger. */
typedef struct wb_ledger_run {
	char run_id[64];       /**< partition key */
	char migration[256];   /**< file base name without .c */
	char version[32];      /**< leading number, "0001" */
	char name[256];        /**< slug after the number */
	char checksum[65];     /**< SHA-256 hex of the source */
	char target[512];      /**< target URL */
	char mode[8];          /**< dev, prod or plan */
	char status[16];       /**< running, succeeded, ... */
	int64_t started;       /**< Unix seconds */
	int64_t finished;      /**< Unix seconds, 0 while running */
	int64_t duration_ms;   /**< run time */
	char host[256];        /**< host name of the runner */
	char user[64];         /**< user of the runner */
	int exit_code;         /**< process exit code (-1 while running) */
	int64_t scanned, written, deleted, unchanged, failed; /**< counters */
	char error[512];       /**< message of a failure, or "" */
} wb_ledger_run;

/** Create the reserved tables that do not exist yet. */
int wb__reserved_ensure(wb_db *db);

/** A new sortable run id ("20261125T100003Z-" + 8 hex digits) into buf (>= 32 bytes). */
void wb__run_id_new(char *buf, size_t size, int64_t now);

/** Write (insert or replace) a run. */
int wb__ledger_put(wb_db *db, const wb_ledger_run *run);
/** Read a run; WB_ENOTFOUND if absent. */
int wb__ledger_get(wb_db *db, const char *run_id, wb_ledger_run *out);
/**
 * Every run (of `migration` only, when not NULL), sorted by run id (oldest
 * first).  *out is malloc'd (caller frees), *count its length.
 */
int wb__ledger_list(wb_db *db, const char *migration, wb_ledger_run **out, size_t *count);

/** One captured log line. */
typedef struct wb_log_line {
	int64_t ts_ms;       /**< when, Unix milliseconds */
	const char *stream;  /**< stdout, stderr, info, warn, error, runner */
	const char *line;    /**< the text, without newline */
} wb_log_line;

/** Append lines to a run's log, numbered from *seq (advanced). */
int wb__log_append(wb_db *db, const char *run_id, int64_t *seq,
		   const wb_log_line *lines, size_t n);
/**
 * Call `fn` for every log line of a run in order; stops at fn's first
 * non-zero return, which it returns.
 */
int wb__log_each(wb_db *db, const char *run_id,
		 int (*fn)(const wb_log_line *line, void *arg), void *arg);

#endif /* WB_LEDGER_H */
