/*
 * dynamodb_items.c - the item operations of the dynamodb backend: GetItem,
 * PutItem, DeleteItem, UpdateItem, BatchWriteItem, Query and Scan.
 *
 * Requests are written as text and answers cut into spans (json_span.c):
 * an item's DynamoDB JSON comes from wb_item_to_json and is pasted into the
 * request as it is; its attributes' values, when an expression needs them,
 * are spans of that same text; each item of an answer is handed to
 * wb_item_from_json once.  No item is ever converted twice.  Names and
 * values in expressions always go through ExpressionAttributeNames (#n0,
 * #n1, ...) and ExpressionAttributeValues (:v0, :v1, ...).
 *
 * Atomicity: a wb_batch_write of unconditional writes goes by
 * BatchWriteItem, 25 writes a request (UnprocessedItems re-sent with
 * backoff), split where a key repeats so that order is kept; conditional
 * writes go one by one, in order.  The batch as a whole is not atomic: on
 * failure the writes before `*failed_index` have been applied, none after.
 * A put conditional on WB_COND_ITEM_EQUALS becomes an UpdateItem that sets
 * the changed attributes and removes the removed ones, conditional on every
 * attribute of the expected item being unchanged, so attributes another
 * writer added meanwhile survive.  Reads are strongly consistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "dynamodb_store.h"
#include "json_span.h"

/* ------------------------------------------------------------ text */

/* A growable text; `oom` sticks once an allocation failed. */
struct tx {
	char *s;    /* NUL-terminated text, or NULL */
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
	int oom;    /* an allocation failed */
};

