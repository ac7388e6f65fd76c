/*
 * watch_citus_shard.c: the watch trigger on a shard or placement of a Citus
 * table (watch_citus.c, watch_citus_ref.c), and what it needs to know of the
 * shard from its node's Citus metadata: the table it belongs to, the node's
 * group, the co-located shard of the group's breach table and its key type,
 * whether a reference table has a placement on the coordinator, whether the
 * copies of the configuration are on the node.
 *
 * That read costs a catalog query per statement and shard, so it is cached
 * per backend, by the shard relation's OID.  Any relcache invalidation
 * empties the cache: Citus sends one for every change to its metadata
 * (pg_dist_partition, pg_dist_shard, pg_dist_placement, pg_dist_node and
 * pg_dist_local_group, whose triggers invalidate the tables concerned or the
 * catalog itself), and creating or dropping a breach table or a copy is DDL.
 */
#include "watch.h"
#include "track.h"

#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* what the trigger on one shard needs, read from its node's metadata */
typedef struct ShardInfo
{
	Oid			shard;			/* hash key: the shard relation */
	Oid			logical;		/* the Citus table, this node's OID */
	int			group;			/* this node's Citus group (0: coordinator) */
	char	   *breach_shard;	/* co-located shard of the breach table, quoted; NULL: none */
	Oid			keytype;		/* type of its key column */
	bool		reference;		/* a placement of a reference or Citus local table */
	bool		coordinator;	/* ... which has a placement on the coordinator */
	bool		have_mirrors;	/* the copies of the configuration are here (workers) */
} ShardInfo;

static MemoryContext shard_cxt = NULL;	/* holds the hash and its strings */
static HTAB *shard_cache = NULL;
static bool shard_cache_stale = false;
static bool shard_callback_registered = false;

static void
shard_cache_callback(Datum arg, Oid relid)
{
	shard_cache_stale = true;
}

/* read what the trigger on rel needs; false when rel is no shard.  Inside SPI */
static bool
read_shard_info(Relation rel, int64 shardid, ShardInfo *info)
{
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		args[3];
	bool		isnull;

	args[0] = Int64GetDatum(shardid);
	args[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
															 RelationGetRelationName(rel)));
	args[2] = CStringGetTextDatum(get_namespace_name(csat_extension_schema(false)));
	/* the shard's table and the co-located shard of its group's breach table, from local metadata */
	if (SPI_execute_with_args("SELECT s.logicalrelid::pg_catalog.oid, (SELECT l.groupid FROM pg_catalog.pg_dist_local_group l),"
							  " (SELECT pg_catalog.shard_name(b.logicalrelid, b.shardid, false) FROM pg_catalog.pg_dist_shard b"
							  " JOIN pg_catalog.pg_dist_partition bp ON bp.logicalrelid OPERATOR(pg_catalog.=) b.logicalrelid"
							  " AND bp.colocationid OPERATOR(pg_catalog.=) p.colocationid"
							  " WHERE b.logicalrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.quote_ident($3)"
							  " OPERATOR(pg_catalog.||) '.citus_breaches_' OPERATOR(pg_catalog.||) p.colocationid)"
							  " AND b.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue),"
							  " (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=)"
							  " pg_catalog.to_regclass(pg_catalog.quote_ident($3) OPERATOR(pg_catalog.||) '.citus_breaches_'"
							  " OPERATOR(pg_catalog.||) p.colocationid) AND a.attname OPERATOR(pg_catalog.=) 'key'),"
							  " p.partmethod OPERATOR(pg_catalog.=) 'n',"
							  " EXISTS (SELECT FROM pg_catalog.pg_dist_placement pl WHERE pl.shardid OPERATOR(pg_catalog.=) s.shardid"
							  " AND pl.groupid OPERATOR(pg_catalog.=) 0)"
							  " FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_dist_partition p"
							  " ON p.logicalrelid OPERATOR(pg_catalog.=) s.logicalrelid"
							  " WHERE s.shardid OPERATOR(pg_catalog.=) $1"
							  " AND pg_catalog.shard_name(s.logicalrelid, s.shardid, false) OPERATOR(pg_catalog.=) $2",
							  3, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_shard failed");
	if (SPI_processed == 0)
		return false;
	info->logical = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	info->group = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	info->breach_shard = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	info->keytype = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	info->reference = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));
	info->coordinator = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull));
	info->have_mirrors = true;
	if (info->group != 0 && !info->reference)
	{
		char	   *names[5];

		info->have_mirrors = watch_citus_mirror_tables(names);
	}
	return true;
}

