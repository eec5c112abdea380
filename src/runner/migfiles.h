/*
 * migfiles.h - what `lint` and `prune` share: the migration files of a
 * directory, the --now date, and running a helper program (git) without
 * a shell.  Implemented in migfiles.c.
 */
#ifndef WB_CLI_MIGFILES_H
#define WB_CLI_MIGFILES_H

#include <stddef.h>
#include <time.h>

/**
 * The names (not paths) of the regular, non-hidden files ending in ".c" in
 * `dir`, sorted.  *out is a NULL-terminated array the caller frees with
 * wb_strings_free.  Returns 0, or WB_EIO after printing a one-line message
 * on stderr if dir cannot be read.  With `all`, also entries of such a name
 * that are not regular files (directories, dangling links: lint reports them).
 */
int wb_cli_list_migrations(char ***out, size_t *count, const char *dir, int all);

/**
 * True when `name` is NNNN_slug.c: at least four digits, "_", a slug of
 * [a-z0-9_], ".c".  *number gets the number when it is.
 */
int wb_cli_migration_name_ok(const char *name, unsigned long *number);

/** Parse a --now value: "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DD at HH:MM:SS UTC". */
int wb_cli_parse_date(time_t *out, const char *text);

/** Parse the --now option of command `cmd`; 0, or a usage error's exit code (2). */
int wb_cli_now_arg(time_t *out, const char *cmd, const char *text);

/** A --dir value without its trailing slashes (copied into buf; "/" stays "/"); returns buf. */
const char *wb_cli_dir_arg(char *buf, size_t size, const char *dir);

/**
 * Run argv (argv[0] looked up in PATH) in directory `cwd` (NULL = here),
 * stdin from /dev/null.  With `out`, stdout is captured into a malloc'd
 * string (the caller frees it); otherwise it goes to our stdout.  stderr is
 * discarded when `quiet` is 1, captured with stdout when it is
 * WB_CLI_RUN_MERGE (with `out`), else passed through.  Returns the exit
 * status, or -1 if the program could not be run.
 */
int wb_cli_run(char *const argv[], const char *cwd, char **out, int quiet);
#define WB_CLI_RUN_MERGE 2

#endif /* WB_CLI_MIGFILES_H */
