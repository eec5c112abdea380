/*
 * revert.c - wb_revert: put back what one journaled run changed (see
 * revert.h for how a revert is recorded).
 *
 * The reverted run's journal chunks are read latest first, and the
 * entries of a chunk last to first, so that an item the run changed twice
 * (two wb_each passes) goes back step by step.  For each entry the item
 * as stored now decides:
 *
 *   - it hashes as the entry's after-image: the run's write is still there;
 *     the before-image is put back (or the item deleted when the run
 *     created it, or re-created when the run deleted it);
 *   - it is the before-image already: the write never happened (a run
 *     killed between journal and write on DynamoDB) or was put back by an
 *     interrupted revert: nothing to do;
 *   - an earlier entry of an item a later entry already handled: a write
 *     that was retried (its condition failed), nothing to do;
 *   - anything else: the item changed since the run, a conflict: reported
 *     with its key and left alone, unless `force`.
 *
 * Every write is conditional on the item still being what was read, so an
 * application write in between is never lost (it becomes a conflict).  The
 * revert's own journal chunk goes first, then the writes, then the
 * checkpoint: one batch where batches are atomic (a failed condition drops
 * that write and the batch is retried), one after the other elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "backend.h"
#include "checkpoint.h"
#include "journal.h"
#include "ledger.h"
#include "lock.h"
#include "revert.h"
#include "strset.h"

#define PAGE 50 /* journal chunks per query page */

/* One planned write of a chunk. */
struct action {
	wb_item *key;        /* the item's key (owned) */
	wb_item *now;        /* the item as read (owned), NULL when absent */
	wb_item *target;     /* what to put back (owned), NULL: delete */
	char table[WB_NAME_MAX + 1];
	int dropped;         /* its condition failed: a conflict after all */
};

/* A revert in progress. */
struct revert {
	const wb_revert_options *o;
	wb_db *db;                 /* the target */
	wb_ledger_run target;      /* the run being reverted */
	wb_ledger_run me;          /* this revert's ledger row */
	char cp_name[96];          /* checkpoint migration: "revert:RUN" */
	int atomic;                /* batches are one transaction */
	int locked;                /* we hold target.migration's lease */
	int64_t t0_ms;             /* start */
	int64_t last_beat;         /* last heartbeat, Unix seconds */
	int64_t chunks;            /* chunks done, all attempts */
	int64_t jn;                /* our own journal chunks (their counter) */
	wb_strset seen;            /* keys handled ("table\n" + key JSON) */
	wb_journal_chunk chunk;    /* our journal entries for the current chunk */
	struct action *a;          /* writes planned for the current chunk */
	size_t na, cap;            /* how many, room */
	wb_revert_counts counts;   /* what was done */
};

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ------------------------------------------------------------------ ledger */

static wb_item *run_key(const char *run_id)
{
	return wb__key_item("run_id", run_id, NULL, NULL);
}

/* Set string attributes of a ledger row (names[i] = values[i]), leaving the rest alone. */
static int row_set(wb_db *db, const char *run_id, const char *const *names, const char *const *values, size_t n)
{
	wb_item *k = run_key(run_id), *set = wb_item_new();
	int rc = k && set ? 0 : WB_ENOMEM;

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = wb_item_set_string(set, names[i], values[i]);
	if (rc == 0)
		rc = wb_update(db, WB_RUNS_TABLE, k, set, NULL, 0, NULL);
	wb_item_free(k);
	wb_item_free(set);
	return rc == WB_ENOMEM ? wb__oom(db) : rc;
}

/* Our row, with the attributes wb__ledger_put does not know. */
static int me_put(struct revert *rv)
{
	const char *names[2] = {"reverts", "reverted_status"};
	const char *values[2] = {rv->target.run_id, rv->target.status};
	int rc = wb__ledger_put(rv->db, &rv->me);

	return rc < 0 ? rc : row_set(rv->db, rv->me.run_id, names, values, 2);
}

static void me_init(struct revert *rv)
{
	wb_ledger_run *m = &rv->me;

	/* mode revert: not a run of the migration, status and stamp skip it */
	wb__ledger_run_init(m, rv->target.migration, rv->target.version, rv->target.name,
			    wb_db_url(rv->db), "revert");
	snprintf(m->checksum, sizeof(m->checksum), "%s", rv->target.checksum);
	m->journal = 1;
}

