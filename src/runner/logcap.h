/*
 * logcap.h - the stored log of a run, bounded (internal API; logcap.c).
 *
 * child.c hands every captured line to a wb_logcap, which makes it fit to
 * keep and writes it to whimbrel_logs in batches (wb__log_append, where
 * bad UTF-8 bytes become U+FFFD: a line is never refused); the lines of a
 * batch are packed into as few items as fit (WB_LOG_PACK_*), so a batch
 * is one item on any backend unless its lines are long (ledger.h).  A run keeps at most the first
 * WB_LOG_HEAD_LINES lines (WB_LOG_HEAD_BYTES bytes) and the last
 * WB_LOG_TAIL_LINES (WB_LOG_TAIL_BYTES) of its output.  The lines between
 * are counted, not kept, and one runner line in their place says how many
 * lines and bytes were dropped.  Lines longer than WB_LOG_LINE_MAX are cut
 * by child.c with a marker before they get here.
 */
#ifndef WB_LOGCAP_H
#define WB_LOGCAP_H

#include <stddef.h>
#include <stdint.h>
#include "whimbrel.h"

#define WB_LOG_LINE_MAX   (64 * 1024)       /* longest line kept whole (bytes) */
#define WB_LOG_HEAD_LINES 5000              /* lines kept from the start of a run */
#define WB_LOG_HEAD_BYTES (2 * 1024 * 1024) /* ... and at most these bytes */
#define WB_LOG_TAIL_LINES 5000              /* lines kept from the end */
#define WB_LOG_TAIL_BYTES (2 * 1024 * 1024) /* ... and at most these bytes */
#define WB_LOG_BATCH      200               /* lines a write */

typedef struct wb_logcap wb_logcap;

/**
 * A capture for run_id's log in db (NULL: lines are counted, not kept),
 * numbered from *seq (advanced as lines are written; the caller's, must
 * outlive the capture).  Limits of 0 take the defaults above.  Free with
 * wb__logcap_free.
 */
int wb__logcap_new(wb_logcap **out, wb_db *db, const char *run_id, int64_t *seq,
		   size_t head_lines, size_t tail_lines);
/**
 * Lines of a worker (`whimbrel worker`): each is kept with the worker's id
 * and numbered by the clock (wb__log_seq_clock with `slot`), so that the
 * lines of several workers sort by time.  `worker` is the caller's.
 */
void wb__logcap_set_worker(wb_logcap *c, const char *worker, int slot);
/** Take one line (len bytes, any bytes but NUL) of `stream` (a static string). */
void wb__logcap_add(wb_logcap *c, int64_t ts_ms, const char *stream, const char *line, size_t len);
/** Lines queued for the next write (the caller flushes when it likes). */
size_t wb__logcap_queued(const wb_logcap *c);
/** Write the queued lines.  A failed write warns once on stderr and keeps nothing more. */
void wb__logcap_flush(wb_logcap *c);
/** At the run's end: the note of what was dropped and the kept tail, written. */
void wb__logcap_end(wb_logcap *c);
/** Lines taken (kept or dropped) so far. */
int64_t wb__logcap_lines(const wb_logcap *c);
void wb__logcap_free(wb_logcap *c);

#endif /* WB_LOGCAP_H */
