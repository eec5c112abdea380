/*
 * item.c - attribute values and items: construction, access, copy
 * and DynamoDB's size accounting (equality: item_equal.c).
 *
 * Memory comes from arenas (see item.h): a root item (wb_item_new) is a
 * small heap struct with its own arena; a standalone value (wb_value_*
 * constructors) lives at the start of its own arena's first chunk, so that
 * handing it to an item or a list is a splice of chunk lists, not a copy.
 * Decoding an item therefore costs a couple of mallocs, not one per value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <stdio.h>

#include "common.h"
#include "item.h"

/* ---------------------------------------------------------------- arena */

struct wb_chunk {
	struct wb_chunk *next; /* next chunk (older) */
	size_t size;           /* usable bytes after the header */
	/* data follows, 16-aligned */
};

#define CHUNK_HDR ((sizeof(struct wb_chunk) + 15) & ~(size_t)15)
#define CHUNK_MIN 256
#define CHUNK_MAX (64 * 1024)

static struct wb_chunk *chunk_new(size_t size)
{
	struct wb_chunk *c = wb__malloc(CHUNK_HDR + size);

	if (!c) {
		wb__oom(NULL);
		return NULL;
	}
	c->next = NULL;
	c->size = size;
	return c;
}

/* Room for n bytes: a fresh head chunk, or a dedicated one for big requests. */
void *wb__arena_slow(wb_arena *ar, size_t n)
{
	size_t last = ar->head ? ar->head->size : 0;
	size_t size = last * 2 < CHUNK_MIN ? CHUNK_MIN : last * 2;
	struct wb_chunk *c;

	if (size > CHUNK_MAX)
		size = CHUNK_MAX;
	if (n > size / 4 && ar->head) {
		/* big: own chunk behind the head, keep bumping in the head */
		if (!(c = chunk_new(n)))
			return NULL;
		c->next = ar->head->next;
		ar->head->next = c;
		return (char *)c + CHUNK_HDR;
	}
	if (size < n)
		size = n;
	if (!(c = chunk_new(size)))
		return NULL;
	c->next = ar->head;
	ar->head = c;
	ar->ptr = (char *)c + CHUNK_HDR + n;
	ar->end = (char *)c + CHUNK_HDR + size;
	return (char *)c + CHUNK_HDR;
}


/* The first chunk of a new arena, sized for `hint` bytes. */
static int arena_init(wb_arena *ar, size_t hint)
{
	struct wb_chunk *c;

	hint = (hint + 15) & ~(size_t)15;
	if (hint < 64)
		hint = 64;
	if (!(c = chunk_new(hint)))
		return WB_ENOMEM;
	ar->head = c;
	ar->ptr = (char *)c + CHUNK_HDR;
	ar->end = ar->ptr + hint;
	return 0;
}


void wb__arena_free(wb_arena *ar)
{
	struct wb_chunk *c = ar->head, *next;

	while (c) {
		next = c->next;
		free(c);
		c = next;
	}
	ar->head = NULL;
	ar->ptr = ar->end = NULL;
}

/* Move every chunk of src into dst (dst keeps bumping in its own head). */
static void arena_splice(wb_arena *dst, wb_arena *src)
{
	struct wb_chunk *tail;

	if (!src->head)
		return;
	if (!dst->head) {
		*dst = *src;
	} else {
		for (tail = src->head; tail->next; tail = tail->next)
			;
		tail->next = dst->head->next;
		dst->head->next = src->head;
	}
	src->head = NULL;
	src->ptr = src->end = NULL;
}

/* ------------------------------------------------------- standalone roots */

/* A standalone value: the value, then its arena, at the start of a chunk. */
struct wb_vroot {
	wb_value v;   /* must be first */
	wb_arena ar;  /* the arena holding this struct and everything below v */
};

