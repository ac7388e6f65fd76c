/*
 * sketch.c: PostgreSQL glue of the quantile sketch type csat.sketch: text and
 * binary I/O and the aggregate support functions of csat.sla_sketch,
 * csat.rollup and csat.sla_percentile.  The accessors of a stored sketch are
 * in sketch_read.c; the sketch itself lives in the pure-C core sketch_core.c.
 *
 * A csat.sketch datum is a varlena in one of two layouts (sketch_core.h): the
 * compact one stored on disk and sent over the wire, or the working one the
 * aggregates update in place.  Every reader accepts both; aggregate states
 * are working sketches, final functions compact them.
 */
#include "csat.h"

#include <float.h>

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "sketch_core.h"
#include "sketch_int.h"

PG_FUNCTION_INFO_V1(csat_sketch_in);
PG_FUNCTION_INFO_V1(csat_sketch_out);
PG_FUNCTION_INFO_V1(csat_sketch_recv);
PG_FUNCTION_INFO_V1(csat_sketch_send);
PG_FUNCTION_INFO_V1(csat_sketch_add);
PG_FUNCTION_INFO_V1(csat_sketch_add_alpha);
PG_FUNCTION_INFO_V1(csat_sketch_add_interval);
PG_FUNCTION_INFO_V1(csat_sketch_add_p);
PG_FUNCTION_INFO_V1(csat_sketch_add_interval_p);
PG_FUNCTION_INFO_V1(csat_sketch_add_parray);
PG_FUNCTION_INFO_V1(csat_sketch_combine);
PG_FUNCTION_INFO_V1(csat_sketch_final);
PG_FUNCTION_INFO_V1(csat_sketch_final_percentile);
PG_FUNCTION_INFO_V1(csat_sketch_final_percentile_interval);
PG_FUNCTION_INFO_V1(csat_sketch_final_percentiles);

/* ---- reading and building datums ---- */

static sk_work *
finish_work(sk_work *w)
{
	SET_VARSIZE(w, sk_work_size(w->nq, w->cap));
	return w;
}

/* payload (after the length word) of a detoasted datum */
#define PAYLOAD(v) ((const uint8_t *) VARDATA(v))
#define PAYLOAD_LEN(v) (VARSIZE(v) - VARHDRSZ)

/*
 * The sketch in datum d as a working sketch.  A working datum is returned as
 * is (read-only for the caller) unless copy is set; a compact one is decoded
 * into a new palloc'd working sketch.
 */
sk_work *
csat_sketch_read(Datum d, bool copy)
{
	struct varlena *v = PG_DETOAST_DATUM(d);
	const uint8_t *p = PAYLOAD(v);
	size_t		len = PAYLOAD_LEN(v);
	int			nq,
				e;
	int32		base,
				cap;
	sk_work    *w;

	if (len >= 2 && p[0] == SK_VERSION && p[1] == SK_LAYOUT_WORK)
	{
		w = (sk_work *) v;
		/* working sketches come only from our own functions; check the frame anyway */
		if (VARSIZE(v) < sizeof(sk_work) || w->cap < 1 || w->cap > SK_MAX_BINS ||
			w->nq > SK_MAX_Q || VARSIZE(v) != sk_work_size(w->nq, w->cap) || w->count == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid csat.sketch value"),
					 errdetail("The working layout of the sketch is damaged.")));
		if (copy || (uintptr_t) w % sizeof(double) != 0)
		{
			sk_work    *c = palloc(VARSIZE(v));

			memcpy(c, w, VARSIZE(v));
			w = c;
		}
		return w;
	}
	e = sk_compact_check(p, len, &nq, &base, &cap);
	if (e != SK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid csat.sketch value"),
				 errdetail("%s.", sk_strerror(e))));
	w = palloc(sk_work_size(nq, cap));
	sk_compact_decode(p, len, w, base, cap);
	return finish_work(w);
}

