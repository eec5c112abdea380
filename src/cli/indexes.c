/*
 * indexes.c - secondary indexes on the command line: the index options of
 * `table create`, their text and JSON in `table describe`, and the key
 * schema `query --index` converts its key values to (declared in
 * indexes.h).
 *
 * An index option is NAME:PK[:TYPE][,SK[:TYPE]] for a global index and
 * NAME:SK[:TYPE] for a local one (whose partition key is the table's); the
 * --projection after it says what the index holds: all (the default),
 * keys, or a comma-separated list of attributes besides the keys.
 */
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "indexes.h"

/* ------------------------------------------------------------ parsing */

/* "NAME:KEYSPEC[,KEYSPEC]" into ix (local: one keyspec, the sort key). */
static int parse_spec(const char *cmd, const char *opt, const char *s, int local, wb_index *ix)
{
	const char *colon = strchr(s, ':'), *comma;
	char keys[2 * WB_NAME_MAX + 8];
	int code;

	memset(ix, 0, sizeof(*ix));
	ix->local = local;
	if (!colon || colon == s || (size_t)(colon - s) > WB_NAME_MAX)
		return wb_cli_usage(cmd, "%s '%s': expected %s", opt, s,
				    local ? "NAME:SK[:S|N|B]" : "NAME:PK[:S|N|B][,SK[:S|N|B]]");
	memcpy(ix->name, s, (size_t)(colon - s));
	if (strlen(colon + 1) >= sizeof(keys))
		return wb_cli_usage(cmd, "%s '%s': attribute names too long", opt, s);
	snprintf(keys, sizeof(keys), "%s", colon + 1);
	comma = strchr(keys, ',');
	if (local && comma)
		return wb_cli_usage(cmd, "%s '%s': a local index names only its sort key", opt, s);
	if (comma)
		keys[comma - keys] = '\0';
	if (local)
		return wb_cli_parse_keyspec(cmd, opt, keys, ix->key.sk_name, &ix->key.sk_type);
	if ((code = wb_cli_parse_keyspec(cmd, opt, keys, ix->key.pk_name, &ix->key.pk_type)) != 0)
		return code;
	if (comma)
		return wb_cli_parse_keyspec(cmd, opt, keys + (comma - keys) + 1, ix->key.sk_name, &ix->key.sk_type);
	return 0;
}

/* --projection all|keys|ATTR,... for index i. */
static int parse_projection(wb_cli_indexes *out, size_t i, const char *cmd, const char *s)
{
	size_t n = 1;
	char *p;

	if (strcmp(s, "all") == 0 || strcmp(s, "ALL") == 0) {
		out->ix[i].projection = WB_PROJECT_ALL;
		return 0;
	}
	if (strcmp(s, "keys") == 0 || strcmp(s, "KEYS_ONLY") == 0 || strcmp(s, "keys_only") == 0) {
		out->ix[i].projection = WB_PROJECT_KEYS;
		return 0;
	}
	for (const char *c = s; *c; c++)
		n += *c == ',';
	if (!(out->text[i] = strdup(s)) || !(out->attrs[i] = calloc(n, sizeof(char *))))
		return wb_cli_fail("out of memory");
	n = 0;
	for (p = strtok(out->text[i], ","); p; p = strtok(NULL, ","))
		out->attrs[i][n++] = p;
	if (n == 0)
		return wb_cli_usage(cmd, "--projection '%s': expected all, keys or ATTR,...", s);
	out->ix[i].projection = WB_PROJECT_INCLUDE;
	out->ix[i].attrs = out->attrs[i];
	out->ix[i].nattrs = n;
	return 0;
}

/* Is argv[i] one of our options?  Which: 1 --gsi, 2 --lsi, 3 --projection, 0 none. */
static int index_opt(const char *a)
{
	return strcmp(a, "--gsi") == 0 ? 1 : strcmp(a, "--lsi") == 0 ? 2 : strcmp(a, "--projection") == 0 ? 3 : 0;
}

