/*
 * test_path.c - document paths (path.c): wb_item_get_path, wb_item_set_path,
 * wb_item_remove_path and the *_pathv forms.  Reads, writes and removals
 * through maps and lists, DynamoDB's rules (intermediates must exist, SET
 * past the end of a list appends), escapes and component arrays, every
 * syntax error, and the one-line messages and codes of every failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wbtest.h"

/* The toe-lines item of the examples, in plain JSON. */
#define TOE "{\"pk\":\"GROUP#g1\",\"sk\":\"FIN#f1\"," \
	"\"state\":{\"status\":\"open\",\"sorts_risk_level_normalized\":3,\"tags\":[\"a\",\"b\"]}," \
	"\"history\":[{\"status\":\"new\"},{\"status\":\"open\",\"by\":\"ana\"},{\"status\":\"closed\"}]," \
	"\"a.b\":\"dotted\",\"x[1]\":\"bracketed\",\"back\\\\slash\":{\"in]ner\":1}," \
	"\"count\":7}"

static wb_item *toe(void)
{
	return wbt_item(TOE);
}

/* Assert the item's plain JSON is exactly `want`. */
static void expect_json(const wb_item *it, const char *want)
{
	char *s = NULL;

	wbt_ok(wb_item_to_json(&s, it, WB_JSON_PLAIN));
	if (strcmp(s, want) != 0)
		fail_msg("item is\n  %s\nexpected\n  %s", s, want);
	free(s);
}

/* Assert the last call failed with `code` and a one-line message holding `msg`. */
static void expect_error(int rc, int code, const char *msg)
{
	if (rc != code)
		fail_msg("returned %d, expected %d (%s)", rc, code, wb_error_last());
	assert_int_equal(wb_error_last_code(), code);
	if (!strstr(wb_error_last(), msg))
		fail_msg("message '%s' lacks '%s'", wb_error_last(), msg);
	assert_null(strchr(wb_error_last(), '\n'));
}

/* wb_item_get_path must fail with `code` and `msg`. */
static void get_fails(const wb_item *it, const char *path, int code, const char *msg)
{
	wb_error_clear();
	if (wb_item_get_path(it, path))
		fail_msg("path '%s' resolved; expected failure '%s'", path, msg);
	expect_error(wb_error_last_code(), code, msg);
}

static const char *get_string(const wb_item *it, const char *path)
{
	const wb_value *v = wb_item_get_path(it, path);

	if (!v)
		fail_msg("path '%s': %s", path, wb_error_last());
	return wb_value_bytes(v, NULL);
}

static void test_get_through_maps_and_lists(void **state)
{
	wb_item *it = toe();
	const wb_value *v;
	(void)state;

	assert_string_equal(get_string(it, "pk"), "GROUP#g1");
	assert_ptr_equal(wb_item_get_path(it, "state"), wb_item_get(it, "state"));
	assert_string_equal(get_string(it, "state.status"), "open");
	assert_string_equal(get_string(it, "state.sorts_risk_level_normalized"), "3");
	assert_string_equal(get_string(it, "state.tags[1]"), "b");
	assert_string_equal(get_string(it, "history[0].status"), "new");
	assert_string_equal(get_string(it, "history[2].status"), "closed");
	assert_string_equal(get_string(it, "history[1].by"), "ana");
	v = wb_item_get_path(it, "history[1]");
	assert_int_equal(wb_value_type(v), WB_M);
	assert_ptr_equal(v, wb_value_list_at(wb_item_get(it, "history"), 1));
	assert_int_equal(wb_value_count(wb_item_get_path(it, "history")), 3);
	/* leading zeros are still a number */
	assert_string_equal(get_string(it, "history[002].status"), "closed");
	wb_item_free(it);
}

