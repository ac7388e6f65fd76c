/*
 * kpi_scan_int.h: what kpi_scan.c (the rows into states) and kpi_emit.c (the
 * states as rows: hours, days and their totals) share; internal to them.
 */
#ifndef CSAT_KPI_SCAN_INT_H
#define CSAT_KPI_SCAN_INT_H

#include "common/hashfn.h"

#include "kpi_measure_core.h"
#include "kpi_scan.h"

/* the fields of csat.kpi_partial: h, c, s, b, kpi, then slots 1 (n) .. 14 (sketch) */
#define F_SLOT(k)	(4 + (k))
#define N_FIELDS	(F_SLOT(KM_NSLOTS) + 1)

typedef km_cell Cell;

typedef struct Part
{
	km_code		code;
	int			col;			/* its first input column (0-based) */
	int			cell;			/* its first cell in the group's states */
	int			out;			/* the output row (within the group) it fills */
	int			slot;			/* wide measures: the field they fill */
} Part;

/* a group's key: period, and the interned scope and breakdown (-1: NULL) */
typedef struct Key
{
	int64		h;
	int32		c;
	int32		s;
	int32		b;
	int32		pad;
} Key;

/* a group's state (simplehash: open addressing, one probe a row mostly) */
typedef struct Entry
{
	Key			key;
	uint32		hash;
	char		status;
	Cell	   *cells;
} Entry;

static inline uint32
key_hash(const Key *k)
{
	uint32		h = murmurhash32((uint32) k->h);

	h = hash_combine(h, murmurhash32((uint32) ((uint64) k->h >> 32)));
	h = hash_combine(h, murmurhash32((uint32) k->c));
	h = hash_combine(h, murmurhash32((uint32) k->s));
	return hash_combine(h, murmurhash32((uint32) k->b));
}

#define SH_PREFIX		kpi_entries
#define SH_ELEMENT_TYPE	Entry
#define SH_KEY_TYPE		Key
#define SH_SCOPE		extern
#define SH_DECLARE
#include "lib/simplehash.h"

/* an interned string, and its text datum */
typedef struct Str
{
	const char *p;
	int32		len;
} Str;

struct strs_hash;

typedef struct PeriodSlot PeriodSlot;

typedef struct ScanGroup
{
	int			hcol;			/* column of the period key (NULL: not in the group) */
	int			first;			/* its parts: first .. first + nparts - 1 */
	int			nparts;
	int			ncells;
	int			nout;
	char	  **outname;		/* the kpi of each output row */
	Datum	   *outtext;		/* the same as text */
	bool		breakdown;		/* its period is a day, keyed by a breakdown value */
	kpi_entries_hash *hash;
	kpi_entries_hash *daybase;		/* its days per channel and segment (kpi_scan_emit) */
	kpi_entries_hash *days;			/* their totals over channel and segment */
} ScanGroup;

struct KpiScan
{
	MemoryContext cxt;			/* everything below */
	MemoryContext rowcxt;		/* reset after each row */
	int			ngroups;
	ScanGroup  *groups;
	int			nparts;
	Part	   *parts;
	int			ncols;
	struct strs_hash *strs;
	Str		   *strtab;			/* by id */
	Datum	   *strtext;		/* by id: as text */
	int			nstrs;
	int			strcap;
	/* the periods' time zone, and its hours and days by bucket (kpi_period.c) */
	Datum		tz;
	Datum		unit_hour;
	Datum		unit_day;
	PeriodSlot *periods;
};
/*
 * A sketch's values are kept and added to it VALUES_BATCH at a time, and the
 * rest at the end: adding each value as it comes costs a cache miss or two
 * per value (rows of one group seldom follow each other) and repeated growth
 * of the sketch's window.  The batch bounds the memory: at most one batch
 * and one sketch per group.
 */
#define VALUES_BATCH 256

typedef struct Values
{
	void	   *sketch;			/* csat_sketch_add_values's state, or NULL */
	int32		n;
	int32		cap;
	double		v[FLEXIBLE_ARRAY_MEMBER];
} Values;

/* the hour (or day) of t in the scan's time zone (kpi_period.c) */
extern void kpi_period_init(KpiScan *sc, Datum tz);
extern TimestampTz kpi_period(KpiScan *sc, TimestampTz t, bool day);

/* a cell's values into its sketch (kpi_scan.c): the sketch's state; its datum */
extern void *kpi_sketch_flush(Values *vs);
extern Datum kpi_sketch_of(Values *vs);

#endif							/* CSAT_KPI_SCAN_INT_H */