static wb_value *vroot_new(wb_type t, size_t extra)
{
	wb_arena ar = {0};
	struct wb_vroot *r;

	if (arena_init(&ar, sizeof(*r) + extra + 16) < 0)
		return NULL;
	r = wb__arena_alloc(&ar, sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->ar = ar;
	r->v.type = (uint8_t)t;
	r->v.root = 1;
	return &r->v;
}

static wb_arena *vroot_arena(wb_value *v)
{
	return v->root ? &((struct wb_vroot *)v)->ar : NULL;
}

static wb_value *copy_value(wb_arena *ar, const wb_value *src);

/*
 * Make `v` part of arena `ar`: a standalone value's chunks move over (no
 * copy); a value already inside some other arena is deep-copied.
 */
wb_value *wb__value_adopt(wb_arena *ar, wb_value *v)
{
	wb_arena moved;

	if (!v->root)
		return copy_value(ar, v);
	moved = ((struct wb_vroot *)v)->ar;
	v->root = 0;
	arena_splice(ar, &moved);
	return v;
}

/* ----------------------------------------------------------------- types */

static const char *const type_names[] = {
	"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"
};

const char *wb_type_name(wb_type type)
{
	if ((unsigned)type >= WB_ARRAY_SIZE(type_names))
		return "?";
	return type_names[type];
}

int wb_type_parse(wb_type *out, const char *name)
{
	for (size_t i = 0; name && i < WB_ARRAY_SIZE(type_names); i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*out = (wb_type)i;
			return 0;
		}
	}
	return wb__error(NULL, WB_EINVALID, "unknown attribute type '%.20s' (expected S, N, B, "
			 "BOOL, NULL, L, M, SS, NS or BS)", name ? name : "(null)");
}

/* ---------------------------------------------------------------- values */

wb_value *wb__value_new(wb_arena *ar, wb_type t)
{
	wb_value *v = wb__arena_alloc(ar, sizeof(*v));

	if (v) {
		memset(v, 0, sizeof(*v));
		v->type = (uint8_t)t;
	}
	return v;
}

static int set_bytes(wb_value *v, wb_arena *ar, const char *p, size_t len)
{
	char *copy = wb__arena_strndup(ar, p, len);

	if (!copy)
		return WB_ENOMEM;
	v->u.s.p = copy;
	v->u.s.len = len;
	return 0;
}

static wb_value *bytes_value(wb_type t, const char *p, size_t len)
{
	wb_value *v = vroot_new(t, len + 1);

	if (v && set_bytes(v, vroot_arena(v), p, len) < 0) {
		wb_value_free(v);
		return NULL;
	}
	return v;
}

wb_value *wb_value_string(const char *s, size_t len)
{
	return bytes_value(WB_S, s, len);
}

wb_value *wb_value_number(const char *decimal)
{
	return bytes_value(WB_N, decimal, strlen(decimal));
}

wb_value *wb_value_binary(const void *data, size_t len)
{
	return bytes_value(WB_B, data, len);
}

wb_value *wb_value_bool(int b)
{
	wb_value *v = vroot_new(WB_BOOL, 0);

	if (v)
		v->u.b = b ? 1 : 0;
	return v;
}

wb_value *wb_value_null(void)
{
	return vroot_new(WB_NULL, 0);
}

wb_value *wb_value_list(void)
{
	return vroot_new(WB_L, 8 * sizeof(wb_value *));
}

wb_value *wb_value_set(wb_type set_type)
{
	if (set_type != WB_SS && set_type != WB_NS && set_type != WB_BS) {
		wb__error(NULL, WB_EINVALID, "wb_value_set: %s is not a set type", wb_type_name(set_type));
		return NULL;
	}
	return vroot_new(set_type, 8 * sizeof(wb_bytes));
}

wb_value *wb_value_map(wb_item *takes_map)
{
	wb_value *v = vroot_new(WB_M, sizeof(wb_item));
	wb_arena *ar;
	wb_item *nested;

	if (!v)
		goto fail;
	ar = vroot_arena(v);
	if (!(nested = wb__item_new_in(ar, 0)))
		goto fail;
	if (takes_map) {
		nested->attrs = takes_map->attrs;
		nested->n = takes_map->n;
		nested->cap = takes_map->cap;
		if (takes_map->ar == &takes_map->own) {
			wb_arena moved = takes_map->own; /* takes_map is inside it */
			arena_splice(ar, &moved);
		} else {
			/* a nested item: copy it */
			nested->attrs = NULL;
			nested->n = nested->cap = 0;
			for (size_t i = 0; i < takes_map->n; i++) {
				wb_value *c = copy_value(ar, takes_map->attrs[i].v);
				if (!c || wb__item_append(nested, ar, takes_map->attrs[i].name,
							  takes_map->attrs[i].nlen, c) < 0)
					goto fail;
			}
		}
	}
	v->u.map = nested;
	return v;
fail:
	wb_value_free(v);
	if (takes_map && takes_map->ar == &takes_map->own)
		wb_item_free(takes_map);
	return NULL;
}

