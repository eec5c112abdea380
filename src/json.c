/*
 * json.c - items to and from JSON: DynamoDB JSON ({"price":{"N":"12"}},
 * lossless; B and BS as base64) and plain JSON ({"price":12}, types
 * inferred: number->N, string->S, array->L, object->M, true/false->BOOL,
 * null->NULL).
 *
 * Reading uses jansson.  jansson keeps numbers as doubles, which would
 * lose digits, so for plain JSON we parse with JSON_DECODE_INT_AS_REAL (no
 * integer overflow errors) and take each number's exact text from a scan of
 * the source: a successfully parsed document's number tokens appear in the
 * same order as a depth-first walk of the tree (objects keep insertion
 * order, duplicates are rejected).  Writing is a small serialiser of our
 * own, so that numbers come out as their exact text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "base64.h"
#include "common.h"
#include "codec.h"
#include "item.h"

/* ----------------------------------------------------------------- paths */

typedef struct jpath {
	char buf[200]; /* "a.b[2]", truncated with "..." */
	size_t len;    /* logical length (may exceed the buffer) */
} jpath;

/* Append `sep` and n bytes of `text` to the path (memcpy: this runs for every attribute read). */
static size_t jpath_add(jpath *p, const char *sep, const char *text, size_t n)
{
	size_t old = p->len, seplen = strlen(sep), room;

	if (old < sizeof(p->buf) - 1) {
		room = sizeof(p->buf) - 1 - old;
		memcpy(p->buf + old, sep, seplen < room ? seplen : room);
		if (seplen < room)
			memcpy(p->buf + old + seplen, text, n < room - seplen ? n : room - seplen);
		p->buf[old + (seplen + n < room ? seplen + n : room)] = '\0';
	}
	p->len = old + seplen + n;
	if (p->len >= sizeof(p->buf) - 1)
		memcpy(p->buf + sizeof(p->buf) - 4, "...", 4);
	return old;
}

static size_t jpath_name(jpath *p, const char *name, size_t nlen)
{
	return jpath_add(p, p->len ? "." : "", name, nlen > 60 ? 60 : nlen);
}

static size_t jpath_index(jpath *p, size_t i)
{
	char num[24], *q = num + sizeof(num);

	*--q = ']';
	do
		*--q = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	*--q = '[';
	return jpath_add(p, "", q, (size_t)(num + sizeof(num) - q));
}

static void jpath_pop(jpath *p, size_t old)
{
	p->len = old;
	if (old < sizeof(p->buf))
		p->buf[old] = '\0';
}

/* ---------------------------------------------------------------- reading */

/* A number token of the source text. */
typedef struct numtok {
	size_t off; /* offset in the text */
	size_t len; /* length */
} numtok;

typedef struct reader {
	wb_arena *ar;        /* the new item's arena */
	jpath path;          /* attribute being read */
	const char *text;    /* the source (plain JSON) */
	numtok *nums;        /* number tokens in document order (plain JSON) */
	size_t nnums, next;  /* how many, next to use */
} reader;

static int rerr(reader *r, const char *fmt, const char *detail)
{
	char what[200];

	snprintf(what, sizeof(what), fmt, detail ? detail : "");
	return wb__error(NULL, WB_EINVALID, "JSON attribute '%s': %s", r->path.buf, what);
}

/* Collect the number tokens of valid JSON text (outside strings). */
static int scan_numbers(reader *r, const char *s, size_t len)
{
	size_t i = 0, cap = 0;

	while (i < len) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;
			while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' ||
					   s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
				i++;
			if (r->nnums == cap) {
				numtok *p;
				cap = cap ? cap * 2 : 16;
				if (!(p = wb__realloc(r->nums, cap * sizeof(*p))))
					return WB_ENOMEM;
				r->nums = p;
			}
			r->nums[r->nnums].off = start;
			r->nums[r->nnums].len = i - start;
			r->nnums++;
		} else {
			i++;
		}
	}
	return 0;
}

