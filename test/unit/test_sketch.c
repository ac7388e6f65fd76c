/*
 * test_sketch.c: unit tests of the pure-C quantile sketch core (sketch_core.c):
 * quantiles against exact percentile_disc on known and random inputs, the
 * alpha guarantee, collapse, merge associativity, both codecs' round trips and
 * their rejection of damaged input, and the attainment bound.
 */
#include "sketch_core.h"

#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...) \
	do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* the host's job, as the PostgreSQL glue does it: grow by building a copy */
static sk_work *
new_sketch(double alpha, int nq, const double *q)
{
	sk_work    *w = malloc(sk_work_size(nq, SK_INIT_CAP));

	sk_work_init(w, alpha, nq, q, SK_INIT_CAP);
	return w;
}

static sk_work *
add(sk_work *w, double x)
{
	int32_t		nb,
				nc;

	if (sk_add(w, x) || sk_add_slow(w, x, &nb, &nc))
		return w;
	{
		sk_work    *n = malloc(sk_work_size(w->nq, nc));

		sk_rebuild(w, n, nb, nc);
		free(w);
		if (!sk_add(n, x) && !sk_add_slow(n, x, &nb, &nc))
		{
			printf("FAIL: add after rebuild\n");
			exit(1);
		}
		return n;
	}
}

static sk_work *
merge(sk_work *a, const sk_work *b, int *err)
{
	int32_t		nb,
				nc;
	int			e = sk_merge(a, b, &nb, &nc);

	if (e == -1)
	{
		sk_work    *n = malloc(sk_work_size(a->nq, nc));

		sk_rebuild(a, n, nb, nc);
		free(a);
		a = n;
		e = sk_merge(a, b, &nb, &nc);
	}
	*err = e;
	return a;
}

static sk_work *
copy(const sk_work *w)
{
	sk_work    *n = new_sketch(w->alpha, w->nq, sk_q(w));
	int			e;

	n = merge(n, w, &e);
	return n;
}

