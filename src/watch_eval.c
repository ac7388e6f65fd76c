/*
 * watch_eval.c: judging rows.  A watch is bound to a tuple descriptor (the
 * transition table's, or the columns of our own scan), the most specific
 * rule of each row is picked and the row's value or span compared with its
 * thresholds; rows past one are appended to a Batch for watch_store.c.
 */
#include "watch.h"

#include <math.h>

#include "calendar.h"
#include "checks.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

/* 0 ok, 1 warning, 2 breach; NaN (csat_level_of's -1) counts as ok here */
static int
rule_level(const WatchRule *r, double v)
{
	return Max(csat_level_of(v, r->warning, r->breach, r->higher_is_worse), CSAT_LEVEL_OK);
}

/*
 * Bind a watch definition to a tuple descriptor: by column name (the
 * trigger's transition tables) or by position (our own queries, where names
 * are NULL and positions are given).
 */
static AttrNumber
find_column(TupleDesc desc, const char *name, Oid relid)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i + 1;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("watched column \"%s\" of relation \"%s\" does not exist",
					name, get_rel_name(relid)),
			 errhint("Run csat.unwatch and csat.watch again after renaming or dropping a watched column.")));
	return InvalidAttrNumber;	/* not reached */
}

static void
bind_output(TupleDesc desc, AttrNumber att, FmgrInfo *fi, bool *is_text)
{
	Oid			typ = TupleDescAttr(desc, att - 1)->atttypid;
	Oid			outfn;
	bool		varlena;

	*is_text = typ == TEXTOID || typ == VARCHAROID;
	getTypeOutputInfo(typ, &outfn, &varlena);
	fmgr_info(outfn, fi);
}

void
watch_bind(Binding *b, WatchDef *def, TupleDesc desc, const AttrNumber *pos)
{
	memset(b, 0, sizeof(Binding));
	b->def = def;
	if (pos)
	{
		b->key = pos[0];
		b->value = def->value_column ? pos[1] : 0;
		b->start = def->start_column ? pos[1] : 0;
		b->end = def->end_column ? pos[2] : 0;
		b->segment = def->segment_column ? pos[3] : 0;
		b->channel = def->channel_column ? pos[4] : 0;
	}
	else
	{
		b->key = find_column(desc, def->key_column, def->relid);
		if (def->value_column)
			b->value = find_column(desc, def->value_column, def->relid);
		if (def->start_column)
			b->start = find_column(desc, def->start_column, def->relid);
		if (def->end_column)
			b->end = find_column(desc, def->end_column, def->relid);
		if (def->segment_column)
			b->segment = find_column(desc, def->segment_column, def->relid);
		if (def->channel_column)
			b->channel = find_column(desc, def->channel_column, def->relid);
	}
	if (b->value)
		b->value_type = getBaseType(TupleDescAttr(desc, b->value - 1)->atttypid);
	bind_output(desc, b->key, &b->key_out, &b->key_is_text);
	if (b->segment)
		bind_output(desc, b->segment, &b->segment_out, &b->segment_is_text);
	if (b->channel)
		bind_output(desc, b->channel, &b->channel_out, &b->channel_is_text);
}

/* value of a numeric or interval datum as float8 seconds / units */
static double
value_as_double(Oid typ, Datum d)
{
	switch (typ)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
		case INTERVALOID:
			return csat_interval_seconds(DatumGetIntervalP(d));
	}
	elog(ERROR, "unexpected value type %u", typ);
	return 0;
}

/* does the row's segment/channel datum equal the rule's string? */
static bool
datum_matches(Datum d, bool is_text, FmgrInfo *out, const char *want)
{
	if (is_text)
	{
		text	   *t = DatumGetTextPP(d);
		size_t		len = VARSIZE_ANY_EXHDR(t);
		bool		eq = len == strlen(want) && memcmp(VARDATA_ANY(t), want, len) == 0;

		if ((Pointer) t != DatumGetPointer(d))
			pfree(t);
		return eq;
	}
	else
	{
		char	   *s = OutputFunctionCall(out, d);
		bool		eq = strcmp(s, want) == 0;

		pfree(s);
		return eq;
	}
}

static WatchRule *
pick_rule(Binding *b, TupleTableSlot *slot, bool open)
{
	WatchDef   *def = b->def;
	Datum		seg = 0,
				chan = 0;
	bool		segnull = true,
				channull = true;

	if (def->need_segment)
		seg = slot_getattr(slot, b->segment, &segnull);
	if (def->need_channel)
		chan = slot_getattr(slot, b->channel, &channull);

	for (int i = 0; i < def->nrules; i++)
	{
		WatchRule  *r = def->rules[i];

		if (r->segment &&
			(segnull || !datum_matches(seg, b->segment_is_text, &b->segment_out, r->segment)))
			continue;
		if (r->channel &&
			(channull || !datum_matches(chan, b->channel_is_text, &b->channel_out, r->channel)))
			continue;
		/* an open span only grows: only higher-is-worse rules can judge it yet */
		if (open && !r->higher_is_worse)
			return NULL;
		return r;
	}
	return NULL;
}

