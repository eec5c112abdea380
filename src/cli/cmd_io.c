/*
 * cmd_io.c - `whimbrel import` and `whimbrel export`: JSON lines in and out.
 *
 * Import reads one item per line (DynamoDB JSON or plain JSON, detected per
 * line; blank lines skipped) and is all-or-nothing per file: every line is
 * parsed and checked against the table's key schema before anything is
 * written.  A file of up to KEEP_MAX bytes is kept in memory and written as
 * one batch (one transaction on SQLite); a larger one is read a second time
 * (standard input is spooled to a temporary file for that) and written in
 * batches of CHUNK items.  With --continue, bad lines are reported, skipped
 * and counted, and the rest is written as it comes.
 *
 * Lines of AWS's DynamoDB export to S3, {"Item":{...}}, are unwrapped.
 * Ctrl-C (SIGINT) or SIGTERM stops an import between lines or batches,
 * saying how many items were written (exit 130).
 *
 * Export pages through a scan and prints each item as one line (DynamoDB
 * JSON by default: import of an export gives back the same items).
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <whimbrel/runner.h>

#include "args.h"

#define KEEP_MAX (8u * 1024 * 1024)  /* input bytes kept as items for one batch */
#define CHUNK 1000                   /* items per batch otherwise */
#define LINE_MAX_BYTES (8u * 1024 * 1024)
#define MAX_REPORTED 10              /* bad lines printed before the summary */

static const char usage_import[] =
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

static const char usage_export[] =
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
	FILE *in;             /* the input (pass 1) */
	FILE *spool;          /* copy of standard input for pass 2, or NULL */
	wb_key_schema key;    /* the table's (or --create's) key schema */
	int keep_going;       /* --continue */
	wb_db *db;            /* the target */
	wb_item **items;      /* items waiting to be written (owned) */
	size_t nitems, cap;   /* used and allocated */
	size_t kept_bytes;    /* input bytes behind `items` in pass 1 */
	int spilled;          /* pass 1 outgrew KEEP_MAX: pass 2 re-reads */
	unsigned long long lines_ok; /* good lines of this pass */
	unsigned long long bad;      /* bad lines */
	unsigned long long written;  /* items written */
	wb_cli_progress progress;    /* the progress line */
};

static void drop_items(struct import *im)
{
	for (size_t i = 0; i < im->nitems; i++)
		wb_item_free(im->items[i]);
	im->nitems = 0;
}

static int keep_item(struct import *im, wb_item *item)
{
	if (im->nitems == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 256;
		wb_item **p = realloc(im->items, cap * sizeof(*p));
		if (!p) {
			wb_item_free(item);
			return wb_cli_fail("out of memory");
		}
		im->items = p;
		im->cap = cap;
	}
	im->items[im->nitems++] = item;
	return 0;
}

/* Set by SIGINT / SIGTERM during an import: stop at the next line or batch. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* Catch SIGINT and SIGTERM (no SA_RESTART: a read waiting on a pipe returns). */
static void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

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

/* Write the waiting items as one batch. */
static int flush_items(struct import *im)
{
	wb_write *w;
	size_t failed = 0;
	int rc;

	if (interrupted)
		return stop_interrupted(im);
	if (im->nitems == 0)
		return 0;
	if (!(w = calloc(im->nitems, sizeof(*w))))
		return wb_cli_fail("out of memory");
	for (size_t i = 0; i < im->nitems; i++)
		w[i] = (wb_write){im->table, WB_WRITE_PUT, im->items[i], NULL};
	rc = wb_batch_write(im->db, w, im->nitems, &failed);
	free(w);
	if (rc < 0) {
		/* a batch is one transaction on the embedded store, not on DynamoDB */
		int atomic = strncmp(wb_db_url(im->db), "sqlite:", 7) == 0;
		wb_cli_progress_end(&im->progress);
		if (atomic && im->written == 0)
			wb_cli_fail("import into %s failed, nothing imported: %s", im->table, wb_error_last());
		else
			wb_cli_fail("import into %s failed: %s (%llu items written before%s)", im->table,
				    wb_error_last(), im->written, atomic ? "" : "; the failed batch may be in part");
		return wb_cli_exit_for(rc);
	}
	im->written += im->nitems;
	drop_items(im);
	wb_cli_progress_update(&im->progress, im->written);
	return 0;
}

