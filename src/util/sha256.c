/*
 * sha256.c - SHA-256 over OpenSSL (sha256.h).
 *
 * The digest is fetched from OpenSSL's default provider once per process
 * (OpenSSL 3 would otherwise look it up by name on every use), and each
 * thread keeps one digest context (creating one costs more than hashing a
 * request's body; thread_obj.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sha256.h"
#include "thread_obj.h"

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched;

static void md_init(void)
{
	md_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void *ctx_new(void)
{
	pthread_once(&md_once, md_init); /* before md_fetched is read in this thread */
	return EVP_MD_CTX_new();
}

static void ctx_free(void *c)
{
	EVP_MD_CTX_free(c);
}

/* This thread's digest context, or NULL when out of memory. */
static EVP_MD_CTX *thread_ctx(void)
{
	return wb__thread_obj(WB_SLOT_SHA256, ctx_new, ctx_free);
}

int wb__sha256(unsigned char md[32], const void *data, size_t len)
{
	EVP_MD_CTX *c = thread_ctx();
	const EVP_MD *m = md_fetched ? md_fetched : EVP_sha256();

	if (!c || !EVP_DigestInit_ex(c, m, NULL) || !EVP_DigestUpdate(c, data, len) ||
	    !EVP_DigestFinal_ex(c, md, NULL))
		return -1;
	return 0;
}

void wb__hex_lower(char *out, const unsigned char *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

void wb__sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];

	if (wb__sha256(md, data, len) < 0)
		memset(md, 0, 32); /* a hash that will not verify */
	wb__hex_lower(out, md, 32);
}

int wb__sha256_file_hex(char out[65], const char *path)
{
	unsigned char md[32], chunk[65536];
	EVP_MD_CTX *c = thread_ctx();
	const EVP_MD *m = md_fetched ? md_fetched : EVP_sha256();
	int fd, ok;
	ssize_t n;

	errno = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ok = c && fd >= 0 && EVP_DigestInit_ex(c, m, NULL) == 1;
	while (ok && (n = read(fd, chunk, sizeof(chunk))) != 0)
		ok = n > 0 ? EVP_DigestUpdate(c, chunk, (size_t)n) == 1 : errno == EINTR;
	ok = ok && EVP_DigestFinal_ex(c, md, NULL) == 1;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	wb__hex_lower(out, md, 32);
	return 0;
}
