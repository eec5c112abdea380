/*
 * copy.c - wb_copy: copy the items of one table into another, within one
 * target or across two (`whimbrel copy`, the second step of a
 * point-in-time restore).
 *
 * A whole-table copy reads the source page by page and writes each page
 * with one wb_batch_write (overwrite) or item by item on the condition
 * that the item does not exist yet (only-missing); in PARALLEL scan
 * segments at once, each on a thread with its own handles and checkpoint,
 * unless the destination takes one writer at a time (WB_CAP_ONE_WRITER:
 * threads would only queue) or the copy samples partitions (the sample
 * is chosen as the scan goes: one stream).  With keys_of_run, only
 * the items that run touched are copied, their keys read from the run's
 * journal (whimbrel_journal, in the destination's target, or else the
 * source's): an item the source holds is written, an item it does not hold
 * is deleted from the destination (the run created it), unless
 * only-missing.
 *
 * After every page (or journal chunk) a checkpoint in the destination
 * target's whimbrel_checkpoints ("copy:SRC>DST", or with the run) says
 * where the copy got to; a copy that was interrupted (Ctrl-C, kill -9)
 * goes on from there when started again with the same arguments, and the
 * checkpoint goes when the copy is complete.  Writes are idempotent, so a
 * page written again after a crash between its writes and its checkpoint
 * does no harm.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "backend.h"
#include "buf.h"
#include "checkpoint.h"
#include "journal.h"
#include "ledger.h"
#include "sha256.h"
#include "strset.h"

#define PAGE 500  /* items per source page */
#define PARALLEL 4 /* segments (and threads) of a whole-table copy */

/* What the segments of a parallel copy share. */
struct shared {
	pthread_mutex_t lock;      /* guards read */
	int64_t read;              /* items read by every segment, for the progress line */
};

/* A copy in progress (one per segment when parallel). */
struct copy {
	const wb_copy_options *o;
	wb_db *from, *to;          /* source and destination handles (may be one) */
	wb_db *jdb;                /* where the run's journal is (keys_of_run) */
	char cp_name[700];         /* checkpoint "migration" */
	wb_key_schema key;         /* the source's key */
	wb_strset parts;           /* sample: the partition keys kept */
	unsigned seg, nseg;        /* this scan segment, of how many */
	struct shared *sh;         /* parallel: the shared counters, else NULL */
	int rc;                    /* parallel: this segment's result */
	char err[512];             /* parallel: its message */
	wb_copy_counts c;          /* counters */
};

static int stopped(const struct copy *cp)
{
	return cp->o->stop && *cp->o->stop;
}

static void progress(struct copy *cp, int64_t more)
{
	int64_t n = cp->c.read;

	if (cp->sh) {
		pthread_mutex_lock(&cp->sh->lock);
		n = cp->sh->read += more;
		pthread_mutex_unlock(&cp->sh->lock);
	}
	if (cp->o->progress)
		fprintf(stderr, "\rcopy %s -> %s: %lld items", cp->o->src, cp->o->dst, (long long)n);
}

/* The checkpoint's segment name: "copy", or "segNNNN" of a parallel copy. */
static void seg_name(const struct copy *cp, char *buf, size_t size)
{
	if (cp->nseg > 1)
		snprintf(buf, size, "seg%04u", cp->seg);
	else
		snprintf(buf, size, "copy");
}

/* The destination table, created like the source when absent. */
static int ensure_dst(struct copy *cp)
{
	wb_table_desc s, d;
	int rc;

	if ((rc = wb_table_describe(&s, cp->from, cp->o->src)) < 0)
		return rc;
	cp->key = s.key;
	rc = wb_table_describe(&d, cp->to, cp->o->dst);
	if (rc == WB_ENOTFOUND) {
		if ((rc = wb_table_create(cp->to, cp->o->dst, &s.key)) == 0)
			cp->c.created_table = 1;
		return rc == WB_EEXISTS ? 0 : rc;
	}
	if (rc < 0)
		return rc;
	if (strcmp(s.key.pk_name, d.key.pk_name) != 0 || s.key.pk_type != d.key.pk_type ||
	    strcmp(s.key.sk_name, d.key.sk_name) != 0 || (s.key.sk_name[0] && s.key.sk_type != d.key.sk_type))
		return wb__error(NULL, WB_EINVALID, "copy %s -> %s: the tables' keys differ", cp->o->src,
				 cp->o->dst);
	return 0;
}

/* ------------------------------------------------------------ checkpoint */

