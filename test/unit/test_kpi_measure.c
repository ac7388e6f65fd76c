/*
 * test_kpi_measure.c: unit tests of what each KPI part counts
 * (kpi_measure_core.c): shares with unknown successes, means and NPS with
 * values left out (NULL, NaN, infinite, bad weights), durations at the target
 * boundary (closed, open, pending, overdue, negative, no start), ratios and
 * the wide rollup's measures, and the fields each writes.
 */
#include "kpi_measure_core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int	failures = 0;

#define CHECK(cond, ...) \
	do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)
#define EQI(got, want) CHECK((got) == (want), "%s = %lld, want %lld", #got, (long long) (got), (long long) (want))
#define EQF(got, want) CHECK((got) == (want), "%s = %.17g, want %.17g", #got, (double) (got), (double) (want))

#define N 0						/* NULL input */

/* add a row: inputs given as numbers, NULL where isnull has 1 */
static int
add(km_code code, km_cell *c, const double *in, const char *nulls, double *x)
{
	bool		isnull[KM_MAX_INPUTS] = {false};

	for (int i = 0; nulls && nulls[i]; i++)
		isnull[i] = nulls[i] == 'n';
	return km_add(code, c, in, isnull, x);
}

static void
test_codes(void)
{
	EQI(km_code_of("share"), KM_SHARE);
	EQI(km_code_of("duration"), KM_DURATION);
	EQI(km_code_of("wsketch"), KM_WSKETCH);
	EQI(km_code_of("median"), -1);
	EQI(km_codes[KM_DURATION].ninputs, 7);
	CHECK(km_codes[KM_MEAN].is_float[1] && !km_codes[KM_MEAN].is_float[0], "mean inputs: filter boolean, value float");
}

static void
test_share(void)
{
	km_cell		c[3] = {{0}};
	int64_t		ints[KM_NSLOTS + 1] = {0};
	double		floats[KM_NSLOTS + 1] = {0};
	double		x;

	add(KM_SHARE, c, (double[]) {1, 1}, NULL, &x);	/* success */
	add(KM_SHARE, c, (double[]) {1, 0}, NULL, &x);	/* failure */
	add(KM_SHARE, c, (double[]) {1, 0}, " n", &x);	/* unknown: excluded */
	add(KM_SHARE, c, (double[]) {0, 1}, NULL, &x);	/* filtered out */
	add(KM_SHARE, c, (double[]) {0, 1}, "n", &x);	/* filter NULL: out */
	EQI(km_fields(KM_SHARE, 0, c, ints, floats), -1);
	EQI(ints[KM_N], 2);
	EQI(ints[KM_HITS], 1);
	EQI(ints[KM_EXCLUDED], 1);
	EQI(ints[KM_PENDING], 0);
	memset(ints, 0, sizeof ints);
	km_fields(KM_SHARE_ASOF, 0, c, ints, floats);
	EQI(ints[KM_PENDING], 1);
	EQI(ints[KM_EXCLUDED], 0);
}

static void
test_mean_nps(void)
{
	km_cell		c[8] = {{0}};
	int64_t		ints[KM_NSLOTS + 1] = {0};
	double		floats[KM_NSLOTS + 1] = {0};
	double		x;

	add(KM_MEAN, c, (double[]) {1, 4, 2}, NULL, &x);
	add(KM_MEAN, c, (double[]) {1, 2, 1}, NULL, &x);
	add(KM_MEAN, c, (double[]) {1, N, 1}, " n", &x);	/* NULL value */
	add(KM_MEAN, c, (double[]) {1, NAN, 1}, NULL, &x);
	add(KM_MEAN, c, (double[]) {1, INFINITY, 1}, NULL, &x);
	add(KM_MEAN, c, (double[]) {1, 3, 0}, NULL, &x);	/* weight 0 */
	add(KM_MEAN, c, (double[]) {1, 3, -1}, NULL, &x);
	add(KM_MEAN, c, (double[]) {1, 3, NAN}, NULL, &x);
	km_fields(KM_MEAN, 0, c, ints, floats);
	EQI(ints[KM_N], 2);
	EQI(ints[KM_EXCLUDED], 6);
	EQF(floats[KM_SUM_W], 3);
	EQF(floats[KM_SUM_WX], 10);
	EQF(floats[KM_SUM_WX2], 36);
	EQF(floats[KM_SUM_W2], 5);
	EQI(ints[KM_PROMOTERS], 0);

	memset(c, 0, sizeof c);
	memset(ints, 0, sizeof ints);
	for (int s = 0; s <= 10; s++)
		add(KM_NPS, c, (double[]) {1, s, 1}, NULL, &x);
	add(KM_NPS, c, (double[]) {1, 11, 1}, NULL, &x);
	add(KM_NPS, c, (double[]) {1, -1, 1}, NULL, &x);
	add(KM_NPS, c, (double[]) {1, NAN, 1}, NULL, &x);	/* NaN > 10 */
	km_fields(KM_NPS, 0, c, ints, floats);
	EQI(ints[KM_N], 11);
	EQI(ints[KM_EXCLUDED], 3);
	EQI(ints[KM_PROMOTERS], 2);
	EQI(ints[KM_DETRACTORS], 7);
}

