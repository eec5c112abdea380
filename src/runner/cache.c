/*
 * cache.c - the safety of the compile cache: directories and files that
 * only we can have written, and the seal (PROGRAM.key) that ties a cached
 * program to the files it was compiled from; see cache.h.
 *
 * The seal is a text file:
 *
 *     whimbrel-cache 1
 *     exe SHA256                     the program
 *     dep SHA256 PATH                one line per file the compiler read
 *
 * Checking it reads every listed file again (a few dozen headers: a few
 * milliseconds) and the program itself, so an edited header included by
 * the migration, or a program changed after it was compiled, is noticed
 * before anything runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "buf.h"
#include "cache.h"
#include "compile.h"
#include "sha256.h"

#define SEAL_MAGIC "whimbrel-cache 1"

/* ------------------------------------------------------------ ownership */

/* Why st (of path) may not be trusted, or NULL when it may. */
static const char *untrusted(const struct stat *st, int want_dir)
{
	if (want_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return want_dir ? "not a directory" : "not a regular file";
	if (st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

int wb__cache_dir_secure(const char *dir)
{
	struct stat st;
	const char *why;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return wb__error(NULL, WB_EIO, "cannot create the compile cache %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) != 0)
		return wb__error(NULL, WB_EIO, "cannot examine the compile cache %s: %s", dir, strerror(errno));
	if ((why = untrusted(&st, 1)))
		return wb__error(NULL, WB_EINVALID, "refusing the compile cache %s: %s (remove it, or "
				 "make it yours with mode 700)", dir, why);
	return 0;
}

int wb__cache_file_secure(const char *path)
{
	struct stat st;
	const char *why;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? WB_ENOTFOUND :
		       wb__error(NULL, WB_EIO, "cannot examine %s: %s", path, strerror(errno));
	if ((why = untrusted(&st, 0)))
		return wb__error(NULL, WB_EINVALID, "refusing %s from the compile cache: %s (remove "
				 "it to compile again)", path, why);
	return 0;
}

void wb__cache_tool_id(char *buf, size_t size, const char *cmd)
{
	char word[256], path[PATH_MAX + 256];
	const char *env = getenv("PATH");
	struct stat st;
	int found = 0;

	snprintf(word, sizeof(word), "%.*s", (int)strcspn(cmd, " \t"), cmd);
	if (strchr(word, '/')) {
		snprintf(path, sizeof(path), "%s", word);
		found = stat(path, &st) == 0;
	}
	for (const char *p = env ? env : "/usr/bin:/bin"; !found && *p;) {
		size_t n = strcspn(p, ":");
		snprintf(path, sizeof(path), "%.*s/%s", (int)n, n ? p : ".", word);
		found = stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
		p += n + (p[n] == ':');
	}
	if (!found) {
		snprintf(buf, size, "%s", word);
		return;
	}
	snprintf(buf, size, "%s %lld %lld.%09ld", path, (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* ---------------------------------------------------------------- hashes */

/* ------------------------------------------------------ dependency file */

/*
 * The next path of a make rule's prerequisites (-MD output) from *p into
 * out: "\ " is a space, "\#" a '#', "$$" a '$', backslash-newline is a
 * separator.  0 when there is none left.
 */
static int next_dep(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || (s[0] == '\\' && s[1] == '\n'))
		s += s[0] == '\\' ? 2 : 1;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && !(s[0] == '\\' && s[1] == '\n')) {
		char c = *s++;
		if ((c == '\\' && (*s == ' ' || *s == '#')) || (c == '$' && *s == '$'))
			c = *s++;
		if (n + 1 < size)
			out[n++] = c;
	}
	out[n] = '\0';
	*p = s;
	return n > 0;
}

/* The prerequisites of the first rule of a dependency file (after "target:"). */
static const char *deps_start(const char *text)
{
	for (const char *s = text; *s; s++)
		if (s[0] == ':' && (s[1] == ' ' || s[1] == '\t' || s[1] == '\n' || s[1] == '\\' || !s[1]))
			return s + 1;
	return NULL;
}

/* Append "dep HASH PATH\n" for every prerequisite of depfile's text. */
static int seal_deps(wb_buf *seal, const char *text, const char *depfile)
{
	const char *p = deps_start(text);
	char path[PATH_MAX], hex[65], line[PATH_MAX + 80];

	if (!p)
		return wb__error(NULL, WB_EIO, "%s: not a dependency list", depfile);
	while (next_dep(&p, path, sizeof(path))) {
		if (wb__sha256_file_hex(hex, path) < 0)
			return wb__error(NULL, WB_EIO, "cannot read %s (an input of the migration): %s",
					 path, strerror(errno));
		snprintf(line, sizeof(line), "dep %s %s\n", hex, path);
		if (wb__buf_append(seal, line, strlen(line)) < 0)
			return WB_ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------------ seal */

/* Write `data` to `path` (mode 0600) through a temporary file and a rename. */
static int write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX + 32];
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return wb__error(NULL, WB_EIO, "cannot write %s: %s", tmp, strerror(errno));
	ok = write(fd, data, len) == (ssize_t)len;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return wb__error(NULL, WB_EIO, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

static void seal_path(char *buf, size_t size, const char *exe)
{
	snprintf(buf, size, "%s.key", exe);
}

int wb__cache_seal(const char *exe, const char *depfile)
{
	char key[PATH_MAX + 8], hex[65], *text = NULL;
	wb_buf seal = {0};
	size_t len = 0;
	int rc;

	if (wb__read_file(depfile, &text, &len) < 0)
		return wb__error(NULL, WB_EIO, "cannot read the dependency list %s: %s", depfile,
				 strerror(errno));
	if (wb__sha256_file_hex(hex, exe) < 0) {
		rc = wb__error(NULL, WB_EIO, "cannot read %s: %s", exe, strerror(errno));
		goto out;
	}
	if (wb__buf_append(&seal, SEAL_MAGIC "\nexe ", strlen(SEAL_MAGIC) + 5) < 0 ||
	    wb__buf_append(&seal, hex, 64) < 0 || wb__buf_append(&seal, "\n", 1) < 0) {
		rc = wb__oom(NULL);
		goto out;
	}
	if ((rc = seal_deps(&seal, text, depfile)) < 0)
		goto out;
	seal_path(key, sizeof(key), exe);
	rc = write_atomic(key, (const char *)seal.data, seal.len);
out:
	free(text);
	wb__buf_free(&seal);
	return rc == WB_ENOMEM ? wb__oom(NULL) : rc;
}

/* One line of a seal: 1 when it still holds, 0 when not (or not understood). */
static int seal_line_holds(const char *line, const char *exe)
{
	char hex[65], want[65];
	const char *path;

	if (strncmp(line, "exe ", 4) == 0 && strlen(line) == 4 + 64) {
		path = exe;
		memcpy(want, line + 4, 64);
	} else if (strncmp(line, "dep ", 4) == 0 && strlen(line) > 4 + 64 + 1 && line[68] == ' ') {
		path = line + 69;
		memcpy(want, line + 4, 64);
	} else {
		return 0;
	}
	want[64] = '\0';
	return wb__sha256_file_hex(hex, path) == 0 && strcmp(hex, want) == 0;
}

int wb__cache_check(const char *exe)
{
	char key[PATH_MAX + 8], *text = NULL, *line, *save = NULL;
	size_t len = 0;
	int rc, holds = 1, seen_exe = 0;

	seal_path(key, sizeof(key), exe);
	if ((rc = wb__cache_file_secure(key)) < 0)
		return rc == WB_ENOTFOUND ? 0 : rc;
	if (wb__read_file(key, &text, &len) < 0)
		return 0;
	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, SEAL_MAGIC) != 0)
		holds = 0;
	while (holds && (line = strtok_r(NULL, "\n", &save))) {
		seen_exe |= strncmp(line, "exe ", 4) == 0;
		holds = seal_line_holds(line, exe);
	}
	free(text);
	return holds && seen_exe;
}
