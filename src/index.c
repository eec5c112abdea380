/*
 * index.c - secondary indexes: checks of the definitions, owned copies,
 * projection and paging keys (declared in index.h), shared by the store
 * layer and the backends.
 *
 * The rules are DynamoDB's, so that a table that can be created on one
 * backend can be created on the other: index names like table names and
 * unique per table; key attributes of type S, N or B, an attribute used by
 * several keys always with one type; a local index keeps the table's
 * partition key, has a sort key, and needs a table with a sort key; an
 * INCLUDE projection names at least one attribute that is not a key; at
 * most 20 global and 5 local indexes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "index.h"

/* ---------------------------------------------------------------- checks */

/* Does key schema k give attribute `name` another type than t? */
static int type_clash(const wb_key_schema *k, const char *name, wb_type t)
{
	return (strcmp(k->pk_name, name) == 0 && k->pk_type != t) ||
	       (k->sk_name[0] && strcmp(k->sk_name, name) == 0 && k->sk_type != t);
}

/*
 * Key attribute `name` of type `t` of index ix: a valid name and type, the
 * same type as the table's key and the n indexes before it give it.
 */
static int check_attr_type(wb_db *db, const char *table, const wb_index *ix, const char *name, wb_type t,
			   const wb_key_schema *key, const wb_index *before, size_t n)
{
	int clash = type_clash(key, name, t);

	if (name[0] == '\0' || strlen(name) > WB_NAME_MAX)
		return wb__error(db, WB_EINVALID, "table %s, index %s: key attribute names must be 1 to %d bytes",
				 table, ix->name, WB_NAME_MAX);
	if (t != WB_S && t != WB_N && t != WB_B)
		return wb__error(db, WB_EINVALID, "table %s, index %s: key '%s' must be of type S, N or B",
				 table, ix->name, name);
	for (size_t i = 0; i < n && !clash; i++)
		clash = type_clash(&before[i].key, name, t);
	if (clash)
		return wb__error(db, WB_EINVALID, "table %s, index %s: attribute '%s' is %s here but of"
				 " another type in another key", table, ix->name, name, wb_type_name(t));
	return 0;
}

static int check_projection(wb_db *db, const char *table, const wb_index *ix)
{
	if (ix->projection == WB_PROJECT_ALL || ix->projection == WB_PROJECT_KEYS)
		return 0;
	if (ix->projection != WB_PROJECT_INCLUDE)
		return wb__error(db, WB_EINVALID, "table %s, index %s: unknown projection %d", table, ix->name,
				 (int)ix->projection);
	if (!ix->attrs || ix->nattrs == 0)
		return wb__error(db, WB_EINVALID, "table %s, index %s: an INCLUDE projection names no attribute",
				 table, ix->name);
	for (size_t i = 0; i < ix->nattrs; i++)
		if (!ix->attrs[i] || !ix->attrs[i][0] || strlen(ix->attrs[i]) > WB_NAME_MAX)
			return wb__error(db, WB_EINVALID, "table %s, index %s: projected attribute %zu is not"
					 " a name of 1 to %d bytes", table, ix->name, i + 1, WB_NAME_MAX);
	return 0;
}

static int check_one(wb_db *db, const char *table, const wb_key_schema *key, const wb_index *ix,
		     const wb_index *all, size_t n)
{
	int rc;

	if (memchr(ix->name, '\0', sizeof(ix->name)) == NULL || wb_table_name_validate(ix->name) < 0)
		return wb__error(db, WB_EINVALID, "table %s: invalid index name '%.*s': must be 3 to 255 of"
				 " A-Z a-z 0-9 _ - .", table, WB_NAME_MAX, ix->name);
	if ((rc = check_attr_type(db, table, ix, ix->key.pk_name, ix->key.pk_type, key, all, n)) < 0 ||
	    (ix->key.sk_name[0] &&
	     (rc = check_attr_type(db, table, ix, ix->key.sk_name, ix->key.sk_type, key, all, n)) < 0))
		return rc;
	if (ix->key.sk_name[0] && strcmp(ix->key.pk_name, ix->key.sk_name) == 0)
		return wb__error(db, WB_EINVALID, "table %s, index %s: partition and sort key are both '%s'",
				 table, ix->name, ix->key.pk_name);
	if (ix->local && (!key->sk_name[0] || !ix->key.sk_name[0] || strcmp(ix->key.pk_name, key->pk_name) != 0))
		return wb__error(db, WB_EINVALID, "table %s, index %s: a local index needs a table with a sort key,"
				 " the table's partition key '%s' and a sort key of its own", table, ix->name,
				 key->pk_name);
	return check_projection(db, table, ix);
}