/* Grow an arena array of `size`-byte elements to hold one more. */
static int grow(wb_arena *ar, void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (!(p = wb__arena_alloc(ar, ncap * size)))
		return WB_ENOMEM;
	if (n)
		memcpy(p, *arr, n * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

int wb__list_push(wb_value *l, wb_arena *ar, wb_value *child)
{
	if (grow(ar, (void **)&l->u.l.v, l->u.l.n, &l->u.l.cap, sizeof(wb_value *)) < 0)
		return WB_ENOMEM;
	l->u.l.v[l->u.l.n++] = child;
	return 0;
}

int wb__set_push(wb_value *s, wb_arena *ar, const void *data, size_t len)
{
	char *p;

	if (grow(ar, (void **)&s->u.set.m, s->u.set.n, &s->u.set.cap, sizeof(wb_bytes)) < 0)
		return WB_ENOMEM;
	if (!(p = wb__arena_strndup(ar, data, len)))
		return WB_ENOMEM;
	s->u.set.m[s->u.set.n].p = p;
	s->u.set.m[s->u.set.n].len = len;
	s->u.set.n++;
	return 0;
}

int wb_value_list_append(wb_value *list, wb_value *child)
{
	wb_arena *ar;
	wb_value *c;

	if (!child)
		return wb__error(NULL, WB_EINVALID, "wb_value_list_append: no value");
	if (!list || list->type != WB_L || !(ar = vroot_arena(list))) {
		wb_value_free(child);
		return wb__error(NULL, WB_EINVALID, "wb_value_list_append: not a standalone list");
	}
	if (!(c = wb__value_adopt(ar, child)))
		return WB_ENOMEM;
	return wb__list_push(list, ar, c);
}

int wb_value_set_add(wb_value *set, const void *data, size_t len)
{
	wb_arena *ar;

	if (!set || (set->type != WB_SS && set->type != WB_NS && set->type != WB_BS) ||
	    !(ar = vroot_arena(set)))
		return wb__error(NULL, WB_EINVALID, "wb_value_set_add: not a standalone set");
	return wb__set_push(set, ar, data, len);
}

static int copy_item_into(wb_arena *ar, wb_item *dst, const wb_item *src);

/* Deep copy of src into arena ar. */
static wb_value *copy_value(wb_arena *ar, const wb_value *src)
{
	wb_value *v = wb__value_new(ar, (wb_type)src->type);
	size_t i;

	if (!v)
		return NULL;
	switch ((wb_type)src->type) {
	case WB_S: case WB_N: case WB_B:
		if (set_bytes(v, ar, src->u.s.p, src->u.s.len) < 0)
			return NULL;
		v->checked = src->checked; /* the same bytes */
		break;
	case WB_BOOL:
		v->u.b = src->u.b;
		break;
	case WB_NULL:
		break;
	case WB_L:
		for (i = 0; i < src->u.l.n; i++) {
			wb_value *c = copy_value(ar, src->u.l.v[i]);
			if (!c || wb__list_push(v, ar, c) < 0)
				return NULL;
		}
		break;
	case WB_M:
		if (!(v->u.map = wb__item_new_in(ar, src->u.map->n)) ||
		    copy_item_into(ar, v->u.map, src->u.map) < 0)
			return NULL;
		break;
	case WB_SS: case WB_NS: case WB_BS:
		for (i = 0; i < src->u.set.n; i++)
			if (wb__set_push(v, ar, src->u.set.m[i].p, src->u.set.m[i].len) < 0)
				return NULL;
		break;
	}
	return v;
}

wb_value *wb_value_dup(const wb_value *v)
{
	wb_value *r, *c;
	wb_arena *ar;

	if (!v)
		return NULL;
	if (!(r = vroot_new((wb_type)v->type, 0)))
		return NULL;
	ar = vroot_arena(r);
	if (!(c = copy_value(ar, v))) {
		wb_value_free(r);
		return NULL;
	}
	r->u = c->u;
	return r;
}

void wb_value_free(wb_value *v)
{
	wb_arena ar;

	if (!v || !v->root)
		return; /* NULL, or owned by an item or list: freed with it */
	ar = ((struct wb_vroot *)v)->ar;
	wb__arena_free(&ar);
}

/* ------------------------------------------------------------- accessors */

wb_type wb_value_type(const wb_value *v)
{
	return v ? (wb_type)v->type : WB_NULL;
}

const char *wb_value_bytes(const wb_value *v, size_t *len)
{
	if (!v || (v->type != WB_S && v->type != WB_N && v->type != WB_B)) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = v->u.s.len;
	return v->u.s.p;
}

int wb_value_get_bool(const wb_value *v)
{
	return v && v->type == WB_BOOL ? v->u.b : 0;
}

size_t wb_value_count(const wb_value *v)
{
	if (!v)
		return 0;
	switch ((wb_type)v->type) {
	case WB_L: return v->u.l.n;
	case WB_SS: case WB_NS: case WB_BS: return v->u.set.n;
	case WB_M: return v->u.map->n;
	default: return 0;
	}
}

const wb_value *wb_value_list_at(const wb_value *v, size_t i)
{
	if (!v || v->type != WB_L || i >= v->u.l.n)
		return NULL;
	return v->u.l.v[i];
}

const char *wb_value_set_at(const wb_value *v, size_t i, size_t *len)
{
	if (!v || (v->type != WB_SS && v->type != WB_NS && v->type != WB_BS) || i >= v->u.set.n) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = v->u.set.m[i].len;
	return v->u.set.m[i].p;
}

const wb_item *wb_value_get_map(const wb_value *v)
{
	return v && v->type == WB_M ? v->u.map : NULL;
}

/* ----------------------------------------------------------------- items */

wb_item *wb__item_new_sized(size_t hint)
{
	wb_arena ar = {0};
	wb_item *it;

	/* the item struct lives at the start of its own arena's first chunk */
	if (arena_init(&ar, sizeof(*it) + (hint ? hint : 192)) < 0)
		return NULL;
	it = wb__arena_alloc(&ar, sizeof(*it));
	memset(it, 0, sizeof(*it));
	it->own = ar;
	it->ar = &it->own;
	return it;
}

wb_item *wb_item_new(void)
{
	return wb__item_new_sized(0);
}

wb_item *wb__item_new_in(wb_arena *ar, size_t cap)
{
	wb_item *it = wb__arena_alloc(ar, sizeof(*it));

	if (!it)
		return NULL;
	memset(it, 0, sizeof(*it));
	if (cap && !(it->attrs = wb__arena_alloc(ar, cap * sizeof(wb_attr))))
		return NULL;
	it->cap = it->attrs ? cap : 0;
	return it;
}

void wb_item_free(wb_item *item)
{
	wb_arena ar;

	if (!item || item->ar != &item->own)
		return; /* NULL, or nested in a value: freed with it */
	ar = item->own; /* the struct itself is in the arena */
	wb__arena_free(&ar);
}

int wb__item_append(wb_item *it, wb_arena *ar, const char *name, size_t nlen, wb_value *v)
{
	char *copy;

	if (grow(ar, (void **)&it->attrs, it->n, &it->cap, sizeof(wb_attr)) < 0)
		return WB_ENOMEM;
	if (!(copy = wb__arena_strndup(ar, name, nlen)))
		return WB_ENOMEM;
	it->attrs[it->n].name = copy;
	it->attrs[it->n].nlen = nlen;
	it->attrs[it->n].v = v;
	it->n++;
	return 0;
}

static int copy_item_into(wb_arena *ar, wb_item *dst, const wb_item *src)
{
	for (size_t i = 0; i < src->n; i++) {
		wb_value *c = copy_value(ar, src->attrs[i].v);
		if (!c || wb__item_append(dst, ar, src->attrs[i].name, src->attrs[i].nlen, c) < 0)
			return WB_ENOMEM;
	}
	return 0;
}

/* Bytes an item takes in an arena, roughly: to size a copy's first chunk. */
static size_t arena_estimate(const wb_item *it)
{
	return wb_item_size(it) + it->n * (sizeof(wb_attr) + sizeof(wb_value) + 16) + 64;
}

wb_item *wb_item_dup(const wb_item *item)
{
	wb_item *it;

	if (!item)
		return NULL;
	if (!(it = wb__item_new_sized(arena_estimate(item))))
		return NULL;
	if (item->n && (!(it->attrs = wb__arena_alloc(it->ar, item->n * sizeof(wb_attr))) ||
			(it->cap = item->n, copy_item_into(it->ar, it, item) < 0))) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

long wb__item_find(const wb_item *it, const char *name, size_t nlen)
{
	for (size_t i = 0; i < it->n; i++)
		if (it->attrs[i].nlen == nlen && memcmp(it->attrs[i].name, name, nlen) == 0)
			return (long)i;
	return -1;
}

size_t wb_item_count(const wb_item *item)
{
	return item ? item->n : 0;
}

const char *wb_item_name_at(const wb_item *item, size_t i)
{
	return item && i < item->n ? item->attrs[i].name : NULL;
}

const wb_value *wb_item_value_at(const wb_item *item, size_t i)
{
	return item && i < item->n ? item->attrs[i].v : NULL;
}

const wb_value *wb_item_get(const wb_item *item, const char *name)
{
	long i;

	if (!item || !name)
		return NULL;
	i = wb__item_find(item, name, strlen(name));
	return i < 0 ? NULL : item->attrs[i].v;
}

int wb_item_has(const wb_item *item, const char *name)
{
	return wb_item_get(item, name) != NULL;
}

int wb__item_put(wb_item *it, wb_arena *ar, const char *name, wb_value *v)
{
	size_t nlen = strlen(name);
	long i = wb__item_find(it, name, nlen);

	if (i >= 0) {
		it->attrs[i].v = v;
		return 0;
	}
	return wb__item_append(it, ar, name, nlen, v);
}

/* Set attribute `name` of a root item to v, which is already in its arena. */
static int item_put(wb_item *item, const char *name, wb_value *v)
{
	return wb__item_put(item, item->ar, name, v);
}

void wb__item_delete_at(wb_item *it, size_t i)
{
	memmove(&it->attrs[i], &it->attrs[i + 1], (it->n - i - 1) * sizeof(wb_attr));
	it->n--;
}

static int check_mutable(const wb_item *item, const char *name, const char *fn)
{
	if (!item || !name)
		return wb__error(NULL, WB_EINVALID, "%s: no item or no attribute name", fn);
	if (!item->ar)
		return wb__error(NULL, WB_EINVALID, "%s: attribute '%.100s': the item is nested in a "
				 "value and cannot be changed", fn, name);
	return 0;
}

int wb_item_set(wb_item *item, const char *name, wb_value *v)
{
	wb_value *c;
	int rc;

	if (!v)
		return wb__error(NULL, WB_EINVALID, "wb_item_set: attribute '%.100s': no value "
				 "(out of memory?)", name ? name : "");
	if ((rc = check_mutable(item, name, "wb_item_set")) < 0) {
		wb_value_free(v);
		return rc;
	}
	if (!(c = wb__value_adopt(item->ar, v)))
		return WB_ENOMEM;
	return item_put(item, name, c);
}

/* A new value of type t with copied bytes, in the item's arena, then set. */
static int set_bytes_attr(wb_item *item, const char *name, wb_type t, const void *p, size_t len)
{
	wb_value *v;
	int rc;

	if ((rc = check_mutable(item, name, "wb_item_set")) < 0)
		return rc;
	if (!(v = wb__value_new(item->ar, t)) || set_bytes(v, item->ar, p, len) < 0)
		return WB_ENOMEM;
	return item_put(item, name, v);
}

int wb_item_set_string(wb_item *item, const char *name, const char *s)
{
	if (!s)
		return wb__error(NULL, WB_EINVALID, "wb_item_set_string: no string");
	return set_bytes_attr(item, name, WB_S, s, strlen(s));
}

int wb_item_set_number(wb_item *item, const char *name, const char *decimal)
{
	if (!decimal)
		return wb__error(NULL, WB_EINVALID, "wb_item_set_number: no number");
	return set_bytes_attr(item, name, WB_N, decimal, strlen(decimal));
}

int wb_item_set_int(wb_item *item, const char *name, int64_t n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%" PRId64, n);

	return set_bytes_attr(item, name, WB_N, buf, (size_t)len);
}

int wb_item_set_binary(wb_item *item, const char *name, const void *data, size_t len)
{
	if (!data && len)
		return wb__error(NULL, WB_EINVALID, "wb_item_set_binary: no data");
	return set_bytes_attr(item, name, WB_B, data, len);
}

static int set_simple(wb_item *item, const char *name, wb_type t, int b)
{
	wb_value *v;
	int rc;

	if ((rc = check_mutable(item, name, "wb_item_set")) < 0)
		return rc;
	if (!(v = wb__value_new(item->ar, t)))
		return WB_ENOMEM;
	v->u.b = b ? 1 : 0;
	return item_put(item, name, v);
}

int wb_item_set_bool(wb_item *item, const char *name, int b)
{
	return set_simple(item, name, WB_BOOL, b);
}

int wb_item_set_null(wb_item *item, const char *name)
{
	return set_simple(item, name, WB_NULL, 0);
}

int wb_item_remove(wb_item *item, const char *name)
{
	long i;
	int rc;

	if ((rc = check_mutable(item, name, "wb_item_remove")) < 0)
		return rc;
	if ((i = wb__item_find(item, name, strlen(name))) < 0)
		return wb__error(NULL, WB_ENOTFOUND, "attribute '%.100s' is not in the item", name);
	wb__item_delete_at(item, (size_t)i);
	return 0;
}

const char *wb_item_get_string(const wb_item *item, const char *name)
{
	const wb_value *v = wb_item_get(item, name);

	return v && v->type == WB_S ? v->u.s.p : NULL;
}

const char *wb_item_get_number(const wb_item *item, const char *name)
{
	const wb_value *v = wb_item_get(item, name);

	return v && v->type == WB_N ? v->u.s.p : NULL;
}

int64_t wb_item_get_int(const wb_item *item, const char *name, int64_t dflt)
{
	const char *s = wb_item_get_number(item, name);
	char *end;
	long long n;

	if (!s || !*s)
		return dflt;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return dflt; /* not an integer in int64 form (fraction, exponent, too big) */
	return (int64_t)n;
}

/* ------------------------------------------------------------------ size */

static size_t number_size(const char *s, size_t len)
{
	wb_num n;

	if (wb__num_parse(&n, s, len) < 0)
		return len; /* malformed: count its text */
	return (n.ndig + 1) / 2 + 1;
}

static size_t value_size(const wb_value *v)
{
	size_t sz = 0, i;

	switch ((wb_type)v->type) {
	case WB_S: case WB_B:
		return v->u.s.len;
	case WB_N:
		return number_size(v->u.s.p, v->u.s.len);
	case WB_BOOL: case WB_NULL:
		return 1;
	case WB_L:
		for (sz = 3, i = 0; i < v->u.l.n; i++)
			sz += value_size(v->u.l.v[i]) + 1;
		return sz;
	case WB_M:
		for (sz = 3, i = 0; i < v->u.map->n; i++)
			sz += v->u.map->attrs[i].nlen + value_size(v->u.map->attrs[i].v) + 1;
		return sz;
	case WB_SS: case WB_BS:
		for (i = 0; i < v->u.set.n; i++)
			sz += v->u.set.m[i].len;
		return sz;
	case WB_NS:
		for (i = 0; i < v->u.set.n; i++)
			sz += number_size(v->u.set.m[i].p, v->u.set.m[i].len);
		return sz;
	}
	return 0;
}

size_t wb_item_size(const wb_item *item)
{
	size_t sz = 0;

	for (size_t i = 0; item && i < item->n; i++)
		sz += item->attrs[i].nlen + value_size(item->attrs[i].v);
	return sz;
}

/* ------------------------------------------------------------------ keys */

static int copy_key_attr(wb_item *dst, const wb_item *src, const char *name)
{
	const wb_value *v = wb_item_get(src, name);
	wb_value *c;

	if (!v)
		return wb__error(NULL, WB_EINVALID, "key attribute '%.255s' is missing", name);
	if (!(c = copy_value(dst->ar, v)))
		return WB_ENOMEM;
	return item_put(dst, name, c);
}

wb_item *wb_item_key(const wb_item *item, const wb_key_schema *key)
{
	wb_item *k;

	if (!item || !key) {
		wb__error(NULL, WB_EINVALID, "wb_item_key: no item or no key schema");
		return NULL;
	}
	if (!(k = wb__item_new_sized(128)))
		return NULL;
	if (copy_key_attr(k, item, key->pk_name) < 0 ||
	    (key->sk_name[0] && copy_key_attr(k, item, key->sk_name) < 0)) {
		wb_item_free(k);
		return NULL;
	}
	return k;
}
