/*
 * restore.c - `whimbrel restore TABLE --to TIME --into NEW` and `whimbrel
 * pitr`: a table as it was at a time, into a new table of the same target
 * (the first step of the procedure of docs/restore.md).
 *
 * DynamoDB keeps the history itself (point-in-time recovery): the
 * restore is RestoreTableToPointInTime, then DescribeTable polls until the
 * new table is ACTIVE (dynamodb_pitr.c).
 *
 * An embedded target keeps what snapshot.c takes: a snapshot of the whole
 * store at the start of each prod run.  The table at time T is rebuilt
 * from the latest snapshot S at or before T, copied into NEW (wb_copy),
 * then moved forward along the journal: the chunks of the table written
 * after S and at or before T, in time order, each entry setting its item
 * to what the run wrote.  The journal keeps the hash of what was written,
 * not the item; the item itself is found, checked by its hash, in the
 * later history: the before-image of the next journal entry of the same
 * key, else the item in a later snapshot, else the item in the table now.
 * Where none matches (the item was changed again outside whimbrel runs
 * before anything kept it), or where a run without a journal ran in the
 * gap (--no-journal, a pruned journal), the restore stops before that
 * point and says so: the result names the exact point restored whenever
 * it is not T, never silently an older one.  What the journal cannot hold
 * are writes made outside whimbrel runs between S and T (an application's)
 * to items no run touched afterwards: the result says it is made of a
 * snapshot and journaled writes.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common.h"
#include "backend.h"
#include "dynamodb.h"
#include "journal.h"
#include "ledger.h"
#include "snapshot.h"

/* A chunk of the table's journal after the base snapshot. */
struct chunk {
	char run_id[64];        /* the run that wrote it */
	wb_journal_read r;      /* its entries (r.ts: when) */
};

/* An entry, for finding the next write of the same key. */
struct ent {
	char *key;              /* the key as DynamoDB JSON (owned) */
	size_t c, e;            /* chunk and entry */
};

struct rs {
	const wb_restore_options *o;
	wb_restore_result *res;
	wb_db *db;              /* the target */
	wb_snapshot *snaps;     /* its snapshots, oldest first */
	size_t nsnaps;
	wb_db **sdb;            /* snapshots opened (lazily), nsnaps of them */
	size_t base;            /* the snapshot restored from */
	int64_t cut;            /* the journal is applied up to here (ms) */
	char why[600];          /* why cut is before the time asked for, or "" */
	struct chunk *ch;       /* chunks after the base snapshot, in time order */
	size_t nch;
	struct ent *ents;       /* their entries, by key then time */
	size_t nents;
	int empty_base;         /* the table did not exist in the base snapshot */
};

/* ------------------------------------------------------------------ time */

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* "2026-11-27T10:00:03.250Z" (UTC) into buf. */
static char *fmt_ms(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}
#define FMT(ms) fmt_ms((char[80]){0}, 80, (ms))

/* The zone of an RFC 3339 time: "Z", "+HH:MM", "-HH:MM" or nothing (UTC); *off its seconds. */
static int parse_zone(const char *p, long *off)
{
	int hh, mm, n = 0;

	*off = 0;
	if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
		return 0;
	if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || p[1 + n] != '\0' ||
	    hh > 23 || mm > 59)
		return -1;
	*off = (*p == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
	return 0;
}

/* RFC 3339 / ISO 8601 "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][zone]" into Unix ms. */
static int parse_time(int64_t *out, const char *s)
{
	struct tm tm;
	int n = 0, sec = 0, ms = 0, digits = 0;
	long off;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &n) != 5 || n != 16)
		return -1;
	p = s + n;
	if (*p == ':') {
		if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
			return -1;
		sec = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == '.' || *p == ',')
			for (p++; *p >= '0' && *p <= '9'; p++, digits++)
				if (digits < 3)
					ms = ms * 10 + (*p - '0');
		for (; digits > 0 && digits < 3; digits++)
			ms *= 10;
	}
	if (parse_zone(p, &off) < 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = sec;
	*out = ((int64_t)timegm(&tm) - off) * 1000 + ms;
	return 0;
}

