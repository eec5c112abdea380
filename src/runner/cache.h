/*
 * cache.h - the safety of the compile cache (internal API).
 *
 * The runner keeps compiled migrations under .whimbrel/build/ and runs
 * them with its own environment (credentials included), so a cached
 * program must be the one compiled from the inputs under review, by us:
 *
 *   - the cache directories are created 0700 and refused when they are
 *     not directories of ours that nobody else can write;
 *   - a cached file is refused unless it is a regular file of ours that
 *     nobody else can write;
 *   - beside each program, PROGRAM.key seals it to its inputs: the
 *     SHA-256 of every file the compiler read (its -MD dependency list:
 *     the migration, the headers it includes, whimbrel.h, the system
 *     headers) and the program's own SHA-256.  A changed input makes the
 *     program stale (it is compiled again); a program that no longer
 *     matches its seal is never run.
 *
 * The directory's name covers what is not a file the compiler reads: the
 * source, the flags, the compiler's identity (wb__cache_tool_id) and the
 * library's (compile.c).
 */
#ifndef WB_CACHE_H
#define WB_CACHE_H

#include <stddef.h>

/**
 * Create `dir` (mode 0700) if it does not exist, then check it: a
 * directory (not a symbolic link) owned by us, writable by nobody else.
 * WB_EINVALID with a one-line message saying what to do when refused,
 * WB_EIO when it cannot be created or examined.
 */
int wb__cache_dir_secure(const char *dir);

/**
 * Check a cached file: 0 when it is a regular file owned by us and
 * writable by nobody else, WB_ENOTFOUND when it does not exist,
 * WB_EINVALID (refused, one-line message) otherwise.
 */
int wb__cache_file_secure(const char *path);

/**
 * The identity of compiler command `cmd` (its first word, looked up in
 * PATH when it has no '/'): "PATH SIZE MTIME" of the file it resolves
 * to, or the word itself when it cannot be found.  Always terminated.
 */
void wb__cache_tool_id(char *buf, size_t size, const char *cmd);

/**
 * Seal program `exe` to its inputs: write EXE.key (mode 0600, atomically)
 * from the compiler's dependency file `depfile` (the -MD output of the
 * compile that made exe).  WB_EIO when a file cannot be read or written.
 */
int wb__cache_seal(const char *exe, const char *depfile);

/**
 * Whether program `exe` may run: 1 when EXE.key exists, is ours (see
 * wb__cache_file_secure), every input it lists still has the content it
 * was compiled from, and exe's SHA-256 is the sealed one; 0 when it is
 * missing or stale (compile again); WB_EINVALID when the seal file is
 * refused.
 */
int wb__cache_check(const char *exe);

#endif /* WB_CACHE_H */
