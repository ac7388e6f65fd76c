/*
 * csat.h: declarations shared by csat's PostgreSQL-facing C files.
 *
 * Pure-C cores (src/NAME_core.c) do not include this header: they must build
 * without PostgreSQL so their unit tests and fuzzers can link them alone.
 */
#ifndef CSAT_H
#define CSAT_H

#include "postgres.h"
#include "fmgr.h"
#include "compat.h"				/* server APIs that differ between majors */
#include "utils/timestamp.h"

/* Seconds in an interval, the same value as EXTRACT(EPOCH FROM interval). */
extern double csat_interval_seconds(const Interval *iv);

/*
 * The same for an interval argument of a csat function: every such argument
 * goes through here, which raises 22023 for an infinite interval (PostgreSQL
 * 17 and later have them; "what" names the argument in the message).
 */
extern double csat_interval_arg_seconds(const Interval *iv, const char *what);

/* Two-sided standard-normal quantile for a confidence in (0,1), e.g. 0.95 -> 1.95996. */
extern double csat_confidence_z(double confidence);

/* Wilson score interval bound; n must be > 0 and 0 <= successes <= n. */
extern double csat_wilson_bound(double successes, double n, double z, bool upper);

/*
 * The schema csat was installed in, from pg_extension: C code never looks csat's
 * schema up by name (a schema of that name could be someone else's).  With
 * missing_ok, InvalidOid when csat is not installed (or is being dropped).
 */
extern Oid	csat_extension_schema(bool missing_ok);

/*
 * sql with every @extschema@ replaced by the quoted name of csat's schema: SQL
 * that C code runs names csat's objects through pg_extension, and pg_catalog's
 * operators and functions explicitly (OPERATOR(pg_catalog.=), pg_catalog.f).
 */
extern char *csat_sql(const char *sql);

extern Oid	csat_relation_owner(Oid relid);

/*
 * Running code as another role, the way PostgreSQL's maintenance commands read
 * a table as its owner: the user id changes locally, the operation is
 * restricted (SECURITY_RESTRICTED_OPERATION: no temp tables, no SET ROLE, ...)
 * and search_path is pinned to "pg_catalog, pg_temp".  csat_switch_back undoes
 * it; an error undoes it with the (sub)transaction.
 */
typedef struct CsatUserSwitch
{
	Oid			save_user;
	int			save_sec;
	int			nestlevel;
} CsatUserSwitch;

extern void csat_switch_to(CsatUserSwitch *sw, Oid role);
extern void csat_switch_back(CsatUserSwitch *sw);

/*
 * Run fn(arg) in an internal subtransaction: NULL if it succeeded, else its
 * error, copied into the caller's memory context after the subtransaction was
 * rolled back (the caller reports, rethrows or ignores it, and frees it).
 */
extern ErrorData *csat_try_in_subxact(void (*fn) (void *arg), void *arg);

/*
 * The quantiles p[0..n-1] of the csat.sketch in datum d, decoding it once
 * (sketch_read.c; percentiles must lie in [0, 1]).
 */
extern void csat_sketch_quantiles(Datum d, const double *p, int n, double *out);

/*
 * The csat.sketch in datum d read once: how many values it holds and its
 * relative accuracy; csat_sketch_value_at() then answers quantiles of it
 * (sketch_read.c; the handle lives in the current memory context).
 */
extern const void *csat_sketch_open(Datum d, int64 *count, double *alpha);
extern double csat_sketch_value_at(const void *sketch, double p);

/*
 * csat.sla_sketch(float8) built from C (sketch.c): csat_sketch_add_values
 * adds the n values v, each a finite number of seconds >= 0 (else 22023), to
 * state (NULL: a new one, in the current memory context) and returns the
 * state; csat_sketch_result is the aggregate's result for it.
 */
extern void *csat_sketch_add_values(void *state, const double *v, int n);
extern Datum csat_sketch_result(void *state);
/* merge the working sketch state other into state (NULL: a copy of other) */
extern void *csat_sketch_merge_values(void *state, const void *other);

#endif							/* CSAT_H */
