/*
 * sorter.c - an external merge sort of (key, value) records (sorter.h).
 *
 * Records are kept as [klen u32][vlen u32][key][value] in an arena that
 * grows up to the budget, with an array of their offsets.  When the next
 * record would not fit, the offsets are sorted (ties by offset: the order
 * of adding), equal keys but the last are dropped, and the run is written
 * to the temporary file.  Reading back: one run in memory is walked in
 * place; otherwise the last run is written too and the runs are merged
 * through a heap of readers (ties by run: runs are in the order of adding),
 * in passes of SORTER_FANIN runs when there are more.  Each reader's buffer
 * gets an equal share of the budget.
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "sorter.h"

#define SORTER_FANIN 128           /* runs merged at once */
#define HDR 8                      /* klen, vlen */
#define WRITE_BUF (256u * 1024)    /* bytes gathered per write to the file */
#define READ_MIN (16u * 1024)      /* smallest reader buffer (and a quarter of the smallest budget) */
#define ARENA_MIN (64u * 1024)     /* first arena */

/* A record in memory: its offset in the arena and the first bytes of its key. */
struct ent {
	uint64_t pfx;                 /* the key's first `prefix` bytes, big-endian, zero-padded */
	size_t off;                   /* where the record starts */
};

/* One sorted run in the temporary file: [start, end). */
struct run {
	off_t start, end;
};

/* A run being read back during a merge. */
struct reader {
	off_t pos, end;               /* next byte of the file to read, end of the run */
	unsigned char *buf;           /* buffered bytes */
	size_t cap, len, off;         /* allocated, filled, start of the current record */
	size_t rec;                   /* length of the current record (0: exhausted) */
};

struct wb__sorter {
	wb__sorter_cmp cmp;           /* key order, NULL: keep the order of adding */
	size_t budget;                /* bytes of records (and offsets) kept in memory */
	unsigned char *arena;         /* records of the current run */
	size_t alen, acap;            /* used, allocated */
	size_t prefix;                /* leading key bytes whose byte order cmp follows (0-8) */
	struct ent *idx;              /* the records in the arena */
	size_t n, icap;               /* records, allocated */
	uint64_t added;               /* records added */
	int fd;                       /* the temporary file, -1 before the first spill */
	off_t fend;                   /* its end */
	unsigned char *wbuf;          /* write buffer */
	size_t wlen;                  /* bytes in it */
	struct run *runs;             /* runs written, in the order of adding */
	size_t nruns, rcap;           /* used, allocated */
	int reading;                  /* 0 adding, 1 in memory, 2 merging */
	size_t pos;                   /* next record in memory (reading == 1) */
	struct reader *rd;            /* readers of the final merge */
	size_t *heap, nheap;          /* reader indexes, smallest record first */
	long advance;                 /* reader whose record was returned last, -1 */
};

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Compare the keys of two records. */
static int rec_cmp(const wb__sorter *s, const unsigned char *a, const unsigned char *b)
{
	return s->cmp(a + HDR, get32(a), b + HDR, get32(b));
}

static size_t rec_len(const unsigned char *r)
{
	return HDR + (size_t)get32(r) + get32(r + 4);
}

int wb__sorter_new(wb__sorter **out, wb__sorter_cmp cmp, size_t prefix, size_t budget)
{
	wb__sorter *s = wb__calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return WB_ENOMEM;
	s->cmp = cmp;
	s->prefix = !cmp ? 0 : prefix > 8 ? 8 : prefix;
	s->budget = budget < 4 * READ_MIN ? 4 * READ_MIN : budget;
	s->fd = -1;
	s->advance = -1;
	*out = s;
	return 0;
}

uint64_t wb__sorter_added(const wb__sorter *s)
{
	return s->added;
}

/* ---------------------------------------------------------- the file */

static int file_open(wb__sorter *s)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/whimbrel-sort.XXXXXX", dir);
	if ((s->fd = mkstemp(path)) < 0)
		return wb__error(NULL, WB_EIO, "cannot create a temporary file in %s: %s", dir, strerror(errno));
	unlink(path);
	if (!s->wbuf && !(s->wbuf = wb__malloc(WRITE_BUF)))
		return WB_ENOMEM;
	return 0;
}