/* Strip the line end (and a byte order mark on line 1); 1 when blank. */
static int clean_line(char *line, size_t *len, unsigned long long lineno)
{
	size_t n = *len;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		memmove(line, line + 3, n - 2);
		n -= 3;
	}
	*len = n;
	for (size_t i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return 0;
	return 1;
}

/*
 * AWS's export of a DynamoDB table to S3 writes lines {"Item":{...}} holding
 * DynamoDB JSON.  When a line parsed as one map attribute "Item" (and the
 * table has no key of that name), read the inner object as an item (the
 * item as it was would lack its key anyway); keep it when that fails.
 */
static void unwrap_aws_export(wb_item **item, const char *line, size_t len, const wb_key_schema *key)
{
	json_t *root, *inner;
	wb_item *unwrapped = NULL;
	char *text = NULL;

	if (wb_item_count(*item) != 1 || strcmp(wb_item_name_at(*item, 0), "Item") != 0 ||
	    wb_value_type(wb_item_value_at(*item, 0)) != WB_M || strcmp(key->pk_name, "Item") == 0 ||
	    strcmp(key->sk_name, "Item") == 0)
		return;
	if ((root = json_loadb(line, len, 0, NULL)) && (inner = json_object_get(root, "Item")) &&
	    (text = json_dumps(inner, JSON_COMPACT | JSON_ENCODE_ANY)) &&
	    wb_item_from_json(&unwrapped, text, strlen(text), WB_JSON_AUTO) == 0) {
		wb_item_free(*item);
		*item = unwrapped;
	}
	free(text);
	json_decref(root);
}

/* Parse and check one line; on failure the message is in wb_error_last(). */
static int parse_line(wb_item **out, const char *line, size_t len, const wb_key_schema *key)
{
	int rc;

	*out = NULL;
	if ((rc = wb_item_from_json(out, line, len, WB_JSON_AUTO)) < 0)
		return rc;
	unwrap_aws_export(out, line, len, key);
	if ((rc = wb_item_validate(*out, key)) < 0) {
		wb_item_free(*out);
		*out = NULL;
	}
	return rc;
}

/* The reason a line is bad; "JSON line 1 column 7" says nothing more than "column 7" here. */
static const char *bad_reason(int too_long)
{
	static char buf[1100];
	const char *msg = wb_error_last();

	if (too_long)
		return "line too long: an item is at most 400 KB";
	if (strncmp(msg, "JSON line 1 column ", 19) != 0)
		return msg;
	snprintf(buf, sizeof(buf), "bad JSON at %s", msg + 12); /* "column N: ..." */
	return buf;
}

static void report_bad(struct import *im, unsigned long long lineno, int too_long)
{
	char msg[2048], line[4 * sizeof(msg)];

	im->bad++;
	if (!im->keep_going && im->bad > MAX_REPORTED)
		return;
	wb_cli_progress_end(&im->progress);
	snprintf(msg, sizeof(msg), "%s:%llu: %s", im->name, lineno, bad_reason(too_long));
	fprintf(stderr, "%s%s%s\n", im->keep_going ? "" : "whimbrel: ",
		wb_escape_line(line, sizeof(line), msg), im->keep_going ? " (skipped)" : "");
}

/*
 * Read every line of `f`.  Pass 1 (write == 0) checks them, keeping items
 * while they fit; pass 2 (write == 1) writes them in chunks.  With
 * --continue there is one pass, which writes.
 */
