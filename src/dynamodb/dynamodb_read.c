/*
 * dynamodb_read.c - the reads of the dynamodb backend: GetItem, and Query
 * and Scan a page at a time (declared in dynamodb_store.h; the request text
 * comes from dynamodb_expr.h).  Reads are strongly consistent, except those
 * of a global secondary index (DynamoDB has no such reads: they are
 * eventually consistent); each item of an answer is converted once, from
 * its span of the answer's text.  A read of an index names its IndexName,
 * puts its key condition on the index's keys and pages from the whole
 * LastEvaluatedKey (the table's and the index's keys).
 *
 * Read-ahead: when a scan page has a next one (and the process has lanes,
 * dynamodb_pool.h), the request of the next page is sent at once on a
 * lane, so it is read while the caller works on this one (wb_each writes
 * it).  The next wb_scan_page of the handle whose request is the same
 * takes its answer; any other discards it.  A scan is no snapshot on
 * DynamoDB anyway: the next page may thus be read before the caller's own
 * writes to it (wb_each's conditions catch that; a plain reader who writes
 * ahead of its scan sees the page as it was a few ms earlier).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "dynamodb_expr.h"
#include "dynamodb_store.h"
#include "dynamodb_pool.h"

/* ------------------------------------------------------ items */

int wb__ddb_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	wb_key_schema ks;
	wb_buf req = {0};
	char *k = NULL, *resp = NULL;
	size_t len = 0;
	struct wb__span item;
	int rc;

	*out = NULL;
	if ((rc = wb__ddb_key_of(db, table, &ks)) < 0 || (rc = wb__ddb_key_text(db, &k, key, &ks, table)) < 0)
		return rc;
	wb__ddb_req_start(&req, table);
	wb__ddb_req_member(&req, "Key", k);
	wb__buf_puts(&req, ",\"ConsistentRead\":true}");
	free(k);
	rc = wb__ddb_send_req(db, "GetItem", table, &req, &resp, &len);
	wb__buf_free(&req);
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
static int key_condition(wb_db *db, struct wb__ddb_ex *e, wb_buf *t, const wb_key_schema *ks,
			 const wb_query *q, const char *table)
{
	char pn[16], pv[16], pn2[16], pv2[16], pv3[16];
	int rc = 0;

	wb__buf_puts(t, wb__ddb_ex_name(e, pn, ks->pk_name));
	wb__buf_puts(t, " = ");
	wb__buf_puts(t, wb__ddb_ex_value(e, pv, db, q->pk, &rc));
	if (q->sk_op == WB_SK_NONE)
		return rc;
	if (!ks->sk_name[0])
		return wb__error(db, WB_EINVALID, "query of %s: the %s has no sort key", table, q->index ? "index" : "table");
	if (q->sk_op < 0 || q->sk_op > WB_SK_BETWEEN)
		return wb__error(db, WB_EINVALID, "query of %s: unknown sort key condition", table);
	wb__buf_puts(t, " AND ");
	if (q->sk_op == WB_SK_BEGINS_WITH) {
		wb__buf_puts(t, "begins_with(");
		wb__buf_puts(t, wb__ddb_ex_name(e, pn2, ks->sk_name));
		wb__buf_puts(t, ", ");
		wb__buf_puts(t, wb__ddb_ex_value(e, pv2, db, q->sk_a, &rc));
		wb__buf_puts(t, ")");
	} else if (q->sk_op == WB_SK_BETWEEN) {
		wb__buf_puts(t, wb__ddb_ex_name(e, pn2, ks->sk_name));
		wb__buf_puts(t, " BETWEEN ");
		wb__buf_puts(t, wb__ddb_ex_value(e, pv2, db, q->sk_a, &rc));
		wb__buf_puts(t, " AND ");
		wb__buf_puts(t, wb__ddb_ex_value(e, pv3, db, q->sk_b, &rc));
	} else {
		wb__buf_puts(t, wb__ddb_ex_name(e, pn2, ks->sk_name));
		wb__buf_puts(t, " ");
		wb__buf_puts(t, sk_ops[q->sk_op]);
		wb__buf_puts(t, " ");
		wb__buf_puts(t, wb__ddb_ex_value(e, pv2, db, q->sk_a, &rc));
	}
	return rc;
}

