/*
 * cmd_schedule.c - `whimbrel schedule`: record a migration as a job in the
 * target for `whimbrel worker` to run, and list, show or cancel jobs.
 *
 *     whimbrel schedule [add] dev|prod FILE (--at TIME | --now) [--workers N]
 *                       [--attempts N] [--timeout DUR] [--allow-dirty]
 *     whimbrel schedule list [dev|prod]
 *     whimbrel schedule show JOB [dev|prod]
 *     whimbrel schedule cancel JOB [dev|prod]
 *
 * The job holds the file's source, its SHA-256 and git commit (the runner's
 * wb_job_* calls in whimbrel/runner.h); the prod guard (guard.c) refuses a
 * file that is not committed as it is.  Times are UTC.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"
#include "guard.h"
#include "tools.h"

#define MAX_WORKERS WB_JOB_MAX_SEGMENTS

static void help(void)
{
	printf("usage: whimbrel schedule [add] dev|prod FILE (--at TIME | --now) [--workers N]\n"
	       "                         [--attempts N] [--timeout DUR] [--allow-dirty]\n"
	       "                         [--max-wcu N] [--max-rcu N] [--max-rate N]\n"
	       "                         [--capacity P%%]\n"
	       "       whimbrel schedule list [dev|prod]\n"
	       "       whimbrel schedule show JOB [dev|prod]\n"
	       "       whimbrel schedule cancel JOB [dev|prod]\n\n"
	       "Record the migration FILE as a job in the target (whimbrel_jobs), with its\n"
	       "source, SHA-256 and git commit: `whimbrel worker` processes on any machine run\n"
	       "exactly that source once it is due.  FILE must be committed and unchanged since\n"
	       "HEAD (its header's times aside).  list, show and cancel default to prod.\n\n"
	       "  --at TIME       when it is due, UTC: 2026-11-27T18:30:00Z, 2026-11-27 18:30,\n"
	       "                  2026-11-27 at 18:30:00 UTC, 2026-11-27 (midnight)\n"
	       "  --now           due at once\n"
	       "  --workers N     spread its scan over N worker processes (default 1, at most %d)\n"
	       "  --attempts N    run it again after a failure, N attempts in all (default 1)\n"
	       "  --timeout DUR   stop an attempt after DUR (90s, 30m, 2h, 1h30m) and record\n"
	       "                  it as timed out (default: none)\n"
	       "  --allow-dirty   schedule a file that is not committed; the job and its run\n"
	       "                  record that it was\n"
	       "  --max-wcu N, --max-rcu N, --max-rate N, --capacity P%%\n"
	       "                  limits of every attempt, shared by all its workers (see\n"
	       "                  whimbrel run --help; whimbrel limit JOB changes them)\n", MAX_WORKERS);
}

/* --------------------------------------------------------------- parsing */

/* "YYYY-MM-DD" followed by an optional time, all UTC; 0 or -1. */
static int parse_at(time_t *out, const char *s)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, k = 0;
	char sep;

	if (wb_time_parse(out, s) == 0) /* the header's own format */
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	sep = s[n];
	if (sep == 'T' || sep == ' ') {
		if (sscanf(s + n + 1, "%2d:%2d%n:%2d%n", &h, &mi, &k, &sec, &k) < 2)
			return -1;
		n += 1 + k;
	}
	if (s[n] == 'Z' || (s[n] == ' ' && strcmp(s + n, " UTC") == 0))
		n += s[n] == 'Z' ? 1 : 4;
	if (s[n] || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	*out = timegm(&tm);
	return 0;
}

/* "90s", "30m", "2h", "1h30m", "1d", or plain seconds; 0 or -1. */
static int parse_duration(int64_t *out, const char *s)
{
	int64_t total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		long long v;
		int64_t unit = 1;
		if (!isdigit((unsigned char)*s))
			return -1;
		v = strtoll(s, &end, 10);
		switch (*end) {
		case 'd': unit = 86400; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'm': unit = 60; end++; break;
		case 's': end++; break;
		case '\0': break;
		default: return -1;
		}
		if (v > 10LL * 365 * 86400)
			return -1;
		total += (int64_t)v * unit;
		s = end;
	}
	*out = total;
	return total > 0 ? 0 : -1;
}

static int parse_count(const char *cmd, const char *what, const char *s, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > max)
		return wb_cli_usage(cmd, "%s needs a number from 1 to %d, not '%s'", what, max, s);
	*out = (int)v;
	return 0;
}

