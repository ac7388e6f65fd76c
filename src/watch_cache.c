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

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
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
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

/*
 * The per-backend cache.  Each load builds a new WatchCache in a context of
 * its own; users pin the one they work with, because reading a user's table
 * (a backfill, a sweep, the trigger's upsert firing user triggers) can run
 * code that changes the configuration and makes a nested call load a new
 * cache.  A replaced cache is freed when its last pin goes.  At the end of
 * the transaction no pin is left (pins never outlive a call), so whatever an
 * error left pinned is freed there.
 */
static WatchCache *caches[2] = {NULL, NULL};	/* [mirror]: csat's tables, the node's Citus copies */
static List *retired_caches = NIL;	/* replaced but pinned, in TopMemoryContext */
static uint64 inval_gen = 1;
static bool callbacks_registered = false;
static Oid	rules_relid = InvalidOid;
static Oid	watches_relid = InvalidOid;
static Oid	calendars_relid = InvalidOid;
static Oid	calendar_hours_relid = InvalidOid;
static Oid	calendar_holidays_relid = InvalidOid;
Oid			watch_breaches_relid = InvalidOid;
Oid			watch_breaches_owner = InvalidOid;
Oid			watch_level_typid = InvalidOid;

PG_FUNCTION_INFO_V1(csat_watch_config_changed);

static void
watch_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rules_relid || relid == watches_relid ||
		relid == calendars_relid || relid == calendar_hours_relid ||
		relid == calendar_holidays_relid)
		inval_gen++;
}

/* free a cache; with -DCSAT_POISON_CACHE (tests) wipe it first, so a use after free crashes */
static void
free_cache(WatchCache *cache)
{
#ifdef CSAT_POISON_CACHE
	ListCell   *lc;

	foreach(lc, cache->defs)
	{
		WatchDef   *d = lfirst(lc);

		for (int i = 0; i < d->nrules; i++)
			memset(d->rules[i], 0x7f, sizeof(WatchRule));
		memset(d, 0x7f, sizeof(WatchDef));
	}
#endif
	MemoryContextDelete(cache->cxt);
}

/* replace a current cache; the old one goes now or with its last pin */
static void
retire_current(int which)
{
	WatchCache *old = caches[which];
	MemoryContext oldcxt;

	caches[which] = NULL;
	if (old == NULL)
		return;
	if (old->pins == 0)
	{
		free_cache(old);
		return;
	}
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	retired_caches = lappend(retired_caches, old);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * At the end of a top-level transaction no call holds a pin any more.  A
 * cache read with a transaction snapshot (REPEATABLE READ, SERIALIZABLE)
 * may miss what committed after that snapshot was taken although the
 * invalidation was seen: it serves only the transaction that read it.
 */
static void
watch_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	foreach(lc, retired_caches)
		free_cache(lfirst(lc));
	list_free(retired_caches);
	retired_caches = NIL;
	for (int which = 0; which < 2; which++)
	{
		if (caches[which] == NULL)
			continue;
		caches[which]->pins = 0;
		if (caches[which]->xact_only)
			retire_current(which);
	}
}

/* text of column i of an SPI result row, copied into cxt, or NULL */
static char *
spi_text(MemoryContext cxt, HeapTuple tup, TupleDesc desc, int i)
{
	char	   *s = SPI_getvalue(tup, desc, i);

	return s ? MemoryContextStrdup(cxt, s) : NULL;
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

/* look up csat's tables in csat's extension schema; returns the schema */
static Oid
config_relids(void)
{
	Oid			nsp = csat_extension_schema(false);

	rules_relid = get_relname_relid("rules", nsp);
	watches_relid = get_relname_relid("watches", nsp);
	calendars_relid = get_relname_relid("calendars", nsp);
	calendar_hours_relid = get_relname_relid("calendar_hours", nsp);
	calendar_holidays_relid = get_relname_relid("calendar_holidays", nsp);
	watch_breaches_relid = get_relname_relid("breaches", nsp);
	watch_breaches_owner = csat_relation_owner(watch_breaches_relid);
	watch_level_typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum("level"), ObjectIdGetDatum(nsp));
	return nsp;
}

/*
 * Read csat.watches, the enabled rules and their calendars into a new cache.
 * Runs as the owner of csat's tables, and reads all of it with one snapshot
 * (read-only SPI uses the active snapshot; so does csat_calendar_load), so a
 * rule and its calendar always agree.  The context is made under the
 * caller's until the load succeeded: an error leaks nothing.
 */
