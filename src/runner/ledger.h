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
 *     conditions_failed N, rcu_consumed N, wcu_consumed N (capacity units the
 *     store reported for the migration's tables, DynamoDB; 0 elsewhere), error S (absent unless failed), commit S (prod:
 *     the file's git commit), dirty S (prod: why --allow-dirty was needed),
 *     job_id S (a worker's job) - these three absent when empty,
 *     journal BOOL (its writes are in whimbrel_journal, journal.h),
 *     snapshot BOOL (prod: a snapshot was taken at its start, snapshot.h); a
 *     revert's row also has reverts S and reverted_status S, a reverted
 *     run's reverted_by S (revert.h); rcu_estimate N, wcu_estimate N (the
 *     capacity its plan estimated, absent without one), verify_checked N,
 *     verify_failed N, verify_keys S (a JSON array of the first keys that
 *     failed; absent unless its verify callbacks ran), status "verify
 *     failed" when one failed; a `whimbrel verify` run (mode verify) has
 *     verifies S, the run it verified
 *
 * whimbrel_logs holds the captured output, several lines an item (a pack
 * of the lines of one append, WB_LOG_PACK_LINES or WB_LOG_PACK_BYTES at
 * the most): run_id S (partition key), seq N (sort key: the number of the
 * pack's first line; its i-th line is seq + i), n N (lines in the pack),
 * lines L of M: ts N (Unix time, milliseconds), stream S (stdout, stderr,
 * info, warn, error, runner), line S, worker S (the worker's id, only in
 * the logs of a job).  An item without `lines` is one line, as written
 * before packs: ts, stream, line and worker beside run_id and seq; the
 * reader takes both.  Workers number their lines by the clock
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
#define WB_LOG_PACK_LINES 1000         /* lines an item of whimbrel_logs holds at most */
#define WB_LOG_PACK_BYTES (300 * 1024) /* ... and bytes, about (DynamoDB: 400 KB an item) */
#define WB_LOG_PACK_LINE_COST 8        /* a line's bytes in its pack beyond its map's */

/** Capacity units (rcu_consumed...) as a number of one decimal; 0 when absent. */
int wb__set_units(wb_item *it, const char *name, double v);
double wb__get_units(const wb_item *it, const char *name);

/** Create the reserved tables that do not exist yet. */
int wb__reserved_ensure(wb_db *db);
/**
 * Create reserved table `name` with key schema `key` unless it exists (or
 * another process creates it meanwhile).  Also for the tables of jobs.c,
 * journal.c and control.c.
 */
int wb__reserved_table(wb_db *db, const char *name, const wb_key_schema *key);
/** String attribute `name` of a reserved table's item into dst ("" when absent), cut to size. */
void wb__attr_copy(char *dst, size_t size, const wb_item *it, const char *name);
/** A key item of string attributes: pk = pv, and sk = sv unless sk is NULL; NULL when out of memory. */
wb_item *wb__key_item(const char *pk, const char *pv, const char *sk, const char *sv);
/** wb_get of the item whose key wb__key_item makes of pk, pv, sk and sv. */
int wb__get_key(wb_item **out, wb_db *db, const char *table, const char *pk, const char *pv,
		const char *sk, const char *sv);
/**
 * Put (WB_WRITE_PUT) or delete (WB_WRITE_DELETE, `it` a key) item `it`,
 * which it frees (NULL: out of memory, WB_ENOMEM), under condition cond.
 */
int wb__write_free(wb_db *db, wb_write_kind kind, const char *table, wb_item *it, const wb_cond *cond);

/*
 * A record kept in a reserved table's item, described by a table of its
 * fields, each the attribute of the same name: what wb__fields_read fills
 * in from an item and wb__fields_write sets on one.
 */
enum wb__field_kind {
	WB__STR,   /* char[]: a string, "" when absent */
	WB__NUM,   /* int or int64_t: a number, `dflt` when absent */
	WB__UNITS, /* double: capacity units, a number of one decimal, 0 when absent */
	WB__BOOL   /* int: a boolean, 0 when absent */
};

struct wb__field {
	const char *name;         /* the attribute, and the field */
	enum wb__field_kind kind; /* what it holds */
	size_t off, size;         /* where the field is in the record, its size */
	int64_t dflt;             /* WB__NUM: its value when the attribute is absent */
	int optional;             /* written only when set (not 0, not "") */
};

/** The row of member `m` of record type T in a table of struct wb__field: always written. */
#define WB__FIELD(T, m, kind) {#m, (kind), offsetof(T, m), sizeof(((T *)0)->m), 0, 0}
/** ... written only when set. */
#define WB__FIELD_OPT(T, m, kind) {#m, (kind), offsetof(T, m), sizeof(((T *)0)->m), 0, 1}
/** ... a number that is `dflt` when absent. */
#define WB__FIELD_DFLT(T, m, dflt) {#m, WB__NUM, offsetof(T, m), sizeof(((T *)0)->m), (dflt), 0}

/** Fill the n fields `f` of record `rec` from item `it` (the others are left alone). */
void wb__fields_read(void *rec, const struct wb__field *f, size_t n, const wb_item *it);
/** Set the n fields `f` of record `rec` on item `it`; 0, or non-zero when out of memory. */
int wb__fields_write(wb_item *it, const void *rec, const struct wb__field *f, size_t n);
/** Call fn for every item of partition `pk` (a string) of `table`, in order; fn's first non-zero result. */
int wb__partition_each(wb_db *db, const char *table, const char *pk, wb_visit_fn fn, void *arg);
/** Make the record at `rec` of item `it`: 1, or 0 to pass the item over. */
typedef int (*wb__record_fn)(void *rec, const wb_item *it, void *arg);
/**
 * The records (`size` bytes each) that fn makes of the items of a reserved
 * table, sorted by cmp, into *out (free()) and *count; no table yet: none.
 */
int wb__records_scan(void **out, size_t *count, wb_db *db, const char *table, size_t size,
		     wb__record_fn fn, void *arg, int (*cmp)(const void *, const void *));

/** A new sortable run id ("20261125T100003Z-" + 8 hex digits) into buf (>= 32 bytes). */
void wb__run_id_new(char *buf, size_t size, int64_t now);

/** This host's name ("unknown" when it has none) into buf. */
void wb__host_name(char *buf, size_t size);
/** This process's user: $USER, else the password database's name, else "unknown". */
const char *wb__user_name(void);

/**
 * A new run's record: zeroed, then its migration (version and name are
 * the parts of the file's name), target URL and mode, status "running",
 * started now under a new run id, this host and user, exit code -1.  The
 * caller sets the rest.
 */
void wb__ledger_run_init(wb_ledger_run *r, const char *migration, const char *version,
			 const char *name, const char *target, const char *mode);

/** Write (insert or replace) a run. */
int wb__ledger_put(wb_db *db, const wb_ledger_run *run);
/**
 * For a log several processes write (a job's workers): move *seq up to the
 * clock, in microseconds times 1000 plus `slot` (0-999, the process's own),
 * so that lines sort by time and the lines of one append (at most 1000)
 * never meet another process's.  Called before each append.
 */
void wb__log_seq_clock(int64_t *seq, int slot);

/**
 * Append lines to a run's log, numbered from *seq (advanced by n), in as
 * few items as they fit (one wb_batch_write).
 */
int wb__log_append(wb_db *db, const char *run_id, int64_t *seq,
		   const wb_log_line *lines, size_t n);

#endif /* WB_LEDGER_H */
