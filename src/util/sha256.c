/*
 * sha256.c - SHA-256 over OpenSSL (sha256.h).
 *
 * The digest is fetched from OpenSSL's default provider once per process
 * (OpenSSL 3 would otherwise look it up by name on every use), and each
 * thread keeps one digest context (creating one costs more than hashing a
 * request's body), freed when the thread ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sha256.h"

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched;
static pthread_key_t ctx_key;
static int ctx_key_ok;

static void free_ctx(void *arg)
{
	EVP_MD_CTX_free(arg);
}

static void md_init(void)
{
	md_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
	ctx_key_ok = pthread_key_create(&ctx_key, free_ctx) == 0;
}

/* This thread's digest context, or NULL when out of memory. */
static EVP_MD_CTX *thread_ctx(void)
{
	EVP_MD_CTX *c;

	pthread_once(&md_once, md_init);
	if (!ctx_key_ok)
		return NULL;
	if ((c = pthread_getspecific(ctx_key)))
		return c;
	if (!(c = EVP_MD_CTX_new()))
		return NULL;
	if (pthread_setspecific(ctx_key, c) != 0) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return c;
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