static int read_name(reader *r, json_t *obj, const char *key, const char **name, size_t *nlen)
{
	WB_UNUSED(obj);
	*name = key;
	*nlen = json_object_iter_key_len(json_object_key_to_iter(key));
	if (memchr(key, '\0', *nlen)) {
		size_t old = jpath_name(&r->path, key, strlen(key));
		int rc = rerr(r, "attribute name holds a NUL character%s", NULL);
		jpath_pop(&r->path, old);
		return rc;
	}
	return 0;
}

static int number_text(reader *r, const char *s, size_t len)
{
	char where[260];

	if (wb__number_check(s, len, NULL) == 0)
		return 0;
	snprintf(where, sizeof(where), "JSON attribute '%s'", r->path.buf);
	return wb__number_check(s, len, where);
}

static int read_plain(reader *r, json_t *j, wb_value **out, int depth);
static int read_ddb(reader *r, json_t *j, wb_value **out, int depth);

typedef int (*read_fn)(reader *r, json_t *j, wb_value **out, int depth);

/* Read the members of a JSON object into item `it` with `fn`. */
static int read_object(reader *r, json_t *obj, wb_item *it, read_fn fn, int depth)
{
	const char *key;
	json_t *val;
	size_t n = json_object_size(obj);

	if (depth > WB_CODEC_MAX_DEPTH)
		return rerr(r, "nested deeper than the %s levels whimbrel reads", "1024");
	if (n && !(it->attrs = wb__arena_alloc(r->ar, n * sizeof(wb_attr))))
		return WB_ENOMEM;
	it->cap = n;
	json_object_foreach(obj, key, val) {
		const char *name;
		size_t nlen, old;
		wb_value *v;
		int rc;
		if ((rc = read_name(r, obj, key, &name, &nlen)) < 0)
			return rc;
		old = jpath_name(&r->path, name, nlen);
		rc = fn(r, val, &v, depth);
		if (rc == 0)
			rc = wb__item_append(it, r->ar, name, nlen, v);
		if (rc < 0)
			return rc;
		jpath_pop(&r->path, old);
	}
	return 0;
}

static int read_array(reader *r, json_t *arr, wb_value *l, read_fn fn, int depth)
{
	size_t i, n = json_array_size(arr);

	if (depth >= WB_CODEC_MAX_DEPTH)
		return rerr(r, "nested deeper than the %s levels whimbrel reads", "1024");
	if (n && !(l->u.l.v = wb__arena_alloc(r->ar, n * sizeof(wb_value *))))
		return WB_ENOMEM;
	l->u.l.cap = n;
	for (i = 0; i < n; i++) {
		size_t old = jpath_index(&r->path, i);
		wb_value *c;
		int rc = fn(r, json_array_get(arr, i), &c, depth + 1);
		if (rc < 0)
			return rc;
		l->u.l.v[l->u.l.n++] = c;
		jpath_pop(&r->path, old);
	}
	return 0;
}

static int read_plain(reader *r, json_t *j, wb_value **out, int depth)
{
	wb_value *v;
	wb_type t;

	switch (json_typeof(j)) {
	case JSON_STRING: t = WB_S; break;
	case JSON_INTEGER: case JSON_REAL: t = WB_N; break;
	case JSON_TRUE: case JSON_FALSE: t = WB_BOOL; break;
	case JSON_NULL: t = WB_NULL; break;
	case JSON_ARRAY: t = WB_L; break;
	case JSON_OBJECT: t = WB_M; break;
	default: return rerr(r, "unexpected JSON value%s", NULL);
	}
	if (!(v = *out = wb__value_new(r->ar, t)))
		return WB_ENOMEM;
	switch (t) {
	case WB_S:
		v->u.s.len = json_string_length(j);
		v->u.s.p = wb__arena_strndup(r->ar, json_string_value(j), v->u.s.len);
		return v->u.s.p ? 0 : WB_ENOMEM;
	case WB_N: {
		numtok *tok;
		if (r->next >= r->nnums)
			return rerr(r, "internal error: number tokens out of step%s", NULL);
		tok = &r->nums[r->next++];
		if (number_text(r, r->text + tok->off, tok->len) < 0)
			return WB_EINVALID;
		v->u.s.len = tok->len;
		v->u.s.p = wb__arena_strndup(r->ar, r->text + tok->off, tok->len);
		return v->u.s.p ? 0 : WB_ENOMEM;
	}
	case WB_BOOL:
		v->u.b = json_is_true(j);
		return 0;
	case WB_L:
		return read_array(r, j, v, read_plain, depth);
	case WB_M:
		if (!(v->u.map = wb__item_new_in(r->ar, 0)))
			return WB_ENOMEM;
		return read_object(r, j, v->u.map, read_plain, depth + 1);
	default:
		return 0;
	}
}

