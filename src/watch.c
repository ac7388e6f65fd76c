/*
 * watch.c: breach flagging on the user's tables.
 *
 * csat.watch() registers (table, metric) in csat.watches and installs two
 * statement-level AFTER triggers (INSERT, UPDATE) with transition tables on
 * the table.  The trigger walks the transition table in C, picks the most
 * specific enabled rule of csat.rules for each row, and logs the rows past a
 * threshold into csat.breaches in one go per statement: rows of an INSERT
 * straight into the heap and indexes (COPY-style), falling back to one
 * set-based INSERT ... ON CONFLICT when a row was logged before; UPDATEs use
 * the upsert directly.  csat.sweep() flags open spans (start set, end NULL) that ran past a
 * threshold with no event at all; csat.unwatch() removes a watch.
 *
 * Rules, watches and calendars are cached per backend; statement-level
 * triggers on their tables send a relcache invalidation that bumps a
 * counter here, so a trigger reads no table but the transition table unless
 * the configuration changed.  Breaches are written as the owner of
 * csat.breaches, switching user the way PostgreSQL's RI triggers do, so that
 * writers of a watched table need no privilege on csat's tables.
 */
#include "csat.h"

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

#define TRIGGER_INSERT_NAME "csat_watch_insert"
#define TRIGGER_UPDATE_NAME "csat_watch_update"

/* rows per upsert; bounds the memory one statement's batch can take */
#define BATCH_MAX 65536

/* one enabled rule of csat.rules */
typedef struct WatchRule
{
	char	   *name;
	char	   *segment;		/* NULL = every segment */
	char	   *channel;		/* NULL = every channel */
	double		warning;		/* equals breach when the rule has none */
	double		breach;
	bool		higher_is_worse;
	bool		notify;
	char	   *calendar;		/* NULL = calendar time */
	CsatCalendar *cal;			/* loaded calendar, when calendar is set */
	Datum		name_text;		/* name as a text datum, for the upsert */
	/* per statement: what was logged, for the notification */
	int64		logged;
	int			worst;
} WatchRule;

/* one row of csat.watches with the rules of its metric */
typedef struct WatchDef
{
	Oid			relid;
	char	   *metric;
	char	   *key_column;
	char	   *value_column;
	char	   *start_column;
	char	   *end_column;
	char	   *segment_column;
	char	   *channel_column;
	int			nrules;
	WatchRule **rules;			/* most specific first */
	bool		need_segment;	/* some rule names a segment */
	bool		need_channel;
	bool		any_higher_is_worse;
} WatchDef;

/* where a WatchDef's columns are in a given tuple descriptor */
typedef struct Binding
{
	WatchDef   *def;
	AttrNumber	key,
				value,
				start,
				end,
				segment,
				channel;
	Oid			value_type;
	bool		segment_is_text;
	bool		channel_is_text;
	bool		key_is_text;
	FmgrInfo	key_out;
	FmgrInfo	segment_out;
	FmgrInfo	channel_out;
} Binding;

/* breaching rows waiting for the upsert */
typedef struct Batch
{
	int			n;
	int			cap;			/* allocated entries, up to BATCH_MAX */
	WatchRule **rule;
	Datum	   *key;
	double	   *observed;
	double	   *threshold;
	int		   *level;
	Oid			source;
	TimestampTz observed_at;
	MemoryContext keycxt;		/* holds the keys; reset after each upsert */
	bool		mostly_new;		/* rows of an INSERT: try a plain INSERT first */
	int64		written;		/* rows inserted or escalated so far */
} Batch;

/* the per-backend cache */
static MemoryContext cache_cxt = NULL;
static List *cache_defs = NIL;
static bool cache_valid = false;
static uint64 cache_loaded_gen = 0;
static uint64 inval_gen = 0;
static bool callback_registered = false;
static Oid	rules_relid = InvalidOid;
static Oid	watches_relid = InvalidOid;
static Oid	calendars_relid = InvalidOid;
static Oid	calendar_hours_relid = InvalidOid;
static Oid	calendar_holidays_relid = InvalidOid;
static Oid	breaches_relid = InvalidOid;
static Oid	breaches_owner = InvalidOid;
static int	trigger_depth = 0;

/* upsert plans, prepared once per backend: [returning] */
static SPIPlanPtr upsert_plans[2];

/*
 * Batches from INSERTs first try a direct insertion (see try_direct_insert;
 * about twice as fast as the upsert) when the batch is big enough to pay for
 * the subtransaction; after it met a logged row, the next FASTPATH_BACKOFF
 * batches go straight to the upsert.
 */
#define FASTPATH_BACKOFF 64
/* below this many rows the subtransaction costs more than it saves */
#define FASTPATH_MIN_ROWS 64
/* rows per heap multi-insert of the fast path */
#define MULTI_INSERT_ROWS 1000
static int	fastpath_backoff = 0;

PG_FUNCTION_INFO_V1(csat_watch_config_changed);
PG_FUNCTION_INFO_V1(csat_watch_trigger);
PG_FUNCTION_INFO_V1(csat_watch);
PG_FUNCTION_INFO_V1(csat_unwatch);
PG_FUNCTION_INFO_V1(csat_sweep);
PG_FUNCTION_INFO_V1(csat_watch_partitions);

static void
watch_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rules_relid || relid == watches_relid ||
		relid == calendars_relid || relid == calendar_hours_relid ||
		relid == calendar_holidays_relid)
		inval_gen++;
}

/* 0 ok, 1 warning, 2 breach; NaN (csat_level_of's -1) counts as ok here */
static int
rule_level(const WatchRule *r, double v)
{
	return Max(csat_level_of(v, r->warning, r->breach, r->higher_is_worse), CSAT_LEVEL_OK);
}

