/*
 * cmd_status.c - `whimbrel status`, `whimbrel history`, `whimbrel log`.
 *
 * They read the migration directory and the target's ledger only: none of
 * them compiles a migration (old migrations are not maintained and may no
 * longer compile).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"

/* ------------------------------------------------------------------ files */

/*
 * The migration names (*.c without .c) of dir, sorted; NULL-terminated
 * (wb_strings_free).  A missing directory has none.
 */
static int list_dir(const char *dir, char ***out, size_t *count)
{
	int rc = wb_migration_list(out, count, dir, 0);

	if (rc == WB_ENOTFOUND) {
		*count = 0;
		return (*out = calloc(1, sizeof(**out))) ? 0 : WB_ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < *count; i++)
		(*out)[i][strlen((*out)[i]) - 2] = '\0';
	return rc;
}

/* The last dev/prod run of `name` (plans, reverts and verifies do not count), or NULL. */
static const wb_ledger_run *last_run(const wb_ledger_run *runs, size_t n, const char *name)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(runs[i].migration, name) == 0 && strcmp(runs[i].mode, "plan") != 0 &&
		    strcmp(runs[i].mode, "revert") != 0 && strcmp(runs[i].mode, "verify") != 0)
			return &runs[i];
	return NULL;
}

/* ------------------------------------------------------------------ text */

static void print_head(int with_name)
{
	if (with_name)
		printf("%-40s ", "MIGRATION");
	printf("%-13s %-19s %-19s %8s %9s %9s %9s %9s %7s %9s %10s\n", "STATUS", "STARTED (UTC)",
	       "FINISHED (UTC)", "DURATION", "SCANNED", "WRITTEN", "DELETED", "UNCHANGED", "RETRIES", "THROTTLED",
	       "CONDFAILED");
}

static void print_run(const wb_ledger_run *r)
{
	char st[32], fin[32], dur[32];

	wb_format_utc(st, sizeof(st), r->started);
	wb_format_utc(fin, sizeof(fin), r->finished);
	wb_format_duration(dur, sizeof(dur), r->duration_ms);
	printf("%-13s %-19s %-19s %8s %9lld %9lld %9lld %9lld %7lld %9lld %10lld\n", r->status, st, fin, dur,
	       (long long)r->scanned, (long long)r->written, (long long)r->deleted,
	       (long long)r->unchanged, (long long)r->retries, (long long)r->throttled,
	       (long long)r->conditions_failed);
	if (r->unconditional)
		printf("%-26s unconditional: written without conditions (--unconditional)\n", "");
}

/* A string of the system's (host, user names) as JSON: null when it is not UTF-8. */
static json_t *system_string(const char *s)
{
	json_t *j = json_string(s);

	return j ? j : json_null();
}

static json_t *run_json(const wb_ledger_run *r)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			      " s:f, s:f, s:o, s:o, s:o, s:s}",
			      "run_id", r->run_id, "migration", r->migration, "mode", r->mode,
			      "status", r->status, "started", (json_int_t)r->started,
			      "finished", r->finished ? json_integer(r->finished) : json_null(),
			      "duration_ms", (json_int_t)r->duration_ms, "scanned", (json_int_t)r->scanned,
			      "written", (json_int_t)r->written, "deleted", (json_int_t)r->deleted,
			      "unchanged", (json_int_t)r->unchanged, "failed", (json_int_t)r->failed,
			      "retries", (json_int_t)r->retries, "throttled", (json_int_t)r->throttled,
			      "conditions_failed", (json_int_t)r->conditions_failed,
			      "rcu_consumed", r->rcu_consumed, "wcu_consumed", r->wcu_consumed,
			      "exit_code", r->finished ? json_integer(r->exit_code) : json_null(),
			      "host", system_string(r->host), "user", system_string(r->user),
			      "checksum", r->checksum);

	if (!o)
		return NULL;
	if (r->commit[0])
		json_object_set_new(o, "commit", json_string(r->commit));
	if (r->dirty[0])
		json_object_set_new(o, "dirty", json_string(r->dirty));
	if (r->job_id[0])
		json_object_set_new(o, "job_id", json_string(r->job_id));
	if (r->unconditional)
		json_object_set_new(o, "unconditional", json_true());
	if (r->error[0])
		json_object_set_new(o, "error", json_string(r->error));
	if (r->rcu_estimate > 0 || r->wcu_estimate > 0) {
		json_object_set_new(o, "rcu_estimate", json_real(r->rcu_estimate));
		json_object_set_new(o, "wcu_estimate", json_real(r->wcu_estimate));
	}
	if (r->verify_checked || r->verify_failed) {
		json_t *keys = r->verify_keys[0] ? json_loads(r->verify_keys, 0, NULL) : NULL;
		json_object_set_new(o, "verify_checked", json_integer(r->verify_checked));
		json_object_set_new(o, "verify_failed", json_integer(r->verify_failed));
		json_object_set_new(o, "verify_keys", keys ? keys : json_array());
	}
	if (r->verifies[0])
		json_object_set_new(o, "verifies", json_string(r->verifies));
	return o;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
}

