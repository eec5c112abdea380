/*
 * cmd_worker.c - `whimbrel worker dev|prod [--once] [--id NAME]
 * [--max-jobs N]`: run the due jobs of a target (wb_worker_run in
 * whimbrel/runner.h) together with every other worker that reaches it.
 * This is what cron, a systemd timer, a Kubernetes CronJob or Indexed Job
 * and an AWS Batch array job run (deploy/, docs/operations.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "cli.h"

const char wb_cli_help_worker[] =
	"usage: whimbrel worker dev|prod [--once] [--id NAME] [--max-jobs N] [--concurrency N]\n\n"
	"Run the jobs `whimbrel schedule` recorded in the target once they are due:\n"
	"claim their scan segments one at a time (a lease with a heartbeat), run each\n"
	"with checkpoints, take over the segments of a worker that died once their\n"
	"lease expired, and record every attempt as a run in the ledger.  Any number of\n"
	"workers on any number of machines share a job.  SIGTERM finishes the batch in\n"
	"hand, commits its checkpoint, hands the segment back and exits 0.\n\n"
	"  --once          do what is due, then exit 0 (at once when nothing is due)\n"
	"  --id NAME       this worker's name in leases and logs (default HOST:PID)\n"
	"  --max-jobs N    exit once N jobs this worker worked on have ended\n"
	"  --concurrency N DynamoDB requests in flight per migration process (default:\n"
	"                  the target's `concurrency =` in whimbrel.conf, else 32)\n\n"
	"Leases last WHIMBREL_LEASE_SECONDS (default 60) and are renewed every third of\n"
	"that; an idle worker looks for due jobs as often (at most every 5 s).\n";

/* What the command line asks for. */
struct worker_opts {
	const char *target;  /* dev or prod */
	const char *id;      /* --id */
	int once;            /* --once */
	int max_jobs;        /* --max-jobs */
	int concurrency;     /* --concurrency (0: the target's, else the default) */
};

static int parse_max(const char *opt, long max, const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > max)
		return wb_cli_usage("worker", "%s needs a number from 1 to %ld, not '%s'", opt, max, s);
	*out = (int)v;
	return 0;
}

static int parse(struct worker_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--once") == 0) {
			o->once = 1;
		} else if (strcmp(a, "--concurrency") == 0) {
			if (i + 1 >= argc)
				return wb_cli_usage("worker", "%s needs a value", a);
			if (parse_max(a, 256, argv[++i], &o->concurrency) != 0)
				return WB_EXIT_USAGE;
		} else if (strcmp(a, "--id") == 0 || strcmp(a, "--max-jobs") == 0) {
			if (i + 1 >= argc)
				return wb_cli_usage("worker", "%s needs a value", a);
			if (a[2] == 'i' && !*(o->id = argv[++i]))
				return wb_cli_usage("worker", "--id needs a name");
			if (a[2] == 'm' && parse_max(a, 1000000, argv[++i], &o->max_jobs) != 0)
				return WB_EXIT_USAGE;
		} else if (a[0] == '-' && a[1]) {
			return wb_cli_usage("worker", "unknown option '%s'", a);
		} else if (!o->target) {
			o->target = a;
		} else {
			return wb_cli_usage("worker", "unexpected argument '%s'", a);
		}
	}
	if (!o->target)
		return wb_cli_usage("worker", "expected dev|prod");
	if (!wb_cli_is_target(o->target))
		return wb_cli_usage("worker", "unknown target '%s': dev or prod", o->target);
	return 0;
}

int wb_cmd_worker(wb_cli *cli, int argc, char **argv)
{
	struct worker_opts o = {0};
	wb_worker_options wo = WB_WORKER_OPTIONS_INIT;
	char *url = NULL;
	wb_db *db = NULL;
	int code, rc;

	if ((code = parse(&o, argc, argv)) != 0 || (code = wb_cli_concurrency(cli, o.target, o.concurrency)) != 0 ||
	    (code = wb_cli_runner_open(&db, &url, cli, o.target)) != 0)
		return code;
	wb_close(db);
	wo.url = url;
	wo.target = o.target;
	wo.id = o.id;
	wo.once = o.once;
	wo.max_jobs = o.max_jobs;
	if ((rc = wb_worker_run(NULL, &wo)) < 0)
		code = wb_cli_fail("%s", wb_error_last());
	wb_string_free(url);
	return code;
}
