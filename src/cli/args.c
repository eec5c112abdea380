/*
 * args.c - helpers the data commands share: option parsing, key values
 * typed on the command line, JSON arguments, item output and progress.
 * See args.h; every helper that fails prints its own message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "args.h"

static wb_cli_opt *find_opt(wb_cli_opt *opts, const char *a, size_t len)
{
	for (wb_cli_opt *o = opts; o->name; o++) {
		if (strlen(o->name) == len && strncmp(o->name, a, len) == 0)
			return o;
		if (o->alias && strlen(o->alias) == len && strncmp(o->alias, a, len) == 0)
			return o;
	}
	return NULL;
}

static int is_global(const char *a, size_t len)
{
	static const char *const globals[] = {"--db", "--target", "--config", "-q", "--quiet"};

	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		if (strlen(globals[i]) == len && strncmp(globals[i], a, len) == 0)
			return 1;
	return 0;
}

/* One option at argv[*i]; advances *i past its values. */
static int parse_opt(const char *cmd, wb_cli_opt *opts, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	wb_cli_opt *o = find_opt(opts, a, len);

	if (!o && is_global(a, len))
		return wb_cli_usage(cmd, "'%.*s' is a global option: give it before the command "
				    "(whimbrel %.*s ... %s ...)", (int)len, a, (int)len, a, cmd);
	if (!o)
		return wb_cli_usage(cmd, "unknown option '%.*s'", (int)len, a);
	if (eq && o->nargs != 1)
		return wb_cli_usage(cmd, "option '%s' takes %s", o->name,
				    o->nargs ? "two values" : "no value");
	if (o->seen && o->nargs) /* a second value would silently win */
		return wb_cli_usage(cmd, "option '%s' given twice", o->name);
	o->seen++;
	if (eq) {
		o->v[0] = eq + 1;
		return 0;
	}
	if (*i + o->nargs >= argc)
		return wb_cli_usage(cmd, "option '%s' needs %s", o->name,
				    o->nargs == 1 ? "a value" : "two values");
	for (int k = 0; k < o->nargs; k++)
		o->v[k] = argv[++*i];
	return 0;
}

int wb_cli_parse(const char *cmd, wb_cli_opt *opts, int argc, char **argv,
		 char **pos, int maxpos, int *npos)
{
	int only_pos = 0, code;

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = 1;
		} else if (!only_pos && a[0] == '-' && a[1] != '\0') {
			if ((code = parse_opt(cmd, opts, argc, argv, &i)) != 0)
				return code;
		} else if (*npos >= maxpos) {
			return wb_cli_usage(cmd, "unexpected argument '%s'", a);
		} else {
			pos[(*npos)++] = argv[i];
		}
	}
	return 0;
}

int wb_cli_take_arg(const char *cmd, const char *a, const char **first, const char **second)
{
	if (!*first)
		*first = a;
	else if (!*second)
		*second = a;
	else
		return wb_cli_usage(cmd, "unexpected argument '%s'", a);
	return 0;
}

int wb_cli_parse_operand(const char *cmd, wb_cli_opt *opts, int argc, char **argv, const char **target,
			 const char **operand, const char *missing)
{
	char *pos[2];
	int npos = 0, named = 0, code;

	if ((code = wb_cli_parse(cmd, opts, argc, argv, pos, 2, &npos)) != 0)
		return code;
	for (int k = 0; k < npos; k++) {
		if (wb_cli_is_target(pos[k]) && named) {
			return wb_cli_usage(cmd, "two targets ('%s' and '%s'): give one", *target, pos[k]);
		} else if (wb_cli_is_target(pos[k])) {
			*target = pos[k];
			named = 1;
		} else if (operand && !*operand) {
			*operand = pos[k];
		} else {
			return wb_cli_usage(cmd, "unexpected argument '%s'", pos[k]);
		}
	}
	if (operand && !*operand && missing)
		return wb_cli_usage(cmd, "%s", missing);
	return 0;
}

/*
 * Copy `msg` with the user:password@ of any URL in it replaced by ***@, so
 * that a message quoting a target never shows its credentials.
 */
static void scrub_credentials(char *out, size_t size, const char *msg)
{
	size_t o = 0;

	while (*msg && o + 1 < size) {
		const char *auth = strncmp(msg, "://", 3) == 0 ? msg + 3 : NULL;
		size_t span = auth ? strcspn(auth, "/ )'\",;") : 0;
		const char *at = auth ? memchr(auth, '@', span) : NULL;
		if (at && o + 8 < size) {
			memcpy(out + o, "://***@", 7);
			o += 7;
			msg = at + 1;
			continue;
		}
		out[o++] = *msg++;
	}
	out[o] = '\0';
}

