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

/* Two-sided standard-normal quantile for a confidence in (0,1), e.g. 0.95 -> 1.95996. */
extern double csat_confidence_z(double confidence);

/* Wilson score interval bound; n must be > 0 and 0 <= successes <= n. */
extern double csat_wilson_bound(double successes, double n, double z, bool upper);

#endif							/* CSAT_H */
