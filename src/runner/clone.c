/*
 * clone.c - wb_clone: fill one target's tables from another's (`whimbrel
 * clone prod dev`), for realistic dry runs: every table but whimbrel's own
 * (or the ones named), each replaced by a copy (copy.c) that may keep only
 * a sample of whole partitions and mask chosen attributes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include <whimbrel/runner.h>

/* The tables to clone: o->tables, or every table of the source but whimbrel_*. */
static int tables_of(char ***out, size_t *n, wb_db *from, const wb_clone_options *o)
{
	size_t k = 0;
	int rc;

	if (o->ntables) {
		if (!(*out = wb__calloc(o->ntables + 1, sizeof(char *))))
			return wb__oom(NULL);
		for (size_t i = 0; i < o->ntables; i++)
			if (!((*out)[i] = wb__strdup(o->tables[i]))) {
				wb_strings_free(*out);
				return wb__oom(NULL);
			}
		*n = o->ntables;
		return 0;
	}
	if ((rc = wb_table_list(out, n, from)) < 0)
		return rc;
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*out)[i], "whimbrel_", 9) == 0)
			free((*out)[i]);
		else
			(*out)[k++] = (*out)[i];
	}
	(*out)[k] = NULL;
	*n = k;
	return 0;
}

/* Clone one table: drop it in the destination, then copy it there. */
static int clone_one(wb_db *to, const char *table, const wb_clone_options *o)
{
	wb_copy_options co = WB_COPY_OPTIONS_INIT;
	wb_copy_counts c;
	int rc = wb_table_drop(to, table);

	if (rc < 0 && rc != WB_ENOTFOUND)
		return rc;
	co.from_url = o->from_url;
	co.to_url = o->to_url;
	co.src = table;
	co.dst = table;
	co.sample = o->sample;
	co.fraction = o->fraction;
	co.mask = o->mask;
	co.nmask = o->nmask;
	co.progress = o->progress;
	co.stop = o->stop;
	if ((rc = wb_copy(&c, &co)) == 0 && o->on_table)
		o->on_table(table, &c, o->arg);
	return rc;
}

int wb_clone(const wb_clone_options *o)
{
	wb_db *from = NULL, *to = NULL;
	char **tables = NULL;
	size_t n = 0;
	int rc;

	if (!o || o->version != WB_CLONE_OPTIONS_VERSION || !o->from_url || !o->to_url)
		return wb__error(NULL, WB_EINVALID, "wb_clone: options without version, from_url or to_url");
	if (strcmp(o->from_url, o->to_url) == 0)
		return wb__error(NULL, WB_EINVALID, "clone: the source and the destination are one target (%s)",
				 o->from_url);
	if ((rc = wb_open(&from, o->from_url)) == 0 && (rc = wb_open(&to, o->to_url)) == 0 &&
	    (rc = tables_of(&tables, &n, from, o)) == 0)
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = clone_one(to, tables[i], o);
	wb_strings_free(tables);
	wb_close(to);
	wb_close(from);
	return rc;
}
