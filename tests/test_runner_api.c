/*
 * test_runner_api.c - the runner's public API (include/whimbrel/runner.h),
 * used the way `whimbrel run` and a worker use it: only public headers.
 *
 * Targets resolved from options, the environment and a configuration
 * file; migration names and directory listings; the header accessors; key
 * order; and wb_runner_run itself on a real SQLite file: a migration that
 * succeeds (ledger row and captured log), one that fails, one stopped by
 * the caller's stop flag, one that does not compile, one given as source
 * in memory (a worker's job), and options of the wrong version.  The runner compiles against build/include and build/lib,
 * found beside this program (build/tests/..), as beside the command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "wbtest.h"
#include <whimbrel/runner.h>

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", wbt_tmpdir(), name);
	return buf;
}

static void test_target_url(void **state)
{
	wb_target_options o = WB_TARGET_OPTIONS_INIT;
	char conf[600], *url = NULL;

	(void)state;
	unsetenv("WHIMBREL_DEV_DB");
	unsetenv("WHIMBREL_PROD_DB");
	unsetenv("WHIMBREL_STAGING_EU_DB");
	write_file(tmp_path(conf, sizeof(conf), "t.conf"), "[prod]\ndb = sqlite:/p.db\nconfirm = no\n");
	o.config = conf;
	wbt_ok(wb_target_url(&url, &o, "dev"));
	assert_string_equal(url, "sqlite:.whimbrel/dev.db");
	wb_string_free(url);
	wbt_ok(wb_target_url(&url, &o, "prod"));
	assert_string_equal(url, "sqlite:/p.db");
	wb_string_free(url);
	assert_int_equal(wb_target_confirm(&o, "prod"), 0);
	assert_int_equal(wb_target_url(&url, &o, "staging"), WB_ENOTFOUND);
	assert_null(url);
	setenv("WHIMBREL_STAGING_EU_DB", "sqlite:/s.db", 1);
	wbt_ok(wb_target_url(&url, &o, "staging-eu"));
	assert_string_equal(url, "sqlite:/s.db");
	wb_string_free(url);
	unsetenv("WHIMBREL_STAGING_EU_DB");
	assert_int_equal(wb_target_url(&url, &o, "bad name"), WB_EINVALID);
	o.db_url = "sqlite:/x.db";
	wbt_ok(wb_target_url(&url, &o, "prod"));
	assert_string_equal(url, "sqlite:/x.db");
	wb_string_free(url);
	/* NULL options: the defaults, prod asks */
	assert_int_equal(wb_target_confirm(NULL, "prod"), 1);
	assert_int_equal(wb_target_confirm(NULL, "dev"), 0);
}

static void test_migration_names_and_list(void **state)
{
	wb_migration_id id;
	unsigned long num = 0;
	char dir[600], path[700], **names = NULL;
	size_t n = 0;

	(void)state;
	wbt_ok(wb_migration_id_parse(&id, "migrations/0012_add_price.c"));
	assert_string_equal(id.name, "0012_add_price");
	assert_string_equal(id.version, "0012");
	assert_string_equal(id.slug, "add_price");
	assert_int_equal(wb_migration_id_parse(&id, "notes.txt"), WB_EINVALID);
	assert_true(wb_migration_name_ok(&num, "0012_add_price.c"));
	assert_int_equal(num, 12);
	assert_false(wb_migration_name_ok(NULL, "12_add_price.c"));
	assert_false(wb_migration_name_ok(NULL, "0012_Add.c"));

	tmp_path(dir, sizeof(dir), "migs/a/b");
	wbt_ok(wb_mkdirs(dir));
	wbt_ok(wb_mkdirs(dir)); /* exists: fine */
	snprintf(path, sizeof(path), "%s/0002_b.c", dir);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/0001_a.c", dir);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/.hidden.c", dir);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/0003_dir.c", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	wbt_ok(wb_migration_list(&names, &n, dir, 0));
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "0001_a.c");
	assert_string_equal(names[1], "0002_b.c");
	assert_null(names[2]);
	wb_strings_free(names);
	wbt_ok(wb_migration_list(&names, &n, dir, WB_MIGRATION_LIST_ALL));
	assert_int_equal(n, 3);
	wb_strings_free(names);
	assert_int_equal(wb_migration_list(&names, &n, "/nonexistent/migs", 0), WB_ENOTFOUND);
	assert_null(names);
}

