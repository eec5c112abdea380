/*
 * plan.c - the write interceptor behind `whimbrel plan`.
 *
 * A wrapping backend (backend.h) over a real handle: reads go through to
 * the target; writes (put, delete, update, batches, table create and drop)
 * are checked against what is stored, counted and, for the first few,
 * recorded as attribute-level diffs:
 *
 *     ~ cars {"id":{"S":"car-00001"}}
 *         + price: N 0
 *         - color
 *         ~ brand: S Audi -> S BMW
 *
 * Nothing reaches the target.  One recorder (struct wb_plan) is shared by
 * the handles of every worker thread of the run, under its mutex.
 *
 * It also estimates the capacity the run would consume on DynamoDB
 * (capacity.h): the read units of the migration's own reads (the pages
 * and items it asked for, not the reads the interceptor makes to compare)
 * and the write units of the writes it would make, index writes included
 * (the tables' indexes are read once per table and kept).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "common.h"
#include "backend.h"
#include "capacity.h"
#include "run.h"
#include "wrap.h"

/* A table's key and indexes, read on its first write (a list: entries never move). */
struct plan_table {
	struct plan_table *next; /* the next table */
	char name[WB_NAME_MAX + 1]; /* its name */
	wb_key_schema key;       /* its key */
	wb_index *ix;            /* its secondary indexes (owned), or NULL */
	size_t nix;              /* how many */
};

struct wb_plan {
	pthread_mutex_t lock;  /* guards everything below */
	int max_diffs;         /* diffs to keep */
	int64_t writes;        /* items that would be written (changed or new) */
	int64_t deletes;       /* items that would be deleted */
	int64_t same;          /* writes that would change nothing */
	int64_t created;       /* tables that would be created */
	int64_t dropped;       /* tables that would be dropped */
	char **diffs;          /* recorded diffs (owned) */
	size_t ndiffs;         /* how many */
	wb_plan_units units;   /* the capacity the run would consume */
	struct plan_table *tables; /* tables seen (owned) */
};

/* The wrapper handle's state. */
struct plan_state {
	struct wb__wrap base;  /* first: the real handle (not owned) */
	struct wb_plan *plan;  /* the shared recorder (not owned) */
};

struct wb_plan *wb__plan_new(int max_diffs)
{
	struct wb_plan *p = wb__calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->max_diffs = max_diffs < 0 ? 0 : max_diffs;
	return p;
}

void wb__plan_free(struct wb_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->ndiffs; i++)
		free(plan->diffs[i]);
	free(plan->diffs);
	while (plan->tables) {
		struct plan_table *t = plan->tables;
		plan->tables = t->next;
		wb_indexes_free(t->ix, t->nix);
		free(t);
	}
	pthread_mutex_destroy(&plan->lock);
	free(plan);
}

/* ------------------------------------------------------------ diff text */

/*
 * Append the first len bytes of s with control characters escaped: names
 * and strings come from the target, and a "\n" or an ESC in them must not
 * forge a diff line or drive the terminal.
 */
static void put_escaped(wb_buf *b, const char *s, size_t len)
{
	char *raw = wb__malloc(len + 1), *esc = wb__malloc(4 * len + 1);

	if (raw && esc) {
		memcpy(raw, s, len);
		raw[len] = '\0';
		wb__buf_puts(b, wb__escape_line(esc, 4 * len + 1, raw));
	} else {
		b->oom = 1;
	}
	free(raw);
	free(esc);
}

