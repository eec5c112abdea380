/*
 * dynamodb_client.c - the DynamoDB HTTP API: endpoints, signed calls,
 * retries and error mapping (see dynamodb_client.h and dynamodb.h).
 *
 * A call is a POST of a JSON body with X-Amz-Target DynamoDB_20120810.OP,
 * signed with SigV4 (sigv4.c) using credentials from aws_creds.c.  Answers
 * with a `__type` are mapped by the part after '#': conditional check
 * failed, not found, in use, validation, throttling.  Throttling, 5xx
 * answers and transport failures are retried with exponential backoff and
 * full jitter (sleep uniformly in [0, min(cap, base * 2^n)]), bounded in
 * attempts and in total time, and counted per client and per process.
 * Validation, condition and authentication errors are never retried.
 *
 * Many requests in flight: a client keeps a pool of connections (one
 * libcurl easy handle each, kept alive); a request takes a free one, or
 * opens one, and gives it back when answered, so threads sharing a handle
 * (the write lanes of dynamodb_pool.c) send at once.  The lock guards only
 * the pool, the signing key, the jitter and the counters, never a request
 * on the wire.  Every request of the process goes through send_request():
 * the one place to hook a pacer (rate or capacity limits) before a send.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common.h"
#include "backend.h"
#include "aws_creds.h"
#include "dynamodb_client.h"
#include "dynamodb_pace.h"
#include "http.h"
#include "retries.h"
#include "sigv4.h"

struct wb__ddb_client {
	struct wb__ddb_endpoint ep;      /* where to send */
	struct wb__aws_creds creds;      /* how to sign (never printed) */
	wb__http **idle;                 /* kept-alive connections not in use */
	size_t nidle, idle_cap;          /* how many, room for */
	pthread_mutex_t lock;            /* guards idle, rng, signing key, date and stats */
	struct wb__dynamodb_stats stats; /* this client's counters */
	struct wb__dynamodb_retry retry; /* the retry policy */
	uint64_t rng;                    /* xorshift state for jitter */
	char key_day[9];                 /* day of signing_key (YYYYMMDD), "" = none yet */
	unsigned char signing_key[32];   /* SigV4 key of that day (wiped at free) */
	time_t date_at;                  /* second of amz_date */
	char amz_date[17];               /* x-amz-date of that second, "" = none yet */
};

/* Process-wide totals, updated atomically. */
static struct wb__dynamodb_stats totals;

#define COUNT(c, field, n) do { (c)->stats.field += (n); \
	__atomic_fetch_add(&totals.field, (n), __ATOMIC_RELAXED); } while (0)

uint64_t wb__ddb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ URLs */

static int valid_region(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > 40)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return 0;
	return 1;
}

/* Region from a host "dynamodb.REGION.amazonaws.com[.cn]" into out, or "". */
static void region_from_host(char *out, size_t size, const char *host)
{
	const char *p = strncmp(host, "dynamodb.", 9) == 0 ? host + 9 : NULL;
	const char *e = p ? strstr(p, ".amazonaws.com") : NULL;

	out[0] = '\0';
	if (p && e && (size_t)(e - p) < size) {
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = '\0';
		if (!valid_region(out))
			out[0] = '\0';
	}
}

static int default_region(struct wb__ddb_endpoint *ep, const char *url)
{
	const char *r = getenv("AWS_REGION");

	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	if (r && *r) {
		if (!valid_region(r))
			return wb__error(NULL, WB_EINVALID, "AWS region '%s' (from AWS_REGION or AWS_DEFAULT_REGION) is not valid", r);
		snprintf(ep->region, sizeof(ep->region), "%s", r);
		return 0;
	}
	if (ep->local) {
		snprintf(ep->region, sizeof(ep->region), "us-east-1");
		return 0;
	}
	return wb__error(NULL, WB_EINVALID, "no AWS region for %s: add ?region=REGION, or set AWS_REGION", url);
}