static void test_get_failures_say_what_and_where(void **state)
{
	wb_item *it = toe();
	(void)state;

	get_fails(it, "nope", WB_ENOTFOUND, "path 'nope': 'nope' is not in the item");
	get_fails(it, "state.nope", WB_ENOTFOUND, "path 'state.nope': 'state.nope' is not in the item");
	/* a missing intermediate is named, not the whole path */
	get_fails(it, "status.a.b", WB_ENOTFOUND, "path 'status.a.b': 'status' is not in the item");
	get_fails(it, "state.missing.deeper", WB_ENOTFOUND,
		  "path 'state.missing.deeper': 'state.missing' is not in the item");
	get_fails(it, "history[3].status", WB_ENOTFOUND,
		  "'history[3]' is out of range (the list has 3 elements)");
	get_fails(it, "state.tags[9]", WB_ENOTFOUND,
		  "'state.tags[9]' is out of range (the list has 2 elements)");
	/* types that do not match the path */
	get_fails(it, "state.status.x", WB_EINVALID, "path 'state.status.x': 'state.status' is S, not a map");
	get_fails(it, "count[0]", WB_EINVALID, "'count' is N, not a list");
	get_fails(it, "state[0]", WB_EINVALID, "'state' is M, not a list");
	get_fails(it, "history.status", WB_EINVALID, "'history' is L, not a map");
	get_fails(it, "history[0][0]", WB_EINVALID, "'history[0]' is M, not a list");
	get_fails(it, "state.tags[0].x", WB_EINVALID, "'state.tags[0]' is S, not a map");
	/* no item */
	assert_null(wb_item_get_path(NULL, "a"));
	assert_int_equal(wb_error_last_code(), WB_EINVALID);
	assert_null(wb_item_get_path(it, NULL));
	assert_int_equal(wb_error_last_code(), WB_EINVALID);
	wb_item_free(it);
}

static void test_syntax_errors(void **state)
{
	static const struct { const char *path, *msg; } bad[] = {
		{"", "empty document path"},
		{".a", "empty name at offset 0"},
		{"a.", "empty name at offset 2"},
		{"a..b", "empty name at offset 2"},
		{"[0]", "empty name at offset 0"},
		{"a[", "a list index is digits between [ and ] at offset 2"},
		{"a[]", "a list index is digits between [ and ] at offset 2"},
		{"a[x]", "a list index is digits between [ and ] at offset 2"},
		{"a[-1]", "a list index is digits between [ and ] at offset 2"},
		{"a[1", "a list index is digits between [ and ] at offset 3"},
		{"a[1 ]", "a list index is digits between [ and ] at offset 3"},
		{"a[1]b", "expected '.' or '[' at offset 4"},
		{"a]", "']' outside brackets"},
		{"a\\", "a backslash ends the path at offset 2"},
		{"a[99999999999999999999999]", "list index too large"},
		{"a\nb.", "path 'a\\nb.': empty name"}, /* control characters stay escaped */
	};
	wb_item *it = toe();
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wb_value *v = wb_value_null();
		get_fails(it, bad[i].path, WB_EINVALID, bad[i].msg);
		expect_error(wb_item_set_path(it, bad[i].path, v), WB_EINVALID, bad[i].msg);
		expect_error(wb_item_remove_path(it, bad[i].path), WB_EINVALID, bad[i].msg);
	}
	/* 32 components are fine, 33 are not */
	{
		char deep[200] = "a";
		for (int i = 1; i < 32; i++)
			strcat(deep, ".a");
		get_fails(it, deep, WB_ENOTFOUND, "'a' is not in the item");
		strcat(deep, ".a");
		get_fails(it, deep, WB_EINVALID, "more than 32 components");
	}
	expect_json(it, TOE); /* nothing changed */
	wb_item_free(it);
}

