/*
 * sketch_core.c: the pure-C relative-error quantile sketch (see sketch_core.h):
 * adding values, window growth and collapse, merge, quantile and share
 * queries.  Its compact (binary) and text codecs, with their validation, are
 * in sketch_codec_core.c.
 *
 * Everything a decoder accepts satisfies the invariants the rest relies on:
 * 1 <= count <= SK_MAX_COUNT, zeros + sum of bucket counts == count, every
 * bucket count >= 1, indexes strictly increasing within what a double can map
 * to and spanning at most SK_MAX_BINS, 0 <= min <= max finite, sum >= 0.
 */
#include "sketch_core.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

const char *
sk_strerror(int code)
{
	switch (code)
	{
		case SK_OK:
			return "No error";
		case SK_E_TRUNCATED:
			return "Sketch data ends early";
		case SK_E_TRAILING:
			return "Unexpected data after the end of the sketch";
		case SK_E_VERSION:
			return "Unknown sketch format version";
		case SK_E_LAYOUT:
			return "Unknown sketch layout";
		case SK_E_SYNTAX:
			return "Sketch text is not in the documented format";
		case SK_E_ALPHA:
			return "Relative accuracy out of range";
		case SK_E_INDEX:
			return "Bucket index out of range";
		case SK_E_ORDER:
			return "Bucket indexes are not strictly increasing";
		case SK_E_SPAN:
			return "Bucket indexes span too many buckets";
		case SK_E_COUNT:
			return "Bucket counts are inconsistent with the total count";
		case SK_E_OVERFLOW:
			return "Count too large";
		case SK_E_VALUE:
			return "Minimum, maximum or sum invalid";
		case SK_E_QUANTILE:
			return "Invalid quantile list";
		case SK_E_ALPHA_MISMATCH:
			return "Sketches have different relative accuracy";
		case SK_E_Q_MISMATCH:
			return "States ask for different percentiles";
	}
	return "Unknown error";
}

int
sk_alpha_valid(double alpha)
{
	return alpha >= SK_ALPHA_MIN && alpha <= SK_ALPHA_MAX;
}

static double
inv_ln_gamma(double alpha)
{
	return 1.0 / (log1p(alpha) - log1p(-alpha));
}

/* lowest and highest index any positive double (subnormals included) can map to */
void
sk_index_bounds(double alpha, int32_t *lo, int32_t *hi)
{
	sk_work		w;

	w.inv_ln_gamma = inv_ln_gamma(alpha);
	*lo = sk_index(&w, 4.9406564584124654e-324);
	*hi = sk_index(&w, DBL_MAX);
}

size_t
sk_work_size(int nq, int cap)
{
	return sizeof(sk_work) + (size_t) nq * sizeof(double) + (size_t) cap * sizeof(uint64_t);
}

void
sk_work_init(sk_work *w, double alpha, int nq, const double *q, int cap)
{
	memset(w, 0, sk_work_size(nq, cap));
	w->version = SK_VERSION;
	w->layout = SK_LAYOUT_WORK;
	w->nq = (uint16_t) nq;
	w->base = 0;
	w->cap = cap;
	w->alpha = alpha;
	w->inv_ln_gamma = inv_ln_gamma(alpha);
	w->min = INFINITY;
	w->max = -INFINITY;
	if (nq > 0 && q)
		memcpy(sk_q(w), q, (size_t) nq * sizeof(double));
}

int
sk_used_range(const sk_work *w, int32_t *lo, int32_t *hi)
{
	const uint64_t *c = sk_counts(w);
	int32_t		i,
				j;

	for (i = 0; i < w->cap && c[i] == 0; i++)
		;
	if (i == w->cap)
		return 0;
	for (j = w->cap - 1; c[j] == 0; j--)
		;
	*lo = w->base + i;
	*hi = w->base + j;
	return 1;
}

void
sk_rebuild(const sk_work *src, sk_work *dst, int32_t nbase, int32_t ncap)
{
	const uint64_t *sc = sk_counts(src);
	uint64_t   *dc;
	uint64_t	fold = 0;
	int32_t		lo,
				hi;
	int			have = sk_used_range(src, &lo, &hi);

	/* buckets below the new window collapse into its lowest bucket */
	if (have && lo < nbase)
	{
		for (int32_t i = lo; i <= hi && i < nbase; i++)
			fold += sc[i - src->base];
		lo = nbase;
	}
	if (dst != src)
		memcpy(dst, src, sizeof(sk_work) + (size_t) src->nq * sizeof(double));
	dc = sk_counts(dst);
	if (have && hi >= lo)
	{
		memmove(dc + (lo - nbase), sc + (lo - src->base), (size_t) (hi - lo + 1) * sizeof(uint64_t));
		memset(dc, 0, (size_t) (lo - nbase) * sizeof(uint64_t));
		memset(dc + (hi - nbase + 1), 0, (size_t) (ncap - (hi - nbase + 1)) * sizeof(uint64_t));
	}
	else
		memset(dc, 0, (size_t) ncap * sizeof(uint64_t));
	dc[0] += fold;
	dst->base = nbase;
	dst->cap = ncap;
}

/* fold the buckets of w below lo (inside its window) into bucket lo */
static void
fold_below(sk_work *w, int32_t lo)
{
	uint64_t   *c = sk_counts(w);
	uint64_t	fold = 0;

	for (int32_t i = 0; i < lo - w->base; i++)
	{
		fold += c[i];
		c[i] = 0;
	}
	c[lo - w->base] += fold;
}

/*
 * Window [*nb, *nb + *nc) for the used range [lo, hi] of w; returns 1 when
 * w's own window already covers it.  grow_up: leave the spare room above.
 */
