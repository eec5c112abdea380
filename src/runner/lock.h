/*
 * lock.h - one lease per migration per target, in whimbrel_locks.
 *
 * Item: migration S (partition key), holder S ("host:pid:run_id"), host S,
 * pid N, run_id S, acquired N, expires N, heartbeat N (Unix seconds).
 * Acquired with a conditional put (the item must not exist), or, when the
 * lease expired or its holder is a dead process on this host, taken over
 * with a put conditional on the old holder.  The holder heartbeats it
 * (every lease/3) and deletes it when done.  Lease length: 60 s, or
 * WHIMBREL_LEASE_SECONDS.
 */
#ifndef WB_LOCK_H
#define WB_LOCK_H

#include <stdint.h>
#include "whimbrel.h"
#include <whimbrel/runner.h>

#define WB_LOCKS_TABLE "whimbrel_locks"

/** The lease length in seconds (WHIMBREL_LEASE_SECONDS or 60). */
int wb__lease_seconds(void);

/**
 * Take the lease of `migration` for `run_id` (this host and process).
 * WB_EBUSY (message naming the holder and since when) when another live
 * holder has it.  When a stale lease was taken over, `*taken_over` (may be
 * NULL) gets the old lease (taken_over->holder[0] != 0).
 */
int wb__lock_acquire(wb_db *db, const char *migration, const char *run_id, wb_lease *taken_over);
/** Extend our lease; WB_ECONDITION if someone else holds it now. */
int wb__lock_heartbeat(wb_db *db, const char *migration, const char *run_id);
/** Release our lease (no-op if we no longer hold it). */
int wb__lock_release(wb_db *db, const char *migration, const char *run_id);

#endif /* WB_LOCK_H */