/* A revert that died holding the lease (taken over now) still says running: say it failed. */
static void close_dead(wb_db *db, const wb_lease *old)
{
	wb_item *k = old->run_id[0] ? run_key(old->run_id) : NULL, *set = wb_item_new();
	wb_cond running = {WB_COND_ATTR_EQUALS, "status", NULL, NULL};
	wb_value *v = wb_value_string("running", 7);

	running.value = v;
	if (k && set && v && wb_item_set_string(set, "status", "failed") == 0 &&
	    wb_item_set_string(set, "error", "the revert died (its lease was taken over)") == 0 &&
	    wb_item_set_int(set, "finished", (int64_t)time(NULL)) == 0)
		wb_update(db, WB_RUNS_TABLE, k, set, NULL, 0, &running); /* best effort */
	wb_error_clear();
	wb_value_free(v);
	wb_item_free(k);
	wb_item_free(set);
}

/* An extra attribute of a ledger row ("" when absent). */
static void row_attr(wb_db *db, const char *run_id, const char *name, char *out, size_t size)
{
	wb_item *it;
	const char *v;

	out[0] = '\0';
	if (wb__get_key(&it, db, WB_RUNS_TABLE, "run_id", run_id, NULL, NULL) == 0 &&
	    (v = wb_item_get_string(it, name)))
		snprintf(out, size, "%s", v);
	wb_item_free(it);
}

/* ------------------------------------------------------------- one entry */

/* "table\n" + the key as JSON, for the seen set and for messages (caller frees). */
static char *key_id(const char *table, const wb_item *key)
{
	char *json = NULL, *s;
	size_t n;

	if (wb_item_to_json(&json, key, WB_JSON_DDB) < 0)
		return NULL;
	n = strlen(table) + strlen(json) + 2;
	if ((s = wb__malloc(n)))
		snprintf(s, n, "%s\n%s", table, json);
	wb_string_free(json);
	return s;
}

static void report(struct revert *rv, wb_revert_event ev, const char *id)
{
	const char *nl = strchr(id, '\n');
	char table[WB_NAME_MAX + 1];

	if (!rv->o->on_item)
		return;
	snprintf(table, sizeof(table), "%.*s", (int)(nl - id), id);
	rv->o->on_item(ev, table, nl + 1, rv->o->arg);
}

static int plan_action(struct revert *rv, const char *table, const wb_item *key, wb_item *now,
		       const wb_item *before)
{
	struct action *a;

	if (wb__grow(&rv->a, &rv->cap, rv->na, sizeof(*rv->a), 64) < 0)
		return WB_ENOMEM;
	a = &rv->a[rv->na];
	memset(a, 0, sizeof(*a));
	snprintf(a->table, sizeof(a->table), "%s", table);
	a->now = now;
	if (!(a->key = wb_item_dup(key)) || (before && !(a->target = wb_item_dup(before)))) {
		wb_item_free(a->key);
		a->now = NULL;
		return WB_ENOMEM;
	}
	rv->na++;
	return 0;
}

/*
 * Decide what to do with one entry.  Takes ownership of nothing; plans a
 * write into rv->a when the item goes back.
 */
static int judge_entry(struct revert *rv, const char *table, const wb_journal_entry *e)
{
	char hnow[WB_JOURNAL_HASH_SIZE], hbefore[WB_JOURNAL_HASH_SIZE];
	wb_item *now = NULL;
	char *id = key_id(table, e->key);
	int rc, was_seen;

	if (!id)
		return WB_ENOMEM;
	rc = wb_get(&now, rv->db, table, e->key);
	if (rc < 0 && rc != WB_ENOTFOUND)
		goto out;
	if ((rc = wb__journal_hash(hnow, now)) < 0 || (rc = wb__journal_hash(hbefore, e->before)) < 0)
		goto out;
	if ((was_seen = wb__strset_add(&rv->seen, id)) < 0) {
		rc = was_seen;
		goto out;
	}
	rv->counts.entries++;
	if (strcmp(hnow, e->after) != 0) {
		if (strcmp(hnow, hbefore) == 0 || was_seen) { /* never written, or handled by a later entry */
			rv->counts.unchanged++;
			goto out;
		}
		report(rv, WB_REVERT_CONFLICT, id);
		if (!rv->o->force) {
			rv->counts.conflicts++;
			goto out;
		}
		rv->counts.forced++;
	}
	rc = plan_action(rv, table, e->key, now, e->before);
	now = NULL;
out:
	wb_item_free(now);
	free(id);
	return rc < 0 ? (rc == WB_ENOMEM ? wb__oom(rv->db) : rc) : 0;
}