/* ----------------------------------------------------------------- status */

const char wb_cli_help_status[] =
	"usage: whimbrel status [dev|prod] [--dir DIR] [--json]\n\n"
	"Every migration file of DIR (default migrations) with its last run on the target\n"
	"(default: --target, else dev): status, started, finished, duration and counts;\n"
	"`pending` when it never ran there; `dead` when a run is recorded as running but\n"
	"its runner is gone (no lease, an expired one, or its process gone on this\n"
	"host): the next run of it records what it did and resumes it.  Plans do not\n"
	"count as runs.  Never compiles anything.\n"
	"Then every running job (`whimbrel schedule`) with its segments: done, running\n"
	"(on which worker), waiting.\n";

/*
 * A run recorded as running whose lease is gone, someone else's, expired or
 * held by a process of this host that no longer exists has lost its
 * runner: say why into why (empty when it has not), so nobody waits for it.
 */
static int stale(char *why, size_t size, wb_db *db, const wb_ledger_run *r)
{
	wb_lease l;
	int rc;

	why[0] = '\0';
	if (strcmp(r->status, "running") != 0 || strcmp(r->mode, "plan") == 0 ||
	    r->job_id[0]) /* a job's: see its segments */
		return 0;
	rc = wb_lock_get(&l, db, r->migration);
	if (rc == WB_ENOTFOUND)
		snprintf(why, size, "it holds no lease");
	else if (rc == 0 && strcmp(l.run_id, r->run_id) != 0)
		snprintf(why, size, "its lease is held by run %s", l.run_id);
	else if (rc == 0 && l.expires < (int64_t)time(NULL))
		snprintf(why, size, "its lease expired %llds ago", (long long)(time(NULL) - l.expires));
	else if (rc == 0 && wb_lease_stale(&l))
		snprintf(why, size, "its process %lld is gone on this host", (long long)l.pid);
	return why[0] != '\0';
}

/* After the table: why each dead run is dead. */
static void print_dead(const wb_ledger_run *r, const char *why)
{
	char name[512];

	printf("note: %s: run %s is recorded as running but its runner is dead (%s); the next "
	       "run of it records what it did and resumes it\n",
	       wb_escape_line(name, sizeof(name), r->migration), r->run_id, why);
}

/* A running run's control (pause, limits): into its JSON, or a note line into `note` (size 600). */
static void show_control(wb_db *db, const wb_ledger_run *r, json_t *o, wb_ledger_run *shown, char *note)
{
	wb_run_control c;
	char lim[200], esc[256];

	if (note)
		note[0] = '\0';
	if (strcmp(r->status, "running") != 0 || wb_run_control_effective(&c, db, r->run_id, r->job_id) < 0) {
		wb_error_clear();
		return;
	}
	wb_cli_limits_format(lim, sizeof(lim), &c);
	if (o) {
		json_object_set_new(o, "paused", json_boolean(c.paused == 1));
		json_object_set_new(o, "limits", json_string(lim));
		return;
	}
	if (c.paused == 1)
		snprintf(shown->status, sizeof(shown->status), "paused");
	if (c.paused == 1 || strcmp(lim, "none") != 0)
		snprintf(note, 600, "note: run %s is %s (by %s), limits: %s\n", r->run_id,
			 c.paused == 1 ? "paused" : "running", wb_escape_line(esc, sizeof(esc), c.by[0] ? c.by : "-"), lim);
}

