/*
 * sqlite_write.c - the embedded backend's items: keys, item access,
 * conditions and the single-item operations get, put, delete and update.
 *
 * A key is stored as the bytes of pk and sk and the hash h of pk (struct
 * key); an item as its codec.c encoding.  Conditions are checked inside the
 * write's transaction: an ITEM_EQUALS condition (the migration runner's)
 * compares the stored bytes in SQL; the others load and decode the stored
 * item.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"

/* ---------------------------------------------------------------- keys */

/*
 * The stored bytes of a key value of type t: S and B raw (pointing into v),
 * N through the order-preserving codec into buf.  Fails on a wrong type or
 * an empty value, naming `role` ("partition key") and `name`.
 */
int wb__sq_value_bytes(wb_db *db, const wb_value *v, wb_type t, wb_buf *buf, const void **p,
		       size_t *len, const char *role, const char *name, const struct op *op)
{
	int rc;

	if (wb_value_type(v) != t)
		return wb__error(db, WB_EINVALID, "%s: %s '%s' must be of type %s, not %s", OPNAME(op),
				 role, name, wb_type_name(t), wb_type_name(wb_value_type(v)));
	if (t == WB_N) {
		buf->len = 0;
		if ((rc = wb__key_encode(buf, v)) < 0)
			return wb__sq_fail_nested(db, rc, op);
		*p = buf->data;
		*len = buf->len;
		return 0;
	}
	*p = wb_value_bytes(v, len);
	if (*len == 0)
		return wb__error(db, WB_EINVALID, "%s: %s '%s' is empty", OPNAME(op), role, name);
	return 0;
}

/* The stored key of `item` (or a key item): pk, sk and hash.  Uses kbuf[slot], kbuf[slot+1]. */
int wb__sq_key_in(wb_db *db, const wb_key_schema *ks, const wb_item *item, struct key *k, wb_buf *buf,
		  const struct op *op)
{
	const wb_value *v;
	int rc;

	if (!(v = wb_item_get(item, ks->pk_name)))
		return wb__error(db, WB_EINVALID, "%s: missing partition key attribute '%s'", OPNAME(op), ks->pk_name);
	if ((rc = wb__sq_value_bytes(db, v, ks->pk_type, &buf[0], &k->pk, &k->pklen,
			      "partition key", ks->pk_name, op)) < 0)
		return rc;
	k->h = key_hash(k->pk, k->pklen);
	k->sk = "";
	k->sklen = 0;
	if (!ks->sk_name[0])
		return 0;
	if (!(v = wb_item_get(item, ks->sk_name)))
		return wb__error(db, WB_EINVALID, "%s: missing sort key attribute '%s'", OPNAME(op), ks->sk_name);
	return wb__sq_value_bytes(db, v, ks->sk_type, &buf[1], &k->sk, &k->sklen, "sort key", ks->sk_name, op);
}

int wb__sq_key_of(wb_db *db, const struct tbl *t, const wb_item *item, struct key *k, int slot,
		  const struct op *op)
{
	struct sq *s = db->state;

	return wb__sq_key_in(db, &t->key, item, k, &s->kbuf[slot], op);
}

/* A short description of an item's key for messages: id="abc", n=12. */
const char *wb__sq_key_text(char *buf, size_t size, const struct tbl *t, const wb_item *item)
{
	const char *names[2] = {t->key.pk_name, t->key.sk_name};
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 2 && names[i][0] && off < size; i++) {
		const wb_value *v = wb_item_get(item, names[i]);
		size_t len = 0;
		const char *b = v ? wb_value_bytes(v, &len) : NULL;
		const char *sep = i ? ", " : "";

		if (!b)
			off += snprintf(buf + off, size - off, "%s%s=?", sep, names[i]);
		else if (wb_value_type(v) == WB_B)
			off += snprintf(buf + off, size - off, "%s%s=<%zu bytes>", sep, names[i], len);
		else if (wb_value_type(v) == WB_S)
			off += snprintf(buf + off, size - off, "%s%s=\"%.*s\"", sep, names[i],
					(int)(len > 64 ? 64 : len), b);
		else
			off += snprintf(buf + off, size - off, "%s%s=%s", sep, names[i], b);
	}
	return buf;
}


/* ---------------------------------------------------------- item access */