static void test_escapes(void **state)
{
	wb_item *it = toe();
	char *long_path;
	size_t n;
	(void)state;

	assert_string_equal(get_string(it, "a\\.b"), "dotted");
	assert_string_equal(get_string(it, "x\\[1\\]"), "bracketed");
	assert_string_equal(get_string(it, "back\\\\slash.in\\]ner"), "1");
	/* a backslash before an ordinary character is that character */
	assert_string_equal(get_string(it, "\\count"), "7");
	/* without the escape, the same text is a path */
	get_fails(it, "a.b", WB_ENOTFOUND, "path 'a.b': 'a' is not in the item");
	get_fails(it, "x[1]", WB_ENOTFOUND, "path 'x[1]': 'x' is not in the item");
	/* messages show names escaped, so they can be pasted back */
	get_fails(it, "a\\.b.c", WB_EINVALID, "path 'a\\.b.c': 'a\\.b' is S, not a map");
	wbt_ok(wb_item_set_path(it, "a\\.b", wb_value_string("new", 3)));
	wbt_ok(wb_item_remove_path(it, "x\\[1\\]"));
	assert_null(wb_item_get(it, "x[1]"));
	assert_string_equal(wb_item_get_string(it, "a.b"), "new");
	/* a path longer than the parser's stack buffer */
	n = 300;
	long_path = malloc(n + 1);
	memset(long_path, 'n', n);
	long_path[n] = '\0';
	wbt_ok(wb_item_set_path(it, long_path, wb_value_bool(1)));
	assert_true(wb_value_get_bool(wb_item_get_path(it, long_path)));
	assert_true(wb_value_get_bool(wb_item_get(it, long_path)));
	wbt_ok(wb_item_remove_path(it, long_path));
	free(long_path);
	wb_item_free(it);
}

static void test_set_follows_dynamodb(void **state)
{
	wb_item *it = toe();
	(void)state;

	/* replace in a nested map, in place */
	wbt_ok(wb_item_set_path(it, "state.status", wb_value_string("closed", 6)));
	/* add to a nested map, at its end */
	wbt_ok(wb_item_set_path(it, "state.closed_by", wb_value_string("bo", 2)));
	/* replace a list element, and a value inside one */
	wbt_ok(wb_item_set_path(it, "state.tags[0]", wb_value_string("z", 1)));
	wbt_ok(wb_item_set_path(it, "history[0].status", wb_value_string("draft", 5)));
	/* an index == count appends; past the end appends too (DynamoDB) */
	wbt_ok(wb_item_set_path(it, "state.tags[2]", wb_value_string("c", 1)));
	wbt_ok(wb_item_set_path(it, "state.tags[100]", wb_value_string("d", 1)));
	/* a top-level name: the same as wb_item_set */
	wbt_ok(wb_item_set_path(it, "count", wb_value_number("8")));
	wbt_ok(wb_item_set_path(it, "extra", wb_value_null()));
	expect_json(it, "{\"pk\":\"GROUP#g1\",\"sk\":\"FIN#f1\","
		    "\"state\":{\"status\":\"closed\",\"sorts_risk_level_normalized\":3,"
		    "\"tags\":[\"z\",\"b\",\"c\",\"d\"],\"closed_by\":\"bo\"},"
		    "\"history\":[{\"status\":\"draft\"},{\"status\":\"open\",\"by\":\"ana\"},"
		    "{\"status\":\"closed\"}],"
		    "\"a.b\":\"dotted\",\"x[1]\":\"bracketed\",\"back\\\\slash\":{\"in]ner\":1},"
		    "\"count\":8,\"extra\":null}");
	wbt_ok(wb_item_validate(it, NULL));
	wb_item_free(it);
}

