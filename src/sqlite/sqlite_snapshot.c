/*
 * sqlite_snapshot.c - snapshots of an embedded target: a consistent copy
 * of the whole database file, taken at the start of each prod run so that
 * `whimbrel restore` can go back to a point in time (src/runner/restore.c).
 *
 * The copy goes through SQLite's online backup API in one step (pages
 * copied as they are, under one read transaction: in WAL mode writers go
 * on meanwhile), into "PATH.tmp" which is renamed to PATH once complete, so
 * that a snapshot file that exists is whole.  The copy is switched to
 * rollback-journal mode, so that it is one self-contained file.  Snapshots
 * live in the directory "DB.snapshots" beside the database file DB.
 * bench/RESULTS.md has what a snapshot costs per GB (the backup API
 * against VACUUM INTO).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_int.h"

int wb__sq_snapshot_dir(wb_db *db, char *buf, size_t size)
{
	struct sq *s = db->state;

	if ((size_t)snprintf(buf, size, "%s.snapshots", s->path) >= size)
		return wb__error(db, WB_EINVALID, "snapshot directory of %s: path too long", s->path);
	return 0;
}

/* Copy the open database `from` into the new file `path` (backup API), rollback mode. */
static int copy_into(wb_db *db, sqlite3 *from, const char *path)
{
	sqlite3 *to = NULL;
	sqlite3_backup *b;
	int rc = sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc == SQLITE_OK && !(b = sqlite3_backup_init(to, "main", from, "main")))
		rc = sqlite3_errcode(to);
	else if (rc == SQLITE_OK) {
		sqlite3_backup_step(b, -1);
		rc = sqlite3_backup_finish(b);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rc = wb__error(db, rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN ? WB_EIO
			       : WB_ERROR, "snapshot into %s: %s", path, to ? sqlite3_errmsg(to) : "out of memory");
	sqlite3_close_v2(to);
	return rc;
}

int wb__sq_snapshot(wb_db *db, const char *path)
{
	struct sq *s = db->state;
	char tmp[4200];
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return wb__error(db, WB_EINVALID, "snapshot into %s: path too long", path);
	unlink(tmp);
	pthread_mutex_lock(&s->mu);
	rc = copy_into(db, s->conn, tmp);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = wb__error(db, WB_EIO, "snapshot into %s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}