/* The type tag of a DynamoDB JSON value object, or -1. */
static int ddb_tag(json_t *j, json_t **inner)
{
	const char *key;
	json_t *val;
	wb_type t;

	if (!json_is_object(j) || json_object_size(j) != 1)
		return -1;
	json_object_foreach(j, key, val) {
		static const char *const names[] = {
			"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"
		};
		for (t = WB_S; t <= WB_BS; t++) {
			if (strcmp(key, names[t]) == 0) {
				*inner = val;
				return (int)t;
			}
		}
	}
	return -1;
}

static int read_b64(reader *r, json_t *s, const char **out, size_t *len)
{
	size_t n = json_string_length(s);
	unsigned char *buf = wb__arena_alloc(r->ar, n / 4 * 3 + 4);
	long got;

	if (!buf)
		return WB_ENOMEM;
	if ((got = wb__base64_decode(buf, json_string_value(s), n)) < 0)
		return rerr(r, "binary value is not valid base64%s", NULL);
	buf[got] = '\0';
	*out = (const char *)buf;
	*len = (size_t)got;
	return 0;
}

static int read_set(reader *r, json_t *arr, wb_value *v)
{
	static const char *const what[] = { "SS", "NS", "BS" };
	const char *tag = what[v->type - WB_SS];
	size_t i, n;

	if (!json_is_array(arr))
		return rerr(r, "%s value must be an array of strings", tag);
	n = json_array_size(arr);
	if (n && !(v->u.set.m = wb__arena_alloc(r->ar, n * sizeof(wb_bytes))))
		return WB_ENOMEM;
	v->u.set.cap = n;
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);
		wb_bytes *m = &v->u.set.m[i];
		int rc;
		if (!json_is_string(s))
			return rerr(r, "%s members must be strings", tag);
		if (v->type == WB_BS) {
			if ((rc = read_b64(r, s, &m->p, &m->len)) < 0)
				return rc;
		} else {
			m->len = json_string_length(s);
			if (v->type == WB_NS && number_text(r, json_string_value(s), m->len) < 0)
				return WB_EINVALID;
			if (!(m->p = wb__arena_strndup(r->ar, json_string_value(s), m->len)))
				return WB_ENOMEM;
		}
		v->u.set.n++;
	}
	return 0;
}

static int read_ddb(reader *r, json_t *j, wb_value **out, int depth)
{
	json_t *in = NULL;
	int t = ddb_tag(j, &in);
	wb_value *v;

	if (t < 0)
		return rerr(r, "expected a DynamoDB JSON value: an object with one type key "
			    "(S, N, B, BOOL, NULL, L, M, SS, NS or BS)%s", NULL);
	if (!(v = *out = wb__value_new(r->ar, (wb_type)t)))
		return WB_ENOMEM;
	switch ((wb_type)t) {
	case WB_S: case WB_N:
		if (!json_is_string(in))
			return rerr(r, "%s value must be a string", wb_type_name((wb_type)t));
		v->u.s.len = json_string_length(in);
		if (t == WB_N && number_text(r, json_string_value(in), v->u.s.len) < 0)
			return WB_EINVALID;
		v->u.s.p = wb__arena_strndup(r->ar, json_string_value(in), v->u.s.len);
		return v->u.s.p ? 0 : WB_ENOMEM;
	case WB_B:
		if (!json_is_string(in))
			return rerr(r, "B value must be a base64 string%s", NULL);
		return read_b64(r, in, &v->u.s.p, &v->u.s.len);
	case WB_BOOL:
		if (!json_is_boolean(in))
			return rerr(r, "BOOL value must be true or false%s", NULL);
		v->u.b = json_is_true(in);
		return 0;
	case WB_NULL:
		if (!json_is_true(in))
			return rerr(r, "NULL value must be true%s", NULL);
		return 0;
	case WB_L:
		if (!json_is_array(in))
			return rerr(r, "L value must be an array%s", NULL);
		return read_array(r, in, v, read_ddb, depth);
	case WB_M:
		if (!json_is_object(in))
			return rerr(r, "M value must be an object%s", NULL);
		if (!(v->u.map = wb__item_new_in(r->ar, 0)))
			return WB_ENOMEM;
		return read_object(r, in, v->u.map, read_ddb, depth + 1);
	case WB_SS: case WB_NS: case WB_BS:
		return read_set(r, in, v);
	}
	return 0;
}

