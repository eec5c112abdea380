/*
 * strset.h - a set of strings (internal API; implemented in strset.c):
 * open addressing, FNV-1a, grows by doubling.  Used to remember the item
 * keys a revert has handled and the partitions a sampled copy keeps.
 */
#ifndef WB_STRSET_H
#define WB_STRSET_H

#include <stddef.h>

/** A set of strings.  Zero-initialise; free with wb__strset_free. */
typedef struct wb_strset {
	char **slot;  /**< the strings (owned), NULL = empty */
	size_t cap;   /**< slots, a power of two (0 before the first add) */
	size_t n;     /**< strings held */
} wb_strset;

/** Add a copy of `s`: 1 when it was there already, 0 when added, WB_ENOMEM. */
int wb__strset_add(wb_strset *set, const char *s);
/** 1 when `s` is in the set. */
int wb__strset_has(const wb_strset *set, const char *s);
void wb__strset_free(wb_strset *set);

#endif /* WB_STRSET_H */
