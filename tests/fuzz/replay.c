/*
 * replay.c - a main for the libFuzzer targets in tests/fuzz/, so that their
 * corpora replay as ordinary tests under the normal compiler (make test).
 *
 * Usage: fuzz_NAME FILE|DIR...  Each file given, and each regular file of
 * each directory given (sorted by name, not recursive), is read and handed
 * to LLVMFuzzerTestOneInput once.  Prints TAP: a plan, then `ok N - PATH`
 * after each input returns (its path is on stderr before).  A target that finds a bug aborts, so the
 * program dies on that input with its message, and the runner counts it
 * failed; an unreadable file is `not ok`.  Exit status 1 when any failed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct paths {
	char **v;   /* file paths, malloc'd */
	size_t n;   /* how many */
	size_t cap; /* room in v */
};

static void add_path(struct paths *ps, const char *dir, const char *name)
{
	size_t len = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
	char *p = malloc(len);

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 64;
		ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	if (!p || !ps->v) {
		fprintf(stderr, "replay: out of memory\n");
		exit(2);
	}
	if (dir)
		snprintf(p, len, "%s/%s", dir, name);
	else
		snprintf(p, len, "%s", name);
	ps->v[ps->n++] = p;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files, sorted; a file as itself. */
static void collect(struct paths *ps, const char *arg)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	size_t first = ps->n;

	if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
		add_path(ps, NULL, arg);
		return;
	}
	if (!(d = opendir(arg))) {
		add_path(ps, NULL, arg);
		return;
	}
	while ((e = readdir(d))) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", arg, e->d_name);
		if (e->d_name[0] != '.' && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			add_path(ps, arg, e->d_name);
	}
	closedir(d);
	qsort(ps->v + first, ps->n - first, sizeof(*ps->v), by_name);
}

/* The whole file in a malloc'd buffer of exactly its size (so ASan sees overreads). */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*out = NULL;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	*out = malloc(n ? (size_t)n : 1);
	if (!*out || fread(*out, 1, (size_t)n, f) != (size_t)n) {
		free(*out);
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	struct paths ps = {0};
	int failed = 0;

	for (int i = 1; i < argc; i++)
		collect(&ps, argv[i]);
	printf("1..%zu\n", ps.n);
	for (size_t i = 0; i < ps.n; i++) {
		uint8_t *data;
		size_t len;
		if (slurp(ps.v[i], &data, &len) != 0) {
			printf("not ok %zu - %s\n# cannot read it\n", i + 1, ps.v[i]);
			failed = 1;
		} else {
			/* named first: a target that finds a bug aborts before the ok */
			fflush(stdout);
			fprintf(stderr, "replay: %s\n", ps.v[i]);
			LLVMFuzzerTestOneInput(data, len);
			printf("ok %zu - %s\n", i + 1, ps.v[i]);
			free(data);
		}
		free(ps.v[i]);
	}
	free(ps.v);
	return failed;
}
