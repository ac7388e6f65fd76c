/*
 * guards.c: the statistical guards of KPI alerts (issue 13), the PostgreSQL
 * side of guards_core.c.
 *
 *   csat.percentile_bounds  distribution-free interval of a sketch's quantile
 *   csat.kpi_bounds         {value, low, high} of the figure a KPI rule judges,
 *                           for a state of csat.kpi_states, one method per measure
 *   csat.change_bounds      MOVER interval of a difference or a relative change
 *
 * Every interval is two-sided at the given confidence: each end is a
 * one-sided bound at (1 + confidence) / 2.
 */
#include "csat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "guards_core.h"

PG_FUNCTION_INFO_V1(csat_percentile_bounds);
PG_FUNCTION_INFO_V1(csat_kpi_bounds);
PG_FUNCTION_INFO_V1(csat_change_bounds);

/* a one-dimensional float8[] of n elements, NULL where isnull[i] */
static ArrayType *
float8_array(const double *v, const bool *isnull, int n)
{
	Datum		d[3];
	bool		nulls[3];
	int			dims[1] = {n},
				lbs[1] = {1};

	Assert(n <= 3);
	for (int i = 0; i < n; i++)
	{
		d[i] = Float8GetDatum(v[i]);
		nulls[i] = isnull != NULL && isnull[i];
	}
	return construct_md_array(d, nulls, 1, dims, lbs, FLOAT8OID, sizeof(float8),
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static void
check_confidence(double c)
{
	if (!(c > 0.0 && c < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must lie strictly between 0 and 1"),
				 errdetail("The confidence given was %g.", c)));
}

static void
check_percentile(double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("percentile must lie between 0 and 1"),
				 errdetail("The percentile given was %g.", p)));
}

/*
 * The p-quantile of a sketch and its interval.  The ranks come from
 * gd_rank_interval(); the value at rank r is the sketch's answer at
 * p = (r - 1/2) / n (sk_quantile's rank ceil(p n) is then exactly r), which
 * lies within alpha of the true order statistic, so the ends are widened to
 * v / (1 + alpha) and v / (1 - alpha).  Every order statistic lies in
 * [min, max], which the sketch keeps exactly: the widened ends are clamped
 * to them, and ranks 1 and n are min and max themselves.
 */
static void
percentile_interval(Datum sketch, double p, double c, double *value, double *lo, double *hi)
{
	int64		n,
				rl,
				rh;
	double		alpha,
				ps[5],
				q[5];
	const void *sk = csat_sketch_open(sketch, &n, &alpha);

	gd_rank_interval(n, p, c, &rl, &rh);
	ps[0] = 0.0;
	ps[1] = rl >= 1 && rl <= n ? ((double) rl - 0.5) / (double) n : 0.0;
	ps[2] = rh >= 1 && rh <= n ? ((double) rh - 0.5) / (double) n : 1.0;
	ps[3] = p;
	ps[4] = 1.0;
	for (int i = 0; i < 5; i++)
		q[i] = csat_sketch_value_at(sk, ps[i]);
	*value = q[3];
	if (rl < 1)
		*lo = -INFINITY;
	else
		*lo = rl == 1 ? q[0] : rl == n ? q[4] : fmax(q[0], q[1] / (1.0 + alpha));
	if (rh > n)
		*hi = INFINITY;
	else
		*hi = rh == 1 ? q[0] : rh == n ? q[4] : fmin(q[4], q[2] / (1.0 - alpha));
}

/* csat.percentile_bounds(sketch, p, confidence) -> {low, high} */
Datum
csat_percentile_bounds(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(1),
				c = PG_GETARG_FLOAT8(2),
				out[3];

	check_percentile(p);
	check_confidence(c);
	percentile_interval(PG_GETARG_DATUM(0), p, c, &out[2], &out[0], &out[1]);
	PG_RETURN_ARRAYTYPE_P(float8_array(out, NULL, 2));
}

/* t interval of a mean from effective n, the mean and the population variance */
static void
t_interval(double m, double var, double neff, double c, double *lo, double *hi)
{
	double		half;

	if (!(neff > 1.0))
	{
		*lo = -INFINITY;
		*hi = INFINITY;
		return;
	}
	/* sample variance var * neff / (neff - 1); standard error sqrt of it / neff */
	half = gd_t_quantile((1.0 + c) / 2.0, neff - 1.0) * sqrt(fmax(0.0, var) / (neff - 1.0));
	*lo = m - half;
	*hi = m + half;
}

