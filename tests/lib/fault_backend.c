/*
 * fault_backend.c - the fault-injecting test backend (fault_backend.h).
 *
 * Each wrapper handle holds the inner handle, its rules and call counts
 * (under a mutex: worker threads may share it) and its own copy of the
 * table of operations, whose caps, each_page and tx_write mirror the inner
 * handle's, so that the layers above take the same paths as on the real
 * store.  Every operation counts the call, fires a rule before or after
 * forwarding with the public wb_* calls (wb__db_* for the optional ones),
 * and copies the inner handle's message onto the wrapper when it fails.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "fault_backend.h"

#define MAX_RULES 8

/* One rule (fault_backend.h). */
struct rule {
	wbt_fop op;          /* the operation it counts, or WBT_FOP_ANY */
	unsigned long nth;   /* the call that fails (1 = the first after the rule was added) */
	unsigned long seen;  /* calls counted so far */
	int code;            /* the WB_E* code it injects */
	int flags;           /* WBT_FAULT_* */
};

/* A wrapper handle's state (db->state). */
struct fault_state {
	struct wb_backend_ops ops;            /* this handle's table: fault_ops with the inner caps */
	wb_db *inner;                         /* the wrapped handle (owned) */
	pthread_mutex_t lock;                 /* guards everything below */
	struct rule rules[MAX_RULES];         /* the rules */
	size_t nrules;                        /* how many */
	unsigned long calls[WBT_FOP_COUNT];   /* calls per operation ([0]: all) */
	unsigned long injected;               /* failures injected */
};

/* What one call is to do: the rule that fired, if any. */
struct fault {
	wbt_fop op;          /* the call's operation */
	unsigned long call;  /* its number among calls of that operation */
	int code;            /* the code to inject, 0 for none */
	int flags;           /* the rule's flags */
};

static const char *const op_names[WBT_FOP_COUNT] = {
	"any", "table_create", "table_describe", "table_list", "table_drop", "get", "put", "del",
	"update", "batch_write", "query_page", "scan_page", "each_page", "tx_write",
};

static const struct wb_backend_ops fault_ops;

#define S(db) ((struct fault_state *)(db)->state)

/* Count a call of op; *f says whether and when a rule fires.  1 when it fires now (before). */
static int fault_before(wb_db *db, wbt_fop op, struct fault *f)
{
	struct fault_state *st = S(db);

	memset(f, 0, sizeof(*f));
	f->op = op;
	pthread_mutex_lock(&st->lock);
	st->calls[WBT_FOP_ANY]++;
	f->call = ++st->calls[op];
	for (size_t i = 0; i < st->nrules; i++) {
		struct rule *r = &st->rules[i];
		if (r->op != WBT_FOP_ANY && r->op != op)
			continue;
		r->seen++;
		if (!f->code && (r->seen == r->nth || ((r->flags & WBT_FAULT_STICKY) && r->seen > r->nth))) {
			f->code = r->code;
			f->flags = r->flags;
		}
	}
	st->injected += f->code != 0;
	pthread_mutex_unlock(&st->lock);
	return f->code && !(f->flags & WBT_FAULT_AFTER);
}

/* The injected failure, with a message naming the operation and the call. */
static int fault_fire(wb_db *db, const struct fault *f)
{
	return wb__error(db, f->code, "fault injected: %s call %lu%s fails (%s)", op_names[f->op], f->call,
			 (f->flags & WBT_FAULT_AFTER) ? " (after it ran)" : "", wb_strerror(f->code));
}

/* The result of a forwarded call: its own failure, or the rule's after it ran. */
static int fault_after(wb_db *db, const struct fault *f, int rc)
{
	if (rc < 0)
		return wb__error_to_db(db, rc);
	return f->code ? fault_fire(db, f) : rc;
}

/* ------------------------------------------------------------ operations */

static int f_open(wb_db *db, const char *url)
{
	WB_UNUSED(url);
	db->state = NULL; /* set by wbt_fault_wrap */
	return 0;
}

static void f_close(wb_db *db)
{
	struct fault_state *st = S(db);

	if (!st)
		return;
	wb_close(st->inner);
	pthread_mutex_destroy(&st->lock);
	free(st);
	db->state = NULL;
}

