/*
 * cli.h - what the subcommands of the whimbrel command share.
 *
 * Exit codes (documented in docs/cli.md), the global options, the table of
 * subcommands (main.c), reporting (report.c) and targets (targets.c, over
 * the runner's wb_target_* calls: whimbrel.conf, WHIMBREL_DEV_DB /
 * WHIMBREL_PROD_DB, --db).  Each subcommand group lives in its own file,
 * cmd_GROUP.c, and has the signature of wb_cli_fn.  The command sees the
 * public headers only (<whimbrel.h>, <whimbrel/runner.h>).
 */
#ifndef WB_CLI_H
#define WB_CLI_H

#include <stdarg.h>
#include <stdio.h>
#include <whimbrel.h>

/* Exit codes of the whimbrel command. */
#define WB_EXIT_OK 0            /* success */
#define WB_EXIT_ERROR 1         /* the operation failed */
#define WB_EXIT_USAGE 2         /* bad command line */
#define WB_EXIT_BUSY 3          /* locked: another run holds the migration's lease */
#define WB_EXIT_INTERRUPTED 130 /* stopped by Ctrl-C / SIGINT */

/** Global options, parsed before the subcommand. */
typedef struct wb_cli {
	const char *db_url;   /**< --db URL, or NULL */
	const char *config;   /**< --config FILE, or NULL (whimbrel.conf in the current directory) */
	const char *target;   /**< --target NAME: target of the data commands, or NULL (dev) */
	int quiet;            /**< -q: no progress output */
	int isatty_out;       /**< stderr is a terminal (progress allowed) */
} wb_cli;

/** A subcommand: argv[0] is the subcommand name.  Returns an exit code. */
typedef int (*wb_cli_fn)(wb_cli *cli, int argc, char **argv);

/** Print prefix + message + suffix as one line on stderr, control characters escaped. */
void wb_cli_vprint_line(const char *prefix, const char *suffix, const char *fmt, va_list ap);
/** Print "whimbrel: " + message + newline on stderr; returns WB_EXIT_ERROR. */
int wb_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Print a usage error ("whimbrel CMD: ..., see whimbrel CMD --help"); returns WB_EXIT_USAGE. */
int wb_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * Install handlers for SIGINT and SIGTERM that set the flag returned, for
 * the `stop` of a long operation (copy, revert, clone, restore, import): it
 * stops at its next safe point and says how to resume.  With
 * `interrupt_reads`, a system call the signal interrupts fails with EINTR
 * (a read waiting on a pipe returns) instead of going on.
 */
volatile int *wb_cli_stop_flag(int interrupt_reads);
/**
 * The question a target that confirms asks (unless `yes`): 0 to go on,
 * else prints why not and returns WB_EXIT_ERROR.  Without a terminal:
 * "refusing to ACTION on TARGET without confirmation: stdin is not a
 * terminal (pass --yes)"; else the question (fmt, on stderr) and
 * "Type 'yes':", and when the answer is not yes "not confirmed: NOTHING".
 */
