/*
 * json_span.h - find the members of a JSON object or the elements of a
 * JSON array as spans of the source text, without building a tree
 * (internal).
 *
 * The DynamoDB backend uses it to cut a Scan or Query answer into its
 * items' texts, handed one by one to wb_item_from_json, and an item's
 * DynamoDB JSON into its attributes' value texts, pasted into requests:
 * no text is parsed twice.  The scanner checks structure (strings,
 * escapes, nesting) but not the grammar of scalars; the item reader does
 * that on each span.
 */
#ifndef WB_JSON_SPAN_H
#define WB_JSON_SPAN_H

#include <stddef.h>

/** A span of the source text. */
struct wb__span {
	const char *p; /**< first byte */
	size_t len;    /**< length in bytes */
};

/**
 * Call fn for each member of the object at text[0..len) (leading blanks
 * allowed): key is the raw text between the quotes (escapes not decoded),
 * value the member's value span.  fn returns 0 to go on, non-zero to stop
 * (returned).  Returns 0, fn's value, or -1 when the text is not a
 * well-nested object.
 */
int wb__json_members(const char *text, size_t len,
		     int (*fn)(void *arg, struct wb__span key, struct wb__span value), void *arg);

/** The same for the elements of an array. */
int wb__json_elements(const char *text, size_t len, int (*fn)(void *arg, struct wb__span value), void *arg);

/** The value of member `key` (unescaped, plain ASCII names) of an object, or {NULL, 0}. */
struct wb__span wb__json_member(const char *text, size_t len, const char *key);

#endif /* WB_JSON_SPAN_H */