/* compact varlena of a working sketch */
static bytea *
sketch_compact(const sk_work *w)
{
	size_t		n = sk_compact_bound(w);
	bytea	   *out = palloc(VARHDRSZ + n);

	sk_compact_encode(w, (uint8_t *) VARDATA(out));
	SET_VARSIZE(out, VARHDRSZ + n);
	return out;
}

/* ---- I/O ---- */

Datum
csat_sketch_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	int			nq,
				e;
	int32		base,
				cap;
	sk_work    *w;

	e = sk_text_parse(s, NULL, &nq, &base, &cap);
	if (e != SK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type csat.sketch: \"%.60s%s\"", s, strlen(s) > 60 ? "..." : ""),
				 errdetail("%s.", sk_strerror(e)),
				 errhint("The format is \"v1 alpha=A n=COUNT zeros=Z sum=S min=MIN max=MAX [p=P,...] bins=INDEX:COUNT,...\".")));
	w = palloc(sk_work_size(nq, cap));
	sk_text_parse(s, w, &nq, &base, &cap);
	PG_RETURN_BYTEA_P(sketch_compact(w));
}

Datum
csat_sketch_out(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);
	char	   *s = palloc(sk_text_bound(w));

	sk_text_format(w, s);
	PG_RETURN_CSTRING(s);
}

Datum
csat_sketch_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const uint8_t *p = (const uint8_t *) buf->data + buf->cursor;
	size_t		len = buf->len - buf->cursor;
	int			nq,
				e;
	int32		base,
				cap;
	sk_work    *w;

	e = sk_compact_check(p, len, &nq, &base, &cap);
	if (e != SK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type csat.sketch"),
				 errdetail("%s.", sk_strerror(e))));
	w = palloc(sk_work_size(nq, cap));
	sk_compact_decode(p, len, w, base, cap);
	buf->cursor = buf->len;
	/* re-encoded, so what is stored is canonical */
	PG_RETURN_BYTEA_P(sketch_compact(w));
}

Datum
csat_sketch_send(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);

	PG_RETURN_BYTEA_P(sketch_compact(w));
}

/* ---- aggregate support ---- */

static void
check_value(double x)
{
	if (!(x >= 0.0 && x <= DBL_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("duration must be a finite number of seconds >= 0, got %g", x),
				 errhint("Filter out rows whose end precedes their start.")));
}

static void
check_alpha(double alpha)
{
	if (!sk_alpha_valid(alpha))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relative accuracy must be between %g and %g, got %g",
						SK_ALPHA_MIN, SK_ALPHA_MAX, alpha)));
}

void
csat_sketch_check_p(double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("percentile must be between 0 and 1, got %g", p)));
}

/*
 * The transition state in argument 0 ready to update in place: a new working
 * sketch when NULL; the state itself inside an aggregate; a copy otherwise
 * (a direct call must not scribble on its argument).
 */
static sk_work *
state_arg(FunctionCallInfo fcinfo, double alpha, int nq, const double *q)
{
	sk_work    *w;

	if (PG_ARGISNULL(0))
	{
		w = palloc(sk_work_size(nq, SK_INIT_CAP));
		sk_work_init(w, alpha, nq, q, SK_INIT_CAP);
		return finish_work(w);
	}
	w = (sk_work *) PG_GETARG_POINTER(0);
	if (!(AggCheckCallContext(fcinfo, NULL) && VARATT_IS_4B_U(w) &&
		  w->version == SK_VERSION && w->layout == SK_LAYOUT_WORK))
		w = csat_sketch_read(PG_GETARG_DATUM(0), true);
	if (w->alpha != alpha)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relative accuracy must be the same for every row of a group"),
				 errdetail("The group started with %g and a row asks for %g.", w->alpha, alpha)));
	return w;
}