static void test_header_accessors(void **state)
{
	static const char text[] = "/*\n * Add a price.\n *\n"
				   " * Execution Time: 2026-11-25 at 10:00:03 UTC\n"
				   " * Finalization Time: 2026-11-25 at 10:04:12 UTC\n"
				   " * Execution Time: 2026-13-01 at 09:00:00 UTC\n"
				   " * Finalization Time:\n */\n";
	wb_header *h = NULL;
	time_t t = 0;

	(void)state;
	wbt_ok(wb_header_parse(&h, text, strlen(text)));
	assert_string_equal(wb_header_description(h), "Add a price.");
	assert_int_equal(wb_header_run_count(h), 2);
	wbt_ok(wb_time_parse(&t, "2026-11-25 at 10:04:12 UTC"));
	assert_int_equal(wb_header_run_at(h, 0)->fin, t);
	assert_int_equal(wb_header_run_at(h, 0)->exec_line, 4);
	assert_null(wb_header_run_at(h, 2));
	assert_true(wb_header_problem_count(h) >= 1); /* month 13 */
	assert_int_equal(wb_header_problem_at(h, 0)->line, 6);
	assert_null(wb_header_problem_at(h, wb_header_problem_count(h)));
	assert_int_equal(wb_header_last_finalization(h), t);
	wb_header_free(h);
	assert_int_equal(wb_header_run_count(NULL), 0);
	assert_int_equal(wb_header_last_finalization(NULL), 0);
	wb_header_free(NULL);
}

static void test_key_compare_and_text(void **state)
{
	wb_value *n9 = wb_value_number("9"), *n10 = wb_value_number("10"), *nm = wb_value_number("-1e3");
	wb_value *sa = wb_value_string("a", 1), *sb = wb_value_string("ab", 2);
	char buf[64];

	(void)state;
	assert_int_equal(wb_key_compare(n9, n10), -1);
	assert_int_equal(wb_key_compare(n10, n9), 1);
	assert_int_equal(wb_key_compare(nm, n9), -1);
	assert_int_equal(wb_key_compare(n9, n9), 0);
	assert_int_equal(wb_key_compare(sa, sb), -1);
	assert_int_not_equal(wb_key_compare(sa, n9), 0); /* types differ */
	wb_format_duration(buf, sizeof(buf), 123000);
	assert_string_equal(buf, "2m03s");
	wb_format_utc(buf, sizeof(buf), 0);
	assert_string_equal(buf, "-");
	assert_string_equal(wb_escape_line(buf, sizeof(buf), "a\nb\x1b"), "a\\nb\\x1b");
	wb_value_free(n9);
	wb_value_free(n10);
	wb_value_free(nm);
	wb_value_free(sa);
	wb_value_free(sb);
}

/* ------------------------------------------------------------ wb_runner_run */

static const char *const OK_SRC =
	"/*\n * Put one item.\n *\n * Execution Time:\n * Finalization Time:\n */\n"
	"#include <stdio.h>\n#include <whimbrel.h>\n"
	"int main(void)\n{\n\twb_run *run = wb_run_begin();\n"
	"\twb_log_info(run, \"hello from the migration\");\n"
	"\tprintf(\"to stdout\\n\");\n"
	"\treturn wb_run_end(run, 0);\n}\n";

static const char *const FAIL_SRC =
	"/*\n * Fail.\n */\n#include <whimbrel.h>\n"
	"int main(void)\n{\n\twb_run *run = wb_run_begin();\n"
	"\twb_log_error(run, \"giving up\");\n\treturn wb_run_end(run, WB_EINVALID);\n}\n";

static const char *const SLOW_SRC =
	"/*\n * Wait.\n */\n#include <unistd.h>\n#include <whimbrel.h>\n"
	"int main(void)\n{\n\tsleep(30);\n\treturn 0;\n}\n";

static int count_line(const wb_log_line *l, void *arg)
{
	if (strstr(l->line, "hello from the migration") && strcmp(l->stream, "info") == 0)
		++*(int *)arg;
	return 0;
}

