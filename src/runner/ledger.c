/*
 * ledger.c - the run ledger (whimbrel_runs), run logs (whimbrel_logs,
 * several lines an item), the creation of the reserved tables, and what
 * the other reserved tables' modules (jobs, journal, lock, checkpoint,
 * revert, control) share: a table created once, a key item, one item
 * read, put or deleted, a record's fields read from and written to an
 * item by a table of them (struct wb__field), a table read into sorted
 * records, a partition visited, this host's and user's names; see
 * ledger.h for the schema.
 *
 * Everything goes through the public store API, so the ledger works the
 * same on every backend.
 */
#include <fcntl.h>
#include <pwd.h>
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

int wb__reserved_table(wb_db *db, const char *name, const wb_key_schema *key)
{
	wb_table_desc desc;
	int rc;

	if (wb_table_describe(&desc, db, name) == 0)
		return 0;
	rc = wb_table_create(db, name, key);
	if (rc == WB_EEXISTS) /* created meanwhile by another process */
		rc = 0;
	return rc;
}

int wb__reserved_ensure(wb_db *db)
{
	static const struct {
		const char *name;   /* the table */
		wb_key_schema key;  /* its key */
	} tables[] = {
		{WB_RUNS_TABLE, {"run_id", WB_S, "", WB_S}},
		{WB_LOGS_TABLE, {"run_id", WB_S, "seq", WB_N}},
		{WB_LOCKS_TABLE, {"migration", WB_S, "", WB_S}},
		{WB_CHECKPOINT_TABLE, {"migration", WB_S, "segment", WB_S}},
	};
	int rc;

	for (size_t i = 0; i < WB_ARRAY_SIZE(tables); i++)
		if ((rc = wb__reserved_table(db, tables[i].name, &tables[i].key)) < 0)
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

void wb__host_name(char *buf, size_t size)
{
	if (gethostname(buf, size) != 0)
		snprintf(buf, size, "unknown");
	buf[size - 1] = '\0';
}

const char *wb__user_name(void)
{
	const char *user = getenv("USER");
	struct passwd *pw;

	if (user && *user)
		return user;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

/* ------------------------------------------ items of the reserved tables */

void wb__attr_copy(char *dst, size_t size, const wb_item *it, const char *name)
{
	const char *s = wb_item_get_string(it, name);

	snprintf(dst, size, "%s", s ? s : "");
}

wb_item *wb__key_item(const char *pk, const char *pv, const char *sk, const char *sv)
{
	wb_item *k = wb_item_new();

	if (k && (wb_item_set_string(k, pk, pv) < 0 || (sk && wb_item_set_string(k, sk, sv) < 0))) {
		wb_item_free(k);
		return NULL;
	}
	return k;
}

int wb__get_key(wb_item **out, wb_db *db, const char *table, const char *pk, const char *pv,
		const char *sk, const char *sv)
{
	wb_item *key = wb__key_item(pk, pv, sk, sv);
	int rc;

	*out = NULL;
	rc = key ? wb_get(out, db, table, key) : wb__oom(db);
	wb_item_free(key);
	return rc;
}

int wb__write_free(wb_db *db, wb_write_kind kind, const char *table, wb_item *it, const wb_cond *cond)
{
	int rc;

	if (!it)
		return wb__oom(db);
	if (kind == WB_WRITE_DELETE)
		rc = wb_delete(db, table, it, cond);
	else
		rc = wb_put(db, table, it, cond);
	wb_item_free(it);
	return rc;
}

/* The field f of record rec, as a number (an int or an int64_t). */
static int64_t num_of(const void *rec, const struct wb__field *f)
{
	const char *p = (const char *)rec + f->off;

	return f->size == sizeof(int64_t) ? *(const int64_t *)p : *(const int *)p;
}

static void num_set(void *rec, const struct wb__field *f, int64_t v)
{
	char *p = (char *)rec + f->off;

	if (f->size == sizeof(int64_t))
		*(int64_t *)p = v;
	else
		*(int *)p = (int)v;
}

void wb__fields_read(void *rec, const struct wb__field *f, size_t n, const wb_item *it)
{
	for (size_t i = 0; i < n; i++) {
		char *p = (char *)rec + f[i].off;
		const wb_value *v;

		switch (f[i].kind) {
		case WB__STR:
			wb__attr_copy(p, f[i].size, it, f[i].name);
			break;
		case WB__NUM:
			num_set(rec, &f[i], wb_item_get_int(it, f[i].name, f[i].dflt));
			break;
		case WB__UNITS:
			*(double *)p = wb__get_units(it, f[i].name);
			break;
		case WB__BOOL:
			v = wb_item_get(it, f[i].name);
			*(int *)p = v && wb_value_get_bool(v);
			break;
		}
	}
}

/* Whether field f of rec is set: not 0, not "". */
static int field_set(const void *rec, const struct wb__field *f)
{
	const char *p = (const char *)rec + f->off;

	switch (f->kind) {
	case WB__STR:
		return p[0] != '\0';
	case WB__UNITS:
		return *(const double *)p > 0;
	default:
		return num_of(rec, f) != 0;
	}
}

int wb__fields_write(wb_item *it, const void *rec, const struct wb__field *f, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *p = (const char *)rec + f[i].off;

		if (f[i].optional && !field_set(rec, &f[i]))
			continue;
		switch (f[i].kind) {
		case WB__STR:
			rc = wb_item_set_string(it, f[i].name, p);
			break;
		case WB__NUM:
			rc = wb_item_set_int(it, f[i].name, num_of(rec, &f[i]));
			break;
		case WB__UNITS:
			rc = wb__set_units(it, f[i].name, *(const double *)p);
			break;
		case WB__BOOL:
			rc = wb_item_set_bool(it, f[i].name, *(const int *)p);
			break;
		}
	}
	return rc;
}

/* ------------------------------------------------------------ runs table */

/* Capacity units, one decimal: DynamoDB reports halves. */
int wb__set_units(wb_item *it, const char *name, double v)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.1f", v);
	return wb_item_set_number(it, name, buf);
}

