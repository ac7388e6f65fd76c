/*
 * track.h: change tracking shared by track.c (plain tables) and track_citus.c
 * (the shards of Citus distributed tables).
 */
#ifndef CSAT_TRACK_H
#define CSAT_TRACK_H
#include "commands/trigger.h"
#include "utils/tuplestore.h"

/* distinct UTC hours of a timestamptz column of a transition table, appended to *hours */
extern void csat_collect_hours(Tuplestorestate *ts, TupleDesc desc, AttrNumber attnum,
							   TimestampTz **hours, int *n, int *cap);
/* the distinct hours of hours[0..n-1] (sorted in place) as a timestamptz[] datum */
extern Datum csat_hours_array(TimestampTz *hours, int n);
/* note hours (everything: a NULL hour) of a kind in the local csat.changes (inside SPI) */
extern void csat_note_hours(const char *kind, TimestampTz *hours, int n, bool everything);
/* the shard id in a shard relation's name (<table>_<shard id>), or -1 */
extern int64 csat_shard_id_of(Relation rel);
/* is rel a shard of a Citus table (on this node's metadata)? false without Citus */
extern bool csat_is_citus_shard(Relation rel);
/* the reference or Citus local table whose coordinator placement rel is (on the coordinator), else InvalidOid (inside SPI) */
extern Oid	csat_reference_on_coordinator(Relation rel);
/* csat.track_change() on a shard of a Citus distributed table */
extern void csat_track_shard(TriggerData *td, Oid nsp);
#endif							/* CSAT_TRACK_H */
