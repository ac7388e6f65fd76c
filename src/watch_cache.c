/*
 * watch_cache.c: the per-backend cache of csat.watches, the enabled rules of
 * csat.rules and their calendars; the relcache callback that marks it stale
 * and the trigger on csat's configuration tables that sends the
 * invalidation (and checks that every rule's calendar exists).
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

/* the per-backend cache */
static MemoryContext cache_cxt = NULL;
List	   *watch_cache_defs = NIL;
static bool cache_valid = false;
static uint64 cache_loaded_gen = 0;
static uint64 inval_gen = 0;
static bool callback_registered = false;
static Oid	rules_relid = InvalidOid;
static Oid	watches_relid = InvalidOid;
static Oid	calendars_relid = InvalidOid;
static Oid	calendar_hours_relid = InvalidOid;
static Oid	calendar_holidays_relid = InvalidOid;
Oid			watch_breaches_relid = InvalidOid;
Oid			watch_breaches_owner = InvalidOid;
int			watch_trigger_depth = 0;

PG_FUNCTION_INFO_V1(csat_watch_config_changed);

static void
watch_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rules_relid || relid == watches_relid ||
		relid == calendars_relid || relid == calendar_hours_relid ||
		relid == calendar_holidays_relid)
		inval_gen++;
}

Oid
watch_csat_namespace(void)
{
	return get_namespace_oid("csat", false);
}

Oid
watch_relation_owner(Oid relid)
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
void
watch_cache_ensure(void)
{
	Oid			nsp;
	Oid			save_user;
	int			save_sec;
	uint64		gen;
	List	   *rules = NIL;
	ListCell   *lc;

	if (cache_valid && cache_loaded_gen == inval_gen)
		return;
	if (cache_valid && watch_trigger_depth > 1)
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
	watch_cache_defs = NIL;
	MemoryContextReset(cache_cxt);
	gen = inval_gen;

	nsp = watch_csat_namespace();
	rules_relid = get_relname_relid("rules", nsp);
	watches_relid = get_relname_relid("watches", nsp);
	calendars_relid = get_relname_relid("calendars", nsp);
	calendar_hours_relid = get_relname_relid("calendar_hours", nsp);
	calendar_holidays_relid = get_relname_relid("calendar_holidays", nsp);
	watch_breaches_relid = get_relname_relid("breaches", nsp);
	watch_breaches_owner = watch_relation_owner(watch_breaches_relid);

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(watch_breaches_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
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
		watch_cache_defs = lappend(watch_cache_defs, w);
		MemoryContextSwitchTo(old);
	}

	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
	/* read-write SPI above took fresh snapshots: what we read is current */
	cache_loaded_gen = gen;
	cache_valid = true;
}

WatchDef *
watch_find_def(Oid relid, const char *metric)
{
	ListCell   *lc;

	foreach(lc, watch_cache_defs)
	{
		WatchDef   *def = lfirst(lc);

		if (def->relid == relid && strcmp(def->metric, metric) == 0)
			return def;
	}
	return NULL;
}

/*
 * The watches a trigger on rel serves: those of rel itself and, when rel is
 * a partition written directly (not through its parent), those of its
 * watched ancestor.
 */
List *
watch_defs_of(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	List	   *ancestors = NIL;
	List	   *defs = NIL;
	ListCell   *lc;

	if (watch_cache_defs != NIL && rel->rd_rel->relispartition)
		ancestors = get_partition_ancestors(relid);
	foreach(lc, watch_cache_defs)
	{
		WatchDef   *def = lfirst(lc);

		if (def->nrules > 0 && (def->relid == relid || list_member_oid(ancestors, def->relid)))
			defs = lappend(defs, def);
	}
	return defs;
}

static void
check_rule_calendars(bool editing_rules)
{
	Oid			save_user;
	int			save_sec;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(watch_relation_owner(get_relname_relid("rules", watch_csat_namespace())),
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