static void tx_raw(struct tx *t, const char *p, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 512;
		char *s;
		while (cap < t->len + n + 1)
			cap *= 2;
		if (!(s = realloc(t->s, cap))) {
			t->oom = 1;
			return;
		}
		t->s = s;
		t->cap = cap;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void tx_str(struct tx *t, const char *s)
{
	tx_raw(t, s, strlen(s));
}

static void tx_span(struct tx *t, struct wb__span sp)
{
	tx_raw(t, sp.p, sp.len);
}

/* A JSON string literal of s (UTF-8 passes through; quotes, backslashes and controls escaped). */
static void tx_quoted(struct tx *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	tx_raw(t, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		tx_raw(t, run, (size_t)(s - run));
		char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\')
			tx_raw(t, (char[]){'\\', (char)c}, 2);
		else
			tx_raw(t, e, 6);
		run = s + 1;
	}
	tx_raw(t, run, (size_t)(s - run));
	tx_raw(t, "\"", 1);
}

static void tx_uint(struct tx *t, unsigned long long v)
{
	char buf[32];

	tx_raw(t, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", v));
}

/* ------------------------------------------------ items as JSON text */

/* An item's DynamoDB JSON and the span of each attribute's value, in item order. */
struct itext {
	char *json;            /* wb_item_to_json's text */
	struct wb__span *vals; /* value of attribute i */
	size_t n;              /* attributes */
};

static int collect_value(void *arg, struct wb__span key, struct wb__span value)
{
	struct itext *it = arg;

	WB_UNUSED(key);
	it->vals[it->n++] = value;
	return 0;
}

static void itext_free(struct itext *it)
{
	wb_string_free(it->json);
	free(it->vals);
	memset(it, 0, sizeof(*it));
}

static int itext_make(wb_db *db, const wb_item *item, struct itext *it)
{
	size_t count = wb_item_count(item);
	int rc;

	memset(it, 0, sizeof(*it));
	if ((rc = wb_item_to_json(&it->json, item, WB_JSON_DDB)) < 0)
		return wb__error_to_db(db, rc);
	if (!(it->vals = calloc(count + 1, sizeof(*it->vals)))) {
		itext_free(it);
		return wb__oom(db);
	}
	if (wb__json_members(it->json, strlen(it->json), collect_value, it) != 0 || it->n != count) {
		itext_free(it);
		return wb__error(db, WB_ERROR, "DynamoDB: an item's JSON does not split into its attributes");
	}
	return 0;
}

/* The DynamoDB JSON of one value appended to t ({"S":"x"}). */
static int value_text(wb_db *db, struct tx *t, const wb_value *v)
{
	wb_item *tmp = wb_item_new();
	wb_value *copy = v ? wb_value_dup(v) : NULL;
	struct itext it;
	int rc;

	if (!tmp || !copy) {
		wb_item_free(tmp);
		wb_value_free(copy);
		return v ? wb__oom(db) : wb__error(db, WB_EINVALID, "DynamoDB: a value is missing");
	}
	if ((rc = wb_item_set(tmp, "v", copy)) == 0 && (rc = itext_make(db, tmp, &it)) == 0) {
		tx_span(t, it.vals[0]);
		itext_free(&it);
	}
	wb_item_free(tmp);
	return rc < 0 ? wb__error_to_db(db, rc) : 0;
}

/* The key attributes of item, checked against the schema, as DynamoDB JSON (caller frees). */
static int key_text(wb_db *db, char **out, const wb_item *item, const wb_key_schema *ks, const char *table)
{
	wb_item *k = wb_item_key(item, ks);
	int rc;

	*out = NULL;
	if (!k || (rc = wb_item_validate(k, ks)) < 0) {
		rc = wb_error_last_code();
		wb__error(db, rc < 0 ? rc : WB_EINVALID, "table %s: %s", table, wb_error_last());
		wb_item_free(k);
		return rc < 0 ? rc : WB_EINVALID;
	}
	rc = wb_item_to_json(out, k, WB_JSON_DDB);
	wb_item_free(k);
	return rc < 0 ? wb__error_to_db(db, rc) : 0;
}

/* ------------------------------------------------------ expressions */

/* A placeholder "#n12" / ":v3" into ph (16 bytes): no printf, there are several per request. */
static const char *placeholder(char ph[16], const char *prefix, int n)
{
	char digits[12];
	size_t k = 0, o = strlen(prefix);

	memcpy(ph, prefix, o);
	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0 && k < sizeof(digits));
	while (k > 0)
		ph[o++] = digits[--k];
	ph[o] = '\0';
	return ph;
}

/* Names and values of one request's expressions. */
struct ex {
	struct tx names;  /* "#n0":"price",... */
	struct tx values; /* ":v0":{"N":"1"},... */
	int nn, nv;       /* placeholders made */
};

static const char *ex_name(struct ex *e, char ph[16], const char *name)
{
	placeholder(ph, "#n", e->nn);
	tx_str(&e->names, e->nn++ ? ",\"" : "\"");
	tx_str(&e->names, ph);
	tx_str(&e->names, "\":");
	tx_quoted(&e->names, name);
	return ph;
}

/* A placeholder for a value whose JSON is the span v. */
static const char *ex_span(struct ex *e, char ph[16], struct wb__span v)
{
	placeholder(ph, ":v", e->nv);
	tx_str(&e->values, e->nv++ ? ",\"" : "\"");
	tx_str(&e->values, ph);
	tx_str(&e->values, "\":");
	tx_span(&e->values, v);
	return ph;
}

/* A placeholder for a value converted on its own. */
static const char *ex_value(struct ex *e, char ph[16], wb_db *db, const wb_value *v, int *rc)
{
	placeholder(ph, ":v", e->nv);
	tx_str(&e->values, e->nv++ ? ",\"" : "\"");
	tx_str(&e->values, ph);
	tx_str(&e->values, "\":");
	if (*rc == 0)
		*rc = value_text(db, &e->values, v);
	return ph;
}

/* Append the names and values used to the request text. */
static void ex_attach(struct tx *req, struct ex *e)
{
	if (e->nn) {
		tx_str(req, ",\"ExpressionAttributeNames\":{");
		tx_raw(req, e->names.s, e->names.len);
		tx_str(req, "}");
	}
	if (e->nv) {
		tx_str(req, ",\"ExpressionAttributeValues\":{");
		tx_raw(req, e->values.s, e->values.len);
		tx_str(req, "}");
	}
	if (e->names.oom || e->values.oom)
		req->oom = 1;
}

static void ex_free(struct ex *e)
{
	free(e->names.s);
	free(e->values.s);
}

/* "#a = :v" terms for every attribute of `expect` (joined by AND) into t. */
static int equal_terms(wb_db *db, struct ex *e, struct tx *t, const wb_item *expect)
{
	struct itext it;
	char pn[16], pv[16];
	int rc;

	if ((rc = itext_make(db, expect, &it)) < 0)
		return rc;
	for (size_t i = 0; i < it.n; i++) {
		if (i)
			tx_str(t, " AND ");
		tx_str(t, ex_name(e, pn, wb_item_name_at(expect, i)));
		tx_str(t, " = ");
		tx_str(t, ex_span(e, pv, it.vals[i]));
	}
	itext_free(&it);
	return 0;
}

/* The ConditionExpression of cond into t (nothing for WB_COND_NONE). */
static int cond_text(wb_db *db, struct ex *e, struct tx *t, const wb_cond *cond, const wb_key_schema *ks)
{
	char pn[16], pv[16];
	int rc = 0;

	switch (cond ? cond->kind : WB_COND_NONE) {
	case WB_COND_NONE:
		break;
	case WB_COND_NOT_EXISTS:
	case WB_COND_EXISTS:
		tx_str(t, cond->kind == WB_COND_EXISTS ? "attribute_exists(" : "attribute_not_exists(");
		tx_str(t, ex_name(e, pn, ks->pk_name));
		tx_str(t, ")");
		break;
	case WB_COND_ATTR_EQUALS:
		tx_str(t, ex_name(e, pn, cond->attr));
		tx_str(t, " = ");
		tx_str(t, ex_value(e, pv, db, cond->value, &rc));
		break;
	case WB_COND_ITEM_EQUALS:
		if (wb_item_count(cond->expect) == 0) {
			tx_str(t, "attribute_exists(");
			tx_str(t, ex_name(e, pn, ks->pk_name));
			tx_str(t, ")");
		} else {
			rc = equal_terms(db, e, t, cond->expect);
		}
		break;
	}
	return rc;
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

/* Make a condition failure's message say what failed. */
static int cond_failed(wb_db *db, const char *op, const char *table, const wb_cond *cond)
{
	const char *what = "";

	switch (cond ? cond->kind : WB_COND_NONE) {
	case WB_COND_NOT_EXISTS: what = "the item already exists"; break;
	case WB_COND_EXISTS: what = "the item does not exist"; break;
	case WB_COND_ITEM_EQUALS: what = "the item changed since it was read, or is gone"; break;
	case WB_COND_ATTR_EQUALS:
		return wb__error(db, WB_ECONDITION, "DynamoDB %s on table %s: condition failed: attribute '%s' "
				 "does not hold the expected value", op, table, cond->attr);
	default: break;
	}
	return wb__error(db, WB_ECONDITION, "DynamoDB %s on table %s: condition failed: %s", op, table, what);
}

/* ------------------------------------------------------ requests */

/* Start a request: {"TableName":"T" */
static void req_start(struct tx *req, const char *table)
{
	tx_str(req, "{\"TableName\":\"");
	tx_str(req, table); /* table names are [A-Za-z0-9_.-]: nothing to escape */
	tx_str(req, "\"");
}

/* ,"NAME":TEXT */
static void req_member(struct tx *req, const char *name, const char *text)
{
	tx_str(req, ",\"");
	tx_str(req, name);
	tx_str(req, "\":");
	tx_str(req, text);
}

/* ,"NAME":"EXPRESSION" (expressions hold only placeholders and operators) */
static void req_expr(struct tx *req, const char *name, const struct tx *expr)
{
	tx_str(req, ",\"");
	tx_str(req, name);
	tx_str(req, "\":\"");
	tx_raw(req, expr->s ? expr->s : "", expr->len);
	tx_str(req, "\"");
	if (expr->oom)
		req->oom = 1;
}

/* Send a finished request; the answer (caller frees) through resp, when not NULL. */
static int send_req(wb_db *db, const char *op, const char *table, struct tx *req, char **resp, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	int rc;

	if (req->oom)
		return wb__oom(db);
	rc = wb__ddb_call_text(wb__ddb_client_of(db), db, op, table, req->s, req->len, &text, &n);
	if (resp) {
		*resp = text;
		*len = n;
	} else {
		free(text);
	}
	return rc;
}

/* A request with an optional condition, sent and forgotten. */
static int send_cond(wb_db *db, const char *op, const char *table, struct tx *req, struct ex *e,
		     struct tx *cond_expr, const wb_cond *cond)
{
	int rc;

	if (cond_expr->len)
		req_expr(req, "ConditionExpression", cond_expr);
	ex_attach(req, e);
	tx_str(req, "}");
	rc = send_req(db, op, table, req, NULL, NULL);
	if (rc == WB_ECONDITION)
		rc = cond_failed(db, op, table, cond);
	return rc;
}

/* ------------------------------------------------------ items */

int wb__ddb_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	wb_key_schema ks;
	struct tx req = {0};
	char *k = NULL, *resp = NULL;
	size_t len = 0;
	struct wb__span item;
	int rc;

	*out = NULL;
	if ((rc = wb__ddb_key_of(db, table, &ks)) < 0 || (rc = key_text(db, &k, key, &ks, table)) < 0)
		return rc;
	req_start(&req, table);
	req_member(&req, "Key", k);
	tx_str(&req, ",\"ConsistentRead\":true}");
	free(k);
	rc = send_req(db, "GetItem", table, &req, &resp, &len);
	free(req.s);
	if (rc < 0)
		return rc;
	item = wb__json_member(resp, len, "Item");
	if (!item.p)
		rc = wb__error(db, WB_ENOTFOUND, "no such item in table %s", table);
	else if ((rc = wb_item_from_json(out, item.p, item.len, WB_JSON_DDB)) < 0)
		rc = wb__error(db, rc, "DynamoDB GetItem on table %s: the item does not read: %s", table,
			       wb_error_last());
	free(resp);
	return rc;
}

static int is_key_attr(const wb_key_schema *ks, const char *name)
{
	return strcmp(name, ks->pk_name) == 0 || (ks->sk_name[0] && strcmp(name, ks->sk_name) == 0);
}

/* PutItem of item, with its condition. */
static int plain_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond,
		     const wb_key_schema *ks)
{
	struct tx req = {0}, ce = {0};
	struct ex e = {0};
	char *text = NULL;
	int rc;

	if ((rc = wb_item_to_json(&text, item, WB_JSON_DDB)) < 0)
		return wb__error_to_db(db, rc);
	req_start(&req, table);
	req_member(&req, "Item", text);
	wb_string_free(text);
	if ((rc = cond_text(db, &e, &ce, cond, ks)) == 0)
		rc = send_cond(db, "PutItem", table, &req, &e, &ce, cond);
	free(req.s);
	free(ce.s);
	ex_free(&e);
	return rc;
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

/* The UpdateExpression: SET of `set`'s attributes (keys skipped), REMOVE of `remove`. */
static int update_text(wb_db *db, struct ex *e, struct tx *t, const wb_key_schema *ks,
		       const wb_item *set, const char *const *remove, size_t nremove)
{
	struct itext it = {0};
	char pn[16], pv[16];
	int first = 1, rc;

	if (set && wb_item_count(set) && (rc = itext_make(db, set, &it)) < 0)
		return rc;
	for (size_t i = 0; i < it.n; i++) {
		const char *name = wb_item_name_at(set, i);
		if (is_key_attr(ks, name))
			continue;
		tx_str(t, first ? "SET " : ", ");
		tx_str(t, ex_name(e, pn, name));
		tx_str(t, " = ");
		tx_str(t, ex_span(e, pv, it.vals[i]));
		first = 0;
	}
	itext_free(&it);
	for (size_t i = 0; i < nremove; i++) {
		tx_str(t, i ? ", " : (t->len ? " REMOVE " : "REMOVE "));
		tx_str(t, ex_name(e, pn, remove[i]));
	}
	return 0;
}

static int do_update(wb_db *db, const char *table, const wb_key_schema *ks, const wb_item *key,
		     const wb_item *set, const char *const *remove, size_t nremove, const wb_cond *cond)
{
	struct tx req = {0}, ue = {0}, ce = {0};
	struct ex e = {0};
	char *k = NULL;
	int rc;

	if ((rc = check_update_keys(db, table, ks, key, set, remove, nremove)) < 0 ||
	    (rc = key_text(db, &k, key, ks, table)) < 0)
		return rc;
	req_start(&req, table);
	req_member(&req, "Key", k);
	free(k);
	if ((rc = update_text(db, &e, &ue, ks, set, remove, nremove)) == 0 &&
	    (rc = cond_text(db, &e, &ce, cond, ks)) == 0) {
		if (ue.len)
			req_expr(&req, "UpdateExpression", &ue);
		rc = send_cond(db, "UpdateItem", table, &req, &e, &ce, cond);
	}
	free(req.s);
	free(ue.s);
	free(ce.s);
	ex_free(&e);
	return rc;
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

/*
 * A write conditional on WB_COND_ITEM_EQUALS failed its condition.  That
 * may be the write's own doing: an attempt carried out whose answer was
 * lost (a 5xx, a dropped connection -- libcurl itself re-sends a request
 * whose kept-alive connection died, unseen by us), then a retry that finds
 * the item changed.  So read the item: when it is already what the write
 * wanted (`want`, or gone for a delete), nothing anybody wrote is lost and
 * the write is done: report success; else the condition failure stands.
 * Costs one GetItem per condition failure, which are rare.
 */
static int resolve_condition(wb_db *db, const char *table, const wb_item *key, const wb_item *want, int rc)
{
	wb_item *now = NULL;
	int got;

	if (rc != WB_ECONDITION)
		return rc;
	got = wb__ddb_get(db, &now, table, key);
	if ((got == WB_ENOTFOUND && !want) || (got == 0 && want && wb_item_equal(now, want))) {
		wb_item_free(now);
		wb_error_clear();
		return 0;
	}
	wb_item_free(now);
	return cond_failed(db, want ? "UpdateItem" : "DeleteItem", table,
			   &(wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, NULL});
}

/* A put conditional on the item being unchanged: an UpdateItem of the differences. */
static int put_if_unchanged(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond,
			    const wb_key_schema *ks)
{
	size_t n = wb_item_count(cond->expect), nremove = 0;
	const char **remove = calloc(n + 1, sizeof(char *));
	wb_item *set = changed_attrs(item, cond->expect);
	int rc;

	for (size_t i = 0; remove && i < n; i++)
		if (!wb_item_has(item, wb_item_name_at(cond->expect, i)))
			remove[nremove++] = wb_item_name_at(cond->expect, i);
	if (!remove || !set)
		rc = wb__oom(db);
	else
		rc = resolve_condition(db, table, item, item,
				       do_update(db, table, ks, item, set, remove, nremove, cond));
	free(remove);
	wb_item_free(set);
	return rc;
}

/* Check the key attributes of item (present, typed, non-empty) with a message naming the table. */
static int check_key(wb_db *db, const wb_item *item, const wb_key_schema *ks, const char *what,
		     const char *table)
{
	wb_item *k = wb_item_key(item, ks);
	int rc = k ? wb_item_validate(k, ks) : wb_error_last_code();

	wb_item_free(k);
	if (rc < 0)
		return wb__error(db, rc, "%s %s: %s", what, table, wb_error_last());
	return 0;
}

int wb__ddb_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	wb_key_schema ks;
	int rc;

	if ((rc = check_cond(db, table, cond)) < 0 || (rc = wb__ddb_key_of(db, table, &ks)) < 0 ||
	    (rc = check_key(db, item, &ks, "put into", table)) < 0)
		return rc;
	if (cond && cond->kind == WB_COND_ITEM_EQUALS)
		return put_if_unchanged(db, table, item, cond, &ks);
	return plain_put(db, table, item, cond, &ks);
}

int wb__ddb_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	wb_key_schema ks;
	struct tx req = {0}, ce = {0};
	struct ex e = {0};
	char *k = NULL;
	int rc;

	if ((rc = check_cond(db, table, cond)) < 0 || (rc = wb__ddb_key_of(db, table, &ks)) < 0 ||
	    (rc = key_text(db, &k, key, &ks, table)) < 0)
		return rc;
	req_start(&req, table);
	req_member(&req, "Key", k);
	free(k);
	if ((rc = cond_text(db, &e, &ce, cond, &ks)) == 0)
		rc = send_cond(db, "DeleteItem", table, &req, &e, &ce, cond);
	free(req.s);
	free(ce.s);
	ex_free(&e);
	if (cond && cond->kind == WB_COND_ITEM_EQUALS)
		rc = resolve_condition(db, table, key, NULL, rc);
	return rc;
}