/* Write `src` as `name` in the temporary directory and run it on `url`. */
static int run_file(wb_ledger_run *rec, const char *name, const char *src, const char *url,
		    volatile int *stop)
{
	wb_run_options o = WB_RUN_OPTIONS_INIT;
	char path[600];

	write_file(tmp_path(path, sizeof(path), name), src);
	o.path = path;
	o.url = url;
	o.mode = "dev";
	o.stop = stop;
	return wb_runner_run(rec, &o);
}

/* A job's source, given in memory under a name no file has (as a worker runs it). */
static void run_from_memory(const char *url)
{
	wb_run_options o = WB_RUN_OPTIONS_INIT;
	wb_ledger_run rec;
	char other[65];

	o.path = "jobs/0005_from_memory.c";
	o.url = url;
	o.source = OK_SRC;
	o.source_len = strlen(OK_SRC);
	wbt_ok(wb_runner_run(&rec, &o));
	assert_string_equal(rec.status, "succeeded");
	assert_string_equal(rec.migration, "0005_from_memory");
	snprintf(other, sizeof(other), "%s", rec.checksum);
	o.path = "0006_other.c"; /* the same source: the same checksum */
	wbt_ok(wb_runner_run(&rec, &o));
	assert_string_equal(rec.checksum, other);
	assert_int_equal(strlen(other), 64);
}

static void test_runner_run(void **state)
{
	char url[600], cwd[4096], first[64];
	wb_ledger_run rec, back, *runs = NULL;
	wb_lease lease;
	volatile int stop = 1;
	size_t n = 0;
	int lines = 0;
	wb_db *db = NULL;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(wbt_tmpdir()), 0); /* the build cache goes in .whimbrel/ here */
	snprintf(url, sizeof(url), "sqlite:%s/run.db", wbt_tmpdir());

	wbt_ok(run_file(&rec, "0001_ok.c", OK_SRC, url, NULL));
	snprintf(first, sizeof(first), "%s", rec.run_id);
	assert_string_equal(rec.status, "succeeded");
	assert_string_equal(rec.migration, "0001_ok");
	assert_string_equal(rec.mode, "dev");
	assert_int_equal(rec.exit_code, 0);
	assert_true(rec.finished >= rec.started);

	wbt_ok(run_file(&rec, "0002_fail.c", FAIL_SRC, url, NULL));
	assert_string_equal(rec.status, "failed");
	assert_int_not_equal(rec.exit_code, 0);
	assert_true(rec.error[0] != 0);

	wbt_ok(run_file(&rec, "0003_slow.c", SLOW_SRC, url, &stop));
	assert_string_equal(rec.status, "interrupted");

	assert_int_equal(run_file(&rec, "0004_bad.c", "this is not C\n", url, NULL), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "does not compile"));
	run_from_memory(url);

	wbt_ok(wb_open(&db, url));
	wbt_ok(wb_ledger_list(&runs, &n, db, NULL));
	assert_int_equal(n, 5); /* 0004, which does not compile, never ran */
	wbt_ok(wb_ledger_get(&back, db, first)); /* ids of one second sort by their random part */
	assert_string_equal(back.migration, "0001_ok");
	assert_string_equal(back.status, "succeeded");
	wbt_ok(wb_ledger_log_each(db, first, count_line, &lines));
	assert_int_equal(lines, 1);
	wb_ledger_runs_free(runs);
	assert_int_equal(wb_ledger_get(&back, db, "no-such-run"), WB_ENOTFOUND);
	assert_int_equal(wb_lock_get(&lease, db, "0001_ok"), WB_ENOTFOUND); /* released */
	wb_close(db);
	assert_int_equal(chdir(cwd), 0);
}

static void test_runner_options_checked(void **state)
{
	wb_run_options o = WB_RUN_OPTIONS_INIT;
	wb_ledger_run rec;

	(void)state;
	assert_int_equal(wb_runner_run(&rec, &o), WB_EINVALID); /* no path, no url */
	o.path = "x.c";
	o.url = "sqlite::memory:";
	o.version = 99;
	assert_int_equal(wb_runner_run(&rec, &o), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "WB_RUN_OPTIONS_INIT"));
	assert_int_equal(wb_runner_run(&rec, NULL), WB_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_url),
		cmocka_unit_test(test_migration_names_and_list),
		cmocka_unit_test(test_header_accessors),
		cmocka_unit_test(test_key_compare_and_text),
		cmocka_unit_test(test_runner_run),
		cmocka_unit_test(test_runner_options_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
