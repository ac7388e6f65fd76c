/*
 * calendar.c: PostgreSQL glue of the business-hours calendars: loading a row
 * of csat.calendars with its hours and holidays (csat_calendar_load), mapping
 * instants onto the calendar zone's wall clock between DST transitions
 * (csat_calendar_elapsed), and the SQL functions csat.business_elapsed and
 * csat.is_valid_time_zone.
 *
 * Business time is counted on real elapsed time: an instant counts when the
 * zone's wall clock shows an open hour at that instant.  So the hour skipped
 * in spring never counts and the hour repeated in autumn counts twice, as a
 * clock on the office wall would see it.
 */
#include "csat.h"
#include "calendar.h"
#include "calendar_core.h"
#include "watch.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(csat_business_elapsed);
PG_FUNCTION_INFO_V1(csat_is_valid_time_zone);

/* seconds from the Unix epoch to PostgreSQL's 2000-01-01 */
#define EPOCH_SHIFT_SECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/*
 * The zone's UTC offset changes between TRANS_FROM and TRANS_UNTIL are listed
 * once per calendar load, each with the open time it adds (an autumn hour
 * the wall clock shows twice) or removes (a spring hour it skips).  With a
 * prefix sum over them, a span costs two binary searches however many DST
 * changes it crosses.
 *
 * Parts of a span outside that window count the weekly hours without
 * holidays by walking the offset changes (skip_week), and subtract the open
 * time of each holiday they hold (holidays_elapsed).  Past the end of a zone's table PostgreSQL
 * repeats its last 400 years, and 400 Gregorian years are whole weeks, so
 * there the weekly hours of every 400-year cycle are the same: the walk
 * counts one cycle once and skips the others.  Before 1900 nothing is
 * skipped, but the walk is bounded (at most some 6,600 years) and
 * interruptible.
 */
#define TRANS_FROM	INT64CONST(-3155673600000000)	/* 1900-01-01 00:00 UTC */
#define TRANS_UNTIL INT64CONST(6311433600000000)	/* 2200-01-01 00:00 UTC */

struct CsatCalendar
{
	char	   *name;
	pg_tz	   *tz;
	CalCore		core;
	int			ntrans;
	TimestampTz *trans_at;		/* instants of offset changes, ascending */
	int64	   *off_after;		/* offset (microseconds) from trans_at[i] on */
	uint64	   *corr_before;	/* [i]: open-time correction of trans 0..i-1, mod 2^64 */
	int64		off_first;		/* offset before trans_at[0] */
	CalCore		week;			/* core without the holidays, for far spans */
	/* filled by far_init on first need (most spans never need them) */
	bool		far_ready;
	TimestampTz periodic_from;	/* offsets repeat every cycle from here on */
	uint64		cycle_open;		/* weekly open time of one cycle from there */
};

static pg_time_t
to_pg_time(TimestampTz t)
{
	return (pg_time_t) (t / USECS_PER_SEC - (t % USECS_PER_SEC < 0 ? 1 : 0)) + EPOCH_SHIFT_SECS;
}

/* pg_next_dst_boundary at secs: 1 with *boundary, or 0 if it reports none */
static int
next_boundary(const CsatCalendar *cal, pg_time_t secs, long int *off, pg_time_t *boundary)
{
	long int	after_off;
	int			before_dst,
				after_dst;
	int			r;

	r = pg_next_dst_boundary(&secs, off, &before_dst, boundary,
							 &after_off, &after_dst, cal->tz);
	if (r < 0)
		elog(ERROR, "could not find time zone transitions of calendar \"%s\"", cal->name);
	return r;
}

