/*
 * compile.h - building a migration file into a program (internal API).
 *
 * The runner compiles a migration with the system C compiler against the
 * header and static library that sit next to the whimbrel command
 * (BIN/../include/whimbrel.h, BIN/../lib/libwhimbrel.a: the build tree and
 * an installed tree have the same layout), caching the program under
 * .whimbrel/build/ keyed by the source's SHA-256, the flags, the compiler
 * and the library, and sealed to every file the compiler read (cache.h).
 */
#ifndef WB_COMPILE_H
#define WB_COMPILE_H

#include <stddef.h>

/** Read a whole file (*out malloc'd, NUL-terminated; caller frees); -1 with errno on failure. */
int wb__read_file(const char *path, char **out, size_t *len);

/**
 * The installation root (also the build tree's): the directory above the
 * one holding the running program, "BIN/..", into buf; -1 when unknown.
 */
int wb__install_root(char *buf, size_t size);

/**
 * Compile the migration at `path` whose contents are `src`/`len` (or take
 * it from the cache).  With `in_memory`, `path` only names the source (it
 * need not exist): `src` is written into the cache directory and compiled
 * there.  On success *exe is the program's path (malloc'd,
 * caller frees) and 0 is returned.  On failure the compiler's messages
 * have gone to stderr and a negative code is returned with "FILE does not
 * compile" (WB_EINVALID) or what else went wrong in wb_error_last().
 */
int wb__compile(const char *path, const char *src, size_t len, int in_memory, char **exe);

#endif /* WB_COMPILE_H */
