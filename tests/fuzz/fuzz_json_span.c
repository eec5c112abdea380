/*
 * fuzz_json_span.c - libFuzzer target for the span scanner (json_span.c),
 * which cuts what a DynamoDB server sends into members and elements.
 *
 * Any input must scan without a crash or undefined behaviour, and every
 * span handed out must lie inside the input.  When jansson accepts the
 * input as an object (or array), the scanner must accept it too, see as
 * many members (elements), and each value span must parse alone to the
 * value jansson holds (for objects: when no key repeats and the key has no
 * escape); wb__json_member must find the first member of a name.  The
 * scanner may accept more than jansson (it leaves scalars to the item
 * reader), never less.  A callback's non-zero value must stop the walk
 * and come back.  Corpus: tests/fuzz/corpus/json_span/ (tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const char *lo, *hi; /* the input */
	const json_t *doc;   /* jansson's reading of it to compare with, or NULL */
	size_t n;            /* members or elements seen */
	size_t stop_at;      /* return 7 at this entry (0: never) */
	struct wb__span first_key, first_val; /* the first member */
};

static void inside(const struct seen *s, struct wb__span sp)
{
	if (!sp.p || sp.p < s->lo || sp.len > (size_t)(s->hi - sp.p))
		abort();
}

/* The span parsed alone equals want. */
static void same_value(struct wb__span sp, const json_t *want)
{
	json_t *got = json_loadb(sp.p, sp.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	if (!want || !got || !json_equal(got, want))
		abort();
	json_decref(got);
}

static int on_member(void *arg, struct wb__span key, struct wb__span value)
{
	struct seen *s = arg;

	inside(s, key);
	inside(s, value);
	if (s->n++ == 0) {
		s->first_key = key;
		s->first_val = value;
	}
	if (s->doc && !memchr(key.p, '\\', key.len) && !memchr(key.p, '\0', key.len)) {
		char *k = strndup(key.p, key.len);
		if (!k)
			abort();
		same_value(value, json_object_get(s->doc, k));
		free(k);
	}
	return s->n == s->stop_at ? 7 : 0;
}

static int on_element(void *arg, struct wb__span value)
{
	struct seen *s = arg;

	inside(s, value);
	if (s->doc)
		same_value(value, json_array_get(s->doc, s->n));
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

/* Walk as object and as array; compare with jansson when it read the input. */
static void walks(const char *text, size_t size, const json_t *doc)
{
	struct seen s = {text, text + size, NULL, 0, 0, {NULL, 0}, {NULL, 0}};
	int rc = wb__json_members(text, size, on_member, &s);
	size_t members = s.n;

	if (rc != 0 && rc != -1)
		abort();
	/* a repeated key is one member for jansson (the last), each for the scanner */
	if (json_is_object(doc) && (rc != 0 || members < json_object_size(doc)))
		abort();
	if (json_is_object(doc) && members == json_object_size(doc)) {
		s = (struct seen){text, text + size, doc, 0, 0, {NULL, 0}, {NULL, 0}};
		wb__json_members(text, size, on_member, &s);
	}
	if (rc == 0 && members > 0) {  /* stopping early returns the callback's value */
		s = (struct seen){text, text + size, NULL, 0, 1, {NULL, 0}, {NULL, 0}};
		if (wb__json_members(text, size, on_member, &s) != 7 || s.n != 1)
			abort();
	}
	s = (struct seen){text, text + size, json_is_array(doc) ? doc : NULL, 0, 0, {NULL, 0}, {NULL, 0}};
	rc = wb__json_elements(text, size, on_element, &s);
	if (rc != 0 && rc != -1)
		abort();
	if (json_is_array(doc) && (rc != 0 || s.n != json_array_size(doc)))
		abort();
}

/* wb__json_member finds the first member of the first member's name. */
static void lookup(const char *text, size_t size)
{
	struct seen s = {text, text + size, NULL, 0, 0, {NULL, 0}, {NULL, 0}};
	struct wb__span got;
	char *k;

	if (wb__json_members(text, size, on_member, &s) != 0 || s.n == 0 ||
	    memchr(s.first_key.p, '\0', s.first_key.len))
		return;
	k = strndup(s.first_key.p, s.first_key.len);
	if (!k)
		abort();
	got = wb__json_member(text, size, k);
	if (got.p != s.first_val.p || got.len != s.first_val.len)
		abort();
	free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	json_t *doc = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	walks(text, size, doc);
	lookup(text, size);
	json_decref(doc);
	return 0;
}