static int status_print(wb_db *db, const char *target, char **names, size_t nn,
			const wb_ledger_run *runs, size_t nr, int as_json)
{
	json_t *arr = as_json ? json_array() : NULL;
	size_t pending = 0, ndead = 0;
	const wb_ledger_run **dead = calloc(nn + 1, sizeof(*dead));
	char (*whys)[160] = calloc(nn + 1, sizeof(*whys));

	if (!dead || !whys) {
		free(dead);
		free(whys);
		json_decref(arr);
		return wb_cli_fail("out of memory");
	}

	if (!as_json) {
		printf("target %s\n", target);
		print_head(1);
	}
	for (size_t i = 0; i < nn; i++) {
		const wb_ledger_run *r = last_run(runs, nr, names[i]);
		wb_ledger_run shown;
		char note[600] = "";
		int lost = r && stale(whys[ndead], sizeof(whys[ndead]), db, r);
		pending += r == NULL;
		if (lost)
			dead[ndead++] = r;
		if (as_json) {
			json_t *o = r ? run_json(r) : json_object();
			json_object_set_new(o, "migration", json_string(names[i]));
			if (!r)
				json_object_set_new(o, "status", json_string("pending"));
			if (r && !lost)
				show_control(db, r, o, NULL, NULL);
			if (lost) {
				json_object_set_new(o, "stale", json_true());
				json_object_set_new(o, "dead", json_string(whys[ndead - 1]));
			}
			json_array_append_new(arr, o);
			continue;
		}
		char esc[512];
		printf("%-40s ", wb_escape_line(esc, sizeof(esc), names[i]));
		if (!r) {
			printf("pending\n");
			continue;
		}
		shown = *r;
		if (lost)
			snprintf(shown.status, sizeof(shown.status), "dead");
		else
			show_control(db, r, NULL, &shown, note);
		print_run(&shown);
		fputs(note, stdout);
	}
	if (as_json) {
		print_json(arr);
		free(dead);
		free(whys);
		return WB_EXIT_OK;
	}
	printf("%zu migration(s), %zu pending\n", nn, pending);
	for (size_t i = 0; i < ndead; i++)
		print_dead(dead[i], whys[i]);
	free(dead);
	free(whys);
	return wb_cli_print_running_jobs(db);
}

