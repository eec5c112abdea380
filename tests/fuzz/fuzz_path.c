/*
 * fuzz_path.c - libFuzzer target for document paths (src/path.c): the
 * input, as text, is the path of a get, a set and a remove on a small item
 * of maps and lists.  Each must succeed or fail with WB_EINVALID or
 * WB_ENOTFOUND and a one-line message quoting the path; a value set at a
 * path without a list index must read back equal; the item must stay valid
 * and survive a copy.  Its corpus is tests/fuzz/corpus/path/.
 */
#include <stdlib.h>
#include <string.h>
#include "whimbrel.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define BASE "{\"a\":{\"M\":{\"b\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"c\":{\"N\":\"1\"}}}]}," \
	"\"d.e\":{\"BOOL\":true}}},\"l\":{\"L\":[]},\"s\":{\"S\":\"t\"}}"

/* A failure must be one of the two path codes, with a one-line message. */
static void check_failure(int rc)
{
	const char *msg = wb_error_last();

	if (rc != WB_EINVALID && rc != WB_ENOTFOUND)
		abort();
	if (strchr(msg, '\n') || (strncmp(msg, "path '", 6) != 0 &&
				  strcmp(msg, "empty document path") != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *path = malloc(size + 1);
	wb_item *it = NULL, *copy;
	const wb_value *got;
	int rc;

	if (!path || wb_item_from_json(&it, BASE, strlen(BASE), WB_JSON_DDB) != 0)
		abort();
	memcpy(path, data, size);
	path[size] = '\0';
	if (!wb_item_get_path(it, path))
		check_failure(wb_error_last_code());
	rc = wb_item_set_path(it, path, wb_value_number("42"));
	if (rc != 0)
		check_failure(rc);
	else if (!strchr(path, '[') &&
		 (!(got = wb_item_get_path(it, path)) || wb_value_type(got) != WB_N ||
		  strcmp(wb_value_bytes(got, NULL), "42") != 0))
		abort();
	if ((rc = wb_item_remove_path(it, path)) != 0)
		check_failure(rc);
	if (wb_item_validate(it, NULL) != 0 || !(copy = wb_item_dup(it)) || !wb_item_equal(copy, it))
		abort();
	wb_item_free(copy);
	wb_item_free(it);
	free(path);
	return 0;
}
