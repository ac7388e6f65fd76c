/*
 * watch_citus_ref.c: breach flagging on Citus reference tables.
 *
 * A write to a reference table reaches every placement (one per node, the
 * coordinator's included once it is in the metadata) in one distributed
 * transaction, so the watch triggers Citus copied to the placements fire
 * once per node for the same rows.  Only the coordinator's placement (group
 * 0) acts: it judges the rows with the coordinator's own configuration and
 * logs them into the coordinator's plain csat.breaches, in the writer's
 * transaction, exactly as on one node (one row per rule, source and key,
 * escalation in place).  The other placements' triggers return at once,
 * after checking in their node's metadata that the coordinator has a
 * placement: without one the rows would not be flagged anywhere, so the
 * write fails instead.  A write made on a worker reaches the coordinator's
 * placement too (through a Citus connection whose transaction is prepared
 * for two-phase commit, where NOTIFY is not allowed), so the trigger sends
 * no NOTIFY: it queues the notification in csat.breach_notices, and the
 * coordinator's csat.sweep() sends it.
 */
#include "watch.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/*
 * Does reference table relid have a placement on the coordinator (group 0)?
 * Report at elevel when not.  Inside SPI.
 */
void
watch_citus_reference_check(Oid relid, int elevel)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_shard s"
							  " JOIN pg_catalog.pg_dist_placement p ON p.shardid OPERATOR(pg_catalog.=) s.shardid"
							  " WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1 AND p.groupid OPERATOR(pg_catalog.=) 0)",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading pg_dist_placement failed");
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(elevel,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("reference table \"%s\" has no placement on the Citus coordinator", get_rel_name(relid)),
				 errdetail("Breaches of a watched reference table are logged by its placement on the coordinator."),
				 errhint("Add the coordinator to the metadata with citus_set_coordinator_host, then run SELECT replicate_reference_tables().")));
}

/* queue what a statement logged for the rules with notify (as csat's owner) */
static void
queue_notices(List *defs, Oid source)
{
	Oid			types[4] = {TEXTOID, OIDOID, INT8OID, TEXTOID};
	Datum		args[4];
	ListCell   *lc;
	CsatUserSwitch sw;
	bool		connected = false;

	foreach(lc, defs)
	{
		WatchDef   *def = lfirst(lc);

		for (int i = 0; i < def->nrules; i++)
		{
			WatchRule  *r = def->rules[i];

			if (!r->notify || r->logged == 0)
				continue;
			if (!connected)
			{
				if (SPI_connect() != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect failed");
				csat_switch_to(&sw, watch_breaches_owner);
				connected = true;
			}
			args[0] = CStringGetTextDatum(r->name);
			args[1] = ObjectIdGetDatum(source);
			args[2] = Int64GetDatum(r->logged);
			args[3] = CStringGetTextDatum(r->worst == 2 ? "breach" : "warning");
			if (SPI_execute_with_args(csat_sql("INSERT INTO @extschema@.breach_notices (rule, source, count, level)"
											   " VALUES ($1, $2::pg_catalog.regclass, $3, $4::@extschema@.level)"),
									  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "queueing a breach notification failed");
			r->logged = 0;
			r->worst = 0;
		}
	}
	if (connected)
	{
		csat_switch_back(&sw);
		SPI_finish();
	}
}

/*
 * The watch trigger fired on rel, a placement of reference table logical
 * (this node's OID) on the node of Citus group "group".
 */
void
watch_citus_reference_shard(TriggerData *td, WatchCache *cache, Oid logical, int group,
							bool coordinator_placement)
{
	List	   *defs = NIL;
	ListCell   *lc;
	WatchTarget target = {0};

	if (!coordinator_placement)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("reference table \"%s\" has no placement on the Citus coordinator", get_rel_name(logical)),
				 errdetail("It is watched, and its breaches are logged by its placement on the coordinator."),
				 errhint("Add the coordinator to the metadata with citus_set_coordinator_host, then run SELECT replicate_reference_tables().")));
	/* the coordinator's placement logs these rows */
	if (group != 0)
		return;
	foreach(lc, cache->defs)
	{
		WatchDef   *def = lfirst(lc);

		if (def->relid == logical && def->nrules > 0)
			defs = lappend(defs, def);
	}
	if (defs == NIL)
		return;
	/* target.table NULL: csat.breaches, no NOTIFY */
	watch_statement_into(td, defs, &target);
	queue_notices(defs, logical);
}

/*
 * From the coordinator's csat.sweep(): send the queued notifications of
 * reference tables, one per rule and table (counts added, the worst level),
 * as the queue rows are deleted in the sweep's transaction.  Inside SPI.
 */
void
watch_citus_announce_reference(void)
{
	CsatUserSwitch sw;

	csat_switch_to(&sw, watch_breaches_owner);
	if (SPI_execute(csat_sql("WITH d AS (DELETE FROM @extschema@.breach_notices RETURNING rule, source, count, level)"
							 " SELECT d.rule, pg_catalog.format('%I.%I', n.nspname, c.relname),"
							 " pg_catalog.sum(d.count)::pg_catalog.int8,"
							 " pg_catalog.max(d.level) OPERATOR(pg_catalog.=) 'breach'::@extschema@.level"
							 " FROM d JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.source::pg_catalog.oid"
							 " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
							 " GROUP BY 1, 2 ORDER BY 1, 2"), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.breach_notices failed");
	csat_switch_back(&sw);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;

		watch_notify_breach(SPI_getvalue(t, d, 1), SPI_getvalue(t, d, 2),
							DatumGetInt64(SPI_getbinval(t, d, 3, &isnull)),
							DatumGetBool(SPI_getbinval(t, d, 4, &isnull)));
	}
}
