/*
 * codec.c - the compact binary item encoding and the order-preserving key
 * encoding (declared in codec.h), written into a wb_buf (buf.h).
 *
 * Item encoding, version 1 (all lengths and counts are unsigned LEB128
 * varints):
 *     0x01  count  { name_len name value }*count
 *     value = type byte (wb_type), then
 *       S N B      len bytes
 *       BOOL       one byte, 0 or 1
 *       NULL       nothing
 *       L          count value*count
 *       M          count { name_len name value }*count
 *       SS NS BS   count { len bytes }*count
 * Decoding checks every length against what is left, so corrupt or
 * truncated input fails with WB_EINVALID and never reads out of bounds.
 *
 * Key encoding: S and B are their raw bytes (memcmp order is DynamoDB's
 * order).  N is  0x02 for zero;  0x03, exp, digits+1..., 0x00 for positives;
 * 0x01, 255-exp, 10-digit..., 0xFF for negatives, where exp = (exponent of
 * the first significant digit) + 130 fits a byte for DynamoDB's range, so
 * that memcmp order is numeric order.  Decoding gives canonical text
 * ("1.50" comes back as "1.5", see number.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "codec.h"
#include "item.h"

#define ITEM_FORMAT_V1 0x01

/* -------------------------------------------------------------- encoding */

/* The common case inline: room already there. */
static inline int reserve(wb_buf *b, size_t extra)
{
	return b->cap - b->len >= extra ? 0 : wb__buf_reserve(b, extra);
}

