/*
 * http_plain.c - HTTP/1.1 POST over a plain kept-alive TCP connection (see
 * http_plain.h).
 *
 * The connection is opened (getaddrinfo, non-blocking connect bounded by
 * 5 s, TCP_NODELAY, SO_KEEPALIVE, 30 s send and receive timeouts) on the
 * first request and kept while the server keeps it.  Answers are read into
 * one growing buffer: status line, headers (Content-Length,
 * Transfer-Encoding: chunked, Connection: close), then the body, which is
 * de-chunked in place when needed.  1xx answers are skipped.  Any answer
 * bytes beyond the one awaited, or an answer without a length, end the
 * connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "http_plain.h"

struct wb__plain {
	int fd;           /* the connection, -1 = none */
	char url[600];    /* the URL the connection is for ("" = none) */
	char host[300];   /* its host (without brackets) */
	char port[8];     /* its port */
	const char *path; /* its path, inside url */
	int has_port;     /* the URL named the port */
	char *head;       /* request head being sent */
	size_t head_cap;  /* bytes allocated at head */
	char *in;         /* answer bytes read */
	size_t in_len;    /* bytes in `in` */
	size_t in_cap;    /* bytes allocated at in */
};

enum { CONNECT_MS = 5000, STALL_S = 30, TOTAL_MS = 60000 };

int wb__plain_new(wb__plain **out)
{
	struct wb__plain *p = wb__calloc(1, sizeof(*p));

	*out = p;
	if (!p)
		return WB_ENOMEM;
	p->fd = -1;
	return 0;
}

void wb__plain_reset(wb__plain *p)
{
	if (p && p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
}

void wb__plain_free(wb__plain *p)
{
	if (!p)
		return;
	wb__plain_reset(p);
	free(p->head);
	free(p->in);
	free(p);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Split "http://HOST[:PORT]/PATH" into p->host, p->port, p->path; 0 or -1. */
static int parse_url(struct wb__plain *p, const char *url)
{
	const char *h, *e, *colon = NULL;
	size_t n;

	if (strlen(url) >= sizeof(p->url) || strncmp(url, "http://", 7) != 0)
		return -1;
	memcpy(p->url, url, strlen(url) + 1);
	h = p->url + 7;
	e = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));
		if (!rb)
			return -1;
		if (rb + 1 < e && rb[1] == ':')
			colon = rb + 1;
		else if (rb + 1 != e)
			return -1;
		n = (size_t)(rb - h - 1);
		h++;
	} else {
		colon = memchr(h, ':', (size_t)(e - h));
		n = (size_t)((colon ? colon : e) - h);
	}
	if (n == 0 || n >= sizeof(p->host))
		return -1;
	memcpy(p->host, h, n);
	p->host[n] = '\0';
	p->has_port = colon != NULL;
	if (colon) {
		n = (size_t)(e - colon - 1);
		if (n == 0 || n >= sizeof(p->port) || strspn(colon + 1, "0123456789") < n)
			return -1;
		memcpy(p->port, colon + 1, n);
		p->port[n] = '\0';
	} else {
		memcpy(p->port, "80", 3);
	}
	p->path = *e == '/' ? e : "/";
	return 0;
}

/* Connect a socket of ai within CONNECT_MS; the fd or -1 (errno set). */
static int connect_one(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	struct pollfd pf;
	int err = 0, one = 1;
	socklen_t el = sizeof(err);
	struct timeval tv = {STALL_S, 0};

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pf = (struct pollfd){fd, POLLOUT, 0};
		int r = poll(&pf, 1, CONNECT_MS);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			errno = err ? err : errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Open the connection to p->host:p->port; 0 or WB_EIO with errbuf set. */
static int open_conn(struct wb__plain *p, char *errbuf, size_t errsize)
{
	struct addrinfo hints = {0}, *res = NULL;
	int gai, err = ECONNREFUSED;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(p->host, p->port, &hints, &res)) != 0) {
		snprintf(errbuf, errsize, "could not resolve host %s: %s", p->host, gai_strerror(gai));
		return WB_EIO;
	}
	for (struct addrinfo *ai = res; ai && p->fd < 0; ai = ai->ai_next)
		if ((p->fd = connect_one(ai)) < 0)
			err = errno;
	freeaddrinfo(res);
	if (p->fd < 0) {
		snprintf(errbuf, errsize, "could not connect to %s port %s: %s", p->host, p->port, strerror(err));
		return WB_EIO;
	}
	return 0;
}

/* Grow buf (of *cap bytes) to hold need bytes; 0 or -1. */
static int reserve(char **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;
	char *b;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(b = realloc(*buf, c)))
		return -1;
	*buf = b;
	*cap = c;
	return 0;
}

