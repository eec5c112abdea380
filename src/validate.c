/*
 * validate.c - wb_item_validate: DynamoDB's rules for an item, checked
 * before anything is stored, with a one-line message naming the attribute
 * path ("attribute 'tags': string set holds a duplicate member 'red'").
 *
 * Rules: names non-empty, valid UTF-8, at most 64 KB; strings valid UTF-8;
 * numbers well formed, at most 38 significant digits, magnitude within
 * 1E-130 .. 9.99..9E+125 (or zero); sets non-empty without duplicates
 * (number sets compare numerically: "1" and "1.0" are duplicates); nesting
 * at most 32 levels; the whole item at most 400 KB; and, given a key
 * schema, key attributes present, of the declared type, non-empty and
 * within DynamoDB's key sizes (2048 bytes partition, 1024 bytes sort).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "item.h"
#include "buf.h"

/* The length of the valid UTF-8 sequence at s (avail bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned c = *s, need, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
	else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
	else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
	else return 0;
	if (avail <= need)
		return 0;
	for (unsigned k = 1; k <= need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need + 1;
}

int wb__utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		size_t n = *s < 0x80 ? 1 : utf8_seq(s, (size_t)(end - s));
		if (!n)
			return 0;
		s += n;
	}
	return 1;
}

int wb__utf8_scrub(wb_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		const unsigned char *run = s;
		size_t n;
		while (s < end && (n = utf8_seq(s, (size_t)(end - s))) != 0)
			s += n;
		wb__buf_append(out, run, (size_t)(s - run));
		if (s < end) {
			wb__buf_append(out, "\xef\xbf\xbd", 3); /* U+FFFD for the bad byte */
			s++;
		}
	}
	return out->oom ? WB_ENOMEM : 0;
}

/*
 * The path of the attribute being checked ("a", "a.b", "a[3]"): a chain of
 * frames on the stack, one per nesting level, formatted only when a message
 * needs it (validation runs on every write: the happy path must not print).
 * The top level is the NULL path.
 */
typedef struct vpath {
	const struct vpath *up; /* enclosing frame, or NULL at the top */
	const char *name;       /* attribute name, or NULL for a list element */
	size_t nlen;            /* length of name */
	size_t idx;             /* list index when name is NULL */
} vpath;

#define PATH_TEXT_MAX 160

/* Write the path into buf[size]; returns the length it wanted. */
static size_t path_put(const vpath *p, char *buf, size_t size)
{
	size_t n;
	int k;

	if (!p)
		return 0;
	n = path_put(p->up, buf, size);
	if (n >= size)
		return n;
	if (p->name)
		k = snprintf(buf + n, size - n, "%s%.*s", n ? "." : "",
			     (int)(p->nlen > 60 ? 60 : p->nlen), p->name);
	else
		k = snprintf(buf + n, size - n, "[%zu]", p->idx);
	return n + (k > 0 ? (size_t)k : 0);
}

/* The path as text, truncated with "..." when long. */
static const char *path_text(const vpath *p, char buf[PATH_TEXT_MAX])
{
	buf[0] = '\0';
	if (path_put(p, buf, PATH_TEXT_MAX) >= PATH_TEXT_MAX - 1)
		memcpy(buf + PATH_TEXT_MAX - 4, "...", 4);
	return buf;
}

static int bad(const vpath *p, const char *what)
{
	char path[PATH_TEXT_MAX];

	return wb__error(NULL, WB_EINVALID, "attribute '%s': %s", path_text(p, path), what);
}

/* A number checked silently first; the message with its path only on failure. */
static int check_number(const vpath *p, const char *s, size_t len)
{
	char path[PATH_TEXT_MAX], where[PATH_TEXT_MAX + 16];

	if (wb__number_check(s, len, NULL) == 0)
		return 0;
	snprintf(where, sizeof(where), "attribute '%s'", path_text(p, path));
	return wb__number_check(s, len, where);
}

