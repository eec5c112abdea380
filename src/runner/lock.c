/*
 * lock.c - migration leases in whimbrel_locks; see lock.h.
 *
 * Every change is a conditional write, so two runners racing for one lease
 * cannot both win: the first put requires that no lease exists; a takeover
 * requires that the stale holder is still the one recorded; heartbeat and
 * release require that we are the holder.
 *
 * A write whose answer was lost (the connection dropped or a 5xx after the
 * store carried it out) is retried by the client, and the retry fails its
 * condition because of our own first write.  So when acquiring fails its
 * condition, the lease found is checked for our own holder string
 * (host:pid:run_id): if it is ours, the lease is ours.  Heartbeat retries
 * pass (the holder is still us); a release whose retry finds nothing is done.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ledger.h"
#include "lock.h"

int wb__lease_seconds(void)
{
	const char *s = getenv("WHIMBREL_LEASE_SECONDS");
	int v = s ? atoi(s) : 0;

	return v > 0 ? v : 60;
}

static void holder_of(char *buf, size_t size, const char *run_id)
{
	char host[256];

	wb__host_name(host, sizeof(host));
	snprintf(buf, size, "%s:%ld:%s", host, (long)getpid(), run_id);
}

static wb_item *key_item(const char *migration)
{
	return wb__key_item("migration", migration, NULL, NULL);
}

/* A lease item for us, acquired at `acquired`, expiring a lease from now. */
static wb_item *lease_item(const char *migration, const char *run_id, int64_t acquired)
{
	char holder[384], host[256];
	int64_t now = (int64_t)time(NULL);
	wb_item *it = key_item(migration);

	if (!it)
		return NULL;
	wb__host_name(host, sizeof(host));
	holder_of(holder, sizeof(holder), run_id);
	if (wb_item_set_string(it, "holder", holder) || wb_item_set_string(it, "host", host) ||
	    wb_item_set_int(it, "pid", (int64_t)getpid()) || wb_item_set_string(it, "run_id", run_id) ||
	    wb_item_set_int(it, "acquired", acquired) ||
	    wb_item_set_int(it, "expires", now + wb__lease_seconds()) ||
	    wb_item_set_int(it, "heartbeat", now)) {
		wb_item_free(it);
		return NULL;
	}
	return it;
}

#define LEASE(m, kind) WB__FIELD(wb_lease, m, kind)

/* The attributes of a lease's item beside its key. */
static const struct wb__field lease_fields[] = {
	LEASE(holder, WB__STR),  LEASE(host, WB__STR),    LEASE(run_id, WB__STR),
	LEASE(pid, WB__NUM),     LEASE(acquired, WB__NUM), LEASE(expires, WB__NUM),
	LEASE(heartbeat, WB__NUM),
};

int wb_lock_get(wb_lease *out, wb_db *db, const char *migration)
{
	wb_item *it;
	int rc = wb__get_key(&it, db, WB_LOCKS_TABLE, "migration", migration, NULL, NULL);

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->migration, sizeof(out->migration), "%s", migration);
	wb__fields_read(out, lease_fields, WB_ARRAY_SIZE(lease_fields), it);
	wb_item_free(it);
	return 0;
}

/* A lease is stale when it expired, or its holder is a dead process here. */
int wb_lease_stale(const wb_lease *l)
{
	char host[256];

	if (l->expires < (int64_t)time(NULL))
		return 1;
	wb__host_name(host, sizeof(host));
	if (strcmp(host, l->host) == 0 && l->pid > 0 &&
	    kill((pid_t)l->pid, 0) != 0 && errno == ESRCH)
		return 1;
	return 0;
}