/* a duration row: filter, open, duration, age, target, has stop, no start */
static int
dur(km_cell *c, bool open, double d, double a, double t, bool has_stop, bool no_start, double *x)
{
	char		nulls[8] = "       ";

	if (isnan(d))
		nulls[2] = 'n';
	if (isnan(a))
		nulls[3] = 'n';
	if (isnan(t))
		nulls[4] = 'n';
	return add(KM_DURATION, c, (double[]) {1, open, d, a, t, has_stop, no_start}, nulls, x);
}

static void
test_duration(void)
{
	km_cell		c[10] = {{0}};
	int64_t		ints[KM_NSLOTS + 1] = {0};
	double		floats[KM_NSLOTS + 1] = {0};
	double		x = -1;

	/* closed at the target: attained; its value goes to the sketch */
	EQI(dur(c, false, 100, NAN, 100, true, false, &x), 9);
	EQF(x, 100);
	/* closed one second late: a miss */
	EQI(dur(c, false, 101, NAN, 100, true, false, &x), 9);
	/* open, as old as the target: pending, no miss */
	EQI(dur(c, true, NAN, 100, 100, false, false, &x), -1);
	/* open past the target: a miss, overdue */
	dur(c, true, NAN, 101, 100, false, false, &x);
	/* stopped after as_of: open and pending whatever its age */
	dur(c, true, NAN, 500, 100, true, false, &x);
	/* negative duration and no start: excluded */
	EQI(dur(c, false, -5, NAN, 100, true, false, &x), -1);
	dur(c, false, NAN, NAN, 100, false, true, &x);
	/* closed, no target: counted, neither attained nor missed */
	dur(c, false, 7, NAN, NAN, true, false, &x);
	EQI(km_fields(KM_DURATION, 0, c, ints, floats), 9);
	EQI(ints[KM_N], 3);
	EQI(ints[KM_HITS], 1);
	EQI(ints[KM_MISSES], 3);	/* late, overdue, stopped-after-as_of past target */
	EQI(ints[KM_OPEN], 3);
	EQI(ints[KM_OVERDUE], 2);
	EQI(ints[KM_PENDING], 2);
	EQI(ints[KM_EXCLUDED], 2);
	EQF(floats[KM_SUM_W], 3);
	EQF(floats[KM_SUM_W2], 3);
	EQF(floats[KM_SUM_WX], 208);
	EQF(floats[KM_SUM_WX2], 100 * 100 + 101 * 101 + 49);
	/* filtered out: nothing */
	memset(c, 0, sizeof c);
	EQI(add(KM_DURATION, c, (double[]) {0, 0, 5, 0, 10, 1, 0}, "   n   ", &x), -1);
	EQI(c[0].i + c[6].i, 0);
}

static void
test_ratio_and_wide(void)
{
	km_cell		c[1] = {{0}};
	int64_t		ints[KM_NSLOTS + 1] = {0};
	double		floats[KM_NSLOTS + 1] = {0};
	double		x = -1;

	add(KM_RATIO, c, (double[]) {1}, NULL, &x);
	add(KM_RATIO, c, (double[]) {1}, NULL, &x);
	km_fields(KM_RATIO, 0, c, ints, floats);
	EQI(ints[KM_HITS], 2);
	EQI(ints[KM_N], 0);
	memset(ints, 0, sizeof ints);
	km_fields(KM_DENOMINATOR, 0, c, ints, floats);
	EQI(ints[KM_N], 2);

	memset(c, 0, sizeof c);
	add(KM_WSUM, c, (double[]) {2.5}, NULL, &x);
	add(KM_WSUM, c, (double[]) {N}, "n", &x);
	add(KM_WSUM, c, (double[]) {1}, NULL, &x);
	km_fields(KM_WSUM, KM_SUM_WX, c, ints, floats);
	EQF(floats[KM_SUM_WX], 3.5);
	EQI(add(KM_WSKETCH, c, (double[]) {N}, "n", &x), -1);
	EQI(add(KM_WSKETCH, c, (double[]) {3}, NULL, &x), 0);
	EQF(x, 3);
	memset(c, 0, sizeof c);
	add(KM_WCOUNT, c, (double[]) {1}, NULL, &x);
	add(KM_WCOUNT, c, (double[]) {0}, NULL, &x);
	km_fields(KM_WCOUNT, KM_OPEN, c, ints, floats);
	EQI(ints[KM_OPEN], 1);
}

