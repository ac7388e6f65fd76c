/*
 * scores.c: the score KPI aggregates and their scalar helpers.
 *
 * Count-based aggregates (csat_rate, nps, rate, sla_attainment) keep an int8[]
 * of counters as their state, {n, hits} or {n, promoters, detractors}: a
 * concrete type, so Citus can split them into partial aggregates on its
 * workers, and one whose counts add exactly, so the combine function and the
 * moving-aggregate inverse are exact.  weighted_score keeps Neumaier-
 * compensated sums in a small fixed-size type of ours, csat.weighted_state.  As in core's int4_avg_accum, the state is
 * updated in place when called as an aggregate (it lives in the aggregate
 * context and nobody else holds it), and copied first otherwise.
 */
#include "csat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

PG_FUNCTION_INFO_V1(csat_counts_combine);
PG_FUNCTION_INFO_V1(csat_share_final);
PG_FUNCTION_INFO_V1(csat_nps_final);
PG_FUNCTION_INFO_V1(csat_rate_int_accum);
PG_FUNCTION_INFO_V1(csat_rate_int_inv);
PG_FUNCTION_INFO_V1(csat_rate_float_accum);
PG_FUNCTION_INFO_V1(csat_rate_float_inv);
PG_FUNCTION_INFO_V1(csat_nps_accum);
PG_FUNCTION_INFO_V1(csat_nps_inv);
PG_FUNCTION_INFO_V1(csat_flag_accum);
PG_FUNCTION_INFO_V1(csat_flag_inv);
PG_FUNCTION_INFO_V1(csat_attain_accum);
PG_FUNCTION_INFO_V1(csat_attain_inv);
PG_FUNCTION_INFO_V1(csat_attain_iv_accum);
PG_FUNCTION_INFO_V1(csat_attain_iv_inv);
PG_FUNCTION_INFO_V1(csat_weighted_accum);
PG_FUNCTION_INFO_V1(csat_weighted_combine);
PG_FUNCTION_INFO_V1(csat_weighted_final);
PG_FUNCTION_INFO_V1(csat_complaint_rate);
PG_FUNCTION_INFO_V1(csat_wilson_lower);
PG_FUNCTION_INFO_V1(csat_wilson_upper);

/* ERROR unless a is a one-dimensional elemtype array of len (0: 2 or 3) elements without NULLs */
static void
check_state_array(ArrayType *a, Oid elemtype, int len)
{
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != elemtype ||
		(len > 0 && ARR_DIMS(a)[0] != len) || ARR_DIMS(a)[0] < 2 || ARR_DIMS(a)[0] > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid csat aggregate state"),
				 errdetail("The state must be a one-dimensional %s array of %d elements without NULLs.",
						   format_type_be(elemtype), len > 0 ? len : 3)));
}

/*
 * The state array of argument argno, checked for the shape we rely on, and
 * copied unless we are inside an aggregate (where updating in place is safe).
 */
static ArrayType *
state_array(FunctionCallInfo fcinfo, int argno, Oid elemtype, int len)
{
	ArrayType  *a;
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));

	/* the per-row path: our own plain state in the aggregate context */
	if (likely(!VARATT_IS_EXTENDED(v)) && AggCheckCallContext(fcinfo, NULL))
		a = (ArrayType *) v;
	else if (AggCheckCallContext(fcinfo, NULL))
		a = PG_GETARG_ARRAYTYPE_P(argno);
	else
		a = PG_GETARG_ARRAYTYPE_P_COPY(argno);
	check_state_array(a, elemtype, len);
	return a;
}

#define COUNTS(a) ((int64 *) ARR_DATA_PTR(a))

/* ---- count states: combine and finals -------------------------------- */

Datum
csat_counts_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = state_array(fcinfo, 0, INT8OID, 0);
	ArrayType  *b = state_array(fcinfo, 1, INT8OID, ARR_DIMS(a)[0]);
	int64	   *x = COUNTS(a);
	int64	   *y = COUNTS(b);

	for (int i = 0; i < ARR_DIMS(a)[0]; i++)
		if (pg_add_s64_overflow(x[i], y[i], &x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
	PG_RETURN_ARRAYTYPE_P(a);
}

/* {n, hits} -> hits / n, NULL when n = 0 */
Datum
csat_share_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *c;

	check_state_array(a, INT8OID, 2);
	c = COUNTS(a);
	if (c[0] <= 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) c[1] / (double) c[0]);
}