static Oid
csat_namespace(void)
{
	return get_namespace_oid("csat", false);
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* text of column i of an SPI result row, copied into the cache, or NULL */
static char *
spi_text(HeapTuple tup, TupleDesc desc, int i)
{
	char	   *s = SPI_getvalue(tup, desc, i);

	return s ? MemoryContextStrdup(cache_cxt, s) : NULL;
}

static int
rule_specificity(const WatchRule *r)
{
	/* segment and channel > segment > channel > neither */
	return (r->segment ? 2 : 0) + (r->channel ? 1 : 0);
}

static int
rule_cmp(const void *a, const void *b)
{
	const WatchRule *ra = *(WatchRule *const *) a;
	const WatchRule *rb = *(WatchRule *const *) b;
	int			d = rule_specificity(rb) - rule_specificity(ra);

	return d != 0 ? d : strcmp(ra->name, rb->name);
}

/*
 * Load csat.watches and the enabled rules unless the cached copy is current.
 * Runs as the owner of csat's tables.  A nested trigger (a watched table
 * written by something our own upsert fired) keeps the copy its caller uses.
 */
static void
ensure_cache(void)
{
	Oid			nsp;
	Oid			save_user;
	int			save_sec;
	uint64		gen;
	List	   *rules = NIL;
	ListCell   *lc;

	if (cache_valid && cache_loaded_gen == inval_gen)
		return;
	if (cache_valid && trigger_depth > 1)
		return;

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(CacheMemoryContext, "csat watch cache",
										  ALLOCSET_SMALL_SIZES);
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(watch_relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	cache_valid = false;
	cache_defs = NIL;
	MemoryContextReset(cache_cxt);
	gen = inval_gen;

	nsp = csat_namespace();
	rules_relid = get_relname_relid("rules", nsp);
	watches_relid = get_relname_relid("watches", nsp);
	calendars_relid = get_relname_relid("calendars", nsp);
	calendar_hours_relid = get_relname_relid("calendar_hours", nsp);
	calendar_holidays_relid = get_relname_relid("calendar_holidays", nsp);
	breaches_relid = get_relname_relid("breaches", nsp);
	breaches_owner = relation_owner(breaches_relid);

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(breaches_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (SPI_execute("SELECT name, metric, segment, channel, warning, breach, higher_is_worse,"
					" notify, calendar FROM csat.rules r WHERE enabled AND (r.calendar IS NULL"
					" OR EXISTS (SELECT FROM csat.calendars c WHERE c.name OPERATOR(pg_catalog.=) r.calendar))",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.rules failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		WatchRule  *r = MemoryContextAllocZero(cache_cxt, sizeof(WatchRule));
		bool		isnull;
		Datum		w;
		MemoryContext old;

		r->name = spi_text(t, d, 1);
		r->segment = spi_text(t, d, 3);
		r->channel = spi_text(t, d, 4);
		r->breach = DatumGetFloat8(SPI_getbinval(t, d, 6, &isnull));
		w = SPI_getbinval(t, d, 5, &isnull);
		r->warning = isnull ? r->breach : DatumGetFloat8(w);
		r->higher_is_worse = DatumGetBool(SPI_getbinval(t, d, 7, &isnull));
		r->notify = DatumGetBool(SPI_getbinval(t, d, 8, &isnull));
		r->calendar = spi_text(t, d, 9);
		old = MemoryContextSwitchTo(cache_cxt);
		r->name_text = CStringGetTextDatum(r->name);
		rules = lappend(rules, list_make2(spi_text(t, d, 2), r));
		MemoryContextSwitchTo(old);
	}

	/* business-hours calendars, loaded once with the rules (ERROR 42704 if unknown) */
	foreach(lc, rules)
	{
		WatchRule  *r = lsecond((List *) lfirst(lc));

		if (r->calendar)
			r->cal = csat_calendar_load(r->calendar, cache_cxt);
	}

	if (SPI_execute("SELECT source::pg_catalog.oid, metric, key_column, value_column, start_column,"
					" end_column, segment_column, channel_column FROM csat.watches",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.watches failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		WatchDef   *w = MemoryContextAllocZero(cache_cxt, sizeof(WatchDef));
		bool		isnull;
		MemoryContext old;

		w->relid = DatumGetObjectId(SPI_getbinval(t, d, 1, &isnull));
		w->metric = spi_text(t, d, 2);
		w->key_column = spi_text(t, d, 3);
		w->value_column = spi_text(t, d, 4);
		w->start_column = spi_text(t, d, 5);
		w->end_column = spi_text(t, d, 6);
		w->segment_column = spi_text(t, d, 7);
		w->channel_column = spi_text(t, d, 8);
		w->rules = MemoryContextAllocZero(cache_cxt, sizeof(WatchRule *) * (list_length(rules) + 1));
		foreach(lc, rules)
		{
			List	   *pair = lfirst(lc);
			WatchRule  *r = lsecond(pair);

			if (strcmp((char *) linitial(pair), w->metric) != 0)
				continue;
			/* a rule on a segment or channel the table does not record never applies */
			if ((r->segment && !w->segment_column) || (r->channel && !w->channel_column))
				continue;
			w->rules[w->nrules++] = r;
			w->need_segment |= r->segment != NULL;
			w->need_channel |= r->channel != NULL;
			w->any_higher_is_worse |= r->higher_is_worse;
		}
		qsort(w->rules, w->nrules, sizeof(WatchRule *), rule_cmp);
		old = MemoryContextSwitchTo(cache_cxt);
		cache_defs = lappend(cache_defs, w);
		MemoryContextSwitchTo(old);
	}

	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
	/* read-write SPI above took fresh snapshots: what we read is current */
	cache_loaded_gen = gen;
	cache_valid = true;
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

static void
bind_def(Binding *b, WatchDef *def, TupleDesc desc, const AttrNumber *pos)
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
 * span (start set, end NULL) is measured until "now".
 */
static void
eval_row(Binding *b, TupleTableSlot *slot, TimestampTz now, Batch *batch)
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
		v = value_as_double(b->value_type, d);
	}
	else
	{
		Datum		d = slot_getattr(slot, b->start, &isnull);

		if (isnull)
			return;
		start = DatumGetTimestampTz(d);
		d = slot_getattr(slot, b->end, &isnull);
		open = isnull;
		stop = isnull ? now : DatumGetTimestampTz(d);
		if (TIMESTAMP_NOT_FINITE(start) || TIMESTAMP_NOT_FINITE(stop))
			return;
		v = (double) (stop - start) / USECS_PER_SEC;
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

static void
batch_init(Batch *batch, Oid source, TimestampTz observed_at)
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

static Batch *sort_batch;

static int
batch_entry_cmp(const void *a, const void *b)
{
	int			i = *(const int *) a,
				j = *(const int *) b;
	Pointer		ki = DatumGetPointer(sort_batch->key[i]);
	Pointer		kj = DatumGetPointer(sort_batch->key[j]);
	size_t		li = VARSIZE_ANY_EXHDR(ki),
				lj = VARSIZE_ANY_EXHDR(kj);
	int			c;

	/* key, then rule: the order of the primary key, for local index inserts */
	c = memcmp(VARDATA_ANY(ki), VARDATA_ANY(kj), Min(li, lj));
	if (c != 0)
		return c;
	if (li != lj)
		return li < lj ? -1 : 1;
	if (sort_batch->rule[i] != sort_batch->rule[j])
		return strcmp(sort_batch->rule[i]->name, sort_batch->rule[j]->name);
	/* worst level first, so dedup keeps it */
	return sort_batch->level[j] - sort_batch->level[i];
}

static bool
key_equal(Datum a, Datum b)
{
	Pointer		pa = DatumGetPointer(a),
				pb = DatumGetPointer(b);

	return VARSIZE_ANY_EXHDR(pa) == VARSIZE_ANY_EXHDR(pb) &&
		memcmp(VARDATA_ANY(pa), VARDATA_ANY(pb), VARSIZE_ANY_EXHDR(pa)) == 0;
}

static SPIPlanPtr
prepare_upsert(bool returning)
{
	Oid			argtypes[7] = {TEXTARRAYOID, REGCLASSOID, TEXTARRAYOID, FLOAT8ARRAYOID,
	FLOAT8ARRAYOID, INT4ARRAYOID, TIMESTAMPTZOID};
	StringInfoData q;
	SPIPlanPtr	plan;

	/* everything schema-qualified: this runs as csat's owner under any search_path */
	initStringInfo(&q);
	appendStringInfoString(&q,
						   "INSERT INTO csat.breaches AS b (rule, source, row_key, observed, threshold, level, observed_at)"
						   " SELECT u.r, $2, u.k, u.o, u.t,"
						   " (ARRAY['warning'::csat.level, 'breach'::csat.level])[u.l], $7"
						   " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($3), pg_catalog.unnest($4),"
						   " pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(r, k, o, t, l)"
						   " ON CONFLICT (source, row_key, rule) DO UPDATE"
						   " SET observed = excluded.observed, threshold = excluded.threshold,"
						   " level = excluded.level, observed_at = excluded.observed_at"
						   " WHERE excluded.level OPERATOR(pg_catalog.>) b.level");
	if (returning)
		appendStringInfoString(&q, " RETURNING b.rule, b.level OPERATOR(pg_catalog.=) 'breach'::csat.level");
	plan = SPI_prepare(q.data, 7, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

static int
execute_upsert(bool returning, Datum *args)
{
	if (upsert_plans[returning] == NULL)
		upsert_plans[returning] = prepare_upsert(returning);
	return SPI_execute_plan(upsert_plans[returning], args, NULL, false, 0);
}

/* a csat.breaches row into slot: rule, source, row_key, observed, threshold, level, observed_at */
static void
fill_breach_slot(TupleTableSlot *slot, Datum rule, Oid source, Datum key, Datum obs,
				 Datum thr, Datum lev, TimestampTz at)
{
	ExecClearTuple(slot);
	slot->tts_values[0] = rule;
	slot->tts_values[1] = ObjectIdGetDatum(source);
	slot->tts_values[2] = key;
	slot->tts_values[3] = obs;
	slot->tts_values[4] = thr;
	slot->tts_values[5] = csat_level_datum(DatumGetInt32(lev));
	slot->tts_values[6] = TimestampTzGetDatum(at);
	memset(slot->tts_isnull, 0, sizeof(bool) * 7);
	ExecStoreVirtualTuple(slot);
}

/*
 * The fast path for rows that are most likely new: heap and index insertion
 * the way COPY does it, no SQL at all, in a subtransaction so that meeting a
 * row logged already (unique_violation from the primary key) can be undone
 * and the batch retried as an upsert.  Returns false then; other errors
 * propagate.  Not used when csat.breaches has triggers or forced row security
 * (users may add them), which only SQL honours.
 */
static bool
try_direct_insert(int m, Datum *rules, Datum *keys, Datum *obs, Datum *thr,
				  Datum *lev, Oid source, TimestampTz at)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		Relation	rel = table_open(breaches_relid, RowExclusiveLock);
		EState	   *estate = CreateExecutorState();
		ResultRelInfo *rri = makeNode(ResultRelInfo);
		TupleTableSlot *slots[MULTI_INSERT_ROWS];
		CommandId	cid = GetCurrentCommandId(true);

		if (rel->trigdesc != NULL || rel->rd_rel->relforcerowsecurity ||
			RelationGetDescr(rel)->natts != 7)
			elog(ERROR, "csat.breaches is not as expected for direct insertion");
		InitResultRelInfo(rri, rel, 1, NULL, 0);
		ExecOpenIndices(rri, false);
		for (int j = 0; j < MULTI_INSERT_ROWS; j++)
			slots[j] = table_slot_create(rel, NULL);
		/* heap pages filled many rows at a time, as COPY does; then the index entries */
		for (int first = 0; first < m; first += MULTI_INSERT_ROWS)
		{
			int			n = Min(m - first, MULTI_INSERT_ROWS);

			for (int j = 0; j < n; j++)
			{
				int			i = first + j;

				fill_breach_slot(slots[j], rules[i], source, keys[i], obs[i], thr[i], lev[i], at);
			}
			table_multi_insert(rel, slots, n, cid, 0, NULL);
			for (int j = 0; j < n; j++)
			{
				list_free(ExecInsertIndexTuples(rri, slots[j], estate, false, false, NULL, NIL));
				ResetPerTupleExprContext(estate);
			}
		}
		for (int j = 0; j < MULTI_INSERT_ROWS; j++)
			ExecDropSingleTupleTableSlot(slots[j]);
		ExecCloseIndices(rri);
		FreeExecutorState(estate);
		table_close(rel, NoLock);
		CommandCounterIncrement();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
			ReThrowError(edata);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * The path for a few rows (a single-row INSERT or UPDATE that crossed a
 * threshold), where starting the upsert's executor costs more than the
 * insertion itself: each row not logged yet is inserted the way INSERT ... ON
 * CONFLICT does it, a check of the primary key first, then a speculative heap
 * insertion that the index insertion confirms or, when a concurrent writer
 * got there first, withdraws.  inserted[i] says which rows went in; the rest
 * (rows met in the log) are left to the upsert.  Returns how many went in,
 * or -1 when csat.breaches has triggers or forced row security (users may add
 * them), which only SQL honours: then every row is left to the upsert.
 */
static int
insert_new_rows(int m, Datum *rules, Datum *keys, Datum *obs, Datum *thr,
				Datum *lev, Oid source, TimestampTz at, bool *inserted)
{
	Relation	rel = table_open(breaches_relid, RowExclusiveLock);
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	CommandId	cid = GetCurrentCommandId(true);
	List	   *arbiters;
	int			n = 0;

	if (rel->trigdesc != NULL || rel->rd_rel->relforcerowsecurity)
	{
		table_close(rel, NoLock);
		return -1;
	}
	estate = CreateExecutorState();
	rri = makeNode(ResultRelInfo);
	slot = table_slot_create(rel, NULL);
	arbiters = list_make1_oid(RelationGetPrimaryKeyIndex(rel));
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, true);
	for (int i = 0; i < m; i++)
	{
		ItemPointerData conflict;
		TransactionId xid;
		uint32		token;
		bool		spec_conflict = false;

		inserted[i] = false;
		fill_breach_slot(slot, rules[i], source, keys[i], obs[i], thr[i], lev[i], at);
		if (!ExecCheckIndexConstraints(rri, slot, estate, &conflict, arbiters))
			continue;
		xid = GetCurrentTransactionId();
		token = SpeculativeInsertionLockAcquire(xid);
		table_tuple_insert_speculative(rel, slot, cid, 0, NULL, token);
		list_free(ExecInsertIndexTuples(rri, slot, estate, false, true, &spec_conflict, arbiters));
		table_tuple_complete_speculative(rel, slot, token, !spec_conflict);
		SpeculativeInsertionLockRelease(xid);
		inserted[i] = !spec_conflict;
		n += inserted[i] ? 1 : 0;
		ResetPerTupleExprContext(estate);
	}
	ExecDropSingleTupleTableSlot(slot);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	if (n > 0)
		CommandCounterIncrement();
	return n;
}

/* can the batch fast path write csat.breaches directly? */
static bool
direct_insert_allowed(void)
{
	Relation	rel = table_open(breaches_relid, AccessShareLock);
	/* row security that is not forced does not apply to the owner we write as */
	bool		ok = rel->trigdesc == NULL && !rel->rd_rel->relforcerowsecurity;

	table_close(rel, AccessShareLock);
	return ok;
}

/*
 * Upsert the batch into csat.breaches as the owner of csat's tables.  The
 * caller is connected to SPI.  Duplicate (rule, key) pairs within one batch
 * (a key column that is not unique) are folded first: ON CONFLICT DO UPDATE
 * refuses to touch a row twice in one command.
 */
static void
flush_batch(Batch *batch)
{
	int		   *idx;
	int			m = 0;
	WatchRule **distinct;
	WatchRule **entry_rule;
	int			nrules = 0;
	bool		notify = false;
	bool		done = false;
	Datum	   *rules,
			   *keys,
			   *obs,
			   *thr,
			   *lev;
	Datum		args[7];
	Oid			save_user;
	int			save_sec;
	int			rc;

	if (batch->n == 0)
		return;

	idx = palloc(sizeof(int) * batch->n);
	for (int i = 0; i < batch->n; i++)
		idx[i] = i;
	if (batch->n > 1)
	{
		sort_batch = batch;
		qsort(idx, batch->n, sizeof(int), batch_entry_cmp);
	}
	distinct = palloc(sizeof(WatchRule *) * batch->n);
	entry_rule = palloc(sizeof(WatchRule *) * batch->n);
	rules = palloc(sizeof(Datum) * batch->n);
	keys = palloc(sizeof(Datum) * batch->n);
	obs = palloc(sizeof(Datum) * batch->n);
	thr = palloc(sizeof(Datum) * batch->n);
	lev = palloc(sizeof(Datum) * batch->n);
	for (int k = 0; k < batch->n; k++)
	{
		int			i = idx[k];

		if (m > 0 && batch->rule[i]->name_text == rules[m - 1] && key_equal(batch->key[i], keys[m - 1]))
			continue;
		{
			int			k = 0;

			while (k < nrules && distinct[k] != batch->rule[i])
				k++;
			if (k == nrules)
				distinct[nrules++] = batch->rule[i];
		}
		entry_rule[m] = batch->rule[i];
		rules[m] = batch->rule[i]->name_text;
		keys[m] = batch->key[i];
		obs[m] = Float8GetDatum(batch->observed[i]);
		thr[m] = Float8GetDatum(batch->threshold[i]);
		lev[m] = Int32GetDatum(batch->level[i]);
		notify |= batch->rule[i]->notify;
		m++;
	}
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(breaches_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (batch->mostly_new && m >= FASTPATH_MIN_ROWS)
	{
		if (fastpath_backoff > 0)
			fastpath_backoff--;
		else if (direct_insert_allowed() &&
				 try_direct_insert(m, rules, keys, obs, thr, lev, batch->source, batch->observed_at))
			done = true;
		else
			fastpath_backoff = FASTPATH_BACKOFF;
		if (done)
		{
			/* every row was new */
			batch->written += m;
			for (int k = 0; k < m; k++)
			{
				entry_rule[k]->logged++;
				entry_rule[k]->worst = Max(entry_rule[k]->worst, DatumGetInt32(lev[k]));
			}
		}
	}
	else if (m < FASTPATH_MIN_ROWS)
	{
		bool	   *inserted = palloc(sizeof(bool) * m);
		int			n = insert_new_rows(m, rules, keys, obs, thr, lev, batch->source,
										batch->observed_at, inserted);

		if (n > 0)
		{
			int			left = 0;

			/* count what went in; keep the rest, met in the log, for the upsert */
			batch->written += n;
			for (int k = 0; k < m; k++)
			{
				if (inserted[k])
				{
					entry_rule[k]->logged++;
					entry_rule[k]->worst = Max(entry_rule[k]->worst, DatumGetInt32(lev[k]));
					continue;
				}
				rules[left] = rules[k];
				keys[left] = keys[k];
				obs[left] = obs[k];
				thr[left] = thr[k];
				lev[left] = lev[k];
				left++;
			}
			m = left;
		}
		pfree(inserted);
		done = m == 0;
	}
	if (!done)
	{
		args[0] = PointerGetDatum(construct_array(rules, m, TEXTOID, -1, false, TYPALIGN_INT));
		args[1] = ObjectIdGetDatum(batch->source);
		args[2] = PointerGetDatum(construct_array(keys, m, TEXTOID, -1, false, TYPALIGN_INT));
		args[3] = PointerGetDatum(construct_array(obs, m, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[4] = PointerGetDatum(construct_array(thr, m, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[5] = PointerGetDatum(construct_array(lev, m, INT4OID, 4, true, TYPALIGN_INT));
		args[6] = TimestampTzGetDatum(batch->observed_at);
		rc = execute_upsert(notify, args);
		if (rc != (notify ? SPI_OK_INSERT_RETURNING : SPI_OK_INSERT))
			elog(ERROR, "upsert into csat.breaches failed: %s", SPI_result_code_string(rc));
		batch->written += SPI_processed;
		if (notify)
		{
			/* count what was actually logged, per rule, for the notification */
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				bool		isnull;
				char	   *name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
				bool		is_breach = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

				for (int k = 0; k < nrules; k++)
				{
					WatchRule  *r = distinct[k];

					if (strcmp(r->name, name) == 0)
					{
						r->logged++;
						r->worst = Max(r->worst, is_breach ? 2 : 1);
						break;
					}
				}
				pfree(name);
			}
			SPI_freetuptable(SPI_tuptable);
		}
		for (int i = 0; i < 6; i++)
			if (i != 1)			/* args[1] is the source oid */
				pfree(DatumGetPointer(args[i]));
	}
	SetUserIdAndSecContext(save_user, save_sec);
	batch->n = 0;
	MemoryContextReset(batch->keycxt);
	pfree(distinct);
	pfree(entry_rule);
	pfree(idx);
	pfree(rules);
	pfree(keys);
	pfree(obs);
	pfree(thr);
	pfree(lev);
}

/* one NOTIFY csat_breach per rule with notify that logged something */
static void
send_notifications(List *defs, Oid source)
{
	ListCell   *lc;
	char	   *srcname = NULL;

	foreach(lc, defs)
	{
		WatchDef   *def = lfirst(lc);

		for (int i = 0; i < def->nrules; i++)
		{
			WatchRule  *r = def->rules[i];
			StringInfoData p;

			if (!r->notify || r->logged == 0)
				continue;
			if (srcname == NULL)
				srcname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
													 get_rel_name(source));
			initStringInfo(&p);
			appendStringInfoString(&p, "{\"rule\": ");
			escape_json(&p, r->name);
			appendStringInfoString(&p, ", \"source\": ");
			escape_json(&p, srcname);
			appendStringInfo(&p, ", \"count\": " INT64_FORMAT ", \"level\": \"%s\"}",
							 r->logged, r->worst == 2 ? "breach" : "warning");
			Async_Notify("csat_breach", p.data);
			pfree(p.data);
			r->logged = 0;
			r->worst = 0;
		}
	}
}

static void
reset_counts(List *defs)
{
	ListCell   *lc;

	foreach(lc, defs)
	{
		WatchDef   *def = lfirst(lc);

		for (int i = 0; i < def->nrules; i++)
			def->rules[i]->logged = def->rules[i]->worst = 0;
	}
}

/* did any watched column change between the old and the new row? */
static bool
row_changed(Binding *b, TupleDesc desc, TupleTableSlot *o, TupleTableSlot *n)
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

static void
check_rule_calendars(bool editing_rules)
{
	Oid			save_user;
	int			save_sec;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(relation_owner(get_relname_relid("rules", csat_namespace())),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT r.calendar, r.name FROM csat.rules r WHERE r.calendar IS NOT NULL"
					" AND NOT EXISTS (SELECT FROM csat.calendars c"
					" WHERE c.name OPERATOR(pg_catalog.=) r.calendar)"
					" ORDER BY r.name LIMIT 1", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.rules failed");
	if (SPI_processed > 0)
	{
		char	   *cal = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *rule = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		if (editing_rules)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("calendar \"%s\" does not exist", cal),
					 errdetail("Rule \"%s\" names it.", rule),
					 errhint("Add it to csat.calendars first.")));
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("calendar \"%s\" is still used by rule \"%s\"", cal, rule)));
	}
	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
}

Datum
csat_watch_config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *relname;
	bool		is_rules,
				is_calendars;
	TriggerEvent ev;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "csat_watch_config_changed: not called as a trigger");
	CacheInvalidateRelcache(td->tg_relation);
	relname = RelationGetRelationName(td->tg_relation);
	is_rules = strcmp(relname, "rules") == 0;
	is_calendars = strcmp(relname, "calendars") == 0;
	ev = td->tg_event;

	/*
	 * Rules name calendars of another family, so there is no foreign key:
	 * check here that every rule's calendar exists, when a rule is written
	 * or a calendar renamed or deleted, rather than fail later on writes to
	 * the watched tables.
	 */
	if ((is_rules && (TRIGGER_FIRED_BY_INSERT(ev) || TRIGGER_FIRED_BY_UPDATE(ev))) ||
		(is_calendars && !TRIGGER_FIRED_BY_INSERT(ev)))
		check_rule_calendars(is_rules);
	return PointerGetDatum(NULL);
}

/* the work of one firing of the trigger, on the watches of its table */
static void
watch_statement(TriggerData *td, List *defs)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	bool		connected = false;
	ListCell   *lc;
	MemoryContext work,
				rowcxt,
				old;
	Batch		batch;
	TupleTableSlot *nslot,
			   *oslot = NULL;

	work = AllocSetContextCreate(CurrentMemoryContext, "csat watch statement",
								 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	rowcxt = AllocSetContextCreate(work, "csat watch row", ALLOCSET_SMALL_SIZES);
	batch_init(&batch, InvalidOid, GetCurrentTransactionStartTimestamp());
	batch.mostly_new = !is_update;
	reset_counts(defs);
	nslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	if (is_update)
		oslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);

	foreach(lc, defs)
	{
		Binding		b;
		int			ptr;

		bind_def(&b, lfirst(lc), desc, NULL);
		/* rows of a partition are logged under the watched table */
		batch.source = b.def->relid;
		/* our own read pointers: other triggers may read these stores too */
		ptr = tuplestore_alloc_read_pointer(td->tg_newtable, EXEC_FLAG_REWIND);
		tuplestore_select_read_pointer(td->tg_newtable, ptr);
		tuplestore_rescan(td->tg_newtable);
		if (is_update)
		{
			ptr = tuplestore_alloc_read_pointer(td->tg_oldtable, EXEC_FLAG_REWIND);
			tuplestore_select_read_pointer(td->tg_oldtable, ptr);
			tuplestore_rescan(td->tg_oldtable);
		}
		while (tuplestore_gettupleslot(td->tg_newtable, true, false, nslot))
		{
			/* old and new rows of an UPDATE are stored in step */
			if (is_update)
			{
				if (!tuplestore_gettupleslot(td->tg_oldtable, true, false, oslot))
					elog(ERROR, "csat_watch_trigger: transition tables out of step");
				if (!row_changed(&b, desc, oslot, nslot))
					continue;
			}
			MemoryContextSwitchTo(rowcxt);
			eval_row(&b, nslot, batch.observed_at, &batch);
			MemoryContextSwitchTo(work);
			MemoryContextReset(rowcxt);
			if (batch.n >= BATCH_MAX)
			{
				if (!connected && SPI_connect() != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect failed");
				connected = true;
				flush_batch(&batch);
				MemoryContextSwitchTo(work);
			}
		}
		if (batch.n > 0)
		{
			if (!connected && SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			connected = true;
			flush_batch(&batch);
			MemoryContextSwitchTo(work);
		}
		send_notifications(list_make1(b.def), b.def->relid);
	}
	if (connected)
		SPI_finish();
	ExecDropSingleTupleTableSlot(nslot);
	if (oslot)
		ExecDropSingleTupleTableSlot(oslot);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
}

/*
 * The watches a trigger on rel serves: those of rel itself and, when rel is
 * a partition written directly (not through its parent), those of its
 * watched ancestor.
 */
static List *
defs_of(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	List	   *ancestors = NIL;
	List	   *defs = NIL;
	ListCell   *lc;

	if (cache_defs != NIL && rel->rd_rel->relispartition)
		ancestors = get_partition_ancestors(relid);
	foreach(lc, cache_defs)
	{
		WatchDef   *def = lfirst(lc);

		if (def->nrules > 0 && (def->relid == relid || list_member_oid(ancestors, def->relid)))
			defs = lappend(defs, def);
	}
	return defs;
}

Datum
csat_watch_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_AFTER(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		elog(ERROR, "csat_watch_trigger: must be fired AFTER INSERT or UPDATE, FOR EACH STATEMENT");
	if (td->tg_newtable == NULL ||
		(TRIGGER_FIRED_BY_UPDATE(td->tg_event) && td->tg_oldtable == NULL))
		elog(ERROR, "csat_watch_trigger: transition tables missing");

	trigger_depth++;
	PG_TRY();
	{
		List	   *defs;

		ensure_cache();
		defs = defs_of(td->tg_relation);
		if (defs != NIL)
			watch_statement(td, defs);
	}
	PG_FINALLY();
	{
		trigger_depth--;
	}
	PG_END_TRY();

	return PointerGetDatum(NULL);
}

/*
 * Run a query returning (key, value or start, end, segment, channel) for
 * one watch and log its breaching rows.  Used by the backfill of
 * csat.watch and by csat.sweep; the caller is connected to SPI and reads the
 * table with its own rights.  Returns the number of rows logged or escalated.
 */
static int64
scan_and_flag(WatchDef *def, const char *query, int nargs, Oid *argtypes,
			  Datum *args, TimestampTz now, bool mostly_new)
{
	static const AttrNumber pos[5] = {1, 2, 3, 4, 5};
	SPIPlanPtr	plan;
	Portal		portal;
	Batch		batch;
	Binding		b;
	TupleTableSlot *slot = NULL;
	MemoryContext rowcxt,
				old;

	plan = SPI_prepare(query, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args, NULL, false);
	batch_init(&batch, def->relid, now);
	batch.mostly_new = mostly_new;
	reset_counts(list_make1(def));
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "csat watch row", ALLOCSET_SMALL_SIZES);
	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;

		SPI_cursor_fetch(portal, true, 10000);
		tt = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		if (slot == NULL)
		{
			bind_def(&b, def, tt->tupdesc, pos);
			slot = MakeSingleTupleTableSlot(tt->tupdesc, &TTSOpsHeapTuple);
		}
		for (uint64 i = 0; i < n; i++)
		{
			ExecStoreHeapTuple(tt->vals[i], slot, false);
			old = MemoryContextSwitchTo(rowcxt);
			eval_row(&b, slot, now, &batch);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			if (batch.n >= BATCH_MAX)
				flush_batch(&batch);
		}
		ExecClearTuple(slot);
		SPI_freetuptable(tt);
	}
	flush_batch(&batch);
	SPI_cursor_close(portal);
	if (slot)
		ExecDropSingleTupleTableSlot(slot);
	send_notifications(list_make1(def), def->relid);
	return batch.written;
}

/* SELECT list and FROM clause reading a watch's columns in scan_and_flag order */
static char *
scan_query(WatchDef *def, const char *where)
{
	StringInfoData q;
	char	   *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(def->relid)),
												 get_rel_name(def->relid));

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s, %s, %s, %s, %s FROM %s",
					 quote_identifier(def->key_column),
					 quote_identifier(def->value_column ? def->value_column : def->start_column),
					 def->end_column ? quote_identifier(def->end_column) : "NULL::pg_catalog.timestamptz",
					 def->segment_column ? quote_identifier(def->segment_column) : "NULL::pg_catalog.text",
					 def->channel_column ? quote_identifier(def->channel_column) : "NULL::pg_catalog.text",
					 rel);
	if (where)
		appendStringInfo(&q, " WHERE %s", where);
	return q.data;
}

static WatchDef *
find_def(Oid relid, const char *metric)
{
	ListCell   *lc;

	foreach(lc, cache_defs)
	{
		WatchDef   *def = lfirst(lc);

		if (def->relid == relid && strcmp(def->metric, metric) == 0)
			return def;
	}
	return NULL;
}

static void
check_owner(Oid relid)
{
	char		relkind;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = get_rel_relkind(relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errdetail("Only plain and partitioned tables can be watched.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	if (get_rel_namespace(relid) == csat_namespace())
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("csat's own tables cannot be watched")));
}

enum column_kind
{
	COL_ANY,
	COL_VALUE,
	COL_TIME
};

static char *
check_column(Oid relid, const char *argname, text *arg, enum column_kind kind)
{
	char	   *name;
	AttrNumber	att;
	Oid			typ;

	if (arg == NULL)
		return NULL;
	name = text_to_cstring(arg);
	att = get_attnum(relid, name);
	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist", name, get_rel_name(relid)),
				 errdetail("It was given as %s.", argname)));
	typ = getBaseType(get_atttype(relid, att));
	if (kind == COL_VALUE &&
		typ != INT2OID && typ != INT4OID && typ != INT8OID && typ != FLOAT4OID &&
		typ != FLOAT8OID && typ != NUMERICOID && typ != INTERVALOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" is of type %s, not a number or an interval", name, format_type_be(typ)),
				 errdetail("It was given as %s.", argname)));
	if (kind == COL_TIME && typ != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" is of type %s, not timestamp with time zone", name, format_type_be(typ)),
				 errdetail("It was given as %s.", argname)));
	return name;
}

