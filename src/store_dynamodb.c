/*
 * store_dynamodb.c - the dynamodb backend: every store operation of
 * backend.h mapped to the DynamoDB HTTP API (calls in dynamodb_client.c).
 *
 * Items travel as DynamoDB JSON made by the item module (wb_item_to_json /
 * wb_item_from_json with WB_JSON_DDB), parsed into jansson objects to build
 * requests.  Names and values in expressions always go through
 * ExpressionAttributeNames (#n0, #n1, ...) and ExpressionAttributeValues
 * (:v0, :v1, ...), so no attribute name is ever a reserved word problem.
 *
 * Key schemas are learnt with DescribeTable and cached per handle (get,
 * delete and update need the key attributes; conditions name the
 * partition key).  Reads are strongly consistent.
 *
 * Atomicity: a wb_batch_write of unconditional writes goes by
 * BatchWriteItem, 25 writes a request (UnprocessedItems re-sent with
 * backoff); conditional writes go one by one, in order.  The batch as a
 * whole is not atomic: on failure the writes before `*failed_index` may
 * have been applied.  A write conditional on WB_COND_ITEM_EQUALS becomes
 * an UpdateItem that sets the changed attributes and removes the removed
 * ones, conditional on every attribute of the expected item being
 * unchanged, so attributes another writer added meanwhile survive.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "backend.h"
#include "dynamodb.h"
#include "dynamodb_client.h"

/* A cached key schema. */
struct schema {
	char table[WB_NAME_MAX + 1]; /* table name */
	wb_key_schema key;           /* its key */
};

struct ddb {
	struct wb__ddb_client *client; /* the connection and its counters */
	pthread_mutex_t lock;          /* guards the schema cache */
	struct schema *schemas;        /* cached key schemas */
	size_t nschemas;               /* how many */
};

#define STATE(db) ((struct ddb *)(db)->state)

/* ------------------------------------------------------- JSON helpers */

/* The DynamoDB JSON of an item as a jansson object (new reference), or NULL with the error on db. */
static json_t *item_json(wb_db *db, const wb_item *item)
{
	char *text = NULL;
	json_t *j;
	json_error_t err;
	int rc;

	if ((rc = wb_item_to_json(&text, item, WB_JSON_DDB)) < 0) {
		wb__error_to_db(db, rc);
		return NULL;
	}
	j = json_loads(text, JSON_ALLOW_NUL, &err);
	free(text);
	if (!j)
		wb__error(db, WB_ERROR, "DynamoDB: item JSON does not parse: %s", err.text);
	return j;
}

/* The DynamoDB JSON of one value ({"S":"x"}), new reference, or NULL. */
static json_t *value_json(wb_db *db, const wb_value *v)
{
	wb_item *tmp = wb_item_new();
	wb_value *copy = wb_value_dup(v);
	json_t *j = NULL, *val;

	if (!tmp || !copy) {
		wb_item_free(tmp);
		wb_value_free(copy);
		wb__oom(db);
		return NULL;
	}
	if (wb_item_set(tmp, "v", copy) < 0) {
		wb__error_to_db(db, WB_ENOMEM);
	} else if ((j = item_json(db, tmp))) {
		val = json_incref(json_object_get(j, "v"));
		json_decref(j);
		j = val;
	}
	wb_item_free(tmp);
	return j;
}

/* A new item from a DynamoDB JSON object (`*out`), error on db. */
static int json_item(wb_db *db, wb_item **out, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	int rc;

	*out = NULL;
	if (!text)
		return wb__oom(db);
	rc = wb_item_from_json(out, text, strlen(text), WB_JSON_DDB);
	free(text);
	if (rc < 0)
		return wb__error(db, rc, "DynamoDB: an item of the answer does not read: %s", wb_error_last());
	return 0;
}

/* The code of a failed json_pack whose "o" arguments came from calls that record errors. */
static int pack_failed(wb_db *db, json_t *part)
{
	int code = wb_error_last_code();

	if (part || code >= 0)
		return wb__oom(db);
	return wb__error_to_db(db, code);
}

/* json_object_set_new that reports failure on db. */
static int jset(wb_db *db, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return wb__oom(db);
	return 0;
}

/* ------------------------------------------------------- key schemas */

static const char *type_letter(wb_type t)
{
	return t == WB_N ? "N" : t == WB_B ? "B" : "S";
}

static void cache_put(struct ddb *s, const char *table, const wb_key_schema *key)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nschemas; i++)
		if (strcmp(s->schemas[i].table, table) == 0) {
			s->schemas[i].key = *key;
			goto out;
		}
	struct schema *n = realloc(s->schemas, (s->nschemas + 1) * sizeof(*n));
	if (n) { /* a cache that cannot grow only costs a DescribeTable */
		s->schemas = n;
		snprintf(n[s->nschemas].table, sizeof(n->table), "%s", table);
		n[s->nschemas++].key = *key;
	}
out:
	pthread_mutex_unlock(&s->lock);
}

