/*
 * store_sqlite.c - the sqlite backend (placeholder until it lands: every
 * operation reports that the backend is not built yet).
 */
#include "common.h"
#include "backend.h"

static int not_built(wb_db *db, const char *url)
{
	WB_UNUSED(db);
	return wb__error(NULL, WB_ERROR, "the sqlite backend is not built yet (%s)", url);
}

static void nothing(wb_db *db) { WB_UNUSED(db); }

const struct wb_backend_ops wb_backend_sqlite = {
	.version = WB_BACKEND_OPS_VERSION,
	.name = "sqlite",
	.open = not_built,
	.close = nothing,
};
