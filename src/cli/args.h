/*
 * args.h - helpers the data commands share (implemented in args.c).
 *
 * A small option parser for subcommands (long options with 0, 1 or 2
 * values, positional arguments, `--` to end options), conversion of key
 * values typed on the command line to a table's key type, reading a JSON
 * argument or standard input, printing items as JSON lines, and a progress
 * line on a terminal.  Every helper that can fail prints its own one-line
 * message and returns an exit code (WB_EXIT_*), so that a command can write
 * `if ((code = helper(...)) != 0) return code;`.
 */
#ifndef WB_CLI_ARGS_H
#define WB_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/** One option of a subcommand; the parser fills `seen` and `v`. */
typedef struct wb_cli_opt {
	const char *name;  /**< "--limit" */
	const char *alias; /**< "-n", or NULL */
	int nargs;         /**< 0 = a flag, 1 or 2 = that many values follow */
	int seen;          /**< out: how many times it was given */
	const char *v[2];  /**< out: the values of its last occurrence */
} wb_cli_opt;

/**
 * Parse argv[1..argc-1] (argv[0] names the subcommand, e.g. "table create"
 * in `cmd`): options from `opts` (terminated by a NULL name), the remaining
 * arguments into pos[0..maxpos-1] with their number in *npos.  "--name=V"
 * works for one-value options; "-" alone is positional; "--" ends options.
 * Returns 0, or WB_EXIT_USAGE after printing a one-line message.
 */
int wb_cli_parse(const char *cmd, wb_cli_opt *opts, int argc, char **argv,
		 char **pos, int maxpos, int *npos);

/**
 * A positional argument `a` of a command line parsed by hand (options that
 * wb_cli_parse does not take): into *first when that is still NULL, else
 * into *second, else a usage error ("unexpected argument").
 */
int wb_cli_take_arg(const char *cmd, const char *a, const char **first, const char **second);

/**
 * wb_cli_parse for a command taking a target and at most one operand, in
 * either order: "dev" or "prod" names the target (*target, else left as it
 * is), the other argument is the operand (*operand, which the caller set to
 * NULL; operand NULL for a command without one).  `missing`: the usage
 * message when the operand is required and not given (NULL: optional).
 */
int wb_cli_parse_operand(const char *cmd, wb_cli_opt *opts, int argc, char **argv, const char **target,
			 const char **operand, const char *missing);

/** Print "whimbrel: " + wb_error_last(); returns wb_cli_exit_for(rc). */
int wb_cli_error(int rc);

/** A positive integer option value (`what` names it in messages). */
int wb_cli_parse_count(const char *cmd, const char *what, const char *s, size_t *out);

/** "ddb" (or "dynamodb") / "plain" (or "json") to WB_JSON_DDB / WB_JSON_PLAIN. */
int wb_cli_parse_format(const char *cmd, const char *s, int *out);

/** "ATTR[:S|N|B]" into a name and type (S when no type is given). */
int wb_cli_parse_keyspec(const char *cmd, const char *what, const char *s,
			 char name[WB_NAME_MAX + 1], wb_type *type);

/**
 * Convert a key value typed on the command line to `type`: S as is, N
 * checked as a number, B decoded from base64 (padding optional).  `what` names it in messages
 * ("--pk").  *out is the caller's (wb_value_free).  Errors exit 1.
 */
int wb_cli_key_value(wb_value **out, const char *what, const char *text, wb_type type);

/**
 * The JSON text of an argument: the argument itself, or all of standard
 * input for "-".  *out is the caller's (free()).
 */
int wb_cli_read_arg(char **out, size_t *len, const char *arg);

/**
 * Open the target of the data commands (--db, else dev), printing the error
 * when it fails.  *out is the caller's (wb_close).
 */
int wb_cli_connect(wb_db **out, wb_cli *cli);

/**
 * The same for a command that writes (`what` says what, e.g. "import into
 * cars").  When the target is a named one (no --db) whose `confirm` setting
 * is on (prod by default), ask on a terminal, or refuse unless `yes` (--yes).
 */
int wb_cli_connect_write(wb_db **out, wb_cli *cli, const char *what, int yes);

/** Ask a yes/no question on the terminal (stderr, stdin); 1 for y or yes. */
int wb_cli_ask(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Check a table name typed on the command line (exit 1 with a message). */
int wb_cli_check_table(const char *name);

/** Describe a table, printing the error when it fails. */
int wb_cli_describe(wb_db *db, const char *table, wb_table_desc *out);

/** Print an item as one line of JSON on f; WB_EXIT_ERROR on failure. */
int wb_cli_print_item(FILE *f, const wb_item *item, int format);

/** Flush stdout; on a write error (disk full, closed pipe) print it and exit 1. */
int wb_cli_flush(int code);

/**
 * The last word of every command (main.c): flush stdout and turn an
 * unreported write error into a message and exit 1; returns the exit code.
 */
int wb_cli_finish(int code);

/** A URL fit for messages: any user:password@ is replaced by "***@". */
void wb_cli_url_redact(char *buf, size_t size, const char *url);

/** A progress line on stderr when it is a terminal and -q was not given. */
typedef struct wb_cli_progress {
	int on;           /**< drawing at all */
	const char *verb; /**< "importing", "exporting" */
	uint64_t done;    /**< items so far */
	double t0;        /**< start (monotonic seconds) */
	double last;      /**< last draw */
	int drawn;        /**< something is on the line */
} wb_cli_progress;

void wb_cli_progress_begin(wb_cli_progress *p, const wb_cli *cli, const char *verb);
/** Record `done` items; redraws at most five times a second. */
void wb_cli_progress_update(wb_cli_progress *p, uint64_t done);
/** Clear the line. */
void wb_cli_progress_end(wb_cli_progress *p);

/** Monotonic seconds. */
double wb_cli_now(void);

#endif /* WB_CLI_ARGS_H */