/* offset at instant t and the next change after t (PG_INT64_MAX if none) */
static int64
zone_offset_at(const CsatCalendar *cal, TimestampTz t, TimestampTz *next)
{
	pg_time_t	secs = to_pg_time(t);
	long int	off,
				later_off;
	pg_time_t	boundary;
	int			r;

	r = next_boundary(cal, secs, &off, &boundary);

	/*
	 * Exactly at the last change of the zone's table, and at its images 400,
	 * 800, ... years on, pg_next_dst_boundary reports no further change even
	 * where it goes on to extrapolate the zone's rules; one second later it
	 * finds the next one (or again none, when there is none).
	 */
	if (r == 0)
		r = next_boundary(cal, secs + 1, &later_off, &boundary);
	/* boundary > secs, so t lies before it; past the timestamp range, none */
	if (r == 0 || boundary - EPOCH_SHIFT_SECS >= PG_INT64_MAX / USECS_PER_SEC)
		*next = PG_INT64_MAX;
	else
		*next = (TimestampTz) (boundary - EPOCH_SHIFT_SECS) * USECS_PER_SEC;
	return (int64) off * USECS_PER_SEC;
}

/* list the offset changes in [TRANS_FROM, TRANS_UNTIL) with their corrections */
static void
build_transitions(CsatCalendar *cal, MemoryContext mcxt)
{
	int			cap = 64;
	int			n = 0;
	TimestampTz t = TRANS_FROM;
	int64		off = zone_offset_at(cal, t, &t);

	cal->off_first = off;
	cal->trans_at = MemoryContextAlloc(mcxt, sizeof(TimestampTz) * cap);
	cal->off_after = MemoryContextAlloc(mcxt, sizeof(int64) * cap);
	cal->corr_before = MemoryContextAlloc(mcxt, sizeof(uint64) * (cap + 1));
	cal->corr_before[0] = 0;
	while (t < TRANS_UNTIL)
	{
		TimestampTz at = t;
		int64		after;

		CHECK_FOR_INTERRUPTS();
		after = zone_offset_at(cal, at, &t);

		if (after == off)
			continue;			/* only the DST flag or abbreviation changed */
		if (n == cap)
		{
			cap *= 2;
			cal->trans_at = repalloc(cal->trans_at, sizeof(TimestampTz) * cap);
			cal->off_after = repalloc(cal->off_after, sizeof(int64) * cap);
			cal->corr_before = repalloc(cal->corr_before, sizeof(uint64) * (cap + 1));
		}
		cal->trans_at[n] = at;
		cal->off_after[n] = after;
		/* F(at + off) - F(at + after): + repeated open time, - skipped open time */
		cal->corr_before[n + 1] = cal->corr_before[n] +
			cal_open_between(&cal->core, at + after, at + off);
		off = after;
		n++;
	}
	cal->ntrans = n;
}

