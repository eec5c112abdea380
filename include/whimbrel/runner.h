/*
 * whimbrel/runner.h - the migration runner of libwhimbrel (public API).
 *
 * What runs a migration file on a target and what reads back what it left:
 *
 *   - targets: a named target ("dev", "prod", any [section] of
 *     whimbrel.conf) resolved to a URL and opened;
 *   - migration files: names (NNNN_slug.c), the files of a directory, the
 *     header comment with its Execution / Finalization times (parsed
 *     without compiling anything, stamped atomically);
 *   - the ledger kept in the target: one row per run (whimbrel_runs), the
 *     captured output of each run (whimbrel_logs), the lease of a running
 *     migration (whimbrel_locks);
 *   - jobs (whimbrel_jobs): migrations scheduled to run on the target, and
 *     the workers that run them on any number of machines;
 *   - the run itself: wb_runner_run compiles the file, takes the lease,
 *     resumes from checkpoints, runs the program as a child process while
 *     capturing its output into the ledger, records how it ended and stamps
 *     the header (`whimbrel run`, `whimbrel plan`); wb_worker_run runs the
 *     due jobs, one scan segment at a time (`whimbrel worker`).
 *   - reverting a run: wb_revert puts back what a journaled run changed
 *     (whimbrel_journal), as a run of its own in the ledger.
 *
 * Conventions are those of whimbrel.h: 0 or a negative WB_E* code with the
 * message in wb_error_last(); output parameters first; what comes back
 * through `**out` is the caller's to free with the function named in its
 * comment; option structs start with a version and have an _INIT macro.
 * Nothing here prints, except wb_runner_run (the child's output and the
 * runner's notes, see there).
 */
#ifndef WHIMBREL_RUNNER_H
#define WHIMBREL_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <whimbrel.h>

#ifndef WB_EXTERN
#define WB_EXTERN __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------- targets */

#define WB_TARGET_OPTIONS_VERSION 1

/** How to resolve a named target.  Initialize with WB_TARGET_OPTIONS_INIT. */
typedef struct wb_target_options {
	unsigned int version; /**< WB_TARGET_OPTIONS_VERSION */
	const char *config;   /**< configuration file, or NULL for whimbrel.conf (may be absent) */
	const char *db_url;   /**< a URL that overrides everything (--db), or NULL */
} wb_target_options;

#define WB_TARGET_OPTIONS_INIT {WB_TARGET_OPTIONS_VERSION, NULL, NULL}

/**
 * The URL of target `name`, first match wins: o->db_url; the environment
 * (WHIMBREL_<NAME>_DB, upper case, '-' and '.' as '_'); `db =` of [name]
 * in the configuration file; for "dev" only, sqlite:.whimbrel/dev.db.
 * *out is the caller's (wb_string_free).  WB_ENOTFOUND when the target is not
 * configured (the message says how to configure it), WB_EINVALID for a
 * bad name or configuration.
 */
WB_EXTERN int wb_target_url(char **out, const wb_target_options *o, const char *name);

/**
 * Whether writes to target `name` ask for confirmation: its `confirm =`
 * setting, by default 1 for "prod" and 0 otherwise; 1 when in doubt (an
 * unreadable configuration).  Never fails.
 */
WB_EXTERN int wb_target_confirm(const wb_target_options *o, const char *name);

/**
 * Target `name`'s `concurrency =` setting (DynamoDB requests in flight per
 * process, 1 to 256) into *out, 0 when not set.  WB_EINVALID for a bad value.
 */
WB_EXTERN int wb_target_concurrency(int *out, const wb_target_options *o, const char *name);

/**
 * Resolve and open target `name` (creating the .whimbrel directory of the
 * embedded default).  *out is the caller's (wb_close).
 */
WB_EXTERN int wb_target_open(wb_db **out, const wb_target_options *o, const char *name);

/* ------------------------------------------------------- migration files */

/** The parts of a migration's file name ("dir/0001_add_price.c"). */
typedef struct wb_migration_id {
	char name[256];    /**< base name without .c: "0001_add_price" */
	char version[32];  /**< its leading digits: "0001" ("" without) */
	char slug[256];    /**< the rest: "add_price" */
} wb_migration_id;

/**
 * Split a path into a wb_migration_id; WB_EINVALID when it does not end in
 * ".c" or its file name holds a control character.
 */
WB_EXTERN int wb_migration_id_parse(wb_migration_id *out, const char *path);

/**
 * True when `name` (a file name) is NNNN_slug.c: at least four digits,
 * "_", a slug of [a-z0-9_], ".c".  *number (may be NULL) gets the number.
 */
WB_EXTERN int wb_migration_name_ok(unsigned long *number, const char *name);

/** wb_migration_list flag: also names that are not regular files (lint reports them). */
#define WB_MIGRATION_LIST_ALL 1u

/**
 * The file names (with ".c", without the directory) of the regular,
 * non-hidden *.c files of `dir`, sorted.  *out is a NULL-terminated array
 * (wb_strings_free), *count its length.  WB_ENOTFOUND when dir does not
 * exist, WB_EIO when it cannot be read.
 */
WB_EXTERN int wb_migration_list(char ***out, size_t *count, const char *dir, unsigned flags);

