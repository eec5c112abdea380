/*
 * guard.h - the prod guard: only reviewed code runs in prod.  `run prod`
 * and `schedule` refuse a migration file that is not committed or differs
 * from HEAD (its header's Execution/Finalization lines aside, which every
 * prod run stamps), unless --allow-dirty, and tell the ledger and the job
 * which commit the file came from.  Implemented in guard.c with git.
 */
#ifndef WB_CLI_GUARD_H
#define WB_CLI_GUARD_H

/** Where a migration file comes from. */
typedef struct wb_cli_origin {
	char commit[41];  /**< HEAD of the file's repository, "" outside git */
	char dirty[128];  /**< why it is not the committed file ("not committed", "changed since HEAD 1a2b3c4d5e6f"), "" when it is */
} wb_cli_origin;

/** Fill *out for the file at `path` (never fails: a problem is a reason in out->dirty). */
void wb_cli_origin_of(wb_cli_origin *out, const char *path);

/**
 * The guard of `verb` ("run", "schedule") on `target` for the file at `path`: 0 when
 * it is committed as it is, or when `allow_dirty` (then a warning on
 * stderr says what the ledger will record); otherwise a one-line message
 * and WB_EXIT_ERROR.  *out gets the origin either way.
 */
int wb_cli_guard(wb_cli_origin *out, const char *verb, const char *path, const char *target,
		 int allow_dirty);

#endif /* WB_CLI_GUARD_H */