/* Unchecked writers: the caller reserved room. */
static unsigned char *put_varint(unsigned char *p, size_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static int enc_varint(wb_buf *b, size_t v)
{
	if (reserve(b, 10) < 0)
		return WB_ENOMEM;
	b->data[b->len] = 0; /* quiet analysers; overwritten */
	b->len = (size_t)(put_varint(b->data + b->len, v) - b->data);
	return 0;
}

static int enc_bytes(wb_buf *b, const void *p, size_t len)
{
	if (reserve(b, len + 10) < 0)
		return WB_ENOMEM;
	b->len = (size_t)(put_varint(b->data + b->len, len) - b->data);
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static int enc_byte(wb_buf *b, unsigned char c)
{
	if (reserve(b, 1) < 0)
		return WB_ENOMEM;
	b->data[b->len++] = c;
	return 0;
}

static int enc_attrs(wb_buf *b, const wb_item *it, int depth);

static int enc_value(wb_buf *b, const wb_value *v, int depth)
{
	size_t i;
	int rc;

	if ((v->type == WB_L || v->type == WB_M) && depth >= WB_CODEC_MAX_DEPTH)
		return wb__error(NULL, WB_EINVALID, "cannot encode an item nested deeper than %d "
				 "levels", WB_CODEC_MAX_DEPTH);
	if (enc_byte(b, v->type) < 0)
		return WB_ENOMEM;
	switch ((wb_type)v->type) {
	case WB_S: case WB_N: case WB_B:
		return enc_bytes(b, v->u.s.p, v->u.s.len);
	case WB_BOOL:
		return enc_byte(b, v->u.b ? 1 : 0);
	case WB_NULL:
		return 0;
	case WB_L:
		if (enc_varint(b, v->u.l.n) < 0)
			return WB_ENOMEM;
		for (i = 0; i < v->u.l.n; i++)
			if ((rc = enc_value(b, v->u.l.v[i], depth + 1)) < 0)
				return rc;
		return 0;
	case WB_M:
		return enc_attrs(b, v->u.map, depth + 1);
	case WB_SS: case WB_NS: case WB_BS:
		if (enc_varint(b, v->u.set.n) < 0)
			return WB_ENOMEM;
		for (i = 0; i < v->u.set.n; i++)
			if (enc_bytes(b, v->u.set.m[i].p, v->u.set.m[i].len) < 0)
				return WB_ENOMEM;
		return 0;
	}
	return wb__error(NULL, WB_EINVALID, "cannot encode a value of unknown type %d", v->type);
}

static int enc_attrs(wb_buf *b, const wb_item *it, int depth)
{
	if (enc_varint(b, it->n) < 0)
		return WB_ENOMEM;
	for (size_t i = 0; i < it->n; i++) {
		int rc;
		if (enc_bytes(b, it->attrs[i].name, it->attrs[i].nlen) < 0)
			return WB_ENOMEM;
		if ((rc = enc_value(b, it->attrs[i].v, depth)) < 0)
			return rc;
	}
	return 0;
}

int wb__item_encode(wb_buf *out, const wb_item *item)
{
	size_t start = out->len;
	int rc;

	if (!item)
		return wb__error(NULL, WB_EINVALID, "wb__item_encode: no item");
	if ((rc = enc_byte(out, ITEM_FORMAT_V1)) < 0 || (rc = enc_attrs(out, item, 1)) < 0)
		out->len = start;
	return rc;
}

/* -------------------------------------------------------------- decoding */

typedef struct dec {
	const unsigned char *p;   /* next byte */
	const unsigned char *end; /* end of input */
	const unsigned char *start; /* start, for offsets in messages */
	wb_arena *ar;             /* where the item's memory comes from */
	int stored;               /* the store's own bytes: S and N values come out checked */
} dec;

static int corrupt(const dec *d, const char *what)
{
	return wb__error(NULL, WB_EINVALID, "corrupt item encoding at byte %zu: %s",
			 (size_t)(d->p - d->start), what);
}

static int get_varint(dec *d, size_t *out)
{
	size_t v = 0;
	unsigned shift = 0;

	while (d->p < d->end) {
		unsigned char c = *d->p++;
		if (shift >= 63 && (c & 0x7F) > 1)
			return corrupt(d, "length overflows");
		v |= (size_t)(c & 0x7F) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return corrupt(d, "length overflows");
	}
	return corrupt(d, "truncated length");
}

/* A count of elements each taking at least `min` bytes. */
static int get_count(dec *d, size_t *out, size_t min)
{
	if (get_varint(d, out) < 0)
		return WB_EINVALID;
	if (*out > (size_t)(d->end - d->p) / min)
		return corrupt(d, "count larger than the data");
	return 0;
}

static int get_bytes(dec *d, const char **p, size_t *len)
{
	if (get_varint(d, len) < 0)
		return WB_EINVALID;
	if (*len > (size_t)(d->end - d->p))
		return corrupt(d, "bytes run past the end");
	*p = (const char *)d->p;
	d->p += *len;
	return 0;
}

static int dec_attrs(dec *d, wb_item *it, int depth);

static int dec_value(dec *d, wb_value **out, int depth)
{
	const char *p = NULL;
	size_t n, len, i;
	wb_value *v, *c;
	unsigned char t;

	if (d->p >= d->end)
		return corrupt(d, "truncated value");
	if ((t = *d->p++) > WB_BS)
		return corrupt(d, "unknown type tag");
	if (!(v = wb__value_new(d->ar, (wb_type)t)))
		return WB_ENOMEM;
	*out = v;
	switch ((wb_type)t) {
	case WB_S: case WB_N: case WB_B:
		if (get_bytes(d, &p, &len) < 0)
			return WB_EINVALID;
		if (!(v->u.s.p = wb__arena_strndup(d->ar, p, len)))
			return WB_ENOMEM;
		v->u.s.len = len;
		v->checked = (uint8_t)d->stored;
		return 0;
	case WB_BOOL:
		if (d->p >= d->end || *d->p > 1)
			return corrupt(d, "bad boolean");
		v->u.b = *d->p++;
		return 0;
	case WB_NULL:
		return 0;
	case WB_L:
		if (depth >= WB_CODEC_MAX_DEPTH)
			return corrupt(d, "nested too deeply");
		if (get_count(d, &n, 1) < 0)
			return WB_EINVALID;
		if (n && !(v->u.l.v = wb__arena_alloc(d->ar, n * sizeof(wb_value *))))
			return WB_ENOMEM;
		v->u.l.cap = n;
		for (i = 0; i < n; i++) {
			int rc = dec_value(d, &c, depth + 1);
			if (rc < 0)
				return rc;
			v->u.l.v[v->u.l.n++] = c;
		}
		return 0;
	case WB_M:
		if (depth >= WB_CODEC_MAX_DEPTH)
			return corrupt(d, "nested too deeply");
		if (!(v->u.map = wb__item_new_in(d->ar, 0)))
			return WB_ENOMEM;
		return dec_attrs(d, v->u.map, depth + 1);
	case WB_SS: case WB_NS: case WB_BS:
		if (get_count(d, &n, 1) < 0)
			return WB_EINVALID;
		if (n && !(v->u.set.m = wb__arena_alloc(d->ar, n * sizeof(wb_bytes))))
			return WB_ENOMEM;
		v->u.set.cap = n;
		for (i = 0; i < n; i++) {
			if (get_bytes(d, &p, &len) < 0)
				return WB_EINVALID;
			if (!(v->u.set.m[i].p = wb__arena_strndup(d->ar, p, len)))
				return WB_ENOMEM;
			v->u.set.m[i].len = len;
			v->u.set.n++;
		}
		return 0;
	}
	return corrupt(d, "unknown type tag");
}

static uint64_t name_hash(const wb_attr *a)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < a->nlen; i++)
		h = (h ^ (unsigned char)a->name[i]) * 1099511628211ULL;
	return h;
}

