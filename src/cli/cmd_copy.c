/*
 * cmd_copy.c - `whimbrel copy SRC DST`: copy a table's items into another
 * table, within one target or across two (the second step of a
 * point-in-time restore), over the runner's wb_copy.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "cli.h"

/* The command line. */
struct opts {
	const char *src, *dst;      /* tables */
	const char *from, *to;      /* targets */
	const char *keys_of_run;    /* --keys-of-run RUN */
	int only_missing;           /* --only-missing (else --overwrite, the default) */
	int overwrite;              /* --overwrite given */
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

static int parse(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **val = NULL;
		if (strcmp(a, "--from") == 0)
			val = &o->from;
		else if (strcmp(a, "--to") == 0)
			val = &o->to;
		else if (strcmp(a, "--keys-of-run") == 0)
			val = &o->keys_of_run;
		else if (strcmp(a, "--only-missing") == 0)
			o->only_missing = 1;
		else if (strcmp(a, "--overwrite") == 0)
			o->overwrite = 1;
		else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0)
			o->yes = 1;
		else if (a[0] == '-' && a[1])
			return wb_cli_usage("copy", "unknown option '%s'", a);
		else if (!o->src)
			o->src = a;
		else if (!o->dst)
			o->dst = a;
		else
			return wb_cli_usage("copy", "unexpected argument '%s'", a);
		if (val && (i + 1 >= argc || argv[i + 1][0] == '-'))
			return wb_cli_usage("copy", "%s needs a value", a);
		if (val)
			*val = argv[++i];
	}
	if (!o->src || !o->dst)
		return wb_cli_usage("copy", "expected SRC and DST tables");
	if (o->only_missing && o->overwrite)
		return wb_cli_usage("copy", "--only-missing and --overwrite exclude each other");
	return 0;
}

static int confirmed(wb_cli *cli, const struct opts *o)
{
	char action[600];

	snprintf(action, sizeof(action), "copy into %s", o->dst);
	return wb_cli_confirm_typed(cli, o->to, o->yes, action, "nothing was copied",
				    "About to copy %s%s%s (%s) into %s on %s%s.", o->src,
				    o->keys_of_run ? ", the items of run " : "", o->keys_of_run ? o->keys_of_run : "",
				    o->from, o->dst, o->to, o->only_missing ? " (only missing items)" : " (overwriting)")
	       == 0;
}

static int copy(wb_cli *cli, const struct opts *o)
{
	wb_copy_options co = WB_COPY_OPTIONS_INIT;
	wb_copy_counts c;
	char *from = NULL, *to = NULL;
	int rc;

	if (wb_cli_target_url(&from, cli, o->from) < 0 || wb_cli_target_url(&to, cli, o->to) < 0) {
		wb_string_free(from);
		return wb_cli_fail("%s", wb_error_last());
	}
	if (!confirmed(cli, o)) {
		wb_string_free(from);
		wb_string_free(to);
		return WB_EXIT_ERROR;
	}
	co.from_url = from;
	co.to_url = to;
	co.src = o->src;
	co.dst = o->dst;
	co.keys_of_run = o->keys_of_run;
	co.only_missing = o->only_missing;
	co.progress = cli->isatty_out && !cli->quiet;
	co.stop = wb_cli_stop_flag();
	rc = wb_copy(&c, &co);
	wb_string_free(from);
	wb_string_free(to);
	if (rc < 0) {
		wb_cli_fail("copy %s -> %s: %s", o->src, o->dst, wb_error_last());
		return wb_cli_exit_for(rc);
	}
	printf("copied %s (%s) -> %s (%s): %lld written, %lld kept (only missing), %lld deleted%s%s\n",
	       o->src, o->from, o->dst, o->to, (long long)c.written, (long long)c.skipped,
	       (long long)c.deleted, c.resumed ? ", resumed" : "", c.created_table ? ", table created" : "");
	return WB_EXIT_OK;
}

int wb_cmd_copy(wb_cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	int code;

	if ((code = parse(&o, argc, argv)) != 0)
		return code;
	if (!o.from)
		o.from = wb_cli_target_name(cli);
	if (!o.to)
		o.to = o.from;
	return copy(cli, &o);
}
