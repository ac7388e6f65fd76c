/*
 * calendar_core.h: zone-independent business-hours arithmetic (no PostgreSQL
 * headers).  Times are "wall" microseconds since local 2000-01-01 00:00 on a
 * clock whose days all have 24 hours; the PostgreSQL glue (calendar.c) maps
 * real instants onto that clock piece by piece between DST transitions.
 */
#ifndef CSAT_CALENDAR_CORE_H
#define CSAT_CALENDAR_CORE_H

#include <stdbool.h>
#include <stdint.h>

#define CAL_USECS_PER_DAY	INT64_C(86400000000)
#define CAL_USECS_PER_WEEK	(7 * CAL_USECS_PER_DAY)

/*
 * 400 Gregorian years are 146097 days, exactly 20871 weeks: the weekly
 * pattern repeats with this period, and so do PostgreSQL's time zone rules
 * beyond the end of a zone's table (it extrapolates 400-year cycles).
 */
#define CAL_CYCLE_DAYS		INT64_C(146097)
#define CAL_USECS_PER_CYCLE (CAL_CYCLE_DAYS * CAL_USECS_PER_DAY)

/* one opening range of a weekday; open < close, both within the day */
typedef struct CalRange
{
	int			dow;			/* 0 = Monday .. 6 = Sunday */
	int64_t		open;			/* microseconds after local midnight */
	int64_t		close;			/* exclusive; CAL_USECS_PER_DAY = midnight */
} CalRange;

typedef struct CalCore
{
	int			nranges;
	const CalRange *ranges;		/* merged, sorted by (dow, open) */
	int			day_first[8];	/* weekday d owns ranges[day_first[d] .. day_first[d+1]) */
	int64_t		day_open[7];	/* open microseconds of each weekday */
	int64_t		week_before[8]; /* open microseconds of the week before weekday d */
	int			nholidays;
	const int32_t *holidays;	/* sorted, distinct local day numbers (0 = 2000-01-01) */
	const int64_t *holiday_before;	/* [i] = open microseconds of holidays[0 .. i) */
} CalCore;

#define CAL_OK				0
#define CAL_ERR_DOW			1	/* weekday outside 0..6 */
#define CAL_ERR_RANGE		2	/* open >= close, or outside the day */

/*
 * Build a calendar.  Sorts and merges ranges[] and sorts and de-duplicates
 * holidays[] in place (the core keeps pointing at both arrays);
 * holiday_before must have room for nholidays + 1 values.  Returns CAL_OK
 * or a CAL_ERR_* code.
 */
extern int	cal_core_init(CalCore *c, CalRange *ranges, int nranges,
						  int32_t *holidays, int nholidays, int64_t *holiday_before);

/*
 * The same calendar without its holidays (a shallow copy sharing c's
 * arrays): far spans count the weekly hours with it and subtract each
 * holiday's open time on its own (cal_open_on_day).
 */
extern void cal_core_without_holidays(const CalCore *c, CalCore *week);

/* number of c's holidays before local day number day */
extern int	cal_holidays_before(const CalCore *c, int64_t day);

/*
 * Open microseconds of the weekly hours (holidays not applied) of local day
 * number day that lie within wall time [a, b); 0 when a >= b.
 */
extern uint64_t cal_open_on_day(const CalCore *c, int64_t day, int64_t a, int64_t b);

/* weekday (0 = Monday) of a local day number */
extern int	cal_dow_of_day(int64_t day);

/*
 * Open microseconds in wall time [a, b) when a <= b; exact, and unsigned
 * because the largest possible span does not fit a signed 64-bit value.
 * For a > b it returns minus the open time of [b, a), modulo 2^64, so that
 * sums of such terms stay exact whenever their total is not negative.
 */
extern uint64_t cal_open_between(const CalCore *c, int64_t a, int64_t b);

#endif							/* CSAT_CALENDAR_CORE_H */
