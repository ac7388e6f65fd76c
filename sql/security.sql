-- security: trusted install by a non-superuser database owner, no SECURITY
-- DEFINER anywhere, a hostile search_path changes no result, and least
-- privilege with two roles: breaches of a table are seen and changed only by
-- roles that may read it; csat.refresh reads mapped tables with the caller's rights.
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

-- ==== least privilege, with two roles: a owns table t1, b owns t2; the
-- extension's owner is regress_csat_owner (a non-superuser, trusted install)
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE ROLE regress_csat_a;
CREATE ROLE regress_csat_b;
GRANT CREATE ON SCHEMA public TO regress_csat_a, regress_csat_b;
-- csat.breaches: row security (not forced) with one policy, readable by PUBLIC,
-- writable by the extension's owner, truncatable by nobody but its table owner
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'csat.breaches'::regclass;
SELECT polname, polcmd, polpermissive, polroles = '{0}' AS to_public, pg_get_expr(polqual, polrelid) AS using_expr,
       polwithcheck IS NULL AS check_is_using, obj_description(oid, 'pg_policy') IS NOT NULL AS commented
  FROM pg_policy WHERE polrelid = 'csat.breaches'::regclass;
SELECT r AS role, string_agg(p, ',' ORDER BY p) FILTER (WHERE has_table_privilege(r, 'csat.breaches', p)) AS privileges
  FROM unnest('{regress_csat_owner,regress_csat_b}'::name[]) r, unnest('{SELECT,INSERT,UPDATE,DELETE,TRUNCATE}'::text[]) p
 GROUP BY r ORDER BY r;

-- ---- breaches of a table are seen only by roles that may SELECT it
SET ROLE regress_csat_owner;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('wait', 'wait', 120, 180);
SET ROLE regress_csat_a;
CREATE TABLE t1 (id int, wait float8);
INSERT INTO t1 VALUES (1, 100), (2, 150), (3, 200);
SELECT csat.watch('t1', 'wait', 'id', value_column => 'wait') AS backfilled;
INSERT INTO t1 VALUES (4, 500);
SELECT source, row_key, observed, level FROM csat.breaches ORDER BY source::text, row_key;
GRANT INSERT ON t1 TO regress_csat_b;
SET ROLE regress_csat_b;
CREATE TABLE t2 (id int, wait float8);
INSERT INTO t2 VALUES (10, 300), (11, 50);
SELECT csat.watch('t2', 'wait', 'id', value_column => 'wait') AS backfilled;
-- b writes a breaching row into t1 (INSERT only): logged, but not shown to b
INSERT INTO t1 VALUES (5, 1000);
SELECT source, row_key, observed, level FROM csat.breaches ORDER BY source::text, row_key;
SELECT count(*) AS t1_breaches_b_sees FROM csat.breaches WHERE source = 't1'::regclass;
-- what pg_dump does (row_security off): an error, not a silently partial dump
SET row_security = off;
SELECT pg_temp.try($$SELECT count(*) FROM csat.breaches$$);
RESET row_security;
-- b is not the extension's owner: it changes nothing
SELECT pg_temp.try($$DELETE FROM csat.breaches$$);
SELECT pg_temp.try($$SELECT csat.prune_breaches('0')$$);
SET ROLE regress_csat_a;
SELECT source, row_key, observed, level FROM csat.breaches ORDER BY source::text, row_key;
-- the policy follows grants as they change
GRANT SELECT ON t1 TO regress_csat_b;
SET ROLE regress_csat_b;
SELECT source, count(*) FROM csat.breaches GROUP BY source ORDER BY source::text;
SET ROLE regress_csat_a;
REVOKE SELECT ON t1 FROM regress_csat_b;
SET ROLE regress_csat_b;
SELECT source, count(*) FROM csat.breaches GROUP BY source ORDER BY source::text;
RESET ROLE;
SELECT source, count(*) AS superuser_sees FROM csat.breaches GROUP BY source ORDER BY source::text;

-- ---- the extension's owner reads and changes only breaches of tables it may read
SET ROLE regress_csat_owner;
SELECT count(*) AS owner_sees FROM csat.breaches;
SELECT pg_temp.try($$TRUNCATE csat.breaches$$);
WITH u AS (UPDATE csat.breaches SET observed = 0 RETURNING 1) SELECT count(*) AS updated FROM u;
WITH d AS (DELETE FROM csat.breaches RETURNING 1) SELECT count(*) AS deleted FROM d;
SELECT csat.prune_breaches('0') AS pruned;
SELECT pg_temp.try($$INSERT INTO csat.breaches VALUES ('wait', 't2', '99', 999, 180, 'breach', now())$$);
SET ROLE regress_csat_a;
GRANT SELECT ON t1 TO regress_csat_owner;
SET ROLE regress_csat_owner;
SELECT source, count(*) AS owner_sees FROM csat.breaches GROUP BY source ORDER BY source::text;
SELECT pg_temp.try($$INSERT INTO csat.breaches VALUES ('wait', 't1', '99', 999, 180, 'breach', now())$$);
-- moving a visible row to a table it may not read is refused too
SELECT pg_temp.try($$UPDATE csat.breaches SET source = 't2' WHERE row_key = '99'$$);
WITH u AS (UPDATE csat.breaches SET observed_at = '2020-01-01' RETURNING 1) SELECT count(*) AS aged FROM u;
SELECT csat.prune_breaches('1 day') AS pruned;
RESET ROLE;
SELECT source, count(*) AS superuser_sees FROM csat.breaches GROUP BY source ORDER BY source::text;