/* DynamoDB JSON when every top-level value is a one-key type object. */
static int looks_ddb(json_t *obj)
{
	const char *key;
	json_t *val, *in;

	json_object_foreach(obj, key, val)
		if (ddb_tag(val, &in) < 0)
			return 0;
	return 1;
}

static int num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/*
 * jansson refuses a number beyond a double ("real number overflow", 1e400)
 * before we see which attribute holds it.  Blank such numbers in a copy
 * (*copy, the caller frees) and parse that: the number's text is still
 * taken from the source, and its check names the attribute.  NULL when
 * the error is another one.
 */
static json_t *load_blanking_overflows(const char *text, size_t len, size_t flags, json_error_t *err,
				       char **copy)
{
	json_t *root = NULL;

	*copy = NULL;
	for (int tries = 0; tries < 64 && strstr(err->text, "real number overflow"); tries++) {
		size_t end = (size_t)err->position < len ? (size_t)err->position : len, start;
		if (!*copy && !(*copy = wb__malloc(len + 1)))
			return NULL;
		if (tries == 0)
			memcpy(*copy, text, len);
		while (end > 0 && !num_char((*copy)[end - 1]))
			end--;
		for (start = end; start > 0 && num_char((*copy)[start - 1]); start--)
			;
		if (start == end)
			return NULL;
		memset(*copy + start, ' ', end - start);
		(*copy)[start] = '0';
		if ((root = json_loadb(*copy, len, flags, err)))
			return root;
	}
	return NULL;
}

/* --------------------------------------------------- flat lines, fast */

/*
 * The commonest line of an import is a flat object: of plain JSON (strings
 * without escapes, numbers, true, false, null) or of DynamoDB JSON of those
 * types ({"S": ...}, {"N": ...}, {"BOOL": ...}, {"NULL": true}: what
 * `whimbrel export` writes for such items).  Reading it through jansson
 * (a tree of hashed objects, then the item) costs several times reading it
 * here in one pass straight into the item.  read_flat takes exactly such
 * lines and gives the item the jansson path would; on anything else
 * (escapes, nesting, duplicate or empty names, bad JSON, a number DynamoDB
 * refuses) it returns 0 and the jansson path reads the line, so every error
 * message stays that path's.  wb__json_no_fast_path turns it off (tests).
 */
#define FLAT_MAX 64  /* attributes of a flat line */

int wb__json_no_fast_path;

struct flat {
	const char *name;  /* attribute name (in the text) */
	size_t nlen;       /* its length */
	wb_type t;         /* WB_S, WB_N, WB_BOOL or WB_NULL */
	const char *p;     /* S and N: the bytes (in the text) */
	size_t len;        /* their length */
	int b;             /* BOOL: the value */
	int typed;         /* written as DynamoDB JSON: {"S": ...}, {"N": ...}, {"BOOL": ...}, {"NULL": true} */
};

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

static int is_digit(const char *s, const char *end)
{
	return s < end && *s >= '0' && *s <= '9';
}

