/*
 * dynamodb_index.c - secondary indexes in DynamoDB's terms: the
 * GlobalSecondaryIndexes and LocalSecondaryIndexes of a CreateTable
 * request, and of a DescribeTable answer (so a table created by other
 * tools, Terraform or the console, shows its indexes too).  Declared in
 * dynamodb_store.h; the tables themselves are in store_dynamodb.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "index.h"
#include "dynamodb_store.h"

static const char *const projection_types[] = {"ALL", "KEYS_ONLY", "INCLUDE"};

/* ------------------------------------------------------------ CreateTable */

static const char *type_letter(wb_type t)
{
	return t == WB_N ? "N" : t == WB_B ? "B" : "S";
}

/* Add attribute `name` to the AttributeDefinitions `ad` unless it is there (types were checked). */
static int define_attr(json_t *ad, const char *name, wb_type t)
{
	json_t *e;
	size_t i;

	json_array_foreach(ad, i, e)
		if (strcmp(json_string_value(json_object_get(e, "AttributeName")) ?: "", name) == 0)
			return 0;
	return json_array_append_new(ad, json_pack("{s:s,s:s}", "AttributeName", name,
						   "AttributeType", type_letter(t)));
}

/* {"IndexName":..., "KeySchema":[...], "Projection":{...}} of one index. */
static json_t *index_json(const wb_index *ix)
{
	json_t *ks = json_pack("[{s:s,s:s}]", "AttributeName", ix->key.pk_name, "KeyType", "HASH");
	json_t *proj = json_pack("{s:s}", "ProjectionType", projection_types[ix->projection]);
	json_t *attrs = ix->projection == WB_PROJECT_INCLUDE ? json_array() : NULL;

	if (ks && ix->key.sk_name[0])
		json_array_append_new(ks, json_pack("{s:s,s:s}", "AttributeName", ix->key.sk_name, "KeyType", "RANGE"));
	for (size_t i = 0; attrs && i < ix->nattrs; i++)
		json_array_append_new(attrs, json_string(ix->attrs[i]));
	if (proj && attrs)
		json_object_set_new(proj, "NonKeyAttributes", attrs);
	return json_pack("{s:s,s:o,s:o}", "IndexName", ix->name, "KeySchema", ks, "Projection", proj);
}

int wb__ddb_indexes_request(json_t *req, json_t *ad, const wb_index *ix, size_t n)
{
	json_t *gsi = json_array(), *lsi = json_array();
	int rc = gsi && lsi ? 0 : -1;

	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *one = index_json(&ix[i]);
		if (!one || json_array_append_new(ix[i].local ? lsi : gsi, one) < 0 ||
		    define_attr(ad, ix[i].key.pk_name, ix[i].key.pk_type) < 0 ||
		    (ix[i].key.sk_name[0] && define_attr(ad, ix[i].key.sk_name, ix[i].key.sk_type) < 0))
			rc = -1;
	}
	if (rc == 0 && json_array_size(gsi))
		rc = json_object_set(req, "GlobalSecondaryIndexes", gsi);
	if (rc == 0 && json_array_size(lsi))
		rc = json_object_set(req, "LocalSecondaryIndexes", lsi);
	json_decref(gsi);
	json_decref(lsi);
	return rc < 0 ? WB_ENOMEM : 0;
}

/* ---------------------------------------------------------- DescribeTable */

/* The type AttributeDefinitions give `name`. */
static int attr_type(json_t *ad, const char *name, wb_type *t)
{
	json_t *d;
	size_t j;

	json_array_foreach(ad, j, d)
		if (strcmp(json_string_value(json_object_get(d, "AttributeName")) ?: "", name) == 0)
			return wb_type_parse(t, json_string_value(json_object_get(d, "AttributeType")) ?: "");
	return WB_EINVALID;
}

/* KeySchema of an index into ix->key. */
static int parse_keys(json_t *ks, json_t *ad, wb_index *ix)
{
	json_t *e;
	size_t i;

	json_array_foreach(ks, i, e) {
		const char *an = json_string_value(json_object_get(e, "AttributeName"));
		const char *kt = json_string_value(json_object_get(e, "KeyType"));
		int range = kt && strcmp(kt, "RANGE") == 0;
		if (!an || strlen(an) > WB_NAME_MAX)
			return WB_EINVALID;
		snprintf(range ? ix->key.sk_name : ix->key.pk_name, WB_NAME_MAX + 1, "%s", an);
		if (attr_type(ad, an, range ? &ix->key.sk_type : &ix->key.pk_type) < 0)
			return WB_EINVALID;
	}
	return ix->key.pk_name[0] ? 0 : WB_EINVALID;
}

/* Projection of an index into ix (NonKeyAttributes copied). */
static int parse_projection(json_t *p, wb_index *ix)
{
	const char *t = json_string_value(json_object_get(p, "ProjectionType")) ?: "ALL";
	json_t *attrs = json_object_get(p, "NonKeyAttributes"), *e;
	wb_index tmp;
	const char **names;
	size_t i;
	int rc;

	ix->projection = strcmp(t, "KEYS_ONLY") == 0 ? WB_PROJECT_KEYS :
			 strcmp(t, "INCLUDE") == 0 ? WB_PROJECT_INCLUDE : WB_PROJECT_ALL;
	if (ix->projection != WB_PROJECT_INCLUDE || json_array_size(attrs) == 0)
		return 0;
	if (!(names = wb__calloc(json_array_size(attrs), sizeof(*names))))
		return WB_ENOMEM;
	json_array_foreach(attrs, i, e)
		names[i] = json_string_value(e) ?: "";
	tmp = *ix;
	tmp.attrs = names;
	tmp.nattrs = json_array_size(attrs);
	rc = wb__index_copy(ix, &tmp);
	free(names);
	return rc;
}

/* The indexes of one array (GlobalSecondaryIndexes or LocalSecondaryIndexes) appended to *out. */
static int parse_array(json_t *arr, json_t *ad, int local, wb_index **out, size_t *n)
{
	json_t *e;
	size_t i;
	int rc;

	json_array_foreach(arr, i, e) {
		const char *name = json_string_value(json_object_get(e, "IndexName"));
		wb_index *ix = wb__realloc(*out, (*n + 1) * sizeof(**out));
		if (!ix)
			return WB_ENOMEM;
		*out = ix;
		ix = &ix[*n];
		memset(ix, 0, sizeof(*ix));
		(*n)++;
		if (!name || strlen(name) > WB_NAME_MAX)
			return WB_EINVALID;
		snprintf(ix->name, sizeof(ix->name), "%s", name);
		ix->local = local;
		if ((rc = parse_keys(json_object_get(e, "KeySchema"), ad, ix)) < 0 ||
		    (rc = parse_projection(json_object_get(e, "Projection"), ix)) < 0)
			return rc;
	}
	return 0;
}

int wb__ddb_indexes_parse(wb_db *db, json_t *table, const char *name, wb_index **out, size_t *n)
{
	json_t *ad = json_object_get(table, "AttributeDefinitions");
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = parse_array(json_object_get(table, "GlobalSecondaryIndexes"), ad, 0, out, n)) == 0)
		rc = parse_array(json_object_get(table, "LocalSecondaryIndexes"), ad, 1, out, n);
	if (rc == 0)
		return 0;
	wb_indexes_free(*out, *n);
	*out = NULL;
	*n = 0;
	if (rc == WB_ENOMEM)
		return wb__oom(db);
	return wb__error(db, WB_EIO, "DynamoDB DescribeTable on table %s: malformed secondary index", name);
}
