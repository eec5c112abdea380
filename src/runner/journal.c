/*
 * journal.c - entries of whimbrel_journal (see journal.h for the layout):
 * the content hash of an item, building and reading entries, creating the
 * table and dropping a run's entries.
 *
 * The hash is SHA-256 over a canonical encoding: a map's attributes in
 * name order, a set's members in byte order, numbers in canonical text
 * (number.c), each part length-prefixed.  Two items hash alike exactly
 * when wb_item_equal says they are equal, whatever order a store gave
 * their attributes in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common.h"
#include "buf.h"
#include "codec.h"
#include "item.h"
#include "journal.h"
#include "ledger.h"
#include "sha256.h"

/* ---------------------------------------------------------------- hashing */

static int canon_value(wb_buf *b, const wb_value *v, int depth);

static void put_len(wb_buf *b, size_t n)
{
	unsigned char l[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
			      (unsigned char)n};

	wb__buf_append(b, l, 4);
}

static void put_bytes(wb_buf *b, const char *p, size_t n)
{
	put_len(b, n);
	wb__buf_append(b, p, n);
}

/* A number's canonical text (malformed text as it is: validation rejects it before any write). */
static void put_number(wb_buf *b, const char *p, size_t n)
{
	char text[80];
	wb_num num;

	if (wb__num_parse(&num, p, n) == 0) {
		size_t len = wb__num_format(&num, text, sizeof(text));
		put_bytes(b, text, len);
	} else {
		put_bytes(b, p, n);
	}
}

/* A sort context for indexes: names of an item, or members of a set. */
struct order {
	const wb_item *it;   /* names of this item, or */
	const wb_value *set; /* members of this set */
};

static __thread const struct order *cur_order;

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static int cmp_index(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb, al, bl;
	const char *x, *y;

	if (cur_order->it)
		return strcmp(wb_item_name_at(cur_order->it, a), wb_item_name_at(cur_order->it, b));
	if (wb_value_type(cur_order->set) == WB_NS) {
		x = wb_value_set_at(cur_order->set, a, &al);
		y = wb_value_set_at(cur_order->set, b, &bl);
		return wb__num_text_cmp(x, al, y, bl);
	}
	x = wb_value_set_at(cur_order->set, a, &al);
	y = wb_value_set_at(cur_order->set, b, &bl);
	return cmp_bytes(x, al, y, bl);
}

/* Indexes 0..n-1 sorted by `o` into idx (caller's; n > 0). */
static void sort_index(size_t *idx, size_t n, const struct order *o)
{
	const struct order *saved = cur_order;

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	cur_order = o;
	qsort(idx, n, sizeof(*idx), cmp_index);
	cur_order = saved;
}

static int canon_item(wb_buf *b, const wb_item *it, int depth)
{
	size_t n = wb_item_count(it), small[32], *idx = n <= 32 ? small : wb__malloc(n * sizeof(*idx));
	struct order o = {it, NULL};
	int rc = 0;

	if (!idx)
		return WB_ENOMEM;
	put_len(b, n);
	if (n)
		sort_index(idx, n, &o);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = wb_item_name_at(it, idx[i]);
		put_bytes(b, name, strlen(name));
		rc = canon_value(b, wb_item_value_at(it, idx[i]), depth + 1);
	}
	if (idx != small)
		free(idx);
	return rc;
}

static int canon_set(wb_buf *b, const wb_value *v)
{
	size_t n = wb_value_count(v), small[32], *idx = n <= 32 ? small : wb__malloc(n * sizeof(*idx));
	struct order o = {NULL, v};

	if (!idx)
		return WB_ENOMEM;
	put_len(b, n);
	if (n)
		sort_index(idx, n, &o);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *p = wb_value_set_at(v, idx[i], &len);
		if (wb_value_type(v) == WB_NS)
			put_number(b, p, len);
		else
			put_bytes(b, p, len);
	}
	if (idx != small)
		free(idx);
	return 0;
}

