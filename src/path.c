/*
 * path.c - document paths in items: `state.sorts_risk_level_normalized`,
 * `history[2].status` (wb_item_get_path, wb_item_set_path,
 * wb_item_remove_path and their *_pathv forms).
 *
 * The text form is parsed into components (wb_path_elem) and everything
 * else works on those: a walk from the item down to the value, or to its
 * parent for a set or a remove, which then changes the parent in the root
 * item's arena (nested items and lists have no arena of their own; see
 * item.h).  The rules are DynamoDB's SET and REMOVE: every intermediate
 * must exist, setting an index past the end of a list appends, removing an
 * element moves the later ones down.  Failures record one line naming the
 * path and the component that failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "item.h"

/* ------------------------------------------------------------ messages */

/* Append `s` to out[*o..size), with a backslash before the path syntax
 * when `esc`; 0 once full. */
static int append(char *out, size_t size, size_t *o, const char *s, int esc)
{
	for (; *s; s++) {
		int bs = esc && (*s == '.' || *s == '[' || *s == ']' || *s == '\\');
		if (*o + 1 + (size_t)bs >= size)
			return 0;
		if (bs)
			out[(*o)++] = '\\';
		out[(*o)++] = *s;
	}
	return 1;
}

/* The first k components as path text (escaped, one line, cut at ~200 bytes). */
static const char *path_text(char *out, size_t size, const wb_path_elem *e, size_t k)
{
	char raw[208], idx[32];
	size_t o = 0;
	int room = 1;

	for (size_t i = 0; i < k && room; i++) {
		if (e[i].name) {
			room = (i == 0 || append(raw, sizeof(raw), &o, ".", 0)) &&
			       append(raw, sizeof(raw), &o, e[i].name, 1);
		} else {
			snprintf(idx, sizeof(idx), "[%zu]", e[i].index);
			room = append(raw, sizeof(raw), &o, idx, 0);
		}
	}
	raw[o] = '\0';
	return wb__escape_line(out, size, raw);
}

/* Record a failure at component i (0-based) of the path e[0..n). */
static int path_error(int code, const wb_path_elem *e, size_t n, size_t i, const char *what)
{
	char whole[256], part[256];

	path_text(whole, sizeof(whole), e, n);
	path_text(part, sizeof(part), e, i + 1);
	return wb__error(NULL, code, "path '%s': '%s' %s", whole, part, what);
}

/* The value at component i is missing. */
static int missing(const wb_path_elem *e, size_t n, size_t i)
{
	return path_error(WB_ENOTFOUND, e, n, i, "is not in the item");
}

/* The value at component i is not of the type component i + 1 needs. */
static int mismatch(const wb_path_elem *e, size_t n, size_t i, const wb_value *v)
{
	char what[64];

	snprintf(what, sizeof(what), "is %s, not a %s", wb_type_name((wb_type)v->type),
		 e[i + 1].name ? "map" : "list");
	return path_error(WB_EINVALID, e, n, i, what);
}

static int out_of_range(const wb_path_elem *e, size_t n, size_t i, size_t count)
{
	char what[80];

	snprintf(what, sizeof(what), "is out of range (the list has %zu element%s)",
		 count, count == 1 ? "" : "s");
	return path_error(WB_ENOTFOUND, e, n, i, what);
}

/* ------------------------------------------------------------- parsing */

/* A path parsed from text; names point into `buf`. */
typedef struct parsed_path {
	wb_path_elem e[WB_PATH_MAX_DEPTH]; /* the components */
	size_t n;                          /* how many */
	char *buf;                         /* unescaped names, each NUL-terminated */
	char small[256];                   /* buf for short paths */
} parsed_path;

static int syntax(const char *text, size_t at, const char *what)
{
	char shown[256];

	wb__escape_line(shown, sizeof(shown), text);
	return wb__error(NULL, WB_EINVALID, "path '%.200s': %s at offset %zu", shown, what, at);
}

