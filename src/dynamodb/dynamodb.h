/*
 * dynamodb.h - internals of the DynamoDB backend that tests and the runner use.
 *
 * URL parsing (so tests can check every form without a server), the retry
 * policy, and the counters of requests and retries by kind: per handle, and
 * for the whole process (pass db = NULL), so that a migration process can
 * report what its handles met.
 */
#ifndef WB_DYNAMODB_H
#define WB_DYNAMODB_H

#include <stdint.h>
#include "whimbrel.h"

/** Where a dynamodb URL points. */
struct wb__ddb_endpoint {
	char url[600];    /**< request URL, e.g. "http://127.0.0.1:8000/" */
	char host[520];   /**< Host header, e.g. "127.0.0.1:8000" */
	char region[64];  /**< signing region */
	int local;        /**< dynamodb://HOST:PORT (plain HTTP): dummy credentials allowed */
};

/**
 * Parse "dynamodb://HOST[:PORT]" (HTTP, port 8000 by default),
 * "dynamodbs://HOST[:PORT]" (HTTPS) or "dynamodb:REGION" (AWS's regional
 * endpoint); "?region=R" may follow the first two.  The region comes from
 * the URL (dynamodb:REGION, ?region=, a dynamodb.REGION.amazonaws.com host),
 * else AWS_REGION, else AWS_DEFAULT_REGION, else "us-east-1" for local
 * engines.  Returns 0 or WB_EINVALID (message never repeats userinfo).
 */
int wb__dynamodb_parse_url(struct wb__ddb_endpoint *out, const char *url);

/** Counters (monotonic). */
struct wb__dynamodb_stats {
	uint64_t requests;          /**< HTTP requests sent, every attempt */
	uint64_t retries_throttle;  /**< retries after throttling errors */
	uint64_t retries_5xx;       /**< retries after 5xx responses */
	uint64_t retries_network;   /**< retries after dropped connections / transport errors */
	uint64_t retries_unprocessed; /**< BatchWriteItem re-sends of unprocessed entries */
	uint64_t unprocessed_items; /**< entries that came back unprocessed */
	uint64_t conditions_failed; /**< ConditionalCheckFailedException answers */
	uint64_t gave_up;           /**< calls that failed after exhausting their retries */
	uint64_t backoff_ms;        /**< total time slept in backoff */
	uint64_t conditions_narrowed; /**< item conditions cut to fit DynamoDB's 4 KB expression limit */
};

/**
 * Copy the counters of `db` (a dynamodb handle) into `out`, or, with
 * db == NULL, the totals of every dynamodb handle of this process.
 * Returns WB_EINVALID when db is not a dynamodb handle.
 */
int wb__dynamodb_stats(wb_db *db, struct wb__dynamodb_stats *out);

/**
 * Tests: `fn` sees the body of every request any dynamodb handle of this
 * process sends, every attempt, before it is sent (NULL: none), from
 * whichever thread sends it: the lanes call it several at once.  Set it
 * while no request is in flight.
 */
typedef void (*wb__dynamodb_request_hook)(const char *op, const char *body, size_t len, void *arg);
void wb__dynamodb_set_request_hook(wb__dynamodb_request_hook fn, void *arg);

/** Retry policy: exponential backoff with full jitter. */
struct wb__dynamodb_retry {
	unsigned base_ms;      /**< first backoff ceiling (25) */
	unsigned cap_ms;       /**< largest backoff ceiling (2000) */
	unsigned max_attempts; /**< attempts per call, first included (10) */
	unsigned budget_ms;    /**< total time a call may spend retrying (60000) */
};

/** Change the retry policy of a dynamodb handle (tests). */
int wb__dynamodb_set_retry(wb_db *db, const struct wb__dynamodb_retry *r);

/* ---------------------------------- point-in-time recovery (dynamodb_pitr.c) */

/** 1 when `db` is a handle of the dynamodb backend. */
int wb__dynamodb_is(const wb_db *db);

/** A table's point-in-time recovery, as DescribeContinuousBackups tells it. */
struct wb__ddb_pitr {
	int enabled;          /**< PointInTimeRecoveryStatus is ENABLED */
	char status[32];      /**< ENABLED, DISABLED, ... */
	int64_t earliest_ms;  /**< EarliestRestorableDateTime (Unix ms), 0 when absent */
	int64_t latest_ms;    /**< LatestRestorableDateTime (Unix ms), 0 when absent */
};

/** DescribeContinuousBackups of `table` into *out. */
int wb__dynamodb_pitr_status(wb_db *db, const char *table, struct wb__ddb_pitr *out);
/** UpdateContinuousBackups: turn point-in-time recovery on. */
int wb__dynamodb_pitr_enable(wb_db *db, const char *table);
/**
 * RestoreTableToPointInTime of `src` into the new table `dst` at `at_ms`
 * (Unix ms; < 0: UseLatestRestorableTime).  *point_ms gets the time the
 * answer's RestoreSummary names.  Returns once DynamoDB took the request
 * (the table is then CREATING: wb__dynamodb_table_status).
 */
int wb__dynamodb_restore(wb_db *db, const char *src, const char *dst, int64_t at_ms, int64_t *point_ms);
/** DescribeTable's TableStatus of `table` (CREATING, ACTIVE...) into buf. */
int wb__dynamodb_table_status(wb_db *db, const char *table, char *buf, size_t size);

#endif /* WB_DYNAMODB_H */