/* A string without escapes or control characters, valid UTF-8: after it, or NULL. */
static const char *flat_string(const char *s, const char *end, const char **p, size_t *len)
{
	const char *q;

	if (s >= end || *s != '"')
		return NULL;
	for (q = ++s; q < end && *q != '"'; q++)
		if (*q == '\\' || (unsigned char)*q < 0x20)
			return NULL;
	if (q >= end || !wb__utf8_valid(s, (size_t)(q - s)))
		return NULL;
	*p = s;
	*len = (size_t)(q - s);
	return q + 1;
}

/* A JSON number: after it, or NULL. */
static const char *flat_number(const char *s, const char *end)
{
	if (s < end && *s == '-')
		s++;
	if (!is_digit(s, end))
		return NULL;
	if (*s++ != '0')
		while (is_digit(s, end))
			s++;
	if (s < end && *s == '.') {
		if (!is_digit(++s, end))
			return NULL;
		while (is_digit(s, end))
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		if (++s < end && (*s == '+' || *s == '-'))
			s++;
		if (!is_digit(s, end))
			return NULL;
		while (is_digit(s, end))
			s++;
	}
	return s;
}

static const char *flat_typed(const char *s, const char *end, struct flat *a);

/* A scalar value, or (typed) a DynamoDB JSON one of a scalar type: after it, or NULL. */
static const char *flat_value(const char *s, const char *end, struct flat *a, int typed)
{
	const char *q;

	a->typed = 0;
	if (*s == '{')
		return typed ? flat_typed(s, end, a) : NULL;
	if (*s == '"') {
		a->t = WB_S;
		return flat_string(s, end, &a->p, &a->len);
	}
	if (*s == '-' || is_digit(s, end)) {
		if (!(q = flat_number(s, end)) || wb__number_check(s, (size_t)(q - s), NULL) < 0)
			return NULL;
		a->t = WB_N;
		a->p = s;
		a->len = (size_t)(q - s);
		return q;
	}
	a->t = *s == 'n' ? WB_NULL : WB_BOOL;
	a->b = *s == 't';
	q = *s == 't' ? "true" : *s == 'f' ? "false" : "null";
	if ((size_t)(end - s) < strlen(q) || memcmp(s, q, strlen(q)) != 0)
		return NULL;
	return s + strlen(q);
}

static int is_tag(const char *tag, size_t tlen, const char *name)
{
	return tlen == strlen(name) && memcmp(tag, name, tlen) == 0;
}

/* {"S": "text"}, {"N": "number"}, {"BOOL": b} or {"NULL": true}: after it, or NULL. */
static const char *flat_typed(const char *s, const char *end, struct flat *a)
{
	struct flat in;
	const char *tag;
	size_t tlen;

	s = skip_ws(s + 1, end);
	if (!(s = flat_string(s, end, &tag, &tlen)))
		return NULL;
	s = skip_ws(s, end);
	if (s >= end || *s != ':')
		return NULL;
	s = skip_ws(s + 1, end);
	if (s >= end || !(s = flat_value(s, end, &in, 0)))
		return NULL;
	s = skip_ws(s, end);
	if (s >= end || *s != '}')
		return NULL;
	if (in.t == WB_S && (is_tag(tag, tlen, "S") ||
			     (is_tag(tag, tlen, "N") && wb__number_check(in.p, in.len, NULL) == 0)))
		*a = (struct flat){.t = *tag == 'S' ? WB_S : WB_N, .p = in.p, .len = in.len};
	else if (in.t == WB_BOOL && (is_tag(tag, tlen, "BOOL") || (is_tag(tag, tlen, "NULL") && in.b)))
		*a = (struct flat){.t = *tag == 'B' ? WB_BOOL : WB_NULL, .b = in.b};
	else
		return NULL;
	a->typed = 1;
	return s + 1;
}

/* One "name": value member into a (checking the name against the n before); after it, or NULL. */
static const char *flat_member(const char *s, const char *end, struct flat *a, size_t n)
{
	const char *name;
	size_t nlen;

	if (!(s = flat_string(s, end, &name, &nlen)) || nlen == 0)
		return NULL;
	a[n].name = name;
	a[n].nlen = nlen;
	for (size_t i = 0; i < n; i++)
		if (a[i].nlen == a[n].nlen && memcmp(a[i].name, a[n].name, a[n].nlen) == 0)
			return NULL;
	s = skip_ws(s, end);
	if (s >= end || *s != ':')
		return NULL;
	s = skip_ws(s + 1, end);
	if (s >= end || !(s = flat_value(s, end, &a[n], 1)))
		return NULL;
	a[n].name = name; /* flat_typed rewrote the entry */
	a[n].nlen = nlen;
	return s;
}

