/*
 * sketch_codec_core.c: the compact (binary) and text forms of the pure-C
 * quantile sketch (sketch_core.h; the sketch itself is in sketch_core.c),
 * and their validation.
 *
 * Everything a decoder accepts satisfies the invariants the rest relies on:
 * 1 <= count <= SK_MAX_COUNT, zeros + sum of bucket counts == count, every
 * bucket count >= 1, indexes strictly increasing within what a double can map
 * to and spanning at most SK_MAX_BINS, 0 <= min <= max finite, sum >= 0.
 */
#include "sketch_core.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- compact codec ---- */

/*
 * Compact payload, all integers little-endian, varints LEB128 (7 bits a byte,
 * low group first), doubles as their 8 IEEE-754 bytes little-endian:
 *   u8 version (1), u8 layout (0),
 *   varint nq, f64 alpha, varint count, varint zeros, f64 sum, f64 min,
 *   f64 max, varint nbins, f64 q[nq],
 *   then per non-empty bucket in increasing index order: the first as
 *   zigzag-varint index, the others as varint delta (>= 1) from the previous
 *   index; each followed by its varint count (>= 1).
 */
static uint8_t *
put_varint(uint8_t *p, uint64_t v, size_t *n)
{
	do
	{
		uint8_t		b = v & 0x7f;

		v >>= 7;
		if (v)
			b |= 0x80;
		if (p)
			*p++ = b;
		(*n)++;
	} while (v);
	return p;
}

static uint8_t *
put_f64(uint8_t *p, double d, size_t *n)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	for (int i = 0; i < 8; i++)
	{
		if (p)
			*p++ = (uint8_t) (u >> (8 * i));
		(*n)++;
	}
	return p;
}

size_t
sk_compact_encode(const sk_work *w, uint8_t *out)
{
	const uint64_t *c = sk_counts(w);
	const double *q = sk_q(w);
	uint8_t    *p = out;
	size_t		n = 0;
	uint64_t	nbins = 0;
	int32_t		prev = 0;
	int			first = 1;

	for (int32_t i = 0; i < w->cap; i++)
		nbins += c[i] != 0;
	if (p)
	{
		*p++ = SK_VERSION;
		*p++ = SK_LAYOUT_COMPACT;
	}
	n += 2;
	p = put_varint(p, w->nq, &n);
	p = put_f64(p, w->alpha, &n);
	p = put_varint(p, w->count, &n);
	p = put_varint(p, w->zeros, &n);
	p = put_f64(p, w->sum, &n);
	p = put_f64(p, w->min, &n);
	p = put_f64(p, w->max, &n);
	p = put_varint(p, nbins, &n);
	for (int i = 0; i < w->nq; i++)
		p = put_f64(p, q[i], &n);
	for (int32_t i = 0; i < w->cap; i++)
	{
		int32_t		idx = w->base + i;

		if (c[i] == 0)
			continue;
		if (first)
			p = put_varint(p, idx < 0 ? ((uint64_t) (-(int64_t) idx) << 1) - 1 : (uint64_t) idx << 1, &n);
		else
			p = put_varint(p, (uint64_t) (idx - prev), &n);
		p = put_varint(p, c[i], &n);
		prev = idx;
		first = 0;
	}
	return n;
}

size_t
sk_compact_bound(const sk_work *w)
{
	return sk_compact_encode(w, NULL);
}

typedef struct reader
{
	const uint8_t *p;
	const uint8_t *end;
	int			err;
} reader;

static uint64_t
get_varint(reader *r)
{
	uint64_t	v = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (r->p >= r->end)
		{
			r->err = r->err ? r->err : SK_E_TRUNCATED;
			return 0;
		}
		b = *r->p++;
		if (shift == 63 && (b & 0x7e))
		{
			r->err = r->err ? r->err : SK_E_OVERFLOW;
			return 0;
		}
		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->err = r->err ? r->err : SK_E_OVERFLOW;
	return 0;
}