static int
plan_window(const sk_work *w, int32_t lo, int32_t hi, int grow_up, int32_t *nb, int32_t *nc)
{
	int32_t		span = hi - lo + 1;
	int32_t		cap = w->cap;

	if (w->base <= lo && hi <= w->base + w->cap - 1)
		return 1;
	while (cap < span)
		cap *= 2;
	if (cap > SK_MAX_BINS)
		cap = SK_MAX_BINS;
	*nc = cap;
	*nb = grow_up ? lo : hi - cap + 1;
	return 0;
}

int
sk_add_slow(sk_work *w, double x, int32_t *nbase, int32_t *ncap)
{
	int32_t		idx = sk_index(w, x);
	int32_t		lo,
				hi,
				nb,
				nc;

	if (!sk_used_range(w, &lo, &hi))
	{
		/* nothing but zeros so far: centre the window on this value */
		sk_rebuild(w, w, idx - w->cap / 2, w->cap);
		lo = hi = idx;
	}
	else
	{
		int			up = idx > hi;

		if (idx < lo)
			lo = idx;
		if (idx > hi)
			hi = idx;
		if (hi - lo + 1 > SK_MAX_BINS)
			lo = hi - SK_MAX_BINS + 1;
		if (!plan_window(w, lo, hi, up, &nb, &nc))
		{
			if (nc != w->cap)
			{
				*nbase = nb;
				*ncap = nc;
				return 0;
			}
			sk_rebuild(w, w, nb, nc);
		}
		fold_below(w, lo);
	}
	sk_counts(w)[(idx < lo ? lo : idx) - w->base]++;
	w->count++;
	w->sum += x;
	if (x < w->min)
		w->min = x;
	if (x > w->max)
		w->max = x;
	return 1;
}

int
sk_merge(sk_work *a, const sk_work *b, int32_t *nbase, int32_t *ncap)
{
	int32_t		alo,
				ahi,
				blo,
				bhi;

	if (a->alpha != b->alpha)
		return SK_E_ALPHA_MISMATCH;
	if (a->nq != b->nq ||
		(a->nq > 0 && memcmp(sk_q(a), sk_q(b), a->nq * sizeof(double)) != 0))
		return SK_E_Q_MISMATCH;
	if (b->count > SK_MAX_COUNT - a->count)
		return SK_E_OVERFLOW;
	if (sk_used_range(b, &blo, &bhi))
	{
		const uint64_t *bc = sk_counts(b);
		uint64_t   *ac;
		int32_t		lo = blo,
					hi = bhi,
					nb,
					nc;

		if (sk_used_range(a, &alo, &ahi))
		{
			if (alo < lo)
				lo = alo;
			if (ahi > hi)
				hi = ahi;
		}
		else
			alo = ahi = 0;
		if (hi - lo + 1 > SK_MAX_BINS)
			lo = hi - SK_MAX_BINS + 1;
		if (!plan_window(a, lo, hi, 1, &nb, &nc))
		{
			/* centre the spare room: merged sketches may grow either way */
			nb = lo - (nc - (hi - lo + 1)) / 2;
			if (nc != a->cap)
			{
				*nbase = nb;
				*ncap = nc;
				return -1;
			}
			sk_rebuild(a, a, nb, nc);
		}
		fold_below(a, lo);
		ac = sk_counts(a);
		for (int32_t i = blo; i <= bhi; i++)
			ac[(i < lo ? lo : i) - a->base] += bc[i - b->base];
	}
	a->count += b->count;
	a->zeros += b->zeros;
	a->sum += b->sum;
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
	return SK_OK;
}

/* inverse of L: 2^floor(y) * (1 + frac(y)) */
static double
linexp2(double y)
{
	double		f = floor(y);

	return ldexp(1.0 + (y - f), (int) f);
}

/*
 * Representative value of bucket i, the harmonic mean of its bounds (lo, hi]:
 * written lo * 2 / (1 + lo/hi) so neither a subnormal lo nor an infinite hi
 * (top bucket) overflows; the caller clamps the result to [min, max].
 */
static double
bucket_value(const sk_work *w, int32_t i)
{
	double		lo = linexp2((double) (i - 1) / w->inv_ln_gamma);
	double		hi = linexp2((double) i / w->inv_ln_gamma);

	if (lo == 0.0)				/* underflow among subnormals */
		return hi;
	return lo * (2.0 / (1.0 + lo / hi));
}

double
sk_quantile(const sk_work *w, double p)
{
	const uint64_t *c = sk_counts(w);
	uint64_t	rank,
				cum;

	if (p <= 0.0)
		return w->min;
	if (p >= 1.0)
		return w->max;
	/* percentile_disc's rank: ceil(p * n), 1-based */
	rank = (uint64_t) ceil(p * (double) w->count);
	if (rank < 1)
		rank = 1;
	if (rank > w->count)
		rank = w->count;
	cum = w->zeros;
	if (rank <= cum)
		return 0.0;
	for (int32_t i = 0; i < w->cap; i++)
	{
		cum += c[i];
		if (cum >= rank)
		{
			double		v = bucket_value(w, w->base + i);

			if (v < w->min || isnan(v))
				v = w->min;
			if (v > w->max)
				v = w->max;
			return v;
		}
	}
	return w->max;				/* not reached: bucket counts add up to count */
}

double
sk_share_at_most(const sk_work *w, double t)
{
	const uint64_t *c = sk_counts(w);
	uint64_t	n;
	int32_t		k;

	if (t >= w->max)
		return 1.0;
	if (t < w->min)
		return 0.0;
	n = w->zeros;
	if (t > 0.0)
	{
		/* buckets below t's bucket end below t; they hold every x <= t / gamma */
		k = sk_index(w, t);
		for (int32_t i = 0; i < w->cap && w->base + i < k; i++)
			n += c[i];
	}
	return (double) n / (double) w->count;
}
