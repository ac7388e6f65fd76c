/*
 * checks.h: C API of the threshold checks (family "checks") for other csat
 * C code, e.g. the breach triggers of family "watch".
 */
#ifndef CSAT_CHECKS_H
#define CSAT_CHECKS_H

#include "csat.h"

/* level numbers, in the order of the csat.level enum */
#define CSAT_LEVEL_OK		0
#define CSAT_LEVEL_WARNING	1
#define CSAT_LEVEL_BREACH	2

/*
 * Level of value against the thresholds: a value exactly at a threshold is
 * not past it.  A NaN warning means "no warning level".  Thresholds are
 * assumed valid (see csat_check_thresholds); never raises an error.
 * Returns -1 for a NaN value (no verdict), else 0/1/2.
 */
extern int	csat_level_of(double value, double warning, double breach,
						  bool higher_is_worse);

/*
 * ERROR 22023 unless the thresholds are usable for that direction: not NaN
 * (warning may be NaN when has_warning is false), warning not past breach.
 */
extern void csat_check_thresholds(double warning, bool has_warning,
								  double breach, bool higher_is_worse);

/* csat.level enum Datum for 0/1/2; enum OIDs are looked up once per backend */
extern Datum csat_level_datum(int level);

#endif							/* CSAT_CHECKS_H */
