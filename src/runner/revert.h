/*
 * revert.h - `whimbrel revert RUN`: put back what one journaled run
 * changed (internal part; the API is declared in whimbrel/runner.h).
 *
 * A revert is itself a run in the ledger (whimbrel_runs), of mode
 * `revert` under the reverted run's migration (so that `whimbrel status`
 * and `whimbrel stamp`, which look at dev and prod runs, skip it): it holds the
 * reverted run's migration lease while it works, checkpoints after every
 * journal chunk (an interrupted revert resumes where it stopped), and
 * journals its own writes, so it can be reverted in turn.  Its ledger row
 * carries two more attributes: reverts S (the run it reverts) and
 * reverted_status S (that run's status before, given back to it when the
 * revert itself is reverted).  The reverted run gets status `reverted` and
 * reverted_by S.  The API, wb_revert, is declared in whimbrel/runner.h.
 */
#ifndef WB_REVERT_H
#define WB_REVERT_H

/** Checkpoints of the revert of run R are kept under migration "revert:R". */
#define WB_REVERT_CP_PREFIX "revert:"

#endif /* WB_REVERT_H */
