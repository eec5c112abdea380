/*
 * indexes.h - secondary indexes on the command line (implemented in
 * indexes.c): the --gsi, --lsi and --projection options of `table create`,
 * the indexes in `table describe`, and the key schema of `query --index`.
 */
#ifndef WB_CLI_INDEXES_H
#define WB_CLI_INDEXES_H

#include <jansson.h>

#include "args.h"

#define WB_CLI_MAX_INDEXES 25 /* 20 global and 5 local: DynamoDB's limits */

/** The index definitions of a `table create` command line. */
typedef struct wb_cli_indexes {
	wb_index ix[WB_CLI_MAX_INDEXES];   /**< the definitions */
	size_t n;                          /**< how many */
	char *text[WB_CLI_MAX_INDEXES];    /**< a copy of each INCLUDE list, split in place */
	const char **attrs[WB_CLI_MAX_INDEXES]; /**< its names (ix[i].attrs) */
} wb_cli_indexes;

/**
 * Take the --gsi NAME:PK[:T][,SK[:T]], --lsi NAME:SK[:T] and --projection
 * all|keys|ATTR,... options (each --projection belongs to the index option
 * before it) out of argv[1..*argc-1], leaving the rest for wb_cli_parse.
 * The table's key schema `key` gives a local index its partition key.
 * Returns 0 or WB_EXIT_USAGE (message printed); free with
 * wb_cli_indexes_free either way.
 */
int wb_cli_indexes_parse(wb_cli_indexes *out, const char *cmd, int *argc, char **argv);
/** Give the local indexes of `ix` the table's partition key (after --pk is parsed). */
void wb_cli_indexes_local_pk(wb_cli_indexes *ix, const wb_key_schema *key);
void wb_cli_indexes_free(wb_cli_indexes *ix);

/** One text line per index: "index          NAME (global) PK (S), SK (N); projects all". */
void wb_cli_indexes_print(const wb_index *ix, size_t n);
/** The indexes as a JSON array (new reference), NULL when out of memory. */
json_t *wb_cli_indexes_json(const wb_index *ix, size_t n);

/**
 * For `query --index` / `scan --index`: replace d->key by the key schema of
 * index `name` of the table d describes (exit 1 with a message when there
 * is no such index).
 */
int wb_cli_index_key(wb_db *db, wb_table_desc *d, const char *name);

#endif /* WB_CLI_INDEXES_H */
