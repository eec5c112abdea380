/*
 * runner.c - helpers shared by the runner's commands; see runner.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runner.h"

int wb_cli_is_target(const char *s)
{
	return s && (strcmp(s, "dev") == 0 || strcmp(s, "prod") == 0);
}

/*
 * Until target.c (whimbrel.conf) is linked in, targets resolve from --db,
 * WHIMBREL_DEV_DB / WHIMBREL_PROD_DB and the embedded dev default.
 */
#pragma weak wb_cli_target_url
#pragma weak wb_cli_open

static int fallback_url(char **out, wb_cli *cli, const char *target)
{
	const char *u = cli->db_url ? cli->db_url :
			getenv(strcmp(target, "prod") == 0 ? "WHIMBREL_PROD_DB" : "WHIMBREL_DEV_DB");

	if (!u && strcmp(target, "dev") == 0)
		u = "sqlite:.whimbrel/dev.db";
	if (!u) {
		fprintf(stderr, "whimbrel: no prod target configured: add [prod] db = URL to "
				"whimbrel.conf, set WHIMBREL_PROD_DB, or pass --db URL\n");
		return -1;
	}
	return (*out = strdup(u)) ? 0 : -1;
}

static int resolve(char **out, wb_cli *cli, const char *target)
{
	if (wb_cli_target_url)
		return wb_cli_target_url(out, cli, target) < 0 ? wb_cli_fail("%s", wb_error_last()), -1 : 0;
	return fallback_url(out, cli, target);
}

static int open_target(wb_db **out, wb_cli *cli, const char *target, const char *url)
{
	if (wb_cli_open)
		return wb_cli_open(out, cli, target);
	if (strcmp(url, "sqlite:.whimbrel/dev.db") == 0)
		mkdir(".whimbrel", 0755);
	return wb_open(out, url);
}

int wb_cli_runner_open(wb_db **out, char **url, wb_cli *cli, const char *target)
{
	char *u = NULL;

	*out = NULL;
	if (url)
		*url = NULL;
	if (resolve(&u, cli, target) < 0)
		return WB_EXIT_ERROR;
	if (open_target(out, cli, target, u) < 0) {
		wb_cli_fail("cannot open the %s target %s: %s", target, u, wb_error_last());
		free(u);
		return WB_EXIT_ERROR;
	}
	if (url)
		*url = u;
	else
		free(u);
	return 0;
}

int wb_cli_migration_name(const char *path, char *name, size_t nsize, char *version, size_t vsize,
			  char *slug, size_t ssize)
{
	const char *base = strrchr(path, '/');
	size_t len, v = 0;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len < 3 || strcmp(base + len - 2, ".c") != 0)
		return -1;
	len -= 2;
	snprintf(name, nsize, "%.*s", (int)len, base);
	while (v < len && base[v] >= '0' && base[v] <= '9')
		v++;
	snprintf(version, vsize, "%.*s", (int)v, base);
	if (v < len && base[v] == '_' && v > 0)
		snprintf(slug, ssize, "%.*s", (int)(len - v - 1), base + v + 1);
	else
		snprintf(slug, ssize, "%.*s", (int)(len - v), base + v);
	return 0;
}

void wb_cli_fmt_time(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void wb_cli_fmt_duration(char *buf, size_t size, int64_t ms)
{
	if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm%02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
}
