/*
 * cmd_table.c - `whimbrel table create|list|describe|drop`.
 *
 * Tables of the data-command target (--db, else dev; see target.c).  Names
 * are checked before anything is opened, so a bad name changes nothing.
 * Tables named whimbrel_* are whimbrel's own (ledger, locks, journal...):
 * `table list` hides them unless --all, and `table create` refuses them.
 */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "indexes.h"

#define RESERVED_PREFIX "whimbrel_"

static const char usage_group[] =
	"usage: whimbrel [--db URL] table COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  create NAME --pk ATTR[:S|N|B] [--sk ATTR[:S|N|B]] [--gsi SPEC [--projection P]]...\n"
	"              [--yes]       create a table (and its secondary indexes)\n"
	"  list [--all]              table names, one a line\n"
	"  describe NAME [--json]    key schema, indexes and item count\n"
	"  drop NAME [--yes]         delete a table and its items\n"
	"\n"
	"`whimbrel table COMMAND --help` for the options of one command.\n";

static const char usage_create[] =
	"usage: whimbrel [--db URL] table create NAME --pk ATTR[:S|N|B] [--sk ATTR[:S|N|B]]\n"
	"                                [--gsi NAME:PK[:T][,SK[:T]] [--projection P]]...\n"
	"                                [--lsi NAME:SK[:T] [--projection P]]... [--yes]\n"
	"\n"
	"Create table NAME with partition key ATTR and an optional sort key.\n"
	"The type is S (string, the default), N (number) or B (binary).\n"
	"Names: 3 to 255 of A-Z a-z 0-9 _ - . (whimbrel_* is reserved).\n"
	"\n"
	"Options:\n"
	"  --pk ATTR[:TYPE]   partition key attribute and type (required)\n"
	"  --sk ATTR[:TYPE]   sort key attribute and type\n"
	"  --gsi NAME:PK[:TYPE][,SK[:TYPE]]\n"
	"                     a global secondary index: items are found by their\n"
	"                     attributes PK (and SK); repeat for more (at most 20)\n"
	"  --lsi NAME:SK[:TYPE]\n"
	"                     a local secondary index: the table's partition key and\n"
	"                     another sort key (the table needs a sort key; at most 5)\n"
	"  --projection all|keys|ATTR,...\n"
	"                     what the index before it holds: every attribute (the\n"
	"                     default), the keys only, or the keys and these\n"
	"  -y, --yes          do not ask on a target with confirm = yes (prod)\n"
	"\n"
	"Example: whimbrel table create shop --pk pk --sk sk --gsi by_status:status,sk\n";

static const char usage_list[] =
	"usage: whimbrel [--db URL] table list [--all]\n"
	"\n"
	"Print the table names of the target, sorted, one a line.\n"
	"\n"
	"Options:\n"
	"  --all   include whimbrel's own tables (whimbrel_*)\n";

static const char usage_describe[] =
	"usage: whimbrel [--db URL] table describe NAME [--json]\n"
	"\n"
	"Print the key schema, the secondary indexes and the item count of table NAME.\n"
	"\n"
	"Options:\n"
	"  --json   one JSON object: {\"name\",\"partition_key\",\"sort_key\",\"item_count\",\"indexes\"}\n";

static const char usage_drop[] =
	"usage: whimbrel [--db URL] table drop NAME [--yes]\n"
	"\n"
	"Delete table NAME and every item in it.  On a terminal, asks first;\n"
	"otherwise refuses unless --yes is given.\n"
	"\n"
	"Options:\n"
	"  -y, --yes   do not ask\n";

static int reserved(const char *name)
{
	return strncmp(name, RESERVED_PREFIX, strlen(RESERVED_PREFIX)) == 0;
}

