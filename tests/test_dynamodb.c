/*
 * test_dynamodb.c - what is particular to the DynamoDB backend.
 *
 * URL forms and regions; credential resolution from the environment and
 * from a temporary shared credentials file (profile selection, broken
 * profiles); that secrets never appear in messages or URLs; and, against a
 * canned HTTP server on loopback run in a thread of this test (it answers
 * each request with the next scripted reply, or drops the connection),
 * the error mapping from `__type`, the retries of throttling, 5xx and
 * dropped connections with their counters, no retry of validation,
 * condition and authentication errors, the signed headers sent, and the
 * re-sending of BatchWriteItem's UnprocessedItems.
 * The store behaviour shared with SQLite is tested by test_store.c.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wbtest.h"
#include "dynamodb.h"

#define SECRET "s3cr3t/KEY+never-shown"
#define TOKEN "T0KEN-never-shown"

/* ------------------------------------------------------- environment */

static void clear_aws_env(void)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* No real ~/.aws/credentials may leak into these tests. */
	setenv("HOME", wbt_tmpdir(), 1);
}

static int setup(void **state)
{
	(void)state;
	clear_aws_env();
	return 0;
}

/* ------------------------------------------------------------- URLs */

/* A URL that parses, and what it parses to (NULL, -1: not checked). */
struct url_case {
	const char *in, *url, *host, *region;
	int local;
};

static const struct url_case good_urls[] = {
	{"dynamodb://127.0.0.1:8123", "http://127.0.0.1:8123/", "127.0.0.1:8123", "us-east-1", 1},
	{"dynamodb://localhost", "http://localhost:8000/", NULL, NULL, -1},
	{"dynamodb://[::1]:9000/?region=eu-west-3", NULL, "[::1]:9000", "eu-west-3", -1},
	{"dynamodb:eu-central-1", "https://dynamodb.eu-central-1.amazonaws.com/", "dynamodb.eu-central-1.amazonaws.com",
	 "eu-central-1", 0},
	{"dynamodb:cn-north-1", NULL, "dynamodb.cn-north-1.amazonaws.com.cn", NULL, -1},
	{"dynamodbs://dynamodb.ap-south-1.amazonaws.com", "https://dynamodb.ap-south-1.amazonaws.com/", NULL,
	 "ap-south-1", -1},
};

static void check_url(const struct url_case *c)
{
	struct wb__ddb_endpoint ep;

	wbt_ok(wb__dynamodb_parse_url(&ep, c->in));
	if (c->url)
		assert_string_equal(ep.url, c->url);
	if (c->host)
		assert_string_equal(ep.host, c->host);
	if (c->region)
		assert_string_equal(ep.region, c->region);
	if (c->local >= 0)
		assert_int_equal(!!ep.local, c->local);
}

static void test_urls(void **state)
{
	struct wb__ddb_endpoint ep;

	(void)state;
	for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]); i++)
		check_url(&good_urls[i]);

	/* A compatible engine over HTTPS takes the region from the environment. */
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodbs://alternator.example:8043"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "AWS_REGION"));
	setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
	wbt_ok(wb__dynamodb_parse_url(&ep, "dynamodbs://alternator.example:8043"));
	assert_string_equal(ep.region, "sa-east-1");
	setenv("AWS_REGION", "us-west-2", 1); /* AWS_REGION wins */
	wbt_ok(wb__dynamodb_parse_url(&ep, "dynamodbs://alternator.example:8043"));
	assert_string_equal(ep.region, "us-west-2");
	assert_string_equal(ep.url, "https://alternator.example:8043/");
	wbt_ok(wb__dynamodb_parse_url(&ep, "dynamodb:"));
	assert_string_equal(ep.region, "us-west-2");
	clear_aws_env();

	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb:Not_A_Region"), WB_EINVALID);
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb://host:1/path"), WB_EINVALID);
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb://host:1?color=red"), WB_EINVALID);
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb://"), WB_EINVALID);
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb://bad host:1"), WB_EINVALID);
	assert_null(strchr(wb_error_last(), '\n'));

	/* Ports and hosts are checked before curl would fail on them. */
	static const char *bad[] = {"dynamodb://127.0.0.1:badport", "dynamodb://127.0.0.1:99999",
				    "dynamodb://127.0.0.1:0", "dynamodb://127.0.0.1:", "dynamodb://:8000",
				    "dynamodb://[]:8000", "dynamodb://[::1]x", "dynamodb://::1:8000",
				    "dynamodbs://host:123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(wb__dynamodb_parse_url(&ep, bad[i]), WB_EINVALID);
		assert_non_null(strstr(wb_error_last(), bad[i]));
		assert_null(strchr(wb_error_last(), '\n'));
	}
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb://127.0.0.1:99999"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "the port must be a number from 1 to 65535"));
	assert_int_equal(wb__dynamodb_parse_url(&ep, "dynamodb://:8000"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "no host before the port"));
	wbt_ok(wb__dynamodb_parse_url(&ep, "dynamodb://127.0.0.1:65535"));
	wbt_ok(wb__dynamodb_parse_url(&ep, "dynamodb://[::1]"));
}

