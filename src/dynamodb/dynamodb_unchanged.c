/*
 * dynamodb_unchanged.c - writes conditional on the stored item being the one
 * read (WB_COND_ITEM_EQUALS, every migration write) on the dynamodb backend
 * (declared in dynamodb_unchanged.h, used by dynamodb_write.c).
 *
 * The update: an UpdateItem that sets what changed and removes what was
 * removed.  A top-level map or list changed only inside is written by
 * document paths (SET #a.#b = :v, SET #l[2].#c = :v, REMOVE #a.#d), so a
 * small change to a large document sends only the change.  When the paths
 * would make the UpdateExpression longer than DynamoDB's 4 KB limit, whole
 * attributes are set instead; when even that is too long, the write fails
 * with WB_EINVALID naming the item's key.
 *
 * The condition: the key (the item exists), every attribute the write
 * touches (changed or removed: equal to its value as read; added: does not
 * exist), then every other attribute as read, for as long as the
 * ConditionExpression stays within the 4 KB limit.  Every item up to a few
 * hundred attributes gets the whole item compared; a wider one gets a
 * condition that still covers everything the write changes, and as many
 * other attributes as fit.  A write whose touched attributes alone do not
 * fit fails with WB_EINVALID naming the key.  A name used twice (SET and
 * condition, or many paths under one map) gets one #n placeholder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "dynamodb_expr.h"
#include "dynamodb_store.h"
#include "dynamodb_unchanged.h"

/* ------------------------------------------------------ placeholders */

/* The placeholders of one request (in e); a name already named reuses its #n. */
struct phs {
	struct wb__ddb_ex *e;
	struct named {
		const char *name; /* borrowed from the items */
		int idx;          /* its placeholder #n<idx> */
	} *ent;
	size_t n, cap;
};

static size_t digits(int n)
{
	size_t d = 1;

	while ((n /= 10) > 0)
		d++;
	return d;
}

static int ph_find(const struct phs *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->ent[i].name, name) == 0)
			return p->ent[i].idx;
	return -1;
}

/* Length of the placeholder `name` has or would get. */
static size_t ph_len(const struct phs *p, const char *name)
{
	int i = ph_find(p, name);

	return 2 + digits(i >= 0 ? i : p->e->nn);
}

static const char *ph_name(struct phs *p, char ph[16], const char *name)
{
	int i = ph_find(p, name);

	if (i >= 0) {
		snprintf(ph, 16, "#n%d", i);
		return ph;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct named *n = realloc(p->ent, cap * sizeof(*n));
		if (!n) {
			p->e->names.oom = 1; /* the request fails as out of memory */
			return wb__ddb_ex_name(p->e, ph, name);
		}
		p->ent = n;
		p->cap = cap;
	}
	p->ent[p->n++] = (struct named){name, p->e->nn};
	return wb__ddb_ex_name(p->e, ph, name);
}

