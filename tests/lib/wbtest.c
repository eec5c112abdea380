/*
 * wbtest.c - helpers shared by the C test programs; see wbtest.h.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbtest.h"

static char tmpdir[512];

static void remove_tmpdir(void)
{
	char cmd[600];

	if (tmpdir[0] && !getenv("WBT_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

const char *wbt_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/wbt.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

int wbt_target_count(void)
{
	const char *u = getenv("WB_TEST_DYNAMODB_URL");
	return (u && *u) ? 2 : 1;
}

wbt_kind wbt_target_kind(int i)
{
	return i == 0 ? WBT_SQLITE : WBT_DYNAMODB;
}

wbt_kind wbt_kinds[2] = {WBT_SQLITE, WBT_DYNAMODB};

int wbt_case_target(void **state)
{
	int i = (int)*(const wbt_kind *)*state;

	if (i >= wbt_target_count()) {
		printf("# WB_TEST_DYNAMODB_URL not set (no dynalite): skipped\n");
		skip();
	}
	return i;
}

const char *wbt_target_url(int i, char *buf, size_t size)
{
	static int counter;

	if (wbt_target_kind(i) == WBT_DYNAMODB)
		snprintf(buf, size, "%s", getenv("WB_TEST_DYNAMODB_URL"));
	else
		snprintf(buf, size, "sqlite:%s/db%d.sqlite", wbt_tmpdir(), ++counter);
	return buf;
}

wb_db *wbt_open(int i)
{
	char url[600];
	wb_db *db = NULL;
	int rc = wb_open(&db, wbt_target_url(i, url, sizeof(url)));

	if (rc != 0)
		fail_msg("cannot open %s: %s", url, wb_error_last());
	return db;
}

wb_key_schema wbt_key(const char *pk, wb_type pkt, const char *sk, wb_type skt)
{
	wb_key_schema k;

	memset(&k, 0, sizeof(k));
	snprintf(k.pk_name, sizeof(k.pk_name), "%s", pk);
	k.pk_type = pkt;
	if (sk) {
		snprintf(k.sk_name, sizeof(k.sk_name), "%s", sk);
		k.sk_type = skt;
	}
	return k;
}

const char *wbt_table_name(char *buf, size_t size, const char *base)
{
	static int counter;

	snprintf(buf, size, "%s_%d_%ld", base, ++counter, (long)getpid());
	return buf;
}

wb_item *wbt_item(const char *json)
{
	wb_item *it = NULL;
	int rc = wb_item_from_json(&it, json, strlen(json), WB_JSON_AUTO);

	if (rc != 0)
		fail_msg("bad test JSON %s: %s", json, wb_error_last());
	return it;
}

char *wbt_json(const wb_item *item)
{
	char *s = NULL;

	if (wb_item_to_json(&s, item, WB_JSON_DDB) != 0)
		fail_msg("to_json: %s", wb_error_last());
	return s;
}

const char *wbt_tmp_path(const char *name)
{
	static char buf[4][600];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", wbt_tmpdir(), name);
	return p;
}

void wbt_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot create %s", path);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

char *wbt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

int wbt_each_corpus_file(const char *dir, wbt_corpus_fn *fn, void *arg)
{
	const char *root = getenv("WB_ROOT");
	char path[4096], file[8192];
	struct dirent *e;
	int files = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tests/data/%s", root ? root : ".", dir);
	if (!(d = opendir(path)))
		fail_msg("cannot open %s (run from the repository root or set WB_ROOT)", path);
	while ((e = readdir(d)) != NULL) {
		size_t len;
		char *text;
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		text = wbt_read_file(file, &len);
		fn(file, e->d_name, text, len, arg);
		free(text);
		files++;
	}
	closedir(d);
	return files;
}

wb_value *wbt_nested_lists(wb_value *inner, int depth)
{
	for (int i = 0; i < depth; i++) {
		wb_value *outer = wb_value_list();
		wbt_ok(wb_value_list_append(outer, inner));
		inner = outer;
	}
	return inner;
}
