/*
 * cmd_io.c - `whimbrel import` and `whimbrel export`: JSON lines in and out.
 *
 * Import reads one item per line (DynamoDB JSON or plain JSON, detected per
 * line; blank lines skipped) in one pass into a bulk load (wb_load_*, which
 * sorts the items within a fixed memory budget, spilling to temporary
 * files), and is all-or-nothing per file: every line is parsed and checked
 * against the table's key schema before anything is written; the commit is
 * then one transaction on SQLite.  With --continue, bad lines are reported,
 * skipped and counted, and the rest is written.
 *
 * Lines of AWS's DynamoDB export to S3, {"Item":{...}}, are unwrapped.
 * Ctrl-C (SIGINT) or SIGTERM stops an import, saying how many items were
 * written (none on SQLite; exit 130).
 *
 * Export pages through a scan and prints each item as one line (DynamoDB
 * JSON by default: import of an export gives back the same items).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "jsonl.h"

#define MAX_REPORTED 10              /* bad lines printed before the summary */

const char wb_cli_help_import[] =
	"usage: whimbrel [--db URL] import TABLE FILE|- [--continue] [--yes]\n"
	"                                        [--create --pk ATTR[:S|N|B] [--sk ATTR[:S|N|B]]]\n"
	"\n"
	"Load items into TABLE from FILE (- for standard input): one JSON object per\n"
	"line, DynamoDB JSON or plain JSON (detected line by line); blank lines are\n"
	"skipped; lines of AWS's export to S3, {\"Item\":{...}}, are unwrapped.  Every\n"
	"line is checked before anything is written: a bad line is reported as\n"
	"FILE:LINE: message and nothing of the file is imported.\n"
	"\n"
	"Options:\n"
	"  --continue          skip bad lines (each is reported) and import the rest\n"
	"  --create            create TABLE when it does not exist, with the key below\n"
	"  --pk ATTR[:TYPE]    partition key for --create (TYPE S, N or B; default S)\n"
	"  --sk ATTR[:TYPE]    sort key for --create\n"
	"  -y, --yes           do not ask on a target with confirm = yes (prod)\n"
	"\n"
	"A long import shows its progress on a terminal (not with -q).\n"
	"Example: whimbrel import cars cars.jsonl --create --pk make --sk model\n";

const char wb_cli_help_export[] =
	"usage: whimbrel [--db URL] export TABLE [--format ddb|plain]\n"
	"\n"
	"Write every item of TABLE to standard output, one JSON object per line.\n"
	"\n"
	"Options:\n"
	"  --format ddb|plain   DynamoDB JSON (the default: lossless, `whimbrel import`\n"
	"                       gives back the same items) or plain JSON (types\n"
	"                       inferred on the way back: sets become lists, binary\n"
	"                       becomes base64 text)\n"
	"\n"
	"Example: whimbrel export cars > cars.jsonl\n";

/* An import in progress. */
struct import {
	wb_cli *cli;          /* global options */
	const char *table;    /* TABLE */
	const char *name;     /* FILE as given, or "stdin" */
	FILE *in;             /* the input */
	wb_key_schema key;    /* the table's (or --create's) key schema */
	int keep_going;       /* --continue */
	wb_db *db;            /* the target */
	wb_load *load;        /* the items read so far, written at the end */
	unsigned long long lines_ok; /* good lines */
	unsigned long long bad;      /* bad lines */
	unsigned long long written;  /* items written */
	wb_cli_progress progress;    /* the progress line */
	volatile int *stop;          /* set by SIGINT / SIGTERM: stop at the next line or batch */
};

/* The one line of an interrupted import; exit 130. */
static int stop_interrupted(struct import *im)
{
	wb_cli_progress_end(&im->progress);
	if (im->written == 0)
		wb_cli_fail("interrupted: nothing imported into %s", im->table);
	else
		wb_cli_fail("interrupted: %llu item%s written into %s before it, the rest of %s not",
			    im->written, im->written == 1 ? "" : "s", im->table, im->name);
	return WB_EXIT_INTERRUPTED;
}

/* Progress of the commit; stops it after Ctrl-C. */
static int on_written(uint64_t written, void *arg)
{
	struct import *im = arg;

	im->written = written;
	wb_cli_progress_update(&im->progress, written);
	return *im->stop != 0;
}

/* Write the items read (one transaction on SQLite). */
static int commit_items(struct import *im)
{
	uint64_t written = 0;
	int rc, atomic;

	if (*im->stop)
		return stop_interrupted(im);
	rc = wb_load_commit(im->load, &written, on_written, im);
	im->written = written;
	if (rc == 0) {
		wb_cli_progress_update(&im->progress, written);
		return 0;
	}
	if (rc == WB_EINTERRUPTED)
		return stop_interrupted(im);
	atomic = wb_load_atomic(im->load); /* the embedded store: one transaction */
	wb_cli_progress_end(&im->progress);
	if (atomic || im->written == 0)
		wb_cli_fail("import into %s failed, nothing imported: %s", im->table, wb_error_last());
	else
		wb_cli_fail("import into %s failed: %s (%llu items written before; the failed batch may be in part)",
			    im->table, wb_error_last(), im->written);
	return wb_cli_exit_for(rc);
}

