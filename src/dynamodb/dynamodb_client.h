/*
 * dynamodb_client.h - one DynamoDB API call, signed, retried and mapped to
 * whimbrel's error codes (internal; used by store_dynamodb.c).
 *
 * A client owns the endpoint, the credentials, a pool of kept-alive HTTP
 * connections and the counters.  Calls on one client may come from many
 * threads at once (the lanes of dynamodb_pool.h), each on a connection of
 * its own; every request goes through send_request() in
 * dynamodb_client.c, the one place a pacer would hook.
 */
#ifndef WB_DYNAMODB_CLIENT_H
#define WB_DYNAMODB_CLIENT_H

#include <jansson.h>
#include "whimbrel.h"
#include "dynamodb.h"

struct wb__ddb_client;

/** A client for `url` (`*out`, freed with wb__ddb_client_free). */
int wb__ddb_client_new(struct wb__ddb_client **out, const char *url);
void wb__ddb_client_free(struct wb__ddb_client *c);

/**
 * Call operation `op` ("PutItem") with request `req` (borrowed).  On
 * success `*resp` is the parsed answer (caller json_decref's it).  Throttling,
 * 5xx and transport failures are retried per the policy; on failure returns
 * WB_ECONDITION, WB_ENOTFOUND, WB_EEXISTS (WB_EBUSY for ResourceInUse outside
 * CreateTable), WB_EINVALID, WB_ETHROTTLED, WB_EIO or WB_ERROR with the
 * message "DynamoDB OP on table T: TYPE: message" recorded on db.
 */
int wb__ddb_call(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
		 json_t *req, json_t **resp);

/**
 * The same with the request and the answer as text: `body` is sent as is;
 * on success `*resp` is the answer (malloc'ed, NUL-terminated, caller
 * frees) and `*resp_len` its length.
 */
int wb__ddb_call_text(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
		      const char *body, size_t len, char **resp, size_t *resp_len);

/**
 * Back off before re-sending unprocessed batch entries: `attempt` (1 for
 * the first re-send) and the call's start time (wb__ddb_now_ms).  Returns
 * 0 after sleeping, or WB_ETHROTTLED when the attempts or time budget are
 * spent (error recorded on db, naming op and table).
 */
int wb__ddb_backoff_unprocessed(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
				unsigned attempt, uint64_t start_ms, size_t nunprocessed);

/** Monotonic milliseconds. */
uint64_t wb__ddb_now_ms(void);

void wb__ddb_client_stats(struct wb__ddb_client *c, struct wb__dynamodb_stats *out);
void wb__ddb_client_set_retry(struct wb__ddb_client *c, const struct wb__dynamodb_retry *r);
/** Count an item condition cut to fit the expression limit (dynamodb_unchanged.c). */
void wb__ddb_client_count_narrowed(struct wb__ddb_client *c);

#endif /* WB_DYNAMODB_CLIENT_H */
