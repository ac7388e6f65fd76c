/*
 * calendar_core.c: open time of a weekly calendar with holidays between two
 * wall-clock times, in time independent of the span: whole weeks are counted
 * arithmetically and holidays come from a prefix sum found by binary search.
 */
#include "calendar_core.h"

#include <stdlib.h>

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int
cal_dow_of_day(int64_t day)
{
	/* day 0, 2000-01-01, was a Saturday (5 with Monday = 0) */
	return (int) (day + 5 - 7 * floor_div(day + 5, 7));
}

static int
range_cmp(const void *a, const void *b)
{
	const CalRange *x = a;
	const CalRange *y = b;

	if (x->dow != y->dow)
		return x->dow < y->dow ? -1 : 1;
	if (x->open != y->open)
		return x->open < y->open ? -1 : 1;
	return 0;
}

static int
int32_cmp(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return x < y ? -1 : x > y;
}

int
cal_core_init(CalCore *c, CalRange *ranges, int nranges,
			  int32_t *holidays, int nholidays, int64_t *holiday_before)
{
	int			n = 0;

	for (int i = 0; i < nranges; i++)
	{
		if (ranges[i].dow < 0 || ranges[i].dow > 6)
			return CAL_ERR_DOW;
		if (ranges[i].open < 0 || ranges[i].open >= ranges[i].close ||
			ranges[i].close > CAL_USECS_PER_DAY)
			return CAL_ERR_RANGE;
	}
	if (nranges > 0)
		qsort(ranges, nranges, sizeof(CalRange), range_cmp);
	/* merge overlapping or touching ranges of the same weekday */
	for (int i = 0; i < nranges; i++)
	{
		if (n > 0 && ranges[n - 1].dow == ranges[i].dow &&
			ranges[i].open <= ranges[n - 1].close)
		{
			if (ranges[i].close > ranges[n - 1].close)
				ranges[n - 1].close = ranges[i].close;
		}
		else
			ranges[n++] = ranges[i];
	}
	c->nranges = n;
	c->ranges = ranges;

	for (int d = 0, i = 0; d <= 7; d++)
	{
		while (i < n && ranges[i].dow < d)
			i++;
		c->day_first[d] = i;
	}
	c->week_before[0] = 0;
	for (int d = 0; d < 7; d++)
	{
		c->day_open[d] = 0;
		for (int i = c->day_first[d]; i < c->day_first[d + 1]; i++)
			c->day_open[d] += ranges[i].close - ranges[i].open;
		c->week_before[d + 1] = c->week_before[d] + c->day_open[d];
	}

	if (nholidays > 0)
		qsort(holidays, nholidays, sizeof(int32_t), int32_cmp);
	n = 0;
	for (int i = 0; i < nholidays; i++)
		if (n == 0 || holidays[i] != holidays[n - 1])
			holidays[n++] = holidays[i];
	c->nholidays = n;
	c->holidays = holidays;
	holiday_before[0] = 0;
	for (int i = 0; i < n; i++)
		holiday_before[i + 1] = holiday_before[i] + c->day_open[cal_dow_of_day(holidays[i])];
	c->holiday_before = holiday_before;
	return CAL_OK;
}

/* open microseconds of weekday dow before time of day tod */
static int64_t
open_in_day(const CalCore *c, int dow, int64_t tod)
{
	int64_t		sum = 0;

	for (int i = c->day_first[dow]; i < c->day_first[dow + 1]; i++)
	{
		const CalRange *r = &c->ranges[i];

		if (tod <= r->open)
			break;
		sum += (tod < r->close ? tod : r->close) - r->open;
	}
	return sum;
}

/* number of holidays before day (binary search) */
int
cal_holidays_before(const CalCore *c, int64_t day)
{
	int			lo = 0,
				hi = c->nholidays;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (c->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Open microseconds from an arbitrary origin (the Monday 1999-12-27) to t.
 * Only differences are meaningful; the value stays within about a week of
 * |t|, so it fits for every PostgreSQL timestamp.
 */
static int64_t
open_before(const CalCore *c, int64_t t)
{
	int64_t		day = floor_div(t, CAL_USECS_PER_DAY);
	int64_t		tod = t - day * CAL_USECS_PER_DAY;
	int64_t		week = floor_div(day + 5, 7);
	int			dow = (int) (day + 5 - 7 * week);
	int64_t		f;
	int			h;

	f = week * c->week_before[7] + c->week_before[dow] + open_in_day(c, dow, tod);
	h = cal_holidays_before(c, day);
	f -= c->holiday_before[h];
	if (h < c->nholidays && c->holidays[h] == day)
		f -= open_in_day(c, dow, tod);
	return f;
}

uint64_t
cal_open_between(const CalCore *c, int64_t a, int64_t b)
{
	/* modular subtraction gives the exact non-negative difference */
	return (uint64_t) open_before(c, b) - (uint64_t) open_before(c, a);
}

void
cal_core_without_holidays(const CalCore *c, CalCore *week)
{
	*week = *c;
	week->nholidays = 0;		/* holiday_before[0] is 0 */
}

uint64_t
cal_open_on_day(const CalCore *c, int64_t day, int64_t a, int64_t b)
{
	int64_t		da,
				db,
				from,
				to;
	int			dow = cal_dow_of_day(day);

	if (a >= b)
		return 0;
	da = floor_div(a, CAL_USECS_PER_DAY);
	db = floor_div(b, CAL_USECS_PER_DAY);
	if (da > day || db < day)
		return 0;
	/* times of day, without computing day * CAL_USECS_PER_DAY (may overflow) */
	from = da < day ? 0 : a - da * CAL_USECS_PER_DAY;
	to = db > day ? CAL_USECS_PER_DAY : b - db * CAL_USECS_PER_DAY;
	return (uint64_t) (open_in_day(c, dow, to) - open_in_day(c, dow, from));
}
