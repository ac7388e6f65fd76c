/*
 * track.c: keeping csat's registry in step with the user's tables.
 *
 *   csat.track_change()   statement trigger on mapped tables: notes the UTC
 *                         hours a statement touched in csat.changes (on the
 *                         shards of a Citus distributed table: track_citus.c)
 *   csat.drop_cleanup()   sql_drop event trigger: forgets dropped tables
 *                         (their mappings, watches and breaches)
 *
 * Writers of a mapped table, and whoever drops one, need no rights on csat's
 * tables: both switch to the owner of csat's tables for their own statements
 * (as the breach triggers do, and PostgreSQL's foreign-key triggers), under
 * SECURITY_RESTRICTED_OPERATION with a pinned search_path, and run only
 * fixed, schema-qualified statements.
 */
#include "csat.h"
#include "track.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(csat_track_change);
PG_FUNCTION_INFO_V1(csat_drop_cleanup);




/* ---------------------------------------------------------------- change tracking */

/* Distinct UTC hours of a timestamptz column of a transition table, in *hours. */
void
csat_collect_hours(Tuplestorestate *ts, TupleDesc desc, AttrNumber attnum,
			  TimestampTz **hours, int *n, int *cap)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int			ptr;

	/* our own read pointer: other triggers may read this store too */
	ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		bool		isnull;
		TimestampTz t = DatumGetTimestampTz(slot_getattr(slot, attnum, &isnull));

		/* +-infinity counts as NULL: such a row is in no hour (refresh skips it) */
		if (isnull || TIMESTAMP_NOT_FINITE(t))
			continue;
		/* date_trunc('hour', t, 'UTC'): floor to the hour */
		{
			int64		r = t % USECS_PER_HOUR;

			t -= r < 0 ? r + USECS_PER_HOUR : r;
		}
		/* rows mostly come in time order: skip repeats of the last hour */
		if (*n > 0 && (*hours)[*n - 1] == t)
			continue;
		if (*n == *cap)
		{
			*cap *= 2;
			*hours = repalloc(*hours, sizeof(TimestampTz) * *cap);
		}
		(*hours)[(*n)++] = t;
	}
	ExecDropSingleTupleTableSlot(slot);
}

static int
cmp_timestamptz(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return x < y ? -1 : x > y;
}

/*
 * The distinct hours of hours[0..n-1] (sorted in place) as a timestamptz[]
 * datum: what both change tables are given.
 */
