/*
 * pace.c - the process's pacer (see pace.h): one schedule per kind of
 * unit, under one mutex.
 *
 * A kind's schedule is `tat`, the time at which its next unit is due at
 * the current rate (GCRA).  acquire(n) takes the slot starting at
 * max(tat, now), moves tat on by n / rate and sleeps until the slot's
 * start minus a burst tolerance of BURST_S.  consumed() moves tat by the
 * difference between what was reported and what was acquired, so the
 * average follows the reported units whatever the estimates were.
 * Sleeps are cut into slices so that pause, stop and a new limit are seen
 * within SLICE_MS.
 */
#include <pthread.h>
#include <time.h>

#include "clock.h"
#include "pace.h"

#define BURST_S 0.1          /* how far ahead of its schedule a process may run */
#define SLICE_MS 100         /* longest sleep between two looks at pause and stop */
#define FLOOR_FACTOR 0.02    /* AIMD never goes below 2% of the limit */
#define STEP_PER_S 0.05      /* additive increase: 5% of the limit per calm second */
#define HALVE_GAP_S 1.0      /* throttles closer than this halve once */
#define SLOTS 8

/* One kind of unit. */
struct bucket {
	double limit;     /* per second for the run, 0: none */
	double cap_limit; /* from --capacity, used when limit is 0 */
	double factor;    /* AIMD multiplier, (0, 1] */
	double base;      /* the limit in force (limit, else cap_limit), 0: not paced */
	double tat;       /* when the next unit is due (s, monotonic) */
	double halved_at; /* last decrease */
	double calm_at;   /* last increase, or last decrease */
	double total;     /* units reported so far */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bucket kinds[WB_PACE_KINDS] = {{.factor = 1}, {.factor = 1}, {.factor = 1}};
static double means[SLOTS], counts[SLOTS];
static int share = 1, paused;
static double capacity_pct;
static volatile sig_atomic_t *stop_flag;

static double now_s(void)
{
	return (double)wb__mono_ms() / 1000.0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int stopped(void)
{
	return stop_flag && *stop_flag;
}

/* Per second for this process now (lock held); 0: not paced. */
static double rate_locked(struct bucket *b, double now)
{
	if (b->factor < 1 && now - b->calm_at >= 1.0) { /* additive increase */
		double steps = (double)(int64_t)(now - b->calm_at);
		b->factor += STEP_PER_S * steps;
		b->calm_at += steps;
		if (b->factor >= 1)
			b->factor = 1;
	}
	if (b->base <= 0)
		return 0;
	return b->base * b->factor / (share > 0 ? share : 1);
}

static double configured(const struct bucket *b)
{
	return b->limit > 0 ? b->limit : b->cap_limit;
}

/*
 * When the limit in force changed (lock held), what was scheduled at the
 * old rate is forgotten, and so is the throttling met at it.
 */
static void rebase_locked(struct bucket *b, double was)
{
	if (configured(b) != was) {
		b->base = configured(b);
		b->factor = 1;
		b->tat = now_s();
	}
}

/* Set the run's limit (or, from_capacity, the --capacity one) of `kind`. */
static void set_limit(enum wb__pace_kind kind, int from_capacity, double per_second)
{
	struct bucket *b = &kinds[kind];
	double was;

	pthread_mutex_lock(&lock);
	was = configured(b);
	*(from_capacity ? &b->cap_limit : &b->limit) = per_second > 0 ? per_second : 0;
	rebase_locked(b, was);
	pthread_mutex_unlock(&lock);
}

void wb__pace_set_limit(enum wb__pace_kind kind, double per_second)
{
	set_limit(kind, 0, per_second);
}

void wb__pace_set_capacity_limit(enum wb__pace_kind kind, double per_second)
{
	set_limit(kind, 1, per_second);
}

void wb__pace_set_share(int processes)
{
	pthread_mutex_lock(&lock);
	share = processes > 0 ? processes : 1;
	pthread_mutex_unlock(&lock);
}

void wb__pace_set_paused(int p)
{
	__atomic_store_n(&paused, p ? 1 : 0, __ATOMIC_RELAXED);
}

int wb__pace_paused(void)
{
	return __atomic_load_n(&paused, __ATOMIC_RELAXED);
}

void wb__pace_set_stop(volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

void wb__pace_set_capacity_pct(double pct)
{
	pthread_mutex_lock(&lock);
	capacity_pct = pct > 0 ? pct : 0;
	pthread_mutex_unlock(&lock);
}

double wb__pace_capacity_pct(void)
{
	double v;

	pthread_mutex_lock(&lock);
	v = capacity_pct;
	pthread_mutex_unlock(&lock);
	return v;
}

/* Take a slot of `units`; returns the seconds to wait for it (lock held). */
static double take_locked(struct bucket *b, double units, double now)
{
	double rate = rate_locked(b, now), start;

	if (rate <= 0)
		return 0;
	start = b->tat > now ? b->tat : now;
	b->tat = start + units / rate;
	return start - BURST_S - now;
}

void wb__pace_acquire(enum wb__pace_kind kind, double units)
{
	double wait;

	while (wb__pace_paused() && !stopped())
		sleep_ms(SLICE_MS);
	pthread_mutex_lock(&lock);
	wait = take_locked(&kinds[kind], units, now_s());
	pthread_mutex_unlock(&lock);
	for (int64_t left = (int64_t)(wait * 1000); left > 0 && !stopped(); left -= SLICE_MS)
		sleep_ms(left < SLICE_MS ? left : SLICE_MS);
	/* Paused while it waited its turn (many requests in flight queue here):
	 * it holds too, so that nothing is sent while the run is paused. */
	while (wb__pace_paused() && !stopped())
		sleep_ms(SLICE_MS);
}

void wb__pace_consumed(enum wb__pace_kind kind, int slot, double est, double used)
{
	struct bucket *b = &kinds[kind];
	double now = now_s(), rate;

	pthread_mutex_lock(&lock);
	b->total += used;
	if ((rate = rate_locked(b, now)) > 0)
		b->tat += (used - est) / rate;
	if (slot >= 0 && slot < SLOTS) {
		counts[slot] += 1;
		means[slot] += (used - means[slot]) / (counts[slot] < 20 ? counts[slot] : 20);
	}
	pthread_mutex_unlock(&lock);
}

double wb__pace_guess(int slot, double dflt)
{
	double v = dflt;

	pthread_mutex_lock(&lock);
	if (slot >= 0 && slot < SLOTS && counts[slot] > 0 && means[slot] > 0)
		v = means[slot];
	pthread_mutex_unlock(&lock);
	return v;
}

void wb__pace_throttled(enum wb__pace_kind kind)
{
	struct bucket *b = &kinds[kind];
	double now = now_s();

	pthread_mutex_lock(&lock);
	if (b->base <= 0) { /* not paced: the store's retries back off on their own */
		pthread_mutex_unlock(&lock);
		return;
	}
	if (now - b->halved_at >= HALVE_GAP_S) {
		b->factor /= 2;
		if (b->factor < FLOOR_FACTOR)
			b->factor = FLOOR_FACTOR;
		b->halved_at = now;
	}
	b->calm_at = now;
	pthread_mutex_unlock(&lock);
}

double wb__pace_rate(enum wb__pace_kind kind)
{
	double v;

	pthread_mutex_lock(&lock);
	v = rate_locked(&kinds[kind], now_s());
	pthread_mutex_unlock(&lock);
	return v;
}

void wb__pace_totals(double *rcu, double *wcu)
{
	pthread_mutex_lock(&lock);
	*rcu = kinds[WB_PACE_READ].total;
	*wcu = kinds[WB_PACE_WRITE].total;
	pthread_mutex_unlock(&lock);
}