/* table create, its index options taken out of the command line into ix. */
static int table_create_with(wb_cli *cli, wb_cli_opt *opts, char **pos, int npos, wb_cli_indexes *ix)
{
	wb_table_options topts = WB_TABLE_OPTIONS_INIT;
	char what[300];
	wb_key_schema key;
	int code, rc;
	wb_db *db = NULL;

	if (npos < 1)
		return wb_cli_usage("table create", "missing the table NAME");
	if (!opts[0].seen)
		return wb_cli_usage("table create", "missing --pk ATTR[:S|N|B]");
	memset(&key, 0, sizeof(key));
	if ((code = wb_cli_parse_keyspec("table create", "--pk", opts[0].v[0], key.pk_name, &key.pk_type)) ||
	    (opts[1].seen &&
	     (code = wb_cli_parse_keyspec("table create", "--sk", opts[1].v[0], key.sk_name, &key.sk_type))))
		return code;
	if ((code = wb_cli_check_table(pos[0])) != 0)
		return code;
	if (reserved(pos[0]))
		return wb_cli_fail("table names beginning with %s are reserved for whimbrel's own tables",
				   RESERVED_PREFIX);
	wb_cli_indexes_local_pk(ix, &key);
	topts.indexes = ix->ix;
	topts.nindexes = ix->n;
	snprintf(what, sizeof(what), "create table %s", pos[0]);
	if ((code = wb_cli_connect_write(&db, cli, what, opts[2].seen)) != 0)
		return code;
	if ((rc = wb_table_create_opts(db, pos[0], &key, &topts)) < 0)
		code = wb_cli_error(rc);
	else if (!cli->quiet)
		fprintf(stderr, "created table %s\n", pos[0]);
	wb_close(db);
	return code;
}

static int table_create(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--pk", NULL, 1, 0, {0}}, {"--sk", NULL, 1, 0, {0}},
			     {"--yes", "-y", 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	wb_cli_indexes ix;
	char *pos[1];
	int npos = 0, code;

	if ((code = wb_cli_indexes_parse(&ix, "table create", &argc, argv)) == 0)
		code = wb_cli_parse("table create", opts, argc, argv, pos, 1, &npos);
	if (code == 0)
		code = table_create_with(cli, opts, pos, npos, &ix);
	wb_cli_indexes_free(&ix);
	return code;
}

static int table_list(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--all", "-a", 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	char **names = NULL;
	size_t count = 0;
	int npos, code, rc;
	wb_db *db = NULL;

	if ((code = wb_cli_parse("table list", opts, argc, argv, NULL, 0, &npos)) != 0)
		return code;
	if ((code = wb_cli_connect(&db, cli)) != 0)
		return code;
	if ((rc = wb_table_list(&names, &count, db)) < 0) {
		code = wb_cli_error(rc);
	} else {
		for (size_t i = 0; i < count; i++)
			if (opts[0].seen || !reserved(names[i]))
				printf("%s\n", names[i]);
		code = wb_cli_flush(WB_EXIT_OK);
	}
	wb_strings_free(names);
	wb_close(db);
	return code;
}

/* {"name":"S"} for a key attribute. */
static json_t *key_json(const char *name, wb_type type)
{
	return json_pack("{s:s, s:s}", "name", name, "type", wb_type_name(type));
}

static int describe_json(const wb_table_desc *d, const wb_index *ix, size_t nix)
{
	json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", d->name,
			      "partition_key", key_json(d->key.pk_name, d->key.pk_type),
			      "sort_key", d->key.sk_name[0] ? key_json(d->key.sk_name, d->key.sk_type) : json_null(),
			      "item_count", d->item_count >= 0 ? json_integer(d->item_count) : json_null(),
			      "indexes", wb_cli_indexes_json(ix, nix));

	return wb_cli_print_json(o);
}

/* Key attribute names may hold any character: escaped, one line each (--json is exact). */
static void describe_text(const wb_table_desc *d)
{
	char esc[4 * sizeof(d->key.pk_name)];

	printf("table          %s\n", d->name);
	printf("partition key  %s (%s)\n", wb_escape_line(esc, sizeof(esc), d->key.pk_name),
	       wb_type_name(d->key.pk_type));
	if (d->key.sk_name[0])
		printf("sort key       %s (%s)\n", wb_escape_line(esc, sizeof(esc), d->key.sk_name),
		       wb_type_name(d->key.sk_type));
	else
		printf("sort key       (none)\n");
	if (d->item_count >= 0)
		printf("items          %lld\n", (long long)d->item_count);
	else
		printf("items          unknown\n");
}

