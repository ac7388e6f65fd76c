/*
 * floor_trigger.c: the floor of breach flagging for test/bench/watch.sh, not
 * part of csat.  A C statement trigger that reads every row of its
 * transition table, deforming all columns, and evaluates nothing: what any
 * transition-table trigger written in C pays before judging a single row.
 * Built by the benchmark into its own small .so.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(floor_trigger);

Datum
floor_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleTableSlot *slot;
	int64		n = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || td->tg_newtable == NULL)
		elog(ERROR, "floor_trigger: not called as a statement trigger with a new table");
	slot = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	tuplestore_rescan(td->tg_newtable);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		slot_getallattrs(slot);
		n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	elog(DEBUG1, "floor_trigger: read " INT64_FORMAT " rows", n);
	return PointerGetDatum(NULL);
}
