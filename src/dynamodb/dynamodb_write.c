/*
 * dynamodb_write.c - the writes of the dynamodb backend: PutItem,
 * DeleteItem, UpdateItem and BatchWriteItem (declared in dynamodb_store.h;
 * the request text comes from dynamodb_expr.h).
 *
 * Batches go in rounds: consecutive writes of one kind (conditional or
 * not) to distinct keys, sent at once over the lanes (dynamodb_pool.h):
 * each conditional write one request, the unconditional ones by
 * BatchWriteItem, 25 a request (UnprocessedItems re-sent with backoff).
 * A repeated key or a change of kind starts the next round, so writes to
 * one key keep their order.  The batch is not atomic and several of its
 * writes may fail: the rest of a failed round completes, no later round is
 * sent, and wb_batch_write_each tells every write's fate (without lanes a
 * round goes in order and stops at its first failure).
 * Writes conditional on WB_COND_ITEM_EQUALS go through
 * dynamodb_unchanged.c: a put becomes an UpdateItem of the differences
 * (nested paths included), so attributes another writer added meanwhile
 * survive, and conditions stay within DynamoDB's 4 KB expression limit.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "dynamodb_expr.h"
#include "dynamodb_store.h"
#include "dynamodb_unchanged.h"
#include "dynamodb_pool.h"
#include "strset.h"

/* ------------------------------------------------------ items */


static int is_key_attr(const wb_key_schema *ks, const char *name)
{
	return strcmp(name, ks->pk_name) == 0 || (ks->sk_name[0] && strcmp(name, ks->sk_name) == 0);
}

/* PutItem of item, with its condition. */
static int plain_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond,
		     const wb_key_schema *ks)
{
	wb_buf req = {0}, ce = {0};
	struct wb__ddb_ex e = {0};
	char *text = NULL;
	int rc;

	if ((rc = wb_item_to_json(&text, item, WB_JSON_DDB)) < 0)
		return wb__error_to_db(db, rc);
	wb__ddb_req_start(&req, table);
	wb__ddb_req_member(&req, "Item", text);
	wb_string_free(text);
	if ((rc = wb__ddb_cond_text(db, &e, &ce, cond, ks)) == 0)
		rc = wb__ddb_send_cond(db, "PutItem", table, &req, &e, &ce, cond);
	wb__buf_free(&req);
	wb__buf_free(&ce);
	wb__ddb_ex_free(&e);
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
static int update_text(wb_db *db, struct wb__ddb_ex *e, wb_buf *t, const wb_key_schema *ks,
		       const wb_item *set, const char *const *remove, size_t nremove)
{
	struct wb__ddb_itext it = {0};
	char pn[16], pv[16];
	int first = 1, rc;

	if (set && wb_item_count(set) && (rc = wb__ddb_itext_make(db, set, &it)) < 0)
		return rc;
	for (size_t i = 0; i < it.n; i++) {
		const char *name = wb_item_name_at(set, i);
		if (is_key_attr(ks, name))
			continue;
		wb__buf_puts(t, first ? "SET " : ", ");
		wb__buf_puts(t, wb__ddb_ex_name(e, pn, name));
		wb__buf_puts(t, " = ");
		wb__buf_puts(t, wb__ddb_ex_span(e, pv, it.vals[i]));
		first = 0;
	}
	wb__ddb_itext_free(&it);
	for (size_t i = 0; i < nremove; i++) {
		wb__buf_puts(t, i ? ", " : (t->len ? " REMOVE " : "REMOVE "));
		wb__buf_puts(t, wb__ddb_ex_name(e, pn, remove[i]));
	}
	return 0;
}

static int do_update(wb_db *db, const char *table, const wb_key_schema *ks, const wb_item *key,
		     const wb_item *set, const char *const *remove, size_t nremove, const wb_cond *cond)
{
	wb_buf req = {0}, ue = {0}, ce = {0};
	struct wb__ddb_ex e = {0};
	char *k = NULL;
	int rc;

	if ((rc = check_update_keys(db, table, ks, key, set, remove, nremove)) < 0 ||
	    (rc = wb__ddb_key_text(db, &k, key, ks, table)) < 0)
		return rc;
	wb__ddb_req_start(&req, table);
	wb__ddb_req_member(&req, "Key", k);
	free(k);
	if ((rc = update_text(db, &e, &ue, ks, set, remove, nremove)) == 0 && cond &&
	    cond->kind == WB_COND_ITEM_EQUALS) {
		rc = wb__ddb_update_unchanged(db, table, ks, key, &ue, &e, set, remove, nremove, cond->expect);
	} else if (rc == 0 && (rc = wb__ddb_cond_text(db, &e, &ce, cond, ks)) == 0) {
		if (ue.len)
			wb__ddb_req_expr(&req, "UpdateExpression", &ue);
		rc = wb__ddb_send_cond(db, "UpdateItem", table, &req, &e, &ce, cond);
	}
	wb__buf_free(&req);
	wb__buf_free(&ue);
	wb__buf_free(&ce);
	wb__ddb_ex_free(&e);
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

	if ((rc = wb__ddb_check_cond(db, table, cond)) < 0 || (rc = wb__ddb_key_of(db, table, &ks)) < 0 ||
	    (rc = check_key(db, item, &ks, "put into", table)) < 0)
		return rc;
	if (cond && cond->kind == WB_COND_ITEM_EQUALS)
		return wb__ddb_put_unchanged(db, table, item, cond->expect, &ks);
	return plain_put(db, table, item, cond, &ks);
}

int wb__ddb_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	wb_key_schema ks;
	wb_buf req = {0}, ce = {0};
	struct wb__ddb_ex e = {0};
	char *k = NULL;
	int rc;

	if ((rc = wb__ddb_check_cond(db, table, cond)) < 0 || (rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	if (cond && cond->kind == WB_COND_ITEM_EQUALS)
		return wb__ddb_del_unchanged(db, table, key, cond->expect, &ks);
	if ((rc = wb__ddb_key_text(db, &k, key, &ks, table)) < 0)
		return rc;
	wb__ddb_req_start(&req, table);
	wb__ddb_req_member(&req, "Key", k);
	free(k);
	if ((rc = wb__ddb_cond_text(db, &e, &ce, cond, &ks)) == 0)
		rc = wb__ddb_send_cond(db, "DeleteItem", table, &req, &e, &ce, cond);
	wb__buf_free(&req);
	wb__buf_free(&ce);
	wb__ddb_ex_free(&e);
	return rc;
}

int wb__ddb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		   const char *const *remove, size_t nremove, const wb_cond *cond)
{
	wb_key_schema ks;
	int rc;

	if ((rc = wb__ddb_check_cond(db, table, cond)) < 0 || (rc = wb__ddb_key_of(db, table, &ks)) < 0)
		return rc;
	return do_update(db, table, &ks, key, set, remove, nremove, cond);
}

/* ------------------------------------------------------ batches */

/* One request's worth of unconditional writes. */
struct chunk {
	const char *table[25]; /* table of each write */
	char *entry[25];       /* {"PutRequest":{"Item":...}} or {"DeleteRequest":{"Key":...}} */
	size_t index[25];      /* index in the batch of each */
	size_t n;              /* writes in the chunk */
};

static void chunk_clear(struct chunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->entry[i]);
	c->n = 0;
}

