/*
 * item.h - the representation of values and items (internal API).
 *
 * Shared by item.c (constructors, accessors, copy, equality, size), codec.c
 * (binary encoding), json.c and validate.c.  Memory model: every root object
 * (an item made by wb_item_new or a value made by a wb_value_* constructor)
 * owns an arena, a list of chunks with a bump pointer, and everything inside
 * it (names, bytes, nested values and items) is carved out of that arena.
 * Freeing the root frees the chunks.  Handing a standalone value to an item
 * or a list moves its chunks into the receiver's arena without copying.
 * Replaced or removed values stay in the arena until the root is freed.
 */
#ifndef WB_ITEM_H
#define WB_ITEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "whimbrel.h"

/** A chunked bump allocator.  Zero-initialised = empty. */
typedef struct wb_arena {
	struct wb_chunk *head; /**< chunk list, current bump chunk first */
	char *ptr;             /**< next free byte in the head chunk */
	char *end;             /**< end of the head chunk */
} wb_arena;

/** A byte string inside an arena (sets' members). */
typedef struct wb_bytes {
	const char *p; /**< bytes (NUL-terminated for SS and NS members) */
	size_t len;    /**< length without the NUL */
} wb_bytes;

struct wb_value {
	uint8_t type;      /**< wb_type */
	uint8_t root;      /**< 1: standalone, heads its own arena (struct wb_vroot) */
	uint8_t checked;   /**< S, N: 1 when the bytes are known valid (decoded from the
	                        store's own encoding, or copied from such a value), so
	                        validation skips them; never set on anything a caller built */
	union {
		wb_bytes s;    /**< S, N (NUL-terminated), B */
		int b;         /**< BOOL */
		struct {
			wb_value **v;    /**< elements */
			size_t n, cap;   /**< used, allocated */
		} l;           /**< L */
		struct {
			wb_bytes *m;     /**< members */
			size_t n, cap;   /**< used, allocated */
		} set;         /**< SS, NS, BS */
		wb_item *map;  /**< M (a nested item, never NULL) */
	} u;
};

/** One attribute of an item. */
typedef struct wb_attr {
	const char *name;  /**< NUL-terminated, in the arena */
	size_t nlen;       /**< strlen(name) */
	wb_value *v;       /**< the value, in the arena */
} wb_attr;

struct wb_item {
	wb_arena *ar;      /**< arena to allocate from; NULL for nested (frozen) items */
	wb_attr *attrs;    /**< attributes in insertion order */
	size_t n, cap;     /**< used, allocated */
	wb_arena own;      /**< the arena of a root item (ar == &own) */
};

/* Arena. */
void *wb__arena_slow(wb_arena *ar, size_t n);        /* a new chunk (item.c); n already rounded */
void wb__arena_free(wb_arena *ar);

/* n bytes, 8-aligned; NULL + error when out of memory.  Inline: the decoders' hot path. */
static inline void *wb__arena_alloc(wb_arena *ar, size_t n)
{
	char *p;

	n = n ? (n + 7) & ~(size_t)7 : 8;
	if ((size_t)(ar->end - ar->ptr) >= n) {
		p = ar->ptr;
		ar->ptr += n;
		return p;
	}
	return wb__arena_slow(ar, n);
}

