/*
 * snapshot.h - the snapshots a target keeps for `whimbrel restore`
 * (internal part; the API is in whimbrel/runner.h, the code in snapshot.c).
 */
#ifndef WB_SNAPSHOT_H
#define WB_SNAPSHOT_H

#include <stdint.h>
#include <whimbrel/runner.h>

/** Days a snapshot is kept by default (`snapshot_days =` in whimbrel.conf). */
#define WB_SNAPSHOT_DAYS 14

/**
 * Take the snapshot of the whole store at the start of run `run_id` into
 * the store's snapshot directory (created when absent); *ms gets the time
 * it was taken at (Unix ms), `path` (may be NULL; size bytes) its file.
 * WB_EINVALID when the backend takes none.
 */
int wb__snapshot_take(wb_db *db, const char *run_id, int64_t *ms, char *path, size_t size);

#endif /* WB_SNAPSHOT_H */
