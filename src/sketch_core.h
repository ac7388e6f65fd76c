/*
 * sketch_core.h: the pure-C relative-error quantile sketch behind csat.sketch.
 *
 * No PostgreSQL headers: this core is linked into csat.so, into the unit test
 * test/unit/test_sketch.c and into the libFuzzer targets test/fuzz/fuzz_sketch_*.c.
 * It never allocates: the host sizes and provides every buffer.
 *
 * Buckets: with gamma = (1 + alpha) / (1 - alpha) and k = 1 / ln gamma, a
 * value x > 0 falls in bucket i = ceil(k * L(x)), where L is log2 linearly
 * interpolated between powers of two: L(2^e * m) = e + (m - 1) for m in
 * [1, 2).  L needs no log() call (a few bit operations), is exact at powers of
 * two and increasing, and d(ln x)/dL = 1/m <= 1, so a bucket (lo, hi] spans
 * ln(hi/lo) <= 1/k = ln gamma: hi/lo <= gamma.  The bucket answers with the
 * harmonic mean 2 lo hi / (lo + hi), within alpha * x of every x in it.  The
 * price: up to 1/ln 2 = 1.44 times the buckets of an exact log mapping.
 * Zeros are counted apart, exactly.
 *
 * Bounded size: the bucket indexes in use never span more than SK_MAX_BINS.
 * When a value would stretch the span further, every bucket below
 * (highest index - SK_MAX_BINS + 1) folds into that one ("collapses"): a value
 * is kept in bucket max(i, H - SK_MAX_BINS + 1), H being the highest index.
 * The result depends only on the multiset of values, so merging stays exact.
 *
 * Two layouts share one header prefix (version byte, layout byte):
 *  - working (SK_LAYOUT_WORK): struct sk_work followed by the requested
 *    quantiles and a dense count array over a window [base, base + cap) of
 *    bucket indexes; updated in place by aggregates;
 *  - compact (SK_LAYOUT_COMPACT): the on-disk and binary wire form, a byte
 *    string described at sk_compact_encode() in sketch_codec_core.c.
 * Both start with 4 bytes of room for the host's length word (a PostgreSQL
 * varlena header); "payload" below means what follows those 4 bytes.
 */
#ifndef SKETCH_CORE_H
#define SKETCH_CORE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SK_VERSION			1
#define SK_LAYOUT_COMPACT	0
#define SK_LAYOUT_WORK		1
#define SK_MAX_BINS			4096	/* widest span of bucket indexes kept */
#define SK_MAX_Q			1000	/* most quantiles a state may carry */
#define SK_ALPHA_MIN		0.001
#define SK_ALPHA_MAX		0.5
#define SK_ALPHA_DEFAULT	0.01
#define SK_INIT_CAP			8		/* buckets in a new state: small groups stay small */
#define SK_MAX_COUNT		((uint64_t) INT64_MAX)

/* error codes of decoders and merges; sk_strerror() gives a message */
enum
{
	SK_OK = 0,
	SK_E_TRUNCATED,				/* data ends early */
	SK_E_TRAILING,				/* bytes or text after the end */
	SK_E_VERSION,				/* unknown format version */
	SK_E_LAYOUT,				/* unknown layout byte */
	SK_E_SYNTAX,				/* text not in the documented format */
	SK_E_ALPHA,					/* relative accuracy out of range */
	SK_E_INDEX,					/* bucket index outside what any double maps to */
	SK_E_ORDER,					/* bucket indexes not strictly increasing */
	SK_E_SPAN,					/* bucket indexes span more than SK_MAX_BINS */
	SK_E_COUNT,					/* counts inconsistent (zero bucket, sum != count, empty) */
	SK_E_OVERFLOW,				/* a count exceeds SK_MAX_COUNT */
	SK_E_VALUE,					/* min, max or sum invalid or inconsistent */
	SK_E_QUANTILE,				/* requested quantile list invalid */
	SK_E_ALPHA_MISMATCH,		/* merging sketches of different accuracy */
	SK_E_Q_MISMATCH				/* merging states asking different quantiles */
};

typedef struct sk_work
{
	uint32_t	host_len;		/* room for the host's length word */
	uint8_t		version;		/* SK_VERSION */
	uint8_t		layout;			/* SK_LAYOUT_WORK */
	uint16_t	nq;				/* quantiles stored after the header */
	int32_t		base;			/* bucket index of counts[0] */
	int32_t		cap;			/* length of counts[] */
	double		alpha;
	double		inv_ln_gamma;	/* k = 1 / ln(gamma), cached for the per-value index */
	uint64_t	count;			/* all values, zeros included */
	uint64_t	zeros;
	double		sum;
	double		min;
	double		max;
	/* double q[nq]; uint64_t counts[cap]; */
} sk_work;

static inline double *
sk_q(const sk_work *w)
{
	return (double *) (w + 1);
}

static inline uint64_t *
sk_counts(const sk_work *w)
{
	return (uint64_t *) ((double *) (w + 1) + w->nq);
}