/*
 * o->to into *ms; *run gets the run when it names one (the point just
 * before it), else run->run_id is "".
 */
static int resolve_time(int64_t *ms, wb_ledger_run *run, wb_db *db, const char *to)
{
	memset(run, 0, sizeof(*run));
	if (parse_time(ms, to) == 0)
		return *ms > now_ms() + 1000 ? wb__error(NULL, WB_EINVALID, "--to %s is in the future", to) : 0;
	if (wb_ledger_get(run, db, to) == 0) {
		*ms = run->started * 1000 - 1; /* started is the second it started in */
		return 0;
	}
	return wb__error(NULL, WB_EINVALID, "bad --to '%s': expected an RFC 3339 time in UTC "
			 "(2026-11-27T10:00:03Z) or the id of a run of this target", to);
}

/* ------------------------------------------------------------- embedded */

/* Snapshot i opened (kept until the end), or NULL with the error set. */
static wb_db *snap_db(struct rs *s, size_t i)
{
	char url[4500];

	if (!s->sdb[i]) {
		snprintf(url, sizeof(url), "sqlite:%s", s->snaps[i].path);
		if (wb_open(&s->sdb[i], url) < 0)
			s->sdb[i] = NULL;
	}
	return s->sdb[i];
}

/* The refusal when no snapshot is at or before T: the nearest points there are. */
static int no_base(struct rs *s, int64_t t)
{
	if (!s->nsnaps)
		return wb__error(NULL, WB_ENOTFOUND, "no snapshot of this target to restore %s from: prod runs "
				 "take one at their start (unless --no-snapshot), and none is kept (snapshot_days)",
				 s->o->table);
	return wb__error(NULL, WB_ENOTFOUND, "nothing whimbrel keeps goes back to %s: the earliest point "
			 "restorable is %s (the snapshot taken at the start of run %s); %zu snapshot(s), the "
			 "latest %s", FMT(t), FMT(s->snaps[0].taken_ms), s->snaps[0].run_id, s->nsnaps,
			 FMT(s->snaps[s->nsnaps - 1].taken_ms));
}

/* Pick the base snapshot for T (a run's own when `run` names one that took it). */
static int pick_base(struct rs *s, int64_t t, const wb_ledger_run *run)
{
	size_t i;

	for (i = 0; run->run_id[0] && i < s->nsnaps; i++)
		if (strcmp(s->snaps[i].run_id, run->run_id) == 0) {
			s->base = i;
			s->cut = s->snaps[i].taken_ms;
			return 0;
		}
	for (i = s->nsnaps; i-- > 0;)
		if (s->snaps[i].taken_ms <= t) {
			s->base = i;
			s->cut = t;
			return 0;
		}
	return no_base(s, t);
}

/*
 * The runs without a journal that may have written between the base
 * snapshot and the cut: the journal cannot cover them, the cut moves to
 * just before the first.
 */
static int cut_unjournaled(struct rs *s)
{
	wb_ledger_run *runs = NULL;
	int64_t from = s->snaps[s->base].taken_ms;
	size_t n = 0;
	int rc = wb_ledger_list(&runs, &n, s->db, NULL);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const wb_ledger_run *r = &runs[i];
		int64_t start = r->started * 1000, end = r->finished ? r->finished * 1000 + 999 : INT64_MAX;
		if (r->journal || strcmp(r->mode, "plan") == 0 || start > s->cut || end < from ||
		    (r->finished && r->written + r->deleted == 0))
			continue;
		start = start - 1 > from ? start - 1 : from;
		if (start < s->cut) {
			s->cut = start;
			snprintf(s->why, sizeof(s->why), "run %s (%s, %s) wrote without a journal from %s on "
				 "(--no-journal, or its journal was pruned)", r->run_id, r->migration, r->mode,
				 FMT(r->started * 1000));
		}
	}
	wb_ledger_runs_free(runs);
	return rc;
}

