/*
 * kpi_scan.c: the partial KPI states of one mapped table, in one pass.
 *
 * csat.kpi_source_sql (src/kpis_fn.sql) builds a statement that reads the
 * table once and returns per row its group keys -- scope (channel, segment;
 * for returns their order_id), then for each group (period column,
 * breakdown) the row's period, cut here into its hour or (with a breakdown
 * value) its day (kpi_period.c), and the breakdown value --
 * followed by the inputs of every part of csat.kpi_scan_parts: a KPI's
 * filter, success, value and weight or duration figures, and the per-row
 * values of the wide rollup's measures.  views_read.c runs it as the table's
 * owner into the DestReceiver here, which adds each row to the state of its
 * group in a hash table per group; kpi_scan_emit() (kpi_emit.c) then
 * returns the states as csat.kpi_partial rows, in period order.
 *
 * What each measure counts is written once, in kpi_measure_core.c: the
 * statement carries the user's expressions, evaluated once per row, and no
 * aggregate.  (As FILTER aggregates, one GROUP BY per period column with a
 * sort for the sketches, the same took 1.2 to 2.3 times as long per table at
 * demo scale 1: docs/kpis.md.)
 */
#include "csat.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "kpi_scan_int.h"

#define SH_PREFIX		kpi_entries
#define SH_ELEMENT_TYPE	Entry
#define SH_KEY_TYPE		Key
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	key_hash(&(k))
#define SH_EQUAL(tb, x, y)	((x).h == (y).h && (x).c == (y).c && (x).s == (y).s && (x).b == (y).b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		extern
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct StrEntry
{
	Str			key;
	uint32		hash;
	char		status;
	int32		id;
} StrEntry;

#define SH_PREFIX		strs
#define SH_ELEMENT_TYPE	StrEntry
#define SH_KEY_TYPE		Str
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	hash_bytes((const unsigned char *) (k).p, (k).len)
#define SH_EQUAL(tb, a, b)	((a).len == (b).len && memcmp((a).p, (b).p, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct ScanDest
{
	DestReceiver pub;
	KpiScan    *scan;
} ScanDest;

/*
 * The parts of the statement, from csat.kpi_scan_parts (code, kpi, grp and
 * slot of each, in order): its columns are the scope (2), the keys of each
 * group (2 each), then each part's inputs.
 */
