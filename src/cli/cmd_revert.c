/*
 * cmd_revert.c - `whimbrel revert RUN`: put back what one run changed.
 *
 * Argument parsing, the confirmation on a target that confirms, the
 * conflict lines and the summary; the revert itself is the runner's
 * wb_revert (src/runner/revert.c), a run of its own in the ledger.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "cli.h"

/* The command line. */
struct opts {
	const char *run_id;   /* the run to revert */
	const char *target;   /* dev or prod (default prod) */
	int dry_run;          /* --dry-run */
	int force;            /* --force */
	int yes;              /* --yes */
};

const char wb_cli_help_revert[] =
	"usage: whimbrel revert RUN [prod|dev] [--dry-run] [--force] [--yes]\n"
	"\n"
	"Put back what run RUN changed on the target (default prod), from its journal\n"
	"(whimbrel_journal; prod runs keep one unless run with --no-journal): the items\n"
	"it wrote get their before-image back, the items it created are deleted, the\n"
	"items it deleted are created again.  An item changed since the run is a\n"
	"conflict: listed with its key and left as it is, unless --force.\n"
	"\n"
	"The revert is a run of its own in the ledger (whimbrel history shows it): it\n"
	"holds the migration's lease, checkpoints as it goes (an interrupted revert goes\n"
	"on where it stopped when run again), and journals its own writes, so it can be\n"
	"reverted in turn.  Once every item is back, RUN's status becomes `reverted`.\n"
	"\n"
	"  --dry-run   count and list what would be done; write and record nothing\n"
	"  --force     put back the items changed since the run too\n"
	"  --yes       do not ask for confirmation (required on prod without a terminal)\n"
	"\n"
	"Exit: 0 reverted, 1 failed or conflicts left, 3 the migration's lease is held,\n"
	"130 interrupted.  See whimbrel-revert(1).\n";

static int parse(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--dry-run") == 0)
			o->dry_run = 1;
		else if (strcmp(a, "--force") == 0)
			o->force = 1;
		else if (strcmp(a, "--yes") == 0)
			o->yes = 1;
		else if (a[0] == '-' && a[1])
			return wb_cli_usage("revert", "unknown option '%s'", a);
		else if (!o->run_id)
			o->run_id = a;
		else if (!o->target && wb_cli_is_target(a))
			o->target = a;
		else
			return wb_cli_usage("revert", "unexpected argument '%s'", a);
	}
	if (!o->run_id)
		return wb_cli_usage("revert", "which run? whimbrel history lists them");
	if (!o->target)
		o->target = "prod";
	return 0;
}

/* Ask on a target that confirms; 0 to go on, else the exit code. */
static int confirm(wb_cli *cli, const struct opts *o, wb_db *db)
{
	wb_ledger_run r;
	char action[128];

	if (o->dry_run)
		return 0;
	if (wb_ledger_get(&r, db, o->run_id) != 0)
		memset(&r, 0, sizeof(r));
	snprintf(action, sizeof(action), "revert run %s", o->run_id);
	return wb_cli_confirm_typed(cli, o->target, o->yes, action, "nothing was reverted",
				    "About to revert run %s of %s on %s (%lld written, %lld deleted).", o->run_id,
				    r.migration[0] ? r.migration : "?", o->target, (long long)r.written,
				    (long long)r.deleted);
}

static void on_item(wb_revert_event ev, const char *table, const char *key, void *arg)
{
	const struct opts *o = arg;
	char t[300], k[1024];

	if (ev == WB_REVERT_RESUMED) {
		fprintf(stderr, "whimbrel: resuming the interrupted revert of run %s\n", o->run_id);
		return;
	}
	wb_escape_line(t, sizeof(t), table);
	wb_escape_line(k, sizeof(k), key);
	printf("conflict: %s %s changed since run %s: %s\n", t, k, o->run_id,
	       o->force ? "put back (--force)" : "left as it is");
}

static void summary(const struct opts *o, const wb_revert_counts *c, const wb_ledger_run *me)
{
	printf("%s run %s: %lld restored, %lld re-created, %lld deleted, %lld already as before, "
	       "%lld conflict(s)%s",
	       o->dry_run ? "would revert" : "reverted", o->run_id, (long long)c->restored,
	       (long long)c->recreated, (long long)c->deleted, (long long)c->unchanged,
	       (long long)(c->conflicts + c->forced), c->forced ? " put back" : c->conflicts ? " left" : "");
	if (!o->dry_run && me->run_id[0])
		printf(" (revert run %s)", me->run_id);
	printf("\n");
}

int wb_cmd_revert(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	wb_revert_options ro = WB_REVERT_OPTIONS_INIT;
	wb_revert_counts c;
	wb_ledger_run me;
	char *url = NULL;
	wb_db *db = NULL;
	int code, rc;

	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	if ((code = wb_cli_runner_open(&db, &url, cli, o.target)) != 0)
		return code;
	code = confirm(cli, &o, db);
	wb_close(db);
	if (code != 0) {
		wb_string_free(url);
		return code;
	}
	ro.url = url;
	ro.run_id = o.run_id;
	ro.dry_run = o.dry_run;
	ro.force = o.force;
	ro.progress = cli->isatty_out && !cli->quiet;
	ro.stop = wb_cli_stop_flag(0);
	ro.on_item = on_item;
	ro.arg = &o;
	memset(&me, 0, sizeof(me));
	rc = wb_revert(&c, &me, &ro);
	wb_string_free(url);
	if (rc < 0) {
		wb_cli_fail("revert of run %s: %s", o.run_id, wb_error_last());
		return wb_cli_exit_for(rc);
	}
	summary(&o, &c, &me);
	if (c.conflicts && !o.dry_run)
		return wb_cli_fail("%lld item(s) changed since run %s were left as they are; run %s is not "
				   "marked reverted (--force puts them back too)", (long long)c.conflicts,
				   o.run_id, o.run_id);
	return WB_EXIT_OK;
}
