/*
 * common.h - internal helpers shared by every module of libwhimbrel.
 *
 * Error reporting (wb__error sets this thread's last error and, when a
 * handle is given, the handle's message), small allocation wrappers, and
 * the attribute macros the library uses.  Nothing here is public API.
 */
#ifndef WB_COMMON_H
#define WB_COMMON_H

#include <stddef.h>
#include <stdarg.h>
#include "whimbrel.h"

#define WB_UNUSED(x) ((void)(x))
#define WB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Record a failure: formats a one-line message into this thread's last
 * error (and into db's message when db is not NULL) and returns `code`, so
 * that callers can write `return wb__error(db, WB_EINVALID, "...")`.
 */
int wb__error(wb_db *db, int code, const char *fmt, ...) WB_PRINTF(3, 4);
int wb__verror(wb_db *db, int code, const char *fmt, va_list ap);

/**
 * Copy `in` into `out` (size bytes, always terminated) with every control
 * character escaped as \n, \r, \t or \xHH: text quoted in a message stays
 * on one line and cannot drive the terminal.  Returns out.
 */
char *wb__escape_line(char *out, size_t size, const char *in);

/** Record an out-of-memory failure without allocating; returns WB_ENOMEM. */
int wb__oom(wb_db *db);

/** Copy this thread's last error into db's message (after a nested call failed). */
int wb__error_to_db(wb_db *db, int code);

/* Allocation that records WB_ENOMEM on failure (returns NULL). */
void *wb__malloc(size_t n);
void *wb__calloc(size_t n, size_t size);
void *wb__realloc(void *p, size_t n);
char *wb__strdup(const char *s);
char *wb__strndup(const char *s, size_t n);

#endif /* WB_COMMON_H */