int wb_cli_error(int rc)
{
	char msg[1200];

	scrub_credentials(msg, sizeof(msg), wb_error_last());
	wb_cli_fail("%s", msg);
	return wb_cli_exit_for(rc);
}

int wb_cli_parse_count(const char *cmd, const char *what, const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v == 0 || v > SIZE_MAX / 2)
		return wb_cli_usage(cmd, "%s must be a positive integer, not '%s'", what, s);
	*out = (size_t)v;
	return 0;
}

int wb_cli_parse_format(const char *cmd, const char *s, int *out)
{
	if (strcmp(s, "ddb") == 0 || strcmp(s, "dynamodb") == 0)
		*out = WB_JSON_DDB;
	else if (strcmp(s, "plain") == 0 || strcmp(s, "json") == 0)
		*out = WB_JSON_PLAIN;
	else
		return wb_cli_usage(cmd, "unknown format '%s': use ddb or plain", s);
	return 0;
}

int wb_cli_parse_keyspec(const char *cmd, const char *what, const char *s,
			 char name[WB_NAME_MAX + 1], wb_type *type)
{
	const char *colon = strrchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);

	*type = WB_S;
	if (colon) {
		if (strcmp(colon + 1, "S") == 0 || strcmp(colon + 1, "s") == 0)
			*type = WB_S;
		else if (strcmp(colon + 1, "N") == 0 || strcmp(colon + 1, "n") == 0)
			*type = WB_N;
		else if (strcmp(colon + 1, "B") == 0 || strcmp(colon + 1, "b") == 0)
			*type = WB_B;
		else
			return wb_cli_usage(cmd, "%s '%s': key type must be S, N or B", what, s);
	}
	if (len == 0 || len > WB_NAME_MAX)
		return wb_cli_usage(cmd, "%s '%s': attribute name must be 1 to %d bytes",
				    what, s, WB_NAME_MAX);
	memcpy(name, s, len);
	name[len] = '\0';
	return 0;
}

/*
 * A B key value typed as base64 (padding optional), decoded by the
 * library's DynamoDB JSON reader: one base64 decoder in the tree.  NULL
 * when the text is not base64 (or out of memory).
 */
static wb_value *binary_key(const char *text)
{
	size_t n = strlen(text);
	const char *pad = n % 4 == 2 ? "==" : n % 4 == 3 ? "=" : "";
	wb_item *it = NULL;
	wb_value *v = NULL;
	char *json;

	if (n % 4 == 1 || strpbrk(text, "\"\\") || !(json = malloc(n + 32)))
		return NULL;
	snprintf(json, n + 32, "{\"k\":{\"B\":\"%s%s\"}}", text, pad);
	if (wb_item_from_json(&it, json, strlen(json), WB_JSON_DDB) == 0)
		v = wb_value_dup(wb_item_get(it, "k"));
	wb_item_free(it);
	free(json);
	return v;
}

int wb_cli_key_value(wb_value **out, const char *what, const char *text, wb_type type)
{
	size_t len = 0;

	*out = NULL;
	if (text[0] == '\0')
		return wb_cli_fail("%s: a key value cannot be empty", what);
	if (type == WB_N && wb_number_validate(text) < 0)
		return wb_cli_fail("%s: '%s' is not a valid number (the key is of type N): %s",
				   what, text, wb_error_last());
	if (type == WB_B && !(*out = binary_key(text)))
		return wb_cli_fail("%s: '%s' is not valid base64 (the key is of type B)", what, text);
	if (type == WB_B && (wb_value_bytes(*out, &len), len == 0)) {
		wb_value_free(*out);
		*out = NULL;
		return wb_cli_fail("%s: a key value cannot be empty", what);
	}
	if (type != WB_B)
		*out = type == WB_N ? wb_value_number(text) : wb_value_string(text, strlen(text));
	if (!*out)
		return wb_cli_fail("out of memory");
	return 0;
}

