/*
 * test_calendar.c: unit test of the pure-C business-hours core against a
 * minute-by-minute brute force on random calendars, holidays and spans, plus
 * fixed cases, additivity at microsecond resolution and extreme timestamps.
 */
#include "calendar_core.h"

#include <stdio.h>
#include <stdlib.h>

#define MIN_US	INT64_C(60000000)
#define HOUR_US (60 * MIN_US)

static int	failures = 0;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next(void)
{
	/* xorshift64*: deterministic, good enough for test data */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1du;
}

static int64_t
rnd(int64_t lo, int64_t hi)		/* inclusive */
{
	return lo + (int64_t) (next() % (uint64_t) (hi - lo + 1));
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* brute force: is wall minute starting at t open?  uses the unmerged input */
static int
open_at(const CalRange *r, int nr, const int32_t *hol, int nh, int64_t t)
{
	int64_t		day = floor_div(t, CAL_USECS_PER_DAY);
	int64_t		tod = t - day * CAL_USECS_PER_DAY;
	int			dow = cal_dow_of_day(day);

	for (int i = 0; i < nh; i++)
		if (hol[i] == day)
			return 0;
	for (int i = 0; i < nr; i++)
		if (r[i].dow == dow && r[i].open <= tod && tod < r[i].close)
			return 1;
	return 0;
}

static void
fixed_cases(void)
{
	/* Mon-Fri 09:00-12:00 and 13:00-17:00, 2000-01-01 is a Saturday */
	CalRange	r[10];
	int32_t		hol[2] = {9, 2};	/* Mon 2000-01-10, Mon 2000-01-03 (unsorted) */
	int64_t		hb[3];
	CalCore		c;
	int			n = 0;

	for (int d = 0; d < 5; d++)
	{
		r[n++] = (CalRange) {d, 9 * HOUR_US, 12 * HOUR_US};
		r[n++] = (CalRange) {d, 13 * HOUR_US, 17 * HOUR_US};
	}
	CHECK(cal_core_init(&c, r, n, hol, 2, hb) == CAL_OK, "init");
	CHECK(c.day_open[0] == 7 * HOUR_US && c.day_open[5] == 0, "day_open");
	CHECK(c.week_before[7] == 35 * HOUR_US, "week open");
	CHECK(cal_dow_of_day(0) == 5 && cal_dow_of_day(2) == 0 && cal_dow_of_day(-1) == 4, "dow");
	/* whole first week of 2000 (Sat 1st .. Sat 8th): Monday 3rd is a holiday */
	CHECK(cal_open_between(&c, 0, 7 * CAL_USECS_PER_DAY) == 28 * HOUR_US, "week with holiday");
	/* Tue 4th 10:30 to Tue 4th 13:30: 1.5 h + 0.5 h */
	CHECK(cal_open_between(&c, 3 * CAL_USECS_PER_DAY + 10 * HOUR_US + 30 * MIN_US,
						   3 * CAL_USECS_PER_DAY + 13 * HOUR_US + 30 * MIN_US) == 2 * HOUR_US, "lunch");
	/* inside the holiday */
	CHECK(cal_open_between(&c, 2 * CAL_USECS_PER_DAY + 10 * HOUR_US, 2 * CAL_USECS_PER_DAY + 11 * HOUR_US) == 0, "holiday");
	/* empty span, weekend span */
	CHECK(cal_open_between(&c, 5, 5) == 0, "empty");
	CHECK(cal_open_between(&c, 0, 2 * CAL_USECS_PER_DAY) == 0, "weekend");
	/* 1999-12-31 (Friday, day -1) 16:00 .. 2000-01-04 09:30: 1 h + 0.5 h (Monday holiday) */
	CHECK(cal_open_between(&c, -CAL_USECS_PER_DAY + 16 * HOUR_US, 3 * CAL_USECS_PER_DAY + 9 * HOUR_US + 30 * MIN_US)
		  == HOUR_US + 30 * MIN_US, "across new year");
	/* 52 weeks from Monday 2001-01-01 (day 366): 52 * 35 h, no holidays in range */
	CHECK(cal_open_between(&c, 366 * CAL_USECS_PER_DAY, (366 + 364) * CAL_USECS_PER_DAY) == 52 * 35 * HOUR_US, "year");
}

static void
merge_and_errors(void)
{
	CalRange	r[4] = {{2, 10 * HOUR_US, 12 * HOUR_US}, {2, 9 * HOUR_US, 11 * HOUR_US},
	{2, 12 * HOUR_US, 13 * HOUR_US}, {6, 0, CAL_USECS_PER_DAY}};
	int64_t		hb[1];
	CalCore		c;

	CHECK(cal_core_init(&c, r, 4, NULL, 0, hb) == CAL_OK, "init merge");
	CHECK(c.nranges == 2 && c.day_open[2] == 4 * HOUR_US && c.day_open[6] == 24 * HOUR_US, "merged");

	r[0] = (CalRange) {7, 0, 1};
	CHECK(cal_core_init(&c, r, 1, NULL, 0, hb) == CAL_ERR_DOW, "bad dow");
	r[0] = (CalRange) {1, 5, 5};
	CHECK(cal_core_init(&c, r, 1, NULL, 0, hb) == CAL_ERR_RANGE, "empty range");
	r[0] = (CalRange) {1, 0, CAL_USECS_PER_DAY + 1};
	CHECK(cal_core_init(&c, r, 1, NULL, 0, hb) == CAL_ERR_RANGE, "past midnight");
	r[0] = (CalRange) {1, -1, 5};
	CHECK(cal_core_init(&c, r, 1, NULL, 0, hb) == CAL_ERR_RANGE, "negative");
	/* no ranges at all: never open */
	CHECK(cal_core_init(&c, r, 0, NULL, 0, hb) == CAL_OK && cal_open_between(&c, -CAL_USECS_PER_WEEK * 1000, 123456789) == 0, "closed");
}

static void
extremes(void)
{
	CalRange	r[7];
	int64_t		hb[1];
	CalCore		c;
	/* PostgreSQL's timestamp range plus a day of zone offset either way */
	int64_t		lo = INT64_C(-211813488000000000) - CAL_USECS_PER_DAY;
	int64_t		hi = INT64_C(9223371331200000000) + CAL_USECS_PER_DAY;

	for (int d = 0; d < 7; d++)
		r[d] = (CalRange) {d, 0, CAL_USECS_PER_DAY};
	cal_core_init(&c, r, 7, NULL, 0, hb);
	/* 24/7: open time is the span, exactly, even beyond INT64_MAX */
	CHECK(cal_open_between(&c, lo, hi) == (uint64_t) hi - (uint64_t) lo, "24/7 whole range");
	CHECK(cal_open_between(&c, hi - 7, hi) == 7, "24/7 near the end");
	CHECK(cal_open_between(&c, lo, lo + 7) == 7, "24/7 near the start");
}

static void
random_cases(void)
{
	for (int iter = 0; iter < 300; iter++)
	{
		CalRange	r[12],
					orig[12];
		int32_t		hol[20],
					holc[20];
		int64_t		hb[21];
		CalCore		c;
		int			nr = (int) rnd(0, 12);
		int			nh = (int) rnd(0, 20);
		/* a window of about ten weeks around a random origin, in minutes */
		int64_t		base = rnd(-200000, 200000) * CAL_USECS_PER_DAY;

		for (int i = 0; i < nr; i++)
		{
			int64_t		a = rnd(0, 1439),
						b = rnd(0, 1440);

			if (a == b)
				b = a + 1;
			if (a > b)
			{
				int64_t		t = a;

				a = b;
				b = t;
			}
			r[i] = (CalRange) {(int) rnd(0, 6), a * MIN_US, b * MIN_US};
			orig[i] = r[i];
		}
		for (int i = 0; i < nh; i++)
			hol[i] = holc[i] = (int32_t) (base / CAL_USECS_PER_DAY + rnd(-3, 70));
		CHECK(cal_core_init(&c, r, nr, holc, nh, hb) == CAL_OK, "init random");

		for (int s = 0; s < 20; s++)
		{
			int64_t		a = base + rnd(-3 * 1440, 30 * 1440) * MIN_US;
			int64_t		b = a + rnd(0, 40 * 1440) * MIN_US;
			int64_t		want = 0;
			uint64_t	got;

			for (int64_t t = a; t < b; t += MIN_US)
				want += open_at(orig, nr, hol, nh, t) * MIN_US;
			got = cal_open_between(&c, a, b);
			CHECK(got == (uint64_t) want, "iter %d span %d: got %llu want %lld", iter, s,
				  (unsigned long long) got, (long long) want);

			/* additivity at arbitrary microseconds */
			{
				int64_t		m = a + rnd(0, b - a);

				CHECK(cal_open_between(&c, a, m) + cal_open_between(&c, m, b) == got, "additive");
			}
		}
		/* far spans: whole weeks exactly */
		{
			int64_t		a = base + rnd(0, 100000000) * 1000;
			int64_t		weeks = rnd(100, 100000);
			uint64_t	whole = cal_open_between(&c, a - 80 * CAL_USECS_PER_DAY, a - 80 * CAL_USECS_PER_DAY + weeks * CAL_USECS_PER_WEEK);

			/* holidays lie within [base - 3d, base + 70d], inside this span */
			int64_t		holopen = 0;

			for (int i = 0; i < c.nholidays; i++)
				holopen += c.day_open[cal_dow_of_day(c.holidays[i])];
			CHECK(whole == (uint64_t) (weeks * c.week_before[7] - holopen), "whole weeks");
		}
	}
}

/*
 * What far spans rely on: 400 Gregorian years are whole weeks, so without
 * holidays every cycle holds the same open time wherever it starts; and the
 * open time with holidays is the weekly open time minus each holiday's.
 */
static void
cycles_and_holiday_split(void)
{
	CHECK(CAL_CYCLE_DAYS % 7 == 0 && CAL_CYCLE_DAYS == 400 * 365 + 97, "cycle is whole weeks");
	for (int iter = 0; iter < 200; iter++)
	{
		CalRange	r[12];
		int32_t		hol[20];
		int64_t		hb[21];
		CalCore		c,
					week;
		int			nr = (int) rnd(0, 12);
		int			nh = (int) rnd(0, 20);
		int64_t		base = rnd(-2000000, 100000000) * CAL_USECS_PER_DAY;

		for (int i = 0; i < nr; i++)
		{
			int64_t		a = rnd(0, 1439),
						b = rnd(a + 1, 1440);

			r[i] = (CalRange) {(int) rnd(0, 6), a * MIN_US, b * MIN_US};
		}
		for (int i = 0; i < nh; i++)
			hol[i] = (int32_t) (base / CAL_USECS_PER_DAY + rnd(-5, 60));
		CHECK(cal_core_init(&c, r, nr, hol, nh, hb) == CAL_OK, "init");
		cal_core_without_holidays(&c, &week);
		CHECK(week.nholidays == 0 && week.week_before[7] == c.week_before[7], "without holidays");

		for (int s = 0; s < 10; s++)
		{
			int64_t		a = base + rnd(-10 * CAL_USECS_PER_DAY, 70 * CAL_USECS_PER_DAY);
			int64_t		b = a + rnd(0, 80 * CAL_USECS_PER_DAY);
			uint64_t	split = cal_open_between(&week, a, b);
			uint64_t	cycle = (uint64_t) (CAL_CYCLE_DAYS / 7 * week.week_before[7]);

			for (int i = 0; i < c.nholidays; i++)
				split -= cal_open_on_day(&week, c.holidays[i], a, b);
			CHECK(split == cal_open_between(&c, a, b), "holiday split iter %d span %d", iter, s);
			CHECK(cal_open_between(&week, a, a + CAL_USECS_PER_CYCLE) == cycle, "one cycle");
			CHECK(cal_open_between(&week, a, a + 3 * CAL_USECS_PER_CYCLE) == 3 * cycle, "three cycles");
			CHECK(cal_open_on_day(&week, b / CAL_USECS_PER_DAY, b, a) == 0, "reversed is empty");
		}
	}
	/* a day's open time within a span: clipped at both ends, whole when covered */
	{
		CalRange	r[1] = {{0, 9 * HOUR_US, 17 * HOUR_US}};	/* Mondays 09-17 */
		int64_t		hb[1];
		CalCore		c;
		int64_t		mon = 2;	/* 2000-01-03 */
		int64_t		d0 = mon * CAL_USECS_PER_DAY;
		/* the last Monday of PostgreSQL's range, and spans near INT64_MAX */
		int64_t		last = INT64_C(9223371331200000000) / CAL_USECS_PER_DAY;
		int64_t		top = INT64_MAX - 1000;

		while (cal_dow_of_day(last) != 0)
			last--;
		cal_core_init(&c, r, 1, NULL, 0, hb);
		CHECK(cal_open_on_day(&c, mon, d0 - 5, d0 + CAL_USECS_PER_DAY + 5) == 8 * HOUR_US, "whole day");
		CHECK(cal_open_on_day(&c, mon, d0 + 10 * HOUR_US, d0 + 11 * HOUR_US) == HOUR_US, "inside");
		CHECK(cal_open_on_day(&c, mon, d0 + 16 * HOUR_US, d0 + 30 * HOUR_US) == HOUR_US, "clipped end");
		CHECK(cal_open_on_day(&c, mon, d0 - 30 * HOUR_US, d0 + 10 * HOUR_US) == HOUR_US, "clipped start");
		CHECK(cal_open_on_day(&c, mon, d0 + CAL_USECS_PER_DAY, d0 + 2 * CAL_USECS_PER_DAY) == 0, "after");
		CHECK(cal_open_on_day(&c, mon + 7, d0, d0 + CAL_USECS_PER_DAY) == 0, "other day");
		CHECK(cal_open_on_day(&c, last, last * CAL_USECS_PER_DAY, top) == 8 * HOUR_US, "near the top");
		CHECK(cal_open_on_day(&c, last + 10, last * CAL_USECS_PER_DAY, top) == 0, "past the top");
	}
}

int
main(void)
{
	fixed_cases();
	merge_and_errors();
	extremes();
	random_cases();
	cycles_and_holiday_split();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("calendar core: all tests passed\n");
	return 0;
}