static void test_url_with_secret_is_refused(void **state)
{
	wb_db *db = NULL;
	int rc;

	(void)state;
	rc = wb_open(&db, "dynamodb://AKID:" SECRET "@127.0.0.1:8000");
	assert_int_equal(rc, WB_EINVALID);
	assert_null(db);
	assert_null(strstr(wb_error_last(), SECRET));
	assert_non_null(strstr(wb_error_last(), "credentials"));
}

/* ------------------------------------------------------- credentials */

static const char *write_creds_file(void)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/credentials", wbt_tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# test profiles\n"
	      "[default]\n"
	      "aws_access_key_id = AKIDDEFAULT\n"
	      "aws_secret_access_key = " SECRET "\n"
	      "\n"
	      "[profile dev]\n"
	      "aws_access_key_id=AKIDDEV\n"
	      "aws_secret_access_key=" SECRET "dev\n"
	      "aws_session_token = " TOKEN "\n"
	      "[broken]\n"
	      "aws_access_key_id = AKIDBROKEN\n", f);
	fclose(f);
	return path;
}

/* Open a local engine URL and return the signing key id seen... via a failed remote open. */
static void test_creds_env(void **state)
{
	wb_db *db = NULL;

	(void)state;
	/* A remote target without credentials is refused with a message saying how to set them. */
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "AWS_ACCESS_KEY_ID"));
	/* A local engine works with dummy credentials. */
	wbt_ok(wb_open(&db, "dynamodb://127.0.0.1:1"));
	assert_string_equal(wb_db_url(db), "dynamodb://127.0.0.1:1");
	wb_close(db);
	/* Half a pair is an error that names the missing variable, not the secret. */
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "AWS_ACCESS_KEY_ID"));
	assert_null(strstr(wb_error_last(), SECRET));
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	wbt_ok(wb_open(&db, "dynamodb:eu-west-1"));
	assert_null(strstr(wb_db_url(db), SECRET));
	wb_close(db);
	clear_aws_env();
}

static void test_creds_profiles(void **state)
{
	const char *path = write_creds_file();
	wb_db *db = NULL;

	(void)state;
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	wbt_ok(wb_open(&db, "dynamodb:eu-west-1")); /* [default] */
	wb_close(db);
	setenv("AWS_PROFILE", "dev", 1);            /* [profile dev] */
	wbt_ok(wb_open(&db, "dynamodb:eu-west-1"));
	wb_close(db);
	setenv("AWS_PROFILE", "nosuch", 1);
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "nosuch"));
	/* An explicitly asked profile that is missing is an error even for a local engine. */
	assert_int_equal(wb_open(&db, "dynamodb://127.0.0.1:1"), WB_EINVALID);
	setenv("AWS_PROFILE", "broken", 1);
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "aws_secret_access_key"));
	assert_null(strstr(wb_error_last(), "AKIDBROKEN"));
	/* A malformed or missing AWS_SHARED_CREDENTIALS_FILE is named by its path. */
	unsetenv("AWS_PROFILE");
	char bad[600];
	snprintf(bad, sizeof(bad), "%s/bad-credentials", wbt_tmpdir());
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fputs("aws_access_key_id AKIDNOEQUALS\n[default\n", f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", bad, 1);
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), bad));
	assert_non_null(strstr(wb_error_last(), ":1: expected"));
	assert_null(strstr(wb_error_last(), "~/.aws"));
	assert_null(strstr(wb_error_last(), "AKIDNOEQUALS"));
	strcat(bad, ".missing");
	setenv("AWS_SHARED_CREDENTIALS_FILE", bad, 1);
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), bad));
	assert_non_null(strstr(wb_error_last(), "cannot be read"));
	/* The default file is ~/.aws/credentials. */
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(wb_open(&db, "dynamodb:eu-west-1"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "/.aws/credentials"));
	clear_aws_env();
}