/* number of listed transitions at or before t (strict: before t) */
static int
trans_count(const CsatCalendar *cal, TimestampTz t, bool strict)
{
	int			lo = 0,
				hi = cal->ntrans;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strict ? cal->trans_at[mid] < t : cal->trans_at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* open time of [start, stop) within [TRANS_FROM, TRANS_UNTIL], from the list */
static uint64
listed_elapsed(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	/* transitions in (start, stop) are lo .. hi-1 */
	int			lo = trans_count(cal, start, false);
	int			hi = trans_count(cal, stop, true);
	int64		off_start = lo > 0 ? cal->off_after[lo - 1] : cal->off_first;
	int64		off_stop = hi > 0 ? cal->off_after[hi - 1] : cal->off_first;

	/* modular sums: intermediate terms may be negative, the total is not */
	return cal_open_between(&cal->core, start + off_start, stop + off_stop)
		+ (cal->corr_before[hi] - cal->corr_before[lo]);
}

/* weekly open time of [start, stop), walking offset changes one by one */
static uint64
walk_week(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	uint64		total = 0;
	TimestampTz cur = start;

	while (cur < stop)
	{
		TimestampTz next;
		int64		off;
		TimestampTz end;

		CHECK_FOR_INTERRUPTS();
		off = zone_offset_at(cal, cur, &next);
		end = next < stop ? next : stop;
		total += cal_open_between(&cal->week, cur + off, end + off);
		cur = end;
	}
	return total;
}

/*
 * Where the zone's offsets start repeating every cycle, and the weekly open
 * time of one cycle there.  pg_next_dst_boundary reports no further change
 * first at the last change of the zone's table (or, for a table that ends
 * before TRANS_UNTIL, at one of its images a multiple of 400 years on):
 * beyond that instant PostgreSQL either keeps the last offset or repeats the
 * table's last 400 years.  Either way the offsets are periodic from one
 * second after it.  The search starts at TRANS_UNTIL, later than the start
 * of every zone's table, and gives up (no skipping) after many changes.
 */
static void
far_init(CsatCalendar *cal)
{
	pg_time_t	secs = to_pg_time(TRANS_UNTIL);
	TimestampTz periodic = PG_INT64_MAX;

	for (int i = 0; i < 100000; i++)
	{
		long int	off;
		pg_time_t	boundary;

		CHECK_FOR_INTERRUPTS();
		if (next_boundary(cal, secs, &off, &boundary) == 0)
		{
			periodic = (TimestampTz) (secs + 1 - EPOCH_SHIFT_SECS) * USECS_PER_SEC;
			break;
		}
		if (boundary - EPOCH_SHIFT_SECS >= (END_TIMESTAMP - CAL_USECS_PER_CYCLE) / USECS_PER_SEC)
			break;				/* no cycle to skip before the end of time */
		secs = boundary;
	}
	cal->periodic_from = PG_INT64_MAX;
	if (periodic < END_TIMESTAMP - CAL_USECS_PER_CYCLE)
	{
		cal->cycle_open = walk_week(cal, periodic, periodic + CAL_USECS_PER_CYCLE);
		cal->periodic_from = periodic;
	}
	cal->far_ready = true;
}

/*
 * Weekly open time of [start, stop) skipping whole cycles, for spans outside
 * the listed window.  far_init fills fields of the calendar on first need: a
 * cache, the calendar is logically unchanged.
 */
static uint64
skip_week(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	CsatCalendar *mut = (CsatCalendar *) cal;
	uint64		total = 0;
	TimestampTz from;
	int64		cycles;

	if (stop <= TRANS_UNTIL || stop - start <= 2 * CAL_USECS_PER_CYCLE)
		return walk_week(cal, start, stop);
	if (!cal->far_ready)
		far_init(mut);
	/* walk to the first instant we may skip from, then skip, then walk */
	from = start > cal->periodic_from ? start : cal->periodic_from;
	if (from >= stop || stop - from < CAL_USECS_PER_CYCLE)
		return walk_week(cal, start, stop);
	cycles = (stop - from) / CAL_USECS_PER_CYCLE;
	total = walk_week(cal, start, from);
	total += (uint64) cycles * cal->cycle_open;
	total += walk_week(cal, from + cycles * CAL_USECS_PER_CYCLE, stop);
	return total;
}

static int64
floor_day(TimestampTz t)
{
	return t / USECS_PER_DAY - (t % USECS_PER_DAY < 0 ? 1 : 0);
}

/* open time of the holidays of [start, stop), for spans outside the list */
static uint64
holidays_elapsed(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	/* instants the wall clock shows on day d lie within a week of it */
	const int64 margin = 8;
	int64		fs = floor_day(start);
	int64		fe = floor_day(stop);
	uint64		total = 0;

	for (int i = cal_holidays_before(&cal->core, fs - margin);
		 i < cal->core.nholidays && cal->core.holidays[i] <= fe + margin; i++)
	{
		int64		d = cal->core.holidays[i];

		/* days d - margin .. d + margin within [start, stop), no overflow */
		TimestampTz cur = d - margin <= fs ? start : (d - margin) * USECS_PER_DAY;
		TimestampTz end = d + 1 + margin > fe ? stop : (d + 1 + margin) * USECS_PER_DAY;

		while (cur < end)
		{
			TimestampTz next;
			int64		off;
			TimestampTz to;

			CHECK_FOR_INTERRUPTS();
			off = zone_offset_at(cal, cur, &next);
			to = next < end ? next : end;
			total += cal_open_on_day(&cal->week, d, cur + off, to + off);
			cur = to;
		}
	}
	return total;
}

double
csat_calendar_elapsed(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	uint64		total = 0;
	TimestampTz lo = start > TRANS_FROM ? start : TRANS_FROM;
	TimestampTz hi = stop < TRANS_UNTIL ? stop : TRANS_UNTIL;

	if (stop <= start)
		return 0.0;
	/* modular sums of exact parts: the total is exact and not negative */
	if (lo < hi)
		total += listed_elapsed(cal, lo, hi);
	if (start < TRANS_FROM)
	{
		TimestampTz to = stop < TRANS_FROM ? stop : TRANS_FROM;

		total += skip_week(cal, start, to) - holidays_elapsed(cal, start, to);
	}
	if (stop > TRANS_UNTIL)
	{
		TimestampTz from = start > TRANS_UNTIL ? start : TRANS_UNTIL;

		total += skip_week(cal, from, stop) - holidays_elapsed(cal, from, stop);
	}
	return (double) total / USECS_PER_SEC;
}

static void
calendar_not_found(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("calendar \"%s\" does not exist", name),
			 errhint("Calendars are rows of csat.calendars.")));
}