static void test_set_builds_with_new_maps_and_lists(void **state)
{
	wb_item *it = wbt_item("{\"pk\":\"VULN#1\"}");
	wb_item *inner = wb_item_new();
	wb_item *copy;
	(void)state;

	/* intermediates are made explicitly, as in DynamoDB */
	expect_error(wb_item_set_path(it, "state.level", wb_value_number("1")), WB_ENOTFOUND,
		     "path 'state.level': 'state' is not in the item");
	wbt_ok(wb_item_set_path(it, "state", wb_value_map(NULL)));
	wbt_ok(wb_item_set_path(it, "state.level", wb_value_number("1")));
	wbt_ok(wb_item_set_path(it, "state.hist", wb_value_list()));
	wbt_ok(wb_item_set_path(it, "state.hist[0]", wb_value_map(NULL)));
	wbt_ok(wb_item_set_path(it, "state.hist[0].at", wb_value_number("5")));
	wbt_ok(wb_item_set_path(it, "state.hist[1]", wb_value_list()));
	wbt_ok(wb_item_set_path(it, "state.hist[1][0]", wb_value_bool(0)));
	/* a map built elsewhere (taken whole) */
	wbt_ok(wb_item_set_string(inner, "k", "v"));
	wbt_ok(wb_item_set_path(it, "state.inner", wb_value_map(inner)));
	wbt_ok(wb_item_set_path(it, "state.inner.k2", wb_value_string("w", 1)));
	/* a value of the item itself, copied (not moved) */
	wbt_ok(wb_item_set_path(it, "state.level_copy",
				wb_value_dup(wb_item_get_path(it, "state.level"))));
	wbt_ok(wb_item_set_path(it, "state.level", wb_value_number("2")));
	expect_json(it, "{\"pk\":\"VULN#1\",\"state\":{\"level\":2,"
		    "\"hist\":[{\"at\":5},[false]],\"inner\":{\"k\":\"v\",\"k2\":\"w\"},"
		    "\"level_copy\":1}}");
	/* copies and equality see nested changes */
	copy = wb_item_dup(it);
	assert_true(wb_item_equal(it, copy));
	wbt_ok(wb_item_set_path(copy, "state.hist[0].at", wb_value_number("6")));
	assert_false(wb_item_equal(it, copy));
	assert_string_equal(get_string(it, "state.hist[0].at"), "5");
	/* many replacements: old values stay in the arena until the item is freed */
	for (int i = 0; i < 5000; i++)
		wbt_ok(wb_item_set_path(copy, "state.inner.k", wb_value_number("1")));
	wb_item_free(copy);
	wb_item_free(it);
}

static void test_set_failures_free_the_value(void **state)
{
	wb_item *it = toe();
	const wb_value *nested;
	(void)state;

	/* each value below is taken and freed on failure: the sanitizer run checks */
	expect_error(wb_item_set_path(it, "state.nope.x", wb_value_string("x", 1)), WB_ENOTFOUND,
		     "'state.nope' is not in the item");
	expect_error(wb_item_set_path(it, "state.status.x", wb_value_string("x", 1)), WB_EINVALID,
		     "'state.status' is S, not a map");
	expect_error(wb_item_set_path(it, "state[0]", wb_value_string("x", 1)), WB_EINVALID,
		     "path 'state[0]': 'state' is M, not a list");
	expect_error(wb_item_set_path(it, "history.x", wb_value_string("x", 1)), WB_EINVALID,
		     "'history' is L, not a map");
	expect_error(wb_item_set_path(it, "history[5].status", wb_value_string("x", 1)),
		     WB_ENOTFOUND, "'history[5]' is out of range (the list has 3 elements)");
	expect_error(wb_item_set_path(it, "state.x", NULL), WB_EINVALID, "no value");
	expect_error(wb_item_set_path(NULL, "state.x", wb_value_null()), WB_EINVALID, "no item");
	/* a nested item (from wb_value_get_map) cannot be changed on its own */
	nested = wb_item_get(it, "state");
	expect_error(wb_item_set_path((wb_item *)wb_value_get_map(nested), "status",
				      wb_value_null()), WB_EINVALID, "cannot be changed");
	expect_error(wb_item_remove_path((wb_item *)wb_value_get_map(nested), "status"),
		     WB_EINVALID, "cannot be changed");
	expect_json(it, TOE); /* nothing changed */
	wb_item_free(it);
}