/* --------------------------------------------------- a canned server */

struct reply {
	int status;       /* HTTP status; 0 = drop the connection without answering */
	const char *body; /* JSON body */
};

struct server {
	int fd;                     /* listening socket */
	int port;                   /* its port */
	pthread_t thread;           /* the serving thread */
	pthread_mutex_t lock;       /* guards what follows */
	struct reply replies[64];   /* the script */
	size_t nreplies, next;      /* its length, and the next reply */
	int requests;               /* requests received */
	char last[65536];           /* the last request, headers and body */
	char targets[4096];         /* X-Amz-Target operations, space-separated */
	int stop;                   /* set to end the thread */
	int conn;                   /* the connection being served, or -1 */
};

static struct server srv;

/* Read one request (headers + Content-Length body) into buf; returns its length or -1. */
static ssize_t read_request(int c, char *buf, size_t size)
{
	size_t got = 0;
	char *end = NULL;
	long clen = 0;

	while (!end) {
		ssize_t n = recv(c, buf + got, size - 1 - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl)
		clen = strtol(cl + 17, NULL, 10);
	while (got < (size_t)(end + 4 - buf) + (size_t)clen) {
		ssize_t n = recv(c, buf + got, size - 1 - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
	}
	return (ssize_t)got;
}

static void record(const char *req)
{
	static const char marker[] = "\r\nX-Amz-Target: DynamoDB_20120810.";
	const char *t = strcasestr(req, marker);
	const size_t skip = sizeof(marker) - 1;

	pthread_mutex_lock(&srv.lock);
	srv.requests++;
	snprintf(srv.last, sizeof(srv.last), "%s", req);
	if (t) {
		size_t n = strcspn(t + skip, "\r");
		size_t len = strlen(srv.targets);
		snprintf(srv.targets + len, sizeof(srv.targets) - len, "%s%.*s", len ? " " : "", (int)n, t + skip);
	}
	pthread_mutex_unlock(&srv.lock);
}

static void serve_connection(int c)
{
	static char buf[65536];
	char head[256];

	for (;;) {
		struct reply r = {500, "{\"__type\":\"#InternalServerError\",\"message\":\"script ran out\"}"};
		if (read_request(c, buf, sizeof(buf)) < 0)
			break;
		record(buf);
		pthread_mutex_lock(&srv.lock);
		if (srv.next < srv.nreplies)
			r = srv.replies[srv.next++];
		pthread_mutex_unlock(&srv.lock);
		if (r.status == 0)
			break; /* drop the connection */
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/x-amz-json-1.0\r\n"
			 "Content-Length: %zu\r\n\r\n", r.status, strlen(r.body));
		if (send(c, head, strlen(head), MSG_NOSIGNAL) < 0 || send(c, r.body, strlen(r.body), MSG_NOSIGNAL) < 0)
			break;
	}
	close(c);
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(srv.fd, NULL, NULL);
		if (c < 0)
			break;
		pthread_mutex_lock(&srv.lock);
		srv.conn = c;
		pthread_mutex_unlock(&srv.lock);
		serve_connection(c);
		pthread_mutex_lock(&srv.lock);
		srv.conn = -1;
		pthread_mutex_unlock(&srv.lock);
		pthread_mutex_lock(&srv.lock);
		int stop = srv.stop;
		pthread_mutex_unlock(&srv.lock);
		if (stop)
			break;
	}
	return NULL;
}

static void server_start(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);

	memset(&srv, 0, sizeof(srv));
	srv.conn = -1;
	pthread_mutex_init(&srv.lock, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv.fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv.fd, 8), 0);
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &len), 0);
	srv.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.stop = 1;
	if (srv.conn >= 0) /* a failed test may have left its handle open */
		shutdown(srv.conn, SHUT_RDWR);
	pthread_mutex_unlock(&srv.lock);
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	pthread_join(srv.thread, NULL);
	pthread_mutex_destroy(&srv.lock);
}

static void script(const struct reply *r, size_t n)
{
	pthread_mutex_lock(&srv.lock);
	memcpy(srv.replies, r, n * sizeof(*r));
	srv.nreplies = n;
	srv.next = 0;
	srv.requests = 0;
	srv.targets[0] = '\0';
	pthread_mutex_unlock(&srv.lock);
}

