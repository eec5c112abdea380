/*
 * dynamodb_expr.h - what the dynamodb backend's item operations share
 * (internal; implemented in dynamodb_expr.c, used by dynamodb_write.c and
 * dynamodb_read.c): requests written as text in a wb_buf, items turned
 * into DynamoDB JSON once with the span of each attribute's value, the
 * placeholders of expressions (#n0, :v0, ...) and their condition text, and
 * sending a finished request.
 */
#ifndef WB_DYNAMODB_EXPR_H
#define WB_DYNAMODB_EXPR_H

#include "whimbrel.h"
#include "buf.h"
#include "json_span.h"

/* ------------------------------------------------------------ text */

/** Append the text of a span (a piece of JSON) to t. */
static inline void wb__ddb_span(wb_buf *t, struct wb__span sp)
{
	wb__buf_append(t, sp.p, sp.len);
}

/** Append a JSON string literal of s (UTF-8 passes; quotes, backslashes and controls escaped). */
void wb__ddb_quoted(wb_buf *t, const char *s);

/** An item's DynamoDB JSON and the span of each attribute's value, in item order. */
struct wb__ddb_itext {
	char *json;            /**< wb_item_to_json's text */
	struct wb__span *vals; /**< value of attribute i */
	size_t n;              /**< attributes */
};

int wb__ddb_itext_make(wb_db *db, const wb_item *item, struct wb__ddb_itext *it);
void wb__ddb_itext_free(struct wb__ddb_itext *it);

/** Append the DynamoDB JSON of one value to t ({"S":"x"}). */
int wb__ddb_value_text(wb_db *db, wb_buf *t, const wb_value *v);
/** The key attributes of item, checked against the schema, as DynamoDB JSON (caller frees). */
int wb__ddb_key_text(wb_db *db, char **out, const wb_item *item, const wb_key_schema *ks, const char *table);

/* ------------------------------------------------------ expressions */

/** Names and values of one request's expressions. */
struct wb__ddb_ex {
	wb_buf names;  /**< "#n0":"price",... */
	wb_buf values; /**< ":v0":{"N":"1"},... */
	int nn, nv;    /**< placeholders made */
};

/** A placeholder (written into ph, 16 bytes) for attribute name `name`. */
const char *wb__ddb_ex_name(struct wb__ddb_ex *e, char ph[16], const char *name);
/** A placeholder for a value whose JSON is the span v. */
const char *wb__ddb_ex_span(struct wb__ddb_ex *e, char ph[16], struct wb__span v);
/** A placeholder for a value converted on its own; a failure lands in *rc (when still 0). */
const char *wb__ddb_ex_value(struct wb__ddb_ex *e, char ph[16], wb_db *db, const wb_value *v, int *rc);
/** Append the names and values used to the request text. */
void wb__ddb_ex_attach(wb_buf *req, struct wb__ddb_ex *e);
void wb__ddb_ex_free(struct wb__ddb_ex *e);

/** The ConditionExpression of cond into t (nothing for WB_COND_NONE). */
int wb__ddb_cond_text(wb_db *db, struct wb__ddb_ex *e, wb_buf *t, const wb_cond *cond,
		      const wb_key_schema *ks);
/** Check a condition's fields; WB_EINVALID with a message naming the table. */
int wb__ddb_check_cond(wb_db *db, const char *table, const wb_cond *cond);
/** Make a condition failure's message say what failed; returns WB_ECONDITION. */
int wb__ddb_cond_failed(wb_db *db, const char *op, const char *table, const wb_cond *cond);

/* ------------------------------------------------------ requests */

/** Start a request: {"TableName":"T" */
void wb__ddb_req_start(wb_buf *req, const char *table);
/** ,"NAME":TEXT */
void wb__ddb_req_member(wb_buf *req, const char *name, const char *text);
/** ,"NAME":"EXPRESSION" (expressions hold only placeholders and operators) */
void wb__ddb_req_expr(wb_buf *req, const char *name, const wb_buf *expr);
/** Send a finished request; the answer (caller frees) through resp, when not NULL. */
int wb__ddb_send_req(wb_db *db, const char *op, const char *table, wb_buf *req, char **resp, size_t *len);
/** Close and send a request with an optional condition; the answer is dropped. */
int wb__ddb_send_cond(wb_db *db, const char *op, const char *table, wb_buf *req, struct wb__ddb_ex *e,
		      wb_buf *cond_expr, const wb_cond *cond);

#endif /* WB_DYNAMODB_EXPR_H */
