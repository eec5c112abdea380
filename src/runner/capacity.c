/*
 * capacity.c - DynamoDB capacity units of reads and writes: the rules of
 * capacity.h, which the plan interceptor applies to every read and write
 * it sees to estimate what the run would consume.
 */
#include <string.h>

#include "common.h"
#include "capacity.h"

static double per_unit(size_t bytes, size_t unit)
{
	return (double)((bytes + unit - 1) / unit);
}

double wb__units_page(size_t bytes, int consistent)
{
	return per_unit(bytes, WB_READ_UNIT_BYTES) * (consistent ? 1.0 : 0.5);
}

double wb__units_get(size_t bytes, int consistent)
{
	double u = per_unit(bytes, WB_READ_UNIT_BYTES);

	return (u < 1 ? 1 : u) * (consistent ? 1.0 : 0.5);
}

static double write_units(size_t bytes)
{
	double u = per_unit(bytes, WB_WRITE_UNIT_BYTES);

	return u < 1 ? 1 : u;
}

double wb__units_write(const wb_item *before, const wb_item *after)
{
	size_t b = before ? wb_item_size(before) : 0, a = after ? wb_item_size(after) : 0;

	return write_units(a > b ? a : b);
}

/* Copy attribute `name` of `from` into `to` when present; WB_ENOMEM. */
static int take(wb_item *to, const wb_item *from, const char *name)
{
	const wb_value *v = name && name[0] ? wb_item_get(from, name) : NULL;

	if (!v || wb_item_get(to, name))
		return 0;
	return wb_item_set(to, name, wb_value_dup(v));
}

/*
 * The entry of `item` in index `ix` (caller frees): NULL when the item is
 * not in it (a key attribute of the index is missing) or out of memory.
 */
static wb_item *entry_of(const wb_index *ix, const wb_key_schema *key, const wb_item *item)
{
	wb_item *e;
	int rc = 0;

	if (!item || !wb_item_get(item, ix->key.pk_name) ||
	    (ix->key.sk_name[0] && !wb_item_get(item, ix->key.sk_name)))
		return NULL;
	if (ix->projection == WB_PROJECT_ALL)
		return wb_item_dup(item);
	if (!(e = wb_item_new()))
		return NULL;
	rc |= take(e, item, key->pk_name);
	rc |= take(e, item, key->sk_name);
	rc |= take(e, item, ix->key.pk_name);
	rc |= take(e, item, ix->key.sk_name);
	for (size_t i = 0; ix->projection == WB_PROJECT_INCLUDE && i < ix->nattrs; i++)
		rc |= take(e, item, ix->attrs[i]);
	if (rc) {
		wb_item_free(e);
		return NULL;
	}
	return e;
}

static int same_attr(const wb_item *a, const wb_item *b, const char *name)
{
	return !name[0] || wb_value_equal(wb_item_get(a, name), wb_item_get(b, name));
}

/* The units of one index for before -> after. */
static double index_units(const wb_index *ix, const wb_key_schema *key, const wb_item *before,
			  const wb_item *after)
{
	wb_item *b = entry_of(ix, key, before), *a = entry_of(ix, key, after);
	double u = 0;

	if (b && a && same_attr(b, a, ix->key.pk_name) && same_attr(b, a, ix->key.sk_name))
		u = wb_item_equal(b, a) ? 0 : wb__units_write(b, a);     /* updated in place */
	else
		u = (b ? wb__units_write(b, NULL) : 0) + (a ? wb__units_write(NULL, a) : 0);
	wb_item_free(b);
	wb_item_free(a);
	return u;
}

double wb__units_index(const wb_index *ix, size_t n, const wb_key_schema *key,
		       const wb_item *before, const wb_item *after)
{
	double u = 0;

	for (size_t i = 0; i < n; i++)
		u += index_units(&ix[i], key, before, after);
	return u;
}