/* What `schedule [add] TARGET FILE ...` asks for. */
struct add_opts {
	const char *target;  /* dev or prod */
	const char *path;    /* the migration file */
	int now;             /* --now */
	time_t at;           /* --at, or 0 */
	int workers;         /* --workers */
	int attempts;        /* --attempts */
	int64_t timeout_s;   /* --timeout, or 0 */
	int allow_dirty;     /* --allow-dirty */
	wb_run_control limits; /* --max-wcu, --max-rcu, --max-rate, --capacity */
};

/* The option at argv[*i] that takes a value: that value, or NULL after a usage error. */
static const char *value_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		wb_cli_usage("schedule", "%s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int parse_option(struct add_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;
	int code = 0;

	if (wb_cli_limit_option(&o->limits, "schedule", argc, argv, i, &code))
		return code;
	if (strcmp(a, "--now") == 0)
		return o->now = 1, 0;
	if (strcmp(a, "--allow-dirty") == 0)
		return o->allow_dirty = 1, 0;
	if (strcmp(a, "--at") && strcmp(a, "--workers") && strcmp(a, "--attempts") &&
	    strcmp(a, "--timeout"))
		return wb_cli_usage("schedule", "unknown option '%s'", a);
	if (!(v = value_of(argc, argv, i)))
		return WB_EXIT_USAGE;
	if (strcmp(a, "--workers") == 0)
		return parse_count("schedule", a, v, MAX_WORKERS, &o->workers);
	if (strcmp(a, "--attempts") == 0)
		return parse_count("schedule", a, v, 100, &o->attempts);
	if (strcmp(a, "--timeout") == 0 && parse_duration(&o->timeout_s, v) < 0)
		return wb_cli_usage("schedule", "bad --timeout '%s': expected a duration such as 90s, "
				    "30m, 2h or 1h30m", v);
	if (strcmp(a, "--at") == 0 && parse_at(&o->at, v) < 0)
		return wb_cli_usage("schedule", "bad --at '%s': expected a UTC time such as "
				    "2026-11-27T18:30:00Z or 2026-11-27 18:30", v);
	return 0;
}

static int parse_add(struct add_opts *o, int argc, char **argv)
{
	int code;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1]) {
			if ((code = parse_option(o, argc, argv, &i)) != 0)
				return code;
		} else if ((code = wb_cli_take_arg("schedule", a, &o->target, &o->path)) != 0) {
			return code;
		}
	}
	if (!o->target || !o->path)
		return wb_cli_usage("schedule", "expected dev|prod and a migration FILE");
	if (!wb_cli_is_target(o->target))
		return wb_cli_usage("schedule", "unknown target '%s': dev or prod", o->target);
	if (o->now == !!o->at)
		return wb_cli_usage("schedule", "give either --at TIME or --now");
	return 0;
}

/* --------------------------------------------------------------- output */

static void when(char *buf, size_t size, int64_t t)
{
	wb_format_utc(buf, size, t);
	if (t)
		strncat(buf, " UTC", size - strlen(buf) - 1);
}

static void timeout_text(char *buf, size_t size, int64_t s)
{
	if (s <= 0)
		snprintf(buf, size, "none");
	else
		wb_format_duration(buf, size, s * 1000);
}

static void print_added(const wb_job *j)
{
	char due[40], to[32];

	when(due, sizeof(due), j->at);
	timeout_text(to, sizeof(to), j->timeout_s);
	printf("scheduled %s: %s on %s, due %s, %d worker%s, %d attempt%s, timeout %s, commit %s%s\n",
	       j->job_id, j->migration, j->target, due, j->workers, j->workers == 1 ? "" : "s",
	       j->attempts, j->attempts == 1 ? "" : "s", to, j->commit[0] ? j->commit : "none",
	       j->dirty[0] ? " (dirty: allowed by --allow-dirty)" : "");
}

static void print_list(const wb_job *jobs, size_t n)
{
	char due[40], mig[64];

	if (n == 0) {
		printf("no jobs\n");
		return;
	}
	printf("%-36s  %-32s  %-23s  %-10s  %-7s  %s\n", "JOB", "MIGRATION", "DUE", "STATUS",
	       "WORKERS", "ATTEMPT");
	for (size_t i = 0; i < n; i++) {
		const wb_job *j = &jobs[i];
		when(due, sizeof(due), j->at);
		printf("%-36s  %-32s  %-23s  %-10s  %-7d  %d/%d\n", j->job_id,
		       wb_escape_line(mig, sizeof(mig), j->migration), due, j->status, j->workers,
		       j->attempt, j->attempts);
	}
}