/* {n, promoters, detractors} -> 100 * (promoters - detractors) / n */
Datum
csat_nps_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *c;

	check_state_array(a, INT8OID, 3);
	c = COUNTS(a);
	if (c[0] <= 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(100.0 * ((double) c[1] - (double) c[2]) / (double) c[0]);
}

/* ---- per-row steps ---------------------------------------------------- */

static inline int32
checked_score(int32 s, int32 lo, int32 hi)
{
	if (unlikely(s < lo || s > hi))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("score %d is out of range", s),
				 errdetail("Scores on this scale must be between %d and %d.", lo, hi)));
	return s;
}

static inline double
checked_finite(double v, const char *what)
{
	if (unlikely(isnan(v) || isinf(v)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", what),
				 errdetail("The value was %s.", float8out_internal(v))));
	return v;
}

static inline double
checked_duration(double v, const char *what)
{
	checked_finite(v, what);
	if (unlikely(v < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", what),
				 errdetail("The value was %s seconds.", float8out_internal(v))));
	return v;
}

/* counts of a two-counter state: n += sign, hits += sign * hit */
static Datum
step2(FunctionCallInfo fcinfo, bool hit, int sign)
{
	ArrayType  *a = state_array(fcinfo, 0, INT8OID, 2);
	int64	   *c = COUNTS(a);

	c[0] += sign;
	c[1] += hit ? sign : 0;
	PG_RETURN_ARRAYTYPE_P(a);
}

Datum
csat_rate_int_accum(PG_FUNCTION_ARGS)
{
	return step2(fcinfo, checked_score(PG_GETARG_INT32(1), 1, 5) >= 4, 1);
}

Datum
csat_rate_int_inv(PG_FUNCTION_ARGS)
{
	return step2(fcinfo, PG_GETARG_INT32(1) >= 4, -1);
}

Datum
csat_rate_float_accum(PG_FUNCTION_ARGS)
{
	double		s = checked_finite(PG_GETARG_FLOAT8(1), "score");
	double		m = checked_finite(PG_GETARG_FLOAT8(2), "satisfied_min");

	return step2(fcinfo, s >= m, 1);
}

Datum
csat_rate_float_inv(PG_FUNCTION_ARGS)
{
	return step2(fcinfo, PG_GETARG_FLOAT8(1) >= PG_GETARG_FLOAT8(2), -1);
}

Datum
csat_flag_accum(PG_FUNCTION_ARGS)
{
	return step2(fcinfo, PG_GETARG_BOOL(1), 1);
}

Datum
csat_flag_inv(PG_FUNCTION_ARGS)
{
	return step2(fcinfo, PG_GETARG_BOOL(1), -1);
}

Datum
csat_attain_accum(PG_FUNCTION_ARGS)
{
	double		e = checked_duration(PG_GETARG_FLOAT8(1), "elapsed time");
	double		t = checked_duration(PG_GETARG_FLOAT8(2), "target");

	return step2(fcinfo, e <= t, 1);
}

Datum
csat_attain_inv(PG_FUNCTION_ARGS)
{
	return step2(fcinfo, PG_GETARG_FLOAT8(1) <= PG_GETARG_FLOAT8(2), -1);
}

Datum
csat_attain_iv_accum(PG_FUNCTION_ARGS)
{
	double		e = csat_interval_arg_seconds(PG_GETARG_INTERVAL_P(1), "elapsed time");
	double		t = csat_interval_arg_seconds(PG_GETARG_INTERVAL_P(2), "target");

	checked_duration(e, "elapsed time");
	checked_duration(t, "target");

	return step2(fcinfo, e <= t, 1);
}

Datum
csat_attain_iv_inv(PG_FUNCTION_ARGS)
{
	double		e = csat_interval_arg_seconds(PG_GETARG_INTERVAL_P(1), "elapsed time");
	double		t = csat_interval_arg_seconds(PG_GETARG_INTERVAL_P(2), "target");

	return step2(fcinfo, e <= t, -1);
}

static Datum
nps_step(FunctionCallInfo fcinfo, int32 s, int sign)
{
	ArrayType  *a = state_array(fcinfo, 0, INT8OID, 3);
	int64	   *c = COUNTS(a);

	c[0] += sign;
	c[1] += (s >= 9) ? sign : 0;
	c[2] += (s <= 6) ? sign : 0;
	PG_RETURN_ARRAYTYPE_P(a);
}

