/*
 * watch_citus_sweep.c: what the coordinator's csat.sweep() does for watched
 * Citus distributed tables beyond sweeping them (watch_citus.c): announce
 * what their shards logged, since a NOTIFY sent on a worker reaches only
 * that worker's listeners.
 */
#include "watch.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* what one sweep announces of a rule and a table */
typedef struct Announce
{
	char	   *rule;
	char	   *source;
	int64		count;
	bool		breach;
} Announce;

static bool
rule_notifies(WatchCache *cache, const char *rule)
{
	ListCell   *lc;

	foreach(lc, cache->defs)
	{
		WatchDef   *def = lfirst(lc);

		for (int r = 0; r < def->nrules; r++)
			if (def->rules[r]->notify && strcmp(def->rules[r]->name, rule) == 0)
				return true;
	}
	return false;
}

/*
 * NOTIFY csat_breach, from the coordinator's csat.sweep(), for what the
 * shards logged since the last sweep (a NOTIFY on a worker would reach only
 * that worker's listeners): the breach rows not announced yet are marked in
 * the sweep's own distributed transaction, and one notification per rule
 * with notify and table is sent at its commit, as on one node.  An
 * escalation is announced again.  Rows of rules without notify are marked
 * too.  Inside SPI; nothing without Citus or on a worker.
 */
void
watch_citus_announce(WatchCache *cache)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	List	   *tables = NIL;
	ListCell   *lc;
	CsatUserSwitch sw;

	if (!watch_citus_on_coordinator())
		return;
	/* what the coordinator's placements of reference tables logged */
	watch_citus_announce_reference();
	args[0] = CStringGetTextDatum(get_namespace_name(csat_extension_schema(false)));
	if (SPI_execute_with_args("SELECT pg_catalog.format('%I.%I', $1, c.relname) FROM pg_catalog.pg_dist_partition p"
							  " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid"
							  " WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident($1))"
							  " AND c.relname OPERATOR(pg_catalog.=) ('citus_breaches_' OPERATOR(pg_catalog.||) p.colocationid)"
							  " ORDER BY 1", 1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_partition failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		tables = lappend(tables, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	csat_switch_to(&sw, watch_breaches_owner);
	foreach(lc, tables)
	{
		/* marked and read in one statement: a row logged meanwhile waits for the next sweep */
		List	   *seen = NIL;		/* Announce per (rule, source) */
		ListCell   *ac;

		if (SPI_execute(psprintf(csat_sql("UPDATE %s SET notified = true WHERE NOT notified"
										  " RETURNING rule, source, level OPERATOR(pg_catalog.=) 'breach'::@extschema@.level"),
								 (char *) lfirst(lc)), false, 0) != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "marking %s failed", (char *) lfirst(lc));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	d = SPI_tuptable->tupdesc;
			char	   *rule = SPI_getvalue(t, d, 1);
			char	   *source = SPI_getvalue(t, d, 2);
			bool		isnull;
			Announce   *a = NULL;

			foreach(ac, seen)
			{
				Announce   *x = lfirst(ac);

				if (strcmp(x->rule, rule) == 0 && strcmp(x->source, source) == 0)
					a = x;
			}
			if (a == NULL)
			{
				a = palloc0(sizeof(Announce));
				a->rule = rule;
				a->source = source;
				seen = lappend(seen, a);
			}
			a->count++;
			a->breach |= DatumGetBool(SPI_getbinval(t, d, 3, &isnull));
		}
		foreach(ac, seen)
		{
			Announce   *a = lfirst(ac);

			if (!rule_notifies(cache, a->rule))
				continue;
			watch_notify_breach(a->rule, a->source, a->count, a->breach);
		}
	}
	csat_switch_back(&sw);
}