int wb_cli_indexes_parse(wb_cli_indexes *out, const char *cmd, int *argc, char **argv)
{
	int keep = 1, code, which;

	memset(out, 0, sizeof(*out));
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0 || !(which = index_opt(argv[i]))) {
			argv[keep++] = argv[i];
			continue;
		}
		if (i + 1 >= *argc)
			return wb_cli_usage(cmd, "%s needs a value", argv[i]);
		if (which == 3 && out->n == 0)
			return wb_cli_usage(cmd, "--projection belongs after the --gsi or --lsi it is for");
		if (which == 3 && (code = parse_projection(out, out->n - 1, cmd, argv[i + 1])) != 0)
			return code;
		if (which != 3 && out->n == WB_CLI_MAX_INDEXES)
			return wb_cli_usage(cmd, "at most %d indexes", WB_CLI_MAX_INDEXES);
		if (which != 3 && (code = parse_spec(cmd, argv[i], argv[i + 1], which == 2, &out->ix[out->n++])) != 0)
			return code;
		i++;
	}
	argv[keep] = NULL;
	*argc = keep;
	return 0;
}

void wb_cli_indexes_local_pk(wb_cli_indexes *ix, const wb_key_schema *key)
{
	for (size_t i = 0; i < ix->n; i++) {
		if (!ix->ix[i].local)
			continue;
		snprintf(ix->ix[i].key.pk_name, sizeof(ix->ix[i].key.pk_name), "%s", key->pk_name);
		ix->ix[i].key.pk_type = key->pk_type;
	}
}

void wb_cli_indexes_free(wb_cli_indexes *ix)
{
	for (size_t i = 0; i < WB_CLI_MAX_INDEXES; i++) {
		free(ix->text[i]);
		free(ix->attrs[i]);
	}
	memset(ix, 0, sizeof(*ix));
}

/* ------------------------------------------------------------- output */

static const char *const projection_names[] = {"ALL", "KEYS_ONLY", "INCLUDE"};

/* Attribute names may hold any character: escaped, as describe does (--json is exact). */
void wb_cli_indexes_print(const wb_index *ix, size_t n)
{
	char esc[4 * (WB_NAME_MAX + 1)];

	for (size_t i = 0; i < n; i++) {
		const wb_index *x = &ix[i];
		printf("index          %s (%s) ", x->name, x->local ? "local" : "global");
		printf("%s (%s)", wb_escape_line(esc, sizeof(esc), x->key.pk_name), wb_type_name(x->key.pk_type));
		if (x->key.sk_name[0])
			printf(", %s (%s)", wb_escape_line(esc, sizeof(esc), x->key.sk_name), wb_type_name(x->key.sk_type));
		printf("; projects %s", x->projection == WB_PROJECT_ALL ? "all" : "keys");
		for (size_t j = 0; x->projection == WB_PROJECT_INCLUDE && j < x->nattrs; j++)
			printf("%s%s", j ? ", " : " and ", wb_escape_line(esc, sizeof(esc), x->attrs[j]));
		printf("\n");
	}
}

static json_t *key_json(const char *name, wb_type type)
{
	return json_pack("{s:s, s:s}", "name", name, "type", wb_type_name(type));
}

json_t *wb_cli_indexes_json(const wb_index *ix, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		const wb_index *x = &ix[i];
		json_t *attrs = json_array();
		for (size_t j = 0; attrs && j < x->nattrs; j++)
			json_array_append_new(attrs, json_string(x->attrs[j]));
		json_t *o = json_pack("{s:s, s:b, s:o, s:o, s:s, s:o}", "name", x->name, "local", x->local,
				      "partition_key", key_json(x->key.pk_name, x->key.pk_type),
				      "sort_key", x->key.sk_name[0] ? key_json(x->key.sk_name, x->key.sk_type) : json_null(),
				      "projection", projection_names[x->projection], "attributes", attrs);
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* ------------------------------------------------------------- queries */

int wb_cli_index_key(wb_db *db, wb_table_desc *d, const char *name)
{
	wb_index *ix = NULL;
	size_t n = 0;
	int rc, code = 0;

	if ((rc = wb_table_indexes(&ix, &n, db, d->name)) < 0)
		return wb_cli_error(rc);
	for (size_t i = 0; i < n && ix; i++) {
		if (strcmp(ix[i].name, name) == 0) {
			d->key = ix[i].key;
			wb_indexes_free(ix, n);
			return 0;
		}
	}
	code = wb_cli_fail("--index: table %s has no index '%s'%s", d->name, name,
			   n ? " (table describe lists its indexes)" : ": it has no index");
	wb_indexes_free(ix, n);
	return code;
}