int wb_cli_read_arg(char **out, size_t *len, const char *arg)
{
	size_t cap = 65536, n = 0, got;
	char *buf;

	*out = NULL;
	if (strcmp(arg, "-") != 0) {
		if (!(*out = strdup(arg)))
			return wb_cli_fail("out of memory");
		*len = strlen(arg);
		return 0;
	}
	if (!(buf = malloc(cap)))
		return wb_cli_fail("out of memory");
	while ((got = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *p = cap > 64u * 1024 * 1024 ? NULL : realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return wb_cli_fail("standard input: too large or out of memory");
			}
			buf = p;
			cap *= 2;
		}
	}
	if (ferror(stdin)) {
		free(buf);
		return wb_cli_fail("standard input: read error: %s", strerror(errno));
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int wb_cli_connect(wb_db **out, wb_cli *cli)
{
	int rc = wb_cli_open(out, cli, wb_cli_target_name(cli));

	return rc < 0 ? wb_cli_error(rc) : 0;
}

int wb_cli_ask(const char *fmt, ...)
{
	char answer[64];
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
}

int wb_cli_connect_write(wb_db **out, wb_cli *cli, const char *what, int yes)
{
	const char *target = wb_cli_target_name(cli);
	char url[512];
	int code;

	*out = NULL;
	if ((code = wb_cli_connect(out, cli)) != 0 || yes || cli->db_url ||
	    !wb_cli_target_confirm(cli, target))
		return code;
	wb_cli_url_redact(url, sizeof(url), wb_db_url(*out));
	if (!isatty(STDIN_FILENO))
		code = wb_cli_fail("target %s asks for confirmation (confirm = yes): pass --yes to %s",
				   target, what);
	else if (!wb_cli_ask("%s on target %s (%s)?", what, target, url))
		code = wb_cli_fail("not confirmed: nothing written to %s", target);
	if (code) {
		wb_close(*out);
		*out = NULL;
	}
	return code;
}

int wb_cli_check_table(const char *name)
{
	int rc = wb_table_name_validate(name);

	return rc < 0 ? wb_cli_error(rc) : 0;
}

int wb_cli_describe(wb_db *db, const char *table, wb_table_desc *out)
{
	int rc = wb_table_describe(out, db, table);

	if (rc == WB_ENOTFOUND)
		return wb_cli_fail("table '%s' does not exist (see whimbrel table list)", table);
	if (rc < 0)
		return wb_cli_error(rc);
	return 0;
}

int wb_cli_print_item(FILE *f, const wb_item *item, int format)
{
	char *json = NULL;
	int rc = wb_item_to_json(&json, item, format);

	if (rc < 0)
		return wb_cli_error(rc);
	fputs(json, f);
	fputc('\n', f);
	wb_string_free(json);
	return 0;
}

/* Set once a failed write to stdout has been reported (reported once). */
static int output_reported;

int wb_cli_flush(int code)
{
	if (output_reported)
		return code ? code : WB_EXIT_ERROR;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		output_reported = 1;
		return wb_cli_fail("cannot write the output: %s", errno ? strerror(errno) : "write error");
	}
	return code;
}

int wb_cli_finish(int code)
{
	int was = output_reported, c = wb_cli_flush(code);

	if (!was && output_reported) /* reported now: keep a failing code, else 1 */
		return code ? code : c;
	return code;
}

void wb_cli_url_redact(char *buf, size_t size, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : NULL;
	const char *at = host ? strchr(host, '@') : NULL;
	const char *slash = host ? strchr(host, '/') : NULL;

	if (at && (!slash || at < slash))
		snprintf(buf, size, "%.*s***@%s", (int)(host - url), url, at + 1);
	else
		snprintf(buf, size, "%s", url);
}

double wb_cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void wb_cli_progress_begin(wb_cli_progress *p, const wb_cli *cli, const char *verb)
{
	memset(p, 0, sizeof(*p));
	p->on = cli->isatty_out && !cli->quiet;
	p->verb = verb;
	p->t0 = wb_cli_now();
	p->last = 0; /* the first update draws at once */
}

void wb_cli_progress_update(wb_cli_progress *p, uint64_t done)
{
	double now, secs;

	p->done = done;
	if (!p->on)
		return;
	now = wb_cli_now();
	if (now - p->last < 0.2)
		return;
	p->last = now;
	secs = now - p->t0;
	fprintf(stderr, "\r\033[K%s: %llu items, %.0f items/s", p->verb,
		(unsigned long long)done, secs > 0 ? (double)done / secs : 0.0);
	fflush(stderr);
	p->drawn = 1;
}

void wb_cli_progress_end(wb_cli_progress *p)
{
	if (p->on && p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
}
