/*
 * main.c - the whimbrel command: global options and subcommand dispatch.
 *
 * `whimbrel [--db URL] [--config FILE] [-q] COMMAND [ARGS]`.  Each command
 * group lives in its own cmd_*.c; this file only parses the global options,
 * prints the overall help, or a command's (its wb_cli_help_* text) when its
 * line asks for it, and hands over.  The helpers every command uses
 * to report (errors, usage, help detection) live in report.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "args.h"

/* Commands not linked in yet resolve to NULL. */
#pragma weak wb_cmd_table
#pragma weak wb_cmd_item
#pragma weak wb_cmd_scan
#pragma weak wb_cmd_query
#pragma weak wb_cmd_import
#pragma weak wb_cmd_export
#pragma weak wb_cmd_new
#pragma weak wb_cmd_run
#pragma weak wb_cmd_plan
#pragma weak wb_cmd_status
#pragma weak wb_cmd_history
#pragma weak wb_cmd_log
#pragma weak wb_cmd_unlock
#pragma weak wb_cmd_stamp
#pragma weak wb_cmd_lint
#pragma weak wb_cmd_prune
#pragma weak wb_cmd_schedule
#pragma weak wb_cmd_worker
#pragma weak wb_cmd_version
#pragma weak wb_cmd_revert
#pragma weak wb_cmd_copy
#pragma weak wb_cmd_clone
#pragma weak wb_cmd_pause
#pragma weak wb_cmd_resume
#pragma weak wb_cmd_limit
#pragma weak wb_cmd_restore
#pragma weak wb_cmd_pitr
#pragma weak wb_cmd_verify

struct command {
	const char *name;  /* as typed */
	wb_cli_fn fn;      /* implementation */
	const char *help;  /* one line for `whimbrel --help` */
	const char *usage; /* `whimbrel NAME --help`, or NULL: the command answers it (subcommands) */
};

static const struct command commands[] = {
	{"table", wb_cmd_table, "create, list, describe or drop tables", NULL},
	{"item", wb_cmd_item, "get, put or delete one item", NULL},
	{"scan", wb_cmd_scan, "print the items of a table (segments, key prefix)", wb_cli_help_scan},
	{"query", wb_cmd_query, "print the items of one partition (sort-key conditions)", wb_cli_help_query},
	{"import", wb_cmd_import, "load JSON lines into a table", wb_cli_help_import},
	{"export", wb_cmd_export, "write a table as JSON lines", wb_cli_help_export},
	{"new", wb_cmd_new, "create a migration file from the template", wb_cli_help_new},
	{"plan", wb_cmd_plan, "show what a migration would change, writing nothing", wb_cli_help_plan},
	{"run", wb_cmd_run, "run a migration on the dev or prod target", wb_cli_help_run},
	{"status", wb_cmd_status, "every migration with its last run on a target", wb_cli_help_status},
	{"history", wb_cmd_history, "the runs of one or every migration", wb_cli_help_history},
	{"log", wb_cmd_log, "the captured output of a run", wb_cli_help_log},
	{"logs", wb_cmd_log, "another name for log", wb_cli_help_log},
	{"unlock", wb_cmd_unlock, "release a migration's lease by hand", wb_cli_help_unlock},
	{"pause", wb_cmd_pause, "pause a running migration (from any machine)", NULL},
	{"resume", wb_cmd_resume, "resume a paused migration", NULL},
	{"limit", wb_cmd_limit, "change the capacity or rate limits of a running migration", NULL},
	{"stamp", wb_cmd_stamp, "fill a migration's header from the ledger", wb_cli_help_stamp},
	{"lint", wb_cmd_lint, "check the header and name of every migration", wb_cli_help_lint},
	{"prune", wb_cmd_prune, "delete migrations past their retention (or --check)", NULL},
	{"schedule", wb_cmd_schedule, "record a migration as a job for workers; list, show, cancel", NULL},
	{"worker", wb_cmd_worker, "run the due jobs of a target, with other workers anywhere", wb_cli_help_worker},
	{"version", wb_cmd_version, "the versions of whimbrel, SQLite, libcurl and OpenSSL", wb_cli_help_version},
	{"revert", wb_cmd_revert, "put back what one run changed, from its journal", wb_cli_help_revert},
	{"copy", wb_cmd_copy, "copy a table's items into another table, on one target or two", wb_cli_help_copy},
	{"clone", wb_cmd_clone, "fill dev's tables from prod's (a sample, masked) for dry runs", wb_cli_help_clone},
	{"restore", wb_cmd_restore, "write a table as it was at a time into a new table", wb_cli_help_restore},
	{"pitr", wb_cmd_pitr, "a table's history for restore: status, enable (DynamoDB)", wb_cli_help_pitr},
	{"verify", wb_cmd_verify, "check the items again with a run's verify callbacks", wb_cli_help_verify},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: whimbrel [--db URL | --target NAME] [--config FILE] [-q] COMMAND [ARGS]\n"
		   "\n"
		   "Data migrations for DynamoDB-style item stores.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn)
			fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n"
		   "Global options:\n"
		   "  --db URL       target URL (sqlite:PATH, dynamodb://HOST:PORT, dynamodbs://HOST,\n"
		   "                 dynamodb:REGION); overrides whimbrel.conf and the environment\n"
		   "  --target NAME  named target of the data commands (default: dev)\n"
		   "  --config FILE  configuration file (default: whimbrel.conf)\n"
		   "  -q, --quiet    no progress output\n"
		   "  -h, --help     this help; `whimbrel COMMAND --help` for a command\n"
		   "  --version      print the version\n"
		   "\n"
		   "Exit codes: 0 ok, 1 error, 2 usage, 3 locked by another run, 130 interrupted.\n"
		   "Manual pages: man whimbrel, man whimbrel-COMMAND.\n");
}

