/*
 * checkpoint.c - reading, building and clearing the scan checkpoints of
 * whimbrel_checkpoints; see checkpoint.h for the item layout.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "checkpoint.h"
#include "ledger.h"

void wb__checkpoint_clear_struct(wb_checkpoint *cp)
{
	wb_item_free(cp->last_key);
	memset(cp, 0, sizeof(*cp));
}

static wb_item *cp_key(const char *migration, const char *segment)
{
	return wb__key_item("migration", migration, "segment", segment);
}

#define CP(m) WB__FIELD(wb_checkpoint, m, WB__NUM)

/* The numbers of a checkpoint's item that wb__checkpoint_load reads. */
static const struct wb__field cp_fields[] = {
	CP(done), CP(total_segments), CP(count), CP(written), CP(deleted),
};

int wb__checkpoint_load(wb_db *db, const char *migration, const char *segment, wb_checkpoint *out)
{
	wb_item *it;
	const char *lk;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wb__get_key(&it, db, WB_CHECKPOINT_TABLE, "migration", migration, "segment", segment)) < 0)
		return rc;
	wb__fields_read(out, cp_fields, WB_ARRAY_SIZE(cp_fields), it);
	lk = wb_item_get_string(it, "last_key");
	if (lk && lk[0])
		rc = wb_item_from_json(&out->last_key, lk, strlen(lk), WB_JSON_DDB);
	wb_item_free(it);
	if (rc < 0)
		return wb__error(db, rc, "checkpoint %s/%s: unreadable last_key: %s",
				 migration, segment, wb_error_last());
	return 0;
}

wb_item *wb__checkpoint_item(const char *migration, const char *segment, const char *run_id,
			     const char *table, const wb_item *last_key, int done,
			     int64_t total_segments, int64_t count, const wb_counters *counters)
{
	static const wb_counters zero;
	const wb_counters *c = counters ? counters : &zero;
	struct timespec ts;
	int64_t now_ms;
	wb_item *it = cp_key(migration, segment);
	char *lk = NULL;

	if (!it)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (last_key && wb_item_to_json(&lk, last_key, WB_JSON_DDB) < 0)
		goto fail;
	if (wb_item_set_string(it, "run_id", run_id) || wb_item_set_string(it, "tbl", table) ||
	    wb_item_set_string(it, "last_key", lk ? lk : "") ||
	    wb_item_set_int(it, "done", done ? 1 : 0) ||
	    wb_item_set_int(it, "total_segments", total_segments) ||
	    wb_item_set_int(it, "count", count) ||
	    wb_item_set_int(it, "run_scanned", c->scanned) || wb_item_set_int(it, "run_written", c->written) ||
	    wb_item_set_int(it, "run_deleted", c->deleted) || wb_item_set_int(it, "run_unchanged", c->unchanged) ||
	    wb_item_set_int(it, "run_failed", c->failed) ||
	    wb_item_set_int(it, "updated", now_ms / 1000) || wb_item_set_int(it, "updated_ms", now_ms))
		goto fail;
	wb_string_free(lk);
	return it;
fail:
	wb_string_free(lk);
	wb_item_free(it);
	return NULL;
}

/* A visitor of each_key: fn with the handle. */
struct key_visit {
	wb_db *db;                                              /* the target */
	int (*fn)(wb_db *db, const wb_item *key, void *arg);    /* what to call */
	void *arg;                                              /* its argument */
};

static int visit_key(const wb_item *it, void *arg)
{
	struct key_visit *v = arg;

	return v->fn(v->db, it, v->arg);
}

/* Call fn(db, checkpoint, arg) for every checkpoint of `migration`. */
static int each_key(wb_db *db, const char *migration,
		    int (*fn)(wb_db *db, const wb_item *key, void *arg), void *arg)
{
	struct key_visit v = {db, fn, arg};
	int rc = wb__partition_each(db, WB_CHECKPOINT_TABLE, migration, visit_key, &v);

	return rc == WB_ENOTFOUND ? 0 : rc;
}

