/*
 * journal.h - the journal of a run's writes, kept in whimbrel_journal
 * (internal API; implemented in journal.c).
 *
 * One item per write a journaled run made (or was about to make):
 *
 *     run_id  S (partition key)   the run that wrote
 *     seq     S (sort key)        "CCCC|STREAM|NNNNNNNNNNNN": the wb_each call of
 *                                 the run, the stream (scan segment or query)
 *                                 and a counter, so that entries follow the
 *                                 order of the writes (a descending query
 *                                 gives the latest first) and a stream
 *                                 appends at its own end of the table
 *     tbl     S                   the table written
 *     key     M                   the item's key attributes
 *     before  M                   the item before the write; absent when the
 *                                 write created it
 *     after   S                   SHA-256 hex of the item as written
 *                                 (wb__journal_hash), "-" when deleted
 *     ts      N                   Unix milliseconds
 *
 * Entries are written with the write they describe: in the same
 * transaction where batches are atomic (SQLite), before it elsewhere
 * (DynamoDB), so a run killed between the two leaves an entry whose write
 * never happened, never a write without an entry.  Revert tells these
 * apart by the hashes (revert.c).
 */
#ifndef WB_JOURNAL_H
#define WB_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "whimbrel.h"

#define WB_JOURNAL_TABLE "whimbrel_journal"
/** Days a run's journal is kept by default (`journal_days =` in whimbrel.conf). */
#define WB_JOURNAL_DAYS 35
/** Room for a hash: 64 hex digits and the NUL ("-" for an absent item). */
#define WB_JOURNAL_HASH_SIZE 65

/**
 * The SHA-256 hex of an item's content, independent of attribute order,
 * of the order of set members and of a number's spelling ("1.50" = "1.5"),
 * as stores hand items back.  "-" for NULL (an absent item).
 */
int wb__journal_hash(char out[WB_JOURNAL_HASH_SIZE], const wb_item *item);

/** The sort key of an entry: call, stream and counter (buf of at least 1500 bytes). */
void wb__journal_seq(char *buf, size_t size, int call, const char *stream, int64_t n);

/**
 * A new journal entry (caller frees): `before` as read (NULL: the write
 * creates the item), `after` as written (NULL: a delete).  NULL with the
 * error set when out of memory or a key attribute is missing.
 */
wb_item *wb__journal_entry(const char *run_id, const char *seq, const char *table,
			   const wb_key_schema *key, const wb_item *before, const wb_item *after);

/** An entry as read back. */
typedef struct wb_journal_entry {
	char seq[1500];                       /**< sort key */
	char table[WB_NAME_MAX + 1];          /**< table written */
	const wb_item *key;                   /**< key attributes (the entry item's) */
	const wb_item *before;                /**< before-image, NULL when the write created it */
	char after[WB_JOURNAL_HASH_SIZE];     /**< hash of the item written, "-" when deleted */
	int64_t ts;                           /**< Unix milliseconds */
} wb_journal_entry;

/**
 * Read an entry item; pointers in *out are `it`'s (valid while it lives).
 * WB_EINVALID when it is not a well-formed entry.
 */
int wb__journal_parse(wb_journal_entry *out, const wb_item *it);

/** Create whimbrel_journal when it does not exist. */
int wb__journal_ensure(wb_db *db);

/** Delete every entry of run `run_id`; `*deleted` (may be NULL) gets how many. */
int wb__journal_drop_run(wb_db *db, const char *run_id, size_t *deleted);

#endif /* WB_JOURNAL_H */
