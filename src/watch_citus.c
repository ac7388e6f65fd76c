/*
 * watch_citus.c: breach flagging on Citus hash-distributed tables (reference
 * tables: watch_citus_ref.c).
 *
 * csat.watch on such a table (its key column must be the distribution
 * column) puts the usual statement triggers on it with
 * citus.enable_unsafe_triggers set only around CREATE TRIGGER; Citus copies
 * them to every shard, where they fire on the node holding the shard.  The
 * trigger on a shard reads only node-local data:
 *
 *   configuration  csat.citus_rules, csat.citus_watches (tables by name:
 *       OIDs differ per node), csat.citus_calendars, csat.citus_calendar_hours
 *       and csat.citus_calendar_holidays are Citus reference tables that copy
 *       csat's own tables.  The coordinator's configuration triggers rewrite
 *       them in the same distributed transaction as the change (so a worker
 *       sees a change exactly when it commits); a shard reads its node's
 *       placement of them (a plain local relation) into a cache of its own
 *       (watch_cache_pin_mirror), which their own propagated triggers
 *       invalidate.
 *   breaches  written into the co-located shard of
 *       csat.citus_breaches_<co-location id>, a distributed table keyed like
 *       the source, with the same escalate-in-place upsert as csat.breaches,
 *       on a unique index (key, source, rule) inside that one shard.
 *
 * Nothing in the trigger runs a distributed query (Citus would refuse it as
 * nested, or run it "with possible incorrectness").  The coordinator reads
 * every breach through csat.all_breaches.
 */
#include "watch.h"
#include "track.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* csat's configuration tables with a copy on every node, in load_cache's order */
static const char *const config_tables[5] = {"rules", "watches", "calendars", "calendar_hours",
"calendar_holidays"};

static bool
citus_present(void)
{
	return OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE));
}

static char *
csat_qualified(const char *name)
{
	return quote_qualified_identifier(get_namespace_name(csat_extension_schema(false)), name);
}

/* run a utility or modifying statement, or fail */
static void
run(const char *sql, int expect)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != expect)
		elog(ERROR, "%s failed: %s", sql, SPI_result_code_string(rc));
}

