/*
 * ini.c - the INI line reader (ini.h): lines split, trimmed and classified
 * here, their meaning decided by the caller's callback; and a bounded
 * whole-file read (what it read is wiped when it fails: credentials).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ini.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim [*s, *s + *n) in place (pointer and length). */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Split a trimmed, non-empty, non-comment line into l. */
static void classify(struct wb__ini_line *l)
{
	const char *eq;

	if (l->text[0] == '[') {
		l->kind = WB_INI_SECTION;
		if (l->len >= 2 && l->text[l->len - 1] == ']') {
			l->name = l->text + 1;
			l->nlen = l->len - 2;
			trim(&l->name, &l->nlen);
		}
	} else if ((eq = memchr(l->text, '=', l->len))) {
		l->kind = WB_INI_PAIR;
		l->name = l->text;
		l->nlen = (size_t)(eq - l->text);
		trim(&l->name, &l->nlen);
		l->value = eq + 1;
		l->vlen = l->len - (size_t)(l->value - l->text);
		trim(&l->value, &l->vlen);
	} else {
		l->kind = WB_INI_OTHER;
	}
}

int wb__ini_parse(const char *text, size_t len, wb__ini_fn fn, void *arg)
{
	const char *p = text, *end = text + len;
	int line = 1, rc = 0;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* UTF-8 byte order mark */
	for (; p < end && rc >= 0; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct wb__ini_line l = {.line = line, .text = p};
		l.len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p += l.len + (nl ? 1 : 0);
		trim(&l.text, &l.len);
		if (l.len == 0 || l.text[0] == '#' || l.text[0] == ';')
			continue;
		classify(&l);
		rc = fn(arg, &l);
	}
	return rc < 0 ? rc : 0;
}

int wb__ini_read_file(char **text, size_t *len, const char *path, size_t max)
{
	FILE *f;
	char *buf;
	int rc = 0;

	*text = NULL;
	*len = 0;
	if (!(f = fopen(path, "rb"))) {
		if (errno == ENOENT)
			return wb__error(NULL, WB_ENOTFOUND, "%s: no such file", path);
		return wb__error(NULL, WB_EIO, "%s: cannot open: %s", path, strerror(errno));
	}
	if (!(buf = wb__malloc(max + 1))) {
		fclose(f);
		return WB_ENOMEM;
	}
	*len = fread(buf, 1, max + 1, f);
	if (ferror(f))
		rc = wb__error(NULL, WB_EIO, "%s: cannot read: %s", path, strerror(errno));
	else if (*len > max)
		rc = wb__error(NULL, WB_EINVALID, "%s: larger than %zu bytes", path, max);
	fclose(f);
	if (rc < 0) {
		explicit_bzero(buf, *len > max ? max + 1 : *len); /* it may be a secret */
		free(buf);
		*len = 0;
		return rc;
	}
	buf[*len] = '\0';
	*text = buf;
	return 0;
}
