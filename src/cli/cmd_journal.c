/*
 * cmd_journal.c - `whimbrel prune --journal`: drop the journal of the runs
 * past the target's journal retention (`journal_days =`, default 35 days),
 * over the runner's wb_journal_prune; and `whimbrel prune --snapshots`:
 * delete the snapshots of an embedded target past their retention
 * (`snapshot_days =`, default 14 days), over wb_snapshot_prune.  `whimbrel
 * prune` hands over to it when --journal or --snapshots is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "cli.h"
#include "tools.h"

/* The command line. */
struct opts {
	const char *target;   /* prod (default) or dev */
	long days;            /* --older-than Nd, or 0: the target's journal_days */
	int dry_run;          /* --dry-run */
	int yes;              /* --yes */
	int snapshots;        /* --snapshots (else --journal) */
	time_t now;           /* --now DATE, or the time */
};

static void help(void)
{
	printf("usage: whimbrel prune --journal [prod|dev] [--older-than Nd] [--dry-run] [--yes]\n"
	       "       whimbrel prune --snapshots [prod|dev] [--older-than Nd] [--dry-run] [--yes]\n"
	       "\n"
	       "Drop the journal (whimbrel_journal) of every run of the target (default prod)\n"
	       "that finished more than N days ago: by default the target's `journal_days =`\n"
	       "in whimbrel.conf, else 35.  Those runs can no longer be reverted; `whimbrel\n"
	       "restore` still goes back in time where the backend keeps history.\n"
	       "\n"
	       "--snapshots deletes the snapshots of an embedded (SQLite) target (one per prod\n"
	       "run, in DB.snapshots/) taken more than N days ago: by default the target's\n"
	       "`snapshot_days =`, else 14.  `whimbrel restore` cannot go back before the\n"
	       "earliest snapshot left.\n"
	       "\n"
	       "Both ask on a target that confirms, unless --yes.  See whimbrel-prune(1).\n");
}

static int parse(struct opts *o, wb_cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		if (strcmp(a, "--journal") == 0)
			continue;
		if (strcmp(a, "--snapshots") == 0)
			o->snapshots = 1;
		else
		if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0)
			o->dry_run = 1;
		else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0)
			o->yes = 1;
		else if (strcmp(a, "--older-than") == 0 && i + 1 < argc) {
			o->days = strtol(argv[++i], &end, 10);
			if (o->days <= 0 || (*end && strcmp(end, "d") != 0))
				return wb_cli_usage("prune", "bad --older-than '%s': a number of days such as 35d",
						    argv[i]);
		} else if (strcmp(a, "--now") == 0 && i + 1 < argc) {
			if (wb_cli_now_arg(&o->now, "prune", argv[++i]) != 0)
				return WB_EXIT_USAGE;
		} else if (!o->target && wb_cli_is_target(a))
			o->target = a;
		else
			return wb_cli_usage("prune", "unexpected argument '%s'", a);
	}
	if (!o->target)
		o->target = "prod";
	if (!o->days) {
		wb_target_options to = WB_TARGET_OPTIONS_INIT;
		int d;
		to.config = cli->config;
		if ((o->snapshots ? wb_target_snapshot_days(&d, &to, o->target)
				  : wb_target_journal_days(&d, &to, o->target)) < 0)
			return wb_cli_fail("%s", wb_error_last());
		o->days = d;
	}
	return 0;
}

static int confirmed(wb_cli *cli, const struct opts *o, int64_t n)
{
	const char *what = o->snapshots ? "snapshot(s)" : "run(s)";
	char action[128];

	snprintf(action, sizeof(action), "%s %lld %s", o->snapshots ? "delete" : "drop the journal of",
		 (long long)n, what);
	return wb_cli_confirm_typed(cli, o->target, o->yes || o->dry_run, action, "nothing was pruned",
				    "%s %lld %s on %s?", o->snapshots ? "Delete" : "Drop the journal of",
				    (long long)n, what, o->target) == 0;
}

/* --snapshots: delete those taken before `before`. */
static int prune_snapshots(wb_cli *cli, const struct opts *o, wb_db *db, int64_t before)
{
	wb_snapshot_pruned p;
	int rc = wb_snapshot_prune(&p, db, before, 1);

	if (rc == 0 && p.snapshots && !o->dry_run) {
		if (!confirmed(cli, o, p.snapshots))
			return WB_EXIT_ERROR;
		rc = wb_snapshot_prune(&p, db, before, 0);
	}
	if (rc < 0)
		return wb_cli_fail("prune --snapshots on %s: %s", o->target, wb_error_last());
	printf("%s %lld snapshot(s) (%lld bytes) taken more than %ld days ago on %s\n",
	       o->dry_run ? "would delete" : "deleted", (long long)p.snapshots, (long long)p.bytes, o->days,
	       o->target);
	return WB_EXIT_OK;
}

int wb_cli_prune_journal(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	wb_journal_pruned p;
	int64_t before;
	wb_db *db = NULL;
	int code, rc;

	if (wb_cli_wants_help(argc, argv)) {
		help();
		return WB_EXIT_OK;
	}
	o.now = time(NULL);
	if ((code = parse(&o, cli, argc, argv)) != 0)
		return code;
	if ((code = wb_cli_runner_open(&db, NULL, cli, o.target)) != 0)
		return code;
	before = (int64_t)o.now - (int64_t)o.days * 86400;
	if (o.snapshots) {
		code = prune_snapshots(cli, &o, db, before);
		wb_close(db);
		return code;
	}
	if ((rc = wb_journal_prune(&p, db, before, 1)) == 0 && p.runs && !o.dry_run) {
		if (!confirmed(cli, &o, p.runs)) {
			wb_close(db);
			return WB_EXIT_ERROR;
		}
		rc = wb_journal_prune(&p, db, before, 0);
	}
	wb_close(db);
	if (rc < 0)
		return wb_cli_fail("prune --journal on %s: %s", o.target, wb_error_last());
	if (o.dry_run)
		printf("would drop the journal of %lld run(s) finished more than %ld days ago on %s\n",
		       (long long)p.runs, o.days, o.target);
	else
		printf("dropped the journal of %lld run(s) finished more than %ld days ago on %s "
		       "(%lld chunk(s))\n", (long long)p.runs, o.days, o.target, (long long)p.chunks);
	return WB_EXIT_OK;
}
