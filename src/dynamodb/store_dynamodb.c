/*
 * store_dynamodb.c - the dynamodb backend: handles, key schemas and tables
 * (CreateTable, DescribeTable, ListTables, DeleteTable); the item
 * operations are in dynamodb_write.c and dynamodb_read.c, the calls in
 * dynamodb_client.c.
 *
 * Key schemas are learnt with DescribeTable and cached per handle (get,
 * delete and update need the key attributes; conditions name the
 * partition key), with the keys of the table's secondary indexes (queries
 * of an index name them; dynamodb_index.c reads and writes their JSON).  DescribeTable's ItemCount is refreshed by DynamoDB about
 * every six hours, so item_count is reported as unknown (-1).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common.h"
#include "backend.h"
#include "index.h"
#include "dynamodb.h"
#include "dynamodb_store.h"

/* A cached key schema. */
struct schema {
	char table[WB_NAME_MAX + 1]; /* table name */
	wb_key_schema key;           /* its key */
	wb_index *ix;                /* its secondary indexes (owned; attrs not kept) */
	size_t nix;                  /* how many */
};

struct ddb {
	struct wb__ddb_client *client; /* the connection and its counters */
	pthread_mutex_t lock;          /* guards the schema cache and `ahead` */
	struct schema *schemas;        /* cached key schemas */
	size_t nschemas;               /* how many */
	struct wb__ddb_prefetch *ahead; /* the next scan page being read, or NULL (dynamodb_read.c) */
};

#define STATE(db) ((struct ddb *)(db)->state)

struct wb__ddb_client *wb__ddb_client_of(wb_db *db)
{
	return STATE(db)->client;
}

struct wb__ddb_prefetch *wb__ddb_prefetch_swap(wb_db *db, struct wb__ddb_prefetch *p)
{
	struct ddb *s = STATE(db);
	struct wb__ddb_prefetch *old;

	pthread_mutex_lock(&s->lock);
	old = s->ahead;
	s->ahead = p;
	pthread_mutex_unlock(&s->lock);
	return old;
}

/* ------------------------------------------------------- key schemas */

static const char *type_letter(wb_type t)
{
	return t == WB_N ? "N" : t == WB_B ? "B" : "S";
}

/* Cache a table's key and indexes (taking ix, whose attrs are dropped). */
static void cache_put(struct ddb *s, const char *table, const wb_key_schema *key, wb_index *ix, size_t nix)
{
	struct schema *e = NULL;

	for (size_t i = 0; i < nix; i++)
		wb__index_clear(&ix[i]);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nschemas && !e; i++)
		if (strcmp(s->schemas[i].table, table) == 0)
			e = &s->schemas[i];
	if (!e) {
		struct schema *n = realloc(s->schemas, (s->nschemas + 1) * sizeof(*n));
		if (n) { /* a cache that cannot grow only costs a DescribeTable */
			s->schemas = n;
			e = &n[s->nschemas++];
			memset(e, 0, sizeof(*e));
			snprintf(e->table, sizeof(e->table), "%s", table);
		}
	}
	if (e) {
		free(e->ix);
		e->key = *key;
		e->ix = ix;
		e->nix = nix;
		ix = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	free(ix);
}

/* The cached definition of index `index` of `table`: 1 when found. */
static int cache_get_index(struct ddb *s, const char *table, const char *index, wb_index *out)
{
	int found = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nschemas && !found; i++) {
		const struct schema *e = &s->schemas[i];
		const wb_index *ix = strcmp(e->table, table) == 0 ? wb__index_find(e->ix, e->nix, index) : NULL;
		if (ix) {
			*out = *ix;
			found = 1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
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
			free(s->schemas[i].ix);
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

/* DescribeTable: the description and, when ix is not NULL, the indexes (the caller's); cached. */
static int describe_full(wb_db *db, const char *name, wb_table_desc *out, wb_index **ix, size_t *nix)
{
	wb_index *all = NULL;
	size_t n = 0;
	json_t *t;
	int rc;

	if ((rc = describe_raw(db, name, &t)) < 0) {
		if (rc == WB_ENOTFOUND)
			cache_drop(STATE(db), name);
		return rc;
	}
	if ((rc = parse_table(db, t, name, out)) == 0 && (rc = wb__ddb_indexes_parse(db, t, name, &all, &n)) == 0 &&
	    ix) {
		wb_index *copy = n ? wb__calloc(n, sizeof(*copy)) : NULL;
		for (size_t i = 0; i < n && copy && rc == 0; i++)
			rc = wb__index_copy(&copy[i], &all[i]);
		if ((n && !copy) || rc < 0) {
			wb_indexes_free(copy, n);
			rc = wb__oom(db);
		} else {
			*ix = copy;
			*nix = n;
		}
	}
	if (rc == 0)
		cache_put(STATE(db), name, &out->key, all, n);
	else
		wb_indexes_free(all, n);
	json_decref(t);
	return rc;
}

static int ddb_describe(wb_db *db, const char *name, wb_table_desc *out)
{
	return describe_full(db, name, out, NULL, NULL);
}

static int ddb_indexes(wb_db *db, const char *name, wb_index **out, size_t *count)
{
	wb_table_desc d;

	return describe_full(db, name, &d, out, count);
}

int wb__ddb_index_of(wb_db *db, const char *verb, const char *table, const char *index, wb_index *out)
{
	wb_table_desc d;
	int rc;

	if (cache_get_index(STATE(db), table, index, out))
		return 0;
	if ((rc = describe_full(db, table, &d, NULL, NULL)) < 0)
		return rc;
	if (cache_get_index(STATE(db), table, index, out))
		return 0;
	return wb__error(db, WB_EINVALID, "%s %s: table %s has no index '%s'", verb, table, table, index);
}

/* The key schema of table (cached). */
int wb__ddb_key_of(wb_db *db, const char *table, wb_key_schema *key)
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

/* ------------------------------------------------------ tables */

/* Is every global index of a DescribeTable's Table ACTIVE? */
static int indexes_active(json_t *t)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(t, "GlobalSecondaryIndexes"), i, e) {
		const char *st = json_string_value(json_object_get(e, "IndexStatus"));
		if (st && strcmp(st, "ACTIVE") != 0)
			return 0;
	}
	return 1;
}

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
		int done = !want_gone && st && strcmp(st, "ACTIVE") == 0 && indexes_active(t);
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

