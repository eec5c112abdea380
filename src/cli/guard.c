/*
 * guard.c - the prod guard (guard.h): whether a migration file is the one
 * committed at HEAD of its git repository, asked of git itself (run
 * without a shell by wb_cli_run, in the file's directory).
 *
 * The file counts as committed when it equals `git show HEAD:./NAME`, or
 * differs from it only in the Execution Time / Finalization Time lines of
 * its header: those are what `run prod` stamps after every run, so an
 * interrupted run can be resumed before the stamp is committed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "cli.h"
#include "guard.h"
#include "tools.h"

/* The directory and base name of path, into dir and base. */
static void split_path(const char *path, char *dir, size_t dsize, char *base, size_t bsize)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dsize, ".");
		snprintf(base, bsize, "%s", path);
	} else {
		snprintf(dir, dsize, "%.*s", slash == path ? 1 : (int)(slash - path), path);
		snprintf(base, bsize, "%s", slash + 1);
	}
}

/* HEAD's commit in dir into out (41 bytes); why not into why. */
static int head_commit(char *out, const char *dir, char *why, size_t wsize)
{
	char *argv[] = {"git", "rev-parse", "--verify", "-q", "HEAD", NULL};
	char *argv2[] = {"git", "rev-parse", "--is-inside-work-tree", NULL};
	char *s = NULL;
	int rc = wb_cli_run(argv, dir, &s, 1), inside;

	if (rc == 0 && s && strlen(s) >= 40) {
		snprintf(out, 41, "%.40s", s);
		free(s);
		return 0;
	}
	free(s);
	if (rc < 0) {
		snprintf(why, wsize, "not checked (git cannot be run)");
		return -1;
	}
	inside = wb_cli_run(argv2, dir, &s, 1) == 0 && s && strncmp(s, "true", 4) == 0;
	free(s);
	snprintf(why, wsize, inside ? "not committed (its repository has no commit yet)"
				    : "not committed (not in a git work tree)");
	return -1;
}

/* Blank out the header's time lines of text (in place), so that stamps do not count. */
static void drop_stamps(char *text)
{
	wb_header *h = NULL;
	size_t n;
	int line = 1;
	char *p;

	if (wb_header_parse(&h, text, strlen(text)) == WB_ENOMEM || !h)
		return;
	n = wb_header_run_count(h);
	for (p = text; *p; p++) {
		int drop = 0;
		for (size_t i = 0; i < n && !drop; i++) {
			const wb_header_run *r = wb_header_run_at(h, i);
			drop = r->exec_line == line || r->fin_line == line;
		}
		if (drop) {
			char *end = strchr(p, '\n');
			memset(p, ' ', end ? (size_t)(end - p) : strlen(p));
			if (!end)
				break;
			p = end;
		}
		if (*p == '\n')
			line++;
	}
	wb_header_free(h);
}

/* Collapse the blanked lines so that added pairs (more lines) compare equal too. */
static void squeeze(char *text)
{
	char *w = text;

	for (const char *r = text; *r; r++)
		if (*r != ' ' && *r != '\t' && *r != '\n')
			*w++ = *r;
	*w = '\0';
}

static int same_code(char *a, char *b)
{
	if (strcmp(a, b) == 0)
		return 1;
	drop_stamps(a);
	drop_stamps(b);
	squeeze(a);
	squeeze(b);
	return strcmp(a, b) == 0;
}

/* Compare the file with HEAD's version of it; the reason into out->dirty. */
static void compare_with_head(wb_cli_origin *out, const char *path, const char *dir,
			      const char *base)
{
	char spec[600];
	char *argv[] = {"git", "show", spec, NULL};
	char *head = NULL, *work = wb_cli_read_file(path, NULL);

	snprintf(spec, sizeof(spec), "HEAD:./%s", base);
	if (!work)
		snprintf(out->dirty, sizeof(out->dirty), "unreadable (%s)", strerror(errno));
	else if (wb_cli_run(argv, dir, &head, 1) != 0 || !head)
		snprintf(out->dirty, sizeof(out->dirty), "not committed");
	else if (!same_code(work, head))
		snprintf(out->dirty, sizeof(out->dirty), "changed since HEAD %.12s", out->commit);
	free(head);
	free(work);
}

void wb_cli_origin_of(wb_cli_origin *out, const char *path)
{
	char dir[4096], base[512];

	memset(out, 0, sizeof(*out));
	split_path(path, dir, sizeof(dir), base, sizeof(base));
	if (head_commit(out->commit, dir, out->dirty, sizeof(out->dirty)) < 0)
		return;
	compare_with_head(out, path, dir, base);
}

int wb_cli_guard(wb_cli_origin *out, const char *verb, const char *path, const char *target,
		 int allow_dirty)
{
	wb_cli_origin_of(out, path);
	if (!out->dirty[0])
		return 0;
	if (!allow_dirty)
		return wb_cli_fail("refusing to %s %s on %s: %s (commit it, or pass --allow-dirty)",
				   verb, path, target, out->dirty);
	fprintf(stderr, "whimbrel: warning: --allow-dirty: %s: %s; the ledger records it\n", path,
		out->dirty);
	return 0;
}