/** mkdir -p: `path` and its missing parents (mode 0755).  WB_EIO with the path in the message. */
WB_EXTERN int wb_mkdirs(const char *path);

/**
 * Create whimbrel's state directory (`.whimbrel`: the dev database, the
 * compile cache) like wb_mkdirs; when it is new, put in it a .gitignore
 * that keeps all of it out of version control.  0 when it exists already.
 */
WB_EXTERN int wb_state_dir_make(const char *dir);

/* ---------------------------------------------------- the header comment */

/*
 * A migration starts with a block comment holding its description and
 * pairs of lines "Execution Time: 2026-11-25 at 10:00:03 UTC" /
 * "Finalization Time: ..." (docs/header-grammar.md).
 */

/** One Execution/Finalization pair of a header. */
typedef struct wb_header_run {
	time_t exec;         /**< Execution Time, or 0 when empty */
	time_t fin;          /**< Finalization Time, or 0 when empty */
	int exec_line;       /**< 1-based line of "Execution Time:" (0 if missing) */
	int fin_line;        /**< 1-based line of "Finalization Time:" (0 if missing) */
	char note[64];       /**< text after the time in parentheses, e.g. "failed", or "" */
} wb_header_run;

/** One grammar problem found while parsing (for lint). */
typedef struct wb_header_problem {
	int line;            /**< 1-based line */
	char msg[160];       /**< one-line message */
} wb_header_problem;

/** A parsed header.  Opaque; free with wb_header_free. */
typedef struct wb_header wb_header;

/**
 * Parse a header from file contents.  Never fails on malformed text:
 * problems are listed (wb_header_problem_at).  WB_EINVALID (with *out set
 * and the problem listed) when no header comment opens the text; WB_ENOMEM.
 */
WB_EXTERN int wb_header_parse(wb_header **out, const char *text, size_t len);
/** Read and parse a file; WB_EIO (and *out NULL) when it cannot be read. */
WB_EXTERN int wb_header_parse_file(wb_header **out, const char *path);
/** Free a header (NULL is a no-op); every pointer it handed out dies with it. */
WB_EXTERN void wb_header_free(wb_header *h);

/** The description (lines joined by spaces), or "".  Valid until wb_header_free. */
WB_EXTERN const char *wb_header_description(const wb_header *h);
/** How many time pairs the header holds. */
WB_EXTERN size_t wb_header_run_count(const wb_header *h);
/** The i-th pair in file order (i < wb_header_run_count).  Valid until wb_header_free. */
WB_EXTERN const wb_header_run *wb_header_run_at(const wb_header *h, size_t i);
/** How many grammar problems were found. */
WB_EXTERN size_t wb_header_problem_count(const wb_header *h);
/** The i-th problem.  Valid until wb_header_free. */
WB_EXTERN const wb_header_problem *wb_header_problem_at(const wb_header *h, size_t i);
/** The latest Finalization Time, or 0 (also for NULL). */
WB_EXTERN time_t wb_header_last_finalization(const wb_header *h);

/**
 * Stamp a run into the file at `path`: fill the first empty pair, or add a
 * pair after the last one; `status` is noted in parentheses after the
 * finalization time unless it is NULL or "succeeded".  Atomic (temporary
 * file, fsync, rename); changes nothing else in the file.
 */
WB_EXTERN int wb_header_stamp(const char *path, time_t exec, time_t fin, const char *status);

/** A time as the header writes it: "2026-11-25 at 10:00:03 UTC" (buf: 32 bytes or more). */
WB_EXTERN void wb_time_format(char *buf, size_t size, time_t t);
/** Parse exactly that format; WB_EINVALID otherwise. */
WB_EXTERN int wb_time_parse(time_t *out, const char *text);

/* ---------------------------------------------------------------- the ledger */

/**
 * One run as recorded in whimbrel_runs (docs/migrations.md lists the
 * attributes).  A plain value: every text is a NUL-terminated array.
 */
