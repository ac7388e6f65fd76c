/*
 * guards_core.c: distributions and intervals for csat's statistical guards.
 *
 * Normal, binomial, Student t and gamma quantiles, the rank interval of a
 * sample quantile, Garwood's Poisson interval and the MOVER intervals of a
 * difference and a ratio.  Pure C (see guards_core.h); the incomplete beta and
 * gamma functions follow the continued fractions of Numerical Recipes (modified
 * Lentz), and every inversion is a Newton iteration kept inside a bracket, so
 * it cannot diverge.
 */
#include "guards_core.h"

#include <float.h>
#include <math.h>

#define GD_EPS		1e-15
#define GD_TINY		1e-300

/* ---- normal ---------------------------------------------------------------- */

/*
 * Acklam's rational approximation (relative error 1.15e-9), then two Halley
 * steps on erfc, which bring it to full double precision.
 */
double
gd_norm_quantile(double q)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
	1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
	6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
	-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
	3.754408661907416e+00};
	double		x,
				r;

	if (q <= 0.0)
		return -INFINITY;
	if (q >= 1.0)
		return INFINITY;
	if (q < 0.02425 || q > 1.0 - 0.02425)
	{
		r = sqrt(-2.0 * log(q < 0.5 ? q : 1.0 - q));
		x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
			((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0);
		if (q > 0.5)
			x = -x;
	}
	else
	{
		double		s;

		r = q - 0.5;
		s = r * r;
		x = (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r /
			(((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1.0);
	}
	for (int i = 0; i < 2; i++)
	{
		/* Phi(x) - q, from the tail x lies in, so small tails stay precise */
		double		e = x < 0 ? 0.5 * erfc(-x / M_SQRT2) - q : (1.0 - q) - 0.5 * erfc(x / M_SQRT2);
		double		u;

		u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
		x = x - u / (1.0 + x * u / 2.0);
	}
	return x;
}

/* ---- binomial -------------------------------------------------------------- */

/*
 * Exact: the probabilities relative to the one at the mode, by the ratio
 * P(k+1)/P(k) = (n-k)/(k+1) * p/(1-p), walked out from the mode until they
 * fall below 1e-17 of the running total (the rest cannot move a quantile), so
 * the cost is a few dozen standard deviations, not n.
 */
static int64_t
binom_exact(int64_t n, double p, double q)
{
	int64_t		m = (int64_t) floor((double) (n + 1) * p);
	double		up_ratio = p / (1.0 - p),
				down_ratio = (1.0 - p) / p,
				t = 1.0,
				total = 1.0,
				target,
				cum = 0.0;
	int64_t		k;

	if (m > n)
		m = n;
	for (k = m; k < n; k++)
	{
		t *= (double) (n - k) / (double) (k + 1) * up_ratio;
		total += t;
		if (t < total * 1e-17)
			break;
	}
	t = 1.0;
	for (k = m; k > 0; k--)
	{
		double		next = t * (double) k / (double) (n - k + 1) * down_ratio;

		if (next < total * 1e-17)
			break;
		t = next;
		total += t;
	}
	/* k is now the lowest counted value, t its relative probability */
	target = q * total * (1.0 - 64.0 * DBL_EPSILON);	/* ties: qbinom's fuzz */
	for (;; k++)
	{
		cum += t;
		if (cum >= target || k >= n)
			return k;
		t *= (double) (n - k) / (double) (k + 1) * up_ratio;
	}
}

int64_t
gd_binom_quantile(int64_t n, double p, double q)
{
	double		k;

	if (n <= 0 || p <= 0.0)
		return 0;
	if (p >= 1.0)
		return n;
	if (n <= GD_BINOM_EXACT_MAX)
		return binom_exact(n, p, q);
	k = ceil((double) n * p + gd_norm_quantile(q) * sqrt((double) n * p * (1.0 - p)) - 0.5);
	if (k < 0)
		return 0;
	if (k > (double) n)
		return n;
	return (int64_t) k;
}

double
gd_binom_cdf(int64_t n, double p, int64_t k)
{
	double		s = 0.0;

	if (k < 0)
		return 0.0;
	if (k >= n || p <= 0.0)
		return 1.0;
	if (p >= 1.0)
		return 0.0;
	for (int64_t i = 0; i <= k; i++)
		s += exp(lgamma((double) n + 1) - lgamma((double) i + 1) - lgamma((double) (n - i) + 1) +
				 (double) i * log(p) + (double) (n - i) * log1p(-p));
	return s > 1.0 ? 1.0 : s;
}

void
gd_rank_interval(int64_t n, double p, double c, int64_t *lo, int64_t *hi)
{
	*lo = gd_binom_quantile(n, p, (1.0 - c) / 2.0);
	*hi = gd_binom_quantile(n, p, (1.0 + c) / 2.0) + 1;
}

/* ---- incomplete beta and Student t ------------------------------------------ */

/* continued fraction of I_x(a, b), modified Lentz */
static double
beta_cf(double a, double b, double x)
{
	int			maxit = 1000 + (int) (20.0 * sqrt(fmax(a, b)));
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0,
				c = 1.0,
				d = 1.0 - qab * x / qap,
				h;

	if (fabs(d) < GD_TINY)
		d = GD_TINY;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m <= maxit; m++)
	{
		int			m2 = 2 * m;
		double		aa = m * (b - m) * x / ((qam + m2) * (a + m2)),
					del;

		d = 1.0 + aa * d;
		if (fabs(d) < GD_TINY)
			d = GD_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < GD_TINY)
			c = GD_TINY;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < GD_TINY)
			d = GD_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < GD_TINY)
			c = GD_TINY;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < GD_EPS)
			break;
	}
	return h;
}