KpiScan *
kpi_scan_begin(MemoryContext parent, ArrayType *codes, ArrayType *kpis, ArrayType *grps, ArrayType *slots, Datum tz)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "csat kpi scan", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	KpiScan    *sc = palloc0(sizeof(KpiScan));
	Datum	   *cd,
			   *kd,
			   *gd,
			   *sd;
	bool	   *cn,
			   *kn,
			   *gn,
			   *sn;
	int			n,
				n2,
				n3,
				n4,
				col;

	sc->cxt = cxt;
	sc->rowcxt = AllocSetContextCreate(cxt, "csat kpi scan row", ALLOCSET_SMALL_SIZES);
	deconstruct_array(codes, TEXTOID, -1, false, TYPALIGN_INT, &cd, &cn, &n);
	deconstruct_array(kpis, TEXTOID, -1, false, TYPALIGN_INT, &kd, &kn, &n2);
	deconstruct_array(grps, INT4OID, 4, true, TYPALIGN_INT, &gd, &gn, &n3);
	deconstruct_array(slots, INT4OID, 4, true, TYPALIGN_INT, &sd, &sn, &n4);
	if (n != n2 || n != n3 || n != n4 || n == 0)
		elog(ERROR, "csat.kpi_scan_parts returned inconsistent arrays");
	for (int i = 0; i < n; i++)
		if (cn[i] || kn[i] || gn[i] || sn[i] || DatumGetInt32(gd[i]) < 1 ||
			(i > 0 && DatumGetInt32(gd[i]) != DatumGetInt32(gd[i - 1]) &&
			 DatumGetInt32(gd[i]) != DatumGetInt32(gd[i - 1]) + 1) ||
			(i == 0 && DatumGetInt32(gd[i]) != 1))
			elog(ERROR, "csat.kpi_scan_parts returned parts out of group order");
	sc->ngroups = DatumGetInt32(gd[n - 1]);
	sc->groups = palloc0(sizeof(ScanGroup) * sc->ngroups);
	sc->nparts = n;
	sc->parts = palloc0(sizeof(Part) * n);
	col = 2 + 2 * sc->ngroups;
	for (int i = 0; i < n; i++)
	{
		Part	   *p = &sc->parts[i];
		ScanGroup  *g = &sc->groups[DatumGetInt32(gd[i]) - 1];
		char	   *code = TextDatumGetCString(cd[i]);
		char	   *kpi = TextDatumGetCString(kd[i]);
		int			k = km_code_of(code);

		if (k < 0)
			elog(ERROR, "unknown KPI part code \"%s\"", code);
		if (g->nparts == 0)
		{
			g->first = i;
			g->outname = palloc(sizeof(char *) * n);
		}
		g->nparts++;
		p->code = k;
		p->col = col;
		col += km_codes[k].ninputs;
		p->cell = g->ncells;
		g->ncells += km_codes[k].ncells;
		p->slot = DatumGetInt32(sd[i]);
		if (k >= KM_WCOUNT && (p->slot < KM_N || p->slot > KM_SKETCH))
			elog(ERROR, "wide measure slot %d out of range", p->slot);
		/* parts filling the same row (the wide measures of one row) share it */
		for (p->out = 0; p->out < g->nout; p->out++)
			if (strcmp(g->outname[p->out], kpi) == 0)
				break;
		if (p->out == g->nout)
			g->outname[g->nout++] = kpi;
	}
	sc->ncols = col;
	for (int j = 0; j < sc->ngroups; j++)
	{
		ScanGroup  *g = &sc->groups[j];

		g->hcol = 2 + 2 * j;
		g->hash = kpi_entries_create(cxt, 1024, NULL);
		g->outtext = palloc(sizeof(Datum) * g->nout);
		for (int r = 0; r < g->nout; r++)
			g->outtext[r] = CStringGetTextDatum(g->outname[r]);
	}
	sc->strs = strs_create(cxt, 256, NULL);
	sc->strcap = 256;
	sc->strtab = palloc(sizeof(Str) * sc->strcap);
	sc->strtext = palloc(sizeof(Datum) * sc->strcap);
	kpi_period_init(sc, tz);
	MemoryContextSwitchTo(old);
	return sc;
}

/* the id of a text value (-1: NULL) */
static int32
intern(KpiScan *sc, Datum d, bool isnull)
{
	text	   *t;
	Str			k;
	StrEntry   *e;
	bool		found;

	if (isnull)
		return -1;
	t = DatumGetTextPP(d);		/* detoasted in the row context */
	k.p = VARDATA_ANY(t);
	k.len = VARSIZE_ANY_EXHDR(t);
	e = strs_insert(sc->strs, k, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(sc->cxt);
		text	   *copy = cstring_to_text_with_len(k.p, k.len);

		e->key.p = VARDATA(copy);
		e->id = sc->nstrs;
		if (sc->nstrs == sc->strcap)
		{
			sc->strcap *= 2;
			sc->strtab = repalloc(sc->strtab, sizeof(Str) * sc->strcap);
			sc->strtext = repalloc(sc->strtext, sizeof(Datum) * sc->strcap);
		}
		sc->strtab[sc->nstrs] = e->key;
		sc->strtext[sc->nstrs++] = PointerGetDatum(copy);
		MemoryContextSwitchTo(old);
	}
	return e->id;
}


static inline void
sketch_add(Cell *c, double x, MemoryContext cxt)
{
	Values	   *vs = c->p;

	if (vs == NULL || vs->n == vs->cap)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		if (vs && vs->cap == VALUES_BATCH)
		{
			vs->sketch = csat_sketch_add_values(vs->sketch, vs->v, vs->n);
			vs->n = 0;
		}
		else
		{
			int32		cap = vs ? vs->cap * 4 : 4;
			Values	   *nv = palloc(offsetof(Values, v) + sizeof(double) * cap);

			nv->sketch = NULL;
			nv->n = 0;
			if (vs)
			{
				memcpy(nv->v, vs->v, sizeof(double) * vs->n);
				nv->n = vs->n;
				pfree(vs);
			}
			nv->cap = cap;
			c->p = vs = nv;
		}
		MemoryContextSwitchTo(old);
	}
	vs->v[vs->n++] = x;
}

