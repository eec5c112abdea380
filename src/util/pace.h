/*
 * pace.h - the pacer of a migration process (internal; pace.c): how fast
 * the process may spend read units, write units and items, and the totals
 * of the units the service reported it consumed.
 *
 * One pacer per process, shared by every thread and every store handle.
 * Each kind (reads in RCU, writes in WCU, items for --max-rate) is a token
 * bucket kept as a schedule (GCRA): a request asks for its estimate before
 * it goes out and waits its turn; the units the answer reports correct the
 * schedule afterwards.  The rate of a kind is its limit for the whole run
 * divided by the live processes of the run (wb__pace_set_share), times the
 * AIMD factor: throttling halves it (at most once a second, down
 * to 2% of the limit), each second without throttling adds back 5% of the
 * limit; a new limit starts at its full rate.  A kind without a limit is
 * not paced: throttling there is left to the store's retries and their
 * backoff.  While paused, every acquire waits.  Atomic and thread-safe; a stop flag (SIGINT) ends every wait.
 */
#ifndef WB_PACE_H
#define WB_PACE_H

#include <signal.h>

/** What a request spends. */
enum wb__pace_kind {
	WB_PACE_READ = 0,  /**< read capacity units */
	WB_PACE_WRITE = 1, /**< write capacity units */
	WB_PACE_ITEMS = 2, /**< items visited (--max-rate) */
	WB_PACE_KINDS = 3
};

/** The limit of `kind` per second for the whole run (0: none). */
void wb__pace_set_limit(enum wb__pace_kind kind, double per_second);
/** How many live processes share the limits (>= 1). */
void wb__pace_set_share(int processes);
/** Hold (1) or release (0) every acquire. */
void wb__pace_set_paused(int paused);
int wb__pace_paused(void);
/** While *flag is set, acquires return at once (SIGINT: stop after the batch). */
void wb__pace_set_stop(volatile sig_atomic_t *flag);

/**
 * --capacity P%: the percentage of the provisioned capacity of the table a
 * backend should turn into limits (0: none).  The backend that knows the
 * table's capacity passes the result to wb__pace_set_capacity_limit; an
 * explicit limit (wb__pace_set_limit) of a kind wins over it.
 */
void wb__pace_set_capacity_pct(double pct);
double wb__pace_capacity_pct(void);
void wb__pace_set_capacity_limit(enum wb__pace_kind kind, double per_second);

/** Wait until `units` of `kind` may be spent (or pause or stop end). */
void wb__pace_acquire(enum wb__pace_kind kind, double units);
/**
 * The service reported `used` units for a request acquired with `est`:
 * counted in the totals and charged to the schedule.  `slot` (0-7) keeps
 * a running mean per request type for wb__pace_guess.
 */
void wb__pace_consumed(enum wb__pace_kind kind, int slot, double est, double used);
/** The mean units reported for requests of `slot`, or `dflt` before any. */
double wb__pace_guess(int slot, double dflt);
/** The service throttled a request of `kind`: halve its rate. */
void wb__pace_throttled(enum wb__pace_kind kind);
/** The rate `kind` is paced at now, per second for this process (0: not paced). */
double wb__pace_rate(enum wb__pace_kind kind);
/** The units reported consumed so far by this process. */
void wb__pace_totals(double *rcu, double *wcu);

#endif /* WB_PACE_H */
