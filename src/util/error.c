/*
 * error.c - result codes, this thread's last error, and allocation.
 *
 * Every failing call records a one-line message in a thread-local buffer
 * (wb_error_last).  This file knows nothing of store handles: store.c's
 * wb__error copies the message into a handle (wb_errmsg) after recording it
 * here with wb__vfail.  Out-of-memory is recorded from a static string so
 * that reporting it never allocates.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static _Thread_local char last_msg[1024];
static _Thread_local int last_code;

const char *wb_strerror(int code)
{
	switch (code) {
	case WB_OK: return "ok";
	case WB_ERROR: return "error";
	case WB_ENOTFOUND: return "not found";
	case WB_EEXISTS: return "already exists";
	case WB_ECONDITION: return "condition failed";
	case WB_EBUSY: return "busy";
	case WB_ETHROTTLED: return "throttled";
	case WB_EINVALID: return "invalid input";
	case WB_ENOMEM: return "out of memory";
	case WB_EIO: return "I/O error";
	case WB_EINTERRUPTED: return "interrupted";
	default: return "unknown error";
	}
}

const char *wb_error_last(void)
{
	if (last_code == WB_OK && last_msg[0] == '\0')
		return "no error";
	return last_msg;
}

int wb_error_last_code(void)
{
	return last_code;
}

void wb_error_clear(void)
{
	last_code = WB_OK;
	last_msg[0] = '\0';
}

/*
 * Messages are one line of printable text (see common.h).  An escape that
 * does not fit is dropped whole.  C1 controls (U+0080..U+009F, which some
 * terminals obey like ESC sequences) are escaped as \u00HH.
 */
char *wb__escape_line(char *out, size_t size, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in, c1 = (unsigned char)in[1];
		char esc[7] = {(char)c, 0};
		if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\x", 2);
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
		} else if (c == 0xc2 && c1 >= 0x80 && c1 <= 0x9f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c1 >> 4];
			esc[5] = hex[c1 & 15];
			in++;
		}
		size_t n = strlen(esc);
		if (o + n >= size)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

int wb__vfail(int code, const char *fmt, va_list ap)
{
	char buf[sizeof(last_msg)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	wb__escape_line(last_msg, sizeof(last_msg), buf);
	last_code = code;
	return code;
}

int wb__fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wb__vfail(code, fmt, ap);
	va_end(ap);
	return code;
}

int wb__options_check(const char *fn, const void *o, unsigned version, unsigned expected,
		      const char *init, int complete, const char *required)
{
	if (!o || version != expected)
		return wb__fail(WB_EINVALID, "%s: options of version %u, expected %u (use %s)", fn,
				o ? version : 0, expected, init);
	if (!complete)
		return wb__fail(WB_EINVALID, "%s: %s are required", fn, required);
	return 0;
}

int wb__fail_oom(void)
{
	static const char msg[] = "out of memory";

	memcpy(last_msg, msg, sizeof(msg));
	last_code = WB_ENOMEM;
	return WB_ENOMEM;
}

void wb_string_free(char *s)
{
	free(s);
}

/* The allocation failure hook (common.h): off while fail_at is 0. */
static _Atomic long fail_at, alloc_count;

long wb__alloc_fail_at(long n)
{
	long counted = atomic_exchange(&alloc_count, 0);

	atomic_store(&fail_at, n);
	return counted;
}

int wb__alloc_fails(void)
{
	long at = atomic_load_explicit(&fail_at, memory_order_relaxed);

	return at > 0 && atomic_fetch_add(&alloc_count, 1) + 1 == at;
}

void *wb__malloc(size_t n)
{
	void *p = wb__alloc_fails() ? NULL : malloc(n ? n : 1);

	if (!p)
		wb__fail_oom();
	return p;
}

void *wb__calloc(size_t n, size_t size)
{
	void *p = wb__alloc_fails() ? NULL : calloc(n ? n : 1, size ? size : 1);

	if (!p)
		wb__fail_oom();
	return p;
}

void *wb__realloc(void *p, size_t n)
{
	void *q = wb__alloc_fails() ? NULL : realloc(p, n ? n : 1);

	if (!q)
		wb__fail_oom();
	return q;
}

int wb__grow(void *p, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *q;

	if (n < *cap)
		return 0;
	if (!(q = wb__realloc(*(void **)p, c * size)))
		return WB_ENOMEM;
	*(void **)p = q;
	*cap = c;
	return 0;
}

char *wb__strndup(const char *s, size_t n)
{
	char *p = wb__malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *wb__strdup(const char *s)
{
	return wb__strndup(s, strlen(s));
}
