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
-- every SQL or PL/pgSQL function of csat pins its search_path, or has an
-- SQL-standard body (RETURN ...: bound to its objects when the script created it,
-- as a view is)
SELECT p.oid::regprocedure AS unpinned
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_language l ON l.oid = p.prolang
 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csat')
   AND l.lanname IN ('sql', 'plpgsql')
   AND p.prosqlbody IS NULL
   AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1::text;
-- and those bodies name only pg_catalog's and csat's objects (the references a
-- body records: csat's; pg_catalog's are pinned, so not recorded)
SELECT count(*) FILTER (WHERE p.prosqlbody IS NOT NULL) > 0 AS has_sql_bodies,
       count(*) FILTER (WHERE o.schema = 'csat') > 0 AS csat_references,
       count(*) FILTER (WHERE o.schema NOT IN ('pg_catalog', 'csat')) AS foreign_references
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  LEFT JOIN pg_depend b ON b.classid = 'pg_proc'::regclass AND b.objid = p.oid AND b.deptype = 'n'
  LEFT JOIN LATERAL pg_identify_object(b.refclassid, b.refobjid, 0) o ON true
 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csat')
   AND p.prosqlbody IS NOT NULL;

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

-- ---- a dropped table's breaches go with it (its OID could later name another table)
SET ROLE regress_csat_b;
CREATE TABLE t3 (id int, wait float8);
INSERT INTO t3 VALUES (1, 400);
SELECT csat.watch('t3', 'wait', 'id', value_column => 'wait') AS backfilled;
SELECT csat.unwatch('t3', 'wait');
DROP TABLE t3;
SELECT source, count(*) FROM csat.breaches GROUP BY source ORDER BY source::text;
RESET ROLE;
SELECT count(*) AS orphans_superuser_sees FROM csat.breaches b WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = b.source);

-- ---- csat.refresh needs the caller to be able to read each mapped table: b may
-- maintain the rollups and read the standard view, not a's table behind it
GRANT CREATE ON SCHEMA csat TO regress_csat_a;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.sources TO regress_csat_a;
GRANT INSERT ON csat.changes TO regress_csat_a;
GRANT SELECT ON csat.settings TO regress_csat_b;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.changes, csat.rollup_hourly, csat.rollup_daily,
      csat.rollup_state, csat.refresh_log, csat.kpi_rollup_hourly, csat.kpi_rollup_daily TO regress_csat_b;
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
-- an incremental refresh checks the caller's rights too
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

-- ---- csat.refresh reads each mapped table as the table's owner, under
-- SECURITY_RESTRICTED_OPERATION, and converts labels with output functions: a
-- table owner's code never runs with the rights of the (superuser) caller
SET ROLE regress_csat_a;
CREATE TABLE a_log (superuser boolean, who name, what text);
GRANT INSERT ON a_log TO PUBLIC;
CREATE TYPE a_channel AS ENUM ('app', 'web');
-- a user-defined cast to text, as a ::text in csat's SQL would pick up
CREATE FUNCTION a_channel_text(a_channel) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.a_log SELECT r.rolsuper, current_user, 'cast' FROM pg_roles r WHERE r.rolname = current_user;
	RETURN 'cast';
