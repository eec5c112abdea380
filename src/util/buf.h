/*
 * buf.h - the growable byte buffer every module of libwhimbrel builds its
 * bytes and text in (internal API; implemented in buf.c).
 *
 * Zero-initialise a wb_buf, append to it, then hand the text over with
 * wb__buf_take or free it with wb__buf_free.  Every call returns WB_ENOMEM
 * when it could not grow the buffer, and the failure is remembered (`oom`)
 * until wb__buf_clear: a caller that builds a long text may append without
 * checking and test once at the end (wb__buf_take does).  After
 * wb__buf_append, wb__buf_puts and wb__buf_appendf the bytes are followed
 * by a NUL (not counted in len), so `text` is a C string; code that writes
 * into `data` itself after wb__buf_reserve (the item codec) does not keep
 * that NUL.
 */
#ifndef WB_BUF_H
#define WB_BUF_H

#include <stddef.h>
#include <string.h>
#include "common.h"

/** A growable byte buffer.  Zero-initialise; free with wb__buf_free. */
typedef struct wb_buf {
	union {
		unsigned char *data; /**< bytes */
		char *text;          /**< the same bytes, as text */
	};
	size_t len; /**< used */
	size_t cap; /**< allocated */
	int oom;    /**< an allocation failed since the last clear */
} wb_buf;

/** Make room for `extra` more bytes; WB_ENOMEM on failure. */
int wb__buf_reserve(wb_buf *b, size_t extra);
/** wb__buf_append when the buffer must grow first (buf.c). */
int wb__buf_append_grow(wb_buf *b, const void *data, size_t len);

/** Append `len` bytes; WB_ENOMEM on failure.  Inline: text is often built a byte at a time. */
static inline int wb__buf_append(wb_buf *b, const void *data, size_t len)
{
	if (b->cap - b->len <= len) /* no room for the bytes and the NUL */
		return wb__buf_append_grow(b, data, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}
/** Append a C string. */
int wb__buf_puts(wb_buf *b, const char *s);
/** Append printf-style text. */
int wb__buf_appendf(wb_buf *b, const char *fmt, ...) WB_PRINTF(2, 3);
/** Empty the buffer (keeps its memory, forgets a failure). */
void wb__buf_clear(wb_buf *b);
/**
 * Hand the text (NUL-terminated, possibly empty) to the caller, who frees
 * it with free(); the buffer is left empty.  On an earlier allocation
 * failure frees the buffer, sets *out to NULL and returns WB_ENOMEM.
 */
int wb__buf_take(wb_buf *b, char **out);
void wb__buf_free(wb_buf *b);

#endif /* WB_BUF_H */
