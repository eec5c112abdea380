/*
 * journal.h - the journal of a run's writes, kept in whimbrel_journal
 * (internal API; implemented in journal.c).
 *
 * The journal records, for every write a journaled run made (or was about
 * to make), the item's key, its before-image and a hash of what was
 * written.  Entries travel in chunks: one item of whimbrel_journal holds
 * the entries of one batch (or one fast page) of one stream, in write
 * order, so that journaling a page costs one more row, not one more row
 * per item (bench/RESULTS.md):
 *
 *     run_id  S (partition key)   the run that wrote
 *     seq     S (sort key)        "CCCC|STREAM|NNNNNNNNNNNN": the wb_each call of
 *                                 the run, the stream (scan segment or query)
 *                                 and a chunk counter, so that chunks follow
 *                                 the order of the writes (a descending
 *                                 query gives the latest first) and a stream
 *                                 appends at its own end of the table
 *     tbl     S                   the table written
 *     n       N                   entries in the chunk
 *     ts      N                   Unix milliseconds
 *     entries B                   the entries, one after the other:
 *         flags   1 byte          1: a before-image follows, 2: deleted
 *         after   64 bytes        SHA-256 hex of the item as written
 *                                 (wb__journal_hash; zeros when deleted)
 *         klen    4 bytes (BE)    then the key attributes, item encoding (codec.h)
 *         blen    4 bytes (BE)    then the before-image, item encoding (when flag 1)
 *
 * A chunk is written with the writes it describes: in the same
 * transaction where batches are atomic (SQLite), before them elsewhere
 * (DynamoDB), so a run killed between the two leaves entries whose writes
 * never happened, never a write without an entry.  Revert tells these
 * apart by the hashes (revert.c).  A chunk stays under
 * WB_JOURNAL_CHUNK_BYTES (DynamoDB's items are at most 400 KB), so an item
 * whose before-image alone is bigger cannot be journaled (the run fails
 * saying so; --no-journal runs it without).
 */
#ifndef WB_JOURNAL_H
#define WB_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "whimbrel.h"
#include "buf.h"

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

/** The sort key of a chunk: call, stream and counter (buf of at least 1500 bytes). */
void wb__journal_seq(char *buf, size_t size, int call, const char *stream, int64_t n);

/** Bytes of entries a chunk holds at most. */
#define WB_JOURNAL_CHUNK_BYTES (300 * 1024)

/** Entries being gathered into a chunk.  Zero-initialise; free with wb__journal_chunk_free. */
typedef struct wb_journal_chunk {
	unsigned char *data; /**< the entries, encoded */
	size_t len, cap;     /**< used, allocated */
	size_t n;            /**< how many entries */
	wb_buf scratch;      /**< for encoding and hashing (kept between entries) */
} wb_journal_chunk;

/**
 * Add the entry of one write: `before` as read (NULL: the write creates
 * the item), `after` as written (NULL: a delete).  Returns 1 when the chunk
 * is now full (write it out with wb__journal_chunk_item, then reset it),
 * 0 otherwise, or a negative error (WB_EINVALID for a before-image too big
 * to journal, a key attribute missing; WB_ENOMEM).
 */
int wb__journal_add(wb_journal_chunk *c, const wb_key_schema *key, const wb_item *before,
		    const wb_item *after);
/** Forget the entries (keeps the memory). */
void wb__journal_chunk_reset(wb_journal_chunk *c);
void wb__journal_chunk_free(wb_journal_chunk *c);

/**
 * The whimbrel_journal item of a chunk (caller frees), or NULL with the
 * error set.
 */
wb_item *wb__journal_chunk_item(const char *run_id, const char *seq, const char *table,
				const wb_journal_chunk *c);

/** One entry as read back. */
typedef struct wb_journal_entry {
	wb_item *key;                         /**< key attributes (owned) */
	wb_item *before;                      /**< before-image (owned), NULL when the write created it */
	char after[WB_JOURNAL_HASH_SIZE];     /**< hash of the item written, "-" when deleted */
} wb_journal_entry;

/** A chunk as read back. */
typedef struct wb_journal_read {
	char seq[1500];                       /**< its sort key */
	char table[WB_NAME_MAX + 1];          /**< table written */
	int64_t ts;                           /**< Unix milliseconds */
	wb_journal_entry *e;                  /**< its entries in write order (owned) */
	size_t n;                             /**< how many */
} wb_journal_read;

/**
 * Decode a chunk item into *out (free with wb__journal_read_clear).
 * WB_EINVALID, saying where, when it is not a well-formed chunk.
 */
int wb__journal_parse(wb_journal_read *out, const wb_item *it);
void wb__journal_read_clear(wb_journal_read *r);

/** Create whimbrel_journal when it does not exist. */
int wb__journal_ensure(wb_db *db);

/** Called with each chunk item of a walk (valid during the call); non-zero stops it. */
typedef int (*wb__journal_fn)(const wb_item *chunk, void *arg);

/**
 * Every chunk of run `run_id` after `start` (a chunk key, or NULL: from
 * the first), in the order of their seq (latest first with descending),
 * `per_page` to a query, through fn.  *seen gets how many chunks fn saw.
 * Returns fn's first non-zero result, a store error (WB_ENOTFOUND: no
 * journal table at all), or 0.
 */
int wb__journal_walk(wb_db *db, const char *run_id, int descending, size_t per_page, const wb_item *start,
		     wb__journal_fn fn, void *arg, size_t *seen);

/** Delete every chunk of run `run_id`; `*deleted` (may be NULL) gets how many. */
int wb__journal_drop_run(wb_db *db, const char *run_id, size_t *deleted);

#endif /* WB_JOURNAL_H */
