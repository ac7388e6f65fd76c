/*
 * csat.c: the module's magic block and small helpers shared by the families.
 */
#include "csat.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

Oid
csat_extension_schema(bool missing_ok)
{
	Oid			ext = get_extension_oid("csat", missing_ok);
	Oid			nsp = InvalidOid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(ext))
		return InvalidOid;
	/* get_extension_schema() is static before PostgreSQL 16 */
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp) && !missing_ok)
		elog(ERROR, "schema of extension \"csat\" not found");
	return nsp;
}

char *
csat_sql(const char *sql)
{
	const char *nsp = quote_identifier(get_namespace_name(csat_extension_schema(false)));
	const char *p = sql;
	const char *hit;
	StringInfoData s;

	initStringInfo(&s);
	while ((hit = strstr(p, "@extschema@")) != NULL)
	{
		appendBinaryStringInfo(&s, p, hit - p);
		appendStringInfoString(&s, nsp);
		p = hit + strlen("@extschema@");
	}
	appendStringInfoString(&s, p);
	return s.data;
}

Oid
csat_relation_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

void
csat_switch_to(CsatUserSwitch *sw, Oid role)
{
	GetUserIdAndSecContext(&sw->save_user, &sw->save_sec);
	SetUserIdAndSecContext(role, sw->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	sw->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
csat_switch_back(CsatUserSwitch *sw)
{
	AtEOXact_GUC(false, sw->nestlevel);
	SetUserIdAndSecContext(sw->save_user, sw->save_sec);
}

double
csat_interval_seconds(const Interval *iv)
{
	/* mirrors interval_part_common()'s EPOCH case */
	double		s = iv->time / 1000000.0;

	s += ((double) DAYS_PER_YEAR * SECS_PER_DAY) * (iv->month / MONTHS_PER_YEAR);
	s += ((double) DAYS_PER_MONTH * SECS_PER_DAY) * (iv->month % MONTHS_PER_YEAR);
	s += ((double) SECS_PER_DAY) * iv->day;
	return s;
}

double
csat_interval_arg_seconds(const Interval *iv, const char *what)
{
	if (INTERVAL_IS_INFINITE(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite interval", what)));
	return csat_interval_seconds(iv);
}

/*
 * z such that P(|Z| <= z) = confidence.  Bisection on erfc is slow-ish but
 * exact to the last bit and needs no approximation tables; the last answer is
 * cached because callers ask for the same confidence over and over.
 */
double
csat_confidence_z(double confidence)
{
	static double last_conf = -1.0;
	static double last_z = 0.0;
	double		lo = 0.0,
				hi = 40.0;
	double		tail = 1.0 - confidence;	/* P(|Z| > z) = erfc(z / sqrt 2) */

	if (confidence == last_conf)
		return last_z;
	for (int i = 0; i < 200 && hi - lo > 0; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (mid == lo || mid == hi)
			break;
		if (erfc(mid / M_SQRT2) > tail)
			lo = mid;
		else
			hi = mid;
	}
	last_conf = confidence;
	last_z = 0.5 * (lo + hi);
	return last_z;
}

double
csat_wilson_bound(double successes, double n, double z, bool upper)
{
	double		p = successes / n;
	double		z2n = z * z / n;
	double		center = (p + z2n / 2.0) / (1.0 + z2n);
	double		half = z / (1.0 + z2n) * sqrt(p * (1.0 - p) / n + z2n / (4.0 * n));
	double		b = upper ? center + half : center - half;

	if (b < 0.0 || (successes == 0 && !upper))
		b = 0.0;
	if (b > 1.0 || (successes == n && upper))
		b = 1.0;
	return b;
}

ErrorData *
csat_try_in_subxact(void (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}