static int chunk_order(const void *a, const void *b)
{
	const struct chunk *x = a, *y = b;
	int c = (x->r.ts > y->r.ts) - (x->r.ts < y->r.ts);

	if (!c)
		c = strcmp(x->run_id, y->run_id);
	return c ? c : strcmp(x->r.seq, y->r.seq);
}

/* Keep the journal item `it` when it is a chunk of the table after the base snapshot. */
static int keep_chunk(const wb_item *it, void *arg)
{
	struct rs *s = arg;
	const char *tbl = wb_item_get_string(it, "tbl"), *run = wb_item_get_string(it, "run_id");
	struct chunk *c;

	if (!tbl || !run || strcmp(tbl, s->o->table) != 0 ||
	    wb_item_get_int(it, "ts", 0) < s->snaps[s->base].taken_ms)
		return 0;
	if (!(s->nch & (s->nch + 1))) { /* grow at 1, 3, 7, ... */
		struct chunk *p = realloc(s->ch, (2 * s->nch + 2) * sizeof(*p));
		if (!p)
			return wb__oom(NULL);
		s->ch = p;
	}
	c = &s->ch[s->nch];
	memset(c, 0, sizeof(*c));
	snprintf(c->run_id, sizeof(c->run_id), "%s", run);
	if (wb__journal_parse(&c->r, it) < 0)
		return WB_EINVALID;
	s->nch++;
	return 0;
}

static int ent_order(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (!c)
		c = (x->c > y->c) - (x->c < y->c);
	return c ? c : (x->e > y->e) - (x->e < y->e);
}

/* Read the table's chunks after the base snapshot and index their entries by key. */
static int load_journal(struct rs *s)
{
	wb_table_desc d;
	size_t n = 0, k = 0;
	int rc;

	if (wb_table_describe(&d, s->db, WB_JOURNAL_TABLE) != 0)
		return 0; /* no journal at all */
	if ((rc = wb_scan_all(s->db, WB_JOURNAL_TABLE, NULL, keep_chunk, s)) != 0)
		return rc < 0 ? rc : WB_ERROR;
	if (s->nch)
		qsort(s->ch, s->nch, sizeof(*s->ch), chunk_order);
	for (size_t c = 0; c < s->nch; c++)
		n += s->ch[c].r.n;
	if (n && !(s->ents = calloc(n, sizeof(*s->ents))))
		return wb__oom(NULL);
	for (size_t c = 0; c < s->nch; c++)
		for (size_t e = 0; e < s->ch[c].r.n; e++, k++) {
			s->ents[k].c = c;
			s->ents[k].e = e;
			if ((rc = wb_item_to_json(&s->ents[k].key, s->ch[c].r.e[e].key, WB_JSON_DDB)) < 0)
				return rc;
			s->nents++;
		}
	if (s->nents)
		qsort(s->ents, s->nents, sizeof(*s->ents), ent_order);
	return 0;
}

/* `it` when its hash is `want` (it is taken), else NULL (it is freed). */
static wb_item *if_hash(wb_item *it, const char *want)
{
	char h[WB_JOURNAL_HASH_SIZE];

	if (it && wb__journal_hash(h, it) == 0 && strcmp(h, want) == 0)
		return it;
	wb_item_free(it);
	return NULL;
}

/*
 * The item entry (c, e) wrote, found in the later history by its hash:
 * the before-image of the key's next journal entry, a later snapshot, the
 * table now.  NULL when none holds it.
 */
static wb_item *after_image(struct rs *s, size_t c, size_t e)
{
	const wb_journal_entry *je = &s->ch[c].r.e[e];
	struct ent key = {NULL, c, e}, *at;
	wb_item *it = NULL;

	if (wb_item_to_json(&key.key, je->key, WB_JSON_DDB) < 0)
		return NULL;
	at = s->nents ? bsearch(&key, s->ents, s->nents, sizeof(*s->ents), ent_order) : NULL;
	if (at && at + 1 < s->ents + s->nents && strcmp(at[1].key, key.key) == 0) {
		const wb_journal_entry *next = &s->ch[at[1].c].r.e[at[1].e];
		it = next->before ? if_hash(wb_item_dup(next->before), je->after) : NULL;
	}
	free(key.key);
	for (size_t i = s->base + 1; !it && i < s->nsnaps; i++) {
		wb_db *sd = s->snaps[i].taken_ms > s->ch[c].r.ts ? snap_db(s, i) : NULL;
		wb_item *got = NULL;
		if (sd && wb_get(&got, sd, s->o->table, je->key) == 0)
			it = if_hash(got, je->after);
	}
	if (!it) {
		wb_item *got = NULL;
		if (wb_get(&got, s->db, s->o->table, je->key) == 0)
			it = if_hash(got, je->after);
	}
	return it;
}

