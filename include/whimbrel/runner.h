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
 *   - the run itself: wb_runner_run compiles the file, takes the lease,
 *     resumes from checkpoints, runs the program as a child process while
 *     capturing its output into the ledger, records how it ended and stamps
 *     the header.  `whimbrel run`, `whimbrel plan` and the coming
 *     `whimbrel worker` all call it.
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

/** Split a path into a wb_migration_id; WB_EINVALID when it does not end in ".c". */
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

#define WB_RUN_OPTIONS_VERSION 1

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
} wb_run_options;

#define WB_RUN_OPTIONS_INIT {WB_RUN_OPTIONS_VERSION, NULL, NULL, "dev", 0, 0, 0, 0, 10, 0, \
			     NULL, NULL, NULL, NULL, 0}

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

/* ------------------------------------------------------------------- text */

/**
 * Copy `in` into `out` (size bytes, always terminated) with every control
 * character escaped (\n, \r, \t, \xHH), so that text read from a file or a
 * target stays on one line and cannot drive a terminal.  Returns out.
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
