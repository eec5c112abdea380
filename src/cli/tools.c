/*
 * tools.c - what `whimbrel lint` and `whimbrel prune` share: the --dir and
 * --now arguments, and running git (or any helper program) with an
 * argument vector, never through a shell, so that file names are passed
 * through untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <whimbrel/runner.h>

#include "cli.h"
#include "tools.h"

const char *wb_cli_dir_arg(char *buf, size_t size, const char *dir)
{
	size_t n;

	snprintf(buf, size, "%s", dir);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return buf;
}

int wb_cli_parse_date(time_t *out, const char *text)
{
	char full[40];

	if (strlen(text) == 10) {
		snprintf(full, sizeof(full), "%s at 00:00:00 UTC", text);
		text = full;
	}
	return wb_time_parse(out, text);
}

/* Read all of fd into a malloc'd string; NULL on failure. */
static char *slurp(int fd)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	while (buf) {
		if (n + 1 >= cap) {
			if (!(nb = realloc(buf, cap *= 2))) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

char *wb_cli_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
	char *s;

	if (fd < 0)
		return NULL;
	s = slurp(fd);
	saved = errno;
	close(fd);
	errno = saved;
	if (s && len)
		*len = strlen(s);
	return s;
}

/* In the child: set up the descriptors and exec; never returns. */
static void child(char *const argv[], const char *cwd, int outfd, int quiet)
{
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		if (quiet)
			dup2(null, STDERR_FILENO);
	}
	if (outfd >= 0)
		dup2(outfd, STDOUT_FILENO);
	if (outfd >= 0 && quiet == WB_CLI_RUN_MERGE)
		dup2(outfd, STDERR_FILENO);
	if (cwd && chdir(cwd) < 0)
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

int wb_cli_run(char *const argv[], const char *cwd, char **out, int quiet)
{
	int fds[2] = {-1, -1}, status;
	pid_t pid;

	if (out)
		*out = NULL;
	if (out && pipe(fds) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		if (out)
			close(fds[0]), close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (out)
			close(fds[0]);
		child(argv, cwd, out ? fds[1] : -1, quiet);
	}
	if (out) {
		close(fds[1]);
		*out = slurp(fds[0]);
		close(fds[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		if (out) {
			free(*out);
			*out = NULL;
		}
		return -1;
	}
	return WEXITSTATUS(status);
}

int wb_cli_now_arg(time_t *out, const char *cmd, const char *text)
{
	if (wb_cli_parse_date(out, text) < 0)
		return wb_cli_usage(cmd, "bad --now '%s': expected YYYY-MM-DD or "
				    "YYYY-MM-DD at HH:MM:SS UTC", text);
	return 0;
}