/* a day's state is its hours' states added up: the same as one state fed every row */
static void
test_merge(void)
{
	km_cell		h1[10] = {{0}},
				h2[10] = {{0}},
				all[10] = {{0}},
				day[10] = {{0}};
	int64_t		ints[KM_NSLOTS + 1] = {0},
				ints2[KM_NSLOTS + 1] = {0};
	double		floats[KM_NSLOTS + 1] = {0},
				floats2[KM_NSLOTS + 1] = {0};
	double		x = -1;
	/* closed in 5 s (hit), closed in 20 s (miss), open 30 s (overdue), negative (excluded) */
	double		rows[4][7] = {{1, 0, 5, N, 10, 1, 0}, {1, 0, 20, N, 10, 1, 0},
							  {1, 1, N, 30, 10, 0, 0}, {1, 0, -1, N, 10, 1, 0}};
	const char *nulls[4] = {"   n   ", "   n   ", "  n    ", "   n   "};

	for (int r = 0; r < 4; r++)
	{
		add(KM_DURATION, r < 2 ? h1 : h2, rows[r], nulls[r], &x);
		add(KM_DURATION, all, rows[r], nulls[r], &x);
	}
	EQI(km_merge(KM_DURATION, day, h1), 9);
	EQI(km_merge(KM_DURATION, day, h2), 9);
	km_fields(KM_DURATION, 0, day, ints, floats);
	km_fields(KM_DURATION, 0, all, ints2, floats2);
	for (int k = KM_N; k < KM_SKETCH; k++)
	{
		EQI(ints[k], ints2[k]);
		EQF(floats[k], floats2[k]);
	}
	EQI(ints[KM_N], 2);
	EQI(ints[KM_HITS], 1);
	EQI(ints[KM_MISSES], 2);
	EQI(ints[KM_OVERDUE], 1);
	EQI(ints[KM_EXCLUDED], 1);
	EQF(floats[KM_SUM_WX2], 425);

	/* nps: counts and weighted sums */
	memset(h1, 0, sizeof h1);
	memset(day, 0, sizeof day);
	add(KM_NPS, h1, (double[]) {1, 10, 1}, NULL, &x);
	add(KM_NPS, h1, (double[]) {1, 3, 2}, NULL, &x);
	EQI(km_merge(KM_NPS, day, h1), -1);
	EQI(km_merge(KM_NPS, day, h1), -1);
	memset(ints, 0, sizeof ints);
	km_fields(KM_NPS, 0, day, ints, floats);
	EQI(ints[KM_N], 4);
	EQI(ints[KM_PROMOTERS], 2);
	EQI(ints[KM_DETRACTORS], 2);
	EQF(floats[KM_SUM_WX], 32);

	/* wide measures: a sum, a sketch (the host's) */
	memset(h1, 0, sizeof h1);
	memset(day, 0, sizeof day);
	add(KM_WSUM, h1, (double[]) {2.5}, NULL, &x);
	EQI(km_merge(KM_WSUM, day, h1), -1);
	EQI(km_merge(KM_WSUM, day, h1), -1);
	EQF(day[0].d, 5);
	EQI(km_merge(KM_WSKETCH, day, h1), 0);
	memset(h1, 0, sizeof h1);
	memset(day, 0, sizeof day);
	add(KM_SHARE_ASOF, h1, (double[]) {1, N}, " n", &x);
	add(KM_SHARE_ASOF, h1, (double[]) {1, 1}, NULL, &x);
	EQI(km_merge(KM_SHARE_ASOF, day, h1), -1);
	EQI(day[0].i, 1);
	EQI(day[1].i, 1);
	EQI(day[2].i, 1);
}

int
main(void)
{
	test_codes();
	test_share();
	test_mean_nps();
	test_duration();
	test_ratio_and_wide();
	test_merge();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
