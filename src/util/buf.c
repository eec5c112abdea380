/*
 * buf.c - the growable byte buffer (buf.h): doubling growth from 64 bytes,
 * a remembered allocation failure, and a NUL kept after appended text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int wb__buf_reserve(wb_buf *b, size_t extra)
{
	size_t cap;
	unsigned char *p;

	if (b->cap - b->len >= extra)
		return 0;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return wb__oom(NULL);
	}
	cap = b->cap ? b->cap : 64;
	while (cap - b->len < extra)
		cap *= 2;
	if (!(p = wb__realloc(b->data, cap))) {
		b->oom = 1;
		return wb__oom(NULL);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int wb__buf_append_grow(wb_buf *b, const void *data, size_t len)
{
	if (len >= SIZE_MAX / 2 || wb__buf_reserve(b, len + 1) < 0)
		return WB_ENOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int wb__buf_puts(wb_buf *b, const char *s)
{
	return wb__buf_append(b, s, strlen(s));
}

int wb__buf_appendf(wb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return wb__error(NULL, WB_ERROR, "a message could not be formatted");
	if (wb__buf_reserve(b, (size_t)n + 1) < 0)
		return WB_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->text + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void wb__buf_clear(wb_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data)
		b->data[0] = '\0';
}

int wb__buf_take(wb_buf *b, char **out)
{
	*out = NULL;
	if (b->oom || wb__buf_reserve(b, 1) < 0) {
		wb__buf_free(b);
		return wb__oom(NULL);
	}
	b->data[b->len] = '\0';
	*out = b->text;
	memset(b, 0, sizeof(*b));
	return 0;
}

void wb__buf_free(wb_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