/* "dynamodb:REGION" */
static int parse_region_url(struct wb__ddb_endpoint *ep, const char *region, const char *url)
{
	const char *suffix;

	char r[sizeof(ep->region)];

	if (!*region) {
		if (default_region(ep, url) < 0)
			return WB_EINVALID;
		memcpy(r, ep->region, sizeof(r));
		return parse_region_url(ep, r, url);
	}
	if (!valid_region(region))
		return wb__error(NULL, WB_EINVALID,
				 "invalid target '%s': the region must be letters, digits and '-' (dynamodb:us-east-1)", url);
	snprintf(ep->region, sizeof(ep->region), "%s", region);
	suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
	snprintf(ep->host, sizeof(ep->host), "dynamodb.%s.%s", region, suffix);
	snprintf(ep->url, sizeof(ep->url), "https://%s/", ep->host);
	return 0;
}

static int valid_host(const char *h, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

/*
 * The host part "HOST[:PORT]" or "[V6][:PORT]" (n bytes): a host that is
 * not empty and, when given, a port from 1 to 65535; curl would only fail
 * later with a less clear message.
 */
static int check_host_port(const char *h, size_t n, const char *url)
{
	const char *end = h + n, *port;

	if (h[0] == '[') {
		const char *rb = memchr(h, ']', n);
		if (!rb || rb == h + 1)
			return wb__error(NULL, WB_EINVALID, "invalid target '%s': no host between '[' and ']'", url);
		if (rb + 1 < end && rb[1] != ':')
			return wb__error(NULL, WB_EINVALID, "invalid target '%s': only :PORT may follow ']'", url);
		port = rb + 1 < end ? rb + 2 : NULL;
	} else {
		const char *colon = memchr(h, ':', n);
		if (colon == h)
			return wb__error(NULL, WB_EINVALID, "invalid target '%s': no host before the port", url);
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return wb__error(NULL, WB_EINVALID, "invalid target '%s': an IPv6 host goes in brackets "
					 "(dynamodb://[::1]:8000)", url);
		port = colon ? colon + 1 : NULL;
	}
	if (!port)
		return 0;
	long v = 0;
	for (const char *p = port; p < end && v <= 65535; p++)
		v = (*p >= '0' && *p <= '9') ? v * 10 + (*p - '0') : 99999999;
	if (port == end || v < 1 || v > 65535)
		return wb__error(NULL, WB_EINVALID, "invalid target '%s': the port must be a number from 1 to 65535",
				 url);
	return 0;
}

/* "dynamodb://HOST[:PORT][/][?region=R]" and "dynamodbs://..." */
static int parse_host_url(struct wb__ddb_endpoint *ep, const char *rest, int tls, const char *url)
{
	const char *end = rest + strcspn(rest, "/?#");
	const char *q = strchr(rest, '?');
	const char *scheme = tls ? "dynamodbs" : "dynamodb";
	size_t n = (size_t)(end - rest);
	int has_port;

	if (memchr(rest, '@', strlen(rest)))
		return wb__error(NULL, WB_EINVALID,
				 "%s URL with user information: credentials never go in a target URL; "
				 "use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile", scheme);
	if (!valid_host(rest, n) || n >= 256)
		return wb__error(NULL, WB_EINVALID, "invalid target '%s': expected %s://HOST[:PORT]", url, scheme);
	if (*end && *end != '?' && strcmp(end, "/") != 0 && strncmp(end, "/?", 2) != 0)
		return wb__error(NULL, WB_EINVALID, "invalid target '%s': no path may follow the host", url);
	if (check_host_port(rest, n, url) < 0)
		return WB_EINVALID;
	ep->local = !tls;
	if (rest[0] == '[') {
		const char *rb = memchr(rest, ']', n);
		if (!rb)
			return wb__error(NULL, WB_EINVALID, "invalid target '%s': unclosed '[' in the host", url);
		has_port = rb + 1 < end && rb[1] == ':';
	} else {
		has_port = memchr(rest, ':', n) != NULL;
	}
	if (has_port || tls)
		snprintf(ep->host, sizeof(ep->host), "%.*s", (int)n, rest);
	else
		snprintf(ep->host, sizeof(ep->host), "%.*s:8000", (int)n, rest);
	snprintf(ep->url, sizeof(ep->url), "%s://%s/", tls ? "https" : "http", ep->host);
	if (q) {
		if (strncmp(q, "?region=", 8) != 0 || !valid_region(q + 8))
			return wb__error(NULL, WB_EINVALID, "invalid target '%s': the only option is ?region=REGION", url);
		snprintf(ep->region, sizeof(ep->region), "%s", q + 8);
		return 0;
	}
	region_from_host(ep->region, sizeof(ep->region), ep->host);
	return ep->region[0] ? 0 : default_region(ep, url);
}

int wb__dynamodb_parse_url(struct wb__ddb_endpoint *out, const char *url)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(url, "dynamodb://", 11) == 0)
		return parse_host_url(out, url + 11, 0, url);
	if (strncmp(url, "dynamodbs://", 12) == 0)
		return parse_host_url(out, url + 12, 1, url);
	if (strncmp(url, "dynamodb:", 9) == 0 && !strchr(url + 9, '/') && !strchr(url + 9, '@'))
		return parse_region_url(out, url + 9, url);
	return wb__error(NULL, WB_EINVALID,
			 "invalid DynamoDB target: expected dynamodb://HOST:PORT, dynamodbs://HOST[:PORT] or dynamodb:REGION");
}

