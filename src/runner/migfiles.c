/*
 * migfiles.c - the migration files of a directory (whimbrel/runner.h):
 * listing them, checking their names, and creating a directory with its
 * parents.  status, lint, prune and new use them; nothing here prints.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include <whimbrel/runner.h>

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

int wb_migration_list(char ***out, size_t *count, const char *dir, unsigned flags)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	*out = NULL;
	*count = 0;
	if (!d)
		return wb__error(NULL, errno == ENOENT ? WB_ENOTFOUND : WB_EIO,
				 "cannot read the migrations directory %s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (is_c_file(dir, e->d_name, flags & WB_MIGRATION_LIST_ALL) &&
		    push_name(&v, &n, &cap, e->d_name) < 0) {
			closedir(d);
			wb_strings_free(v);
			return wb__oom(NULL);
		}
	closedir(d);
	if (!v && !(v = calloc(1, sizeof(*v))))
		return wb__oom(NULL);
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*count = n;
	return 0;
}

int wb_migration_name_ok(unsigned long *number, const char *name)
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

int wb_mkdirs(const char *path)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return wb__error(NULL, WB_EIO, "cannot create %s: %s", path, strerror(ENAMETOOLONG));
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return wb__error(NULL, WB_EIO, "cannot create %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return wb__error(NULL, WB_EIO, "cannot create %s: %s", tmp, strerror(errno));
	return 0;
}

int wb_state_dir_make(const char *dir)
{
	char path[4096];
	struct stat st;
	FILE *f;
	int rc;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if ((rc = wb_mkdirs(dir)) < 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/.gitignore", dir) >= (int)sizeof(path))
		return 0;
	if ((f = fopen(path, "wx"))) { /* never over one the user wrote */
		fputs("# whimbrel's state (dev database, compile cache): not for version control\n*\n", f);
		fclose(f);
	}
	return 0;
}