/* add x (checked), growing the sketch by building a bigger copy when needed */
static inline sk_work *
add_value(sk_work *w, double x)
{
	int32		nb,
				nc;
	sk_work    *n;

	if (likely(sk_add(w, x)) || sk_add_slow(w, x, &nb, &nc))
		return w;
	n = palloc(sk_work_size(w->nq, nc));
	sk_rebuild(w, n, nb, nc);
	finish_work(n);
	if (!sk_add(n, x) && !sk_add_slow(n, x, &nb, &nc))
		elog(ERROR, "csat.sketch window too small after growth");
	return n;
}

/*
 * sla_sketch(float8) from C (csat.h): add v[0..n-1] to the working sketch
 * state (NULL: a new one, its window sized for the values' range at once,
 * where the aggregate grows it as values come; the sketch depends only on the
 * values either way), and the aggregate's result for a state.
 */
void *
csat_sketch_add_values(void *state, const double *v, int n)
{
	sk_work    *w = state;

	for (int i = 0; i < n; i++)
		check_value(v[i]);
	if (w == NULL)
	{
		sk_work		h;
		double		lo = INFINITY,
					hi = 0;
		int32		cap = SK_INIT_CAP,
					ilo,
					ihi;

		for (int i = 0; i < n; i++)
		{
			if (v[i] > 0 && v[i] < lo)
				lo = v[i];
			if (v[i] > hi)
				hi = v[i];
		}
		sk_work_init(&h, SK_ALPHA_DEFAULT, 0, NULL, 0);
		ilo = hi > 0 ? sk_index(&h, lo) : 0;
		ihi = hi > 0 ? sk_index(&h, hi) : 0;
		while (cap < ihi - ilo + 1 && cap < SK_MAX_BINS)
			cap *= 2;
		w = palloc(sk_work_size(0, cap));
		sk_work_init(w, SK_ALPHA_DEFAULT, 0, NULL, cap);
		w->base = Max(ilo, ihi - cap + 1);
		finish_work(w);
	}
	for (int i = 0; i < n; i++)
	{
		sk_work    *nw = add_value(w, v[i]);

		if (nw != w)
			pfree(w);
		w = nw;
	}
	return w;
}

Datum
csat_sketch_result(void *state)
{
	return PointerGetDatum(sketch_compact((sk_work *) state));
}


static void
p_mismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("percentile must be the same for every row of a group"),
			 errhint("Pass a constant, or group by the percentile.")));
}

/*
 * A NULL input row (argument 1) leaves the state as it is: NULL until the
 * first value, as built-in aggregates skip NULLs.  The transition functions
 * are not STRICT because the state starts NULL and is built on the first row.
 */
#define SKIP_NULL_INPUT() \
	do { \
		if (PG_ARGISNULL(1)) \
		{ \
			if (PG_ARGISNULL(0)) \
				PG_RETURN_NULL(); \
			PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
		} \
	} while (0)

Datum
csat_sketch_add(PG_FUNCTION_ARGS)
{
	double		x;

	SKIP_NULL_INPUT();
	x = PG_GETARG_FLOAT8(1);
	check_value(x);
	PG_RETURN_POINTER(add_value(state_arg(fcinfo, SK_ALPHA_DEFAULT, 0, NULL), x));
}

Datum
csat_sketch_add_interval(PG_FUNCTION_ARGS)
{
	double		x;

	SKIP_NULL_INPUT();
	x = csat_interval_arg_seconds(PG_GETARG_INTERVAL_P(1), "duration");
	check_value(x);
	PG_RETURN_POINTER(add_value(state_arg(fcinfo, SK_ALPHA_DEFAULT, 0, NULL), x));
}

Datum
csat_sketch_add_alpha(PG_FUNCTION_ARGS)
{
	double		x,
				alpha;

	SKIP_NULL_INPUT();
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relative accuracy must not be null")));
	x = PG_GETARG_FLOAT8(1);
	alpha = PG_GETARG_FLOAT8(2);
	check_value(x);
	check_alpha(alpha);
	PG_RETURN_POINTER(add_value(state_arg(fcinfo, alpha, 0, NULL), x));
}