/* {"RequestItems":{"T":[entries...],...}} of the chunk, tables in order of first use. */
static void chunk_request(const struct chunk *c, wb_buf *req)
{
	int done[25] = {0};

	wb__buf_puts(req, "{\"RequestItems\":{");
	for (size_t i = 0; i < c->n; i++) {
		if (done[i])
			continue;
		wb__buf_puts(req, i ? "],\"" : "\"");
		wb__buf_puts(req, c->table[i]);
		wb__buf_puts(req, "\":[");
		for (size_t j = i; j < c->n; j++) {
			if (done[j] || strcmp(c->table[j], c->table[i]) != 0)
				continue;
			if (j != i)
				wb__buf_puts(req, ",");
			wb__buf_puts(req, c->entry[j]);
			done[j] = 1;
		}
	}
	wb__buf_puts(req, "]}}");
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
static int send_batch(wb_db *db, wb_buf *req, const char *table_for_msg)
{
	uint64_t start = wb__ddb_now_ms();
	wb_buf next = {0};
	int rc = 0;

	for (unsigned attempt = 1;; attempt++) {
		char *resp = NULL;
		size_t len = 0, left = 0;
		struct wb__span un;
		if ((rc = wb__ddb_send_req(db, "BatchWriteItem", table_for_msg, req, &resp, &len)) < 0)
			break;
		un = wb__json_member(resp, len, "UnprocessedItems");
		if (un.p)
			wb__json_members(un.p, un.len, count_entries, &left);
		if (left == 0) {
			free(resp);
			break;
		}
		wb__buf_clear(&next);
		wb__buf_puts(&next, "{\"RequestItems\":");
		wb__ddb_span(&next, un);
		wb__buf_puts(&next, "}");
		free(resp);
		wb_buf tmp = *req;
		*req = next;
		next = tmp;
		if ((rc = wb__ddb_backoff_unprocessed(wb__ddb_client_of(db), db, "BatchWriteItem", table_for_msg,
						      attempt, start, left)) < 0)
			break;
	}
	wb__buf_free(&next);
	return rc;
}

/* The request entry of write w, whose key text is k. */
static int entry_text(wb_db *db, const wb_write *w, const char *k, char **out)
{
	wb_buf t = {0};
	char *text = NULL;
	int rc;

	if (w->kind == WB_WRITE_PUT) {
		if ((rc = wb_item_to_json(&text, w->item, WB_JSON_DDB)) < 0)
			return wb__error_to_db(db, rc);
		wb__buf_puts(&t, "{\"PutRequest\":{\"Item\":");
		wb__buf_puts(&t, text);
		wb_string_free(text);
	} else {
		wb__buf_puts(&t, "{\"DeleteRequest\":{\"Key\":");
		wb__buf_puts(&t, k);
	}
	wb__buf_puts(&t, "}}");
	return wb__buf_take(&t, out) < 0 ? wb__oom(db) : 0;
}

static int write_one(wb_db *db, const wb_write *w)
{
	if (w->kind == WB_WRITE_PUT)
		return wb__ddb_put(db, w->table, w->item, w->cond);
	return wb__ddb_del(db, w->table, w->item, w->cond);
}

static int conditional(const wb_write *w)
{
	return w->cond && w->cond->kind != WB_COND_NONE;
}

/*
 * A round: writes of a batch sent at once over the lanes (dynamodb_pool.h),
 * no key twice, so their order does not matter: each conditional write one
 * request, the unconditional ones in chunks of 25 (BatchWriteItem).
 */
struct round {
	wb_db *db;
	const wb_write *w;  /* the batch */
	int *results;       /* the batch's results (wb_batch_write_each) */
	char **msg;         /* message of each failed write (malloc'ed), else NULL */
	size_t *cond;       /* indices of the round's conditional writes */
	size_t ncond, cond_cap;
	struct chunk *chunks; /* its unconditional writes */
	size_t nchunks, chunks_cap;
	wb_strset keys;     /* "TABLE KEY" of every write of the round */
	int one_by_one;     /* no lanes: stop at the first failure, as in order */
	int failed;         /* a write of the round failed */
};

/* Write i of the batch failed with rc (the message is this thread's last error). */
static void round_fail(struct round *r, size_t i, int rc)
{
	r->results[i] = rc;
	if (!r->msg[i])
		r->msg[i] = strdup(wb_error_last());
	__atomic_store_n(&r->failed, 1, __ATOMIC_RELAXED);
}

/* A lane's task: conditional write t, or chunk t - ncond. */
static void round_task(void *arg, size_t t)
{
	struct round *r = arg;
	int rc;

	if (r->one_by_one && __atomic_load_n(&r->failed, __ATOMIC_RELAXED))
		return; /* left WB_WRITE_NOT_SENT */
	if (t < r->ncond) {
		size_t i = r->cond[t];
		if ((rc = write_one(r->db, &r->w[i])) < 0)
			round_fail(r, i, rc);
		else
			r->results[i] = 0;
		return;
	}
	struct chunk *c = &r->chunks[t - r->ncond];
	wb_buf req = {0};
	chunk_request(c, &req);
	rc = req.oom ? wb__oom(r->db) : send_batch(r->db, &req, c->table[0]);
	wb__buf_free(&req);
	for (size_t j = 0; j < c->n; j++) {
		if (rc < 0)
			round_fail(r, c->index[j], rc);
		else
			r->results[c->index[j]] = 0;
	}
}

/* Send the round's writes and forget them: 0, or WB_ECONDITION etc. when one failed. */
static int round_send(struct round *r)
{
	size_t n = r->ncond + r->nchunks;

	if (n)
		wb__ddb_pool_run(n, round_task, r);
	for (size_t i = 0; i < r->nchunks; i++)
		chunk_clear(&r->chunks[i]);
	r->ncond = r->nchunks = 0;
	wb__strset_free(&r->keys);
	memset(&r->keys, 0, sizeof(r->keys));
	return r->failed ? WB_ECONDITION : 0;
}

/* Grow *arr (of *cap elements of size sz) to hold one more than n; 0 or WB_ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 16;
	void *p = realloc(*arr, c * sz);
	if (!p)
		return WB_ENOMEM;
	memset((char *)p + *cap * sz, 0, (c - *cap) * sz);
	*arr = p;
	*cap = c;
	return 0;
}

/* Add write i to the round, whose key text is k (taken). */
static int round_add(struct round *r, size_t i, char *k)
{
	const wb_write *w = &r->w[i];
	struct chunk *c;
	char *entry = NULL;
	int rc;

	if (conditional(w)) {
		free(k);
		if (grow((void **)&r->cond, &r->cond_cap, r->ncond, sizeof(*r->cond)) < 0)
			return wb__oom(r->db);
		r->cond[r->ncond++] = i;
		return 0;
	}
	rc = entry_text(r->db, w, k, &entry);
	free(k);
	if (rc < 0)
		return rc;
	if ((r->nchunks == 0 || r->chunks[r->nchunks - 1].n == 25) &&
	    grow((void **)&r->chunks, &r->chunks_cap, r->nchunks++, sizeof(*r->chunks)) < 0) {
		r->nchunks--;
		free(entry);
		return wb__oom(r->db);
	}
	c = &r->chunks[r->nchunks - 1];
	c->table[c->n] = w->table;
	c->entry[c->n] = entry;
	c->index[c->n++] = i;
	return 0;
}

/* The key text of write i, with "TABLE " before it in *mark (both malloc'ed). */
static int write_key(struct round *r, size_t i, char **k, char **mark)
{
	const wb_write *w = &r->w[i];
	wb_key_schema ks;
	int rc;

	*k = *mark = NULL;
	if ((rc = wb__ddb_key_of(r->db, w->table, &ks)) < 0 ||
	    (rc = wb__ddb_key_text(r->db, k, w->item, &ks, w->table)) < 0)
		return rc;
	if (asprintf(mark, "%s %s", w->table, *k) < 0) {
		free(*k);
		*k = *mark = NULL;
		return wb__oom(r->db);
	}
	return 0;
}

/*
 * Queue write i, sending the round first when its key is in it already or
 * it is of the other kind (conditional or not), so a round's tasks run in
 * the batch's order when there are no lanes.
 */
static int queue_write(struct round *r, size_t i)
{
	int other = conditional(&r->w[i]) ? r->nchunks > 0 : r->ncond > 0;
	char *k, *mark;
	int rc;

	if ((rc = write_key(r, i, &k, &mark)) < 0)
		return rc;
	if ((other || wb__strset_has(&r->keys, mark)) && (rc = round_send(r)) < 0) {
		free(k);
		free(mark);
		return rc;
	}
	if (wb__strset_add(&r->keys, mark) < 0) {
		free(k);
		free(mark);
		return wb__oom(r->db);
	}
	free(mark);
	return round_add(r, i, k);
}

static void round_free(struct round *r)
{
	for (size_t i = 0; i < r->nchunks; i++)
		chunk_clear(&r->chunks[i]);
	free(r->chunks);
	free(r->cond);
	wb__strset_free(&r->keys);
}

/* The code of the first failed write, its message on db (with how many failed); 0 when none. */
static int batch_outcome(wb_db *db, const int *results, char **msg, size_t n)
{
	size_t failed = 0, first = n;

	for (size_t i = 0; i < n; i++)
		if (results[i] < 0 && failed++ == 0)
			first = i;
	if (!failed)
		return 0;
	if (failed == 1)
		return wb__error(db, results[first], "%s", msg[first] ? msg[first] : wb_strerror(results[first]));
	return wb__error(db, results[first], "%zu writes of the batch failed, the first (write %zu): %s", failed,
			 first, msg[first] ? msg[first] : wb_strerror(results[first]));
}

int wb__ddb_batch_write_each(wb_db *db, const wb_write *writes, size_t n, int *results)
{
	struct round r = {.db = db, .w = writes, .results = results, .one_by_one = wb__ddb_concurrency() == 1};
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		results[i] = WB_WRITE_NOT_SENT;
	if (n && !(r.msg = wb__calloc(n, sizeof(char *))))
		return wb__error_to_db(db, WB_ENOMEM);
	for (size_t i = 0; i < n && rc == 0 && !r.failed; i++) {
		if ((rc = queue_write(&r, i)) < 0 && !r.failed) { /* write i could not be queued */
			char *msg = strdup(wb_error_last());
			round_send(&r); /* the writes before it go all the same */
			r.results[i] = rc;
			r.msg[i] = msg;
		}
	}
	if (rc == 0 && !r.failed)
		round_send(&r);
	round_free(&r);
	rc = batch_outcome(db, results, r.msg, n);
	for (size_t i = 0; i < n; i++)
		free(r.msg[i]);
	free(r.msg);
	if (rc == 0)
		wb_error_clear();
	return rc;
}

int wb__ddb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	int *results = n ? wb__calloc(n, sizeof(int)) : NULL;
	int rc;

	if (n && !results)
		return wb__error_to_db(db, WB_ENOMEM);
	if ((rc = wb__ddb_batch_write_each(db, writes, n, results)) < 0 && failed_index)
		for (size_t i = 0; i < n; i++)
			if (results[i] < 0) {
				*failed_index = i;
				break;
			}
	free(results);
	return rc;
}
