/*
 * compat.h: every server API that differs between the PostgreSQL majors csat
 * supports (15 to 19), in one place.  C files use the names below instead of
 * the server's, and carry no PG_VERSION_NUM tests of their own.
 *
 * Only macros: each expands where it is used, so the server header that
 * declares the function (named in the comment) is included by that file.
 */
#ifndef CSAT_COMPAT_H
#define CSAT_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "csat needs PostgreSQL 15 or later"
#endif

/*
 * Infinite intervals ('infinity', '-infinity') exist from 17 on; before, no
 * interval is infinite.  csat rejects them (22023) on every major alike.
 * datatype/timestamp.h
 */
#if PG_VERSION_NUM >= 170000
#define INTERVAL_IS_INFINITE(i) INTERVAL_NOT_FINITE(i)
#else
#define INTERVAL_IS_INFINITE(i) ((void) (i), false)
#endif

/*
 * Does roleid own relation relid?  pg_class_ownercheck() became
 * object_ownercheck() in 16.  utils/acl.h, catalog/pg_class.h
 */
#if PG_VERSION_NUM >= 160000
#define csat_rel_ownercheck(relid, roleid) \
	object_ownercheck(RelationRelationId, (relid), (roleid))
#else
#define csat_rel_ownercheck(relid, roleid) pg_class_ownercheck((relid), (roleid))
#endif

/*
 * Does roleid own extension extoid?  pg_extension_ownercheck() became
 * object_ownercheck() in 16.  utils/acl.h, catalog/pg_extension.h
 */
#if PG_VERSION_NUM >= 160000
#define csat_ext_ownercheck(extoid, roleid) \
	object_ownercheck(ExtensionRelationId, (extoid), (roleid))
#else
#define csat_ext_ownercheck(extoid, roleid) pg_extension_ownercheck((extoid), (roleid))
#endif

/*
 * Insert index entries for a newly inserted (not updated) tuple; noDupErr,
 * specConflict and arbiters as in ExecInsertIndexTuples().  16 added
 * onlySummarizing; 19 folds the booleans into flags.  executor/executor.h
 */
#if PG_VERSION_NUM >= 190000
#define csat_insert_index_tuples(rri, slot, estate, noDupErr, specConflict, arbiters) \
	ExecInsertIndexTuples((rri), (estate), (noDupErr) ? EIIT_NO_DUPE_ERROR : 0, \
						  (slot), (arbiters), (specConflict))
#elif PG_VERSION_NUM >= 160000
#define csat_insert_index_tuples(rri, slot, estate, noDupErr, specConflict, arbiters) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, (noDupErr), \
						  (specConflict), (arbiters), false)
#else
#define csat_insert_index_tuples(rri, slot, estate, noDupErr, specConflict, arbiters) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, (noDupErr), \
						  (specConflict), (arbiters))
#endif

/*
 * Pre-check of the arbiter indexes before a speculative insertion (no tuple
 * is being updated); 18 added the tupleid argument.  executor/executor.h
 */
#if PG_VERSION_NUM >= 180000
#define csat_check_index_constraints(rri, slot, estate, conflictTid, arbiters) \
	ExecCheckIndexConstraints((rri), (slot), (estate), (conflictTid), NULL, (arbiters))
#else
#define csat_check_index_constraints(rri, slot, estate, conflictTid, arbiters) \
	ExecCheckIndexConstraints((rri), (slot), (estate), (conflictTid), (arbiters))
#endif

/*
 * The relation's non-deferrable primary key index, or InvalidOid; 18 added
 * deferrable_ok (false keeps the earlier behaviour).  utils/relcache.h
 */
#if PG_VERSION_NUM >= 180000
#define csat_primary_key_index(rel) RelationGetPrimaryKeyIndex((rel), false)
#else
#define csat_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

#endif							/* CSAT_COMPAT_H */
