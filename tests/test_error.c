/*
 * test_error.c - result codes and the last-error message (error.c).
 */
#include <string.h>
#include "wbtest.h"

static void test_strerror_names_every_code(void **state)
{
	(void)state;
	assert_string_equal(wb_strerror(WB_OK), "ok");
	assert_string_equal(wb_strerror(WB_ENOTFOUND), "not found");
	assert_string_equal(wb_strerror(WB_ECONDITION), "condition failed");
	assert_string_equal(wb_strerror(12345), "unknown error");
	for (int c = WB_EINTERRUPTED; c <= WB_OK; c++)
		assert_string_not_equal(wb_strerror(c), "unknown error");
}

static void test_open_unknown_scheme_is_one_line_error(void **state)
{
	wb_db *db = (wb_db *)1;
	(void)state;
	assert_int_equal(wb_open(&db, "mysql://x"), WB_EINVALID);
	assert_null(db);
	assert_non_null(strstr(wb_error_last(), "mysql://x"));
	assert_null(strchr(wb_error_last(), '\n'));
	assert_int_equal(wb_error_last_code(), WB_EINVALID);
	wb_error_clear();
	assert_int_equal(wb_error_last_code(), WB_OK);
}

static void test_table_name_rules(void **state)
{
	(void)state;
	assert_int_equal(wb_table_name_validate("cars"), 0);
	assert_int_equal(wb_table_name_validate("a.b-c_D9"), 0);
	assert_int_equal(wb_table_name_validate("ab"), WB_EINVALID);
	assert_int_equal(wb_table_name_validate("cars; DROP TABLE x"), WB_EINVALID);
	assert_non_null(strstr(wb_error_last(), "character 5"));
	assert_int_equal(wb_table_name_validate("\"x\"y"), WB_EINVALID);
	char big[300];
	memset(big, 'a', 256);
	big[256] = 0;
	assert_int_equal(wb_table_name_validate(big), WB_EINVALID);
	big[255] = 0;
	assert_int_equal(wb_table_name_validate(big), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_names_every_code),
		cmocka_unit_test(test_open_unknown_scheme_is_one_line_error),
		cmocka_unit_test(test_table_name_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