/* ---------------------------------------------------------- clients */

int wb__ddb_client_new(struct wb__ddb_client **out, const char *url)
{
	struct wb__ddb_client *c;
	int rc;

	*out = NULL;
	if (!(c = wb__calloc(1, sizeof(*c))))
		return WB_ENOMEM;
	if ((rc = wb__dynamodb_parse_url(&c->ep, url)) < 0)
		goto fail;
	if ((rc = wb__aws_creds_resolve(&c->creds, c->ep.local)) < 0)
		goto fail;
	pthread_mutex_init(&c->lock, NULL);
	c->retry = (struct wb__dynamodb_retry){25, 2000, 10, 60000};
	c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 88172645463325252ULL;
	*out = c;
	return 0;
fail:
	wb__aws_creds_clear(&c->creds);
	free(c);
	return rc;
}

/* With WHIMBREL_DYNAMODB_STATS set, one line of counters on stderr when a handle closes. */
static void print_stats(const struct wb__ddb_client *c)
{
	const struct wb__dynamodb_stats *s = &c->stats;
	const char *e = getenv("WHIMBREL_DYNAMODB_STATS");

	if (!e || !*e || strcmp(e, "0") == 0)
		return;
	fprintf(stderr, "whimbrel: dynamodb %s: %llu requests, retries: %llu throttled, %llu 5xx, %llu network, "
		"%llu unprocessed (%llu entries); %llu conditions failed, %llu conditions narrowed, %llu gave up, "
		"%llu ms backoff\n",
		c->ep.host, (unsigned long long)s->requests, (unsigned long long)s->retries_throttle,
		(unsigned long long)s->retries_5xx, (unsigned long long)s->retries_network,
		(unsigned long long)s->retries_unprocessed, (unsigned long long)s->unprocessed_items,
		(unsigned long long)s->conditions_failed, (unsigned long long)s->conditions_narrowed,
		(unsigned long long)s->gave_up, (unsigned long long)s->backoff_ms);
}