double
gd_beta_inc(double a, double b, double x)
{
	double		bt;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1.0) / (a + b + 2.0))
		return bt * beta_cf(a, b, x) / a;
	return 1.0 - bt * beta_cf(b, a, 1.0 - x) / b;
}

/* P(T > t) for t >= 0 */
static double
t_upper_tail(double t, double df)
{
	return 0.5 * gd_beta_inc(df / 2.0, 0.5, df / (df + t * t));
}

double
gd_t_cdf(double t, double df)
{
	return t >= 0 ? 1.0 - t_upper_tail(t, df) : t_upper_tail(-t, df);
}

static double
t_density(double t, double df)
{
	return exp(lgamma((df + 1.0) / 2.0) - lgamma(df / 2.0) - 0.5 * log(df * M_PI) -
			   (df + 1.0) / 2.0 * log1p(t * t / df));
}

/* Cornish-Fisher expansion of the t quantile in 1/df (A&S 26.7.5) */
static double
t_expansion(double z, double df)
{
	double		z2 = z * z,
				g1 = (z2 + 1.0) * z / 4.0,
				g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0,
				g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0,
				g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;

	return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

double
gd_t_quantile(double q, double df)
{
	double		tail,
				x,
				lo = 0.0,
				hi;

	if (q == 0.5)
		return 0.0;
	if (q < 0.5)
		return -gd_t_quantile(1.0 - q, df);
	if (q >= 1.0)
		return INFINITY;
	if (df >= GD_T_EXPANSION_DF)
		return t_expansion(gd_norm_quantile(q), df);
	if (df == 1.0)
		return tan(M_PI * (q - 0.5));
	if (df == 2.0)
		return (2.0 * q - 1.0) / sqrt(2.0 * q * (1.0 - q));
	/* solve P(T > x) = 1 - q on the tail, bracketed in [lo, hi] */
	tail = 1.0 - q;
	x = t_expansion(gd_norm_quantile(q), df);
	hi = fmax(x, 1.0);
	while (t_upper_tail(hi, df) > tail && hi < 1e300)
	{
		lo = hi;
		hi *= 2.0;
	}
	if (!(x > lo && x < hi))
		x = 0.5 * (lo + hi);
	for (int i = 0; i < 200; i++)
	{
		double		f = t_upper_tail(x, df) - tail,
					nx;

		if (f > 0)
			lo = x;
		else
			hi = x;
		nx = x + f / t_density(x, df);	/* d(tail)/dx = -density */
		if (!(nx > lo && nx < hi))
			nx = 0.5 * (lo + hi);
		if (fabs(nx - x) <= 1e-14 * fmax(1.0, fabs(x)))
			return nx;
		x = nx;
	}
	return x;
}

/* ---- incomplete gamma, gamma quantiles, Poisson ----------------------------- */

/* P(a, x) and Q(a, x) = 1 - P(a, x), each computed where it is precise */
static void
gamma_pq(double a, double x, double *p, double *q)
{
	int			maxit = 1000 + (int) (20.0 * sqrt(a));
	double		front;

	if (x <= 0.0)
	{
		*p = 0.0;
		*q = 1.0;
		return;
	}
	front = exp(-x + a * log(x) - lgamma(a));
	if (x < a + 1.0)
	{
		double		ap = a,
					del = 1.0 / a,
					sum = del;

		for (int n = 0; n < maxit; n++)
		{
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * GD_EPS)
				break;
		}
		*p = sum * front;
		*q = 1.0 - *p;
	}
	else
	{
		double		b = x + 1.0 - a,
					c = 1.0 / GD_TINY,
					d = 1.0 / b,
					h = d;

		for (int i = 1; i <= maxit; i++)
		{
			double		an = -i * (i - a),
						del;

			b += 2.0;
			d = an * d + b;
			if (fabs(d) < GD_TINY)
				d = GD_TINY;
			c = b + an / c;
			if (fabs(c) < GD_TINY)
				c = GD_TINY;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) < GD_EPS)
				break;
		}
		*q = front * h;
		*p = 1.0 - *q;
	}
}