int wb__ddb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		   const char *const *remove, size_t nremove, const wb_cond *cond)
{
	wb_key_schema ks;
	int rc;

	if ((rc = check_cond(db, table, cond)) < 0 || (rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	return do_update(db, table, &ks, key, set, remove, nremove, cond);
}

/* ------------------------------------------------------ batches */

/* One request's worth of unconditional writes. */
struct chunk {
	const char *table[25]; /* table of each write */
	char *entry[25];       /* {"PutRequest":{"Item":...}} or {"DeleteRequest":{"Key":...}} */
	char *key[25];         /* its key's JSON, to spot a repeated key */
	size_t n;              /* writes in the chunk */
	size_t first;          /* index in the batch of the first */
};

static void chunk_clear(struct chunk *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entry[i]);
		free(c->key[i]);
	}
	c->n = 0;
}

/* {"RequestItems":{"T":[entries...],...}} of the chunk, tables in order of first use. */
static void chunk_request(const struct chunk *c, struct tx *req)
{
	int done[25] = {0};

	tx_str(req, "{\"RequestItems\":{");
	for (size_t i = 0; i < c->n; i++) {
		if (done[i])
			continue;
		tx_str(req, i ? "],\"" : "\"");
		tx_str(req, c->table[i]);
		tx_str(req, "\":[");
		for (size_t j = i; j < c->n; j++) {
			if (done[j] || strcmp(c->table[j], c->table[i]) != 0)
				continue;
			if (j != i)
				tx_str(req, ",");
			tx_str(req, c->entry[j]);
			done[j] = 1;
		}
	}
	tx_str(req, "]}}");
}