static int canon_value(wb_buf *b, const wb_value *v, int depth)
{
	wb_type t = wb_value_type(v);
	unsigned char tb = (unsigned char)t;
	const char *p;
	size_t len;
	int rc = 0;

	if (depth > WB_CODEC_MAX_DEPTH)
		return WB_EINVALID;
	wb__buf_append(b, &tb, 1);
	switch (t) {
	case WB_S:
	case WB_B:
		p = wb_value_bytes(v, &len);
		put_bytes(b, p, len);
		break;
	case WB_N:
		p = wb_value_bytes(v, &len);
		put_number(b, p, len);
		break;
	case WB_BOOL:
		tb = (unsigned char)(wb_value_get_bool(v) != 0);
		wb__buf_append(b, &tb, 1);
		break;
	case WB_NULL:
		break;
	case WB_L:
		put_len(b, wb_value_count(v));
		for (size_t i = 0; i < wb_value_count(v) && rc == 0; i++)
			rc = canon_value(b, wb_value_list_at(v, i), depth + 1);
		break;
	case WB_M:
		rc = canon_item(b, wb_value_get_map(v), depth);
		break;
	default:
		rc = canon_set(b, v);
		break;
	}
	return rc;
}

/* The hash, with `b` as scratch space. */
static int hash_in(char out[WB_JOURNAL_HASH_SIZE], const wb_item *item, wb_buf *b)
{
	int rc;

	if (!item) {
		snprintf(out, WB_JOURNAL_HASH_SIZE, "-");
		return 0;
	}
	wb__buf_clear(b);
	rc = canon_item(b, item, 0);
	if (rc == 0 && b->oom)
		rc = WB_ENOMEM;
	if (rc < 0) {
		snprintf(out, WB_JOURNAL_HASH_SIZE, "?");
		return rc == WB_ENOMEM ? wb__oom(NULL) : wb__error(NULL, rc, "journal: item nested too deep to hash");
	}
	wb__sha256_hex(out, b->data, b->len);
	return 0;
}

