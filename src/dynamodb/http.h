/*
 * http.h - a minimal HTTP client over libcurl (internal).
 *
 * One wb__http per connection: a libcurl easy handle reused for every
 * request, so the connection stays open (keep-alive) between requests; a
 * client keeps a pool of them (dynamodb_client.c) and closes one after a
 * transport failure.  Not thread-safe: one request at a time on each.  curl_global_init runs once
 * per process (pthread_once).  Transport failures (refused, reset, timed
 * out) come back as WB_EIO with curl's message; any HTTP status is a
 * success at this level.
 */
#ifndef WB_HTTP_H
#define WB_HTTP_H

#include <stddef.h>

typedef struct wb__http wb__http;

/** A response body: malloc'ed bytes (NUL-terminated), owned by the wb__http until the next request. */
struct wb__http_response {
	long status;      /**< HTTP status */
	const char *body; /**< body bytes, NUL-terminated */
	size_t len;       /**< body length */
};

/** A new client (`*out`, freed with wb__http_free); WB_ENOMEM or WB_EIO. */
int wb__http_new(wb__http **out);
void wb__http_free(wb__http *h);

/**
 * POST `body` to `url` with `headers` ("Name: value" strings, nheaders of
 * them).  Fills `resp`; on a transport failure writes a one-line
 * description into errbuf (errsize bytes) and returns WB_EIO when another
 * attempt may succeed (refused, reset, timed out), WB_ERROR when it cannot
 * (TLS verification or configuration).
 */
int wb__http_post(wb__http *h, const char *url, const char *const *headers, size_t nheaders,
		  const char *body, size_t len, struct wb__http_response *resp, char *errbuf, size_t errsize);

#endif /* WB_HTTP_H */