static int f_table_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_TABLE_CREATE, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_table_create(S(db)->inner, name, key));
}

static int f_table_describe(wb_db *db, const char *name, wb_table_desc *out)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_TABLE_DESCRIBE, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_table_describe(out, S(db)->inner, name));
}

static int f_table_list(wb_db *db, char ***out, size_t *count)
{
	struct fault f;
	int rc;

	*out = NULL;
	*count = 0;
	if (fault_before(db, WBT_FOP_TABLE_LIST, &f))
		return fault_fire(db, &f);
	if ((rc = fault_after(db, &f, wb_table_list(out, count, S(db)->inner))) < 0) {
		wb_strings_free(*out);
		*out = NULL;
		*count = 0;
	}
	return rc;
}

static int f_table_drop(wb_db *db, const char *name)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_TABLE_DROP, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_table_drop(S(db)->inner, name));
}

static int f_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	struct fault f;
	int rc;

	if (fault_before(db, WBT_FOP_GET, &f))
		return fault_fire(db, &f);
	if ((rc = fault_after(db, &f, wb_get(out, S(db)->inner, table, key))) < 0) {
		wb_item_free(*out);
		*out = NULL;
	}
	return rc;
}

/* fault_after for a call that handed out a page: the page is freed (and *out NULL) when it fails. */
static int page_after(wb_db *db, const struct fault *f, int rc, wb_page **out)
{
	if ((rc = fault_after(db, f, rc)) < 0) {
		wb_page_free(*out);
		*out = NULL;
	}
	return rc;
}

static int f_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_PUT, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_put(S(db)->inner, table, item, cond));
}

static int f_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_DEL, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_delete(S(db)->inner, table, key, cond));
}

static int f_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		    const char *const *remove, size_t nremove, const wb_cond *cond)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_UPDATE, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_update(S(db)->inner, table, key, set, remove, nremove, cond));
}

static int f_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_BATCH_WRITE, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb_batch_write(S(db)->inner, writes, n, failed_index));
}

static int f_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_QUERY_PAGE, &f))
		return fault_fire(db, &f);
	return page_after(db, &f, wb_query_page(out, S(db)->inner, table, q), out);
}

static int f_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *s)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_SCAN_PAGE, &f))
		return fault_fire(db, &f);
	return page_after(db, &f, wb_scan_page(out, S(db)->inner, table, s), out);
}

/* The caller's hooks, called with the wrapper (so that their tx_write comes through it). */
struct hooks_fwd {
	wb_db *outer;                 /* the wrapper */
	const wb__page_hooks *user;   /* the caller's hooks */
};

static int fwd_on_change(wb_db *inner, const wb_item *before, const wb_item *after, void *arg)
{
	const struct hooks_fwd *h = arg;

	WB_UNUSED(inner);
	return h->user->on_change(h->outer, before, after, h->user->arg);
}

static int fwd_before_commit(wb_db *inner, const wb__page_result *page, void *arg)
{
	const struct hooks_fwd *h = arg;

	WB_UNUSED(inner);
	return h->user->before_commit(h->outer, page, h->user->arg);
}

static int f_each_page(wb_db *db, const char *table, const wb_scan *sc, wb_item_fn fn, void *arg,
		       const wb__page_hooks *hooks, wb__page_result *out)
{
	struct hooks_fwd h = {db, hooks};
	wb__page_hooks mine = {hooks && hooks->on_change ? fwd_on_change : NULL,
			       hooks && hooks->before_commit ? fwd_before_commit : NULL, &h, hooks && hooks->dev};
	struct fault f;
	int rc;

	if (fault_before(db, WBT_FOP_EACH_PAGE, &f))
		return fault_fire(db, &f);
	rc = wb__db_each_page(S(db)->inner, table, sc, fn, arg, hooks ? &mine : NULL, out);
	if ((rc = fault_after(db, &f, rc)) < 0) {
		wb_item_free(out->last_key);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

static int f_tx_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	struct fault f;

	if (fault_before(db, WBT_FOP_TX_WRITE, &f))
		return fault_fire(db, &f);
	return fault_after(db, &f, wb__db_tx_write(S(db)->inner, writes, n, failed_index));
}

/* Indexes are read through the inner handle, without faults. */
static int f_table_indexes(wb_db *db, const char *name, wb_index **out, size_t *count)
{
	int rc = wb_table_indexes(out, count, S(db)->inner, name);

	return rc < 0 ? wb__error_to_db(db, rc) : rc;
}

static const struct wb_backend_ops fault_ops = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "fault",
	.caps = 0, /* per handle: the inner handle's (wbt_fault_wrap) */
	.open = f_open,
	.close = f_close,
	.table_create = f_table_create,
	.table_describe = f_table_describe,
	.table_list = f_table_list,
	.table_drop = f_table_drop,
	.get = f_get,
	.put = f_put,
	.del = f_del,
	.update = f_update,
	.batch_write = f_batch_write,
	.query_page = f_query_page,
	.scan_page = f_scan_page,
	.each_page = f_each_page,
	.tx_write = f_tx_write,
	.table_indexes = f_table_indexes,
};