#define TEXT_ARG_OR_NULL(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n))

static void
as_owner_execute(const char *query, int nargs, Oid *argtypes, Datum *args, const char *nulls, int expect)
{
	Oid			save_user;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(breaches_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_with_args(query, nargs, argtypes, args, nulls, false, 0);
	SetUserIdAndSecContext(save_user, save_sec);
	if (rc != expect)
		elog(ERROR, "query failed: %s: %s", SPI_result_code_string(rc), query);
}

/*
 * Put the two statement triggers on relid and on every partition below it
 * that lacks them: statement triggers fire only for the table a statement
 * names, so a partition written directly needs its own.  The triggers are the
 * caller's (CREATE TRIGGER checks the TRIGGER privilege); when lenient, tables
 * the caller may not add triggers to are skipped instead.  Foreign partitions
 * cannot have transition tables and are skipped.  The caller is connected to
 * SPI.
 */
static void
install_triggers(Oid relid, bool lenient)
{
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
	{
		Oid			child = lfirst_oid(lc);
		char		kind = get_rel_relkind(child);
		char	   *rel;

		if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
			continue;
		if (OidIsValid(get_trigger_oid(child, TRIGGER_INSERT_NAME, true)) &&
			OidIsValid(get_trigger_oid(child, TRIGGER_UPDATE_NAME, true)))
			continue;
		if (lenient && pg_class_aclcheck(child, GetUserId(), ACL_TRIGGER) != ACLCHECK_OK)
			continue;
		rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(child)), get_rel_name(child));
		if (SPI_execute(psprintf("CREATE OR REPLACE TRIGGER " TRIGGER_INSERT_NAME " AFTER INSERT ON %s"
								 " REFERENCING NEW TABLE AS csat_new"
								 " FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_trigger()", rel),
						false, 0) != SPI_OK_UTILITY ||
			SPI_execute(psprintf("CREATE OR REPLACE TRIGGER " TRIGGER_UPDATE_NAME " AFTER UPDATE ON %s"
								 " REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new"
								 " FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_trigger()", rel),
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "creating the watch triggers failed");
	}
}