/*
 * Evaluate one row; append it to the batch when past a threshold.  An open
 * span (start set, end NULL or +-infinity) is measured until "now"; a
 * +-infinity start counts as NULL, on every major alike.
 */
void
watch_eval_row(Binding *b, TupleTableSlot *slot, TimestampTz now, Batch *batch)
{
	WatchRule  *r;
	double		v;
	bool		isnull;
	bool		open = false;
	int			level;
	Datum		key;
	TimestampTz start = 0,
				stop = 0;

	if (b->value)
	{
		Datum		d = slot_getattr(slot, b->value, &isnull);

		if (isnull)
			return;
		/* an infinite interval (17+) is no measurement: as NULL */
		if (b->value_type == INTERVALOID && INTERVAL_IS_INFINITE(DatumGetIntervalP(d)))
			return;
		v = value_as_double(b->value_type, d);
	}
	else
	{
		Datum		d = slot_getattr(slot, b->start, &isnull);

		/* a +-infinity start ("not yet") counts as NULL: not started */
		if (isnull || TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(d)))
			return;
		start = DatumGetTimestampTz(d);
		d = slot_getattr(slot, b->end, &isnull);
		/* a +-infinity end counts as NULL: the span is open */
		open = isnull || TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(d));
		stop = open ? now : DatumGetTimestampTz(d);
		if (TIMESTAMP_NOT_FINITE(stop))
			return;
		/* in double: stop - start over the whole timestamp range overflows int64 */
		v = ((double) stop - (double) start) / USECS_PER_SEC;
	}

	r = pick_rule(b, slot, open);
	if (r == NULL)
		return;
	/* business seconds when the rule has a calendar (a negative span stays as is) */
	if (r->cal && !b->value && stop >= start)
		v = csat_calendar_elapsed(r->cal, start, stop);
	level = rule_level(r, v);
	if (level == 0)
		return;

	key = slot_getattr(slot, b->key, &isnull);
	if (isnull)
		return;					/* a row without a key cannot be logged */
	Assert(batch->n < BATCH_MAX);
	if (batch->n == batch->cap)
	{
		/* repalloc keeps each array in the batch's own memory context */
		batch->cap = Min(batch->cap * 4, BATCH_MAX);
		batch->rule = repalloc(batch->rule, sizeof(WatchRule *) * batch->cap);
		batch->key = repalloc(batch->key, sizeof(Datum) * batch->cap);
		batch->observed = repalloc(batch->observed, sizeof(double) * batch->cap);
		batch->threshold = repalloc(batch->threshold, sizeof(double) * batch->cap);
		batch->level = repalloc(batch->level, sizeof(int) * batch->cap);
	}
	batch->rule[batch->n] = r;
	if (b->key_is_text)
	{
		MemoryContext old = MemoryContextSwitchTo(batch->keycxt);

		batch->key[batch->n] = PointerGetDatum(PG_DETOAST_DATUM_COPY(key));
		MemoryContextSwitchTo(old);
	}
	else
	{
		char	   *s = OutputFunctionCall(&b->key_out, key);
		MemoryContext old = MemoryContextSwitchTo(batch->keycxt);

		batch->key[batch->n] = CStringGetTextDatum(s);
		MemoryContextSwitchTo(old);
	}
	batch->observed[batch->n] = v;
	batch->threshold[batch->n] = level == 2 ? r->breach : r->warning;
	batch->level[batch->n] = level;
	batch->n++;
}

void
watch_batch_init(Batch *batch, Oid source, TimestampTz observed_at)
{
	memset(batch, 0, sizeof(Batch));
	/* small at first: most statements are single-row INSERTs */
	batch->cap = 16;
	batch->rule = palloc(sizeof(WatchRule *) * batch->cap);
	batch->key = palloc(sizeof(Datum) * batch->cap);
	batch->observed = palloc(sizeof(double) * batch->cap);
	batch->threshold = palloc(sizeof(double) * batch->cap);
	batch->level = palloc(sizeof(int) * batch->cap);
	batch->source = source;
	batch->observed_at = observed_at;
	batch->keycxt = AllocSetContextCreate(CurrentMemoryContext, "csat watch keys",
										  ALLOCSET_DEFAULT_SIZES);
}

/* did any watched column change between the old and the new row? */
bool
watch_row_changed(Binding *b, TupleDesc desc, TupleTableSlot *o, TupleTableSlot *n)
{
	AttrNumber	atts[6] = {b->key, b->value, b->start, b->end, b->segment, b->channel};

	for (int i = 0; i < 6; i++)
	{
		Form_pg_attribute a;
		bool		on,
					nn;
		Datum		od,
					nd;

		if (atts[i] == 0)
			continue;
		a = TupleDescAttr(desc, atts[i] - 1);
		od = slot_getattr(o, atts[i], &on);
		nd = slot_getattr(n, atts[i], &nn);
		if (on != nn)
			return true;
		if (!on && !datumIsEqual(od, nd, a->attbyval, a->attlen))
			return true;
	}
	return false;
}