/* A name from text[*at]; unescapes it into *dst and moves both on. */
static int parse_name(const char *text, size_t *at, char **dst)
{
	size_t start = *at;
	char *d = *dst;

	while (text[*at] && text[*at] != '.' && text[*at] != '[') {
		if (text[*at] == ']')
			return syntax(text, *at, "']' outside brackets (escape it as '\\]')");
		if (text[*at] == '\\' && !text[++*at])
			return syntax(text, *at, "a backslash ends the path");
		*d++ = text[(*at)++];
	}
	if (*at == start)
		return syntax(text, *at, "empty name");
	*d++ = '\0';
	*dst = d;
	return 0;
}

/* An index "[digits]" from text[*at]. */
static int parse_index(const char *text, size_t *at, size_t *out)
{
	size_t start = ++*at;

	for (*out = 0; text[*at] >= '0' && text[*at] <= '9'; ++*at) {
		size_t d = (size_t)(text[*at] - '0');
		if (*out > (SIZE_MAX - d) / 10)
			return syntax(text, start, "list index too large");
		*out = *out * 10 + d;
	}
	if (*at == start || text[*at] != ']')
		return syntax(text, *at, "a list index is digits between [ and ]");
	++*at;
	return 0;
}

/* One component at text[*at]: the first name, ".name" or "[index]". */
static int parse_elem(parsed_path *p, const char *text, size_t *at, char **dst)
{
	wb_path_elem *el = &p->e[p->n];

	if (p->n == WB_PATH_MAX_DEPTH)
		return syntax(text, *at, "more than 32 components");
	if (p->n > 0 && text[*at] == '[') {
		el->name = NULL;
		return parse_index(text, at, &el->index);
	}
	if (p->n > 0 && text[(*at)++] != '.')
		return syntax(text, *at - 1, "expected '.' or '['");
	el->name = *dst;
	el->index = 0;
	return parse_name(text, at, dst);
}

static int path_parse(parsed_path *p, const char *text)
{
	size_t len, at = 0;
	char *dst;
	int rc;

	p->n = 0;
	p->buf = p->small;
	if (!text || !*text)
		return wb__error(NULL, WB_EINVALID, "empty document path");
	len = strlen(text);
	if (len >= sizeof(p->small) && !(p->buf = wb__malloc(len + 1)))
		return WB_ENOMEM;
	for (dst = p->buf; text[at]; p->n++)
		if ((rc = parse_elem(p, text, &at, &dst)) < 0)
			return rc;
	return 0;
}

static void parsed_free(parsed_path *p)
{
	if (p->buf != p->small)
		free(p->buf);
}

/* ------------------------------------------------------------- walking */

static int check_path(const wb_item *item, const wb_path_elem *e, size_t n)
{
	if (!item || !e || n == 0)
		return wb__error(NULL, WB_EINVALID, "document path: no item or no path");
	if (n > WB_PATH_MAX_DEPTH)
		return wb__error(NULL, WB_EINVALID, "document path of %zu components (at most %d)",
				 n, WB_PATH_MAX_DEPTH);
	if (!e[0].name)
		return wb__error(NULL, WB_EINVALID, "document path starts with a list index, "
				 "not an attribute name");
	for (size_t i = 0; i < n; i++)
		if (e[i].name && !e[i].name[0])
			return path_error(WB_EINVALID, e, n, i, "is an empty name");
	return 0;
}

/* The child of `cur` (NULL: the item) named by component i. */
static int child(wb_value **out, const wb_item *item, const wb_value *cur,
		 const wb_path_elem *e, size_t n, size_t i)
{
	const wb_item *map = cur ? (cur->type == WB_M ? cur->u.map : NULL) : item;
	long j;

	if (e[i].name) {
		if (!map)
			return mismatch(e, n, i - 1, cur);
		if ((j = wb__item_find(map, e[i].name, strlen(e[i].name))) < 0)
			return missing(e, n, i);
		*out = map->attrs[j].v;
		return 0;
	}
	if (cur->type != WB_L)
		return mismatch(e, n, i - 1, cur);
	if (e[i].index >= cur->u.l.n)
		return out_of_range(e, n, i, cur->u.l.n);
	*out = cur->u.l.v[e[i].index];
	return 0;
}

/* The value at the first k components of the path (k >= 1). */
static int walk(wb_value **out, const wb_item *item, const wb_path_elem *e, size_t n, size_t k)
{
	wb_value *cur = NULL;
	int rc;

	for (size_t i = 0; i < k; i++)
		if ((rc = child(&cur, item, cur, e, n, i)) < 0)
			return rc;
	*out = cur;
	return 0;
}

