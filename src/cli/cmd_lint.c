/*
 * cmd_lint.c - `whimbrel lint`: check the name and header of every migration.
 *
 * Reads each NNNN_slug.c of the migrations directory without compiling it
 * and prints one line per problem, `FILE:LINE: message`, sorted by file and
 * line: file names, unique numbers, and every header problem header.c finds
 * (description, time lines, dates, pairing, order), plus times in the
 * future.  Exits 1 when any problem is found (docs/retention.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <whimbrel/runner.h>

#include "cli.h"
#include "tools.h"

#define NO_NUMBER ((unsigned long)-1)

/* Options of one lint invocation. */
struct lint_opts {
	const char *dir;   /* migrations directory */
	time_t now;        /* "now" for the future check */
};

/* One problem of one file, before sorting. */
struct finding {
	int line;          /* 1-based line */
	size_t seq;        /* order found, to keep the sort stable */
	char msg[200];     /* one-line message */
};

/* The problems of one file. */
struct findings {
	struct finding *v; /* malloc'd array */
	size_t n;          /* how many */
};

const char wb_cli_help_lint[] =
	"usage: whimbrel lint [--dir DIR] [--now DATE]\n"
	"\n"
	"Check every migration of DIR (default: migrations) without compiling it:\n"
	"file names NNNN_slug.c, unique numbers, a description, well-formed\n"
	"Execution Time / Finalization Time lines, no finalization before its\n"
	"execution, no time in the future.  Prints FILE:LINE: message per problem.\n"
	"\n"
	"  --dir DIR   the migrations directory (default: migrations)\n"
	"  --now DATE  the current time, \"YYYY-MM-DD\" or \"YYYY-MM-DD at HH:MM:SS UTC\"\n"
	"              (default: the clock)\n"
	"\n"
	"Exit codes: 0 no problem, 1 problems found (or the directory cannot be read),\n"
	"2 usage.  See whimbrel-lint(1).\n";

static int add(struct findings *f, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int add(struct findings *f, int line, const char *fmt, ...)
{
	struct finding *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
	va_list ap;

	if (!nv)
		return -1;
	f->v = nv;
	nv[f->n].line = line > 0 ? line : 1;
	nv[f->n].seq = f->n;
	va_start(ap, fmt);
	vsnprintf(nv[f->n].msg, sizeof(nv[f->n].msg), fmt, ap);
	va_end(ap);
	f->n++;
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The future check: no time of the header after `now`. */
static int check_future(struct findings *f, const wb_header *h, time_t now)
{
	char t[32], n[32];
	int rc = 0;

	wb_time_format(n, sizeof(n), now);
	for (size_t i = 0; i < wb_header_run_count(h) && rc == 0; i++) {
		const wb_header_run *r = wb_header_run_at(h, i);
		if (r->exec > now) {
			wb_time_format(t, sizeof(t), r->exec);
			rc = add(f, r->exec_line, "Execution Time %s is in the future (now is %s)", t, n);
		}
		if (rc == 0 && r->fin > now) {
			wb_time_format(t, sizeof(t), r->fin);
			rc = add(f, r->fin_line, "Finalization Time %s is in the future (now is %s)", t, n);
		}
	}
	return rc;
}

/* The header of one file: what header.c finds, plus the future check. */
static int check_header(struct findings *f, const char *path, time_t now)
{
	wb_header *h = NULL;
	int rc = wb_header_parse_file(&h, path);

	if (rc == WB_EIO) { /* "cannot read PATH: REASON": the path is already in front */
		const char *why = strrchr(wb_error_last(), ':');
		return add(f, 1, "cannot read the file: %s", why ? why + 2 : wb_error_last());
	}
	if (!h)
		return -1;
	rc = 0;
	for (size_t i = 0; i < wb_header_problem_count(h) && rc == 0; i++) {
		const wb_header_problem *p = wb_header_problem_at(h, i);
		rc = add(f, p->line, "%s", p->msg);
	}
	if (rc == 0)
		rc = check_future(f, h, now);
	wb_header_free(h);
	return rc;
}

/* Whether two migration names start with the same number (leading zeros aside, any length). */
static int same_number(const char *a, const char *b)
{
	size_t na, nb;

	while (*a == '0')
		a++;
	while (*b == '0')
		b++;
	na = strspn(a, "0123456789");
	nb = strspn(b, "0123456789");
	return na == nb && strncmp(a, b, na) == 0;
}

/* The name of file i and the uniqueness of its number among files 0..i-1. */
static int check_name(struct findings *f, char **names, unsigned long *numbers, size_t i)
{
	if (!wb_migration_name_ok(&numbers[i], names[i])) {
		numbers[i] = NO_NUMBER;
		return add(f, 1, "file name should be NNNN_slug.c (a number of at least 4 digits, "
			   "'_', then lower-case letters, digits and '_')");
	}
	for (size_t j = 0; j < i; j++)
		if (numbers[j] == numbers[i] && same_number(names[j], names[i])) /* past 64 bits too */
			return add(f, 1, "migration number %.*s is also used by %s",
				   (int)strcspn(names[i], "_"), names[i], names[j]);
	return 0;
}

/* Lint one file; prints its problems and returns how many (or -1). */
static long lint_one(const struct lint_opts *o, char **names, unsigned long *numbers, size_t i)
{
	struct findings f = {0};
	char path[4096], msg[sizeof(path) + 1200], line[4 * sizeof(msg)];
	long n;

	snprintf(path, sizeof(path), "%s/%s", o->dir, names[i]);
	if (check_name(&f, names, numbers, i) < 0 || check_header(&f, path, o->now) < 0) {
		free(f.v);
		return -1;
	}
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), cmp_finding);
	for (size_t k = 0; k < f.n; k++) {
		snprintf(msg, sizeof(msg), "%s:%d: %s", path, f.v[k].line, f.v[k].msg);
		printf("%s\n", wb_escape_line(line, sizeof(line), msg)); /* odd file names */
	}
	n = (long)f.n;
	free(f.v);
	return n;
}

