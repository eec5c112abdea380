/*
 * ledger.c - the run ledger (whimbrel_runs), run logs (whimbrel_logs) and
 * the creation of the reserved tables; see ledger.h for the schema.
 *
 * Everything goes through the public store API, so the ledger works the
 * same on every backend.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "buf.h"
#include "item.h"
#include "ledger.h"
#include "lock.h"
#include "checkpoint.h"

/* ------------------------------------------------------- reserved tables */

static int ensure_table(wb_db *db, const char *name, const char *pk, wb_type pkt,
			const char *sk, wb_type skt)
{
	wb_key_schema key;
	wb_table_desc desc;
	int rc;

	if (wb_table_describe(&desc, db, name) == 0)
		return 0;
	memset(&key, 0, sizeof(key));
	snprintf(key.pk_name, sizeof(key.pk_name), "%s", pk);
	key.pk_type = pkt;
	if (sk) {
		snprintf(key.sk_name, sizeof(key.sk_name), "%s", sk);
		key.sk_type = skt;
	}
	rc = wb_table_create(db, name, &key);
	if (rc == WB_EEXISTS) /* created meanwhile by another process */
		rc = 0;
	return rc;
}

int wb__reserved_ensure(wb_db *db)
{
	int rc;

	if ((rc = ensure_table(db, WB_RUNS_TABLE, "run_id", WB_S, NULL, WB_S)) < 0 ||
	    (rc = ensure_table(db, WB_LOGS_TABLE, "run_id", WB_S, "seq", WB_N)) < 0 ||
	    (rc = ensure_table(db, WB_LOCKS_TABLE, "migration", WB_S, NULL, WB_S)) < 0 ||
	    (rc = ensure_table(db, WB_CHECKPOINT_TABLE, "migration", WB_S, "segment", WB_S)) < 0)
		return rc;
	return 0;
}

void wb__run_id_new(char *buf, size_t size, int64_t now)
{
	unsigned char rnd[4] = {0};
	time_t t = (time_t)now;
	struct tm tm;
	char stamp[32];
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
		unsigned v = (unsigned)getpid() ^ (unsigned)clock();
		memcpy(rnd, &v, sizeof(rnd));
	}
	if (fd >= 0)
		close(fd);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, size, "%s-%02x%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2], rnd[3]);
}

/* ------------------------------------------------------------ runs table */

/* Capacity units (a multiple of 0.5) as a number; nothing when there are none. */
static int set_units(wb_item *it, const char *name, double units)
{
	char text[64];

	if (units <= 0)
		return 0;
	snprintf(text, sizeof(text), "%.1f", units);
	return wb_item_set_number(it, name, text);
}

static int set_str(wb_item *it, const char *name, const char *s)
{
	return wb_item_set_string(it, name, s);
}

