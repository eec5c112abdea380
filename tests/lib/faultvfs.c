/*
 * faultvfs.c - the fault-injecting SQLite VFS of faultvfs.h.
 *
 * Each file opened through it is the real file (opened by the wrapped
 * VFS, stored right after our header) behind methods that count reads,
 * writes and syncs and fail the one chosen; everything else is passed
 * through, including the shared-memory and mmap methods WAL mode uses.
 */
#include <stdatomic.h>
#include <string.h>
#include <sqlite3.h>

#include "faultvfs.h"

/* A file of the wrapper: our header, then the real file. */
struct ffile {
	sqlite3_file base;   /* our methods */
	sqlite3_file *real;  /* the wrapped VFS's file (follows this struct) */
};

static sqlite3_vfs *orig;
static sqlite3_vfs fvfs;
static _Atomic long counts[3];    /* reads, writes, syncs since wbt_vfs_fail */
static _Atomic int fault_kind;    /* which fault */
static _Atomic long fault_at;     /* the operation to fail, 0 for none */

#define REAL(f) (((struct ffile *)(f))->real)

/* Count one operation of class cls (0 read, 1 write, 2 sync); 1 when it must fail. */
static int hit(int cls)
{
	long n = atomic_fetch_add(&counts[cls], 1) + 1, at = atomic_load(&fault_at);
	int kind = atomic_load(&fault_kind);

	if (!at)
		return 0;
	if (kind == WBT_VFS_FULL)
		return cls == 1 && n >= at;
	return kind == cls && n == at;
}

static int f_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;

	return rc;
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	if (hit(0))
		return SQLITE_IOERR_READ;
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (hit(1))
		return atomic_load(&fault_kind) == WBT_VFS_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	if (hit(2))
		return SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int f_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int f_check(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_caps(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	*pp = NULL; /* no memory-mapped reads: every read goes through f_read */
	(void)f;
	(void)off;
	(void)n;
	return SQLITE_OK;
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	(void)f;
	(void)off;
	(void)p;
	return SQLITE_OK;
}

static const sqlite3_io_methods fmethods = {
	3, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock, f_check,
	f_control, f_sector, f_caps, f_shm_map, f_shm_lock, f_shm_barrier, f_shm_unmap,
	f_fetch, f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	struct ffile *ff = (struct ffile *)file;
	int rc;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	memset(ff->real, 0, (size_t)orig->szOsFile);
	rc = orig->xOpen(orig, name, ff->real, flags, out_flags);
	ff->base.pMethods = ff->real->pMethods ? &fmethods : NULL;
	return rc;
}

static int v_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return orig->xDelete(orig, name, sync);
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return orig->xAccess(orig, name, flags, out);
}

static int v_full(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return orig->xFullPathname(orig, name, n, out);
}

static int v_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return orig->xRandomness(orig, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return orig->xSleep(orig, us);
}

static int v_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return orig->xCurrentTime(orig, out);
}

static int v_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return orig->xGetLastError(orig, n, out);
}

static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return orig->xCurrentTimeInt64(orig, out);
}

int wbt_vfs_install(void)
{
	if (orig)
		return SQLITE_OK;
	if (!(orig = sqlite3_vfs_find(NULL)))
		return SQLITE_ERROR;
	fvfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct ffile) + orig->szOsFile,
		.mxPathname = orig->mxPathname,
		.zName = "wbfault",
		.xOpen = v_open,
		.xDelete = v_delete,
		.xAccess = v_access,
		.xFullPathname = v_full,
		.xRandomness = v_random,
		.xSleep = v_sleep,
		.xCurrentTime = v_time,
		.xGetLastError = v_error,
		.xCurrentTimeInt64 = v_time64,
	};
	return sqlite3_vfs_register(&fvfs, 1);
}

void wbt_vfs_fail(wbt_vfs_fault kind, long n)
{
	atomic_store(&fault_at, 0);
	for (int i = 0; i < 3; i++)
		atomic_store(&counts[i], 0);
	atomic_store(&fault_kind, (int)kind);
	atomic_store(&fault_at, n);
}

long wbt_vfs_count(wbt_vfs_fault kind)
{
	return atomic_load(&counts[kind == WBT_VFS_FULL ? 1 : (int)kind]);
}