/* "N 12", "S Audi", "L [...]": a value for people (caller frees). */
static char *value_text(const wb_value *v)
{
	wb_type t = wb_value_type(v);
	wb_buf b = {0};
	size_t len;

	if (t == WB_S || t == WB_N) {
		const char *s = wb_value_bytes(v, &len);
		wb__buf_appendf(&b, "%s ", wb_type_name(t));
		put_escaped(&b, s, len > 200 ? 200 : len);
		if (len > 200)
			wb__buf_appendf(&b, "...");
	} else if (t == WB_BOOL) {
		wb__buf_appendf(&b, "BOOL %s", wb_value_get_bool(v) ? "true" : "false");
	} else if (t == WB_NULL) {
		wb__buf_appendf(&b, "NULL");
	} else {
		wb_item *tmp = wb_item_new();
		char *json = NULL;
		if (tmp && wb_item_set(tmp, "v", wb_value_dup(v)) == 0 &&
		    wb_item_to_json(&json, tmp, WB_JSON_DDB) == 0) {
			/* {"v":{"T":X}} -> X */
			const char *x = strchr(json + 5, ':');
			size_t n = x ? strlen(x + 1) : 0;
			if (n >= 2)
				wb__buf_appendf(&b, "%s %.*s", wb_type_name(t), (int)(n - 2 > 200 ? 200 : n - 2), x + 1);
		}
		wb_string_free(json);
		wb_item_free(tmp);
	}
	return b.text ? b.text : strdup("?");
}

static void diff_attr(wb_buf *b, char sign, const char *name, const wb_value *from,
		      const wb_value *to)
{
	char *f = from ? value_text(from) : NULL;
	char *t = to ? value_text(to) : NULL;

	wb__buf_appendf(b, "    %c ", sign);
	put_escaped(b, name, strlen(name));
	if (sign == '+')
		wb__buf_appendf(b, ": %s\n", t ? t : "?");
	else if (sign == '-')
		wb__buf_appendf(b, "\n");
	else
		wb__buf_appendf(b, ": %s -> %s\n", f ? f : "?", t ? t : "?");
	free(f);
	free(t);
}

static void diff_body(wb_buf *b, const wb_item *before, const wb_item *after)
{
	for (size_t i = 0; after && i < wb_item_count(after); i++) {
		const char *name = wb_item_name_at(after, i);
		const wb_value *old = before ? wb_item_get(before, name) : NULL;
		const wb_value *now = wb_item_value_at(after, i);
		if (!old)
			diff_attr(b, '+', name, NULL, now);
		else if (!wb_value_equal(old, now))
			diff_attr(b, '~', name, old, now);
	}
	for (size_t i = 0; after && before && i < wb_item_count(before); i++) {
		const char *name = wb_item_name_at(before, i);
		if (!wb_item_get(after, name))
			diff_attr(b, '-', name, NULL, NULL);
	}
}

/* The diff of one write (caller frees). */
static char *diff_of(wb_db *inner, const char *table, const wb_item *before, const wb_item *after)
{
	const wb_item *any = before ? before : after;
	wb_buf b = {0};
	wb_table_desc desc;
	wb_item *key = NULL;
	char *kj = NULL;

	if (wb_table_describe(&desc, inner, table) == 0 && (key = wb_item_key(any, &desc.key)))
		wb_item_to_json(&kj, key, WB_JSON_DDB);
	wb__buf_appendf(&b, "%c %s %s%s\n", !after ? '-' : !before ? '+' : '~', table, kj ? kj : "",
	       !after ? " (deleted)" : !before ? " (new item)" : "");
	if (after)
		diff_body(&b, before, after);
	wb_string_free(kj);
	wb_item_free(key);
	return b.text;
}

/* ------------------------------------------------------------ capacity */

static struct plan_table *table_find(struct wb_plan *p, const char *table)
{
	struct plan_table *t;

	for (t = p->tables; t && strcmp(t->name, table) != 0; t = t->next)
		;
	return t;
}