static double
get_f64(reader *r)
{
	uint64_t	u = 0;
	double		d;

	if (r->end - r->p < 8)
	{
		r->err = r->err ? r->err : SK_E_TRUNCATED;
		r->p = r->end;
		return 0.0;
	}
	for (int i = 0; i < 8; i++)
		u |= (uint64_t) r->p[i] << (8 * i);
	r->p += 8;
	memcpy(&d, &u, 8);
	return d;
}

/* the header fields both codecs carry */
typedef struct header
{
	uint64_t	nq;
	double		alpha;
	uint64_t	count;
	uint64_t	zeros;
	double		sum;
	double		min;
	double		max;
	uint64_t	nbins;
} header;

static int
check_header(const header *h)
{
	if (h->nq > SK_MAX_Q)
		return SK_E_QUANTILE;
	if (!sk_alpha_valid(h->alpha))
		return SK_E_ALPHA;
	if (h->count > SK_MAX_COUNT || h->zeros > SK_MAX_COUNT || h->nbins > SK_MAX_COUNT)
		return SK_E_OVERFLOW;
	if (h->count == 0 || h->zeros > h->count || h->nbins > SK_MAX_BINS ||
		h->nbins > h->count - h->zeros || (h->nbins == 0) != (h->zeros == h->count))
		return SK_E_COUNT;
	if (!(h->min >= 0.0 && h->min <= h->max && h->max <= DBL_MAX && h->sum >= 0.0) ||
		(h->zeros > 0) != (h->min == 0.0) || (h->nbins == 0) != (h->max == 0.0))
		return SK_E_VALUE;
	return SK_OK;
}

/* a decoder's second pass: w, sized for [base, base + cap), with the header's fields */
static void
start_work(sk_work *w, const header *h, const double *q, int32_t base, int32_t cap)
{
	sk_work_init(w, h->alpha, (int) h->nq, q, cap);
	w->base = base;
	w->count = h->count;
	w->zeros = h->zeros;
	w->sum = h->sum;
	w->min = h->min;
	w->max = h->max;
}

static int
check_q(double q)
{
	return q >= 0.0 && q <= 1.0;
}

/* running checks over the buckets, shared by both decoders */
typedef struct bins_check
{
	int32_t		ilo,
				ihi;			/* index bounds for this alpha */
	int32_t		first,
				last;
	uint64_t	total;
	uint64_t	seen;
} bins_check;

static int
check_bin(bins_check *b, int64_t idx, uint64_t cnt)
{
	if (idx < b->ilo || idx > b->ihi)
		return SK_E_INDEX;
	if (b->seen > 0 && idx <= b->last)
		return SK_E_ORDER;
	if (b->seen == 0)
		b->first = (int32_t) idx;
	if ((int64_t) idx - b->first + 1 > SK_MAX_BINS)
		return SK_E_SPAN;
	if (cnt == 0)
		return SK_E_COUNT;
	if (cnt > SK_MAX_COUNT - b->total)
		return SK_E_OVERFLOW;
	b->total += cnt;
	b->last = (int32_t) idx;
	b->seen++;
	return SK_OK;
}

