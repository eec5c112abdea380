/*
 * number.c - decimal numbers as DynamoDB has them: parsing exact text into
 * sign, significant digits and exponent (never through a double), numeric
 * comparison, the canonical text form, and the range and precision checks.
 *
 * Canonical form (what key decoding gives back, docs/items.md): no sign for
 * positives, no leading zeros, no trailing zeros after the point, no point
 * when the value is an integer; plain notation when the exponent of the
 * first significant digit is within -6..37, else scientific "D.DDDE+X".
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "item.h"

#define EXP_CAP 1000000000L

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Record digit c at mantissa position `pos` (0 = first digit written). */
static void take_digit(wb_num *n, char c, long pos, long *first, long *last)
{
	if (c == '0') {
		if (*first >= 0 && (size_t)(pos - *first) < sizeof(n->dig))
			n->dig[pos - *first] = c;
		return;
	}
	if (*first < 0)
		*first = pos;
	if ((size_t)(pos - *first) < sizeof(n->dig))
		n->dig[pos - *first] = c;
	*last = pos;
}

/* Parse [eE][+-]?digits starting at s[*i]; saturates. */
static int parse_exp(const char *s, size_t len, size_t *i, long *e)
{
	int neg = 0;
	size_t start;

	(*i)++;
	if (*i < len && (s[*i] == '+' || s[*i] == '-'))
		neg = s[(*i)++] == '-';
	start = *i;
	for (*e = 0; *i < len && is_digit(s[*i]); (*i)++)
		if (*e < EXP_CAP)
			*e = *e * 10 + (s[*i] - '0');
	if (*i == start)
		return -1;
	if (neg)
		*e = -*e;
	return 0;
}

int wb__num_parse(wb_num *out, const char *s, size_t len)
{
	size_t i = 0, ndigits = 0;
	long intdigits = -1, first = -1, last = -1, e = 0, pos = 0;

	memset(out, 0, sizeof(*out));
	if (i < len && (s[i] == '+' || s[i] == '-'))
		out->neg = s[i++] == '-';
	for (; i < len; i++) {
		if (is_digit(s[i])) {
			take_digit(out, s[i], pos++, &first, &last);
			ndigits++;
		} else if (s[i] == '.' && intdigits < 0) {
			intdigits = pos;
		} else {
			break;
		}
	}
	if (ndigits == 0)
		return -1;
	if (intdigits < 0)
		intdigits = pos;
	if (i < len && (s[i] == 'e' || s[i] == 'E') && parse_exp(s, len, &i, &e) < 0)
		return -1;
	if (i != len)
		return -1;
	if (first < 0) {
		out->neg = 0;
		out->zero = 1;
		return 0;
	}
	out->ndig = (size_t)(last - first + 1);
	out->exp = intdigits - first + e;
	if (out->exp > EXP_CAP)
		out->exp = EXP_CAP;
	if (out->exp < -EXP_CAP)
		out->exp = -EXP_CAP;
	return 0;
}

static int mag_cmp(const wb_num *a, const wb_num *b)
{
	size_t na = a->ndig < sizeof(a->dig) ? a->ndig : sizeof(a->dig);
	size_t nb = b->ndig < sizeof(b->dig) ? b->ndig : sizeof(b->dig);
	size_t n = na < nb ? na : nb;
	int c;

	if (a->exp != b->exp)
		return a->exp < b->exp ? -1 : 1;
	if ((c = memcmp(a->dig, b->dig, n)) != 0)
		return c < 0 ? -1 : 1;
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

int wb__num_cmp(const wb_num *a, const wb_num *b)
{
	int sa = a->zero ? 0 : (a->neg ? -1 : 1);
	int sb = b->zero ? 0 : (b->neg ? -1 : 1);

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	return sa * mag_cmp(a, b);
}

int wb__num_text_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	wb_num na, nb;
	int c;

	if (wb__num_parse(&na, a, alen) < 0 || wb__num_parse(&nb, b, blen) < 0) {
		c = memcmp(a, b, alen < blen ? alen : blen);
		return c ? c : (alen == blen ? 0 : (alen < blen ? -1 : 1));
	}
	return wb__num_cmp(&na, &nb);
}

/* A tiny bounded writer. */
typedef struct { char *p; size_t size, len; } outbuf;

static void put(outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->p[o->len] = c;
	o->len++;
}

size_t wb__num_format(const wb_num *n, char *buf, size_t size)
{
	outbuf o = { buf, size, 0 };
	size_t nd = n->ndig < sizeof(n->dig) ? n->ndig : sizeof(n->dig), i;
	long x = n->exp - 1, k;

	if (n->zero) {
		put(&o, '0');
	} else {
		if (n->neg)
			put(&o, '-');
		if (x >= -6 && x <= 37) {
			if (x < 0) {
				put(&o, '0');
				put(&o, '.');
				for (k = x + 1; k < 0; k++)
					put(&o, '0');
			}
			for (i = 0; i < nd; i++) {
				if (x >= 0 && (long)i == x + 1)
					put(&o, '.');
				put(&o, n->dig[i]);
			}
			for (k = (long)nd; k <= x; k++)
				put(&o, '0');
		} else {
			char ebuf[24];
			put(&o, n->dig[0]);
			if (nd > 1)
				put(&o, '.');
			for (i = 1; i < nd; i++)
				put(&o, n->dig[i]);
			snprintf(ebuf, sizeof(ebuf), "E%c%ld", x < 0 ? '-' : '+', x < 0 ? -x : x);
			for (i = 0; ebuf[i]; i++)
				put(&o, ebuf[i]);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

#define RANGE_TEXT "1E-130 to 9.9999999999999999999999999999999999999E+125"

int wb__number_check(const char *s, size_t len, const char *where)
{
	const char *sep = where ? ": " : "";
	int show = len > 60 ? 60 : (int)len;
	const char *dots = len > 60 ? "..." : "";
	wb_num n;

	where = where ? where : "";
	if (wb__num_parse(&n, s, len) < 0)
		return wb__error(NULL, WB_EINVALID, "%s%snumber '%.*s%s' is not a valid decimal",
				 where, sep, show, s, dots);
	if (n.zero)
		return 0;
	if (n.ndig > WB_NUMBER_MAX_DIGITS)
		return wb__error(NULL, WB_EINVALID, "%s%snumber '%.*s%s' has %zu significant digits, "
				 "more than %d", where, sep, show, s, dots, n.ndig, WB_NUMBER_MAX_DIGITS);
	if (n.exp - 1 > 125 || n.exp - 1 < -130)
		return wb__error(NULL, WB_EINVALID, "%s%snumber '%.*s%s' is out of range (magnitude "
				 "must be %s, or zero)", where, sep, show, s, dots, RANGE_TEXT);
	return 0;
}

int wb_number_validate(const char *decimal)
{
	if (!decimal)
		return wb__error(NULL, WB_EINVALID, "no number");
	return wb__number_check(decimal, strlen(decimal), NULL);
}
