/*
 * config.c - a small INI reader for whimbrel.conf (see config.h).
 *
 * The whole file is read into memory and parsed line by line into a flat
 * array of entries (section, key, value, line); a section header is an
 * entry without a key.  Files are a few lines long, so lookups are linear.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "config.h"

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

	if (cf->count == cf->cap) {
		size_t cap = cf->cap ? cf->cap * 2 : 8;
		struct entry *p = wb__realloc(cf->entries, cap * sizeof(*p));
		if (!p)
			return WB_ENOMEM;
		cf->entries = p;
		cf->cap = cap;
	}
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

/* "[name]" (already trimmed); sets the current section. */
static int parse_section(wb__config *cf, const char *s, size_t n, int line, const char **cur)
{
	const char *name = s + 1;
	size_t len;

	if (n >= 2 && s[n - 1] != ']' && memchr(s, ']', n))
		return wb__error(NULL, WB_EINVALID, "%s:%d: text after ']': put each key = value on "
				 "its own line", cf->name, line);
	if (n < 2 || s[n - 1] != ']')
		return wb__error(NULL, WB_EINVALID, "%s:%d: section header without closing ']'",
				 cf->name, line);
	len = n - 2;
	trim(&name, &len);
	if (!valid_name(name, len))
		return wb__error(NULL, WB_EINVALID,
				 "%s:%d: bad section name '%.*s': use letters, digits, '_', '-' or '.'",
				 cf->name, line, (int)len, name);
	if (add(cf, name, len, NULL, 0, NULL, 0, line) < 0)
		return WB_ENOMEM;
	*cur = cf->entries[cf->count - 1].section;
	return 0;
}

/* "key = value" (already trimmed) in section `cur`. */
static int parse_pair(wb__config *cf, const char *s, size_t n, int line, const char *cur)
{
	const char *eq = memchr(s, '=', n), *key = s, *val;
	size_t klen, vlen;
	const struct entry *dup;

	if (!eq)
		return wb__error(NULL, WB_EINVALID, "%s:%d: expected '[section]' or 'key = value'",
				 cf->name, line);
	klen = (size_t)(eq - s);
	trim(&key, &klen);
	if (!valid_name(key, klen))
		return wb__error(NULL, WB_EINVALID,
				 "%s:%d: bad key '%.*s': use letters, digits, '_', '-' or '.'",
				 cf->name, line, (int)klen, key);
	if (!cur)
		return wb__error(NULL, WB_EINVALID, "%s:%d: key '%.*s' outside any [section]",
				 cf->name, line, (int)klen, key);
	val = eq + 1;
	vlen = n - (size_t)(val - s);
	trim(&val, &vlen);
	if (vlen && val[0] == '"') {
		const char *end = memchr(val + 1, '"', vlen - 1);
		const char *rest;
		size_t rlen;
		if (!end)
			return wb__error(NULL, WB_EINVALID, "%s:%d: unterminated quoted value",
					 cf->name, line);
		rest = end + 1;
		rlen = vlen - (size_t)(rest - val);
		trim(&rest, &rlen);
		if (rlen && rest[0] != '#' && rest[0] != ';')
			return wb__error(NULL, WB_EINVALID, "%s:%d: text after the quoted value",
					 cf->name, line);
		vlen = (size_t)(end - val - 1);
		val++;
	} else {
		vlen = strip_comment(val, vlen);
		trim(&val, &vlen);
	}
	char kbuf[WB_NAME_MAX + 1];
	snprintf(kbuf, sizeof(kbuf), "%.*s", (int)klen, key);
	if ((dup = find(cf, cur, kbuf)))
		return wb__error(NULL, WB_EINVALID, "%s:%d: key '%s' of [%s] already set on line %d",
				 cf->name, line, kbuf, cur, dup->line);
	return add(cf, cur, strlen(cur), key, klen, val, vlen, line);
}

static int parse_line(wb__config *cf, const char *s, size_t n, int line, const char **cur)
{
	trim(&s, &n);
	if (n == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (memchr(s, '\0', n))
		return wb__error(NULL, WB_EINVALID, "%s:%d: NUL byte in line", cf->name, line);
	if (s[0] == '[')
		return parse_section(cf, s, n, line, cur);
	return parse_pair(cf, s, n, line, *cur);
}

int wb__config_parse(wb__config **out, const char *text, size_t len, const char *name)
{
	wb__config *cf;
	const char *cur = NULL, *p = text, *end = text + len;
	int line = 1, rc = 0;

	*out = NULL;
	if (!(cf = wb__calloc(1, sizeof(*cf))) || !(cf->name = wb__strdup(name ? name : "config"))) {
		free(cf);
		return WB_ENOMEM;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* UTF-8 byte order mark */
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* `cur` is an entry's own section string: it survives add()'s realloc. */
		rc = parse_line(cf, p, n, line, &cur);
		p += n + (nl ? 1 : 0);
		line++;
	}
	if (rc < 0) {
		wb__config_free(cf);
		return rc;
	}
	*out = cf;
	return 0;
}

int wb__config_load(wb__config **out, const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (!(f = fopen(path, "rb"))) {
		if (errno == ENOENT)
			return wb__error(NULL, WB_ENOTFOUND, "%s: no such file", path);
		return wb__error(NULL, WB_EIO, "%s: cannot open: %s", path, strerror(errno));
	}
	if (!(buf = wb__malloc(CONFIG_MAX_BYTES + 1))) {
		fclose(f);
		return WB_ENOMEM;
	}
	len = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f))
		rc = wb__error(NULL, WB_EIO, "%s: cannot read: %s", path, strerror(errno));
	else if (len > CONFIG_MAX_BYTES)
		rc = wb__error(NULL, WB_EINVALID, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
	else
		rc = wb__config_parse(out, buf, len, path);
	fclose(f);
	free(buf);
	return rc;
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
