/*
 * compile.c - compile a migration against the library the running program
 * was built with, and cache the program; see compile.h.
 *
 * The compiler (WB_CC), the link libraries (WB_LINK_LIBS) and the
 * sanitizer flags of this build (WB_BUILD_SAN) come from the Makefile, so
 * a migration is built exactly like the library it links.  The cache
 * directory's name covers the source, the flags, the compiler (its path,
 * size and time), the library version and the library file's size and
 * time, so a rebuilt library or another compiler invalidates every cached
 * program.  The files the compiler read (the headers a migration includes)
 * are covered by the seal beside each program (cache.c), which also ties
 * the program to its own SHA-256; the cache directories are 0700 and only
 * ours are trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "cache.h"
#include "compile.h"
#include "sha256.h"
#include <whimbrel/runner.h>

#ifndef WB_CC
#define WB_CC "cc"
#endif
#ifndef WB_LINK_LIBS
#define WB_LINK_LIBS "-lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm"
#endif
#ifndef WB_BUILD_SAN
#define WB_BUILD_SAN ""
#endif

#define MAX_ARGS 128
#define ROOT_MAX 3000 /* longest installation root we handle */

int wb__read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!f)
		return -1;
	for (;;) {
		if (cap - n < 4096) {
			char *p = realloc(buf, cap ? cap * 2 : 8192);
			if (!p) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return -1;
			}
			buf = p;
			cap = cap ? cap * 2 : 8192;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int wb__install_root(char *buf, size_t size)
{
	char exe[ROOT_MAX - 4];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return -1;
	*slash = '\0';                       /* BIN_DIR */
	snprintf(buf, size, "%s/..", exe);
	return 0;
}

/* Split a space-separated flag string into args[*n...]. */
static void split_into(char *flags, char **args, int *n)
{
	for (char *tok = strtok(flags, " \t"); tok && *n < MAX_ARGS - 8; tok = strtok(NULL, " \t"))
		args[(*n)++] = tok;
}

/* The flags every migration is compiled with (before the sanitizer's, the -I and the files). */
#define CC_FLAGS "-std=gnu11 -O2 -g -Wall -pthread"

/* Run the compiler, its dependency list into depfile; its messages go to our stderr.  Returns its exit status. */
static int run_compiler(const char *root, const char *src_path, const char *out, const char *depfile)
{
	char cc[256], san[512], libs[512], inc[PATH_MAX], lib[PATH_MAX], flags[] = CC_FLAGS;
	char *args[MAX_ARGS];
	int n = 0, status;
	pid_t pid;

	snprintf(cc, sizeof(cc), "%s", WB_CC);
	snprintf(san, sizeof(san), "%s", WB_BUILD_SAN);
	snprintf(libs, sizeof(libs), "%s", WB_LINK_LIBS);
	snprintf(inc, sizeof(inc), "-I%s/include", root);
	snprintf(lib, sizeof(lib), "%s/lib/libwhimbrel.a", root);
	split_into(cc, args, &n);
	split_into(flags, args, &n);
	split_into(san, args, &n);
	args[n++] = "-MD";
	args[n++] = "-MF";
	args[n++] = (char *)depfile;
	args[n++] = inc;
	args[n++] = "-o";
	args[n++] = (char *)out;
	args[n++] = (char *)src_path;
	args[n++] = lib;
	split_into(libs, args, &n);
	args[n] = NULL;
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execvp(args[0], args);
		fprintf(stderr, "whimbrel: cannot run the compiler %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The cache directory of this source and library (under cache root `croot`) into buf. */
static int cache_dir(char *buf, size_t size, const char *croot, const char *root, const char *src,
		     size_t len)
{
	char lib[PATH_MAX], hex[65], tool[PATH_MAX + 64], *key;
	struct stat st;
	size_t klen;
	int n;

	snprintf(lib, sizeof(lib), "%s/lib/libwhimbrel.a", root);
	if (stat(lib, &st) != 0) {
		return wb__error(NULL, WB_EIO, "cannot find the whimbrel library %s next to the "
				 "whimbrel command: %s", lib, strerror(errno));
	}
	wb__cache_tool_id(tool, sizeof(tool), WB_CC);
	klen = len + sizeof(tool) + 2048;
	if (!(key = wb__malloc(klen)))
		return WB_ENOMEM;
	memcpy(key, src, len);
	n = snprintf(key + len, klen - len, "\n%s\n%lld.%09ld\n%lld\n%s\n%s\n%s\n%s\n%s\n",
		     WB_VERSION_STRING, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		     (long long)st.st_size, WB_BUILD_SAN, WB_CC, tool, CC_FLAGS, WB_LINK_LIBS);
	wb__sha256_hex(hex, key, len + (size_t)n);
	free(key);
	snprintf(buf, size, "%s/%s-%s", croot, hex, WB_VERSION_STRING);
	return 0;
}

/*
 * A source given in memory is written into the cache directory (which its
 * hash names, so the file there is always that source) and compiled there.
 * Written under a name of this process and renamed into place: workers on
 * one machine compile the same job at the same time, and a compiler must
 * never read a file another process is still writing.
 */
static int write_source(char *buf, size_t size, const char *dir, const char *path,
			const char *src, size_t len)
{
	const char *base = strrchr(path, '/');
	char tmp[PATH_MAX + 400];
	FILE *f;
	int ok;

	snprintf(buf, size, "%s/%s", dir, base ? base + 1 : path);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", buf, (long)getpid());
	if (!(f = fopen(tmp, "w")))
		return wb__error(NULL, WB_EIO, "cannot write %s: %s", tmp, strerror(errno));
	ok = fwrite(src, 1, len, f) == len;
	if (fclose(f) != 0 || !ok || rename(tmp, buf) != 0) {
		unlink(tmp);
		return wb__error(NULL, WB_EIO, "cannot write %s: %s", buf, strerror(errno));
	}
	return 0;
}

/*
 * The cache root into buf, created 0700 and checked: .whimbrel/build; in a
 * checkout of another user (.whimbrel/build is theirs, or we may not create
 * it: a reader of a read-only target), a private cache of ours,
 * TMPDIR/whimbrel-build-UID.  Another user's programs never run.
 */
static int cache_root(char *buf, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int theirs;

	snprintf(buf, size, ".whimbrel/build");
	if (lstat(buf, &st) == 0)
		theirs = st.st_uid != geteuid();
	else
		theirs = wb_state_dir_make(".whimbrel") < 0 || access(".whimbrel", W_OK) != 0;
	if (theirs) {
		snprintf(buf, size, "%s/whimbrel-build-%lu", tmp && *tmp ? tmp : "/tmp",
			 (unsigned long)geteuid());
		fprintf(stderr, "whimbrel: .whimbrel/build is not ours to write: compiling into %s\n", buf);
	}
	return wb__cache_dir_secure(buf);
}

/* The cached program `out` if it may run (1), or 0 to compile it, or a refusal. */
static int cached(const char *out)
{
	int rc = wb__cache_file_secure(out);

	if (rc == WB_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : wb__cache_check(out);
}

/* Compile into tmp, then make it the cached program `out`, sealed to its inputs. */
static int build(const char *root, const char *src_path, const char *path, const char *dir,
		 const char *out)
{
	char tmp[PATH_MAX + 64], dep[PATH_MAX + 80];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s/migration.tmp.%ld", dir, (long)getpid());
	snprintf(dep, sizeof(dep), "%s.d", tmp);
	rc = run_compiler(root, src_path, tmp, dep);
	if (rc != 0) {
		unlink(tmp);
		unlink(dep);
		return wb__error(NULL, WB_EINVALID, "%s does not compile", path);
	}
	if (chmod(tmp, 0700) != 0 || rename(tmp, out) != 0) {
		rc = wb__error(NULL, WB_EIO, "cannot store the compiled migration in %s: %s", dir,
			       strerror(errno));
		unlink(tmp);
		unlink(dep);
		return rc;
	}
	rc = wb__cache_seal(out, dep);
	unlink(dep);
	return rc;
}

int wb__compile(const char *path, const char *src, size_t len, int in_memory, char **exe)
{
	char root[ROOT_MAX], dir[PATH_MAX], out[PATH_MAX + 32], hdr[PATH_MAX + 32];
	char copy[PATH_MAX + 300], croot[1024];
	int rc;

	*exe = NULL;
	if (wb__install_root(root, sizeof(root)) < 0)
		return wb__error(NULL, WB_EIO, "cannot locate the running executable (/proc/self/exe)");
	snprintf(hdr, sizeof(hdr), "%s/include/whimbrel.h", root);
	if (access(hdr, R_OK) != 0)
		return wb__error(NULL, WB_EIO, "cannot find %s next to the whimbrel command", hdr);
	if ((rc = cache_root(croot, sizeof(croot))) < 0 ||
	    (rc = cache_dir(dir, sizeof(dir), croot, root, src, len)) < 0 ||
	    (rc = wb__cache_dir_secure(dir)) < 0)
		return rc;
	snprintf(out, sizeof(out), "%s/migration", dir);
	if ((rc = cached(out)) < 0)
		return rc;
	if (rc == 0 && in_memory && (rc = write_source(copy, sizeof(copy), dir, path, src, len)) < 0)
		return rc;
	if (rc == 0 && (rc = build(root, in_memory ? copy : path, path, dir, out)) < 0)
		return rc;
	return (*exe = wb__strdup(out)) ? 0 : WB_ENOMEM;
}
