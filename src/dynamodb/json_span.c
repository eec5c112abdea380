/*
 * json_span.c - members and elements of JSON text as spans (see json_span.h).
 *
 * A single forward scan: skip blanks, skip a value (a string with its
 * escapes, or a bracketed run counted by depth with strings skipped, or a
 * scalar up to the next ',' '}' ']' or blank).
 */
#include <string.h>

#include "json_span.h"

static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* i at an opening quote: the index after the closing one, or 0 on error. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* i at the start of a value: the index after it, or 0 on error. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
	size_t depth = 0;

	if (i >= n)
		return 0;
	if (s[i] == '"')
		return skip_string(s, i, n);
	if (s[i] != '{' && s[i] != '[') {
		while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
		       s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			i++;
		return i;
	}
	for (; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			if (!(i = skip_string(s, i, n)))
				return 0;
			i--;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* Walk a container opened by `open`; fn_member/fn_elem called per entry. */
static int walk(const char *s, size_t n, char open,
		int (*fn_member)(void *, struct wb__span, struct wb__span),
		int (*fn_elem)(void *, struct wb__span), void *arg)
{
	char close = open == '{' ? '}' : ']';
	size_t i = skip_ws(s, 0, n), e;
	int rc;

	if (i >= n || s[i] != open)
		return -1;
	i = skip_ws(s, i + 1, n);
	if (i < n && s[i] == close)
		return 0;
	for (;;) {
		struct wb__span key = {NULL, 0}, val;
		if (open == '{') {
			if (i >= n || s[i] != '"' || !(e = skip_string(s, i, n)))
				return -1;
			key = (struct wb__span){s + i + 1, e - i - 2};
			i = skip_ws(s, e, n);
			if (i >= n || s[i] != ':')
				return -1;
			i = skip_ws(s, i + 1, n);
		}
		if (!(e = skip_value(s, i, n)) || e == i)
			return -1;
		val = (struct wb__span){s + i, e - i};
		rc = open == '{' ? fn_member(arg, key, val) : fn_elem(arg, val);
		if (rc)
			return rc;
		i = skip_ws(s, e, n);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, i + 1, n);
			continue;
		}
		return (i < n && s[i] == close) ? 0 : -1;
	}
}

int wb__json_members(const char *text, size_t len,
		     int (*fn)(void *arg, struct wb__span key, struct wb__span value), void *arg)
{
	return walk(text, len, '{', fn, NULL, arg);
}

int wb__json_elements(const char *text, size_t len, int (*fn)(void *arg, struct wb__span value), void *arg)
{
	return walk(text, len, '[', NULL, fn, arg);
}

struct find {
	const char *key;        /* wanted */
	struct wb__span found;  /* its value */
};

static int find_one(void *arg, struct wb__span key, struct wb__span value)
{
	struct find *f = arg;

	if (key.len == strlen(f->key) && memcmp(key.p, f->key, key.len) == 0) {
		f->found = value;
		return 1;
	}
	return 0;
}

struct wb__span wb__json_member(const char *text, size_t len, const char *key)
{
	struct find f = {key, {NULL, 0}};

	wb__json_members(text, len, find_one, &f);
	return f.found;
}