typedef struct wb_ledger_run {
	char run_id[64];       /**< sortable run id: "20261125T100003Z-1a2b3c4d" */
	char migration[256];   /**< file base name without .c */
	char version[32];      /**< leading number, "0001" */
	char name[256];        /**< slug after the number */
	char checksum[65];     /**< SHA-256 hex of the source */
	char target[512];      /**< target URL */
	char mode[8];          /**< dev, prod or plan */
	char status[16];       /**< running, succeeded, failed, interrupted, reverted */
	int64_t started;       /**< Unix seconds */
	int64_t finished;      /**< Unix seconds, 0 while running */
	int64_t duration_ms;   /**< run time */
	char host[256];        /**< host name of the runner */
	char user[64];         /**< user of the runner */
	int exit_code;         /**< the program's exit status (-1 while running) */
	int64_t scanned, written, deleted, unchanged, failed; /**< counters */
	int64_t retries;           /**< requests the store retried (throttling, 5xx, dropped connections) */
	int64_t throttled;         /**< of them, after the store throttled */
	int64_t conditions_failed; /**< writes whose condition failed: the item changed since it was read */
	char error[512];       /**< message of a failure, or "" */
	int journal;           /**< 1 when its writes were journaled (whimbrel_journal: revertible) */
	char commit[41];       /**< prod: git commit the migration came from ("" outside git) */
	char dirty[128];       /**< prod: why --allow-dirty was needed ("not committed"...), or "" */
	char job_id[64];       /**< the job this run is an attempt of (`whimbrel worker`), or "" */
	int unconditional;     /**< 1 when its writes went without conditions (--unconditional) */
	double rcu_consumed;   /**< read capacity units the store reported (DynamoDB), migration's tables */
	double wcu_consumed;   /**< write capacity units the store reported (DynamoDB), migration's tables */
	int snapshot;          /**< 1 when a snapshot of the target was taken at its start (restore) */
	double rcu_estimate;   /**< read units estimated for it on DynamoDB: a plan's own, a run's
	                            from the last plan of the same source on the target (0: none) */
	double wcu_estimate;   /**< write units likewise, index writes included (0: none) */
	int64_t verify_checked; /**< items its verify callbacks checked (wb_verify; 0: none) */
	int64_t verify_failed; /**< of them, items that failed: status "verify failed" */
	char verify_keys[1024]; /**< JSON array of the first keys that failed (up to 10), or "" */
	char verifies[64];     /**< a `whimbrel verify` run (mode verify): the run it verified */
} wb_ledger_run;

/** Read run `run_id` into *out; WB_ENOTFOUND when there is none. */
WB_EXTERN int wb_ledger_get(wb_ledger_run *out, wb_db *db, const char *run_id);

/**
 * Every run (of `migration` only when not NULL), oldest first.  *out is
 * the caller's (wb_ledger_runs_free), *count its length.  No ledger yet is
 * an empty list.
 */
WB_EXTERN int wb_ledger_list(wb_ledger_run **out, size_t *count, wb_db *db, const char *migration);
/** Free what wb_ledger_list returned (NULL is a no-op). */
WB_EXTERN void wb_ledger_runs_free(wb_ledger_run *runs);

/** One captured line of a run's output (whimbrel_logs). */
typedef struct wb_log_line {
	int64_t ts_ms;       /**< when, Unix milliseconds */
	const char *stream;  /**< stdout, stderr, info, warn, error, runner */
	const char *line;    /**< the text, without newline */
	const char *worker;  /**< the worker that wrote it (`whimbrel worker --id`), or NULL */
	int64_t seq;         /**< its number in the log (read back only; unique within the run) */
} wb_log_line;

/** Called for each log line; the line is valid during the call only.  Non-zero stops. */
typedef int (*wb_log_fn)(const wb_log_line *line, void *arg);

/** Call `fn` for every log line of run `run_id` in order; returns fn's first non-zero result. */
WB_EXTERN int wb_ledger_log_each(wb_db *db, const char *run_id, wb_log_fn fn, void *arg);

/** A migration's lease as stored in whimbrel_locks. */
typedef struct wb_lease {
	char migration[256];   /**< what is locked */
	char holder[384];      /**< host:pid:run_id */
	char host[256];        /**< holder's host */
	int64_t pid;           /**< holder's process id */
	char run_id[64];       /**< holder's run */
	int64_t acquired;      /**< Unix seconds */
	int64_t expires;       /**< Unix seconds */
	int64_t heartbeat;     /**< Unix seconds */
} wb_lease;

/** Read the lease of `migration`; WB_ENOTFOUND when it is not locked. */
WB_EXTERN int wb_lock_get(wb_lease *out, wb_db *db, const char *migration);
/**
 * 1 when lease `l` has lost its holder: it expired, or its holder is a
 * process of this host that no longer exists (the next run takes it
 * over); 0 while its holder may be alive.
 */
WB_EXTERN int wb_lease_stale(const wb_lease *l);
/** Delete the lease of `migration` whoever holds it (`whimbrel unlock`). */
WB_EXTERN int wb_lock_break(wb_db *db, const char *migration);

/* ---------------------------------------------------------------- running */

#define WB_RUN_OPTIONS_VERSION 3 /* 2: journal, commit, dirty; 3: unconditional, control, snapshot */

/** Decides, once the migration compiled and the target is open, whether to go on. */
typedef int (*wb_confirm_fn)(wb_db *db, const wb_migration_id *m, const char *url, void *arg);