void wb__ddb_client_free(struct wb__ddb_client *c)
{
	if (!c)
		return;
	print_stats(c);
	for (size_t i = 0; i < c->nidle; i++)
		wb__http_free(c->idle[i]);
	free(c->idle);
	wb__aws_creds_clear(&c->creds);
	OPENSSL_cleanse(c->signing_key, sizeof(c->signing_key));
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void wb__ddb_client_stats(struct wb__ddb_client *c, struct wb__dynamodb_stats *out)
{
	if (!c) {
		out->requests = __atomic_load_n(&totals.requests, __ATOMIC_RELAXED);
		out->retries_throttle = __atomic_load_n(&totals.retries_throttle, __ATOMIC_RELAXED);
		out->retries_5xx = __atomic_load_n(&totals.retries_5xx, __ATOMIC_RELAXED);
		out->retries_network = __atomic_load_n(&totals.retries_network, __ATOMIC_RELAXED);
		out->retries_unprocessed = __atomic_load_n(&totals.retries_unprocessed, __ATOMIC_RELAXED);
		out->unprocessed_items = __atomic_load_n(&totals.unprocessed_items, __ATOMIC_RELAXED);
		out->conditions_failed = __atomic_load_n(&totals.conditions_failed, __ATOMIC_RELAXED);
		out->gave_up = __atomic_load_n(&totals.gave_up, __ATOMIC_RELAXED);
		out->backoff_ms = __atomic_load_n(&totals.backoff_ms, __ATOMIC_RELAXED);
		out->conditions_narrowed = __atomic_load_n(&totals.conditions_narrowed, __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

void wb__ddb_client_count_narrowed(struct wb__ddb_client *c)
{
	pthread_mutex_lock(&c->lock);
	COUNT(c, conditions_narrowed, 1);
	pthread_mutex_unlock(&c->lock);
}

/* The tests' request hook (wb__dynamodb_set_request_hook). */
static wb__dynamodb_request_hook request_hook;
static void *request_hook_arg;

void wb__dynamodb_set_request_hook(wb__dynamodb_request_hook fn, void *arg)
{
	request_hook_arg = arg;
	request_hook = fn;
}

void wb__ddb_client_set_retry(struct wb__ddb_client *c, const struct wb__dynamodb_retry *r)
{
	pthread_mutex_lock(&c->lock);
	c->retry = *r;
	if (c->retry.max_attempts == 0)
		c->retry.max_attempts = 1;
	pthread_mutex_unlock(&c->lock);
}

/* -------------------------------------------------------- one attempt */

/* What an attempt came to. */
enum outcome {
	OK = 0,      /* 200 with a JSON body */
	FATAL,       /* an error not to retry; code and message set */
	THROTTLED,   /* retry: throttling */
	SERVER,      /* retry: 5xx */
	NETWORK      /* retry: transport failure */
};

struct attempt {
	enum outcome outcome; /* see above */
	int code;             /* WB_E* for FATAL */
	char type[96];        /* __type after '#', or "" */
	char msg[600];        /* the service's or curl's message */
	long status;          /* HTTP status, 0 on transport failure */
};

/* "NAME: VALUE" into out (size bytes), cut short when it does not fit; no printf, it is per request. */
static const char *header_line(char *out, size_t size, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);

	if (n + 2 + v + 1 > size)
		v = n + 3 < size ? size - n - 3 : 0;
	memcpy(out, name, n);
	memcpy(out + n, ": ", 2);
	memcpy(out + n + 2, value, v);
	out[n + 2 + v] = '\0';
	return out;
}

/* What a request is signed with: the date and that day's key (copied under the lock). */
struct signing {
	char amz_date[17];
	unsigned char key[32];
};

/* The x-amz-date of now (formatted once a second) and its day's key into s; under c->lock. */
static void signing_now(struct wb__ddb_client *c, struct signing *s)
{
	time_t now = time(NULL);

	if (now != c->date_at || !c->amz_date[0]) {
		wb__sigv4_amz_date(c->amz_date, now);
		c->date_at = now;
	}
	if (strncmp(c->key_day, c->amz_date, 8) != 0) { /* a new day: a new signing key */
		wb__sigv4_signing_key(c->signing_key, c->creds.secret_key, c->amz_date, c->ep.region, "dynamodb");
		memcpy(c->key_day, c->amz_date, 8);
		c->key_day[8] = '\0';
	}
	memcpy(s->amz_date, c->amz_date, sizeof(s->amz_date));
	memcpy(s->key, c->signing_key, sizeof(s->key));
}

/* A connection of the pool (an idle one, else a new one); under c->lock. */
static int conn_take(struct wb__ddb_client *c, wb__http **out)
{
	if (c->nidle) {
		*out = c->idle[--c->nidle];
		return 0;
	}
	return wb__http_new(out);
}

/* Give a connection back to the pool (closed when the pool cannot grow); under c->lock. */
static void conn_give(struct wb__ddb_client *c, wb__http *h)
{
	if (c->nidle == c->idle_cap) {
		size_t cap = c->idle_cap ? 2 * c->idle_cap : 4;
		wb__http **n = realloc(c->idle, cap * sizeof(*n));
		if (!n) {
			wb__http_free(h);
			return;
		}
		c->idle = n;
		c->idle_cap = cap;
	}
	c->idle[c->nidle++] = h;
}

static int sign_and_send(struct wb__ddb_client *c, wb__http *http, const struct signing *sg, const char *op,
			 const char *body, size_t len, struct wb__http_response *resp, char *errbuf, size_t errsize)
{
	static const char prefix[] = "DynamoDB_20120810.";
	char target[64], *authz = NULL;
	char h_host[600], h_date[64], h_target[96], *h_token = NULL, *h_authz = NULL;
	const char *amz_date = sg->amz_date;
	struct wb__sigv4_header sh[5];
	const char *hdrs[6];
	size_t n = 4, nh = 0, oplen = strlen(op);
	struct wb__sigv4_request req;
	int rc;

	if (oplen > sizeof(target) - sizeof(prefix))
		return wb__error(NULL, WB_EINVALID, "DynamoDB operation name '%.40s...' is too long", op);
	memcpy(target, prefix, sizeof(prefix) - 1);
	memcpy(target + sizeof(prefix) - 1, op, oplen + 1);
	sh[0] = (struct wb__sigv4_header){"host", c->ep.host};
	sh[1] = (struct wb__sigv4_header){"content-type", "application/x-amz-json-1.0"};
	sh[2] = (struct wb__sigv4_header){"x-amz-date", amz_date};
	sh[3] = (struct wb__sigv4_header){"x-amz-target", target};
	if (c->creds.session_token)
		sh[n++] = (struct wb__sigv4_header){"x-amz-security-token", c->creds.session_token};
	req = (struct wb__sigv4_request){"POST", "/", NULL, sh, n, body, len};
	if ((rc = wb__sigv4_authorization_key(&authz, &req, c->creds.access_key, c->ep.region, "dynamodb",
					      amz_date, sg->key)) < 0)
		return rc;
	hdrs[nh++] = header_line(h_host, sizeof(h_host), "Host", c->ep.host);
	hdrs[nh++] = "Content-Type: application/x-amz-json-1.0";
	hdrs[nh++] = header_line(h_date, sizeof(h_date), "X-Amz-Date", amz_date);
	hdrs[nh++] = header_line(h_target, sizeof(h_target), "X-Amz-Target", target);
	if (c->creds.session_token) {
		if (asprintf(&h_token, "X-Amz-Security-Token: %s", c->creds.session_token) < 0)
			h_token = NULL;
		hdrs[nh++] = h_token ? h_token : "";
	}
	if ((h_authz = malloc(strlen(authz) + sizeof("Authorization: "))))
		header_line(h_authz, strlen(authz) + sizeof("Authorization: "), "Authorization", authz);
	free(authz);
	if (!h_authz || (c->creds.session_token && !h_token)) {
		free(h_token);
		free(h_authz);
		return wb__oom(NULL);
	}
	hdrs[nh++] = h_authz;
	rc = wb__http_post(http, c->ep.url, hdrs, nh, body, len, resp, errbuf, errsize);
	if (h_token)
		OPENSSL_cleanse(h_token, strlen(h_token));
	free(h_token);
	free(h_authz);
	return rc;
}

/* Map an error answer's type (after '#') to an outcome and code. */
static void classify(struct attempt *a, const char *op)
{
	static const char *const throttles[] = {
		"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
		"LimitExceededException", "Throttling", "TooManyRequestsException",
	};
	const char *t = a->type;

	a->outcome = FATAL;
	for (size_t i = 0; i < WB_ARRAY_SIZE(throttles); i++)
		if (strcmp(t, throttles[i]) == 0) {
			a->outcome = THROTTLED;
			return;
		}
	if (a->status >= 500 || strcmp(t, "InternalServerError") == 0 || strcmp(t, "ServiceUnavailable") == 0) {
		a->outcome = SERVER;
		return;
	}
	if (strcmp(t, "ConditionalCheckFailedException") == 0)
		a->code = WB_ECONDITION;
	else if (strcmp(t, "ResourceNotFoundException") == 0)
		a->code = WB_ENOTFOUND;
	else if (strcmp(t, "ResourceInUseException") == 0)
		a->code = strcmp(op, "CreateTable") == 0 ? WB_EEXISTS : WB_EBUSY;
	else if (strcmp(t, "ValidationException") == 0 || strcmp(t, "SerializationException") == 0 ||
		 strcmp(t, "ItemCollectionSizeLimitExceededException") == 0)
		a->code = WB_EINVALID;
	else
		a->code = WB_ERROR; /* authentication, access and anything unknown */
}

/* Read __type and message of an error body into a. */
static void parse_error(struct attempt *a, const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *t = j ? json_string_value(json_object_get(j, "__type")) : NULL;
	const char *m = j ? json_string_value(json_object_get(j, "message")) : NULL;

	if (j && !m)
		m = json_string_value(json_object_get(j, "Message"));
	if (t) {
		const char *h = strrchr(t, '#');
		snprintf(a->type, sizeof(a->type), "%s", h ? h + 1 : t);
	}
	if (m)
		snprintf(a->msg, sizeof(a->msg), "%s", m);
	else if (!j)
		snprintf(a->msg, sizeof(a->msg), "HTTP %ld with a body that is not JSON", a->status);
	json_decref(j);
}

/*
 * Send one request over a connection of the pool: the one function every
 * DynamoDB request of the process goes through (every attempt, every
 * thread).  Counts it, signs it and sends it without holding c->lock.  On
 * success the connection goes back to the pool after `take` copied the
 * answer out of it; after a transport failure it is closed (the next
 * request opens a fresh one).  Returns wb__http_post's code.
 */
static int send_request(struct wb__ddb_client *c, const char *op, const char *body, size_t len,
			struct attempt *a, void (*take)(struct attempt *, const struct wb__http_response *, void *),
			void *arg)
{
	struct wb__http_response r = {0};
	struct signing sg;
	wb__http *h = NULL;
	int rc;

	pthread_mutex_lock(&c->lock);
	COUNT(c, requests, 1);
	rc = conn_take(c, &h);
	if (rc == 0)
		signing_now(c, &sg);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0) {
		snprintf(a->msg, sizeof(a->msg), "%s", wb_error_last());
		return rc;
	}
	rc = sign_and_send(c, h, &sg, op, body, len, &r, a->msg, sizeof(a->msg));
	OPENSSL_cleanse(sg.key, sizeof(sg.key));
	if (rc == 0)
		take(a, &r, arg);
	pthread_mutex_lock(&c->lock);
	if (rc == WB_EIO || rc == WB_ERROR)
		wb__http_free(h); /* it may be half-closed */
	else
		conn_give(c, h);
	if (rc == 0 && a->code == WB_ECONDITION)
		COUNT(c, conditions_failed, 1);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Where an answer goes: the caller's text. */
struct answer {
	const char *op;
	char **resp;
	size_t *resp_len;
};

/* Read an answer: on 200 copy its body out, else classify its error. */
static void take_answer(struct attempt *a, const struct wb__http_response *r, void *arg)
{
	struct answer *an = arg;

	if ((a->status = r->status) != 200) {
		parse_error(a, r->body, r->len);
		classify(a, an->op);
	} else if ((*an->resp = malloc(r->len + 1))) {
		memcpy(*an->resp, r->body, r->len);
		(*an->resp)[r->len] = '\0';
		*an->resp_len = r->len;
		a->outcome = OK;
	} else {
		a->outcome = FATAL;
		a->code = WB_ENOMEM;
		snprintf(a->msg, sizeof(a->msg), "out of memory");
	}
}

/* One attempt; on OK the answer's text (malloc'ed, NUL-terminated) goes to *resp. */
static void attempt_once(struct wb__ddb_client *c, const char *op, const char *body, size_t len,
			 struct attempt *a, char **resp, size_t *resp_len)
{
	struct answer an = {op, resp, resp_len};
	int rc;

	memset(a, 0, sizeof(*a));
	rc = send_request(c, op, body, len, a, take_answer, &an);
	if (rc == WB_EIO) {
		a->outcome = NETWORK;
	} else if (rc == WB_ERROR) { /* a transport failure no retry mends (TLS trust) */
		a->outcome = FATAL;
		a->code = WB_EIO;
		char m[sizeof(a->msg)];
		snprintf(m, sizeof(m), "connection to %.200s failed: %.300s", c->ep.host, a->msg);
		memcpy(a->msg, m, sizeof(m));
	} else if (rc < 0) {
		a->outcome = FATAL;
		a->code = rc;
		if (!a->msg[0])
			snprintf(a->msg, sizeof(a->msg), "%s", wb_error_last());
	}
}

/* Full-jitter backoff for retry number n (1 = first retry), in ms. */
static uint64_t jitter_ms(struct wb__ddb_client *c, unsigned n)
{
	uint64_t ceil = c->retry.base_ms, x;

	for (unsigned i = 1; i < n && ceil < c->retry.cap_ms; i++)
		ceil *= 2;
	if (ceil > c->retry.cap_ms)
		ceil = c->retry.cap_ms;
	pthread_mutex_lock(&c->lock);
	x = c->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	pthread_mutex_unlock(&c->lock);
	return ceil ? x % (ceil + 1) : 0;
}

/* Sleep before retry n if attempts and budget allow; 0 = go on, -1 = give up. */
static int backoff(struct wb__ddb_client *c, unsigned n, uint64_t start)
{
	uint64_t ms;

	if (n + 1 > c->retry.max_attempts)
		return -1;
	ms = jitter_ms(c, n);
	if (wb__ddb_now_ms() + ms - start > c->retry.budget_ms)
		return -1;
	sleep_ms(ms);
	pthread_mutex_lock(&c->lock);
	COUNT(c, backoff_ms, ms);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void count_retry(struct wb__ddb_client *c, enum outcome o)
{
	pthread_mutex_lock(&c->lock);
	if (o == THROTTLED)
		COUNT(c, retries_throttle, 1);
	else if (o == SERVER)
		COUNT(c, retries_5xx, 1);
	else
		COUNT(c, retries_network, 1);
	pthread_mutex_unlock(&c->lock);
	wb__retry_note(o == THROTTLED);
}

/* Record the failure of a call on db. */
static int report(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
		  const struct attempt *a, unsigned attempts, uint64_t start)
{
	char where[400];
	int code = a->code;

	if (table)
		snprintf(where, sizeof(where), "DynamoDB %s on table %s", op, table);
	else
		snprintf(where, sizeof(where), "DynamoDB %s", op);
	if (a->outcome == FATAL && a->type[0])
		return wb__error(db, code, "%s: %s: %s", where, a->type, a->msg);
	if (a->outcome == FATAL)
		return wb__error(db, code, "%s: %s", where, a->msg);
	pthread_mutex_lock(&c->lock);
	COUNT(c, gave_up, 1);
	pthread_mutex_unlock(&c->lock);
	code = a->outcome == THROTTLED ? WB_ETHROTTLED : WB_EIO;
	if (a->outcome == NETWORK)
		return wb__error(db, code, "%s: connection to %s failed: %s (gave up after %u attempts in %.1f s)",
				 where, c->ep.host, a->msg, attempts, (double)(wb__ddb_now_ms() - start) / 1000.0);
	return wb__error(db, code, "%s: %s%s%s (HTTP %ld; gave up after %u attempts in %.1f s)", where,
			 a->type[0] ? a->type : "server error", a->msg[0] ? ": " : "", a->msg, a->status,
			 attempts, (double)(wb__ddb_now_ms() - start) / 1000.0);
}

int wb__ddb_call_text(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
		      const char *body, size_t len, char **resp, size_t *resp_len)
{
	struct wb__ddb_paced p;
	struct attempt a;
	uint64_t start = wb__ddb_now_ms();
	unsigned n;
	int rc;

	*resp = NULL;
	*resp_len = 0;
	if ((rc = wb__ddb_pace_begin(&p, c, db, op, table, body, len)) < 0)
		return rc;
	if (p.body) { /* with ReturnConsumedCapacity */
		body = p.body;
		len = p.len;
	}
	for (n = 1;; n++) {
		if (request_hook)
			request_hook(op, body, len, request_hook_arg);
		wb__ddb_pace_wait(&p);
		attempt_once(c, op, body, len, &a, resp, resp_len);
		if (a.outcome == OK) {
			wb__ddb_pace_answer(&p, *resp, *resp_len);
			break;
		}
		if (a.outcome == THROTTLED)
			wb__ddb_pace_throttled(&p);
		if (a.outcome == FATAL || backoff(c, n, start) < 0) {
			rc = report(c, db, op, table, &a, n, start);
			break;
		}
		count_retry(c, a.outcome);
	}
	wb__ddb_pace_end(&p);
	return rc;
}

int wb__ddb_call(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
		 json_t *req, json_t **resp)
{
	char *body, *text = NULL;
	size_t len = 0;
	json_error_t err;
	int rc;

	*resp = NULL;
	if (!(body = json_dumps(req, JSON_COMPACT)))
		return wb__oom(db);
	rc = wb__ddb_call_text(c, db, op, table, body, strlen(body), &text, &len);
	free(body);
	if (rc < 0)
		return rc;
	*resp = json_loadb(text, len, JSON_ALLOW_NUL, &err);
	free(text);
	if (!*resp || !json_is_object(*resp)) {
		json_decref(*resp);
		*resp = NULL;
		return wb__error(db, WB_EIO, "DynamoDB %s: the answer is not a JSON object: %s", op, err.text);
	}
	return 0;
}

int wb__ddb_backoff_unprocessed(struct wb__ddb_client *c, wb_db *db, const char *op, const char *table,
				unsigned attempt, uint64_t start, size_t nunprocessed)
{
	pthread_mutex_lock(&c->lock);
	COUNT(c, unprocessed_items, nunprocessed);
	pthread_mutex_unlock(&c->lock);
	wb__ddb_pace_unprocessed(table);
	if (backoff(c, attempt, start) < 0) {
		pthread_mutex_lock(&c->lock);
		COUNT(c, gave_up, 1);
		pthread_mutex_unlock(&c->lock);
		return wb__error(db, WB_ETHROTTLED,
				 "DynamoDB %s on table %s: %zu entries still unprocessed after %u attempts in %.1f s",
				 op, table, nunprocessed, attempt, (double)(wb__ddb_now_ms() - start) / 1000.0);
	}
	pthread_mutex_lock(&c->lock);
	COUNT(c, retries_unprocessed, 1);
	wb__retry_note(1); /* entries left unprocessed: the table's throughput was exceeded */
	pthread_mutex_unlock(&c->lock);
	return 0;
}