/* Load the stored item at key k: *exists says whether it is there; decoded into *out if out. */
static int load(wb_db *db, struct tbl *t, const struct key *k, int *exists, wb_item **out,
		const struct op *op)
{
	int rc;

	if ((rc = wb__sq_prepare_tbl(db, t, &t->get, "SELECT item FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
		return rc;
	bind_key(t->get, k);
	rc = sqlite3_step(t->get);
	*exists = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		rc = out ? wb__sq_decode_col(db, t->get, 0, out, op) : 0;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = wb__sq_fail(db, rc, op);
	sqlite3_reset(t->get);
	return rc;
}

/*
 * Write the encoded item in s->ibuf at key k: an UPDATE (the common case of
 * a migration, which leaves the (pk, sk) index alone), else an INSERT.
 */
static int store(wb_db *db, struct tbl *t, const struct key *k, const struct op *op)
{
	struct sq *s = db->state;
	int rc;

	if ((rc = wb__sq_prepare_tbl(db, t, &t->update, "UPDATE %1$s SET item = ?4"
			      " WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
		return rc;
	bind_key(t->update, k);
	sqlite3_bind_blob(t->update, 4, s->ibuf.data, (int)s->ibuf.len, SQLITE_STATIC);
	if ((rc = wb__sq_run(db, t->update, op)) < 0 || sqlite3_changes(s->conn) > 0)
		return rc;
	if ((rc = wb__sq_prepare_tbl(db, t, &t->insert, "INSERT INTO %1$s(h, pk, sk, item) VALUES(?1, ?2, ?3, ?4)", op)) < 0)
		return rc;
	bind_key(t->insert, k);
	sqlite3_bind_blob(t->insert, 4, s->ibuf.data, (int)s->ibuf.len, SQLITE_STATIC);
	return wb__sq_run(db, t->insert, op);
}

/* ----------------------------------------------------------- conditions */

int wb__sq_cond_fail(wb_db *db, const struct tbl *t, const wb_item *key, const struct op *op,
		     const char *why)
{
	return wb__error(db, WB_ECONDITION, "%s: condition failed: item %s %s", OPNAME(op),
			 KEYTEXT(t, key), why);
}

/* Check `cond` against the stored item (NULL when absent). */
static int cond_check(wb_db *db, const struct tbl *t, const wb_item *key, const wb_item *stored,
		      const wb_cond *cond, const struct op *op)
{
	const wb_value *v;

	switch (cond ? cond->kind : WB_COND_NONE) {
	case WB_COND_NONE:
		return 0;
	case WB_COND_NOT_EXISTS:
		return stored ? wb__sq_cond_fail(db, t, key, op, "already exists") : 0;
	case WB_COND_EXISTS:
		return stored ? 0 : wb__sq_cond_fail(db, t, key, op, "does not exist");
	case WB_COND_ATTR_EQUALS:
		if (!stored)
			return wb__sq_cond_fail(db, t, key, op, "does not exist");
		if (!(v = wb_item_get(stored, cond->attr)))
			return wb__error(db, WB_ECONDITION, "%s: condition failed: item %s has no attribute '%s'",
					 OPNAME(op), KEYTEXT(t, key), cond->attr);
		if (!wb_value_equal(v, cond->value))
			return wb__error(db, WB_ECONDITION, "%s: condition failed: attribute '%s' of item %s differs",
					 OPNAME(op), cond->attr, KEYTEXT(t, key));
		return 0;
	case WB_COND_ITEM_EQUALS:
		if (!stored)
			return wb__sq_cond_fail(db, t, key, op, "does not exist");
		return wb_item_equal(stored, cond->expect) ? 0 :
			wb__sq_cond_fail(db, t, key, op, "has changed since it was read");
	}
	return wb__error(db, WB_EINVALID, "%s: unknown condition kind %d", OPNAME(op), (int)cond->kind);
}

static int cond_valid(wb_db *db, const wb_cond *cond, const struct op *op)
{
	if (!cond)
		return 0;
	if (cond->kind == WB_COND_ATTR_EQUALS && (!cond->attr || !cond->value))
		return wb__error(db, WB_EINVALID, "%s: attribute condition without attribute or value", OPNAME(op));
	if (cond->kind == WB_COND_ITEM_EQUALS && !cond->expect)
		return wb__error(db, WB_EINVALID, "%s: item condition without expected item", OPNAME(op));
	if ((unsigned)cond->kind > WB_COND_ITEM_EQUALS)
		return wb__error(db, WB_EINVALID, "%s: unknown condition kind %d", OPNAME(op), (int)cond->kind);
	return 0;
}

/*
 * Check a condition the slow way: load and decode the stored item.  Sets
 * *exists.  Used when the condition is not NONE.
 */
static int cond_load_check(wb_db *db, struct tbl *t, const struct key *k, const wb_item *keyitem,
			   const wb_cond *cond, int *exists, const struct op *op)
{
	wb_item *stored = NULL;
	int need = cond->kind == WB_COND_ATTR_EQUALS || cond->kind == WB_COND_ITEM_EQUALS;
	int rc;

	if ((rc = load(db, t, k, exists, need ? &stored : NULL, op)) < 0)
		return rc;
	if (!need) /* (NOT_)EXISTS only test for presence: any non-NULL item will do */
		rc = cond_check(db, t, keyitem, *exists ? keyitem : NULL, cond, op);
	else
		rc = cond_check(db, t, keyitem, stored, cond, op);
	wb_item_free(stored);
	return rc;
}

/* ---------------------------------------------------------- single writes */

/*
 * Fast path of an ITEM_EQUALS write: compare the stored bytes with the
 * encoding of the expected item in SQL.  *done = 1 when it applied.
 */
static int write_if_same(wb_db *db, struct tbl *t, const struct key *k, int is_put, int *done,
			 const wb_cond *cond, const struct op *op)
{
	struct sq *s = db->state;
	sqlite3_stmt *st;
	int rc;

	if ((rc = wb__sq_encode(db, &s->ebuf, cond->expect, op)) < 0)
		return rc;
	if (is_put) {
		rc = wb__sq_prepare_tbl(db, t, &t->put_if, "UPDATE %1$s SET item = ?4"
				 " WHERE h = ?1 AND pk = ?2 AND sk = ?3 AND item = ?5", op);
		st = t->put_if;
	} else {
		rc = wb__sq_prepare_tbl(db, t, &t->del_if,
				 "DELETE FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3 AND item = ?4", op);
		st = t->del_if;
	}
	if (rc < 0)
		return rc;
	bind_key(st, k);
	if (is_put)
		sqlite3_bind_blob(st, 4, s->ibuf.data, (int)s->ibuf.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, is_put ? 5 : 4, s->ebuf.data, (int)s->ebuf.len, SQLITE_STATIC);
	if ((rc = wb__sq_run(db, st, op)) < 0)
		return rc;
	*done = sqlite3_changes(s->conn) > 0;
	return 0;
}

/*
 * The condition of a put (is_put) or delete of the item at k: an
 * ITEM_EQUALS one may carry the write out itself (*done = 1); any other
 * is checked against the stored item (WB_ECONDITION when it fails).
 */
static int cond_before_write(wb_db *db, struct tbl *t, const struct key *k, const wb_item *keyitem,
			     int is_put, const wb_cond *cond, int *done, const struct op *op)
{
	int rc, exists;

	if (cond && cond->kind == WB_COND_ITEM_EQUALS &&
	    ((rc = write_if_same(db, t, k, is_put, done, cond, op)) < 0 || *done))
		return rc;
	if (cond && cond->kind != WB_COND_NONE)
		return cond_load_check(db, t, k, keyitem, cond, &exists, op);
	return 0;
}

/* A put inside an open write transaction. */
int wb__sq_do_put(wb_db *db, struct tbl *t, const wb_item *item, const wb_cond *cond,
		  const struct op *op)
{
	struct sq *s = db->state;
	struct key k;
	int rc, done = 0;

	if ((rc = wb__sq_key_of(db, t, item, &k, 0, op)) < 0 || (rc = cond_valid(db, cond, op)) < 0 ||
	    (rc = wb__sq_encode(db, &s->ibuf, item, op)) < 0 ||
	    (rc = cond_before_write(db, t, &k, item, 1, cond, &done, op)) < 0 || done)
		return rc;
	return store(db, t, &k, op);
}

/* A delete inside an open write transaction. */
int wb__sq_do_del(wb_db *db, struct tbl *t, const wb_item *key, const wb_cond *cond,
		  const struct op *op)
{
	struct key k;
	int rc, done = 0;

	if ((rc = wb__sq_key_of(db, t, key, &k, 0, op)) < 0 || (rc = cond_valid(db, cond, op)) < 0 ||
	    (rc = cond_before_write(db, t, &k, key, 0, cond, &done, op)) < 0 || done)
		return rc;
	if ((rc = wb__sq_prepare_tbl(db, t, &t->del, "DELETE FROM %1$s WHERE h = ?1 AND pk = ?2 AND sk = ?3", op)) < 0)
		return rc;
	bind_key(t->del, &k);
	return wb__sq_run(db, t->del, op);
}

/* A put (do_put) or delete (do_del) of one item, in a write transaction of its own. */
static int write_one(wb_db *db, const char *verb, const char *table, const wb_item *item,
		     const wb_cond *cond,
		     int (*write)(wb_db *, struct tbl *, const wb_item *, const wb_cond *, const struct op *))
{
	struct op op = {verb, table, -1};
	struct tbl *t;
	int rc;

	LOCKED_TX(db, 1, &op, {
		if ((rc = wb__sq_tbl_get(db, table, &t, &op)) == 0)
			rc = write(db, t, item, cond, &op);
	});
	return rc;
}

int wb__sq_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond)
{
	return write_one(db, "put into", table, item, cond, wb__sq_do_put);
}

int wb__sq_del(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond)
{
	return write_one(db, "delete from", table, key, cond, wb__sq_do_del);
}

static int get_in_tx(wb_db *db, wb_item **out, const char *table, const wb_item *key,
		     const struct op *op)
{
	struct tbl *t;
	struct key k;
	int rc, exists;

	if ((rc = wb__sq_tbl_get(db, table, &t, op)) < 0 || (rc = wb__sq_key_of(db, t, key, &k, 0, op)) < 0)
		return rc;
	if ((rc = load(db, t, &k, &exists, out, op)) < 0)
		return rc;
	if (!exists)
		return wb__error(db, WB_ENOTFOUND, "%s: no item with key %s", OPNAME(op), KEYTEXT(t, key));
	return 0;
}

int wb__sq_get(wb_db *db, wb_item **out, const char *table, const wb_item *key)
{
	struct op op = {"get from", table, -1};
	int rc;

	*out = NULL;
	LOCKED_TX(db, 0, &op, rc = get_in_tx(db, out, table, key, &op));
	if (rc < 0) {
		wb_item_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Refuse updates that touch key attributes. */
static int update_check(wb_db *db, const struct tbl *t, const wb_item *set,
			const char *const *remove, size_t nremove, const struct op *op)
{
	const char *names[2] = {t->key.pk_name, t->key.sk_name};

	for (int i = 0; i < 2 && names[i][0]; i++) {
		if (set && wb_item_has(set, names[i]))
			return wb__error(db, WB_EINVALID, "%s: cannot set key attribute '%s'", OPNAME(op), names[i]);
		for (size_t j = 0; j < nremove; j++)
			if (remove[j] && strcmp(remove[j], names[i]) == 0)
				return wb__error(db, WB_EINVALID, "%s: cannot remove key attribute '%s'",
						 OPNAME(op), names[i]);
	}
	for (size_t j = 0; j < nremove; j++)
		if (!remove[j] || !remove[j][0])
			return wb__error(db, WB_EINVALID, "%s: empty attribute name to remove", OPNAME(op));
	return 0;
}

/* Apply set and remove to `item` in place. */
static int update_apply(wb_db *db, wb_item *item, const wb_item *set, const char *const *remove,
			size_t nremove, const struct op *op)
{
	size_t n = set ? wb_item_count(set) : 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		wb_value *v = wb_value_dup(wb_item_value_at(set, i));
		if (!v || (rc = wb_item_set(item, wb_item_name_at(set, i), v)) < 0)
			return wb__oom(db);
	}
	for (size_t j = 0; j < nremove; j++)
		wb_item_remove(item, remove[j]);
	if ((rc = wb_item_validate(item, NULL)) < 0)
		return wb__sq_fail_nested(db, rc, op);
	return 0;
}

static int update_in_tx(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
			const char *const *remove, size_t nremove, const wb_cond *cond,
			const struct op *op)
{
	struct sq *s = db->state;
	wb_item *item = NULL;
	struct tbl *t;
	struct key k;
	int rc, exists;

	if ((rc = wb__sq_tbl_get(db, table, &t, op)) < 0 || (rc = wb__sq_key_of(db, t, key, &k, 0, op)) < 0 ||
	    (rc = cond_valid(db, cond, op)) < 0 ||
	    (rc = update_check(db, t, set, remove, nremove, op)) < 0)
		return rc;
	if ((rc = load(db, t, &k, &exists, &item, op)) < 0)
		goto done;
	if ((rc = cond_check(db, t, key, item, cond, op)) < 0)
		goto done;
	if (!item && !(item = wb_item_key(key, &t->key))) {
		rc = wb__sq_fail_nested(db, wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM, op);
		goto done;
	}
	/* k points into `key` and kbuf[0..1], which stay valid until the store. */
	if ((rc = update_apply(db, item, set, remove, nremove, op)) < 0 ||
	    (rc = wb__sq_encode(db, &s->ibuf, item, op)) < 0)
		goto done;
	rc = store(db, t, &k, op);
done:
	wb_item_free(item);
	return rc;
}

int wb__sq_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
		     const char *const *remove, size_t nremove, const wb_cond *cond)
{
	struct op op = {"update of", table, -1};
	int rc;

	LOCKED_TX(db, 1, &op, rc = update_in_tx(db, table, key, set, remove, nremove, cond, &op));
	return rc;
}
