/*
 * views_read.c: csat.refresh() reads each mapped table as that table's owner.
 *
 * A kind's standard view is a UNION ALL over tables of different owners, and
 * reading it runs their code (row-security policy functions, functions in
 * mapped views, user casts) with the rights of whoever calls csat.refresh() --
 * often a superuser's pg_cron job.  Instead, refresh calls the functions here
 * once per mapped table: each checks that the caller may read the whole table
 * (SELECT, and no row security applying to it), then runs csat's own query
 * for that table and part as the table's owner under
 * SECURITY_RESTRICTED_OPERATION with a pinned search_path (as VACUUM, ANALYZE
 * and REFRESH MATERIALIZED VIEW do), and returns the rows to be merged as the
 * caller.  The query text comes from csat.source_sql(kind, source, part),
 * built from the validated mapping in csat.sources: nothing here accepts SQL
 * from its caller.
 */
#include "csat.h"
#include "kpi_scan.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tstoreReceiver.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(csat_source_partials);
PG_FUNCTION_INFO_V1(csat_source_rows);
PG_FUNCTION_INFO_V1(csat_source_kpis);


/*
 * Run csat's query for (kind, source, part) as the table's owner and put its
 * rows into the function's result.  params: $1 time zone (text), $2/$3 range
 * bounds (timestamptz[]), $4 keys (text[]), $5 as_of (timestamptz), $6/$7 day
 * range bounds (timestamptz[]).  A part
 * whose statement is NULL (no enabled KPI reads the kind) returns no rows.
 */
