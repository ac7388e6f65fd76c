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

#include <math.h>

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
 * Offset cache: instants in [from, until) have UTC offset off_us.  Lives
 * apart from the calendar so that a const calendar can still remember the
 * zone segment it looked up last (spans usually arrive in clusters).
 */
typedef struct OffsetCache
{
	TimestampTz from;
	TimestampTz until;
	int64		off_us;
} OffsetCache;

struct CsatCalendar
{
	char	   *name;
	pg_tz	   *tz;
	CalCore		core;
	OffsetCache *cache;
};

/* UTC offset at instant t and the instant of the next offset change */
static int64
offset_at(const CsatCalendar *cal, TimestampTz t, TimestampTz *until)
{
	OffsetCache *oc = cal->cache;
	pg_time_t	secs;
	long int	before_off,
				after_off;
	int			before_dst,
				after_dst;
	pg_time_t	boundary;
	int			r;
	TimestampTz next;

	if (oc->from <= t && t < oc->until)
	{
		*until = oc->until;
		return oc->off_us;
	}
	secs = (pg_time_t) (t / USECS_PER_SEC - (t % USECS_PER_SEC < 0 ? 1 : 0)) + EPOCH_SHIFT_SECS;
	r = pg_next_dst_boundary(&secs, &before_off, &before_dst, &boundary,
							 &after_off, &after_dst, cal->tz);
	if (r < 0)
		elog(ERROR, "could not find time zone transitions of calendar \"%s\"", cal->name);
	/* boundary > secs, so the instant t lies before it; beyond the range, none */
	if (r == 0 || boundary - EPOCH_SHIFT_SECS >= PG_INT64_MAX / USECS_PER_SEC)
		next = PG_INT64_MAX;
	else
		next = (TimestampTz) (boundary - EPOCH_SHIFT_SECS) * USECS_PER_SEC;

	if (next == oc->until && before_off * USECS_PER_SEC == oc->off_us && t < oc->from)
		oc->from = t;			/* same segment, seen from earlier */
	else
	{
		oc->from = t;
		oc->until = next;
		oc->off_us = (int64) before_off * USECS_PER_SEC;
	}
	*until = next;
	return (int64) before_off * USECS_PER_SEC;
}

double
csat_calendar_elapsed(const CsatCalendar *cal, TimestampTz start, TimestampTz stop)
{
	uint64		total = 0;
	TimestampTz cur = start;

	while (cur < stop)
	{
		TimestampTz until;
		int64		off = offset_at(cal, cur, &until);
		TimestampTz end = until < stop ? until : stop;

		total += cal_open_between(&cal->core, cur + off, end + off);
		cur = end;
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
	cal->cache = MemoryContextAllocZero(mcxt, sizeof(OffsetCache));
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
