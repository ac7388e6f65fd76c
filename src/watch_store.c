/*
 * watch_store.c: writing breaches.  watch_store_batch is the one way rows
 * get into csat.breaches: it folds duplicates and writes the batch as the
 * owner of csat's tables, by a direct heap and index insertion when the rows
 * are most likely new, else by a set-based INSERT ... ON CONFLICT.  Also the
 * NOTIFY csat_breach of what a statement logged.
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
#include "catalog/pg_index.h"
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

/* upsert plans, prepared once per backend: [returning] */
static SPIPlanPtr upsert_plans[2];

/*
 * Batches from INSERTs first try a direct insertion (see try_direct_insert;
 * about twice as fast as the upsert) when the batch is big enough to pay for
 * the subtransaction; after it met a logged row, the next FASTPATH_BACKOFF
 * batches go straight to the upsert.
 */
#define FASTPATH_BACKOFF 64
/* below this many rows the subtransaction costs more than it saves */
#define FASTPATH_MIN_ROWS 64
/* rows per heap multi-insert of the fast path */
#define MULTI_INSERT_ROWS 1000
static int	fastpath_backoff = 0;

static Batch *sort_batch;

static int
batch_entry_cmp(const void *a, const void *b)
{
	int			i = *(const int *) a,
				j = *(const int *) b;
	Pointer		ki = DatumGetPointer(sort_batch->key[i]);
	Pointer		kj = DatumGetPointer(sort_batch->key[j]);
	size_t		li = VARSIZE_ANY_EXHDR(ki),
				lj = VARSIZE_ANY_EXHDR(kj);
	int			c;

	/* key, then rule: the order of the primary key, for local index inserts */
	c = memcmp(VARDATA_ANY(ki), VARDATA_ANY(kj), Min(li, lj));
	if (c != 0)
		return c;
	if (li != lj)
		return li < lj ? -1 : 1;
	if (sort_batch->rule[i] != sort_batch->rule[j])
		return strcmp(sort_batch->rule[i]->name, sort_batch->rule[j]->name);
	/* worst level first, so dedup keeps it */
	return sort_batch->level[j] - sort_batch->level[i];
}

/*
 * Sorting compares the first eight bytes of the keys as one integer first
 * (zero-padded, big-endian: the same order as batch_entry_cmp's), the whole
 * entry only when they are equal; the sort was most of what the batch path
 * cost beyond its floor.
 */
typedef struct SortEntry
{
	uint64		prefix;
	int			idx;
} SortEntry;

static uint64
key_prefix(Datum key)
{
	Pointer		p = DatumGetPointer(key);
	size_t		len = VARSIZE_ANY_EXHDR(p);
	const unsigned char *d = (const unsigned char *) VARDATA_ANY(p);
	uint64		v = 0;

	for (size_t i = 0; i < 8; i++)
		v = (v << 8) | (i < len ? d[i] : 0);
	return v;
}

static int
sort_entry_cmp(const void *a, const void *b)
{
	const SortEntry *x = a;
	const SortEntry *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return batch_entry_cmp(&x->idx, &y->idx);
}

static bool
key_equal(Datum a, Datum b)
{
	Pointer		pa = DatumGetPointer(a),
				pb = DatumGetPointer(b);

	return VARSIZE_ANY_EXHDR(pa) == VARSIZE_ANY_EXHDR(pb) &&
		memcmp(VARDATA_ANY(pa), VARDATA_ANY(pb), VARSIZE_ANY_EXHDR(pa)) == 0;
}