/** How to run a migration.  Initialize with WB_RUN_OPTIONS_INIT, then set what you need. */
typedef struct wb_run_options {
	unsigned int version;   /**< WB_RUN_OPTIONS_VERSION */
	const char *path;       /**< the migration file (required) */
	const char *url;        /**< the target's URL (required) */
	const char *mode;       /**< "dev" or "prod" (the ledger's mode; prod stamps the header) */
	int plan;               /**< record writes instead of making them (mode "plan") */
	int restart;            /**< ignore the checkpoints of an interrupted run */
	int no_stamp;           /**< prod: do not write the run's times into the header */
	int threads;            /**< threads for wb_each (0: the library's default) */
	int diffs;              /**< plan: how many before/after diffs to print */
	int progress;           /**< draw a progress line on stderr */
	wb_confirm_fn confirm;  /**< NULL, or: return 0 to go on, a negative code to stop */
	void *confirm_arg;      /**< its argument */
	volatile int *stop;     /**< NULL, or set (from another thread) to stop as on Ctrl-C */
	const char *source;     /**< NULL, or the source itself (a job's): `path` only names it */
	size_t source_len;      /**< its length */
	int journal;            /**< journal the writes (revertible): 1 yes, 0 no (--no-journal),
	                             -1 the default: prod yes, dev no */
	const char *commit;     /**< NULL, or the git commit of the file (the ledger records it) */
	const char *dirty;      /**< NULL, or why the file was run although not committed (--allow-dirty) */
	int unconditional;      /**< wb_each writes without conditions (--unconditional: BatchWriteItem on
	                             DynamoDB, overwriting concurrent writes); the ledger records it */
	const struct wb_run_control *control; /**< NULL, or the run's first limits (--max-wcu...):
	                                           written as its control row before it starts */
	int snapshot;           /**< prod on a backend that takes snapshots: take one of the whole
	                             target at the start (restore): 1 or -1 yes, 0 no (--no-snapshot) */
	const char *verifies;   /**< NULL, or a run id: run the program again in verify-only mode
	                             (mode "verify": wb_each does nothing, writes are intercepted, the
	                             wb_verify checks run; its own checkpoints; `whimbrel verify`) */
	int plan_quiet;         /**< plan: the program prints no report (the caller prints one from
	                             the ledger row: `plan --json`) */
} wb_run_options;

#define WB_RUN_OPTIONS_INIT {WB_RUN_OPTIONS_VERSION, NULL, NULL, "dev", 0, 0, 0, 0, 10, 0, \
			     NULL, NULL, NULL, NULL, 0, -1, NULL, NULL, 0, NULL, -1, NULL, 0}

/**
 * Run the migration o->path (or the source o->source, named by o->path:
 * a job's, as a worker got it from the target) on the target o->url.  In
 * order: compile it
 * against the installed library (cached under .whimbrel/build/), call
 * o->confirm, create the whimbrel_* tables, record the run, take the
 * migration's lease (not for a plan), resume from checkpoints or start
 * over, run the program as a child process while heartbeating the lease,
 * then record how it ended, release the lease, clear the checkpoints of a
 * finished run and, for prod, stamp the header.
 *
 * Returns 0 when the program ran, whatever became of it: *out (may be
 * NULL) gets the ledger row, whose status is succeeded, failed or
 * interrupted.  A negative code when it could not run: WB_EBUSY (another
 * run holds the lease), WB_EINVALID (not a migration file, does not
 * compile), confirm's code, or the store's error; the message is in
 * wb_error_last().
 *
 * Prints: the child's stdout and stderr go to ours (and to whimbrel_logs),
 * the compiler's messages to stderr, and the runner's notes ("whimbrel:
 * resuming run ...", the summary) to stderr and the run's log.  Installs
 * handlers for SIGINT, SIGTERM and SIGHUP that forward them to the child.
 */
WB_EXTERN int wb_runner_run(wb_ledger_run *out, const wb_run_options *o);

/* ------------------------------------------------------------- estimates */

/**
 * DynamoDB prices: the file share/whimbrel/prices.ini installed beside the
 * command, or the user's copy (docs/operations.md).  A plain value.
 */
typedef struct wb_prices {
	char path[1024];        /**< the file they were read from */
	char date[32];          /**< when they were published ("2024-11-01") */
	char region[64];        /**< the region they are for ("us-east-1") */
	char currency[8];       /**< "USD" */
	double write_million;   /**< on demand: per million write request units */
	double read_million;    /**< on demand: per million read request units */
	double wcu_hour;        /**< provisioned: per write capacity unit and hour */
	double rcu_hour;        /**< provisioned: per read capacity unit and hour */
} wb_prices;

/**
 * Read the prices of file `path` (NULL: the installed prices.ini).
 * WB_ENOTFOUND when there is no such file; WB_EINVALID, with a
 * "FILE:LINE: what" message, when a key is missing, unknown or not a price.
 */
WB_EXTERN int wb_prices_load(wb_prices *out, const char *path);

/** The time and cost of a run that consumes `rcu` read and `wcu` write units. */
typedef struct wb_estimate {
	double rcu, wcu;          /**< the units */
	double max_rcu, max_wcu;  /**< the limits per second (0: none) */
	double seconds;           /**< the time at the limits: the longer of reads and writes;
	                               -1 without any limit */
	double on_demand;         /**< cost at on-demand prices */
	double provisioned_hour;  /**< cost of one hour of the limits provisioned */
	double hours;             /**< hours billed for the run provisioned (whole hours; -1 unknown) */
	double provisioned;       /**< cost of those hours (-1 unknown) */
} wb_estimate;

/** Compute an estimate from units, prices and limits (0: no limit).  Never fails. */
WB_EXTERN void wb_estimate_compute(wb_estimate *out, const wb_prices *p, double rcu, double wcu,
				   double max_rcu, double max_wcu);

/**
 * The `prices =` setting of target `name` in the configuration file:
 * *out (wb_string_free) is the file, or NULL when it has none.
 */
WB_EXTERN int wb_target_prices(char **out, const wb_target_options *o, const char *name);