/* The key and indexes of `table`, read on first use; NULL when unknown (a table yet to be created). */
static const struct plan_table *table_of(struct plan_state *st, const char *table)
{
	struct wb_plan *p = st->plan;
	struct plan_table *t, *had;
	wb_table_desc d;

	pthread_mutex_lock(&p->lock);
	t = table_find(p, table);
	pthread_mutex_unlock(&p->lock);
	if (t || !(t = wb__calloc(1, sizeof(*t))))
		return t;
	snprintf(t->name, sizeof(t->name), "%s", table);
	if (wb_table_describe(&d, st->base.inner, table) < 0) {
		free(t);
		return NULL;
	}
	t->key = d.key;
	if (wb_table_indexes(&t->ix, &t->nix, st->base.inner, table) < 0) {
		t->ix = NULL; /* a store without secondary indexes */
		t->nix = 0;
	}
	pthread_mutex_lock(&p->lock);
	if ((had = table_find(p, table)) == NULL) {
		t->next = p->tables;
		p->tables = t;
	}
	pthread_mutex_unlock(&p->lock);
	if (had) {
		wb_indexes_free(t->ix, t->nix);
		free(t);
	}
	return had ? had : t;
}

/* Reads of `index` of `table` are strongly consistent unless it is a global index. */
static int consistent(struct plan_state *st, const char *table, const char *index)
{
	const struct plan_table *t = index ? table_of(st, table) : NULL;

	for (size_t i = 0; t && i < t->nix; i++)
		if (strcmp(t->ix[i].name, index) == 0)
			return t->ix[i].local;
	return 1;
}

static void count_read(struct plan_state *st, double units)
{
	pthread_mutex_lock(&st->plan->lock);
	st->plan->units.rcu += units;
	pthread_mutex_unlock(&st->plan->lock);
}

static void count_page(struct plan_state *st, const char *table, const char *index, const wb_page *page)
{
	size_t bytes = 0;

	for (size_t i = 0; page && i < page->count; i++)
		bytes += wb_item_size(page->items[i]);
	count_read(st, wb__units_page(bytes, consistent(st, table, index)));
}

/* The write units of one write, into its table and its indexes; what the journal adds. */
static void count_write(struct plan_state *st, const char *table, const wb_item *before,
			const wb_item *after)
{
	const struct plan_table *t = table_of(st, table);
	double w = wb__units_write(before, after);
	double ix = t ? wb__units_index(t->ix, t->nix, &t->key, before, after) : 0;
	double j = before ? (double)wb_item_size(before) / WB_WRITE_UNIT_BYTES : 0;
	struct wb_plan *p = st->plan;

	pthread_mutex_lock(&p->lock);
	p->units.wcu += w + ix;
	p->units.index_wcu += ix;
	p->units.journal_wcu += j;
	pthread_mutex_unlock(&p->lock);
}

void wb__plan_units(struct wb_plan *plan, wb_plan_units *out)
{
	pthread_mutex_lock(&plan->lock);
	*out = plan->units;
	pthread_mutex_unlock(&plan->lock);
}

/* ------------------------------------------------------------ recording */