/* a cell's values added to its sketch (in the current memory context): the sketch's state */
void *
kpi_sketch_flush(Values *vs)
{
	if (vs->n > 0)
		vs->sketch = csat_sketch_add_values(vs->sketch, vs->v, vs->n);
	vs->n = 0;
	return vs->sketch;
}

/* the sketch of a cell's values */
Datum
kpi_sketch_of(Values *vs)
{
	return csat_sketch_result(kpi_sketch_flush(vs));
}
static bool
scan_receive(TupleTableSlot *slot, DestReceiver *self)
{
	KpiScan    *sc = ((ScanDest *) self)->scan;
	MemoryContext old = MemoryContextSwitchTo(sc->rowcxt);
	Datum	   *v;
	bool	   *n;
	Key			key;
	int32		c,
				s;

	slot_getallattrs(slot);
	v = slot->tts_values;
	n = slot->tts_isnull;
	c = intern(sc, v[0], n[0]);
	s = intern(sc, v[1], n[1]);
	for (int j = 0; j < sc->ngroups; j++)
	{
		ScanGroup  *g = &sc->groups[j];
		Entry	   *e;
		bool		found;

		if (n[g->hcol])
			continue;
		memset(&key, 0, sizeof(key));
		/* the hour of its period, or where it has a breakdown value, the day */
		key.h = kpi_period(sc, DatumGetTimestampTz(v[g->hcol]), !n[g->hcol + 1]);
		key.c = c;
		key.s = s;
		key.b = intern(sc, v[g->hcol + 1], n[g->hcol + 1]);
		e = kpi_entries_insert(g->hash, key, &found);
		if (!found)
			e->cells = MemoryContextAllocZero(sc->cxt, sizeof(Cell) * Max(g->ncells, 1));
		for (int i = g->first; i < g->first + g->nparts; i++)
		{
			Part	   *p = &sc->parts[i];

			const km_info *info = &km_codes[p->code];
			double		in[KM_MAX_INPUTS];
			bool		isn[KM_MAX_INPUTS];
			double		x;
			int			sk;

			for (int k = 0; k < info->ninputs; k++)
			{
				isn[k] = n[p->col + k];
				in[k] = isn[k] ? 0 : info->is_float[k] ? DatumGetFloat8(v[p->col + k]) : (double) DatumGetBool(v[p->col + k]);
			}
			sk = km_add(p->code, e->cells + p->cell, in, isn, &x);
			if (sk >= 0)
				sketch_add(&e->cells[p->cell + sk], x, sc->cxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(sc->rowcxt);
	return true;
}

/* the statement's columns must be what the parts say */
static void
scan_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	KpiScan    *sc = ((ScanDest *) self)->scan;
	bool		ok = desc->natts == sc->ncols;

	for (int i = 0; ok && i < 2 + 2 * sc->ngroups; i++)
		ok = TupleDescAttr(desc, i)->atttypid == (i >= 2 && i % 2 == 0 ? TIMESTAMPTZOID : TEXTOID);
	for (int i = 0; ok && i < sc->nparts; i++)
		for (int k = 0; ok && k < km_codes[sc->parts[i].code].ninputs; k++)
			ok = TupleDescAttr(desc, sc->parts[i].col + k)->atttypid ==
				(km_codes[sc->parts[i].code].is_float[k] ? FLOAT8OID : BOOLOID);
	if (!ok)
		elog(ERROR, "the statement of csat.kpi_source_sql does not match csat.kpi_scan_parts");
}

static void
scan_shutdown(DestReceiver *self)
{
}

static void
scan_destroy(DestReceiver *self)
{
	pfree(self);
}

DestReceiver *
kpi_scan_receiver(KpiScan *sc)
{
	ScanDest   *d = palloc0(sizeof(ScanDest));

	d->pub.receiveSlot = scan_receive;
	d->pub.rStartup = scan_startup;
	d->pub.rShutdown = scan_shutdown;
	d->pub.rDestroy = scan_destroy;
	d->pub.mydest = DestNone;
	d->scan = sc;
	return (DestReceiver *) d;
}

void
kpi_scan_end(KpiScan *sc)
{
	MemoryContextDelete(sc->cxt);
}