/* shared by the scalar-p transition functions */
static Datum
add_with_p(FunctionCallInfo fcinfo, double x)
{
	double		p;
	sk_work    *w;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("percentile must not be null")));
	p = PG_GETARG_FLOAT8(2);
	check_value(x);
	if (PG_ARGISNULL(0))
		csat_sketch_check_p(p);
	w = state_arg(fcinfo, SK_ALPHA_DEFAULT, 1, &p);
	if (w->nq != 1 || sk_q(w)[0] != p)
		p_mismatch();
	PG_RETURN_POINTER(add_value(w, x));
}

Datum
csat_sketch_add_p(PG_FUNCTION_ARGS)
{
	SKIP_NULL_INPUT();
	return add_with_p(fcinfo, PG_GETARG_FLOAT8(1));
}

Datum
csat_sketch_add_interval_p(PG_FUNCTION_ARGS)
{
	SKIP_NULL_INPUT();
	return add_with_p(fcinfo, csat_interval_arg_seconds(PG_GETARG_INTERVAL_P(1), "duration"));
}

/*
 * The percentile array of the last call, kept in fn_extra so a constant
 * array is deconstructed and checked once, not once per row: later rows only
 * compare its bytes.
 */
typedef struct parray_cache
{
	bool		is_const;		/* the aggregate's p argument is a constant */
	int			nbytes;
	char	   *bytes;
	int			n;
	double		q[FLEXIBLE_ARRAY_MEMBER];
} parray_cache;

static parray_cache *
parray_lookup(FunctionCallInfo fcinfo, ArrayType *a)
{
	parray_cache *c = (parray_cache *) fcinfo->flinfo->fn_extra;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (c && c->nbytes == (int) VARSIZE(a) && memcmp(c->bytes, a, c->nbytes) == 0)
		return c;
	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "percentile array must be float8[]");
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n > SK_MAX_Q)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too many percentiles: %d, at most %d", n, SK_MAX_Q)));
	if (c)
	{
		pfree(c->bytes);
		pfree(c);
	}
	c = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, offsetof(parray_cache, q) + sizeof(double) * (n + 1));
	c->n = n;
	c->is_const = false;
	{
		/* a constant p (the usual case) needs no per-row look at the array at all */
		Aggref	   *ag = AggGetAggref(fcinfo);

		if (ag && list_length(ag->args) >= 2)
			c->is_const = IsA(((TargetEntry *) lsecond(ag->args))->expr, Const);
	}
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("percentile array must not contain nulls")));
		c->q[i] = DatumGetFloat8(elems[i]);
		csat_sketch_check_p(c->q[i]);
	}
	c->nbytes = VARSIZE(a);
	c->bytes = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, c->nbytes);
	memcpy(c->bytes, a, c->nbytes);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

Datum
csat_sketch_add_parray(PG_FUNCTION_ARGS)
{
	double		x;
	parray_cache *c;
	sk_work    *w;

	SKIP_NULL_INPUT();
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("percentile array must not be null")));
	x = PG_GETARG_FLOAT8(1);
	check_value(x);
	c = (parray_cache *) fcinfo->flinfo->fn_extra;
	if (!(c && c->is_const))
		c = parray_lookup(fcinfo, PG_GETARG_ARRAYTYPE_P(2));
	w = state_arg(fcinfo, SK_ALPHA_DEFAULT, c->n, c->q);
	if (w->nq != c->n || (c->n > 0 && memcmp(sk_q(w), c->q, sizeof(double) * c->n) != 0))
		p_mismatch();
	PG_RETURN_POINTER(add_value(w, x));
}

/*
 * Merge the working sketch b into the working sketch a; returns a, or a
 * bigger copy of it when its window had to grow (a is left to the caller).
 */