Datum
csat_nps_accum(PG_FUNCTION_ARGS)
{
	return nps_step(fcinfo, checked_score(PG_GETARG_INT32(1), 0, 10), 1);
}

Datum
csat_nps_inv(PG_FUNCTION_ARGS)
{
	return nps_step(fcinfo, PG_GETARG_INT32(1), -1);
}

/* ---- weighted_score ------------------------------------------------------
 *
 * The state is csat.weighted_state, a fixed-size type of ours rather than a
 * float8[]: partial states travel between Citus nodes as text, and float8
 * output obeys extra_float_digits (at 0 it drops the last digits, at -15 it
 * keeps two), whereas this type's text form always round-trips exactly.
 */
typedef struct WeightedState
{
	double		n;				/* rows seen */
	double		sw;				/* Σw and its compensation */
	double		cw;
	double		sws;			/* Σw·s and its compensation */
	double		cws;
} WeightedState;

PG_FUNCTION_INFO_V1(csat_weighted_state_in);
PG_FUNCTION_INFO_V1(csat_weighted_state_out);
PG_FUNCTION_INFO_V1(csat_weighted_state_recv);
PG_FUNCTION_INFO_V1(csat_weighted_state_send);

/* Neumaier's compensated addition of v into (*sum, *comp) */
static inline void
neumaier_add(double *sum, double *comp, double v)
{
	double		t = *sum + v;

	if (fabs(*sum) >= fabs(v))
		*comp += (*sum - t) + v;
	else
		*comp += (v - t) + *sum;
	*sum = t;
}

static void
check_weighted_state(const WeightedState *st)
{
	const double *f = &st->n;

	for (int i = 0; i < 5; i++)
		if (!isfinite(f[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid weighted score state"),
					 errdetail("Every field must be a finite number.")));
	if (st->n < 0 || st->n != floor(st->n) || st->sw + st->cw < 0 || st->sws + st->cws < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid weighted score state"),
				 errdetail("The row count must be a whole number and the sums must not be negative.")));
}

/* text form: (n,Σw,comp,Σws,comp), each with 17 significant digits */
Datum
csat_weighted_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	WeightedState *st = palloc(sizeof(WeightedState));
	double	   *f = &st->n;
	char	   *p = str;

	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != '(')
		goto bad;
	for (int i = 0; i < 5; i++)
	{
		char	   *end;

		errno = 0;
		f[i] = strtod(p, &end);
		/* ERANGE also flags subnormal results, which are exact: keep them */
		if (end == p || (errno == ERANGE && (f[i] == 0.0 || isinf(f[i]))))
			goto bad;
		p = end;
		if (*p++ != (i < 4 ? ',' : ')'))
			goto bad;
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		goto bad;
	check_weighted_state(st);
	PG_RETURN_POINTER(st);

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", "csat.weighted_state", str),
			 errdetail("Expected five numbers: (rows,sum_w,comp_w,sum_ws,comp_ws).")));
}

Datum
csat_weighted_state_out(PG_FUNCTION_ARGS)
{
	WeightedState *st = (WeightedState *) PG_GETARG_POINTER(0);

	PG_RETURN_CSTRING(psprintf("(%.17g,%.17g,%.17g,%.17g,%.17g)",
							   st->n, st->sw, st->cw, st->sws, st->cws));
}

Datum
csat_weighted_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	WeightedState *st = palloc(sizeof(WeightedState));
	double	   *f = &st->n;

	for (int i = 0; i < 5; i++)
		f[i] = pq_getmsgfloat8(buf);
	check_weighted_state(st);
	PG_RETURN_POINTER(st);
}

