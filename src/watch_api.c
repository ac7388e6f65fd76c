/*
 * watch_api.c: the SQL functions csat.watch (with its backfill),
 * csat.unwatch and csat.sweep, and the scan of a watched table they share.
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
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(csat_watch);
PG_FUNCTION_INFO_V1(csat_unwatch);
PG_FUNCTION_INFO_V1(csat_sweep);

/*
 * Run a query returning (key, value or start, end, segment, channel) for
 * one watch and log its breaching rows.  Used by the backfill of
 * csat.watch and by csat.sweep; the caller is connected to SPI and reads the
 * table with its own rights.  Returns the number of rows logged or escalated.
 */
int64
watch_scan_and_flag(WatchDef *def, const char *query, int nargs, Oid *argtypes,
			  Datum *args, TimestampTz now, bool mostly_new)
{
	static const AttrNumber pos[5] = {1, 2, 3, 4, 5};
	SPIPlanPtr	plan;
	Portal		portal;
	Batch		batch;
	WatchTarget target;
	Binding		b;
	TupleTableSlot *slot = NULL;
	MemoryContext rowcxt,
				old;

	plan = SPI_prepare(query, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args, NULL, false);
	watch_batch_init(&batch, def->relid, now);
	batch.mostly_new = mostly_new;
	if (watch_citus_target(def->relid, &target))
		batch.citus = &target;
	watch_reset_counts(list_make1(def));
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
			watch_bind(&b, def, tt->tupdesc, pos);
			slot = MakeSingleTupleTableSlot(tt->tupdesc, &TTSOpsHeapTuple);
		}
		for (uint64 i = 0; i < n; i++)
		{
			ExecStoreHeapTuple(tt->vals[i], slot, false);
			old = MemoryContextSwitchTo(rowcxt);
			watch_eval_row(&b, slot, now, &batch);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			if (batch.n >= BATCH_MAX)
				watch_store_batch(&batch);
		}
		ExecClearTuple(slot);
		SPI_freetuptable(tt);
	}
	watch_store_batch(&batch);
	SPI_cursor_close(portal);
	if (slot)
		ExecDropSingleTupleTableSlot(slot);
	watch_send_notifications(list_make1(def), def->relid);
	return batch.written;
}

/* SELECT list and FROM clause reading a watch's columns in watch_scan_and_flag order */
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
	if (!csat_rel_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	if (get_rel_namespace(relid) == csat_extension_schema(false))
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
	SetUserIdAndSecContext(watch_breaches_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_with_args(query, nargs, argtypes, args, nulls, false, 0);
	SetUserIdAndSecContext(save_user, save_sec);
	if (rc != expect)
		elog(ERROR, "query failed: %s: %s", SPI_result_code_string(rc), query);
}

/*
 * A table and its partitions are watched as one: watching a partition of a
 * watched table, or a table with a watched partition, would let rows written
 * through one level escape the watches of the other.
 */
static void
check_no_nested_watch(WatchCache *cache, Oid relid)
{
	ListCell   *lc;
	List	   *ancestors = get_rel_relispartition(relid) ? get_partition_ancestors(relid) : NIL;
	List	   *below = find_all_inheritors(relid, AccessShareLock, NULL);

	foreach(lc, cache->defs)
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
 * May the caller read what a scan of def reads?  The scan itself runs as the
 * table's owner, so this is the check that reading as the caller did:
 * SELECT on the table, or on every column the watch reads.
 */
static void
check_caller_may_read(WatchDef *def, Oid caller)
{
	const char *cols[6] = {def->key_column, def->value_column, def->start_column,
	def->end_column, def->segment_column, def->channel_column};

	if (pg_class_aclcheck(def->relid, caller, ACL_SELECT) == ACLCHECK_OK)
		return;
	for (int i = 0; i < 6; i++)
	{
		AttrNumber	att;

		if (cols[i] == NULL)
			continue;
		att = get_attnum(def->relid, cols[i]);
		if (att == InvalidAttrNumber ||
			pg_attribute_aclcheck(def->relid, att, caller, ACL_SELECT) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(def->relid));
	}
}

/*
 * Scan a watched table and log its breaching rows.  The table is read the
 * way PostgreSQL's maintenance commands read it: as its owner, in a
 * security-restricted operation, with search_path pg_catalog, pg_temp, so
 * that code the owner controls (row-security policies, functions in
 * defaults of views...) never runs with the caller's rights, who may be a
 * superuser sweeping from pg_cron.  The caller must still be allowed to read
 * it (check_caller_may_read).  Its kind is checked again here: a watched
 * table may have become a view since it was watched.
 */
static int64
scan_as_owner(WatchDef *def, const char *where, int nargs, Oid *argtypes, Datum *args,
			  TimestampTz now, bool mostly_new)
{
	char		kind = get_rel_relkind(def->relid);
	CsatUserSwitch sw;
	int64		written;

	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("watched relation \"%s\" is not a table", get_rel_name(def->relid)),
				 errhint("Run csat.unwatch for it.")));
	check_caller_may_read(def, GetUserId());
	csat_switch_to(&sw, csat_relation_owner(def->relid));
	/* an error restores both with the (sub)transaction */
	written = watch_scan_and_flag(def, scan_query(def, where), nargs, argtypes, args, now, mostly_new);
	csat_switch_back(&sw);
	return written;
}