static void test_remove(void **state)
{
	wb_item *it = toe();
	(void)state;

	wbt_ok(wb_item_remove_path(it, "state.sorts_risk_level_normalized"));
	expect_error(wb_item_remove_path(it, "state.sorts_risk_level_normalized"), WB_ENOTFOUND,
		     "path 'state.sorts_risk_level_normalized': 'state.sorts_risk_level_normalized' "
		     "is not in the item");
	/* a list element: the later ones move down */
	wbt_ok(wb_item_remove_path(it, "history[0]"));
	assert_string_equal(get_string(it, "history[0].status"), "open");
	assert_string_equal(get_string(it, "history[1].status"), "closed");
	wbt_ok(wb_item_remove_path(it, "history[1]"));
	expect_error(wb_item_remove_path(it, "history[1]"), WB_ENOTFOUND,
		     "'history[1]' is out of range (the list has 1 element)");
	wbt_ok(wb_item_remove_path(it, "history[0].by"));
	/* an intermediate missing, or of another type */
	expect_error(wb_item_remove_path(it, "nope.x"), WB_ENOTFOUND, "'nope' is not in the item");
	expect_error(wb_item_remove_path(it, "count.x"), WB_EINVALID, "'count' is N, not a map");
	expect_error(wb_item_remove_path(it, "state.tags.x"), WB_EINVALID, "'state.tags' is L, not a map");
	/* a top-level name, as wb_item_remove */
	wbt_ok(wb_item_remove_path(it, "count"));
	expect_error(wb_item_remove_path(it, "count"), WB_ENOTFOUND, "'count' is not in the item");
	/* emptying a list and a map leaves them empty, not absent */
	wbt_ok(wb_item_remove_path(it, "state.tags[1]"));
	wbt_ok(wb_item_remove_path(it, "state.tags[0]"));
	wbt_ok(wb_item_remove_path(it, "back\\\\slash.in\\]ner"));
	expect_json(it, "{\"pk\":\"GROUP#g1\",\"sk\":\"FIN#f1\","
		    "\"state\":{\"status\":\"open\",\"tags\":[]},"
		    "\"history\":[{\"status\":\"open\"}],"
		    "\"a.b\":\"dotted\",\"x[1]\":\"bracketed\",\"back\\\\slash\":{}}");
	wb_item_free(it);
}