/* ---------------------------------------------------------------- set up */

int wbt_fault_wrap(wb_db **out, wb_db *inner)
{
	struct fault_state *st;
	int rc;

	*out = NULL;
	if (!inner)
		return wb__error(NULL, WB_EINVALID, "fault backend: no handle to wrap");
	if (!(st = calloc(1, sizeof(*st)))) {
		wb_close(inner);
		return wb__oom(NULL);
	}
	if ((rc = wb__db_open_with(out, &fault_ops, wb_db_url(inner))) < 0) {
		wb_close(inner);
		free(st);
		return rc;
	}
	st->ops = fault_ops;
	st->ops.caps = inner->ops->caps;
	if (!inner->ops->each_page)
		st->ops.each_page = NULL;
	if (!inner->ops->tx_write)
		st->ops.tx_write = NULL;
	st->inner = inner;
	pthread_mutex_init(&st->lock, NULL);
	(*out)->state = st;
	(*out)->ops = &st->ops;
	return 0;
}

int wbt_fault_open(wb_db **out, const char *url)
{
	wb_db *inner = NULL;
	int rc;

	*out = NULL;
	if ((rc = wb_open(&inner, url)) < 0)
		return rc;
	return wbt_fault_wrap(out, inner);
}

/* The state of a wrapper handle, or NULL. */
static struct fault_state *state_of(wb_db *db)
{
	return db && db->ops->open == f_open ? db->state : NULL;
}

int wbt_fault_add(wb_db *db, wbt_fop op, unsigned long nth, int code, int flags)
{
	struct fault_state *st = state_of(db);
	int rc = 0;

	if (!st || (unsigned)op >= WBT_FOP_COUNT || nth < 1 || code >= 0)
		return wb__error(NULL, WB_EINVALID, "wbt_fault_add: not a fault wrapper, or a bad rule");
	pthread_mutex_lock(&st->lock);
	if (st->nrules == MAX_RULES)
		rc = wb__error(NULL, WB_EINVALID, "wbt_fault_add: at most %d rules", MAX_RULES);
	else
		st->rules[st->nrules++] = (struct rule){op, nth, 0, code, flags};
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void wbt_fault_clear(wb_db *db)
{
	struct fault_state *st = state_of(db);

	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->nrules = 0;
	pthread_mutex_unlock(&st->lock);
}

unsigned long wbt_fault_calls(wb_db *db, wbt_fop op)
{
	struct fault_state *st = state_of(db);
	unsigned long n;

	if (!st || (unsigned)op >= WBT_FOP_COUNT)
		return 0;
	pthread_mutex_lock(&st->lock);
	n = st->calls[op];
	pthread_mutex_unlock(&st->lock);
	return n;
}

unsigned long wbt_fault_injected(wb_db *db)
{
	struct fault_state *st = state_of(db);
	unsigned long n;

	if (!st)
		return 0;
	pthread_mutex_lock(&st->lock);
	n = st->injected;
	pthread_mutex_unlock(&st->lock);
	return n;
}

wb_db *wbt_fault_inner(wb_db *db)
{
	struct fault_state *st = state_of(db);

	return st ? st->inner : NULL;
}
