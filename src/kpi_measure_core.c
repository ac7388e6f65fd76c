/*
 * kpi_measure_core.c: what each part of a KPI counts (see kpi_measure_core.h).
 *
 * The inputs of a part are computed per row by the statement of
 * csat.kpi_source_sql from the KPI's definition: the filter, then for a share
 * its success, for a mean its value and weight, for a duration whether the
 * item is open as of as_of, its duration (closed items), its age (open items),
 * the target, whether it has a stop and whether it lacks a start; for a wide
 * measure its filter or value.
 */
#include "kpi_measure_core.h"

#include <math.h>
#include <string.h>

const km_info km_codes[KM_NCODES] = {
	[KM_COUNT] = {"count", 1, 1, {false}},
	[KM_RATIO] = {"ratio", 1, 1, {false}},
	[KM_DENOMINATOR] = {"denominator", 1, 1, {false}},
	[KM_SHARE] = {"share", 2, 3, {false, false}},
	[KM_SHARE_ASOF] = {"share_asof", 2, 3, {false, false}},
	[KM_MEAN] = {"mean", 3, 6, {false, true, true}},
	[KM_NPS] = {"nps", 3, 8, {false, true, true}},
	[KM_DURATION] = {"duration", 7, 10, {false, false, true, true, true, false, false}},
	[KM_WCOUNT] = {"wcount", 1, 1, {false}},
	[KM_WSUM] = {"wsum", 1, 1, {true}},
	[KM_WSKETCH] = {"wsketch", 1, 1, {true}},
};

int
km_code_of(const char *name)
{
	for (int k = 0; k < KM_NCODES; k++)
		if (strcmp(km_codes[k].name, name) == 0)
			return k;
	return -1;
}

/* PostgreSQL's float8 order: NaN above everything, equal to itself */
static inline bool
f_lt(double a, double b)
{
	return !isnan(a) && (isnan(b) || a < b);
}

static inline bool
f_le(double a, double b)
{
	return isnan(b) || (!isnan(a) && a <= b);
}

static inline bool
f_gt(double a, double b)
{
	return f_lt(b, a);
}

static inline bool
f_ge(double a, double b)
{
	return f_le(b, a);
}

/* input i is true (not NULL) */
#define TRUE_AT(i) (!isnull[i] && in[i] != 0)

int
km_add(km_code code, km_cell *c, const double *in, const bool *isnull, double *x)
{
	double		v,
				w,
				d,
				a,
				t;
	bool		ok,
				has_d,
				has_a,
				has_t;

	switch (code)
	{
		case KM_WSUM:
			if (!isnull[0])
				c[0].d += in[0];
			return -1;
		case KM_WSKETCH:
			if (isnull[0])
				return -1;
			*x = in[0];
			return km_sketch_cell(code);
		default:
			break;
	}
	if (!TRUE_AT(0))			/* the filter */
		return -1;
	switch (code)
	{
		case KM_COUNT:
		case KM_RATIO:
		case KM_DENOMINATOR:
		case KM_WCOUNT:
			c[0].i++;
			break;
		case KM_SHARE:
		case KM_SHARE_ASOF:
			/* cells: n, hits, success NULL */
			if (isnull[1])
				c[2].i++;
			else
			{
				c[0].i++;
				if (in[1] != 0)
					c[1].i++;
			}
			break;
		case KM_MEAN:
		case KM_NPS:

			/*
			 * cells: n, excluded, sum_w, sum_wx, sum_wx2, sum_w2, promoters,
			 * detractors.  A mean counts finite values of a positive finite
			 * weight; NPS scores 0 to 10.
			 */
			v = in[1];
			w = in[2];
			if (code == KM_NPS)
				ok = !isnull[1] && f_ge(v, 0) && f_le(v, 10);
			else
				ok = !isnull[1] && !isnull[2] && f_gt(v, -INFINITY) && f_lt(v, INFINITY) &&
					f_gt(w, 0) && f_lt(w, INFINITY);
			if (!ok)
			{
				c[1].i++;
				break;
			}
			c[0].i++;
			c[2].d += w;
			c[3].d += w * v;
			c[4].d += w * v * v;
			c[5].d += w * w;
			if (code == KM_NPS)
			{
				if (f_ge(v, 9))
					c[6].i++;
				if (f_le(v, 6))
					c[7].i++;
			}
			break;
		case KM_DURATION:

			/*
			 * inputs: filter, open, duration, age, target, has stop, no start;
			 * cells: n, hits, misses, open, overdue, pending, excluded, sum,
			 * sum of squares, sketch.  A closed item with a duration >= 0 is
			 * counted (attained within the target); one after the target, or
			 * an open one past it, is a miss (the open one also overdue); an
			 * open item within the target, or one whose stop lies after
			 * as_of, is pending; a negative duration or a missing start is
			 * excluded.
			 */
			has_d = !isnull[2];
			has_a = !isnull[3];
			has_t = !isnull[4];
			d = in[2];
			a = in[3];
			t = in[4];
			if (has_t && ((has_d && f_gt(d, t)) || (has_a && f_gt(a, t))))
				c[2].i++;
			if (TRUE_AT(1))
			{
				c[3].i++;
				if (TRUE_AT(5) || (has_a && has_t && f_le(a, t)))
					c[5].i++;
			}
			if (has_a && has_t && f_gt(a, t))
				c[4].i++;
			if (TRUE_AT(6) || (has_d && f_lt(d, 0)))
				c[6].i++;
			if (has_d && f_ge(d, 0))
			{
				c[0].i++;
				if (has_t && f_le(d, t))
					c[1].i++;
				c[7].d += d;
				c[8].d += d * d;
				*x = d;
				return km_sketch_cell(code);
			}
			break;
		default:
			break;
	}
	return -1;
}