static void report_bad(struct import *im, unsigned long long lineno, const char *reason)
{
	char msg[2048], line[4 * sizeof(msg)];

	im->bad++;
	if (!im->keep_going && im->bad > MAX_REPORTED)
		return;
	wb_cli_progress_end(&im->progress);
	snprintf(msg, sizeof(msg), "%s:%llu: %s", im->name, lineno, reason);
	fprintf(stderr, "%s%s%s\n", im->keep_going ? "" : "whimbrel: ",
		wb_escape_line(line, sizeof(line), msg), im->keep_going ? " (skipped)" : "");
}

/*
 * Check a parsed line's item and add it to the load (once a line was bad,
 * only --continue goes on adding): 1 when the item is not valid for the
 * table (a bad line, the message in wb_error_last()).
 */
static int add_item(struct import *im, wb_item *item, int *code)
{
	int rc;

	if (im->bad == 0 || im->keep_going)
		rc = wb_load_add(im->load, item);
	else
		rc = wb_item_validate(item, &im->key);
	wb_item_free(item);
	if (rc == WB_EINVALID)
		return 1;
	if (rc < 0)
		*code = wb_cli_fail("import into %s: %s", im->table, wb_error_last());
	return 0;
}

/* Read, check and add every line of the input (parsed on worker threads). */
static int read_lines(struct import *im)
{
	wb_cli_jsonl *jl;
	wb_cli_jsonl_line l;
	int code = 0, rc = 0;

	if (wb_cli_jsonl_open(&jl, im->in, &im->key, wb_cli_jsonl_threads()) < 0)
		return wb_cli_fail("import into %s: out of memory", im->table);
	while (code == 0 && !*im->stop && (rc = wb_cli_jsonl_next(jl, &l)) == 1) {
		if (l.error || add_item(im, l.item, &code)) {
			report_bad(im, l.lineno, l.error ? l.error : wb_error_last());
			continue;
		}
		im->lines_ok++;
		wb_cli_progress_update(&im->progress, im->lines_ok);
	}
	if (code == 0 && *im->stop)
		code = stop_interrupted(im);
	else if (code == 0 && rc < 0)
		code = wb_cli_fail("%s: read error: %s", im->name, strerror(errno));
	wb_cli_jsonl_close(jl);
	return code;
}

static int create_table(struct import *im)
{
	int rc = wb_table_create(im->db, im->table, &im->key);

	if (rc < 0)
		return wb_cli_error(rc);
	if (!im->cli->quiet)
		fprintf(stderr, "created table %s\n", im->table);
	return 0;
}

/*
 * Read and check everything into the load, then (create the table and)
 * write; with --continue bad lines are skipped, else one fails it all.
 */
static int import_run(struct import *im, int must_create)
{
	int code;

	if (wb_load_begin(&im->load, im->db, im->table, &im->key) < 0)
		return wb_cli_fail("import into %s: %s", im->table, wb_error_last());
	wb_cli_progress_begin(&im->progress, im->cli, "reading");
	if ((code = read_lines(im)) != 0)
		return code;
	wb_cli_progress_end(&im->progress);
	if (im->bad && !im->keep_going)
		return wb_cli_fail("nothing imported: %llu bad line%s in %s (--continue skips bad lines)",
				   im->bad, im->bad == 1 ? "" : "s", im->name);
	if (must_create && (code = create_table(im)) != 0)
		return code;
	wb_cli_progress_begin(&im->progress, im->cli, "importing");
	return commit_items(im);
}

static int same_key(const wb_key_schema *a, const wb_key_schema *b)
{
	return strcmp(a->pk_name, b->pk_name) == 0 && a->pk_type == b->pk_type &&
	       strcmp(a->sk_name, b->sk_name) == 0 && (!a->sk_name[0] || a->sk_type == b->sk_type);
}

/*
 * The key schema: the table's, or --create's for a table still to create
 * (an existing table must then have that key).
 */
static int resolve_table(struct import *im, const wb_cli_opt *create, const wb_cli_opt *pk,
			 const wb_cli_opt *sk, int *must_create)
{
	wb_table_desc d;
	int rc, code;

	*must_create = 0;
	memset(&im->key, 0, sizeof(im->key));
	if (create->seen && !pk->seen)
		return wb_cli_usage("import", "--create needs --pk ATTR[:S|N|B]");
	if (create->seen &&
	    ((code = wb_cli_parse_keyspec("import", "--pk", pk->v[0], im->key.pk_name, &im->key.pk_type)) ||
	     (sk->seen && (code = wb_cli_parse_keyspec("import", "--sk", sk->v[0], im->key.sk_name,
							&im->key.sk_type)))))
		return code;
	rc = wb_table_describe(&d, im->db, im->table);
	if (rc == 0 && create->seen && !same_key(&d.key, &im->key))
		return wb_cli_fail("table %s exists with another key than --pk/--sk say (see whimbrel table "
				   "describe %s)", im->table, im->table);
	if (rc == 0) {
		im->key = d.key;
		return 0;
	}
	if (rc != WB_ENOTFOUND)
		return wb_cli_error(rc);
	if (!create->seen)
		return wb_cli_fail("table %s does not exist: create it with `whimbrel table create %s --pk ATTR`"
				   " or import with --create --pk ATTR", im->table, im->table);
	*must_create = 1;
	return 0;
}

