/*
 * config.c - whimbrel.conf (see config.h), read by the INI line reader
 * (ini.h) with this file's rules: names checked, values quoted or cut at
 * a comment, a key set once, every other line an error.
 *
 * The whole file is read into memory and parsed line by line into a flat
 * array of entries (section, key, value, line); a section header is an
 * entry without a key.  Files are a few lines long, so lookups are linear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "config.h"
#include "ini.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

struct entry {
	char *section; /* section name (owned) */
	char *key;     /* key, or NULL for the section header itself (owned) */
	char *value;   /* value (owned), NULL for a header */
	int line;      /* 1-based line */
};

struct wb__config {
	char *name;            /* file name for messages (owned) */
	struct entry *entries; /* in file order (owned) */
	size_t count;          /* used entries */
	size_t cap;            /* allocated entries */
};

void wb__config_free(wb__config *cf)
{
	if (!cf)
		return;
	for (size_t i = 0; i < cf->count; i++) {
		free(cf->entries[i].section);
		free(cf->entries[i].key);
		free(cf->entries[i].value);
	}
	free(cf->entries);
	free(cf->name);
	free(cf);
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > WB_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return 0;
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Cut an unquoted value at a '#' or ';' that follows whitespace. */
static size_t strip_comment(const char *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if ((v[i] == '#' || v[i] == ';') && is_space(v[i - 1]))
			return i;
	return n;
}

static const struct entry *find(const wb__config *cf, const char *section, const char *key)
{
	if (!cf)
		return NULL;
	for (size_t i = 0; i < cf->count; i++) {
		const struct entry *e = &cf->entries[i];
		if (strcmp(e->section, section) == 0 &&
		    (key ? e->key && strcmp(e->key, key) == 0 : !e->key))
			return e;
	}
	return NULL;
}

/* Append an entry; the strings are copied.  key/value NULL for a header. */
static int add(wb__config *cf, const char *section, size_t slen, const char *key, size_t klen,
	       const char *value, size_t vlen, int line)
{
	struct entry *e;

	if (wb__grow(&cf->entries, &cf->cap, cf->count, sizeof(*cf->entries), 8) < 0)
		return WB_ENOMEM;
	e = &cf->entries[cf->count];
	memset(e, 0, sizeof(*e));
	e->line = line;
	if (!(e->section = wb__strndup(section, slen)))
		return WB_ENOMEM;
	cf->count++;
	if (key && (!(e->key = wb__strndup(key, klen)) || !(e->value = wb__strndup(value, vlen))))
		return WB_ENOMEM;
	return 0;
}

/* "[name]"; sets the current section. */
static int parse_section(wb__config *cf, const struct wb__ini_line *l, const char **cur)
{
	if (!l->name && l->len >= 2 && memchr(l->text, ']', l->len))
		return wb__error(NULL, WB_EINVALID, "%s:%d: text after ']': put each key = value on "
				 "its own line", cf->name, l->line);
	if (!l->name)
		return wb__error(NULL, WB_EINVALID, "%s:%d: section header without closing ']'",
				 cf->name, l->line);
	if (!valid_name(l->name, l->nlen))
		return wb__error(NULL, WB_EINVALID,
				 "%s:%d: bad section name '%.*s': use letters, digits, '_', '-' or '.'",
				 cf->name, l->line, (int)l->nlen, l->name);
	if (add(cf, l->name, l->nlen, NULL, 0, NULL, 0, l->line) < 0)
		return WB_ENOMEM;
	*cur = cf->entries[cf->count - 1].section;
	return 0;
}

/* A value: "double-quoted" as it is, or cut at a comment; into *val, *vlen. */
static int parse_value(const wb__config *cf, int line, const char **val, size_t *vlen)
{
	const char *v = *val, *end, *rest;
	size_t n = *vlen, rlen;

	if (!n || v[0] != '"') {
		n = strip_comment(v, n);
		while (n && is_space(v[n - 1]))
			n--;
		*vlen = n;
		return 0;
	}
	if (!(end = memchr(v + 1, '"', n - 1)))
		return wb__error(NULL, WB_EINVALID, "%s:%d: unterminated quoted value", cf->name, line);
	rest = end + 1;
	rlen = n - (size_t)(rest - v);
	while (rlen && is_space(*rest)) {
		rest++;
		rlen--;
	}
	if (rlen && rest[0] != '#' && rest[0] != ';')
		return wb__error(NULL, WB_EINVALID, "%s:%d: text after the quoted value", cf->name, line);
	*val = v + 1;
	*vlen = (size_t)(end - v - 1);
	return 0;
}

/* "key = value" in section `cur`. */
static int parse_pair(wb__config *cf, const struct wb__ini_line *l, const char *cur)
{
	const char *val = l->value;
	size_t vlen = l->vlen;
	const struct entry *dup;
	char kbuf[WB_NAME_MAX + 1];
	int rc;

	if (!valid_name(l->name, l->nlen))
		return wb__error(NULL, WB_EINVALID,
				 "%s:%d: bad key '%.*s': use letters, digits, '_', '-' or '.'",
				 cf->name, l->line, (int)l->nlen, l->name);
	if (!cur)
		return wb__error(NULL, WB_EINVALID, "%s:%d: key '%.*s' outside any [section]",
				 cf->name, l->line, (int)l->nlen, l->name);
	if ((rc = parse_value(cf, l->line, &val, &vlen)) < 0)
		return rc;
	snprintf(kbuf, sizeof(kbuf), "%.*s", (int)l->nlen, l->name);
	if ((dup = find(cf, cur, kbuf)))
		return wb__error(NULL, WB_EINVALID, "%s:%d: key '%s' of [%s] already set on line %d",
				 cf->name, l->line, kbuf, cur, dup->line);
	return add(cf, cur, strlen(cur), l->name, l->nlen, val, vlen, l->line);
}

/* The parse in progress: the configuration and the current section. */
struct parsing {
	wb__config *cf;
	const char *cur; /* an entry's own section string: it survives add()'s realloc */
};

static int parse_line(void *arg, const struct wb__ini_line *l)
{
	struct parsing *ps = arg;

	if (memchr(l->text, '\0', l->len))
		return wb__error(NULL, WB_EINVALID, "%s:%d: NUL byte in line", ps->cf->name, l->line);
	if (l->kind == WB_INI_SECTION)
		return parse_section(ps->cf, l, &ps->cur);
	if (l->kind == WB_INI_PAIR)
		return parse_pair(ps->cf, l, ps->cur);
	return wb__error(NULL, WB_EINVALID, "%s:%d: expected '[section]' or 'key = value'",
			 ps->cf->name, l->line);
}

int wb__config_parse(wb__config **out, const char *text, size_t len, const char *name)
{
	struct parsing ps = {NULL, NULL};
	int rc;

	*out = NULL;
	if (!(ps.cf = wb__calloc(1, sizeof(*ps.cf))) || !(ps.cf->name = wb__strdup(name ? name : "config"))) {
		free(ps.cf);
		return WB_ENOMEM;
	}
	if ((rc = wb__ini_parse(text, len, parse_line, &ps)) < 0) {
		wb__config_free(ps.cf);
		return rc;
	}
	*out = ps.cf;
	return 0;
}

int wb__config_load(wb__config **out, const char *path)
{
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = wb__ini_read_file(&buf, &len, path, CONFIG_MAX_BYTES)) < 0)
		return rc;
	rc = wb__config_parse(out, buf, len, path);
	free(buf);
	return rc;
}

