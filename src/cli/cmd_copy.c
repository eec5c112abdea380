/*
 * cmd_copy.c - `whimbrel copy SRC DST`: copy a table's items into another
 * table, within one target or across two (the second step of a
 * point-in-time restore), over the runner's wb_copy.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"

/* The command line: the copy's options as typed, and the targets. */
struct opts {
	wb_copy_options co;         /* SRC, DST, --keys-of-run, --only-missing */
	const char *from, *to;      /* targets */
	int yes;                    /* --yes */
};

const char wb_cli_help_copy[] =
	"usage: whimbrel copy SRC DST [--from TARGET] [--to TARGET] [--keys-of-run RUN]\n"
	"                             [--only-missing | --overwrite] [--yes]\n"
	"\n"
	"Copy the items of table SRC into table DST (created with SRC's key when it does\n"
	"not exist), within one target or from --from to --to (default: the --target\n"
	"given before the command, else dev; --to defaults to --from).  Existing items\n"
	"of DST are overwritten (--overwrite, the default) or kept (--only-missing).\n"
	"\n"
	"  --keys-of-run RUN  copy only the items run RUN touched, from its journal: an\n"
	"                     item SRC holds is written into DST, an item it does not\n"
	"                     hold (the run created it) is deleted from DST\n"
	"  --yes              do not ask on a destination that confirms (prod)\n"
	"\n"
	"The copy checkpoints every page in the destination target: an interrupted copy\n"
	"(Ctrl-C, kill -9) goes on where it stopped when run again with the same\n"
	"arguments.  Exit: 0 copied, 1 failed, 130 interrupted.  See whimbrel-copy(1).\n";

static int parse(struct opts *o, wb_cli *cli, int argc, char **argv)
{
	wb_cli_opt opts[] = {{"--from", NULL, 1, 0, {0}}, {"--to", NULL, 1, 0, {0}},
			     {"--keys-of-run", NULL, 1, 0, {0}}, {"--only-missing", NULL, 0, 0, {0}},
			     {"--overwrite", NULL, 0, 0, {0}}, {"--yes", "-y", 0, 0, {0}},
			     {NULL, NULL, 0, 0, {0}}};
	char *pos[2];
	int npos = 0, code;

	if ((code = wb_cli_parse("copy", opts, argc, argv, pos, 2, &npos)) != 0)
		return code;
	if (npos < 2)
		return wb_cli_usage("copy", "expected SRC and DST tables");
	if (opts[3].seen && opts[4].seen)
		return wb_cli_usage("copy", "--only-missing and --overwrite exclude each other");
	o->co.src = pos[0];
	o->co.dst = pos[1];
	o->co.keys_of_run = opts[2].seen ? opts[2].v[0] : NULL;
	o->co.only_missing = opts[3].seen > 0;
	o->from = opts[0].seen ? opts[0].v[0] : wb_cli_target_name(cli);
	o->to = opts[1].seen ? opts[1].v[0] : o->from;
	o->yes = opts[5].seen > 0;
	return 0;
}

static int confirmed(wb_cli *cli, const struct opts *o)
{
	char action[600];
	const wb_copy_options *co = &o->co;

	snprintf(action, sizeof(action), "copy into %s", co->dst);
	return wb_cli_confirm_typed(cli, o->to, o->yes, action, "nothing was copied",
				    "About to copy %s%s%s (%s) into %s on %s%s.", co->src,
				    co->keys_of_run ? ", the items of run " : "", co->keys_of_run ? co->keys_of_run : "",
				    o->from, co->dst, o->to, co->only_missing ? " (only missing items)" : " (overwriting)")
	       == 0;
}

int wb_cmd_copy(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {.co = WB_COPY_OPTIONS_INIT};
	wb_copy_counts c;
	char *from = NULL, *to = NULL;
	int rc;

	if ((rc = parse(&o, cli, argc, argv)) != 0)
		return rc;
	if (wb_cli_target_url(&from, cli, o.from) < 0 || wb_cli_target_url(&to, cli, o.to) < 0) {
		wb_string_free(from);
		return wb_cli_fail("%s", wb_error_last());
	}
	if (!confirmed(cli, &o)) {
		wb_string_free(from);
		wb_string_free(to);
		return WB_EXIT_ERROR;
	}
	o.co.from_url = from;
	o.co.to_url = to;
	o.co.progress = cli->isatty_out && !cli->quiet;
	o.co.stop = wb_cli_stop_flag(0);
	rc = wb_copy(&c, &o.co);
	wb_string_free(from);
	wb_string_free(to);
	if (rc < 0) {
		wb_cli_fail("copy %s -> %s: %s", o.co.src, o.co.dst, wb_error_last());
		return wb_cli_exit_for(rc);
	}
	printf("copied %s (%s) -> %s (%s): %lld written, %lld kept (only missing), %lld deleted%s%s\n",
	       o.co.src, o.from, o.co.dst, o.to, (long long)c.written, (long long)c.skipped,
	       (long long)c.deleted, c.resumed ? ", resumed" : "", c.created_table ? ", table created" : "");
	return WB_EXIT_OK;
}
