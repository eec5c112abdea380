/*
 * retries.h - process-wide counts of the retries the stores made (internal;
 * implemented in retries.c): a backend notes each retry, the runner reads
 * the totals of the migration process into the run's ledger row.  Atomic:
 * any thread may note.
 */
#ifndef WB_RETRIES_H
#define WB_RETRIES_H

#include <stdint.h>

/** Note one retry of a request; `throttled` when the store was throttling. */
void wb__retry_note(int throttled);

/** The retries noted so far in this process, and how many were throttled. */
void wb__retry_totals(uint64_t *retries, uint64_t *throttled);

#endif /* WB_RETRIES_H */