/* A copy of s[0..n) with a NUL after it. */
static inline char *wb__arena_strndup(wb_arena *ar, const char *s, size_t n)
{
	char *p = wb__arena_alloc(ar, n + 1);

	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Building inside an arena (used by the decoders). */
wb_value *wb__value_new(wb_arena *ar, wb_type t);
wb_item *wb__item_new_in(wb_arena *ar, size_t cap);  /* nested item in `ar` */
/** Append an attribute without checking for duplicates (decoders check). */
int wb__item_append(wb_item *it, wb_arena *ar, const char *name, size_t nlen, wb_value *v);
int wb__list_push(wb_value *l, wb_arena *ar, wb_value *child);
int wb__set_push(wb_value *s, wb_arena *ar, const void *data, size_t len);
/** A new root item whose arena's first chunk holds about `hint` bytes. */
wb_item *wb__item_new_sized(size_t hint);
/** Index of attribute `name` (length nlen) or -1. */
long wb__item_find(const wb_item *it, const char *name, size_t nlen);
/** Add or replace attribute `name` of `it` (root or nested); v is already in `ar`. */
int wb__item_put(wb_item *it, wb_arena *ar, const char *name, wb_value *v);
/** Remove the i-th attribute (i < it->n), keeping the others' order. */
void wb__item_delete_at(wb_item *it, size_t i);
/**
 * Make `v` part of arena `ar`: a standalone value's chunks move over (no
 * copy), a value inside some other arena is deep-copied.  NULL when out of memory.
 */
wb_value *wb__value_adopt(wb_arena *ar, wb_value *v);

/* Decimal numbers.  A parsed number: value = 0.D1D2...Dn x 10^exp. */
typedef struct wb_num {
	int neg;                 /**< 1 when negative (never for zero) */
	int zero;                /**< 1 when the value is zero */
	long exp;                /**< exponent of the 0.DDD form (saturated to +-10^9) */
	size_t ndig;             /**< significant digits (no leading/trailing zeros) */
	char dig[WB_NUMBER_MAX_DIGITS + 2]; /**< the first ndig of them (truncated past 39) */
} wb_num;

/** Parse decimal text; returns 0, or -1 when malformed (no error recorded). */
int wb__num_parse(wb_num *out, const char *s, size_t len);
/** Compare two parsed numbers numerically: <0, 0, >0. */
int wb__num_cmp(const wb_num *a, const wb_num *b);
/** Compare two decimal texts numerically (malformed texts compare by bytes). */
int wb__num_text_cmp(const char *a, size_t alen, const char *b, size_t blen);
/** The order of two members of a set of type t: numeric for WB_NS, else by bytes (item_equal.c). */
int wb__set_member_cmp(wb_type t, const wb_bytes *a, const wb_bytes *b);
/** Sort the n members m of a set of type t in wb__set_member_cmp's order. */
void wb__set_members_sort(wb_type t, wb_bytes *m, size_t n);
/** Canonical text (see docs/items.md) into buf (>= 64 bytes); returns its length. */
size_t wb__num_format(const wb_num *n, char *buf, size_t size);
/** Check a number; returns 0 or WB_EINVALID with "<where>: number '...' ..." recorded. */
int wb__number_check(const char *s, size_t len, const char *where);

/** Non-zero: wb_item_from_json reads every line through jansson (tests of its fast path, json.c). */
extern int wb__json_no_fast_path;

/** 1 if the bytes are valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int wb__utf8_valid(const char *s, size_t len);
struct wb_buf;
/**
 * Append the bytes to out with every byte that does not start a valid
 * UTF-8 sequence replaced by U+FFFD (one per bad byte, so nothing else is
 * lost); 0 or WB_ENOMEM.
 */
int wb__utf8_scrub(struct wb_buf *out, const char *s, size_t len);

/** wb_item_validate without the 400 KB rule (checked after encoding: wb__item_size_check). */
int wb__item_check_values(const wb_item *item);
/**
 * The 400 KB rule for an item whose encoding (codec.c) is `enclen` bytes:
 * its size never exceeds twice that, so only an item encoded in more than
 * 200 KB is measured.  0 or WB_EINVALID with the message of wb_item_validate.
 */
int wb__item_size_check(const wb_item *item, size_t enclen);

/** Deepest nesting validation accepts (DynamoDB: 32 levels). */
#define WB_MAX_DEPTH 32
/** Deepest nesting the JSON reader and the codec handle (bounds their recursion). */
#define WB_CODEC_MAX_DEPTH 1024
/** Longest attribute name: 64 KB. */
#define WB_ATTR_NAME_MAX (64 * 1024)

#endif /* WB_ITEM_H */
