/*
 * header.h - the header comment of a migration file (private part).
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
 * atomically when the runner stamps a run.  Implemented in header.c; the
 * functions are declared in whimbrel/runner.h.
 */
#ifndef WB_HEADER_H
#define WB_HEADER_H

#include <stddef.h>
#include <time.h>
#include <whimbrel/runner.h>

/* The parsed header behind the opaque wb_header of whimbrel/runner.h. */
struct wb_header {
	char *description;          /**< the description text (lines joined by spaces), or "" */
	int desc_line;              /**< 1-based line where it starts */
	wb_header_run *runs;        /**< the time pairs in file order */
	size_t nruns;               /**< how many */
	wb_header_problem *problems;/**< grammar problems found */
	size_t nproblems;           /**< how many */
	int end_line;               /**< line of the closing comment marker (0 if none) */
};

#endif /* WB_HEADER_H */
