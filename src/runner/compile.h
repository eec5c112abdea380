/*
 * compile.h - building a migration file into a program (runner side).
 *
 * The runner compiles a migration with the system C compiler against the
 * header and static library that sit next to the whimbrel command
 * (BIN/../include/whimbrel.h, BIN/../lib/libwhimbrel.a: the build tree and
 * an installed tree have the same layout), caching the program under
 * .whimbrel/build/ keyed by the source's SHA-256 and the library version.
 */
#ifndef WB_CLI_COMPILE_H
#define WB_CLI_COMPILE_H

#include <stddef.h>

/** SHA-256 of data as 64 lowercase hex digits + NUL. */
void wb_cli_sha256_hex(const void *data, size_t len, char out[65]);

/** Read a whole file (*out malloc'd, NUL-terminated; caller frees); -1 with errno on failure. */
int wb_cli_read_file(const char *path, char **out, size_t *len);

/**
 * Compile the migration at `path` whose contents are `src`/`len` (or take
 * it from the cache).  On success *exe is the program's path (malloc'd,
 * caller frees) and 0 is returned.  On failure the compiler's messages
 * and a one-line "whimbrel: FILE does not compile" have been printed and
 * -1 is returned.
 */
int wb_cli_compile(const char *path, const char *src, size_t len, char **exe);

#endif /* WB_CLI_COMPILE_H */