static void phs_free(struct phs *p)
{
	free(p->ent);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------ the update */

static int is_key_attr(const wb_key_schema *ks, const char *name)
{
	return strcmp(name, ks->pk_name) == 0 || (ks->sk_name[0] && strcmp(name, ks->sk_name) == 0);
}

struct upd {
	wb_db *db;
	struct phs *p;
	wb_buf set, rem; /* "SET a = :v, ..." and "REMOVE b, ..." */
	int rc;          /* first conversion failure */
};

static void upd_set(struct upd *u, const wb_buf *path, const wb_value *v, const struct wb__span *whole)
{
	char pv[16];

	wb__buf_puts(&u->set, u->set.len ? ", " : "SET ");
	wb__buf_append(&u->set, path->text, path->len);
	wb__buf_puts(&u->set, " = ");
	wb__buf_puts(&u->set, whole ? wb__ddb_ex_span(u->p->e, pv, *whole)
				    : wb__ddb_ex_value(u->p->e, pv, u->db, v, &u->rc));
}

static void upd_remove(struct upd *u, const wb_buf *path)
{
	wb__buf_puts(&u->rem, u->rem.len ? ", " : "REMOVE ");
	wb__buf_append(&u->rem, path->text, path->len);
}

static void diff_value(struct upd *u, wb_buf *path, const wb_value *old, const wb_value *v);

/* path += ".#name" */
static void path_member(struct upd *u, wb_buf *path, size_t base, const char *name)
{
	char ph[16];

	path->len = base;
	wb__buf_puts(path, ".");
	wb__buf_puts(path, ph_name(u->p, ph, name));
}

static void diff_map(struct upd *u, wb_buf *path, const wb_item *old, const wb_item *m)
{
	size_t base = path->len;

	for (size_t i = 0; i < wb_item_count(m); i++) {
		const char *name = wb_item_name_at(m, i);
		const wb_value *v = wb_item_value_at(m, i), *ov = wb_item_get(old, name);
		if (ov && wb_value_equal(ov, v))
			continue;
		path_member(u, path, base, name);
		if (ov)
			diff_value(u, path, ov, v);
		else
			upd_set(u, path, v, NULL);
	}
	for (size_t i = 0; i < wb_item_count(old); i++) {
		const char *name = wb_item_name_at(old, i);
		if (wb_item_has(m, name))
			continue;
		path_member(u, path, base, name);
		upd_remove(u, path);
	}
	path->len = base;
}

static void diff_list(struct upd *u, wb_buf *path, const wb_value *old, const wb_value *l)
{
	size_t base = path->len;

	for (size_t i = 0; i < wb_value_count(l); i++) {
		const wb_value *v = wb_value_list_at(l, i), *ov = wb_value_list_at(old, i);
		if (wb_value_equal(ov, v))
			continue;
		path->len = base;
		wb__buf_appendf(path, "[%zu]", i);
		diff_value(u, path, ov, v);
	}
	path->len = base;
}

/* The changes from old to v at path: paths inside maps and same-length lists, else v whole. */
static void diff_value(struct upd *u, wb_buf *path, const wb_value *old, const wb_value *v)
{
	wb_type to = wb_value_type(old), tv = wb_value_type(v);

	if (to == WB_M && tv == WB_M)
		diff_map(u, path, wb_value_get_map(old), wb_value_get_map(v));
	else if (to == WB_L && tv == WB_L && wb_value_count(old) == wb_value_count(v))
		diff_list(u, path, old, v);
	else
		upd_set(u, path, v, NULL);
}

/*
 * The UpdateExpression taking `expect` to `item` (spans of item's values in
 * it), into t: nested paths when `paths`, else whole attributes.  Key
 * attributes never appear (a changed one was refused before).
 */
static int update_expr(wb_db *db, struct phs *p, wb_buf *t, const wb_item *item, const struct wb__ddb_itext *it,
		       const wb_item *expect, const wb_key_schema *ks, int paths)
{
	struct upd u = {.db = db, .p = p};
	wb_buf path = {0};
	char ph[16];

	for (size_t i = 0; i < wb_item_count(item); i++) {
		const char *name = wb_item_name_at(item, i);
		const wb_value *v = wb_item_value_at(item, i), *old = wb_item_get(expect, name);
		if ((old && wb_value_equal(old, v)) || is_key_attr(ks, name))
			continue;
		wb__buf_clear(&path);
		wb__buf_puts(&path, ph_name(p, ph, name));
		if (old && paths)
			diff_value(&u, &path, old, v);
		else
			upd_set(&u, &path, v, &it->vals[i]);
	}
	for (size_t i = 0; i < wb_item_count(expect); i++) {
		const char *name = wb_item_name_at(expect, i);
		if (wb_item_has(item, name) || is_key_attr(ks, name))
			continue;
		wb__buf_clear(&path);
		wb__buf_puts(&path, ph_name(p, ph, name));
		upd_remove(&u, &path);
	}
	wb__buf_append(t, u.set.text, u.set.len);
	if (u.rem.len && t->len)
		wb__buf_puts(t, " ");
	wb__buf_append(t, u.rem.text, u.rem.len);
	if (u.set.oom || u.rem.oom || path.oom)
		t->oom = 1;
	wb__buf_free(&u.set);
	wb__buf_free(&u.rem);
	wb__buf_free(&path);
	return u.rc;
}

/* ------------------------------------------------------ the condition */

/* What a write touches: the attributes whose terms the condition must hold. */
struct touch {
	const wb_item *item;              /* a put: the new item (NULL otherwise) */
	const wb_item *set;               /* an update: attributes set */
	const char *const *remove;        /* an update: attributes removed */
	size_t nremove;
	int all;                          /* a delete: every attribute */
};

static int touched(const struct touch *w, const char *name, const wb_value *was)
{
	if (w->all)
		return 1;
	if (w->item) {
		const wb_value *now = wb_item_get(w->item, name);
		return !now || !wb_value_equal(now, was);
	}
	if (w->set && wb_item_has(w->set, name))
		return 1;
	for (size_t i = 0; i < w->nremove; i++)
		if (strcmp(w->remove[i], name) == 0)
			return 1;
	return 0;
}

/* A condition being written within the limit. */
struct cond {
	struct phs *p;
	wb_buf *t;
	size_t terms;   /* terms written */
	size_t skipped; /* optional terms left out for length */
	int over;       /* a required term did not fit */
};

/* Append "#a = :v" (span) or, with no span, "attribute_not_exists(#a)" / "attribute_exists(#a)". */
static void term(struct cond *c, const char *name, const struct wb__span *was, const char *fn, int required)
{
	char pn[16], pv[16];
	size_t len = (c->t->len ? 5 : 0) + ph_len(c->p, name) +
		     (was ? 3 + 2 + digits(c->p->e->nv) : strlen(fn) + 2);

	if (c->t->len + len > WB_DDB_EXPR_MAX) {
		if (required)
			c->over = 1;
		else
			c->skipped++;
		return;
	}
	if (c->t->len)
		wb__buf_puts(c->t, " AND ");
	if (!was) {
		wb__buf_puts(c->t, fn);
		wb__buf_puts(c->t, "(");
	}
	wb__buf_puts(c->t, ph_name(c->p, pn, name));
	if (was) {
		wb__buf_puts(c->t, " = ");
		wb__buf_puts(c->t, wb__ddb_ex_span(c->p->e, pv, *was));
	} else {
		wb__buf_puts(c->t, ")");
	}
	c->terms++;
}

/*
 * The condition that the stored item is `expect` (its values' spans in et),
 * within the limit: key, touched attributes (required), added ones (must
 * not exist; required), then the rest while they fit.
 */
static void unchanged_cond(struct cond *c, const wb_item *expect, const struct wb__ddb_itext *et,
			   const wb_key_schema *ks, const struct touch *w)
{
	const wb_item *added = w->item ? w->item : w->set;
	size_t n = wb_item_count(expect);

	if (n == 0) { /* no attributes expected: only that the item exists */
		term(c, ks->pk_name, NULL, "attribute_exists", 1);
		return;
	}
	if (!wb_item_has(expect, ks->pk_name))
		term(c, ks->pk_name, NULL, "attribute_exists", 1);
	for (size_t i = 0; i < n; i++)
		if (is_key_attr(ks, wb_item_name_at(expect, i)))
			term(c, wb_item_name_at(expect, i), &et->vals[i], NULL, 1);
	for (size_t i = 0; i < n; i++) {
		const char *name = wb_item_name_at(expect, i);
		if (!is_key_attr(ks, name) && touched(w, name, wb_item_value_at(expect, i)))
			term(c, name, &et->vals[i], NULL, 1);
	}
	for (size_t i = 0; added && i < wb_item_count(added); i++) {
		const char *name = wb_item_name_at(added, i);
		if (!wb_item_has(expect, name) && !is_key_attr(ks, name))
			term(c, name, NULL, "attribute_not_exists", 1);
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = wb_item_name_at(expect, i);
		if (!is_key_attr(ks, name) && !touched(w, name, wb_item_value_at(expect, i)))
			term(c, name, &et->vals[i], NULL, 0);
	}
}

/* ------------------------------------------------------ requests */

/* "item {KEY}" of item for messages, or "an item" when the key does not print. */
static void key_words(char *out, size_t size, wb_db *db, const wb_item *item, const wb_key_schema *ks,
		      const char *table)
{
	char *k = NULL;

	if (wb__ddb_key_text(db, &k, item, ks, table) == 0 && k)
		snprintf(out, size, "item %.300s", k);
	else
		snprintf(out, size, "an item");
	free(k);
}

static int too_long(wb_db *db, const char *op, const char *table, const wb_item *item, const wb_key_schema *ks,
		    const char *what)
{
	char kw[320];

	key_words(kw, sizeof(kw), db, item, ks, table);
	return wb__error(db, WB_EINVALID, "DynamoDB %s on table %s: %s: %s would exceed DynamoDB's 4 KB "
			 "expression limit", op, table, kw, what);
}

/*
 * A write conditional on the item being `expect` failed its condition.
 * That may be the write's own doing: an attempt carried out whose answer
 * was lost (a 5xx, a dropped connection -- libcurl itself re-sends a
 * request whose kept-alive connection died, unseen by us), then a retry
 * that finds the item changed.  So read the item: when it is already what
 * the write wanted (`want`, or gone for a delete), nothing anybody wrote is
 * lost and the write is done: report success.  When it is still exactly
 * `expect`, the engine failed a condition that holds: say so (a stock
 * dynalite compares maps and lists by identity).  Else the condition
 * failure stands.  Costs one GetItem per condition failure, which are rare.
 */
static int resolve_condition(wb_db *db, const char *table, const wb_item *key, const wb_item *want,
			     const wb_item *expect, int rc)
{
	const char *op = want ? "UpdateItem" : "DeleteItem";
	wb_item *now = NULL;
	int got, same;

	if (rc != WB_ECONDITION)
		return rc;
	got = wb__ddb_get(db, &now, table, key);
	if ((got == WB_ENOTFOUND && !want) || (got == 0 && want && wb_item_equal(now, want))) {
		wb_item_free(now);
		wb_error_clear();
		return 0;
	}
	same = got == 0 && wb_item_equal(now, expect);
	wb_item_free(now);
	if (same)
		return wb__error(db, WB_ECONDITION, "DynamoDB %s on table %s: condition failed although the "
				 "item is as read: this engine does not compare maps or lists by value "
				 "(a stock dynalite? see docs/dynamodb.md)", op, table);
	return wb__ddb_cond_failed(db, op, table, &(wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, NULL});
}

/* Build and send one conditional UpdateItem or DeleteItem. */
struct req {
	wb_db *db;
	const char *op, *table;
	const wb_key_schema *ks;
	const wb_item *key;    /* holds the key attributes */
	const wb_item *expect; /* the item as read */
	struct touch w;
};

/* The condition of r into p and ce; WB_EINVALID (message naming the key) when it cannot fit. */
static int req_cond(const struct req *r, struct phs *p, wb_buf *ce)
{
	struct wb__ddb_itext et;
	struct cond c = {p, ce, 0, 0, 0};
	int rc;

	if ((rc = wb__ddb_itext_make(r->db, r->expect, &et)) < 0)
		return rc;
	unchanged_cond(&c, r->expect, &et, r->ks, &r->w);
	wb__ddb_itext_free(&et);
	if (c.over)
		return too_long(r->db, r->op, r->table, r->key, r->ks,
				"the condition over the attributes the write changes");
	if (c.skipped)
		wb__ddb_client_count_narrowed(wb__ddb_client_of(r->db));
	return 0;
}

/* Send r with update expression ue (may be empty); condition failures resolved against want. */
static int req_send(const struct req *r, struct phs *p, const wb_buf *ue, const wb_item *want)
{
	wb_buf req = {0}, ce = {0};
	char *k = NULL;
	int rc;

	if ((rc = wb__ddb_key_text(r->db, &k, r->key, r->ks, r->table)) < 0 || (rc = req_cond(r, p, &ce)) < 0)
		goto out;
	wb__ddb_req_start(&req, r->table);
	wb__ddb_req_member(&req, "Key", k);
	if (ue && ue->len)
		wb__ddb_req_expr(&req, "UpdateExpression", ue);
	wb__ddb_req_expr(&req, "ConditionExpression", &ce);
	wb__ddb_ex_attach(&req, p->e);
	wb__buf_puts(&req, "}");
	rc = wb__ddb_send_req(r->db, r->op, r->table, &req, NULL, NULL);
	if (rc == WB_ECONDITION && r->w.set) /* wb_update: the plain message */
		rc = wb__ddb_cond_failed(r->db, r->op, r->table, &(wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, NULL});
	else if (!r->w.set)
		rc = resolve_condition(r->db, r->table, r->key, want, r->expect, rc);
out:
	free(k);
	wb__buf_free(&req);
	wb__buf_free(&ce);
	return rc;
}

/* The first key attribute that differs between a and b, or NULL. */
static const char *key_changed(const wb_key_schema *ks, const wb_item *a, const wb_item *b)
{
	const char *names[2] = {ks->pk_name, ks->sk_name[0] ? ks->sk_name : NULL};

	for (int i = 0; i < 2 && names[i]; i++) {
		const wb_value *x = wb_item_get(a, names[i]), *y = wb_item_get(b, names[i]);
		if (!x || !y || !wb_value_equal(x, y))
			return names[i];
	}
	return NULL;
}

int wb__ddb_put_unchanged(wb_db *db, const char *table, const wb_item *item, const wb_item *expect,
			  const wb_key_schema *ks)
{
	struct req r = {db, "UpdateItem", table, ks, item, expect, {item, NULL, NULL, 0, 0}};
	struct wb__ddb_itext it;
	const char *kc = wb_item_count(expect) ? key_changed(ks, item, expect) : NULL;
	int rc = 0;

	if (kc)
		return wb__error(db, WB_EINVALID, "update of %s: key attribute %s cannot be changed", table, kc);
	if ((rc = wb__ddb_itext_make(db, item, &it)) < 0)
		return rc;
	for (int paths = 1; paths >= 0; paths--) {
		struct wb__ddb_ex e = {0};
		struct phs p = {&e, NULL, 0, 0};
		wb_buf ue = {0};
		if ((rc = update_expr(db, &p, &ue, item, &it, expect, ks, paths)) == 0) {
			if (ue.len > WB_DDB_EXPR_MAX)
				rc = paths ? 1 : too_long(db, r.op, table, item, ks, "the UpdateExpression");
			else
				rc = ue.oom ? wb__oom(db) : req_send(&r, &p, &ue, item);
		}
		wb__buf_free(&ue);
		phs_free(&p);
		wb__ddb_ex_free(&e);
		if (rc <= 0)
			break;
	}
	wb__ddb_itext_free(&it);
	return rc;
}

int wb__ddb_del_unchanged(wb_db *db, const char *table, const wb_item *key, const wb_item *expect,
			  const wb_key_schema *ks)
{
	struct req r = {db, "DeleteItem", table, ks, key, expect, {NULL, NULL, NULL, 0, 1}};
	struct wb__ddb_ex e = {0};
	struct phs p = {&e, NULL, 0, 0};
	int rc = req_send(&r, &p, NULL, NULL);

	phs_free(&p);
	wb__ddb_ex_free(&e);
	return rc;
}

int wb__ddb_update_unchanged(wb_db *db, const char *table, const wb_key_schema *ks, const wb_item *key,
			     const wb_buf *ue, struct wb__ddb_ex *e, const wb_item *set, const char *const *remove,
			     size_t nremove, const wb_item *expect)
{
	struct req r = {db, "UpdateItem", table, ks, key, expect, {NULL, set, remove, nremove, 0}};
	struct phs p = {e, NULL, 0, 0};
	int rc;

	if (ue->len > WB_DDB_EXPR_MAX)
		rc = too_long(db, r.op, table, key, ks, "the UpdateExpression");
	else
		rc = req_send(&r, &p, ue, NULL);
	phs_free(&p);
	return rc;
}
