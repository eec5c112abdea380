/*
 * runner.c - helpers shared by the runner's commands; see runner.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

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
