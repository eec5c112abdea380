/*
 * journal_prune.c - the journal's retention: how long a target keeps it
 * (`journal_days =` in the target's section of whimbrel.conf, default
 * WB_JOURNAL_DAYS) and wb_journal_prune, which drops the journal of the
 * runs that finished before a time (`whimbrel prune --journal`).
 *
 * A pruned run's ledger row says journal = false from then on, so that
 * `whimbrel revert` says why it cannot revert it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "journal.h"
#include "ledger.h"

int wb_target_journal_days(int *out, const wb_target_options *o, const char *name)
{
	return wb__target_days(out, o, name, "journal_days", WB_JOURNAL_DAYS);
}

/* Say in the ledger that run `id` has no journal any more. */
static int mark_pruned(wb_db *db, const char *id)
{
	wb_item *k = wb_item_new(), *set = wb_item_new();
	int rc = k && set ? 0 : WB_ENOMEM;

	if (rc == 0 && (rc = wb_item_set_string(k, "run_id", id)) == 0 &&
	    (rc = wb_item_set_bool(set, "journal", 0)) == 0)
		rc = wb_update(db, WB_RUNS_TABLE, k, set, NULL, 0, NULL);
	wb_item_free(k);
	wb_item_free(set);
	return rc == WB_ENOMEM ? wb__oom(db) : rc;
}

int wb_journal_prune(wb_journal_pruned *out, wb_db *db, int64_t before, int dry_run)
{
	wb_ledger_run *runs = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wb_ledger_list(&runs, &n, db, NULL)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		size_t chunks = 0;
		if (!runs[i].journal || runs[i].finished <= 0 || runs[i].finished >= before)
			continue;
		if (!dry_run && (rc = wb__journal_drop_run(db, runs[i].run_id, &chunks)) == 0)
			rc = mark_pruned(db, runs[i].run_id);
		out->runs++;
		out->chunks += chunks;
	}
	wb_ledger_runs_free(runs);
	return rc;
}