/* log the breaching rows a new watch finds in its table */
static int64
backfill_watch(Oid relid, const char *metric)
{
	volatile int64 written = 0;
	WatchCache *cache;

	/* the scan may run the table owner's code, which may load a new cache */
	cache = watch_cache_pin();
	PG_TRY();
	{
		WatchDef   *def = watch_find_def(cache, relid, metric);

		if (def == NULL)
			elog(ERROR, "new watch not found in csat.watches");
		if (def->nrules > 0)
			written = scan_as_owner(def, NULL, 0, NULL, NULL,
									GetCurrentTransactionStartTimestamp(), true);
	}
	PG_FINALLY();
	{
		watch_cache_unpin(cache);
	}
	PG_END_TRY();
	return written;
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
	WatchCache *cache;
	bool		duplicate;
	bool		citus;

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

	/* no user code runs before the unpin */
	cache = watch_cache_pin();
	check_no_nested_watch(cache, relid);
	duplicate = watch_find_def(cache, relid, metric) != NULL;
	watch_cache_unpin(cache);
	if (duplicate)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("table \"%s\" is already watched for metric \"%s\"", get_rel_name(relid), metric),
				 errhint("Use csat.unwatch first to change how it is watched.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* a hash-distributed table: its breaches are kept next to its shards */
	citus = watch_citus_prepare(relid, cols[0]);
	args[0] = ObjectIdGetDatum(relid);
	nulls[0] = ' ';
	args[1] = CStringGetTextDatum(metric);
	nulls[1] = ' ';
	for (int i = 0; i < 6; i++)
	{
		args[i + 2] = cols[i] ? CStringGetTextDatum(cols[i]) : (Datum) 0;
		nulls[i + 2] = cols[i] ? ' ' : 'n';
	}
	as_owner_execute(csat_sql("INSERT INTO @extschema@.watches (source, metric, key_column, value_column, start_column,"
					 " end_column, segment_column, channel_column)"
					 " VALUES ($1::pg_catalog.regclass, $2, $3, $4, $5, $6, $7, $8)"),
					 8, argtypes, args, nulls, SPI_OK_INSERT);

	/* the triggers are the caller's, on the caller's table and its partitions */
	if (citus)
	{
		/* Citus copies them to every shard; only csat's own CREATE TRIGGER may */
		int			nest = watch_citus_allow_triggers();

		watch_install_triggers(relid, false);
		watch_citus_restore(nest);
	}
	else
		watch_install_triggers(relid, false);

	if (backfill)
		written = backfill_watch(relid, metric);
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
	/* loads watch_breaches_owner */
	watch_cache_unpin(watch_cache_pin());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = ObjectIdGetDatum(relid);
	args[1] = CStringGetTextDatum(metric);
	as_owner_execute(csat_sql("DELETE FROM @extschema@.watches WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
					 " AND metric OPERATOR(pg_catalog.=) $2"), 2, argtypes, args, NULL, SPI_OK_DELETE);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" is not watched for metric \"%s\"", get_rel_name(relid), metric)));
	as_owner_execute(csat_sql("SELECT pg_catalog.count(*) FROM @extschema@.watches"
					 " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1"),
					 1, argtypes, args, NULL, SPI_OK_SELECT);
	left = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (left == 0)
	{
		/* on a Citus table, Citus drops them from every shard too */
		int			nest = watch_citus_allow_triggers();

		watch_drop_triggers(relid);
		watch_citus_restore(nest);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/* flag the open spans of one watch that are past a threshold at now */
static int64
sweep_one(WatchDef *def, TimestampTz now)
{
	double		lowest = INFINITY;
	double		cutoff;
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		args[1];
	char	   *where;

	for (int i = 0; i < def->nrules; i++)
		if (def->rules[i]->higher_is_worse)
			lowest = Min(lowest, def->rules[i]->warning);
	if (lowest < 0)
		lowest = 0;
	/* in double: a threshold of centuries is no overflow; before the first timestamp, nothing */
	cutoff = (double) now - lowest * USECS_PER_SEC;
	if (!(cutoff > (double) MIN_TIMESTAMP))
		return 0;
	args[0] = TimestampTzGetDatum((TimestampTz) cutoff);
	/* an end of +-infinity counts as NULL: the span is still open */
	where = psprintf("(%s IS NULL OR NOT pg_catalog.isfinite(%s)) AND %s OPERATOR(pg_catalog.<) $1",
					 quote_identifier(def->end_column), quote_identifier(def->end_column),
					 quote_identifier(def->start_column));
	return scan_as_owner(def, where, 1, argtypes, args, now, false);
}

/*
 * Each watch is swept in a subtransaction of its own: one owner's broken
 * table (a renamed column, a revoked grant) is reported as a WARNING and
 * the other watches are swept all the same.
 */
typedef struct SweepOne
{
	WatchDef   *def;
	TimestampTz now;
	int64		written;
} SweepOne;

static void
sweep_one_cb(void *arg)
{
	SweepOne   *s = arg;

	s->written = sweep_one(s->def, s->now);
}

static int64
sweep_defs(WatchCache *cache, TimestampTz now)
{
	ListCell   *lc;
	int64		written = 0;

	foreach(lc, cache->defs)
	{
		SweepOne	s = {lfirst(lc), now, 0};
		ErrorData  *edata;
		char	   *relname;

		if (!s.def->start_column || !s.def->any_higher_is_worse ||
			!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(s.def->relid)))
			continue;			/* nothing open to judge, or the table is gone */
		edata = csat_try_in_subxact(sweep_one_cb, &s);
		if (edata == NULL)
		{
			written += s.written;
			continue;
		}
		/* a cancel or a shutdown stops the whole sweep */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		relname = get_rel_name(s.def->relid);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not sweep table \"%s\" for metric \"%s\"",
						relname ? relname : "?", s.def->metric),
				 errdetail("%s", edata->message),
				 errhint("The other watched tables were swept.")));
		FreeErrorData(edata);
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
	volatile int64 written = 0;
	WatchCache *cache;

	if (TIMESTAMP_NOT_FINITE(now))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sweep time must be finite")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* watched tables Citus renamed to a shard of theirs */
	watch_citus_repoint();
	/* the scans may run the table owners' code, which may load a new cache */
	cache = watch_cache_pin();
	PG_TRY();
	{
		ListCell   *lc;

		/* tables distributed since they were watched */
		foreach(lc, cache->defs)
		{
			WatchDef   *def = lfirst(lc);

			if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(def->relid)))
				watch_citus_adopt(def->relid, def->key_column);
		}
		written = sweep_defs(cache, now);
		/* what the shards of distributed tables logged meanwhile */
		watch_citus_announce(cache);
	}
	PG_FINALLY();
	{
		watch_cache_unpin(cache);
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64(written);
}