static int parse_args(struct lint_opts *o, int argc, char **argv)
{
	const char *now = NULL;

	o->dir = "migrations";
	o->now = time(NULL);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "--dir") == 0 || strcmp(a, "--now") == 0) && i + 1 < argc)
			*(a[2] == 'd' ? &o->dir : &now) = argv[++i];
		else if (strncmp(a, "--dir=", 6) == 0)
			o->dir = a + 6;
		else if (strncmp(a, "--now=", 6) == 0)
			now = a + 6;
		else
			return wb_cli_usage("lint", "unexpected argument '%s'", a);
	}
	return now ? wb_cli_now_arg(&o->now, "lint", now) : 0;
}

int wb_cmd_lint(wb_cli *cli, int argc, char **argv)
{
	struct lint_opts o;
	char **names = NULL, dirbuf[4096];
	unsigned long *numbers = NULL;
	size_t count = 0;
	long problems = 0, n;
	int rc;

	if ((rc = parse_args(&o, argc, argv)) != 0)
		return rc;
	o.dir = wb_cli_dir_arg(dirbuf, sizeof(dirbuf), o.dir); /* no "dir//file" in messages */
	if (wb_migration_list(&names, &count, o.dir, WB_MIGRATION_LIST_ALL) < 0)
		return wb_cli_fail("%s", wb_error_last());
	if (count && !(numbers = calloc(count, sizeof(*numbers)))) {
		wb_strings_free(names);
		return wb_cli_fail("out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		if ((n = lint_one(&o, names, numbers, i)) < 0) {
			rc = wb_cli_fail("out of memory");
			goto done;
		}
		problems += n;
	}
	if (!cli->quiet)
		fprintf(stderr, "whimbrel lint: %zu migration%s in %s, %ld problem%s\n", count,
			count == 1 ? "" : "s", o.dir, problems, problems == 1 ? "" : "s");
	rc = problems ? WB_EXIT_ERROR : WB_EXIT_OK;
done:
	free(numbers);
	wb_strings_free(names);
	return rc;
}
