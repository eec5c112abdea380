/*
 * control.c - the control rows of runs and jobs in whimbrel_control
 * (wb_run_control_*, whimbrel/runner.h) and the poller of a migration
 * process that applies them to its pacer (control.h has the schema).
 *
 * Everything goes through the public store API, so pause and limits work
 * the same on every backend.  A missing table is no row: nothing is
 * created until someone pauses or limits a run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "clock.h"
#include "control.h"
#include "jobs.h"
#include "ledger.h"
#include "pace.h"
#include "stopwait.h"

#define LIMIT_PART "limit"
#define POLL_MS 1000   /* how often a migration process reads its control */
#define BEAT_S 2       /* how often it renews its live-process row */
#define EXPIRE_S 6     /* how long that row counts without renewal */

/* ------------------------------------------------------------ rows */

static wb_item *row_key(const char *run, const char *part)
{
	wb_item *k = wb_item_new();

	if (k && (wb_item_set_string(k, "run", run) < 0 || wb_item_set_string(k, "part", part) < 0)) {
		wb_item_free(k);
		k = NULL;
	}
	return k;
}

static double get_num(const wb_item *it, const char *name)
{
	const char *v = wb_item_get_number(it, name);

	return v ? strtod(v, NULL) : -1;
}

static void row_to_control(wb_run_control *c, const wb_item *it)
{
	const char *by = wb_item_get_string(it, "by");

	c->paused = (int)wb_item_get_int(it, "paused", -1);
	c->max_wcu = get_num(it, "max_wcu");
	c->max_rcu = get_num(it, "max_rcu");
	c->max_rate = get_num(it, "max_rate");
	c->capacity_pct = get_num(it, "capacity_pct");
	c->updated = wb_item_get_int(it, "updated", 0);
	snprintf(c->by, sizeof(c->by), "%s", by ? by : "");
}