/* Cache what a table was created with (the keys of its indexes; nothing when out of memory). */
static void cache_known(struct ddb *s, const char *name, const wb_key_schema *key, const wb_index *ix, size_t n)
{
	wb_index *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	if (n && !copy) {
		cache_drop(s, name);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		copy[i] = ix[i];
		copy[i].attrs = NULL; /* not ours: cache_put frees them */
		copy[i].nattrs = 0;
	}
	cache_put(s, name, key, copy, n);
}

/* A table operation `op` on `name` (takes req); the error `known` said as "table NAME what". */
static int table_call(wb_db *db, const char *op, const char *name, json_t *req, int known, const char *what)
{
	json_t *resp = NULL;
	int rc = wb__ddb_call(STATE(db)->client, db, op, name, req, &resp);

	json_decref(req);
	json_decref(resp);
	return rc == known ? wb__error(db, known, "table %s %s", name, what) : rc;
}

static int ddb_create_ix(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix, size_t n)
{
	json_t *req, *ad, *ks;
	int rc;

	ad = json_pack("[{s:s,s:s}]", "AttributeName", key->pk_name, "AttributeType", type_letter(key->pk_type));
	ks = json_pack("[{s:s,s:s}]", "AttributeName", key->pk_name, "KeyType", "HASH");
	if (ad && ks && key->sk_name[0]) {
		json_array_append_new(ad, json_pack("{s:s,s:s}", "AttributeName", key->sk_name,
						    "AttributeType", type_letter(key->sk_type)));
		json_array_append_new(ks, json_pack("{s:s,s:s}", "AttributeName", key->sk_name, "KeyType", "RANGE"));
	}
	req = json_pack("{s:s,s:O,s:o,s:s}", "TableName", name, "AttributeDefinitions", ad, "KeySchema", ks,
			"BillingMode", "PAY_PER_REQUEST");
	if (req && n && wb__ddb_indexes_request(req, ad, ix, n) < 0) {
		json_decref(req);
		req = NULL;
	}
	json_decref(ad);
	if (!req)
		return wb__oom(db);
	if ((rc = table_call(db, "CreateTable", name, req, WB_EEXISTS, "already exists")) < 0)
		return rc;
	cache_known(STATE(db), name, key, ix, n);
	return wait_status(db, name, 0);
}

static int ddb_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	return ddb_create_ix(db, name, key, NULL, 0);
}

static int ddb_drop(wb_db *db, const char *name)
{
	json_t *req = json_pack("{s:s}", "TableName", name);
	int rc;

	if (!req)
		return wb__oom(db);
	cache_drop(STATE(db), name);
	if ((rc = table_call(db, "DeleteTable", name, req, WB_ENOTFOUND, "does not exist")) < 0)
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
	wb__ddb_prefetch_free(wb__ddb_prefetch_swap(db, NULL));
	wb__ddb_client_free(s->client);
	pthread_mutex_destroy(&s->lock);
	for (size_t i = 0; i < s->nschemas; i++)
		free(s->schemas[i].ix);
	free(s->schemas);
	free(s);
	db->state = NULL;
}

const struct wb_backend_ops wb_backend_dynamodb = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "dynamodb",
	.caps = 0, /* BatchWriteItem is not atomic; many writers at once */
	.open = ddb_open,
	.close = ddb_close,
	.table_create = ddb_create,
	.table_describe = ddb_describe,
	.table_list = ddb_list,
	.table_drop = ddb_drop,
	.get = wb__ddb_get,
	.put = wb__ddb_put,
	.del = wb__ddb_del,
	.update = wb__ddb_update,
	.batch_write = wb__ddb_batch_write,
	.query_page = wb__ddb_query,
	.scan_page = wb__ddb_scan,
	.table_create_ix = ddb_create_ix,
	.table_indexes = ddb_indexes,
	.batch_write_each = wb__ddb_batch_write_each,
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