/* this node's Citus group (0: the coordinator); inside SPI */
static int
local_group(void)
{
	bool		isnull;

	if (SPI_execute("SELECT groupid FROM pg_catalog.pg_dist_local_group", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "reading pg_dist_local_group failed");
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* is Citus here, and this node its coordinator?  Inside SPI */
bool
watch_citus_on_coordinator(void)
{
	return citus_present() && local_group() == 0;
}

/*
 * citus.enable_unsafe_triggers on until watch_citus_restore: Citus refuses
 * CREATE and DROP TRIGGER on its tables otherwise.  Nothing without Citus.
 */
int
watch_citus_allow_triggers(void)
{
	int			nest;

	if (!citus_present())
		return -1;
	nest = NewGUCNestLevel();

	(void) set_config_option("citus.enable_unsafe_triggers", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
watch_citus_restore(int nest)
{
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
}

/*
 * Is rel one of the copies of csat's configuration (the reference table or
 * a placement of it, named <copy>_<shard id>)?
 */
bool
watch_citus_is_mirror(Relation rel)
{
	const char *name = RelationGetRelationName(rel);

	if (strncmp(name, "citus_", 6) != 0 ||
		RelationGetNamespace(rel) != csat_extension_schema(false))
		return false;
	for (int i = 0; i < 5; i++)
	{
		size_t		len = strlen(config_tables[i]);
		const char *rest = name + 6 + len;

		if (strncmp(name + 6, config_tables[i], len) == 0 &&
			(*rest == '\0' || (rest[0] == '_' && rest[1] != '\0' &&
							   strspn(rest + 1, "0123456789") == strlen(rest + 1))))
			return true;
	}
	return false;
}

/*
 * The names of this node's placements of the five copies, for the cache
 * (inside SPI, names in the SPI context); false when some copy has none here.
 */
bool
watch_citus_mirror_tables(char **names)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];

	if (!citus_present())
		return false;
	args[0] = CStringGetTextDatum(get_namespace_name(csat_extension_schema(false)));
	if (SPI_execute_with_args("SELECT pg_catalog.shard_name(s.logicalrelid, s.shardid, false)"
							  " FROM ROWS FROM (pg_catalog.unnest('{rules,watches,calendars,calendar_hours,calendar_holidays}'::pg_catalog.text[]))"
							  " WITH ORDINALITY AS t(n, i)"
							  " JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid OPERATOR(pg_catalog.=)"
							  " pg_catalog.to_regclass(pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.citus_'"
							  " OPERATOR(pg_catalog.||) t.n)"
							  " WHERE pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid, false)) IS NOT NULL"
							  " ORDER BY t.i", 1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_shard failed");
	if (SPI_processed != 5)
		return false;
	for (int i = 0; i < 5; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	return true;
}

/* rewrite one copy from csat's table (as the owner of csat's tables, inside SPI) */
static void
copy_config(const char *table)
{
	char	   *mirror = csat_qualified(psprintf("citus_%s", table));

	/* one rewriter at a time: a second one waits, then reads what the first committed */
	run(psprintf("LOCK TABLE %s IN EXCLUSIVE MODE", mirror), SPI_OK_UTILITY);
	run(psprintf("DELETE FROM %s", mirror), SPI_OK_DELETE);
	if (strcmp(table, "watches") == 0)
		run(psprintf(csat_sql("INSERT INTO %s SELECT pg_catalog.format('%%I.%%I', n.nspname, c.relname),"
							  " w.metric, w.key_column, w.value_column, w.start_column, w.end_column,"
							  " w.segment_column, w.channel_column FROM @extschema@.watches w"
							  " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) w.source::pg_catalog.oid"
							  " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"),
					 mirror), SPI_OK_INSERT);
	else
		run(psprintf("INSERT INTO %s SELECT * FROM %s", mirror, csat_qualified(table)), SPI_OK_INSERT);
}

/*
 * After a change to csat's configuration table "table" on the coordinator:
 * rewrite its copy, when the copies exist.  A worker's own csat tables are
 * not the cluster's configuration and are not copied.
 */
void
watch_citus_sync(const char *table)
{
	CsatUserSwitch sw;
	Oid			nsp = csat_extension_schema(false);

	if (!citus_present() || !OidIsValid(get_relname_relid(psprintf("citus_%s", table), nsp)))
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (local_group() == 0)
	{
		csat_switch_to(&sw, csat_relation_owner(get_relname_relid("breaches", nsp)));
		copy_config(table);
		csat_switch_back(&sw);
	}
	SPI_finish();
}

/* create the copies that are missing (as the owner of csat's tables, inside SPI) */
static void
ensure_mirrors(void)
{
	Oid			nsp = csat_extension_schema(false);
	Oid			types[1] = {TEXTOID};
	Datum		args[1];

	for (int i = 0; i < 5; i++)
	{
		const char *t = config_tables[i];
		char	   *name = psprintf("citus_%s", t);
		char	   *mirror = csat_qualified(name);
		int			nest;

		if (OidIsValid(get_relname_relid(name, nsp)))
			continue;
		if (strcmp(t, "watches") == 0)
			run(psprintf("CREATE TABLE %s (source pg_catalog.text, metric pg_catalog.text, key_column pg_catalog.text,"
						 " value_column pg_catalog.text, start_column pg_catalog.text, end_column pg_catalog.text,"
						 " segment_column pg_catalog.text, channel_column pg_catalog.text, PRIMARY KEY (source, metric))",
						 mirror), SPI_OK_UTILITY);
		else
			run(psprintf("CREATE TABLE %s (LIKE %s INCLUDING INDEXES)", mirror, csat_qualified(t)), SPI_OK_UTILITY);
		run(psprintf("COMMENT ON TABLE %s IS %s", mirror,
					 quote_literal_cstr(psprintf("csat: copy of csat.%s on every Citus node (a reference table kept in step"
												 " by the coordinator), read by the triggers on the shards of watched"
												 " distributed tables", t))), SPI_OK_UTILITY);
		args[0] = CStringGetTextDatum(mirror);
		if (SPI_execute_with_args("SELECT pg_catalog.create_reference_table($1::pg_catalog.regclass)",
								  1, types, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "making %s a reference table failed", mirror);
		/* propagated to every placement: a change invalidates the caches of every node */
		nest = watch_citus_allow_triggers();
		run(psprintf(csat_sql("CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s"
							  " FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.watch_config_changed()"),
					 quote_identifier(psprintf("%s_changed", name)), mirror), SPI_OK_UTILITY);
		watch_citus_restore(nest);
		copy_config(t);
	}
}

/*
 * On a Citus worker: the names of this node's placements of the copies of
 * csat's configuration (as watch_citus_mirror_tables), so that
 * csat.business_elapsed there reads the coordinator's calendars, which the
 * worker's own csat.calendars does not hold.  False on the coordinator,
 * without Citus, or before the copies exist.  Inside SPI.
 */
bool
watch_citus_worker_mirrors(char **names)
{
	return citus_present() && local_group() != 0 && watch_citus_mirror_tables(names);
}

/*
 * csat.citus_config_setup(): on the coordinator, create the copies of csat's
 * configuration on every node if they are missing (as the owner of csat's
 * tables).  csat.map_source calls it for a Citus table, whose KPIs may read
 * calendars on the workers; csat.watch creates them too.
 */
PG_FUNCTION_INFO_V1(csat_citus_config_setup);
Datum
csat_citus_config_setup(PG_FUNCTION_ARGS)
{
	CsatUserSwitch sw;

	if (!citus_present())
		PG_RETURN_VOID();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (local_group() == 0)
	{
		csat_switch_to(&sw, csat_relation_owner(get_relname_relid("breaches", csat_extension_schema(false))));
		ensure_mirrors();
		csat_switch_back(&sw);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * What the coordinator needs to know of a Citus table: partition method
 * (0 when relid is no Citus table), co-location id and distribution column.
 */
typedef struct CitusTable
{
	char		method;
	int			colocation;
	char	   *distcol;
	bool		reference;		/* a reference or Citus local table (method 'n': not distributed) */
} CitusTable;

static void
citus_table(Oid relid, CitusTable *ct)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};

	memset(ct, 0, sizeof(CitusTable));
	if (!citus_present())
		return;
	if (SPI_execute_with_args("SELECT p.partmethod, p.colocationid,"
							  " pg_catalog.column_to_column_name(p.logicalrelid, p.partkey), p.repmodel"
							  " FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_partition failed");
	if (SPI_processed == 0)
		return;
	ct->method = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)[0];
	ct->colocation = atoi(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	ct->distcol = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	/* a reference or a Citus local table: undistributed, its coordinator placement logs */
	ct->reference = ct->method == 'n';
}

/* the breach table of a co-location group, created if missing (as csat's owner, inside SPI) */
static void
ensure_breach_table(Oid source, const CitusTable *ct)
{
	char	   *name = psprintf("citus_breaches_%d", ct->colocation);
	char	   *table = csat_qualified(name);
	AttrNumber	att = get_attnum(source, ct->distcol);
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	Oid			keytype,
				keycoll;
	int32		keytypmod;

	if (OidIsValid(get_relname_relid(name, csat_extension_schema(false))))
		return;
	get_atttypetypmodcoll(source, att, &keytype, &keytypmod, &keycoll);
	run(psprintf(csat_sql("CREATE TABLE %s (key %s NOT NULL, source pg_catalog.text NOT NULL,"
						  " row_key pg_catalog.text NOT NULL, rule pg_catalog.text NOT NULL,"
						  " observed pg_catalog.float8 NOT NULL, threshold pg_catalog.float8 NOT NULL,"
						  " level @extschema@.level NOT NULL CHECK (level OPERATOR(pg_catalog.<>) 'ok'::@extschema@.level),"
						  " observed_at pg_catalog.timestamptz NOT NULL,"
						  " notified pg_catalog.bool NOT NULL DEFAULT false, PRIMARY KEY (key, source, rule))"),
				 table, format_type_with_typemod(keytype, keytypmod)),
		SPI_OK_UTILITY);
	/* what csat.sweep() has not announced yet (watch_citus_announce) */
	run(psprintf("CREATE INDEX ON %s (rule) WHERE NOT notified", table), SPI_OK_UTILITY);
	run(psprintf("COMMENT ON TABLE %s IS %s", table,
				 quote_literal_cstr("csat: breaches of the watched distributed tables of one Citus co-location group,"
									" written on their shards (read them through csat.all_breaches)")), SPI_OK_UTILITY);
	args[0] = CStringGetTextDatum(table);
	args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
															 get_rel_name(source)));
	if (SPI_execute_with_args("SELECT pg_catalog.create_distributed_table($1::pg_catalog.regclass, 'key',"
							  " colocate_with => $2)", 2, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "distributing %s failed", table);
	/* as csat.breaches: everyone sees the breaches of the tables it may read */
	run(psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", table), SPI_OK_UTILITY);
	run(psprintf("CREATE POLICY breaches_of_readable_tables ON %s"
				 " USING (pg_catalog.has_table_privilege(source, 'SELECT'))", table), SPI_OK_UTILITY);
	run(psprintf("GRANT SELECT ON %s TO PUBLIC", table), SPI_OK_UTILITY);
}

/*
 * csat.sweep() on the coordinator, first: a watched plain table later added
 * to the Citus metadata as a Citus local table (citus_add_local_table_to_metadata,
 * or a foreign key to a reference table) is renamed to its shard and a new
 * table takes its name, so csat.watches and csat.breaches, which follow the
 * OID, name the shard.  Point them at the table (as the owner of csat's
 * tables): its placement's trigger then logs under the table's name, as for
 * a table watched after it was added.  Inside SPI.
 */
void
watch_citus_repoint(void)
{
	CsatUserSwitch sw;
	Oid		   *watched;
	uint64		n;
	bool		isnull;

	if (!citus_present() || local_group() != 0)
		return;
	if (SPI_execute(csat_sql("SELECT DISTINCT source::pg_catalog.oid FROM @extschema@.watches"), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading csat.watches failed");
	n = SPI_processed;
	watched = palloc(sizeof(Oid) * (n + 1));
	for (uint64 i = 0; i < n; i++)
		watched[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	for (uint64 i = 0; i < n; i++)
	{
		Oid			shard = watched[i];
		Oid			logical;
		Relation	rel = try_relation_open(shard, AccessShareLock);

		if (rel == NULL)
			continue;
		/* the table whose coordinator placement (shard) rel is, if it is one */
		logical = csat_reference_on_coordinator(rel);
		relation_close(rel, AccessShareLock);
		if (!OidIsValid(logical) || logical == shard)
			continue;
		csat_switch_to(&sw, csat_relation_owner(get_relname_relid("breaches", csat_extension_schema(false))));
		run(psprintf(csat_sql("UPDATE @extschema@.breaches SET source = %u::pg_catalog.oid::pg_catalog.regclass"
							  " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"), logical, shard),
			SPI_OK_UPDATE);
		run(psprintf(csat_sql("UPDATE @extschema@.watches SET source = %u::pg_catalog.oid::pg_catalog.regclass"
							  " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"), logical, shard),
			SPI_OK_UPDATE);
		csat_switch_back(&sw);
	}
}

/*
 * csat.watch on relid: false for a table Citus does not know; true for a
 * hash-distributed table watched by its distribution column, once the
 * copies of the configuration and the group's breach table exist.  Other
 * Citus tables, and other key columns, are refused.  Inside SPI.
 */
bool
watch_citus_prepare(Oid relid, const char *key_column)
{
	CitusTable	ct;
	CsatUserSwitch sw;

	citus_table(relid, &ct);
	if (ct.method == 0)
		return false;
	if (ct.reference)
	{
		/* its breaches go to the coordinator's csat.breaches, logged by its placement there */
		if (local_group() != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("reference tables are watched from the Citus coordinator")));
		watch_citus_reference_check(relid, ERROR);
		return true;
	}
	if (ct.method != 'h')
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch Citus table \"%s\"", get_rel_name(relid)),
				 errdetail("Only hash-distributed, reference and Citus local tables are watched on a Citus cluster."),
				 errhint("Watch a plain, a hash-distributed, a reference or a Citus local table.")));
	if (strcmp(ct.distcol, key_column) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch distributed table \"%s\" by column \"%s\"", get_rel_name(relid), key_column),
				 errdetail("Its breaches are kept next to its rows, one per key, so the key must be the distribution column \"%s\".",
						   ct.distcol),
				 errhint("Pass key_column => '%s'.", ct.distcol)));
	csat_switch_to(&sw, csat_relation_owner(get_relname_relid("breaches", csat_extension_schema(false))));
	if (local_group() != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("distributed tables are watched from the Citus coordinator")));
	ensure_mirrors();
	ensure_breach_table(relid, &ct);
	csat_switch_back(&sw);
	return true;
}

/*
 * csat.sweep() on the coordinator, for each watched table: one that was
 * distributed since it was watched (create_distributed_table fires nothing
 * csat could catch; Citus copied the watch triggers to its shards) gets the
 * copies of the configuration and its group's breach table here, which the
 * triggers on its shards need (until then their writes fail with 55000).
 * Distributed by another column than the watch key, it is reported.  Inside
 * SPI.
 */
void
watch_citus_adopt(Oid relid, const char *key_column)
{
	CitusTable	ct;
	CsatUserSwitch sw;
	char		names[5][NAMEDATALEN];
	bool		mirrors = true;

	citus_table(relid, &ct);
	if (ct.reference && local_group() == 0)
		watch_citus_reference_check(relid, WARNING);
	if (ct.method != 'h')
		return;
	for (int i = 0; i < 5; i++)
	{
		snprintf(names[i], NAMEDATALEN, "citus_%s", config_tables[i]);
		mirrors &= OidIsValid(get_relname_relid(names[i], csat_extension_schema(false)));
	}
	if (mirrors && OidIsValid(get_relname_relid(psprintf("citus_breaches_%d", ct.colocation),
											   csat_extension_schema(false))))
		return;
	if (strcmp(ct.distcol, key_column) != 0)
	{
		ereport(WARNING,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("watched table \"%s\" was distributed by column \"%s\", not by its key \"%s\"",
						get_rel_name(relid), ct.distcol, key_column),
				 errhint("Run csat.unwatch for it, then csat.watch by its distribution column.")));
		return;
	}
	if (local_group() != 0)
		return;
	csat_switch_to(&sw, csat_relation_owner(get_relname_relid("breaches", csat_extension_schema(false))));
	ensure_mirrors();
	ensure_breach_table(relid, &ct);
	csat_switch_back(&sw);
}

/*
 * Where the coordinator's backfill and sweep of relid log breaches: the
 * distributed breach table of its group, through Citus; false for any
 * other table (csat.breaches).  Inside SPI.
 */
bool
watch_citus_target(Oid relid, WatchTarget *target)
{
	CitusTable	ct;
	Oid			breaches;

	citus_table(relid, &ct);
	if (ct.method != 'h')
		return false;
	breaches = get_relname_relid(psprintf("citus_breaches_%d", ct.colocation), csat_extension_schema(false));
	if (!OidIsValid(breaches))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("distributed table \"%s\" has no breach table", get_rel_name(relid)),
				 errdetail("It was distributed, or moved to another co-location group, after it was watched."),
				 errhint("Run csat.unwatch and csat.watch for it again.")));
	target->table = csat_qualified(get_rel_name(breaches));
	target->keytype = get_atttype(breaches, get_attnum(breaches, "key"));
	target->remote = true;
	return true;
}