/*
 * Limit and ExclusiveStartKey, common to Query and Scan: the table's key
 * attributes of `start`, or all of them when reading an index (`whole`).
 */
static int add_paging(wb_db *db, wb_buf *req, size_t limit, const wb_item *start, const wb_key_schema *ks,
		      const char *table, int whole)
{
	char *k = NULL;
	int rc;

	if (limit) {
		wb__buf_puts(req, ",\"Limit\":");
		wb__buf_appendf(req, "%llu", (unsigned long long)(limit > 100000000 ? 100000000 : limit));
	}
	if (!start)
		return 0;
	if (whole && (rc = wb_item_to_json(&k, start, WB_JSON_DDB)) < 0)
		return wb__error_to_db(db, rc);
	if (!whole && (rc = wb__ddb_key_text(db, &k, start, ks, table)) < 0)
		return rc;
	wb__ddb_req_member(req, "ExclusiveStartKey", k);
	wb_string_free(k);
	return 0;
}

/*
 * The key schema a read is on: the table's, or its index's (then
 * ,"IndexName" goes into req).  ConsistentRead unless a global index.
 */
static int read_target(wb_db *db, wb_buf *req, const char *verb, const char *table, const char *index,
		       wb_key_schema *ks)
{
	wb_index ix;
	int rc;

	if (!index) {
		wb__buf_puts(req, ",\"ConsistentRead\":true");
		return 0;
	}
	if ((rc = wb__ddb_index_of(db, verb, table, index, &ix)) < 0)
		return rc;
	*ks = ix.key;
	wb__buf_puts(req, ",\"IndexName\":");
	wb__ddb_quoted(req, index);
	if (ix.local)
		wb__buf_puts(req, ",\"ConsistentRead\":true");
	return 0;
}

/* Send a Query or Scan request and add its answer to page p. */
static int read_page(wb_db *db, const char *op, const char *table, wb_buf *req, wb_page *p, size_t *cap)
{
	char *resp = NULL;
	size_t len = 0;
	int rc = wb__ddb_send_req(db, op, table, req, &resp, &len);

	if (rc == 0)
		rc = read_answer(db, resp, len, p, cap);
	free(resp);
	return rc;
}

