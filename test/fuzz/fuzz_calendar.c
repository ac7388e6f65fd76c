/*
 * fuzz_calendar.c: libFuzzer target for the business-hours core.  Builds a
 * calendar (ranges and holidays) and spans from the input and checks the
 * invariants: open time never exceeds the span, splitting a span anywhere
 * adds up exactly, a whole week is the weekly total minus its holidays, the
 * weekly hours minus each holiday's open time give the same, and short spans
 * agree with a day-by-day reference.
 */
#include "calendar_core.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
	const uint8_t *p;
	size_t		n;
} Input;

static uint64_t
take(Input *in, int bytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < bytes; i++)
	{
		v = (v << 8) | (in->n ? *in->p : 0);
		if (in->n)
		{
			in->p++;
			in->n--;
		}
	}
	return v;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* reference: walk the days of [a, b), intersecting each with its ranges */
static uint64_t
reference(const CalRange *r, int nr, const int32_t *hol, int nh, int64_t a, int64_t b)
{
	uint64_t	sum = 0;

	for (int64_t day = floor_div(a, CAL_USECS_PER_DAY); day * CAL_USECS_PER_DAY < b; day++)
	{
		int64_t		d0 = day * CAL_USECS_PER_DAY;
		int			holiday = 0;
		/* union of the day's ranges, clipped to [a, b), on a sorted sweep */
		int64_t		covered_to = d0;

		for (int i = 0; i < nh; i++)
			holiday |= hol[i] == day;
		if (holiday)
			continue;
		for (int64_t start = 0; start < CAL_USECS_PER_DAY;)
		{
			/* next range start at or after 'start' among ranges of this weekday */
			int64_t		best = -1,
						end = 0;

			for (int i = 0; i < nr; i++)
				if (r[i].dow == cal_dow_of_day(day) && r[i].close > start &&
					(best < 0 || (r[i].open > start ? r[i].open : start) < best))
				{
					best = r[i].open > start ? r[i].open : start;
					end = r[i].close;
				}
			if (best < 0)
				break;
			/* extend through overlapping ranges */
			for (int changed = 1; changed;)
			{
				changed = 0;
				for (int i = 0; i < nr; i++)
					if (r[i].dow == cal_dow_of_day(day) && r[i].open <= end && r[i].close > end)
					{
						end = r[i].close;
						changed = 1;
					}
			}
			{
				int64_t		lo = d0 + best,
							hi = d0 + end;

				if (lo < a)
					lo = a;
				if (hi > b)
					hi = b;
				if (lo < covered_to)
					lo = covered_to;
				if (hi > lo)
				{
					sum += (uint64_t) (hi - lo);
					covered_to = hi;
				}
			}
			start = end;
		}
	}
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input		in = {data, size};
	CalRange	r[16],
				orig[16];
	int32_t		hol[8],
				holc[8];
	int64_t		hb[9];
	CalCore		c;
	int			nr = (int) (take(&in, 1) % 17);
	int			nh = (int) (take(&in, 1) % 9);
	int64_t		base = (int64_t) (take(&in, 4) % 2000000) - 1000000;	/* days */

	for (int i = 0; i < nr; i++)
	{
		int64_t		x = (int64_t) (take(&in, 5) % (uint64_t) (CAL_USECS_PER_DAY + 1));
		int64_t		y = (int64_t) (take(&in, 5) % (uint64_t) (CAL_USECS_PER_DAY + 1));

		r[i].dow = (int) (take(&in, 1) % 8);	/* 7 is invalid on purpose */
		r[i].open = x < y ? x : y;
		r[i].close = x < y ? y : x;
	}
	for (int i = 0; i < nh; i++)
		hol[i] = (int32_t) (base + (int64_t) (take(&in, 1) % 40) - 5);
	memcpy(orig, r, sizeof(CalRange) * nr);
	memcpy(holc, hol, sizeof(int32_t) * nh);
	if (cal_core_init(&c, r, nr, holc, nh, hb) != CAL_OK)
	{
		/* must be rejected only for a real defect */
		int			bad = 0;

		for (int i = 0; i < nr; i++)
			bad |= orig[i].dow > 6 || orig[i].open >= orig[i].close;
		if (!bad)
			abort();
		return 0;
	}

	for (int s = 0; s < 4 && in.n > 0; s++)
	{
		int64_t		a = base * CAL_USECS_PER_DAY + (int64_t) (take(&in, 6) % (uint64_t) (30 * CAL_USECS_PER_DAY));
		int64_t		len = (int64_t) (take(&in, 6) % (uint64_t) (20 * CAL_USECS_PER_DAY));
		int64_t		b = a + len;
		int64_t		m = a + (len ? (int64_t) (take(&in, 6) % (uint64_t) len) : 0);
		uint64_t	got = cal_open_between(&c, a, b);

		if (got > (uint64_t) len)
			abort();
		if (cal_open_between(&c, a, m) + cal_open_between(&c, m, b) != got)
			abort();
		if (got != reference(orig, nr, hol, nh, a, b))
			abort();
		/* the weekly hours without holidays, minus each holiday's own open time */
		{
			CalCore		week;
			uint64_t	split;

			cal_core_without_holidays(&c, &week);
			split = cal_open_between(&week, a, b);
			for (int i = 0; i < c.nholidays; i++)
				split -= cal_open_on_day(&week, c.holidays[i], a, b);
			if (split != got)
				abort();
		}
		/* the reversed span is the negated value, modulo 2^64 */
		if (cal_open_between(&c, b, a) != (uint64_t) 0 - got)
			abort();
	}
	/* a whole week far from the holidays is exactly the weekly total */
	if (cal_open_between(&c, (base + 100) * CAL_USECS_PER_DAY, (base + 107) * CAL_USECS_PER_DAY)
		!= (uint64_t) c.week_before[7])
		abort();
	return 0;
}