/*
 * Upsert m folded breaches into the batch's Citus target, as the owner of
 * csat's tables: a shard (a local table) from a trigger, the distributed
 * table from the coordinator.  Same escalation as csat.breaches.
 */
void
watch_citus_store(Batch *batch, int m, Datum *rules, Datum *keys, Datum *obs, Datum *thr, Datum *lev)
{
	Oid			keytype = batch->citus->keytype;
	Oid			typinput,
				typioparam;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *typed = palloc(sizeof(Datum) * m);
	Oid			types[8] = {TEXTARRAYOID, TEXTOID, TEXTARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID,
	INT4ARRAYOID, TIMESTAMPTZOID, get_array_type(keytype)};
	Datum		args[8];
	CsatUserSwitch sw;
	int			rc;
	char	   *upsert;

	/* the key's text, read back as the distribution column's type */
	getTypeInputInfo(keytype, &typinput, &typioparam);
	get_typlenbyvalalign(keytype, &typlen, &typbyval, &typalign);
	for (int i = 0; i < m; i++)
		typed[i] = OidInputFunctionCall(typinput, TextDatumGetCString(keys[i]), typioparam, -1);
	args[0] = PointerGetDatum(construct_array(rules, m, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(batch->source)),
															 get_rel_name(batch->source)));
	args[2] = PointerGetDatum(construct_array(keys, m, TEXTOID, -1, false, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(obs, m, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[4] = PointerGetDatum(construct_array(thr, m, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[5] = PointerGetDatum(construct_array(lev, m, INT4OID, 4, true, TYPALIGN_INT));
	args[6] = TimestampTzGetDatum(batch->observed_at);
	args[7] = PointerGetDatum(construct_array(typed, m, keytype, typlen, typbyval, typalign));
	csat_switch_to(&sw, watch_breaches_owner);
	upsert = psprintf(csat_sql("INSERT INTO %s AS b (key, source, row_key, rule, observed, threshold, level, observed_at)"
							   " SELECT u.key, $2, u.k, u.r, u.o, u.t,"
							   " (ARRAY['warning'::@extschema@.level, 'breach'::@extschema@.level])[u.l], $7"
							   " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($3), pg_catalog.unnest($4),"
							   " pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($8)) AS u(r, k, o, t, l, key)"
							   " ON CONFLICT (key, source, rule) DO UPDATE"
							   " SET observed = excluded.observed, threshold = excluded.threshold,"
							   " level = excluded.level, observed_at = excluded.observed_at, notified = false"
							   " WHERE excluded.level OPERATOR(pg_catalog.>) b.level"), batch->citus->table);
	if (!batch->citus->remote)
	{
		rc = SPI_execute_with_args(upsert, 8, types, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "upsert into %s failed: %s", batch->citus->table, SPI_result_code_string(rc));
		batch->written += SPI_processed;
	}
	else
	{
		bool		isnull;

		/* through Citus, which counts the rows it sent: count those written */
		rc = SPI_execute_with_args(psprintf("WITH w AS (%s RETURNING true) SELECT pg_catalog.count(*) FROM w", upsert),
								   8, types, args, NULL, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "upsert into %s failed: %s", batch->citus->table, SPI_result_code_string(rc));
		batch->written += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	csat_switch_back(&sw);
}