static sk_work *
merge_work(sk_work *a, const sk_work *b)
{
	int32		nb,
				nc;
	int			e = sk_merge(a, b, &nb, &nc);

	if (e == -1)
	{
		sk_work    *n = palloc(sk_work_size(a->nq, nc));

		sk_rebuild(a, n, nb, nc);
		a = finish_work(n);
		e = sk_merge(a, b, &nb, &nc);
	}
	if (e == SK_E_ALPHA_MISMATCH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge sketches with different relative accuracy (%g and %g)", a->alpha, b->alpha),
				 errhint("Build the sketches you merge with the same relative_accuracy argument of csat.sla_sketch.")));
	if (e == SK_E_Q_MISMATCH)
		p_mismatch();
	if (e == SK_E_OVERFLOW)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sketch count out of range")));
	if (e != SK_OK)
		elog(ERROR, "csat.sketch merge failed: %s", sk_strerror(e));
	return a;
}

/*
 * Merge the working sketch other into the working sketch state (NULL: a new
 * copy of other), from C (csat.h): a day's sketch from its hours'.  Returns
 * the state, rebuilt when its window had to grow.
 */
void *
csat_sketch_merge_values(void *state, const void *other)
{
	sk_work    *a = state,
			   *m;
	const sk_work *b = other;

	if (b == NULL)
		return a;
	if (a == NULL)
	{
		a = palloc(VARSIZE(b));
		memcpy(a, b, VARSIZE(b));
		return a;
	}
	m = merge_work(a, b);
	if (m != a)
		pfree(a);
	return m;
}

/*
 * Combine function of every sketch aggregate and transition function of
 * csat.rollup: merges argument 1 into the state in argument 0.  Not strict,
 * so a NULL state never becomes the input datum itself: it becomes a fresh
 * working copy, which the executor moves into the aggregate context.
 */
Datum
csat_sketch_combine(PG_FUNCTION_ARGS)
{
	sk_work    *a,
			   *b;

	SKIP_NULL_INPUT();
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(csat_sketch_read(PG_GETARG_DATUM(1), true));
	b = csat_sketch_read(PG_GETARG_DATUM(1), false);
	a = (sk_work *) PG_GETARG_POINTER(0);
	if (!(AggCheckCallContext(fcinfo, NULL) && VARATT_IS_4B_U(a) &&
		  a->version == SK_VERSION && a->layout == SK_LAYOUT_WORK))
		a = csat_sketch_read(PG_GETARG_DATUM(0), true);
	PG_RETURN_POINTER(merge_work(a, b));
}

Datum
csat_sketch_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(sketch_compact(csat_sketch_read(PG_GETARG_DATUM(0), false)));
}

Datum
csat_sketch_final_percentile(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);

	if (w->nq != 1)
		elog(ERROR, "sla_percentile state carries %d percentiles, expected 1", w->nq);
	PG_RETURN_FLOAT8(sk_quantile(w, sk_q(w)[0]));
}

static Interval *
seconds_interval(double s)
{
	Interval   *r = palloc0(sizeof(Interval));
	double		us = rint(s * USECS_PER_SEC);

	if (!(us < (double) PG_INT64_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	r->time = (int64) us;
	return r;
}

Datum
csat_sketch_final_percentile_interval(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);

	if (w->nq != 1)
		elog(ERROR, "sla_percentile state carries %d percentiles, expected 1", w->nq);
	PG_RETURN_INTERVAL_P(seconds_interval(sk_quantile(w, sk_q(w)[0])));
}

Datum
csat_sketch_final_percentiles(PG_FUNCTION_ARGS)
{
	sk_work    *w = csat_sketch_read(PG_GETARG_DATUM(0), false);
	Datum	   *out = palloc(sizeof(Datum) * (w->nq + 1));

	for (int i = 0; i < w->nq; i++)
		out[i] = Float8GetDatum(sk_quantile(w, sk_q(w)[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(out, w->nq, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
