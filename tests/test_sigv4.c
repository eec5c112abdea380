/*
 * test_sigv4.c - AWS Signature Version 4 against AWS's published test vectors.
 *
 * Every case under tests/data/sigv4/ (see its README for the origin) is read
 * from its .req file, signed with the suite's example credentials, and the
 * canonical request, string to sign and Authorization header compared with
 * the suite's .creq, .sts and .authz.  A DynamoDB-shaped request (JSON body,
 * x-amz-target, session token) is checked against a signature computed
 * independently (Python's hmac/hashlib, by hand, when the test was written).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbtest.h"
#include "sha256.h"
#include "sigv4.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *data_dir(void)
{
	static char dir[1024];
	const char *root = getenv("WB_ROOT");

	snprintf(dir, sizeof(dir), "%s/tests/data/sigv4", root ? root : ".");
	return dir;
}

/* A parsed .req file: pointers into `text`, which it modifies. */
struct parsed {
	char *method, *path, *query;
	struct wb__sigv4_header headers[16];
	size_t nheaders;
	char *body;
};

static void parse_req(struct parsed *p, char *text)
{
	char *line = text, *next, *sp, *proto;

	memset(p, 0, sizeof(*p));
	next = strchr(line, '\n');
	if (next)
		*next++ = '\0';
	/* "METHOD TARGET HTTP/1.1": the target may hold spaces. */
	sp = strchr(line, ' ');
	proto = strstr(line, " HTTP/");
	assert_non_null(sp);
	assert_non_null(proto);
	*sp = '\0';
	*proto = '\0';
	p->method = line;
	p->path = sp + 1;
	if ((p->query = strchr(p->path, '?')))
		*p->query++ = '\0';
	while ((line = next) && *line && *line != '\n') {
		char *colon;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		colon = strchr(line, ':');
		assert_non_null(colon);
		*colon = '\0';
		assert_true(p->nheaders < sizeof(p->headers) / sizeof(p->headers[0]));
		p->headers[p->nheaders].name = line;
		p->headers[p->nheaders++].value = colon + 1;
	}
	/* `line` is the blank line before the body, or NULL. */
	p->body = (line && (next = strchr(line, '\n'))) ? next + 1 : (char *)"";
}

static void check_case(const char *name)
{
	char path[1200];
	char *req_text, *creq_want, *sts_want, *authz_want, *creq = NULL, *sts = NULL, *authz = NULL;
	struct parsed p;
	struct wb__sigv4_request r;
	struct wb__sigv4_key key = {"AKIDEXAMPLE", SECRET, "us-east-1", "service"};

	snprintf(path, sizeof(path), "%s/%s/%s.req", data_dir(), name, name);
	req_text = slurp(path);
	snprintf(path, sizeof(path), "%s/%s/%s.creq", data_dir(), name, name);
	creq_want = slurp(path);
	snprintf(path, sizeof(path), "%s/%s/%s.sts", data_dir(), name, name);
	sts_want = slurp(path);
	snprintf(path, sizeof(path), "%s/%s/%s.authz", data_dir(), name, name);
	authz_want = slurp(path);

	parse_req(&p, req_text);
	r = (struct wb__sigv4_request){p.method, p.path, p.query, p.headers, p.nheaders, p.body, strlen(p.body)};
	wbt_ok(wb__sigv4_canonical_request(&creq, NULL, &r));
	if (strcmp(creq, creq_want) != 0)
		fail_msg("%s: canonical request\n--- got\n%s\n--- want\n%s", name, creq, creq_want);
	wbt_ok(wb__sigv4_string_to_sign(&sts, "20150830T123600Z", "us-east-1", "service", creq));
	if (strcmp(sts, sts_want) != 0)
		fail_msg("%s: string to sign\n--- got\n%s\n--- want\n%s", name, sts, sts_want);
	wbt_ok(wb__sigv4_authorization(&authz, &r, &key, "20150830T123600Z"));
	if (strcmp(authz, authz_want) != 0)
		fail_msg("%s: authorization\n--- got\n%s\n--- want\n%s", name, authz, authz_want);
	free(creq);
	free(sts);
	free(authz);
	free(req_text);
	free(creq_want);
	free(sts_want);
	free(authz_want);
}

static void test_suite_vectors(void **state)
{
	DIR *d = opendir(data_dir());
	struct dirent *e;
	int n = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open %s", data_dir());
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strchr(e->d_name, '.'))
			continue;
		check_case(e->d_name);
		n++;
	}
	closedir(d);
	/* The cases listed in tests/data/sigv4/README.md: none may go missing. */
	assert_true(n >= 22);
}