static void field(const char *name, const char *value)
{
	char esc[1100];

	printf("%-11s %s\n", name, wb_escape_line(esc, sizeof(esc), value));
}

static void print_job(const wb_job *j)
{
	char t[40], n[64];

	field("job:", j->job_id);
	field("migration:", j->migration);
	field("file:", j->file);
	field("target:", j->target);
	field("status:", j->status);
	when(t, sizeof(t), j->at);
	field("due:", t);
	when(t, sizeof(t), j->created);
	printf("%-11s %s by %s\n", "created:", t, j->created_by);
	when(t, sizeof(t), j->finished);
	field("finished:", t);
	snprintf(n, sizeof(n), "%d", j->workers);
	field("workers:", n);
	snprintf(n, sizeof(n), "%d", j->segments);
	field("segments:", n);
	snprintf(n, sizeof(n), "%d of %d", j->attempt, j->attempts);
	field("attempt:", n);
	timeout_text(t, sizeof(t), j->timeout_s);
	field("timeout:", t);
	field("checksum:", j->checksum);
	field("commit:", j->commit[0] ? j->commit : "none");
	if (j->dirty[0])
		field("dirty:", j->dirty);
	field("run:", j->run_id[0] ? j->run_id : "none yet");
	if (j->error[0])
		field("error:", j->error);
}

/* ------------------------------------------------------------ segments */

/* "done", "running on w1 (heartbeat 2s ago)", "waiting", "failed: ...". */
static void segment_state(char *buf, size_t size, const wb_job_segment *s, int64_t now)
{
	char who[140];

	wb_escape_line(who, sizeof(who), s->worker);
	if (strcmp(s->state, "running") == 0 && s->expires < now)
		snprintf(buf, size, "lost by %s (lease expired %llds ago: the next worker takes it over)",
			 who, (long long)(now - s->expires));
	else if (strcmp(s->state, "running") == 0)
		snprintf(buf, size, "running on %s (heartbeat %llds ago)", who,
			 (long long)(now - s->heartbeat));
	else if (strcmp(s->state, "done") == 0)
		snprintf(buf, size, "done by %s", who);
	else if (strcmp(s->state, "failed") == 0)
		snprintf(buf, size, "failed on %s", who);
	else
		snprintf(buf, size, "waiting");
}

/* One line per segment (all) or per running one, after a summary line. */
static int print_segments(wb_db *db, const wb_job *j, int all)
{
	wb_job_segment *segs = NULL;
	size_t n = 0, done = 0, running = 0;
	int64_t now = (int64_t)time(NULL);
	char st[400];

	if (wb_job_segments(&segs, &n, db, j) < 0)
		return wb_cli_fail("cannot read the segments of %s: %s", j->job_id, wb_error_last());
	for (size_t i = 0; i < n; i++) {
		done += strcmp(segs[i].state, "done") == 0;
		running += strcmp(segs[i].state, "running") == 0;
	}
	printf("%-11s %zu segments: %zu done, %zu running, %zu waiting\n", "progress:", n, done, running,
	       n - done - running);
	for (size_t i = 0; i < n; i++) {
		const wb_job_segment *s = &segs[i];
		if (!all && strcmp(s->state, "running") != 0)
			continue;
		segment_state(st, sizeof(st), s, now);
		printf("  segment %-3d %-60s %lld scanned, %lld written, %lld deleted%s\n", s->index, st,
		       (long long)s->scanned, (long long)s->written, (long long)s->deleted,
		       s->takeovers ? " (taken over)" : "");
	}
	wb_job_segments_free(segs);
	return WB_EXIT_OK;
}

int wb_cli_print_running_jobs(wb_db *db)
{
	wb_job *jobs = NULL;
	size_t n = 0;
	int code = WB_EXIT_OK;

	if (wb_job_list(&jobs, &n, db) < 0)
		return wb_cli_fail("cannot read the jobs: %s", wb_error_last());
	for (size_t i = 0; i < n && code == WB_EXIT_OK; i++) {
		if (strcmp(jobs[i].status, "running") != 0)
			continue;
		printf("job %s: %s running, attempt %d of %d, run %s\n", jobs[i].job_id,
		       jobs[i].migration, jobs[i].attempt, jobs[i].attempts, jobs[i].run_id);
		code = print_segments(db, &jobs[i], 0);
	}
	wb_jobs_free(jobs);
	return code;
}