/* L(x): log2 of x > 0 linearly interpolated between powers of two */
static inline double
sk_linlog2(double x)
{
	uint64_t	b;
	int			e;
	double		m;

	memcpy(&b, &x, sizeof b);
	e = (int) (b >> 52);
	if (e == 0)
	{
		/* subnormal: frexp gives m in [0.5, 1) */
		m = frexp(x, &e);
		return (double) (e - 1) + (2.0 * m - 1.0);
	}
	b = (b & UINT64_C(0x000FFFFFFFFFFFFF)) | UINT64_C(0x3FF0000000000000);
	memcpy(&m, &b, sizeof m);
	return (double) (e - 1023) + (m - 1.0);
}

/* bucket index of a positive finite value: ceil(k L(x)) */
static inline int32_t
sk_index(const sk_work *w, double x)
{
	double		t = sk_linlog2(x) * w->inv_ln_gamma;
	int32_t		i = (int32_t) t;	/* truncation: ceil for t <= 0 */

	return i + (i < t);
}

/*
 * Add one value (caller checked 0 <= x <= DBL_MAX).  Returns 0, changing
 * nothing, when its bucket lies outside the window: call sk_add_slow().
 */
static inline int
sk_add(sk_work *w, double x)
{
	if (x > 0.0)
	{
		uint32_t	off = (uint32_t) sk_index(w, x) - (uint32_t) w->base;

		if (off >= (uint32_t) w->cap)
			return 0;
		sk_counts(w)[off]++;
	}
	else
	{
		x = 0.0;				/* -0 counts as 0 */
		w->zeros++;
	}
	w->count++;
	w->sum += x;
	if (x < w->min)
		w->min = x;
	if (x > w->max)
		w->max = x;
	return 1;
}

extern const char *sk_strerror(int code);
extern int	sk_alpha_valid(double alpha);

/* the lowest and highest bucket index any positive double can map to at alpha */
extern void sk_index_bounds(double alpha, int32_t *lo, int32_t *hi);
extern size_t sk_work_size(int nq, int cap);

/* start an empty working sketch (count 0; min +inf, max -inf until a value comes) */
extern void sk_work_init(sk_work *w, double alpha, int nq, const double *q, int cap);

/*
 * Slow path of sk_add(): moves or collapses the window in place and adds x,
 * returning 1; or returns 0 and sets *nbase, *ncap to a window the host must
 * allocate (sk_work_size(w->nq, *ncap)), fill with sk_rebuild(), then add x to.
 */
extern int	sk_add_slow(sk_work *w, double x, int32_t *nbase, int32_t *ncap);

/* copy src into dst (distinct, or equal with the same cap) with window [nbase, nbase+ncap) */
extern void sk_rebuild(const sk_work *src, sk_work *dst, int32_t nbase, int32_t ncap);

/* lowest and highest bucket in use; returns 0 when only zeros are counted */
extern int	sk_used_range(const sk_work *w, int32_t *lo, int32_t *hi);

/*
 * Merge b into a.  Returns SK_OK, SK_E_ALPHA_MISMATCH, SK_E_Q_MISMATCH,
 * SK_E_OVERFLOW, or -1 when a's window is too small: then *nbase and *ncap say
 * which window to sk_rebuild() a into before calling again.
 */
extern int	sk_merge(sk_work *a, const sk_work *b, int32_t *nbase, int32_t *ncap);

/*
 * Value at rank ceil(p * count) (percentile_disc's rank), answered with its
 * bucket's representative value clamped to [min, max]; p = 0 -> min,
 * p = 1 -> max.  count must be > 0 and 0 <= p <= 1.
 */
extern double sk_quantile(const sk_work *w, double p);

/*
 * Share of values <= t, never overstated: the share of values in buckets that
 * lie entirely at or below t, so share(<= t / gamma) <= result <= share(<= t);
 * exact when t >= max or t < min.  t >= 0.
 */
extern double sk_share_at_most(const sk_work *w, double t);

/* compact form: upper bound of the payload size, and the encoder (returns bytes written) */
extern size_t sk_compact_bound(const sk_work *w);
extern size_t sk_compact_encode(const sk_work *w, uint8_t *out);

/*
 * Validate a compact payload completely; on SK_OK sets *nq and the window
 * (*base, *cap >= 1) that sk_compact_decode() needs.
 */
extern int	sk_compact_check(const uint8_t *buf, size_t len, int *nq, int32_t *base, int32_t *cap);
/* decode a payload that passed sk_compact_check() into w (sized by it) */
extern void sk_compact_decode(const uint8_t *buf, size_t len, sk_work *w, int32_t base, int32_t cap);

/* text form: upper bound of its length (with the NUL), formatter, parser */
extern size_t sk_text_bound(const sk_work *w);
extern size_t sk_text_format(const sk_work *w, char *out);

/*
 * Parse text (NUL-terminated).  With w == NULL only validates and sets *nq,
 * *base, *cap; then call again with w sized by sk_work_size(*nq, *cap).
 */
extern int	sk_text_parse(const char *s, sk_work *w, int *nq, int32_t *base, int32_t *cap);

#endif							/* SKETCH_CORE_H */
