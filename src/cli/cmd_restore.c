/*
 * cmd_restore.c - `whimbrel restore TABLE --to TIME --into NEW` (a table
 * as it was at a time, into a new table: the first step of the procedure
 * of docs/restore.md) and `whimbrel pitr status|enable TABLE` (the
 * history a table has), over the runner's wb_restore and wb_pitr_*.
 */
#include <stdio.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"

/* The command line of restore. */
struct opts {
	const char *table, *into;   /* TABLE, --into NEW */
	const char *to;             /* --to TIME */
	int latest;                 /* --latest (DynamoDB) */
	const char *target;         /* prod (default) or dev */
};

const char wb_cli_help_restore[] =
	"usage: whimbrel restore TABLE [prod|dev] --to TIME --into NEW\n"
	"       whimbrel restore TABLE [prod|dev] --latest --into NEW   (DynamoDB)\n"
	"\n"
	"Write table TABLE as it was at TIME into the new table NEW of the same target\n"
	"(default prod, or the --target given before the command).  TIME is an RFC 3339\n"
	"time (2026-11-27T10:00:03Z; a fraction, or an offset such as +01:00, allowed;\n"
	"no zone means UTC) or the id of a run: the point just before that run.\n"
	"\n"
	"  DynamoDB  RestoreTableToPointInTime (point-in-time recovery must be on:\n"
	"            whimbrel pitr enable TABLE), then waits until NEW is ACTIVE,\n"
	"            showing its status; a TIME outside the restorable window is\n"
	"            refused with the earliest and latest restorable times.\n"
	"  SQLite    the latest snapshot at or before TIME (each prod run takes one at\n"
	"            its start, kept snapshot_days) and the journal of the runs after\n"
	"            it.  When that cannot reach TIME exactly, the output says which\n"
	"            point was restored and why; a TIME older than every snapshot is\n"
	"            refused with the points there are.\n"
	"\n"
	"NEW must not exist.  Then `whimbrel copy NEW TABLE --keys-of-run RUN` and\n"
	"`whimbrel table drop NEW` finish the procedure of going back in time.\n"
	"Exit: 0 restored (the point is printed), 1 refused or failed, 2 usage, 130\n"
	"interrupted (DynamoDB goes on restoring).  See whimbrel-restore(1).\n";

static int parse(struct opts *o, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--to", NULL, 1, 0, {0}}, {"--into", NULL, 1, 0, {0}},
			     {"--latest", NULL, 0, 0, {0}}, {NULL, NULL, 0, 0, {0}}};
	int code;

	o->table = NULL;
	o->target = NULL;
	if ((code = wb_cli_parse_operand("restore", opts, argc, argv, &o->target, &o->table, NULL)) != 0)
		return code;
	if (!o->table || !opts[1].seen)
		return wb_cli_usage("restore", "expected TABLE and --into NEW");
	if (!opts[0].seen == !opts[2].seen)
		return wb_cli_usage("restore", "expected one of --to TIME and --latest");
	o->to = opts[0].seen ? opts[0].v[0] : NULL;
	o->into = opts[1].v[0];
	o->latest = opts[2].seen > 0;
	return 0;
}

static void progress(const char *line, void *arg)
{
	char out[600];

	(void)arg;
	fprintf(stderr, "whimbrel: %s\n", wb_escape_line(out, sizeof(out), line));
}

/* "2026-11-27 10:00:03.250" (UTC). */
static void utc_ms(char *buf, size_t size, int64_t ms)
{
	char s[32];

	wb_format_utc(s, sizeof(s), ms / 1000);
	snprintf(buf, size, "%s.%03d", s, (int)(ms % 1000));
}