/* What the server saw, copied out so that assertions never hold its lock. */
static char seen_last[65536], seen_targets[4096];
static int seen_requests;

static void snapshot(void)
{
	pthread_mutex_lock(&srv.lock);
	memcpy(seen_last, srv.last, sizeof(seen_last));
	memcpy(seen_targets, srv.targets, sizeof(seen_targets));
	seen_requests = srv.requests;
	pthread_mutex_unlock(&srv.lock);
}

/* A store on the fake server, which will answer its next requests with r[0..n-1]. */
static wb_db *open_fake(const struct reply *r, size_t n)
{
	char url[100];
	wb_db *db = NULL;
	struct wb__dynamodb_retry fast = {1, 4, 4, 10000};

	snprintf(url, sizeof(url), "dynamodb://127.0.0.1:%d", srv.port);
	wbt_ok(wb_open(&db, url));
	wbt_ok(wb__dynamodb_set_retry(db, &fast));
	script(r, n);
	return db;
}

#define DESCRIBE_CARS \
	"{\"Table\":{\"TableName\":\"cars\",\"TableStatus\":\"ACTIVE\"," \
	"\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]," \
	"\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],\"ItemCount\":3}}"
#define ERR(type, msg) "{\"__type\":\"com.amazonaws.dynamodb.v20120810#" type "\",\"message\":\"" msg "\"}"

static int server_setup(void **state)
{
	setup(state);
	server_start();
	return 0;
}

static int server_teardown(void **state)
{
	(void)state;
	server_stop();
	return 0;
}

/* ----------------------------------------------------- error mapping */

static void expect_describe_error(const char *body, int status, int code, const char *type)
{
	struct reply r[] = {{status, body}};
	wb_db *db = open_fake(r, 1);
	wb_table_desc d;
	struct wb__dynamodb_stats st;
	char want[200];

	assert_int_equal(wb_table_describe(&d, db, "cars"), code);
	snprintf(want, sizeof(want), "DynamoDB DescribeTable on table cars: %s: ", type);
	if (strncmp(wb_errmsg(db), want, strlen(want)) != 0)
		fail_msg("message '%s' does not start with '%s'", wb_errmsg(db), want);
	assert_null(strchr(wb_errmsg(db), '\n'));
	wbt_ok(wb__dynamodb_stats(db, &st));
	assert_int_equal(st.requests, 1); /* never retried */
	wb_close(db);
}

static void test_error_mapping(void **state)
{
	(void)state;
	expect_describe_error(ERR("ResourceNotFoundException", "Requested resource not found"), 400,
			      WB_ENOTFOUND, "ResourceNotFoundException");
	expect_describe_error(ERR("ValidationException", "1 validation error"), 400, WB_EINVALID,
			      "ValidationException");
	expect_describe_error(ERR("ConditionalCheckFailedException", "The conditional request failed"), 400,
			      WB_ECONDITION, "ConditionalCheckFailedException");
	expect_describe_error(ERR("ResourceInUseException", "in use"), 400, WB_EBUSY, "ResourceInUseException");
	expect_describe_error("{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
			      "\"message\":\"The security token included in the request is invalid.\"}", 400,
			      WB_ERROR, "UnrecognizedClientException");
	expect_describe_error("{\"__type\":\"com.amazon.coral.service#AccessDeniedException\","
			      "\"Message\":\"not allowed\"}", 400, WB_ERROR, "AccessDeniedException");
}

static void test_create_in_use_is_exists(void **state)
{
	struct reply r[] = {{400, ERR("ResourceInUseException", "Table already exists: cars")}};
	wb_db *db = open_fake(r, 1);
	wb_key_schema k = {"id", WB_S, "", WB_S};

	(void)state;
	assert_int_equal(wb_table_create(db, "cars", &k), WB_EEXISTS);
	assert_non_null(strstr(wb_errmsg(db), "cars"));
	wb_close(db);
}

/* ------------------------------------------------------------ retries */