static int cp_save(struct copy *cp, const wb_item *last, int done)
{
	char seg[16];
	wb_item *it;
	int rc;

	seg_name(cp, seg, sizeof(seg));
	it = wb__checkpoint_item(cp->cp_name, seg, "", cp->o->dst, last, done, cp->nseg, cp->c.read, NULL);
	if (!it)
		return wb__oom(NULL);
	rc = wb_put(cp->to, WB_CHECKPOINT_TABLE, it, NULL);
	wb_item_free(it);
	return rc;
}

/* Where an interrupted copy stopped (*cursor, or NULL: from the start). */
static int cp_load(struct copy *cp, wb_item **cursor)
{
	wb_checkpoint c;
	char seg[16];
	int rc;

	seg_name(cp, seg, sizeof(seg));
	rc = wb__checkpoint_load(cp->to, cp->cp_name, seg, &c);
	*cursor = NULL;
	if (rc == WB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (c.done) { /* this segment was finished before the interruption */
		cp->c.read = c.count;
		wb__checkpoint_clear_struct(&c);
		return 1;
	}
	if (c.last_key) {
		*cursor = c.last_key;
		c.last_key = NULL;
		cp->c.read = c.count;
		cp->c.resumed = 1;
	}
	wb__checkpoint_clear_struct(&c);
	return 0;
}

/* ------------------------------------------------------------- writing */

/* One item into the destination; `item` NULL deletes `key` there. */
static int put_one(struct copy *cp, const wb_item *item, const wb_item *key)
{
	wb_cond missing = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	int rc;

	if (!item) {
		if (cp->o->only_missing)
			return 0;
		if ((rc = wb_delete(cp->to, cp->o->dst, key, NULL)) == 0)
			cp->c.deleted++;
		return rc;
	}
	rc = wb_put(cp->to, cp->o->dst, item, cp->o->only_missing ? &missing : NULL);
	if (rc == WB_ECONDITION) {
		cp->c.skipped++;
		return 0;
	}
	if (rc == 0)
		cp->c.written++;
	return rc;
}

/* ------------------------------------------------------- sample and mask */

/* A partition key as text: its type and bytes (hex for B). */
static int pk_text(const struct copy *cp, const wb_item *it, char *buf, size_t size)
{
	const wb_value *v = wb_item_get(it, cp->key.pk_name);
	size_t len, o;
	const char *b = v ? wb_value_bytes(v, &len) : NULL;

	if (!b)
		return -1;
	o = (size_t)snprintf(buf, size, "%d:", (int)wb_value_type(v));
	for (size_t i = 0; i < len && o + 3 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%02x", (unsigned char)b[i]);
	return 0;
}

/* Does the item's partition belong to the sample?  1 yes, 0 no, negative on error. */
static int sampled(struct copy *cp, const wb_item *it)
{
	char text[2100], hex[65];
	int rc;

	if (cp->o->sample <= 0 && !(cp->o->fraction > 0 && cp->o->fraction < 1))
		return 1;
	if (pk_text(cp, it, text, sizeof(text)) < 0)
		return 0;
	if (cp->o->fraction > 0 && cp->o->fraction < 1) {
		wb__sha256_hex(hex, text, strlen(text));
		return (double)strtoul(hex + 56, NULL, 16) / 4294967296.0 < cp->o->fraction;
	}
	if (wb__strset_has(&cp->parts, text))
		return 1;
	if ((int64_t)cp->parts.n >= cp->o->sample)
		return 0;
	rc = wb__strset_add(&cp->parts, text);
	return rc < 0 ? rc : 1;
}

/* A stable fake of the bytes p: the same input gives the same fake. */
static void fake_hex(char out[65], const char *name, const char *p, size_t len)
{
	wb_buf b = {0};

	wb__buf_puts(&b, name);
	wb__buf_append(&b, "\n", 1);
	wb__buf_append(&b, p, len);
	wb__sha256_hex(out, b.oom ? "" : b.text, b.oom ? 0 : b.len);
	wb__buf_free(&b);
}

static wb_value *fake_scalar(wb_type t, const char *name, const char *p, size_t len)
{
	char hex[65], text[32];
	unsigned char bytes[16];

	fake_hex(hex, name, p, len);
	switch (t) {
	case WB_S:
		snprintf(text, sizeof(text), "fake-%.12s", hex);
		return wb_value_string(text, strlen(text));
	case WB_N:
		snprintf(text, sizeof(text), "%llu", strtoull(hex + 52, NULL, 16));
		return wb_value_number(text);
	default:
		for (int i = 0; i < 16; i++)
			bytes[i] = (unsigned char)strtoul((char[3]){hex[2 * i], hex[2 * i + 1], 0}, NULL, 16);
		return wb_value_binary(bytes, sizeof(bytes));
	}
}

/* Is the member p a member of set s already? */
static int set_has(const wb_value *s, const char *p, size_t len)
{
	for (size_t i = 0; i < wb_value_count(s); i++) {
		size_t l;
		const char *m = wb_value_set_at(s, i, &l);
		if (l == len && memcmp(m, p, len) == 0)
			return 1;
	}
	return 0;
}

/* A masked copy of v (NULL when out of memory): scalars faked, containers masked inside. */
static wb_value *mask_value(const wb_value *v, const char *name)
{
	wb_type t = wb_value_type(v);
	wb_value *out = NULL;
	const char *p;
	size_t len;

	switch (t) {
	case WB_S:
	case WB_N:
	case WB_B:
		p = wb_value_bytes(v, &len);
		return fake_scalar(t, name, p, len);
	case WB_BOOL:
	case WB_NULL:
		return wb_value_dup(v);
	case WB_L:
		if (!(out = wb_value_list()))
			return NULL;
		for (size_t i = 0; i < wb_value_count(v); i++)
			if (wb_value_list_append(out, mask_value(wb_value_list_at(v, i), name)) < 0) {
				wb_value_free(out);
				return NULL;
			}
		return out;
	case WB_M: {
		const wb_item *m = wb_value_get_map(v);
		wb_item *mm = wb_item_new();
		for (size_t i = 0; mm && i < wb_item_count(m); i++)
			if (wb_item_set(mm, wb_item_name_at(m, i), mask_value(wb_item_value_at(m, i), name)) < 0) {
				wb_item_free(mm);
				mm = NULL;
			}
		return mm ? wb_value_map(mm) : NULL;
	}
	default: /* sets: every member faked (two that collide become one: the set stays valid) */
		if (!(out = wb_value_set(t)))
			return NULL;
		for (size_t i = 0; i < wb_value_count(v); i++) {
			wb_value *f;
			p = wb_value_set_at(v, i, &len);
			f = fake_scalar(t == WB_SS ? WB_S : t == WB_NS ? WB_N : WB_B, name, p, len);
			const char *fb = f ? wb_value_bytes(f, &len) : NULL;
			int rc = !fb ? WB_ENOMEM : set_has(out, fb, len) ? 0 : wb_value_set_add(out, fb, len);
			wb_value_free(f);
			if (rc < 0) {
				wb_value_free(out);
				return NULL;
			}
		}
		return out;
	}
}

/* Replace the masked attributes of `it` in place. */
static int mask_item(const struct copy *cp, wb_item *it)
{
	for (size_t i = 0; i < cp->o->nmask; i++) {
		const wb_value *v = wb_item_get(it, cp->o->mask[i]);
		wb_value *f;
		if (!v)
			continue;
		if (!(f = mask_value(v, cp->o->mask[i])) || wb_item_set(it, cp->o->mask[i], f) < 0)
			return wb__oom(NULL);
	}
	return 0;
}

/* Keep the page's sampled items (masked), the others freed and counted. */
static int filter_page(struct copy *cp, wb_page *page)
{
	size_t k = 0;
	int rc = 0;

	for (size_t i = 0; i < page->count; i++) {
		int keep = rc == 0 ? sampled(cp, page->items[i]) : 0;
		if (keep < 0)
			rc = keep;
		if (keep > 0 && (rc = mask_item(cp, page->items[i])) == 0) {
			page->items[k++] = page->items[i];
			continue;
		}
		cp->c.left_out += keep == 0;
		wb_item_free(page->items[i]);
	}
	page->count = k;
	return rc;
}

static int write_page(struct copy *cp, const wb_page *page)
{
	wb_write *w;
	int rc = 0;

	if (cp->o->only_missing || page->count == 0) {
		for (size_t i = 0; rc == 0 && i < page->count; i++)
			rc = put_one(cp, page->items[i], NULL);
		return rc;
	}
	if (!(w = wb__calloc(page->count, sizeof(*w))))
		return wb__oom(NULL);
	for (size_t i = 0; i < page->count; i++)
		w[i] = (wb_write){cp->o->dst, WB_WRITE_PUT, page->items[i], NULL};
	if ((rc = wb_batch_write(cp->to, w, page->count, NULL)) == 0)
		cp->c.written += (int64_t)page->count;
	free(w);
	return rc;
}

/* ------------------------------------------------------------ the table */

static int copy_table(struct copy *cp)
{
	wb_scan s = WB_SCAN_INIT;
	wb_item *cursor = NULL;
	int rc = 0;

	/* a sample is chosen as the scan goes: it cannot resume, it starts over */
	if (cp->o->sample <= 0 && (rc = cp_load(cp, &cursor)) != 0)
		return rc < 0 ? rc : 0;
	s.limit = PAGE;
	s.segment = cp->seg;
	s.total_segments = cp->nseg;
	while (rc == 0) {
		wb_page *page = NULL;
		if (stopped(cp)) {
			rc = wb__error(NULL, WB_EINTERRUPTED, "interrupted");
			break;
		}
		s.start_after = cursor;
		if ((rc = wb_scan_page(&page, cp->from, cp->o->src, &s)) < 0)
			break;
		size_t read = page->count;
		if ((rc = filter_page(cp, page)) == 0 && (rc = write_page(cp, page)) == 0) {
			cp->c.read += (int64_t)read;
			rc = cp_save(cp, page->last_key, page->last_key == NULL);
		}
		wb_item_free(cursor);
		cursor = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
		progress(cp, (int64_t)read);
		if (!cursor)
			break;
	}
	wb_item_free(cursor);
	return rc;
}

/* ------------------------------------------------------- parallel segments */

static void *seg_main(void *arg)
{
	struct copy *w = arg;

	if ((w->rc = wb_open(&w->from, w->o->from_url)) == 0 &&
	    (w->rc = wb_open(&w->to, w->o->to_url ? w->o->to_url : w->o->from_url)) == 0)
		w->rc = copy_table(w);
	if (w->rc < 0) /* the message is this thread's: keep it for the caller's */
		snprintf(w->err, sizeof(w->err), "%s", wb_error_last());
	wb_close(w->to);
	wb_close(w->from);
	return NULL;
}

/* Fold a segment's counters into the copy's. */
static void add_counts(wb_copy_counts *a, const wb_copy_counts *b)
{
	a->read += b->read;
	a->written += b->written;
	a->skipped += b->skipped;
	a->deleted += b->deleted;
	a->resumed |= b->resumed;
}

/* The table in PARALLEL segments, a thread each; the first failure is returned with its message. */
static int copy_parallel(struct copy *cp)
{
	struct copy w[PARALLEL];
	pthread_t tid[PARALLEL];
	struct shared sh = {PTHREAD_MUTEX_INITIALIZER, 0};
	char err[1024] = "";
	int rc = 0, started[PARALLEL] = {0};

	for (unsigned i = 0; i < PARALLEL; i++) {
		w[i] = *cp;
		memset(&w[i].c, 0, sizeof(w[i].c));
		memset(&w[i].parts, 0, sizeof(w[i].parts));
		w[i].from = w[i].to = NULL;
		w[i].seg = i;
		w[i].nseg = PARALLEL;
		w[i].sh = &sh;
		w[i].rc = 0;
		started[i] = pthread_create(&tid[i], NULL, seg_main, &w[i]) == 0;
		if (!started[i])
			seg_main(&w[i]);
	}
	for (unsigned i = 0; i < PARALLEL; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		add_counts(&cp->c, &w[i].c);
		if (w[i].rc < 0 && rc == 0) {
			rc = w[i].rc;
			snprintf(err, sizeof(err), "segment %u of %u: %s", i, PARALLEL, w[i].err);
		}
	}
	pthread_mutex_destroy(&sh.lock);
	return rc < 0 ? wb__error(NULL, rc, "%s", err) : 0;
}

/* ----------------------------------------------------- the keys of a run */

/* One journal chunk of the run: its entries on the destination table, copied back. */
static int copy_chunk(struct copy *cp, const wb_item *it)
{
	wb_journal_read r;
	int rc;

	if ((rc = wb__journal_parse(&r, it)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < r.n && strcmp(r.table, cp->o->dst) == 0; i++) {
		wb_item *item = NULL;
		rc = wb_get(&item, cp->from, cp->o->src, r.e[i].key);
		if (rc == 0 || rc == WB_ENOTFOUND)
			rc = put_one(cp, item, r.e[i].key);
		wb_item_free(item);
		cp->c.read++;
	}
	wb__journal_read_clear(&r);
	return rc;
}

/* The handle whose ledger holds the run: the destination's, else the source's. */
static int find_run(struct copy *cp)
{
	wb_ledger_run r;

	if (wb_ledger_get(&r, cp->to, cp->o->keys_of_run) == 0)
		cp->jdb = cp->to;
	else if (wb_ledger_get(&r, cp->from, cp->o->keys_of_run) == 0)
		cp->jdb = cp->from;
	else
		return wb__error(NULL, WB_ENOTFOUND, "--keys-of-run: no run %s in the ledger of either target",
				 cp->o->keys_of_run);
	return 0;
}

static int copy_keys(struct copy *cp)
{
	wb_value *pk = wb_value_string(cp->o->keys_of_run, strlen(cp->o->keys_of_run));
	wb_query q = WB_QUERY_INIT;
	wb_item *cursor = NULL;
	int rc = pk ? 0 : WB_ENOMEM, any = 0;

	if (rc == 0 && (rc = find_run(cp)) < 0) {
		wb_value_free(pk);
		return rc;
	}
	if (rc == 0)
		rc = cp_load(cp, &cursor);
	q.pk = pk;
	q.limit = 20;
	while (rc == 0) {
		wb_page *page = NULL;
		q.start_after = cursor;
		if ((rc = wb_query_page(&page, cp->jdb, WB_JOURNAL_TABLE, &q)) < 0)
			break;
		for (size_t i = 0; rc == 0 && i < page->count; i++) {
			rc = stopped(cp) ? wb__error(NULL, WB_EINTERRUPTED, "interrupted")
					 : copy_chunk(cp, page->items[i]);
			wb_item *k = rc == 0 ? wb_item_key(page->items[i], &(wb_key_schema){"run_id", WB_S, "seq", WB_S})
					     : NULL;
			if (rc == 0)
				rc = k ? cp_save(cp, k, 0) : WB_ENOMEM;
			wb_item_free(k);
			any = 1;
			progress(cp, 0);
		}
		wb_item_free(cursor);
		cursor = page->last_key;
		page->last_key = NULL;
		wb_page_free(page);
		if (!cursor)
			break;
	}
	wb_item_free(cursor);
	wb_value_free(pk);
	if (rc == WB_ENOTFOUND && !any)
		rc = wb__error(NULL, WB_ENOTFOUND, "--keys-of-run: run %s has no journal", cp->o->keys_of_run);
	return rc == WB_ENOMEM ? wb__oom(NULL) : rc;
}

/* ------------------------------------------------------------------ API */

static int copy_open(struct copy *cp)
{
	int rc;

	if ((rc = wb_open(&cp->from, cp->o->from_url)) < 0)
		return rc;
	if (!cp->o->to_url || strcmp(cp->o->to_url, cp->o->from_url) == 0) {
		if (strcmp(cp->o->src, cp->o->dst) == 0)
			return wb__error(NULL, WB_EINVALID, "copy: %s onto itself", cp->o->src);
		cp->to = cp->from;
		return 0;
	}
	return wb_open(&cp->to, cp->o->to_url);
}

int wb_copy(wb_copy_counts *out, const wb_copy_options *o)
{
	struct copy cp;
	int rc;

	if (!o || o->version != WB_COPY_OPTIONS_VERSION || !o->from_url || !o->src || !o->dst)
		return wb__error(NULL, WB_EINVALID, "wb_copy: options without version, from_url, src or dst");
	memset(&cp, 0, sizeof(cp));
	cp.o = o;
	snprintf(cp.cp_name, sizeof(cp.cp_name), "copy:%s>%s%s%s", o->src, o->dst, o->keys_of_run ? ":" : "",
		 o->keys_of_run ? o->keys_of_run : "");
	cp.nseg = 1;
	if ((rc = copy_open(&cp)) == 0 && (rc = ensure_dst(&cp)) == 0 &&
	    (rc = wb__reserved_ensure(cp.to)) == 0) {
		if (o->keys_of_run)
			rc = copy_keys(&cp);
		else if (o->sample > 0 || (wb__db_caps(cp.to) & WB_CAP_ONE_WRITER))
			rc = copy_table(&cp);
		else
			rc = copy_parallel(&cp);
	}
	if (o->progress)
		fputc('\n', stderr);
	if (rc == 0)
		rc = wb__checkpoint_clear(cp.to, cp.cp_name, NULL);
	if (out)
		*out = cp.c;
	wb__strset_free(&cp.parts);
	if (cp.to != cp.from)
		wb_close(cp.to);
	wb_close(cp.from);
	return rc;
}
