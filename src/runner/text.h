/*
 * runner.h - helpers shared by the runner's commands (cmd_run.c, cmd_status.c):
 * opening a named target, migration names, time and duration text.
 */
#ifndef WB_CLI_RUNNER_H
#define WB_CLI_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include "cli.h"

/** True for "dev" and "prod". */
int wb_cli_is_target(const char *s);

/**
 * Resolve and open a named target.  *url (malloc'd, caller frees; may be
 * NULL) gets its URL.  On failure prints the error and returns an exit code.
 */
int wb_cli_runner_open(wb_db **out, char **url, wb_cli *cli, const char *target);

/**
 * The migration name of a path ("migrations/0001_add_price.c" ->
 * "0001_add_price"), its version ("0001", or "" without a number) and its
 * slug ("add_price").  Returns -1 when the path does not end in ".c".
 */
int wb_cli_migration_name(const char *path, char *name, size_t nsize, char *version, size_t vsize,
			  char *slug, size_t ssize);

/** "2026-11-25 10:00:03" (UTC), or "-" for 0. */
void wb_cli_fmt_time(char *buf, size_t size, int64_t t);
/** "850ms", "4.1s", "2m03s", "1h02m". */
void wb_cli_fmt_duration(char *buf, size_t size, int64_t ms);

#endif /* WB_CLI_RUNNER_H */
