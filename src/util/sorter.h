/*
 * sorter.h - records sorted within a fixed memory budget (internal API).
 *
 * A bulk load gets its items in any order and writes them best in the
 * order of the table's clustering key.  A sorter takes (key, value) records
 * one by one, keeps them in memory up to a budget, and beyond it writes
 * sorted runs to one unlinked temporary file (in $TMPDIR, else /tmp); read
 * back, the runs are merged (at most SORTER_FANIN at once, in passes when
 * there are more), so memory stays at the budget whatever the input size.
 * Of records with equal keys only the one added last comes back (a later
 * put of the same key wins).  Without a comparison function the records
 * come back in the order they were added (a spool).  Implemented in sorter.c.
 */
#ifndef WB_SORTER_H
#define WB_SORTER_H

#include <stddef.h>
#include <stdint.h>

/** Order of two keys: <0, 0 (the same key), >0. */
typedef int (*wb__sorter_cmp)(const void *a, size_t alen, const void *b, size_t blen);

typedef struct wb__sorter wb__sorter;

/**
 * A new sorter (*out; free with wb__sorter_free) keeping at most about
 * `budget` bytes of records in memory; cmp NULL keeps the order of adding.
 * cmp must put keys whose first `prefix` bytes (at most 8; zero-padded)
 * differ in the byte order of those: the sort then compares them as one
 * number and calls cmp only for ties.  0 when cmp follows no such rule.
 */
int wb__sorter_new(wb__sorter **out, wb__sorter_cmp cmp, size_t prefix, size_t budget);

/** Add a record (both copied); WB_EIO when the temporary file cannot be written. */
int wb__sorter_add(wb__sorter *s, const void *key, size_t klen, const void *val, size_t vlen);

/** Records added so far (equal keys counted each time). */
uint64_t wb__sorter_added(const wb__sorter *s);

/**
 * End adding: sort, and merge runs down to what one pass reads (the first
 * wb__sorter_next does it otherwise).  0 or a negative code.
 */
int wb__sorter_finish(wb__sorter *s);

/**
 * The next record in order: 1 with *key, *val pointing at it (valid until
 * the next call), 0 at the end, negative on failure.  The first call ends
 * adding (it sorts and merges what it must).
 */
int wb__sorter_next(wb__sorter *s, const void **key, size_t *klen, const void **val, size_t *vlen);

/** Free the sorter and its temporary file (NULL is fine). */
void wb__sorter_free(wb__sorter *s);

#endif /* WB_SORTER_H */