/* ----------------------------------------------------------- one chunk */

static void actions_clear(struct revert *rv)
{
	for (size_t i = 0; i < rv->na; i++) {
		wb_item_free(rv->a[i].key);
		wb_item_free(rv->a[i].now);
		wb_item_free(rv->a[i].target);
	}
	rv->na = 0;
}

/* A write whose condition failed: the item changed meanwhile, a conflict. */
static void action_conflict(struct revert *rv, struct action *a)
{
	char *id = key_id(a->table, a->key);

	a->dropped = 1;
	rv->counts.conflicts++;
	if (id)
		report(rv, WB_REVERT_CONFLICT, id);
	free(id);
}

/* The write of action a into *w, conditional on the item as read. */
static void action_write(const struct action *a, wb_write *w, wb_cond *c)
{
	*c = a->now ? (wb_cond){WB_COND_ITEM_EQUALS, NULL, NULL, a->now}
		    : (wb_cond){WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	*w = (wb_write){a->table, a->target ? WB_WRITE_PUT : WB_WRITE_DELETE,
			a->target ? a->target : a->key, c};
}

/* Our journal chunk for the planned writes, as an item (caller frees); NULL: none. */
static int own_journal(struct revert *rv, const char *table, wb_item **out)
{
	wb_table_desc d;
	char seq[1500];
	int rc = 0;

	*out = NULL;
	wb__journal_chunk_reset(&rv->chunk);
	if (rv->na == 0)
		return 0;
	if ((rc = wb_table_describe(&d, rv->db, table)) < 0)
		return rc;
	for (size_t i = 0; rc >= 0 && i < rv->na; i++)
		rc = wb__journal_add(&rv->chunk, &d.key, rv->a[i].now, rv->a[i].target);
	if (rc < 0 || rv->chunk.n == 0)
		return rc;
	wb__journal_seq(seq, sizeof(seq), 1, "revert", rv->jn++);
	if (!(*out = wb__journal_chunk_item(rv->me.run_id, seq, table, &rv->chunk)))
		return wb_error_last_code() ? wb_error_last_code() : WB_ENOMEM;
	return 0;
}

/* The checkpoint after chunk `seq` (caller frees). */
static wb_item *checkpoint(struct revert *rv, const char *seq, int done)
{
	wb_item *k = wb_item_new(), *cp = NULL;

	if (k && wb_item_set_string(k, "run_id", rv->target.run_id) == 0 &&
	    wb_item_set_string(k, "seq", seq) == 0)
		cp = wb__checkpoint_item(rv->cp_name, "journal", rv->me.run_id, WB_JOURNAL_TABLE, k, done, 1,
					 rv->chunks, NULL);
	wb_item_free(k);
	return cp;
}

/* Atomic: journal, writes and checkpoint in one batch; a failed condition drops its write. */
static int apply_atomic(struct revert *rv, wb_item *journal, wb_item *cp)
{
	size_t n = rv->na + 2;
	wb_write *w = wb__calloc(n, sizeof(*w));
	wb_cond *c = wb__calloc(n, sizeof(*c));
	size_t *of = wb__calloc(n, sizeof(*of));
	int rc = w && c && of ? WB_ECONDITION : WB_ENOMEM;

	while (rc == WB_ECONDITION) {
		size_t k = 0, failed = SIZE_MAX;
		if (journal)
			w[k++] = (wb_write){WB_JOURNAL_TABLE, WB_WRITE_PUT, journal, NULL};
		for (size_t i = 0; i < rv->na; i++) {
			if (rv->a[i].dropped)
				continue;
			action_write(&rv->a[i], &w[k], &c[k]);
			of[k++] = i;
		}
		w[k++] = (wb_write){WB_CHECKPOINT_TABLE, WB_WRITE_PUT, cp, NULL};
		rc = wb_batch_write(rv->db, w, k, &failed);
		if (rc == WB_ECONDITION && (failed >= k || w[failed].cond == NULL))
			break;
		if (rc == WB_ECONDITION)
			action_conflict(rv, &rv->a[of[failed]]);
	}
	free(w);
	free(c);
	free(of);
	return rc == WB_ENOMEM ? wb__oom(rv->db) : rc;
}

/* Not atomic: the journal first, then each write, then the checkpoint. */
static int apply_each(struct revert *rv, wb_item *journal, wb_item *cp)
{
	int rc = 0;

	if (journal && (rc = wb_put(rv->db, WB_JOURNAL_TABLE, journal, NULL)) < 0)
		return rc;
	for (size_t i = 0; i < rv->na; i++) {
		wb_write w;
		wb_cond c;
		action_write(&rv->a[i], &w, &c);
		rc = wb_batch_write(rv->db, &w, 1, NULL);
		if (rc == WB_ECONDITION)
			action_conflict(rv, &rv->a[i]);
		else if (rc < 0)
			return rc;
	}
	return wb_put(rv->db, WB_CHECKPOINT_TABLE, cp, NULL);
}

static void count_applied(struct revert *rv)
{
	for (size_t i = 0; i < rv->na; i++) {
		const struct action *a = &rv->a[i];
		if (a->dropped)
			continue;
		if (!a->target)
			rv->counts.deleted++;
		else if (!a->now)
			rv->counts.recreated++;
		else
			rv->counts.restored++;
	}
}

static int heartbeat(struct revert *rv)
{
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (!rv->locked || now - rv->last_beat < wb__lease_seconds() / 3)
		return 0;
	if ((rc = wb__lock_heartbeat(rv->db, rv->target.migration, rv->me.run_id)) < 0)
		return wb__error(rv->db, rc, "revert of %s: lost the lease of %s: %s", rv->target.run_id,
				 rv->target.migration, wb_errmsg(rv->db));
	rv->last_beat = now;
	return 0;
}

/* One journal chunk of the reverted run, entries last to first. */
static int revert_chunk(struct revert *rv, const wb_item *it)
{
	wb_journal_read r;
	wb_item *journal = NULL, *cp = NULL;
	int rc;

	if ((rc = wb__journal_parse(&r, it)) < 0)
		return rc;
	for (size_t i = r.n; rc == 0 && i-- > 0;)
		rc = judge_entry(rv, r.table, &r.e[i]);
	if (rc == 0 && !rv->o->dry_run) {
		rv->chunks++;
		if ((rc = own_journal(rv, r.table, &journal)) == 0 && !(cp = checkpoint(rv, r.seq, 0)))
			rc = WB_ENOMEM;
		if (rc == 0)
			rc = rv->atomic ? apply_atomic(rv, journal, cp) : apply_each(rv, journal, cp);
		if (rc == 0)
			count_applied(rv);
	} else if (rc == 0) {
		count_applied(rv);
	}
	wb_item_free(journal);
	wb_item_free(cp);
	actions_clear(rv);
	wb__journal_read_clear(&r);
	if (rc == 0)
		rc = heartbeat(rv);
	return rc;
}

/* --------------------------------------------------------------- walking */

static int stopped(const struct revert *rv)
{
	return rv->o->stop && *rv->o->stop;
}

static void progress(struct revert *rv)
{
	int64_t total = rv->target.written + rv->target.deleted;

	if (rv->o->progress)
		fprintf(stderr, "\rrevert %s: %lld of about %lld items", rv->target.run_id,
			(long long)rv->counts.entries, (long long)total);
}

/* No journal where the run wrote: run with --no-journal, or pruned. */
static int no_journal(struct revert *rv)
{
	const wb_ledger_run *t = &rv->target;

	if (t->written + t->deleted == 0)
		return 0; /* it changed nothing: nothing to put back */
	return wb__error(rv->db, WB_ENOTFOUND, "run %s has no journal in %s (run with --no-journal, or "
			 "pruned after its retention: `whimbrel restore` can still go back in time)",
			 t->run_id, WB_JOURNAL_TABLE);
}

/* One chunk of the walk: reverted, unless told to stop. */
static int walk_chunk(const wb_item *chunk, void *arg)
{
	struct revert *rv = arg;
	int rc = stopped(rv) ? wb__error(rv->db, WB_EINTERRUPTED, "interrupted") : revert_chunk(rv, chunk);

	progress(rv);
	return rc;
}

/* Every chunk of the run from `cursor` (a chunk key, or NULL), latest first. */
static int walk(struct revert *rv, wb_item *cursor)
{
	size_t seen = 0;
	int first = !cursor, rc = wb__journal_walk(rv->db, rv->target.run_id, 1, PAGE, cursor, walk_chunk, rv,
						   &seen);

	wb_item_free(cursor);
	if (first && seen == 0 && (rc == 0 || rc == WB_ENOTFOUND)) /* no journal (table) at all */
		rc = no_journal(rv);
	if (rv->o->progress)
		fputc('\n', stderr);
	return rc;
}

/* ------------------------------------------------------------ start, end */

/* Can `t` be reverted? */
static int check_target(struct revert *rv)
{
	const wb_ledger_run *t = &rv->target;
	char by[64];

	if (strcmp(t->mode, "plan") == 0)
		return wb__error(rv->db, WB_EINVALID, "run %s is a plan: it wrote nothing to revert", t->run_id);
	if (strcmp(t->status, "running") == 0)
		return wb__error(rv->db, WB_EBUSY, "run %s is still running (or crashed: `whimbrel unlock` "
				 "after it is gone)", t->run_id);
	if (strcmp(t->status, "reverted") == 0) {
		row_attr(rv->db, t->run_id, "reverted_by", by, sizeof(by));
		return wb__error(rv->db, WB_EINVALID, "run %s is already reverted%s%s (revert that run to "
				 "undo the revert)", t->run_id, by[0] ? " by run " : "", by);
	}
	return 0;
}

/* Where an interrupted revert of the same run stopped: the chunk key, or NULL. */
static int resume_point(struct revert *rv, wb_item **cursor)
{
	wb_checkpoint cp;
	int rc;

	*cursor = NULL;
	rc = wb__checkpoint_load(rv->db, rv->cp_name, "journal", &cp);
	if (rc == WB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (cp.last_key && !cp.done) {
		*cursor = cp.last_key;
		cp.last_key = NULL;
		rv->chunks = cp.count;
		if (rv->o->on_item)
			rv->o->on_item(WB_REVERT_RESUMED, "", "", rv->o->arg);
	}
	wb__checkpoint_clear_struct(&cp);
	return 0;
}

static int start(struct revert *rv)
{
	wb_lease taken;
	int rc;

	if ((rc = wb_ledger_get(&rv->target, rv->db, rv->o->run_id)) < 0)
		return rc == WB_ENOTFOUND ? wb__error(rv->db, rc, "no run %s in the ledger of %s",
						       rv->o->run_id, wb_db_url(rv->db)) : rc;
	if ((rc = check_target(rv)) < 0)
		return rc;
	snprintf(rv->cp_name, sizeof(rv->cp_name), "%s%s", WB_REVERT_CP_PREFIX, rv->target.run_id);
	rv->atomic = (wb__db_caps(rv->db) & WB_CAP_ATOMIC_BATCH) != 0;
	if (rv->o->dry_run)
		return 0;
	me_init(rv);
	if ((rc = wb__reserved_ensure(rv->db)) < 0 || (rc = wb__journal_ensure(rv->db)) < 0)
		return rc;
	if ((rc = wb__lock_acquire(rv->db, rv->target.migration, rv->me.run_id, &taken)) < 0)
		return rc;
	rv->locked = 1;
	rv->last_beat = (int64_t)time(NULL);
	if (taken.holder[0])
		close_dead(rv->db, &taken);
	return me_put(rv);
}

/* The ledger after the walk: ours, and the reverted run's status. */
static int finish(struct revert *rv, int rc)
{
	wb_ledger_run *m = &rv->me;
	const char *names[2] = {"status", "reverted_by"};
	const char *values[2] = {"reverted", m->run_id};
	int rc2 = 0;

	m->finished = (int64_t)time(NULL);
	m->duration_ms = now_ms() - rv->t0_ms;
	m->scanned = rv->counts.entries;
	m->written = rv->counts.restored + rv->counts.recreated;
	m->deleted = rv->counts.deleted;
	m->unchanged = rv->counts.unchanged;
	m->failed = rv->counts.conflicts;
	m->exit_code = rc == 0 && !rv->counts.conflicts ? 0 : 1;
	if (rc == WB_EINTERRUPTED)
		snprintf(m->status, sizeof(m->status), "interrupted");
	else if (rc < 0 || rv->counts.conflicts)
		snprintf(m->status, sizeof(m->status), "failed");
	else
		snprintf(m->status, sizeof(m->status), "succeeded");
	if (rc < 0)
		snprintf(m->error, sizeof(m->error), "%s", wb_error_last());
	else if (rv->counts.conflicts)
		snprintf(m->error, sizeof(m->error), "%lld item(s) changed since run %s were left as they are "
			 "(--force puts them back too)", (long long)rv->counts.conflicts, rv->target.run_id);
	if (rc == 0) /* walked to the end: a new revert starts over (--force after conflicts) */
		rc2 = wb__checkpoint_clear(rv->db, rv->cp_name, NULL);
	if (rc == 0 && !rv->counts.conflicts && rc2 == 0)
		rc2 = row_set(rv->db, rv->target.run_id, names, values, 2);
	/* An interrupted (or failed) run left checkpoints: its items are back as before it,
	 * so the next run of the migration must start over, not resume after them. */
	if (rc == 0 && !rv->counts.conflicts && rc2 == 0 &&
	    (strcmp(rv->target.status, "interrupted") == 0 || strcmp(rv->target.status, "failed") == 0))
		rc2 = wb__checkpoint_clear(rv->db, rv->target.migration, NULL);
	if (rc2 == 0)
		rc2 = me_put(rv);
	if (rv->locked)
		wb__lock_release(rv->db, rv->target.migration, m->run_id);
	return rc < 0 ? rc : rc2;
}

/* A revert of a revert: the run it had reverted is back as it was. */
static int unrevert(struct revert *rv)
{
	char orig[64], status[16];
	const char *names[2] = {"status", "reverted_by"};
	const char *values[2] = {status, ""};

	row_attr(rv->db, rv->target.run_id, "reverts", orig, sizeof(orig));
	row_attr(rv->db, rv->target.run_id, "reverted_status", status, sizeof(status));
	if (!orig[0] || !status[0])
		return 0;
	return row_set(rv->db, orig, names, values, 2);
}

int wb_revert(wb_revert_counts *counts, wb_ledger_run *out, const wb_revert_options *o)
{
	struct revert rv;
	wb_item *cursor = NULL;
	int rc;

	if (!o || o->version != WB_REVERT_OPTIONS_VERSION || !o->url || !o->run_id)
		return wb__error(NULL, WB_EINVALID, "wb_revert: options without version, url or run_id");
	memset(&rv, 0, sizeof(rv));
	rv.o = o;
	rv.t0_ms = now_ms();
	if ((rc = wb_open(&rv.db, o->url)) < 0)
		return rc;
	if ((rc = start(&rv)) == 0 && (rc = resume_point(&rv, &cursor)) == 0)
		rc = walk(&rv, cursor);
	if (!o->dry_run && rv.me.run_id[0]) {
		int was_ok = rc == 0 && !rv.counts.conflicts;
		rc = finish(&rv, rc);
		if (rc == 0 && was_ok)
			rc = unrevert(&rv);
	}
	if (counts)
		*counts = rv.counts;
	if (out)
		*out = rv.me;
	actions_clear(&rv);
	free(rv.a);
	wb__journal_chunk_free(&rv.chunk);
	wb__strset_free(&rv.seen);
	wb_close(rv.db);
	return rc;
}
