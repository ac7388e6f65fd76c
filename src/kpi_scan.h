/*
 * kpi_scan.h: the partial KPI states of one mapped table in one pass
 * (kpi_scan.c; run by views_read.c as the table's owner).
 */
#ifndef CSAT_KPI_SCAN_H
#define CSAT_KPI_SCAN_H

#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/tuplestore.h"

typedef struct KpiScan KpiScan;

/*
 * the parts (arrays of csat.kpi_scan_parts: code, kpi, grp, slot); periods
 * are cut into hours and days in time zone tz
 */
extern KpiScan *kpi_scan_begin(MemoryContext parent, ArrayType *codes, ArrayType *kpis,
							   ArrayType *grps, ArrayType *slots, Datum tz);
/* where the statement's rows go */
extern DestReceiver *kpi_scan_receiver(KpiScan *scan);
/*
 * the states as csat.kpi_partial rows; with days, also per day with their
 * totals over channel and segment
 */
extern void kpi_scan_emit(KpiScan *scan, Tuplestorestate *ts, TupleDesc desc, bool days);
extern void kpi_scan_end(KpiScan *scan);

#endif							/* CSAT_KPI_SCAN_H */
