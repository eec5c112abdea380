/*
 * test_util.c - the one-of-each utilities of src/util/: the growable
 * buffer (buf.c), base64 (base64.c), the INI line reader (ini.c),
 * SHA-256 (sha256.c) and the stoppable sleep of background threads
 * (stopwait.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "base64.h"
#include "buf.h"
#include "ini.h"
#include "sha256.h"
#include "stopwait.h"

#include <pthread.h>
#include <time.h>

static void test_buf_text(void **state)
{
	wb_buf b = {0};
	char *s = NULL;

	(void)state;
	wbt_ok(wb__buf_puts(&b, "abc"));
	assert_string_equal(b.text, "abc"); /* NUL kept after the bytes */
	wbt_ok(wb__buf_append(&b, "de", 2));
	for (int i = 0; i < 1000; i++) /* grows past its first allocation */
		wbt_ok(wb__buf_appendf(&b, "%d,", i));
	assert_int_equal(b.len, 5 + 10 * 2 + 90 * 3 + 900 * 4);
	assert_memory_equal(b.text, "abcde0,1,", 9);
	assert_string_equal(b.text + b.len - 4, "999,");
	wb__buf_clear(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.text, "");
	wbt_ok(wb__buf_take(&b, &s));
	assert_string_equal(s, "");
	assert_null(b.data);
	free(s);
	wbt_ok(wb__buf_take(&b, &s)); /* an untouched buffer gives "" too */
	assert_string_equal(s, "");
	free(s);
}

static void test_buf_remembers_failure(void **state)
{
	wb_buf b = {0};
	char *s = (char *)1;

	(void)state;
	wbt_ok(wb__buf_puts(&b, "x"));
	assert_int_equal(wb__buf_reserve(&b, (size_t)-1 / 2), WB_ENOMEM);
	assert_true(b.oom);
	wbt_ok(wb__buf_puts(&b, "y")); /* later appends still work ... */
	assert_int_equal(wb__buf_take(&b, &s), WB_ENOMEM); /* ... but the text is refused */
	assert_null(s);
	assert_null(b.data);
}

static void test_base64(void **state)
{
	const char *cases[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}};
	const char *bad[] = {"Zg", "Zg=", "Zh==", "Zm9v!", "Z===", "Zm9vY"};
	unsigned char out[16];
	char enc[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i][0]);
		assert_int_equal(wb__base64_encoded_len(n), strlen(cases[i][1]));
		wb__base64_encode(enc, (const unsigned char *)cases[i][0], n);
		assert_string_equal(enc, cases[i][1]);
		assert_int_equal(wb__base64_decode(out, cases[i][1], strlen(cases[i][1])), (long)n);
		assert_memory_equal(out, cases[i][0], n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wb__base64_decode(out, bad[i], strlen(bad[i])), -1);
}

/* Each line as "LINE KIND name=value", joined. */
static int record(void *arg, const struct wb__ini_line *l)
{
	wb_buf *b = arg;
	static const char kinds[] = "SPO";

	wb__buf_appendf(b, "%d %c ", l->line, kinds[l->kind]);
	if (l->name)
		wb__buf_append(b, l->name, l->nlen);
	if (l->value) {
		wb__buf_puts(b, "=");
		wb__buf_append(b, l->value, l->vlen);
	}
	if (l->kind == WB_INI_OTHER)
		wb__buf_append(b, l->text, l->len);
	wb__buf_puts(b, "|");
	return strncmp(l->text, "stop", 4) == 0 ? WB_EINVALID : 0;
}

