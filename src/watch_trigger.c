/*
 * watch_trigger.c: the statement-level AFTER INSERT/UPDATE trigger that
 * csat.watch puts on a watched table and its partitions (reading the
 * transition tables and storing what breaches), installing and removing
 * those triggers, and the event trigger that gives new partitions of a
 * watched table the triggers too.
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
#include "utils/tuplestore.h"

#define TRIGGER_INSERT_NAME "csat_watch_insert"
#define TRIGGER_UPDATE_NAME "csat_watch_update"

PG_FUNCTION_INFO_V1(csat_watch_trigger);
PG_FUNCTION_INFO_V1(csat_watch_partitions);

/*
 * The work of one firing of the trigger, on the watches of its table;
 * breaches go to csat.breaches, or to target on a shard of a Citus table
 * (where no NOTIFY is sent: it would reach only the worker's listeners).
 */
void
watch_statement_into(TriggerData *td, List *defs, const WatchTarget *target)
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
	watch_batch_init(&batch, InvalidOid, GetCurrentTransactionStartTimestamp());
	batch.mostly_new = !is_update;
	batch.citus = target && target->table ? target : NULL;
	watch_reset_counts(defs);
	nslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	if (is_update)
		oslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);

	foreach(lc, defs)
	{
		Binding		b;
		int			ptr;

		watch_bind(&b, lfirst(lc), desc, NULL);
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
				if (!watch_row_changed(&b, desc, oslot, nslot))
					continue;
			}
			MemoryContextSwitchTo(rowcxt);
			watch_eval_row(&b, nslot, batch.observed_at, &batch);
			MemoryContextSwitchTo(work);
			MemoryContextReset(rowcxt);
			if (batch.n >= BATCH_MAX)
			{
				if (!connected && SPI_connect() != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect failed");
				connected = true;
				watch_store_batch(&batch);
				MemoryContextSwitchTo(work);
			}
		}
		if (batch.n > 0)
		{
			if (!connected && SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			connected = true;
			watch_store_batch(&batch);
			MemoryContextSwitchTo(work);
		}
		if (target == NULL)
			watch_send_notifications(list_make1(b.def), b.def->relid);
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
 * PUBLIC may execute csat.watch_trigger() and so attach it to any table it
 * may add triggers to.  It serves tables in csat.watches and their
 * partitions; elsewhere it refuses, except as one of the triggers csat.watch
 * installed (left on a partition since detached, say), where it does
 * nothing.  Called when no watch with rules applies to the table.
 */
static void
check_trigger_use(WatchCache *cache, TriggerData *td)
{
	Relation	rel = td->tg_relation;
	Oid			relid = RelationGetRelid(rel);
	List	   *ancestors = rel->rd_rel->relispartition ? get_partition_ancestors(relid) : NIL;
	const char *tgname = td->tg_trigger->tgname;
	ListCell   *lc;

	foreach(lc, cache->defs)
	{
		WatchDef   *def = lfirst(lc);

		if (def->relid == relid || list_member_oid(ancestors, def->relid))
			return;				/* watched, for metrics without rules so far */
	}
	if (RelationGetNamespace(rel) != csat_extension_schema(false) &&
		(strcmp(tgname, TRIGGER_INSERT_NAME) == 0 || strcmp(tgname, TRIGGER_UPDATE_NAME) == 0))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("trigger function csat.watch_trigger() cannot be used on table \"%s\"",
					RelationGetRelationName(rel)),
			 errdetail("Table \"%s\" is not watched.", RelationGetRelationName(rel)),
			 errhint("Use csat.watch to watch a table.")));
}

Datum
csat_watch_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	WatchCache *cache;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_AFTER(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		elog(ERROR, "csat_watch_trigger: must be fired AFTER INSERT or UPDATE, FOR EACH STATEMENT");
	if (td->tg_newtable == NULL ||
		(TRIGGER_FIRED_BY_UPDATE(td->tg_event) && td->tg_oldtable == NULL))
		elog(ERROR, "csat_watch_trigger: transition tables missing");

	/* user triggers on csat.breaches may run code that loads a new cache */
	cache = watch_cache_pin();
	PG_TRY();
	{
		List	   *defs = watch_defs_of(cache, td->tg_relation);

		if (defs != NIL)
			watch_statement_into(td, defs, NULL);
		else if (!watch_citus_shard(td, cache))
			check_trigger_use(cache, td);
	}
	PG_FINALLY();
	{
		watch_cache_unpin(cache);
	}
	PG_END_TRY();

	return PointerGetDatum(NULL);
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
void
watch_install_triggers(Oid relid, bool lenient)
{
	ListCell   *lc;
	char	   *fn = csat_sql("@extschema@.watch_trigger()");

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
								 " FOR EACH STATEMENT EXECUTE FUNCTION %s", rel, fn),
						false, 0) != SPI_OK_UTILITY ||
			SPI_execute(psprintf("CREATE OR REPLACE TRIGGER " TRIGGER_UPDATE_NAME " AFTER UPDATE ON %s"
								 " REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new"
								 " FOR EACH STATEMENT EXECUTE FUNCTION %s", rel, fn),
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "creating the watch triggers failed");
	}
}

/* remove the triggers from relid and every partition below it */
void
watch_drop_triggers(Oid relid)
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
 * Event trigger at the end of CREATE TABLE and ALTER TABLE: a partition
 * created in or attached to a watched table gets the watch triggers, so rows
 * written straight into it are flagged too.  Tables the user may not add
 * triggers to are left alone rather than fail the user's command.
 */
Datum
csat_watch_partitions(PG_FUNCTION_ARGS)
{
	List	   *relids = NIL;
	List	   *watched = NIL;
	WatchCache *cache;
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
	/* which of them are watched or under a watched table; no user code runs meanwhile */
	cache = watch_cache_pin();
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		List	   *ancestors;
		ListCell   *dc;

		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			continue;
		ancestors = get_rel_relispartition(relid) ? get_partition_ancestors(relid) : NIL;
		foreach(dc, cache->defs)
		{
			WatchDef   *def = lfirst(dc);

			if (def->relid == relid || list_member_oid(ancestors, def->relid))
			{
				watched = lappend_oid(watched, relid);
				break;
			}
		}
	}
	watch_cache_unpin(cache);
	foreach(lc, watched)
		watch_install_triggers(lfirst_oid(lc), true);
	SPI_finish();
	PG_RETURN_VOID();
}