/* remove the triggers from relid and every partition below it */
static void
drop_triggers(Oid relid)
{
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
	{
		Oid			child = lfirst_oid(lc);
		char	   *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(child)),
													 get_rel_name(child));

		if (!OidIsValid(get_trigger_oid(child, TRIGGER_INSERT_NAME, true)) &&
			!OidIsValid(get_trigger_oid(child, TRIGGER_UPDATE_NAME, true)))
			continue;
		if (SPI_execute(psprintf("DROP TRIGGER IF EXISTS " TRIGGER_INSERT_NAME " ON %s", rel), false, 0) != SPI_OK_UTILITY ||
			SPI_execute(psprintf("DROP TRIGGER IF EXISTS " TRIGGER_UPDATE_NAME " ON %s", rel), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "dropping the watch triggers failed");
	}
}

/*
 * A table and its partitions are watched as one: watching a partition of a
 * watched table, or a table with a watched partition, would let rows written
 * through one level escape the watches of the other.
 */
static void
check_no_nested_watch(Oid relid)
{
	ListCell   *lc;
	List	   *ancestors = get_rel_relispartition(relid) ? get_partition_ancestors(relid) : NIL;
	List	   *below = find_all_inheritors(relid, AccessShareLock, NULL);

	foreach(lc, cache_defs)
	{
		WatchDef   *def = lfirst(lc);

		if (list_member_oid(ancestors, def->relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table \"%s\" is a partition of watched table \"%s\"",
							get_rel_name(relid), get_rel_name(def->relid)),
					 errdetail("A watch on a partitioned table covers its partitions."),
					 errhint("Watch the partitioned table for this metric too.")));
		if (def->relid != relid && list_member_oid(below, def->relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("partition \"%s\" of table \"%s\" is watched itself",
							get_rel_name(def->relid), get_rel_name(relid)),
					 errdetail("A watch on a partitioned table covers its partitions."),
					 errhint("Unwatch the partition first.")));
	}
}