/* The members of a flat object: their number, or -1 when the text is no such object. */
static long flat_parse(const char *s, const char *end, struct flat *a)
{
	size_t n = 0;

	s = skip_ws(s, end);
	if (s >= end || *s++ != '{')
		return -1;
	s = skip_ws(s, end);
	if (s < end && *s == '}')
		return skip_ws(s + 1, end) == end ? 0 : -1;
	for (;;) {
		if (n == FLAT_MAX || !(s = flat_member(s, end, a, n)))
			return -1;
		n++;
		s = skip_ws(s, end);
		if (s < end && *s == ',') {
			s = skip_ws(s + 1, end);
			continue;
		}
		if (s < end && *s == '}')
			return skip_ws(s + 1, end) == end ? (long)n : -1;
		return -1;
	}
}

/*
 * Whether members read as `format` (DynamoDB JSON when every value was typed
 * in AUTO, as looks_ddb decides): values all typed for DDB, none for plain.
 */
static int flat_format_ok(const struct flat *a, long n, wb_json_format format)
{
	long typed = 0;

	for (long i = 0; i < n; i++)
		typed += a[i].typed;
	if (format == WB_JSON_AUTO)
		return typed == 0 || typed == n;
	return format == WB_JSON_DDB ? typed == n : typed == 0;
}

/* 1 and *out when the line is a flat object, 0 when it is not, WB_ENOMEM. */
static int read_flat(wb_item **out, const char *text, size_t len, wb_json_format format)
{
	struct flat a[FLAT_MAX];
	long n = flat_parse(text, text + len, a);
	wb_item *it;

	if (n < 0 || !flat_format_ok(a, n, format))
		return 0;
	if (!(it = wb__item_new_sized(len * 2 + 256)) ||
	    (n && !(it->attrs = wb__arena_alloc(it->ar, (size_t)n * sizeof(wb_attr)))))
		goto oom;
	it->cap = (size_t)n;
	for (long i = 0; i < n; i++) {
		wb_value *v = wb__value_new(it->ar, a[i].t);
		if (!v)
			goto oom;
		if (a[i].t == WB_S || a[i].t == WB_N) {
			v->u.s.len = a[i].len;
			if (!(v->u.s.p = wb__arena_strndup(it->ar, a[i].p, a[i].len)))
				goto oom;
		}
		if (a[i].t == WB_BOOL)
			v->u.b = a[i].b;
		if (wb__item_append(it, it->ar, a[i].name, a[i].nlen, v) < 0)
			goto oom;
	}
	*out = it;
	return 1;
oom:
	wb_item_free(it);
	return WB_ENOMEM;
}

int wb_item_from_json(wb_item **out, const char *text, size_t len, wb_json_format format)
{
	char *blanked = NULL;
	reader r;
	json_error_t err;
	json_t *root;
	wb_item *it = NULL;
	int rc;

	*out = NULL;
	if (!text)
		return wb__error(NULL, WB_EINVALID, "no JSON text");
	if (format != WB_JSON_DDB && format != WB_JSON_PLAIN && format != WB_JSON_AUTO)
		return wb__error(NULL, WB_EINVALID, "unknown JSON format %d", (int)format);
	if (!wb__json_no_fast_path && (rc = read_flat(out, text, len, format)) != 0)
		return rc < 0 ? rc : 0;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL |
			  JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
	if (!root)
		root = load_blanking_overflows(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL |
					       JSON_ALLOW_NUL | JSON_DECODE_ANY, &err, &blanked);
	free(blanked);
	if (!root)
		return wb__error(NULL, WB_EINVALID, "JSON line %d column %d: %s", err.line,
				 err.column, err.text);
	memset(&r, 0, sizeof(r));
	r.text = text;
	if (!json_is_object(root)) {
		rc = wb__error(NULL, WB_EINVALID, "JSON: an item must be an object, not %s",
			       json_is_array(root) ? "an array" : "a scalar");
		goto done;
	}
	if (format == WB_JSON_AUTO)
		format = looks_ddb(root) ? WB_JSON_DDB : WB_JSON_PLAIN;
	if (format == WB_JSON_PLAIN && (rc = scan_numbers(&r, text, len)) < 0)
		goto done;
	rc = WB_ENOMEM;
	if (!(it = wb__item_new_sized(len * 2 + 256)))
		goto done;
	r.ar = it->ar;
	rc = read_object(&r, root, it, format == WB_JSON_DDB ? read_ddb : read_plain, 1);
done:
	json_decref(root);
	free(r.nums);
	if (rc < 0) {
		wb_item_free(it);
		return rc;
	}
	*out = it;
	return 0;
}

