/*
 * track_citus.c: change tracking on Citus distributed (hash) tables.
 *
 *   csat.track_change() on a shard  csat.map_source puts the trigger on the
 *       distributed table (citus.enable_unsafe_triggers); Citus copies it to
 *       every shard, where it fires, on the node holding the shard.  It notes
 *       the UTC hours a statement touched in the co-located shard of
 *       csat.citus_changes_<co-location id>, found in the node's own copy of
 *       the Citus metadata (pg_dist_shard), and writes that shard relation
 *       directly: no distributed query runs inside the trigger, so nothing is
 *       nested and nothing goes to another node.
 *   csat.track_change() on a reference table's placement  fires on every
 *       node; only the coordinator's placement notes the hours, in the
 *       coordinator's csat.changes (csat_reference_on_coordinator, track.c).
 *   csat.citus_track_setup(source)  creates csat.citus_changes_<id>, a
 *       distributed table co-located with the source, if it is missing;
 *       csat.citus_track_cleanup() drops those no mapped table needs.
 *
 * csat.refresh() on the coordinator consumes them with DELETE ... RETURNING
 * inside its own distributed transaction: if the refresh fails, the rows
 * come back with the rollback.
 */
#include "csat.h"
#include "track.h"

#include "access/htup_details.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(csat_citus_track_setup);
PG_FUNCTION_INFO_V1(csat_citus_track_cleanup);

/* Column attnum of the first row of a transition table (*isnull when empty). */
static Datum
first_value(Tuplestorestate *ts, TupleDesc desc, AttrNumber attnum, bool *isnull)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	Datum		d = (Datum) 0;
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);

	*isnull = true;
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	if (tuplestore_gettupleslot(ts, true, false, slot))
	{
		d = slot_getattr(slot, attnum, isnull);
		if (!*isnull)
			d = datumCopy(d, att->attbyval, att->attlen);
	}
	ExecDropSingleTupleTableSlot(slot);
	return d;
}

/* a timestamptz column of rel by name, or InvalidAttrNumber */
static AttrNumber
ts_column(Relation rel, const char *name)
{
	AttrNumber	a = get_attnum(RelationGetRelid(rel), name);

	if (a <= 0 || TupleDescAttr(RelationGetDescr(rel), a - 1)->atttypid != TIMESTAMPTZOID)
		return InvalidAttrNumber;
	return a;
}

int64
csat_shard_id_of(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *u = strrchr(name, '_');

	if (u != NULL && u[1] != '\0' && strspn(u + 1, "0123456789") == strlen(u + 1))
		return strtoi64(u + 1, NULL, 10);
	return -1;
}