static SPIPlanPtr
prepare_upsert(bool returning)
{
	Oid			argtypes[7] = {TEXTARRAYOID, REGCLASSOID, TEXTARRAYOID, FLOAT8ARRAYOID,
	FLOAT8ARRAYOID, INT4ARRAYOID, TIMESTAMPTZOID};
	StringInfoData q;
	SPIPlanPtr	plan;

	/* everything schema-qualified: this runs as csat's owner under any search_path */
	initStringInfo(&q);
	appendStringInfoString(&q,
						   "INSERT INTO @extschema@.breaches AS b (rule, source, row_key, observed, threshold, level, observed_at)"
						   " SELECT u.r, $2, u.k, u.o, u.t,"
						   " (ARRAY['warning'::@extschema@.level, 'breach'::@extschema@.level])[u.l], $7"
						   " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($3), pg_catalog.unnest($4),"
						   " pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(r, k, o, t, l)"
						   " ON CONFLICT (source, row_key, rule) DO UPDATE"
						   " SET observed = excluded.observed, threshold = excluded.threshold,"
						   " level = excluded.level, observed_at = excluded.observed_at"
						   " WHERE excluded.level OPERATOR(pg_catalog.>) b.level");
	if (returning)
		appendStringInfoString(&q, " RETURNING b.rule, b.level OPERATOR(pg_catalog.=) 'breach'::@extschema@.level");
	plan = SPI_prepare(csat_sql(q.data), 7, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

static int
execute_upsert(bool returning, Datum *args)
{
	if (upsert_plans[returning] == NULL)
		upsert_plans[returning] = prepare_upsert(returning);
	return SPI_execute_plan(upsert_plans[returning], args, NULL, false, 0);
}

/* a csat.breaches row into slot: rule, source, row_key, observed, threshold, level, observed_at */
static void
fill_breach_slot(TupleTableSlot *slot, Datum rule, Oid source, Datum key, Datum obs,
				 Datum thr, Datum lev, TimestampTz at)
{
	ExecClearTuple(slot);
	slot->tts_values[0] = rule;
	slot->tts_values[1] = ObjectIdGetDatum(source);
	slot->tts_values[2] = key;
	slot->tts_values[3] = obs;
	slot->tts_values[4] = thr;
	slot->tts_values[5] = csat_level_datum(DatumGetInt32(lev));
	slot->tts_values[6] = TimestampTzGetDatum(at);
	memset(slot->tts_isnull, 0, sizeof(bool) * 7);
	ExecStoreVirtualTuple(slot);
}

/*
 * May rows go straight into csat.breaches' heap and indexes?  Only while it
 * is exactly as csat created it: the seven columns of fill_breach_slot with
 * their types, no defaults or generated columns, no triggers (a deferrable
 * unique or exclusion constraint has one too), no forced row security (the
 * owner we write as is not subject to row security otherwise), and an
 * immediate primary key on (source, row_key, rule), which both direct paths
 * rely on to meet rows logged already.  Anything else goes through SQL,
 * which honours all of it.  CHECK and NOT NULL constraints are checked by
 * the direct paths themselves (ExecConstraints).
 */
static bool
breaches_direct_ok(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			types[7] = {TEXTOID, REGCLASSOID, TEXTOID, FLOAT8OID, FLOAT8OID,
	watch_level_typid, TIMESTAMPTZOID};
	static const AttrNumber pk_columns[3] = {2, 3, 1};
	Oid			pk;
	HeapTuple	tup;
	bool		ok;

	if (rel->trigdesc != NULL || rel->rd_rel->relforcerowsecurity ||
		rel->rd_rel->relkind != RELKIND_RELATION || desc->natts != 7 ||
		(desc->constr && (desc->constr->has_generated_stored || desc->constr->num_defval > 0)))
		return false;
	for (int i = 0; i < 7; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atthasdef || att->attgenerated ||
			att->atttypid != types[i])
			return false;
	}
	pk = csat_primary_key_index(rel);
	if (!OidIsValid(pk))
		return false;
	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk));
	if (!HeapTupleIsValid(tup))
		return false;
	{
		Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);

		ok = idx->indimmediate && idx->indisvalid && idx->indnkeyatts == 3 &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL);
		for (int i = 0; ok && i < 3; i++)
			ok = idx->indkey.values[i] == pk_columns[i];
	}
	ReleaseSysCache(tup);
	return ok;
}

/*
 * Executor state for a direct insertion into rel.  The result relation is
 * in no range table (index 0), as for a trigger's target: constraint
 * failures are reported the way INSERT reports them.
 */
static ResultRelInfo *
direct_begin(Relation rel, EState **estate, bool speculative)
{
	ResultRelInfo *rri = makeNode(ResultRelInfo);

	*estate = CreateExecutorState();
	InitResultRelInfo(rri, rel, 0, NULL, 0);
	ExecOpenIndices(rri, speculative);
	return rri;
}

static void
direct_end(ResultRelInfo *rri, EState *estate)
{
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
}

/* index entries of a row just put in the heap; nothing may be left to check at commit */
static void
direct_index(ResultRelInfo *rri, TupleTableSlot *slot, EState *estate,
			 bool *spec_conflict, List *arbiters)
{
	List	   *recheck = csat_insert_index_tuples(rri, slot, estate, spec_conflict != NULL,
												   spec_conflict, arbiters);

	/* breaches_direct_ok admits no deferrable index; a recheck would be lost */
	if (recheck != NIL)
		elog(ERROR, "csat.breaches has an index checked only at commit");
}

