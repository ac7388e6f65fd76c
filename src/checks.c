/*
 * checks.c: csat.threshold_check and csat.rate_check, which grade a value or
 * an observed rate against a warning and a breach threshold, and the small C
 * API (checks.h) the breach triggers use for the same grading.
 *
 * A value exactly at a threshold is not past it: "answered within 180 s"
 * means 180 s is still ok.  rate_check grades the Wilson bound of the rate
 * instead of the raw rate, so that a handful of answers cannot raise an
 * alert on their own.
 */
#include "csat.h"
#include "checks.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "utils/inval.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(csat_threshold_check);
PG_FUNCTION_INFO_V1(csat_rate_check);

/* OIDs of the csat.level labels; valid when level_oids_valid */
static Oid	level_oids[3];
static bool level_oids_valid = false;
static bool level_callback_registered = false;

/* any change to pg_type (e.g. DROP/CREATE EXTENSION) forgets the cached OIDs */
static void
level_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	level_oids_valid = false;
}

static void
level_cache_fill(void)
{
	static const char *const labels[3] = {"ok", "warning", "breach"};
	Oid			nsp = csat_extension_schema(false);
	Oid			typoid;

	if (!level_callback_registered)
	{
		CacheRegisterSyscacheCallback(TYPEOID, level_cache_invalidate, (Datum) 0);
		level_callback_registered = true;
	}
	typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							 CStringGetDatum("level"), ObjectIdGetDatum(nsp));
	if (!OidIsValid(typoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type csat.level does not exist")));
	for (int i = 0; i < 3; i++)
	{
		HeapTuple	tup = SearchSysCache2(ENUMTYPOIDNAME,
										  ObjectIdGetDatum(typoid),
										  CStringGetDatum(labels[i]));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "csat.level has no label \"%s\"", labels[i]);
		level_oids[i] = ((Form_pg_enum) GETSTRUCT(tup))->oid;
		ReleaseSysCache(tup);
	}
	level_oids_valid = true;
}

Datum
csat_level_datum(int level)
{
	if (level < 0 || level > 2)
		elog(ERROR, "invalid csat level number %d", level);
	if (!level_oids_valid)
		level_cache_fill();
	return ObjectIdGetDatum(level_oids[level]);
}

int
csat_level_of(double value, double warning, double breach, bool higher_is_worse)
{
	if (isnan(value))
		return -1;
	if (higher_is_worse)
	{
		if (value > breach)
			return CSAT_LEVEL_BREACH;
		if (value > warning)	/* false for a NaN warning */
			return CSAT_LEVEL_WARNING;
	}
	else
	{
		if (value < breach)
			return CSAT_LEVEL_BREACH;
		if (value < warning)
			return CSAT_LEVEL_WARNING;
	}
	return CSAT_LEVEL_OK;
}

void
csat_check_thresholds(double warning, bool has_warning, double breach,
					  bool higher_is_worse)
{
	if (isnan(breach) || (has_warning && isnan(warning)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must not be NaN")));
	if (has_warning && (higher_is_worse ? warning > breach : warning < breach))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("warning threshold %g is past breach threshold %g",
						warning, breach),
				 errdetail("When %s values are worse, the warning threshold must be %s the breach threshold.",
						   higher_is_worse ? "higher" : "lower",
						   higher_is_worse ? "at most" : "at least")));
}

/*
 * threshold_check(value, warning, breach, higher_is_worse)
 *
 * Not STRICT: a NULL warning only switches the warning level off, and the
 * thresholds are validated even for a NULL value so that a bad threshold is
 * reported on the first row, not on the first non-NULL one.
 */
Datum
csat_threshold_check(PG_FUNCTION_ARGS)
{
	bool		has_warning = !PG_ARGISNULL(1);
	double		warning = has_warning ? PG_GETARG_FLOAT8(1) : NAN;
	double		breach;
	bool		hiw;
	double		value;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	breach = PG_GETARG_FLOAT8(2);
	hiw = PG_GETARG_BOOL(3);
	csat_check_thresholds(warning, has_warning, breach, hiw);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_FLOAT8(0);
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must not be NaN")));
	PG_RETURN_DATUM(csat_level_datum(csat_level_of(value, warning, breach, hiw)));
}

static void
check_rate_threshold(const char *what, double t)
{
	if (!isnan(t) && (t < 0.0 || t > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s threshold %g is out of range", what, t),
				 errdetail("Rate thresholds are fractions between 0 and 1.")));
}

/*
 * rate_check(successes, n, warning, breach, higher_is_worse, min_samples,
 *            confidence)
 *
 * Grades the pessimistic end of the Wilson interval: the lower bound when
 * higher rates are worse, the upper bound otherwise.  So "breach" means the
 * true rate is past the breach threshold with the given confidence.
 */
Datum
csat_rate_check(PG_FUNCTION_ARGS)
{
	bool		has_warning = !PG_ARGISNULL(2);
	double		warning = has_warning ? PG_GETARG_FLOAT8(2) : NAN;
	double		breach;
	bool		hiw;
	int32		min_samples;
	double		confidence;
	int64		successes;
	int64		n;
	double		bound;

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6))
		PG_RETURN_NULL();
	breach = PG_GETARG_FLOAT8(3);
	hiw = PG_GETARG_BOOL(4);
	min_samples = PG_GETARG_INT32(5);
	confidence = PG_GETARG_FLOAT8(6);

	csat_check_thresholds(warning, has_warning, breach, hiw);
	check_rate_threshold("warning", warning);
	check_rate_threshold("breach", breach);
	if (min_samples < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_samples must not be negative")));
	if (isnan(confidence))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must not be NaN")));
	if (!(confidence > 0.0 && confidence < 1.0))
		ereport(ERROR,		/* 22023 like csat.wilson_lower's confidence */
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence %g is out of range", confidence),
				 errdetail("The confidence must lie strictly between 0 and 1.")));

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	successes = PG_GETARG_INT64(0);
	n = PG_GETARG_INT64(1);
	if (successes < 0 || n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("counts must not be negative")));
	if (successes > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("successes " INT64_FORMAT " exceed the sample size " INT64_FORMAT,
						successes, n)));
	/* too few samples to judge; n = 0 never has a rate at all */
	if (n == 0 || n < min_samples)
		PG_RETURN_NULL();

	bound = csat_wilson_bound((double) successes, (double) n,
							  csat_confidence_z(confidence), !hiw);
	PG_RETURN_DATUM(csat_level_datum(csat_level_of(bound, warning, breach, hiw)));
}