/* ------------------------------------------------------------- reverting */


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
 * Revert run o->run_id on target o->url (docs/restore.md): put back the
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
WB_EXTERN int wb_revert(wb_revert_counts *counts, wb_ledger_run *out, const wb_revert_options *o);

/** The journal's retention in days for target `name`: its `journal_days =` in the
 * configuration file, else 35.  WB_EINVALID for a bad value (*out is 35 then). */
WB_EXTERN int wb_target_journal_days(int *out, const wb_target_options *o, const char *name);

/** What wb_journal_prune dropped (or, dry, would drop). */
typedef struct wb_journal_pruned {
	int64_t runs;     /**< runs whose journal went */
	int64_t chunks;   /**< whimbrel_journal items deleted (0 when dry) */
} wb_journal_pruned;

/**
 * Drop the journal of every run of the ledger that finished before
 * `before` (Unix seconds); their rows then say journal = false, and they
 * can no longer be reverted.  With dry_run, count only.
 */
WB_EXTERN int wb_journal_prune(wb_journal_pruned *out, wb_db *db, int64_t before, int dry_run);

/* ------------------------------------------------- snapshots and restore */

/*
 * History for `whimbrel restore` (docs/restore.md).  An embedded (SQLite)
 * target keeps snapshots: a copy of the whole store taken at the start of
 * each prod run (unless --no-snapshot), in "DB.snapshots/" beside the
 * file; with the journal of the runs after one, they give the tables as
 * they were at a time.  DynamoDB keeps its own history (point-in-time
 * recovery, wb_pitr_*).
 */

/** One snapshot of a target.  A plain value. */
typedef struct wb_snapshot {
	char path[4400];       /**< its file */
	char run_id[64];       /**< the prod run that took it, at its start */
	int64_t taken_ms;      /**< when (Unix ms) */
	int64_t bytes;         /**< its size */
} wb_snapshot;

/**
 * The snapshots of target `db`, oldest first: *out (wb_snapshots_free),
 * *count its length; none yet is an empty list.  WB_EINVALID for a backend
 * that takes none.
 */
WB_EXTERN int wb_snapshot_list(wb_snapshot **out, size_t *count, wb_db *db);
/** Free what wb_snapshot_list returned (NULL is a no-op). */
WB_EXTERN void wb_snapshots_free(wb_snapshot *s);

/** What wb_snapshot_prune deleted (or, dry, would delete). */
typedef struct wb_snapshot_pruned {
	int64_t snapshots;  /**< files */
	int64_t bytes;      /**< their size */
} wb_snapshot_pruned;

/** Delete the snapshots taken before `before` (Unix seconds); with dry_run, count only. */
WB_EXTERN int wb_snapshot_prune(wb_snapshot_pruned *out, wb_db *db, int64_t before, int dry_run);

/** The snapshots' retention in days for target `name`: `snapshot_days =`, else 14. */
WB_EXTERN int wb_target_snapshot_days(int *out, const wb_target_options *o, const char *name);

#define WB_RESTORE_OPTIONS_VERSION 1

/** What to restore.  Initialize with WB_RESTORE_OPTIONS_INIT. */
typedef struct wb_restore_options {
	unsigned int version;   /**< WB_RESTORE_OPTIONS_VERSION */
	const char *url;        /**< the target (required) */
	const char *table;      /**< the table to restore (required) */
	const char *into;       /**< the new table (required; must not exist) */
	const char *to;         /**< the time: RFC 3339 ("2026-11-27T10:00:03Z", a fraction and an
	                             offset allowed), or a run id: just before that run; NULL with latest */
	int latest;             /**< DynamoDB: the latest restorable time instead of `to` */
	int progress;           /**< embedded: a progress line on stderr while the snapshot's table is copied */
	volatile int *stop;     /**< NULL, or set to stop waiting (DynamoDB goes on restoring) */
	/** NULL, or called with a progress line while the new table is created. */
	void (*on_progress)(const char *line, void *arg);
	void *arg;              /**< its argument */
} wb_restore_options;

#define WB_RESTORE_OPTIONS_INIT {WB_RESTORE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL}

/** What a restore did. */
typedef struct wb_restore_result {
	int64_t asked_ms;       /**< the time asked for (Unix ms; 0 for latest) */
	int64_t point_ms;       /**< the point in time restored */
	int exact;              /**< 1 when point_ms is the time asked for (or a run's start) */
	char how[1024];         /**< one line: what the restored table was made from, and why the
	                             point is not the time asked for when it is not */
	int64_t replayed;       /**< embedded: journal entries applied after the snapshot */
	int64_t items;          /**< embedded: items in the new table */
} wb_restore_result;

/**
 * Restore table o->table as it was at o->to into the new table o->into
 * of the same target (docs/restore.md).  Embedded: from the latest
 * snapshot at or before the time and the journal of the runs after it.
 * DynamoDB: RestoreTableToPointInTime, waiting until the table is ACTIVE.
 * Never silently older: *out says the point restored (exact = 0 and why,
 * in how, when it is not the time asked for).  WB_ENOTFOUND (no such
 * table or run; no snapshot at or before the time: the message names the
 * nearest points), WB_EEXISTS (o->into exists), WB_EINVALID (a bad time;
 * outside DynamoDB's restorable window: the message names it; recovery
 * not enabled), WB_EINTERRUPTED (o->stop while waiting), or a store error.
 */