int wb__index_check(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix, size_t n)
{
	size_t nlocal = 0;
	int rc;

	if (n && !ix)
		return wb__error(db, WB_EINVALID, "table %s: %zu indexes but no definitions", name, n);
	for (size_t i = 0; i < n; i++) {
		if ((rc = check_one(db, name, key, &ix[i], ix, i)) < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ix[i].name, ix[j].name) == 0)
				return wb__error(db, WB_EINVALID, "table %s: two indexes named '%s'", name, ix[i].name);
		nlocal += ix[i].local != 0;
	}
	if (nlocal > WB_MAX_LOCAL_INDEXES || n - nlocal > WB_MAX_GLOBAL_INDEXES)
		return wb__error(db, WB_EINVALID, "table %s: at most %d global and %d local indexes", name,
				 WB_MAX_GLOBAL_INDEXES, WB_MAX_LOCAL_INDEXES);
	return 0;
}

/* ---------------------------------------------------------- definitions */

int wb__index_copy(wb_index *dst, const wb_index *src)
{
	char **attrs = NULL;

	*dst = *src;
	dst->attrs = NULL;
	dst->nattrs = 0;
	if (src->nattrs == 0)
		return 0;
	if (!(attrs = wb__calloc(src->nattrs, sizeof(*attrs))))
		return WB_ENOMEM;
	dst->attrs = (const char *const *)attrs;
	for (size_t i = 0; i < src->nattrs; i++, dst->nattrs++)
		if (!(attrs[i] = wb__strdup(src->attrs[i])))
			return WB_ENOMEM;
	return 0;
}

void wb__index_clear(wb_index *ix)
{
	for (size_t j = 0; j < ix->nattrs; j++)
		free((char *)ix->attrs[j]);
	free((void *)ix->attrs);
	ix->attrs = NULL;
	ix->nattrs = 0;
}

void wb_indexes_free(wb_index *indexes, size_t count)
{
	if (!indexes)
		return;
	for (size_t i = 0; i < count; i++)
		wb__index_clear(&indexes[i]);
	free(indexes);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const wb_index *)a)->name, ((const wb_index *)b)->name);
}

void wb__index_sort(wb_index *ix, size_t n)
{
	if (n > 1)
		qsort(ix, n, sizeof(*ix), by_name);
}

const wb_index *wb__index_find(const wb_index *ix, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ix[i].name, name) == 0)
			return &ix[i];
	return NULL;
}

/* ------------------------------------------------------------ projection */

/* Is attribute `name` a key of the table or the index? */
static int is_key(const char *name, const wb_key_schema *key, const wb_index *ix)
{
	return strcmp(name, key->pk_name) == 0 || (key->sk_name[0] && strcmp(name, key->sk_name) == 0) ||
	       strcmp(name, ix->key.pk_name) == 0 || (ix->key.sk_name[0] && strcmp(name, ix->key.sk_name) == 0);
}

static int projected(const char *name, const wb_key_schema *key, const wb_index *ix)
{
	if (ix->projection == WB_PROJECT_ALL || is_key(name, key, ix))
		return 1;
	for (size_t i = 0; ix->projection == WB_PROJECT_INCLUDE && i < ix->nattrs; i++)
		if (strcmp(name, ix->attrs[i]) == 0)
			return 1;
	return 0;
}

wb_item *wb__index_project(const wb_item *item, const wb_key_schema *key, const wb_index *ix)
{
	wb_item *out;

	if (ix->projection == WB_PROJECT_ALL)
		return wb_item_dup(item);
	if (!(out = wb_item_new()))
		return NULL;
	for (size_t i = 0; i < wb_item_count(item); i++) {
		const char *name = wb_item_name_at(item, i);
		wb_value *v;
		if (!projected(name, key, ix))
			continue;
		if (!(v = wb_value_dup(wb_item_value_at(item, i))) || wb_item_set(out, name, v) < 0) {
			wb_item_free(out);
			return NULL;
		}
	}
	return out;
}

wb_item *wb__index_cursor(const wb_item *item, const wb_key_schema *key, const wb_index *ix)
{
	const char *names[4] = {key->pk_name, key->sk_name, ix->key.pk_name, ix->key.sk_name};
	wb_item *out = wb_item_new();

	if (!out) {
		wb__fail_oom();
		return NULL;
	}
	for (int i = 0; i < 4; i++) {
		const wb_value *v;
		wb_value *c;
		if (!names[i][0] || wb_item_has(out, names[i]))
			continue;
		if (!(v = wb_item_get(item, names[i]))) {
			wb__fail(WB_EINVALID, "index %s: item lacks key attribute '%s'", ix->name, names[i]);
			wb_item_free(out);
			return NULL;
		}
		if (!(c = wb_value_dup(v)) || wb_item_set(out, names[i], c) < 0) {
			wb__fail_oom();
			wb_item_free(out);
			return NULL;
		}
	}
	return out;
}