static void
wilson_interval(double hits, double n, double c, double *lo, double *hi)
{
	double		z = csat_confidence_z(c);

	*lo = csat_wilson_bound(hits, n, z, false);
	*hi = csat_wilson_bound(hits, n, z, true);
}

static double
statistic_percentile(const char *s)
{
	if (strcmp(s, "p50") == 0)
		return 0.5;
	if (strcmp(s, "p90") == 0)
		return 0.9;
	if (strcmp(s, "p95") == 0)
		return 0.95;
	if (strcmp(s, "p99") == 0)
		return 0.99;
	return -1.0;
}

/*
 * csat.kpi_bounds(measure, scale, n, hits, misses, sum_w, sum_wx, sum_wx2,
 * sum_w2, promoters, detractors, sketch, statistic, confidence)
 * -> {value, low, high}; the state fields mean what they mean in
 * csat.kpi_figures (src/kpi_figures.c).
 *
 *   share      hits/n, Wilson score interval
 *   ratio      scale*hits/n, Garwood's exact Poisson interval of hits, times scale/n
 *   count      n, Garwood's interval of n (n = 0 gives {0, 0, -ln((1-c)/2)})
 *   mean, weighted_mean
 *              sum_wx/sum_w, t interval with Kish's effective n
 *              neff = sum_w^2/sum_w2, df = neff - 1, sample variance
 *              (sum_wx2/sum_w - mean^2) * neff/(neff - 1); neff <= 1: +/-Infinity
 *   nps        100*(promoters-detractors)/n, normal interval with the
 *              trinomial variance, clamped to [-100, 100]
 *   duration   statistic p50/p90/p95/p99 (NULL = p95): the sketch's quantile,
 *              csat.percentile_bounds; mean: sum_wx/n, t interval with n - 1
 *              df; attainment: hits/(hits+misses), Wilson
 *
 * No items (n = 0, an empty or NULL state) gives {NULL, NULL, NULL}; a NULL
 * confidence gives {value, value, value}, the raw comparison.
 */
Datum
csat_kpi_bounds(PG_FUNCTION_ARGS)
{
	const char *measure,
			   *stat = NULL;
	double		out[3] = {0, 0, 0},
				c = 0.95,
				n,
				hits,
				misses,
				p = 0.95;
	bool		nulls[3] = {true, true, true},
				naive = PG_ARGISNULL(13);

#define NUL(i)		PG_ARGISNULL(i)
#define ARG_F8(i)	PG_GETARG_FLOAT8(i)
#define ARG_I8(i)	((double) PG_GETARG_INT64(i))

	if (!naive)
	{
		c = PG_GETARG_FLOAT8(13);
		check_confidence(c);
	}
	if (!NUL(12))
	{
		stat = text_to_cstring(PG_GETARG_TEXT_PP(12));
		p = statistic_percentile(stat);
		if (p < 0 && strcmp(stat, "mean") != 0 && strcmp(stat, "attainment") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown statistic"),
					 errdetail("The statistic given was \"%s\"; it must be p50, p90, p95, p99, mean or attainment.", stat)));
	}
	if (NUL(0))
		PG_RETURN_ARRAYTYPE_P(float8_array(out, nulls, 3));
	measure = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(measure, "share") != 0 && strcmp(measure, "ratio") != 0 &&
		strcmp(measure, "count") != 0 && strcmp(measure, "mean") != 0 &&
		strcmp(measure, "weighted_mean") != 0 && strcmp(measure, "nps") != 0 &&
		strcmp(measure, "duration") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown measure"),
				 errdetail("The measure given was \"%s\"; it must be share, ratio, count, mean, weighted_mean, nps or duration.", measure)));
	if (NUL(2))
		PG_RETURN_ARRAYTYPE_P(float8_array(out, nulls, 3));
	n = ARG_I8(2);
	hits = NUL(3) ? NAN : ARG_I8(3);
	misses = NUL(4) ? NAN : ARG_I8(4);

