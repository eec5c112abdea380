/*
 * target.c - which target a command works on (whimbrel/runner.h).
 *
 * A target is named ("dev", "prod", or any [section] of whimbrel.conf) and
 * resolves to a URL, first match wins: --db URL; the environment
 * (WHIMBREL_DEV_DB, WHIMBREL_PROD_DB, WHIMBREL_<NAME>_DB); `db =` in the
 * target's section of whimbrel.conf (or the --config file); and for dev
 * only, the embedded default sqlite:.whimbrel/dev.db.  Failures return a
 * negative code with the message in wb_error_last(); nothing is printed
 * here, and no URL is ever printed with its credentials.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "config.h"
#include <whimbrel/runner.h>

#define DEFAULT_DEV_URL "sqlite:.whimbrel/dev.db"

/* NULL options are the defaults. */
static const wb_target_options *opts(const wb_target_options *o)
{
	static const wb_target_options defaults = WB_TARGET_OPTIONS_INIT;

	return o ? o : &defaults;
}

static const char *config_path(const wb_target_options *o)
{
	return o->config ? o->config : "whimbrel.conf";
}

/* Load the configuration; a missing default file is an empty one (*out NULL). */
static int load_config(wb__config **out, const wb_target_options *o)
{
	static const char *const known[] = {"db", "confirm", "concurrency", "journal_days", "snapshot_days",
					    NULL}; /* a typo is not a default */
	int rc = wb__config_load(out, config_path(o));

	if (rc == 0 && (rc = wb__config_check_keys(*out, known)) < 0) {
		wb__config_free(*out);
		*out = NULL;
		return rc;
	}
	if (rc == WB_ENOTFOUND && !o->config) {
		wb_error_clear();
		return 0;
	}
	if (rc == WB_ENOTFOUND)
		return wb__error(NULL, WB_EINVALID, "configuration file %s does not exist (--config)",
				 o->config);
	return rc;
}