/* Count one intercepted write; keep its diff while there is room. */
static void record(struct plan_state *st, const char *table, const wb_item *before,
		   const wb_item *after)
{
	struct wb_plan *p = st->plan;
	int want;

	if (before && after && wb_item_equal(before, after)) {
		pthread_mutex_lock(&p->lock);
		p->same++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	count_write(st, table, before, after);
	pthread_mutex_lock(&p->lock);
	if (after)
		p->writes++;
	else
		p->deletes++;
	want = p->ndiffs < (size_t)p->max_diffs;
	pthread_mutex_unlock(&p->lock);
	if (!want)
		return;
	char *d = diff_of(st->base.inner, table, before, after);
	if (!d)
		return;
	pthread_mutex_lock(&p->lock);
	char **grown = p->ndiffs < (size_t)p->max_diffs ?
		       realloc(p->diffs, (p->ndiffs + 1) * sizeof(*p->diffs)) : NULL;
	if (grown) {
		p->diffs = grown;
		p->diffs[p->ndiffs++] = d;
		d = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	free(d);
}

void wb__plan_report(struct wb_plan *p, const wb_counters *c, FILE *f)
{
	fprintf(f, "plan: %lld item(s) would be written, %lld deleted, %lld unchanged",
		(long long)p->writes, (long long)p->deletes,
		(long long)(p->same + (c ? c->unchanged : 0)));
	if (p->created || p->dropped)
		fprintf(f, "; %lld table(s) would be created, %lld dropped",
			(long long)p->created, (long long)p->dropped);
	fprintf(f, "\n");
	fprintf(f, "plan: the run would consume about %.1f read unit(s) and %.1f write unit(s) on DynamoDB"
		" (%.1f of them index writes; a journaled run adds about %.0f)\n", p->units.rcu, p->units.wcu,
		p->units.index_wcu, ceil(p->units.journal_wcu));
	if (p->ndiffs)
		fprintf(f, "first %zu change(s):\n", p->ndiffs);
	for (size_t i = 0; i < p->ndiffs; i++)
		fputs(p->diffs[i], f);
	fprintf(f, "nothing was written (plan)\n");
}

/* ------------------------------------------------------------ conditions */

/* The stored item (or NULL when absent) for a write: from cond or a read. */
static int stored(struct plan_state *st, wb_db *db, const char *table, const wb_item *key,
		  const wb_cond *cond, wb_item **out)
{
	int rc;

	*out = NULL;
	if (cond && cond->kind == WB_COND_ITEM_EQUALS && cond->expect)
		return (*out = wb_item_dup(cond->expect)) ? 0 : wb__oom(db);
	rc = wb_get(out, st->base.inner, table, key);
	if (rc == WB_ENOTFOUND)
		return 0;
	return rc < 0 ? wb__error_to_db(db, rc) : 0;
}

/* Check a condition as the real write would (ITEM_EQUALS is taken as met). */
static int check(wb_db *db, const char *table, const wb_item *cur, const wb_cond *cond)
{
	int ok = 1;

	if (!cond)
		return 0;
	switch (cond->kind) {
	case WB_COND_NOT_EXISTS: ok = cur == NULL; break;
	case WB_COND_EXISTS: ok = cur != NULL; break;
	case WB_COND_ATTR_EQUALS:
		ok = cur && cond->attr && wb_value_equal(wb_item_get(cur, cond->attr), cond->value);
		break;
	default: break;
	}
	return ok ? 0 : wb__error(db, WB_ECONDITION, "plan: the condition of a write to %s would fail", table);
}

/* ------------------------------------------------------------ operations */

static struct plan_state *S(wb_db *db)
{
	return db->state;
}

static void p_close(wb_db *db)
{
	free(db->state);
	db->state = NULL;
}

static int p_table_create(wb_db *db, const char *name, const wb_key_schema *key)
{
	wb_table_desc d;

	WB_UNUSED(key);
	if (wb_table_describe(&d, WB_WRAP_INNER(db), name) == 0)
		return wb__error(db, WB_EEXISTS, "plan: table %s already exists", name);
	pthread_mutex_lock(&S(db)->plan->lock);
	S(db)->plan->created++;
	pthread_mutex_unlock(&S(db)->plan->lock);
	return 0;
}

/* Creating a table with indexes is planned like any creation (the inner store checks nothing yet). */
static int p_table_create_ix(wb_db *db, const char *name, const wb_key_schema *key, const wb_index *ix,
			     size_t n)
{
	WB_UNUSED(ix);
	WB_UNUSED(n);
	return p_table_create(db, name, key);
}

static int p_table_drop(wb_db *db, const char *name)
{
	wb_table_desc d;
	int rc;

	if ((rc = wb_table_describe(&d, WB_WRAP_INNER(db), name)) < 0)
		return wb__wrap_fwd(db, rc);
	pthread_mutex_lock(&S(db)->plan->lock);
	S(db)->plan->dropped++;
	pthread_mutex_unlock(&S(db)->plan->lock);
	return 0;
}

static int p_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	int rc = wb_get(out, WB_WRAP_INNER(db), table, key);

	if (rc == 0 || rc == WB_ENOTFOUND)
		count_read(S(db), wb__units_get(rc == 0 ? wb_item_size(*out) : 0, 1));
	return wb__wrap_fwd(db, rc);
}

static int p_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	wb_item *cur;
	int rc;

	if ((rc = stored(S(db), db, table, item, cond, &cur)) < 0)
		return rc;
	if ((rc = check(db, table, cur, cond)) == 0)
		record(S(db), table, cur, item);
	wb_item_free(cur);
	return rc;
}

