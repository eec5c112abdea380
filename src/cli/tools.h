/*
 * tools.h - what `lint`, `prune`, `schedule` and the prod guard share: the
 * --dir and --now arguments, running a helper program (git) without a
 * shell, and reading a whole file.  Implemented in
 * tools.c; the migration files of a directory are listed by the runner
 * (wb_migration_list in whimbrel/runner.h).
 */
#ifndef WB_CLI_TOOLS_H
#define WB_CLI_TOOLS_H

#include <stddef.h>
#include <time.h>

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

/** All of file `path` as a malloc'd, NUL-terminated string (*len, may be NULL, its length); NULL with errno. */
char *wb_cli_read_file(const char *path, size_t *len);

#endif /* WB_CLI_TOOLS_H */
