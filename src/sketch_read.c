/*
 * sketch_read.c: the accessors of a stored csat.sketch (percentile,
 * percentiles, attainment, count, mean, min, max) and the readers other C
 * files use (csat_sketch_quantiles, csat_sketch_open, csat_sketch_value_at).
 * The type's I/O and aggregates are in sketch.c.
 */
#include "csat.h"

#include <float.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "sketch_core.h"
#include "sketch_int.h"

PG_FUNCTION_INFO_V1(csat_sketch_percentile);
PG_FUNCTION_INFO_V1(csat_sketch_percentiles);
PG_FUNCTION_INFO_V1(csat_sketch_attainment);
PG_FUNCTION_INFO_V1(csat_sketch_count);
PG_FUNCTION_INFO_V1(csat_sketch_mean);
PG_FUNCTION_INFO_V1(csat_sketch_min);
PG_FUNCTION_INFO_V1(csat_sketch_max);

/* ---- accessors ---- */

Datum
csat_sketch_percentile(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);
	double		p = PG_GETARG_FLOAT8(1);

	csat_sketch_check_p(p);
	PG_RETURN_FLOAT8(sk_quantile(w, p));
}

/* for other C files: several quantiles of one sketch, decoded once */
void
csat_sketch_quantiles(Datum d, const double *p, int n, double *out)
{
	sk_work    *w = csat_sketch_read(d, false);

	for (int i = 0; i < n; i++)
	{
		csat_sketch_check_p(p[i]);
		out[i] = sk_quantile(w, p[i]);
	}
}

/*
 * For other C files: a sketch read once (how many values it holds, its
 * relative accuracy), then asked for quantiles with csat_sketch_value_at().
 */
const void *
csat_sketch_open(Datum d, int64 *count, double *alpha)
{
	sk_work    *w = csat_sketch_read(d, false);

	*count = (int64) w->count;
	*alpha = w->alpha;
	return w;
}

double
csat_sketch_value_at(const void *sketch, double p)
{
	csat_sketch_check_p(p);
	return sk_quantile((const sk_work *) sketch, p);
}

/* one answer per element, same shape as p; a NULL element answers NULL */
Datum
csat_sketch_percentiles(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		csat_sketch_check_p(DatumGetFloat8(elems[i]));
		elems[i] = Float8GetDatum(sk_quantile(w, DatumGetFloat8(elems[i])));
	}
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, ARR_NDIM(a), ARR_DIMS(a), ARR_LBOUND(a),
											 FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
											 TYPALIGN_DOUBLE));
}

Datum
csat_sketch_attainment(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);
	double		t = PG_GETARG_FLOAT8(1);

	if (!(t >= 0.0 && t <= DBL_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target must be a finite number of seconds >= 0, got %g", t)));
	PG_RETURN_FLOAT8(sk_share_at_most(w, t));
}

Datum
csat_sketch_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) csat_sketch_read(PG_GETARG_DATUM(0), false)->count);
}

Datum
csat_sketch_mean(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);

	PG_RETURN_FLOAT8(w->sum / (double) w->count);
}

Datum
csat_sketch_min(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(csat_sketch_read(PG_GETARG_DATUM(0), false)->min);
}

Datum
csat_sketch_max(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(csat_sketch_read(PG_GETARG_DATUM(0), false)->max);
}