/*
 * On a Citus worker the calendars are the coordinator's, read from the
 * node's copies of them (src/watch_citus.c, created when a Citus table is
 * mapped or watched): a KPI or an aggregate over a distributed table
 * evaluates csat.business_elapsed on the workers, whose own csat.calendars
 * the coordinator never writes.  Elsewhere, csat.calendars.
 */
CsatCalendar *
csat_calendar_load(const char *name, MemoryContext mcxt)
{
	char	   *mirrors[5];
	CsatCalendar *cal;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* (the names live in this SPI context until SPI_finish) */
	cal = csat_calendar_load_from(name, mcxt, watch_citus_worker_mirrors(mirrors) ? mirrors + 2 : NULL);
	SPI_finish();
	return cal;
}

/*
 * The same, read from other tables of the same shape: tables[0..2] name the
 * calendars, hours and holidays tables (quoted, qualified).  The shards of a
 * Citus distributed table read the node's copies of csat's calendars.
 */
CsatCalendar *
csat_calendar_load_from(const char *name, MemoryContext mcxt, char *const *tables)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	CsatCalendar *cal;
	CalRange   *ranges;
	int32	   *holidays;
	int64	   *holiday_before;
	int			nranges,
				nholidays;
	char	   *zone;
	bool		isnull;
	int			rc;

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	rc = SPI_execute_with_args(tables ? psprintf("SELECT time_zone FROM %s"
												 " WHERE name OPERATOR(pg_catalog.=) $1", tables[0])
							   : csat_sql("SELECT time_zone FROM @extschema@.calendars"
										  " WHERE name OPERATOR(pg_catalog.=) $1"),
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading csat.calendars failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		calendar_not_found(name);
	zone = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

	cal = MemoryContextAllocZero(mcxt, sizeof(CsatCalendar));
	cal->name = MemoryContextStrdup(mcxt, name);
	cal->tz = zone ? pg_tzset(zone) : NULL;
	if (cal->tz == NULL)		/* the CHECK constraint keeps this from happening */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" of calendar \"%s\" is not recognized",
						zone ? zone : "", name)));

	rc = SPI_execute_with_args(tables ? psprintf("SELECT isodow, opens, closes FROM %s"
												 " WHERE calendar OPERATOR(pg_catalog.=) $1", tables[1])
							   : csat_sql("SELECT isodow, opens, closes FROM @extschema@.calendar_hours"
										  " WHERE calendar OPERATOR(pg_catalog.=) $1"),
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading csat.calendar_hours failed: %s", SPI_result_code_string(rc));
	nranges = (int) SPI_processed;
	ranges = MemoryContextAlloc(mcxt, sizeof(CalRange) * (nranges + 1));
	for (int i = 0; i < nranges; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;

		ranges[i].dow = DatumGetInt32(SPI_getbinval(tup, td, 1, &isnull)) - 1;
		ranges[i].open = DatumGetTimeADT(SPI_getbinval(tup, td, 2, &isnull));
		ranges[i].close = DatumGetTimeADT(SPI_getbinval(tup, td, 3, &isnull));
	}

	rc = SPI_execute_with_args(tables ? psprintf("SELECT day FROM %s"
												 " WHERE calendar OPERATOR(pg_catalog.=) $1", tables[2])
							   : csat_sql("SELECT day FROM @extschema@.calendar_holidays"
										  " WHERE calendar OPERATOR(pg_catalog.=) $1"),
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading csat.calendar_holidays failed: %s", SPI_result_code_string(rc));
	nholidays = (int) SPI_processed;
	holidays = MemoryContextAlloc(mcxt, sizeof(int32) * (nholidays + 1));
	holiday_before = MemoryContextAlloc(mcxt, sizeof(int64) * (nholidays + 1));
	for (int i = 0; i < nholidays; i++)
		holidays[i] = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	if (cal_core_init(&cal->core, ranges, nranges, holidays, nholidays,
					  holiday_before) != CAL_OK)
		ereport(ERROR,		/* the CHECK constraints keep this from happening */
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calendar \"%s\" has invalid opening hours", name)));
	cal_core_without_holidays(&cal->core, &cal->week);
	build_transitions(cal, mcxt);
	return cal;
}