/* The ledger item of a run (caller frees), or NULL when out of memory. */
static wb_item *run_to_item(const wb_ledger_run *r)
{
	wb_item *it = wb_item_new();
	int rc = 0;

	if (!it)
		return NULL;
	rc |= set_str(it, "run_id", r->run_id);
	rc |= set_str(it, "migration", r->migration);
	rc |= set_str(it, "version", r->version);
	rc |= set_str(it, "name", r->name);
	rc |= set_str(it, "checksum", r->checksum);
	rc |= set_str(it, "target", r->target);
	rc |= set_str(it, "mode", r->mode);
	rc |= set_str(it, "status", r->status);
	rc |= wb_item_set_int(it, "started", r->started);
	if (r->finished > 0) {
		rc |= wb_item_set_int(it, "finished", r->finished);
		rc |= wb_item_set_int(it, "exit_code", r->exit_code);
	}
	rc |= wb_item_set_int(it, "duration_ms", r->duration_ms);
	rc |= set_str(it, "host", r->host);
	rc |= set_str(it, "user", r->user);
	rc |= wb_item_set_int(it, "scanned", r->scanned);
	rc |= wb_item_set_int(it, "written", r->written);
	rc |= wb_item_set_int(it, "deleted", r->deleted);
	rc |= wb_item_set_int(it, "unchanged", r->unchanged);
	rc |= wb_item_set_int(it, "failed", r->failed);
	rc |= wb_item_set_int(it, "retries", r->retries);
	rc |= wb_item_set_int(it, "throttled", r->throttled);
	rc |= wb_item_set_int(it, "conditions_failed", r->conditions_failed);
	if (r->error[0])
		rc |= set_str(it, "error", r->error);
	rc |= wb_item_set_bool(it, "journal", r->journal);
	if (r->commit[0])
		rc |= set_str(it, "commit", r->commit);
	if (r->dirty[0])
		rc |= set_str(it, "dirty", r->dirty);
	if (r->job_id[0])
		rc |= set_str(it, "job_id", r->job_id);
	rc |= set_units(it, "rcu_estimate", r->rcu_estimate);
	rc |= set_units(it, "wcu_estimate", r->wcu_estimate);
	if (r->verify_checked || r->verify_failed) {
		rc |= wb_item_set_int(it, "verify_checked", r->verify_checked);
		rc |= wb_item_set_int(it, "verify_failed", r->verify_failed);
	}
	if (r->verify_keys[0])
		rc |= set_str(it, "verify_keys", r->verify_keys);
	if (r->verifies[0])
		rc |= set_str(it, "verifies", r->verifies);
	if (rc) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

static double get_units(const wb_item *it, const char *name)
{
	const char *s = wb_item_get_number(it, name);

	return s ? strtod(s, NULL) : 0;
}

static void get_str(char *dst, size_t size, const wb_item *it, const char *name)
{
	const char *s = wb_item_get_string(it, name);

	snprintf(dst, size, "%s", s ? s : "");
}

static void item_to_run(wb_ledger_run *r, const wb_item *it)
{
	memset(r, 0, sizeof(*r));
	get_str(r->run_id, sizeof(r->run_id), it, "run_id");
	get_str(r->migration, sizeof(r->migration), it, "migration");
	get_str(r->version, sizeof(r->version), it, "version");
	get_str(r->name, sizeof(r->name), it, "name");
	get_str(r->checksum, sizeof(r->checksum), it, "checksum");
	get_str(r->target, sizeof(r->target), it, "target");
	get_str(r->mode, sizeof(r->mode), it, "mode");
	get_str(r->status, sizeof(r->status), it, "status");
	get_str(r->host, sizeof(r->host), it, "host");
	get_str(r->user, sizeof(r->user), it, "user");
	get_str(r->error, sizeof(r->error), it, "error");
	get_str(r->commit, sizeof(r->commit), it, "commit");
	get_str(r->dirty, sizeof(r->dirty), it, "dirty");
	get_str(r->job_id, sizeof(r->job_id), it, "job_id");
	r->started = wb_item_get_int(it, "started", 0);
	r->finished = wb_item_get_int(it, "finished", 0);
	r->duration_ms = wb_item_get_int(it, "duration_ms", 0);
	r->exit_code = (int)wb_item_get_int(it, "exit_code", -1);
	r->scanned = wb_item_get_int(it, "scanned", 0);
	r->written = wb_item_get_int(it, "written", 0);
	r->deleted = wb_item_get_int(it, "deleted", 0);
	r->unchanged = wb_item_get_int(it, "unchanged", 0);
	r->failed = wb_item_get_int(it, "failed", 0);
	r->retries = wb_item_get_int(it, "retries", 0);
	r->throttled = wb_item_get_int(it, "throttled", 0);
	r->conditions_failed = wb_item_get_int(it, "conditions_failed", 0);
	r->journal = wb_item_get(it, "journal") && wb_value_get_bool(wb_item_get(it, "journal"));
	r->rcu_estimate = get_units(it, "rcu_estimate");
	r->wcu_estimate = get_units(it, "wcu_estimate");
	r->verify_checked = wb_item_get_int(it, "verify_checked", 0);
	r->verify_failed = wb_item_get_int(it, "verify_failed", 0);
	get_str(r->verify_keys, sizeof(r->verify_keys), it, "verify_keys");
	get_str(r->verifies, sizeof(r->verifies), it, "verifies");
}

int wb__ledger_put(wb_db *db, const wb_ledger_run *run)
{
	wb_item *it = run_to_item(run);
	int rc;

	if (!it)
		return wb__oom(db);
	rc = wb_put(db, WB_RUNS_TABLE, it, NULL);
	wb_item_free(it);
	return rc;
}

int wb_ledger_get(wb_ledger_run *out, wb_db *db, const char *run_id)
{
	wb_item *key = wb_item_new(), *it = NULL;
	int rc;

	if (!key)
		return wb__oom(db);
	if ((rc = wb_item_set_string(key, "run_id", run_id)) == 0 &&
	    (rc = wb_get(&it, db, WB_RUNS_TABLE, key)) == 0)
		item_to_run(out, it);
	wb_item_free(key);
	wb_item_free(it);
	return rc;
}

static int by_run_id(const void *a, const void *b)
{
	return strcmp(((const wb_ledger_run *)a)->run_id, ((const wb_ledger_run *)b)->run_id);
}

/* The runs being collected by wb_ledger_list. */
struct run_list {
	const char *migration; /* only this migration's runs, or NULL for all */
	wb_ledger_run *runs;   /* collected so far */
	size_t n, cap;         /* used, allocated */
};

/* Append one ledger item to the list when it matches. */
static int add_run(const wb_item *it, void *arg)
{
	struct run_list *l = arg;
	const char *m = wb_item_get_string(it, "migration");

	if (l->migration && (!m || strcmp(m, l->migration) != 0))
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		wb_ledger_run *p = wb__realloc(l->runs, ncap * sizeof(*p));
		if (!p)
			return WB_ENOMEM;
		l->runs = p;
		l->cap = ncap;
	}
	item_to_run(&l->runs[l->n++], it);
	return 0;
}