WB_EXTERN int wb_restore(wb_restore_result *out, const wb_restore_options *o);

/** A table's history, as `whimbrel pitr status` shows it. */
typedef struct wb_pitr_info {
	int enabled;            /**< restorable: DynamoDB's recovery on, or snapshots kept */
	char status[32];        /**< DynamoDB: ENABLED, DISABLED...; embedded: "SNAPSHOTS" or "NONE" */
	int64_t earliest_ms;    /**< the earliest restorable time (Unix ms), 0 when none */
	int64_t latest_ms;      /**< the latest: DynamoDB's; embedded: now (the journal goes on) */
	int64_t snapshots;      /**< embedded: how many snapshots */
} wb_pitr_info;

/** The history of `table` on `db` (DescribeContinuousBackups on DynamoDB). */
WB_EXTERN int wb_pitr_status(wb_pitr_info *out, wb_db *db, const char *table);
/** Turn DynamoDB's point-in-time recovery on (UpdateContinuousBackups); WB_EINVALID elsewhere. */
WB_EXTERN int wb_pitr_enable(wb_db *db, const char *table);

/* ---------------------------------------------------------------- copying */

#define WB_COPY_OPTIONS_VERSION 1

/** What to copy where.  Initialize with WB_COPY_OPTIONS_INIT. */
typedef struct wb_copy_options {
	unsigned int version;    /**< WB_COPY_OPTIONS_VERSION */
	const char *from_url;    /**< the source target (required) */
	const char *to_url;      /**< the destination target, or NULL: the same */
	const char *src;         /**< source table (required) */
	const char *dst;         /**< destination table (required; created like src when absent) */
	const char *keys_of_run; /**< NULL, or only the items this run touched (from its journal) */
	int only_missing;        /**< write only items dst does not hold (else overwrite) */
	int progress;            /**< a progress line on stderr */
	volatile int *stop;      /**< NULL, or set to stop after the current page */
	int64_t sample;          /**< > 0: only the items of the first `sample` partition keys met
	                              (whole partitions; such a copy starts over, it does not resume) */
	double fraction;         /**< in (0, 1): only the partitions whose key hashes below it */
	const char *const *mask; /**< attribute names whose values become stable fakes of the same type */
	size_t nmask;            /**< how many */
} wb_copy_options;

#define WB_COPY_OPTIONS_INIT {WB_COPY_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, \
			      0, 0, NULL, 0}

/** What a copy did. */
typedef struct wb_copy_counts {
	int64_t read;          /**< items (or journal entries) read, this and earlier attempts */
	int64_t written;       /**< items written into dst by this attempt */
	int64_t skipped;       /**< only_missing: items dst held already */
	int64_t deleted;       /**< keys_of_run: items src does not hold, deleted from dst */
	int64_t left_out;      /**< sample / fraction: items of partitions not kept */
	int created_table;     /**< dst was created */
	int resumed;           /**< went on from an interrupted copy's checkpoint */
} wb_copy_counts;

/**
 * Copy table o->src of o->from_url into o->dst of o->to_url (docs/restore.md):
 * page by page, checkpointed in the destination target, so that the same
 * call after an interruption goes on where it stopped.  With keys_of_run,
 * only the items that run touched: written from src, or deleted from dst
 * when src does not hold them.  *out (may be NULL) gets the counters.
 * WB_EINTERRUPTED when o->stop was set (call again to resume).
 */
WB_EXTERN int wb_copy(wb_copy_counts *out, const wb_copy_options *o);

#define WB_CLONE_OPTIONS_VERSION 1

/** What to clone.  Initialize with WB_CLONE_OPTIONS_INIT. */
typedef struct wb_clone_options {
	unsigned int version;      /**< WB_CLONE_OPTIONS_VERSION */
	const char *from_url;      /**< the source target (required), e.g. prod's */
	const char *to_url;        /**< the destination target (required), e.g. dev's */
	const char *const *tables; /**< the tables, or NULL: every table but whimbrel_* */
	size_t ntables;            /**< how many */
	int64_t sample;            /**< as wb_copy_options.sample, per table */
	double fraction;           /**< as wb_copy_options.fraction */
	const char *const *mask;   /**< as wb_copy_options.mask */
	size_t nmask;              /**< how many */
	int progress;              /**< a progress line on stderr */
	volatile int *stop;        /**< NULL, or set to stop after the current page */
	/** NULL, or called after each table with what its copy did. */
	void (*on_table)(const char *table, const wb_copy_counts *c, void *arg);
	void *arg;                 /**< its argument */
} wb_clone_options;

#define WB_CLONE_OPTIONS_INIT {WB_CLONE_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, \
			       NULL, NULL, NULL}

/**
 * Replace each table of the destination by a copy of the source's (dropped
 * first, then wb_copy with the sample and the mask), for realistic dry
 * runs.  WB_EINVALID when the two targets are one.
 */
WB_EXTERN int wb_clone(const wb_clone_options *o);
/* ------------------------------------------------------------------ jobs */