int wb_run_control_get(wb_run_control *out, wb_db *db, const char *run)
{
	static const wb_run_control none = WB_RUN_CONTROL_INIT;
	wb_item *key = row_key(run, LIMIT_PART), *it = NULL;
	int rc;

	*out = none;
	if (!key)
		return wb__oom(db);
	rc = wb_get(&it, db, WB_CONTROL_TABLE, key);
	wb_item_free(key);
	if (rc == WB_ENOTFOUND) { /* no row, or no table yet */
		wb_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	row_to_control(out, it);
	wb_item_free(it);
	return 0;
}

static int set_num(wb_item *it, const char *name, double v)
{
	char buf[48];

	if (v < 0)
		return 0;
	snprintf(buf, sizeof(buf), "%.10g", v);
	return wb_item_set_number(it, name, buf);
}

/* The row of `c` (every field set in it) for run. */
static wb_item *control_to_row(const char *run, const wb_run_control *c)
{
	wb_item *it = row_key(run, LIMIT_PART);
	int rc = 0;

	if (!it)
		return NULL;
	if (c->paused >= 0)
		rc |= wb_item_set_int(it, "paused", c->paused ? 1 : 0);
	rc |= set_num(it, "max_wcu", c->max_wcu);
	rc |= set_num(it, "max_rcu", c->max_rcu);
	rc |= set_num(it, "max_rate", c->max_rate);
	rc |= set_num(it, "capacity_pct", c->capacity_pct);
	rc |= wb_item_set_int(it, "updated", c->updated);
	rc |= wb_item_set_string(it, "by", c->by);
	if (rc < 0) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

/* Fields of `over` that are set replace those of `c`. */
static void overlay(wb_run_control *c, const wb_run_control *over)
{
	if (over->paused >= 0)
		c->paused = over->paused;
	if (over->max_wcu >= 0)
		c->max_wcu = over->max_wcu;
	if (over->max_rcu >= 0)
		c->max_rcu = over->max_rcu;
	if (over->max_rate >= 0)
		c->max_rate = over->max_rate;
	if (over->capacity_pct >= 0)
		c->capacity_pct = over->capacity_pct;
	if (over->updated > c->updated) {
		c->updated = over->updated;
		memcpy(c->by, over->by, sizeof(c->by));
	}
}

static int check_change(const wb_run_control *ch)
{
	const double v[] = {ch->max_wcu, ch->max_rcu, ch->max_rate, ch->capacity_pct};

	for (size_t i = 0; i < WB_ARRAY_SIZE(v); i++)
		if (v[i] < 0 && v[i] != -1)
			return wb__error(NULL, WB_EINVALID, "a limit must be 0 (none) or more");
	if (ch->capacity_pct > 100)
		return wb__error(NULL, WB_EINVALID, "--capacity takes a percentage from 1 to 100");
	return 0;
}

int wb_run_control_update(wb_db *db, const char *run, const wb_run_control *change)
{
	wb_run_control c;
	wb_item *it;
	int rc;

	if (!run || !*run)
		return wb__error(NULL, WB_EINVALID, "wb_run_control_update: no run id");
	if ((rc = check_change(change)) < 0 ||
	    (rc = wb__reserved_table(db, WB_CONTROL_TABLE,
				     &(const wb_key_schema){"run", WB_S, "part", WB_S})) < 0 ||
	    (rc = wb_run_control_get(&c, db, run)) < 0)
		return rc;
	overlay(&c, change);
	c.updated = (int64_t)time(NULL);
	wb__user_at_host(c.by, sizeof(c.by));
	if (!(it = control_to_row(run, &c)))
		return wb__oom(db);
	rc = wb_put(db, WB_CONTROL_TABLE, it, NULL);
	wb_item_free(it);
	return rc;
}

int wb_run_control_effective(wb_run_control *out, wb_db *db, const char *run_id, const char *job_id)
{
	static const wb_run_control none = WB_RUN_CONTROL_INIT;
	wb_run_control own;
	int rc;

	*out = none;
	if (job_id && *job_id && (rc = wb_run_control_get(out, db, job_id)) < 0)
		return rc;
	if ((rc = wb_run_control_get(&own, db, run_id)) < 0)
		return rc;
	overlay(out, &own);
	return 0;
}

int wb__control_paused(wb_db *db, const char *run_id, const char *job_id)
{
	wb_run_control c;

	if (wb_run_control_effective(&c, db, run_id, job_id) < 0) {
		wb_error_clear();
		return 0;
	}
	return c.paused == 1;
}

/* ---------------------------------------------------- live processes */

/*
 * This process's live row: named after its parent, the worker, so that
 * the worker's next segment takes over the row of its last one instead of
 * counting twice until it expires.
 */
static int proc_part(char *buf, size_t size)
{
	char host[200];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	return snprintf(buf, size, "proc#%s#%ld", host, (long)getppid());
}

static int beat(wb_db *db, const char *run, const char *part)
{
	wb_item *it = row_key(run, part);
	int rc;

	if (!it)
		return WB_ENOMEM;
	rc = wb_item_set_int(it, "expires", (int64_t)time(NULL) + EXPIRE_S);
	if (rc == 0)
		rc = wb_put(db, WB_CONTROL_TABLE, it, NULL);
	wb_item_free(it);
	return rc;
}

/* Whether run's live row `part` exists and has not expired. */
static int is_live(wb_db *db, const char *run, const char *part)
{
	wb_item *key = row_key(run, part), *it = NULL;
	int live = 0;

	if (key && wb_get(&it, db, WB_CONTROL_TABLE, key) == 0)
		live = wb_item_get_int(it, "expires", 0) > (int64_t)time(NULL);
	wb_error_clear();
	wb_item_free(key);
	wb_item_free(it);
	return live;
}

struct live_count {
	int64_t now; /* Unix seconds */
	int n;       /* rows not expired */
};

static int count_live(const wb_item *it, void *arg)
{
	struct live_count *l = arg;

	if (wb_item_get_int(it, "expires", 0) > l->now)
		l->n++;
	return 0;
}

/* Live processes of run (at least 1: this one). */
static int live_processes(wb_db *db, const char *run)
{
	wb_value *pk = wb_value_string(run, strlen(run)), *pre = wb_value_string("proc#", 5);
	wb_query q = WB_QUERY_INIT;
	struct live_count l = {(int64_t)time(NULL), 0};

	if (pk && pre) {
		q.pk = pk;
		q.sk_op = WB_SK_BEGINS_WITH;
		q.sk_a = pre;
		if (wb_query_all(db, WB_CONTROL_TABLE, &q, count_live, &l) < 0)
			wb_error_clear();
	}
	wb_value_free(pk);
	wb_value_free(pre);
	return l.n > 0 ? l.n : 1;
}

/* ------------------------------------------------------------ poller */

struct wb__control {
	wb_db *db;                /* its own handle on the target (owned) */
	char run[128], job[128];  /* the run and its job ("" for none) */
	char part[240];           /* this process's live row ("" when not shared) */
	int shared;               /* one of several processes of the run */
	int joined;               /* its first beat added a row the others did not count yet */
	int64_t beat_ms;          /* last renewal of part */
	int paused;               /* as last applied */
	pthread_t thread;         /* the poller */
	int running;              /* the thread was started */
	wb__stopwait sw;          /* asks the thread to end; its sleep between polls */
	void (*log)(void *, const char *); /* where pause and resume are told */
	void *arg;                /* its argument */
};

static double limit_of(double v)
{
	return v > 0 ? v : 0;
}

static void tell(struct wb__control *c, const wb_run_control *rc)
{
	char line[400];

	if (!c->log || (rc->paused == 1) == c->paused)
		return;
	if (rc->paused == 1)
		snprintf(line, sizeof(line), "paused by %s (whimbrel resume %s goes on)", rc->by[0] ? rc->by : "?", c->run);
	else
		snprintf(line, sizeof(line), "resumed by %s", rc->by[0] ? rc->by : "?");
	c->log(c->arg, line);
}

static int any_limit(const wb_run_control *rc)
{
	return rc->max_wcu > 0 || rc->max_rcu > 0 || rc->max_rate > 0 || rc->capacity_pct > 0;
}

/* Read the control and apply it; keep the last state on a store error. */
static void poll_once(struct wb__control *c)
{
	wb_run_control rc;
	int64_t now = wb__mono_ms();

	if (wb_run_control_effective(&rc, c->db, c->run, c->job) < 0) {
		wb_error_clear();
		return;
	}
	if (c->shared && any_limit(&rc) && now - c->beat_ms >= BEAT_S * 1000) {
		if (!c->part[0]) {
			proc_part(c->part, sizeof(c->part));
			c->joined = !is_live(c->db, c->run, c->part);
		}
		if (beat(c->db, c->run, c->part) < 0)
			wb_error_clear();
		c->beat_ms = now;
	}
	wb__pace_set_share(c->shared && any_limit(&rc) ? live_processes(c->db, c->run) : 1);
	wb__pace_set_limit(WB_PACE_WRITE, limit_of(rc.max_wcu));
	wb__pace_set_limit(WB_PACE_READ, limit_of(rc.max_rcu));
	wb__pace_set_limit(WB_PACE_ITEMS, limit_of(rc.max_rate));
	wb__pace_set_capacity_pct(limit_of(rc.capacity_pct));
	tell(c, &rc);
	c->paused = rc.paused == 1;
	wb__pace_set_paused(c->paused);
}

static void *poller(void *arg)
{
	struct wb__control *c = arg;

	while (!wb__stopwait_sleep(&c->sw, POLL_MS))
		poll_once(c);
	return NULL;
}

int wb__control_start(struct wb__control **out, const char *url, const char *run_id, const char *job_id,
		      int shared, void (*log)(void *arg, const char *line), void *arg)
{
	struct wb__control *c;
	int rc;

	*out = NULL;
	if (!(c = wb__calloc(1, sizeof(*c))))
		return WB_ENOMEM;
	if ((rc = wb_open(&c->db, url)) < 0) {
		free(c);
		return rc;
	}
	snprintf(c->run, sizeof(c->run), "%s", run_id);
	snprintf(c->job, sizeof(c->job), "%s", job_id ? job_id : "");
	c->shared = shared;
	c->beat_ms = -BEAT_S * 1000;
	c->log = log;
	c->arg = arg;
	wb__stopwait_init(&c->sw);
	poll_once(c);
	if (c->joined) { /* a new worker: let the others count it before spending its share */
		usleep((POLL_MS + 300) * 1000);
		poll_once(c);
	}
	c->running = pthread_create(&c->thread, NULL, poller, c) == 0;
	*out = c;
	return 0;
}

void wb__control_stop(struct wb__control *c)
{
	if (!c)
		return;
	wb__stopwait_stop(&c->sw);
	if (c->running)
		pthread_join(c->thread, NULL);
	wb__stopwait_destroy(&c->sw);
	wb_close(c->db); /* the live row stays: the worker's next segment renews it, else it expires */
	free(c);
}