int wb__config_check_keys(const wb__config *cf, const char *const *known)
{
	for (size_t i = 0; cf && i < cf->count; i++) {
		const struct entry *e = &cf->entries[i];
		char list[256] = "";
		size_t k = 0, n = 0;
		if (!e->key)
			continue;
		while (known[k] && strcmp(known[k], e->key) != 0)
			k++;
		if (known[k])
			continue;
		for (k = 0; known[k] && n < sizeof(list); k++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "", known[k]);
		return wb__error(NULL, WB_EINVALID, "%s:%d: unknown key '%s' in [%s] (known keys: %s)",
				 cf->name, e->line, e->key, e->section, list);
	}
	return 0;
}

const char *wb__config_get(const wb__config *cf, const char *section, const char *key)
{
	const struct entry *e = find(cf, section, key);

	return e ? e->value : NULL;
}

int wb__config_line(const wb__config *cf, const char *section, const char *key)
{
	const struct entry *e = find(cf, section, key);

	return e ? e->line : 0;
}

int wb__config_has_section(const wb__config *cf, const char *section)
{
	return find(cf, section, NULL) != NULL;
}

const char *wb__config_name(const wb__config *cf)
{
	return cf ? cf->name : "";
}

int wb__config_bool(int *out, const char *value)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < WB_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return wb__error(NULL, WB_EINVALID, "'%s' is not a boolean: use yes or no", value);
}
