/*
 * dynamodb_expr.c - the text the dynamodb backend's item operations are
 * written in (dynamodb_expr.h): items as DynamoDB JSON, expressions and
 * their placeholders, conditions, and sending a request.
 *
 * Requests are written as text and answers cut into spans (json_span.c):
 * an item's DynamoDB JSON comes from wb_item_to_json and is pasted into the
 * request as it is; its attributes' values, when an expression needs them,
 * are spans of that same text; each item of an answer is handed to
 * wb_item_from_json once.  No item is ever converted twice.  Names and
 * values in expressions always go through ExpressionAttributeNames (#n0,
 * #n1, ...) and ExpressionAttributeValues (:v0, :v1, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "dynamodb_expr.h"
#include "dynamodb_store.h"

/* ------------------------------------------------------------ text */

/* A JSON string literal of s (UTF-8 passes through; quotes, backslashes and controls escaped). */
void wb__ddb_quoted(wb_buf *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	wb__buf_append(t, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		wb__buf_append(t, run, (size_t)(s - run));
		char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\')
			wb__buf_append(t, (char[]){'\\', (char)c}, 2);
		else
			wb__buf_append(t, e, 6);
		run = s + 1;
	}
	wb__buf_append(t, run, (size_t)(s - run));
	wb__buf_append(t, "\"", 1);
}

/* ------------------------------------------------ items as JSON text */

static int collect_value(void *arg, struct wb__span key, struct wb__span value)
{
	struct wb__ddb_itext *it = arg;

	WB_UNUSED(key);
	it->vals[it->n++] = value;
	return 0;
}

void wb__ddb_itext_free(struct wb__ddb_itext *it)
{
	wb_string_free(it->json);
	free(it->vals);
	memset(it, 0, sizeof(*it));
}

int wb__ddb_itext_make(wb_db *db, const wb_item *item, struct wb__ddb_itext *it)
{
	size_t count = wb_item_count(item);
	int rc;

	memset(it, 0, sizeof(*it));
	if ((rc = wb_item_to_json(&it->json, item, WB_JSON_DDB)) < 0)
		return wb__error_to_db(db, rc);
	if (!(it->vals = calloc(count + 1, sizeof(*it->vals)))) {
		wb__ddb_itext_free(it);
		return wb__oom(db);
	}
	if (wb__json_members(it->json, strlen(it->json), collect_value, it) != 0 || it->n != count) {
		wb__ddb_itext_free(it);
		return wb__error(db, WB_ERROR, "DynamoDB: an item's JSON does not split into its attributes");
	}
	return 0;
}

/* The DynamoDB JSON of one value appended to t ({"S":"x"}). */
int wb__ddb_value_text(wb_db *db, wb_buf *t, const wb_value *v)
{
	wb_item *tmp = wb_item_new();
	wb_value *copy = v ? wb_value_dup(v) : NULL;
	struct wb__ddb_itext it;
	int rc;

	if (!tmp || !copy) {
		wb_item_free(tmp);
		wb_value_free(copy);
		return v ? wb__oom(db) : wb__error(db, WB_EINVALID, "DynamoDB: a value is missing");
	}
	if ((rc = wb_item_set(tmp, "v", copy)) == 0 && (rc = wb__ddb_itext_make(db, tmp, &it)) == 0) {
		wb__ddb_span(t, it.vals[0]);
		wb__ddb_itext_free(&it);
	}
	wb_item_free(tmp);
	return rc < 0 ? wb__error_to_db(db, rc) : 0;
}

/* The key attributes of item, checked against the schema, as DynamoDB JSON (caller frees). */
int wb__ddb_key_text(wb_db *db, char **out, const wb_item *item, const wb_key_schema *ks, const char *table)
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

/* Make placeholder number (*count)++ with prefix into ph and open its member "PH": in list. */
static const char *ex_member(wb_buf *list, int *count, char ph[16], const char *prefix)
{
	placeholder(ph, prefix, *count);
	wb__buf_puts(list, (*count)++ ? ",\"" : "\"");
	wb__buf_puts(list, ph);
	wb__buf_puts(list, "\":");
	return ph;
}

const char *wb__ddb_ex_name(struct wb__ddb_ex *e, char ph[16], const char *name)
{
	ex_member(&e->names, &e->nn, ph, "#n");
	wb__ddb_quoted(&e->names, name);
	return ph;
}

const char *wb__ddb_ex_span(struct wb__ddb_ex *e, char ph[16], struct wb__span v)
{
	ex_member(&e->values, &e->nv, ph, ":v");
	wb__ddb_span(&e->values, v);
	return ph;
}