int wb_ledger_list(wb_ledger_run **out, size_t *count, wb_db *db, const char *migration)
{
	struct run_list l = {migration, NULL, 0, 0};
	int rc;

	*out = NULL;
	*count = 0;
	rc = wb_scan_all(db, WB_RUNS_TABLE, NULL, add_run, &l);
	if (rc == WB_ENOTFOUND) /* no ledger yet: no runs */
		rc = 0;
	if (rc < 0) {
		free(l.runs);
		return rc;
	}
	if (l.n > 1)
		qsort(l.runs, l.n, sizeof(*l.runs), by_run_id);
	*out = l.runs;
	*count = l.n;
	return 0;
}

void wb_ledger_runs_free(wb_ledger_run *runs)
{
	free(runs);
}

/* ------------------------------------------------------------------ logs */

/* A line as stored: whatever bytes it had, valid UTF-8 (a bad byte becomes U+FFFD). */
static int set_line(wb_item *it, const char *line)
{
	size_t len = strlen(line);
	wb_buf fixed = {0};
	int rc;

	if (wb__utf8_valid(line, len))
		return wb_item_set_string(it, "line", line);
	if ((rc = wb__utf8_scrub(&fixed, line, len)) == 0)
		rc = wb_item_set_string(it, "line", fixed.len ? fixed.text : "");
	wb__buf_free(&fixed);
	return rc;
}

static wb_item *log_item(const char *run_id, int64_t seq, const wb_log_line *l)
{
	wb_item *it = wb_item_new();

	if (!it)
		return NULL;
	if (wb_item_set_string(it, "run_id", run_id) || wb_item_set_int(it, "seq", seq) ||
	    wb_item_set_int(it, "ts", l->ts_ms) || wb_item_set_string(it, "stream", l->stream) ||
	    set_line(it, l->line) ||
	    (l->worker && *l->worker && wb_item_set_string(it, "worker", l->worker))) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

void wb__log_seq_clock(int64_t *seq, int slot)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000) * 1000 + slot % 1000;
	if (*seq < now)
		*seq = now;
}

int wb__log_append(wb_db *db, const char *run_id, int64_t *seq,
		   const wb_log_line *lines, size_t n)
{
	wb_write *w = n ? wb__calloc(n, sizeof(*w)) : NULL;
	wb_item **items = n ? wb__calloc(n, sizeof(*items)) : NULL;
	int rc = 0;

	if (n && (!w || !items)) {
		rc = wb__oom(db);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(items[i] = log_item(run_id, *seq + (int64_t)i, &lines[i]))) {
			rc = wb__oom(db);
			goto out;
		}
		w[i].table = WB_LOGS_TABLE;
		w[i].kind = WB_WRITE_PUT;
		w[i].item = items[i];
	}
	if (n && (rc = wb_batch_write(db, w, n, NULL)) == 0)
		*seq += (int64_t)n;
out:
	for (size_t i = 0; items && i < n; i++)
		wb_item_free(items[i]);
	free(items);
	free(w);
	return rc;
}

/* The reader of wb_ledger_log_each: its callback and argument. */
struct log_visit {
	wb_log_fn fn; /* called per line */
	void *arg;    /* its argument */
};

static int visit_log(const wb_item *it, void *arg)
{
	struct log_visit *v = arg;
	const char *s = wb_item_get_string(it, "stream");
	const char *t = wb_item_get_string(it, "line");
	wb_log_line l;

	l.ts_ms = wb_item_get_int(it, "ts", 0);
	l.stream = s ? s : "";
	l.line = t ? t : "";
	l.worker = wb_item_get_string(it, "worker");
	l.seq = wb_item_get_int(it, "seq", 0);
	return v->fn(&l, v->arg);
}

int wb_ledger_log_each(wb_db *db, const char *run_id, wb_log_fn fn, void *arg)
{
	wb_query q = WB_QUERY_INIT;
	struct log_visit v = {fn, arg};
	wb_value *pk = wb_value_string(run_id, strlen(run_id));
	int rc;

	if (!pk)
		return wb__oom(db);
	q.pk = pk;
	rc = wb_query_all(db, WB_LOGS_TABLE, &q, visit_log, &v);
	wb_value_free(pk);
	return rc;
}