static WatchCache *
load_cache(uint64 gen, bool mirror)
{
	MemoryContext cxt;
	WatchCache *cache;
	Oid			save_user;
	int			save_sec;
	List	   *rules = NIL;
	ListCell   *lc;
	char	   *mirrors[5];		/* rules, watches, calendars, hours, holidays */

	cxt = AllocSetContextCreate(CurrentMemoryContext, "csat watch cache", ALLOCSET_SMALL_SIZES);
	cache = MemoryContextAllocZero(cxt, sizeof(WatchCache));
	cache->cxt = cxt;
	cache->gen = gen;
	/* a transaction snapshot may predate committed changes we were told of */
	cache->xact_only = IsolationUsesXactSnapshot();

	(void) config_relids();

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(watch_breaches_owner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	if (mirror && !watch_citus_mirror_tables(mirrors))
		goto done;				/* no copies on this node: nothing is watched here */

	/*
	 * only the rules that judge rows (0.5: applies_to; a database not yet
	 * updated from 0.4 has no such column, and every rule judges rows)
	 */
	if (SPI_execute(mirror ? psprintf("SELECT name, metric, segment, channel, warning, breach, higher_is_worse,"
									  " notify, calendar FROM %s r WHERE enabled"
									  " AND r.applies_to OPERATOR(pg_catalog.=) 'rows' AND (r.calendar IS NULL"
									  " OR EXISTS (SELECT FROM %s c WHERE c.name OPERATOR(pg_catalog.=) r.calendar))",
									  mirrors[0], mirrors[2])
					: csat_sql(get_attnum(rules_relid, "applies_to") != InvalidAttrNumber
							 ? "SELECT name, metric, segment, channel, warning, breach, higher_is_worse,"
							   " notify, calendar FROM @extschema@.rules r WHERE enabled"
							   " AND r.applies_to OPERATOR(pg_catalog.=) 'rows' AND (r.calendar IS NULL"
							   " OR EXISTS (SELECT FROM @extschema@.calendars c"
							   " WHERE c.name OPERATOR(pg_catalog.=) r.calendar))"
							 : "SELECT name, metric, segment, channel, warning, breach, higher_is_worse,"
							   " notify, calendar FROM @extschema@.rules r WHERE enabled AND (r.calendar IS NULL"
							   " OR EXISTS (SELECT FROM @extschema@.calendars c"
							   " WHERE c.name OPERATOR(pg_catalog.=) r.calendar))"),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.rules failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		WatchRule  *r = MemoryContextAllocZero(cxt, sizeof(WatchRule));
		bool		isnull;
		Datum		w;
		MemoryContext old;

		r->name = spi_text(cxt, t, d, 1);
		r->segment = spi_text(cxt, t, d, 3);
		r->channel = spi_text(cxt, t, d, 4);
		r->breach = DatumGetFloat8(SPI_getbinval(t, d, 6, &isnull));
		w = SPI_getbinval(t, d, 5, &isnull);
		r->warning = isnull ? r->breach : DatumGetFloat8(w);
		r->higher_is_worse = DatumGetBool(SPI_getbinval(t, d, 7, &isnull));
		r->notify = DatumGetBool(SPI_getbinval(t, d, 8, &isnull));
		r->calendar = spi_text(cxt, t, d, 9);
		old = MemoryContextSwitchTo(cxt);
		r->name_text = CStringGetTextDatum(r->name);
		rules = lappend(rules, list_make2(spi_text(cxt, t, d, 2), r));
		MemoryContextSwitchTo(old);
	}

	/* business-hours calendars, read with the same snapshot as the rules */
	foreach(lc, rules)
	{
		WatchRule  *r = lsecond((List *) lfirst(lc));

		if (r->calendar)
			r->cal = csat_calendar_load_from(r->calendar, cxt, mirror ? mirrors + 2 : NULL);
	}

	/* the copies name the table: each node has its own OID for it */
	if (SPI_execute(mirror ? psprintf("SELECT pg_catalog.to_regclass(source)::pg_catalog.oid, metric, key_column,"
									  " value_column, start_column, end_column, segment_column, channel_column"
									  " FROM %s WHERE pg_catalog.to_regclass(source) IS NOT NULL", mirrors[1])
					: csat_sql("SELECT source::pg_catalog.oid, metric, key_column, value_column, start_column,"
							   " end_column, segment_column, channel_column FROM @extschema@.watches"),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.watches failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		WatchDef   *w = MemoryContextAllocZero(cxt, sizeof(WatchDef));
		bool		isnull;
		MemoryContext old;

		w->relid = DatumGetObjectId(SPI_getbinval(t, d, 1, &isnull));
		w->metric = spi_text(cxt, t, d, 2);
		w->key_column = spi_text(cxt, t, d, 3);
		w->value_column = spi_text(cxt, t, d, 4);
		w->start_column = spi_text(cxt, t, d, 5);
		w->end_column = spi_text(cxt, t, d, 6);
		w->segment_column = spi_text(cxt, t, d, 7);
		w->channel_column = spi_text(cxt, t, d, 8);
		w->rules = MemoryContextAllocZero(cxt, sizeof(WatchRule *) * (list_length(rules) + 1));
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
		old = MemoryContextSwitchTo(cxt);
		cache->defs = lappend(cache->defs, w);
		MemoryContextSwitchTo(old);
	}

done:
	PopActiveSnapshot();
	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
	MemoryContextSetParent(cxt, CacheMemoryContext);
	return cache;
}

/*
 * The current cache, loaded first unless it is up to date, and pinned: the
 * caller must watch_cache_unpin it (in PG_FINALLY where code it does not
 * control may run meanwhile).
 */
static WatchCache *
cache_pin(int which)
{
	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(watch_relcache_callback, (Datum) 0);
		RegisterXactCallback(watch_xact_callback, NULL);
		callbacks_registered = true;
	}
	if (caches[which] == NULL || caches[which]->gen != inval_gen)
	{
		WatchCache *cache = load_cache(inval_gen, which == 1);

		retire_current(which);
		caches[which] = cache;
	}
	caches[which]->pins++;
	return caches[which];
}

WatchCache *
watch_cache_pin(void)
{
	return cache_pin(0);
}

/*
 * The same, read from the node's copies of csat's configuration that the
 * coordinator keeps in step (watch_citus.c): what the shards of a Citus
 * distributed table on a worker are watched with.  Its WatchDefs carry this
 * node's OIDs of the watched tables.
 */
WatchCache *
watch_cache_pin_mirror(void)
{
	return cache_pin(1);
}

void
watch_cache_unpin(WatchCache *cache)
{
	Assert(cache->pins > 0);
	if (--cache->pins > 0 || cache == caches[0] || cache == caches[1])
		return;
	retired_caches = list_delete_ptr(retired_caches, cache);
	free_cache(cache);
}

WatchDef *
watch_find_def(WatchCache *cache, Oid relid, const char *metric)
{
	ListCell   *lc;

	foreach(lc, cache->defs)
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
watch_defs_of(WatchCache *cache, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	List	   *ancestors = NIL;
	List	   *defs = NIL;
	ListCell   *lc;

	if (cache->defs != NIL && rel->rd_rel->relispartition)
		ancestors = get_partition_ancestors(relid);
	foreach(lc, cache->defs)
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
	SetUserIdAndSecContext(csat_relation_owner(rules_relid),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(csat_sql("SELECT r.calendar, r.name FROM @extschema@.rules r WHERE r.calendar IS NOT NULL"
							  " AND NOT EXISTS (SELECT FROM @extschema@.calendars c"
							  " WHERE c.name OPERATOR(pg_catalog.=) r.calendar)"
							  " ORDER BY r.name LIMIT 1"), false, 0) != SPI_OK_SELECT)
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
	Oid			relid;
	bool		is_rules,
				is_calendars;
	TriggerEvent ev;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "csat_watch_config_changed: not called as a trigger");

	/*
	 * PUBLIC may execute this function and so attach it to any table it may
	 * add triggers to: it serves csat's own configuration tables only, told
	 * apart by OID (in csat's extension schema), not by name.
	 */
	relid = RelationGetRelid(td->tg_relation);
	config_relids();
	if (watch_citus_is_mirror(td->tg_relation))
	{
		/*
		 * a node's copy of the configuration changed (on a worker: written
		 * by the coordinator's distributed transaction): every backend of
		 * the node reloads, through the invalidation of csat.rules
		 */
		CacheInvalidateRelcacheByRelid(rules_relid);
		return PointerGetDatum(NULL);
	}
	if (relid != rules_relid && relid != watches_relid && relid != calendars_relid &&
		relid != calendar_hours_relid && relid != calendar_holidays_relid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("trigger function csat.watch_config_changed() cannot be used on table \"%s\"",
						RelationGetRelationName(td->tg_relation)),
				 errdetail("It serves csat's own configuration tables only.")));
	CacheInvalidateRelcache(td->tg_relation);
	is_rules = relid == rules_relid;
	is_calendars = relid == calendars_relid;
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
	/* the copies read by the shards of watched Citus tables follow, when there are any */
	watch_citus_sync(relid == rules_relid ? "rules" : relid == watches_relid ? "watches" :
					 relid == calendars_relid ? "calendars" :
					 relid == calendar_hours_relid ? "calendar_hours" : "calendar_holidays");
	return PointerGetDatum(NULL);
}