double wb__get_units(const wb_item *it, const char *name)
{
	const char *v = wb_item_get_number(it, name);

	return v ? strtod(v, NULL) : 0;
}

#define RUN(m, kind) WB__FIELD(wb_ledger_run, m, kind)
#define RUN_OPT(m, kind) WB__FIELD_OPT(wb_ledger_run, m, kind)

/* The attributes of a run's item that stand for a field of the same name (ledger.h). */
static const struct wb__field run_fields[] = {
	RUN(run_id, WB__STR), RUN(migration, WB__STR), RUN(version, WB__STR), RUN(name, WB__STR),
	RUN(checksum, WB__STR), RUN(target, WB__STR), RUN(mode, WB__STR), RUN(status, WB__STR),
	RUN(started, WB__NUM), RUN_OPT(finished, WB__NUM), RUN(duration_ms, WB__NUM),
	RUN(host, WB__STR), RUN(user, WB__STR),
	RUN(scanned, WB__NUM), RUN(written, WB__NUM), RUN(deleted, WB__NUM), RUN(unchanged, WB__NUM),
	RUN(failed, WB__NUM), RUN(retries, WB__NUM), RUN(throttled, WB__NUM),
	RUN(conditions_failed, WB__NUM), RUN(rcu_consumed, WB__UNITS), RUN(wcu_consumed, WB__UNITS),
	RUN_OPT(error, WB__STR), RUN(journal, WB__BOOL),
	RUN_OPT(commit, WB__STR), RUN_OPT(dirty, WB__STR), RUN_OPT(job_id, WB__STR),
	RUN_OPT(unconditional, WB__BOOL), RUN_OPT(rcu_estimate, WB__UNITS),
	RUN_OPT(wcu_estimate, WB__UNITS), RUN_OPT(verify_keys, WB__STR), RUN_OPT(verifies, WB__STR),
};

/* ... and those written on conditions of their own (run_to_item). */
static const struct wb__field run_exit[] = {WB__FIELD_DFLT(wb_ledger_run, exit_code, -1)};
static const struct wb__field run_snapshot[] = {RUN(snapshot, WB__BOOL)};
static const struct wb__field run_verify[] = {RUN(verify_checked, WB__NUM), RUN(verify_failed, WB__NUM)};

/*
 * The ledger item of a run (caller frees), or NULL when out of memory: the
 * exit code once it finished, the snapshot flag of a prod run, the verify
 * counts when its verify callbacks ran.
 */