#define SET(v, lo, hi)	(out[0] = (v), out[1] = (lo), out[2] = (hi), nulls[0] = nulls[1] = nulls[2] = false)

	if (strcmp(measure, "share") == 0)
	{
		if (n > 0 && !NUL(3) && hits >= 0 && hits <= n)
		{
			SET(hits / n, 0, 0);
			if (!naive)
				wilson_interval(hits, n, c, &out[1], &out[2]);
		}
	}
	else if (strcmp(measure, "ratio") == 0 || strcmp(measure, "count") == 0)
	{
		bool		ratio = measure[0] == 'r';
		double		x = ratio ? hits : n;

		if (x >= 0 && (!ratio || (n > 0 && !NUL(1))))
		{
			double		k = ratio ? ARG_F8(1) / n : 1.0;

			SET(k * x, 0, 0);
			if (!naive)
			{
				double		lo,
							hi;

				gd_poisson_bounds(x, c, &lo, &hi);
				/* a negative scale turns the interval around */
				out[1] = fmin(k * lo, k * hi);
				out[2] = fmax(k * lo, k * hi);
			}
		}
	}
	else if (strcmp(measure, "nps") == 0)
	{
		if (n > 0 && !NUL(9) && !NUL(10))
		{
			double		pr = ARG_I8(9),
						de = ARG_I8(10),
						v = (pr - de) / n;

			SET(100.0 * v, 0, 0);
			if (!naive)
			{
				double		r = csat_confidence_z(c) * sqrt(fmax(0.0, (pr + de) / n - v * v) / n);

				out[1] = fmax(-100.0, 100.0 * (v - r));
				out[2] = fmin(100.0, 100.0 * (v + r));
			}
		}
	}
	else if (strcmp(measure, "duration") == 0)
	{
		if (p >= 0)
		{
			if (n > 0 && !NUL(11))
			{
				SET(0, 0, 0);
				if (naive)
					csat_sketch_quantiles(PG_GETARG_DATUM(11), &p, 1, &out[0]);
				else
					percentile_interval(PG_GETARG_DATUM(11), p, c, &out[0], &out[1], &out[2]);
			}
		}
		else if (stat[0] == 'm')
		{
			if (n > 0 && !NUL(6))
			{
				double		m = ARG_F8(6) / n;

				SET(m, 0, 0);
				if (!naive && NUL(7))
					out[1] = -INFINITY, out[2] = INFINITY;
				else if (!naive)
					t_interval(m, ARG_F8(7) / n - m * m, n, c, &out[1], &out[2]);
			}
		}
		else if (!NUL(3) && !NUL(4) && hits >= 0 && misses >= 0 && hits + misses > 0)
		{
			SET(hits / (hits + misses), 0, 0);
			if (!naive)
				wilson_interval(hits, hits + misses, c, &out[1], &out[2]);
		}
	}
	else
	{
		/* mean, weighted_mean */
		double		sw = NUL(5) ? NAN : ARG_F8(5),
					sw2 = NUL(8) ? NAN : ARG_F8(8);

		if (n > 0 && sw > 0 && !NUL(6))
		{
			double		m = ARG_F8(6) / sw;

			SET(m, 0, 0);
			if (!naive && sw2 > 0 && !NUL(7))
				t_interval(m, ARG_F8(7) / sw - m * m, sw * sw / sw2, c, &out[1], &out[2]);
			else if (!naive)
				out[1] = -INFINITY, out[2] = INFINITY;
		}
	}
	if (naive && !nulls[0])
		out[1] = out[2] = out[0];
	PG_RETURN_ARRAYTYPE_P(float8_array(out, nulls, 3));
}

/*
 * csat.change_bounds(v1, l1, u1, v0, l0, u0, relative) -> {change, low, high}
 * of period 1 against period 0: MOVER for v1 - v0, MOVER-R for v1/v0 - 1
 * (NULL when v0 <= 0 or v1 < 0; +Infinity high when l0 <= 0).
 */
Datum
csat_change_bounds(PG_FUNCTION_ARGS)
{
	double		v1 = PG_GETARG_FLOAT8(0),
				l1 = PG_GETARG_FLOAT8(1),
				u1 = PG_GETARG_FLOAT8(2),
				v0 = PG_GETARG_FLOAT8(3),
				l0 = PG_GETARG_FLOAT8(4),
				u0 = PG_GETARG_FLOAT8(5),
				out[3];

	if (!PG_GETARG_BOOL(6))
		gd_mover_diff(v1, l1, u1, v0, l0, u0, &out[0], &out[1], &out[2]);
	else
	{
		if (!gd_mover_ratio(v1, l1, u1, v0, l0, u0, &out[0], &out[1], &out[2]))
			PG_RETURN_NULL();
		for (int i = 0; i < 3; i++)
			out[i] -= 1.0;
	}
	PG_RETURN_ARRAYTYPE_P(float8_array(out, NULL, 3));
}