/* Write len bytes at the end of the file. */
static int file_write(wb__sorter *s, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t w = pwrite(s->fd, p, len, s->fend);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return wb__error(NULL, WB_EIO, "cannot write the temporary file of a bulk load: %s",
					 strerror(w < 0 ? errno : ENOSPC));
		p += w;
		len -= (size_t)w;
		s->fend += w;
	}
	return 0;
}

static int file_flush(wb__sorter *s)
{
	int rc = file_write(s, s->wbuf, s->wlen);

	s->wlen = 0;
	return rc;
}

/* Append a record to the file (through the write buffer). */
static int file_put(wb__sorter *s, const unsigned char *rec, size_t len)
{
	int rc;

	if (s->wlen + len > WRITE_BUF && (rc = file_flush(s)) < 0)
		return rc;
	if (len > WRITE_BUF)
		return file_write(s, rec, len);
	memcpy(s->wbuf + s->wlen, rec, len);
	s->wlen += len;
	return 0;
}

static int run_add(wb__sorter *s, off_t start)
{
	if (wb__grow(&s->runs, &s->rcap, s->nruns, sizeof(*s->runs), 16) < 0)
		return WB_ENOMEM;
	s->runs[s->nruns++] = (struct run){start, s->fend};
	return 0;
}

/* ---------------------------------------------------------- the arena */

static int idx_cmp(const void *a, const void *b, void *arg)
{
	const wb__sorter *s = arg;
	const struct ent *x = a, *y = b;
	int c;

	if (x->pfx != y->pfx)
		return x->pfx < y->pfx ? -1 : 1;
	c = rec_cmp(s, s->arena + x->off, s->arena + y->off);
	return c ? c : (x->off > y->off) - (x->off < y->off);
}

/* The first s->prefix bytes of a key as a number in their byte order. */
static uint64_t key_prefix(const wb__sorter *s, const unsigned char *key, size_t klen)
{
	uint64_t v = 0;

	for (size_t i = 0; i < s->prefix; i++)
		v = v << 8 | (i < klen ? key[i] : 0);
	return v;
}

/* Sort the records in memory (ties in the order of adding). */
static void arena_sort(wb__sorter *s)
{
	if (s->cmp)
		qsort_r(s->idx, s->n, sizeof(*s->idx), idx_cmp, s);
}

/* True when record i is replaced by a later one of the same key (sorted arena). */
static int arena_dup(const wb__sorter *s, size_t i)
{
	return s->cmp && i + 1 < s->n && rec_cmp(s, s->arena + s->idx[i].off, s->arena + s->idx[i + 1].off) == 0;
}

/* Write the records in memory as one sorted run. */
static int arena_spill(wb__sorter *s)
{
	off_t start;
	int rc;

	if (s->fd < 0 && (rc = file_open(s)) < 0)
		return rc;
	arena_sort(s);
	start = s->fend + (off_t)s->wlen;
	for (size_t i = 0; i < s->n; i++) {
		const unsigned char *r = s->arena + s->idx[i].off;
		if (!arena_dup(s, i) && (rc = file_put(s, r, rec_len(r))) < 0)
			return rc;
	}
	if ((rc = file_flush(s)) < 0 || (rc = run_add(s, start)) < 0)
		return rc;
	s->n = 0;
	s->alen = 0;
	return 0;
}

/* Room for a record of `len` bytes: grow the arena, or spill it. */
static int arena_room(wb__sorter *s, size_t len)
{
	size_t need = s->alen + len, cap;
	int rc;

	if (s->n && need + (s->n + 1) * sizeof(*s->idx) > s->budget) {
		if ((rc = arena_spill(s)) < 0)
			return rc;
		need = len;
	}
	if (wb__grow(&s->idx, &s->icap, s->n, sizeof(*s->idx), 1024) < 0)
		return WB_ENOMEM;
	if (need <= s->acap)
		return 0;
	for (cap = s->acap ? s->acap : ARENA_MIN; cap < need; cap *= 2)
		;
	if (cap > s->budget && need <= s->budget)
		cap = s->budget;
	unsigned char *p = wb__realloc(s->arena, cap);
	if (!p)
		return WB_ENOMEM;
	s->arena = p;
	s->acap = cap;
	return 0;
}

