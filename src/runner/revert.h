/*
 * revert.h - `whimbrel revert RUN`: put back what one journaled run
 * changed (internal part; the API is declared in whimbrel/runner.h).
 *
 * A revert is itself a run in the ledger (whimbrel_runs): it holds the
 * reverted run's migration lease while it works, checkpoints after every
 * journal chunk (an interrupted revert resumes where it stopped), and
 * journals its own writes, so it can be reverted in turn.  Its ledger row
 * carries two more attributes: reverts S (the run it reverts) and
 * reverted_status S (that run's status before, given back to it when the
 * revert itself is reverted).  The reverted run gets status `reverted` and
 * reverted_by S.
 */
#ifndef WB_REVERT_H
#define WB_REVERT_H

/** Checkpoints of the revert of run R are kept under migration "revert:R". */
#define WB_REVERT_CP_PREFIX "revert:"

/* ---- the API (to move into whimbrel/runner.h once the runner module is public) ---- */

#include <stdint.h>
#include "whimbrel.h"
#include "ledger.h"

/** What wb_revert reports to its on_item callback. */
typedef enum wb_revert_event {
	WB_REVERT_CONFLICT = 1, /**< the item changed since the run: left alone (or put back with force) */
	WB_REVERT_RESUMED = 2   /**< an interrupted revert of the same run goes on (table, key: "") */
} wb_revert_event;

#define WB_REVERT_OPTIONS_VERSION 1

/** How to revert a run.  Initialize with WB_REVERT_OPTIONS_INIT. */
typedef struct wb_revert_options {
	unsigned int version;   /**< WB_REVERT_OPTIONS_VERSION */
	const char *url;        /**< the target (required) */
	const char *run_id;     /**< the run to revert (required) */
	int dry_run;            /**< count and list, write nothing, record nothing */
	int force;              /**< put back items changed since the run too */
	int progress;           /**< a progress line on stderr */
	volatile int *stop;     /**< NULL, or set (by a signal handler) to stop after the current chunk */
	/** NULL, or called for each conflict (table, key as DynamoDB JSON) and on resuming. */
	void (*on_item)(wb_revert_event ev, const char *table, const char *key_json, void *arg);
	void *arg;              /**< its argument */
} wb_revert_options;

#define WB_REVERT_OPTIONS_INIT {WB_REVERT_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, NULL, NULL, NULL}

/** What a revert did (or, dry, would do). */
typedef struct wb_revert_counts {
	int64_t entries;    /**< journal entries visited */
	int64_t restored;   /**< items given their before-image back */
	int64_t recreated;  /**< items the run had deleted, created again */
	int64_t deleted;    /**< items the run had created, deleted */
	int64_t unchanged;  /**< entries with nothing to do (never written, or already back) */
	int64_t conflicts;  /**< items changed since the run, left alone */
	int64_t forced;     /**< items changed since the run, put back anyway (force) */
} wb_revert_counts;

/**
 * Revert run o->run_id on target o->url (see revert.c): put back the
 * before-images its journal holds, as a run of its own in the ledger
 * (*out, may be NULL: its row), holding the migration's lease; the
 * reverted run's status becomes `reverted`.  Conflicts (items changed since
 * the run) are reported through o->on_item and skipped unless o->force;
 * then the revert's status is `failed`, the run keeps its status, and a
 * second revert (with force) walks the journal again.  *counts (may be
 * NULL) gets what was done.  Returns 0 when the journal was walked to the
 * end (conflicts or not), else WB_ENOTFOUND (no such run), WB_EINVALID
 * (a plan, already reverted), WB_EBUSY (running, or the lease is taken),
 * WB_EINTERRUPTED (o->stop; run it again to resume), or a store error.
 */
int wb_revert(wb_revert_counts *counts, wb_ledger_run *out, const wb_revert_options *o);

#endif /* WB_REVERT_H */