/* A global usage error: one line, exit 2. */
static int global_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int global_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wb_cli_vprint_line("whimbrel: ", " (see whimbrel --help)", fmt, ap);
	va_end(ap);
	return WB_EXIT_USAGE;
}

/*
 * The field of a global option taking a value (--db, --target, --config,
 * also as --name=VALUE), or NULL; *name is the option, *value the text after
 * '=' or NULL.
 */
static const char **valued_option(wb_cli *cli, const char *a, const char **name, const char **value)
{
	static const char *const names[] = {"--db", "--target", "--config"};
	const char **slots[] = {&cli->db_url, &cli->target, &cli->config};

	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(names[k]);
		if (strncmp(a, names[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
			*name = names[k];
			*value = a[n] == '=' ? a + n + 1 : NULL;
			return slots[k];
		}
	}
	return NULL;
}

/* Parse global options; returns the index of the command or -1 (exit code in *code). */
static int global_options(wb_cli *cli, int argc, char **argv, int *code)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *name, *value, **slot;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			*code = WB_EXIT_OK;
			return -1;
		} else if (strcmp(a, "--version") == 0) {
			printf("whimbrel %s\n", WB_VERSION_STRING);
			*code = WB_EXIT_OK;
			return -1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			cli->quiet = 1;
		} else if ((slot = valued_option(cli, a, &name, &value)) != NULL) {
			if (!value && i + 1 >= argc) {
				*code = global_usage("%s needs a value", name);
				return -1;
			}
			if (*slot) {
				*code = global_usage("%s given twice", name);
				return -1;
			}
			*slot = value ? value : argv[++i];
		} else {
			*code = global_usage("unknown or incomplete option '%s'", a);
			return -1;
		}
	}
	if ((cli->db_url && !*cli->db_url) || (cli->target && !*cli->target) ||
	    (cli->config && !*cli->config)) {
		*code = global_usage("%s needs a value", cli->db_url && !*cli->db_url ? "--db"
				     : cli->target && !*cli->target ? "--target" : "--config");
		return -1;
	}
	if (i >= argc) {
		usage(stderr);
		*code = WB_EXIT_USAGE;
		return -1;
	}
	return i;
}

/* The command line, dispatched; returns the exit code. */
static int dispatch(int argc, char **argv)
{
	wb_cli cli = {0};
	int code = 0, i;

	cli.isatty_out = isatty(STDERR_FILENO);
	if ((i = global_options(&cli, argc, argv, &code)) < 0)
		return code;
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(commands[c].name, argv[i]) != 0)
			continue;
		if (!commands[c].fn)
			return wb_cli_fail("command '%s' is not available in this build", argv[i]);
		if (commands[c].usage && wb_cli_wants_help(argc - i, argv + i)) {
			fputs(commands[c].usage, stdout);
			return WB_EXIT_OK;
		}
		return commands[c].fn(&cli, argc - i, argv + i);
	}
	return global_usage("unknown command '%s'", argv[i]);
}

int main(int argc, char **argv)
{
	return wb_cli_finish(dispatch(argc, argv)); /* a lost stdout is an error */
}