static int cache_get(struct ddb *s, const char *table, wb_key_schema *key)
{
	int found = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nschemas && !found; i++)
		if (strcmp(s->schemas[i].table, table) == 0) {
			*key = s->schemas[i].key;
			found = 1;
		}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static void cache_drop(struct ddb *s, const char *table)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nschemas; i++)
		if (strcmp(s->schemas[i].table, table) == 0) {
			s->schemas[i] = s->schemas[--s->nschemas];
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

/* Parse a DescribeTable answer's Table into desc. */
static int parse_table(wb_db *db, json_t *t, const char *name, wb_table_desc *desc)
{
	json_t *ks = json_object_get(t, "KeySchema"), *ad = json_object_get(t, "AttributeDefinitions"), *e;
	size_t i, j;

	memset(desc, 0, sizeof(*desc));
	snprintf(desc->name, sizeof(desc->name), "%s", name);
	/* DynamoDB's ItemCount is refreshed about every six hours: not a count to report as exact. */
	desc->item_count = -1;
	json_array_foreach(ks, i, e) {
		const char *an = json_string_value(json_object_get(e, "AttributeName"));
		const char *kt = json_string_value(json_object_get(e, "KeyType"));
		const char *at = NULL;
		wb_type type = WB_S;
		json_t *d;
		if (!an || !kt || strlen(an) > WB_NAME_MAX)
			return wb__error(db, WB_EIO, "DynamoDB DescribeTable on table %s: malformed KeySchema", name);
		json_array_foreach(ad, j, d)
			if (strcmp(json_string_value(json_object_get(d, "AttributeName")) ?: "", an) == 0)
				at = json_string_value(json_object_get(d, "AttributeType"));
		if (!at || wb_type_parse(&type, at) < 0)
			return wb__error(db, WB_EIO, "DynamoDB DescribeTable on table %s: no type for key %s", name, an);
		if (strcmp(kt, "HASH") == 0) {
			snprintf(desc->key.pk_name, sizeof(desc->key.pk_name), "%s", an);
			desc->key.pk_type = type;
		} else {
			snprintf(desc->key.sk_name, sizeof(desc->key.sk_name), "%s", an);
			desc->key.sk_type = type;
		}
	}
	if (!desc->key.pk_name[0])
		return wb__error(db, WB_EIO, "DynamoDB DescribeTable on table %s: no partition key", name);
	return 0;
}

/* DescribeTable: the raw Table object (new reference) through *out. */
static int describe_raw(wb_db *db, const char *name, json_t **out)
{
	json_t *req = json_pack("{s:s}", "TableName", name), *resp = NULL;
	int rc;

	*out = NULL;
	if (!req)
		return wb__oom(db);
	rc = wb__ddb_call(STATE(db)->client, db, "DescribeTable", name, req, &resp);
	json_decref(req);
	if (rc < 0)
		return rc;
	*out = json_incref(json_object_get(resp, "Table"));
	json_decref(resp);
	if (!*out)
		return wb__error(db, WB_EIO, "DynamoDB DescribeTable on table %s: no Table in the answer", name);
	return 0;
}

static int ddb_describe(wb_db *db, const char *name, wb_table_desc *out)
{
	json_t *t;
	int rc;

	if ((rc = describe_raw(db, name, &t)) < 0) {
		if (rc == WB_ENOTFOUND)
			cache_drop(STATE(db), name);
		return rc;
	}
	if ((rc = parse_table(db, t, name, out)) == 0)
		cache_put(STATE(db), name, &out->key);
	json_decref(t);
	return rc;
}

/* The key schema of table (cached). */
static int key_of(wb_db *db, const char *table, wb_key_schema *key)
{
	wb_table_desc d;
	int rc;

	if (cache_get(STATE(db), table, key))
		return 0;
	if ((rc = ddb_describe(db, table, &d)) < 0)
		return rc;
	*key = d.key;
	return 0;
}

/* The DynamoDB JSON of the key attributes of item (new reference), or NULL. */
static json_t *key_json(wb_db *db, const wb_item *item, const wb_key_schema *key, const char *table)
{
	wb_item *k = wb_item_key(item, key);
	json_t *j;
	int rc;

	if (!k || (rc = wb_item_validate(k, key)) < 0) {
		rc = wb_error_last_code();
		wb__error(db, rc ? rc : WB_EINVALID, "table %s: %s", table, wb_error_last());
		wb_item_free(k);
		return NULL;
	}
	j = item_json(db, k);
	wb_item_free(k);
	return j;
}

/* ------------------------------------------------------ tables */

static int wait_status(wb_db *db, const char *name, int want_gone)
{
	uint64_t start = wb__ddb_now_ms(), delay = 10;
	json_t *t = NULL;
	int rc;

	for (;;) {
		rc = describe_raw(db, name, &t);
		if (want_gone && rc == WB_ENOTFOUND)
			return 0;
		if (rc < 0)
			return rc;
		const char *st = json_string_value(json_object_get(t, "TableStatus"));
		int done = !want_gone && st && strcmp(st, "ACTIVE") == 0;
		json_decref(t);
		if (done)
			return 0;
		if (wb__ddb_now_ms() - start > 600000)
			return wb__error(db, WB_EIO, "DynamoDB table %s: still %s after 10 minutes",
					 name, want_gone ? "not deleted" : "not ACTIVE");
		struct timespec ts = {0, (long)delay * 1000000L};
		nanosleep(&ts, NULL);
		if (delay < 500)
			delay *= 2;
	}
}

static int ddb_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	json_t *req, *ad, *ks, *resp = NULL;
	int rc;

	ad = json_pack("[{s:s,s:s}]", "AttributeName", key->pk_name, "AttributeType", type_letter(key->pk_type));
	ks = json_pack("[{s:s,s:s}]", "AttributeName", key->pk_name, "KeyType", "HASH");
	if (ad && ks && key->sk_name[0]) {
		json_array_append_new(ad, json_pack("{s:s,s:s}", "AttributeName", key->sk_name,
						    "AttributeType", type_letter(key->sk_type)));
		json_array_append_new(ks, json_pack("{s:s,s:s}", "AttributeName", key->sk_name, "KeyType", "RANGE"));
	}
	req = json_pack("{s:s,s:o,s:o,s:s}", "TableName", name, "AttributeDefinitions", ad, "KeySchema", ks,
			"BillingMode", "PAY_PER_REQUEST");
	if (!req)
		return wb__oom(db);
	rc = wb__ddb_call(STATE(db)->client, db, "CreateTable", name, req, &resp);
	json_decref(req);
	json_decref(resp);
	if (rc == WB_EEXISTS)
		return wb__error(db, WB_EEXISTS, "table %s already exists", name);
	if (rc < 0)
		return rc;
	cache_put(STATE(db), name, key);
	return wait_status(db, name, 0);
}