/* ---------------------------------------------------------------- writing */

typedef struct writer {
	wb_buf b;   /* output */
	jpath path; /* attribute being written */
	int plain;  /* 1: plain JSON */
} writer;

static int werr(writer *w, const char *what)
{
	return wb__error(NULL, WB_EINVALID, "attribute '%s': %s", w->path.buf, what);
}

static int put_raw(writer *w, const char *s, size_t n)
{
	return wb__buf_append(&w->b, s, n);
}

/* A JSON string of s[0..n); `valid`: already known to be UTF-8 (a checked value, item.h). */
static int put_str_v(writer *w, const char *s, size_t n, int valid)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *o;
	size_t i;

	if (!valid && !wb__utf8_valid(s, n))
		return werr(w, "string is not valid UTF-8 and cannot be written as JSON");
	if (wb__buf_reserve(&w->b, n * 6 + 2) < 0)
		return WB_ENOMEM;
	o = w->b.data + w->b.len;
	*o++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = i;
		while (run < n && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) { /* bytes as they are, in one copy */
			memcpy(o, s + i, run - i);
			o += run - i;
			if ((i = run) == n)
				break;
			c = (unsigned char)s[i];
		}
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = c;
		} else if (c < 0x20) {
			*o++ = '\\';
			switch (c) {
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			default:
				*o++ = 'u'; *o++ = '0'; *o++ = '0';
				*o++ = (unsigned char)hex[c >> 4];
				*o++ = (unsigned char)hex[c & 15];
			}
		} else {
			*o++ = c;
		}
	}
	*o++ = '"';
	w->b.len = (size_t)(o - w->b.data);
	return 0;
}

static int put_str(writer *w, const char *s, size_t n)
{
	return put_str_v(w, s, n, 0);
}

static int put_b64(writer *w, const char *p, size_t n)
{
	size_t m = wb__base64_encoded_len(n);

	if (wb__buf_reserve(&w->b, m + 3) < 0)
		return WB_ENOMEM;
	w->b.data[w->b.len++] = '"';
	wb__base64_encode((char *)w->b.data + w->b.len, (const unsigned char *)p, n);
	w->b.len += m;
	w->b.data[w->b.len++] = '"';
	return 0;
}

