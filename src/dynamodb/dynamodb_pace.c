/*
 * dynamodb_pace.c - capacity units of DynamoDB requests (see
 * dynamodb_pace.h).
 *
 * A data request's body gets "ReturnConsumedCapacity":"TOTAL" before its
 * closing brace (unless it asks already); the answer's ConsumedCapacity,
 * one object or one per table, carries "CapacityUnits" numbers, which are
 * summed.  Estimates before the answer: a write costs one unit per KB of
 * body, at least one per batch entry; a read costs the running mean of
 * what its request type cost so far (one at first).
 *
 * --capacity P%: the provisioned read and write units of the table and of
 * its global secondary indexes, summed, times P / 100, become the pacer's
 * capacity limits; read once per process and percentage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "dynamodb_client.h"
#include "dynamodb_pace.h"
#include "pace.h"

#define RCC "\"ReturnConsumedCapacity\""

/* A data operation: its kind and slot. */
struct op_class {
	const char *op;
	int kind;
	int slot;
};

static const struct op_class ops[] = {
	{"GetItem", WB_PACE_READ, 0},        {"BatchGetItem", WB_PACE_READ, 1},
	{"TransactGetItems", WB_PACE_READ, 1}, {"Query", WB_PACE_READ, 2},
	{"Scan", WB_PACE_READ, 3},           {"PutItem", WB_PACE_WRITE, 4},
	{"UpdateItem", WB_PACE_WRITE, 5},    {"DeleteItem", WB_PACE_WRITE, 6},
	{"BatchWriteItem", WB_PACE_WRITE, 7}, {"TransactWriteItems", WB_PACE_WRITE, 7},
};

static const struct op_class *classify(const char *op)
{
	for (size_t i = 0; i < WB_ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].op, op) == 0)
			return &ops[i];
	return NULL;
}

static size_t count_of(const char *body, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	const char *p = body, *end = body + len, *hit;

	while ((hit = memmem(p, (size_t)(end - p), needle, nl))) {
		n++;
		p = hit + nl;
	}
	return n;
}

static double estimate(const struct op_class *oc, const char *body, size_t len)
{
	double kb, entries;

	if (oc->kind == WB_PACE_READ)
		return wb__pace_guess(oc->slot, 1);
	kb = (double)((len + 1023) / 1024);
	entries = oc->slot == 7 ? (double)(count_of(body, len, "\"PutRequest\"") +
					   count_of(body, len, "\"DeleteRequest\"") + count_of(body, len, "\"Update\"") +
					   count_of(body, len, "\"Put\"") + count_of(body, len, "\"Delete\""))
				: 1;
	return kb > entries ? kb : entries;
}

/* body with RCC added before its last '}' into p->body; 0, or WB_ENOMEM. */
static int add_rcc(struct wb__ddb_paced *p, const char *body, size_t len)
{
	size_t end = len, at;
	static const char add[] = RCC ":\"TOTAL\"";
	int empty;

	if (memmem(body, len, RCC, sizeof(RCC) - 1))
		return 0;
	while (end > 0 && body[end - 1] != '}')
		end--;
	if (end == 0)
		return 0; /* not an object: send as is */
	at = end - 1;
	empty = 1;
	for (size_t i = 0; i < at && empty; i++)
		empty = body[i] == '{' || body[i] == ' ' || body[i] == '\n' || body[i] == '\t' || body[i] == '\r';
	if (!(p->body = malloc(len + sizeof(add) + 2)))
		return WB_ENOMEM;
	memcpy(p->body, body, at);
	p->len = at;
	if (!empty)
		p->body[p->len++] = ',';
	memcpy(p->body + p->len, add, sizeof(add) - 1);
	p->len += sizeof(add) - 1;
	memcpy(p->body + p->len, body + at, len - at);
	p->len += len - at;
	p->body[p->len] = '\0';
	return 0;
}

double wb__ddb_consumed_units(const char *resp, size_t len)
{
	static const char key[] = "\"CapacityUnits\":";
	const char *p = resp, *end = resp + len, *hit;
	double sum = 0;

	while ((hit = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		char num[40];
		size_t n = 0;
		p = hit + sizeof(key) - 1;
		while (p < end && *p == ' ')
			p++;
		while (p < end && n < sizeof(num) - 1 && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
							 *p == 'E' || *p == '-' || *p == '+'))
			num[n++] = *p++;
		num[n] = '\0';
		if (n > 0)
			sum += strtod(num, NULL);
	}
	return sum;
}

/* ------------------------------------------------------------ --capacity */

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static double cap_done_pct; /* the percentage the limits were set for */

static double units_of(json_t *pt, const char *name)
{
	return json_number_value(json_object_get(pt, name));
}

