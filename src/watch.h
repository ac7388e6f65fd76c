/*
 * watch.h: what the files of family "watch" (breach flagging on the user's
 * tables) share.
 *
 *   watch_cache.c    the per-backend cache of rules, watches and calendars,
 *                    and the trigger that invalidates it (watch_config_changed)
 *   watch_eval.c     binding a watch to a tuple descriptor, choosing the rule
 *                    of a row and judging it; rows past a threshold go to a Batch
 *   watch_store.c    the one way into csat.breaches: watch_store_batch, and
 *                    the NOTIFY of what was logged
 *   watch_trigger.c  the statement trigger on watched tables, installing and
 *                    removing it, and the event trigger for new partitions
 *   watch_api.c      csat.watch, csat.unwatch and csat.sweep
 *   watch_citus.c    the same on the shards of Citus distributed tables
 *   watch_citus_ref.c    ... and on the placements of Citus reference tables
 *   watch_citus_sweep.c  NOTIFY of their breaches from the coordinator's sweep
 *   watch_citus_drop.c   DROP EXTENSION csat takes csat's Citus tables along
 *
 * csat.watch() registers (table, metric) in csat.watches and installs two
 * statement-level AFTER triggers (INSERT, UPDATE) with transition tables on
 * the table.  The trigger walks the transition table in C, picks the most
 * specific enabled rule of csat.rules for each row, and logs the rows past a
 * threshold into csat.breaches in one go per statement: rows of an INSERT
 * straight into the heap and indexes (COPY-style), falling back to one
 * set-based INSERT ... ON CONFLICT when a row was logged before; UPDATEs use
 * the upsert directly.  csat.sweep() flags open spans (start set, end NULL)
 * that ran past a threshold with no event at all; csat.unwatch() removes a
 * watch.
 *
 * Rules, watches and calendars are cached per backend; statement-level
 * triggers on their tables send a relcache invalidation that bumps a
 * counter, so a trigger reads no table but the transition table unless the
 * configuration changed.  Breaches are written as the owner of
 * csat.breaches, switching user the way PostgreSQL's RI triggers do, so that
 * writers of a watched table need no privilege on csat's tables.
 */
#ifndef CSAT_WATCH_H
#define CSAT_WATCH_H

#include "csat.h"

#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "nodes/pg_list.h"

#include "calendar.h"


/* rows per upsert; bounds the memory one statement's batch can take */
#define BATCH_MAX 65536

/* one enabled rule of csat.rules */
typedef struct WatchRule
{
	char	   *name;
	char	   *segment;		/* NULL = every segment */
	char	   *channel;		/* NULL = every channel */
	double		warning;		/* equals breach when the rule has none */
	double		breach;
	bool		higher_is_worse;
	bool		notify;
	char	   *calendar;		/* NULL = calendar time */
	CsatCalendar *cal;			/* loaded calendar, when calendar is set */
	Datum		name_text;		/* name as a text datum, for the upsert */
	/* per statement: what was logged, for the notification */
	int64		logged;
	int			worst;
} WatchRule;

/* one row of csat.watches with the rules of its metric */
typedef struct WatchDef
{
	Oid			relid;
	char	   *metric;
	char	   *key_column;
	char	   *value_column;
	char	   *start_column;
	char	   *end_column;
	char	   *segment_column;
	char	   *channel_column;
	int			nrules;
	WatchRule **rules;			/* most specific first */
	bool		need_segment;	/* some rule names a segment */
	bool		need_channel;
	bool		any_higher_is_worse;
} WatchDef;

/* where a WatchDef's columns are in a given tuple descriptor */
typedef struct Binding
{
	WatchDef   *def;
	AttrNumber	key,
				value,
				start,
				end,
				segment,
				channel;
	Oid			value_type;
	bool		segment_is_text;
	bool		channel_is_text;
	bool		key_is_text;
	FmgrInfo	key_out;
	FmgrInfo	segment_out;
	FmgrInfo	channel_out;
} Binding;

/* where breaches of a Citus distributed table go (watch_citus.c) */
typedef struct WatchTarget
{
	char	   *table;			/* its group's breach table or a shard of it, quoted;
								 * NULL: csat.breaches, notifications left to the sweep */
	Oid			keytype;		/* type of its key column: the distribution column's */
	bool		remote;			/* the distributed table, through Citus (else a local shard) */
} WatchTarget;