/*
 * A job is a migration scheduled to run on the target by workers
 * (`whimbrel schedule`, `whimbrel worker`), kept in the target's
 * whimbrel_jobs table with the migration's source.  Its scan is cut into
 * segments that workers claim one at a time.  Times are Unix seconds, UTC.
 */

/** Segments of a job at most (the scan's limit). */
#define WB_JOB_MAX_SEGMENTS 256

/** A job as stored (without its source: wb_job_source).  A plain value. */
typedef struct wb_job {
	char job_id[64];       /**< "job-20261127T180000Z-1a2b3c4d" */
	char migration[256];   /**< file base name without .c */
	char file[512];        /**< the path it was scheduled from */
	char target[64];       /**< the target's name ("prod") */
	char checksum[65];     /**< SHA-256 hex of the source */
	char commit[41];       /**< git commit the source came from, "" outside git */
	char dirty[128];       /**< why --allow-dirty was needed, "" when it was not */
	char created_by[320];  /**< user@host */
	char status[16];       /**< scheduled, running, succeeded, failed, timed out, cancelled */
	char run_id[64];       /**< the ledger run of the latest attempt, "" before the first */
	char error[512];       /**< why it failed, or "" */
	int64_t at;            /**< due */
	int64_t created;       /**< when scheduled */
	int64_t started;       /**< when the latest attempt started, 0 before */
	int64_t finished;      /**< when it ended, 0 before */
	int64_t timeout_s;     /**< stop an attempt after this long (0: never) */
	int workers;           /**< worker processes it is meant for */
	int segments;          /**< scan segments the workers claim */
	int attempts;          /**< attempts allowed */
	int attempt;           /**< attempts started */
} wb_job;

#define WB_JOB_OPTIONS_VERSION 2 /* 2: control */

/** What to schedule.  Initialize with WB_JOB_OPTIONS_INIT. */
typedef struct wb_job_options {
	unsigned int version;  /**< WB_JOB_OPTIONS_VERSION */
	const char *path;      /**< the migration file's path: names the job (required) */
	const char *source;    /**< its source (required) */
	size_t source_len;     /**< its length */
	const char *target;    /**< the target's name (required) */
	const char *commit;    /**< git commit of the file, or NULL */
	const char *dirty;     /**< NULL, or why the file was scheduled although not committed */
	int64_t at;            /**< when it is due (0: now) */
	int workers;           /**< worker processes (1 to WB_JOB_MAX_SEGMENTS) */
	int segments;          /**< scan segments (0: 4 per worker, at most WB_JOB_MAX_SEGMENTS) */
	int attempts;          /**< attempts (>= 1) */
	int64_t timeout_s;     /**< per attempt, 0 for none */
	const struct wb_run_control *control; /**< NULL, or the job's limits (--max-wcu...): its
	                                           control row, written before the job can be claimed */
} wb_job_options;

#define WB_JOB_OPTIONS_INIT {WB_JOB_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL, NULL, 0, 1, 0, 1, 0, NULL}

/**
 * Record a new job (status scheduled) in whimbrel_jobs, creating the table
 * on first use; its limits (o->control) first, so that no worker claims a
 * segment of it before they hold.  *out (may be NULL) gets it.  WB_EINVALID for bad options.
 */
WB_EXTERN int wb_job_add(wb_job *out, wb_db *db, const wb_job_options *o);
/** Read job `job_id`; WB_ENOTFOUND (with a one-line message) when there is none. */
WB_EXTERN int wb_job_get(wb_job *out, wb_db *db, const char *job_id);
/** The source of job `job_id`: *out is the caller's (free()), *len its length. */
WB_EXTERN int wb_job_source(char **out, size_t *len, wb_db *db, const char *job_id);
/**
 * Every job, the earliest due first.  *out is the caller's (wb_jobs_free),
 * *count its length; no jobs table yet is an empty list.
 */
WB_EXTERN int wb_job_list(wb_job **out, size_t *count, wb_db *db);
/** Free what wb_job_list returned (NULL is a no-op). */
WB_EXTERN void wb_jobs_free(wb_job *jobs);
/**
 * Cancel a scheduled or running job: workers stop its segments within a
 * heartbeat.  *out (may be NULL) gets it.  WB_EINVALID when it is over already.
 */
WB_EXTERN int wb_job_cancel(wb_job *out, wb_db *db, const char *job_id);

/** One scan segment of a job, as workers left it.  A plain value. */
typedef struct wb_job_segment {
	int index;             /**< 0 .. segments-1 */
	char state[16];        /**< waiting, running, done, failed */
	char worker[128];      /**< who holds it (running) or held it last, "" if nobody yet */
	char run_id[64];       /**< the attempt it was last claimed for */
	char error[512];       /**< why it failed, or "" */
	int64_t heartbeat;     /**< its holder's last heartbeat */
	int64_t expires;       /**< when its lease expires (running) */
	int takeovers;         /**< times it was taken over from a lost worker */
	int64_t scanned, written, deleted; /**< items done so far, from its checkpoints */
} wb_job_segment;

/** The segments of `job`: *out (wb_job_segments_free) holds job->segments of them, in order. */
WB_EXTERN int wb_job_segments(wb_job_segment **out, size_t *count, wb_db *db, const wb_job *job);
/** Free what wb_job_segments returned (NULL is a no-op). */
WB_EXTERN void wb_job_segments_free(wb_job_segment *segs);