static int ddb_drop(wb_db *db, const char *name)
{
	json_t *req = json_pack("{s:s}", "TableName", name), *resp = NULL;
	int rc;

	if (!req)
		return wb__oom(db);
	cache_drop(STATE(db), name);
	rc = wb__ddb_call(STATE(db)->client, db, "DeleteTable", name, req, &resp);
	json_decref(req);
	json_decref(resp);
	if (rc == WB_ENOTFOUND)
		return wb__error(db, WB_ENOTFOUND, "table %s does not exist", name);
	if (rc < 0)
		return rc;
	return wait_status(db, name, 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the TableNames of one answer to names. */
static int add_names(wb_db *db, json_t *resp, char ***names, size_t *n)
{
	json_t *arr = json_object_get(resp, "TableNames"), *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		char **nn = realloc(*names, (*n + 2) * sizeof(char *));
		if (!nn)
			return wb__oom(db);
		*names = nn;
		if (!(nn[*n] = wb__strdup(json_string_value(e) ?: "")))
			return wb__oom(db);
		nn[++*n] = NULL;
	}
	return 0;
}

static int ddb_list(wb_db *db, char ***out, size_t *count)
{
	char **names = NULL, *last = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	*count = 0;
	do {
		json_t *req = json_pack("{s:i}", "Limit", 100), *resp = NULL;
		if (req && last)
			json_object_set_new(req, "ExclusiveStartTableName", json_string(last));
		free(last);
		last = NULL;
		if (!req) {
			rc = wb__oom(db);
			break;
		}
		rc = wb__ddb_call(STATE(db)->client, db, "ListTables", NULL, req, &resp);
		json_decref(req);
		if (rc == 0 && (rc = add_names(db, resp, &names, &n)) == 0) {
			const char *l = json_string_value(json_object_get(resp, "LastEvaluatedTableName"));
			if (l && !(last = wb__strdup(l)))
				rc = wb__oom(db);
		}
		json_decref(resp);
	} while (rc == 0 && last);
	free(last);
	if (rc == 0 && !names && !(names = wb__calloc(1, sizeof(char *))))
		rc = wb__oom(db);
	if (rc < 0) {
		wb_strings_free(names);
		return rc;
	}
	qsort(names, n, sizeof(char *), cmp_str);
	*out = names;
	*count = n;
	return 0;
}

/* ------------------------------------------------------ expressions */

/* Names and values of one request's expressions. */
struct expr {
	json_t *names;  /* ExpressionAttributeNames */
	json_t *values; /* ExpressionAttributeValues */
	int nn, nv;     /* placeholders made */
	int oom;        /* something failed */
};

static void expr_init(struct expr *e)
{
	e->names = json_object();
	e->values = json_object();
	e->nn = e->nv = 0;
	e->oom = !e->names || !e->values;
}

static void expr_free(struct expr *e)
{
	json_decref(e->names);
	json_decref(e->values);
}

/* A placeholder for attribute name (written into ph, 16 bytes). */
static const char *expr_name(struct expr *e, char ph[16], const char *name)
{
	snprintf(ph, 16, "#n%d", e->nn++);
	if (json_object_set_new(e->names, ph, json_string(name)) < 0)
		e->oom = 1;
	return ph;
}

/* A placeholder for a value's JSON (takes the reference). */
static const char *expr_value(struct expr *e, char ph[16], json_t *v)
{
	snprintf(ph, 16, ":v%d", e->nv++);
	if (!v || json_object_set_new(e->values, ph, v) < 0)
		e->oom = 1;
	return ph;
}

/* Put the names and values into req (when used). */
static int expr_attach(wb_db *db, struct expr *e, json_t *req)
{
	if (e->oom)
		return wb__oom(db);
	if (e->nn && json_object_set(req, "ExpressionAttributeNames", e->names) < 0)
		return wb__oom(db);
	if (e->nv && json_object_set(req, "ExpressionAttributeValues", e->values) < 0)
		return wb__oom(db);
	return 0;
}

/* A growable text. */
struct text {
	char *s;
	size_t len, cap;
	int oom;
};

static void tx_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 128;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *p = realloc(t->s, cap);
		if (!p) {
			t->oom = 1;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

/* "#a = :v" appended to t (with " AND " between terms). */
static void term_equals(wb_db *db, struct expr *e, struct text *t, const char *name, const wb_value *v)
{
	char pn[16], pv[16];

	if (t->len)
		tx_add(t, " AND ");
	tx_add(t, expr_name(e, pn, name));
	tx_add(t, " = ");
	tx_add(t, expr_value(e, pv, value_json(db, v)));
}

/* The ConditionExpression of cond into t. */
static void cond_text(wb_db *db, struct expr *e, struct text *t, const wb_cond *cond, const wb_key_schema *key)
{
	char pn[16];

	switch (cond->kind) {
	case WB_COND_NONE:
		break;
	case WB_COND_NOT_EXISTS:
		tx_add(t, "attribute_not_exists(");
		tx_add(t, expr_name(e, pn, key->pk_name));
		tx_add(t, ")");
		break;
	case WB_COND_EXISTS:
		tx_add(t, "attribute_exists(");
		tx_add(t, expr_name(e, pn, key->pk_name));
		tx_add(t, ")");
		break;
	case WB_COND_ATTR_EQUALS:
		term_equals(db, e, t, cond->attr, cond->value);
		break;
	case WB_COND_ITEM_EQUALS:
		for (size_t i = 0; i < wb_item_count(cond->expect); i++)
			term_equals(db, e, t, wb_item_name_at(cond->expect, i), wb_item_value_at(cond->expect, i));
		if (!t->len) {
			tx_add(t, "attribute_exists(");
			tx_add(t, expr_name(e, pn, key->pk_name));
			tx_add(t, ")");
		}
		break;
	}
}

static int check_cond(wb_db *db, const char *table, const wb_cond *cond)
{
	if (!cond)
		return 0;
	if (cond->kind == WB_COND_ATTR_EQUALS && (!cond->attr || !cond->value))
		return wb__error(db, WB_EINVALID, "table %s: attribute condition without attribute or value", table);
	if (cond->kind == WB_COND_ITEM_EQUALS && !cond->expect)
		return wb__error(db, WB_EINVALID, "table %s: item condition without the expected item", table);
	if (cond->kind > WB_COND_ITEM_EQUALS)
		return wb__error(db, WB_EINVALID, "table %s: unknown condition kind %d", table, (int)cond->kind);
	return 0;
}

/* Add the ConditionExpression of cond (if any) to req with its names and values. */
static int add_cond(wb_db *db, json_t *req, struct expr *e, const wb_cond *cond, const wb_key_schema *key)
{
	struct text t = {0};
	int rc = 0;

	if (cond && cond->kind != WB_COND_NONE) {
		cond_text(db, e, &t, cond, key);
		if (t.oom)
			rc = wb__oom(db);
		else
			rc = jset(db, req, "ConditionExpression", json_string(t.s));
	}
	free(t.s);
	return rc;
}

/* Make a condition failure's message say what failed. */
static int cond_failed(wb_db *db, const char *op, const char *table, const wb_cond *cond)
{
	const char *pre = "DynamoDB", *what = "";

	switch (cond ? cond->kind : WB_COND_NONE) {
	case WB_COND_NOT_EXISTS: what = "the item already exists"; break;
	case WB_COND_EXISTS: what = "the item does not exist"; break;
	case WB_COND_ITEM_EQUALS: what = "the item changed since it was read, or is gone"; break;
	case WB_COND_ATTR_EQUALS:
		return wb__error(db, WB_ECONDITION, "%s %s on table %s: condition failed: attribute '%s' "
				 "does not hold the expected value", pre, op, table, cond->attr);
	default: break;
	}
	return wb__error(db, WB_ECONDITION, "%s %s on table %s: condition failed: %s", pre, op, table, what);
}

/* Call op with req (consumed) and its expressions (freed); no answer kept. */
static int call_simple(wb_db *db, const char *op, const char *table, json_t *req, struct expr *e,
		       const wb_cond *cond)
{
	json_t *resp = NULL;
	int rc = expr_attach(db, e, req);

	if (rc == 0)
		rc = wb__ddb_call(STATE(db)->client, db, op, table, req, &resp);
	if (rc == WB_ECONDITION)
		rc = cond_failed(db, op, table, cond);
	json_decref(resp);
	json_decref(req);
	expr_free(e);
	return rc;
}

/* ------------------------------------------------------ items */

static int ddb_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	wb_key_schema ks;
	json_t *req, *resp = NULL, *item, *k;
	int rc;

	*out = NULL;
	if ((rc = key_of(db, table, &ks)) < 0)
		return rc;
	if (!(k = key_json(db, key, &ks, table)))
		return pack_failed(db, NULL);
	if (!(req = json_pack("{s:s,s:o,s:b}", "TableName", table, "Key", k, "ConsistentRead", 1)))
		return wb__oom(db);
	rc = wb__ddb_call(STATE(db)->client, db, "GetItem", table, req, &resp);
	json_decref(req);
	if (rc < 0)
		return rc;
	item = json_object_get(resp, "Item");
	if (!item)
		rc = wb__error(db, WB_ENOTFOUND, "no such item in table %s", table);
	else
		rc = json_item(db, out, item);
	json_decref(resp);
	return rc;
}

static int plain_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond,
		     const wb_key_schema *ks)
{
	struct expr e;
	json_t *req, *it = item_json(db, item);
	int rc;

	if (!it)
		return pack_failed(db, NULL);
	if (!(req = json_pack("{s:s,s:o}", "TableName", table, "Item", it)))
		return wb__oom(db);
	expr_init(&e);
	if ((rc = add_cond(db, req, &e, cond, ks)) < 0) {
		json_decref(req);
		expr_free(&e);
		return rc;
	}
	return call_simple(db, "PutItem", table, req, &e, cond);
}