/* Count an item of NEW that is not what the entry's before-image says (changed outside runs). */
static int64_t differs(struct rs *s, const wb_journal_entry *je)
{
	char h[WB_JOURNAL_HASH_SIZE], b[WB_JOURNAL_HASH_SIZE];
	wb_item *now = NULL;
	int rc = wb_get(&now, s->db, s->o->into, je->key);

	wb__journal_hash(h, rc == 0 ? now : NULL);
	wb__journal_hash(b, je->before);
	wb_item_free(now);
	return strcmp(h, b) != 0;
}

/*
 * Apply chunk c to NEW, its writes in one batch; 1 when an after-image is
 * nowhere (nothing applied), 0, or an error.
 */
static int apply_chunk(struct rs *s, size_t c, int64_t *outside)
{
	const wb_journal_read *r = &s->ch[c].r;
	wb_item **after = calloc(r->n ? r->n : 1, sizeof(*after));
	wb_write *w = calloc(r->n ? r->n : 1, sizeof(*w));
	int rc = after && w ? 0 : wb__oom(NULL);
	size_t e;

	for (e = 0; rc == 0 && e < r->n; e++)
		if (strcmp(r->e[e].after, "-") != 0 && !(after[e] = after_image(s, c, e))) {
			char *k = NULL;
			wb_item_to_json(&k, r->e[e].key, WB_JSON_DDB);
			snprintf(s->why, sizeof(s->why), "the item %s as run %s wrote it at %s is kept nowhere "
				 "(changed again outside whimbrel runs before a snapshot or a journal kept it)",
				 k ? k : "?", s->ch[c].run_id, FMT(r->ts));
			free(k);
			rc = 1;
		}
	for (e = 0; rc == 0 && e < r->n; e++) {
		*outside += differs(s, &r->e[e]);
		w[e] = (wb_write){s->o->into, after[e] ? WB_WRITE_PUT : WB_WRITE_DELETE,
				  after[e] ? after[e] : r->e[e].key, NULL};
	}
	if (rc == 0 && r->n && (rc = wb_batch_write(s->db, w, r->n, NULL)) < 0)
		rc = wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	if (rc == 0)
		s->res->replayed += (int64_t)r->n;
	for (e = 0; after && e < r->n; e++)
		wb_item_free(after[e]);
	free(after);
	free(w);
	return rc;
}

/* Move NEW forward along the journal up to the cut; res->point_ms where it got. */
static int replay(struct rs *s)
{
	int64_t outside = 0;
	size_t c;
	int rc = 0;

	s->res->point_ms = s->cut;
	for (c = 0; rc == 0 && c < s->nch && s->ch[c].r.ts <= s->cut; c++)
		if ((rc = apply_chunk(s, c, &outside)) == 1)
			s->res->point_ms = s->ch[c].r.ts - 1;
	if (rc < 0)
		return rc;
	if (outside) {
		size_t l = strlen(s->why);
		snprintf(s->why + l, sizeof(s->why) - l, "%s%lld item(s) had been changed outside whimbrel "
			 "runs since the snapshot (their journal before-image was applied)", l ? "; " : "",
			 (long long)outside);
	}
	return 0;
}

static int count_items(const wb_item *it, void *arg)
{
	(void)it;
	++*(int64_t *)arg;
	return 0;
}

