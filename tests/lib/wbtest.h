/*
 * wbtest.h - helpers shared by the C test programs (cmocka).
 *
 * Temporary directories, the targets a backend-independent suite runs
 * against (a fresh SQLite file always; DynamoDB when the runner started
 * dynalite and exported WB_TEST_DYNAMODB_URL), unique table names, and
 * short item construction from JSON.
 */
#ifndef WBTEST_H
#define WBTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "whimbrel.h"

/** A store handle on the i-th target (the test fails when it cannot open); close with wb_close. */
wb_db *wbt_open(int i);

/** A key schema: partition key pk of type pkt, sort key sk (NULL: none) of type skt. */
wb_key_schema wbt_key(const char *pk, wb_type pkt, const char *sk, wb_type skt);

/** A new temporary directory (removed at exit); the path is static storage. */
const char *wbt_tmpdir(void);

/** Kinds of target a store suite runs against. */
typedef enum { WBT_SQLITE = 0, WBT_DYNAMODB = 1 } wbt_kind;

/** How many targets are available (1 without dynalite, 2 with). */
int wbt_target_count(void);
/** The kind of the i-th available target. */
wbt_kind wbt_target_kind(int i);
/**
 * A URL for the i-th target: for SQLite a fresh database file each call,
 * for DynamoDB the server's URL (use wbt_table_name for fresh tables).
 */
const char *wbt_target_url(int i, char *buf, size_t size);

/** The kinds, as cmocka initial states for WBT_BOTH. */
extern wbt_kind wbt_kinds[2];

/**
 * List a test once per target kind, named "TEST on sqlite" and "TEST on
 * dynamodb"; the test calls wbt_case_target(state) for its target.
 */
#define WBT_BOTH(test) \
	{#test " on sqlite", test, NULL, NULL, &wbt_kinds[WBT_SQLITE]}, \
	{#test " on dynamodb", test, NULL, NULL, &wbt_kinds[WBT_DYNAMODB]}

/**
 * The target index (for wbt_target_url) of a WBT_BOTH case.  When that
 * target is not available (no dynalite), prints why and skips the case:
 * cmocka 1.1 reports it as "not ok N # SKIP NAME", which the runner counts
 * as skipped, never as passed.
 */
int wbt_case_target(void **state);

/** Define test_NAME, a WBT_BOTH case that runs NAME_on(target) on its target. */
#define WBT_CASE(name) \
	static void test_##name(void **state) { name##_on(wbt_case_target(state)); }

/** A table name unique in this process run: base + "_" + counter + pid. */
const char *wbt_table_name(char *buf, size_t size, const char *base);

/** Parse JSON (DynamoDB or plain, auto-detected) into an item; fails the test on error. */
wb_item *wbt_item(const char *json);

/** Serialise an item as DynamoDB JSON (caller frees with wb_string_free). */
char *wbt_json(const wb_item *item);

/** inner inside `depth` lists, each the only element of the next (takes inner); fails the test on error. */
wb_value *wbt_nested_lists(wb_value *inner, int depth);

/** The path of `name` in wbt_tmpdir(), in one of 4 static buffers used in turn. */
const char *wbt_tmp_path(const char *name);

/** Write n bytes of data as the whole file at path; fails the test on error. */
void wbt_write_file(const char *path, const void *data, size_t n);

/** A whole file, NUL-terminated (its length, without the NUL, into *len unless NULL); fails the test on error. Free it. */
char *wbt_read_file(const char *path, size_t *len);

/** What wbt_each_corpus_file calls for one file: its path, its name, its bytes (NUL-terminated) and their count. */
typedef void wbt_corpus_fn(const char *path, const char *name, const char *text, size_t len, void *arg);

/**
 * Call fn for every file of the corpus folder tests/data/DIR (below $WB_ROOT,
 * else the current directory), in readdir's order, leaving out names that
 * start with '.'; fails the test when the folder cannot be opened.  Returns
 * how many files it called fn for.
 */
int wbt_each_corpus_file(const char *dir, wbt_corpus_fn *fn, void *arg);

/** Assert a call returned 0, printing wb_error_last() otherwise. */
#define wbt_ok(call) do { int wbt_rc_ = (call); \
	if (wbt_rc_ != 0) fail_msg("%s: %d (%s)", #call, wbt_rc_, wb_error_last()); } while (0)

#endif /* WBTEST_H */
