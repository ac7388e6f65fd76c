/*
 * kpi_measure_core.h: what each part of a KPI counts, per row and in its
 * state -- the one place a measure's formula is written (csat.kpi_scan_parts
 * names the codes; kpi_scan.c feeds the rows in and writes the states out).
 *
 * No PostgreSQL headers: linked into csat.so and into the unit test
 * test/unit/test_kpi_measure.c.  Comparisons are PostgreSQL's float8 ones
 * (NaN equal to itself and above every other value), as the SQL that
 * computes the inputs means them.
 */
#ifndef KPI_MEASURE_CORE_H
#define KPI_MEASURE_CORE_H

#include <stdbool.h>
#include <stdint.h>

/* how a part is counted (csat.kpi_scan_parts.code) */
typedef enum
{
	KM_COUNT,					/* n: rows where the filter holds */
	KM_RATIO,					/* hits: numerator rows (the denominator is a part of its own) */
	KM_DENOMINATOR,				/* n: denominator rows of a ratio */
	KM_SHARE,					/* n, hits; success NULL: excluded */
	KM_SHARE_ASOF,				/* the same, success NULL: pending (not known yet as of as_of) */
	KM_MEAN,					/* n, excluded, weighted sums */
	KM_NPS,						/* as mean, and promoters, detractors */
	KM_DURATION,				/* closed, attained, missed, open, overdue, pending, excluded, sums, sketch */
	KM_WCOUNT,					/* a wide rollup measure: count */
	KM_WSUM,					/* a wide rollup measure: sum */
	KM_WSKETCH,					/* a wide rollup measure: sketch */
	KM_NCODES
} km_code;

#define KM_MAX_INPUTS 7

typedef struct km_info
{
	const char *name;			/* as csat.kpi_scan_parts writes it */
	int			ninputs;		/* columns of the statement */
	int			ncells;			/* state cells */
	bool		is_float[KM_MAX_INPUTS];	/* float8 input (else boolean) */
} km_info;

extern const km_info km_codes[KM_NCODES];

/* the code named name, or -1 */
extern int	km_code_of(const char *name);

/* one cell of a part's state: a count, a sum, or the host's sketch values */
typedef union km_cell
{
	int64_t		i;
	double		d;
	void	   *p;
} km_cell;

/*
 * The fields of a state (csat.kpi_partial): slot 1 n .. 14 sketch; slots
 * 8-11 are float8, the others counts.
 */
enum
{
	KM_N = 1, KM_HITS, KM_MISSES, KM_OPEN, KM_OVERDUE, KM_PENDING, KM_EXCLUDED,
	KM_SUM_W, KM_SUM_WX, KM_SUM_WX2, KM_SUM_W2, KM_PROMOTERS, KM_DETRACTORS, KM_SKETCH,
	KM_NSLOTS = KM_SKETCH
};

/*
 * Add one row to a part's cells c: inputs in (booleans as 0 or 1) with
 * their NULL flags.  Returns the cell whose sketch takes *x (the host keeps
 * the values, see kpi_scan.c), or -1.
 */
extern int	km_add(km_code code, km_cell *c, const double *in, const bool *isnull, double *x);

/* the cell of a part's state holding its sketch's values, or -1: none */
extern int	km_sketch_cell(km_code code);

/*
 * Write a part's cells c into the fields of its row: counts into ints[slot],
 * sums into floats[slot] (slots 1..14; a wide measure writes only its own
 * slot).  Returns the cell holding its sketch's values, or -1.
 */
extern int	km_fields(km_code code, int slot, const km_cell *c, int64_t *ints, double *floats);

/*
 * Add a part's cells src into dst, the same part's state of a longer period
 * or a wider scope (an hour into its day, a channel into the total): counts
 * and sums added.  Returns the cell holding its sketch's values, which the
 * host merges, or -1.
 */
extern int	km_merge(km_code code, km_cell *dst, const km_cell *src);

#endif							/* KPI_MEASURE_CORE_H */
