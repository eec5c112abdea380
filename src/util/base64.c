/*
 * base64.c - standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /, padded
 * with '='), as DynamoDB JSON carries B and BS values (base64.h).  The
 * decoder is strict: padding is required and the unused bits of the last
 * group must be zero, so one byte string has exactly one text.
 */
#include <stddef.h>

#include "base64.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t wb__base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void wb__base64_encode(char *out, const unsigned char *in, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = b64[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

long wb__base64_decode(unsigned char *out, const char *in, size_t n)
{
	size_t i, o = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0;

	while (pad < 2 && n > 0 && in[n - 1] == '=') {
		n--;
		pad++;
	}
	if ((n + pad) % 4 != 0)
		return -1; /* padding is required */
	for (i = 0; i < n; i++) {
		int v = b64_val(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1; /* non-zero padding bits: not canonical base64 */
	return (long)o;
}