static int is_key_attr(const wb_key_schema *ks, const char *name)
{
	return strcmp(name, ks->pk_name) == 0 || (ks->sk_name[0] && strcmp(name, ks->sk_name) == 0);
}

/*
 * The UpdateExpression setting `set`'s attributes (key attributes skipped)
 * and removing the names of `remove`, into t.
 */
static void update_text(wb_db *db, struct expr *e, struct text *t, const wb_key_schema *ks,
			const wb_item *set, const char *const *remove, size_t nremove)
{
	char pn[16], pv[16];
	int first = 1;

	for (size_t i = 0; set && i < wb_item_count(set); i++) {
		const char *name = wb_item_name_at(set, i);
		if (is_key_attr(ks, name))
			continue;
		tx_add(t, first ? "SET " : ", ");
		tx_add(t, expr_name(e, pn, name));
		tx_add(t, " = ");
		tx_add(t, expr_value(e, pv, value_json(db, wb_item_value_at(set, i))));
		first = 0;
	}
	first = 1;
	for (size_t i = 0; i < nremove; i++) {
		tx_add(t, first ? (t->len ? " REMOVE " : "REMOVE ") : ", ");
		tx_add(t, expr_name(e, pn, remove[i]));
		first = 0;
	}
}

/* Key attributes in `set` must equal the key's; none may be removed. */
static int check_update_keys(wb_db *db, const char *table, const wb_key_schema *ks, const wb_item *key,
			     const wb_item *set, const char *const *remove, size_t nremove)
{
	for (size_t i = 0; set && i < wb_item_count(set); i++) {
		const char *name = wb_item_name_at(set, i);
		const wb_value *kv = wb_item_get(key, name);
		if (is_key_attr(ks, name) && (!kv || !wb_value_equal(kv, wb_item_value_at(set, i))))
			return wb__error(db, WB_EINVALID, "update of %s: key attribute %s cannot be changed",
					 table, name);
	}
	for (size_t i = 0; i < nremove; i++)
		if (is_key_attr(ks, remove[i]))
			return wb__error(db, WB_EINVALID, "update of %s: key attribute %s cannot be removed",
					 table, remove[i]);
	return 0;
}