/*
 * The container of the last component: *map (the item or a nested map)
 * when it is a name, *list when it is an index; checked for its type.
 */
static int parent_of(wb_item **map, wb_value **list, wb_item *item,
		     const wb_path_elem *e, size_t n)
{
	wb_value *p = NULL;
	int rc;

	*map = item;
	*list = NULL;
	if (n == 1)
		return 0;
	if ((rc = walk(&p, item, e, n, n - 1)) < 0)
		return rc;
	if (e[n - 1].name ? p->type != WB_M : p->type != WB_L)
		return mismatch(e, n, n - 2, p);
	*map = e[n - 1].name ? p->u.map : NULL;
	*list = e[n - 1].name ? NULL : p;
	return 0;
}

static int check_mutable(wb_item *item, const wb_path_elem *e, size_t n)
{
	int rc = check_path(item, e, n);

	if (rc == 0 && !item->ar)
		return path_error(WB_EINVALID, e, n, n - 1, "cannot be changed: the item is nested "
				  "in a value (change it through the root item)");
	return rc;
}

/* ---------------------------------------------------------------- API */

const wb_value *wb_item_get_pathv(const wb_item *item, const wb_path_elem *path, size_t n)
{
	wb_value *v = NULL;

	if (check_path(item, path, n) < 0 || walk(&v, item, path, n, n) < 0)
		return NULL;
	return v;
}

int wb_item_set_pathv(wb_item *item, const wb_path_elem *path, size_t n, wb_value *v)
{
	wb_item *map;
	wb_value *list, *c;
	int rc;

	if (!v)
		return wb__error(NULL, WB_EINVALID, "wb_item_set_path: no value (out of memory?)");
	if ((rc = check_mutable(item, path, n)) < 0 ||
	    (rc = parent_of(&map, &list, item, path, n)) < 0) {
		wb_value_free(v);
		return rc;
	}
	if (!(c = wb__value_adopt(item->ar, v)))
		return WB_ENOMEM;
	if (map)
		return wb__item_put(map, item->ar, path[n - 1].name, c);
	if (path[n - 1].index < list->u.l.n) {
		list->u.l.v[path[n - 1].index] = c;
		return 0;
	}
	return wb__list_push(list, item->ar, c);
}

int wb_item_remove_pathv(wb_item *item, const wb_path_elem *path, size_t n)
{
	wb_item *map;
	wb_value *list;
	size_t i;
	long j;
	int rc;

	if ((rc = check_mutable(item, path, n)) < 0 ||
	    (rc = parent_of(&map, &list, item, path, n)) < 0)
		return rc;
	i = path[n - 1].index;
	if (map) {
		if ((j = wb__item_find(map, path[n - 1].name, strlen(path[n - 1].name))) < 0)
			return missing(path, n, n - 1);
		wb__item_delete_at(map, (size_t)j);
		return 0;
	}
	if (i >= list->u.l.n)
		return out_of_range(path, n, n - 1, list->u.l.n);
	memmove(&list->u.l.v[i], &list->u.l.v[i + 1], (list->u.l.n - i - 1) * sizeof(wb_value *));
	list->u.l.n--;
	return 0;
}

const wb_value *wb_item_get_path(const wb_item *item, const char *path)
{
	const wb_value *v = NULL;
	parsed_path p;

	if (path_parse(&p, path) == 0)
		v = wb_item_get_pathv(item, p.e, p.n);
	parsed_free(&p);
	return v;
}

int wb_item_set_path(wb_item *item, const char *path, wb_value *v)
{
	parsed_path p;
	int rc = path_parse(&p, path);

	if (rc < 0)
		wb_value_free(v);
	else
		rc = wb_item_set_pathv(item, p.e, p.n, v);
	parsed_free(&p);
	return rc;
}

int wb_item_remove_path(wb_item *item, const char *path)
{
	parsed_path p;
	int rc = path_parse(&p, path);

	if (rc == 0)
		rc = wb_item_remove_pathv(item, p.e, p.n);
	parsed_free(&p);
	return rc;
}