END $$;
CREATE CAST (a_channel AS text) WITH FUNCTION a_channel_text(a_channel);
-- a row-security policy function that tries what its caller could do
CREATE FUNCTION a_visible(id int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.a_log SELECT r.rolsuper, current_user, 'policy' FROM pg_roles r WHERE r.rolname = current_user;
	BEGIN
		SET LOCAL ROLE regress_csat_a;
		INSERT INTO public.a_log VALUES (NULL, current_user, 'SET ROLE worked');
	EXCEPTION WHEN OTHERS THEN
		INSERT INTO public.a_log VALUES (NULL, current_user, SQLERRM);
	END;
	BEGIN
		CREATE TEMP TABLE a_tmp (x int);
		INSERT INTO public.a_log VALUES (NULL, current_user, 'CREATE TEMP TABLE worked');
	EXCEPTION WHEN OTHERS THEN
		INSERT INTO public.a_log VALUES (NULL, current_user, SQLERRM);
	END;
	RETURN true;
END $$;
CREATE TABLE a_orders (order_id int, ordered_at timestamptz, channel a_channel);
INSERT INTO a_orders VALUES (1, '2024-03-01 10:00+00', 'app'), (2, '2024-03-01 10:30+00', 'web'), (3, '2024-03-01 11:00+00', 'web');
CREATE POLICY a_orders_visible ON a_orders USING (a_visible(order_id));
ALTER TABLE a_orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
SELECT csat.map_source('orders', 'a_orders');
DELETE FROM a_log;
RESET ROLE;
SELECT full_rebuild, hours_touched FROM csat.refresh();
SELECT hour, channel, orders FROM csat.rollup_hourly WHERE segment = 'all' ORDER BY 1, 2;
-- the policy ran as a, restricted; the cast did not run at all
SELECT DISTINCT superuser, who, what FROM a_log ORDER BY what;
-- the standard view labels by output function too
TRUNCATE a_log;
SELECT order_id, channel FROM csat.orders ORDER BY 1;
SELECT count(*) AS casts_run FROM a_log WHERE what = 'cast';
-- a caller subject to the table's row security would count rows hidden from it
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.rollup_hourly, csat.rollup_daily,
      csat.rollup_state, csat.refresh_log TO regress_csat_b;
SET ROLE regress_csat_a;
GRANT SELECT ON a_orders TO regress_csat_b;
SET ROLE regress_csat_b;
SELECT pg_temp.try($$SELECT csat.refresh(true)$$);
-- the row parts are checked the same way
SELECT pg_temp.try($$SELECT * FROM csat.source_rows('orders', 'a_orders', 'order_ids', '{2024-01-01}', '{2025-01-01}')$$);
SET ROLE regress_csat_a;
ALTER TABLE a_orders NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON a_orders FROM regress_csat_b;
SET ROLE regress_csat_b;
SELECT pg_temp.try($$SELECT * FROM csat.source_partials('orders', 'a_orders', 'UTC')$$);
-- nor do these functions read anything but csat's fixed shapes of mapped tables
RESET ROLE;
SELECT pg_temp.try($$SELECT * FROM csat.source_rows('orders', 'a_log', 'order_ids')$$);
SELECT pg_temp.try($$SELECT * FROM csat.source_rows('orders', 'a_orders', 'SELECT 1')$$);

-- ---- change tracking: csat.changes is neither readable nor writable by PUBLIC,
-- yet writers with no rights on csat get their changes noted (by the trigger, as
-- csat's owner); the trigger refuses tables that are not mapped
SELECT p, has_table_privilege('public', 'csat.changes', p) AS public_has
  FROM unnest('{SELECT,INSERT,UPDATE,DELETE}'::text[]) p;
REVOKE INSERT ON csat.changes FROM regress_csat_a;
SET ROLE regress_csat_a;
GRANT INSERT, UPDATE, SELECT (order_id) ON a_orders TO regress_csat_b;
CREATE TABLE a_other (order_id int, ordered_at timestamptz);
CREATE TRIGGER fake AFTER INSERT ON a_other REFERENCING NEW TABLE AS csat_new
	FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change('orders');
SELECT pg_temp.try($$INSERT INTO a_other VALUES (1, now())$$);
-- (nor with the arguments it has on a Citus distributed table, on a table not a shard)
CREATE TABLE a_other_7 (order_id int, ordered_at timestamptz);
CREATE TRIGGER fake AFTER INSERT ON a_other_7 REFERENCING NEW TABLE AS csat_new
	FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change('orders', 'ordered_at', 'citus_changes_1');
SELECT pg_temp.try($$INSERT INTO a_other_7 VALUES (1, now())$$);
SELECT pg_temp.try($$INSERT INTO csat.changes VALUES ('orders', NULL)$$);
SELECT pg_temp.try($$SELECT count(*) FROM csat.changes$$);
RESET ROLE;
REVOKE ALL ON csat.changes FROM regress_csat_b;
DELETE FROM csat.changes;
SET ROLE regress_csat_b;
SELECT pg_temp.try($$INSERT INTO csat.changes VALUES ('orders', NULL)$$);
INSERT INTO a_orders VALUES (4, '2024-03-02 08:15+00', 'app'), (5, '2024-03-02 08:45+00', 'app'), (6, '2024-03-03 00:00+00', 'web');
UPDATE a_orders SET channel = 'web' WHERE order_id = 4;
RESET ROLE;
SELECT kind, hour FROM csat.changes ORDER BY 1, 2;
SELECT full_rebuild, hours_touched FROM csat.refresh();
SELECT hour, channel, orders FROM csat.rollup_hourly WHERE segment = 'all' AND hour >= '2024-03-02' ORDER BY 1, 2;

-- ---- dropped tables: their mappings, watches and breaches go with them; the
-- standard view is rebuilt over the tables still mapped
GRANT INSERT ON csat.changes TO regress_csat_a;
SET ROLE regress_csat_a;
CREATE TABLE a_orders2 (order_id int, ordered_at timestamptz);
INSERT INTO a_orders2 VALUES (7, '2024-03-04 09:00+00');
SELECT csat.map_source('orders', 'a_orders2');
CREATE TABLE a_waits (id int, wait float8);
INSERT INTO a_waits VALUES (1, 500);
SELECT csat.watch('a_waits', 'wait', 'id', value_column => 'wait') AS backfilled;
RESET ROLE;
SELECT kind, source FROM csat.sources ORDER BY 1, 2::text;
SELECT source, metric FROM csat.watches ORDER BY 1::text;
SELECT source, row_key FROM csat.breaches ORDER BY 1::text;
DELETE FROM csat.changes;
SET ROLE regress_csat_a;
DROP TABLE a_waits;
DROP TABLE a_orders CASCADE;
RESET ROLE;
SELECT kind, source FROM csat.sources ORDER BY 1, 2::text;
SELECT count(*) AS watches FROM csat.watches;
SELECT count(*) AS breaches FROM csat.breaches;
SELECT kind, hour FROM csat.changes ORDER BY 1, 2;
SELECT order_id, ordered_at FROM csat.orders ORDER BY 1;
SELECT full_rebuild, hours_touched FROM csat.refresh();
SELECT sum(orders) AS orders FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all';
-- a dropping user who may not create the view again: a warning, the DROP goes through
SET ROLE regress_csat_a;
CREATE TABLE a_orders3 (order_id int, ordered_at timestamptz);
SELECT csat.map_source('orders', 'a_orders3');
RESET ROLE;
REVOKE CREATE ON SCHEMA csat FROM regress_csat_a;
SET ROLE regress_csat_a;
DROP TABLE a_orders3 CASCADE;
RESET ROLE;
SELECT kind, source, to_regclass('csat.orders') AS standard_view FROM csat.sources ORDER BY 2::text;
SELECT full_rebuild, hours_touched FROM csat.refresh();
GRANT CREATE ON SCHEMA csat TO regress_csat_a;
-- a mapped column renamed since: refresh names it (the mapping keeps names)
SET ROLE regress_csat_a;
ALTER TABLE a_orders2 RENAME ordered_at TO placed_at;
RESET ROLE;
SELECT pg_temp.try($$SELECT csat.refresh(true)$$);
SET ROLE regress_csat_a;
DROP TABLE a_orders2 CASCADE;
RESET ROLE;
SELECT count(*) AS sources, to_regclass('csat.orders') AS standard_view FROM csat.sources;
DROP TABLE a_other, a_other_7, a_log;
DROP FUNCTION a_visible(int);
DROP CAST (a_channel AS text);
DROP FUNCTION a_channel_text(a_channel);
DROP TYPE a_channel;

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
