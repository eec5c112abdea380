/*
 * sigv4.h - AWS Signature Version 4 (internal).
 *
 * Signs an HTTP request the way AWS services check it: a canonical request
 * (method, normalised and URI-encoded path, sorted query, lower-cased sorted
 * headers with trimmed values, signed header list, SHA-256 of the body), a
 * string to sign over the credential scope DATE/REGION/SERVICE/aws4_request,
 * and an HMAC-SHA256 chain from the secret key.  Built on OpenSSL; kept apart
 * from the HTTP code so that tests check it against AWS's published test
 * vectors (tests/test_sigv4.c, tests/data/sigv4/).
 *
 * Every function returning a string through `out` gives the caller a
 * malloc'ed string to free().  Secrets are only read, never copied into
 * anything returned.
 */
#ifndef WB_SIGV4_H
#define WB_SIGV4_H

#include <stddef.h>
#include <time.h>

/** One request header (name in any case, value untrimmed). */
struct wb__sigv4_header {
	const char *name;  /**< header name, e.g. "X-Amz-Date" */
	const char *value; /**< its value as sent */
};

/** The parts of a request that are signed. */
struct wb__sigv4_request {
	const char *method;                      /**< "GET", "POST", ... */
	const char *path;                        /**< raw path, e.g. "/" (not yet URI-encoded) */
	const char *query;                       /**< raw query without '?', or NULL */
	const struct wb__sigv4_header *headers;  /**< every header to sign; must include host and x-amz-date */
	size_t nheaders;                         /**< how many */
	const void *body;                        /**< payload (may be NULL when body_len is 0) */
	size_t body_len;                         /**< its length */
};

/** Who signs, and for what. */
struct wb__sigv4_key {
	const char *access_key; /**< access key id */
	const char *secret_key; /**< secret access key */
	const char *region;     /**< e.g. "us-east-1" */
	const char *service;    /**< e.g. "dynamodb" */
};

/** Format `t` as an x-amz-date: "YYYYMMDDTHHMMSSZ" (out has room for 17 bytes). */
void wb__sigv4_amz_date(char out[17], time_t t);

/**
 * The canonical request of `req`.  When `signed_headers` is not NULL it
 * receives the signed header list ("host;x-amz-date"), also to free().
 * Returns 0, WB_ENOMEM or WB_EINVALID (malformed query or headers).
 */
int wb__sigv4_canonical_request(char **out, char **signed_headers, const struct wb__sigv4_request *req);

/** The string to sign for a canonical request, at `amz_date`. */
int wb__sigv4_string_to_sign(char **out, const char *amz_date, const char *region, const char *service,
			     const char *canonical_request);

/**
 * The value of the Authorization header for `req` signed with `key` at
 * `amz_date` ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...").
 * The request's headers must already hold the x-amz-date (and, with
 * temporary credentials, x-amz-security-token) being sent.
 */
int wb__sigv4_authorization(char **out, const struct wb__sigv4_request *req, const struct wb__sigv4_key *key,
			    const char *amz_date);

/**
 * The signing key of a day: HMAC chain "AWS4"+secret -> date8 (YYYYMMDD,
 * the first 8 bytes of an x-amz-date do) -> region -> service ->
 * "aws4_request".  Clients cache it for the day; wipe it after use.
 */
void wb__sigv4_signing_key(unsigned char out[32], const char *secret, const char *date8, const char *region,
			   const char *service);

/** wb__sigv4_authorization with the day's signing key given (from wb__sigv4_signing_key). */
int wb__sigv4_authorization_key(char **out, const struct wb__sigv4_request *req, const char *access_key,
				const char *region, const char *service, const char *amz_date,
				const unsigned char signing_key[32]);

#endif /* WB_SIGV4_H */