static int count_entries(void *arg, struct wb__span key, struct wb__span value)
{
	size_t *n = arg;

	WB_UNUSED(key);
	/* value is an array of requests: count its top-level commas + 1 */
	for (size_t i = 0, depth = 0; i < value.len; i++) {
		char ch = value.p[i];
		if (ch == '"') {
			for (i++; i < value.len && value.p[i] != '"'; i++)
				if (value.p[i] == '\\')
					i++;
		} else if (ch == '[' || ch == '{') {
			if (depth++ == 1)
				++*n;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return 0;
}

/* Send RequestItems, re-sending UnprocessedItems with backoff until none remain. */
static int send_batch(wb_db *db, struct tx *req, const char *table_for_msg)
{
	uint64_t start = wb__ddb_now_ms();
	struct tx next = {0};
	int rc = 0;

	for (unsigned attempt = 1;; attempt++) {
		char *resp = NULL;
		size_t len = 0, left = 0;
		struct wb__span un;
		if ((rc = send_req(db, "BatchWriteItem", table_for_msg, req, &resp, &len)) < 0)
			break;
		un = wb__json_member(resp, len, "UnprocessedItems");
		if (un.p)
			wb__json_members(un.p, un.len, count_entries, &left);
		if (left == 0) {
			free(resp);
			break;
		}
		next.len = 0;
		tx_str(&next, "{\"RequestItems\":");
		tx_span(&next, un);
		tx_str(&next, "}");
		free(resp);
		struct tx tmp = *req;
		*req = next;
		next = tmp;
		if ((rc = wb__ddb_backoff_unprocessed(wb__ddb_client_of(db), db, "BatchWriteItem", table_for_msg,
						      attempt, start, left)) < 0)
			break;
	}
	free(next.s);
	return rc;
}

static int chunk_flush(wb_db *db, struct chunk *c, const wb_write *writes, size_t *failed_index)
{
	struct tx req = {0};
	int rc = 0;

	if (c->n) {
		chunk_request(c, &req);
		rc = send_batch(db, &req, writes[c->first].table);
		if (rc < 0 && failed_index)
			*failed_index = c->first;
	}
	free(req.s);
	chunk_clear(c);
	return rc;
}

/* The request entry of write w, whose key text is k. */
static int entry_text(wb_db *db, const wb_write *w, const char *k, char **out)
{
	struct tx t = {0};
	char *text = NULL;
	int rc;

	if (w->kind == WB_WRITE_PUT) {
		if ((rc = wb_item_to_json(&text, w->item, WB_JSON_DDB)) < 0)
			return wb__error_to_db(db, rc);
		tx_str(&t, "{\"PutRequest\":{\"Item\":");
		tx_str(&t, text);
		wb_string_free(text);
	} else {
		tx_str(&t, "{\"DeleteRequest\":{\"Key\":");
		tx_str(&t, k);
	}
	tx_str(&t, "}}");
	if (t.oom) {
		free(t.s);
		return wb__oom(db);
	}
	*out = t.s;
	return 0;
}

/* Add unconditional write i to the chunk (flushing first when full or its key repeats). */
static int chunk_add(wb_db *db, struct chunk *c, const wb_write *writes, size_t i, size_t *failed_index)
{
	const wb_write *w = &writes[i];
	wb_key_schema ks;
	char *k = NULL, *entry = NULL;
	int rc;

	if (failed_index)
		*failed_index = i; /* until the write is queued */
	if ((rc = wb__ddb_key_of(db, w->table, &ks)) < 0 || (rc = key_text(db, &k, w->item, &ks, w->table)) < 0)
		return rc;
	if ((rc = entry_text(db, w, k, &entry)) < 0) {
		free(k);
		return rc;
	}
	for (size_t j = 0; j < c->n && rc == 0; j++)
		if (strcmp(c->key[j], k) == 0 && strcmp(c->table[j], w->table) == 0)
			rc = chunk_flush(db, c, writes, failed_index);
	if (rc == 0 && c->n == 25)
		rc = chunk_flush(db, c, writes, failed_index);
	if (rc < 0) {
		free(k);
		free(entry);
		return rc;
	}
	if (c->n == 0)
		c->first = i;
	c->table[c->n] = w->table;
	c->entry[c->n] = entry;
	c->key[c->n++] = k;
	return 0;
}

static int write_one(wb_db *db, const wb_write *w)
{
	if (w->kind == WB_WRITE_PUT)
		return wb__ddb_put(db, w->table, w->item, w->cond);
	return wb__ddb_del(db, w->table, w->item, w->cond);
}

int wb__ddb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
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

/* Reading an answer's items into a page. */
struct reading {
	wb_db *db;     /* for errors */
	wb_page *page; /* being filled */
	size_t cap;    /* room in page->items */
	int rc;        /* first failure */
};

static int read_item(void *arg, struct wb__span value)
{
	struct reading *r = arg;
	wb_page *p = r->page;
	int rc;

	if (p->count == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		wb_item **items = realloc(p->items, cap * sizeof(*items));
		if (!items) {
			r->rc = wb__oom(r->db);
			return 1;
		}
		p->items = items;
		r->cap = cap;
	}
	if ((rc = wb_item_from_json(&p->items[p->count], value.p, value.len, WB_JSON_DDB)) < 0) {
		r->rc = wb__error(r->db, rc, "DynamoDB: an item of the answer does not read: %s", wb_error_last());
		return 1;
	}
	p->count++;
	return 0;
}

/* Add an answer's Items to page p and set its last_key from LastEvaluatedKey. */
static int read_answer(wb_db *db, const char *resp, size_t len, wb_page *p, size_t *cap)
{
	struct wb__span items = wb__json_member(resp, len, "Items");
	struct wb__span lek = wb__json_member(resp, len, "LastEvaluatedKey");
	struct reading r = {db, p, *cap, 0};
	int rc;

	if (items.p && wb__json_elements(items.p, items.len, read_item, &r) < 0 && r.rc == 0)
		r.rc = wb__error(db, WB_EIO, "DynamoDB: the answer's Items are not a JSON array");
	*cap = r.cap;
	if (r.rc < 0)
		return r.rc;
	wb_item_free(p->last_key);
	p->last_key = NULL;
	if (lek.p && lek.len > 2 && (rc = wb_item_from_json(&p->last_key, lek.p, lek.len, WB_JSON_DDB)) < 0)
		return wb__error(db, rc, "DynamoDB: LastEvaluatedKey does not read: %s", wb_error_last());
	return 0;
}

static const char *const sk_ops[] = {NULL, "=", "<", "<=", ">", ">="};

/* The KeyConditionExpression of q into t. */
static int key_condition(wb_db *db, struct ex *e, struct tx *t, const wb_key_schema *ks,
			 const wb_query *q, const char *table)
{
	char pn[16], pv[16], pn2[16], pv2[16], pv3[16];
	int rc = 0;

	tx_str(t, ex_name(e, pn, ks->pk_name));
	tx_str(t, " = ");
	tx_str(t, ex_value(e, pv, db, q->pk, &rc));
	if (q->sk_op == WB_SK_NONE)
		return rc;
	if (!ks->sk_name[0])
		return wb__error(db, WB_EINVALID, "query of %s: the table has no sort key", table);
	if (q->sk_op < 0 || q->sk_op > WB_SK_BETWEEN)
		return wb__error(db, WB_EINVALID, "query of %s: unknown sort key condition", table);
	tx_str(t, " AND ");
	if (q->sk_op == WB_SK_BEGINS_WITH) {
		tx_str(t, "begins_with(");
		tx_str(t, ex_name(e, pn2, ks->sk_name));
		tx_str(t, ", ");
		tx_str(t, ex_value(e, pv2, db, q->sk_a, &rc));
		tx_str(t, ")");
	} else if (q->sk_op == WB_SK_BETWEEN) {
		tx_str(t, ex_name(e, pn2, ks->sk_name));
		tx_str(t, " BETWEEN ");
		tx_str(t, ex_value(e, pv2, db, q->sk_a, &rc));
		tx_str(t, " AND ");
		tx_str(t, ex_value(e, pv3, db, q->sk_b, &rc));
	} else {
		tx_str(t, ex_name(e, pn2, ks->sk_name));
		tx_str(t, " ");
		tx_str(t, sk_ops[q->sk_op]);
		tx_str(t, " ");
		tx_str(t, ex_value(e, pv2, db, q->sk_a, &rc));
	}
	return rc;
}

/* Limit and ExclusiveStartKey, common to Query and Scan. */
static int add_paging(wb_db *db, struct tx *req, size_t limit, const wb_item *start, const wb_key_schema *ks,
		      const char *table)
{
	char *k = NULL;
	int rc;

	if (limit) {
		tx_str(req, ",\"Limit\":");
		tx_uint(req, limit > 100000000 ? 100000000 : limit);
	}
	if (start) {
		if ((rc = key_text(db, &k, start, ks, table)) < 0)
			return rc;
		req_member(req, "ExclusiveStartKey", k);
		free(k);
	}
	return 0;
}

/* Send a Query or Scan request and add its answer to page p. */
static int read_page(wb_db *db, const char *op, const char *table, struct tx *req, wb_page *p, size_t *cap)
{
	char *resp = NULL;
	size_t len = 0;
	int rc = send_req(db, op, table, req, &resp, &len);

	if (rc == 0)
		rc = read_answer(db, resp, len, p, cap);
	free(resp);
	return rc;
}

int wb__ddb_query(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	wb_key_schema ks;
	struct tx req = {0}, kc = {0};
	struct ex e = {0};
	wb_page *p = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	req_start(&req, table);
	tx_str(&req, q->descending ? ",\"ScanIndexForward\":false" : ",\"ScanIndexForward\":true");
	tx_str(&req, ",\"ConsistentRead\":true");
	if ((rc = key_condition(db, &e, &kc, &ks, q, table)) == 0) {
		req_expr(&req, "KeyConditionExpression", &kc);
		rc = add_paging(db, &req, q->limit, q->start_after, &ks, table);
	}
	ex_attach(&req, &e);
	tx_str(&req, "}");
	if (rc == 0 && !(p = wb__calloc(1, sizeof(*p))))
		rc = wb__oom(db);
	if (rc == 0)
		rc = read_page(db, "Query", table, &req, p, &cap);
	free(req.s);
	free(kc.s);
	ex_free(&e);
	if (rc < 0) {
		wb_page_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* The Scan request of s from `start` into req. */
static int scan_request(wb_db *db, struct tx *req, const char *table, const wb_scan *s,
			const wb_item *start, const wb_key_schema *ks)
{
	struct ex e = {0};
	char pn[16], pv[16];
	int rc;

	req_start(req, table);
	tx_str(req, ",\"ConsistentRead\":true");
	if (s->total_segments > 1) {
		tx_str(req, ",\"Segment\":");
		tx_uint(req, s->segment);
		tx_str(req, ",\"TotalSegments\":");
		tx_uint(req, s->total_segments);
	}
	rc = add_paging(db, req, s->limit, start, ks, table);
	if (rc == 0 && s->pk_prefix) {
		if (ks->pk_type != WB_S) {
			rc = wb__error(db, WB_EINVALID, "scan of %s: a key prefix needs a string partition key", table);
		} else {
			tx_str(req, ",\"FilterExpression\":\"begins_with(");
			tx_str(req, ex_name(&e, pn, ks->pk_name));
			tx_str(req, ", ");
			snprintf(pv, sizeof(pv), ":v%d", e.nv++);
			tx_str(&e.values, "\":v0\":{\"S\":");
			tx_quoted(&e.values, s->pk_prefix);
			tx_str(&e.values, "}");
			tx_str(req, pv);
			tx_str(req, ")\"");
			ex_attach(req, &e);
		}
	}
	tx_str(req, "}");
	ex_free(&e);
	return rc;
}

/*
 * One page of a scan.  With a key prefix the filter runs after Limit, so
 * an answer may hold no item yet have more to come: go on from its
 * LastEvaluatedKey until a page has items or the segment is done.
 */
int wb__ddb_scan(wb_db *db, wb_page **out, const char *table, const wb_scan *s)
{
	wb_key_schema ks;
	wb_page *p;
	wb_item *start = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	if (!(p = wb__calloc(1, sizeof(*p))))
		return wb__oom(db);
	for (const wb_item *from = s->start_after;;) {
		struct tx req = {0};
		rc = scan_request(db, &req, table, s, from, &ks);
		if (rc == 0)
			rc = read_page(db, "Scan", table, &req, p, &cap);
		free(req.s);
		if (rc < 0 || p->count > 0 || !p->last_key)
			break;
		wb_item_free(start);
		start = wb_item_dup(p->last_key);
		if (!start) {
			rc = wb__oom(db);
			break;
		}
		from = start;
	}
	wb_item_free(start);
	if (rc < 0) {
		wb_page_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* ------------------------------------------------------ batch gets */

/* One BatchGetItem chunk: the distinct keys asked for and where their items go. */
struct getchunk {
	char *key[100];    /* distinct key texts */
	size_t n;          /* how many */
	wb_item **out;     /* the caller's output array */
	const size_t *idx; /* out index of each input key */
	char **keytext;    /* key text of each input key of the chunk */
	size_t nin;        /* input keys in the chunk */
	wb_db *db;         /* for errors */
	const wb_key_schema *ks;
	int rc;            /* first failure */
};

/* Put an answered item where every input key equal to its key wants it. */
static int take_item(void *arg, struct wb__span value)
{
	struct getchunk *g = arg;
	wb_item *it = NULL;
	char *k = NULL;
	int rc;

	if ((rc = wb_item_from_json(&it, value.p, value.len, WB_JSON_DDB)) < 0 ||
	    (rc = key_text(g->db, &k, it, g->ks, "")) < 0) {
		g->rc = wb__error(g->db, rc, "DynamoDB BatchGetItem: an item of the answer does not read: %s",
				  wb_error_last());
		wb_item_free(it);
		return 1;
	}
	for (size_t i = 0; i < g->nin && g->rc == 0; i++) {
		if (strcmp(g->keytext[i], k) != 0 || g->out[g->idx[i]])
			continue;
		if (!(g->out[g->idx[i]] = wb_item_dup(it)))
			g->rc = wb__oom(g->db);
	}
	free(k);
	wb_item_free(it);
	return g->rc ? 1 : 0;
}

static int count_keys(void *arg, struct wb__span key, struct wb__span value)
{
	struct wb__span keys = wb__json_member(value.p, value.len, "Keys");
	size_t *n = arg;

	WB_UNUSED(key);
	if (keys.p)
		count_entries(n, key, keys); /* counts the objects of the array */
	return 0;
}

static int take_responses(void *arg, struct wb__span key, struct wb__span value)
{
	WB_UNUSED(key);
	return wb__json_elements(value.p, value.len, take_item, arg) < 0 ? 1 : 0;
}

/* Ask for the chunk's keys until none is left unprocessed. */
static int get_chunk(wb_db *db, const char *table, struct getchunk *g)
{
	uint64_t start = wb__ddb_now_ms();
	struct tx req = {0};
	int rc = 0;

	tx_str(&req, "{\"RequestItems\":{\"");
	tx_str(&req, table);
	tx_str(&req, "\":{\"ConsistentRead\":true,\"Keys\":[");
	for (size_t i = 0; i < g->n; i++) {
		tx_str(&req, i ? "," : "");
		tx_str(&req, g->key[i]);
	}
	tx_str(&req, "]}}}");
	for (unsigned attempt = 1; rc == 0; attempt++) {
		char *resp = NULL;
		size_t len = 0, left = 0;
		struct wb__span got, un;
		if ((rc = send_req(db, "BatchGetItem", table, &req, &resp, &len)) < 0)
			break;
		got = wb__json_member(resp, len, "Responses");
		if (got.p && wb__json_members(got.p, got.len, take_responses, g) != 0 && g->rc == 0)
			g->rc = wb__error(db, WB_EIO, "DynamoDB BatchGetItem on table %s: malformed Responses", table);
		if ((rc = g->rc) < 0) {
			free(resp);
			break;
		}
		un = wb__json_member(resp, len, "UnprocessedKeys");
		if (un.p)
			wb__json_members(un.p, un.len, count_keys, &left);
		if (left) {
			req.len = 0;
			tx_str(&req, "{\"RequestItems\":");
			tx_span(&req, un);
			tx_str(&req, "}");
		}
		free(resp);
		if (left == 0)
			break;
		rc = wb__ddb_backoff_unprocessed(wb__ddb_client_of(db), db, "BatchGetItem", table, attempt, start, left);
	}
	free(req.s);
	return rc;
}

int wb__dynamodb_batch_get(wb_db *db, const char *table, const wb_item *const *keys, size_t n, wb_item **out)
{
	wb_key_schema ks;
	char **text = NULL;
	size_t *idx = NULL;
	int rc;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (!db || db->ops != &wb_backend_dynamodb)
		return wb__error(NULL, WB_EINVALID, "BatchGetItem: not a DynamoDB target");
	if ((rc = wb_table_name_validate(table)) < 0)
		return wb__error_to_db(db, rc);
	if ((rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	if (!(text = calloc(n + 1, sizeof(char *))) || !(idx = calloc(n + 1, sizeof(size_t)))) {
		free(text);
		return wb__oom(db);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = key_text(db, &text[i], keys[i], &ks, table);
		idx[i] = i;
	}
	/* Chunks of up to 100 distinct keys (DynamoDB refuses repeated keys in one request). */
	for (size_t from = 0; from < n && rc == 0;) {
		struct getchunk g = {.out = out, .idx = idx + from, .keytext = text + from, .db = db, .ks = &ks};
		size_t i = from;
		for (; i < n; i++) {
			int seen = 0;
			for (size_t j = 0; j < g.n && !seen; j++)
				seen = strcmp(g.key[j], text[i]) == 0;
			if (!seen && g.n == 100)
				break;
			if (!seen)
				g.key[g.n++] = text[i];
		}
		g.nin = i - from;
		rc = get_chunk(db, table, &g);
		from = i;
	}
	for (size_t i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(idx);
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			wb_item_free(out[i]);
			out[i] = NULL;
		}
	return rc;
}
