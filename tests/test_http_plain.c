/*
 * test_http_plain.c - the plain-HTTP client (src/http_plain.c) against a
 * scripted loopback server thread.
 *
 * The server reads each request whole (head and Content-Length body),
 * records it, and answers with the next canned answer of the test's
 * script, written in pieces to exercise partial reads; an answer marked
 * CLOSE_AFTER closes the connection after it, CLOSE_INSTEAD closes without
 * answering.  Checked: bodies by Content-Length and chunked, 1xx answers
 * skipped, keep-alive reuse (one connection for several requests),
 * "Connection: close" honoured, a dead kept-alive connection re-sent once,
 * a refused connection reported as WB_EIO, the request's head and body as
 * sent.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wbtest.h"
#include "http_plain.h"

enum { ANSWER, CLOSE_AFTER, CLOSE_INSTEAD };

struct step {
	int what;           /* ANSWER, CLOSE_AFTER or CLOSE_INSTEAD */
	const char *pieces[4]; /* the answer, written piece by piece */
};

struct server {
	int lfd;                   /* listening socket */
	int port;                  /* its port */
	const struct step *script; /* answers, in order */
	size_t nsteps;             /* how many */
	int accepts;               /* connections accepted */
	char last[4096];           /* the last request, head and body */
	pthread_t th;
};

/* Read one request (head + Content-Length body) into buf; its length, or 0 at EOF. */
static size_t read_request(int fd, char *buf, size_t size)
{
	size_t len = 0;
	char *e;

	for (;;) {
		buf[len] = '\0';
		if ((e = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strstr(buf, "Content-Length: ");
			size_t want = (size_t)(e + 4 - buf) + (cl ? (size_t)atol(cl + 16) : 0);
			if (len >= want)
				return len;
		}
		ssize_t n = recv(fd, buf + len, size - len - 1, 0);
		if (n <= 0)
			return 0;
		len += (size_t)n;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	size_t step = 0;
	char buf[4096];

	while (step < s->nsteps) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		s->accepts++;
		while (step < s->nsteps && read_request(fd, buf, sizeof(buf)) > 0) {
			const struct step *st = &s->script[step++];
			memcpy(s->last, buf, sizeof(buf));
			if (st->what == CLOSE_INSTEAD)
				break;
			for (int i = 0; i < 4 && st->pieces[i]; i++) {
				if (send(fd, st->pieces[i], strlen(st->pieces[i]), MSG_NOSIGNAL) < 0)
					break;
				usleep(2000);
			}
			if (st->what == CLOSE_AFTER)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *s, const struct step *script, size_t n)
{
	struct sockaddr_in a = {0};
	socklen_t al = sizeof(a);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->script = script;
	s->nsteps = n;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s->lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	close(s->lfd);
	pthread_join(s->th, NULL);
}

/* POST "{}" (or body) to the server; returns the rc, the answer in status/resp. */
static int post(wb__plain *p, const struct server *s, const char *body, long *status, const char **resp)
{
	char url[64], err[256] = "";
	const char *hdrs[] = {"X-Test: yes"};
	size_t len = 0;
	int rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
	rc = wb__plain_post(p, url, hdrs, 1, body, strlen(body), status, resp, &len, err, sizeof(err));
	if (rc == 0) {
		assert_int_equal(len, strlen(*resp));
	} else {
		printf("# %s\n", err);
		assert_true(err[0] != '\0'); /* failures say what */
	}
	return rc;
}

static void test_lengths_chunks_and_keepalive(void **state)
{
	static const struct step script[] = {
		{ANSWER, {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n", "\r\n{\"a\":", "1}\r\n"}},
		{ANSWER, {"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 400 Bad\r\ncontent-length: 2\r\n\r\n{}"}},
		{ANSWER, {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"b\":", "\r\n3\r\n22}\r\n",
			  "0\r\n\r\n"}},
		{CLOSE_AFTER, {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]"}},
		{ANSWER, {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}},
		{ANSWER, {"HTTP/1.1 204 No Content\r\n\r\n"}},
	};
	struct server s;
	wb__plain *p = NULL;
	const char *resp = NULL;
	long status = 0;

	(void)state;
	server_start(&s, script, sizeof(script) / sizeof(script[0]));
	wbt_ok(wb__plain_new(&p));
	wbt_ok(post(p, &s, "{\"x\":1}", &status, &resp));
	assert_int_equal(status, 200);
	assert_string_equal(resp, "{\"a\":1}\r\n");
	assert_non_null(strstr(s.last, "POST / HTTP/1.1\r\n"));
	assert_non_null(strstr(s.last, "\r\nHost: 127.0.0.1:"));
	assert_non_null(strstr(s.last, "\r\nX-Test: yes\r\nContent-Length: 7\r\n\r\n{\"x\":1}"));
	wbt_ok(post(p, &s, "{}", &status, &resp));
	assert_int_equal(status, 400);
	assert_string_equal(resp, "{}");
	wbt_ok(post(p, &s, "{}", &status, &resp));
	assert_int_equal(status, 200);
	assert_string_equal(resp, "{\"b\":22}");
	wbt_ok(post(p, &s, "{}", &status, &resp));
	assert_string_equal(resp, "[]");
	assert_int_equal(s.accepts, 1); /* kept alive until the server said close */
	wbt_ok(post(p, &s, "", &status, &resp));
	assert_string_equal(resp, "");
	wbt_ok(post(p, &s, "{}", &status, &resp)); /* 204: no body, no length needed */
	assert_int_equal(status, 204);
	assert_string_equal(resp, "");
	assert_int_equal(s.accepts, 2);
	wb__plain_free(p);
	server_stop(&s);
}

static void test_dead_connection_resent_once(void **state)
{
	static const struct step script[] = {
		{ANSWER, {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"}},
		{CLOSE_INSTEAD, {NULL}},
		{ANSWER, {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2"}},
		{CLOSE_INSTEAD, {NULL}},
	};
	struct server s;
	wb__plain *p = NULL;
	const char *resp = NULL;
	long status = 0;

	(void)state;
	server_start(&s, script, sizeof(script) / sizeof(script[0]));
	wbt_ok(wb__plain_new(&p));
	wbt_ok(post(p, &s, "{}", &status, &resp));
	assert_string_equal(resp, "1");
	/* The kept-alive connection dies without an answer: sent again once, on a new one. */
	wbt_ok(post(p, &s, "{}", &status, &resp));
	assert_string_equal(resp, "2");
	assert_int_equal(s.accepts, 2);
	/* On a new connection, no answer is a failure to report (the caller retries). */
	wb__plain_reset(p);
	assert_int_equal(post(p, &s, "{}", &status, &resp), WB_EIO);
	wb__plain_free(p);
	server_stop(&s);
}

static void test_refused_and_bad_url(void **state)
{
	struct server s = {0};
	wb__plain *p = NULL;
	const char *resp = NULL;
	long status = 0;
	char err[256];
	size_t len;

	(void)state;
	server_start(&s, NULL, 0); /* a port, then nobody listening */
	close(s.lfd);
	pthread_join(s.th, NULL);
	wbt_ok(wb__plain_new(&p));
	assert_int_equal(post(p, &s, "{}", &status, &resp), WB_EIO);
	assert_int_equal(wb__plain_post(p, "http://[::1/", NULL, 0, "", 0, &status, &resp, &len, err, sizeof(err)),
			 WB_ERROR);
	wb__plain_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths_chunks_and_keepalive),
		cmocka_unit_test(test_dead_connection_resent_once),
		cmocka_unit_test(test_refused_and_bad_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
