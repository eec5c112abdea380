/*
 * cmd_verify.c - `whimbrel verify RUN`: run the verify checks of a run's
 * migration again, later (after the application was deployed, say).
 *
 * The migration's program runs again in verify-only mode (the runner's
 * wb_runner_run with `verifies`): wb_each and wb_each_query do nothing,
 * writes the program makes itself are intercepted as in a plan, and the
 * checks it registers with wb_verify run over the target's items, in
 * parallel, paced and checkpointed under their own name (an interrupted
 * verify goes on where it stopped when run again).  It is a run of its
 * own in the ledger: mode `verify`, `verifies` naming RUN, status
 * succeeded or "verify failed" with the count and the first keys.
 */
#include <stdio.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"

/* The command line. */
struct opts {
	const char *run_id;   /* the run whose checks run again */
	const char *target;   /* dev or prod (default prod) */
	const char *dir;      /* --dir DIR: where its file is (default migrations) */
	const char *file;     /* --file FILE: the file itself */
	int threads;          /* --threads N (0 = default) */
	int restart;          /* --restart: ignore the checkpoints of an interrupted verify */
};

const char wb_cli_help_verify[] =
	"usage: whimbrel verify RUN [prod|dev] [--dir DIR | --file FILE] [--threads N] [--restart]\n"
	"\n"
	"Check the items again with the verify callbacks (wb_verify) of run RUN's\n"
	"migration, on the target (default prod): the migration's program runs again in\n"
	"verify-only mode: wb_each does nothing, its own writes are intercepted as in a\n"
	"plan, and every check it registers runs over every item of its table or key\n"
	"prefix, in parallel and checkpointed (an interrupted verify goes on where it\n"
	"stopped when run again).  The verify is a run of its own in the ledger (mode\n"
	"verify); its status is `succeeded` when every item passed, else `verify failed`\n"
	"with the count and the first keys that failed.\n"
	"\n"
	"  --dir DIR      the migrations directory holding NAME.c (default: migrations)\n"
	"  --file FILE    the migration file (instead of DIR/NAME.c)\n"
	"  --threads N    threads for the checks (default: the number of cores)\n"
	"  --restart      ignore the checkpoints of an interrupted verify: start over\n"
	"\n"
	"Exit: 0 every item passed, 1 an item failed (or the verify did), 3 the\n"
	"migration's lease is held, 130 interrupted.  See whimbrel-verify(1).\n";

static int parse(struct opts *o, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--dir", NULL, 1, 0, {0}}, {"--file", NULL, 1, 0, {0}},
			     {"--threads", NULL, 1, 0, {0}}, {"--restart", NULL, 0, 0, {0}},
			     {NULL, NULL, 0, 0, {0}}};
	size_t threads = 0;
	int code;

	o->run_id = NULL;
	o->target = "prod";
	if ((code = wb_cli_parse_operand("verify", opts, argc, argv, &o->target, &o->run_id,
					 "which run? whimbrel history lists them")) != 0)
		return code;
	if (opts[2].seen && (code = wb_cli_parse_count("verify", "--threads", opts[2].v[0], &threads)) != 0)
		return code;
	if (opts[0].seen && opts[1].seen)
		return wb_cli_usage("verify", "--dir and --file exclude each other");
	o->dir = opts[0].seen ? opts[0].v[0] : NULL;
	o->file = opts[1].seen ? opts[1].v[0] : NULL;
	o->threads = threads > 1000 ? 1000 : (int)threads;
	o->restart = opts[3].seen > 0;
	return 0;
}

/* The run to verify again: a run (not a plan); a verify run stands for the run it verified. */
static int find_run(wb_ledger_run *out, wb_db *db, const char *run_id)
{
	int rc = wb_ledger_get(out, db, run_id);

	if (rc == WB_ENOTFOUND)
		return wb_cli_fail("no run %s in the ledger (whimbrel history lists them)", run_id);
	if (rc < 0)
		return wb_cli_fail("cannot read run %s: %s", run_id, wb_error_last());
	if (strcmp(out->mode, "plan") == 0)
		return wb_cli_fail("run %s is a plan: verify a run of its migration", run_id);
	if (strcmp(out->mode, "verify") == 0 && out->verifies[0])
		return find_run(out, db, out->verifies);
	return WB_EXIT_OK;
}

/* The run that RUN stands for (find_run), and the target's URL into *url (the caller's). */
static int source_run(wb_ledger_run *run, char **url, wb_cli *cli, const struct opts *o)
{
	wb_db *db = NULL;
	int code;

	if ((code = wb_cli_runner_open(&db, url, cli, o->target)) != 0)
		return code;
	code = find_run(run, db, o->run_id);
	wb_close(db);
	return code;
}

int wb_cmd_verify(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	wb_run_options ro = WB_RUN_OPTIONS_INIT;
	wb_ledger_run run, rec;
	wb_migration_id id;
	char path[1024], *url = NULL;
	int code, rc;

	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	if ((code = source_run(&run, &url, cli, &o)) != 0) {
		wb_string_free(url);
		return code;
	}
	snprintf(path, sizeof(path), "%s/%s.c", o.dir ? o.dir : "migrations", run.migration);
	if (o.file && (wb_migration_id_parse(&id, o.file) < 0 || strcmp(id.name, run.migration) != 0)) {
		wb_string_free(url);
		return wb_cli_fail("--file %s is not migration %s (run %s)", o.file, run.migration, run.run_id);
	}
	ro.path = o.file ? o.file : path;
	ro.url = url;
	ro.mode = o.target;
	ro.verifies = run.run_id;
	ro.threads = o.threads;
	ro.restart = o.restart;
	ro.progress = cli->isatty_out && !cli->quiet;
	rc = wb_runner_run(&rec, &ro);
	wb_string_free(url);
	if (rc < 0)
		return wb_cli_error(rc);
	if (strcmp(rec.checksum, run.checksum) != 0)
		fprintf(stderr, "whimbrel: note: %s is not the source run %s ran (a prod run's header "
			"stamp changes it too)\n", ro.path, run.run_id);
	return wb_cli_exit_of_run(&rec);
}