static void test_retries(void **state)
{
	struct reply r[] = {
		{400, ERR("ThrottlingException", "Rate exceeded")},
		{400, ERR("ProvisionedThroughputExceededException", "slow down")},
		{500, ERR("InternalServerError", "oops")},
		{0, NULL}, /* on a kept-alive connection: libcurl itself retries once on a new one, */
		{0, NULL}, /* and this drop is what whimbrel sees */
		{200, DESCRIBE_CARS},
	};
	wb_db *db = open_fake(r, 6);
	wb_table_desc d;
	struct wb__dynamodb_stats st, before, after;

	struct wb__dynamodb_retry patient = {1, 4, 8, 10000};

	(void)state;
	wbt_ok(wb__dynamodb_set_retry(db, &patient));
	wbt_ok(wb__dynamodb_stats(NULL, &before));
	wbt_ok(wb_table_describe(&d, db, "cars"));
	assert_string_equal(d.key.pk_name, "id");
	assert_int_equal(d.key.pk_type, WB_S);
	wbt_ok(wb__dynamodb_stats(db, &st));
	assert_int_equal(st.requests, 5);
	assert_int_equal(st.retries_throttle, 2);
	assert_int_equal(st.retries_5xx, 1);
	assert_int_equal(st.retries_network, 1);
	assert_int_equal(st.gave_up, 0);
	/* The process-wide totals grew by the same. */
	wbt_ok(wb__dynamodb_stats(NULL, &after));
	assert_int_equal(after.retries_throttle - before.retries_throttle, 2);
	assert_int_equal(after.requests - before.requests, 5);
	snapshot();
	assert_int_equal(seen_requests, 6);
	wb_close(db);
}

static void test_retries_give_up(void **state)
{
	struct reply r[] = {
		{400, ERR("ThrottlingException", "Rate exceeded")}, {400, ERR("ThrottlingException", "Rate exceeded")},
		{400, ERR("ThrottlingException", "Rate exceeded")}, {400, ERR("ThrottlingException", "Rate exceeded")},
		{503, "{}"}, {503, "{}"}, {503, "{}"}, {503, "{}"},
	};
	wb_db *db = open_fake(r, 8);
	wb_table_desc d;
	struct wb__dynamodb_stats st;

	(void)state;
	assert_int_equal(wb_table_describe(&d, db, "cars"), WB_ETHROTTLED);
	assert_non_null(strstr(wb_errmsg(db), "ThrottlingException"));
	assert_non_null(strstr(wb_errmsg(db), "4 attempts"));
	assert_int_equal(wb_table_describe(&d, db, "cars"), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "503"));
	wbt_ok(wb__dynamodb_stats(db, &st));
	assert_int_equal(st.requests, 8); /* max_attempts = 4, twice */
	assert_int_equal(st.gave_up, 2);
	wb_close(db);
}

static void test_dropped_connections_give_up(void **state)
{
	struct reply r[] = {{0, NULL}, {0, NULL}, {0, NULL}, {0, NULL}};
	wb_db *db = open_fake(r, 4);
	char **names = NULL;
	size_t n;

	(void)state;
	assert_int_equal(wb_table_list(&names, &n, db), WB_EIO);
	assert_non_null(strstr(wb_errmsg(db), "DynamoDB ListTables: connection to 127.0.0.1:"));
	assert_null(names);
	wb_close(db);
}

/* ------------------------------------------------------ what is sent */