/* same buckets, counts, min and max (sum may differ in its last bits) */
static int
same(const sk_work *a, const sk_work *b)
{
	int32_t		alo = 0,
				ahi = -1,
				blo = 0,
				bhi = -1;
	int			ha = sk_used_range(a, &alo, &ahi),
				hb = sk_used_range(b, &blo, &bhi);

	if (a->count != b->count || a->zeros != b->zeros || a->min != b->min || a->max != b->max ||
		a->alpha != b->alpha || ha != hb || alo != blo || ahi != bhi)
		return 0;
	for (int32_t i = alo; ha && i <= ahi; i++)
		if (sk_counts(a)[i - a->base] != sk_counts(b)[i - b->base])
			return 0;
	return 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* percentile_disc: the value at rank ceil(p n), p = 0 -> first */
static double
exact(const double *sorted, size_t n, double p)
{
	size_t		r = (size_t) ceil(p * (double) n);

	if (r < 1)
		r = 1;
	return sorted[r - 1];
}

static uint64_t rng = 88172645463325252ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double
normal(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static const double ps[] = {0, 0.001, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};
#define NPS (sizeof(ps) / sizeof(ps[0]))

static void
check_guarantee(const char *name, double *v, size_t n, double alpha)
{
	sk_work    *w = new_sketch(alpha, 0, NULL);
	double		worst = 0;

	for (size_t i = 0; i < n; i++)
		w = add(w, v[i]);
	qsort(v, n, sizeof(double), cmp_double);
	CHECK(w->count == n, "%s count", name);
	CHECK(sk_quantile(w, 0) == v[0], "%s p=0 is min", name);
	CHECK(sk_quantile(w, 1) == v[n - 1], "%s p=1 is max", name);
	for (size_t k = 0; k < NPS; k++)
	{
		double		x = exact(v, n, ps[k]);
		double		q = sk_quantile(w, ps[k]);

		CHECK(fabs(q - x) <= alpha * x * (1 + 1e-12), "%s p=%g: got %.17g, exact %.17g", name, ps[k], q, x);
		if (x > 0 && fabs(q - x) / x > worst)
			worst = fabs(q - x) / x;
	}
	/* every rank, not only the listed ones */
	for (size_t r = 1; r <= n; r += 1 + n / 997)
	{
		double		p = (double) r / (double) n;
		double		x = exact(v, n, p);
		double		q = sk_quantile(w, p);

		CHECK(fabs(q - x) <= alpha * x * (1 + 1e-12), "%s rank %zu: got %.17g, exact %.17g", name, r, q, x);
	}
	/* attainment: share(<= t/gamma) <= a <= share(<= t) */
	for (int k = 0; k < 50; k++)
	{
		double		t = v[(size_t) (uniform() * n)] * (0.9 + 0.2 * uniform());
		double		gamma = (1 + alpha) / (1 - alpha);
		double		a = sk_share_at_most(w, t);
		size_t		le = 0,
					le_g = 0;

		for (size_t i = 0; i < n; i++)
		{
			le += v[i] <= t;
			le_g += v[i] <= t / gamma;
		}
		CHECK(a <= (double) le / n + 1e-12 && a >= (double) le_g / n - 1e-12,
			  "%s attainment at %g: %g not in [%g, %g]", name, t, a, (double) le_g / n, (double) le / n);
	}
	CHECK(sk_share_at_most(w, v[n - 1]) == 1.0, "%s attainment at max", name);
	printf("%-12s n=%zu alpha=%g worst relative error %.3g%%\n", name, n, alpha, worst * 100);
	free(w);
}

static void
test_distributions(void)
{
	size_t		n = 200000;
	double	   *v = malloc(n * sizeof(double));

	for (size_t i = 0; i < n; i++)
		v[i] = exp(4 + 1.2 * normal());
	check_guarantee("lognormal", v, n, 0.01);
	for (size_t i = 0; i < n; i++)
		v[i] = uniform() < 0.7 ? 20 + 10 * uniform() : 3600 * 24 * uniform();
	check_guarantee("bimodal", v, n, 0.01);
	for (size_t i = 0; i < n; i++)
		v[i] = uniform() < 0.4 ? 0.0 : 1.0 / pow(uniform(), 1.5);
	check_guarantee("zeros+pareto", v, n, 0.02);
	for (size_t i = 0; i < n; i++)
		v[i] = floor(600 * uniform());	/* whole seconds, many ties */
	check_guarantee("integers", v, n, 0.002);
	for (size_t i = 0; i < 1000; i++)
		v[i] = 42.5;
	check_guarantee("one value", v, 1000, 0.01);
	v[0] = 7;
	check_guarantee("single", v, 1, 0.01);
	v[0] = 1e-300;
	v[1] = 1e300;
	check_guarantee("two extreme", v, 2, 0.3);
	v[0] = 4.9406564584124654e-324;
	v[1] = DBL_MAX;
	v[2] = 0;
	check_guarantee("limits", v, 3, 0.5);
	free(v);
}

static void
test_known(void)
{
	sk_work    *w = new_sketch(0.01, 0, NULL);

	for (int i = 1; i <= 100; i++)
		w = add(w, i);
	CHECK(w->count == 100 && w->sum == 5050 && w->min == 1 && w->max == 100, "stats of 1..100");
	CHECK(fabs(sk_quantile(w, 0.5) - 50) <= 0.5, "median of 1..100 %g", sk_quantile(w, 0.5));
	CHECK(fabs(sk_quantile(w, 0.95) - 95) <= 0.95, "p95 of 1..100 %g", sk_quantile(w, 0.95));
	CHECK(sk_quantile(w, 0.001) == 1, "p0.001 of 1..100 is min (clamped) %g", sk_quantile(w, 0.001));
	CHECK(sk_share_at_most(w, 100) == 1.0 && sk_share_at_most(w, 0.5) == 0.0, "share bounds");
	/* the index mapping: increasing over all doubles, exact at powers of two */
	{
		int32_t		prev = INT32_MIN;
		double		k = 1 / (log1p(0.01) - log1p(-0.01));

		for (double x = 4.9406564584124654e-324; x < DBL_MAX / 1.001; x = fmax(x * 1.001, nextafter(x, 1)))
		{
			int32_t		i = sk_index(w, x);

			CHECK(i >= prev, "index decreases at %g", x);
			prev = i;
		}
		for (int e = -1074; e <= 1023; e++)
			CHECK(sk_index(w, ldexp(1, e)) == (int32_t) ceil(e * k), "index of 2^%d", e);
		CHECK(sk_index(w, 1) == 0 && sk_index(w, 1.5) == (int32_t) ceil(0.5 * k), "index of 1 and 1.5");
	}
	/* -0 is a zero */
	w = add(w, -0.0);
	CHECK(w->zeros == 1 && signbit(w->min) == 0, "-0 counted as +0");
	free(w);
}

static void
test_merge(void)
{
	size_t		n = 30000;
	sk_work    *whole = new_sketch(0.01, 0, NULL);
	sk_work    *part[3];
	sk_work    *ab,
			   *bc;
	int			e;

	for (int k = 0; k < 3; k++)
		part[k] = new_sketch(0.01, 0, NULL);
	for (size_t i = 0; i < n; i++)
	{
		/* parts with disjoint ranges force windows to move and grow */
		int			k = (int) (uniform() * 3);
		double		x = k == 0 ? 0.001 * (1 + uniform()) : k == 1 ? uniform() < 0.1 ? 0 : 50 * uniform() : 1e5 * (1 + uniform());

		whole = add(whole, x);
		part[k] = add(part[k], x);
	}
	ab = merge(copy(part[0]), part[1], &e);
	CHECK(e == SK_OK, "merge ab");
	ab = merge(ab, part[2], &e);
	bc = merge(copy(part[2]), part[1], &e);
	bc = merge(bc, part[0], &e);
	CHECK(same(ab, whole), "(a+b)+c == whole");
	CHECK(same(bc, whole), "(c+b)+a == whole");
	for (size_t k = 0; k < NPS; k++)
		CHECK(sk_quantile(ab, ps[k]) == sk_quantile(whole, ps[k]), "merged quantile %g", ps[k]);

	/* different alpha or quantile lists refuse to merge */
	{
		sk_work    *o = new_sketch(0.02, 0, NULL);
		double		q1 = 0.5,
					q2 = 0.9;
		sk_work    *s1 = new_sketch(0.01, 1, &q1),
				   *s2 = new_sketch(0.01, 1, &q2);

		o = add(o, 1);
		s2 = add(s2, 1);
		ab = merge(ab, o, &e);
		CHECK(e == SK_E_ALPHA_MISMATCH, "alpha mismatch %d", e);
		s1 = merge(s1, s2, &e);
		CHECK(e == SK_E_Q_MISMATCH, "q mismatch %d", e);
		free(o);
		free(s1);
		free(s2);
	}
	/* count overflow */
	{
		sk_work    *x = new_sketch(0.01, 0, NULL);

		x = add(x, 1);
		x->count = SK_MAX_COUNT;
		x->zeros = SK_MAX_COUNT - 1;
		x = merge(x, whole, &e);
		CHECK(e == SK_E_OVERFLOW, "count overflow %d", e);
		free(x);
	}
	free(ab);
	free(bc);
	free(whole);
	for (int k = 0; k < 3; k++)
		free(part[k]);
}

static void
test_collapse(void)
{
	/* 1e-300 .. 1e300 at alpha 0.01 needs ~69000 buckets: the low ones collapse */
	sk_work    *w = new_sketch(0.01, 0, NULL);
	sk_work    *p1 = new_sketch(0.01, 0, NULL),
			   *p2 = new_sketch(0.01, 0, NULL);
	size_t		n = 20000;
	double	   *v = malloc(n * sizeof(double));
	int32_t		lo,
				hi;
	int			e;

	for (size_t i = 0; i < n; i++)
	{
		v[i] = pow(10, -300 + 600 * uniform());
		w = add(w, v[i]);
		if (i % 2)
			p1 = add(p1, v[i]);
		else
			p2 = add(p2, v[i]);
	}
	CHECK(sk_used_range(w, &lo, &hi) && hi - lo + 1 <= SK_MAX_BINS, "span bounded: %d", hi - lo + 1);
	CHECK(w->cap <= SK_MAX_BINS, "cap bounded");
	CHECK(hi - lo + 1 == SK_MAX_BINS, "collapsed to the full span");
	p1 = merge(p1, p2, &e);
	CHECK(e == SK_OK && same(p1, w), "merge after collapse equals whole");
	qsort(v, n, sizeof(double), cmp_double);
	/* quantiles whose true value lies in an uncollapsed bucket keep the guarantee */
	for (size_t k = 0; k < NPS; k++)
	{
		double		x = exact(v, n, ps[k]);
		double		q = sk_quantile(w, ps[k]);

		if (sk_index(w, x) > lo)
			CHECK(fabs(q - x) <= 0.01 * x * (1 + 1e-12), "collapsed p=%g: %g vs %g", ps[k], q, x);
	}
	CHECK(sk_quantile(w, 0) == v[0] && sk_quantile(w, 1) == v[n - 1], "collapsed min/max exact");
	/* a steadily rising series collapses on the fly, one bucket at a time */
	{
		sk_work    *r = new_sketch(0.5, 0, NULL);

		for (double x = 1e-300; x < 1e300; x *= 1.7)
			r = add(r, x);
		CHECK(sk_used_range(r, &lo, &hi) && hi - lo + 1 <= SK_MAX_BINS, "rising span");
		free(r);
	}
	free(v);
	free(w);
	free(p1);
	free(p2);
}

static sk_work *
from_compact(const uint8_t *buf, size_t len, int *err)
{
	int			nq;
	int32_t		base,
				cap;
	sk_work    *w;

	*err = sk_compact_check(buf, len, &nq, &base, &cap);
	if (*err)
		return NULL;
	w = malloc(sk_work_size(nq, cap));
	sk_compact_decode(buf, len, w, base, cap);
	return w;
}

static sk_work *
from_text(const char *s, int *err)
{
	int			nq;
	int32_t		base,
				cap;
	sk_work    *w;

	*err = sk_text_parse(s, NULL, &nq, &base, &cap);
	if (*err)
		return NULL;
	w = malloc(sk_work_size(nq, cap));
	*err = sk_text_parse(s, w, &nq, &base, &cap);
	return w;
}

static void
test_codecs(void)
{
	double		q[] = {0.5, 0.95, 0.1 + 0.2};
	sk_work    *w = new_sketch(0.01, 3, q);
	uint8_t    *buf;
	size_t		len;
	char	   *txt,
			   *txt2;
	sk_work    *d;
	int			e;

	for (int i = 0; i < 5000; i++)
		w = add(w, i % 10 == 0 ? 0 : exp(8 * normal()));
	w->sum = 0.1 + 0.2 + w->sum;	/* a sum that needs 17 digits */
	len = sk_compact_bound(w);
	buf = malloc(len);
	CHECK(sk_compact_encode(w, buf) == len, "encode length");
	d = from_compact(buf, len, &e);
	CHECK(e == SK_OK && d && same(d, w) && d->sum == w->sum && d->nq == 3 &&
		  memcmp(sk_q(d), q, sizeof q) == 0, "compact round trip (%s)", sk_strerror(e));
	printf("compact size of 5000 log-normal values: %zu bytes\n", len);

	txt = malloc(sk_text_bound(w));
	sk_text_format(w, txt);
	free(d);
	d = from_text(txt, &e);
	CHECK(e == SK_OK && d && same(d, w) && d->sum == w->sum && memcmp(sk_q(d), q, sizeof q) == 0,
		  "text round trip (%s)", sk_strerror(e));
	txt2 = malloc(sk_text_bound(d));
	sk_text_format(d, txt2);
	CHECK(strcmp(txt, txt2) == 0, "text canonical");

	/* every strict prefix of the compact form is rejected, and every one-byte change is safe */
	for (size_t k = 0; k < len; k++)
	{
		int			nq;
		int32_t		base,
					cap;

		CHECK(sk_compact_check(buf, k, &nq, &base, &cap) != SK_OK, "prefix %zu accepted", k);
	}
	for (size_t k = 0; k < len; k++)
	{
		uint8_t		save = buf[k];

		buf[k] ^= 0x5a;
		free(from_compact(buf, len, &e));
		buf[k] = save;
	}
	buf[0] = 2;
	free(from_compact(buf, len, &e));
	CHECK(e == SK_E_VERSION, "version byte %d", e);
	free(buf);
	free(txt);
	free(txt2);
	free(d);
	free(w);

	/* a small text sketch, written by hand as docs/sketch.md documents it */
	{
		const char *good = "v1 alpha=0.01 n=4 zeros=1 sum=7.5 min=0 max=4.5 bins=0:1,35:1,76:1";
		char		out[512];

		d = from_text(good, &e);
		CHECK(e == SK_OK, "hand-written text (%s)", sk_strerror(e));
		if (d)
		{
			sk_text_format(d, out);
			CHECK(strcmp(out, good) == 0, "hand-written text canonical: %s", out);
			CHECK(sk_quantile(d, 0.25) == 0 && sk_quantile(d, 1) == 4.5, "hand-written quantiles");
			free(d);
		}
	}
	{
		struct
		{
			const char *s;
			int			e;
		}			bad[] = {
			{"", SK_E_SYNTAX},
			{"v2 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1", SK_E_VERSION},
			{"v1 alpha=0.9 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1", SK_E_ALPHA},
			{"v1 alpha=nan n=1 zeros=0 sum=1 min=1 max=1 bins=0:1", SK_E_SYNTAX},
			{"v1 alpha=0.01 n=0 zeros=0 sum=0 min=0 max=0 bins=", SK_E_COUNT},
			{"v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=0:1", SK_E_COUNT},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:0", SK_E_COUNT},
			{"v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=1:1,0:1", SK_E_ORDER},
			{"v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=0:1,4096:1", SK_E_SPAN},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=999999999:1", SK_E_INDEX},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=99999999999999:1", SK_E_INDEX},
			{"v1 alpha=0.01 n=99999999999999999999 zeros=0 sum=1 min=1 max=1 bins=0:1", SK_E_OVERFLOW},
			{"v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=0:9223372036854775807,1:9223372036854775807", SK_E_OVERFLOW},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=2 max=1 bins=0:1", SK_E_VALUE},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=-1 max=1 bins=0:1", SK_E_VALUE},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=inf bins=0:1", SK_E_VALUE},
			{"v1 alpha=0.01 n=1 zeros=1 sum=0 min=1 max=1 bins=", SK_E_VALUE},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 p=1.5 bins=0:1", SK_E_QUANTILE},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1 ", SK_E_SYNTAX},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1,", SK_E_SYNTAX},
			{"v1  alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1", SK_E_SYNTAX},
			{"v1 alpha=0.01 n=1 zeros=0 sum= 1 min=1 max=1 bins=0:1", SK_E_SYNTAX},
			{"v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1", SK_E_SYNTAX},
		};

		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		{
			free(from_text(bad[k].s, &e));
			CHECK(e == bad[k].e, "text '%s': got %d (%s), want %d", bad[k].s, e, sk_strerror(e), bad[k].e);
		}
	}
}

int
main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_known();
	test_distributions();
	test_merge();
	test_collapse();
	test_codecs();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("all sketch core tests passed\n");
	return 0;
}