/*
 * The fast path for rows that are most likely new: heap and index insertion
 * the way COPY does it, no SQL at all, in a subtransaction so that meeting a
 * row logged already (unique_violation from the primary key) can be undone
 * and the batch retried as an upsert.  Returns false then; other errors
 * propagate.  rel passed breaches_direct_ok.
 */
/* try_direct_insert's arguments, for its subtransaction */
typedef struct DirectInsert
{
	Relation	rel;
	int			m;
	Datum	   *rules,
			   *keys,
			   *obs,
			   *thr,
			   *lev;
	Oid			source;
	TimestampTz at;
} DirectInsert;

static void
direct_insert(void *arg)
{
	DirectInsert *d = arg;
	Relation	rel = d->rel;
	int			m = d->m;
	Datum	   *rules = d->rules,
			   *keys = d->keys,
			   *obs = d->obs,
			   *thr = d->thr,
			   *lev = d->lev;
	Oid			source = d->source;
	TimestampTz at = d->at;
	EState	   *estate;
	ResultRelInfo *rri = direct_begin(rel, &estate, false);
	TupleTableSlot *slots[MULTI_INSERT_ROWS];
	CommandId	cid = GetCurrentCommandId(true);
	bool		constraints = RelationGetDescr(rel)->constr != NULL;

	for (int j = 0; j < MULTI_INSERT_ROWS; j++)
		slots[j] = table_slot_create(rel, NULL);
	/* heap pages filled many rows at a time, as COPY does; then the index entries */
	for (int first = 0; first < m; first += MULTI_INSERT_ROWS)
	{
		int			n = Min(m - first, MULTI_INSERT_ROWS);

		for (int j = 0; j < n; j++)
		{
			int			i = first + j;

			fill_breach_slot(slots[j], rules[i], source, keys[i], obs[i], thr[i], lev[i], at);
			if (constraints)
				ExecConstraints(rri, slots[j], estate);
			ResetPerTupleExprContext(estate);
		}
		table_multi_insert(rel, slots, n, cid, 0, NULL);
		for (int j = 0; j < n; j++)
		{
			direct_index(rri, slots[j], estate, NULL, NIL);
			ResetPerTupleExprContext(estate);
		}
	}
	for (int j = 0; j < MULTI_INSERT_ROWS; j++)
		ExecDropSingleTupleTableSlot(slots[j]);
	direct_end(rri, estate);
	CommandCounterIncrement();
}

static bool
try_direct_insert(Relation rel, int m, Datum *rules, Datum *keys, Datum *obs, Datum *thr,
				  Datum *lev, Oid source, TimestampTz at)
{
	DirectInsert d = {rel, m, rules, keys, obs, thr, lev, source, at};
	ErrorData  *edata = csat_try_in_subxact(direct_insert, &d);

	if (edata == NULL)
		return true;
	if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
		ReThrowError(edata);
	FreeErrorData(edata);
	return false;
}

/*
 * The path for a few rows (a single-row INSERT or UPDATE that crossed a
 * threshold), where starting the upsert's executor costs more than the
 * insertion itself: each row not logged yet is inserted the way INSERT ... ON
 * CONFLICT does it, a check of the primary key first, then a speculative heap
 * insertion that the index insertion confirms or, when a concurrent writer
 * got there first, withdraws.  inserted[i] says which rows went in; the rest
 * (rows met in the log) are left to the upsert.  Returns how many went in.
 * rel passed breaches_direct_ok.
 */
static int
insert_new_rows(Relation rel, int m, Datum *rules, Datum *keys, Datum *obs, Datum *thr,
				Datum *lev, Oid source, TimestampTz at, bool *inserted)
{
	EState	   *estate;
	ResultRelInfo *rri = direct_begin(rel, &estate, true);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	CommandId	cid = GetCurrentCommandId(true);
	List	   *arbiters = list_make1_oid(csat_primary_key_index(rel));
	bool		constraints = RelationGetDescr(rel)->constr != NULL;
	int			n = 0;

	for (int i = 0; i < m; i++)
	{
		ItemPointerData conflict;
		TransactionId xid;
		uint32		token;
		bool		spec_conflict = false;

		inserted[i] = false;
		fill_breach_slot(slot, rules[i], source, keys[i], obs[i], thr[i], lev[i], at);
		if (constraints)
			ExecConstraints(rri, slot, estate);
		if (!csat_check_index_constraints(rri, slot, estate, &conflict, arbiters))
			continue;
		xid = GetCurrentTransactionId();
		token = SpeculativeInsertionLockAcquire(xid);
		table_tuple_insert_speculative(rel, slot, cid, 0, NULL, token);
		direct_index(rri, slot, estate, &spec_conflict, arbiters);
		table_tuple_complete_speculative(rel, slot, token, !spec_conflict);
		SpeculativeInsertionLockRelease(xid);
		inserted[i] = !spec_conflict;
		n += inserted[i] ? 1 : 0;
		ResetPerTupleExprContext(estate);
	}
	ExecDropSingleTupleTableSlot(slot);
	direct_end(rri, estate);
	if (n > 0)
		CommandCounterIncrement();
	return n;
}

