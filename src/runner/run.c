/*
 * run.c - the run context inside a migration process.
 *
 * wb_run_begin reads what the runner (`whimbrel run|plan`) put in the
 * environment (run.h lists the variables), opens the target (wrapped by the
 * plan interceptor in plan mode) and installs the SIGINT handler that makes
 * wb_each stop after its current batch.  Counters, totals, log lines and
 * the final error travel to the runner on the control pipe; wb_run_end
 * sends the last of them and turns the result into an exit status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "backend.h"
#include "control.h"
#include "pace.h"
#include "retries.h"
#include "run.h"

volatile sig_atomic_t wb__run_interrupted;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_sigint(int sig)
{
	WB_UNUSED(sig);
	wb__run_interrupted = 1;
}

/* Write all of buf to fd, ignoring a runner that went away. */
static void write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void ctl_locked(wb_run *run, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	if (run->ctl_fd < 0)
		return;
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++) /* one line per message */
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	write_all(run->ctl_fd, line, (size_t)n);
}

void wb__run_ctl(wb_run *run, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->lock);
	va_start(ap, fmt);
	ctl_locked(run, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&run->lock);
}

static void send_counters(wb_run *run)
{
	const wb_counters *c = &run->counters;
	uint64_t retries, throttled;
	double rcu, wcu;
	char line[300];

	if (run->ctl_fd < 0)
		return;
	wb__retry_totals(&retries, &throttled);
	wb__pace_totals(&rcu, &wcu);
	snprintf(line, sizeof(line), "C %lld %lld %lld %lld %lld %llu %llu %lld %.1f %.1f\n", (long long)c->scanned,
		 (long long)c->written, (long long)c->deleted, (long long)c->unchanged,
		 (long long)c->failed, (unsigned long long)retries, (unsigned long long)throttled,
		 (long long)c->conditions, rcu, wcu);
	write_all(run->ctl_fd, line, strlen(line));
}

void wb__run_count(wb_run *run, const wb_counters *d)
{
	int64_t t = now_ms();

	pthread_mutex_lock(&run->lock);
	run->counters.scanned += d->scanned;
	run->counters.written += d->written;
	run->counters.deleted += d->deleted;
	run->counters.unchanged += d->unchanged;
	run->counters.failed += d->failed;
	run->counters.conditions += d->conditions;
	if (t - run->last_report_ms >= 100) {
		run->last_report_ms = t;
		send_counters(run);
	}
	pthread_mutex_unlock(&run->lock);
}

int wb__run_is_plan(const wb_run *run)
{
	return run->plan != NULL;
}

int wb__run_open(wb_run *run, wb_db **out, wb_db **inner)
{
	wb_db *real = NULL, *wrapped = NULL;
	int rc;

	*out = NULL;
	if (inner)
		*inner = NULL;
	if ((rc = wb_open(&real, run->url)) < 0)
		return rc;
	if (run->plan && (rc = wb__plan_wrap(&wrapped, real, run->plan)) < 0) {
		wb_close(real);
		return rc;
	}
	*out = wrapped ? wrapped : real;
	if (inner)
		*inner = real;
	return 0;
}

static void usage_exit(void)
{
	fprintf(stderr, "this is a whimbrel migration: run it with `whimbrel run dev|prod FILE`\n");
	exit(2);
}

static void fail_exit(wb_run *run, const char *what)
{
	fprintf(stderr, "whimbrel migration: %s: %s\n", what, wb_error_last());
	if (run)
		wb__run_ctl(run, "E %s: %s", what, wb_error_last());
	exit(1);
}

static char *env_dup(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	char *s = strdup(v && *v ? v : dflt);

	if (!s) {
		fprintf(stderr, "whimbrel migration: out of memory\n");
		exit(1);
	}
	return s;
}

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);
	int n = v && *v ? atoi(v) : 0;

	return n > 0 ? n : dflt;
}

static void install_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* SIGTERM keeps its default: stop at once */
	signal(SIGPIPE, SIG_IGN);
}

/* A worker's claim "K/N" (WB_ENV_SEGMENT): wb_each scans segment K of N only. */
static void segment_from_env(wb_run *run)
{
	const char *v = getenv(WB_ENV_SEGMENT);
	unsigned k, n;
	char end;

	if (!v || !*v)
		return;
	if (sscanf(v, "%u/%u%c", &k, &n, &end) != 2 || n < 1 || k >= n) {
		fprintf(stderr, "whimbrel migration: bad %s '%s': expected K/N with K < N\n",
			WB_ENV_SEGMENT, v);
		exit(1);
	}
	run->seg_only = k;
	run->seg_total = n;
	run->threads = 1;
}

static void control_log(void *arg, const char *line)
{
	wb_log_info(arg, "%s", line);
}

/* Pause and limits from the target (control.h); without them the run is not paced. */
static void start_control(wb_run *run)
{
	wb__pace_set_stop(&wb__run_interrupted);
	if (wb__control_start(&run->control, run->url, run->run_id, getenv(WB_ENV_JOB), run->seg_total > 0,
			      control_log, run) < 0) {
		wb_log_warn(run, "cannot read the run's control (pause, limits): %s", wb_error_last());
		wb_error_clear();
	}
}