static void test_ini_lines(void **state)
{
	const char text[] = "\xef\xbb\xbf# comment\n"
			    "[ dev ]\r\n"
			    "  ; another\n"
			    "\n"
			    "db = sqlite:x.db # kept raw\n"
			    "[open\n"
			    "what\n"
			    "k=\n"
			    "stop\n"
			    "never = seen\n";
	wb_buf b = {0};

	(void)state;
	assert_int_equal(wb__ini_parse(text, sizeof(text) - 1, record, &b), WB_EINVALID);
	assert_string_equal(b.text, "2 S dev|5 P db=sqlite:x.db # kept raw|6 S |7 O what|8 P k=|9 O stop|");
	wb__buf_free(&b);
	/* no final newline, and an empty text */
	wbt_ok(wb__ini_parse("[a]\nb=c", 7, record, &b));
	assert_string_equal(b.text, "1 S a|2 P b=c|");
	wb__buf_free(&b);
	wbt_ok(wb__ini_parse("", 0, record, &b));
	assert_null(b.data);
}

static void test_ini_read_file(void **state)
{
	char path[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/util.ini", wbt_tmpdir());
	assert_int_equal(wb__ini_read_file(&text, &len, path, 100), WB_ENOTFOUND);
	assert_non_null(strstr(wb_error_last(), "util.ini: no such file"));
	assert_non_null(f = fopen(path, "w"));
	fputs("[a]\nb = c\n", f);
	fclose(f);
	wbt_ok(wb__ini_read_file(&text, &len, path, 100));
	assert_int_equal(len, 10);
	assert_string_equal(text, "[a]\nb = c\n");
	free(text);
	assert_int_equal(wb__ini_read_file(&text, &len, path, 9), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "larger than 9 bytes"));
	assert_null(text);
	remove(path);
}

/* FIPS 180-2's vectors; a file hashes as its content; a missing file says ENOENT. */
static void test_sha256(void **state)
{
	static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char two[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
	char hex[65], fhex[65], path[512], *big;
	FILE *f;

	(void)state;
	wb__sha256_hex(hex, "abc", 3);
	assert_string_equal(hex, abc);
	wb__sha256_hex(hex, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	assert_string_equal(hex, two);
	assert_non_null(big = malloc(200000)); /* longer than one read of the file hash */
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)(i * 7);
	snprintf(path, sizeof(path), "%s/sha.bin", wbt_tmpdir());
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(big, 1, 200000, f), 200000);
	fclose(f);
	wb__sha256_hex(hex, big, 200000);
	assert_int_equal(wb__sha256_file_hex(fhex, path), 0);
	assert_string_equal(fhex, hex);
	remove(path);
	free(big);
	assert_int_equal(wb__sha256_file_hex(fhex, path), -1);
	assert_int_equal(errno, ENOENT);
}

static double mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void *sleep_long(void *arg)
{
	static int asked;

	asked = wb__stopwait_sleep(arg, 60000);
	return &asked;
}

/* A sleep lasts its time unless the stop is asked; the stop wakes a sleeper at once. */
static void test_stopwait(void **state)
{
	wb__stopwait sw;
	pthread_t t;
	void *res = NULL;
	double t0;

	(void)state;
	wb__stopwait_init(&sw);
	t0 = mono_ms();
	assert_int_equal(wb__stopwait_sleep(&sw, 30), 0);
	assert_true(mono_ms() - t0 >= 29.0);
	assert_int_equal(wb__stopwait_asked(&sw), 0);
	assert_int_equal(pthread_create(&t, NULL, sleep_long, &sw), 0);
	t0 = mono_ms();
	wb__stopwait_stop(&sw);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_int_equal(*(int *)res, 1);
	assert_true(mono_ms() - t0 < 5000.0); /* woken, not after its 60 s */
	assert_int_equal(wb__stopwait_asked(&sw), 1);
	t0 = mono_ms();
	assert_int_equal(wb__stopwait_sleep(&sw, 60000), 1); /* asked before: returns at once */
	assert_true(mono_ms() - t0 < 5000.0);
	wb__stopwait_destroy(&sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_text),
		cmocka_unit_test(test_buf_remembers_failure),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_ini_lines),
		cmocka_unit_test(test_ini_read_file),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_stopwait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