/*
 * Citus tables (distributed, reference or Citus local) are written through
 * shard tables, on the workers or under another name, whose triggers do not
 * find the table in csat.watches: watching one would log nothing.  The
 * caller is connected to SPI; without Citus this costs one catalog lookup.
 */
static void
check_not_citus(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};

	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return;
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition"
							  " WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_partition failed");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch Citus table \"%s\"", get_rel_name(relid)),
				 errdetail("Its rows are written through shard tables, whose triggers do not find it in csat.watches, so no breach would be logged."),
				 errhint("Watch a plain table on the coordinator, or query the table with the csat aggregates and checks.")));
}

Datum
csat_watch(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *metric;
	char	   *cols[6];
	bool		backfill = PG_ARGISNULL(8) ? false : PG_GETARG_BOOL(8);
	Oid			argtypes[8] = {OIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[8];
	char		nulls[8];
	int64		written = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source, metric and key_column must not be null")));
	relid = PG_GETARG_OID(0);
	metric = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (metric[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metric must not be empty")));
	check_owner(relid);

	if (PG_ARGISNULL(3) == (PG_ARGISNULL(4) && PG_ARGISNULL(5)) ||
		PG_ARGISNULL(4) != PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("either value_column or both start_column and end_column must be given"),
				 errdetail("A watched row's value is a column, or the time from one column to another.")));
	cols[0] = check_column(relid, "key_column", TEXT_ARG_OR_NULL(2), COL_ANY);
	cols[1] = check_column(relid, "value_column", TEXT_ARG_OR_NULL(3), COL_VALUE);
	cols[2] = check_column(relid, "start_column", TEXT_ARG_OR_NULL(4), COL_TIME);
	cols[3] = check_column(relid, "end_column", TEXT_ARG_OR_NULL(5), COL_TIME);
	cols[4] = check_column(relid, "segment_column", TEXT_ARG_OR_NULL(6), COL_ANY);
	cols[5] = check_column(relid, "channel_column", TEXT_ARG_OR_NULL(7), COL_ANY);

	ensure_cache();
	check_no_nested_watch(relid);
	if (find_def(relid, metric))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("table \"%s\" is already watched for metric \"%s\"", get_rel_name(relid), metric),
				 errhint("Use csat.unwatch first to change how it is watched.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_not_citus(relid);
	args[0] = ObjectIdGetDatum(relid);
	nulls[0] = ' ';
	args[1] = CStringGetTextDatum(metric);
	nulls[1] = ' ';
	for (int i = 0; i < 6; i++)
	{
		args[i + 2] = cols[i] ? CStringGetTextDatum(cols[i]) : (Datum) 0;
		nulls[i + 2] = cols[i] ? ' ' : 'n';
	}
	as_owner_execute("INSERT INTO csat.watches (source, metric, key_column, value_column, start_column,"
					 " end_column, segment_column, channel_column)"
					 " VALUES ($1::pg_catalog.regclass, $2, $3, $4, $5, $6, $7, $8)",
					 8, argtypes, args, nulls, SPI_OK_INSERT);

	/* the triggers are the caller's, on the caller's table and its partitions */
	install_triggers(relid, false);

	if (backfill)
	{
		WatchDef   *def;

		ensure_cache();
		def = find_def(relid, metric);
		if (def == NULL)
			elog(ERROR, "new watch not found in csat.watches");
		if (def->nrules > 0)
			written = scan_and_flag(def, scan_query(def, NULL), 0, NULL, NULL,
									GetCurrentTransactionStartTimestamp(), true);
	}
	SPI_finish();
	PG_RETURN_INT64(written);
}

Datum
csat_unwatch(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *metric = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		args[2];
	bool		isnull;
	int64		left;

	check_owner(relid);
	ensure_cache();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = ObjectIdGetDatum(relid);
	args[1] = CStringGetTextDatum(metric);
	as_owner_execute("DELETE FROM csat.watches WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
					 " AND metric OPERATOR(pg_catalog.=) $2", 2, argtypes, args, NULL, SPI_OK_DELETE);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" is not watched for metric \"%s\"", get_rel_name(relid), metric)));
	as_owner_execute("SELECT pg_catalog.count(*) FROM csat.watches"
					 " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
					 1, argtypes, args, NULL, SPI_OK_SELECT);
	left = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (left == 0)
		drop_triggers(relid);
	SPI_finish();
	PG_RETURN_VOID();
}