static int
compact_walk(const uint8_t *buf, size_t len, sk_work *w, int *nq, int32_t *base, int32_t *cap)
{
	reader		r = {buf, buf + len, SK_OK};
	header		h;
	bins_check	bc = {0};
	int			e;
	int64_t		idx = 0;

	if (len < 2)
		return SK_E_TRUNCATED;
	if (buf[0] != SK_VERSION)
		return SK_E_VERSION;
	if (buf[1] != SK_LAYOUT_COMPACT)
		return SK_E_LAYOUT;
	r.p += 2;
	h.nq = get_varint(&r);
	h.alpha = get_f64(&r);
	h.count = get_varint(&r);
	h.zeros = get_varint(&r);
	h.sum = get_f64(&r);
	h.min = get_f64(&r);
	h.max = get_f64(&r);
	h.nbins = get_varint(&r);
	if (r.err)
		return r.err;
	if ((e = check_header(&h)) != SK_OK)
		return e;
	/* second pass: header fields, then the counts into the zeroed window */
	if (w)
		start_work(w, &h, NULL, *base, *cap);
	for (uint64_t i = 0; i < h.nq; i++)
	{
		double		q = get_f64(&r);

		if (r.err)
			return r.err;
		if (!check_q(q))
			return SK_E_QUANTILE;
		if (w)
			sk_q(w)[i] = q;
	}
	sk_index_bounds(h.alpha, &bc.ilo, &bc.ihi);
	for (uint64_t i = 0; i < h.nbins; i++)
	{
		uint64_t	v = get_varint(&r);
		uint64_t	cnt;

		if (i == 0)
			idx = (v & 1) ? -(int64_t) (v >> 1) - 1 : (int64_t) (v >> 1);
		else
		{
			if (v == 0)
				return r.err ? r.err : SK_E_ORDER;
			if (v > (uint64_t) (bc.ihi - idx))
				return r.err ? r.err : SK_E_INDEX;
			idx += (int64_t) v;
		}
		cnt = get_varint(&r);
		if (r.err)
			return r.err;
		if ((e = check_bin(&bc, idx, cnt)) != SK_OK)
			return e;
		if (w)
			sk_counts(w)[idx - w->base] = cnt;
	}
	if (r.p != r.end)
		return SK_E_TRAILING;
	if (bc.total != h.count - h.zeros)
		return SK_E_COUNT;
	*nq = (int) h.nq;
	*base = h.nbins ? bc.first : 0;
	*cap = h.nbins ? bc.last - bc.first + 1 : 1;
	return SK_OK;
}

int
sk_compact_check(const uint8_t *buf, size_t len, int *nq, int32_t *base, int32_t *cap)
{
	return compact_walk(buf, len, NULL, nq, base, cap);
}

void
sk_compact_decode(const uint8_t *buf, size_t len, sk_work *w, int32_t base, int32_t cap)
{
	int			nq;

	(void) compact_walk(buf, len, w, &nq, &base, &cap);
}

/* ---- text codec ---- */

/*
 * One line, single spaces, fields in this order (p= only in states of
 * csat.sla_percentile):
 *   v1 alpha=A n=COUNT zeros=Z sum=S min=MIN max=MAX [p=Q1,Q2,...] bins=I:C,I:C,...
 * Floats in the shortest form that reads back to the same double (up to 17
 * significant digits, "inf" for an overflowed sum); bins are absolute bucket
 * indexes with their counts, increasing; "bins=" is empty when every value is 0.
 */