int wb__ddb_query(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	wb_key_schema ks;
	wb_buf req = {0}, kc = {0};
	struct wb__ddb_ex e = {0};
	wb_page *p = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	wb__ddb_req_start(&req, table);
	wb__buf_puts(&req, q->descending ? ",\"ScanIndexForward\":false" : ",\"ScanIndexForward\":true");
	if ((rc = read_target(db, &req, "query of", table, q->index, &ks)) == 0 &&
	    (rc = key_condition(db, &e, &kc, &ks, q, table)) == 0) {
		wb__ddb_req_expr(&req, "KeyConditionExpression", &kc);
		rc = add_paging(db, &req, q->limit, q->start_after, &ks, table, q->index != NULL);
	}
	wb__ddb_ex_attach(&req, &e);
	wb__buf_puts(&req, "}");
	if (rc == 0 && !(p = wb__calloc(1, sizeof(*p))))
		rc = wb__oom(db);
	if (rc == 0)
		rc = read_page(db, "Query", table, &req, p, &cap);
	wb__buf_free(&req);
	wb__buf_free(&kc);
	wb__ddb_ex_free(&e);
	if (rc < 0) {
		wb_page_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* The Scan request of s from `start` into req. */
static int scan_request(wb_db *db, wb_buf *req, const char *table, const wb_scan *s,
			const wb_item *start, wb_key_schema ks)
{
	struct wb__ddb_ex e = {0};
	char pn[16], pv[16];
	int rc;

	wb__ddb_req_start(req, table);
	if ((rc = read_target(db, req, "scan of", table, s->index, &ks)) < 0)
		return rc;
	if (s->total_segments > 1) {
		wb__buf_puts(req, ",\"Segment\":");
		wb__buf_appendf(req, "%llu", (unsigned long long)(s->segment));
		wb__buf_puts(req, ",\"TotalSegments\":");
		wb__buf_appendf(req, "%llu", (unsigned long long)(s->total_segments));
	}
	rc = add_paging(db, req, s->limit, start, &ks, table, s->index != NULL);
	if (rc == 0 && s->pk_prefix) {
		if (ks.pk_type != WB_S) {
			rc = wb__error(db, WB_EINVALID, "scan of %s: a key prefix needs a string partition key", table);
		} else {
			wb__buf_puts(req, ",\"FilterExpression\":\"begins_with(");
			wb__buf_puts(req, wb__ddb_ex_name(&e, pn, ks.pk_name));
			wb__buf_puts(req, ", ");
			snprintf(pv, sizeof(pv), ":v%d", e.nv++);
			wb__buf_puts(&e.values, "\":v0\":{\"S\":");
			wb__ddb_quoted(&e.values, s->pk_prefix);
			wb__buf_puts(&e.values, "}");
			wb__buf_puts(req, pv);
			wb__buf_puts(req, ")\"");
			wb__ddb_ex_attach(req, &e);
		}
	}
	wb__buf_puts(req, "}");
	wb__ddb_ex_free(&e);
	return rc;
}

/*
 * One page of a scan.  With a key prefix the filter runs after Limit, so
 * an answer may hold no item yet have more to come: go on from its
 * LastEvaluatedKey until a page has items or the segment is done.
 */
/* The next page of a scan, read on a lane. */
struct wb__ddb_prefetch {
	struct wb__ddb_group g;  /* its one task */
	struct wb__ddb_task t;
	wb_db *db;
	char table[WB_NAME_MAX + 1];
	wb_buf req;              /* the request */
	char *resp;              /* its answer (malloc'ed) */
	size_t len;
	int rc;                  /* the call's code */
	char msg[1024];          /* its message when it failed */
};

static void prefetch_run(void *arg, size_t i)
{
	struct wb__ddb_prefetch *p = arg;

	WB_UNUSED(i);
	if ((p->rc = wb__ddb_send_req(p->db, "Scan", p->table, &p->req, &p->resp, &p->len)) < 0)
		snprintf(p->msg, sizeof(p->msg), "%s", wb_error_last());
}

/* Free a read-ahead page already waited for. */
static void prefetch_release(struct wb__ddb_prefetch *p)
{
	wb__buf_free(&p->req);
	free(p->resp);
	free(p);
}

void wb__ddb_prefetch_free(struct wb__ddb_prefetch *p)
{
	if (!p)
		return;
	wb__ddb_group_wait(&p->g);
	prefetch_release(p);
}

/* Start reading the page after p (of scan s) on a lane; nothing when it cannot. */
static void prefetch_start(wb_db *db, const char *table, const wb_scan *s, const wb_page *p, wb_key_schema ks)
{
	struct wb__ddb_prefetch *f;

	if (!p->last_key || wb__ddb_concurrency() < 2 || !(f = calloc(1, sizeof(*f))))
		return;
	f->db = db;
	snprintf(f->table, sizeof(f->table), "%s", table);
	if (scan_request(db, &f->req, table, s, p->last_key, ks) < 0 || f->req.oom) {
		wb__buf_free(&f->req);
		free(f);
		return;
	}
	wb__ddb_group_init(&f->g);
	f->t = (struct wb__ddb_task){prefetch_run, f, 0, NULL, NULL};
	wb__ddb_task_start(&f->g, &f->t);
	wb__ddb_prefetch_free(wb__ddb_prefetch_swap(db, f));
}

/* Send a Scan request, or take the answer read ahead for it; add the answer to p. */
static int scan_page_read(wb_db *db, const char *table, wb_buf *req, wb_page *p, size_t *cap)
{
	struct wb__ddb_prefetch *f = wb__ddb_prefetch_swap(db, NULL);
	int rc;

	if (f)
		wb__ddb_group_wait(&f->g);
	if (!f || req->oom || f->req.len != req->len || memcmp(f->req.text, req->text, req->len) != 0) {
		if (f) /* read for another scan: forget it */
			prefetch_release(f);
		return read_page(db, "Scan", table, req, p, cap);
	}
	rc = f->rc < 0 ? wb__error(db, f->rc, "%s", f->msg) : read_answer(db, f->resp, f->len, p, cap);
	prefetch_release(f);
	return rc;
}

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
		wb_buf req = {0};
		rc = scan_request(db, &req, table, s, from, ks);
		if (rc == 0)
			rc = scan_page_read(db, table, &req, p, &cap);
		wb__buf_free(&req);
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
	prefetch_start(db, table, s, p, ks);
	*out = p;
	return 0;
}