int wb__journal_hash(char out[WB_JOURNAL_HASH_SIZE], const wb_item *item)
{
	wb_buf b = {0};
	int rc = hash_in(out, item, &b);

	wb__buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- chunks */

void wb__journal_seq(char *buf, size_t size, int call, const char *stream, int64_t n)
{
	snprintf(buf, size, "%04d|%s|%012lld", call, stream, (long long)n);
}

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int chunk_reserve(wb_journal_chunk *c, size_t extra)
{
	size_t ncap;
	unsigned char *p;

	if (c->cap - c->len >= extra)
		return 0;
	ncap = c->cap ? c->cap * 2 : 4096;
	while (ncap - c->len < extra)
		ncap *= 2;
	if (!(p = wb__realloc(c->data, ncap)))
		return WB_ENOMEM;
	c->data = p;
	c->cap = ncap;
	return 0;
}

static void put_u32(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static size_t get_u32(const unsigned char *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | (size_t)p[3];
}

/* Append a length and an item's encoding. */
static int chunk_item(wb_journal_chunk *c, const wb_item *it)
{
	wb_buf *b = &c->scratch;
	int rc;

	wb__buf_clear(b);
	if ((rc = wb__item_encode(b, it)) < 0)
		return rc;
	if (b->len > WB_JOURNAL_CHUNK_BYTES)
		return wb__error(NULL, WB_EINVALID, "journal: an item of %zu bytes is too big to journal "
				 "(at most %d; --no-journal runs without)", b->len, WB_JOURNAL_CHUNK_BYTES);
	if ((rc = chunk_reserve(c, 4 + b->len)) < 0)
		return rc;
	put_u32(c->data + c->len, b->len);
	memcpy(c->data + c->len + 4, b->data, b->len);
	c->len += 4 + b->len;
	return 0;
}

int wb__journal_add(wb_journal_chunk *c, const wb_key_schema *key, const wb_item *before,
		    const wb_item *after)
{
	wb_item *k = wb_item_key(before ? before : after, key);
	char hash[WB_JOURNAL_HASH_SIZE];
	size_t start = c->len;
	int rc;

	if (!k)
		return wb_error_last_code() ? wb_error_last_code() : wb__oom(NULL);
	if ((rc = hash_in(hash, after, &c->scratch)) == 0 && (rc = chunk_reserve(c, 65)) == 0) {
		c->data[c->len] = (unsigned char)((before ? 1 : 0) | (after ? 0 : 2));
		memset(c->data + c->len + 1, '0', 64);
		if (after)
			memcpy(c->data + c->len + 1, hash, 64);
		c->len += 65;
		rc = chunk_item(c, k);
	}
	if (rc == 0 && before)
		rc = chunk_item(c, before);
	wb_item_free(k);
	if (rc < 0) {
		c->len = start;
		return rc == WB_ENOMEM ? wb__oom(NULL) : rc;
	}
	c->n++;
	return c->len >= WB_JOURNAL_CHUNK_BYTES / 2;
}

void wb__journal_chunk_reset(wb_journal_chunk *c)
{
	c->len = 0;
	c->n = 0;
}

void wb__journal_chunk_free(wb_journal_chunk *c)
{
	wb__buf_free(&c->scratch);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

wb_item *wb__journal_chunk_item(const char *run_id, const char *seq, const char *table,
				const wb_journal_chunk *c)
{
	wb_item *it = wb_item_new();
	int rc = it ? 0 : WB_ENOMEM;

	if (rc == 0 && (rc = wb_item_set_string(it, "run_id", run_id)) == 0 &&
	    (rc = wb_item_set_string(it, "seq", seq)) == 0 &&
	    (rc = wb_item_set_string(it, "tbl", table)) == 0 &&
	    (rc = wb_item_set_int(it, "n", (int64_t)c->n)) == 0 &&
	    (rc = wb_item_set_int(it, "ts", now_ms())) == 0)
		rc = wb_item_set_binary(it, "entries", c->data, c->len);
	if (rc < 0) {
		wb_item_free(it);
		wb__oom(NULL);
		return NULL;
	}
	return it;
}

/* ---------------------------------------------------------------- reading */

void wb__journal_read_clear(wb_journal_read *r)
{
	for (size_t i = 0; i < r->n; i++) {
		wb_item_free(r->e[i].key);
		wb_item_free(r->e[i].before);
	}
	free(r->e);
	r->e = NULL;
	r->n = 0;
}

/* Read a length-prefixed item at *off. */
static int read_item(wb_item **out, const unsigned char *p, size_t len, size_t *off)
{
	size_t n;

	if (len - *off < 4 || (n = get_u32(p + *off)) > len - *off - 4)
		return WB_EINVALID;
	*off += 4;
	if (wb__item_decode(out, p + *off, n) < 0)
		return WB_EINVALID;
	*off += n;
	return 0;
}

static int read_entry(wb_journal_entry *e, const unsigned char *p, size_t len, size_t *off)
{
	unsigned flags;

	if (len - *off < 65)
		return WB_EINVALID;
	flags = p[*off];
	if (flags & 2)
		snprintf(e->after, sizeof(e->after), "-");
	else {
		memcpy(e->after, p + *off + 1, 64);
		e->after[64] = '\0';
	}
	*off += 65;
	if (read_item(&e->key, p, len, off) < 0)
		return WB_EINVALID;
	return flags & 1 ? read_item(&e->before, p, len, off) : 0;
}

int wb__journal_parse(wb_journal_read *out, const wb_item *it)
{
	const char *seq = wb_item_get_string(it, "seq"), *tbl = wb_item_get_string(it, "tbl");
	const wb_value *ev = wb_item_get(it, "entries");
	int64_t n = wb_item_get_int(it, "n", -1);
	const unsigned char *p;
	size_t len = 0, off = 0;

	memset(out, 0, sizeof(*out));
	if (!seq || !tbl || !ev || wb_value_type(ev) != WB_B || n < 0 || n > (1 << 24))
		return wb__error(NULL, WB_EINVALID, "%s: a chunk without seq, tbl, n or entries (%s)",
				 WB_JOURNAL_TABLE, seq ? seq : "no seq");
	snprintf(out->seq, sizeof(out->seq), "%s", seq);
	snprintf(out->table, sizeof(out->table), "%s", tbl);
	out->ts = wb_item_get_int(it, "ts", 0);
	p = (const unsigned char *)wb_value_bytes(ev, &len);
	if (n && !(out->e = wb__calloc((size_t)n, sizeof(*out->e))))
		return wb__oom(NULL);
	for (; out->n < (size_t)n; out->n++)
		if (read_entry(&out->e[out->n], p, len, &off) < 0) {
			size_t bad = out->n++; /* free what the entry got */
			wb__journal_read_clear(out);
			return wb__error(NULL, WB_EINVALID, "%s: chunk %s: entry %zu is corrupt",
					 WB_JOURNAL_TABLE, seq, bad);
		}
	return 0;
}

/* ---------------------------------------------------------------- table */

int wb__journal_ensure(wb_db *db)
{
	static const wb_key_schema key = {"run_id", WB_S, "seq", WB_S};

	return wb__reserved_table(db, WB_JOURNAL_TABLE, &key);
}

/* Delete a page of entries (their keys) in one batch. */
static int drop_page(wb_db *db, const wb_page *page)
{
	wb_write *w = page->count ? wb__calloc(page->count, sizeof(*w)) : NULL;
	int rc;

	if (!page->count)
		return 0;
	if (!w)
		return wb__oom(db);
	for (size_t i = 0; i < page->count; i++)
		w[i] = (wb_write){WB_JOURNAL_TABLE, WB_WRITE_DELETE, page->items[i], NULL};
	rc = wb_batch_write(db, w, page->count, NULL);
	free(w);
	return rc;
}

int wb__journal_drop_run(wb_db *db, const char *run_id, size_t *deleted)
{
	wb_value *pk = wb_value_string(run_id, strlen(run_id));
	wb_query q = WB_QUERY_INIT;
	size_t n = 0;
	int rc = pk ? 0 : WB_ENOMEM;

	q.pk = pk;
	q.limit = 500;
	while (rc == 0) { /* always the first page: the previous one is gone */
		wb_page *page = NULL;
		if ((rc = wb_query_page(&page, db, WB_JOURNAL_TABLE, &q)) < 0)
			break;
		rc = drop_page(db, page);
		if (rc == 0)
			n += page->count;
		int more = page->count > 0 && page->last_key != NULL;
		wb_page_free(page);
		if (!more)
			break;
	}
	wb_value_free(pk);
	if (rc == WB_ENOTFOUND) /* no journal table */
		rc = 0;
	if (deleted)
		*deleted = n;
	return rc == WB_ENOMEM ? wb__oom(db) : rc;
}

/* ---------------------------------------------------------------- walking */

/* A walk's visitor: fn and its argument, and the count of the chunks it saw. */
struct walk {
	wb__journal_fn fn; /* called per chunk */
	void *arg;         /* its argument */
	size_t *seen;      /* chunks fn was called with */
};

static int walk_chunk(const wb_item *it, void *arg)
{
	struct walk *w = arg;

	++*w->seen;
	return w->fn(it, w->arg);
}

int wb__journal_walk(wb_db *db, const char *run_id, int descending, size_t per_page, const wb_item *start,
		     wb__journal_fn fn, void *arg, size_t *seen)
{
	wb_value *pk = wb_value_string(run_id, strlen(run_id));
	wb_query q = WB_QUERY_INIT;
	struct walk w = {fn, arg, seen};
	int rc;

	*seen = 0;
	if (!pk)
		return wb__oom(db);
	q.pk = pk;
	q.descending = descending;
	q.limit = per_page;
	q.start_after = start;
	rc = wb_query_all(db, WB_JOURNAL_TABLE, &q, walk_chunk, &w);
	wb_value_free(pk);
	return rc;
}