wb_run *wb_run_begin(void)
{
	wb_run *run;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const char *fd = getenv(WB_ENV_CTL_FD);

	if (!getenv(WB_ENV_RUN_ID) || !getenv(WB_ENV_TARGET) || !getenv(WB_ENV_MODE))
		usage_exit();
	if (!(run = calloc(1, sizeof(*run)))) {
		fprintf(stderr, "whimbrel migration: out of memory\n");
		exit(1);
	}
	pthread_mutex_init(&run->lock, NULL);
	run->ctl_fd = fd && *fd ? atoi(fd) : -1;
	run->run_id = env_dup(WB_ENV_RUN_ID, "");
	run->url = env_dup(WB_ENV_TARGET, "");
	run->mode = env_dup(WB_ENV_MODE, "dev");
	run->migration = env_dup(WB_ENV_MIGRATION, "migration");
	run->threads = env_int(WB_ENV_THREADS, cores > 0 ? (int)cores : 1);
	run->batch = (size_t)env_int(WB_ENV_BATCH, 500);
	/* The journal: on for prod unless the runner says 0 (--no-journal), on for dev when it says 1. */
	run->journal = getenv(WB_ENV_JOURNAL) && *getenv(WB_ENV_JOURNAL) ? atoi(getenv(WB_ENV_JOURNAL)) > 0
									    : strcmp(run->mode, "prod") == 0;
	run->unconditional = getenv(WB_ENV_UNCONDITIONAL) && atoi(getenv(WB_ENV_UNCONDITIONAL)) > 0;
	segment_from_env(run);
	setvbuf(stdout, NULL, _IOLBF, 0); /* the runner shows output as it comes */
	if (strcmp(run->mode, "plan") == 0 &&
	    !(run->plan = wb__plan_new(getenv(WB_ENV_PLAN_DIFFS) ? atoi(getenv(WB_ENV_PLAN_DIFFS)) : 10)))
		fail_exit(run, "plan");
	if (wb__run_open(run, &run->db, &run->inner) < 0)
		fail_exit(run, run->url);
	/* In a journaled run, the migration's own writes are journaled too (journal_wrap.c). */
	if (run->journal && !run->plan && wb__journal_wrap(&run->db, run->inner, run) < 0)
		fail_exit(run, "journal");
	/*
	 * A store with one writer at a time (WB_CAP_ONE_WRITER of the store
	 * under any wrapper): wb_each's fast path does all of a page's work
	 * inside its write transaction, so more threads only wait for each
	 * other (bench/RESULTS.md): one unless asked for more.
	 */
	if (!(getenv(WB_ENV_THREADS) && *getenv(WB_ENV_THREADS)) &&
	    (wb__db_caps(run->inner) & WB_CAP_ONE_WRITER))
		run->threads = 1;
	install_sigint();
	start_control(run);
	return run;
}

int wb_run_end(wb_run *run, int rc)
{
	int status;

	if (!run)
		return rc == 0 ? 0 : 1;
	if (rc < 0 && rc != WB_EINTERRUPTED)
		wb__run_ctl(run, "E %s", wb_error_last_code() == rc ? wb_error_last() : wb_strerror(rc));
	if (rc > 0)
		wb__run_ctl(run, "E the migration returned %d", rc);
	wb__control_stop(run->control);
	pthread_mutex_lock(&run->lock);
	send_counters(run);
	pthread_mutex_unlock(&run->lock);
	if (run->plan) {
		wb__plan_report(run->plan, &run->counters, stdout);
		fflush(stdout);
	}
	status = rc == 0 ? 0 : rc == WB_EINTERRUPTED ? 130 : 1;
	wb__run_ctl(run, "D %d", status); /* last: the runner knows the run came to its end */
	if (run->db != run->inner)
		wb_close(run->db);
	wb_close(run->inner);
	wb__plan_free(run->plan);
	free(run->run_id);
	free(run->url);
	free(run->mode);
	free(run->migration);
	pthread_mutex_destroy(&run->lock);
	free(run);
	return status;
}

wb_db *wb_run_db(wb_run *run)
{
	return run ? run->db : NULL;
}

const char *wb_run_mode(wb_run *run)
{
	return run ? run->mode : "";
}

const char *wb_run_id(wb_run *run)
{
	return run ? run->run_id : "";
}

static void vlog(wb_run *run, const char *level, const char *fmt, va_list ap)
{
	char msg[3800];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (run && run->ctl_fd >= 0) {
		wb__run_ctl(run, "L %s %s", level, msg);
		return;
	}
	fprintf(stderr, "%s: %s\n", level, msg);
}

void wb_log_info(wb_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(run, "info", fmt, ap);
	va_end(ap);
}

void wb_log_warn(wb_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(run, "warn", fmt, ap);
	va_end(ap);
}

void wb_log_error(wb_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(run, "error", fmt, ap);
	va_end(ap);
}
