/*
 * csat.c: the module's magic block and small helpers shared by the families.
 */
#include "csat.h"

#include <math.h>

PG_MODULE_MAGIC;

double
csat_interval_seconds(const Interval *iv)
{
	/* mirrors interval_part_common()'s EPOCH case */
	double		s = iv->time / 1000000.0;

	s += ((double) DAYS_PER_YEAR * SECS_PER_DAY) * (iv->month / MONTHS_PER_YEAR);
	s += ((double) DAYS_PER_MONTH * SECS_PER_DAY) * (iv->month % MONTHS_PER_YEAR);
	s += ((double) SECS_PER_DAY) * iv->day;
	return s;
}

double
csat_interval_arg_seconds(const Interval *iv, const char *what)
{
#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite interval", what)));
#endif
	return csat_interval_seconds(iv);
}

/*
 * z such that P(|Z| <= z) = confidence.  Bisection on erfc is slow-ish but
 * exact to the last bit and needs no approximation tables; the last answer is
 * cached because callers ask for the same confidence over and over.
 */
double
csat_confidence_z(double confidence)
{
	static double last_conf = -1.0;
	static double last_z = 0.0;
	double		lo = 0.0,
				hi = 40.0;
	double		tail = 1.0 - confidence;	/* P(|Z| > z) = erfc(z / sqrt 2) */

	if (confidence == last_conf)
		return last_z;
	for (int i = 0; i < 200 && hi - lo > 0; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (mid == lo || mid == hi)
			break;
		if (erfc(mid / M_SQRT2) > tail)
			lo = mid;
		else
			hi = mid;
	}
	last_conf = confidence;
	last_z = 0.5 * (lo + hi);
	return last_z;
}

double
csat_wilson_bound(double successes, double n, double z, bool upper)
{
	double		p = successes / n;
	double		z2n = z * z / n;
	double		center = (p + z2n / 2.0) / (1.0 + z2n);
	double		half = z / (1.0 + z2n) * sqrt(p * (1.0 - p) / n + z2n / (4.0 * n));
	double		b = upper ? center + half : center - half;

	if (b < 0.0 || (successes == 0 && !upper))
		b = 0.0;
	if (b > 1.0 || (successes == n && upper))
		b = 1.0;
	return b;
}