static void
read_as_owner(FunctionCallInfo fcinfo, text *kind, Oid relid, const char *part,
			  Datum *params, const char *nulls)
{
	static Oid	argtypes[7] = {TEXTOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID, TIMESTAMPTZOID,
	TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTuple	tup;
	char		relkind;
	Oid			owner;
	char	   *relname;
	char	   *query;
	char	   *nspname;
	Oid			gen_types[3] = {TEXTOID, REGCLASSOID, TEXTOID};
	Datum		gen_args[3];
	CsatUserSwitch sw;
	bool		isnull;
	ParamListInfo paramli;
	DestReceiver *dest;
	SPIExecuteOptions options;
	bool		kpis = strncmp(part, "kpis", 4) == 0;
	KpiScan    *scan = NULL;

	InitMaterializedSRF(fcinfo, 0);

	/*
	 * The caller must be able to read the table itself: checked before the
	 * lock (as RangeVarGetRelidExtended's callers do), so that nobody can
	 * hold a lock on a table they may not read; then checked again under it.
	 */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
	LockRelationOid(relid, AccessShareLock);
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = ((Form_pg_class) GETSTRUCT(tup))->relkind;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	relname = pstrdup(NameStr(((Form_pg_class) GETSTRUCT(tup))->relname));
	ReleaseSysCache(tup);

	/* mapped as a table, but it may have become something else since */
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", relname),
				 errdetail("It is mapped as a source of kind %s.", text_to_cstring(kind)),
				 errhint("Remove the mapping with csat.unmap_source.")));

	/* the caller must be able to read all of it itself */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, relname);
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row-level security of table \"%s\" applies to the current user", relname),
				 errdetail("The rollups count every row of a mapped table: they are computed as the table's owner."),
				 errhint("Refresh as the table's owner, a superuser or a role with BYPASSRLS.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the query: built by csat from the mapping, as the caller */
	nspname = get_namespace_name(csat_extension_schema(false));

	/*
	 * The KPIs are added up by kpi_scan.c from the rows of a statement
	 * without aggregates since 0.6; before (this library under the SQL of an
	 * older version, until ALTER EXTENSION UPDATE), that statement returned
	 * the states itself.
	 */
	if (kpis)
	{
		Oid			t = TEXTOID;
		Datum		a = CStringGetTextDatum(psprintf("%s.kpi_scan_parts(text)", quote_identifier(nspname)));

		if (SPI_execute_with_args("SELECT pg_catalog.to_regprocedure($1) IS NOT NULL", 1, &t, &a, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "looking up csat.kpi_scan_parts failed");
		kpis = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	gen_args[0] = PointerGetDatum(kind);
	gen_args[1] = ObjectIdGetDatum(relid);
	gen_args[2] = CStringGetTextDatum(part);
	/*
	 * The KPIs' statement comes with its parts (what each column counts),
	 * read in the same statement: the same snapshot of the catalogue.
	 */
	if (SPI_execute_with_args(kpis ? psprintf("SELECT %1$s.source_sql($1, $2, $3), pg_catalog.array_agg(p.code ORDER BY p.ord),"
											  " pg_catalog.array_agg(p.kpi ORDER BY p.ord), pg_catalog.array_agg(p.grp ORDER BY p.ord),"
											  " pg_catalog.array_agg(p.slot ORDER BY p.ord) FROM %1$s.kpi_scan_parts($1) p",
											  quote_identifier(nspname))
							  : psprintf("SELECT %s.source_sql($1, $2, $3)", quote_identifier(nspname)),
							  3, gen_types, gen_args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "csat.source_sql failed");
	query = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
	{
		if (strncmp(part, "kpis", 4) != 0)
			elog(ERROR, "csat.source_sql returned NULL");
		SPI_finish();
		return;
	}
	if (kpis)
	{
		Datum		a[4];

		for (int i = 0; i < 4; i++)
		{
			a[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 2, &isnull);
			if (isnull)
				elog(ERROR, "csat.kpi_scan_parts returned no parts");
		}
		scan = kpi_scan_begin(rsinfo->econtext->ecxt_per_query_memory, DatumGetArrayTypeP(a[0]),
							  DatumGetArrayTypeP(a[1]), DatumGetArrayTypeP(a[2]), DatumGetArrayTypeP(a[3]),
							  params[0]);
	}

	/* run it as the table's owner, restricted, with a pinned search_path */
	csat_switch_to(&sw, owner);

	/*
	 * Grouped by sorting, not hashing: a group's sketches (up to 32 kB each,
	 * several per row) are then the only ones in use while its rows pass; a
	 * hash table keeps every group's at once, and each row's update is a
	 * cache miss (2.3 times slower on the tickets of the demo at scale 1; the
	 * planner's estimate of the hours is far too low to see it).  Undone with
	 * the switch back.  Not for the KPIs' statement, which groups nothing:
	 * kpi_scan.c adds its rows up.
	 */
	if (strncmp(part, "kpis", 4) != 0)
		(void) set_config_option("enable_hashagg", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The rows go straight into the function's result (no copy through
	 * SPI's tuple table), converted to its row type by position: a column
	 * of another type is an error (map_failure_msg); the KPIs' rows into
	 * kpi_scan.c's states.  Executed in one go,
	 * so that the planner may use parallel workers on a large table.
	 */
	paramli = makeParamList(7);
	for (int i = 0; i < 7; i++)
	{
		paramli->params[i].ptype = argtypes[i];
		paramli->params[i].value = params[i];
		paramli->params[i].isnull = nulls[i] == 'n';
		paramli->params[i].pflags = PARAM_FLAG_CONST;
	}
	if (kpis)
		dest = kpi_scan_receiver(scan);
	else
	{
		dest = CreateDestReceiver(DestTuplestore);
		SetTuplestoreDestReceiverParams(dest, rsinfo->setResult,
										rsinfo->econtext->ecxt_per_query_memory, true,
										rsinfo->setDesc,
										psprintf("csat.source_sql(%s) returned rows of another type", part));
	}
	memset(&options, 0, sizeof(options));
	options.params = paramli;
	options.read_only = true;
	options.dest = dest;
	/* (a receiver that keeps the rows itself is DestNone to SPI: SPI_OK_UTILITY) */
	if (SPI_execute_extended(query, &options) != (kpis ? SPI_OK_UTILITY : SPI_OK_SELECT))
		elog(ERROR, "csat.source_sql(%s) failed", part);
	dest->rDestroy(dest);

	csat_switch_back(&sw);
	SPI_finish();

	/* the KPIs' states, added up by kpi_scan.c, as rows */
	if (kpis)
	{
		kpi_scan_emit(scan, rsinfo->setResult, rsinfo->setDesc,
					  strcmp(text_to_cstring(kind), "returns") != 0);
		kpi_scan_end(scan);
	}
}

/*
 * csat.source_partials(kind, source, tz, lo, hi): the partial rollup states
 * (csat.rollup_hourly rows, without the 'all' totals) of one mapped orders,
 * tickets or surveys table, over every hour or over the ranges [lo[i], hi[i]).
 */
Datum
csat_source_partials(PG_FUNCTION_ARGS)
{
	Datum		params[7];
	char		nulls[7] = {' ', ' ', ' ', 'n', 'n', 'n', 'n'};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind, source and time zone must not be null")));
	params[0] = PG_GETARG_DATUM(2);
	for (int i = 1; i <= 2; i++)
	{
		params[i] = PG_ARGISNULL(i + 2) ? (Datum) 0 : PG_GETARG_DATUM(i + 2);
		nulls[i] = PG_ARGISNULL(i + 2) ? 'n' : ' ';
	}
	params[3] = (Datum) 0;
	params[4] = params[5] = params[6] = (Datum) 0;
	read_as_owner(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_OID(1),
				  PG_ARGISNULL(3) ? "partials" : "partials_ranged", params, nulls);
	return (Datum) 0;
}

/*
 * csat.source_rows(kind, source, part, lo, hi, keys): the rows of one part of
 * a mapped table that csat merges across tables as the caller (returns and
 * the channel and segment of their orders; see csat.source_sql).
 */
Datum
csat_source_rows(PG_FUNCTION_ARGS)
{
	Datum		params[7];
	char		nulls[7] = {'n', ' ', ' ', ' ', 'n', 'n', 'n'};
	char	   *part;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind, source and part must not be null")));
	part = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strncmp(part, "partials", 8) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("part \"%s\" is read by csat.source_partials", part)));
	/* the returns of some hours only */
	if (strcmp(part, "returns") == 0 && !PG_ARGISNULL(3))
		part = "returns_ranged";
	params[0] = (Datum) 0;
	params[4] = params[5] = params[6] = (Datum) 0;
	for (int i = 1; i <= 3; i++)
	{
		params[i] = PG_ARGISNULL(i + 2) ? (Datum) 0 : PG_GETARG_DATUM(i + 2);
		nulls[i] = PG_ARGISNULL(i + 2) ? 'n' : ' ';
	}
	read_as_owner(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_OID(1), part, params, nulls);
	return (Datum) 0;
}

/*
 * csat.source_kpis(kind, source, tz, lo, hi, as_of, day_lo, day_hi): the partial states of
 * every enabled KPI of csat.kpis over one mapped table (csat.kpi_partial rows,
 * see csat.kpi_source_sql), over every hour or the hours in [lo[i], hi[i]),
 * as of as_of.
 */
Datum
csat_source_kpis(PG_FUNCTION_ARGS)
{
	Datum		params[7];
	char		nulls[7] = {' ', ' ', ' ', 'n', ' ', ' ', ' '};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind, source, time zone and as_of must not be null")));
	params[0] = PG_GETARG_DATUM(2);
	for (int i = 1; i <= 2; i++)
	{
		params[i] = PG_ARGISNULL(i + 2) ? (Datum) 0 : PG_GETARG_DATUM(i + 2);
		nulls[i] = PG_ARGISNULL(i + 2) ? 'n' : ' ';
	}
	params[3] = (Datum) 0;
	params[4] = PG_GETARG_DATUM(5);
	for (int i = 5; i <= 6; i++)
	{
		params[i] = PG_ARGISNULL(i + 1) ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
		nulls[i] = PG_ARGISNULL(i + 1) ? 'n' : ' ';
	}
	read_as_owner(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_OID(1),
				  PG_ARGISNULL(3) ? "kpis" : "kpis_ranged", params, nulls);
	return (Datum) 0;
}