Datum
csat_weighted_state_send(PG_FUNCTION_ARGS)
{
	WeightedState *st = (WeightedState *) PG_GETARG_POINTER(0);
	const double *f = &st->n;
	StringInfoData buf;

	pq_begintypsend(&buf);
	for (int i = 0; i < 5; i++)
		pq_sendfloat8(&buf, f[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* the state of argument argno: in place inside an aggregate, else a copy */
static WeightedState *
weighted_state(FunctionCallInfo fcinfo, int argno)
{
	WeightedState *st = (WeightedState *) PG_GETARG_POINTER(argno);

	if (!AggCheckCallContext(fcinfo, NULL))
	{
		WeightedState *copy = palloc(sizeof(WeightedState));

		memcpy(copy, st, sizeof(WeightedState));
		st = copy;
	}
	return st;
}

static inline double
checked_weighting(double v, const char *what)
{
	if (unlikely(isnan(v) || isinf(v) || v < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite, non-negative number", what),
				 errdetail("The value was %s.", float8out_internal(v))));
	return v;
}

/*
 * After an update: a sum that overflowed (its compensation is then NaN) is
 * refused here rather than stored as a state the input function rejects.
 */
static void
check_sums_finite(const WeightedState *st)
{
	if (unlikely(!isfinite(st->sw) || !isfinite(st->cw) ||
				 !isfinite(st->sws) || !isfinite(st->cws)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weighted score sums out of range"),
				 errdetail("The sum of weights or of weight times score exceeds the range of double precision.")));
}

Datum
csat_weighted_accum(PG_FUNCTION_ARGS)
{
	WeightedState *st = weighted_state(fcinfo, 0);
	double		s = checked_weighting(PG_GETARG_FLOAT8(1), "score");
	double		w = checked_weighting(PG_GETARG_FLOAT8(2), "weight");
	double		ws = w * s;

	if (unlikely(!isfinite(ws)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight times score must be a finite number"),
				 errdetail("Weight %s times score %s overflows double precision.",
						   float8out_internal(w), float8out_internal(s))));
	st->n += 1;
	neumaier_add(&st->sw, &st->cw, w);
	neumaier_add(&st->sws, &st->cws, ws);
	check_sums_finite(st);
	PG_RETURN_POINTER(st);
}

Datum
csat_weighted_combine(PG_FUNCTION_ARGS)
{
	WeightedState *x = weighted_state(fcinfo, 0);
	WeightedState *y = (WeightedState *) PG_GETARG_POINTER(1);

	x->n += y->n;
	neumaier_add(&x->sw, &x->cw, y->sw);
	neumaier_add(&x->sw, &x->cw, y->cw);
	neumaier_add(&x->sws, &x->cws, y->sws);
	neumaier_add(&x->sws, &x->cws, y->cws);
	check_sums_finite(x);
	PG_RETURN_POINTER(x);
}

Datum
csat_weighted_final(PG_FUNCTION_ARGS)
{
	WeightedState *st = (WeightedState *) PG_GETARG_POINTER(0);
	double		sw = st->sw + st->cw;

	if (st->n <= 0 || sw <= 0)
		PG_RETURN_NULL();		/* no rows, or all weights zero */
	PG_RETURN_FLOAT8((st->sws + st->cws) / sw);
}

/* ---- scalar helpers --------------------------------------------------- */

static void
check_counts(int64 successes, int64 n, const char *what)
{
	if (successes < 0 || n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("counts must not be negative"),
				 errdetail("Got %s " INT64_FORMAT " of " INT64_FORMAT ".", what, successes, n)));
	if (successes > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not exceed the total", what),
				 errdetail("Got %s " INT64_FORMAT " of " INT64_FORMAT ".", what, successes, n)));
}

Datum
csat_complaint_rate(PG_FUNCTION_ARGS)
{
	int64		complaints = PG_GETARG_INT64(0);
	int64		orders = PG_GETARG_INT64(1);

	check_counts(complaints, orders, "complaints");
	if (orders == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) complaints / (double) orders);
}

static Datum
wilson(FunctionCallInfo fcinfo, bool upper)
{
	int64		successes = PG_GETARG_INT64(0);
	int64		n = PG_GETARG_INT64(1);
	double		confidence = PG_GETARG_FLOAT8(2);

	check_counts(successes, n, "successes");
	if (!(confidence > 0.0 && confidence < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must be between 0 and 1, exclusive"),
				 errdetail("The value was %s.", float8out_internal(confidence))));
	if (n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(csat_wilson_bound((double) successes, (double) n,
									   csat_confidence_z(confidence), upper));
}

Datum
csat_wilson_lower(PG_FUNCTION_ARGS)
{
	return wilson(fcinfo, false);
}

Datum
csat_wilson_upper(PG_FUNCTION_ARGS)
{
	return wilson(fcinfo, true);
}