static int check_target_name(const char *target)
{
	size_t n = target ? strlen(target) : 0;

	if (n == 0 || n > 64)
		return wb__error(NULL, WB_EINVALID, "bad target name '%s'", target ? target : "");
	for (size_t i = 0; i < n; i++) {
		char c = target[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return wb__error(NULL, WB_EINVALID,
					 "bad target name '%s': use letters, digits, '_', '-' or '.'", target);
	}
	return 0;
}

/* WHIMBREL_<TARGET>_DB, upper case, '-' and '.' as '_'; NULL when unset or empty. */
static const char *env_url(const char *target, char *name, size_t size)
{
	size_t n = (size_t)snprintf(name, size, "WHIMBREL_%s_DB", target);
	const char *v;

	for (size_t i = 9; i < n && i < size; i++) {
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
		else if (name[i] == '-' || name[i] == '.')
			name[i] = '_';
	}
	v = getenv(name);
	return v && v[0] ? v : NULL;
}

static int dup_out(char **out, const char *url)
{
	if (!(*out = wb__strdup(url)))
		return WB_ENOMEM;
	return 0;
}

/* `confirm =` must be a boolean: a typo must not turn confirmation off. */
static int check_confirm(const wb__config *cf, const wb_target_options *o, const char *target)
{
	const char *v = wb__config_get(cf, target, "confirm");
	int yes;

	if (v && wb__config_bool(&yes, v) < 0)
		return wb__error(NULL, WB_EINVALID, "%s:%d: confirm = %s: use yes or no", config_path(o),
				 wb__config_line(cf, target, "confirm"), v);
	return 0;
}

static int from_config(char **out, const wb_target_options *o, const char *target, const char *env)
{
	wb__config *cf = NULL;
	const char *url;
	int rc;

	if ((rc = load_config(&cf, o)) < 0)
		return rc;
	if ((rc = check_confirm(cf, o, target)) < 0) {
		wb__config_free(cf);
		return rc;
	}
	url = wb__config_get(cf, target, "db");
	if (url && url[0])
		rc = dup_out(out, url);
	else if (url)
		rc = wb__error(NULL, WB_EINVALID, "%s:%d: `db` of [%s] is empty", config_path(o),
			       wb__config_line(cf, target, "db"), target);
	else if (strcmp(target, "dev") == 0)
		rc = dup_out(out, DEFAULT_DEV_URL);
	else
		rc = wb__error(NULL, WB_ENOTFOUND,
			       "no %s target configured: add [%s] db = URL to %s, set %s, or pass --db URL",
			       target, target, config_path(o), env);
	wb__config_free(cf);
	return rc;
}

int wb_target_url(char **out, const wb_target_options *o, const char *target)
{
	char env[128];
	const char *url;
	int rc;

	o = opts(o);
	*out = NULL;
	if (o->db_url) {
		if (!o->db_url[0])
			return wb__error(NULL, WB_EINVALID, "--db needs a URL");
		return dup_out(out, o->db_url);
	}
	if ((rc = check_target_name(target)) < 0)
		return rc;
	if ((url = env_url(target, env, sizeof(env))))
		return dup_out(out, url);
	return from_config(out, o, target, env);
}

int wb_target_confirm(const wb_target_options *o, const char *target)
{
	wb__config *cf = NULL;
	const char *v;
	int yes = target && strcmp(target, "prod") == 0;

	o = opts(o);
	if (!target || check_target_name(target) < 0 || load_config(&cf, o) < 0)
		return 1; /* when in doubt, ask */
	if ((v = wb__config_get(cf, target, "confirm")) && wb__config_bool(&yes, v) < 0)
		yes = 1;
	wb__config_free(cf);
	wb_error_clear();
	return yes;
}

int wb_target_concurrency(int *out, const wb_target_options *o, const char *target)
{
	wb__config *cf = NULL;
	const char *v;
	char *end;
	long n;
	int rc;

	*out = 0;
	o = opts(o);
	if ((rc = check_target_name(target)) < 0 || (rc = load_config(&cf, o)) < 0)
		return rc;
	if ((v = wb__config_get(cf, target, "concurrency"))) {
		n = strtol(v, &end, 10);
		if (!*v || *end || n < 1 || n > 256)
			rc = wb__error(NULL, WB_EINVALID, "%s:%d: concurrency = %s: a number from 1 to 256",
				       config_path(o), wb__config_line(cf, target, "concurrency"), v);
		else
			*out = (int)n;
	}
	wb__config_free(cf);
	return rc;
}

/*
 * For an embedded target whose file lives in a directory named .whimbrel
 * (the default), create that directory: it is whimbrel's own.
 */
static int make_state_dir(const char *url)
{
	const char *path, *slash;
	char dir[4096];
	size_t n;

	if (strncmp(url, "sqlite:", 7) != 0)
		return 0;
	path = url + 7;
	if (!(slash = strrchr(path, '/')))
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir) || n < 9 || strncmp(slash - 9, ".whimbrel", 9) != 0 ||
	    (n > 9 && slash[-10] != '/'))
		return 0;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return wb_state_dir_make(dir);
}

int wb_target_open(wb_db **out, const wb_target_options *o, const char *target)
{
	char *url = NULL;
	int rc;

	o = opts(o);
	*out = NULL;
	if ((rc = wb_target_url(&url, o, target)) < 0)
		return rc;
	if ((rc = make_state_dir(url)) == 0)
		rc = wb_open(out, url);
	free(url);
	return rc;
}

int wb__target_days(int *out, const wb_target_options *o, const char *name, const char *key, int dflt)
{
	static const wb_target_options none = WB_TARGET_OPTIONS_INIT;
	wb__config *cf = NULL;
	const char *v;
	char *end;
	long d;
	int rc = load_config(&cf, o ? o : &none);

	*out = dflt;
	if (rc < 0 || !cf)
		return rc;
	if ((v = wb__config_get(cf, name, key))) {
		d = strtol(v, &end, 10);
		if (end == v || *end || d < 1 || d > 100000)
			rc = wb__error(NULL, WB_EINVALID, "%s:%d: %s = %s: a number of days (1 or more)",
				       wb__config_name(cf), wb__config_line(cf, name, key), key, v);
		else
			*out = (int)d;
	}
	wb__config_free(cf);
	return rc;
}
