/*
 * cmd_item.c - `whimbrel item get|put|delete TABLE JSON`.
 *
 * One item of the data-command target.  JSON is DynamoDB JSON or plain JSON
 * (detected), given as the argument or on standard input ("-").  The table
 * is described first, so the item is checked against its key schema before
 * anything is written, and a missing table gets its own message.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"

enum item_op { OP_GET, OP_PUT, OP_DELETE };

static const char usage_group[] =
	"usage: whimbrel [--db URL] item get|put|delete TABLE JSON|-\n"
	"\n"
	"Commands:\n"
	"  get TABLE KEY [--format ddb|plain]\n"
	"                  print one item as a line of JSON\n"
	"  put TABLE ITEM [--if-not-exists | --if-exists] [--yes]\n"
	"                  insert or replace an item\n"
	"  delete TABLE KEY [--if-exists] [--yes]\n"
	"                  delete an item\n"
	"\n"
	"KEY and ITEM are JSON objects, DynamoDB JSON ({\"id\":{\"S\":\"a\"}}) or plain\n"
	"JSON ({\"id\":\"a\"}), or - to read the JSON from standard input.\n"
	"`whimbrel item COMMAND --help` for the options of one command.\n";

static const char usage_get[] =
	"usage: whimbrel [--db URL] item get TABLE KEY|- [--format ddb|plain]\n"
	"\n"
	"Print the item of TABLE with key KEY as one line of JSON.  KEY is a JSON\n"
	"object holding the key attributes (other attributes are ignored), in\n"
	"DynamoDB JSON or plain JSON; - reads it from standard input.\n"
	"Exit status 1 when there is no such item.\n"
	"\n"
	"Options:\n"
	"  --format ddb|plain   DynamoDB JSON (the default, lossless) or plain JSON\n"
	"\n"
	"Example: whimbrel item get cars '{\"make\":\"Volvo\",\"model\":\"240\"}'\n";

static const char usage_put[] =
	"usage: whimbrel [--db URL] item put TABLE ITEM|- [--if-not-exists | --if-exists] [--yes]\n"
	"\n"
	"Write ITEM into TABLE, replacing any item with the same key.  ITEM is a JSON\n"
	"object in DynamoDB JSON or plain JSON; - reads it from standard input.\n"
	"\n"
	"Options:\n"
	"  --if-not-exists   fail (exit 1) when an item with this key exists\n"
	"  --if-exists       fail (exit 1) when no item with this key exists\n"
	"  -y, --yes         do not ask on a target with confirm = yes (prod)\n"
	"\n"
	"Example: whimbrel item put cars '{\"make\":\"Volvo\",\"model\":\"240\",\"year\":1974}'\n";

static const char usage_delete[] =
	"usage: whimbrel [--db URL] item delete TABLE KEY|- [--if-exists] [--yes]\n"
	"\n"
	"Delete the item of TABLE with key KEY (a JSON object with the key\n"
	"attributes).  Deleting an absent item succeeds unless --if-exists.\n"
	"\n"
	"Options:\n"
	"  --if-exists   fail (exit 1) when no item with this key exists\n"
	"  -y, --yes     do not ask on a target with confirm = yes (prod)\n";

/* What one invocation needs. */
struct item_cmd {
	const char *cmd;    /* "item get" */
	enum item_op op;    /* which */
	const char *table;  /* TABLE */
	int format;         /* get: output format */
	int if_exists;      /* --if-exists */
	int if_not_exists;  /* --if-not-exists */
	int yes;            /* --yes: no confirmation on a confirm = yes target */
};

/*
 * The item or key (`what`) from the JSON argument; *out is the caller's.
 * Empty input gets its own message rather than a parser's "column 0".
 */
static int read_item(wb_item **out, const char *what, const char *arg)
{
	char *text = NULL;
	const char *msg;
	size_t len = 0;
	int code, rc;

	*out = NULL;
	if ((code = wb_cli_read_arg(&text, &len, arg)) != 0)
		return code;
	if (strspn(text, " \t\r\n") == len) {
		free(text);
		return wb_cli_fail("empty %s: expected one JSON object%s", what,
				   strcmp(arg, "-") != 0 ? "" : len ? " (standard input holds only blank space)"
				   : " (standard input is empty)");
	}
	rc = wb_item_from_json(out, text, len, WB_JSON_AUTO);
	free(text);
	if (rc < 0) {
		msg = wb_error_last();
		if (strncmp(msg, "JSON ", 5) == 0) /* "JSON line 1 ...", "JSON attribute ..." */
			msg += 5;
		return wb_cli_fail("bad %s JSON: %s", what, msg);
	}
	return 0;
}

static int key_json_fail(const char *fmt_prefix, const wb_item *key, const char *table)
{
	char *json = NULL;
	int code;

	wb_item_to_json(&json, key, WB_JSON_PLAIN);
	code = wb_cli_fail("%s %s in table %s", fmt_prefix, json ? json : "", table);
	wb_string_free(json);
	return code;
}

static int do_get(wb_db *db, const struct item_cmd *c, const wb_item *key)
{
	wb_item *item = NULL;
	int rc = wb_get(&item, db, c->table, key), code;

	if (rc == WB_ENOTFOUND)
		return key_json_fail("no item with key", key, c->table);
	if (rc < 0)
		return wb_cli_error(rc);
	code = wb_cli_print_item(stdout, item, c->format);
	wb_item_free(item);
	return wb_cli_flush(code);
}

