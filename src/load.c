/*
 * load.c - bulk loads (wb_load_* in whimbrel.h): many puts into one table,
 * written all at once, for import and anything else that fills a table.
 *
 * The checks common to every backend are made here (table name, key
 * schema, each item validated against it); the rest goes to the backend's
 * load ops when it has them (SQLite: sorted by its layout, one
 * transaction).  A backend without them (DynamoDB, the wrapping backends)
 * gets the generic load: items are spooled in order, encoded, to a
 * temporary file beyond a memory budget (sorter.h without a comparison),
 * and the commit writes them with wb_batch_write in batches of LOAD_BATCH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "codec.h"
#include "sorter.h"

#define LOAD_SPOOL (8u << 20)   /* bytes of spooled items kept in memory */
#define LOAD_BATCH 1000          /* items per wb_batch_write of the generic load */

struct wb_load {
	wb_db *db;                      /* the store */
	char table[WB_NAME_MAX + 1];    /* the table */
	wb_key_schema key;              /* its key schema, as given */
	void *state;                    /* the backend's load, when it has load ops */
	wb__sorter *spool;              /* otherwise: the encoded items, in order */
	wb_buf buf;                     /* scratch: an encoded item */
	int ended;                      /* committed (or tried to): adding is over */
};

int wb_load_begin(wb_load **out, wb_db *db, const char *table, const wb_key_schema *key)
{
	wb_load *ld;
	int rc;

	*out = NULL;
	if ((rc = wb__key_schema_check(db, table, key)) < 0)
		return rc;
	if (!(ld = wb__calloc(1, sizeof(*ld))))
		return wb__oom(db);
	ld->db = db;
	snprintf(ld->table, sizeof(ld->table), "%s", table);
	ld->key = *key;
	if (db->ops->load_begin)
		rc = db->ops->load_begin(db, &ld->state, table, key);
	else if ((rc = wb__sorter_new(&ld->spool, NULL, 0, LOAD_SPOOL)) < 0)
		wb__error_to_db(db, rc);
	if (rc < 0) {
		wb_load_free(ld);
		return rc;
	}
	*out = ld;
	return 0;
}

int wb_load_add(wb_load *ld, const wb_item *item)
{
	int rc;

	if (ld->ended)
		return wb__error(ld->db, WB_EINVALID, "load into %s: already committed", ld->table);
	if ((rc = wb_item_validate(item, &ld->key)) < 0)
		return wb__error_to_db(ld->db, rc);
	if (ld->state)
		return ld->db->ops->load_add(ld->db, ld->state, item);
	ld->buf.len = 0;
	if ((rc = wb__item_encode(&ld->buf, item)) < 0 ||
	    (rc = wb__sorter_add(ld->spool, "", 0, ld->buf.data, ld->buf.len)) < 0)
		return wb__error_to_db(ld->db, rc);
	return 0;
}

/* Write items[0..n) as one batch and free them. */
static int write_batch(wb_load *ld, wb_item **items, size_t *n, uint64_t *written, wb_load_fn progress,
		       void *arg)
{
	wb_write w[LOAD_BATCH];
	int rc;

	for (size_t i = 0; i < *n; i++)
		w[i] = (wb_write){ld->table, WB_WRITE_PUT, items[i], NULL};
	rc = *n ? wb_batch_write(ld->db, w, *n, NULL) : 0;
	for (size_t i = 0; i < *n; i++)
		wb_item_free(items[i]);
	if (rc == 0)
		*written += *n;
	*n = 0;
	if (rc == 0 && progress && progress(*written, arg) != 0)
		rc = wb__error(ld->db, WB_EINTERRUPTED, "load into %s: interrupted after %llu items",
			       ld->table, (unsigned long long)*written);
	return rc;
}

/* The generic commit: read the spool back, batch by batch. */
static int spool_commit(wb_load *ld, uint64_t *written, wb_load_fn progress, void *arg)
{
	wb_item *items[LOAD_BATCH];
	const void *k, *v;
	size_t klen, vlen, n = 0;
	int rc;

	while ((rc = wb__sorter_next(ld->spool, &k, &klen, &v, &vlen)) == 1) {
		if ((rc = wb__item_decode(&items[n], v, vlen)) < 0)
			break;
		if (++n == LOAD_BATCH && (rc = write_batch(ld, items, &n, written, progress, arg)) < 0)
			return rc;
	}
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			wb_item_free(items[i]);
		return wb__error_to_db(ld->db, rc);
	}
	return write_batch(ld, items, &n, written, progress, arg);
}

int wb_load_commit(wb_load *ld, uint64_t *written, wb_load_fn progress, void *arg)
{
	uint64_t count = 0;
	int rc;

	if (ld->ended)
		return wb__error(ld->db, WB_EINVALID, "load into %s: already committed", ld->table);
	ld->ended = 1;
	if (ld->state)
		rc = ld->db->ops->load_commit(ld->db, ld->state, progress, arg, &count);
	else
		rc = spool_commit(ld, &count, progress, arg);
	if (written)
		*written = count;
	return rc;
}

int wb_load_atomic(const wb_load *ld)
{
	return ld->state && (wb__db_caps(ld->db) & WB_CAP_ATOMIC_BATCH);
}

void wb_load_free(wb_load *ld)
{
	if (!ld)
		return;
	if (ld->state)
		ld->db->ops->load_free(ld->db, ld->state);
	wb__sorter_free(ld->spool);
	wb__buf_free(&ld->buf);
	free(ld);
}