-- ---- a dropped table's breaches: has_table_privilege is NULL, only superusers see them
SET ROLE regress_csat_b;
CREATE TABLE t3 (id int, wait float8);
INSERT INTO t3 VALUES (1, 400);
SELECT csat.watch('t3', 'wait', 'id', value_column => 'wait') AS backfilled;
SELECT csat.unwatch('t3', 'wait');
DROP TABLE t3;
SELECT source, count(*) FROM csat.breaches GROUP BY source ORDER BY source::text;
RESET ROLE;
SELECT count(*) AS orphans_superuser_sees FROM csat.breaches b WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = b.source);

-- ---- csat.refresh reads the mapped tables with the caller's rights: b may
-- maintain the rollups and read the standard view, not a's table behind it
GRANT CREATE ON SCHEMA csat TO regress_csat_a;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.sources TO regress_csat_a;
GRANT SELECT ON csat.settings TO regress_csat_b;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.changes, csat.rollup_hourly, csat.rollup_daily,
      csat.rollup_state, csat.refresh_log TO regress_csat_b;
SET ROLE regress_csat_a;
CREATE TABLE a_orders (order_id int, ordered_at timestamptz);
INSERT INTO a_orders SELECT g, '2024-01-01 00:00+00'::timestamptz + g * interval '20 min' FROM generate_series(1, 10) g;
SELECT csat.map_source('orders', 'a_orders');
GRANT SELECT ON csat.orders TO regress_csat_b;
SET ROLE regress_csat_b;
SELECT pg_temp.try($$SELECT csat.refresh()$$);
SELECT count(*) AS rollup_rows FROM csat.rollup_hourly;
SET ROLE regress_csat_a;
GRANT SELECT ON a_orders TO regress_csat_b;
SET ROLE regress_csat_b;
SELECT full_rebuild, timezone, hours_touched, days_touched, first_period, last_period FROM csat.refresh();
SELECT day, orders FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all' ORDER BY day;
-- an incremental refresh reads with the caller's rights too
SET ROLE regress_csat_a;
REVOKE SELECT ON a_orders FROM regress_csat_b;
INSERT INTO a_orders VALUES (11, '2024-01-01 05:10+00');
SET ROLE regress_csat_b;
SELECT pg_temp.try($$SELECT csat.refresh()$$);
SET ROLE regress_csat_a;
GRANT SELECT ON a_orders TO regress_csat_b;
SET ROLE regress_csat_b;
SELECT full_rebuild, hours_touched, first_period FROM csat.refresh();
SELECT day, orders FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all' ORDER BY day;
RESET ROLE;
SELECT csat.unmap_source('orders');
DROP TABLE a_orders, t1, t2;

-- ---- the extension's owner (trusted install, not superuser) maps its own
-- table, sets the time zone, refreshes and passes a KPI view on to b
GRANT CREATE ON SCHEMA public TO regress_csat_owner;
SET ROLE regress_csat_owner;
CREATE TABLE owner_orders (order_id int, ordered_at timestamptz);
INSERT INTO owner_orders SELECT g, '2024-02-01 00:00+00'::timestamptz + g * interval '5 h' FROM generate_series(1, 12) g;
SELECT csat.map_source('orders', 'owner_orders');
INSERT INTO csat.settings (timezone) VALUES ('UTC') ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone;
SELECT full_rebuild, hours_touched, days_touched FROM csat.refresh(true);
SELECT period_start, orders FROM csat.kpi_daily WHERE channel = 'all' AND segment = 'all' ORDER BY 1;
GRANT SELECT ON csat.kpi_daily TO regress_csat_b;
SET ROLE regress_csat_b;
SELECT sum(orders) AS orders_b_sees FROM csat.kpi_daily WHERE channel = 'all' AND segment = 'all';
SELECT pg_temp.try($$SELECT count(*) FROM csat.kpi_monthly$$);
SET ROLE regress_csat_owner;
SELECT csat.unmap_source('orders');
DROP TABLE owner_orders;
RESET ROLE;
RESET timezone;

-- clean up the cluster-wide roles
DROP EXTENSION csat;
DROP SCHEMA csat;
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM regress_csat_owner', current_database()); END $$;
REVOKE CREATE ON SCHEMA public FROM regress_csat_owner;
DROP ROLE regress_csat_owner;
DROP OWNED BY regress_csat_a, regress_csat_b;
DROP ROLE regress_csat_a, regress_csat_b;