/* NEW with the key and the secondary indexes `from` has for the table. */
static int create_new(struct rs *s, wb_db *from)
{
	wb_table_options to = WB_TABLE_OPTIONS_INIT;
	wb_table_desc d;
	wb_index *ix = NULL;
	size_t n = 0;
	int rc;

	if ((rc = wb_table_describe(&d, from, s->o->table)) < 0 ||
	    (rc = wb_table_indexes(&ix, &n, from, s->o->table)) < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(from));
	to.indexes = ix;
	to.nindexes = n;
	if ((rc = wb_table_create_opts(s->db, s->o->into, &d.key, &to)) < 0)
		rc = wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	wb_indexes_free(ix, n);
	return rc;
}

/*
 * NEW from the base snapshot's table (created with its indexes, then
 * wb_copy); when the table did not exist yet then, NEW starts empty with
 * the key and indexes of the table now (the journal holds what the runs
 * after wrote into it).
 */
static int copy_base(struct rs *s)
{
	wb_copy_options co = WB_COPY_OPTIONS_INIT;
	wb_table_desc d;
	wb_db *sd = snap_db(s, s->base);
	char from[4500];
	int rc;

	if (!sd)
		return WB_EIO;
	if (wb_table_describe(&d, sd, s->o->table) != 0) {
		s->empty_base = 1;
		return create_new(s, s->db);
	}
	if ((rc = create_new(s, sd)) < 0)
		return rc;
	snprintf(from, sizeof(from), "sqlite:%s", s->snaps[s->base].path);
	co.from_url = from;
	co.to_url = s->o->url;
	co.src = s->o->table;
	co.dst = s->o->into;
	co.stop = s->o->stop;
	co.progress = s->o->progress;
	rc = wb_copy(NULL, &co);
	if (s->o->progress)
		fputc('\n', stderr);
	return rc;
}

/* Say what the table was made from, and why the point is not the time asked for. */
static void describe(struct rs *s)
{
	wb_restore_result *res = s->res;
	const wb_snapshot *b = &s->snaps[s->base];
	size_t l;

	res->exact = res->point_ms == res->asked_ms;
	l = (size_t)snprintf(res->how, sizeof(res->how), "the snapshot taken at %s (start of run %s%s) and "
			     "%lld journaled write(s) after it", FMT(b->taken_ms), b->run_id,
			     s->empty_base ? "; the table did not exist yet" : "", (long long)res->replayed);
	if (s->why[0] && l < sizeof(res->how))
		snprintf(res->how + l, sizeof(res->how) - l, "; %s", s->why);
}