static int64
sweep_defs(TimestampTz now)
{
	ListCell   *lc;
	int64		written = 0;

	foreach(lc, cache_defs)
	{
		WatchDef   *def = lfirst(lc);
		double		lowest = INFINITY;
		Oid			argtypes[1] = {TIMESTAMPTZOID};
		Datum		args[1];
		char	   *where;

		if (!def->start_column || !def->any_higher_is_worse ||
			!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(def->relid)))
			continue;			/* nothing open to judge, or the table is gone */
		for (int i = 0; i < def->nrules; i++)
			if (def->rules[i]->higher_is_worse)
				lowest = Min(lowest, def->rules[i]->warning);
		if (lowest < 0)
			lowest = 0;
		args[0] = TimestampTzGetDatum(now - (TimestampTz) (lowest * USECS_PER_SEC));
		where = psprintf("%s IS NULL AND %s OPERATOR(pg_catalog.<) $1",
						 quote_identifier(def->end_column), quote_identifier(def->start_column));
		written += scan_and_flag(def, scan_query(def, where), 1, argtypes, args, now, false);
	}
	return written;
}

/*
 * Flag open spans of every watched table that are past a threshold at
 * "now".  Business time never runs faster than calendar time, so rows whose
 * calendar-time age is within the lowest threshold are skipped in SQL.
 */