Datum
csat_hours_array(TimestampTz *hours, int n)
{
	int			m = 0;
	Datum	   *elems;

	qsort(hours, n, sizeof(TimestampTz), cmp_timestamptz);
	for (int i = 0; i < n; i++)
		if (m == 0 || hours[m - 1] != hours[i])
			hours[m++] = hours[i];
	elems = palloc(sizeof(Datum) * m);
	for (int i = 0; i < m; i++)
		elems[i] = TimestampTzGetDatum(hours[i]);
	return PointerGetDatum(construct_array(elems, m, TIMESTAMPTZOID,
										   sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* note the hours (NULL: everything) of one kind in csat.changes */
void
csat_note_hours(const char *kind, TimestampTz *hours, int n, bool everything)
{
	Oid			types[2] = {TEXTOID, TIMESTAMPTZARRAYOID};
	Datum		args[2];

	args[0] = CStringGetTextDatum(kind);
	if (everything)
	{
		if (SPI_execute_with_args(csat_sql("INSERT INTO @extschema@.changes (kind, hour) VALUES ($1, NULL)"),
								  1, types, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "inserting into csat.changes failed");
		return;
	}
	if (n == 0)
		return;
	args[1] = csat_hours_array(hours, n);
	if (SPI_execute_with_args(csat_sql("INSERT INTO @extschema@.changes (kind, hour)"
									   " SELECT $1, h.h FROM pg_catalog.unnest($2) AS h(h)"
									   " WHERE NOT EXISTS (SELECT FROM @extschema@.changes c"
									   " WHERE c.kind OPERATOR(pg_catalog.=) $1"
									   " AND c.hour OPERATOR(pg_catalog.=) h.h)"),
							  2, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "inserting into csat.changes failed");
}

/*
 * csat.track_change(kind [, period column]): AFTER ... FOR EACH STATEMENT
 * trigger with transition tables, installed by csat.map_source.  The period
 * column is the mapping's (the second argument is informative only); a table
 * not mapped as that kind is refused.
 */
Datum
csat_track_change(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	const char *kind;
	char	   *pcol;
	AttrNumber	attnum = InvalidAttrNumber;
	Oid			nsp;
	CsatUserSwitch sw;
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		args[2];
	TriggerEvent ev;
	TimestampTz *hours;
	int			n = 0,
				cap = 64;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "csat_track_change: not called as a trigger");
	ev = td->tg_event;
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	if (!TRIGGER_FIRED_FOR_STATEMENT(ev) || !TRIGGER_FIRED_AFTER(ev) || td->tg_trigger->tgnargs < 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("csat.track_change() must be an AFTER ... FOR EACH STATEMENT trigger with the source kind as argument"),
				 errhint("csat.map_source installs it.")));
	if ((TRIGGER_FIRED_BY_INSERT(ev) && td->tg_newtable == NULL) ||
		(TRIGGER_FIRED_BY_UPDATE(ev) && (td->tg_newtable == NULL || td->tg_oldtable == NULL)) ||
		(TRIGGER_FIRED_BY_DELETE(ev) && td->tg_oldtable == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("csat.track_change() needs the transition tables of its event"),
				 errhint("csat.map_source installs it.")));
	kind = td->tg_trigger->tgargs[0];
	nsp = csat_extension_schema(true);
	if (!OidIsValid(nsp))
		elog(ERROR, "extension csat is not installed");
	/* a third argument: installed on a Citus distributed table (track_citus.c) */
	if (td->tg_trigger->tgnargs >= 3)
	{
		csat_track_shard(td, nsp);
		return PointerGetDatum(NULL);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	csat_switch_to(&sw, csat_relation_owner(get_relname_relid("changes", nsp)));

	/* the table must be mapped as that kind; its period column is the mapping's */
	args[0] = CStringGetTextDatum(kind);
	args[1] = ObjectIdGetDatum(RelationGetRelid(rel));
	for (int pass = 0; pass < 2; pass++)
	{
		if (SPI_execute_with_args(csat_sql("SELECT s.columns OPERATOR(pg_catalog.->>) @extschema@.period_column(s.kind)"
										   " FROM @extschema@.sources s WHERE s.kind OPERATOR(pg_catalog.=) $1"
										   " AND s.source::pg_catalog.oid OPERATOR(pg_catalog.=) $2"),
								  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading csat.sources failed");
		if (SPI_processed > 0 || pass > 0)
			break;
		/* the coordinator's placement of a mapped reference (or Citus local) table: as that table */
		args[1] = ObjectIdGetDatum(csat_reference_on_coordinator(rel));
		if (!OidIsValid(DatumGetObjectId(args[1])))
			break;
	}
	if (SPI_processed == 0 && csat_is_citus_shard(rel))
	{
		/*
		 * a mapped plain table distributed since: Citus copied this trigger
		 * to its shards, where csat.sources does not name them.  Nothing is
		 * lost: csat.refresh() rebuilds everything while a mapped Citus table
		 * is not tracked on its shards (csat.map_source again tracks it).
		 */
		csat_switch_back(&sw);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not mapped as a source of kind \"%s\"",
						RelationGetRelationName(rel), kind),
				 errdetail("csat.track_change() notes changes of mapped tables only."),
				 errhint("Map the table with csat.map_source, which installs this trigger.")));
	pcol = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (pcol != NULL)
	{
		attnum = get_attnum(RelationGetRelid(rel), pcol);
		if (attnum != InvalidAttrNumber &&
			(attnum <= 0 || TupleDescAttr(desc, attnum - 1)->atttypid != TIMESTAMPTZOID))
			attnum = InvalidAttrNumber;
	}

	if (TRIGGER_FIRED_BY_TRUNCATE(ev) || attnum == InvalidAttrNumber)
	{
		/* everything (a mapping gone stale since: the refresh will say so) */
		csat_note_hours(kind, NULL, 0, true);
	}
	else
	{
		List	   *extra = NIL;
		ListCell   *lc;

		/*
		 * and the hours of every other period column an enabled KPI of the
		 * catalogue places this kind's rows by (follow-up by delivered_at,
		 * response rate by sent_at...)
		 */
		/* (a database not yet updated from 0.4 has no catalogue) */
		bool		has_kpis = OidIsValid(get_relname_relid("kpis", nsp));

		if (has_kpis &&
			SPI_execute_with_args(csat_sql("SELECT DISTINCT s.columns OPERATOR(pg_catalog.->>) k.period_column"
										   " FROM @extschema@.sources s JOIN @extschema@.kpis k"
										   " ON k.kind OPERATOR(pg_catalog.=) s.kind AND k.enabled"
										   " WHERE s.kind OPERATOR(pg_catalog.=) $1"
										   " AND s.source::pg_catalog.oid OPERATOR(pg_catalog.=) $2"
										   " AND k.period_column IS NOT NULL"),
								  2, types, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading csat.kpis failed");
		for (uint64 i = 0; has_kpis && i < SPI_processed; i++)
		{
			char	   *col = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			AttrNumber	a = col ? get_attnum(RelationGetRelid(rel), col) : InvalidAttrNumber;

			if (a > 0 && a != attnum && TupleDescAttr(desc, a - 1)->atttypid == TIMESTAMPTZOID)
				extra = lappend_int(extra, a);
		}

		hours = palloc(sizeof(TimestampTz) * cap);
		if (td->tg_newtable)
			csat_collect_hours(td->tg_newtable, desc, attnum, &hours, &n, &cap);
		if (td->tg_oldtable)
			csat_collect_hours(td->tg_oldtable, desc, attnum, &hours, &n, &cap);
		foreach(lc, extra)
		{
			if (td->tg_newtable)
				csat_collect_hours(td->tg_newtable, desc, lfirst_int(lc), &hours, &n, &cap);
			if (td->tg_oldtable)
				csat_collect_hours(td->tg_oldtable, desc, lfirst_int(lc), &hours, &n, &cap);
		}
		csat_note_hours(kind, hours, n, false);

		/*
		 * returns take their channel from their order: an order updated may
		 * move returns, so its hours are noted apart (an inserted order has no
		 * returns yet)
		 */
		if (TRIGGER_FIRED_BY_UPDATE(ev) && strcmp(kind, "orders") == 0)
		{
			n = 0;
			csat_collect_hours(td->tg_newtable, desc, attnum, &hours, &n, &cap);
			csat_note_hours("orders:returns", hours, n, false);
		}
	}

	csat_switch_back(&sw);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---------------------------------------------------------------- dropped tables */

/* the standard view of a kind made again, as the current user; arg: the kind */
static void
build_view(void *arg)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum((const char *) arg)};

	if (SPI_execute_with_args(csat_sql("SELECT @extschema@.build_standard_view($1)"), 1, types, args,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "rebuilding the standard view of kind %s failed", (const char *) arg);
}

/*
 * Rebuild the standard view of a kind, as the dropping user (who may lack the
 * right to create it in csat: then a WARNING, not a failed DROP).
 */
static void
rebuild_view(const char *kind)
{
	ErrorData  *edata = csat_try_in_subxact(build_view, unconstify(char *, kind));

	if (edata)
	{
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("standard view csat.%s was not rebuilt: %s", kind, edata->message),
				 errhint("Run csat.map_source for one of its tables again.")));
		FreeErrorData(edata);
	}
}

/*
 * csat.drop_cleanup(): sql_drop event trigger.  A dropped table's OID would
 * dangle in csat.sources, csat.watches and csat.breaches (regclass columns),
 * survive a dump as a number and could later name an unrelated table, whose
 * readers would then see the old table's breaches.  So the rows go with the
 * table, and the standard views of the kinds that lost a table are rebuilt
 * from the tables still mapped (as the dropping user, like csat.unmap_source).
 */
Datum
csat_drop_cleanup(PG_FUNCTION_ARGS)
{
	Oid			nsp;
	List	   *relids = NIL;
	List	   *kinds = NIL;
	Datum	   *elems;
	ArrayType  *arr;
	Oid			types[1] = {OIDARRAYOID};
	Datum		args[1];
	CsatUserSwitch sw;
	ListCell   *lc;
	int			i = 0;
	static const char *const others[] = {"watches", "breaches"};

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "csat_drop_cleanup: not called as an event trigger");
	nsp = csat_extension_schema(true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("sources", nsp)))
		PG_RETURN_VOID();		/* csat itself is going */

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT d.objid FROM pg_catalog.pg_event_trigger_dropped_objects() d"
					" WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
					" AND d.objsubid OPERATOR(pg_catalog.=) 0"
					" AND d.object_type OPERATOR(pg_catalog.=) ANY ('{table,\"foreign table\"}'::pg_catalog.text[])",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_event_trigger_dropped_objects() failed");
	for (uint64 j = 0; j < SPI_processed; j++)
	{
		bool		isnull;

		relids = lappend_oid(relids, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[j],
																	SPI_tuptable->tupdesc, 1, &isnull)));
	}
	if (relids == NIL)
	{
		SPI_finish();
		PG_RETURN_VOID();
	}
	elems = palloc(sizeof(Datum) * list_length(relids));
	foreach(lc, relids)
		elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
	arr = construct_array(elems, i, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	args[0] = PointerGetDatum(arr);

	csat_switch_to(&sw, csat_relation_owner(get_relname_relid("sources", nsp)));
	if (SPI_execute_with_args(csat_sql("DELETE FROM @extschema@.sources s"
							  " WHERE s.source::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)"
							  " RETURNING s.kind"), 1, types, args, NULL, false, 0) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "deleting from csat.sources failed");
	for (uint64 j = 0; j < SPI_processed; j++)
	{
		char	   *kind = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1);

		if (!list_member(kinds, makeString(kind)))
			kinds = lappend(kinds, makeString(kind));
	}
	foreach(lc, kinds)
		csat_note_hours(strVal(lfirst(lc)), NULL, 0, true);
	csat_switch_back(&sw);

	/* watches and breaches (family watch) belong to their own owner */
	for (size_t k = 0; k < lengthof(others); k++)
	{
		Oid			relid = get_relname_relid(others[k], nsp);

		if (!OidIsValid(relid))
			continue;
		csat_switch_to(&sw, csat_relation_owner(relid));
		if (SPI_execute_with_args(psprintf("DELETE FROM %s.%s t WHERE t.source::pg_catalog.oid"
										   " OPERATOR(pg_catalog.=) ANY ($1)",
										   quote_identifier(get_namespace_name(nsp)), others[k]),
								  1, types, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "deleting from csat.%s failed", others[k]);
		csat_switch_back(&sw);
	}

	/* the standard views lost a table (DROP ... CASCADE dropped them): rebuild */
	foreach(lc, kinds)
		rebuild_view(strVal(lfirst(lc)));
	SPI_finish();
	PG_RETURN_VOID();
}