int wb__checkpoint_counts(wb_item *cp, int64_t written, int64_t deleted)
{
	if (wb_item_set_int(cp, "written", written) || wb_item_set_int(cp, "deleted", deleted))
		return WB_ENOMEM;
	return 0;
}

int wb__checkpoint_each(wb_db *db, const char *migration,
			int (*fn)(wb_db *db, const wb_item *cp, void *arg), void *arg)
{
	return each_key(db, migration, fn, arg);
}

/* The checkpoints to delete, gathered: their keys. */
struct doomed {
	wb_write *w;  /* deletes, their items owned */
	size_t n, cap;
};

static int doom_one(wb_db *db, const wb_item *it, void *arg)
{
	struct doomed *d = arg;
	wb_item *key = cp_key(wb_item_get_string(it, "migration"), wb_item_get_string(it, "segment"));

	if (key && d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		wb_write *w = realloc(d->w, cap * sizeof(*w));
		if (!w) {
			wb_item_free(key);
			key = NULL;
		} else {
			d->w = w;
			d->cap = cap;
		}
	}
	if (!key)
		return wb__oom(db);
	d->w[d->n++] = (wb_write){WB_CHECKPOINT_TABLE, WB_WRITE_DELETE, key, NULL};
	return 0;
}

static int count_one(wb_db *db, const wb_item *it, void *arg)
{
	WB_UNUSED(db);
	WB_UNUSED(it);
	(*(size_t *)arg)++;
	return 0;
}

/* Every checkpoint of the migration, deleted in one batch (one request per 25 on DynamoDB, not one each). */
int wb__checkpoint_clear(wb_db *db, const char *migration, size_t *deleted)
{
	struct doomed d = {0};
	int rc = each_key(db, migration, doom_one, &d);

	if (rc == 0 && d.n)
		rc = wb_batch_write(db, d.w, d.n, NULL);
	if (deleted)
		*deleted = rc == 0 ? d.n : 0;
	for (size_t i = 0; i < d.n; i++)
		wb_item_free((wb_item *)d.w[i].item);
	free(d.w);
	return rc;
}

int wb__checkpoint_count(wb_db *db, const char *migration, size_t *out)
{
	*out = 0;
	return each_key(db, migration, count_one, out);
}

/* What wb__checkpoint_run_counters adds up. */
struct run_sum {
	const char *run_id;      /* the run */
	wb_counters c;           /* its counters so far */
	int64_t updated_ms;      /* its latest checkpoint, Unix milliseconds */
};

static int add_one(wb_db *db, const wb_item *it, void *arg)
{
	struct run_sum *sum = arg;
	const char *rid = wb_item_get_string(it, "run_id");
	int64_t t = wb_item_get_int(it, "updated_ms", wb_item_get_int(it, "updated", 0) * 1000);

	WB_UNUSED(db);
	if (!rid || strcmp(rid, sum->run_id) != 0)
		return 0;
	sum->c.scanned += wb_item_get_int(it, "run_scanned", 0);
	sum->c.written += wb_item_get_int(it, "run_written", 0);
	sum->c.deleted += wb_item_get_int(it, "run_deleted", 0);
	sum->c.unchanged += wb_item_get_int(it, "run_unchanged", 0);
	sum->c.failed += wb_item_get_int(it, "run_failed", 0);
	if (t > sum->updated_ms)
		sum->updated_ms = t;
	return 0;
}

int wb__checkpoint_run_counters(wb_db *db, const char *migration, const char *run_id,
				wb_counters *out, int64_t *updated_ms)
{
	struct run_sum sum = {.run_id = run_id};
	int rc = each_key(db, migration, add_one, &sum);

	*out = sum.c;
	if (updated_ms)
		*updated_ms = sum.updated_ms;
	return rc;
}