static wb_item *run_to_item(const wb_ledger_run *r)
{
	wb_item *it = wb_item_new();
	int rc;

	if (!it)
		return NULL;
	rc = wb__fields_write(it, r, run_fields, WB_ARRAY_SIZE(run_fields));
	if (rc == 0 && r->finished > 0)
		rc = wb__fields_write(it, r, run_exit, 1);
	if (rc == 0 && strcmp(r->mode, "prod") == 0)
		rc = wb__fields_write(it, r, run_snapshot, 1);
	if (rc == 0 && (r->verify_checked || r->verify_failed))
		rc = wb__fields_write(it, r, run_verify, WB_ARRAY_SIZE(run_verify));
	if (rc) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

static void item_to_run(wb_ledger_run *r, const wb_item *it)
{
	memset(r, 0, sizeof(*r));
	wb__fields_read(r, run_fields, WB_ARRAY_SIZE(run_fields), it);
	wb__fields_read(r, run_exit, 1, it);
	wb__fields_read(r, run_snapshot, 1, it);
	wb__fields_read(r, run_verify, WB_ARRAY_SIZE(run_verify), it);
}

void wb__ledger_run_init(wb_ledger_run *r, const char *migration, const char *version,
			 const char *name, const char *target, const char *mode)
{
	memset(r, 0, sizeof(*r));
	r->started = (int64_t)time(NULL);
	wb__run_id_new(r->run_id, sizeof(r->run_id), r->started);
	snprintf(r->migration, sizeof(r->migration), "%s", migration);
	snprintf(r->version, sizeof(r->version), "%s", version);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->mode, sizeof(r->mode), "%s", mode);
	snprintf(r->status, sizeof(r->status), "running");
	wb__host_name(r->host, sizeof(r->host));
	snprintf(r->user, sizeof(r->user), "%s", wb__user_name());
	r->exit_code = -1;
}

int wb__ledger_put(wb_db *db, const wb_ledger_run *run)
{
	return wb__write_free(db, WB_WRITE_PUT, WB_RUNS_TABLE, run_to_item(run), NULL);
}

int wb_ledger_get(wb_ledger_run *out, wb_db *db, const char *run_id)
{
	wb_item *it;
	int rc = wb__get_key(&it, db, WB_RUNS_TABLE, "run_id", run_id, NULL, NULL);

	if (rc == 0)
		item_to_run(out, it);
	wb_item_free(it);
	return rc;
}

static int by_run_id(const void *a, const void *b)
{
	return strcmp(((const wb_ledger_run *)a)->run_id, ((const wb_ledger_run *)b)->run_id);
}

/* The records being collected by wb__records_scan. */
struct records {
	size_t size;      /* of a record */
	wb__record_fn fn; /* makes one of an item */
	void *arg;        /* its argument */
	char *v;          /* collected so far */
	size_t n, cap;    /* used, allocated */
};

static int add_record(const wb_item *it, void *arg)
{
	struct records *l = arg;

	if (wb__grow(&l->v, &l->cap, l->n, l->size, 32) < 0)
		return WB_ENOMEM;
	l->n += l->fn(l->v + l->n * l->size, it, l->arg) > 0;
	return 0;
}

int wb__records_scan(void **out, size_t *count, wb_db *db, const char *table, size_t size,
		     wb__record_fn fn, void *arg, int (*cmp)(const void *, const void *))
{
	struct records l = {size, fn, arg, NULL, 0, 0};
	int rc;

	*out = NULL;
	*count = 0;
	rc = wb_scan_all(db, table, NULL, add_record, &l);
	if (rc == WB_ENOTFOUND) /* no table yet: no records */
		rc = 0;
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	if (l.n > 1)
		qsort(l.v, l.n, size, cmp);
	*out = l.v;
	*count = l.n;
	return 0;
}

int wb__partition_each(wb_db *db, const char *table, const char *pk, wb_visit_fn fn, void *arg)
{
	wb_query q = WB_QUERY_INIT;
	wb_value *v = wb_value_string(pk, strlen(pk));
	int rc;

	if (!v)
		return wb__oom(db);
	q.pk = v;
	rc = wb_query_all(db, table, &q, fn, arg);
	wb_value_free(v);
	return rc;
}

/* A ledger item as a run, when it is of the migration *arg (NULL: any). */
static int take_run(void *rec, const wb_item *it, void *arg)
{
	const char *migration = *(const char **)arg, *m = wb_item_get_string(it, "migration");

	if (migration && (!m || strcmp(m, migration) != 0))
		return 0;
	item_to_run(rec, it);
	return 1;
}