static int p_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	wb_item *cur;
	int rc;

	if ((rc = stored(S(db), db, table, key, cond, &cur)) < 0)
		return rc;
	if ((rc = check(db, table, cur, cond)) == 0 && cur)
		record(S(db), table, cur, NULL);
	wb_item_free(cur);
	return rc;
}

static int p_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		    const char *const *remove, size_t nremove, const wb_cond *cond)
{
	wb_item *cur, *after = NULL;
	int rc;

	if ((rc = stored(S(db), db, table, key, cond, &cur)) < 0)
		return rc;
	if ((rc = check(db, table, cur, cond)) < 0)
		goto out;
	if (!(after = wb_item_dup(cur ? cur : key))) {
		rc = wb__oom(db);
		goto out;
	}
	for (size_t i = 0; set && i < wb_item_count(set); i++)
		if ((rc = wb_item_set(after, wb_item_name_at(set, i),
				      wb_value_dup(wb_item_value_at(set, i)))) < 0)
			goto out;
	for (size_t i = 0; i < nremove; i++)
		wb_item_remove(after, remove[i]);
	record(S(db), table, cur, after);
out:
	wb_item_free(cur);
	wb_item_free(after);
	return rc < 0 ? wb__error_to_db(db, rc) : 0;
}

static int p_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index)
{
	for (size_t i = 0; i < n; i++) {
		const wb_write *w = &writes[i];
		int rc = w->kind == WB_WRITE_PUT ? p_put(db, w->table, w->item, w->cond)
						 : p_del(db, w->table, w->item, w->cond);
		if (rc < 0) {
			if (failed_index)
				*failed_index = i;
			return rc;
		}
	}
	return 0;
}

static int p_query_page(wb_db *db, wb_page **out, const char *table, const wb_query *q)
{
	int rc = wb_query_page(out, WB_WRAP_INNER(db), table, q);

	if (rc == 0)
		count_page(S(db), table, q ? q->index : NULL, *out);
	return wb__wrap_fwd(db, rc);
}

static int p_scan_page(wb_db *db, wb_page **out, const char *table, const wb_scan *s)
{
	int rc = wb_scan_page(out, WB_WRAP_INNER(db), table, s);

	if (rc == 0)
		count_page(S(db), table, s ? s->index : NULL, *out);
	return wb__wrap_fwd(db, rc);
}

static const struct wb_backend_ops plan_ops = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "plan",
	.caps = 0, /* batches recorded write by write; no each_page: it intercepts writes */
	.open = wb__wrap_open,
	.close = p_close,
	.table_create = p_table_create,
	.table_describe = wb__wrap_table_describe,
	.table_list = wb__wrap_table_list,
	.table_drop = p_table_drop,
	.get = p_get,
	.put = p_put,
	.del = p_del,
	.update = p_update,
	.batch_write = p_batch_write,
	.query_page = p_query_page,
	.scan_page = p_scan_page,
	.table_create_ix = p_table_create_ix,
	.table_indexes = wb__wrap_table_indexes,
};

int wb__plan_wrap(wb_db **out, wb_db *inner, struct wb_plan *plan)
{
	struct plan_state *st = wb__calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return WB_ENOMEM;
	st->base.inner = inner;
	st->plan = plan;
	if ((rc = wb__db_open_with(out, &plan_ops, wb_db_url(inner))) < 0) {
		free(st);
		return rc;
	}
	(*out)->state = st;
	return 0;
}
