/*
 * faultvfs.h - a SQLite VFS that wraps the default one and fails the Nth
 * read, write or sync (an I/O error), or every write from the Nth on (a
 * full disk), for the I/O fault sweeps (tests/test_vfs_sweep.c).
 */
#ifndef WBT_FAULTVFS_H
#define WBT_FAULTVFS_H

typedef enum {
	WBT_VFS_READ = 0, /* the nth xRead fails with SQLITE_IOERR_READ */
	WBT_VFS_WRITE,    /* the nth xWrite fails with SQLITE_IOERR_WRITE */
	WBT_VFS_SYNC,     /* the nth xSync fails with SQLITE_IOERR_FSYNC */
	WBT_VFS_FULL,     /* the nth xWrite and every later one fail with SQLITE_FULL */
	WBT_VFS_KINDS
} wbt_vfs_fault;

/** Register the wrapper as SQLite's default VFS (once; before any open). 0 or an SQLite code. */
int wbt_vfs_install(void);
/** Fail the nth operation of `kind` from now (n = 0: no fault); resets the counts. */
void wbt_vfs_fail(wbt_vfs_fault kind, long n);
/** Operations of `kind`'s class (reads, writes, syncs) since the last wbt_vfs_fail. */
long wbt_vfs_count(wbt_vfs_fault kind);

#endif /* WBT_FAULTVFS_H */
