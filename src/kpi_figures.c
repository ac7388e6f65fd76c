/*
 * kpi_figures.c: csat.kpi_figures, the figures of one KPI state (a row of
 * csat.kpi_states): value, 95 % interval and, for durations, percentiles,
 * mean and attainment.  One formula per measure, written once; csat.kpi_values
 * calls it for the period, the compared periods and the baseline, so it is C
 * (a SQL function here cost a function-call executor per row and a sketch
 * decode per percentile).
 *
 *   share     hits/n, Wilson score interval
 *   ratio     scale*hits/n, Poisson score interval of the numerator count
 *   count     n, Poisson score interval of n
 *   nps       100*(promoters-detractors)/n, trinomial variance
 *   duration  p95 of the sketch; p50/p90/p95/p99, mean of closed items
 *             (sum_wx/n), attainment hits/(hits+misses); no interval
 *   otherwise (mean, weighted_mean) sum_wx/sum_w, normal interval with
 *             Kish's effective n = sum_w^2/sum_w2
 *
 * csat.kpi_shift, the start of the period compared with, csat.period_end and
 * csat.kpi_rule, the rule that grades a row, are here too: the views call them
 * for every row.
 *
 * A NULL state (no row for a compared period) gives NULL figures; NULL
 * inputs give NULL where the SQL formula would, NaN sums give NaN.
 */
#include "csat.h"

#include <math.h>

#include "access/htup_details.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(csat_kpi_figures);
PG_FUNCTION_INFO_V1(csat_kpi_shift);
PG_FUNCTION_INFO_V1(csat_period_end);
PG_FUNCTION_INFO_V1(csat_kpi_rule);

#define Z95		1.959964		/* two-sided 95 % */
#define Z95_SQ2	1.920729		/* z^2 / 2 */
#define Z95_SQ4	0.960365		/* z^2 / 4 */

enum
{
	F_VALUE, F_LOW, F_HIGH, F_P50, F_P90, F_P95, F_P99, F_MEAN, F_ATTAINMENT, F_COUNT
};

/* Poisson score interval of a count c: c + z^2/2 -/+ z sqrt(c + z^2/4) */
static double
poisson_bound(double c, bool upper)
{
	double		r = Z95 * sqrt(c + Z95_SQ4);

	return upper ? c + Z95_SQ2 + r : fmax(0.0, c + Z95_SQ2 - r);
}