static void test_signed_headers(void **state)
{
	struct reply r[] = {{200, DESCRIBE_CARS}, {200, "{\"Item\":{\"id\":{\"S\":\"c1\"},\"n\":{\"N\":\"7\"}}}"}};
	wb_db *db;
	wb_item *key = wbt_item("{\"id\":\"c1\",\"other\":\"not part of the key\"}"), *got = NULL;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	db = open_fake(r, 2);
	wbt_ok(wb_get(&got, db, "cars", key));
	assert_string_equal(wb_item_get_number(got, "n"), "7");
	snapshot();
	assert_string_equal(seen_targets, "DescribeTable GetItem");
	assert_non_null(strstr(seen_last, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
	assert_non_null(strstr(seen_last, "/eu-west-1/dynamodb/aws4_request, "
			       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="));
	assert_non_null(strstr(seen_last, "\r\nX-Amz-Security-Token: " TOKEN "\r\n"));
	assert_non_null(strstr(seen_last, "\r\nContent-Type: application/x-amz-json-1.0\r\n"));
	assert_null(strstr(seen_last, SECRET));
	/* Only the key attributes go in Key; reads are consistent. */
	assert_non_null(strstr(seen_last, "\"Key\":{\"id\":{\"S\":\"c1\"}}"));
	assert_non_null(strstr(seen_last, "\"ConsistentRead\":true"));
	assert_null(strstr(wb_db_url(db), SECRET));
	wb_item_free(key);
	wb_item_free(got);
	wb_close(db);
	clear_aws_env();
}

static void test_expressions(void **state)
{
	struct reply r[] = {{200, DESCRIBE_CARS}, {200, "{}"}, {400, ERR("ConditionalCheckFailedException", "failed")}};
	wb_db *db = open_fake(r, 3);
	wb_item *key = wbt_item("{\"id\":\"c1\"}"), *set = wbt_item("{\"price\":12,\"name\":\"x\"}");
	const char *remove[] = {"old"};
	wb_value *red = wb_value_string("red", 3);
	wb_cond is_red = {WB_COND_ATTR_EQUALS, "color", red, NULL};

	(void)state;
	wbt_ok(wb_update(db, "cars", key, set, remove, 1, NULL));
	snapshot();
	assert_non_null(strstr(seen_last, "\"UpdateExpression\":\"SET #n0 = :v0, #n1 = :v1 REMOVE #n2\""));
	assert_non_null(strstr(seen_last, "\"ExpressionAttributeNames\":{\"#n0\":\"price\",\"#n1\":\"name\",\"#n2\":\"old\"}"));
	assert_non_null(strstr(seen_last, "\":v0\":{\"N\":\"12\"}"));
	assert_int_equal(wb_delete(db, "cars", key, &is_red), WB_ECONDITION);
	assert_non_null(strstr(wb_errmsg(db), "DynamoDB DeleteItem on table cars: condition failed"));
	assert_non_null(strstr(wb_errmsg(db), "color"));
	snapshot();
	assert_non_null(strstr(seen_last, "\"ConditionExpression\":\"#n0 = :v0\""));
	assert_int_equal(seen_requests, 3); /* DescribeTable, UpdateItem, one DeleteItem: not retried */
	wb_value_free(red);
	wb_item_free(key);
	wb_item_free(set);
	wb_close(db);
}

static void test_unprocessed_items(void **state)
{
	struct reply r[] = {
		{200, DESCRIBE_CARS},
		{200, "{\"UnprocessedItems\":{\"cars\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]}}"},
		{200, "{\"UnprocessedItems\":{}}"},
	};
	wb_db *db = open_fake(r, 3);
	wb_item *a = wbt_item("{\"id\":\"a\"}"), *b = wbt_item("{\"id\":\"b\"}");
	wb_write w[] = {{"cars", WB_WRITE_PUT, a, NULL}, {"cars", WB_WRITE_PUT, b, NULL}};
	struct wb__dynamodb_stats st;

	(void)state;
	wbt_ok(wb_batch_write(db, w, 2, NULL));
	snapshot();
	assert_string_equal(seen_targets, "DescribeTable BatchWriteItem BatchWriteItem");
	/* The re-sent request holds only the unprocessed item. */
	assert_non_null(strstr(seen_last, "{\"RequestItems\":{\"cars\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]},"
				       "\"ReturnConsumedCapacity\":\"TOTAL\"}"));
	wbt_ok(wb__dynamodb_stats(db, &st));
	assert_int_equal(st.unprocessed_items, 1);
	assert_int_equal(st.retries_unprocessed, 1);
	wb_item_free(a);
	wb_item_free(b);
	wb_close(db);
}

static void test_batch_splits_and_orders(void **state)
{
	struct reply r[] = {{200, DESCRIBE_CARS}, {200, "{}"}, {200, "{}"}, {200, "{}"}, {200, "{}"}, {200, "{}"}};
	wb_db *db = open_fake(r, 6);
	wb_item *items[30];
	wb_write w[31];
	wb_value *red = wb_value_string("red", 3);
	wb_cond is_red = {WB_COND_ATTR_EQUALS, "color", red, NULL};
	char json[64];

	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(json, sizeof(json), "{\"id\":\"k%d\"}", i);
		items[i] = wbt_item(json);
		w[i] = (wb_write){"cars", WB_WRITE_PUT, items[i], NULL};
	}
	w[30] = (wb_write){"cars", WB_WRITE_DELETE, items[0], NULL}; /* same key as write 0 */
	w[10].cond = &is_red;                                         /* conditional: alone, in order */
	wbt_ok(wb_batch_write(db, w, 31, NULL));
	snapshot();
	/* 10 unconditional, the conditional PutItem, then 19 + the delete of k0 in one request of 20. */
	assert_string_equal(seen_targets, "DescribeTable BatchWriteItem PutItem BatchWriteItem");
	for (int i = 0; i < 30; i++)
		wb_item_free(items[i]);
	wb_value_free(red);
	wb_close(db);
}

/*
 * A write conditional on the item being unchanged that fails its condition
 * (here after a 500: the first attempt may have been carried out) reads the
 * item: when it already is what the write wanted, the write succeeded;
 * otherwise the condition failure stands.
 */
static void test_condition_failure_resolved(void **state)
{
	static const char want_json[] = "{\"Item\":{\"id\":{\"S\":\"c1\"},\"n\":{\"N\":\"2\"}}}";
	static const char other_json[] = "{\"Item\":{\"id\":{\"S\":\"c1\"},\"n\":{\"N\":\"9\"}}}";
	struct reply r[] = {
		{200, DESCRIBE_CARS},
		{500, ERR("InternalServerError", "oops")}, {400, ERR("ConditionalCheckFailedException", "failed")},
		{200, want_json},
		{400, ERR("ConditionalCheckFailedException", "failed")},
		{200, other_json},
		{400, ERR("ConditionalCheckFailedException", "failed")},
		{200, "{}"},
	};
	wb_db *db = open_fake(r, 8);
	wb_item *before = wbt_item("{\"id\":\"c1\",\"n\":1}"), *after = wbt_item("{\"id\":\"c1\",\"n\":2}");
	wb_cond unchanged = {WB_COND_ITEM_EQUALS, NULL, NULL, before};

	(void)state;
	wbt_ok(wb_put(db, "cars", after, &unchanged));
	snapshot();
	assert_string_equal(seen_targets, "DescribeTable UpdateItem UpdateItem GetItem");
	assert_int_equal(wb_put(db, "cars", after, &unchanged), WB_ECONDITION);
	assert_non_null(strstr(wb_errmsg(db), "condition failed"));
	/* a delete conditional on the item: gone already is done */
	wbt_ok(wb_delete(db, "cars", before, &unchanged));
	snapshot();
	assert_string_equal(seen_targets, "DescribeTable UpdateItem UpdateItem GetItem UpdateItem GetItem "
			    "DeleteItem GetItem");
	wb_item_free(before);
	wb_item_free(after);
	wb_close(db);
}

/* The UpdateExpression and condition of one migration write from `before` to `after` (JSON). */
static void expect_unchanged_write(const char *before, const char *after, const char *update, const char *cond)
{
	struct reply r[] = {{200, DESCRIBE_CARS}, {200, "{}"}};
	wb_db *db = open_fake(r, 2);
	wb_item *b = wbt_item(before), *a = wbt_item(after);
	wb_cond unchanged = {WB_COND_ITEM_EQUALS, NULL, NULL, b};
	char want[512];

	wbt_ok(wb_put(db, "cars", a, &unchanged));
	snapshot();
	snprintf(want, sizeof(want), "\"UpdateExpression\":\"%s\"", update);
	if (!strstr(seen_last, want))
		fail_msg("%s -> %s: sent %s", before, after, seen_last);
	snprintf(want, sizeof(want), "\"ConditionExpression\":\"%s\"", cond);
	if (!strstr(seen_last, want))
		fail_msg("%s -> %s: sent %s", before, after, seen_last);
	wb_item_free(a);
	wb_item_free(b);
	wb_close(db);
}

/*
 * Migration writes name the document paths that changed (maps key by key,
 * lists of unchanged length element by element), set a value whole when
 * its type or a list's length changed, and are conditional on the key,
 * then the touched attributes as read (added ones absent), then the rest.
 */
static void test_unchanged_write_paths(void **state)
{
	(void)state;
	/* a nested leaf changed, one removed, one added: paths; the map as read in the condition */
	expect_unchanged_write("{\"id\":\"c\",\"state\":{\"a\":1,\"b\":2},\"n\":1}",
			       "{\"id\":\"c\",\"state\":{\"a\":5,\"c\":3},\"n\":1}",
			       "SET #n0.#n1 = :v0, #n0.#n2 = :v1 REMOVE #n0.#n3",
			       "#n4 = :v2 AND #n0 = :v3 AND #n5 = :v4");
	/* an element of a list of the same length, inside a map inside the list */
	expect_unchanged_write("{\"id\":\"c\",\"h\":[{\"s\":\"open\"},{\"s\":\"open\"}]}",
			       "{\"id\":\"c\",\"h\":[{\"s\":\"open\"},{\"s\":\"done\"}]}",
			       "SET #n0[1].#n1 = :v0", "#n2 = :v1 AND #n0 = :v2");
	/* a list that grew, a type that changed: whole values at their paths */
	expect_unchanged_write("{\"id\":\"c\",\"m\":{\"l\":[1],\"t\":\"x\"}}",
			       "{\"id\":\"c\",\"m\":{\"l\":[1,2],\"t\":{\"x\":1}}}",
			       "SET #n0.#n1 = :v0, #n0.#n2 = :v1", "#n3 = :v2 AND #n0 = :v3");
	/* nothing expected (the item exists): the key is never set */
	expect_unchanged_write("{}", "{\"id\":\"c\",\"n\":1}", "SET #n0 = :v0", "attribute_exists(#n1)");
	/* a top-level attribute added and one removed */
	expect_unchanged_write("{\"id\":\"c\",\"old\":1,\"keep\":true}", "{\"id\":\"c\",\"price\":0,\"keep\":true}",
			       "SET #n0 = :v0 REMOVE #n1",
			       "#n2 = :v1 AND #n1 = :v2 AND attribute_not_exists(#n0) AND #n3 = :v3");
}

/* A key-prefix scan: Limit applies before the filter, so empty answers are skipped. */
static void test_prefix_scan_skips_empty_answers(void **state)
{
	struct reply r[] = {
		{200, DESCRIBE_CARS},
		{200, "{\"Items\":[],\"Count\":0,\"LastEvaluatedKey\":{\"id\":{\"S\":\"k2\"}}}"},
		{200, "{\"Items\":[{\"id\":{\"S\":\"GROUP#1\"}}],\"LastEvaluatedKey\":{\"id\":{\"S\":\"k4\"}}}"},
	};
	wb_db *db = open_fake(r, 3);
	wb_scan sc = {1, 4, "GROUP#", 2, NULL, NULL};
	wb_page *p = NULL;

	(void)state;
	wbt_ok(wb_scan_page(&p, db, "cars", &sc));
	snapshot();
	assert_string_equal(seen_targets, "DescribeTable Scan Scan");
	assert_non_null(strstr(seen_last, "\"ExclusiveStartKey\":{\"id\":{\"S\":\"k2\"}}"));
	assert_non_null(strstr(seen_last, "\"Segment\":1,\"TotalSegments\":4"));
	assert_non_null(strstr(seen_last, "\"Limit\":2"));
	assert_non_null(strstr(seen_last, "\"FilterExpression\":\"begins_with(#n0, :v0)\""));
	assert_non_null(strstr(seen_last, "\":v0\":{\"S\":\"GROUP#\"}"));
	assert_int_equal(p->count, 1);
	assert_string_equal(wb_item_get_string(p->items[0], "id"), "GROUP#1");
	assert_string_equal(wb_item_get_string(p->last_key, "id"), "k4");
	wb_page_free(p);
	wb_close(db);
}

static void test_list_tables_pages(void **state)
{
	struct reply r[] = {
		{200, "{\"TableNames\":[\"b_table\",\"c_table\"],\"LastEvaluatedTableName\":\"c_table\"}"},
		{200, "{\"TableNames\":[\"a_table\"]}"},
	};
	wb_db *db = open_fake(r, 2);
	char **names = NULL;
	size_t n = 0;

	(void)state;
	wbt_ok(wb_table_list(&names, &n, db));
	snapshot();
	assert_string_equal(seen_targets, "ListTables ListTables");
	assert_non_null(strstr(seen_last, "\"ExclusiveStartTableName\":\"c_table\""));
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "a_table"); /* sorted */
	assert_string_equal(names[2], "c_table");
	assert_null(names[3]);
	wb_strings_free(names);
	wb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_urls, setup),
		cmocka_unit_test_setup(test_url_with_secret_is_refused, setup),
		cmocka_unit_test_setup(test_creds_env, setup),
		cmocka_unit_test_setup(test_creds_profiles, setup),
		cmocka_unit_test_setup_teardown(test_error_mapping, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_create_in_use_is_exists, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_retries, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_retries_give_up, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_dropped_connections_give_up, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_signed_headers, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_expressions, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_unprocessed_items, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_batch_splits_and_orders, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_write_paths, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_condition_failure_resolved, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_list_tables_pages, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_prefix_scan_skips_empty_answers, server_setup, server_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