bool
csat_is_citus_shard(Relation rel)
{
	int64		shardid = csat_shard_id_of(rel);
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		args[2];

	if (shardid < 0 || !OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return false;
	args[0] = Int64GetDatum(shardid);
	args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
															 RelationGetRelationName(rel)));
	if (SPI_execute_with_args("SELECT FROM pg_catalog.pg_dist_shard s WHERE s.shardid OPERATOR(pg_catalog.=) $1"
							  " AND pg_catalog.shard_name(s.logicalrelid, s.shardid, false) OPERATOR(pg_catalog.=) $2",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_shard failed");
	return SPI_processed == 1;
}

/*
 * The logical table of rel when rel is this node's placement of a Citus
 * reference table (or the shard of a Citus local table, whose one placement
 * is there) and this node is the coordinator (group 0), else InvalidOid.  A write to a reference table reaches every placement in one
 * distributed transaction, so its propagated triggers fire once per node for
 * the same rows: only the coordinator's placement notes them, in the
 * coordinator's own csat.changes (csat.citus_tracked checks that the
 * coordinator holds a placement).
 */
Oid
csat_reference_on_coordinator(Relation rel)
{
	int64		shardid = csat_shard_id_of(rel);
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		args[2];
	bool		isnull;
	Datum		d;

	if (shardid < 0 || !OidIsValid(get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE)))
		return InvalidOid;
	args[0] = Int64GetDatum(shardid);
	args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
															 RelationGetRelationName(rel)));
	if (SPI_execute_with_args("SELECT s.logicalrelid::pg_catalog.oid FROM pg_catalog.pg_dist_shard s"
							  " JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid OPERATOR(pg_catalog.=) s.logicalrelid"
							  " WHERE s.shardid OPERATOR(pg_catalog.=) $1 AND p.partmethod OPERATOR(pg_catalog.=) 'n'"
							  " AND pg_catalog.shard_name(s.logicalrelid, s.shardid, false) OPERATOR(pg_catalog.=) $2"
							  " AND (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g) OPERATOR(pg_catalog.=) 0",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_shard failed");
	if (SPI_processed != 1)
		return InvalidOid;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/*
 * Note hours (everything: one NULL hour) of a kind in the change shard
 * target, keyed by a distribution column value of the statement's rows, so
 * the row lies in the shard's hash range like any other of its rows.
 */
static void
note_shard(const char *target, Oid keytype, Datum key, bool keynull, const char *kind,
		   TimestampTz *hours, int n, bool everything)
{
	Oid			types[3] = {keytype, TEXTOID, TIMESTAMPTZARRAYOID};
	Datum		args[3];
	char		nulls[3] = {keynull ? 'n' : ' ', ' ', ' '};

	args[0] = key;
	args[1] = CStringGetTextDatum(kind);
	if (everything)
	{
		if (SPI_execute_with_args(psprintf("INSERT INTO %s (key, kind, hour) VALUES ($1, $2, NULL)", target),
								  2, types, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "inserting into %s failed", target);
		return;
	}
	if (n == 0)
		return;
	args[2] = csat_hours_array(hours, n);
	if (SPI_execute_with_args(psprintf("INSERT INTO %1$s (key, kind, hour)"
									   " SELECT $1, $2, h.h FROM pg_catalog.unnest($3) AS h(h)"
									   " WHERE NOT EXISTS (SELECT FROM %1$s c WHERE c.kind OPERATOR(pg_catalog.=) $2"
									   " AND c.hour OPERATOR(pg_catalog.=) h.h)", target),
							  3, types, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "inserting into %s failed", target);
}

/*
 * csat.track_change() on a shard.  Arguments (csat.map_source): kind, period
 * column, the change table's name in csat's schema, then every other
 * timestamptz column the mapping names (a KPI may place rows by any of them:
 * the catalogue is not read here, it lives on the coordinator).
 */
void
csat_track_shard(TriggerData *td, Oid nsp)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	Trigger    *tg = td->tg_trigger;
	TriggerEvent ev = td->tg_event;
	const char *kind = tg->tgargs[0];
	const char *name = RelationGetRelationName(rel);
	int64		shardid = csat_shard_id_of(rel);
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		args[3];
	char	   *target = NULL;
	char	   *distcol = NULL;
	CsatUserSwitch sw;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	csat_switch_to(&sw, csat_relation_owner(get_relname_relid("changes", nsp)));

	/* this shard's co-located shard of the change table, from local metadata */
	args[0] = Int64GetDatum(shardid);
	args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(nsp), tg->tgargs[2]));
	args[2] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), name));
	if (shardid >= 0 && OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)) &&
		SPI_execute_with_args("SELECT pg_catalog.shard_name(c.logicalrelid, c.shardid, false),"
							  " pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)"
							  " FROM pg_catalog.pg_dist_shard s"
							  " JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid OPERATOR(pg_catalog.=) s.logicalrelid"
							  " JOIN pg_catalog.pg_dist_shard c ON c.logicalrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2)"
							  " AND c.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue"
							  " JOIN pg_catalog.pg_dist_partition pc ON pc.logicalrelid OPERATOR(pg_catalog.=) c.logicalrelid"
							  " AND pc.colocationid OPERATOR(pg_catalog.=) p.colocationid"
							  " WHERE s.shardid OPERATOR(pg_catalog.=) $1"
							  " AND pg_catalog.shard_name(s.logicalrelid, s.shardid, false) OPERATOR(pg_catalog.=) $3",
							  3, types, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		target = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		distcol = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	}

	if (target == NULL || distcol == NULL || get_attnum(RelationGetRelid(rel), distcol) <= 0)
	{
		/*
		 * not a shard co-located with the change table: the coordinator's
		 * table itself (a TRUNCATE fires there too), or a table moved to
		 * another co-location group.  Note everything in the local
		 * csat.changes, if the table is mapped here as that kind (as on a
		 * plain table, a trigger on any other table is refused); csat.refresh()
		 * also sees a moved table is no longer tracked.
		 */
		types[1] = OIDOID;
		args[0] = CStringGetTextDatum(kind);
		args[1] = ObjectIdGetDatum(RelationGetRelid(rel));
		types[0] = TEXTOID;
		if (SPI_execute_with_args(csat_sql("SELECT FROM @extschema@.sources s WHERE s.kind OPERATOR(pg_catalog.=) $1"
										   " AND s.source::pg_catalog.oid OPERATOR(pg_catalog.=) $2"),
								  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading csat.sources failed");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table \"%s\" is not mapped as a source of kind \"%s\"", name, kind),
					 errdetail("csat.track_change() notes changes of mapped tables only."),
					 errhint("Map the table with csat.map_source, which installs this trigger.")));
		csat_note_hours(kind, NULL, 0, true);
	}
	else
	{
		AttrNumber	keynum = get_attnum(RelationGetRelid(rel), distcol);
		Oid			keytype = TupleDescAttr(desc, keynum - 1)->atttypid;
		AttrNumber	pnum = ts_column(rel, tg->tgargs[1]);
		Tuplestorestate *any = td->tg_newtable ? td->tg_newtable : td->tg_oldtable;
		bool		keynull = true;
		Datum		key = (Datum) 0;

		if (any != NULL)
			key = first_value(any, desc, keynum, &keynull);
		if (TRIGGER_FIRED_BY_TRUNCATE(ev) || pnum == InvalidAttrNumber)
			note_shard(target, keytype, key, keynull, kind, NULL, 0, true);
		else
		{
			int			n = 0,
						cap = 64;
			TimestampTz *hours = palloc(sizeof(TimestampTz) * cap);

			for (int i = 1; i < tg->tgnargs; i++)
			{
				AttrNumber	a = i == 2 ? InvalidAttrNumber : ts_column(rel, tg->tgargs[i]);

				if (a == InvalidAttrNumber)
					continue;
				if (td->tg_newtable)
					csat_collect_hours(td->tg_newtable, desc, a, &hours, &n, &cap);
				if (td->tg_oldtable)
					csat_collect_hours(td->tg_oldtable, desc, a, &hours, &n, &cap);
			}
			note_shard(target, keytype, key, keynull, kind, hours, n, false);
			/* an order updated may move its returns (see track.c) */
			if (TRIGGER_FIRED_BY_UPDATE(ev) && strcmp(kind, "orders") == 0)
			{
				n = 0;
				csat_collect_hours(td->tg_newtable, desc, pnum, &hours, &n, &cap);
				note_shard(target, keytype, key, keynull, "orders:returns", hours, n, false);
			}
		}
	}
	csat_switch_back(&sw);
	SPI_finish();
}

