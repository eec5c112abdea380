/*
 * base64.h - standard base64 with padding (internal API; base64.c), the
 * text DynamoDB JSON gives binary values.
 */
#ifndef WB_BASE64_H
#define WB_BASE64_H

#include <stddef.h>

/** Length of the base64 text of n bytes (without the NUL). */
size_t wb__base64_encoded_len(size_t n);
/** Encode n bytes into out (wb__base64_encoded_len(n) + 1 bytes); NUL-terminates. */
void wb__base64_encode(char *out, const unsigned char *in, size_t n);
/**
 * Decode in[0..n) into out (room for n / 4 * 3 + 3 bytes); returns the
 * number of bytes, or -1 when the text is not canonical padded base64.
 */
long wb__base64_decode(unsigned char *out, const char *in, size_t n);

#endif /* WB_BASE64_H */
