/*
 * header.h - the header comment of a migration file (internal API).
 *
 * A migration starts with a block comment holding its description and one
 * or more pairs of lines
 *
 *     Execution Time: 2026-11-25 at 10:00:03 UTC
 *     Finalization Time: 2026-11-25 at 10:04:12 UTC
 *
 * (empty after the colon until the first prod run).  The grammar is in
 * docs/header-grammar.md.  This module parses headers without compiling
 * anything (status, lint and prune rely on that) and rewrites them
 * atomically when the runner stamps a run.  Implemented in header.c.
 */
#ifndef WB_HEADER_H
#define WB_HEADER_H

#include <stddef.h>
#include <time.h>

/** One Execution/Finalization pair of a header. */
typedef struct wb_header_run {
	time_t exec;         /**< Execution Time, or 0 when empty */
	time_t fin;          /**< Finalization Time, or 0 when empty */
	int exec_line;       /**< 1-based line of "Execution Time:" (0 if missing) */
	int fin_line;        /**< 1-based line of "Finalization Time:" (0 if missing) */
	char note[64];       /**< text after the time in parentheses, e.g. "failed", or "" */
} wb_header_run;

/** One problem found while parsing (for lint). */
typedef struct wb_header_problem {
	int line;            /**< 1-based line */
	char msg[160];       /**< one-line message */
} wb_header_problem;

/** A parsed header.  Free with wb__header_free. */
typedef struct wb_header {
	char *description;          /**< the description text (lines joined by spaces), or "" */
	int desc_line;              /**< 1-based line where it starts */
	wb_header_run *runs;        /**< the time pairs in file order */
	size_t nruns;               /**< how many */
	wb_header_problem *problems;/**< grammar problems found */
	size_t nproblems;           /**< how many */
	int end_line;               /**< line of the closing comment marker (0 if none) */
} wb_header;

/**
 * Parse a header from file contents.  Never fails on malformed text: grammar
 * problems are listed in (*out)->problems.  Returns WB_EINVALID only when no
 * header comment opens the file (also listed as a problem), WB_ENOMEM.
 */
int wb__header_parse(wb_header **out, const char *text, size_t len);
/** Read and parse a file; WB_EIO with a message if it cannot be read. */
int wb__header_parse_file(wb_header **out, const char *path);
void wb__header_free(wb_header *h);

/** The latest Finalization Time of the header, or 0. */
time_t wb__header_last_finalization(const wb_header *h);

/**
 * Stamp a run into the file at `path`: fill the first empty pair, or add a
 * new pair after the last one; `status` (e.g. "succeeded", "failed") is
 * noted in parentheses after the finalization time unless it is NULL or
 * "succeeded".  The rewrite is atomic (temporary file, fsync, rename) and
 * changes nothing else in the file.
 */
int wb__header_stamp(const char *path, time_t exec, time_t fin, const char *status);

/** Format a time as "2026-11-25 at 10:00:03 UTC" into buf (at least 32 bytes). */
void wb__time_format(char *buf, size_t size, time_t t);
/** Parse that format; WB_EINVALID if the text is not exactly it. */
int wb__time_parse(time_t *out, const char *text);

#endif /* WB_HEADER_H */
