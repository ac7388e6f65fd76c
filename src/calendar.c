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

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
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
 * changes it crosses; spans reaching outside that window walk the
 * transitions one by one instead.
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
};

static pg_time_t
to_pg_time(TimestampTz t)
{
	return (pg_time_t) (t / USECS_PER_SEC - (t % USECS_PER_SEC < 0 ? 1 : 0)) + EPOCH_SHIFT_SECS;
}

/* offset at instant t and the next change after t (PG_INT64_MAX if none) */
static int64
zone_offset_at(const CsatCalendar *cal, TimestampTz t, TimestampTz *next)
{
	pg_time_t	secs = to_pg_time(t);
	long int	before_off,
				after_off;
	int			before_dst,
				after_dst;
	pg_time_t	boundary;
	int			r;

	r = pg_next_dst_boundary(&secs, &before_off, &before_dst, &boundary,
							 &after_off, &after_dst, cal->tz);
	if (r < 0)
		elog(ERROR, "could not find time zone transitions of calendar \"%s\"", cal->name);
	/* boundary > secs, so t lies before it; past the timestamp range, none */
	if (r == 0 || boundary - EPOCH_SHIFT_SECS >= PG_INT64_MAX / USECS_PER_SEC)
		*next = PG_INT64_MAX;
	else
		*next = (TimestampTz) (boundary - EPOCH_SHIFT_SECS) * USECS_PER_SEC;
	return (int64) before_off * USECS_PER_SEC;
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
		int64		after = zone_offset_at(cal, at, &t);

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

double
csat_calendar_elapsed(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	uint64		total = 0;

	if (stop <= start)
		return 0.0;
	if (start >= TRANS_FROM && stop <= TRANS_UNTIL)
	{
		/* transitions in (start, stop) are lo .. hi-1 */
		int			lo = trans_count(cal, start, false);
		int			hi = trans_count(cal, stop, true);
		int64		off_start = lo > 0 ? cal->off_after[lo - 1] : cal->off_first;
		int64		off_stop = hi > 0 ? cal->off_after[hi - 1] : cal->off_first;

		/* modular sums: intermediate terms may be negative, the total is not */
		total = cal_open_between(&cal->core, start + off_start, stop + off_stop)
			+ (cal->corr_before[hi] - cal->corr_before[lo]);
	}
	else
	{
		TimestampTz cur = start;

		while (cur < stop)
		{
			TimestampTz next;
			int64		off = zone_offset_at(cal, cur, &next);
			TimestampTz end = next < stop ? next : stop;

			total += cal_open_between(&cal->core, cur + off, end + off);
			cur = end;
		}
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

CsatCalendar *
csat_calendar_load(const char *name, MemoryContext mcxt)
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

	rc = SPI_execute_with_args("SELECT time_zone FROM csat.calendars"
							   " WHERE name OPERATOR(pg_catalog.=) $1",
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

	rc = SPI_execute_with_args("SELECT isodow, opens, closes FROM csat.calendar_hours"
							   " WHERE calendar OPERATOR(pg_catalog.=) $1",
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

	rc = SPI_execute_with_args("SELECT day FROM csat.calendar_holidays"
							   " WHERE calendar OPERATOR(pg_catalog.=) $1",
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
