/*
 * text.c - small text helpers of the runner's public API (whimbrel/runner.h):
 * migration names, times and durations for people, terminal-safe escaping,
 * and DynamoDB's key order.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include <whimbrel/runner.h>
#include "codec.h"

int wb_migration_id_parse(wb_migration_id *out, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len, v = 0;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len < 3 || strcmp(base + len - 2, ".c") != 0)
		return wb__error(NULL, WB_EINVALID, "%s: a migration is a C file (NNNN_name.c)", path);
	len -= 2;
	snprintf(out->name, sizeof(out->name), "%.*s", (int)len, base);
	while (v < len && base[v] >= '0' && base[v] <= '9')
		v++;
	snprintf(out->version, sizeof(out->version), "%.*s", (int)v, base);
	if (v < len && base[v] == '_' && v > 0)
		snprintf(out->slug, sizeof(out->slug), "%.*s", (int)(len - v - 1), base + v + 1);
	else
		snprintf(out->slug, sizeof(out->slug), "%.*s", (int)(len - v), base + v);
	return 0;
}

void wb_format_utc(char *buf, size_t size, int64_t t)
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

void wb_format_duration(char *buf, size_t size, int64_t ms)
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

char *wb_escape_line(char *out, size_t size, const char *in)
{
	return wb__escape_line(out, size, in);
}

/* By type, then through the order-preserving key encoding (codec.c); 0 if it fails. */
int wb_key_compare(const wb_value *a, const wb_value *b)
{
	wb_buf ea = {0}, eb = {0};
	int cmp = 0;

	if (a && b && wb_value_type(a) != wb_value_type(b))
		return wb_value_type(a) < wb_value_type(b) ? -1 : 1;
	if (wb__key_encode(&ea, a) == 0 && wb__key_encode(&eb, b) == 0) {
		size_t n = ea.len < eb.len ? ea.len : eb.len;
		cmp = n ? memcmp(ea.data, eb.data, n) : 0;
		if (cmp == 0)
			cmp = (ea.len > eb.len) - (ea.len < eb.len);
	}
	wb__buf_free(&ea);
	wb__buf_free(&eb);
	return cmp < 0 ? -1 : cmp > 0;
}