static int same_name(const wb_attr *a, const wb_attr *b)
{
	return a->nlen == b->nlen && memcmp(a->name, b->name, a->nlen) == 0;
}

/* 1 if two attributes of `it` share a name: pairwise when few, hashed when many. */
static int has_duplicate_names(const wb_item *it)
{
	size_t n = it->n, cap = 64, i, j;
	size_t *slots;
	int dup = 0;

	if (n <= 32) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (same_name(&it->attrs[i], &it->attrs[j]))
					return 1;
		return 0;
	}
	while (cap < n * 2)
		cap *= 2;
	if (!(slots = wb__calloc(cap, sizeof(*slots))))
		return -1;
	for (i = 0; i < n && !dup; i++) {
		for (j = name_hash(&it->attrs[i]) & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			if (same_name(&it->attrs[slots[j] - 1], &it->attrs[i]))
				dup = 1;
		slots[j] = i + 1;
	}
	free(slots);
	return dup;
}

static int dec_attrs(dec *d, wb_item *it, int depth)
{
	size_t n, i, nlen;
	const char *name = NULL;
	wb_value *v;
	int rc;

	if (get_count(d, &n, 2) < 0)
		return WB_EINVALID;
	if (n && !(it->attrs = wb__arena_alloc(d->ar, n * sizeof(wb_attr))))
		return WB_ENOMEM;
	it->cap = n;
	for (i = 0; i < n; i++) {
		if (get_bytes(d, &name, &nlen) < 0)
			return WB_EINVALID;
		if (memchr(name, '\0', nlen))
			return corrupt(d, "attribute name holds a NUL byte");
		if ((rc = dec_value(d, &v, depth)) < 0)
			return rc;
		if (!(it->attrs[i].name = wb__arena_strndup(d->ar, name, nlen)))
			return WB_ENOMEM;
		it->attrs[i].nlen = nlen;
		it->attrs[i].v = v;
		it->n++;
	}
	if ((rc = has_duplicate_names(it)) != 0)
		return rc < 0 ? wb__oom(NULL) : corrupt(d, "an attribute name appears twice");
	return 0;
}

static int decode(wb_item **out, const void *data, size_t len, int stored)
{
	dec d;
	wb_item *it;
	int rc;

	*out = NULL;
	d.start = d.p = data;
	d.end = d.p + len;
	if (len == 0 || !data)
		return wb__error(NULL, WB_EINVALID, "corrupt item encoding: empty");
	if (*d.p != ITEM_FORMAT_V1)
		return wb__error(NULL, WB_EINVALID, "corrupt item encoding: unknown format version %u",
				 *d.p);
	d.p++;
	d.stored = stored;
	if (!(it = wb__item_new_sized(len * 3 + 512)))
		return WB_ENOMEM;
	d.ar = it->ar;
	if ((rc = dec_attrs(&d, it, 1)) < 0)
		goto fail;
	if (d.p != d.end) {
		rc = corrupt(&d, "trailing bytes after the item");
		goto fail;
	}
	*out = it;
	return 0;
fail:
	wb_item_free(it);
	return rc;
}

