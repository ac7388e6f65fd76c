/*
 * calendar.h: C API of the business-hours calendars (family "calendar") for
 * other csat C code, e.g. the breach triggers of family "watch".
 *
 * A CsatCalendar is one row of csat.calendars with its opening hours and
 * holidays, loaded once and then usable for any number of spans without
 * further catalog or table access.
 */
#ifndef CSAT_CALENDAR_H
#define CSAT_CALENDAR_H

#include "csat.h"
#include "utils/palloc.h"

typedef struct CsatCalendar CsatCalendar;

/*
 * Read calendar "name" from csat.calendars (through SPI) into mcxt.
 * ERROR 42704 if there is no such calendar.  Callers that already run SPI
 * may call it too (it connects and finishes its own SPI level).
 */
extern CsatCalendar *csat_calendar_load(const char *name, MemoryContext mcxt);
extern CsatCalendar *csat_calendar_load_from(const char *name, MemoryContext mcxt,
											 char *const *tables);

/*
 * Seconds of [start, stop) that fall inside the calendar's opening hours,
 * read on the wall clock of the calendar's time zone.  The caller
 * guarantees stop >= start and both finite.
 */
extern double csat_calendar_elapsed(const CsatCalendar *cal,
									TimestampTz start, TimestampTz stop);

#endif							/* CSAT_CALENDAR_H */
