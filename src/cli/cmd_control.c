/*
 * cmd_control.c - `whimbrel pause`, `whimbrel resume` and `whimbrel limit`:
 * control a running migration from any machine, through its control row in
 * the target (wb_run_control_*, whimbrel/runner.h); and the pacing options
 * that `run` and `schedule` share (--max-wcu, --max-rcu, --max-rate,
 * --capacity).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "cli.h"

/* ------------------------------------------------------- pacing options */

/* A limit: a number >= 0 (0: none); --capacity takes P or P% (1-100). */
static int parse_limit(double *out, const char *cmd, const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);
	int pct = strcmp(opt, "--capacity") == 0;

	if (pct && *end == '%')
		end++;
	if (!*s || *end || v != v || v < 0 || v > 1e9 || (pct && (v <= 0 || v > 100)))
		return wb_cli_usage(cmd, pct ? "%s needs a percentage from 1 to 100 (50%%)"
					     : "%s needs a number of units per second (0: no limit)", opt);
	*out = v;
	return WB_EXIT_OK;
}

int wb_cli_limit_option(wb_run_control *c, const char *cmd, int argc, char **argv, int *i, int *code)
{
	static const char *const names[] = {"--max-wcu", "--max-rcu", "--max-rate", "--capacity"};
	double *fields[] = {&c->max_wcu, &c->max_rcu, &c->max_rate, &c->capacity_pct};
	const char *a = argv[*i], *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (strlen(names[k]) != n || strncmp(a, names[k], n) != 0)
			continue;
		if (!eq && *i + 1 >= argc)
			*code = wb_cli_usage(cmd, "%s needs a value", names[k]);
		else
			*code = parse_limit(fields[k], cmd, names[k], eq ? eq + 1 : argv[++*i]);
		return 1;
	}
	return 0;
}

int wb_cli_limits_set(const wb_run_control *c)
{
	return c->max_wcu >= 0 || c->max_rcu >= 0 || c->max_rate >= 0 || c->capacity_pct >= 0;
}

int wb_cli_limits_check(const wb_run_control *c, const char *cmd, const char *url)
{
	int embedded = strncmp(url, "sqlite:", 7) == 0;

	if (embedded && (c->max_wcu > 0 || c->max_rcu > 0 || c->capacity_pct > 0))
		return wb_cli_usage(cmd, "--max-wcu, --max-rcu and --capacity pace DynamoDB capacity units; "
				    "an SQLite target is paced in items per second: --max-rate N");
	return WB_EXIT_OK;
}

/* "max-wcu 100, max-rate 50" (the limits set in c), or "none". */
void wb_cli_limits_format(char *buf, size_t size, const wb_run_control *c)
{
	const char *names[] = {"max-wcu", "max-rcu", "max-rate", "capacity"};
	const double v[] = {c->max_wcu, c->max_rcu, c->max_rate, c->capacity_pct};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < 4 && len < size; k++)
		if (v[k] > 0)
			len += (size_t)snprintf(buf + len, size - len, "%s%s %g%s", len ? ", " : "", names[k], v[k],
						k == 3 ? "%" : "");
	if (!buf[0])
		snprintf(buf, size, "none");
}

/* ------------------------------------------------------------ commands */

/* What a control command was given. */
struct control_cmd {
	const char *cmd;      /* "pause", "resume" or "limit" */
	const char *target;   /* dev or prod */
	const char *run;      /* run id or job id */
	wb_run_control change; /* what to write */
};

static void control_help(const char *cmd)
{
	if (strcmp(cmd, "limit") == 0)
		printf("usage: whimbrel limit RUN [dev|prod] [--max-wcu N] [--max-rcu N] [--max-rate N]\n"
		       "                                     [--capacity P%%]\n\n"
		       "Change the limits of a running migration, from any machine: its processes\n"
		       "read them within about a second.  RUN is a run id (whimbrel history) or a\n"
		       "job id (whimbrel schedule list: every attempt of the job).  Limits are for\n"
		       "the whole run, shared by its threads and by its workers on every machine:\n"
		       "  --max-wcu N    write capacity units per second (DynamoDB)\n"
		       "  --max-rcu N    read capacity units per second (DynamoDB)\n"
		       "  --max-rate N   items per second (SQLite, and DynamoDB too)\n"
		       "  --capacity P%% P percent of the table's provisioned capacity, its global\n"
		       "                 secondary indexes included (not for on-demand tables)\n"
		       "0 removes a limit; a limit not named stays as it is.  Without an option,\n"
		       "print the run's limits.\n");
	else
		printf("usage: whimbrel %s RUN [dev|prod]\n\n"
		       "%s a running migration, from any machine, within a few seconds.  RUN is a\n"
		       "run id (whimbrel history) or a job id (whimbrel schedule list: every attempt\n"
		       "of the job).  A paused run keeps its lease and its checkpoints: its\n"
		       "processes stop making requests and its workers claim no new segment.\n"
		       "`whimbrel status` shows it paused.\n", cmd,
		       strcmp(cmd, "pause") == 0 ? "Pause" : "Resume");
	printf("\nThe target defaults to --target, else dev.  Exit: 0 done, 1 no such running\n"
	       "run or job (or the target failed), 2 bad command line.  See whimbrel-%s(1).\n", cmd);
}