/* A few cases by name, so that a failure names what broke. */
static void test_get_vanilla(void **state) { (void)state; check_case("get-vanilla"); }
static void test_post_vanilla(void **state) { (void)state; check_case("post-vanilla"); }
static void test_query_order(void **state) { (void)state; check_case("get-vanilla-query-order-key-case"); }
static void test_form_body(void **state) { (void)state; check_case("post-x-www-form-urlencoded"); }
static void test_session_token(void **state) { (void)state; check_case("post-sts-header-before"); }

static void test_dynamodb_request(void **state)
{
	static const char body[] = "{\"TableName\":\"cars\",\"Key\":{\"id\":{\"S\":\"c1\"}},\"ConsistentRead\":true}";
	struct wb__sigv4_header h[] = {
		{"Host", "dynamodb.eu-west-1.amazonaws.com"},
		{"Content-Type", "application/x-amz-json-1.0"},
		{"X-Amz-Target", "DynamoDB_20120810.GetItem"},
		{"X-Amz-Date", "20261125T120000Z"},
		{"X-Amz-Security-Token", "tokenABC"},
	};
	struct wb__sigv4_request r = {"POST", "/", NULL, h, 5, body, strlen(body)};
	struct wb__sigv4_key key = {"AKIDEXAMPLE", SECRET, "eu-west-1", "dynamodb"};
	char *authz = NULL, *creq = NULL, *sh = NULL, hash[65];

	(void)state;
	wb__sha256_hex(hash, body, strlen(body));
	assert_string_equal(hash, "0e1f2c3b42f2c383f9181722c5bdb71f7866eb358582c7e8fcc6f5c9427c99a7");
	wbt_ok(wb__sigv4_canonical_request(&creq, &sh, &r));
	assert_string_equal(sh, "content-type;host;x-amz-date;x-amz-security-token;x-amz-target");
	wbt_ok(wb__sigv4_authorization(&authz, &r, &key, "20261125T120000Z"));
	assert_string_equal(authz,
			    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/dynamodb/aws4_request, "
			    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
			    "Signature=2815bfcc538d313b4df18677dd927671b64cd58081a62987518b84cd82ebedea");
	/* The secret never appears in what the signer returns. */
	assert_null(strstr(authz, SECRET));
	assert_null(strstr(creq, SECRET));
	free(authz);
	free(creq);
	free(sh);
}

static void test_body_changes_signature(void **state)
{
	struct wb__sigv4_header h[] = {{"Host", "h"}, {"X-Amz-Date", "20261125T120000Z"}};
	struct wb__sigv4_request r = {"POST", "/", NULL, h, 2, "a", 1};
	struct wb__sigv4_key key = {"AK", "secret", "us-east-1", "dynamodb"};
	char *a = NULL, *b = NULL;

	(void)state;
	wbt_ok(wb__sigv4_authorization(&a, &r, &key, "20261125T120000Z"));
	r.body = "b";
	wbt_ok(wb__sigv4_authorization(&b, &r, &key, "20261125T120000Z"));
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void test_signing_key(void **state)
{
	unsigned char k[32];
	char hex[65];
	struct wb__sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
	struct wb__sigv4_request r = {"GET", "/", NULL, h, 2, "", 0};
	char *authz = NULL;

	(void)state;
	/* The derived key of AWS's documented example (IAM, 2015-08-30). */
	wb__sigv4_signing_key(k, SECRET, "20150830", "us-east-1", "iam");
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	assert_string_equal(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
	/* Signing with a cached key gives the suite's get-vanilla signature. */
	wb__sigv4_signing_key(k, SECRET, "20150830T123600Z", "us-east-1", "service");
	wbt_ok(wb__sigv4_authorization_key(&authz, &r, "AKIDEXAMPLE", "us-east-1", "service", "20150830T123600Z", k));
	assert_non_null(strstr(authz, "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
	free(authz);
}

static void test_amz_date(void **state)
{
	char d[17];

	(void)state;
	wb__sigv4_amz_date(d, (time_t)1440938160); /* 2015-08-30 12:36:00 UTC */
	assert_string_equal(d, "20150830T123600Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_vanilla),
		cmocka_unit_test(test_post_vanilla),
		cmocka_unit_test(test_query_order),
		cmocka_unit_test(test_form_body),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_suite_vectors),
		cmocka_unit_test(test_dynamodb_request),
		cmocka_unit_test(test_body_changes_signature),
		cmocka_unit_test(test_signing_key),
		cmocka_unit_test(test_amz_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