static int do_update(wb_db *db, const char *table, const wb_key_schema *ks, const wb_item *key,
		     const wb_item *set, const char *const *remove, size_t nremove, const wb_cond *cond)
{
	struct expr e;
	struct text t = {0};
	json_t *req, *k;
	int rc;

	if ((rc = check_update_keys(db, table, ks, key, set, remove, nremove)) < 0)
		return rc;
	if (!(k = key_json(db, key, ks, table)))
		return pack_failed(db, NULL);
	if (!(req = json_pack("{s:s,s:o}", "TableName", table, "Key", k)))
		return wb__oom(db);
	expr_init(&e);
	update_text(db, &e, &t, ks, set, remove, nremove);
	if (t.oom)
		rc = wb__oom(db);
	else if (t.len)
		rc = jset(db, req, "UpdateExpression", json_string(t.s));
	free(t.s);
	if (rc == 0)
		rc = add_cond(db, req, &e, cond, ks);
	if (rc < 0) {
		json_decref(req);
		expr_free(&e);
		return rc;
	}
	return call_simple(db, "UpdateItem", table, req, &e, cond);
}

/* Names of `expect`'s attributes that `item` lacks (pointers into expect; caller frees the array). */
static const char **removed_names(const wb_item *item, const wb_item *expect, size_t *n)
{
	const char **names = calloc(wb_item_count(expect) + 1, sizeof(char *));

	*n = 0;
	for (size_t i = 0; names && i < wb_item_count(expect); i++)
		if (!wb_item_has(item, wb_item_name_at(expect, i)))
			names[(*n)++] = wb_item_name_at(expect, i);
	return names;
}

/* The attributes of item that differ from expect (a new item), or NULL on OOM. */
static wb_item *changed_attrs(const wb_item *item, const wb_item *expect)
{
	wb_item *set = wb_item_new();

	for (size_t i = 0; set && i < wb_item_count(item); i++) {
		const char *name = wb_item_name_at(item, i);
		const wb_value *v = wb_item_value_at(item, i), *old = wb_item_get(expect, name);
		if (old && wb_value_equal(old, v))
			continue;
		wb_value *copy = wb_value_dup(v);
		if (!copy || wb_item_set(set, name, copy) < 0) {
			wb_item_free(set);
			return NULL;
		}
	}
	return set;
}

/* A put conditional on the item being unchanged: an UpdateItem of the differences. */
static int put_if_unchanged(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond,
			    const wb_key_schema *ks)
{
	size_t nremove = 0;
	const char **remove = removed_names(item, cond->expect, &nremove);
	wb_item *set = changed_attrs(item, cond->expect);
	int rc;

	if (!remove || !set)
		rc = wb__oom(db);
	else
		rc = do_update(db, table, ks, item, set, remove, nremove, cond);
	free(remove);
	wb_item_free(set);
	return rc;
}

static int put_one(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	wb_key_schema ks;
	int rc;

	if ((rc = check_cond(db, table, cond)) < 0 || (rc = key_of(db, table, &ks)) < 0)
		return rc;
	if ((rc = wb_item_validate(item, &ks)) < 0)
		return wb__error(db, rc, "put into %s: %s", table, wb_error_last());
	if (cond && cond->kind == WB_COND_ITEM_EQUALS)
		return put_if_unchanged(db, table, item, cond, &ks);
	return plain_put(db, table, item, cond, &ks);
}