int wb_cmd_status(wb_cli *cli, int argc, char **argv)
{
	const char *target = wb_cli_target_name(cli), *dir = "migrations";
	int as_json = 0, code;
	char **names = NULL;
	size_t nn = 0, nr = 0;
	wb_ledger_run *runs = NULL;
	wb_cli_opt opts[] = {{"--json", NULL, 0, 0, {0}}, {"--dir", NULL, 1, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	wb_db *db;

	if ((code = wb_cli_parse_operand("status", opts, argc, argv, &target, NULL, NULL)) != 0)
		return code;
	as_json = opts[0].seen > 0;
	if (opts[1].seen)
		dir = opts[1].v[0];
	if (list_dir(dir, &names, &nn) < 0)
		return wb_cli_fail("%s", wb_error_last());
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		goto out;
	if (wb_ledger_list(&runs, &nr, db, NULL) < 0)
		code = wb_cli_fail("cannot read the ledger of %s: %s", target, wb_error_last());
	else
		code = status_print(db, target, names, nn, runs, nr, as_json);
	wb_close(db);
out:
	wb_ledger_runs_free(runs);
	wb_strings_free(names);
	return code;
}

/* ---------------------------------------------------------------- history */

/* A run of the migration named `mig` (a name or its leading part, "0003"), or any. */
static int matches(const wb_ledger_run *r, const char *mig)
{
	size_t n = mig ? strlen(mig) : 0;

	return !mig || strcmp(r->migration, mig) == 0 ||
	       (strncmp(r->migration, mig, n) == 0 && r->migration[n] == '_');
}

const char wb_cli_help_history[] =
	"usage: whimbrel history [dev|prod] [MIGRATION] [--json]\n\n"
	"The runs (and plans) of one migration, or of all, on the target (default:\n"
	"--target, else dev), oldest first, with their run ids for `whimbrel log RUN_ID`.\n";

int wb_cmd_history(wb_cli *cli, int argc, char **argv)
{
	const char *target = wb_cli_target_name(cli), *mig = NULL;
	wb_migration_id id;
	int as_json = 0, code;
	wb_ledger_run *runs = NULL;
	size_t nr = 0;
	wb_cli_opt opts[] = {{"--json", NULL, 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	wb_db *db;

	if ((code = wb_cli_parse_operand("history", opts, argc, argv, &target, &mig, NULL)) != 0)
		return code;
	as_json = opts[0].seen > 0;
	if (mig && wb_migration_id_parse(&id, mig) == 0)
		mig = id.name;
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	if (wb_ledger_list(&runs, &nr, db, NULL) < 0) {
		code = wb_cli_fail("cannot read the ledger of %s: %s", target, wb_error_last());
	} else if (as_json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < nr; i++)
			if (matches(&runs[i], mig))
				json_array_append_new(arr, run_json(&runs[i]));
		print_json(arr);
	} else {
		printf("%-26s %-40s %-5s ", "RUN", "MIGRATION", "MODE");
		print_head(0);
		for (size_t i = 0; i < nr; i++) {
			if (!matches(&runs[i], mig))
				continue;
			char name[4 * sizeof(runs[i].migration)], msg[4 * sizeof(runs[i].error)];
			printf("%-26s %-40s %-5s ", runs[i].run_id,
			       wb_escape_line(name, sizeof(name), runs[i].migration), runs[i].mode);
			print_run(&runs[i]);
			if (runs[i].error[0])
				printf("%-26s error: %s\n", "", wb_escape_line(msg, sizeof(msg), runs[i].error));
			if (runs[i].dirty[0])
				printf("%-26s dirty: %s (--allow-dirty)\n", "", wb_escape_line(msg, sizeof(msg), runs[i].dirty));
		}
	}
	wb_ledger_runs_free(runs);
	wb_close(db);
	return code;
}

/* -------------------------------------------------------------------- log */

struct log_opts {
	int raw;        /* --raw: the text only, as the migration wrote it */
	int n;          /* lines printed */
	int follow;     /* --follow: print each line once, as it comes */
	int64_t *seen;  /* --follow: the seq of every line printed, sorted up to nsorted */
	size_t nseen, nsorted, cap;
};

static int by_seq(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* --follow: whether line `seq` was printed already; if not, remember it. */
static int seen_before(struct log_opts *o, int64_t seq)
{
	if (o->nsorted && bsearch(&seq, o->seen, o->nsorted, sizeof(*o->seen), by_seq))
		return 1;
	if (o->nseen == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 1024;
		int64_t *p = realloc(o->seen, ncap * sizeof(*p));
		if (!p)
			return 0;
		o->seen = p;
		o->cap = ncap;
	}
	o->seen[o->nseen++] = seq;
	return 0;
}

/*
 * One line of the log.  Without --raw its control characters are escaped
 * (a line read from the target must not drive the terminal); --raw prints
 * the bytes as kept, for piping.
 */
static int print_line(const wb_log_line *l, void *arg)
{
	struct log_opts *o = arg;
	int plain = strcmp(l->stream, "stdout") == 0 || strcmp(l->stream, "stderr") == 0;
	size_t size;
	char *esc;
	const char *text;

	if (o->follow && seen_before(o, l->seq))
		return 0;
	size = o->raw ? 0 : 4 * strlen(l->line) + 1;
	esc = size ? malloc(size) : NULL;
	text = o->raw ? l->line : esc ? wb_escape_line(esc, size, l->line) : "?";
	o->n++;
	if (!o->raw) {
		char when[32];
		wb_format_utc(when, sizeof(when), l->ts_ms / 1000);
		printf("%s.%03d ", when, (int)(l->ts_ms % 1000));
	}
	if (l->worker && *l->worker)
		printf("[%s] ", l->worker);
	if (plain)
		printf("%s\n", text);
	else
		printf("[%s] %s\n", l->stream, text);
	free(esc);
	return 0;
}

/* --follow: print new lines every second until the run is no longer running. */
static int follow(wb_db *db, const char *run_id, struct log_opts *lo)
{
	wb_ledger_run run;
	int rc, last = 0;

	lo->follow = 1;
	while (!last) {
		last = wb_ledger_get(&run, db, run_id) < 0 || strcmp(run.status, "running") != 0;
		if ((rc = wb_ledger_log_each(db, run_id, print_line, lo)) < 0 && rc != WB_ENOTFOUND)
			break;
		rc = 0;
		if (lo->nseen > 1)
			qsort(lo->seen, lo->nseen, sizeof(*lo->seen), by_seq);
		lo->nsorted = lo->nseen;
		if (fflush(stdout) != 0)
			break;
		if (!last)
			sleep(1);
	}
	free(lo->seen);
	return rc;
}

const char wb_cli_help_log[] =
	"usage: whimbrel log RUN_ID [dev|prod] [--raw] [--follow]\n\n"
	"The captured output of a run (its stdout, stderr, log lines and the runner's\n"
	"notes), as kept in the target (default: --target, else dev), each line with\n"
	"its time (UTC) and, for a job's run, the id of the worker that wrote it; --raw\n"
	"prints the text only.  --follow keeps printing new lines (of every worker)\n"
	"until the run is no longer running.  `whimbrel history` lists run ids.\n";

int wb_cmd_log(wb_cli *cli, int argc, char **argv)
{
	const char *target = wb_cli_target_name(cli), *run_id = NULL;
	struct log_opts lo = {0};
	wb_cli_opt opts[] = {{"--raw", NULL, 0, 0, {0}}, {"--follow", "-f", 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	wb_ledger_run run;
	wb_db *db;
	int code, rc;

	if ((code = wb_cli_parse_operand("log", opts, argc, argv, &target, &run_id,
					 "which run? whimbrel history lists them")) != 0)
		return code;
	lo.raw = opts[0].seen > 0;
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	if ((rc = wb_ledger_get(&run, db, run_id)) == WB_ENOTFOUND)
		code = wb_cli_fail("no run %s on %s (see whimbrel history %s)", run_id, target, target);
	else if (rc < 0 || (opts[1].seen ? follow(db, run_id, &lo) /* --follow */
					 : wb_ledger_log_each(db, run_id, print_line, &lo)) < 0)
		code = wb_cli_fail("cannot read the log of %s: %s", run_id, wb_error_last());
	wb_close(db);
	return code;
}
