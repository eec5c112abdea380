/*
 * http_plain.h - HTTP/1.1 POST over a plain kept-alive TCP connection
 * (internal, used by http.c for http:// URLs).
 *
 * libcurl costs a loopback request about as much client CPU as the rest of
 * a DynamoDB call together (URL parsing, a multi-handle event loop of
 * several poll()s, header rebuilding); a plain http:// endpoint (dynalite,
 * DynamoDB Local) needs none of it.  One request is one sendmsg() of head
 * and body and, usually, one recv() of the answer.  HTTPS stays with
 * libcurl.  Not thread-safe: one connection per owner, as wb__http.
 */
#ifndef WB_HTTP_PLAIN_H
#define WB_HTTP_PLAIN_H

#include <stddef.h>

typedef struct wb__plain wb__plain;

/** A new, unconnected client (`*out`, freed with wb__plain_free); WB_ENOMEM. */
int wb__plain_new(wb__plain **out);
void wb__plain_free(wb__plain *p);

/** Close the kept-alive connection (the next request opens a new one). */
void wb__plain_reset(wb__plain *p);

/**
 * POST body to `url` ("http://HOST[:PORT]/PATH") with headers ("Name: value",
 * a Host header among them, else one is added).  On success *status and
 * *resp / *resp_len (the body, NUL-terminated, owned by p until the next
 * request) are set and 0 returned.  Transport failures: WB_EIO with a
 * one-line description in errbuf; a malformed URL: WB_ERROR.  A request on
 * a kept-alive connection that fails before any answer byte is sent again
 * once on a new connection, as libcurl does.
 * Timeouts: 5 s to connect; an answer that stalls 30 s, or takes 60 s in
 * all (checked between reads), is abandoned.
 */
int wb__plain_post(wb__plain *p, const char *url, const char *const *headers, size_t nheaders,
		   const char *body, size_t len, long *status, const char **resp, size_t *resp_len,
		   char *errbuf, size_t errsize);

#endif /* WB_HTTP_PLAIN_H */
