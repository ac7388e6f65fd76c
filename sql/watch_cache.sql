-- watch_cache: the per-backend cache of rules and watches stays valid while
-- it is in use.  A watched table's row-security policy (code its owner
-- controls) runs during csat.watch's backfill and csat.sweep's scan; here it
-- calls csat.watch on another table, which changes the configuration and
-- makes the nested call load a new cache.  The outer call must go on with
-- the cache it pinned (a build with -DCSAT_POISON_CACHE wipes a cache when it
-- is freed, so a use after free crashes instead of reading stale memory).
CREATE EXTENSION csat;
SET timezone = 'UTC';
\set VERBOSITY terse
CREATE ROLE regress_nest_owner;
CREATE SCHEMA nest AUTHORIZATION regress_nest_owner;
SET search_path = nest, public;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('lvl', 'lvl', 5, 10);
INSERT INTO csat.rules (name, metric, segment, warning, breach) VALUES ('lvl_vip', 'lvl', 'vip', 2, 3);
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('span', 'span', 60, 120);
INSERT INTO csat.rules (name, metric, segment, breach) VALUES ('span_vip', 'span', 'vip', 30);
SET ROLE regress_nest_owner;
CREATE TABLE nest_a (id int, v float8, seg text);
INSERT INTO nest_a SELECT g, g, CASE WHEN g % 2 = 0 THEN 'vip' END FROM generate_series(1, 12) g;
CREATE TABLE nest_b (id int, v float8, seg text);
INSERT INTO nest_b SELECT g, g * 2, NULL FROM generate_series(1, 6) g;
-- the policy watches nest_b the first time it runs
CREATE FUNCTION nest_hook(target regclass) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM csat.watches w WHERE w.source = target) THEN
		PERFORM csat.watch(target, 'lvl', 'id', 'v', segment_column => 'seg');
	END IF;
	RETURN true;
END $$;
ALTER TABLE nest_a ENABLE ROW LEVEL SECURITY;
ALTER TABLE nest_a FORCE ROW LEVEL SECURITY;
CREATE POLICY nest_a_all ON nest_a USING (nest_hook('nest_b'));
-- the backfill of nest_a watches nest_b from inside its scan
SELECT csat.watch('nest_a', 'lvl', 'id', 'v', segment_column => 'seg') AS backfilled_a;
RESET ROLE;
SELECT source, rule, count(*), min(row_key::int), max(row_key::int), count(*) FILTER (WHERE level = 'breach') AS breaches
  FROM csat.breaches GROUP BY 1, 2 ORDER BY source::text, 2;
SELECT source::text, metric FROM csat.watches ORDER BY 1, 2;

-- the sweep: nest_c's policy watches nest_d while nest_c is being swept
DELETE FROM csat.breaches;
SET ROLE regress_nest_owner;
CREATE TABLE nest_c (id int, opened timestamptz, closed timestamptz, seg text);
INSERT INTO nest_c SELECT g, timestamptz '2030-01-01 10:00' - g * interval '20 s', NULL,
       CASE WHEN g % 3 = 0 THEN 'vip' END FROM generate_series(1, 9) g;
CREATE TABLE nest_d (id int, opened timestamptz, closed timestamptz, seg text);
INSERT INTO nest_d VALUES (1, '2030-01-01 09:00', NULL, NULL);
CREATE FUNCTION nest_span_hook(target regclass) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM csat.watches w WHERE w.source = target) THEN
		PERFORM csat.watch(target, 'span', 'id', start_column => 'opened', end_column => 'closed',
						   segment_column => 'seg', backfill => false);
	END IF;
	RETURN true;
END $$;
SELECT csat.watch('nest_c', 'span', 'id', start_column => 'opened', end_column => 'closed',
				  segment_column => 'seg', backfill => false) AS backfilled_c;
ALTER TABLE nest_c ENABLE ROW LEVEL SECURITY;
ALTER TABLE nest_c FORCE ROW LEVEL SECURITY;
CREATE POLICY nest_c_all ON nest_c USING (nest_span_hook('nest_d'));
-- sweeps nest_c (nest_d is watched during that scan; a second sweep finds it)
SELECT csat.sweep('2030-01-01 10:00') AS swept;
SELECT csat.sweep('2030-01-01 10:00') AS swept_again;
RESET ROLE;
SELECT source, rule, row_key, observed, level FROM csat.breaches ORDER BY source::text, row_key::int, rule;

-- cleanup (roles are cluster-wide)
SELECT csat.unwatch('nest_a', 'lvl'), csat.unwatch('nest_b', 'lvl'),
       csat.unwatch('nest_c', 'span'), csat.unwatch('nest_d', 'span');
DROP SCHEMA nest CASCADE;
DELETE FROM csat.breaches;
DROP ROLE regress_nest_owner;