const char *wb__ddb_ex_value(struct wb__ddb_ex *e, char ph[16], wb_db *db, const wb_value *v, int *rc)
{
	ex_member(&e->values, &e->nv, ph, ":v");
	if (*rc == 0)
		*rc = wb__ddb_value_text(db, &e->values, v);
	return ph;
}

/* Append the names and values used to the request text. */
void wb__ddb_ex_attach(wb_buf *req, struct wb__ddb_ex *e)
{
	if (e->nn) {
		wb__buf_puts(req, ",\"ExpressionAttributeNames\":{");
		wb__buf_append(req, e->names.text, e->names.len);
		wb__buf_puts(req, "}");
	}
	if (e->nv) {
		wb__buf_puts(req, ",\"ExpressionAttributeValues\":{");
		wb__buf_append(req, e->values.text, e->values.len);
		wb__buf_puts(req, "}");
	}
	if (e->names.oom || e->values.oom)
		req->oom = 1;
}

void wb__ddb_ex_free(struct wb__ddb_ex *e)
{
	wb__buf_free(&e->names);
	wb__buf_free(&e->values);
}

/* The ConditionExpression of cond into t (nothing for WB_COND_NONE). */
int wb__ddb_cond_text(wb_db *db, struct wb__ddb_ex *e, wb_buf *t, const wb_cond *cond,
		      const wb_key_schema *ks)
{
	char pn[16], pv[16];
	int rc = 0;

	switch (cond ? cond->kind : WB_COND_NONE) {
	case WB_COND_NONE:
		break;
	case WB_COND_NOT_EXISTS:
	case WB_COND_EXISTS:
		wb__buf_puts(t, cond->kind == WB_COND_EXISTS ? "attribute_exists(" : "attribute_not_exists(");
		wb__buf_puts(t, wb__ddb_ex_name(e, pn, ks->pk_name));
		wb__buf_puts(t, ")");
		break;
	case WB_COND_ATTR_EQUALS:
		wb__buf_puts(t, wb__ddb_ex_name(e, pn, cond->attr));
		wb__buf_puts(t, " = ");
		wb__buf_puts(t, wb__ddb_ex_value(e, pv, db, cond->value, &rc));
		break;
	case WB_COND_ITEM_EQUALS: /* dynamodb_unchanged.c writes these */
		rc = wb__error(db, WB_ERROR, "DynamoDB: an item condition reached the plain condition writer");
		break;
	}
	return rc;
}

int wb__ddb_check_cond(wb_db *db, const char *table, const wb_cond *cond)
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
int wb__ddb_cond_failed(wb_db *db, const char *op, const char *table, const wb_cond *cond)
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
void wb__ddb_req_start(wb_buf *req, const char *table)
{
	wb__buf_puts(req, "{\"TableName\":\"");
	wb__buf_puts(req, table); /* table names are [A-Za-z0-9_.-]: nothing to escape */
	wb__buf_puts(req, "\"");
}

/* ,"NAME":TEXT */
void wb__ddb_req_member(wb_buf *req, const char *name, const char *text)
{
	wb__buf_puts(req, ",\"");
	wb__buf_puts(req, name);
	wb__buf_puts(req, "\":");
	wb__buf_puts(req, text);
}

/* ,"NAME":"EXPRESSION" (expressions hold only placeholders and operators) */
void wb__ddb_req_expr(wb_buf *req, const char *name, const wb_buf *expr)
{
	wb__buf_puts(req, ",\"");
	wb__buf_puts(req, name);
	wb__buf_puts(req, "\":\"");
	wb__buf_append(req, expr->text ? expr->text : "", expr->len);
	wb__buf_puts(req, "\"");
	if (expr->oom)
		req->oom = 1;
}

/* Send a finished request; the answer (caller frees) through resp, when not NULL. */
int wb__ddb_send_req(wb_db *db, const char *op, const char *table, wb_buf *req, char **resp, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	int rc;

	if (req->oom)
		return wb__oom(db);
	rc = wb__ddb_call_text(wb__ddb_client_of(db), db, op, table, req->text, req->len, &text, &n);
	if (resp) {
		*resp = text;
		*len = n;
	} else {
		free(text);
	}
	return rc;
}

/* A request with an optional condition, sent and forgotten. */
int wb__ddb_send_cond(wb_db *db, const char *op, const char *table, wb_buf *req, struct wb__ddb_ex *e,
		      wb_buf *cond_expr, const wb_cond *cond)
{
	int rc;

	if (cond_expr->len)
		wb__ddb_req_expr(req, "ConditionExpression", cond_expr);
	wb__ddb_ex_attach(req, e);
	wb__buf_puts(req, "}");
	rc = wb__ddb_send_req(db, op, table, req, NULL, NULL);
	if (rc == WB_ECONDITION)
		rc = wb__ddb_cond_failed(db, op, table, cond);
	return rc;
}

