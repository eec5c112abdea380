/*
 * checkpoint.h - scan checkpoints in whimbrel_checkpoints (internal API).
 *
 * One item per migration and stream (a scan segment, or a query):
 *
 *     migration S (partition key)   "0001_add_price_to_cars"
 *     segment   S (sort key)        "cars|seg0003" (with a key prefix:
 *                                   "cars|PREFIX|seg0003"; a query:
 *                                   "cars|query|PK"), or "cars|meta"
 *     run_id    S                   the run that wrote it last
 *     tbl       S                   the table
 *     last_key  S                   DynamoDB JSON of the last key done ("" = none yet)
 *     done      N                   1 when the stream is finished
 *     total_segments N              segments of the scan (fixed across resumes)
 *     count     N                   items done in this stream, all runs together
 *     written   N                   of those, written back (all runs together)
 *     deleted   N                   of those, deleted (all runs together)
 *     run_scanned, run_written, run_deleted, run_unchanged, run_failed   N
 *                                   the counters of run_id in this stream (since
 *                                   that run took the stream over): committed
 *                                   with the checkpoint, so they always say what
 *                                   the run did, even after kill -9
 *     updated   N                   Unix time of the write (updated_ms: in milliseconds)
 *
 * The "meta" item of a scan fixes its number of segments on the first run,
 * so that a resumed run splits the table the same way.  wb_each writes a
 * stream's checkpoint in the same wb_batch_write as the items of the batch.
 */
#ifndef WB_CHECKPOINT_H
#define WB_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "whimbrel.h"
#include "run.h"

#define WB_CHECKPOINT_TABLE "whimbrel_checkpoints"

/** A checkpoint as read back. */
typedef struct wb_checkpoint {
	wb_item *last_key;       /**< last key done (owned), or NULL */
	int done;                /**< stream finished */
	int64_t total_segments;  /**< segments of the scan */
	int64_t count;           /**< items done so far */
	int64_t written;         /**< of those, written back */
	int64_t deleted;         /**< of those, deleted */
} wb_checkpoint;

/** Release what a checkpoint holds (not the struct). */
void wb__checkpoint_clear_struct(wb_checkpoint *cp);

/**
 * Read the checkpoint of `migration` / `segment`; WB_ENOTFOUND when there
 * is none (also when the table does not exist yet).
 */
int wb__checkpoint_load(wb_db *db, const char *migration, const char *segment, wb_checkpoint *out);

/**
 * A new checkpoint item (caller frees) for a put; `last_key` may be NULL,
 * `counters` (run_id's in this stream) may be NULL for zeros.  NULL with
 * the error set when out of memory.
 */
wb_item *wb__checkpoint_item(const char *migration, const char *segment, const char *run_id,
			     const char *table, const wb_item *last_key, int done,
			     int64_t total_segments, int64_t count, const wb_counters *counters);

/**
 * The counters run `run_id` committed with its checkpoints of `migration`
 * (the sum over the streams it wrote last), into *out; *updated_ms (may be
 * NULL) gets the time of its latest checkpoint in Unix milliseconds, 0
 * when it has none.
 */
int wb__checkpoint_run_counters(wb_db *db, const char *migration, const char *run_id,
				wb_counters *out, int64_t *updated_ms);

/** Add the written and deleted counts of a stream to a checkpoint item; WB_ENOMEM. */
int wb__checkpoint_counts(wb_item *cp, int64_t written, int64_t deleted);

/** Call fn for every checkpoint item of `migration` (none: no call); fn's first non-zero result. */
int wb__checkpoint_each(wb_db *db, const char *migration,
			int (*fn)(wb_db *db, const wb_item *cp, void *arg), void *arg);

/** Delete every checkpoint of `migration`; `*deleted` (may be NULL) gets how many. */
int wb__checkpoint_clear(wb_db *db, const char *migration, size_t *deleted);

/** How many checkpoints `migration` has (0 when the table does not exist). */
int wb__checkpoint_count(wb_db *db, const char *migration, size_t *out);

#endif /* WB_CHECKPOINT_H */