Datum
csat_kpi_figures(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		out[F_COUNT];
	bool		isnull[F_COUNT];
	const char *measure;
	double		scale,
				n,
				hits,
				misses;

#define NUL(i)		PG_ARGISNULL(i)
#define ARG_F8(i)	PG_GETARG_FLOAT8(i)
#define ARG_I8(i)	((double) PG_GETARG_INT64(i))
#define SET(f, x)	(out[f] = Float8GetDatum(x), isnull[f] = false)

	/* the result's row type, looked up once per call site (the views call this per row) */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "kpi_figures must return a composite");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	for (int i = 0; i < F_COUNT; i++)
	{
		out[i] = (Datum) 0;
		isnull[i] = true;
	}
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, out, isnull)));

	measure = text_to_cstring(PG_GETARG_TEXT_PP(0));
	scale = NUL(1) ? NAN : ARG_F8(1);
	n = ARG_I8(2);
	hits = NUL(3) ? NAN : ARG_I8(3);
	misses = NUL(4) ? NAN : ARG_I8(4);

	if (strcmp(measure, "share") == 0)
	{
		if (n > 0 && !NUL(3) && hits >= 0 && hits <= n)
		{
			double		z = csat_confidence_z(0.95);

			SET(F_VALUE, hits / n);
			SET(F_LOW, csat_wilson_bound(hits, n, z, false));
			SET(F_HIGH, csat_wilson_bound(hits, n, z, true));
		}
	}
	else if (strcmp(measure, "ratio") == 0)
	{
		if (n > 0 && !NUL(1) && !NUL(3))
		{
			SET(F_VALUE, scale * hits / n);
			SET(F_LOW, scale * poisson_bound(hits, false) / n);
			SET(F_HIGH, scale * poisson_bound(hits, true) / n);
		}
	}
	else if (strcmp(measure, "count") == 0)
	{
		SET(F_VALUE, n);
		SET(F_LOW, poisson_bound(n, false));
		SET(F_HIGH, poisson_bound(n, true));
	}
	else if (strcmp(measure, "nps") == 0)
	{
		if (n > 0 && !NUL(9) && !NUL(10))
		{
			double		pr = ARG_I8(9),
						de = ARG_I8(10),
						v = (pr - de) / n,
						r = Z95 * sqrt(fmax(0.0, (pr + de) / n - v * v) / n);

			SET(F_VALUE, 100.0 * v);
			SET(F_LOW, 100.0 * (v - r));
			SET(F_HIGH, 100.0 * (v + r));
		}
	}
	else if (strcmp(measure, "duration") == 0)
	{
		if (!PG_ARGISNULL(11))
		{
			static const double ps[4] = {0.5, 0.9, 0.95, 0.99};
			double		q[4];

			csat_sketch_quantiles(PG_GETARG_DATUM(11), ps, 4, q);
			SET(F_VALUE, q[2]);
			SET(F_P50, q[0]);
			SET(F_P90, q[1]);
			SET(F_P95, q[2]);
			SET(F_P99, q[3]);
		}
		if (n > 0 && !NUL(6))
			SET(F_MEAN, ARG_F8(6) / n);
		if (!NUL(3) && !NUL(4) && hits + misses > 0)
			SET(F_ATTAINMENT, hits / (hits + misses));
	}
	else
	{
		double		sw = NUL(5) ? NAN : ARG_F8(5),
					sw2 = NUL(8) ? NAN : ARG_F8(8);

		if (sw > 0 && !NUL(6))
		{
			double		m = ARG_F8(6) / sw;

			SET(F_VALUE, m);
			if (sw2 > 0 && sw * sw / sw2 > 1 && !NUL(7))
			{
				double		r = Z95 * sqrt(fmax(0.0, ARG_F8(7) / sw - m * m) / (sw * sw / sw2 - 1));

				SET(F_LOW, m - r);
				SET(F_HIGH, m + r);
			}
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, out, isnull)));
}

/*
 * csat.kpi_shift(grain, period_start, compare, tz): the start of the period a
 * period is compared with, on the wall clock of tz: mom is an hour or a day a
 * month earlier, a week 4 weeks earlier, a month or a quarter the previous
 * one; yoy a year earlier (a week 52 weeks earlier).
 */
Datum
csat_kpi_shift(PG_FUNCTION_ARGS)
{
	text	   *grain_t = PG_GETARG_TEXT_PP(0);
	Datum		start = PG_GETARG_DATUM(1);
	text	   *compare_t = PG_GETARG_TEXT_PP(2);
	Datum		tz = PG_GETARG_DATUM(3);
	char	   *grain = text_to_cstring(grain_t);
	bool		mom = strcmp(text_to_cstring(compare_t), "mom") == 0;
	Interval   *back = palloc0(sizeof(Interval));
	Datum		wall;

	if (strcmp(grain, "week") == 0)
		back->day = mom ? 28 : 364;
	else if (strcmp(grain, "quarter") == 0 && mom)
		back->month = 3;
	else
		back->month = mom ? 1 : 12;
	wall = DirectFunctionCall2(timestamptz_zone, tz, start);
	wall = DirectFunctionCall2(timestamp_mi_interval, wall, IntervalPGetDatum(back));
	PG_RETURN_DATUM(DirectFunctionCall2(timestamp_zone, tz, wall));
}

/*
 * csat.period_end(grain, start, tz): the end of the period of the grain (hour,
 * day, week, month, quarter) that starts at start, on the wall clock of tz.
 */
Datum
csat_period_end(PG_FUNCTION_ARGS)
{
	char	   *grain = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Datum		start = PG_GETARG_DATUM(1);
	Datum		tz = PG_GETARG_DATUM(2);
	Interval   *len = palloc0(sizeof(Interval));
	Datum		wall;

	if (strcmp(grain, "hour") == 0)
		len->time = USECS_PER_HOUR;
	else if (strcmp(grain, "day") == 0)
		len->day = 1;
	else if (strcmp(grain, "week") == 0)
		len->day = 7;
	else if (strcmp(grain, "month") == 0)
		len->month = 1;
	else if (strcmp(grain, "quarter") == 0)
		len->month = 3;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown grain"),
				 errdetail("The grain was \"%s\"; it must be hour, day, week, month or quarter.", grain)));
	wall = DirectFunctionCall2(timestamptz_zone, tz, start);
	wall = DirectFunctionCall2(timestamp_pl_interval, wall, IntervalPGetDatum(len));
	PG_RETURN_DATUM(DirectFunctionCall2(timestamp_zone, tz, wall));
}