static int read_lines(struct import *im, FILE *f, int write)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long long lineno = 0;
	int code = 0;

	errno = 0;
	while (code == 0 && !interrupted && (got = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)got;
		wb_item *item = NULL;
		lineno++;
		if (im->spool && !write && fwrite(line, 1, len, im->spool) != len)
			code = wb_cli_fail("cannot spool standard input: %s", strerror(errno));
		if (code || clean_line(line, &len, lineno))
			continue;
		if (len > LINE_MAX_BYTES || parse_line(&item, line, len, &im->key) < 0) {
			report_bad(im, lineno, len > LINE_MAX_BYTES);
			if (write && !im->keep_going)
				code = wb_cli_fail("%s changed while it was imported", im->name);
			continue;
		}
		im->lines_ok++;
		if (write || (!im->spilled && im->kept_bytes + len <= KEEP_MAX)) {
			im->kept_bytes += len;
			code = keep_item(im, item);
		} else {
			wb_item_free(item);
			im->spilled = 1;
			drop_items(im);
		}
		if (code == 0 && write && im->nitems >= CHUNK)
			code = flush_items(im);
		if (!write)
			wb_cli_progress_update(&im->progress, im->lines_ok);
	}
	if (code == 0 && interrupted)
		code = stop_interrupted(im);
	else if (code == 0 && ferror(f))
		code = wb_cli_fail("%s: read error: %s", im->name, strerror(errno));
	free(line);
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

/* Without --continue: check everything, then (create the table and) write. */
static int import_all_or_nothing(struct import *im, int must_create)
{
	FILE *again;
	int code;

	wb_cli_progress_begin(&im->progress, im->cli, "checking");
	if ((code = read_lines(im, im->in, 0)) != 0)
		return code;
	wb_cli_progress_end(&im->progress);
	if (im->bad) {
		drop_items(im);
		return wb_cli_fail("nothing imported: %llu bad line%s in %s (--continue skips bad lines)",
				   im->bad, im->bad == 1 ? "" : "s", im->name);
	}
	if (must_create && (code = create_table(im)) != 0)
		return code;
	wb_cli_progress_begin(&im->progress, im->cli, "importing");
	if (!im->spilled)
		return flush_items(im);
	again = im->spool ? im->spool : im->in;
	if (fflush(again) != 0 || fseek(again, 0, SEEK_SET) != 0)
		return wb_cli_fail("%s: cannot read it a second time: %s", im->name, strerror(errno));
	im->lines_ok = 0;
	if ((code = read_lines(im, again, 1)) != 0)
		return code;
	return flush_items(im);
}

/* With --continue: one pass, bad lines skipped. */
static int import_continue(struct import *im, int must_create)
{
	int code;

	if (must_create && (code = create_table(im)) != 0)
		return code;
	wb_cli_progress_begin(&im->progress, im->cli, "importing");
	if ((code = read_lines(im, im->in, 1)) != 0)
		return code;
	return flush_items(im);
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
	struct stat st;

	if (strcmp(file, "-") == 0) {
		im->in = stdin;
		im->name = "stdin";
	} else if (!(im->in = fopen(file, "r"))) {
		return wb_cli_fail("%s: cannot open: %s", file, strerror(errno));
	} else {
		im->name = file;
	}
	if (!im->keep_going && (fstat(fileno(im->in), &st) != 0 || !S_ISREG(st.st_mode)) &&
	    !(im->spool = tmpfile()))
		return wb_cli_fail("cannot create a temporary file to spool %s: %s", im->name, strerror(errno));
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
	drop_items(im);
	free(im->items);
	if (im->spool)
		fclose(im->spool);
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
	if (wb_cli_wants_help(argc, argv)) {
		fputs(usage_import, stdout);
		return WB_EXIT_OK;
	}
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
	catch_interrupts();
	if ((code = open_input(&im, pos[1])) == 0 &&
	    (code = wb_cli_connect_write(&im.db, cli, what, opts[4].seen)) == 0 &&
	    (code = resolve_table(&im, &opts[1], &opts[2], &opts[3], &must_create)) == 0) {
		code = im.keep_going ? import_continue(&im, must_create) : import_all_or_nothing(&im, must_create);
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

	if (wb_cli_wants_help(argc, argv)) {
		fputs(usage_export, stdout);
		return WB_EXIT_OK;
	}
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