int wb_cmd_restore(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	wb_restore_options ro = WB_RESTORE_OPTIONS_INIT;
	wb_restore_result r;
	char *url = NULL, point[48], asked[48];
	int rc;

	if ((rc = parse(&o, argc, argv)) != 0)
		return rc;
	if (!o.target)
		o.target = cli->target ? cli->target : "prod";
	if (wb_cli_target_url(&url, cli, o.target) < 0)
		return wb_cli_fail("%s", wb_error_last());
	ro.url = url;
	ro.table = o.table;
	ro.into = o.into;
	ro.to = o.to;
	ro.latest = o.latest;
	ro.progress = cli->isatty_out && !cli->quiet;
	ro.stop = wb_cli_stop_flag(0);
	ro.on_progress = cli->quiet ? NULL : progress;
	rc = wb_restore(&r, &ro);
	wb_string_free(url);
	if (rc < 0) {
		wb_cli_fail("restore %s: %s", o.table, wb_error_last());
		return wb_cli_exit_for(rc);
	}
	utc_ms(point, sizeof(point), r.point_ms);
	utc_ms(asked, sizeof(asked), r.asked_ms);
	printf("restored %s into %s as of %s UTC%s%s%s: %s", o.table, o.into, point,
	       r.exact || o.latest ? "" : ", not ", r.exact || o.latest ? "" : asked,
	       r.exact || o.latest ? "" : " UTC as asked", r.how);
	if (r.items || r.replayed)
		printf(" (%lld item(s))", (long long)r.items);
	printf("\n");
	if (!r.exact && !o.latest)
		fprintf(stderr, "whimbrel: warning: %s holds %s as of %s UTC, earlier than the time asked "
			"for (%s UTC)\n", o.into, o.table, point, asked);
	return WB_EXIT_OK;
}

/* ------------------------------------------------------------------ pitr */

const char wb_cli_help_pitr[] =
	"usage: whimbrel pitr status TABLE [prod|dev]\n"
	"       whimbrel pitr enable TABLE [prod|dev]\n"
	"\n"
	"The history `whimbrel restore` can go back in, for table TABLE of the target\n"
	"(default prod, or the --target given before the command).\n"
	"\n"
	"  status  DynamoDB: point-in-time recovery on or off and the earliest and\n"
	"          latest restorable times (DescribeContinuousBackups).  SQLite: the\n"
	"          snapshots kept (one per prod run) and the earliest point.\n"
	"  enable  DynamoDB: turn point-in-time recovery on (UpdateContinuousBackups);\n"
	"          an embedded target needs nothing (prod runs take snapshots).\n"
	"\n"
	"Exit: 0 done, 1 failed (no such table...), 2 usage.  See whimbrel-pitr(1).\n";

static int pitr_show(wb_db *db, const char *table)
{
	wb_pitr_info p;
	char e[32], l[32];

	if (wb_pitr_status(&p, db, table) < 0)
		return wb_cli_fail("pitr status %s: %s", table, wb_error_last());
	wb_format_utc(e, sizeof(e), p.earliest_ms / 1000);
	wb_format_utc(l, sizeof(l), p.latest_ms / 1000);
	if (strcmp(p.status, "SNAPSHOTS") == 0 || strcmp(p.status, "NONE") == 0)
		printf("%s: %lld snapshot(s) kept (one per prod run); earliest restorable %s UTC\n", table,
		       (long long)p.snapshots, e);
	else
		printf("%s: point-in-time recovery %s; earliest restorable %s UTC, latest %s UTC\n", table,
		       p.status, e, l);
	return WB_EXIT_OK;
}

int wb_cmd_pitr(wb_cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL, *table = argc > 2 ? argv[2] : NULL;
	const char *target = cli->target ? cli->target : "prod";
	wb_db *db = NULL;
	int code;

	if (!verb || (strcmp(verb, "status") != 0 && strcmp(verb, "enable") != 0))
		return wb_cli_usage("pitr", "expected status or enable");
	if (!table || table[0] == '-')
		return wb_cli_usage("pitr", "expected TABLE");
	if (argc > 4 || (argc == 4 && !wb_cli_is_target(argv[3])))
		return wb_cli_usage("pitr", "unexpected argument '%s'", argv[argc - 1]);
	if (argc == 4)
		target = argv[3];
	if ((code = wb_cli_runner_open(&db, NULL, cli, target)) != 0)
		return code;
	if (strcmp(verb, "enable") == 0) {
		code = wb_pitr_enable(db, table) < 0 ? wb_cli_fail("pitr enable %s: %s", table, wb_error_last())
						     : WB_EXIT_OK;
		if (code == WB_EXIT_OK)
			printf("%s: point-in-time recovery enabled\n", table);
	}
	if (code == WB_EXIT_OK)
		code = pitr_show(db, table);
	wb_close(db);
	return code;
}
