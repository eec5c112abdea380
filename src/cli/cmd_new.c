/*
 * cmd_new.c - `whimbrel new "DESCRIPTION" [--dir migrations]`.
 *
 * Writes NNNN_slug.c, the next free four-digit number and a slug made of
 * the description, from a template that compiles and runs as it is: a
 * header comment holding the description and an empty Execution Time /
 * Finalization Time pair, and a main that begins a run, logs that there is
 * nothing to do yet and ends it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "cli.h"
#include "args.h"

#define SLUG_MAX 50

const char wb_cli_help_new[] =
	"usage: whimbrel new \"DESCRIPTION\" [--dir DIR]\n"
	"\n"
	"Create DIR/NNNN_slug.c (DIR defaults to migrations): the next free four-digit\n"
	"number, a slug made of the description, and a template with the header comment\n"
	"(description, empty Execution Time / Finalization Time lines) and a main that\n"
	"compiles and runs as it is.  Edit it, then `whimbrel plan dev FILE`,\n"
	"`whimbrel run dev FILE`, `whimbrel run prod FILE`.  See whimbrel-new(1).\n";

/* Lowercase [a-z0-9] runs joined by single underscores, at most SLUG_MAX bytes. */
static void slugify(char *out, size_t size, const char *desc)
{
	size_t n = 0;
	int gap = 0;

	for (const char *p = desc; *p && n + 1 < size && n < SLUG_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c) && c < 128) {
			if (gap && n > 0)
				out[n++] = '_';
			if (n < SLUG_MAX && n + 1 < size)
				out[n++] = (char)tolower(c);
			gap = 0;
		} else {
			gap = 1;
		}
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

/* The highest number used in dir (0 if none); -1 if the slug is taken (name in *taken). */
static int scan_dir(const char *dir, const char *slug, int *highest, char *taken, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*highest = 0;
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (len < 7 || strcmp(n + len - 2, ".c") != 0 || !isdigit((unsigned char)n[0]))
			continue;
		int num = atoi(n);
		const char *us = strchr(n, '_');
		if (num > *highest)
			*highest = num;
		if (us && strlen(us + 1) == strlen(slug) + 2 && strncmp(us + 1, slug, strlen(slug)) == 0) {
			snprintf(taken, size, "%s", n);
			closedir(d);
			return 1;
		}
	}
	closedir(d);
	return 0;
}

/* The description as comment lines of at most ~72 columns; "*" "/" defused. */
static void write_description(FILE *f, const char *desc)
{
	char word[256];
	int col = 0;

	fputs(" *", f);
	col = 2;
	for (const char *p = desc; *p;) {
		size_t n = 0;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && n + 1 < sizeof(word))
			word[n++] = *p++;
		word[n] = '\0';
		if (!n)
			break;
		for (char *s = strstr(word, "*/"); s; s = strstr(word, "*/"))
			s[1] = '|';
		if (col > 2 && col + 1 + (int)n > 72) {
			fputs("\n *", f);
			col = 2;
		}
		fprintf(f, " %s", word);
		col += 1 + (int)n;
	}
	fputc('\n', f);
}

static void write_template(FILE *f, const char *desc)
{
	fputs("/*\n", f);
	write_description(f, desc);
	fputs(" *\n"
	      " * Execution Time:\n"
	      " * Finalization Time:\n"
	      " */\n"
	      "#include <whimbrel.h>\n"
	      "\n"
	      "/*\n"
	      " * Called for every item: change it and return WB_WRITE, return WB_DELETE\n"
	      " * to delete it, or WB_KEEP to leave it as it is.  It may run on several\n"
	      " * threads at once.  See whimbrel-new(1).\n"
	      " */\n"
	      "static int change(wb_item *item, void *arg)\n"
	      "{\n"
	      "\t(void)item;\n"
	      "\t(void)arg;\n"
	      "\treturn WB_KEEP;\n"
	      "}\n"
	      "\n"
	      "int main(void)\n"
	      "{\n"
	      "\twb_run *run = wb_run_begin(); /* target, mode and run id from `whimbrel run` */\n"
	      "\tint rc = 0;\n"
	      "\n"
	      "\t/* rc = wb_each(run, \"TABLE\", NULL, change, NULL); */\n"
	      "\t(void)change;\n"
	      "\twb_log_info(run, \"nothing to do yet\");\n"
	      "\treturn wb_run_end(run, rc);\n"
	      "}\n", f);
}

static int create(const char *dir, const char *desc)
{
	char slug[SLUG_MAX + 1], taken[512], path[4096];
	int highest, fd;
	FILE *f;

	slugify(slug, sizeof(slug), desc);
	if (!slug[0])
		return wb_cli_usage("new", "the description '%s' has no letters or digits to name the file", desc);
	int s = scan_dir(dir, slug, &highest, taken, sizeof(taken));
	if (s < 0)
		return wb_cli_fail("cannot read %s: %s", dir, strerror(errno));
	if (s > 0)
		return wb_cli_fail("a migration named %s already exists: %s/%s", slug, dir, taken);
	if (highest >= 9999)
		return wb_cli_fail("%s: no free migration number left", dir);
	if (wb_mkdirs(dir) < 0)
		return wb_cli_fail("%s", wb_error_last());
	snprintf(path, sizeof(path), "%s/%04d_%s.c", dir, highest + 1, slug);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0)
		return wb_cli_fail("cannot create %s: %s", path, strerror(errno));
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		return wb_cli_fail("cannot write %s: %s", path, strerror(errno));
	}
	write_template(f, desc);
	if (fclose(f) != 0) {
		unlink(path);
		return wb_cli_fail("cannot write %s: %s", path, strerror(errno));
	}
	printf("%s\n", path);
	return WB_EXIT_OK;
}

int wb_cmd_new(wb_cli *cli, int argc, char **argv)
{
	const char *dir = "migrations", *desc = NULL;

	(void)cli;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else if (argv[i][0] == '-' && argv[i][1])
			return wb_cli_usage("new", "unknown option '%s'", argv[i]);
		else if (!desc)
			desc = argv[i];
		else
			return wb_cli_usage("new", "one description only (quote it)");
	}
	if (!desc)
		return wb_cli_usage("new", "missing the description");
	for (const unsigned char *p = (const unsigned char *)desc; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return wb_cli_usage("new", "the description holds a control character (0x%02x at "
					    "byte %zu): it goes into a comment, write it as plain text",
					    *p, (size_t)(p - (const unsigned char *)desc) + 1);
	return create(dir, desc);
}