static void test_component_arrays(void **state)
{
	const wb_path_elem status[] = {WB_PATH_NAME("history"), WB_PATH_INDEX(1),
				       WB_PATH_NAME("status")};
	const wb_path_elem dotted[] = {WB_PATH_NAME("a.b")};
	const wb_path_elem inner[] = {WB_PATH_NAME("back\\slash"), WB_PATH_NAME("in]ner")};
	const wb_path_elem tag9[] = {WB_PATH_NAME("state"), WB_PATH_NAME("tags"), WB_PATH_INDEX(9)};
	const wb_path_elem bad_first[] = {WB_PATH_INDEX(0)};
	const wb_path_elem empty[] = {WB_PATH_NAME("state"), WB_PATH_NAME("")};
	wb_path_elem deep[WB_PATH_MAX_DEPTH + 1];
	wb_item *it = toe();
	(void)state;

	assert_string_equal(wb_value_bytes(wb_item_get_pathv(it, status, 3), NULL), "open");
	assert_ptr_equal(wb_item_get_pathv(it, status, 2), wb_item_get_path(it, "history[1]"));
	assert_string_equal(wb_value_bytes(wb_item_get_pathv(it, dotted, 1), NULL), "dotted");
	assert_string_equal(wb_value_bytes(wb_item_get_pathv(it, inner, 2), NULL), "1");
	/* messages give the escaped text form */
	assert_null(wb_item_get_pathv(it, tag9, 3));
	expect_error(wb_error_last_code(), WB_ENOTFOUND, "path 'state.tags[9]': 'state.tags[9]'");
	wbt_ok(wb_item_set_pathv(it, status, 3, wb_value_string("reopened", 8)));
	wbt_ok(wb_item_set_pathv(it, tag9, 3, wb_value_string("c", 1))); /* appends */
	wbt_ok(wb_item_remove_pathv(it, inner, 2));
	expect_error(wb_item_remove_pathv(it, inner, 2), WB_ENOTFOUND,
		     "path 'back\\\\slash.in\\]ner': 'back\\\\slash.in\\]ner' is not in the item");
	assert_string_equal(get_string(it, "history[1].status"), "reopened");
	assert_string_equal(get_string(it, "state.tags[2]"), "c");
	/* malformed component arrays */
	assert_null(wb_item_get_pathv(it, bad_first, 1));
	expect_error(wb_error_last_code(), WB_EINVALID, "starts with a list index");
	expect_error(wb_item_set_pathv(it, empty, 2, wb_value_null()), WB_EINVALID,
		     "'state.' is an empty name");
	expect_error(wb_item_remove_pathv(it, status, 0), WB_EINVALID, "no item or no path");
	for (size_t i = 0; i < WB_PATH_MAX_DEPTH + 1; i++)
		deep[i] = (wb_path_elem)WB_PATH_NAME("a");
	assert_null(wb_item_get_pathv(it, deep, WB_PATH_MAX_DEPTH + 1));
	expect_error(wb_error_last_code(), WB_EINVALID, "33 components (at most 32)");
	assert_null(wb_item_get_pathv(it, deep, WB_PATH_MAX_DEPTH));
	expect_error(wb_error_last_code(), WB_ENOTFOUND, "'a' is not in the item");
	wb_item_free(it);
}

static void test_migration_shape(void **state)
{
	/* the example: one call instead of get, get_map, dup, remove, set */
	wb_item *it = toe();
	int rc;
	(void)state;

	rc = wb_item_remove_path(it, "state.sorts_risk_level_normalized");
	assert_int_equal(rc, 0);
	rc = wb_item_remove_path(it, "state.sorts_risk_level_normalized");
	assert_int_equal(rc, WB_ENOTFOUND); /* a rerun sees nothing to do */
	assert_int_equal(wb_value_count(wb_item_get(it, "state")), 2);
	wbt_ok(wb_item_validate(it, NULL));
	wb_item_free(it);
}

/* Random paths from the path alphabet: every one parses or fails cleanly. */
static void test_random_paths_fail_cleanly(void **state)
{
	static const char alphabet[] = "ab.[]\\0129xs\n";
	wb_item *it = toe();
	char path[24];
	unsigned seed = 12345;
	(void)state;

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % (sizeof(path) - 1));
		const wb_value *v;
		for (size_t i = 0; i < len; i++)
			path[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		path[len] = '\0';
		wb_error_clear();
		v = wb_item_get_path(it, path);
		if (v)
			continue;
		if (wb_error_last_code() != WB_EINVALID && wb_error_last_code() != WB_ENOTFOUND)
			fail_msg("path '%s': code %d", path, wb_error_last_code());
		assert_null(strchr(wb_error_last(), '\n'));
		assert_true(strncmp(wb_error_last(), "path '", 6) == 0 ||
			    strcmp(wb_error_last(), "empty document path") == 0);
	}
	expect_json(it, TOE);
	wb_item_free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_through_maps_and_lists),
		cmocka_unit_test(test_get_failures_say_what_and_where),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_set_follows_dynamodb),
		cmocka_unit_test(test_set_builds_with_new_maps_and_lists),
		cmocka_unit_test(test_set_failures_free_the_value),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_component_arrays),
		cmocka_unit_test(test_migration_shape),
		cmocka_unit_test(test_random_paths_fail_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