Datum
csat_sweep(PG_FUNCTION_ARGS)
{
	TimestampTz now = PG_GETARG_TIMESTAMPTZ(0);
	int64		written;

	if (TIMESTAMP_NOT_FINITE(now))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sweep time must be finite")));
	ensure_cache();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	trigger_depth++;			/* keep the cache in place while we use it */
	PG_TRY();
	{
		written = sweep_defs(now);
	}
	PG_FINALLY();
	{
		trigger_depth--;
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64(written);
}

/*
 * Event trigger at the end of CREATE TABLE and ALTER TABLE: a partition
 * created in or attached to a watched table gets the watch triggers, so rows
 * written straight into it are flagged too.  Tables the user may not add
 * triggers to are left alone rather than fail the user's command.
 */
Datum
csat_watch_partitions(PG_FUNCTION_ARGS)
{
	List	   *relids = NIL;
	ListCell   *lc;
	Node	   *stmt;
	bool		adds_partition = false;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "csat_watch_partitions: not called as an event trigger");
	/* our own scripts, and pg_upgrade, bring their triggers with them */
	if (creating_extension || IsBinaryUpgrade)
		PG_RETURN_VOID();

	/*
	 * Only CREATE TABLE ... PARTITION OF and ALTER TABLE ... ATTACH PARTITION
	 * add a partition.  Acting on other commands would also be wrong: a
	 * restore from pg_dump runs ALTER TABLE on watched tables after their
	 * data (csat.watches' rows included) but before their dumped triggers.
	 */
	stmt = ((EventTriggerData *) fcinfo->context)->parsetree;
	if (IsA(stmt, CreateStmt))
		adds_partition = ((CreateStmt *) stmt)->partbound != NULL;
	else if (IsA(stmt, AlterTableStmt))
	{
		foreach(lc, ((AlterTableStmt *) stmt)->cmds)
		{
			Node	   *cmd = lfirst(lc);

			if (IsA(cmd, AlterTableCmd) && ((AlterTableCmd *) cmd)->subtype == AT_AttachPartition)
				adds_partition = true;
		}
	}
	if (!adds_partition)
		PG_RETURN_VOID();
	ensure_cache();
	if (cache_defs == NIL)
		PG_RETURN_VOID();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT DISTINCT objid FROM pg_catalog.pg_event_trigger_ddl_commands()"
					" WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_event_trigger_ddl_commands() failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

		relids = lappend_oid(relids, relid);
	}
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		List	   *ancestors;
		ListCell   *dc;

		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			continue;
		ancestors = get_rel_relispartition(relid) ? get_partition_ancestors(relid) : NIL;
		foreach(dc, cache_defs)
		{
			WatchDef   *def = lfirst(dc);

			if (def->relid == relid || list_member_oid(ancestors, def->relid))
			{
				/* CREATE TRIGGER on a user table leaves the cache alone */
				install_triggers(relid, true);
				break;
			}
		}
	}
	SPI_finish();
	PG_RETURN_VOID();
}