static int ddb_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	return put_one(db, table, item, cond);
}

static int ddb_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	wb_key_schema ks;
	struct expr e;
	json_t *req, *k;
	int rc;

	if ((rc = check_cond(db, table, cond)) < 0 || (rc = key_of(db, table, &ks)) < 0)
		return rc;
	if (!(k = key_json(db, key, &ks, table)))
		return pack_failed(db, NULL);
	if (!(req = json_pack("{s:s,s:o}", "TableName", table, "Key", k)))
		return wb__oom(db);
	expr_init(&e);
	if ((rc = add_cond(db, req, &e, cond, &ks)) < 0) {
		json_decref(req);
		expr_free(&e);
		return rc;
	}
	return call_simple(db, "DeleteItem", table, req, &e, cond);
}

static int ddb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		      const char *const *remove, size_t nremove, const wb_cond *cond)
{
	wb_key_schema ks;
	int rc;

	if ((rc = check_cond(db, table, cond)) < 0 || (rc = key_of(db, table, &ks)) < 0)
		return rc;
	return do_update(db, table, &ks, key, set, remove, nremove, cond);
}

/* ------------------------------------------------------ batches */

/* One request's worth of unconditional writes. */
struct chunk {
	json_t *items;       /* RequestItems: table -> [requests] */
	char *keys[25];      /* "table\nkeyjson" of each write, to spot duplicates */
	size_t n;            /* writes in the chunk */
	size_t first;        /* index of the first write in the batch */
};

static void chunk_clear(struct chunk *c)
{
	json_decref(c->items);
	c->items = NULL;
	for (size_t i = 0; i < c->n; i++)
		free(c->keys[i]);
	c->n = 0;
}

/* Send RequestItems, re-sending UnprocessedItems with backoff until none remain. */
static int send_batch(wb_db *db, json_t *items, const char *table_for_msg)
{
	uint64_t start = wb__ddb_now_ms();
	json_t *pending = json_incref(items);
	int rc = 0;

	for (unsigned attempt = 1;; attempt++) {
		json_t *req = json_pack("{s:O}", "RequestItems", pending), *resp = NULL, *un;
		size_t left = 0;
		const char *t;
		json_t *arr;
		json_decref(pending);
		pending = NULL;
		if (!req)
			return wb__oom(db);
		rc = wb__ddb_call(STATE(db)->client, db, "BatchWriteItem", table_for_msg, req, &resp);
		json_decref(req);
		if (rc < 0)
			break;
		un = json_object_get(resp, "UnprocessedItems");
		json_object_foreach(un, t, arr)
			left += json_array_size(arr);
		if (left == 0) {
			json_decref(resp);
			break;
		}
		pending = json_incref(un);
		json_decref(resp);
		if ((rc = wb__ddb_backoff_unprocessed(STATE(db)->client, db, "BatchWriteItem", table_for_msg,
						      attempt, start, left)) < 0)
			break;
	}
	json_decref(pending);
	return rc;
}

static int chunk_flush(wb_db *db, struct chunk *c, const wb_write *writes, size_t *failed_index)
{
	int rc = 0;

	if (c->n) {
		rc = send_batch(db, c->items, writes[c->first].table);
		if (rc < 0 && failed_index)
			*failed_index = c->first;
	}
	chunk_clear(c);
	return rc;
}

/* Add unconditional write i to the chunk (flushing first when full or a duplicate key). */
static int chunk_add(wb_db *db, struct chunk *c, const wb_write *writes, size_t i, size_t *failed_index)
{
	const wb_write *w = &writes[i];
	wb_key_schema ks;
	json_t *key, *entry, *arr;
	char *kt, *id = NULL;
	int rc;

	if (failed_index)
		*failed_index = i; /* until the write is queued */
	if ((rc = key_of(db, w->table, &ks)) < 0)
		return rc;
	if (w->kind == WB_WRITE_PUT && (rc = wb_item_validate(w->item, &ks)) < 0)
		return wb__error(db, rc, "batch write %zu into %s: %s", i, w->table, wb_error_last());
	if (!(key = key_json(db, w->item, &ks, w->table)))
		return pack_failed(db, NULL);
	kt = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS);
	if (!kt || asprintf(&id, "%s\n%s", w->table, kt) < 0)
		id = NULL;
	free(kt);
	if (!id) {
		json_decref(key);
		return wb__oom(db);
	}
	for (size_t j = 0; j < c->n; j++)
		if (strcmp(c->keys[j], id) == 0) {
			rc = chunk_flush(db, c, writes, failed_index);
			break;
		}
	if (rc == 0 && c->n == 25)
		rc = chunk_flush(db, c, writes, failed_index);
	if (rc < 0) {
		free(id);
		json_decref(key);
		return rc;
	}
	if (w->kind == WB_WRITE_PUT) {
		json_decref(key);
		entry = json_pack("{s:{s:o}}", "PutRequest", "Item", item_json(db, w->item));
	} else {
		entry = json_pack("{s:{s:o}}", "DeleteRequest", "Key", key);
	}
	if (!c->items)
		c->items = json_object();
	if (!entry || !c->items) {
		json_decref(entry);
		free(id);
		return wb__oom(db);
	}
	if (!(arr = json_object_get(c->items, w->table))) {
		arr = json_array();
		json_object_set_new(c->items, w->table, arr);
	}
	if (c->n == 0)
		c->first = i;
	json_array_append_new(arr, entry);
	c->keys[c->n++] = id;
	return 0;
}