/*
 * What the trigger on rel needs, from the cache or read and cached (its
 * strings in memory of the caller's); false when rel is no shard.
 */
static bool
shard_info(Relation rel, ShardInfo *info)
{
	int64		shardid = csat_shard_id_of(rel);
	Oid			relid = RelationGetRelid(rel);
	ShardInfo  *entry;
	bool		found;
	MemoryContext upper = CurrentMemoryContext;

	if (shardid < 0 || !OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	if (!shard_callback_registered)
	{
		CacheRegisterRelcacheCallback(shard_cache_callback, (Datum) 0);
		shard_callback_registered = true;
	}
	if (shard_cache_stale && shard_cxt != NULL)
	{
		MemoryContextDelete(shard_cxt);
		shard_cxt = NULL;
		shard_cache = NULL;
	}
	/* set before reading: an invalidation meanwhile empties the cache at the next call */
	shard_cache_stale = false;
	if (shard_cache != NULL)
	{
		entry = hash_search(shard_cache, &relid, HASH_FIND, NULL);
		if (entry != NULL)
		{
			*info = *entry;
			if (entry->breach_shard)
				info->breach_shard = pstrdup(entry->breach_shard);
			return true;
		}
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	found = read_shard_info(rel, shardid, info);
	if (found && info->breach_shard)
		info->breach_shard = MemoryContextStrdup(upper, info->breach_shard);
	SPI_finish();
	if (!found)
		return false;
	if (shard_cache == NULL)
	{
		HASHCTL		ctl;

		shard_cxt = AllocSetContextCreate(CacheMemoryContext, "csat Citus shard cache", ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ShardInfo);
		ctl.hcxt = shard_cxt;
		shard_cache = hash_create("csat Citus shards", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(shard_cache, &relid, HASH_ENTER, NULL);
	*entry = *info;
	entry->shard = relid;
	entry->breach_shard = info->breach_shard ? MemoryContextStrdup(shard_cxt, info->breach_shard) : NULL;
	return true;
}

/*
 * The watch trigger fired on rel, which no watch of this node's csat.watches
 * names: if rel is a shard of a watched distributed table, judge the
 * statement's rows with the configuration this node has (csat's own tables
 * on the coordinator, their copies on a worker) and log them into the
 * co-located shard of the group's breach table; a placement of a reference
 * table goes to watch_citus_reference_shard.  False when rel is no shard.
 */
bool
watch_citus_shard(TriggerData *td, WatchCache *own)
{
	WatchCache *volatile cache = own;
	ShardInfo	info;
	WatchTarget target;
	WatchCache *volatile mirror = NULL;
	List	   *volatile defs = NIL;
	ListCell   *lc;

	if (!shard_info(td->tg_relation, &info))
		return false;
	if (info.reference)
	{
		watch_citus_reference_shard(td, own, info.logical, info.group, info.coordinator);
		return true;
	}
	target.table = info.breach_shard;
	target.keytype = info.keytype;
	target.remote = false;

	/* the coordinator's own registry names its tables; a worker's copies, by name */
	if (info.group != 0)
		cache = mirror = watch_cache_pin_mirror();
	PG_TRY();
	{
		foreach(lc, cache->defs)
		{
			WatchDef   *def = lfirst(lc);

			if (def->relid == info.logical && def->nrules > 0)
				defs = lappend(defs, def);
		}
		if (!info.have_mirrors)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("csat's configuration is not on this node"),
					 errdetail("Table \"%s\" has csat's watch triggers, but no table was watched with csat.watch after it was distributed.",
							   get_rel_name(info.logical)),
					 errhint("Run csat.sweep() on the coordinator, which puts it there.")));
		if (defs != NIL && target.table == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("distributed table \"%s\" has no breach table", get_rel_name(info.logical)),
					 errdetail("It was distributed, or moved to another co-location group, after it was watched."),
					 errhint("Run csat.sweep() on the coordinator, which creates it.")));
		if (defs != NIL)
			watch_statement_into(td, defs, &target);
	}
	PG_FINALLY();
	{
		if (mirror)
			watch_cache_unpin(mirror);
	}
	PG_END_TRY();
	return true;
}
