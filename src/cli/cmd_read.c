/*
 * cmd_read.c - `whimbrel scan` and `whimbrel query`: print items as JSON lines.
 *
 * Both page through the store (wb_scan_page / wb_query_page) and print one
 * item per line as they come, so memory stays flat on large tables.  Key
 * values typed on the command line are converted to the table's key types,
 * which is why the table is described first.
 */
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "indexes.h"

#define PAGE_MAX 1000

const char wb_cli_help_scan[] =
	"usage: whimbrel [--db URL] scan TABLE [--index NAME] [--segment I/N] [--prefix P]\n"
	"                                      [--limit N] [--format ddb|plain]\n"
	"\n"
	"Print the items of TABLE, one a line, as JSON.\n"
	"\n"
	"Options:\n"
	"  --index NAME         the items of secondary index NAME (those that have its\n"
	"                       keys), with the attributes it projects\n"
	"  --segment I/N        only segment I (0-based) of N disjoint segments: the N\n"
	"                       segments together hold every item exactly once\n"
	"  --prefix P           only items whose (string) partition key begins with P\n"
	"                       (the index's partition key with --index)\n"
	"  --limit N            at most N items\n"
	"  --format ddb|plain   DynamoDB JSON (the default, lossless) or plain JSON\n"
	"\n"
	"Example: whimbrel scan shop --prefix 'ORDER#' --format plain\n";

const char wb_cli_help_query[] =
	"usage: whimbrel [--db URL] query TABLE [--index NAME] --pk VALUE [SORT KEY CONDITION]\n"
	"                                       [--desc] [--limit N] [--format ddb|plain]\n"
	"\n"
	"Print the items of one partition of TABLE, in sort key order, one a line.\n"
	"Key values are converted to the key's type: N must be a number, B is base64.\n"
	"\n"
	"Options:\n"
	"  --index NAME         query secondary index NAME: --pk and the sort key\n"
	"                       condition are then on the index's keys\n"
	"  --pk VALUE           the partition key value (required)\n"
	"  --sk-prefix P        sort key begins with P (S or B sort keys)\n"
	"  --sk-between A B     A <= sort key <= B\n"
	"  --sk-op OP VALUE     sort key OP VALUE; OP is one of = < <= > >= begins_with\n"
	"                       (or eq lt le gt ge)\n"
	"  --desc               descending sort key order\n"
	"  --limit N            at most N items\n"
	"  --format ddb|plain   DynamoDB JSON (the default, lossless) or plain JSON\n"
	"\n"
	"Example: whimbrel query shop --pk 'CUSTOMER#42' --sk-prefix 'ORDER#2026-' --desc\n";

/* A read in progress: what to fetch and how to print it. */
struct reader {
	wb_db *db;          /* the target */
	const char *table;  /* TABLE */
	int is_query;       /* query or scan */
	wb_scan scan;       /* scan parameters */
	wb_query query;     /* query parameters */
	size_t limit;       /* at most this many items (0 = all) */
	int format;         /* output JSON form */
};

static int fetch(struct reader *r, wb_page **out, const wb_item *after, size_t lim)
{
	if (r->is_query) {
		r->query.start_after = after;
		r->query.limit = lim;
		return wb_query_page(out, r->db, r->table, &r->query);
	}
	r->scan.start_after = after;
	r->scan.limit = lim;
	return wb_scan_page(out, r->db, r->table, &r->scan);
}

/* Fetch and print every page; the previous page lives until the next arrives. */
static int print_all(struct reader *r)
{
	wb_page *prev = NULL, *page = NULL;
	size_t done = 0;
	int rc, code = 0;

	do {
		size_t lim = r->limit ? r->limit - done : 0;
		if (lim > PAGE_MAX)
			lim = PAGE_MAX;
		rc = fetch(r, &page, prev ? prev->last_key : NULL, lim);
		wb_page_free(prev);
		prev = NULL;
		if (rc < 0) {
			code = wb_cli_error(rc);
			break;
		}
		for (size_t i = 0; i < page->count && code == 0 && (!r->limit || done < r->limit); i++, done++)
			code = wb_cli_print_item(stdout, page->items[i], r->format);
		prev = page;
	} while (code == 0 && page->last_key && (!r->limit || done < r->limit));
	wb_page_free(prev);
	return wb_cli_flush(code);
}

