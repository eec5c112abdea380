/*
 * targets.c - the command's view of targets: the global options (--db,
 * --config) handed to the runner's wb_target_* calls, and opening a named
 * target with the error printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "cli.h"

static wb_target_options options(const wb_cli *cli)
{
	wb_target_options o = WB_TARGET_OPTIONS_INIT;

	o.config = cli->config;
	o.db_url = cli->db_url;
	return o;
}

int wb_cli_target_url(char **out, wb_cli *cli, const char *target)
{
	wb_target_options o = options(cli);

	return wb_target_url(out, &o, target);
}

int wb_cli_target_confirm(wb_cli *cli, const char *target)
{
	wb_target_options o = options(cli);

	return wb_target_confirm(&o, target);
}

int wb_cli_concurrency(wb_cli *cli, const char *target, int n)
{
	wb_target_options o = options(cli);
	char v[16];

	if (n == 0 && wb_target_concurrency(&n, &o, target) < 0)
		return wb_cli_fail("%s", wb_error_last());
	if (n > 0) {
		snprintf(v, sizeof(v), "%d", n);
		setenv("WHIMBREL_DYNAMODB_CONCURRENCY", v, 1);
	}
	return WB_EXIT_OK;
}

int wb_cli_open(wb_db **out, wb_cli *cli, const char *target)
{
	wb_target_options o = options(cli);

	return wb_target_open(out, &o, target);
}

const char *wb_cli_target_name(const wb_cli *cli)
{
	return cli->target ? cli->target : "dev";
}

int wb_cli_is_target(const char *s)
{
	return s && (strcmp(s, "dev") == 0 || strcmp(s, "prod") == 0);
}

int wb_cli_runner_open(wb_db **out, char **url, wb_cli *cli, const char *target)
{
	char *u = NULL;

	*out = NULL;
	if (url)
		*url = NULL;
	if (wb_cli_target_url(&u, cli, target) < 0)
		return wb_cli_fail("%s", wb_error_last());
	if (wb_cli_open(out, cli, target) < 0) {
		wb_cli_fail("cannot open the %s target %s: %s", target, u, wb_error_last());
		wb_string_free(u);
		return WB_EXIT_ERROR;
	}
	if (url)
		*url = u;
	else
		wb_string_free(u);
	return 0;
}
