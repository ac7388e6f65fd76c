/*
 * watch_citus_drop.c: DROP EXTENSION csat on a Citus coordinator drops the
 * Citus tables csat created at run time in its schema (breach and change
 * tables, copies of the configuration), which are not extension members.
 *
 * Made members, they would go with the extension through a dependency, a
 * path on which Citus leaves their shards and placements on every node
 * (observed); dropped here with DROP TABLE at ddl_command_start, Citus drops
 * them everywhere, in the same transaction as the DROP EXTENSION (a failed
 * or rolled-back DROP EXTENSION keeps them).  Workers do nothing: the
 * coordinator's DROP TABLE reaches them.
 */
#include "watch.h"

#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(csat_citus_drop_extension);

/* does the statement drop extension csat? */
static bool
drops_csat(Node *parsetree)
{
	DropStmt   *stmt;
	ListCell   *lc;

	if (!IsA(parsetree, DropStmt))
		return false;
	stmt = (DropStmt *) parsetree;
	if (stmt->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, stmt->objects)
	{
		Node	   *name = lfirst(lc);

		if (IsA(name, String) && strcmp(strVal(name), "csat") == 0)
			return true;
	}
	return false;
}

Datum
csat_citus_drop_extension(PG_FUNCTION_ARGS)
{
	Oid			ext;
	Oid			nsp;
	Oid			types[1] = {OIDOID};
	Datum		args[1];
	List	   *tables = NIL;
	ListCell   *lc;
	CsatUserSwitch sw;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "csat_citus_drop_extension: not called as an event trigger");
	if (!drops_csat(((EventTriggerData *) fcinfo->context)->parsetree))
		PG_RETURN_VOID();
	ext = get_extension_oid("csat", true);
	/* DROP EXTENSION itself refuses others, after this trigger */
	if (!OidIsValid(ext) || !csat_ext_ownercheck(ext, GetUserId()) ||
		!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		PG_RETURN_VOID();
	nsp = csat_extension_schema(false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (watch_citus_on_coordinator())
	{
		args[0] = ObjectIdGetDatum(nsp);
		if (SPI_execute_with_args("SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
								  " FROM pg_catalog.pg_dist_partition p"
								  " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid"
								  " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
								  " WHERE c.relnamespace OPERATOR(pg_catalog.=) $1 ORDER BY 1",
								  1, types, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading pg_dist_partition failed");
		for (uint64 i = 0; i < SPI_processed; i++)
			tables = lappend(tables, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		/* they belong to the owner of csat's tables, like the schema */
		csat_switch_to(&sw, csat_relation_owner(get_relname_relid("breaches", nsp)));
		foreach(lc, tables)
		{
			if (SPI_execute(psprintf("DROP TABLE %s", (char *) lfirst(lc)), false, 0) != SPI_OK_UTILITY)
				elog(ERROR, "dropping %s failed", (char *) lfirst(lc));
		}
		csat_switch_back(&sw);
	}
	SPI_finish();
	PG_RETURN_VOID();
}