int wb_cli_confirm_typed(wb_cli *cli, const char *target, int yes, const char *action, const char *nothing,
			 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/** True when argv holds -h or --help (anywhere before a lone "--"). */
int wb_cli_wants_help(int argc, char **argv);
/** Map a library result code to an exit code (WB_EBUSY -> 3, WB_EINTERRUPTED -> 130, else 1). */
int wb_cli_exit_for(int rc);
struct wb_ledger_run;
/** The exit code of a run (or verify) that happened: 0 succeeded, 130 interrupted, else 1. */
int wb_cli_exit_of_run(const struct wb_ledger_run *rec);
/**
 * Print a JSON value (jansson's json_t) as one compact line on stdout, keys
 * in their order, and release it.  NULL (a failed build) is out of memory.
 * Returns an exit code.
 */
struct json_t;
int wb_cli_print_json(struct json_t *o);

/**
 * The URL of a named target ("dev" or "prod"): --db if given, else
 * WHIMBREL_DEV_DB / WHIMBREL_PROD_DB, else `db =` of the [dev]/[prod]
 * section of whimbrel.conf, else for dev "sqlite:.whimbrel/dev.db"; for
 * prod an error saying how to configure it.  *out is the caller's
 * (wb_string_free).  These three return 0 or a negative WB_E* code with the
 * message in wb_error_last() (they print nothing; the caller reports it).
 */
int wb_cli_target_url(char **out, wb_cli *cli, const char *target);
/** A target's `confirm = yes|no` setting (default: yes for prod, no for dev). */
int wb_cli_target_confirm(wb_cli *cli, const char *target);

/**
 * The DynamoDB requests in flight per process of this command and the
 * migrations it runs: n (--concurrency N) or else the target's
 * `concurrency =`, set in WHIMBREL_DYNAMODB_CONCURRENCY (which the
 * children inherit); nothing when neither is given.  An exit code.
 */
int wb_cli_concurrency(wb_cli *cli, const char *target, int n);
/** Open a target by name (creating .whimbrel/ for the embedded default). */
int wb_cli_open(wb_db **out, wb_cli *cli, const char *target);

/** The target a command works on when its line names none: --target, else "dev". */
const char *wb_cli_target_name(const wb_cli *cli);
/** True for "dev" and "prod" (the targets of run, plan, status...). */
int wb_cli_is_target(const char *s);
/**
 * Resolve and open a named target.  *url (wb_string_free; may be
 * NULL) gets its URL.  On failure prints the error and returns an exit code.
 */
int wb_cli_runner_open(wb_db **out, char **url, wb_cli *cli, const char *target);

/**
 * After a plan (estimate.c): the time at the limits (0: none) and the cost
 * of the units its ledger row holds, as text or one JSON object on stdout.
 * `prices` is --prices FILE or NULL.  Returns an exit code.
 */
int wb_cli_plan_estimate(wb_cli *cli, const struct wb_ledger_run *rec, const char *target,
			 const char *prices, int max_rcu, int max_wcu, int json);

/** After `status`: every running job of the target and its segments (cmd_schedule.c). */
int wb_cli_print_running_jobs(wb_db *db);

/*
 * The text `whimbrel COMMAND --help` prints, of every command that has one
 * (not those with subcommands of their own: table, item, prune, schedule,
 * pause, resume, limit), each in its command's file.  main.c prints it
 * when the command line asks for help (wb_cli_wants_help), so that the
 * command itself never sees -h or --help.
 */
extern const char wb_cli_help_scan[], wb_cli_help_query[], wb_cli_help_import[], wb_cli_help_export[],
	wb_cli_help_new[], wb_cli_help_plan[], wb_cli_help_run[], wb_cli_help_status[], wb_cli_help_history[],
	wb_cli_help_log[], wb_cli_help_unlock[], wb_cli_help_stamp[], wb_cli_help_lint[], wb_cli_help_worker[],
	wb_cli_help_version[], wb_cli_help_revert[], wb_cli_help_copy[], wb_cli_help_clone[],
	wb_cli_help_restore[], wb_cli_help_pitr[], wb_cli_help_verify[];

/* Subcommands (one file each group).  Weak in main.c until implemented. */
int wb_cmd_table(wb_cli *cli, int argc, char **argv);   /* cmd_table.c */
int wb_cmd_item(wb_cli *cli, int argc, char **argv);    /* cmd_item.c */
int wb_cmd_scan(wb_cli *cli, int argc, char **argv);    /* cmd_read.c */
int wb_cmd_query(wb_cli *cli, int argc, char **argv);   /* cmd_read.c */
int wb_cmd_import(wb_cli *cli, int argc, char **argv);  /* cmd_io.c */
int wb_cmd_export(wb_cli *cli, int argc, char **argv);  /* cmd_io.c */
int wb_cmd_new(wb_cli *cli, int argc, char **argv);     /* cmd_new.c */
int wb_cmd_run(wb_cli *cli, int argc, char **argv);     /* cmd_run.c */
int wb_cmd_plan(wb_cli *cli, int argc, char **argv);    /* cmd_run.c */
int wb_cmd_status(wb_cli *cli, int argc, char **argv);  /* cmd_status.c */
int wb_cmd_history(wb_cli *cli, int argc, char **argv); /* cmd_status.c */
int wb_cmd_log(wb_cli *cli, int argc, char **argv);     /* cmd_status.c */
int wb_cmd_unlock(wb_cli *cli, int argc, char **argv);  /* cmd_run.c */
int wb_cmd_stamp(wb_cli *cli, int argc, char **argv);   /* cmd_run.c */
int wb_cmd_lint(wb_cli *cli, int argc, char **argv);    /* cmd_lint.c */
int wb_cmd_prune(wb_cli *cli, int argc, char **argv);   /* cmd_prune.c */
int wb_cmd_schedule(wb_cli *cli, int argc, char **argv); /* cmd_schedule.c */
int wb_cmd_worker(wb_cli *cli, int argc, char **argv);  /* cmd_worker.c */
int wb_cmd_version(wb_cli *cli, int argc, char **argv); /* cmd_version.c */
int wb_cmd_revert(wb_cli *cli, int argc, char **argv);  /* cmd_revert.c */
int wb_cmd_copy(wb_cli *cli, int argc, char **argv);    /* cmd_copy.c */
int wb_cmd_clone(wb_cli *cli, int argc, char **argv);   /* cmd_clone.c */
int wb_cmd_pause(wb_cli *cli, int argc, char **argv);   /* cmd_control.c */
int wb_cmd_resume(wb_cli *cli, int argc, char **argv);  /* cmd_control.c */
int wb_cmd_limit(wb_cli *cli, int argc, char **argv);   /* cmd_control.c */

/* The pacing options of run, schedule and limit (cmd_control.c). */
struct wb_run_control;
/**
 * When argv[*i] is --max-wcu, --max-rcu, --max-rate or --capacity (with its
 * value next, or after '='), parse it into c (advancing *i), set *code (0 or
 * the usage error's) and return 1; else return 0.
 */
int wb_cli_limit_option(struct wb_run_control *c, const char *cmd, int argc, char **argv, int *i, int *code);
/** True when c has any limit set. */
int wb_cli_limits_set(const struct wb_run_control *c);
/** Refuse capacity units on an SQLite target (usage error), else 0. */
int wb_cli_limits_check(const struct wb_run_control *c, const char *cmd, const char *url);
/** "max-wcu 100, capacity 50%" (the limits above 0), or "none". */
void wb_cli_limits_format(char *buf, size_t size, const struct wb_run_control *c);

int wb_cmd_verify(wb_cli *cli, int argc, char **argv);  /* cmd_verify.c */
int wb_cmd_restore(wb_cli *cli, int argc, char **argv); /* cmd_restore.c */
int wb_cmd_pitr(wb_cli *cli, int argc, char **argv);    /* cmd_restore.c */
/** `whimbrel prune --journal` and `--snapshots` (cmd_journal.c; wb_cmd_prune hands over to it). */
int wb_cli_prune_journal(wb_cli *cli, int argc, char **argv);

#endif /* WB_CLI_H */