static int check_name(const vpath *parent, const char *name, size_t nlen)
{
	char path[PATH_TEXT_MAX];
	const char *at = parent ? path_text(parent, path) : "";
	const char *in = *at ? " in '" : "", *close = *at ? "'" : "";

	if (nlen == 0)
		return wb__error(NULL, WB_EINVALID, "empty attribute name%s%s%s", in, at, close);
	if (nlen > WB_ATTR_NAME_MAX)
		return wb__error(NULL, WB_EINVALID, "attribute name '%.40s...' is %zu bytes, over "
				 "the 64 KB limit", name, nlen);
	if (!wb__utf8_valid(name, nlen))
		return wb__error(NULL, WB_EINVALID, "attribute name '%.60s' is not valid UTF-8", name);
	return 0;
}

static const char *set_word(wb_type t)
{
	return t == WB_SS ? "string set" : t == WB_NS ? "number set" : "binary set";
}

/* A member quoted for a message: text for SS/NS, a note for BS. */
static void member_text(char *out, size_t size, wb_type t, const wb_bytes *m)
{
	if (t == WB_BS)
		snprintf(out, size, "(%zu bytes)", m->len);
	else
		snprintf(out, size, "'%.*s%s'", (int)(m->len > 60 ? 60 : m->len), m->p,
			 m->len > 60 ? "..." : "");
}

static int report_dup(const vpath *p, wb_type t, const wb_bytes *a, const wb_bytes *b)
{
	char ma[80], mb[80], msg[256];

	member_text(ma, sizeof(ma), t, a);
	member_text(mb, sizeof(mb), t, b);
	if (t == WB_NS && (a->len != b->len || memcmp(a->p, b->p, a->len) != 0))
		snprintf(msg, sizeof(msg), "%s holds a duplicate member %s (equal to %s)",
			 set_word(t), mb, ma);
	else
		snprintf(msg, sizeof(msg), "%s holds a duplicate member %s", set_word(t), mb);
	return bad(p, msg);
}

/* Duplicates: pairwise for small sets, sorted copy for big ones. */
static int check_set_dups(const vpath *p, const wb_value *v)
{
	wb_type t = (wb_type)v->type;
	size_t n = v->u.set.n, i, j;
	wb_bytes *sorted;

	if (n <= 32) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (wb__set_member_cmp(t, &v->u.set.m[i], &v->u.set.m[j]) == 0)
					return report_dup(p, t, &v->u.set.m[i], &v->u.set.m[j]);
		return 0;
	}
	if (!(sorted = wb__malloc(n * sizeof(*sorted))))
		return WB_ENOMEM;
	memcpy(sorted, v->u.set.m, n * sizeof(*sorted));
	wb__set_members_sort(t, sorted, n);
	for (i = 1; i < n; i++) {
		if (wb__set_member_cmp(t, &sorted[i - 1], &sorted[i]) == 0) {
			int rc = report_dup(p, t, &sorted[i - 1], &sorted[i]);
			free(sorted);
			return rc;
		}
	}
	free(sorted);
	return 0;
}

static int check_set(const vpath *p, const wb_value *v)
{
	char msg[200];
	wb_type t = (wb_type)v->type;

	if (v->u.set.n == 0) {
		snprintf(msg, sizeof(msg), "%s is empty (DynamoDB sets hold at least one member)",
			 set_word(t));
		return bad(p, msg);
	}
	for (size_t i = 0; i < v->u.set.n; i++) {
		const wb_bytes *m = &v->u.set.m[i];
		if (t == WB_SS && !wb__utf8_valid(m->p, m->len)) {
			snprintf(msg, sizeof(msg), "string set member %zu is not valid UTF-8", i);
			return bad(p, msg);
		}
		if (t == WB_NS && check_number(p, m->p, m->len) < 0)
			return WB_EINVALID;
	}
	return check_set_dups(p, v);
}

static int check_item(const vpath *up, const wb_item *it, int depth);

