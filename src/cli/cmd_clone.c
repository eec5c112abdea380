/*
 * cmd_clone.c - `whimbrel clone FROM TO`: fill a target's tables from
 * another's (prod into dev, for realistic dry runs), a sample of whole
 * partitions and masked attributes if asked, over the runner's wb_clone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "args.h"
#include "cli.h"

#define MAX_LIST 256 /* tables or masked attributes on one command line */

/* The command line. */
struct opts {
	const char *from, *to;          /* targets */
	const char *tables[MAX_LIST];   /* --tables T... */
	size_t ntables;
	const char *mask[MAX_LIST];     /* --mask ATTR... */
	size_t nmask;
	long long sample;               /* --sample N */
	double fraction;                /* --fraction F */
	int yes;                        /* --yes */
};

const char wb_cli_help_clone[] =
	"usage: whimbrel clone FROM TO [--tables T...] [--sample N | --fraction F]\n"
	"                              [--mask ATTR...] [--yes]\n"
	"\n"
	"Replace the tables of target TO (typically dev) by copies of target FROM's\n"
	"(typically prod): every table but whimbrel's own, or those named by --tables.\n"
	"\n"
	"  --sample N      only N partitions of each table, with every item of each\n"
	"                  (a single-table design's facets stay consistent)\n"
	"  --fraction F    only the partitions whose key hashes below F (0 < F < 1): the\n"
	"                  same ones on every clone\n"
	"  --mask ATTR...  replace these attributes' values by stable fakes of the same\n"
	"                  type (the same value always gets the same fake)\n"
	"  --yes           do not ask when TO is a target that confirms\n"
	"\n"
	"See whimbrel-clone(1).\n";

/* Values following argv[*i] up to the next option, into list. */
static int take_list(const char **list, size_t *n, int argc, char **argv, int *i)
{
	while (*i + 1 < argc && argv[*i + 1][0] != '-') {
		if (*n == MAX_LIST)
			return -1;
		list[(*n)++] = argv[++*i];
	}
	return *n ? 0 : -1;
}

static int parse(struct opts *o, int argc, char **argv)
{
	int code;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		if (strcmp(a, "--tables") == 0) {
			if (take_list(o->tables, &o->ntables, argc, argv, &i) < 0)
				return wb_cli_usage("clone", "--tables needs table names");
		} else if (strcmp(a, "--mask") == 0) {
			if (take_list(o->mask, &o->nmask, argc, argv, &i) < 0)
				return wb_cli_usage("clone", "--mask needs attribute names");
		} else if (strcmp(a, "--sample") == 0 && i + 1 < argc) {
			o->sample = strtoll(argv[++i], &end, 10);
			if (*end || o->sample <= 0)
				return wb_cli_usage("clone", "--sample needs a number of partitions");
		} else if (strcmp(a, "--fraction") == 0 && i + 1 < argc) {
			o->fraction = strtod(argv[++i], &end);
			if (*end || !(o->fraction > 0 && o->fraction < 1))
				return wb_cli_usage("clone", "--fraction needs a number between 0 and 1");
		} else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0) {
			o->yes = 1;
		} else if (a[0] == '-' && a[1]) {
			return wb_cli_usage("clone", "unknown option '%s'", a);
		} else if ((code = wb_cli_take_arg("clone", a, &o->from, &o->to)) != 0) {
			return code;
		}
	}
	if (!o->from || !o->to)
		return wb_cli_usage("clone", "expected FROM and TO targets (whimbrel clone prod dev)");
	if (o->sample && o->fraction)
		return wb_cli_usage("clone", "--sample and --fraction exclude each other");
	return 0;
}

static void on_table(const char *table, const wb_copy_counts *c, void *arg)
{
	(void)arg;
	if (c->left_out)
		printf("cloned %s: %lld items (%lld left out of the sample)\n", table, (long long)c->written,
		       (long long)c->left_out);
	else
		printf("cloned %s: %lld items\n", table, (long long)c->written);
}

int wb_cmd_clone(wb_cli *cli, int argc, char **argv)
{
	wb_clone_options co = WB_CLONE_OPTIONS_INIT;
	struct opts o;
	char *from = NULL, *to = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = parse(&o, argc, argv)) != 0)
		return rc;
	if (wb_cli_target_url(&from, cli, o.from) < 0 || wb_cli_target_url(&to, cli, o.to) < 0) {
		wb_string_free(from);
		return wb_cli_fail("%s", wb_error_last());
	}
	if (!o.yes && wb_cli_target_confirm(cli, o.to)) {
		wb_string_free(from);
		wb_string_free(to);
		return wb_cli_fail("refusing to replace the tables of %s, a target that confirms, without "
				   "--yes", o.to);
	}
	co.from_url = from;
	co.to_url = to;
	co.tables = o.ntables ? o.tables : NULL;
	co.ntables = o.ntables;
	co.sample = o.sample;
	co.fraction = o.fraction;
	co.mask = o.nmask ? o.mask : NULL;
	co.nmask = o.nmask;
	co.progress = cli->isatty_out && !cli->quiet;
	co.stop = wb_cli_stop_flag(0);
	co.on_table = on_table;
	rc = wb_clone(&co);
	wb_string_free(from);
	wb_string_free(to);
	if (rc < 0) {
		wb_cli_fail("clone %s %s: %s", o.from, o.to, wb_error_last());
		return wb_cli_exit_for(rc);
	}
	return WB_EXIT_OK;
}