static int parse_segment(const char *s, wb_scan *scan)
{
	unsigned long i, n;
	char *end;

	if (s[0] < '0' || s[0] > '9') /* strtoul would take blanks and signs */
		goto bad;
	i = strtoul(s, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		goto bad;
	n = strtoul(end + 1, &end, 10);
	if (*end || n == 0 || n > 1000000 || i >= n)
		goto bad;
	scan->segment = (unsigned)i;
	scan->total_segments = (unsigned)n;
	return 0;
bad:
	return wb_cli_usage("scan", "--segment must be I/N with 0 <= I < N <= 1000000, not '%s'", s);
}

/* Options both commands share: --limit, --format. */
static int common_opts(const char *cmd, struct reader *r, const wb_cli_opt *limit, const wb_cli_opt *format)
{
	int code;

	r->format = WB_JSON_DDB;
	if (limit->seen && (code = wb_cli_parse_count(cmd, "--limit", limit->v[0], &r->limit)) != 0)
		return code;
	if (format->seen && (code = wb_cli_parse_format(cmd, format->v[0], &r->format)) != 0)
		return code;
	return 0;
}

int wb_cmd_scan(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {
		{"--segment", NULL, 1, 0, {0}}, {"--prefix", NULL, 1, 0, {0}},
		{"--limit", NULL, 1, 0, {0}}, {"--format", NULL, 1, 0, {0}},
		{"--index", NULL, 1, 0, {0}}, {NULL, NULL, 0, 0, {0}},
	};
	struct reader r;
	wb_table_desc d;
	char *pos[1];
	int npos, code;

	memset(&r, 0, sizeof(r));
	r.scan = (wb_scan)WB_SCAN_INIT;
	if ((code = wb_cli_parse("scan", opts, argc, argv, pos, 1, &npos)) != 0 ||
	    (code = common_opts("scan", &r, &opts[2], &opts[3])) != 0 ||
	    (opts[0].seen && (code = parse_segment(opts[0].v[0], &r.scan)) != 0))
		return code;
	if (npos < 1)
		return wb_cli_usage("scan", "missing TABLE");
	r.table = pos[0];
	if ((code = wb_cli_check_table(r.table)) != 0 || (code = wb_cli_connect(&r.db, cli)) != 0)
		return code;
	r.scan.index = opts[4].seen ? opts[4].v[0] : NULL;
	if ((code = wb_cli_describe(r.db, r.table, &d)) == 0 &&
	    (!r.scan.index || (code = wb_cli_index_key(r.db, &d, r.scan.index)) == 0)) {
		if (opts[1].seen && d.key.pk_type != WB_S)
			code = wb_cli_fail("--prefix needs a string partition key; %s of %s is %s",
					   d.key.pk_name, r.table, wb_type_name(d.key.pk_type));
		else {
			r.scan.pk_prefix = opts[1].seen ? opts[1].v[0] : NULL;
			code = print_all(&r);
		}
	}
	wb_close(r.db);
	return code;
}

/* "=", "lt", "begins_with"... to a wb_sk_op; WB_SK_NONE when unknown. */
static wb_sk_op parse_op(const char *s)
{
	static const struct {
		const char *name;
		wb_sk_op op;
	} ops[] = {
		{"=", WB_SK_EQ}, {"==", WB_SK_EQ}, {"eq", WB_SK_EQ}, {"<", WB_SK_LT}, {"lt", WB_SK_LT},
		{"<=", WB_SK_LE}, {"le", WB_SK_LE}, {">", WB_SK_GT}, {"gt", WB_SK_GT},
		{">=", WB_SK_GE}, {"ge", WB_SK_GE}, {"begins_with", WB_SK_BEGINS_WITH},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0)
			return ops[i].op;
	return WB_SK_NONE;
}

/* The sort-key condition from --sk-prefix / --sk-between / --sk-op, as typed. */
struct sk_args {
	wb_sk_op op;     /* condition */
	const char *a;   /* first operand text */
	const char *b;   /* second operand text (between) */
	const char *opt; /* the option it came from */
};

static int sk_condition(const wb_cli_opt *prefix, const wb_cli_opt *between, const wb_cli_opt *op,
			struct sk_args *sk)
{
	memset(sk, 0, sizeof(*sk));
	if (prefix->seen + between->seen + op->seen > 1)
		return wb_cli_usage("query", "give at most one of --sk-prefix, --sk-between and --sk-op");
	if (prefix->seen)
		*sk = (struct sk_args){WB_SK_BEGINS_WITH, prefix->v[0], NULL, "--sk-prefix"};
	else if (between->seen)
		*sk = (struct sk_args){WB_SK_BETWEEN, between->v[0], between->v[1], "--sk-between"};
	else if (op->seen && (sk->op = parse_op(op->v[0])) == WB_SK_NONE)
		return wb_cli_usage("query", "unknown --sk-op '%s': use = < <= > >= or begins_with", op->v[0]);
	else if (op->seen) {
		sk->a = op->v[1];
		sk->opt = "--sk-op";
	}
	return 0;
}

/* Convert the typed key values; the wb_values are the caller's. */
static int query_values(const wb_table_desc *d, const char *pk, const struct sk_args *sk,
			wb_value *vals[3])
{
	int code;

	if ((code = wb_cli_key_value(&vals[0], "--pk", pk, d->key.pk_type)) != 0)
		return code;
	if (sk->op == WB_SK_NONE)
		return 0;
	if (!d->key.sk_name[0])
		return wb_cli_fail("%s: table %s has no sort key", sk->opt, d->name);
	if (sk->op == WB_SK_BEGINS_WITH && d->key.sk_type == WB_N)
		return wb_cli_fail("%s: begins_with needs a string or binary sort key; %s of %s is N",
				   sk->opt, d->key.sk_name, d->name);
	if ((code = wb_cli_key_value(&vals[1], sk->opt, sk->a, d->key.sk_type)) != 0)
		return code;
	if (sk->b && (code = wb_cli_key_value(&vals[2], sk->opt, sk->b, d->key.sk_type)) != 0)
		return code;
	/* DynamoDB refuses A > B, the embedded store would find nothing: refuse alike */
	if (sk->b && wb_key_compare(vals[1], vals[2]) > 0)
		return wb_cli_usage("query", "--sk-between A B needs A <= B, not %s > %s", sk->a, sk->b);
	return 0;
}

static int run_query(wb_cli *cli, struct reader *r, const char *pk, const struct sk_args *sk)
{
	wb_value *vals[3] = {NULL, NULL, NULL};
	wb_table_desc d;
	int code;

	if ((code = wb_cli_connect(&r->db, cli)) != 0)
		return code;
	if ((code = wb_cli_describe(r->db, r->table, &d)) == 0 &&
	    (!r->query.index || (code = wb_cli_index_key(r->db, &d, r->query.index)) == 0) &&
	    (!r->query.index || sk->op == WB_SK_NONE || d.key.sk_name[0] ||
	     (code = wb_cli_fail("%s: index %s of %s has no sort key", sk->opt, r->query.index, d.name)) == 0) &&
	    (code = query_values(&d, pk, sk, vals)) == 0) {
		r->query.pk = vals[0];
		r->query.sk_op = sk->op;
		r->query.sk_a = vals[1];
		r->query.sk_b = vals[2];
		code = print_all(r);
	}
	for (int i = 0; i < 3; i++)
		wb_value_free(vals[i]);
	wb_close(r->db);
	return code;
}

int wb_cmd_query(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {
		{"--pk", NULL, 1, 0, {0}}, {"--sk-prefix", NULL, 1, 0, {0}},
		{"--sk-between", NULL, 2, 0, {0}}, {"--sk-op", NULL, 2, 0, {0}},
		{"--desc", NULL, 0, 0, {0}}, {"--limit", NULL, 1, 0, {0}},
		{"--format", NULL, 1, 0, {0}}, {"--index", NULL, 1, 0, {0}},
		{NULL, NULL, 0, 0, {0}},
	};
	struct reader r;
	struct sk_args sk;
	char *pos[1];
	int npos, code;

	memset(&r, 0, sizeof(r));
	r.query = (wb_query)WB_QUERY_INIT;
	r.is_query = 1;
	if ((code = wb_cli_parse("query", opts, argc, argv, pos, 1, &npos)) != 0 ||
	    (code = common_opts("query", &r, &opts[5], &opts[6])) != 0 ||
	    (code = sk_condition(&opts[1], &opts[2], &opts[3], &sk)) != 0)
		return code;
	if (npos < 1)
		return wb_cli_usage("query", "missing TABLE");
	if (!opts[0].seen)
		return wb_cli_usage("query", "missing --pk VALUE");
	r.table = pos[0];
	r.query.descending = opts[4].seen;
	r.query.index = opts[7].seen ? opts[7].v[0] : NULL;
	if ((code = wb_cli_check_table(r.table)) != 0)
		return code;
	return run_query(cli, &r, opts[0].v[0], &sk);
}
