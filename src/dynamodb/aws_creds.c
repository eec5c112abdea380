/*
 * aws_creds.c - resolve AWS credentials: environment, then a profile of the
 * shared credentials file, then (local engines only) dummy ones.
 *
 * The shared credentials file is INI: sections "[name]" (or "[profile
 * name]", as in ~/.aws/config), keys aws_access_key_id,
 * aws_secret_access_key and aws_session_token, '#' and ';' comments; it
 * is read by the INI line reader (ini.h), lines of other shapes skipped.
 * Nothing read here is ever copied into a message, and the file's text is
 * wiped once read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common.h"
#include "aws_creds.h"
#include "ini.h"

/* A credentials file is a few lines; anything this big is not one. */
#define CREDS_MAX_BYTES (1024 * 1024)

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

/* Values of one profile, gathered line by line. */
struct profile_vals {
	const char *profile; /* the profile wanted */
	char *ak, *sk, *tok; /* malloc'ed, or NULL */
	int in;              /* the current section is the profile */
	int seen;            /* the section exists */
	int bad_line;        /* first line that is neither a section nor a pair, or 0 */
};

/* Is section `name` (n bytes) the profile: "[name]" or "[profile name]"? */
static int is_profile(const char *name, size_t n, const char *profile)
{
	if (n > 8 && strncmp(name, "profile ", 8) == 0) {
		for (name += 8, n -= 8; n && (*name == ' ' || *name == '\t'); name++, n--)
			;
	}
	return strlen(profile) == n && memcmp(name, profile, n) == 0;
}

static int is_key(const struct wb__ini_line *l, const char *key)
{
	return strlen(key) == l->nlen && strncasecmp(l->name, key, l->nlen) == 0;
}

static void keep(char **slot, const struct wb__ini_line *l)
{
	wipe_free(*slot);
	*slot = strndup(l->value, l->vlen);
}

/* wb__ini_parse's callback: lines that are not sections or pairs are skipped. */
static int read_line(void *arg, const struct wb__ini_line *l)
{
	struct profile_vals *pv = arg;

	if ((l->kind == WB_INI_OTHER || (l->kind == WB_INI_SECTION && !l->name)) && !pv->bad_line)
		pv->bad_line = l->line;
	if (l->kind == WB_INI_SECTION && l->name) {
		pv->in = is_profile(l->name, l->nlen, pv->profile);
		pv->seen |= pv->in;
	} else if (l->kind == WB_INI_PAIR && pv->in) {
		if (is_key(l, "aws_access_key_id"))
			keep(&pv->ak, l);
		else if (is_key(l, "aws_secret_access_key"))
			keep(&pv->sk, l);
		else if (is_key(l, "aws_session_token"))
			keep(&pv->tok, l);
	}
	return 0;
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

/* Read the profile from the file at path; WB_ENOTFOUND (message cleared) when it cannot be read. */
static int read_profile(const char *path, struct profile_vals *pv)
{
	char *text = NULL;
	size_t len = 0;

	if (!path[0] || wb__ini_read_file(&text, &len, path, CREDS_MAX_BYTES) < 0) {
		wb_error_clear(); /* its message is not the one to report */
		return WB_ENOTFOUND;
	}
	wb__ini_parse(text, len, read_line, pv);
	OPENSSL_cleanse(text, len);
	free(text);
	return 0;
}

/* 0 found, 1 not found (no file or no such profile, not asked for explicitly), <0 error. */
static int from_profile(struct wb__aws_creds *c)
{
	const char *asked = env("AWS_PROFILE"), *file = env("AWS_SHARED_CREDENTIALS_FILE");
	const char *profile = asked ? asked : "default";
	struct profile_vals pv = {.profile = profile};
	char path[1024];
	int rc = 1;

	creds_path(path, sizeof(path));
	if (read_profile(path, &pv) < 0) {
		if (asked || file) /* a file named on purpose must be there */
			return wb__error(NULL, WB_EINVALID, "AWS credentials: the credentials file %s%s cannot be read",
					 path[0] ? path : "~/.aws/credentials",
					 file ? " (AWS_SHARED_CREDENTIALS_FILE)" : "");
		return 1;
	}
	if (!pv.seen && pv.bad_line) {
		rc = wb__error(NULL, WB_EINVALID, "AWS credentials: %s:%d: expected '[profile]' or 'key = value' "
			       "(no profile '%s' found)", path, pv.bad_line, profile);
	} else if (!pv.seen) {
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
	if (!local) {
		char path[1024];
		creds_path(path, sizeof(path));
		return wb__error(NULL, WB_EINVALID,
				 "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
				 "or a profile (AWS_PROFILE, default 'default') in %s",
				 path[0] ? path : "~/.aws/credentials");
	}
	if ((rc = set_creds(out, "whimbrel-local", "whimbrel-local", NULL)) < 0)
		return rc;
	snprintf(out->source, sizeof(out->source), "none (local engine)");
	return 0;
}