static int restore_embedded(struct rs *s, int64_t t, const wb_ledger_run *run)
{
	int rc;

	if ((rc = wb_snapshot_list(&s->snaps, &s->nsnaps, s->db)) < 0)
		return rc;
	if (!(s->sdb = calloc(s->nsnaps + 1, sizeof(*s->sdb))))
		return wb__oom(NULL);
	if ((rc = pick_base(s, t, run)) < 0)
		return rc;
	if (run->run_id[0] && s->cut == s->snaps[s->base].taken_ms)
		s->res->asked_ms = s->cut; /* just before the run: its own snapshot */
	if ((rc = cut_unjournaled(s)) < 0 || (rc = copy_base(s)) < 0)
		return rc;
	s->res->point_ms = s->cut;
	if (s->cut > s->snaps[s->base].taken_ms && ((rc = load_journal(s)) < 0 || (rc = replay(s)) < 0))
		return rc;
	if ((rc = wb_scan_all(s->db, s->o->into, NULL, count_items, &s->res->items)) < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	describe(s);
	return 0;
}

static void rs_free(struct rs *s)
{
	for (size_t i = 0; s->sdb && i < s->nsnaps; i++)
		wb_close(s->sdb[i]);
	free(s->sdb);
	for (size_t i = 0; i < s->nents; i++)
		free(s->ents[i].key);
	free(s->ents);
	for (size_t i = 0; i < s->nch; i++)
		wb__journal_read_clear(&s->ch[i].r);
	free(s->ch);
	wb_snapshots_free(s->snaps);
}

/* ------------------------------------------------------------- DynamoDB */

/* The refusal of a time outside the restorable window (or with recovery off). */
static int outside_window(struct rs *s, int64_t t)
{
	struct wb__ddb_pitr p;
	int rc = wb__dynamodb_pitr_status(s->db, s->o->table, &p);

	if (rc < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	if (!p.enabled)
		return wb__error(NULL, WB_EINVALID, "point-in-time recovery is not enabled on table %s (%s): "
				 "`whimbrel pitr enable %s` turns it on; no time before that can be restored",
				 s->o->table, p.status, s->o->table);
	return wb__error(NULL, WB_EINVALID, "%s is outside the restorable window of table %s: earliest %s, "
			 "latest %s", s->o->latest ? "the latest time" : FMT(t), s->o->table,
			 FMT(p.earliest_ms), FMT(p.latest_ms));
}

static void say(struct rs *s, const char *fmt, ...) WB_PRINTF(2, 3);
static void say(struct rs *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!s->o->on_progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->o->on_progress(line, s->o->arg);
}

/* Poll DescribeTable until NEW is ACTIVE (WB_RESTORE_POLL_MS between polls, default 10 s). */
static int wait_active(struct rs *s)
{
	const char *env = getenv("WB_RESTORE_POLL_MS");
	long poll = env && atol(env) > 0 ? atol(env) : 10000;
	int64_t t0 = now_ms();
	char st[32];
	int rc, missing = 0;

	for (;;) {
		rc = wb__dynamodb_table_status(s->db, s->o->into, st, sizeof(st));
		if (rc == WB_ENOTFOUND && ++missing < 5)
			snprintf(st, sizeof(st), "NOT YET LISTED");
		else if (rc < 0)
			return wb__error(NULL, rc, "%s", wb_errmsg(s->db));
		else if (strcmp(st, "ACTIVE") == 0)
			break;
		say(s, "restoring %s into %s: %s (%llds)", s->o->table, s->o->into, st,
		    (long long)((now_ms() - t0) / 1000));
		if (s->o->stop && *s->o->stop)
			return wb__error(NULL, WB_EINTERRUPTED, "stopped waiting: DynamoDB goes on restoring %s "
					 "(`whimbrel table describe %s` shows when it is ACTIVE)", s->o->into, s->o->into);
		struct timespec ts = {poll / 1000, (poll % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	say(s, "restoring %s into %s: ACTIVE (%llds)", s->o->table, s->o->into,
	    (long long)((now_ms() - t0) / 1000));
	return 0;
}

static int restore_dynamodb(struct rs *s, int64_t t)
{
	struct wb__ddb_pitr p;
	int64_t point = 0;
	int rc = wb__dynamodb_pitr_status(s->db, s->o->table, &p);

	if (rc < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	if (!p.enabled || (!s->o->latest && (t < p.earliest_ms || t > p.latest_ms)))
		return outside_window(s, t);
	rc = wb__dynamodb_restore(s->db, s->o->table, s->o->into, s->o->latest ? -1 : t, &point);
	if (rc == WB_EINVALID && strstr(wb_errmsg(s->db), "PointInTimeRecoveryUnavailable"))
		return wb__error(NULL, rc, "point-in-time recovery is not enabled on table %s (`whimbrel pitr "
				 "enable %s` turns it on): %s", s->o->table, s->o->table, wb_errmsg(s->db));
	if (rc == WB_EINVALID && strstr(wb_errmsg(s->db), "InvalidRestoreTime"))
		return outside_window(s, t);
	if (rc == WB_EEXISTS)
		return wb__error(NULL, rc, "table %s exists already: restore writes a new table (%s)",
				 s->o->into, wb_errmsg(s->db));
	if (rc < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	s->res->point_ms = point ? point : t;
	if ((rc = wait_active(s)) < 0)
		return rc;
	s->res->exact = s->o->latest || s->res->point_ms == t;
	snprintf(s->res->how, sizeof(s->res->how), "DynamoDB's point-in-time recovery of %s%s",
		 s->o->table, s->o->latest ? " (its latest restorable time)" : "");
	return 0;
}

/* ----------------------------------------------------------------- API */

static int check(const wb_restore_options *o)
{
	int rc = wb__options_check("wb_restore", o, o ? o->version : 0, WB_RESTORE_OPTIONS_VERSION,
				   "WB_RESTORE_OPTIONS_INIT",
				   o && o->url && o->table && o->into && (o->to || o->latest),
				   "url, table, into and a time");

	if (rc < 0)
		return rc;
	if (strcmp(o->table, o->into) == 0)
		return wb__error(NULL, WB_EINVALID, "restore %s: the new table must have another name", o->table);
	return 0;
}

/* The checks of both backends: the table exists, NEW does not, the time. */
static int prepare(struct rs *s, int64_t *t, wb_ledger_run *run)
{
	wb_table_desc d;
	int rc;

	if ((rc = wb_table_describe(&d, s->db, s->o->table)) < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(s->db));
	if (wb_table_describe(&d, s->db, s->o->into) == 0)
		return wb__error(NULL, WB_EEXISTS, "table %s exists already: restore writes a new table "
				 "(drop it, or choose another name)", s->o->into);
	memset(run, 0, sizeof(*run));
	*t = 0;
	if (!s->o->latest && (rc = resolve_time(t, run, s->db, s->o->to)) < 0)
		return rc;
	s->res->asked_ms = *t;
	return 0;
}

int wb_restore(wb_restore_result *out, const wb_restore_options *o)
{
	wb_restore_result res;
	wb_ledger_run run;
	struct rs s;
	char dir[4096];
	int64_t t = 0;
	int rc;

	memset(&res, 0, sizeof(res));
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.res = &res;
	if ((rc = check(o)) < 0)
		return rc;
	if ((rc = wb_open(&s.db, o->url)) < 0)
		return rc;
	if ((rc = prepare(&s, &t, &run)) == 0) {
		if (wb__dynamodb_is(s.db))
			rc = restore_dynamodb(&s, t);
		else if (o->latest)
			rc = wb__error(NULL, WB_EINVALID, "--latest is DynamoDB's: give --to TIME");
		else if (wb__db_snapshot_dir(s.db, dir, sizeof(dir)) == 0)
			rc = restore_embedded(&s, t, &run);
		else
			rc = wb__error(NULL, WB_EINVALID, "restore: this target keeps no history (%s)",
				       wb_errmsg(s.db));
	}
	rs_free(&s);
	wb_close(s.db);
	if (out)
		*out = res;
	return rc;
}

/* ---------------------------------------------------------------- pitr */

int wb_pitr_status(wb_pitr_info *out, wb_db *db, const char *table)
{
	struct wb__ddb_pitr p;
	wb_snapshot *v = NULL;
	wb_table_desc d;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (wb__dynamodb_is(db)) {
		if ((rc = wb__dynamodb_pitr_status(db, table, &p)) < 0)
			return wb__error(NULL, rc, "%s", wb_errmsg(db));
		out->enabled = p.enabled;
		snprintf(out->status, sizeof(out->status), "%s", p.status);
		out->earliest_ms = p.earliest_ms;
		out->latest_ms = p.latest_ms;
		return 0;
	}
	if ((rc = wb_table_describe(&d, db, table)) < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(db));
	if ((rc = wb_snapshot_list(&v, &n, db)) < 0)
		return rc;
	out->enabled = n > 0;
	snprintf(out->status, sizeof(out->status), "%s", n ? "SNAPSHOTS" : "NONE");
	out->earliest_ms = n ? v[0].taken_ms : 0;
	out->latest_ms = n ? now_ms() : 0;
	out->snapshots = (int64_t)n;
	wb_snapshots_free(v);
	return 0;
}

int wb_pitr_enable(wb_db *db, const char *table)
{
	int rc;

	if (!wb__dynamodb_is(db))
		return wb__error(NULL, WB_EINVALID, "pitr enable: only DynamoDB has point-in-time recovery; "
				 "an embedded target keeps a snapshot per prod run (snapshot_days) instead");
	if ((rc = wb__dynamodb_pitr_enable(db, table)) < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(db));
	return 0;
}