static int open_input(struct import *im, const char *file)
{
	if (strcmp(file, "-") == 0) {
		im->in = stdin;
		im->name = "stdin";
	} else if (!(im->in = fopen(file, "r"))) {
		return wb_cli_fail("%s: cannot open: %s", file, strerror(errno));
	} else {
		im->name = file;
	}
	return 0;
}

static void import_summary(const struct import *im)
{
	if (im->cli->quiet)
		return;
	if (im->keep_going)
		printf("imported %llu item%s into %s, skipped %llu bad line%s\n", im->written,
		       im->written == 1 ? "" : "s", im->table, im->bad, im->bad == 1 ? "" : "s");
	else
		printf("imported %llu item%s into %s\n", im->written, im->written == 1 ? "" : "s", im->table);
}

static void import_close(struct import *im)
{
	wb_cli_progress_end(&im->progress);
	wb_load_free(im->load);
	if (im->in && im->in != stdin)
		fclose(im->in);
	wb_close(im->db);
}

int wb_cmd_import(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {
		{"--continue", NULL, 0, 0, {0}}, {"--create", NULL, 0, 0, {0}},
		{"--pk", NULL, 1, 0, {0}}, {"--sk", NULL, 1, 0, {0}}, {"--yes", "-y", 0, 0, {0}},
		{NULL, NULL, 0, 0, {0}},
	};
	char what[300];
	struct import im;
	char *pos[2];
	int npos, code, must_create = 0;

	memset(&im, 0, sizeof(im));
	if ((code = wb_cli_parse("import", opts, argc, argv, pos, 2, &npos)) != 0)
		return code;
	if (npos < 2)
		return wb_cli_usage("import", npos ? "missing FILE (or - for standard input)" : "missing TABLE and FILE");
	if ((opts[2].seen || opts[3].seen) && !opts[1].seen)
		return wb_cli_usage("import", "--pk and --sk go with --create");
	im.cli = cli;
	im.table = pos[0];
	im.keep_going = opts[0].seen;
	if ((code = wb_cli_check_table(im.table)) != 0)
		return code;
	snprintf(what, sizeof(what), "import into %s", im.table);
	im.stop = wb_cli_stop_flag(1); /* a read waiting on a pipe returns */
	if ((code = open_input(&im, pos[1])) == 0 &&
	    (code = wb_cli_connect_write(&im.db, cli, what, opts[4].seen)) == 0 &&
	    (code = resolve_table(&im, &opts[1], &opts[2], &opts[3], &must_create)) == 0) {
		code = import_run(&im, must_create);
		wb_cli_progress_end(&im.progress);
		if (code == 0)
			import_summary(&im);
	}
	import_close(&im);
	return wb_cli_flush(code);
}

/* Print every item of the table; the previous page lives until the next arrives. */
static int export_all(wb_cli *cli, wb_db *db, const char *table, int format)
{
	wb_scan scan = WB_SCAN_INIT;
	wb_cli_progress progress;
	wb_page *page = NULL, *prev = NULL;
	unsigned long long done = 0;
	int code = 0, rc;

	wb_cli_progress_begin(&progress, cli, "exporting");
	do {
		scan.start_after = prev ? prev->last_key : NULL;
		rc = wb_scan_page(&page, db, table, &scan);
		wb_page_free(prev);
		prev = NULL;
		if (rc < 0) {
			wb_cli_progress_end(&progress);
			return wb_cli_error(rc);
		}
		for (size_t i = 0; i < page->count && code == 0; i++)
			code = wb_cli_print_item(stdout, page->items[i], format);
		done += page->count;
		wb_cli_progress_update(&progress, done);
		prev = page;
	} while (code == 0 && page->last_key);
	wb_page_free(prev);
	wb_cli_progress_end(&progress);
	code = wb_cli_flush(code);
	if (code == 0 && progress.on)
		fprintf(stderr, "exported %llu items from %s\n", done, table);
	return code;
}

int wb_cmd_export(wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--format", NULL, 1, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	int npos, code, format = WB_JSON_DDB;
	wb_table_desc d;
	wb_db *db = NULL;
	char *pos[1];

	if ((code = wb_cli_parse("export", opts, argc, argv, pos, 1, &npos)) != 0 ||
	    (opts[0].seen && (code = wb_cli_parse_format("export", opts[0].v[0], &format)) != 0))
		return code;
	if (npos < 1)
		return wb_cli_usage("export", "missing TABLE");
	if ((code = wb_cli_check_table(pos[0])) != 0 || (code = wb_cli_connect(&db, cli)) != 0)
		return code;
	if ((code = wb_cli_describe(db, pos[0], &d)) == 0)
		code = export_all(cli, db, pos[0], format);
	wb_close(db);
	return code;
}
