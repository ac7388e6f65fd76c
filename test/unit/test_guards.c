/*
 * test_guards.c: unit tests of the pure-C statistics core (guards_core.c):
 * normal, binomial, t and gamma quantiles against exact sums and table
 * values, both sides of every switch to an approximation, the coverage of the
 * order-statistic rank interval, Garwood's Poisson interval, and the MOVER
 * intervals on Newcombe's (1998) example.
 */
#include "guards_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int	failures = 0;

#define CHECK(cond, ...) \
	do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)
#define NEAR(got, want, tol) \
	CHECK(fabs((got) - (want)) <= (tol), "%s = %.10g, want %.10g (+/- %g)", #got, (double) (got), (double) (want), (double) (tol))

/* the defining property of a binomial quantile, from exact cumulative sums */
static void
check_binom(int64_t n, double p, double q)
{
	int64_t		k = gd_binom_quantile(n, p, q);

	CHECK(k >= 0 && k <= n, "qbinom(%g; %lld, %g) = %lld out of range", q, (long long) n, p, (long long) k);
	CHECK(gd_binom_cdf(n, p, k) >= q * (1 - 1e-12),
		  "qbinom(%g; %lld, %g) = %lld: cdf %.15g < q", q, (long long) n, p, (long long) k, gd_binom_cdf(n, p, k));
	CHECK(k == 0 || gd_binom_cdf(n, p, k - 1) < q,
		  "qbinom(%g; %lld, %g) = %lld: cdf(k-1) %.15g >= q", q, (long long) n, p, (long long) k, gd_binom_cdf(n, p, k - 1));
}

static void
test_normal(void)
{
	NEAR(gd_norm_quantile(0.975), 1.959963984540054, 1e-13);
	NEAR(gd_norm_quantile(0.5), 0.0, 1e-15);
	NEAR(gd_norm_quantile(0.025), -1.959963984540054, 1e-13);
	NEAR(gd_norm_quantile(0.995), 2.575829303548901, 1e-13);
	NEAR(gd_norm_quantile(1e-10), -6.361340902404056, 1e-10);
	NEAR(gd_norm_quantile(0.9), 1.281551565544601, 1e-13);
}

static void
test_binomial(void)
{
	static const int64_t ns[] = {1, 2, 3, 10, 57, 200, 1000, 4000};
	static const double ps[] = {0.01, 0.1, 0.5, 0.9, 0.95, 0.99};
	static const double qs[] = {0.001, 0.025, 0.05, 0.5, 0.95, 0.975, 0.999};

	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
		for (size_t j = 0; j < sizeof ps / sizeof *ps; j++)
			for (size_t k = 0; k < sizeof qs / sizeof *qs; k++)
				check_binom(ns[i], ps[j], qs[k]);
	/* n = 1: P(X = 0) = 1 - p */
	CHECK(gd_binom_quantile(1, 0.3, 0.69) == 0, "n=1 low");
	CHECK(gd_binom_quantile(1, 0.3, 0.71) == 1, "n=1 high");
	CHECK(gd_binom_quantile(1, 0.5, 0.5) == 0, "n=1 tie at q = cdf");
	/* p = 0 and p = 1 are degenerate */
	CHECK(gd_binom_quantile(50, 0.0, 0.975) == 0, "p=0");
	CHECK(gd_binom_quantile(50, 1.0, 0.025) == 50, "p=1");
	/* known values (R: qbinom(c(.025,.975), 1000, .95) = 936, 963) */
	CHECK(gd_binom_quantile(1000, 0.95, 0.025) == 936, "qbinom .025 1000 .95 = %lld", (long long) gd_binom_quantile(1000, 0.95, 0.025));
	CHECK(gd_binom_quantile(1000, 0.95, 0.975) == 963, "qbinom .975 1000 .95 = %lld", (long long) gd_binom_quantile(1000, 0.95, 0.975));

	/* both sides of the switch to the normal approximation agree within one */
	{
		int64_t		n = GD_BINOM_EXACT_MAX;
		int64_t		e = gd_binom_quantile(n, 0.95, 0.975),
					a = gd_binom_quantile(n + 1, 0.95, 0.975);

		CHECK(llabs(e - a) <= 1, "switch: exact %lld, normal %lld", (long long) e, (long long) a);
		/* the exact side is exact: its defining property on cdf sums (O(n), once) */
		check_binom(n, 0.95, 0.975);
	}
	/* huge n: normal branch, ceil(np + z sqrt(npq) - 1/2) */
	CHECK(gd_binom_quantile(100000000, 0.5, 0.975) == 50009800, "huge n: %lld",
		  (long long) gd_binom_quantile(100000000, 0.5, 0.975));
	CHECK(gd_binom_quantile(INT64_C(1) << 40, 0.99, 0.975) <= (INT64_C(1) << 40), "huge n in range");
}

/* coverage of the rank interval: exact binomial probability of l <= B <= u - 1 */
static void
test_ranks(void)
{
	int64_t		lo,
				hi;

	gd_rank_interval(1000, 0.95, 0.95, &lo, &hi);
	CHECK(lo == 936 && hi == 964, "ranks 1000 p95: [%lld, %lld]", (long long) lo, (long long) hi);
	gd_rank_interval(20, 0.99, 0.95, &lo, &hi);
	CHECK(hi > 20, "n=20 p99: upper rank %lld must exceed n", (long long) hi);
	gd_rank_interval(5, 0.5, 0.95, &lo, &hi);
	CHECK(lo == 0 && hi == 6, "n=5 median: [%lld, %lld] both infinite", (long long) lo, (long long) hi);
	for (int64_t n = 10; n <= 2000; n = n * 3 + 1)
	{
		static const double ps[] = {0.5, 0.9, 0.95, 0.99};

		for (int j = 0; j < 4; j++)
		{
			double		cov;

			gd_rank_interval(n, ps[j], 0.95, &lo, &hi);
			cov = gd_binom_cdf(n, ps[j], hi - 1) - gd_binom_cdf(n, ps[j], lo - 1);
			CHECK(cov >= 0.95, "coverage n=%lld p=%g: %g", (long long) n, ps[j], cov);
		}
	}
}

static void
test_t(void)
{
	/* t table, two-sided 95 % */
	NEAR(gd_t_quantile(0.975, 1), 12.706204736, 1e-6);
	NEAR(gd_t_quantile(0.975, 2), 4.302652730, 1e-6);
	NEAR(gd_t_quantile(0.975, 5), 2.570581836, 1e-6);
	NEAR(gd_t_quantile(0.975, 30), 2.042272456, 1e-6);
	NEAR(gd_t_quantile(0.975, 1000), 1.962339081, 1e-6);
	NEAR(gd_t_quantile(0.995, 10), 3.169272673, 1e-6);
	NEAR(gd_t_quantile(0.9, 3), 1.637744354, 1e-6);
	NEAR(gd_t_quantile(0.025, 5), -2.570581836, 1e-6);
	/* the iterated branch on exact forms: df 1 and 2 have closed forms, skipped there */
	NEAR(gd_t_cdf(12.706204736, 1), 0.975, 1e-9);
	NEAR(gd_t_cdf(4.302652730, 2), 0.975, 1e-9);
	NEAR(gd_t_quantile(0.975, 1.0000001), 12.706204736, 1e-4);
	/* both sides of the switch to the expansion */
	NEAR(gd_t_quantile(0.975, GD_T_EXPANSION_DF - 1e-9), gd_t_quantile(0.975, GD_T_EXPANSION_DF), 1e-9);
	NEAR(gd_t_quantile(0.9995, GD_T_EXPANSION_DF - 1e-9), gd_t_quantile(0.9995, GD_T_EXPANSION_DF), 1e-8);
	NEAR(gd_t_quantile(0.975, 1e9), 1.959963984540054, 1e-8);
	/* the cdf inverts the quantile */
	for (double df = 0.5; df < 300; df *= 1.7)
		NEAR(gd_t_cdf(gd_t_quantile(0.99, df), df), 0.99, 1e-9);
}

static void
test_poisson(void)
{
	double		lo,
				hi;

	gd_poisson_bounds(0, 0.95, &lo, &hi);
	NEAR(lo, 0.0, 0);
	NEAR(hi, 3.688879454, 1e-8);	/* -ln 0.025 */
	gd_poisson_bounds(10, 0.95, &lo, &hi);
	NEAR(lo, 4.795389, 1e-5);
	NEAR(hi, 18.390356, 1e-5);
	gd_poisson_bounds(1, 0.95, &lo, &hi);
	NEAR(lo, 0.025317808, 1e-8);	/* -ln 0.975 */
	NEAR(hi, 5.571643, 1e-5);
	NEAR(gd_gamma_p(3, 2), 1 - exp(-2) * (1 + 2 + 2), 1e-14);
	/* both sides of the switch to Wilson-Hilferty */
	{
		double		a = GD_GAMMA_EXACT_MAX,
					e = gd_gamma_quantile(a, 0.975),
					w = gd_gamma_quantile(a + 1e-6, 0.975);

		CHECK(fabs(e - w) / e < 1e-7, "gamma switch: exact %.10g, approx %.10g", e, w);
		NEAR(gd_gamma_p(a, e), 0.975, 1e-9);
		e = gd_gamma_quantile(a, 0.025);
		w = gd_gamma_quantile(a + 1e-6, 0.025);
		CHECK(fabs(e - w) / e < 1e-7, "gamma switch low: exact %.10g, approx %.10g", e, w);
	}
	gd_poisson_bounds(1e7, 0.95, &lo, &hi);
	CHECK(lo < 1e7 && hi > 1e7 && fabs((hi - 1e7) - 1.96 * sqrt(1e7)) < 10, "large count [%g, %g]", lo, hi);
}

static void
wilson(double x, double n, double z, double *lo, double *hi)
{
	double		p = x / n,
				z2n = z * z / n,
				c = (p + z2n / 2) / (1 + z2n),
				h = z / (1 + z2n) * sqrt(p * (1 - p) / n + z2n / (4 * n));

	*lo = c - h;
	*hi = c + h;
}

static void
test_mover(void)
{
	double		z = gd_norm_quantile(0.975),
				l1, u1, l0, u0, d, lo, hi, r;

	/* Newcombe (1998), Stat Med 17:873, example (e): 56/70 - 48/80, method 10 */
	wilson(56, 70, z, &l1, &u1);
	wilson(48, 80, z, &l0, &u0);
	gd_mover_diff(0.8, l1, u1, 0.6, l0, u0, &d, &lo, &hi);
	NEAR(d, 0.2, 1e-15);
	NEAR(lo, 0.0524, 5e-5);
	NEAR(hi, 0.3339, 5e-5);
	/* infinite sides make infinite ends */
	gd_mover_diff(1, -INFINITY, 2, 1, 0.5, 1.5, &d, &lo, &hi);
	CHECK(lo == -INFINITY && isfinite(hi), "mover diff with -inf: [%g, %g]", lo, hi);

	/* MOVER-R on the same data: the ends solve the defining equations */
	CHECK(gd_mover_ratio(0.8, l1, u1, 0.6, l0, u0, &r, &lo, &hi), "ratio defined");
	NEAR(r, 0.8 / 0.6, 1e-15);
	NEAR((0.8 - lo * 0.6) * (0.8 - lo * 0.6), (0.8 - l1) * (0.8 - l1) + lo * lo * (u0 - 0.6) * (u0 - 0.6), 1e-12);
	NEAR((0.8 - hi * 0.6) * (0.8 - hi * 0.6), (u1 - 0.8) * (u1 - 0.8) + hi * hi * (0.6 - l0) * (0.6 - l0), 1e-12);
	CHECK(lo < r && r < hi, "ratio inside [%g, %g]", lo, hi);
	/* Donner & Zou (2012) eq. for L and U as printed (not rationalized), by hand */
	NEAR(lo, 1.0782946, 1e-6);
	NEAR(hi, 1.6629200, 1e-6);
	/* an exact numerator gives v1/u0 and v1/l0 */
	gd_mover_ratio(2, 2, 2, 4, 3, 5, &r, &lo, &hi);
	NEAR(lo, 2.0 / 5, 1e-14);
	NEAR(hi, 2.0 / 3, 1e-14);
	/* baseline that may be zero: no upper end; undefined for v0 <= 0 or v1 < 0 */
	CHECK(gd_mover_ratio(2, 1, 3, 4, 0, 8, &r, &lo, &hi) && hi == INFINITY, "l0 = 0 -> +inf, got %g", hi);
	CHECK(!gd_mover_ratio(2, 1, 3, 0, -1, 1, &r, &lo, &hi), "v0 = 0 undefined");
	CHECK(!gd_mover_ratio(-1, -2, 0, 1, 0.5, 1.5, &r, &lo, &hi), "v1 < 0 undefined");
	CHECK(gd_mover_ratio(2, -1, 3, 1, 0.5, 2.5, &r, &lo, &hi) && lo == -INFINITY, "no real lower root -> -inf, got %g", lo);
	CHECK(gd_mover_ratio(0, 0, 0.1, 1, 0.5, 1.5, &r, &lo, &hi) && lo == 0 && hi > 0, "v1 = 0: [%g, %g]", lo, hi);
	/* raw figures (zero-width sides) give the raw ratio, not -inf from a rounded discriminant */
	for (int k = 1; k <= 1000; k++)
	{
		double		a1 = 300.0 + 0.37 * k + 1.0 / 3.0,
					a0 = 200.0 + 0.13 * k + 1.0 / 7.0;

		gd_mover_ratio(a1, a1, a1, a0, a0, a0, &r, &lo, &hi);
		CHECK(lo == r && hi == r, "exact sides %.17g/%.17g: [%.17g, %.17g], ratio %.17g", a1, a0, lo, hi, r);
	}
}

int
main(void)
{
	test_normal();
	test_binomial();
	test_ranks();
	test_t();
	test_poisson();
	test_mover();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