static int check_value(const vpath *p, const wb_value *v, int depth)
{
	size_t i;
	int rc;

	if (v->checked)
		return 0; /* S or N decoded from the store: validated before it was stored */
	switch ((wb_type)v->type) {
	case WB_S:
		return wb__utf8_valid(v->u.s.p, v->u.s.len) ? 0 : bad(p, "string is not valid UTF-8");
	case WB_N:
		return check_number(p, v->u.s.p, v->u.s.len);
	case WB_B: case WB_BOOL: case WB_NULL:
		return 0;
	case WB_SS: case WB_NS: case WB_BS:
		return check_set(p, v);
	case WB_L: case WB_M:
		if (depth >= WB_MAX_DEPTH)
			return bad(p, "nesting deeper than 32 levels");
		if (v->type == WB_M)
			return check_item(p, v->u.map, depth + 1);
		for (i = 0; i < v->u.l.n; i++) {
			vpath elem = {p, NULL, 0, i};
			if ((rc = check_value(&elem, v->u.l.v[i], depth + 1)) < 0)
				return rc;
		}
		return 0;
	}
	return bad(p, "unknown value type");
}

static int check_item(const vpath *up, const wb_item *it, int depth)
{
	for (size_t i = 0; i < it->n; i++) {
		const wb_attr *a = &it->attrs[i];
		vpath attr = {up, a->name, a->nlen, 0};
		int rc;
		if ((rc = check_name(up, a->name, a->nlen)) < 0)
			return rc;
		if ((rc = check_value(&attr, a->v, depth)) < 0)
			return rc;
	}
	return 0;
}

/* DynamoDB's limits on key values: 2048 bytes for a partition key, 1024 for a sort key. */
#define PK_MAX_BYTES 2048
#define SK_MAX_BYTES 1024

static int check_key_attr(const wb_item *item, const char *name, wb_type type, int is_sort)
{
	const wb_value *v = wb_item_get(item, name);
	size_t max = is_sort ? SK_MAX_BYTES : PK_MAX_BYTES;

	if (type != WB_S && type != WB_N && type != WB_B)
		return wb__error(NULL, WB_EINVALID, "key schema: attribute '%s' has type %s; key "
				 "types are S, N or B", name, wb_type_name(type));
	if (!v)
		return wb__error(NULL, WB_EINVALID, "key attribute '%s' is missing", name);
	if (v->type != type)
		return wb__error(NULL, WB_EINVALID, "key attribute '%s' is of type %s, the table's "
				 "key type is %s", name, wb_type_name((wb_type)v->type),
				 wb_type_name(type));
	if (v->u.s.len == 0)
		return wb__error(NULL, WB_EINVALID, "key attribute '%s' is empty", name);
	if (v->u.s.len > max)
		return wb__error(NULL, WB_EINVALID, "key attribute '%s' is %zu bytes, over DynamoDB's "
				 "%zu-byte limit for a %s key", name, v->u.s.len, max,
				 is_sort ? "sort" : "partition");
	return 0;
}

int wb__item_check_values(const wb_item *item)
{
	if (!item)
		return wb__error(NULL, WB_EINVALID, "no item");
	return check_item(NULL, item, 1);
}

static int size_check(const wb_item *item)
{
	size_t size = wb_item_size(item);

	if (size > WB_ITEM_MAX_SIZE)
		return wb__error(NULL, WB_EINVALID, "item is %zu bytes, over the 400 KB limit "
				 "(%d bytes)", size, WB_ITEM_MAX_SIZE);
	return 0;
}

/*
 * Why twice the encoding bounds the size (item.c's value_size against
 * codec.c): a value's size plus one is at most twice its encoded length
 * (S, B: len + 1 against 2 + len; N: (digits + 1) / 2 + 2 against 2 + len;
 * BOOL, NULL: 2 against 1 or 2; L, M: 4 + the elements' (size + 1), names
 * included, against 2 + their encodings, names with their length byte;
 * sets likewise), and the item's size is the sum of its names and values.
 */
int wb__item_size_check(const wb_item *item, size_t enclen)
{
	return enclen <= WB_ITEM_MAX_SIZE / 2 ? 0 : size_check(item);
}

int wb_item_validate(const wb_item *item, const wb_key_schema *key)
{
	int rc;

	if ((rc = wb__item_check_values(item)) < 0 || (rc = size_check(item)) < 0)
		return rc;
	if (key) {
		if ((rc = check_key_attr(item, key->pk_name, key->pk_type, 0)) < 0)
			return rc;
		if (key->sk_name[0] && (rc = check_key_attr(item, key->sk_name, key->sk_type, 1)) < 0)
			return rc;
	}
	return 0;
}
