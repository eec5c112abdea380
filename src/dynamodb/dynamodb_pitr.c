/*
 * dynamodb_pitr.c - point-in-time recovery of a DynamoDB table: its state
 * (DescribeContinuousBackups), turning it on (UpdateContinuousBackups),
 * restoring a time into a new table (RestoreTableToPointInTime) and the
 * new table's status while it is created (DescribeTable).  The runner's
 * `whimbrel restore` and `whimbrel pitr` (src/runner/restore.c) use these.
 *
 * DynamoDB's JSON protocol carries times as seconds since the epoch (a
 * number with a fraction); they are milliseconds here.  The error answers
 * these operations add (TableNotFoundException,
 * TableAlreadyExistsException, PointInTimeRecoveryUnavailableException,
 * InvalidRestoreTimeException) come back as WB_ENOTFOUND, WB_EEXISTS and
 * WB_EINVALID with the client's message ("DynamoDB OP on table T: TYPE:
 * message").  dynalite has none of these operations: tests run them
 * against a scripted server (tests/cli/pitr_server.mjs).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "backend.h"
#include "dynamodb.h"
#include "dynamodb_store.h"

int wb__dynamodb_is(const wb_db *db)
{
	return db && db->ops == &wb_backend_dynamodb;
}

/* The code an error answer of these operations deserves, from its type in the message. */
static int recode(wb_db *db, int rc)
{
	static const struct { const char *type; int code; } map[] = {
		{"TableNotFoundException", WB_ENOTFOUND},
		{"TableAlreadyExistsException", WB_EEXISTS},
		{"PointInTimeRecoveryUnavailableException", WB_EINVALID},
		{"ContinuousBackupsUnavailableException", WB_EINVALID},
		{"InvalidRestoreTimeException", WB_EINVALID},
	};
	const char *msg = wb_errmsg(db);

	for (size_t i = 0; rc < 0 && msg && i < WB_ARRAY_SIZE(map); i++)
		if (strstr(msg, map[i].type))
			return map[i].code;
	return rc;
}

/* One call with a request made by json_pack; *resp the answer (caller's) or NULL. */
static int call(wb_db *db, const char *op, const char *table, json_t *req, json_t **resp)
{
	json_t *r = NULL;
	int rc;

	if (!req)
		return wb__oom(db);
	rc = wb__ddb_call(wb__ddb_client_of(db), db, op, table, req, &r);
	json_decref(req);
	if (resp)
		*resp = r;
	else
		json_decref(r);
	return recode(db, rc);
}

static int64_t time_ms(json_t *v)
{
	return json_is_number(v) ? (int64_t)llround(json_number_value(v) * 1000.0) : 0;
}

int wb__dynamodb_pitr_status(wb_db *db, const char *table, struct wb__ddb_pitr *out)
{
	json_t *resp = NULL, *d;
	const char *st;
	int rc = call(db, "DescribeContinuousBackups", table, json_pack("{s:s}", "TableName", table), &resp);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	d = json_object_get(json_object_get(resp, "ContinuousBackupsDescription"),
			    "PointInTimeRecoveryDescription");
	st = json_string_value(json_object_get(d, "PointInTimeRecoveryStatus"));
	snprintf(out->status, sizeof(out->status), "%s", st ? st : "DISABLED");
	out->enabled = strcmp(out->status, "ENABLED") == 0;
	out->earliest_ms = time_ms(json_object_get(d, "EarliestRestorableDateTime"));
	out->latest_ms = time_ms(json_object_get(d, "LatestRestorableDateTime"));
	json_decref(resp);
	return 0;
}

int wb__dynamodb_pitr_enable(wb_db *db, const char *table)
{
	return call(db, "UpdateContinuousBackups", table,
		    json_pack("{s:s, s:{s:b}}", "TableName", table, "PointInTimeRecoverySpecification",
			      "PointInTimeRecoveryEnabled", 1), NULL);
}

int wb__dynamodb_restore(wb_db *db, const char *src, const char *dst, int64_t at_ms, int64_t *point_ms)
{
	json_t *req, *resp = NULL, *sum;
	int rc;

	if (at_ms < 0)
		req = json_pack("{s:s, s:s, s:b}", "SourceTableName", src, "TargetTableName", dst,
				"UseLatestRestorableTime", 1);
	else
		req = json_pack("{s:s, s:s, s:f}", "SourceTableName", src, "TargetTableName", dst,
				"RestoreDateTime", (double)at_ms / 1000.0);
	if ((rc = call(db, "RestoreTableToPointInTime", src, req, &resp)) < 0)
		return rc;
	sum = json_object_get(json_object_get(resp, "TableDescription"), "RestoreSummary");
	*point_ms = time_ms(json_object_get(sum, "RestoreDateTime"));
	if (!*point_ms)
		*point_ms = at_ms;
	json_decref(resp);
	return 0;
}

int wb__dynamodb_table_status(wb_db *db, const char *table, char *buf, size_t size)
{
	json_t *resp = NULL;
	const char *st;
	int rc = call(db, "DescribeTable", table, json_pack("{s:s}", "TableName", table), &resp);

	if (rc < 0)
		return rc;
	st = json_string_value(json_object_get(json_object_get(resp, "Table"), "TableStatus"));
	snprintf(buf, size, "%s", st ? st : "UNKNOWN");
	json_decref(resp);
	return 0;
}