/*
 * csat.citus_track_setup(source): the name (in csat's schema) of the change
 * table of a hash-distributed source's co-location group, created as the
 * owner of csat's tables if missing; NULL for any other table.  The caller
 * must own the source (csat.map_source checked).
 */
Datum
csat_citus_track_setup(PG_FUNCTION_ARGS)
{
	Oid			source = PG_GETARG_OID(0);
	Oid			nsp = csat_extension_schema(false);
	MemoryContext upper = CurrentMemoryContext;
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		args[2];
	char	   *name;
	char	   *keytype;
	char	   *result;

	/* no Citus: no distributed table */
	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		PG_RETURN_NULL();
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(source)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", source)));
	if (!has_privs_of_role(GetUserId(), csat_relation_owner(source)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s", get_rel_name(source))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = ObjectIdGetDatum(source);
	if (SPI_execute_with_args("SELECT 'citus_changes_' OPERATOR(pg_catalog.||) p.colocationid,"
							  " pg_catalog.format_type(a.atttypid, a.atttypmod)"
							  " FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_attribute a"
							  " ON a.attrelid OPERATOR(pg_catalog.=) p.logicalrelid"
							  " AND a.attname OPERATOR(pg_catalog.=) pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)"
							  " WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1 AND p.partmethod OPERATOR(pg_catalog.=) 'h'",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_partition failed");
	if (SPI_processed == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	keytype = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	if (!OidIsValid(get_relname_relid(name, nsp)))
	{
		const char *qual = quote_qualified_identifier(get_namespace_name(nsp), name);
		CsatUserSwitch sw;

		csat_switch_to(&sw, csat_relation_owner(get_relname_relid("changes", nsp)));
		if (SPI_execute(psprintf("CREATE TABLE %s (key %s, kind pg_catalog.text NOT NULL, hour pg_catalog.timestamptz,"
								 " noted_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now())", qual, keytype),
						false, 0) != SPI_OK_UTILITY ||
			SPI_execute(psprintf("CREATE INDEX ON %s (kind, hour)", qual), false, 0) != SPI_OK_UTILITY ||
			SPI_execute(psprintf("COMMENT ON TABLE %s IS %s", qual,
								 quote_literal_cstr("csat: hours whose rows changed in the distributed tables of one Citus co-location group"
													" (written on the shards by csat.track_change(), consumed by csat.refresh())")),
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "creating %s failed", qual);
		args[0] = ObjectIdGetDatum(get_relname_relid(name, nsp));
		args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
																 get_rel_name(source)));
		if (SPI_execute_with_args("SELECT pg_catalog.create_distributed_table($1::pg_catalog.regclass, 'key',"
								  " colocate_with => $2)", 2, types, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "distributing %s failed", qual);
		csat_switch_back(&sw);
	}
	result = MemoryContextStrdup(upper, name);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/*
 * csat.citus_track_cleanup(): drops the change tables of co-location groups
 * no mapped table is in any more (as the owner of csat's tables, who created
 * them; csat.unmap_source calls it), so they do not outlive the mappings;
 * returns how many were dropped.
 */
Datum
csat_citus_track_cleanup(PG_FUNCTION_ARGS)
{
	Oid			nsp = csat_extension_schema(false);
	Oid			types[1] = {OIDOID};
	Datum		args[1];
	CsatUserSwitch sw;
	List	   *names = NIL;
	ListCell   *lc;

	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		PG_RETURN_INT64(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	csat_switch_to(&sw, csat_relation_owner(get_relname_relid("changes", nsp)));
	args[0] = ObjectIdGetDatum(nsp);
	if (SPI_execute_with_args(csat_sql("SELECT pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c"
									   " JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid OPERATOR(pg_catalog.=) c.oid"
									   " WHERE c.relnamespace OPERATOR(pg_catalog.=) $1"
									   " AND c.relname OPERATOR(pg_catalog.=) ('citus_changes_' OPERATOR(pg_catalog.||) p.colocationid)"
									   " AND NOT EXISTS (SELECT FROM @extschema@.sources s JOIN pg_catalog.pg_dist_partition sp"
									   " ON sp.logicalrelid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid"
									   " WHERE sp.colocationid OPERATOR(pg_catalog.=) p.colocationid)"),
							  1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the change tables failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		names = lappend(names, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	foreach(lc, names)
	{
		if (SPI_execute(psprintf("DROP TABLE %s.%s", quote_identifier(get_namespace_name(nsp)),
								 (char *) lfirst(lc)), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "dropping a change table failed");
	}
	csat_switch_back(&sw);
	SPI_finish();
	PG_RETURN_INT64(list_length(names));
}
