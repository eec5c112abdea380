/*
 * logcap.c - the stored log of a run, bounded; see logcap.h.
 *
 * Lines go first to the head: queued, and written WB_LOG_BATCH at a time
 * (child.c also flushes every half second).  Once the head's lines or bytes
 * are used up, lines go to a ring holding the tail, whose oldest lines make
 * room for new ones and are counted as dropped.  wb__logcap_end writes the
 * note of what was dropped, then the ring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ledger.h"
#include "logcap.h"

/* A line waiting to be written. */
struct qline {
	int64_t ts;         /* when it came (Unix ms) */
	const char *stream; /* stdout, stderr, info, ... (static) */
	char *text;         /* the line (owned) */
	size_t len;         /* its length */
};

struct wb_logcap {
	wb_db *db;                      /* where the lines go, or NULL */
	const char *run_id;             /* the run (the caller's) */
	int64_t *seq;                   /* next line number (the caller's) */
	size_t head_max, tail_max;      /* lines kept from the start, from the end */
	struct qline q[WB_LOG_BATCH];   /* queued lines */
	size_t nq;                      /* how many */
	size_t head_n, head_bytes;      /* lines and bytes taken into the head */
	struct qline *ring;             /* the tail (tail_max slots) */
	size_t ring_start, ring_n;      /* oldest slot, lines in the ring */
	size_t ring_bytes;              /* their bytes */
	int64_t dropped, dropped_bytes; /* lines between head and tail */
	int64_t taken;                  /* lines taken */
	int64_t last_ts;                /* time of the last line taken */
	int head_closed;                /* the head is full: lines go to the ring */
	int failed;                     /* a write failed: keep nothing more */
	const char *worker;             /* the worker whose lines these are, or NULL (the caller's) */
	int worker_slot;                /* its slot for wb__log_seq_clock */
};

int wb__logcap_new(wb_logcap **out, wb_db *db, const char *run_id, int64_t *seq,
		   size_t head_lines, size_t tail_lines)
{
	wb_logcap *c = wb__calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return WB_ENOMEM;
	c->db = db;
	c->run_id = run_id;
	c->seq = seq;
	c->head_max = head_lines ? head_lines : WB_LOG_HEAD_LINES;
	c->tail_max = tail_lines ? tail_lines : WB_LOG_TAIL_LINES;
	if (!(c->ring = wb__calloc(c->tail_max, sizeof(*c->ring)))) {
		free(c);
		return WB_ENOMEM;
	}
	*out = c;
	return 0;
}

void wb__logcap_set_worker(wb_logcap *c, const char *worker, int slot)
{
	c->worker = worker;
	c->worker_slot = slot;
}

void wb__logcap_flush(wb_logcap *c)
{
	wb_log_line l[WB_LOG_BATCH];

	for (size_t i = 0; i < c->nq; i++)
		l[i] = (wb_log_line){c->q[i].ts, c->q[i].stream, c->q[i].text, c->worker, 0};
	if (c->nq && c->worker)
		wb__log_seq_clock(c->seq, c->worker_slot);
	if (c->nq && c->db && !c->failed && wb__log_append(c->db, c->run_id, c->seq, l, c->nq) < 0) {
		fprintf(stderr, "whimbrel: warning: cannot keep the run's log: %s\n", wb_error_last());
		c->failed = 1;
	}
	for (size_t i = 0; i < c->nq; i++)
		free(c->q[i].text);
	c->nq = 0;
}

static void queue(wb_logcap *c, struct qline l)
{
	if (c->nq == WB_LOG_BATCH)
		wb__logcap_flush(c);
	c->q[c->nq++] = l;
}

/* Into the ring, dropping its oldest lines while it is full. */
static void to_tail(wb_logcap *c, struct qline l)
{
	while (c->ring_n && (c->ring_n == c->tail_max || c->ring_bytes + l.len > WB_LOG_TAIL_BYTES)) {
		struct qline *old = &c->ring[c->ring_start];
		c->dropped++;
		c->dropped_bytes += (int64_t)old->len;
		c->ring_bytes -= old->len;
		free(old->text);
		c->ring_start = (c->ring_start + 1) % c->tail_max;
		c->ring_n--;
	}
	c->ring[(c->ring_start + c->ring_n) % c->tail_max] = l;
	c->ring_n++;
	c->ring_bytes += l.len;
}

void wb__logcap_add(wb_logcap *c, int64_t ts_ms, const char *stream, const char *line, size_t len)
{
	struct qline l = {ts_ms, stream, NULL, 0};

	c->taken++;
	c->last_ts = ts_ms;
	if (!(l.text = wb__malloc(len + 1))) {
		c->dropped++;
		c->dropped_bytes += (int64_t)len;
		return;
	}
	memcpy(l.text, line, len);
	l.text[len] = '\0';
	l.len = len;
	if (!c->head_closed && c->head_n < c->head_max && c->head_bytes + l.len <= WB_LOG_HEAD_BYTES) {
		c->head_n++;
		c->head_bytes += l.len;
		queue(c, l);
	} else {
		c->head_closed = 1;
		to_tail(c, l);
	}
}

size_t wb__logcap_queued(const wb_logcap *c)
{
	return c->nq;
}

int64_t wb__logcap_lines(const wb_logcap *c)
{
	return c->taken;
}

/* The note that stands for the dropped lines. */
static void note_dropped(wb_logcap *c, int64_t ts)
{
	char text[256];
	struct qline l = {ts, "runner", NULL, 0};

	snprintf(text, sizeof(text),
		 "%lld line(s), %lld byte(s) of output not kept: a run's log keeps its first %zu "
		 "and its last %zu lines",
		 (long long)c->dropped, (long long)c->dropped_bytes, c->head_n, c->ring_n);
	if (!(l.text = wb__strdup(text)))
		return;
	l.len = strlen(text);
	queue(c, l);
}

void wb__logcap_end(wb_logcap *c)
{
	if (c->dropped)
		note_dropped(c, c->ring_n ? c->ring[c->ring_start].ts : c->last_ts);
	while (c->ring_n) {
		queue(c, c->ring[c->ring_start]);
		c->ring_start = (c->ring_start + 1) % c->tail_max;
		c->ring_n--;
	}
	c->ring_bytes = 0;
	wb__logcap_flush(c);
}

void wb__logcap_free(wb_logcap *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nq; i++)
		free(c->q[i].text);
	for (size_t i = 0; i < c->ring_n; i++)
		free(c->ring[(c->ring_start + i) % c->tail_max].text);
	free(c->ring);
	free(c);
}
