/*
 * common.h - internal helpers shared by every module of libwhimbrel.
 *
 * Error reporting (wb__fail sets this thread's last error; wb__error, from
 * the store layer, also sets a handle's message), small allocation wrappers,
 * and the attribute macros the library uses.  Nothing here is public API,
 * and nothing here is exported from libwhimbrel.so.
 */
#ifndef WB_COMMON_H
#define WB_COMMON_H

#include <stddef.h>
#include <stdarg.h>
#include "whimbrel.h"

#define WB_UNUSED(x) ((void)(x))
#define WB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * This thread's last error (util/error.c).  wb__fail formats a one-line
 * message into it and returns `code`; wb__fail_oom records WB_ENOMEM without
 * allocating.  util/ code reports with these: it never names a handle.
 */
int wb__fail(int code, const char *fmt, ...) WB_PRINTF(2, 3);
int wb__vfail(int code, const char *fmt, va_list ap);
int wb__fail_oom(void);

/**
 * Check a caller's options struct `o` (may be NULL) of function `fn`: its
 * `version` field, then whether its required members are there
 * (`complete`).  0, or WB_EINVALID with "FN: options of version V,
 * expected W (use INIT)" or "FN: REQUIRED are required".
 */
int wb__options_check(const char *fn, const void *o, unsigned version, unsigned expected,
		      const char *init, int complete, const char *required);

/**
 * Copy `in` into `out` (size bytes, always terminated) with every control
 * character escaped as \n, \r, \t or \xHH: text quoted in a message stays
 * on one line and cannot drive the terminal.  Returns out.
 */
char *wb__escape_line(char *out, size_t size, const char *in);

/*
 * Reporting on a store handle, defined by the store layer (store.c) on top
 * of the above: record this thread's last error and, when db is not NULL,
 * copy it into db's message.  Callers write `return wb__error(db, WB_EINVALID,
 * "...")`; db may be NULL.
 */
int wb__error(wb_db *db, int code, const char *fmt, ...) WB_PRINTF(3, 4);
int wb__verror(wb_db *db, int code, const char *fmt, va_list ap);

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
/**
 * Room for one more element in the array *p (p points to the array's
 * pointer) of *cap elements of `size` bytes, n of them used: doubles it
 * (`first` elements the first time) when full.  0, or WB_ENOMEM.
 */
int wb__grow(void *p, size_t *cap, size_t n, size_t size, size_t first);

/*
 * Allocation failure injection, for tests (always compiled in, off unless
 * set): wb__alloc_fail_at(n) makes the nth allocation from now fail (the
 * wrappers above, and whatever else asks wb__alloc_fails(): the test
 * harness routes SQLite's and jansson's allocators through it); n = 0
 * turns it off.  Returns how many allocations were counted since the last
 * call, so a sweep knows whether its nth was reached.
 */
long wb__alloc_fail_at(long n);
/** Count one allocation; 1 when it is the one to fail. */
int wb__alloc_fails(void);

#endif /* WB_COMMON_H */