/* Provisioned read and write units of a DescribeTable answer's Table, GSIs included. */
static void provisioned(json_t *t, double *r, double *w)
{
	json_t *pt = json_object_get(t, "ProvisionedThroughput"), *g;
	size_t i;

	*r = units_of(pt, "ReadCapacityUnits");
	*w = units_of(pt, "WriteCapacityUnits");
	json_array_foreach(json_object_get(t, "GlobalSecondaryIndexes"), i, g) {
		json_t *gp = json_object_get(g, "ProvisionedThroughput");
		*r += units_of(gp, "ReadCapacityUnits");
		*w += units_of(gp, "WriteCapacityUnits");
	}
}

static int on_demand(json_t *t)
{
	const char *mode = json_string_value(json_object_get(json_object_get(t, "BillingModeSummary"), "BillingMode"));

	return mode && strcmp(mode, "PAY_PER_REQUEST") == 0;
}

static int read_capacity(struct wb__ddb_client *c, wb_db *db, const char *table, double pct)
{
	json_t *req = json_pack("{s:s}", "TableName", table), *resp = NULL, *t;
	double r = 0, w = 0;
	int rc;

	if (!req)
		return wb__oom(db);
	rc = wb__ddb_call(c, db, "DescribeTable", table, req, &resp);
	json_decref(req);
	if (rc < 0)
		return rc;
	t = json_object_get(resp, "Table");
	provisioned(t, &r, &w);
	if (on_demand(t) || (r <= 0 && w <= 0)) {
		json_decref(resp);
		return wb__error(db, WB_EINVALID, "--capacity %g%%: table %s is on-demand (PAY_PER_REQUEST) and has "
				 "no provisioned capacity; limit it with --max-wcu N (and --max-rcu N)", pct, table);
	}
	json_decref(resp);
	wb__pace_set_capacity_limit(WB_PACE_READ, r * pct / 100.0);
	wb__pace_set_capacity_limit(WB_PACE_WRITE, w * pct / 100.0);
	/* on stderr: the run's log keeps it */
	fprintf(stderr, "whimbrel: --capacity %g%%: table %s has %g RCU and %g WCU provisioned (global secondary "
		"indexes included): at most %g RCU/s and %g WCU/s\n", pct, table, r, w, r * pct / 100.0,
		w * pct / 100.0);
	return 0;
}

static int capacity_check(struct wb__ddb_client *c, wb_db *db, const char *table)
{
	double pct = wb__pace_capacity_pct();
	int rc = 0;

	pthread_mutex_lock(&cap_lock);
	if (pct != cap_done_pct) {
		if (pct <= 0) {
			wb__pace_set_capacity_limit(WB_PACE_READ, 0);
			wb__pace_set_capacity_limit(WB_PACE_WRITE, 0);
		} else {
			rc = read_capacity(c, db, table, pct);
		}
		if (rc == 0)
			cap_done_pct = pct;
	}
	pthread_mutex_unlock(&cap_lock);
	return rc;
}

/* ------------------------------------------------------------- the calls */

int wb__ddb_pace_begin(struct wb__ddb_paced *p, struct wb__ddb_client *c, wb_db *db, const char *op,
		       const char *table, const char *body, size_t len)
{
	const struct op_class *oc = classify(op);

	memset(p, 0, sizeof(*p));
	p->kind = -1;
	if (!oc)
		return 0;
	p->kind = oc->kind;
	p->slot = oc->slot;
	p->paced = table && strncmp(table, "whimbrel_", 9) != 0;
	if (add_rcc(p, body, len) < 0)
		return wb__oom(db);
	if (!p->paced)
		return 0;
	p->est = estimate(oc, body, len);
	return capacity_check(c, db, table);
}

void wb__ddb_pace_wait(const struct wb__ddb_paced *p)
{
	if (p->paced)
		wb__pace_acquire((enum wb__pace_kind)p->kind, p->est);
}

void wb__ddb_pace_answer(const struct wb__ddb_paced *p, const char *resp, size_t len)
{
	if (p->paced)
		wb__pace_consumed((enum wb__pace_kind)p->kind, p->slot, p->est, wb__ddb_consumed_units(resp, len));
}

void wb__ddb_pace_throttled(const struct wb__ddb_paced *p)
{
	if (p->paced)
		wb__pace_throttled((enum wb__pace_kind)p->kind);
}

void wb__ddb_pace_unprocessed(const char *table)
{
	if (table && strncmp(table, "whimbrel_", 9) != 0)
		wb__pace_throttled(WB_PACE_WRITE);
}

void wb__ddb_pace_end(struct wb__ddb_paced *p)
{
	free(p->body);
	p->body = NULL;
}