/* breaching rows waiting for the upsert */
typedef struct Batch
{
	int			n;
	int			cap;			/* allocated entries, up to BATCH_MAX */
	WatchRule **rule;
	Datum	   *key;
	double	   *observed;
	double	   *threshold;
	int		   *level;
	Oid			source;
	TimestampTz observed_at;
	MemoryContext keycxt;		/* holds the keys; reset after each upsert */
	bool		mostly_new;		/* rows of an INSERT: try a plain INSERT first */
	int64		written;		/* rows inserted or escalated so far */
	const WatchTarget *citus;	/* NULL: csat.breaches */
} Batch;

/* one loaded configuration: every row of csat.watches with its rules */
typedef struct WatchCache
{
	MemoryContext cxt;			/* holds all of it, this struct included */
	List	   *defs;			/* WatchDefs */
	uint64		gen;			/* invalidation count it was loaded at */
	int			pins;			/* calls using it; freed when replaced and 0 */
	bool		xact_only;		/* read with a transaction snapshot */
} WatchCache;

/* watch_cache.c */
extern Oid	watch_breaches_relid;	/* set by every load */
extern Oid	watch_breaches_owner;
extern Oid	watch_level_typid;		/* csat.level */
extern WatchCache *watch_cache_pin(void);
extern WatchCache *watch_cache_pin_mirror(void);
extern void watch_cache_unpin(WatchCache *cache);
extern WatchDef *watch_find_def(WatchCache *cache, Oid relid, const char *metric);
extern List *watch_defs_of(WatchCache *cache, Relation rel);

/* watch_eval.c */
extern void watch_bind(Binding *b, WatchDef *def, TupleDesc desc, const AttrNumber *pos);
extern void watch_eval_row(Binding *b, TupleTableSlot *slot, TimestampTz now, Batch *batch);
extern bool watch_row_changed(Binding *b, TupleDesc desc, TupleTableSlot *o, TupleTableSlot *n);
extern void watch_batch_init(Batch *batch, Oid source, TimestampTz observed_at);

/* watch_store.c */
extern void watch_store_batch(Batch *batch);
extern void watch_send_notifications(List *defs, Oid source);
extern void watch_reset_counts(List *defs);

/* watch_trigger.c */
extern void watch_statement_into(TriggerData *td, List *defs, const WatchTarget *target);
extern void watch_install_triggers(Oid relid, bool lenient);
extern void watch_drop_triggers(Oid relid);

/* watch_api.c */
extern int64 watch_scan_and_flag(WatchDef *def, const char *query, int nargs, Oid *argtypes,
								 Datum *args, TimestampTz now, bool mostly_new);

/* watch_citus.c */
extern bool watch_citus_prepare(Oid relid, const char *key_column);
extern bool watch_citus_target(Oid relid, WatchTarget *target);
extern void watch_citus_adopt(Oid relid, const char *key_column);
extern void watch_citus_repoint(void);

/* watch_store.c: NOTIFY csat_breach with its JSON payload */
extern void watch_notify_breach(const char *rule, const char *source, int64 count, bool breach);
extern bool watch_citus_shard(TriggerData *td, WatchCache *cache);
extern void watch_citus_store(Batch *batch, int m, Datum *rules, Datum *keys, Datum *obs,
							  Datum *thr, Datum *lev);
extern bool watch_citus_is_mirror(Relation rel);
extern bool watch_citus_mirror_tables(char **names);
extern bool watch_citus_worker_mirrors(char **names);
extern void watch_citus_sync(const char *table);
extern bool watch_citus_on_coordinator(void);

/* watch_citus_ref.c */
extern void watch_citus_reference_check(Oid relid, int elevel);
extern void watch_citus_reference_shard(TriggerData *td, WatchCache *cache, Oid logical, int group,
										bool coordinator_placement);
extern void watch_citus_announce_reference(void);

/* watch_citus_sweep.c */
extern void watch_citus_announce(WatchCache *cache);
extern int	watch_citus_allow_triggers(void);
extern void watch_citus_restore(int nest);

#endif							/* CSAT_WATCH_H */