/* The request head into p->head; its length, or 0 when out of memory. */
static size_t build_head(struct wb__plain *p, const char *const *headers, size_t nheaders, size_t len)
{
	size_t need = strlen(p->path) + 64 + strlen(p->host) + 16, o = 0;
	int has_host = 0;
	char num[32];

	for (size_t i = 0; i < nheaders; i++) {
		need += strlen(headers[i]) + 2;
		has_host |= strncasecmp(headers[i], "Host:", 5) == 0;
	}
	if (reserve(&p->head, &p->head_cap, need) < 0)
		return 0;
#define PUT(s, n) (memcpy(p->head + o, (s), (n)), o += (n))
	PUT("POST ", 5);
	PUT(p->path, strlen(p->path));
	PUT(" HTTP/1.1\r\n", 11);
	if (!has_host) {
		PUT("Host: ", 6);
		PUT(p->host, strlen(p->host));
		if (p->has_port) {
			PUT(":", 1);
			PUT(p->port, strlen(p->port));
		}
		PUT("\r\n", 2);
	}
	for (size_t i = 0; i < nheaders; i++) {
		PUT(headers[i], strlen(headers[i]));
		PUT("\r\n", 2);
	}
	size_t k = 0;
	do
		num[k++] = (char)('0' + len % 10);
	while ((len /= 10) > 0);
	PUT("Content-Length: ", 16);
	while (k > 0)
		p->head[o++] = num[--k];
	PUT("\r\n\r\n", 4);
#undef PUT
	return o;
}

