/*
 * migfiles.c - helpers shared by `whimbrel lint` and `whimbrel prune`.
 *
 * Listing the migration files of a directory, checking their names, parsing
 * the --now option, and running git (or any helper program) with an
 * argument vector, never through a shell, so that file names are passed
 * through untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "whimbrel.h"
#include "header.h"
#include "migfiles.h"
#include "cli.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A regular, non-hidden file whose name ends in ".c" (with `all`, anything
 * of that name: a directory, a dangling symbolic link...).
 */
static int is_c_file(const char *dir, const char *name, int all)
{
	size_t n = strlen(name);
	char path[4096];
	struct stat st;

	if (name[0] == '.' || n < 3 || strcmp(name + n - 2, ".c") != 0)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return 0;
	if (all)
		return lstat(path, &st) == 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int push_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	if (!((*v)[*n] = strdup(name)))
		return -1;
	(*v)[++*n] = NULL;
	return 0;
}

int wb_cli_list_migrations(char ***out, size_t *count, const char *dir, int all)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	*out = NULL;
	*count = 0;
	if (!d) {
		wb_cli_fail("cannot read the migrations directory %s: %s", dir, strerror(errno));
		return WB_EIO;
	}
	while ((e = readdir(d)))
		if (is_c_file(dir, e->d_name, all) && push_name(&v, &n, &cap, e->d_name) < 0) {
			closedir(d);
			wb_strings_free(v);
			fprintf(stderr, "whimbrel: out of memory\n");
			return WB_ENOMEM;
		}
	closedir(d);
	if (!v && !(v = calloc(1, sizeof(*v)))) {
		fprintf(stderr, "whimbrel: out of memory\n");
		return WB_ENOMEM;
	}
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*count = n;
	return 0;
}

int wb_cli_migration_name_ok(const char *name, unsigned long *number)
{
	size_t i = 0, len = strlen(name);

	while (name[i] >= '0' && name[i] <= '9')
		i++;
	if (i < 4 || name[i] != '_' || len < i + 4 || strcmp(name + len - 2, ".c") != 0)
		return 0;
	for (size_t k = i + 1; k < len - 2; k++)
		if (!((name[k] >= 'a' && name[k] <= 'z') || (name[k] >= '0' && name[k] <= '9') || name[k] == '_'))
			return 0;
	if (number)
		*number = strtoul(name, NULL, 10);
	return 1;
}

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
	return wb__time_parse(out, text);
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