/* The options and the one table NAME (checked) of `table CMD NAME`. */
static int parse_name(const char **name, const char *cmd, wb_cli_opt *opts, int argc, char **argv)
{
	char *pos[1];
	int npos, code;

	if ((code = wb_cli_parse(cmd, opts, argc, argv, pos, 1, &npos)) != 0)
		return code;
	if (npos < 1)
		return wb_cli_usage(cmd, "missing the table NAME");
	*name = pos[0];
	return wb_cli_check_table(pos[0]);
}

static int table_describe(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--json", NULL, 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	wb_table_desc d;
	wb_index *ix = NULL;
	size_t nix = 0;
	const char *name = NULL;
	int code, rc;
	wb_db *db = NULL;

	if ((code = parse_name(&name, "table describe", opts, argc, argv)) != 0 ||
	    (code = wb_cli_connect(&db, cli)) != 0)
		return code;
	if ((code = wb_cli_describe(db, name, &d)) == 0 && (rc = wb_table_indexes(&ix, &nix, db, name)) < 0)
		code = wb_cli_error(rc);
	else if (code == 0) {
		if (opts[0].seen) {
			code = describe_json(&d, ix, nix);
		} else {
			describe_text(&d);
			wb_cli_indexes_print(ix, nix);
		}
		code = wb_cli_flush(code);
	}
	wb_indexes_free(ix, nix);
	wb_close(db);
	return code;
}

/* Ask on the terminal; 1 when the answer is y or yes. */
static int confirm_drop(wb_db *db, const char *name)
{
	wb_table_desc d;
	char url[512], count[32] = "all";

	if (wb_cli_describe(db, name, &d) != 0)
		return -1;
	wb_cli_url_redact(url, sizeof(url), wb_db_url(db));
	if (d.item_count >= 0)
		snprintf(count, sizeof(count), "its %lld", (long long)d.item_count);
	return wb_cli_ask("Drop table %s and %s items from %s? This cannot be undone.", name, count, url);
}

static int table_drop(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--yes", "-y", 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	const char *name = NULL;
	int code, rc, yes;
	wb_db *db = NULL;

	if ((code = parse_name(&name, "table drop", opts, argc, argv)) != 0)
		return code;
	if (!opts[0].seen && !isatty(STDIN_FILENO))
		return wb_cli_fail("not dropping table %s without confirmation: standard input is not "
				   "a terminal; pass --yes", name);
	if ((code = wb_cli_connect(&db, cli)) != 0)
		return code;
	yes = opts[0].seen ? 1 : confirm_drop(db, name);
	if (yes < 0)
		code = WB_EXIT_ERROR;
	else if (yes == 0)
		code = wb_cli_fail("table %s not dropped", name);
	else if ((rc = wb_table_drop(db, name)) < 0)
		code = rc == WB_ENOTFOUND ? wb_cli_fail("table '%s' does not exist", name) : wb_cli_error(rc);
	else if (!cli->quiet)
		fprintf(stderr, "dropped table %s\n", name);
	wb_close(db);
	return code;
}

int wb_cmd_table(wb_cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		wb_cli_fn fn;
		const char *usage; /* its --help */
	} subs[] = {
		{"create", table_create, usage_create}, {"list", table_list, usage_list},
		{"describe", table_describe, usage_describe}, {"drop", table_drop, usage_drop},
	};

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_group, argc < 2 ? stderr : stdout);
		return argc < 2 ? WB_EXIT_USAGE : WB_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if (wb_cli_wants_help(argc - 1, argv + 1)) {
			fputs(subs[i].usage, stdout);
			return WB_EXIT_OK;
		}
		return subs[i].fn(cli, argc - 1, argv + 1);
	}
	return wb_cli_usage("table", "unknown command '%s': use create, list, describe or drop", argv[1]);
}