/* Send head and body; 0, or -1 with errno set. */
static int send_all(int fd, const char *head, size_t hlen, const char *body, size_t blen)
{
	struct iovec iov[2] = {{(void *)head, hlen}, {(void *)body, blen}};
	struct msghdr m = {0};

	m.msg_iov = iov;
	m.msg_iovlen = blen ? 2 : 1;
	while (m.msg_iovlen > 0) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		while (m.msg_iovlen > 0 && (size_t)n >= m.msg_iov->iov_len) {
			n -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + n;
			m.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* What an answer's head says. */
struct head {
	long status;      /* HTTP status */
	size_t head_len;  /* bytes of status line and headers, blank line included */
	long long length; /* Content-Length, -1 = none */
	int chunked;      /* Transfer-Encoding: chunked */
	int close;        /* the server will close the connection */
};

/* Header `name` (with its ':') at line? Then its value, else NULL. */
static const char *header_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0)
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* Parse the head in in[0..end) (end at the blank line); 0 or -1. */
static int parse_head(const char *in, size_t end, struct head *h)
{
	const char *line = in, *v;

	memset(h, 0, sizeof(*h));
	h->length = -1;
	h->head_len = end;
	if (end < 12 || strncmp(in, "HTTP/1.", 7) != 0 || in[8] != ' ')
		return -1;
	h->close = in[7] == '0';
	if (in[9] < '1' || in[9] > '9' || in[10] < '0' || in[10] > '9' || in[11] < '0' || in[11] > '9')
		return -1;
	h->status = (in[9] - '0') * 100 + (in[10] - '0') * 10 + (in[11] - '0');
	while ((line = memchr(line, '\n', (size_t)(in + end - line))) && ++line < in + end) {
		if ((v = header_value(line, "Content-Length:"))) {
			char *stop;
			h->length = strtoll(v, &stop, 10);
			if (stop == v || h->length < 0)
				return -1;
		} else if ((v = header_value(line, "Transfer-Encoding:"))) {
			h->chunked = strncasecmp(v, "chunked", 7) == 0;
		} else if ((v = header_value(line, "Connection:"))) {
			if (strncasecmp(v, "close", 5) == 0)
				h->close = 1;
			else if (strncasecmp(v, "keep-alive", 10) == 0)
				h->close = 0;
		}
	}
	return 0;
}

/*
 * The chunked body at in[from..in_len): returns 1 when complete (*used =
 * bytes of the encoding; with `apply`, the data is also moved together in
 * place from `from` and *body_len set), 0 when more bytes are needed, -1
 * when malformed.  Called without `apply` until complete, so that a partial
 * body is never moved.
 */
static int dechunk(char *in, size_t from, size_t in_len, int apply, size_t *body_len, size_t *used)
{
	size_t r = from, w = from;

	for (;;) {
		char *nl = memchr(in + r, '\n', in_len - r), *stop;
		unsigned long long n;
		if (!nl)
			return 0;
		n = strtoull(in + r, &stop, 16);
		if (stop == in + r)
			return -1;
		r = (size_t)(nl - in) + 1;
		if (n == 0) { /* trailers, then a blank line */
			for (;;) {
				char *e = memchr(in + r, '\n', in_len - r);
				if (!e)
					return 0;
				int blank = e == in + r || (e == in + r + 1 && in[r] == '\r');
				r = (size_t)(e - in) + 1;
				if (blank) {
					*body_len = w - from;
					*used = r - from;
					return 1;
				}
			}
		}
		if (n >= in_len - r) /* the data and at least its line end */
			return 0;
		if (apply)
			memmove(in + w, in + r, n);
		w += n;
		r += n;
		if (in[r] == '\r') {
			if (++r >= in_len)
				return 0;
		}
		if (in[r] != '\n')
			return -1;
		r++;
	}
}

/* Read more answer bytes; >0 read, 0 = closed, -1 = error (errno). */
static ssize_t read_more(struct wb__plain *p)
{
	ssize_t n;

	if (reserve(&p->in, &p->in_cap, p->in_len + 16384 + 1) < 0) {
		errno = ENOMEM;
		return -1;
	}
	do
		n = recv(p->fd, p->in + p->in_len, p->in_cap - p->in_len - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		p->in_len += (size_t)n;
		p->in[p->in_len] = '\0';
	}
	return n;
}

/* Outcome of reading an answer. */
enum rd { RD_OK, RD_NONE, RD_FAIL };

/* Read one answer (1xx skipped); RD_NONE = the connection ended before any byte. */
static enum rd read_answer(struct wb__plain *p, struct head *h, size_t *body_off, size_t *body_len,
			   uint64_t deadline, char *errbuf, size_t errsize)
{
	size_t start = 0, used = 0;
	ssize_t n;
	int got_head = 0;

	p->in_len = 0;
	for (;;) {
		if (!got_head) {
			char *e = p->in_len > start ? strstr(p->in + start, "\r\n\r\n") : NULL;
			if (e) {
				if (parse_head(p->in + start, (size_t)(e + 4 - p->in) - start, h) < 0) {
					snprintf(errbuf, errsize, "malformed HTTP answer from %s", p->host);
					return RD_FAIL;
				}
				if (h->status < 200) { /* 1xx: an interim answer, skip it */
					start += h->head_len;
					continue;
				}
				got_head = 1;
				*body_off = start + h->head_len;
				if (h->status == 204 || h->status == 304) { /* never a body */
					h->length = 0;
					h->chunked = 0;
				}
			}
		}
		if (got_head) {
			size_t have = p->in_len - *body_off;
			if (h->chunked) {
				int d = dechunk(p->in, *body_off, p->in_len, 0, body_len, &used);
				if (d < 0) {
					snprintf(errbuf, errsize, "malformed chunked answer from %s", p->host);
					return RD_FAIL;
				}
				if (d > 0) {
					dechunk(p->in, *body_off, p->in_len, 1, body_len, &used);
					h->close |= *body_off + used != p->in_len;
					return RD_OK;
				}
			} else if (h->length >= 0 && have >= (size_t)h->length) {
				*body_len = (size_t)h->length;
				h->close |= have != (size_t)h->length;
				return RD_OK;
			}
		}
		if (now_ms() > deadline) {
			snprintf(errbuf, errsize, "no complete answer from %s within %d s", p->host, TOTAL_MS / 1000);
			return RD_FAIL;
		}
		if ((n = read_more(p)) > 0)
			continue;
		if (n == 0 && got_head && !h->chunked && h->length < 0) { /* the body ends with the connection */
			*body_len = p->in_len - *body_off;
			h->close = 1;
			return RD_OK;
		}
		if (p->in_len == 0 && (n == 0 || errno == ECONNRESET))
			return RD_NONE;
		if (n == 0)
			snprintf(errbuf, errsize, "%s closed the connection in the middle of an answer", p->host);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			snprintf(errbuf, errsize, "no answer byte from %s for %d s", p->host, STALL_S);
		else
			snprintf(errbuf, errsize, "receiving from %s: %s", p->host, strerror(errno));
		return RD_FAIL;
	}
}

int wb__plain_post(wb__plain *p, const char *url, const char *const *headers, size_t nheaders,
		   const char *body, size_t len, long *status, const char **resp, size_t *resp_len,
		   char *errbuf, size_t errsize)
{
	uint64_t deadline = now_ms() + TOTAL_MS;
	size_t hlen, off = 0, blen = 0;
	struct head h;
	int rc;

	if (strcmp(url, p->url) != 0) {
		wb__plain_reset(p);
		if (parse_url(p, url) < 0) {
			p->url[0] = '\0';
			snprintf(errbuf, errsize, "malformed URL %.200s", url);
			return WB_ERROR;
		}
	}
	if (!(hlen = build_head(p, headers, nheaders, len)))
		return wb__oom(NULL);
	for (int attempt = 0;; attempt++) {
		int reused = p->fd >= 0;
		enum rd r;
		if (!reused && (rc = open_conn(p, errbuf, errsize)) < 0)
			return rc;
		if (send_all(p->fd, p->head, hlen, body ? body : "", len) < 0) {
			int err = errno;
			wb__plain_reset(p);
			if (reused && attempt == 0)
				continue; /* the kept-alive connection had died: once more on a new one */
			snprintf(errbuf, errsize, "sending to %s: %s", p->host, strerror(err));
			return WB_EIO;
		}
		r = read_answer(p, &h, &off, &blen, deadline, errbuf, errsize);
		if (r == RD_NONE) {
			wb__plain_reset(p);
			if (reused && attempt == 0)
				continue;
			snprintf(errbuf, errsize, "empty answer from %s (connection closed)", p->host);
			return WB_EIO;
		}
		if (r == RD_FAIL) {
			wb__plain_reset(p);
			return WB_EIO;
		}
		break;
	}
	if (h.close)
		wb__plain_reset(p);
	p->in[off + blen] = '\0';
	*status = h.status;
	*resp = p->in + off;
	*resp_len = blen;
	return 0;
}