/* --------------------------------------------------------------- workers */

#define WB_WORKER_OPTIONS_VERSION 1

/** How a worker runs.  Initialize with WB_WORKER_OPTIONS_INIT. */
typedef struct wb_worker_options {
	unsigned int version;  /**< WB_WORKER_OPTIONS_VERSION */
	const char *url;       /**< the target's URL (required) */
	const char *target;    /**< its name: the jobs scheduled for it (required) */
	const char *id;        /**< the worker's id in leases and logs, or NULL for host:pid */
	int once;              /**< return when no due job has anything left to claim */
	int max_jobs;          /**< return once this many jobs it worked on have ended (0: no limit) */
	volatile int *stop;    /**< NULL, or set (from another thread) to stop as on SIGTERM */
} wb_worker_options;

#define WB_WORKER_OPTIONS_INIT {WB_WORKER_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, NULL}

/**
 * Work on the due jobs of target o->target until told to return (o->once,
 * o->max_jobs) or stopped: start their attempts, claim their segments one
 * at a time and run each as a child process with checkpoints (resuming
 * segments whose worker died once their lease expired), and record every
 * attempt as a run in the ledger (see docs/operations.md).  *jobs (may be
 * NULL) gets how many jobs it worked on have ended.  0, or a negative code
 * when the target cannot be used.  Prints the children's output and its
 * notes to stdout/stderr (and the run's log).  Installs handlers for
 * SIGTERM, SIGINT and SIGHUP: the batch in hand is finished and its
 * checkpoint committed, the segment handed back, and the call returns 0.
 */
WB_EXTERN int wb_worker_run(int *jobs, const wb_worker_options *o);

/* ---------------------------------------------------- controlling a run */

/*
 * A running migration is paced and paused through its control row in the
 * target's whimbrel_control table (docs/operations.md): `whimbrel pause`,
 * `resume` and `limit` write it from any machine; the migration's
 * processes read it every second.  A row may name a run (its run id) or a
 * job (its job id: every attempt of the job); a run's own row wins over its
 * job's, field by field.
 */

/** A control row.  -1 in a field: not set there.  Initialize with WB_RUN_CONTROL_INIT. */
typedef struct wb_run_control {
	int paused;          /**< 1 paused, 0 not paused, -1 not set */
	double max_wcu;      /**< write units per second for the whole run (0: no limit), -1 not set */
	double max_rcu;      /**< read units per second for the whole run (0: no limit), -1 not set */
	double max_rate;     /**< items per second for the whole run (0: no limit), -1 not set */
	double capacity_pct; /**< percent of the table's provisioned capacity (0: none), -1 not set */
	int64_t updated;     /**< when it was last changed (Unix seconds), 0: there is no row */
	char by[160];        /**< who changed it last (user@host) */
} wb_run_control;

#define WB_RUN_CONTROL_INIT {-1, -1, -1, -1, -1, 0, ""}

/**
 * The control row of `run` (a run id or a job id) into *out: the INIT
 * values and updated 0 when there is none.  Store errors only.
 */
WB_EXTERN int wb_run_control_get(wb_run_control *out, wb_db *db, const char *run);

/**
 * Merge into the control row of `run` the fields of `change` that are set
 * (>= 0), stamping when and by whom; creates whimbrel_control on first use.
 * WB_EINVALID for a negative limit other than -1 or a percentage above 100.
 */
WB_EXTERN int wb_run_control_update(wb_db *db, const char *run, const wb_run_control *change);

/**
 * What applies to run `run_id`, attempt of job `job_id` (NULL or "" for a
 * plain run): the job's row overlaid field by field by the run's.
 */
WB_EXTERN int wb_run_control_effective(wb_run_control *out, wb_db *db, const char *run_id, const char *job_id);

/* ------------------------------------------------------------------- text */

/**
 * Copy `in` into `out` (size bytes, always terminated) with every control
 * character escaped (\n, \r, \t, \xHH; C1 controls as \u00HH), so that
 * text read from a file or a target stays on one line and cannot drive a
 * terminal.  An escape that does not fit is dropped whole; 4 * strlen(in) + 1
 * bytes always fit.  Returns out.
 */
WB_EXTERN char *wb_escape_line(char *out, size_t size, const char *in);
/** "2026-11-25 10:00:03" (UTC), or "-" for 0. */
WB_EXTERN void wb_format_utc(char *buf, size_t size, int64_t t);
/** A duration: "850ms", "4.1s", "2m03s", "1h02m". */
WB_EXTERN void wb_format_duration(char *buf, size_t size, int64_t ms);

/**
 * -1, 0 or 1 as key value `a` sorts before, with or after `b` in DynamoDB's
 * key order (S and B bytewise, N numerically), as a worker splits key
 * ranges; values of different types compare by type (their wb_type), and
 * 0 when either is not a key value (S, N or B).
 */
WB_EXTERN int wb_key_compare(const wb_value *a, const wb_value *b);

#ifdef __cplusplus
}
#endif

#endif /* WHIMBREL_RUNNER_H */
