-- security: trusted install by a non-superuser database owner, no SECURITY
-- DEFINER anywhere, and a hostile search_path changes no result.
CREATE ROLE regress_csat_owner LOGIN;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO regress_csat_owner', current_database()); END $$;
SET ROLE regress_csat_owner;
CREATE EXTENSION csat;
SELECT e.extname, r.rolname AS extension_owner,
       e.extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'csat') AS current_version
  FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE e.extname = 'csat';
-- the non-superuser owner can use what it installed
SELECT csat.csat_rate(s), csat.nps(s * 2), csat.wilson_lower(8, 10) > 0 AS wilson FROM generate_series(1, 5) s;
RESET ROLE;

-- nothing runs with its definer's rights
SELECT count(*) AS security_definer_functions
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csat')
   AND p.prosecdef;
-- every SQL or PL/pgSQL function of csat pins its search_path
SELECT p.oid::regprocedure AS unpinned
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_language l ON l.oid = p.prolang
 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csat')
   AND l.lanname IN ('sql', 'plpgsql')
   AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1::text;

-- a hostile schema placed first in search_path, with look-alike functions and
-- operators that would change results if anything resolved to them
CREATE SCHEMA evil;
CREATE FUNCTION evil.int8eq_evil(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8eq_evil);
CREATE FUNCTION evil.float8div_evil(float8, float8) RETURNS float8 LANGUAGE sql AS 'SELECT -1::float8';
CREATE OPERATOR evil./ (LEFTARG = float8, RIGHTARG = float8, FUNCTION = evil.float8div_evil);
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
CREATE FUNCTION evil.coalesce_evil() RETURNS int LANGUAGE sql AS 'SELECT 1';
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE TABLE t (score int, nps int, w float8, frt float8, flag bool);
INSERT INTO t SELECT 1 + g % 5, g % 11, g % 3, g * 10, g % 4 = 0 FROM generate_series(1, 100) g;
CREATE TEMP TABLE safe AS
SELECT csat.csat_rate(score) c, csat.nps(nps) n, csat.weighted_score(score, w) ws, csat.rate(flag) r,
       csat.sla_attainment(frt, 300) s, csat.complaint_rate(3, 10) cr, csat.wilson_lower(3, 10) wl FROM t;
SET search_path = evil, public, pg_catalog;
SELECT (SELECT (c, n, ws, r, s, cr, wl)::text FROM safe) =
       (SELECT (csat.csat_rate(score), csat.nps(nps), csat.weighted_score(score, w), csat.rate(flag),
                csat.sla_attainment(frt, 300), csat.complaint_rate(3, 10), csat.wilson_lower(3, 10))::text FROM t)
       AS same_under_hostile_search_path;
RESET search_path;

-- clean up the cluster-wide role
DROP EXTENSION csat;
DROP SCHEMA csat;
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM regress_csat_owner', current_database()); END $$;
DROP ROLE regress_csat_owner;
