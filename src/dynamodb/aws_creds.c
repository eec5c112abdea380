/*
 * aws_creds.c - resolve AWS credentials: environment, then a profile of the
 * shared credentials file, then (local engines only) dummy ones.
 *
 * The shared credentials file is INI: sections "[name]" (or "[profile
 * name]", as in ~/.aws/config), keys aws_access_key_id,
 * aws_secret_access_key and aws_session_token, '#' and ';' comments.
 * Nothing read here is ever copied into a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common.h"
#include "aws_creds.h"

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void wb__aws_creds_clear(struct wb__aws_creds *c)
{
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	c->access_key = c->secret_key = c->session_token = NULL;
	c->source[0] = '\0';
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return (v && *v) ? v : NULL;
}

/* Set the three strings (session token optional) or fail with WB_ENOMEM. */
static int set_creds(struct wb__aws_creds *c, const char *ak, const char *sk, const char *tok)
{
	c->access_key = strdup(ak);
	c->secret_key = strdup(sk);
	c->session_token = tok ? strdup(tok) : NULL;
	if (!c->access_key || !c->secret_key || (tok && !c->session_token)) {
		wb__aws_creds_clear(c);
		return wb__oom(NULL);
	}
	return 0;
}

static int from_env(struct wb__aws_creds *c)
{
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	int rc;

	if (!ak && !sk)
		return 1;
	if (!ak || !sk)
		return wb__error(NULL, WB_EINVALID, "AWS credentials: %s is set but %s is not",
				 ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				 ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if ((rc = set_creds(c, ak, sk, env("AWS_SESSION_TOKEN"))) < 0)
		return rc;
	snprintf(c->source, sizeof(c->source), "environment");
	return 0;
}

/* Strip leading and trailing blanks in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Is `line` (trimmed, "[...]") the header of `profile`? */
static int is_section(char *line, const char *profile)
{
	size_t n = strlen(line);
	char *name;

	if (n < 2 || line[0] != '[' || line[n - 1] != ']')
		return -1; /* not a section header */
	line[n - 1] = '\0';
	name = trim(line + 1);
	if (strncmp(name, "profile ", 8) == 0)
		name = trim(name + 8);
	return strcmp(name, profile) == 0;
}

/* Values of one profile; pointers into `found`'s own copies. */
struct profile_vals {
	char *ak, *sk, *tok; /* malloc'ed, or NULL */
	int seen;            /* the section exists */
};

static void keep(char **slot, const char *v)
{
	wipe_free(*slot);
	*slot = strdup(v);
}

static void read_profile(FILE *f, const char *profile, struct profile_vals *pv)
{
	char buf[8192];
	int in = 0;

	while (fgets(buf, sizeof(buf), f)) {
		char *line = trim(buf), *eq;
		int sec;
		if (!*line || *line == '#' || *line == ';')
			continue;
		if ((sec = is_section(line, profile)) >= 0) {
			in = sec;
			pv->seen |= sec;
			continue;
		}
		if (!in || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		char *k = trim(line), *v = trim(eq + 1);
		if (strcasecmp(k, "aws_access_key_id") == 0)
			keep(&pv->ak, v);
		else if (strcasecmp(k, "aws_secret_access_key") == 0)
			keep(&pv->sk, v);
		else if (strcasecmp(k, "aws_session_token") == 0)
			keep(&pv->tok, v);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* The credentials file path into buf, or "" when there is no HOME. */
static void creds_path(char *buf, size_t size)
{
	const char *p = env("AWS_SHARED_CREDENTIALS_FILE"), *home = env("HOME");

	if (p)
		snprintf(buf, size, "%s", p);
	else if (home)
		snprintf(buf, size, "%s/.aws/credentials", home);
	else
		buf[0] = '\0';
}

/* 0 found, 1 not found (no file or no such profile, not asked for explicitly), <0 error. */
static int from_profile(struct wb__aws_creds *c)
{
	const char *asked = env("AWS_PROFILE");
	const char *profile = asked ? asked : "default";
	struct profile_vals pv = {0};
	char path[1024];
	FILE *f;
	int rc = 1;

	creds_path(path, sizeof(path));
	if (!path[0] || !(f = fopen(path, "r"))) {
		if (asked)
			return wb__error(NULL, WB_EINVALID,
					 "AWS credentials: AWS_PROFILE is '%s' but the credentials file %s cannot be read",
					 profile, path[0] ? path : "~/.aws/credentials");
		return 1;
	}
	read_profile(f, profile, &pv);
	fclose(f);
	if (!pv.seen) {
		if (asked)
			rc = wb__error(NULL, WB_EINVALID, "AWS credentials: no profile '%s' in %s", profile, path);
	} else if (!pv.ak || !pv.sk) {
		rc = wb__error(NULL, WB_EINVALID,
			       "AWS credentials: profile '%s' in %s lacks aws_access_key_id or aws_secret_access_key",
			       profile, path);
	} else if ((rc = set_creds(c, pv.ak, pv.sk, pv.tok)) == 0) {
		snprintf(c->source, sizeof(c->source), "profile %s in %s", profile, path);
	}
	wipe_free(pv.ak);
	wipe_free(pv.sk);
	wipe_free(pv.tok);
	return rc;
}

int wb__aws_creds_resolve(struct wb__aws_creds *out, int local)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = from_env(out)) <= 0)
		return rc;
	if ((rc = from_profile(out)) <= 0)
		return rc;
	if (!local)
		return wb__error(NULL, WB_EINVALID,
				 "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
				 "or a profile (AWS_PROFILE, default 'default') in ~/.aws/credentials");
	if ((rc = set_creds(out, "whimbrel-local", "whimbrel-local", NULL)) < 0)
		return rc;
	snprintf(out->source, sizeof(out->source), "none (local engine)");
	return 0;
}