/*
 * Upsert the batch into csat.breaches as the owner of csat's tables.  The
 * caller is connected to SPI.  Duplicate (rule, key) pairs within one batch
 * (a key column that is not unique) are folded first: ON CONFLICT DO UPDATE
 * refuses to touch a row twice in one command.
 */
void
watch_store_batch(Batch *batch)
{
	int		   *idx;
	int			m = 0;
	WatchRule **distinct;
	WatchRule **entry_rule;
	int			nrules = 0;
	bool		notify = false;
	bool		done = false;
	Datum	   *rules,
			   *keys,
			   *obs,
			   *thr,
			   *lev;
	Datum		args[7];
	Oid			save_user;
	int			save_sec;
	int			rc;
	Relation	rel;
	bool		direct;

	if (batch->n == 0)
		return;

	idx = palloc(sizeof(int) * batch->n);
	if (batch->n > 1)
	{
		SortEntry  *order = palloc(sizeof(SortEntry) * batch->n);

		for (int i = 0; i < batch->n; i++)
		{
			order[i].prefix = key_prefix(batch->key[i]);
			order[i].idx = i;
		}
		sort_batch = batch;
		qsort(order, batch->n, sizeof(SortEntry), sort_entry_cmp);
		for (int i = 0; i < batch->n; i++)
			idx[i] = order[i].idx;
		pfree(order);
	}
	else
		idx[0] = 0;
	distinct = palloc(sizeof(WatchRule *) * batch->n);
	entry_rule = palloc(sizeof(WatchRule *) * batch->n);
	rules = palloc(sizeof(Datum) * batch->n);
	keys = palloc(sizeof(Datum) * batch->n);
	obs = palloc(sizeof(Datum) * batch->n);
	thr = palloc(sizeof(Datum) * batch->n);
	lev = palloc(sizeof(Datum) * batch->n);
	for (int k = 0; k < batch->n; k++)
	{
		int			i = idx[k];

		if (m > 0 && batch->rule[i]->name_text == rules[m - 1] && key_equal(batch->key[i], keys[m - 1]))
			continue;
		{
			int			d = 0;

			while (d < nrules && distinct[d] != batch->rule[i])
				d++;
			if (d == nrules)
				distinct[nrules++] = batch->rule[i];
		}
		entry_rule[m] = batch->rule[i];
		rules[m] = batch->rule[i]->name_text;
		keys[m] = batch->key[i];
		obs[m] = Float8GetDatum(batch->observed[i]);
		thr[m] = Float8GetDatum(batch->threshold[i]);
		lev[m] = Int32GetDatum(batch->level[i]);
		notify |= batch->rule[i]->notify;
		m++;
	}
	if (batch->citus != NULL)
	{
		/* a Citus distributed table's breaches: its group's breach table */
		watch_citus_store(batch, m, rules, keys, obs, thr, lev);
		done = true;
		goto cleanup;
	}
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(watch_breaches_owner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	/* one shape check for both direct paths; the lock is kept to the end anyway */
	rel = table_open(watch_breaches_relid, RowExclusiveLock);
	direct = breaches_direct_ok(rel);
	if (!direct)
		;						/* everything goes through SQL */
	else if (batch->mostly_new && m >= FASTPATH_MIN_ROWS)
	{
		if (fastpath_backoff > 0)
			fastpath_backoff--;
		else if (try_direct_insert(rel, m, rules, keys, obs, thr, lev, batch->source, batch->observed_at))
			done = true;
		else
			fastpath_backoff = FASTPATH_BACKOFF;
		if (done)
		{
			/* every row was new */
			batch->written += m;
			for (int k = 0; k < m; k++)
			{
				entry_rule[k]->logged++;
				entry_rule[k]->worst = Max(entry_rule[k]->worst, DatumGetInt32(lev[k]));
			}
		}
	}
	else if (m < FASTPATH_MIN_ROWS)
	{
		bool	   *inserted = palloc(sizeof(bool) * m);
		int			n = insert_new_rows(rel, m, rules, keys, obs, thr, lev, batch->source,
										batch->observed_at, inserted);

		if (n > 0)
		{
			int			left = 0;

			/* count what went in; keep the rest, met in the log, for the upsert */
			batch->written += n;
			for (int k = 0; k < m; k++)
			{
				if (inserted[k])
				{
					entry_rule[k]->logged++;
					entry_rule[k]->worst = Max(entry_rule[k]->worst, DatumGetInt32(lev[k]));
					continue;
				}
				rules[left] = rules[k];
				keys[left] = keys[k];
				obs[left] = obs[k];
				thr[left] = thr[k];
				lev[left] = lev[k];
				left++;
			}
			m = left;
		}
		pfree(inserted);
		done = m == 0;
	}
	table_close(rel, NoLock);
	if (!done)
	{
		args[0] = PointerGetDatum(construct_array(rules, m, TEXTOID, -1, false, TYPALIGN_INT));
		args[1] = ObjectIdGetDatum(batch->source);
		args[2] = PointerGetDatum(construct_array(keys, m, TEXTOID, -1, false, TYPALIGN_INT));
		args[3] = PointerGetDatum(construct_array(obs, m, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[4] = PointerGetDatum(construct_array(thr, m, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[5] = PointerGetDatum(construct_array(lev, m, INT4OID, 4, true, TYPALIGN_INT));
		args[6] = TimestampTzGetDatum(batch->observed_at);
		rc = execute_upsert(notify, args);
		if (rc != (notify ? SPI_OK_INSERT_RETURNING : SPI_OK_INSERT))
			elog(ERROR, "upsert into csat.breaches failed: %s", SPI_result_code_string(rc));
		batch->written += SPI_processed;
		if (notify)
		{
			/* count what was actually logged, per rule, for the notification */
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				bool		isnull;
				char	   *name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
				bool		is_breach = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

				for (int k = 0; k < nrules; k++)
				{
					WatchRule  *r = distinct[k];

					if (strcmp(r->name, name) == 0)
					{
						r->logged++;
						r->worst = Max(r->worst, is_breach ? 2 : 1);
						break;
					}
				}
				pfree(name);
			}
			SPI_freetuptable(SPI_tuptable);
		}
		for (int i = 0; i < 6; i++)
			if (i != 1)			/* args[1] is the source oid */
				pfree(DatumGetPointer(args[i]));
	}
	SetUserIdAndSecContext(save_user, save_sec);
cleanup:
	batch->n = 0;
	MemoryContextReset(batch->keycxt);
	pfree(distinct);
	pfree(entry_rule);
	pfree(idx);
	pfree(rules);
	pfree(keys);
	pfree(obs);
	pfree(thr);
	pfree(lev);
}

/* one NOTIFY csat_breach per rule with notify that logged something */
void
watch_send_notifications(List *defs, Oid source)
{
	ListCell   *lc;
	char	   *srcname = NULL;

	foreach(lc, defs)
	{
		WatchDef   *def = lfirst(lc);

		for (int i = 0; i < def->nrules; i++)
		{
			WatchRule  *r = def->rules[i];

			if (!r->notify || r->logged == 0)
				continue;
			if (srcname == NULL)
				srcname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
													 get_rel_name(source));
			watch_notify_breach(r->name, srcname, r->logged, r->worst == 2);
			r->logged = 0;
			r->worst = 0;
		}
	}
}

void
watch_reset_counts(List *defs)
{
	ListCell   *lc;

	foreach(lc, defs)
	{
		WatchDef   *def = lfirst(lc);

		for (int i = 0; i < def->nrules; i++)
			def->rules[i]->logged = def->rules[i]->worst = 0;
	}
}

/*
 * NOTIFY csat_breach with the payload every breach announcement has (one
 * node's triggers, the coordinator's sweep for Citus tables):
 * {"rule": ..., "source": ..., "count": n, "level": "breach"|"warning"}.
 */
void
watch_notify_breach(const char *rule, const char *source, int64 count, bool breach)
{
	StringInfoData p;

	initStringInfo(&p);
	appendStringInfoString(&p, "{\"rule\": ");
	escape_json(&p, rule);
	appendStringInfoString(&p, ", \"source\": ");
	escape_json(&p, source);
	appendStringInfo(&p, ", \"count\": " INT64_FORMAT ", \"level\": \"%s\"}",
					 count, breach ? "breach" : "warning");
	Async_Notify("csat_breach", p.data);
	pfree(p.data);
}