/* 1 if s is a number in JSON's grammar. */
static int json_number_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t d;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* A number: plain JSON as a bare number (exact text, or canonical when the
 * text is outside JSON's grammar, e.g. ".5"); DynamoDB JSON as a string. */
static int put_num(writer *w, const char *s, size_t n)
{
	char canon[80];
	wb_num num;

	if (!w->plain)
		return put_str(w, s, n);
	if (json_number_ok(s, n))
		return put_raw(w, s, n);
	if (wb__num_parse(&num, s, n) < 0 || num.ndig > sizeof(num.dig))
		return werr(w, "number is not a valid decimal and cannot be written as JSON");
	n = wb__num_format(&num, canon, sizeof(canon));
	return put_raw(w, canon, n < sizeof(canon) ? n : sizeof(canon) - 1);
}

static int write_item(writer *w, const wb_item *it);
static int write_value(writer *w, const wb_value *v);

static int write_inner(writer *w, const wb_value *v)
{
	size_t i;
	int rc = 0;

	switch ((wb_type)v->type) {
	case WB_S: return put_str_v(w, v->u.s.p, v->u.s.len, v->checked);
	case WB_N: return put_num(w, v->u.s.p, v->u.s.len);
	case WB_B: return put_b64(w, v->u.s.p, v->u.s.len);
	case WB_BOOL: return v->u.b ? put_raw(w, "true", 4) : put_raw(w, "false", 5);
	case WB_NULL: return put_raw(w, w->plain ? "null" : "true", 4);
	case WB_M: return write_item(w, v->u.map);
	case WB_L:
		if (put_raw(w, "[", 1) < 0)
			return WB_ENOMEM;
		for (i = 0; i < v->u.l.n && rc == 0; i++) {
			size_t old = jpath_index(&w->path, i);
			if ((i && put_raw(w, ",", 1) < 0))
				return WB_ENOMEM;
			rc = write_value(w, v->u.l.v[i]);
			jpath_pop(&w->path, old);
		}
		return rc < 0 ? rc : put_raw(w, "]", 1);
	case WB_SS: case WB_NS: case WB_BS:
		if (put_raw(w, "[", 1) < 0)
			return WB_ENOMEM;
		for (i = 0; i < v->u.set.n && rc == 0; i++) {
			const wb_bytes *m = &v->u.set.m[i];
			if (i && put_raw(w, ",", 1) < 0)
				return WB_ENOMEM;
			rc = v->type == WB_SS ? put_str(w, m->p, m->len)
			   : v->type == WB_NS ? put_num(w, m->p, m->len)
			   : put_b64(w, m->p, m->len);
		}
		return rc < 0 ? rc : put_raw(w, "]", 1);
	}
	return werr(w, "unknown value type");
}

/* A value: bare in plain JSON, wrapped as {"T":...} in DynamoDB JSON. */
static int write_value(writer *w, const wb_value *v)
{
	const char *t = wb_type_name((wb_type)v->type);
	int rc;

	if (w->plain)
		return write_inner(w, v);
	if (put_raw(w, "{\"", 2) < 0 || put_raw(w, t, strlen(t)) < 0 || put_raw(w, "\":", 2) < 0)
		return WB_ENOMEM;
	if ((rc = write_inner(w, v)) < 0)
		return rc;
	return put_raw(w, "}", 1);
}

static int write_item(writer *w, const wb_item *it)
{
	int rc;

	if (put_raw(w, "{", 1) < 0)
		return WB_ENOMEM;
	for (size_t i = 0; i < it->n; i++) {
		size_t old;
		if ((i && put_raw(w, ",", 1) < 0))
			return WB_ENOMEM;
		old = jpath_name(&w->path, it->attrs[i].name, it->attrs[i].nlen);
		if ((rc = put_str(w, it->attrs[i].name, it->attrs[i].nlen)) < 0 ||
		    (rc = put_raw(w, ":", 1)) < 0 || (rc = write_value(w, it->attrs[i].v)) < 0)
			return rc;
		jpath_pop(&w->path, old);
	}
	return put_raw(w, "}", 1);
}

int wb_item_to_json(char **out, const wb_item *item, wb_json_format format)
{
	writer w;
	int rc = WB_ENOMEM;

	*out = NULL;
	if (!item)
		return wb__error(NULL, WB_EINVALID, "wb_item_to_json: no item");
	if (format != WB_JSON_DDB && format != WB_JSON_PLAIN)
		return wb__error(NULL, WB_EINVALID, "wb_item_to_json: format must be WB_JSON_DDB "
				 "or WB_JSON_PLAIN");
	memset(&w, 0, sizeof(w));
	w.plain = format == WB_JSON_PLAIN;
	if (wb__buf_reserve(&w.b, 64 + item->n * 48) < 0 || /* a first guess: the buffer grows */
	    (rc = write_item(&w, item)) < 0 || (rc = wb__buf_append(&w.b, "", 1)) < 0) {
		wb__buf_free(&w.b);
		return rc;
	}
	*out = (char *)w.b.data;
	return 0;
}