/*
 * csat.kpi_rule(applies_to, metric, channel, segment): the name of the most
 * specific enabled rule of csat.rules for a metric and scope, or NULL.  A
 * rule's NULL channel or segment matches every one; a rule with both set wins,
 * then a segment rule, then a channel rule, then one with neither (the order the
 * watch triggers use, src/watch_cache.c), then the first name (as ORDER BY orders
 * text).  The views ask for
 * every row: the enabled rules are read once per call site and statement,
 * already in that order (fn_extra), and the first that matches wins.  Read as
 * the caller (csat.rules is readable by PUBLIC); the query names only csat's
 * table and pg_catalog's operators, so no search_path can change it.
 */
typedef struct KpiRule
{
	text	   *name;
	text	   *applies_to;
	text	   *metric;
	text	   *channel;		/* NULL = every channel */
	text	   *segment;		/* NULL = every segment */
} KpiRule;

typedef struct KpiRules
{
	int			n;
	KpiRule		r[FLEXIBLE_ARRAY_MEMBER];
} KpiRules;

/* a column of a rule as text (NULL stays NULL), compared by length and bytes */
static text *
rule_text(char *c)
{
	return c == NULL ? NULL : cstring_to_text(c);
}

static KpiRules *
kpi_rules_load(MemoryContext cxt)
{
	KpiRules   *rs;
	MemoryContext old;
	char	   *q;

	q = psprintf("SELECT name, applies_to, metric, channel, segment FROM %s.rules WHERE enabled"
				 " ORDER BY (segment IS NOT NULL)::int OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.+) (channel IS NOT NULL)::int DESC, name",
				 quote_identifier(get_namespace_name(csat_extension_schema(false))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(q, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.rules failed");
	old = MemoryContextSwitchTo(cxt);
	rs = palloc(offsetof(KpiRules, r) + Max(SPI_processed, 1) * sizeof(KpiRule));
	rs->n = (int) SPI_processed;
	for (int i = 0; i < rs->n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;

		rs->r[i].name = rule_text(SPI_getvalue(t, d, 1));
		rs->r[i].applies_to = rule_text(SPI_getvalue(t, d, 2));
		rs->r[i].metric = rule_text(SPI_getvalue(t, d, 3));
		rs->r[i].channel = rule_text(SPI_getvalue(t, d, 4));
		rs->r[i].segment = rule_text(SPI_getvalue(t, d, 5));
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	return rs;
}

/* are the texts a (an argument) and b (a rule's, stored unpacked) equal? */
static inline bool
text_is(text *a, text *b)
{
	size_t		len = VARSIZE_ANY_EXHDR(a);

	return VARSIZE(b) - VARHDRSZ == len && memcmp(VARDATA_ANY(a), VARDATA(b), len) == 0;
}

Datum
csat_kpi_rule(PG_FUNCTION_ARGS)
{
	KpiRules   *rs = (KpiRules *) fcinfo->flinfo->fn_extra;
	text	   *applies_to,
			   *metric,
			   *channel,
			   *segment;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (rs == NULL)
		fcinfo->flinfo->fn_extra = rs = kpi_rules_load(fcinfo->flinfo->fn_mcxt);
	applies_to = PG_GETARG_TEXT_PP(0);
	metric = PG_GETARG_TEXT_PP(1);
	channel = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	segment = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	for (int i = 0; i < rs->n; i++)
	{
		KpiRule    *r = &rs->r[i];

		if (text_is(metric, r->metric) && text_is(applies_to, r->applies_to) &&
			(r->channel == NULL || (channel != NULL && text_is(channel, r->channel))) &&
			(r->segment == NULL || (segment != NULL && text_is(segment, r->segment))))
			PG_RETURN_TEXT_P(r->name);
	}
	PG_RETURN_NULL();
}