int
km_sketch_cell(km_code code)
{
	return code == KM_DURATION ? 9 : code == KM_WSKETCH ? 0 : -1;
}

int
km_fields(km_code code, int slot, const km_cell *c, int64_t *ints, double *floats)
{
	switch (code)
	{
		case KM_COUNT:
		case KM_DENOMINATOR:
			ints[KM_N] = c[0].i;
			return -1;
		case KM_RATIO:
			ints[KM_HITS] = c[0].i;
			return -1;
		case KM_SHARE:
		case KM_SHARE_ASOF:
			ints[KM_N] = c[0].i;
			ints[KM_HITS] = c[1].i;
			ints[code == KM_SHARE ? KM_EXCLUDED : KM_PENDING] = c[2].i;
			return -1;
		case KM_MEAN:
		case KM_NPS:
			if (code == KM_NPS)
			{
				ints[KM_PROMOTERS] = c[6].i;
				ints[KM_DETRACTORS] = c[7].i;
			}
			ints[KM_N] = c[0].i;
			ints[KM_EXCLUDED] = c[1].i;
			for (int k = 0; k < 4; k++)
				floats[KM_SUM_W + k] = c[2 + k].d;
			return -1;
		case KM_DURATION:
			for (int k = 0; k < 7; k++)
				ints[KM_N + k] = c[k].i;
			/* a duration's mean is unweighted: w = 1 a closed item */
			floats[KM_SUM_W] = floats[KM_SUM_W2] = (double) c[0].i;
			floats[KM_SUM_WX] = c[7].d;
			floats[KM_SUM_WX2] = c[8].d;
			return km_sketch_cell(code);
		case KM_WCOUNT:
			ints[slot] = c[0].i;
			return -1;
		case KM_WSUM:
			floats[slot] = c[0].d;
			return -1;
		case KM_WSKETCH:
			return km_sketch_cell(code);
		default:
			return -1;
	}
}

int
km_merge(km_code code, km_cell *dst, const km_cell *src)
{
	unsigned	sums = 0;		/* the cells that are sums (bit k: cell k) */
	int			sk = km_sketch_cell(code);

	switch (code)
	{
		case KM_MEAN:
		case KM_NPS:
			sums = 0x3c;		/* sum_w, sum_wx, sum_wx2, sum_w2 */
			break;
		case KM_DURATION:
			sums = 0x180;		/* sum, sum of squares */
			break;
		case KM_WSUM:
			sums = 0x1;
			break;
		default:
			break;
	}
	for (int k = 0; k < km_codes[code].ncells; k++)
	{
		if (k == sk)
			continue;
		if (sums & (1u << k))
			dst[k].d += src[k].d;
		else
			dst[k].i += src[k].i;
	}
	return sk;
}