int wb__sorter_add(wb__sorter *s, const void *key, size_t klen, const void *val, size_t vlen)
{
	uint32_t k = (uint32_t)klen, v = (uint32_t)vlen;
	unsigned char *p;
	int rc;

	if (s->reading)
		return wb__error(NULL, WB_EINVALID, "bulk load: record added after reading began");
	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return wb__error(NULL, WB_EINVALID, "bulk load: record too large");
	if ((rc = arena_room(s, HDR + klen + vlen)) < 0)
		return rc;
	p = s->arena + s->alen;
	memcpy(p, &k, 4);
	memcpy(p + 4, &v, 4);
	memcpy(p + HDR, key, klen);
	memcpy(p + HDR + klen, val, vlen);
	s->idx[s->n++] = (struct ent){key_prefix(s, key, klen), s->alen};
	s->alen += HDR + klen + vlen;
	s->added++;
	return 0;
}

/* ---------------------------------------------------------- readers */

static void reader_free(struct reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Make the next record of r current (r->rec = 0 at the end of its run). */
static int reader_step(const wb__sorter *s, struct reader *r)
{
	size_t have, need;

	r->off += r->rec;
	r->rec = 0;
	for (;;) {
		have = r->len - r->off;
		need = have >= HDR ? rec_len(r->buf + r->off) : HDR;
		if (have >= need) {
			r->rec = need;
			return 0;
		}
		if (have == 0 && r->pos >= r->end)
			return 0;
		if (r->pos >= r->end)
			return wb__error(NULL, WB_EIO, "bulk load: the temporary file is truncated");
		memmove(r->buf, r->buf + r->off, have);
		r->len = have;
		r->off = 0;
		if (need > r->cap) {
			unsigned char *p = wb__realloc(r->buf, need);
			if (!p)
				return WB_ENOMEM;
			r->buf = p;
			r->cap = need;
		}
		size_t want = r->cap - r->len;
		if ((off_t)want > r->end - r->pos)
			want = (size_t)(r->end - r->pos);
		ssize_t got = pread(s->fd, r->buf + r->len, want, r->pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return wb__error(NULL, WB_EIO, "cannot read the temporary file of a bulk load: %s",
					 got < 0 ? strerror(errno) : "unexpected end");
		r->len += (size_t)got;
		r->pos += got;
	}
}

static int reader_open(const wb__sorter *s, struct reader *r, const struct run *run, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->pos = run->start;
	r->end = run->end;
	if (!(r->buf = wb__malloc(cap)))
		return WB_ENOMEM;
	r->cap = cap;
	return reader_step(s, r);
}

static const unsigned char *reader_rec(const struct reader *r)
{
	return r->buf + r->off;
}

/* ---------------------------------------------------------- the heap */

/* Reader a before reader b: smaller key, or the same key from an earlier run. */
static int heap_less(const wb__sorter *s, size_t a, size_t b)
{
	int c = s->cmp ? rec_cmp(s, reader_rec(&s->rd[a]), reader_rec(&s->rd[b])) : 0;

	return c ? c < 0 : a < b;
}

static void heap_down(wb__sorter *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < s->nheap && heap_less(s, s->heap[l], s->heap[m]))
			m = l;
		if (l + 1 < s->nheap && heap_less(s, s->heap[l + 1], s->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

static void heap_up(wb__sorter *s, size_t i)
{
	while (i && heap_less(s, s->heap[i], s->heap[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = s->heap[i];
		s->heap[i] = s->heap[p];
		s->heap[p] = t;
		i = p;
	}
}

static void heap_push(wb__sorter *s, size_t r)
{
	if (!s->rd[r].rec)
		return;
	s->heap[s->nheap++] = r;
	heap_up(s, s->nheap - 1);
}

static size_t heap_pop(wb__sorter *s)
{
	size_t top = s->heap[0];

	s->heap[0] = s->heap[--s->nheap];
	heap_down(s, 0);
	return top;
}

/* ---------------------------------------------------------- merging */

static void merge_close(wb__sorter *s, size_t n)
{
	for (size_t i = 0; s->rd && i < n; i++)
		reader_free(&s->rd[i]);
	free(s->rd);
	free(s->heap);
	s->rd = NULL;
	s->heap = NULL;
	s->nheap = 0;
}

/* Readers over runs [0, n), in the heap. */
static int merge_open(wb__sorter *s, size_t n)
{
	size_t cap = s->budget / (n + 1);
	int rc;

	if (cap < READ_MIN)
		cap = READ_MIN;
	if (!(s->rd = wb__calloc(n, sizeof(*s->rd))) || !(s->heap = wb__calloc(n, sizeof(*s->heap))))
		return WB_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((rc = reader_open(s, &s->rd[i], &s->runs[i], cap)) < 0)
			return rc;
		heap_push(s, i);
	}
	return 0;
}

/*
 * The next record of the merge, its reader in *r (advanced at the next
 * call): of equal keys, the one of the latest run.  0 at the end.
 */
static int merge_next(wb__sorter *s, size_t *r)
{
	int rc;

	if (s->advance >= 0) {
		size_t a = (size_t)s->advance;
		s->advance = -1;
		if ((rc = reader_step(s, &s->rd[a])) < 0)
			return rc;
		heap_push(s, a);
	}
	while (s->nheap) {
		size_t top = heap_pop(s);
		if (s->cmp && s->nheap && rec_cmp(s, reader_rec(&s->rd[top]), reader_rec(&s->rd[s->heap[0]])) == 0) {
			if ((rc = reader_step(s, &s->rd[top])) < 0)
				return rc;
			heap_push(s, top);
			continue;
		}
		s->advance = (long)top;
		*r = top;
		return 1;
	}
	return 0;
}

/* Merge the first SORTER_FANIN runs into one, written at the end of the file. */
static int merge_pass(wb__sorter *s)
{
	off_t start = s->fend;
	size_t r, n = SORTER_FANIN;
	int rc;

	if ((rc = merge_open(s, n)) < 0)
		goto out;
	while ((rc = merge_next(s, &r)) == 1)
		if ((rc = file_put(s, reader_rec(&s->rd[r]), s->rd[r].rec)) < 0)
			goto out;
	if (rc == 0 && (rc = file_flush(s)) == 0) {
		s->runs[0] = (struct run){start, s->fend};
		memmove(s->runs + 1, s->runs + n, (s->nruns - n) * sizeof(*s->runs));
		s->nruns -= n - 1;
	}
out:
	merge_close(s, n);
	s->advance = -1;
	return rc;
}

/* End adding: sort in memory, or spill the last run and merge down to SORTER_FANIN runs. */
static int start_reading(wb__sorter *s)
{
	int rc;

	if (s->fd < 0) {
		arena_sort(s);
		s->reading = 1;
		return 0;
	}
	if (s->n && (rc = arena_spill(s)) < 0)
		return rc;
	free(s->arena);
	free(s->idx);
	s->arena = NULL;
	s->idx = NULL;
	s->acap = s->icap = 0;
	if (!s->cmp && s->nruns > 1) {  /* a spool: the runs follow each other in the file */
		s->runs[0].end = s->runs[s->nruns - 1].end;
		s->nruns = 1;
	}
	while (s->nruns > SORTER_FANIN)
		if ((rc = merge_pass(s)) < 0)
			return rc;
	s->reading = 2;
	return merge_open(s, s->nruns);
}

int wb__sorter_finish(wb__sorter *s)
{
	return s->reading ? 0 : start_reading(s);
}

int wb__sorter_next(wb__sorter *s, const void **key, size_t *klen, const void **val, size_t *vlen)
{
	const unsigned char *rec;
	size_t r;
	int rc;

	if ((rc = wb__sorter_finish(s)) < 0)
		return rc;
	if (s->reading == 1) {
		while (s->pos < s->n && arena_dup(s, s->pos))
			s->pos++;
		if (s->pos >= s->n)
			return 0;
		rec = s->arena + s->idx[s->pos++].off;
	} else {
		if ((rc = merge_next(s, &r)) <= 0)
			return rc;
		rec = reader_rec(&s->rd[r]);
	}
	*klen = get32(rec);
	*vlen = get32(rec + 4);
	*key = rec + HDR;
	*val = rec + HDR + *klen;
	return 1;
}

void wb__sorter_free(wb__sorter *s)
{
	if (!s)
		return;
	if (s->rd)
		merge_close(s, s->nruns);
	if (s->fd >= 0)
		close(s->fd);
	free(s->arena);
	free(s->idx);
	free(s->wbuf);
	free(s->runs);
	free(s);
}