int wb_ledger_list(wb_ledger_run **out, size_t *count, wb_db *db, const char *migration)
{
	void *v;
	int rc = wb__records_scan(&v, count, db, WB_RUNS_TABLE, sizeof(**out), take_run, &migration,
				  by_run_id);

	*out = v;
	return rc;
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

/* One line of a pack: {ts, stream, line[, worker]}. */
static wb_item *line_map(const wb_log_line *l)
{
	wb_item *m = wb_item_new();

	if (m && (wb_item_set_int(m, "ts", l->ts_ms) || wb_item_set_string(m, "stream", l->stream) ||
		  set_line(m, l->line) ||
		  (l->worker && *l->worker && wb_item_set_string(m, "worker", l->worker)))) {
		wb_item_free(m);
		return NULL;
	}
	return m;
}

/*
 * The pack of lines[0..] numbered from seq: as many lines as fit in
 * WB_LOG_PACK_BYTES (one at least), *taken says how many.  NULL when out
 * of memory.
 */
static wb_item *log_pack(const char *run_id, int64_t seq, const wb_log_line *lines, size_t n,
			 size_t *taken)
{
	wb_item *it = wb_item_new(), *m;
	wb_value *list = wb_value_list(), *v;
	size_t size = 64 + strlen(run_id), k = 0;

	while (it && list && k < n && k < WB_LOG_PACK_LINES) {
		if (!(m = line_map(&lines[k])))
			goto fail;
		if (k && size + wb_item_size(m) + WB_LOG_PACK_LINE_COST > WB_LOG_PACK_BYTES) {
			wb_item_free(m);
			break;
		}
		size += wb_item_size(m) + WB_LOG_PACK_LINE_COST;
		if (!(v = wb_value_map(m)) || wb_value_list_append(list, v) < 0)
			goto fail;
		k++;
	}
	if (!it || !list || wb_item_set_string(it, "run_id", run_id) || wb_item_set_int(it, "seq", seq) ||
	    wb_item_set_int(it, "n", (int64_t)k))
		goto fail;
	v = list;
	list = NULL; /* wb_item_set takes it, even when it fails */
	if (wb_item_set(it, "lines", v))
		goto fail;
	*taken = k;
	return it;
fail:
	wb_value_free(list);
	wb_item_free(it);
	return NULL;
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
	size_t packs = 0, done = 0, k = 0;
	int rc = 0;

	if (n && !w)
		return wb__oom(db);
	for (; done < n; done += k, packs++) {
		if (!(w[packs].item = log_pack(run_id, *seq + (int64_t)done, lines + done, n - done, &k))) {
			rc = wb__oom(db);
			goto out;
		}
		w[packs].table = WB_LOGS_TABLE;
		w[packs].kind = WB_WRITE_PUT;
	}
	if (packs && (rc = wb_batch_write(db, w, packs, NULL)) == 0)
		*seq += (int64_t)n;
out:
	for (size_t i = 0; i < packs; i++)
		wb_item_free((wb_item *)w[i].item);
	free(w);
	return rc;
}

/* The reader of wb_ledger_log_each: its callback and argument. */
struct log_visit {
	wb_log_fn fn; /* called per line */
	void *arg;    /* its argument */
};

/* One line, from a pack's element or an item of one line (as written before packs). */
static int visit_line(struct log_visit *v, const wb_item *it, int64_t seq)
{
	const char *s = wb_item_get_string(it, "stream");
	const char *t = wb_item_get_string(it, "line");
	wb_log_line l;

	l.ts_ms = wb_item_get_int(it, "ts", 0);
	l.stream = s ? s : "";
	l.line = t ? t : "";
	l.worker = wb_item_get_string(it, "worker");
	l.seq = seq;
	return v->fn(&l, v->arg);
}

static int visit_log(const wb_item *it, void *arg)
{
	const wb_value *list = wb_item_get(it, "lines");
	int64_t seq = wb_item_get_int(it, "seq", 0);
	size_t n;
	int rc = 0;

	if (!list || wb_value_type(list) != WB_L)
		return visit_line(arg, it, seq);
	n = wb_value_count(list);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const wb_item *m = wb_value_get_map(wb_value_list_at(list, i));

		if (m)
			rc = visit_line(arg, m, seq + (int64_t)i);
	}
	return rc;
}

int wb_ledger_log_each(wb_db *db, const char *run_id, wb_log_fn fn, void *arg)
{
	struct log_visit v = {fn, arg};

	return wb__partition_each(db, WB_LOGS_TABLE, run_id, visit_log, &v);
}
