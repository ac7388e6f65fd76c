/*
 * kpi_emit.c: the states kpi_scan.c added up, as csat.kpi_partial rows.
 *
 * Each group's states come out in period order: the hours (or, for a group
 * keyed by a breakdown value, the days).  With days (0.9), the hours are
 * also added up per day, channel and segment, and every day -- a group's of
 * hours, or a breakdown value's -- into its totals over channel, segment and
 * both: the rows of csat.kpi_rollup_daily, with their totals field, from the
 * same pass as the hours (the refresh once rolled them up from
 * csat.kpi_rollup_hourly in two statements that read its rows again).
 * Counts and sums are added (km_merge, kpi_measure_core.c), sketches merged.
 */
#include "csat.h"

#include "access/htup_details.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "kpi_scan_int.h"

static int
cmp_str(const KpiScan *sc, int32 a, int32 b)
{
	const Str  *x,
			   *y;
	int			r;

	if (a == b)
		return 0;
	if (a < 0 || b < 0)
		return a < 0 ? 1 : -1;	/* NULLs last */
	x = &sc->strtab[a];
	y = &sc->strtab[b];
	r = memcmp(x->p, y->p, Min(x->len, y->len));
	return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

static int
cmp_entries(const void *a, const void *b, void *arg)
{
	const KpiScan *sc = arg;
	const Key  *x = &(*(Entry *const *) a)->key;
	const Key  *y = &(*(Entry *const *) b)->key;
	int			r;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if ((r = cmp_str(sc, x->c, y->c)) != 0 || (r = cmp_str(sc, x->s, y->s)) != 0)
		return r;
	return cmp_str(sc, x->b, y->b);
}

static Datum
str_datum(KpiScan *sc, int32 id, bool *isnull)
{
	*isnull = id < 0;
	return id < 0 ? (Datum) 0 : sc->strtext[id];
}

/*
 * One entry's states as rows into ts: each output row of its group where it
 * counted something (the wide rollup's rows, kpi ~..., always: hours only).
 * totals: the field totals (-1: NULL, an hour or a row of the older layout).
 */
static void
emit_entry(KpiScan *sc, Tuplestorestate *ts, TupleDesc desc, ScanGroup *g, Entry *e, int totals)
{
	Datum		f[N_FIELDS + 1];
	bool		fn[N_FIELDS + 1];

	CHECK_FOR_INTERRUPTS();
	for (int r = 0; r < g->nout; r++)
	{
		int64		ints[KM_NSLOTS + 1] = {0};
		double		floats[KM_NSLOTS + 1] = {0};
		Values	   *sketch = NULL;
		int64		any = 0;

		if (totals >= 0 && g->outname[r][0] == '~')
			continue;
		MemoryContextReset(sc->rowcxt);
		for (int i = g->first; i < g->first + g->nparts; i++)
		{
			const Part *p = &sc->parts[i];
			int			sk;

			if (p->out != r)
				continue;
			sk = km_fields(p->code, p->slot, e->cells + p->cell, ints, floats);
			if (sk >= 0 && e->cells[p->cell + sk].p)
				sketch = e->cells[p->cell + sk].p;
		}
		for (int i = KM_N; i <= KM_EXCLUDED; i++)
			if (i != KM_OVERDUE)
				any += ints[i];
		if (any == 0 && g->outname[r][0] != '~')
			continue;
		for (int i = KM_N; i < KM_SKETCH; i++)
		{
			f[F_SLOT(i)] = (i >= KM_SUM_W && i <= KM_SUM_W2) ? Float8GetDatum(floats[i]) : Int64GetDatum(ints[i]);
			fn[F_SLOT(i)] = false;
		}
		/* (its values added to it in sc->cxt, where it lives: only read in rowcxt) */
		if (sketch)
			kpi_sketch_flush(sketch);
		MemoryContextSwitchTo(sc->rowcxt);
		fn[F_SLOT(KM_SKETCH)] = sketch == NULL;
		f[F_SLOT(KM_SKETCH)] = sketch ? kpi_sketch_of(sketch) : (Datum) 0;
		MemoryContextSwitchTo(sc->cxt);
		f[0] = TimestampTzGetDatum(e->key.h);
		fn[0] = false;
		f[1] = str_datum(sc, e->key.c, &fn[1]);
		f[2] = str_datum(sc, e->key.s, &fn[2]);
		f[3] = str_datum(sc, e->key.b, &fn[3]);
		f[4] = g->outtext[r];
		fn[4] = false;
		f[N_FIELDS] = Int16GetDatum((int16) totals);
		fn[N_FIELDS] = totals < 0;
		tuplestore_putvalues(ts, desc, f, fn);
	}
}

/* ---- the days and their totals ---- */

/* add the states of entry src into those of the entry keyed k of hash (in sc->cxt) */
static void
merge_into(KpiScan *sc, ScanGroup *g, kpi_entries_hash *hash, Key k, const Entry *src)
{
	bool		found;
	Entry	   *d;

	/* (a full refresh merges millions of states: let it be cancelled) */
	CHECK_FOR_INTERRUPTS();
	d = kpi_entries_insert(hash, k, &found);
	if (!found)
		d->cells = MemoryContextAllocZero(sc->cxt, sizeof(Cell) * Max(g->ncells, 1));
	for (int i = g->first; i < g->first + g->nparts; i++)
	{
		const Part *p = &sc->parts[i];
		int			sk;
		Values	   *from,
				   *to;

		if (p->code >= KM_WCOUNT)	/* the wide rollup: hours only */
			continue;
		sk = km_merge(p->code, d->cells + p->cell, src->cells + p->cell);
		if (sk < 0 || (from = src->cells[p->cell + sk].p) == NULL || kpi_sketch_flush(from) == NULL)
			continue;
		to = d->cells[p->cell + sk].p;
		if (to == NULL)
		{
			to = palloc(offsetof(Values, v) + sizeof(double) * 4);
			to->sketch = NULL;
			to->n = 0;
			to->cap = 4;
			d->cells[p->cell + sk].p = to;
		}
		to->sketch = csat_sketch_merge_values(to->sketch, from->sketch);
	}
}

/* an hour's states added into its day's (per channel and segment) in g->daybase */
static void
add_to_day(KpiScan *sc, ScanGroup *g, Entry *e)
{
	Key			key = e->key;

	key.h = kpi_period(sc, key.h, true);
	merge_into(sc, g, g->daybase, key, e);
}

/*
 * Free the sketches of an entry written out (its day has them merged): the
 * next hours' sketches are built in that memory rather than in new memory --
 * the page faults and zeroing of a pass's every sketch kept to its end were a
 * fifth of a full pass over the demo's orders.
 */
static void
free_sketches(const KpiScan *sc, ScanGroup *g, Entry *e)
{
	for (int i = g->first; i < g->first + g->nparts; i++)
	{
		const Part *p = &sc->parts[i];
		int			sk = km_sketch_cell(p->code);
		Values	   *vs;

		if (sk < 0 || (vs = e->cells[p->cell + sk].p) == NULL)
			continue;
		if (vs->sketch)
			pfree(vs->sketch);
		pfree(vs);
		e->cells[p->cell + sk].p = NULL;
	}
}

/*
 * The totals over channel and segment (keys with c or s -1) of group g's days,
 * into g->days: a group of hours has added them up per day, channel and
 * segment into g->daybase (add_to_day); a group of breakdown values is kept
 * per day already.
 */
static void
add_totals(KpiScan *sc, ScanGroup *g)
{
	kpi_entries_iterator it;
	Entry	   *e;

	g->days = kpi_entries_create(sc->cxt, 1024, NULL);
	kpi_entries_start_iterate(g->daybase, &it);
	while ((e = kpi_entries_iterate(g->daybase, &it)) != NULL)
	{
		Key			key = e->key;

		key.c = -1;
		merge_into(sc, g, g->days, key, e);
		key.c = e->key.c;
		key.s = -1;
		merge_into(sc, g, g->days, key, e);
		key.c = -1;
		merge_into(sc, g, g->days, key, e);
	}
}

typedef struct DayRow
{
	Entry	   *e;
	int			g;
} DayRow;

static int
cmp_days(const void *a, const void *b, void *arg)
{
	const DayRow *x = a,
			   *y = b;
	int			r;

	if (x->e->key.h != y->e->key.h)
		return x->e->key.h < y->e->key.h ? -1 : 1;
	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	r = cmp_entries(&x->e, &y->e, arg);
	return r;
}

/*
 * The day rows of every group, in day order: each day per channel and
 * segment (totals 1; a breakdown value's: 0) and its totals over channel (4),
 * segment (2) and both (6), plus 1 where it is no breakdown value.
 */
static void
emit_days(KpiScan *sc, Tuplestorestate *ts, TupleDesc desc)
{
	uint64		n = 0,
				k = 0;
	DayRow	   *rows;

	for (int j = 0; j < sc->ngroups; j++)
		n += sc->groups[j].daybase->members + sc->groups[j].days->members;
	rows = palloc(sizeof(DayRow) * Max(n, 1));
	for (int j = 0; j < sc->ngroups; j++)
	{
		kpi_entries_hash *hs[2] = {sc->groups[j].daybase, sc->groups[j].days};

		for (int h = 0; h < 2; h++)
		{
			kpi_entries_iterator it;
			Entry	   *e;

			kpi_entries_start_iterate(hs[h], &it);
			while ((e = kpi_entries_iterate(hs[h], &it)) != NULL)
			{
				rows[k].e = e;
				rows[k++].g = j;
			}
		}
	}
	qsort_arg(rows, n, sizeof(DayRow), cmp_days, sc);
	for (k = 0; k < n; k++)
	{
		ScanGroup  *g = &sc->groups[rows[k].g];
		const Key  *key = &rows[k].e->key;

		emit_entry(sc, ts, desc, g, rows[k].e,
				   (key->c < 0 ? 4 : 0) + (key->s < 0 ? 2 : 0) + (g->breakdown ? 0 : 1));
	}
	pfree(rows);
}

/*
 * Every group's states as rows of csat.kpi_partial (desc) into ts, group by
 * group, each in order of period, scope and breakdown value: a KPI's row only
 * where it counted something, the wide rollup's rows (kpi ~...) always.
 * With days (and desc has the field totals): the groups of hours also as
 * days, and every day's totals over channel and segment, after the hours
 * (csat.kpi_rollup_daily's rows, with their totals); a group of breakdown
 * values only so.
 */
void
kpi_scan_emit(KpiScan *sc, Tuplestorestate *ts, TupleDesc desc, bool days)
{
	MemoryContext old = MemoryContextSwitchTo(sc->cxt);

	if (desc->natts != N_FIELDS && desc->natts != N_FIELDS + 1)
		elog(ERROR, "csat.kpi_partial has %d fields, expected %d", desc->natts, N_FIELDS + 1);
	days = days && desc->natts == N_FIELDS + 1;
	for (int j = 0; j < sc->ngroups; j++)
	{
		ScanGroup  *g = &sc->groups[j];
		uint64		ne = g->hash->members;
		Entry	  **es = palloc(sizeof(Entry *) * Max(ne, 1));
		kpi_entries_iterator it;
		Entry	   *e;
		uint64		k = 0;

		kpi_entries_start_iterate(g->hash, &it);
		while ((e = kpi_entries_iterate(g->hash, &it)) != NULL)
			es[k++] = e;
		qsort_arg(es, ne, sizeof(Entry *), cmp_entries, sc);
		/* (a group's breakdown values are never NULL: 'unknown') */
		g->breakdown = ne > 0 && es[0]->key.b >= 0;
		if (days)
			g->daybase = g->breakdown ? g->hash : kpi_entries_create(sc->cxt, 1024, NULL);
		/* each hour into its day, then out, and its sketches freed */
		if (!days || !g->breakdown)
			for (k = 0; k < ne; k++)
			{
				if (days)
					add_to_day(sc, g, es[k]);
				emit_entry(sc, ts, desc, g, es[k], -1);
				free_sketches(sc, g, es[k]);
			}
		if (days)
			add_totals(sc, g);
		pfree(es);
	}
	if (days)
		emit_days(sc, ts, desc);
	MemoryContextSwitchTo(old);
}