static int
fmt_double(char *out, double v)
{
	int			n = 0;

	for (int prec = 15; prec <= 17; prec++)
	{
		n = snprintf(out, 32, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return n;
}

size_t
sk_text_bound(const sk_work *w)
{
	/* 7 fields of at most 32 chars plus names; per quantile 26; per bucket 33 */
	return 256 + (size_t) w->nq * 26 + (size_t) w->cap * 33;
}

size_t
sk_text_format(const sk_work *w, char *out)
{
	const uint64_t *c = sk_counts(w);
	char	   *p = out;
	int			first = 1;

	p += sprintf(p, "v%d alpha=", SK_VERSION);
	p += fmt_double(p, w->alpha);
	p += sprintf(p, " n=%llu zeros=%llu sum=", (unsigned long long) w->count,
				 (unsigned long long) w->zeros);
	p += fmt_double(p, w->sum);
	p += sprintf(p, " min=");
	p += fmt_double(p, w->min);
	p += sprintf(p, " max=");
	p += fmt_double(p, w->max);
	if (w->nq > 0)
	{
		p += sprintf(p, " p=");
		for (int i = 0; i < w->nq; i++)
		{
			if (i > 0)
				*p++ = ',';
			p += fmt_double(p, sk_q(w)[i]);
		}
	}
	p += sprintf(p, " bins=");
	for (int32_t i = 0; i < w->cap; i++)
	{
		if (c[i] == 0)
			continue;
		if (!first)
			*p++ = ',';
		p += sprintf(p, "%ld:%llu", (long) (w->base + i), (unsigned long long) c[i]);
		first = 0;
	}
	*p = '\0';
	return (size_t) (p - out);
}

static int
expect(const char **s, const char *lit)
{
	size_t		n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return 0;
	*s += n;
	return 1;
}

static int
parse_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t	x = 0;

	if (*p < '0' || *p > '9')
		return SK_E_SYNTAX;
	for (; *p >= '0' && *p <= '9'; p++)
	{
		if (x > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
			return SK_E_OVERFLOW;
		x = x * 10 + (uint64_t) (*p - '0');
	}
	*s = p;
	*v = x;
	return SK_OK;
}

static int
parse_i64(const char **s, int64_t *v)
{
	int			neg = **s == '-';
	uint64_t	u;
	int			e;

	if (neg)
		(*s)++;
	if ((e = parse_u64(s, &u)) != SK_OK)
		return e;
	if (u > (uint64_t) INT32_MAX + 1)
		return SK_E_INDEX;
	*v = neg ? -(int64_t) u : (int64_t) u;
	return SK_OK;
}

static int
parse_double(const char **s, double *v)
{
	char		buf[64];
	size_t		n = 0;
	char	   *end;

	while ((*s)[n] && (*s)[n] != ' ' && (*s)[n] != ',' && (*s)[n] != ':')
	{
		if (n >= sizeof(buf) - 1)
			return SK_E_SYNTAX;
		buf[n] = (*s)[n];
		n++;
	}
	buf[n] = '\0';
	if (n == 0 || buf[0] == ' ' || buf[0] == '+' || (buf[0] != '-' && buf[0] != '.' && (buf[0] < '0' || buf[0] > '9') && strcmp(buf, "inf") != 0))
		return SK_E_SYNTAX;
	*v = strtod(buf, &end);
	if (*end != '\0')
		return SK_E_SYNTAX;
	*s += n;
	return SK_OK;
}

int
sk_text_parse(const char *s, sk_work *w, int *nq, int32_t *base, int32_t *cap)
{
	header		h = {0};
	bins_check	bc = {0};
	double		q[SK_MAX_Q];
	int			e;
	uint64_t	v;

	if (!expect(&s, "v"))
		return SK_E_SYNTAX;
	if ((e = parse_u64(&s, &v)) != SK_OK)
		return SK_E_SYNTAX;
	if (v != SK_VERSION)
		return SK_E_VERSION;
#define FIELD(lit, parse, dst) \
	do { if (!expect(&s, lit)) return SK_E_SYNTAX; if ((e = parse(&s, dst)) != SK_OK) return e; } while (0)
	FIELD(" alpha=", parse_double, &h.alpha);
	FIELD(" n=", parse_u64, &h.count);
	FIELD(" zeros=", parse_u64, &h.zeros);
	FIELD(" sum=", parse_double, &h.sum);
	FIELD(" min=", parse_double, &h.min);
	FIELD(" max=", parse_double, &h.max);
	if (expect(&s, " p="))
	{
		do
		{
			if (h.nq >= SK_MAX_Q)
				return SK_E_QUANTILE;
			if ((e = parse_double(&s, &q[h.nq])) != SK_OK)
				return e;
			if (!check_q(q[h.nq]))
				return SK_E_QUANTILE;
			h.nq++;
		} while (expect(&s, ","));
	}
	if (!expect(&s, " bins="))
		return SK_E_SYNTAX;
	/* nbins is not written in text: check the header as if it matched the zeros */
	h.nbins = h.count > h.zeros ? 1 : 0;
	if ((e = check_header(&h)) != SK_OK)
		return e;
	if (w)
		start_work(w, &h, q, *base, *cap);
	sk_index_bounds(h.alpha, &bc.ilo, &bc.ihi);
	if (*s != '\0')
	{
		do
		{
			int64_t		idx;
			uint64_t	cnt;

			FIELD("", parse_i64, &idx);
			FIELD(":", parse_u64, &cnt);
			if ((e = check_bin(&bc, idx, cnt)) != SK_OK)
				return e;
			if (w)
				sk_counts(w)[idx - w->base] = cnt;
		} while (expect(&s, ","));
	}
#undef FIELD
	if (*s != '\0')
		return SK_E_SYNTAX;
	if (bc.total != h.count - h.zeros)
		return SK_E_COUNT;
	*nq = (int) h.nq;
	*base = bc.seen ? bc.first : 0;
	*cap = bc.seen ? bc.last - bc.first + 1 : 1;
	return SK_OK;
}
