/*
 * item_equal.c - deep equality of values and items.
 *
 * Two values are equal when they have the same type and content: sets
 * compare as sets (order and, for NS, the spelling of equal numbers aside
 * as wb_value_equal documents), items as maps (attribute order ignored).
 * Used by conditions (WB_COND_ITEM_EQUALS), the runner's "written back
 * unchanged" test and the tests.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "item.h"
/* -------------------------------------------------------------- equality */

static int bytes_eq(const wb_bytes *a, const wb_bytes *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static int member_eq(wb_type t, const wb_bytes *a, const wb_bytes *b)
{
	if (t == WB_NS)
		return bytes_eq(a, b) || wb__num_text_cmp(a->p, a->len, b->p, b->len) == 0;
	return bytes_eq(a, b);
}

/* Every member of a is in b (small sets: pairwise). */
static int set_within(wb_type t, const wb_value *a, const wb_value *b)
{
	for (size_t i = 0; i < a->u.set.n; i++) {
		size_t j;
		for (j = 0; j < b->u.set.n; j++)
			if (member_eq(t, &a->u.set.m[i], &b->u.set.m[j]))
				break;
		if (j == b->u.set.n)
			return 0;
	}
	return 1;
}

int wb__set_member_cmp(wb_type t, const wb_bytes *a, const wb_bytes *b)
{
	int c;

	if (t == WB_NS)
		return wb__num_text_cmp(a->p, a->len, b->p, b->len);
	c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len == b->len ? 0 : (a->len < b->len ? -1 : 1));
}

static _Thread_local wb_type sort_type; /* qsort has no context argument */

static int member_order(const void *x, const void *y)
{
	return wb__set_member_cmp(sort_type, x, y);
}

void wb__set_members_sort(wb_type t, wb_bytes *m, size_t n)
{
	sort_type = t;
	qsort(m, n, sizeof(*m), member_order);
}

/* Big sets of equal size: sort copies of both and compare in step. */
static int sets_equal(const wb_value *a, const wb_value *b)
{
	wb_type t = (wb_type)a->type;
	size_t n = a->u.set.n, i;
	wb_bytes *sa, *sb;
	int eq = 1;

	if (n <= 32 || n != b->u.set.n)
		return set_within(t, a, b) && set_within(t, b, a);
	sa = malloc(n * sizeof(*sa));
	sb = malloc(n * sizeof(*sb));
	if (!sa || !sb) {
		free(sa);
		free(sb);
		return set_within(t, a, b) && set_within(t, b, a);
	}
	memcpy(sa, a->u.set.m, n * sizeof(*sa));
	memcpy(sb, b->u.set.m, n * sizeof(*sb));
	wb__set_members_sort(t, sa, n);
	wb__set_members_sort(t, sb, n);
	for (i = 0; i < n && eq; i++)
		eq = wb__set_member_cmp(t, &sa[i], &sb[i]) == 0;
	free(sa);
	free(sb);
	return eq;
}

int wb_value_equal(const wb_value *a, const wb_value *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->type != b->type)
		return 0;
	switch ((wb_type)a->type) {
	case WB_S: case WB_B:
		return bytes_eq(&a->u.s, &b->u.s);
	case WB_N:
		return member_eq(WB_NS, &a->u.s, &b->u.s);
	case WB_BOOL:
		return a->u.b == b->u.b;
	case WB_NULL:
		return 1;
	case WB_L:
		if (a->u.l.n != b->u.l.n)
			return 0;
		for (size_t i = 0; i < a->u.l.n; i++)
			if (!wb_value_equal(a->u.l.v[i], b->u.l.v[i]))
				return 0;
		return 1;
	case WB_M:
		return wb_item_equal(a->u.map, b->u.map);
	case WB_SS: case WB_NS: case WB_BS:
		return sets_equal(a, b);
	}
	return 0;
}

int wb_item_equal(const wb_item *a, const wb_item *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		long j = (i < b->n && a->attrs[i].nlen == b->attrs[i].nlen &&
			  memcmp(a->attrs[i].name, b->attrs[i].name, a->attrs[i].nlen) == 0)
			? (long)i : wb__item_find(b, a->attrs[i].name, a->attrs[i].nlen);
		if (j < 0 || !wb_value_equal(a->attrs[i].v, b->attrs[j].v))
			return 0;
	}
	return 1;
}