static int write_one(wb_db *db, const wb_write *w)
{
	if (w->kind == WB_WRITE_PUT)
		return put_one(db, w->table, w->item, w->cond);
	return ddb_del(db, w->table, w->item, w->cond);
}

static int ddb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct chunk c = {0};
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (writes[i].cond && writes[i].cond->kind != WB_COND_NONE) {
			if ((rc = chunk_flush(db, &c, writes, failed_index)) < 0)
				break;
			if ((rc = write_one(db, &writes[i])) < 0 && failed_index)
				*failed_index = i;
		} else {
			rc = chunk_add(db, &c, writes, i, failed_index);
		}
	}
	if (rc == 0)
		rc = chunk_flush(db, &c, writes, failed_index);
	chunk_clear(&c);
	return rc;
}

/* ------------------------------------------------------ reads */

/* Turn an answer's Items and LastEvaluatedKey into a page. */
static int to_page(wb_db *db, json_t *resp, wb_page **out)
{
	json_t *items = json_object_get(resp, "Items"), *lek = json_object_get(resp, "LastEvaluatedKey"), *e;
	wb_page *p = wb__calloc(1, sizeof(*p));
	size_t i;
	int rc = 0;

	if (!p || !(p->items = wb__calloc(json_array_size(items) + 1, sizeof(wb_item *)))) {
		free(p);
		return wb__oom(db);
	}
	json_array_foreach(items, i, e) {
		if ((rc = json_item(db, &p->items[p->count], e)) < 0)
			break;
		p->count++;
	}
	if (rc == 0 && lek && json_object_size(lek))
		rc = json_item(db, &p->last_key, lek);
	if (rc < 0) {
		wb_page_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* Append items of a later answer to page p (for filtered scans). */
static int page_merge(wb_db *db, wb_page *p, wb_page *more)
{
	wb_item **items = realloc(p->items, (p->count + more->count + 1) * sizeof(wb_item *));

	if (!items)
		return wb__oom(db);
	p->items = items;
	memcpy(p->items + p->count, more->items, more->count * sizeof(wb_item *));
	p->count += more->count;
	more->count = 0;
	wb_item_free(p->last_key);
	p->last_key = more->last_key;
	more->last_key = NULL;
	return 0;
}

static const char *const sk_ops[] = {NULL, "=", "<", "<=", ">", ">="};

/* The KeyConditionExpression of q into t. */
static int key_condition(wb_db *db, struct expr *e, struct text *t, const wb_key_schema *ks,
			 const wb_query *q, const char *table)
{
	char pn[16], pv[16], pn2[16], pv2[16];

	tx_add(t, expr_name(e, pn, ks->pk_name));
	tx_add(t, " = ");
	tx_add(t, expr_value(e, pv, value_json(db, q->pk)));
	if (q->sk_op == WB_SK_NONE)
		return 0;
	if (!ks->sk_name[0])
		return wb__error(db, WB_EINVALID, "query of %s: the table has no sort key", table);
	if (q->sk_op < 0 || q->sk_op > WB_SK_BETWEEN)
		return wb__error(db, WB_EINVALID, "query of %s: unknown sort key condition", table);
	tx_add(t, " AND ");
	if (q->sk_op == WB_SK_BEGINS_WITH) {
		tx_add(t, "begins_with(");
		tx_add(t, expr_name(e, pn2, ks->sk_name));
		tx_add(t, ", ");
		tx_add(t, expr_value(e, pv2, value_json(db, q->sk_a)));
		tx_add(t, ")");
	} else if (q->sk_op == WB_SK_BETWEEN) {
		tx_add(t, expr_name(e, pn2, ks->sk_name));
		tx_add(t, " BETWEEN ");
		tx_add(t, expr_value(e, pv2, value_json(db, q->sk_a)));
		tx_add(t, " AND ");
		tx_add(t, expr_value(e, pv, value_json(db, q->sk_b)));
	} else {
		tx_add(t, expr_name(e, pn2, ks->sk_name));
		tx_add(t, " ");
		tx_add(t, sk_ops[q->sk_op]);
		tx_add(t, " ");
		tx_add(t, expr_value(e, pv2, value_json(db, q->sk_a)));
	}
	return 0;
}

/* Limit and ExclusiveStartKey, common to Query and Scan. */
static int add_paging(wb_db *db, json_t *req, size_t limit, const wb_item *start, const wb_key_schema *ks,
		      const char *table)
{
	int rc = 0;

	if (limit)
		rc = jset(db, req, "Limit", json_integer((json_int_t)(limit > 100000000 ? 100000000 : limit)));
	if (rc == 0 && start) {
		json_t *k = key_json(db, start, ks, table);
		if (!k)
			return WB_EINVALID;
		rc = jset(db, req, "ExclusiveStartKey", k);
	}
	return rc;
}

static int ddb_query(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	wb_key_schema ks;
	struct expr e;
	struct text t = {0};
	json_t *req, *resp = NULL;
	int rc;

	if ((rc = key_of(db, table, &ks)) < 0)
		return rc;
	if (!(req = json_pack("{s:s,s:b,s:b}", "TableName", table, "ScanIndexForward", !q->descending,
			      "ConsistentRead", 1)))
		return wb__oom(db);
	expr_init(&e);
	if ((rc = key_condition(db, &e, &t, &ks, q, table)) == 0 && t.oom)
		rc = wb__oom(db);
	if (rc == 0)
		rc = jset(db, req, "KeyConditionExpression", json_string(t.s));
	if (rc == 0)
		rc = add_paging(db, req, q->limit, q->start_after, &ks, table);
	if (rc == 0)
		rc = expr_attach(db, &e, req);
	if (rc == 0)
		rc = wb__ddb_call(STATE(db)->client, db, "Query", table, req, &resp);
	if (rc == 0)
		rc = to_page(db, resp, out);
	free(t.s);
	expr_free(&e);
	json_decref(req);
	json_decref(resp);
	return rc;
}

/* The Scan request of s (new reference) or NULL with rc set. */
static json_t *scan_request(wb_db *db, const char *table, const wb_scan *s, const wb_key_schema *ks, int *rc)
{
	json_t *req = json_pack("{s:s,s:b}", "TableName", table, "ConsistentRead", 1);
	struct expr e;
	char pn[16], pv[16], buf[64];

	*rc = 0;
	if (!req) {
		*rc = wb__oom(db);
		return NULL;
	}
	expr_init(&e);
	if (s->total_segments > 1) {
		*rc = jset(db, req, "Segment", json_integer(s->segment));
		if (*rc == 0)
			*rc = jset(db, req, "TotalSegments", json_integer(s->total_segments));
	}
	if (*rc == 0)
		*rc = add_paging(db, req, s->limit, s->start_after, ks, table);
	if (*rc == 0 && s->pk_prefix) {
		if (ks->pk_type != WB_S) {
			*rc = wb__error(db, WB_EINVALID, "scan of %s: a key prefix needs a string partition key", table);
		} else {
			snprintf(buf, sizeof(buf), "begins_with(%s, %s)", expr_name(&e, pn, ks->pk_name),
				 expr_value(&e, pv, json_pack("{s:s}", "S", s->pk_prefix)));
			*rc = jset(db, req, "FilterExpression", json_string(buf));
			if (*rc == 0)
				*rc = expr_attach(db, &e, req);
		}
	}
	expr_free(&e);
	if (*rc < 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/*
 * One page of a scan.  With a key prefix the filter runs after Limit, so
 * an answer may hold no item yet have more to come: go on from its
 * LastEvaluatedKey until a page has items or the segment is done.
 */
static int ddb_scan(wb_db *db, wb_page **out, const char *table, const wb_scan *s)
{
	wb_key_schema ks;
	wb_page *page = NULL, *more = NULL;
	wb_scan cur = *s;
	int rc;

	if ((rc = key_of(db, table, &ks)) < 0)
		return rc;
	for (;;) {
		json_t *resp = NULL, *req = scan_request(db, table, &cur, &ks, &rc);
		if (!req)
			break;
		rc = wb__ddb_call(STATE(db)->client, db, "Scan", table, req, &resp);
		json_decref(req);
		if (rc == 0)
			rc = to_page(db, resp, page ? &more : &page);
		json_decref(resp);
		if (rc == 0 && more) {
			rc = page_merge(db, page, more);
			wb_page_free(more);
			more = NULL;
		}
		if (rc < 0 || page->count > 0 || !page->last_key)
			break;
		cur.start_after = page->last_key;
	}
	if (rc < 0) {
		wb_page_free(page);
		return rc;
	}
	*out = page;
	return 0;
}

/* ------------------------------------------------------ handles */

static int ddb_open(wb_db *db, const char *url)
{
	struct ddb *s = wb__calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return WB_ENOMEM;
	if ((rc = wb__ddb_client_new(&s->client, url)) < 0) {
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->lock, NULL);
	db->state = s;
	return 0;
}

static void ddb_close(wb_db *db)
{
	struct ddb *s = STATE(db);

	if (!s)
		return;
	wb__ddb_client_free(s->client);
	pthread_mutex_destroy(&s->lock);
	free(s->schemas);
	free(s);
	db->state = NULL;
}

const struct wb_backend_ops wb_backend_dynamodb = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "dynamodb",
	.open = ddb_open,
	.close = ddb_close,
	.table_create = ddb_create,
	.table_describe = ddb_describe,
	.table_list = ddb_list,
	.table_drop = ddb_drop,
	.get = ddb_get,
	.put = ddb_put,
	.del = ddb_del,
	.update = ddb_update,
	.batch_write = ddb_batch_write,
	.query_page = ddb_query,
	.scan_page = ddb_scan,
};

int wb__dynamodb_stats(wb_db *db, struct wb__dynamodb_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!db) {
		wb__ddb_client_stats(NULL, out);
		return 0;
	}
	if (db->ops != &wb_backend_dynamodb)
		return wb__error(NULL, WB_EINVALID, "%s is not a DynamoDB target", db->url);
	wb__ddb_client_stats(STATE(db)->client, out);
	return 0;
}

int wb__dynamodb_set_retry(wb_db *db, const struct wb__dynamodb_retry *r)
{
	if (!db || db->ops != &wb_backend_dynamodb)
		return wb__error(NULL, WB_EINVALID, "not a DynamoDB target");
	wb__ddb_client_set_retry(STATE(db)->client, r);
	return 0;
}