static int do_put(wb_db *db, const struct item_cmd *c, const wb_item *item, const wb_item *key)
{
	wb_cond cond = {WB_COND_NONE, NULL, NULL, NULL};
	int rc;

	if (c->if_exists)
		cond.kind = WB_COND_EXISTS;
	else if (c->if_not_exists)
		cond.kind = WB_COND_NOT_EXISTS;
	rc = wb_put(db, c->table, item, &cond);
	if (rc == WB_ECONDITION)
		return key_json_fail(c->if_exists ? "not written (--if-exists): no item with key"
						  : "not written (--if-not-exists): there is already an item with key",
				     key, c->table);
	return rc < 0 ? wb_cli_error(rc) : 0;
}

static int do_delete(wb_db *db, const struct item_cmd *c, const wb_item *key)
{
	wb_cond cond = {c->if_exists ? WB_COND_EXISTS : WB_COND_NONE, NULL, NULL, NULL};
	int rc = wb_delete(db, c->table, key, &cond);

	if (rc == WB_ECONDITION || (rc == WB_ENOTFOUND && c->if_exists))
		return key_json_fail("not deleted (--if-exists): no item with key", key, c->table);
	return rc < 0 ? wb_cli_error(rc) : 0;
}

/* Check the item against the table and do the operation. */
static int run_op(wb_cli *cli, const struct item_cmd *c, const wb_item *item)
{
	wb_table_desc d;
	wb_item *key = NULL;
	wb_db *db = NULL;
	char what[320];
	int code;

	snprintf(what, sizeof(what), "%s %s", c->op == OP_PUT ? "put an item into" : "delete an item from",
		 c->table);
	code = c->op == OP_GET ? wb_cli_connect(&db, cli) : wb_cli_connect_write(&db, cli, what, c->yes);
	if (code != 0)
		return code;
	if ((code = wb_cli_describe(db, c->table, &d)) != 0)
		goto out;
	if (wb_item_validate(item, c->op == OP_PUT ? &d.key : NULL) < 0 ||
	    !(key = wb_item_key(item, &d.key)) || wb_item_validate(key, &d.key) < 0) {
		code = wb_cli_fail("%s %s: %s", c->op == OP_PUT ? "bad item for" : "bad key for",
				   c->table, wb_error_last());
		goto out;
	}
	if (c->op == OP_GET)
		code = do_get(db, c, key);
	else if (c->op == OP_PUT)
		code = do_put(db, c, item, key);
	else
		code = do_delete(db, c, key);
out:
	wb_item_free(key);
	wb_close(db);
	return code;
}

/* The options of this operation: --format for get, the conditions for writes. */
static void item_options(wb_cli_opt *opts, enum item_op op, int idx[4])
{
	int k = 0;

	memset(opts, 0, 5 * sizeof(*opts));
	idx[0] = idx[1] = idx[2] = idx[3] = 4; /* the terminator: never seen */
	if (op == OP_GET) {
		opts[k] = (wb_cli_opt){"--format", NULL, 1, 0, {0}};
		idx[0] = k++;
	} else {
		opts[k] = (wb_cli_opt){"--if-exists", NULL, 0, 0, {0}};
		idx[1] = k++;
		opts[k] = (wb_cli_opt){"--yes", "-y", 0, 0, {0}};
		idx[3] = k++;
	}
	if (op == OP_PUT) {
		opts[k] = (wb_cli_opt){"--if-not-exists", NULL, 0, 0, {0}};
		idx[2] = k++;
	}
}

static int item_op(wb_cli *cli, int argc, char **argv, struct item_cmd *c, const char *usage)
{
	wb_cli_opt opts[5];
	int idx[4], npos, code;
	wb_item *item = NULL;
	char *pos[2];

	if (wb_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return WB_EXIT_OK;
	}
	item_options(opts, c->op, idx);
	if ((code = wb_cli_parse(c->cmd, opts, argc, argv, pos, 2, &npos)) != 0)
		return code;
	if (npos < 2)
		return wb_cli_usage(c->cmd, npos ? "missing the JSON (or - for standard input)"
					      : "missing TABLE and JSON");
	if (opts[idx[1]].seen && opts[idx[2]].seen)
		return wb_cli_usage(c->cmd, "--if-exists and --if-not-exists exclude each other");
	c->table = pos[0];
	c->if_exists = opts[idx[1]].seen;
	c->if_not_exists = opts[idx[2]].seen;
	c->yes = opts[idx[3]].seen;
	c->format = WB_JSON_DDB;
	if ((opts[idx[0]].seen && (code = wb_cli_parse_format(c->cmd, opts[idx[0]].v[0], &c->format))) ||
	    (code = wb_cli_check_table(c->table)) || (code = read_item(&item, c->op == OP_PUT ? "item" : "key", pos[1])))
		return code;
	code = run_op(cli, c, item);
	wb_item_free(item);
	return code;
}

int wb_cmd_item(wb_cli *cli, int argc, char **argv)
{
	struct item_cmd c;

	memset(&c, 0, sizeof(c));
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_group, argc < 2 ? stderr : stdout);
		return argc < 2 ? WB_EXIT_USAGE : WB_EXIT_OK;
	}
	if (strcmp(argv[1], "get") == 0) {
		c.cmd = "item get";
		c.op = OP_GET;
		return item_op(cli, argc - 1, argv + 1, &c, usage_get);
	}
	if (strcmp(argv[1], "put") == 0) {
		c.cmd = "item put";
		c.op = OP_PUT;
		return item_op(cli, argc - 1, argv + 1, &c, usage_put);
	}
	if (strcmp(argv[1], "delete") == 0) {
		c.cmd = "item delete";
		c.op = OP_DELETE;
		return item_op(cli, argc - 1, argv + 1, &c, usage_delete);
	}
	return wb_cli_usage("item", "unknown command '%s': use get, put or delete", argv[1]);
}
