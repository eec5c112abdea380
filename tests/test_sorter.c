/*
 * test_sorter.c - the external merge sort of bulk loads (sorter.c): order
 * and last-one-wins of equal keys in memory, across spilled runs and
 * across merge passes (a small budget makes hundreds of runs), records
 * larger than a buffer, the spool (no comparison: order of adding), and a
 * temporary directory that cannot be written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"
#include "sorter.h"

static int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/* Key text of k: lengths vary with k, so that order needs the length rule too. */
static int key_of(char *buf, size_t k)
{
	return snprintf(buf, 32, "%0*zu", (int)(k % 5) + 6, k);
}

/*
 * Add n records of keys drawn from [0, nkeys) (value: the sequence number,
 * sometimes padded to `big` bytes), read them back, and check the order and
 * that each key comes once with its last value.
 */
static void sort_and_check(size_t n, size_t nkeys, size_t budget, size_t big, size_t prefix)
{
	long *last = malloc(nkeys * sizeof(*last));
	unsigned char *val = calloc(1, big + 8);
	char prev[32] = "", key[32];
	size_t prevlen = 0, distinct = 0, got = 0, klen, vlen;
	const void *k, *v;
	wb__sorter *s;
	int rc;

	assert_non_null(last);
	assert_non_null(val);
	for (size_t i = 0; i < nkeys; i++)
		last[i] = -1;
	wbt_ok(wb__sorter_new(&s, bytes_cmp, prefix, budget));
	srand(11);
	for (size_t i = 0; i < n; i++) {
		size_t kk = (size_t)rand() % nkeys;
		memcpy(val, &i, sizeof(i));
		wbt_ok(wb__sorter_add(s, key, (size_t)key_of(key, kk), val, i % 101 == 0 ? big : 8));
		distinct += last[kk] < 0;
		last[kk] = (long)i;
	}
	assert_int_equal(wb__sorter_added(s), n);
	while ((rc = wb__sorter_next(s, &k, &klen, &v, &vlen)) == 1) {
		size_t seq;
		memcpy(key, k, klen);
		key[klen] = '\0';
		memcpy(&seq, v, sizeof(seq));
		if (got)
			assert_true(bytes_cmp(prev, prevlen, k, klen) < 0);
		assert_int_equal(seq, last[strtoul(key, NULL, 10)]);
		assert_int_equal(vlen, seq % 101 == 0 ? big : 8);
		memcpy(prev, k, klen);
		prevlen = klen;
		got++;
	}
	wbt_ok(rc);
	assert_int_equal(got, distinct);
	assert_int_equal(wb__sorter_next(s, &k, &klen, &v, &vlen), 0);
	wb__sorter_free(s);
	free(last);
	free(val);
}

static void test_in_memory(void **state)
{
	(void)state;
	sort_and_check(5000, 700, 64u << 20, 300, 8);
	sort_and_check(5000, 700, 64u << 20, 300, 0);
}

static void test_spilled_runs(void **state)
{
	(void)state;
	sort_and_check(60000, 20000, 0, 300, 3); /* the smallest budget: tens of runs */
}

static void test_merge_passes(void **state)
{
	(void)state;
	sort_and_check(400000, 150000, 0, 100, 8); /* ~200 runs of 64 KB: two merge passes */
}

static void test_record_larger_than_buffers(void **state)
{
	(void)state;
	sort_and_check(3000, 500, 0, 400 * 1024, 0);
}

static void test_spool_keeps_order(void **state)
{
	const void *k, *v;
	size_t klen, vlen, n = 0;
	wb__sorter *s;
	int rc;
	(void)state;

	wbt_ok(wb__sorter_new(&s, NULL, 0, 0));
	for (size_t i = 0; i < 50000; i++)
		wbt_ok(wb__sorter_add(s, "same", 4, &i, sizeof(i)));
	while ((rc = wb__sorter_next(s, &k, &klen, &v, &vlen)) == 1) {
		size_t seq;
		memcpy(&seq, v, sizeof(seq));
		assert_int_equal(seq, n);
		n++;
	}
	wbt_ok(rc);
	assert_int_equal(n, 50000);
	wb__sorter_free(s);
}

static void test_unwritable_tmpdir(void **state)
{
	char key[32], *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	wb__sorter *s;
	int rc = 0;
	(void)state;

	setenv("TMPDIR", "/nonexistent-whimbrel-dir", 1);
	wbt_ok(wb__sorter_new(&s, bytes_cmp, 8, 0));
	for (size_t i = 0; i < 100000 && rc == 0; i++)
		rc = wb__sorter_add(s, key, (size_t)key_of(key, i), "v", 1);
	assert_int_equal(rc, WB_EIO);
	assert_non_null(strstr(wb_error_last(), "/nonexistent-whimbrel-dir"));
	wb__sorter_free(s);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_spilled_runs),
		cmocka_unit_test(test_merge_passes),
		cmocka_unit_test(test_record_larger_than_buffers),
		cmocka_unit_test(test_spool_keeps_order),
		cmocka_unit_test(test_unwritable_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
