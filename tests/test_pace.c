/*
 * test_pace.c - the pacer (src/util/pace.c): a limit holds the rate of
 * acquires across threads, the units an answer reports correct the
 * schedule, throttling halves the rate and calm seconds bring it back
 * additively, pause holds acquires and the stop flag ends waits; and the
 * sum of an answer's ConsumedCapacity (dynamodb_pace.c).
 *
 * The pacer is one per process: each test sets what it needs and resets
 * the limits it set.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "wbtest.h"
#include "clock.h"
#include "dynamodb_pace.h"
#include "pace.h"

static void reset(void)
{
	for (int k = 0; k < WB_PACE_KINDS; k++) {
		wb__pace_set_limit(k, 0);
		wb__pace_set_capacity_limit(k, 0);
	}
	wb__pace_set_share(1);
	wb__pace_set_paused(0);
}

/* Acquire `n` times `units` of kind; the milliseconds it took. */
static int64_t spend(enum wb__pace_kind kind, int n, double units)
{
	int64_t t0 = wb__mono_ms();

	for (int i = 0; i < n; i++) {
		wb__pace_acquire(kind, units);
		wb__pace_consumed(kind, -1, units, units);
	}
	return wb__mono_ms() - t0;
}

static void test_limit_holds_the_rate(void **state)
{
	(void)state;
	reset();
	assert_true(spend(WB_PACE_WRITE, 100, 1) < 50); /* no limit: no wait */
	wb__pace_set_limit(WB_PACE_WRITE, 200);
	/* 100 units at 200/s: 0.5 s, less the burst tolerance of 0.1 s */
	int64_t ms = spend(WB_PACE_WRITE, 100, 1);
	assert_true(ms >= 350 && ms <= 900);
	reset();
}

static void test_share_divides_the_limit(void **state)
{
	(void)state;
	reset();
	wb__pace_set_limit(WB_PACE_ITEMS, 400);
	wb__pace_set_share(4);
	assert_true(wb__pace_rate(WB_PACE_ITEMS) > 99.9 && wb__pace_rate(WB_PACE_ITEMS) < 100.1);
	int64_t ms = spend(WB_PACE_ITEMS, 50, 1); /* 50 at 100/s: 0.5 s less 0.1 s */
	assert_true(ms >= 350 && ms <= 900);
	reset();
}

static void test_reported_units_correct_the_estimate(void **state)
{
	int64_t t0;

	(void)state;
	reset();
	wb__pace_set_limit(WB_PACE_READ, 100);
	t0 = wb__mono_ms();
	for (int i = 0; i < 10; i++) { /* estimated 1, reported 5: 50 units at 100/s */
		wb__pace_acquire(WB_PACE_READ, 1);
		wb__pace_consumed(WB_PACE_READ, 2, 1, 5);
	}
	assert_true(wb__mono_ms() - t0 >= 350);
	assert_true(wb__pace_guess(2, 1) > 4.9); /* the running mean of that request type */
	reset();
}

static void test_throttling_halves_then_recovers(void **state)
{
	(void)state;
	reset();
	wb__pace_set_limit(WB_PACE_WRITE, 100);
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 99.9);
	wb__pace_throttled(WB_PACE_WRITE);
	wb__pace_throttled(WB_PACE_WRITE); /* within a second of the first: one halving */
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 49.9 && wb__pace_rate(WB_PACE_WRITE) < 50.1);
	usleep(1050000);
	wb__pace_throttled(WB_PACE_WRITE);
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 24.9 && wb__pace_rate(WB_PACE_WRITE) < 25.1);
	usleep(2100000); /* two calm seconds: +5% of the limit each */
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 34.9 && wb__pace_rate(WB_PACE_WRITE) < 35.1);
	wb__pace_set_limit(WB_PACE_WRITE, 0);
	reset();
}

static void test_unlimited_kind_stays_unpaced(void **state)
{
	(void)state;
	reset();
	assert_true(wb__pace_rate(WB_PACE_READ) == 0);
	wb__pace_throttled(WB_PACE_READ); /* the store's retries back off; no pacing */
	assert_true(wb__pace_rate(WB_PACE_READ) == 0);
	assert_true(spend(WB_PACE_READ, 100, 20) < 50);
	reset();
}

static volatile sig_atomic_t stop_now;

static void *resume_later(void *arg)
{
	(void)arg;
	usleep(400000);
	wb__pace_set_paused(0);
	return NULL;
}

static void test_pause_holds_and_stop_ends_waits(void **state)
{
	pthread_t t;
	int64_t t0;

	(void)state;
	reset();
	wb__pace_set_paused(1);
	assert_int_equal(wb__pace_paused(), 1);
	t0 = wb__mono_ms();
	assert_int_equal(pthread_create(&t, NULL, resume_later, NULL), 0);
	wb__pace_acquire(WB_PACE_WRITE, 1); /* held until resumed */
	assert_true(wb__mono_ms() - t0 >= 350);
	pthread_join(t, NULL);
	wb__pace_set_stop(&stop_now);
	wb__pace_set_paused(1);
	stop_now = 1;
	t0 = wb__mono_ms();
	wb__pace_acquire(WB_PACE_WRITE, 1); /* stopped: no wait */
	assert_true(wb__mono_ms() - t0 < 100);
	stop_now = 0;
	wb__pace_set_stop(NULL);
	reset();
}

static void test_capacity_limit_yields_to_an_explicit_one(void **state)
{
	(void)state;
	reset();
	wb__pace_set_capacity_limit(WB_PACE_WRITE, 40);
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 39.9 && wb__pace_rate(WB_PACE_WRITE) < 40.1);
	wb__pace_set_limit(WB_PACE_WRITE, 10);
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 9.9 && wb__pace_rate(WB_PACE_WRITE) < 10.1);
	wb__pace_set_limit(WB_PACE_WRITE, 0);
	assert_true(wb__pace_rate(WB_PACE_WRITE) > 39.9);
	reset();
}

static void test_consumed_units_of_answers(void **state)
{
	static const char one[] = "{\"ConsumedCapacity\":{\"TableName\":\"cars\",\"CapacityUnits\":1.5}}";
	static const char batch[] = "{\"UnprocessedItems\":{},\"ConsumedCapacity\":[{\"TableName\":\"a\","
				    "\"CapacityUnits\":3},{\"TableName\":\"b\",\"CapacityUnits\": 2}]}";
	static const char attr[] = "{\"Item\":{\"CapacityUnits\":{\"N\":\"7\"},\"s\":{\"S\":\"\\\"CapacityUnits\\\":9\"}}}";
	double r, w;

	(void)state;
	assert_true(wb__ddb_consumed_units(one, strlen(one)) == 1.5);
	assert_true(wb__ddb_consumed_units(batch, strlen(batch)) == 5);
	assert_true(wb__ddb_consumed_units(attr, strlen(attr)) == 0); /* an attribute of that name is not it */
	wb__pace_totals(&r, &w);
	assert_true(r > 0 && w > 0); /* the earlier tests' reported units */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_holds_the_rate),
		cmocka_unit_test(test_share_divides_the_limit),
		cmocka_unit_test(test_reported_units_correct_the_estimate),
		cmocka_unit_test(test_throttling_halves_then_recovers),
		cmocka_unit_test(test_unlimited_kind_stays_unpaced),
		cmocka_unit_test(test_pause_holds_and_stop_ends_waits),
		cmocka_unit_test(test_capacity_limit_yields_to_an_explicit_one),
		cmocka_unit_test(test_consumed_units_of_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
