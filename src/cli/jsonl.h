/*
 * jsonl.h - JSON lines read in order and parsed on worker threads (import).
 *
 * Parsing a line into an item (jansson, then the item) costs several times
 * what writing it does, so `whimbrel import` reads the file in blocks of
 * lines on its own thread while up to WB_JSONL_WORKERS threads parse the
 * blocks; the lines come back in file order, each with its item or the
 * reason it is bad.  Blank lines are skipped, a byte order mark on line 1
 * is dropped, lines of AWS's export to S3 ({"Item":{...}}) are unwrapped.
 * Implemented in jsonl.c.
 */
#ifndef WB_CLI_JSONL_H
#define WB_CLI_JSONL_H

#include <stdio.h>
#include <whimbrel.h>

#define WB_JSONL_WORKERS 4                /* parsing threads at most */
#define WB_JSONL_LINE_MAX (8u * 1024 * 1024) /* longer lines are bad */

typedef struct wb_cli_jsonl wb_cli_jsonl;

/** One non-blank line, in file order. */
typedef struct wb_cli_jsonl_line {
	unsigned long long lineno; /**< 1-based line number */
	wb_item *item;             /**< the item (the caller's to free), NULL when bad */
	const char *error;         /**< why it is bad (valid until the next call), NULL when good */
} wb_cli_jsonl_line;

/**
 * Read `in` (not closed here) with `threads` parsing threads (0: parse on
 * the calling thread); `key` (kept, not copied) decides the unwrapping of
 * AWS export lines.  0, or -1 when out of memory or no thread could start.
 */
int wb_cli_jsonl_open(wb_cli_jsonl **out, FILE *in, const wb_key_schema *key, int threads);

/** The next line: 1, 0 at the end of the file, -1 on a read error (errno; EINTR on a signal). */
int wb_cli_jsonl_next(wb_cli_jsonl *j, wb_cli_jsonl_line *line);

/** Stop the threads and free everything (NULL is fine). */
void wb_cli_jsonl_close(wb_cli_jsonl *j);

/**
 * Parsing threads to start: $WHIMBREL_THREADS, else one per online CPU, at
 * most WB_JSONL_WORKERS; 0 (parse on the reading thread) for one.
 */
int wb_cli_jsonl_threads(void);

#endif /* WB_CLI_JSONL_H */