int wb__item_decode(wb_item **out, const void *data, size_t len)
{
	return decode(out, data, len, 0);
}

int wb__item_decode_stored(wb_item **out, const void *data, size_t len)
{
	return decode(out, data, len, 1);
}

/* ------------------------------------------------------------------ keys */

#define KEY_NEG  0x01
#define KEY_ZERO 0x02
#define KEY_POS  0x03
#define EXP_BIAS 130

static int key_encode_number(wb_buf *out, const char *s, size_t len)
{
	unsigned char tmp[WB_NUMBER_MAX_DIGITS + 4];
	size_t n = 0, i;
	wb_num num;

	if (wb__number_check(s, len, "key") < 0)
		return WB_EINVALID;
	wb__num_parse(&num, s, len);
	if (num.zero) {
		tmp[n++] = KEY_ZERO;
	} else {
		unsigned e = (unsigned)(num.exp - 1 + EXP_BIAS); /* 0..255 after the check */
		tmp[n++] = num.neg ? KEY_NEG : KEY_POS;
		tmp[n++] = (unsigned char)(num.neg ? 255 - e : e);
		for (i = 0; i < num.ndig; i++) {
			unsigned dg = (unsigned)(num.dig[i] - '0');
			tmp[n++] = (unsigned char)(num.neg ? 10 - dg : dg + 1);
		}
		tmp[n++] = num.neg ? 0xFF : 0x00;
	}
	return wb__buf_append(out, tmp, n);
}

int wb__key_encode(wb_buf *out, const wb_value *v)
{
	if (!v)
		return wb__error(NULL, WB_EINVALID, "key value missing");
	switch ((wb_type)v->type) {
	case WB_S: case WB_B:
		return wb__buf_append(out, v->u.s.p, v->u.s.len);
	case WB_N:
		return key_encode_number(out, v->u.s.p, v->u.s.len);
	default:
		return wb__error(NULL, WB_EINVALID, "a key value must be S, N or B, not %s",
				 wb_type_name((wb_type)v->type));
	}
}

static int bad_key(void)
{
	return wb__error(NULL, WB_EINVALID, "corrupt number key encoding");
}

static int key_decode_number(wb_num *num, const unsigned char *p, size_t len)
{
	int neg;
	size_t nd, i;

	memset(num, 0, sizeof(*num));
	if (len == 1 && p[0] == KEY_ZERO) {
		num->zero = 1;
		return 0;
	}
	if (len < 4 || (p[0] != KEY_NEG && p[0] != KEY_POS))
		return bad_key();
	neg = p[0] == KEY_NEG;
	nd = len - 3;
	if (nd > WB_NUMBER_MAX_DIGITS || p[len - 1] != (neg ? 0xFF : 0x00))
		return bad_key();
	num->neg = neg;
	num->exp = (long)(neg ? 255 - p[1] : p[1]) - EXP_BIAS + 1;
	num->ndig = nd;
	for (i = 0; i < nd; i++) {
		unsigned b = p[2 + i];
		if (b < 1 || b > 10)
			return bad_key();
		num->dig[i] = (char)('0' + (neg ? 10 - b : b - 1));
	}
	if (num->dig[0] == '0' || num->dig[nd - 1] == '0')
		return bad_key(); /* not canonical */
	return 0;
}

int wb__key_decode(wb_value **out, wb_type t, const void *data, size_t len)
{
	char text[80];
	wb_num num;
	size_t n;

	*out = NULL;
	switch (t) {
	case WB_S:
		*out = wb_value_string(data, len);
		break;
	case WB_B:
		*out = wb_value_binary(data, len);
		break;
	case WB_N:
		if (key_decode_number(&num, data, len) < 0)
			return WB_EINVALID;
		n = wb__num_format(&num, text, sizeof(text));
		if (n >= sizeof(text))
			return bad_key();
		*out = wb_value_number(text);
		break;
	default:
		return wb__error(NULL, WB_EINVALID, "a key type must be S, N or B, not %s",
				 wb_type_name(t));
	}
	return *out ? 0 : WB_ENOMEM;
}
