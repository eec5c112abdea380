/*
 * report.c - how every command reports: a one-line error or usage message
 * on stderr (control characters escaped), help detection, and the exit
 * code of a library result, and one line of JSON on stdout.  Depends on nothing else of the command, so
 * that main.c and args.c both use it without calling each other.
 */
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <whimbrel/runner.h>

#include "cli.h"

/*
 * Print prefix + the formatted message + suffix as one line on stderr, any
 * control character in the message (input quoted in it) escaped.
 */
void wb_cli_vprint_line(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char buf[2048], line[4 * sizeof(buf)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s%s%s\n", prefix, wb_escape_line(line, sizeof(line), buf), suffix);
}

int wb_cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wb_cli_vprint_line("whimbrel: ", "", fmt, ap);
	va_end(ap);
	return WB_EXIT_ERROR;
}

int wb_cli_usage(const char *cmd, const char *fmt, ...)
{
	char prefix[128], suffix[160];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "whimbrel %s: ", cmd);
	snprintf(suffix, sizeof(suffix), " (see whimbrel %s --help)", cmd);
	va_start(ap, fmt);
	wb_cli_vprint_line(prefix, suffix, fmt, ap);
	va_end(ap);
	return WB_EXIT_USAGE;
}

int wb_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int wb_cli_exit_for(int rc)
{
	if (rc == 0)
		return WB_EXIT_OK;
	if (rc == WB_EBUSY)
		return WB_EXIT_BUSY;
	if (rc == WB_EINTERRUPTED)
		return WB_EXIT_INTERRUPTED;
	return WB_EXIT_ERROR;
}

int wb_cli_exit_of_run(const wb_ledger_run *rec)
{
	if (strcmp(rec->status, "succeeded") == 0)
		return WB_EXIT_OK;
	if (strcmp(rec->status, "interrupted") == 0)
		return WB_EXIT_INTERRUPTED;
	return WB_EXIT_ERROR;
}

int wb_cli_print_json(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	if (!text)
		return wb_cli_fail("out of memory");
	printf("%s\n", text);
	free(text);
	return WB_EXIT_OK;
}

static volatile int stop_requested; /* set by SIGINT / SIGTERM once wb_cli_stop_flag installed them */

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

volatile int *wb_cli_stop_flag(int interrupt_reads)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = interrupt_reads ? 0 : SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return &stop_requested;
}

int wb_cli_confirm_typed(wb_cli *cli, const char *target, int yes, const char *action, const char *nothing,
			 const char *fmt, ...)
{
	char answer[32];
	va_list ap;

	if (yes || !wb_cli_target_confirm(cli, target))
		return 0;
	if (!isatty(STDIN_FILENO))
		return wb_cli_fail("refusing to %s on %s without confirmation: stdin is not a terminal "
				   "(pass --yes)", action, target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " Type 'yes': ");
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin) && strncmp(answer, "yes", 3) == 0 &&
	    (answer[3] == '\n' || answer[3] == '\0'))
		return 0;
	return wb_cli_fail("not confirmed: %s", nothing);
}
