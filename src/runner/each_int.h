/*
 * each_int.h - what the three parts of wb_each share (private to
 * src/runner/each*.c).
 *
 * each.c holds the job (one wb_each / wb_each_query call), its segments and
 * its worker threads; each_batch.c the generic path of a stream (read a
 * page, run the callback, write the changes and the checkpoint in one
 * batch, redo the items whose conditions failed); each_fast.c the fast path
 * of a scan on a store that transforms pages itself (backend.h's each_page).
 */
#ifndef WB_EACH_INT_H
#define WB_EACH_INT_H

#include <pthread.h>
#include <stdint.h>

#include "common.h"
#include "backend.h"
#include "journal.h"
#include "run.h"

/* One change waiting in a batch. */
struct entry {
	wb_item *before;   /* the item as read (owned); also its key (stores use only the key attributes) */
	wb_item *after;    /* WB_WRITE: the new item (owned); WB_DELETE: NULL */
	int verdict;       /* WB_WRITE or WB_DELETE */
	int applied;       /* written by an earlier non-atomic attempt */
};

/* One wb_each call, shared by its worker threads. */
struct job {
	wb_run *run;             /* the run */
	const char *table;       /* the table */
	const char *prefix;      /* pk prefix of a scan, or NULL */
	const wb_query *query;   /* wb_each_query: the query, else NULL */
	wb_item_fn fn;           /* user callback */
	void *arg;               /* its argument */
	wb_key_schema key;       /* the table's key schema */
	int checkpoints;         /* 0 in plan mode */
	int journal;             /* journal the changes (run->journal, never in plan mode) */
	int call;                /* this is the run's call-th wb_each / wb_each_query */
	unsigned total_segments; /* segments of the scan */
	pthread_mutex_t lock;    /* guards next, rc, err */
	pthread_mutex_t fast;    /* fast path on a one-writer store: one page at a time in this
	                            process (waiting here beats the store's busy handler) */
	unsigned next;           /* next segment to take */
	unsigned end;            /* segments before this one are taken (a worker's claim: next + 1) */
	int rc;                  /* first failure, 0 if none */
	char err[1024];          /* its message */
};

/* A stream: one scan segment or one query. */
struct stream {
	char name[1400];         /* checkpoint sort key */
	int64_t count;           /* items done in this stream, all runs */
	wb_counters run;         /* this run's counters in this stream, as committed in its checkpoint */
	int64_t written;         /* of those, written back (all runs, as the checkpoint says) */
	int64_t deleted;         /* of those, deleted */
	wb_item *last_key;       /* key of the last item covered by a checkpoint (owned) */
	wb_item *last_item;      /* the last item visited, when it was left unchanged (owned) */
	int moved;               /* items were visited since last_key was set */
	int64_t jn;              /* journal entries made by this stream (their counter) */
};

/* A worker thread's state. */
struct worker {
	struct job *job;         /* shared */
	wb_db *db;               /* its handle (plan wrapper in plan mode; owned) */
	wb_db *inner;            /* the real handle under db (owned; may equal db) */
	int atomic;              /* batches are all-or-nothing (WB_CAP_ATOMIC_BATCH) */
	int fast;                /* scans take the each_page fast path (until a page fails) */
	int one_writer;          /* the store takes one writer at a time (WB_CAP_ONE_WRITER) */
	struct entry *e;         /* pending changes */
	wb_journal_chunk chunk;  /* journal entries being gathered */
	size_t n, cap;           /* how many, room */
	wb_counters pending;     /* scanned / unchanged / failed since the last commit */
	size_t since_flush;      /* items visited since the last checkpoint */
};

/* The job's first failure (0 if none), read under its lock. */
int wb__each_job_failed(struct job *job);

/* The key of an item as typed JSON, for messages (static per thread). */
const char *wb__each_key_text(const struct job *job, const wb_item *item);

/* The error that stops the run when the callback returned v on item. */
int wb__each_verdict_error(const struct job *job, int v, const wb_item *item);

/* Free the worker's pending changes. */
void wb__each_entries_clear(struct worker *w);

/* Does the journal want the changes' before-images?  (The fast path then asks for them.) */
static inline int wb__each_journal_on(const struct worker *w)
{
	return w->job->journal;
}

/* The chunk's whimbrel_journal item (caller frees; NULL with the error set); the chunk is emptied. */
wb_item *wb__each_journal_chunk_out(struct worker *w, struct stream *st);

/* a += b */
void wb__each_counters_add(wb_counters *a, const wb_counters *b);

/*
 * Before reading a page of at most `dflt` items: wait while the run is
 * paused and for the page's turn under --max-rate (util/pace.h); returns
 * the page size to ask for (about 200 ms of items when paced).
 */
size_t wb__each_pace_before(size_t dflt);
/* After it: the page asked for `asked` items and had `got`. */
void wb__each_pace_after(size_t asked, size_t got);

/* After a commit: WB_EINTERRUPTED or WB_ERROR to stop here (interrupted, another thread failed), else 0. */
int wb__each_should_stop(struct worker *w);

/*
 * Run one stream (segment `seg` of the scan, or the query) from its
 * checkpoint to its end: 0 when done, or the error that stops it.
 */
int wb__each_stream(struct worker *w, struct stream *st, unsigned seg);

/*
 * The stream by fast pages from *cursor (owned, updated): 0 when the
 * stream is done, 1 when a page failed or was slow (nothing of it written:
 * go on the generic way from *cursor), or a negative error.
 */
int wb__each_fast_stream(struct worker *w, struct stream *st, unsigned seg, wb_item **cursor);

#endif /* WB_EACH_INT_H */
