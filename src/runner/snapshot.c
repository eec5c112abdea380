/*
 * snapshot.c - the snapshots a target keeps for `whimbrel restore`: one
 * copy of the whole store taken at the start of each prod run (on a
 * backend that takes them: SQLite; DynamoDB keeps its own history, see
 * restore.c), their list, and their retention (`snapshot_days =` in the
 * target's section of whimbrel.conf, default WB_SNAPSHOT_DAYS; `whimbrel
 * prune --snapshots`).
 *
 * A snapshot is the file "MS-RUN.db" of the store's snapshot directory
 * (backend.h's snapshot_dir: "DB.snapshots" beside an SQLite file DB): MS
 * the Unix time in milliseconds it was taken at, RUN the prod run that
 * took it.  The file is written whole or not at all (the backend renames
 * it into place once complete).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"
#include "backend.h"
#include "config.h"
#include "snapshot.h"

int wb_target_snapshot_days(int *out, const wb_target_options *o, const char *name)
{
	return wb__target_days(out, o, name, "snapshot_days", WB_SNAPSHOT_DAYS);
}

int wb__snapshot_take(wb_db *db, const char *run_id, int64_t *ms, char *out, size_t size)
{
	char dir[4096], path[4400];
	struct timeval tv;
	int rc;

	if ((rc = wb__db_snapshot_dir(db, dir, sizeof(dir))) < 0)
		return rc;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return wb__error(NULL, WB_EIO, "cannot create the snapshot directory %s: %s", dir, strerror(errno));
	gettimeofday(&tv, NULL);
	*ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	snprintf(path, sizeof(path), "%s/%013" PRId64 "-%s.db", dir, *ms, run_id);
	if ((rc = wb__db_snapshot(db, path)) < 0)
		return wb__error(NULL, rc, "%s", wb_errmsg(db));
	if (out)
		snprintf(out, size, "%s", path);
	return 0;
}

/* Parse a snapshot's file name "MS-RUN.db" into s; 0 when it is not one. */
static int parse_name(wb_snapshot *s, const char *dir, const char *name)
{
	size_t n = strlen(name);
	char *end;
	long long ms = strtoll(name, &end, 10);

	if (end == name || *end != '-' || n < 4 || strcmp(name + n - 3, ".db") != 0 ||
	    (size_t)(n - 3 - (size_t)(end + 1 - name)) >= sizeof(s->run_id))
		return 0;
	memset(s, 0, sizeof(*s));
	s->taken_ms = ms;
	snprintf(s->run_id, sizeof(s->run_id), "%.*s", (int)(n - 3 - (size_t)(end + 1 - name)), end + 1);
	snprintf(s->path, sizeof(s->path), "%s/%s", dir, name);
	return 1;
}

static int by_time(const void *a, const void *b)
{
	const wb_snapshot *x = a, *y = b;

	return (x->taken_ms > y->taken_ms) - (x->taken_ms < y->taken_ms);
}

int wb_snapshot_list(wb_snapshot **out, size_t *count, wb_db *db)
{
	char dir[4096];
	struct dirent *e;
	struct stat st;
	wb_snapshot *v = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	*out = NULL;
	*count = 0;
	if (wb__db_snapshot_dir(db, dir, sizeof(dir)) < 0)
		return wb__error(NULL, WB_EINVALID, "%s", wb_errmsg(db));
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : wb__error(NULL, WB_EIO, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (n == cap) {
			wb_snapshot *p = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*p));
			if (!p) {
				closedir(d);
				free(v);
				return wb__oom(NULL);
			}
			v = p;
		}
		if (parse_name(&v[n], dir, e->d_name) && stat(v[n].path, &st) == 0)
			v[n++].bytes = (int64_t)st.st_size;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_time);
	*out = v;
	*count = n;
	return 0;
}

void wb_snapshots_free(wb_snapshot *s)
{
	free(s);
}

/* Remove the -wal and -shm files SQLite may have left beside snapshot `path`. */
static void unlink_sidecars(const char *path)
{
	char side[4500];

	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

int wb_snapshot_prune(wb_snapshot_pruned *out, wb_db *db, int64_t before, int dry_run)
{
	wb_snapshot *v = NULL;
	size_t n = 0;
	int rc = wb_snapshot_list(&v, &n, db);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (v[i].taken_ms >= before * 1000)
			continue;
		if (!dry_run && unlink(v[i].path) != 0 && errno != ENOENT)
			rc = wb__error(NULL, WB_EIO, "cannot delete snapshot %s: %s", v[i].path, strerror(errno));
		if (!dry_run && rc == 0) /* what opening it for a restore left beside it */
			unlink_sidecars(v[i].path);
		out->snapshots++;
		out->bytes += v[i].bytes;
	}
	wb_snapshots_free(v);
	return rc;
}