static int parse_control(struct control_cmd *cc, const wb_cli *cli, int argc, char **argv)
{
	int code = WB_EXIT_OK;

	for (int i = 1; i < argc && code == WB_EXIT_OK; i++) {
		if (strcmp(cc->cmd, "limit") == 0 && wb_cli_limit_option(&cc->change, cc->cmd, argc, argv, &i, &code))
			continue;
		if (wb_cli_is_target(argv[i]) && !cc->target)
			cc->target = argv[i];
		else if (argv[i][0] != '-' && !cc->run)
			cc->run = argv[i];
		else
			code = wb_cli_usage(cc->cmd, "unexpected argument '%s'", argv[i]);
	}
	if (code == WB_EXIT_OK && !cc->run)
		code = wb_cli_usage(cc->cmd, "which run? give a run id from whimbrel history, or a job id");
	if (!cc->target)
		cc->target = wb_cli_target_name(cli);
	return code;
}

/* RUN names a running run or a job not over yet; *job gets whether it is a job. */
static int find_run(wb_db *db, const struct control_cmd *cc, int *job)
{
	wb_ledger_run r;
	wb_job j;
	int rc = wb_ledger_get(&r, db, cc->run);

	*job = 0;
	if (rc == 0 && strcmp(r.status, "running") != 0)
		return wb_cli_fail("run %s is %s, not running: nothing to %s", cc->run, r.status, cc->cmd);
	if (rc == 0)
		return WB_EXIT_OK;
	if (rc != WB_ENOTFOUND)
		return wb_cli_fail("cannot read the ledger: %s", wb_error_last());
	if ((rc = wb_job_get(&j, db, cc->run)) == 0) {
		*job = 1;
		if (strcmp(j.status, "scheduled") != 0 && strcmp(j.status, "running") != 0)
			return wb_cli_fail("job %s is %s: nothing to %s", cc->run, j.status, cc->cmd);
		return WB_EXIT_OK;
	}
	return wb_cli_fail("no run or job %s on %s (see whimbrel history %s)", cc->run, cc->target, cc->target);
}

static int show_limits(wb_db *db, const struct control_cmd *cc)
{
	wb_run_control c;
	char lim[200];

	if (wb_run_control_get(&c, db, cc->run) < 0)
		return wb_cli_fail("cannot read the control of %s: %s", cc->run, wb_error_last());
	wb_cli_limits_format(lim, sizeof(lim), &c);
	printf("%s: %s, limits: %s\n", cc->run, c.paused == 1 ? "paused" : "not paused", lim);
	return WB_EXIT_OK;
}

static int control_main(wb_cli *cli, const char *cmd, int argc, char **argv)
{
	struct control_cmd cc = {cmd, NULL, NULL, WB_RUN_CONTROL_INIT};
	char lim[200];
	wb_db *db = NULL;
	int code, job;

	if (wb_cli_wants_help(argc, argv)) {
		control_help(cmd);
		return WB_EXIT_OK;
	}
	if ((code = parse_control(&cc, cli, argc, argv)) != 0 || (code = wb_cli_runner_open(&db, NULL, cli, cc.target)) != 0)
		return code;
	if ((code = find_run(db, &cc, &job)) == 0 && strcmp(cmd, "limit") == 0 && !wb_cli_limits_set(&cc.change))
		code = show_limits(db, &cc);
	else if (code == 0) {
		if (strcmp(cmd, "limit") != 0)
			cc.change.paused = strcmp(cmd, "pause") == 0;
		if (wb_run_control_update(db, cc.run, &cc.change) < 0)
			code = wb_cli_fail("cannot %s %s: %s", cmd, cc.run, wb_error_last());
		wb_cli_limits_format(lim, sizeof(lim), &cc.change);
		if (code == 0 && !cli->quiet)
			printf(strcmp(cmd, "limit") == 0 ? "%s %s: limits set: %s\n" : "%s %s: %sd\n",
			       job ? "job" : "run", cc.run, strcmp(cmd, "limit") == 0 ? lim : cmd);
	}
	wb_close(db);
	return code;
}

int wb_cmd_pause(wb_cli *cli, int argc, char **argv)
{
	return control_main(cli, "pause", argc, argv);
}

int wb_cmd_resume(wb_cli *cli, int argc, char **argv)
{
	return control_main(cli, "resume", argc, argv);
}

int wb_cmd_limit(wb_cli *cli, int argc, char **argv)
{
	return control_main(cli, "limit", argc, argv);
}