/* calendars loaded by one call site (FmgrInfo), in its fn_mcxt */
typedef struct CalendarCacheEntry
{
	struct CalendarCacheEntry *next;
	CsatCalendar *cal;
} CalendarCacheEntry;

/*
 * business_elapsed(start, stop, calendar): calendars are read once per query
 * and call site, so edits to csat.calendars show from the next statement.
 */
Datum
csat_business_elapsed(PG_FUNCTION_ARGS)
{
	TimestampTz start = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz stop = PG_GETARG_TIMESTAMPTZ(1);
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	CalendarCacheEntry *e;

	if (TIMESTAMP_NOT_FINITE(start) || TIMESTAMP_NOT_FINITE(stop))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start and stop must be finite")));
	if (stop < start)
	{
		/* timestamptz_to_str returns a static buffer */
		char	   *from = pstrdup(timestamptz_to_str(start));
		char	   *to = pstrdup(timestamptz_to_str(stop));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stop is before start"),
				 errdetail("The span runs backwards from %s to %s.", from, to)));
	}

	for (e = fcinfo->flinfo->fn_extra; e != NULL; e = e->next)
		if (strcmp(e->cal->name, name) == 0)
			break;
	if (e == NULL)
	{
		e = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(CalendarCacheEntry));
		e->cal = csat_calendar_load(name, fcinfo->flinfo->fn_mcxt);
		e->next = fcinfo->flinfo->fn_extra;
		fcinfo->flinfo->fn_extra = e;
	}
	PG_RETURN_FLOAT8(csat_calendar_elapsed(e->cal, start, stop));
}

/* is_valid_time_zone(name): for the CHECK constraint of csat.calendars */
Datum
csat_is_valid_time_zone(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	pg_tz	   *tz;

	if (name[0] == '\0' || strlen(name) > TZ_STRLEN_MAX)
		PG_RETURN_BOOL(false);
	tz = pg_tzset(name);
	PG_RETURN_BOOL(tz != NULL && pg_tz_acceptable(tz));
}
