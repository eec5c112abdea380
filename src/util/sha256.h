/*
 * sha256.h - SHA-256 over OpenSSL, and lower-case hex (internal API).
 *
 * The one digest of the project: request signing (sigv4), the checksums of
 * migration sources and jobs, the compile cache's keys and the journal's
 * after-image hashes all use it.
 */
#ifndef WB_SHA256_H
#define WB_SHA256_H

#include <stddef.h>

/** SHA-256 of data[0..len) into md; 0, or -1 when OpenSSL failed (out of memory). */
int wb__sha256(unsigned char md[32], const void *data, size_t len);

/** Lower-case hex SHA-256 of data (out has room for 65 bytes); all zeros when hashing failed. */
void wb__sha256_hex(char out[65], const void *data, size_t len);

/**
 * Lower-case hex SHA-256 of a file's content, read in chunks; 0, or -1 with
 * errno set when it cannot be read.
 */
int wb__sha256_file_hex(char out[65], const char *path);

/** Lower-case hex of n bytes into out (room for 2n + 1 bytes). */
void wb__hex_lower(char *out, const unsigned char *bytes, size_t n);

#endif /* WB_SHA256_H */
