/*
 * sigv4.c - AWS Signature Version 4 over OpenSSL's SHA-256 and HMAC (EVP_MAC).
 *
 * Implements sigv4.h: the canonical request (path normalised and encoded
 * once, as every service but S3 expects; query parameters decoded,
 * re-encoded and sorted; headers lower-cased, trimmed, their inner runs of
 * spaces collapsed, repeated ones joined with ','), the string to sign and
 * the signature.  Strings are built in a wb_buf (buf.h); the derived
 * keys and the "AWS4"+secret buffer are wiped after use.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "buf.h"
#include "common.h"
#include "sha256.h"
#include "sigv4.h"
#include "thread_obj.h"

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append bytes URI-encoded as SigV4 wants: unreserved kept, the rest %XX. */
static void sb_uri_encode(wb_buf *b, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (unreserved(c)) {
			wb__buf_append(b, (const char *)&c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			wb__buf_append(b, e, 3);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode p[0..n) into dst (room for n bytes); returns the length. */
static size_t uri_decode(char *dst, const char *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			dst[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else {
			dst[o++] = p[i];
		}
	}
	return o;
}

/*
 * HMAC-SHA256, fetched from OpenSSL's default provider once per process
 * (OpenSSL 3 would otherwise look it up by name on every use); read-only
 * after the pthread_once.  Each thread keeps one HMAC context for all its
 * signing (creating one costs more than signing a request; thread_obj.h).
 * The SHA-256 of bodies and canonical requests is sha256.h's.
 */
static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *mac_fetched;

static void mac_init(void)
{
	mac_fetched = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* A new HMAC-SHA256 context, or NULL when out of memory. */
static void *mac_new(void)
{
	char digest_name[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
			       OSSL_PARAM_construct_end()};
	EVP_MAC_CTX *m;

	pthread_once(&mac_once, mac_init);
	if (!mac_fetched || !(m = EVP_MAC_CTX_new(mac_fetched)))
		return NULL;
	if (!EVP_MAC_CTX_set_params(m, params)) {
		EVP_MAC_CTX_free(m);
		return NULL;
	}
	return m;
}

static void mac_free(void *m)
{
	EVP_MAC_CTX_free(m);
}

/* This thread's HMAC-SHA256 context, or NULL when out of memory. */
static EVP_MAC_CTX *thread_mac(void)
{
	return wb__thread_obj(WB_SLOT_HMAC, mac_new, mac_free);
}

void wb__sigv4_amz_date(char out[17], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The canonical URI: dot segments and empty segments removed, each segment encoded. */
static void canonical_uri(wb_buf *b, const char *path)
{
	const char *segs[256];
	size_t lens[256], n = 0, plen;
	const char *p = path ? path : "";

	plen = strlen(p);
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.')) {
			/* skip */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0)
				n--;
		} else if (n < WB_ARRAY_SIZE(segs)) {
			segs[n] = p;
			lens[n++] = l;
		}
		p += l;
		if (*p == '/')
			p++;
	}
	for (size_t i = 0; i < n; i++) {
		wb__buf_append(b, "/", 1);
		sb_uri_encode(b, segs[i], lens[i]);
	}
	if (n == 0 || (plen > 0 && path[plen - 1] == '/'))
		wb__buf_append(b, "/", 1);
}

/* One query parameter, encoded: "name=value". */
struct qparam {
	char *enc;      /* "name=value", encoded */
	size_t namelen; /* length of the encoded name */
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	size_t n = x->namelen < y->namelen ? x->namelen : y->namelen;
	int c = memcmp(x->enc, y->enc, n);

	if (c)
		return c;
	if (x->namelen != y->namelen)
		return x->namelen < y->namelen ? -1 : 1;
	return strcmp(x->enc + x->namelen, y->enc + y->namelen);
}

/* Encode one raw parameter p[0..n) into *q. */
static int encode_param(struct qparam *q, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	size_t nl = eq ? (size_t)(eq - p) : n;
	char *tmp = malloc(n + 1);
	wb_buf b = {0};
	size_t dl;

	if (!tmp)
		return wb__oom(NULL);
	dl = uri_decode(tmp, p, nl);
	sb_uri_encode(&b, tmp, dl);
	q->namelen = b.len;
	wb__buf_append(&b, "=", 1);
	if (eq) {
		dl = uri_decode(tmp, eq + 1, n - nl - 1);
		sb_uri_encode(&b, tmp, dl);
	}
	free(tmp);
	return wb__buf_take(&b, &q->enc);
}

static int canonical_query(wb_buf *b, const char *query)
{
	struct qparam *qs = NULL;
	size_t n = 0, cap = 0;
	const char *p = query;
	int rc = 0;

	while (p && *p) {
		const char *e = strchr(p, '&');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l > 0) {
			if (n == cap) {
				struct qparam *nq = realloc(qs, (cap = cap ? 2 * cap : 8) * sizeof(*qs));
				if (!nq) {
					rc = wb__oom(NULL);
					goto out;
				}
				qs = nq;
			}
			if ((rc = encode_param(&qs[n], p, l)) < 0)
				goto out;
			n++;
		}
		p += l;
		if (*p == '&')
			p++;
	}
	if (n > 1)
		qsort(qs, n, sizeof(*qs), qparam_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			wb__buf_append(b, "&", 1);
		wb__buf_puts(b, qs[i].enc);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(qs[i].enc);
	free(qs);
	return rc;
}

/* A header prepared for sorting: lower-case name, its index for stability. */
struct hdr {
	char *name;                 /* lower-cased name */
	const char *value;          /* value as given */
	size_t index;               /* position in the request */
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Append a header value trimmed, with inner runs of whitespace made one space. */
static void sb_trimmed(wb_buf *b, const char *v)
{
	int space = 0, any = 0;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
			space = 1;
			continue;
		}
		if (space && any)
			wb__buf_append(b, " ", 1);
		wb__buf_append(b, v, 1);
		space = 0;
		any = 1;
	}
}

static int canonical_headers(wb_buf *b, wb_buf *signed_hdrs, const struct wb__sigv4_request *req)
{
	struct hdr *h = calloc(req->nheaders ? req->nheaders : 1, sizeof(*h));
	int rc = 0;

	if (!h)
		return wb__oom(NULL);
	for (size_t i = 0; i < req->nheaders; i++) {
		if (!(h[i].name = strdup(req->headers[i].name))) {
			rc = wb__oom(NULL);
			goto out;
		}
		for (char *c = h[i].name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		h[i].value = req->headers[i].value ? req->headers[i].value : "";
		h[i].index = i;
	}
	qsort(h, req->nheaders, sizeof(*h), hdr_cmp);
	for (size_t i = 0; i < req->nheaders; i++) {
		int same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
		if (same) {
			wb__buf_append(b, ",", 1);
		} else {
			if (i > 0) {
				wb__buf_append(b, "\n", 1);
				wb__buf_append(signed_hdrs, ";", 1);
			}
			wb__buf_puts(b, h[i].name);
			wb__buf_append(b, ":", 1);
			wb__buf_puts(signed_hdrs, h[i].name);
		}
		sb_trimmed(b, h[i].value);
	}
	wb__buf_append(b, "\n", 1);
out:
	for (size_t i = 0; i < req->nheaders; i++)
		free(h[i].name);
	free(h);
	return rc;
}

int wb__sigv4_canonical_request(char **out, char **signed_headers, const struct wb__sigv4_request *req)
{
	wb_buf b = {0}, sh = {0};
	char hash[65];
	int rc;

	*out = NULL;
	if (signed_headers)
		*signed_headers = NULL;
	wb__buf_puts(&b, req->method);
	wb__buf_append(&b, "\n", 1);
	canonical_uri(&b, req->path);
	wb__buf_append(&b, "\n", 1);
	if ((rc = canonical_query(&b, req->query)) < 0)
		goto fail;
	wb__buf_append(&b, "\n", 1);
	if ((rc = canonical_headers(&b, &sh, req)) < 0)
		goto fail;
	wb__buf_append(&b, "\n", 1);
	wb__buf_append(&sh, "", 0);
	wb__buf_append(&b, sh.text ? sh.text : "", sh.text ? sh.len : 0);
	wb__buf_append(&b, "\n", 1);
	wb__sha256_hex(hash, req->body ? req->body : "", req->body_len);
	wb__buf_puts(&b, hash);
	if ((rc = wb__buf_take(&b, out)) < 0) {
		wb__buf_free(&sh);
		return rc;
	}
	if (signed_headers) {
		if ((rc = wb__buf_take(&sh, signed_headers)) < 0) {
			free(*out);
			*out = NULL;
		}
		return rc;
	}
	wb__buf_free(&sh);
	return 0;
fail:
	wb__buf_free(&b);
	wb__buf_free(&sh);
	return rc;
}

/* "YYYYMMDD/region/service/aws4_request" */
static void sb_scope(wb_buf *b, const char *amz_date, const char *region, const char *service)
{
	wb__buf_append(b, amz_date, strlen(amz_date) < 8 ? strlen(amz_date) : 8);
	wb__buf_append(b, "/", 1);
	wb__buf_puts(b, region);
	wb__buf_append(b, "/", 1);
	wb__buf_puts(b, service);
	wb__buf_puts(b, "/aws4_request");
}

int wb__sigv4_string_to_sign(char **out, const char *amz_date, const char *region, const char *service,
			     const char *canonical_request)
{
	wb_buf b = {0};
	char hash[65];

	wb__buf_puts(&b, "AWS4-HMAC-SHA256\n");
	wb__buf_puts(&b, amz_date);
	wb__buf_append(&b, "\n", 1);
	sb_scope(&b, amz_date, region, service);
	wb__buf_append(&b, "\n", 1);
	wb__sha256_hex(hash, canonical_request, strlen(canonical_request));
	wb__buf_puts(&b, hash);
	return wb__buf_take(&b, out);
}

/* HMAC-SHA256 by OpenSSL's EVP_MAC; `out` may alias `key`. */
static void hmac(unsigned char out[32], const void *key, size_t keylen, const char *data, size_t len)
{
	EVP_MAC_CTX *m = thread_mac();
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (!m || !EVP_MAC_init(m, key, keylen, NULL) || !EVP_MAC_update(m, (const unsigned char *)data, len) ||
	    !EVP_MAC_final(m, mac, &n, sizeof(mac)) || n != 32)
		memset(mac, 0, 32); /* a signature that will not verify */
	memcpy(out, mac, 32);
	OPENSSL_cleanse(mac, sizeof(mac));
}

void wb__sigv4_signing_key(unsigned char out[32], const char *secret, const char *date8, const char *region,
			   const char *service)
{
	size_t slen = strlen(secret);
	unsigned char k0[4 + 256], *p = slen <= 256 ? k0 : malloc(slen + 4);

	if (!p) { /* no memory for an absurdly long secret: a key that will not verify */
		memset(out, 0, 32);
		return;
	}
	memcpy(p, "AWS4", 4);
	memcpy(p + 4, secret, slen);
	hmac(out, p, slen + 4, date8, strlen(date8) < 8 ? strlen(date8) : 8);
	OPENSSL_cleanse(p, slen + 4);
	if (p != k0)
		free(p);
	hmac(out, out, 32, region, strlen(region));
	hmac(out, out, 32, service, strlen(service));
	hmac(out, out, 32, "aws4_request", 12);
}

int wb__sigv4_authorization_key(char **out, const struct wb__sigv4_request *req, const char *access_key,
				const char *region, const char *service, const char *amz_date,
				const unsigned char signing_key[32])
{
	char *creq = NULL, *sh = NULL, *sts = NULL, sig[65];
	unsigned char mac[32];
	wb_buf b = {0};
	int rc;

	*out = NULL;
	if ((rc = wb__sigv4_canonical_request(&creq, &sh, req)) < 0)
		return rc;
	if ((rc = wb__sigv4_string_to_sign(&sts, amz_date, region, service, creq)) < 0)
		goto out;
	hmac(mac, signing_key, 32, sts, strlen(sts));
	wb__hex_lower(sig, mac, 32);
	wb__buf_puts(&b, "AWS4-HMAC-SHA256 Credential=");
	wb__buf_puts(&b, access_key);
	wb__buf_append(&b, "/", 1);
	sb_scope(&b, amz_date, region, service);
	wb__buf_puts(&b, ", SignedHeaders=");
	wb__buf_puts(&b, sh);
	wb__buf_puts(&b, ", Signature=");
	wb__buf_puts(&b, sig);
	rc = wb__buf_take(&b, out);
out:
	free(creq);
	free(sh);
	free(sts);
	return rc;
}

int wb__sigv4_authorization(char **out, const struct wb__sigv4_request *req, const struct wb__sigv4_key *key,
			    const char *amz_date)
{
	unsigned char k[32];
	int rc;

	wb__sigv4_signing_key(k, key->secret_key, amz_date, key->region, key->service);
	rc = wb__sigv4_authorization_key(out, req, key->access_key, key->region, key->service, amz_date, k);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}