static int busy(wb_db *db, const wb_lease *l)
{
	char since[32];
	time_t t = (time_t)l->acquired;
	struct tm tm;
	int64_t left = l->expires - (int64_t)time(NULL);

	gmtime_r(&t, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return wb__error(db, WB_EBUSY, "migration %s is being run by %s since %s (lease expires in %llds)",
			 l->migration, l->holder, since, (long long)(left > 0 ? left : 0));
}

/* Take over a stale lease, conditional on its holder being unchanged. */
static int take_over(wb_db *db, const char *migration, const char *run_id, const wb_lease *old)
{
	wb_item *it = lease_item(migration, run_id, (int64_t)time(NULL));
	wb_value *v = wb_value_string(old->holder, strlen(old->holder));
	wb_cond cond = {WB_COND_ATTR_EQUALS, "holder", NULL, NULL};
	int rc;

	if (!it || !v) {
		rc = wb__oom(db);
		goto out;
	}
	cond.value = v;
	rc = wb_put(db, WB_LOCKS_TABLE, it, &cond);
out:
	wb_item_free(it);
	wb_value_free(v);
	return rc;
}

/* Whether lease l is held by run_id of this process (our own write, its answer lost). */
static int is_ours(const wb_lease *l, const char *run_id)
{
	char holder[384];

	holder_of(holder, sizeof(holder), run_id);
	return strcmp(l->holder, holder) == 0;
}

int wb__lock_acquire(wb_db *db, const char *migration, const char *run_id, wb_lease *taken_over)
{
	wb_cond not_exists = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	wb_lease old, now;
	int rc;

	if (taken_over)
		memset(taken_over, 0, sizeof(*taken_over));
	for (int attempt = 0; attempt < 3; attempt++) {
		rc = wb__write_free(db, WB_WRITE_PUT, WB_LOCKS_TABLE,
				    lease_item(migration, run_id, (int64_t)time(NULL)), &not_exists);
		if (rc != WB_ECONDITION)
			return rc;
		if ((rc = wb_lock_get(&old, db, migration)) == WB_ENOTFOUND)
			continue; /* released meanwhile: try again */
		if (rc < 0)
			return rc;
		if (is_ours(&old, run_id)) { /* our put was carried out, its answer lost */
			wb_error_clear();
			return 0;
		}
		if (!wb_lease_stale(&old))
			return busy(db, &old);
		rc = take_over(db, migration, run_id, &old);
		if (rc == WB_ECONDITION && wb_lock_get(&now, db, migration) == 0 && is_ours(&now, run_id))
			rc = 0; /* our takeover was carried out, its answer lost */
		if (rc == 0) {
			if (taken_over)
				*taken_over = old;
			wb_error_clear();
			return 0;
		}
		if (rc != WB_ECONDITION)
			return rc;
	}
	if (wb_lock_get(&old, db, migration) == 0)
		return busy(db, &old);
	return wb__error(db, WB_EBUSY, "migration %s: could not take its lease", migration);
}

static wb_cond *holder_cond(wb_cond *cond, wb_value **v, const char *run_id)
{
	char holder[384];

	holder_of(holder, sizeof(holder), run_id);
	if (!(*v = wb_value_string(holder, strlen(holder))))
		return NULL;
	cond->kind = WB_COND_ATTR_EQUALS;
	cond->attr = "holder";
	cond->value = *v;
	cond->expect = NULL;
	return cond;
}

int wb__lock_heartbeat(wb_db *db, const char *migration, const char *run_id)
{
	wb_lease cur;
	wb_item *it = NULL;
	wb_value *v = NULL;
	wb_cond cond;
	int rc;

	if ((rc = wb_lock_get(&cur, db, migration)) < 0)
		return rc == WB_ENOTFOUND ? wb__error(db, WB_ECONDITION, "lease of %s is gone", migration) : rc;
	if (!(it = lease_item(migration, run_id, cur.acquired)) || !holder_cond(&cond, &v, run_id)) {
		rc = wb__oom(db);
		goto out;
	}
	rc = wb_put(db, WB_LOCKS_TABLE, it, &cond);
	if (rc == WB_ECONDITION)
		rc = wb__error(db, WB_ECONDITION, "lease of %s is now held by %s", migration, cur.holder);
out:
	wb_item_free(it);
	wb_value_free(v);
	return rc;
}

int wb__lock_release(wb_db *db, const char *migration, const char *run_id)
{
	wb_item *key = key_item(migration);
	wb_value *v = NULL;
	wb_cond cond;
	int rc;

	if (!key || !holder_cond(&cond, &v, run_id)) {
		rc = wb__oom(db);
		goto out;
	}
	rc = wb_delete(db, WB_LOCKS_TABLE, key, &cond);
	if (rc == WB_ECONDITION || rc == WB_ENOTFOUND) /* not ours any more */
		rc = 0;
out:
	wb_item_free(key);
	wb_value_free(v);
	return rc;
}

int wb_lock_break(wb_db *db, const char *migration)
{
	return wb__write_free(db, WB_WRITE_DELETE, WB_LOCKS_TABLE, key_item(migration), NULL);
}