/* ------------------------------------------------------------ commands */

static int schedule_add(wb_cli *cli, int argc, char **argv)
{
	struct add_opts o = {.workers = 1, .attempts = 1, .limits = WB_RUN_CONTROL_INIT};
	wb_job_options jo = WB_JOB_OPTIONS_INIT;
	wb_cli_origin origin;
	wb_job job;
	wb_db *db = NULL;
	char *src, *url = NULL;
	size_t len;
	int code, rc;

	if ((code = parse_add(&o, argc, argv)) != 0 ||
	    (code = wb_cli_guard(&origin, "schedule", o.path, o.target, o.allow_dirty)) != 0)
		return code;
	if (!(src = wb_cli_read_file(o.path, &len)))
		return wb_cli_fail("cannot read %s", o.path);
	if ((code = wb_cli_runner_open(&db, &url, cli, o.target)) != 0 ||
	    (code = wb_cli_limits_check(&o.limits, "schedule", url)) != 0)
		goto out;
	jo.path = o.path, jo.source = src, jo.source_len = len, jo.target = o.target;
	jo.commit = origin.commit, jo.dirty = origin.dirty[0] ? origin.dirty : NULL;
	jo.at = o.now ? 0 : (int64_t)o.at;
	jo.workers = o.workers, jo.attempts = o.attempts, jo.timeout_s = o.timeout_s;
	jo.control = wb_cli_limits_set(&o.limits) ? &o.limits : NULL;
	if ((rc = wb_job_add(&job, db, &jo)) == 0)
		print_added(&job);
	else
		code = wb_cli_fail("%s", wb_error_last());
out:
	if (db)
		wb_close(db);
	wb_string_free(url);
	free(src);
	return code;
}

/* `list [TARGET]`, `show JOB [TARGET]`, `cancel JOB [TARGET]`: the arguments. */
static int parse_read(const char *sub, int argc, char **argv, int want_job, const char **job,
		      const char **target)
{
	int i = 1;

	*target = "prod";
	if (want_job) {
		if (argc < 2 || argv[1][0] == '-')
			return wb_cli_usage("schedule", "%s needs a JOB (see `whimbrel schedule list`)", sub);
		*job = argv[i++];
	}
	if (i < argc)
		*target = argv[i++];
	if (i < argc)
		return wb_cli_usage("schedule", "unexpected argument '%s'", argv[i]);
	if (!wb_cli_is_target(*target))
		return wb_cli_usage("schedule", "unknown target '%s': dev or prod", *target);
	return 0;
}

static int schedule_read(wb_cli *cli, int argc, char **argv)
{
	const char *sub = argv[0], *job_id = NULL, *target;
	int want_job = strcmp(sub, "list") != 0, code, rc = 0;
	wb_job *jobs = NULL, j;
	size_t n = 0;
	wb_db *db = NULL;

	if ((code = parse_read(sub, argc, argv, want_job, &job_id, &target)) != 0 ||
	    (code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	if (!want_job && (rc = wb_job_list(&jobs, &n, db)) == 0)
		print_list(jobs, n);
	else if (strcmp(sub, "show") == 0 && (rc = wb_job_get(&j, db, job_id)) == 0) {
		print_job(&j);
		if (j.attempt > 0)
			code = print_segments(db, &j, 1);
	}
	else if (strcmp(sub, "cancel") == 0 && (rc = wb_job_cancel(&j, db, job_id)) == 0)
		printf("cancelled %s (%s)\n", j.job_id, j.migration);
	if (rc < 0)
		code = wb_cli_fail("%s", wb_error_last());
	wb_jobs_free(jobs);
	wb_close(db);
	return code;
}

int wb_cmd_schedule(wb_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (wb_cli_wants_help(argc, argv)) {
		help();
		return WB_EXIT_OK;
	}
	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0 || strcmp(sub, "cancel") == 0)
		return schedule_read(cli, argc - 1, argv + 1);
	if (strcmp(sub, "add") == 0)
		return schedule_add(cli, argc - 2, argv + 2);
	return schedule_add(cli, argc - 1, argv + 1);
}
