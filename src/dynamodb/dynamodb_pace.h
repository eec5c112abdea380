/*
 * dynamodb_pace.h - capacity units of DynamoDB requests (internal;
 * dynamodb_pace.c): every data request asks for its consumed capacity, is
 * paced by the process's pacer (util/pace.h) before it goes out, and
 * charges what the answer reports.  dynamodb_client.c calls these around
 * each attempt of a call.
 *
 * Only requests on the migration's tables are paced and counted; those on
 * whimbrel_* tables (ledger, leases, checkpoints, journal) ask for their
 * consumed capacity too but are neither held nor counted, so a paused or
 * slowed run keeps its lease and its checkpoints.
 */
#ifndef WB_DYNAMODB_PACE_H
#define WB_DYNAMODB_PACE_H

#include <stddef.h>
#include "whimbrel.h"

struct wb__ddb_client;

/** One call's pacing. */
struct wb__ddb_paced {
	int kind;         /**< enum wb__pace_kind, or -1: a control-plane call (not paced) */
	int slot;         /**< request type, for the pacer's running means */
	int paced;        /**< a data table's: paced and counted */
	double est;       /**< units acquired per attempt */
	char *body;       /**< the body with ReturnConsumedCapacity (owned), or NULL: the caller's */
	size_t len;       /**< its length */
};

/**
 * Classify a call and prepare its body (p->body, when it had to add
 * ReturnConsumedCapacity).  With --capacity, the first data call reads the
 * table's provisioned capacity (DescribeTable on c); an on-demand table
 * fails it with WB_EINVALID.  Free with wb__ddb_pace_end.
 */
int wb__ddb_pace_begin(struct wb__ddb_paced *p, struct wb__ddb_client *c, wb_db *db, const char *op,
		       const char *table, const char *body, size_t len);
/** Before each attempt: wait for the call's units. */
void wb__ddb_pace_wait(const struct wb__ddb_paced *p);
/** After an answer: charge the units it reports. */
void wb__ddb_pace_answer(const struct wb__ddb_paced *p, const char *resp, size_t len);
/** After a throttling answer: slow down. */
void wb__ddb_pace_throttled(const struct wb__ddb_paced *p);
void wb__ddb_pace_end(struct wb__ddb_paced *p);
/** A batch write to `table` came back with unprocessed entries: the throughput was exceeded. */
void wb__ddb_pace_unprocessed(const char *table);

/** The sum of the "CapacityUnits" numbers of an answer (tests). */
double wb__ddb_consumed_units(const char *resp, size_t len);

#endif /* WB_DYNAMODB_PACE_H */
