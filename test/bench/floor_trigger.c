/*
 * floor_trigger.c: the floor of a statement trigger that reads its rows.
 *
 * Not part of csat: test/bench/watch.sh and watch_callgrind.sh build it as a
 * shared library of its own and load it by absolute path.  It is an AFTER
 * ... FOR EACH STATEMENT trigger with a NEW transition table that reads every
 * transition row the way csat's watch trigger does (its own read pointer,
 * tuplestore_gettupleslot into a minimal-tuple slot) and deforms every
 * column, but evaluates nothing and writes nothing.  Together with plain
 * inserts of the breaching rows into a copy of csat.breaches it is the floor
 * that csat's breach flagging is measured against.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(floor_read_trigger);

/* rows read by the last firing (keeps the loop from being optimized away) */
static volatile int64 floor_rows_read = 0;

Datum
floor_read_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleTableSlot *slot;
	int			ptr;
	int64		n = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || td->tg_newtable == NULL)
		elog(ERROR, "floor_read_trigger: must be a statement trigger with a NEW transition table");

	slot = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	ptr = tuplestore_alloc_read_pointer(td->tg_newtable, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(td->tg_newtable, ptr);
	tuplestore_rescan(td->tg_newtable);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		slot_getallattrs(slot);
		n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	floor_rows_read = n;
	return PointerGetDatum(NULL);
}
