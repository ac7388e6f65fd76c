/*
 * guards_core.h: the pure-C statistics behind csat's interval guards
 * (csat.percentile_bounds, csat.kpi_bounds, csat.change_bounds).
 *
 * No PostgreSQL headers: linked into csat.so and into the unit test
 * test/unit/test_guards.c.  Every function is a plain computation on doubles;
 * none allocates.  Probabilities are lower-tail: q in (0, 1) asks for the
 * value x with P(X <= x) = q (the smallest such x for discrete X).
 */
#ifndef GUARDS_CORE_H
#define GUARDS_CORE_H

#include <stdint.h>

/*
 * Binomial(n, p) quantiles are exact (a sum of the probabilities, walked out
 * from the mode) up to this n, and from the normal approximation with
 * continuity correction above it: ceil(n p + z_q sqrt(n p (1 - p)) - 1/2).
 */
#define GD_BINOM_EXACT_MAX	1000000

/*
 * Student t quantiles come from a safeguarded Newton iteration on the t
 * distribution function (the regularized incomplete beta) up to this df, and
 * from the Cornish-Fisher expansion in 1/df (Abramowitz & Stegun 26.7.5,
 * four terms, error below 1e-9) above it.
 */
#define GD_T_EXPANSION_DF	200.0

/*
 * Gamma quantiles (Garwood's Poisson interval) are inverted exactly on the
 * regularized incomplete gamma up to this shape, and from the Wilson-Hilferty
 * approximation above it (relative error below 1e-7 there).
 */
#define GD_GAMMA_EXACT_MAX	100000.0

/* standard normal: lower-tail quantile, q in (0, 1) */
extern double gd_norm_quantile(double q);

/* the smallest k in [0, n] with P(Binomial(n, p) <= k) >= q; 0 <= p <= 1, 0 < q < 1 */
extern int64_t gd_binom_quantile(int64_t n, double p, double q);

/* P(Binomial(n, p) <= k), exact; for tests (O(n)) */
extern double gd_binom_cdf(int64_t n, double p, int64_t k);

/*
 * 1-based ranks of the order statistics bounding the p-quantile of n values
 * with two-sided confidence c: lo = qbinom((1-c)/2), hi = qbinom((1+c)/2) + 1.
 * A rank below 1 (lo) or above n (hi) means the bound is infinite.
 * P(X(lo) <= true quantile <= X(hi)) >= c for continuous data.
 */
extern void gd_rank_interval(int64_t n, double p, double c, int64_t *lo, int64_t *hi);

/* regularized incomplete beta I_x(a, b) and gamma P(a, x) */
extern double gd_beta_inc(double a, double b, double x);
extern double gd_gamma_p(double a, double x);

/* Student t with df > 0 degrees of freedom: distribution function and quantile */
extern double gd_t_cdf(double t, double df);
extern double gd_t_quantile(double q, double df);

/* Gamma(shape a > 0, scale 1) quantile, q in (0, 1) */
extern double gd_gamma_quantile(double a, double q);

/*
 * Garwood's exact interval of a Poisson mean from an observed count x >= 0 at
 * two-sided confidence c: [G(x, (1-c)/2), G(x+1, (1+c)/2)], G the gamma
 * quantile (low 0 when x = 0).
 */
extern void gd_poisson_bounds(double x, double c, double *lo, double *hi);

/*
 * MOVER interval of v1 - v0 from each estimate and its bounds (Newcombe's
 * hybrid score interval when the sides are Wilson intervals).
 */
extern void gd_mover_diff(double v1, double l1, double u1, double v0, double l0, double u0,
						  double *d, double *lo, double *hi);

/*
 * MOVER-R interval (Donner & Zou 2012) of the ratio v1 / v0; returns 0 when
 * it is undefined (v0 <= 0, v1 < 0 or a NaN), 1 otherwise.  l0 <= 0 makes the
 * upper end +Infinity (the baseline may be zero); a lower end without a real
 * root (l1 < 0 and u0 > 2 v0) is -Infinity.
 */
extern int	gd_mover_ratio(double v1, double l1, double u1, double v0, double l0, double u0,
						   double *r, double *lo, double *hi);

#endif							/* GUARDS_CORE_H */