double
gd_gamma_p(double a, double x)
{
	double		p,
				q;

	gamma_pq(a, x, &p, &q);
	return p;
}

double
gd_gamma_quantile(double a, double q)
{
	double		z = gd_norm_quantile(q),
				wh = 1.0 - 1.0 / (9.0 * a) + z / (3.0 * sqrt(a)),
				x,
				lo = 0.0,
				hi;
	int			upper = q > 0.5;

	x = wh > 0 ? a * wh * wh * wh : 0.0;
	if (a > GD_GAMMA_EXACT_MAX)
		return x;
	/* bracket, then Newton on the tail the quantile lies in */
	hi = fmax(x, 1.0);
	for (;;)
	{
		double		p,
					r;

		gamma_pq(a, hi, &p, &r);
		if (p >= q || hi > 1e300)
			break;
		lo = hi;
		hi *= 2.0;
	}
	if (!(x > lo && x < hi))
		x = 0.5 * (lo + hi);
	for (int i = 0; i < 200; i++)
	{
		double		p,
					r,
					f,
					dens = exp((a - 1.0) * log(x) - x - lgamma(a)),
					nx;

		gamma_pq(a, x, &p, &r);
		f = upper ? (1.0 - q) - r : p - q;	/* increasing in x either way */
		if (f < 0)
			lo = x;
		else
			hi = x;
		nx = x - f / dens;
		if (!(nx > lo && nx < hi))
			nx = 0.5 * (lo + hi);
		if (fabs(nx - x) <= 1e-14 * fmax(1e-300, fabs(x)))
			return nx;
		x = nx;
	}
	return x;
}

void
gd_poisson_bounds(double x, double c, double *lo, double *hi)
{
	*lo = x <= 0.0 ? 0.0 : gd_gamma_quantile(x, (1.0 - c) / 2.0);
	*hi = gd_gamma_quantile(x + 1.0, (1.0 + c) / 2.0);
}

/* ---- MOVER ------------------------------------------------------------------ */

void
gd_mover_diff(double v1, double l1, double u1, double v0, double l0, double u0,
			  double *d, double *lo, double *hi)
{
	*d = v1 - v0;
	*lo = *d - sqrt((v1 - l1) * (v1 - l1) + (u0 - v0) * (u0 - v0));
	*hi = *d + sqrt((u1 - v1) * (u1 - v1) + (v0 - l0) * (v0 - l0));
}

/*
 * The lower end solves (v1 - t v0)^2 = (v1 - l1)^2 + t^2 (u0 - v0)^2, i.e.
 * A t^2 - 2 B t + C = 0 with A = u0 (2 v0 - u0), B = v1 v0, C = l1 (2 v1 - l1):
 * t = C / (B + sqrt(B^2 - A C)), the form that stays finite as A -> 0; the
 * upper end the same with (u1, l0): t = (B + sqrt(B^2 - A C)) / A.
 */
int
gd_mover_ratio(double v1, double l1, double u1, double v0, double l0, double u0,
			   double *r, double *lo, double *hi)
{
	double		B = v1 * v0,
				A,
				C,
				D;

	if (isnan(v1) || isnan(l1) || isnan(u1) || isnan(v0) || isnan(l0) || isnan(u0) ||
		!(v0 > 0.0) || v1 < 0.0 || isinf(v0) || isinf(v1))
		return 0;
	*r = v1 / v0;
	/* raw figures (confidence NULL, zero-width sides): the raw ratio itself */
	if (l1 == v1 && u1 == v1 && l0 == v0 && u0 == v0)
	{
		*lo = *hi = *r;
		return 1;
	}

	C = l1 * (2.0 * v1 - l1);
	if (l1 == -INFINITY)
		*lo = -INFINITY;
	else if (C == 0.0)
		*lo = 0.0;
	else if (u0 == INFINITY)
		*lo = C > 0 ? 0.0 : -INFINITY;
	else
	{
		A = u0 * (2.0 * v0 - u0);
		D = B * B - A * C;
		/* a zero discriminant (e.g. an exact denominator end) may round below zero */
		if (D < 0.0 && D > -1e-12 * B * B)
			D = 0.0;
		*lo = D < 0 ? -INFINITY : C / (B + sqrt(D));
	}

	if (!(l0 > 0.0) || u1 == INFINITY)
		*hi = INFINITY;
	else
	{
		A = l0 * (2.0 * v0 - l0);
		C = u1 * (2.0 * v1 - u1);
		D = fmax(0.0, B * B - A * C);
		*hi = (B + sqrt(D)) / A;
	}
	return 1;
}
