-- watch_rights: whose rights csat.watch, csat.sweep and the triggers use.
-- Tables are read as their owner in a security-restricted operation with a
-- safe search_path; the caller must still be allowed to read them; the
-- trigger functions refuse tables they do not serve; and no SQL that the C
-- code runs depends on search_path.
CREATE EXTENSION csat;
SET timezone = 'UTC';
\set VERBOSITY terse
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE ROLE regress_rights_owner;
CREATE ROLE regress_rights_reader;
CREATE ROLE regress_rights_nobody;
CREATE SCHEMA r AUTHORIZATION regress_rights_owner;
GRANT USAGE ON SCHEMA r TO regress_rights_reader, regress_rights_nobody;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('span', 'span', 60, 120);

-- ==== the sweep reads a table as its owner: a policy records who runs it
SET ROLE regress_rights_owner;
CREATE TABLE r.who (usr name, restricted boolean, path text);
CREATE FUNCTION r.record() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	restricted boolean := false;
BEGIN
	BEGIN
		CREATE TEMP TABLE regress_probe (x int);
		DROP TABLE regress_probe;
	EXCEPTION WHEN insufficient_privilege THEN
		restricted := true;
	END;
	INSERT INTO r.who VALUES (current_user, restricted, current_setting('search_path'));
	RETURN true;
END $$;
CREATE TABLE r.tickets (id int, opened timestamptz, closed timestamptz);
INSERT INTO r.tickets VALUES (1, '2030-01-01 00:00+00', NULL), (2, '2030-01-01 00:04+00', NULL);
ALTER TABLE r.tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE r.tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON r.tickets USING (r.record());
GRANT SELECT ON r.tickets TO regress_rights_reader;
SELECT csat.watch('r.tickets', 'span', 'id', start_column => 'opened', end_column => 'closed') AS backfilled;
RESET ROLE;
SELECT DISTINCT usr, restricted, path FROM r.who;
DELETE FROM r.who;
-- a superuser's sweep: the policy runs, as the table's owner
SELECT csat.sweep('2030-01-01 00:05+00') AS swept_by_superuser;
SELECT DISTINCT usr, restricted, path FROM r.who;
DELETE FROM r.who;
-- a reader's sweep (SELECT granted): also as the owner
SET ROLE regress_rights_reader;
SELECT csat.sweep('2030-01-01 01:00+00') AS swept_by_reader;
RESET ROLE;
SELECT DISTINCT usr, restricted, path FROM r.who;
DELETE FROM r.who;
SELECT row_key, level FROM csat.breaches ORDER BY 1;
-- a role that may not read the table sweeps nothing of it: a WARNING
SET ROLE regress_rights_nobody;
SELECT csat.sweep('2030-01-02 00:00+00') AS swept_by_nobody;
RESET ROLE;
SELECT count(*) AS policy_runs FROM r.who;

-- ==== the trigger functions serve their tables only
SET ROLE regress_rights_owner;
CREATE TABLE r.rules (name text);
CREATE TRIGGER fake AFTER INSERT ON r.rules FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
SELECT pg_temp.try($$INSERT INTO r.rules VALUES ('x')$$);
CREATE TABLE r.other (id int, opened timestamptz, closed timestamptz);
CREATE TRIGGER fake AFTER INSERT ON r.other REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_trigger();
SELECT pg_temp.try($$INSERT INTO r.other VALUES (1, now(), now())$$);
RESET ROLE;

-- ==== an attacker-first search_path: look-alike operators that raise
CREATE SCHEMA attacker;
DO $$
DECLARE
	t text;
	op text;
	f text;
BEGIN
	FOREACH t IN ARRAY ARRAY['text', 'int8', 'int4', 'oid', 'float8', 'timestamptz', 'regclass', 'name', 'bool', 'csat.level'] LOOP
		f := 'boom_' || replace(t, '.', '_');
		EXECUTE format('CREATE FUNCTION attacker.%I(%s, %s) RETURNS boolean LANGUAGE plpgsql'
					   ' AS $f$BEGIN RAISE EXCEPTION ''planted operator ran''; END$f$', f, t, t);
		FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>='] LOOP
			EXECUTE format('CREATE OPERATOR attacker.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = attacker.%I)', op, t, t, f);
		END LOOP;
	END LOOP;
END $$;
GRANT USAGE ON SCHEMA attacker TO PUBLIC;
SELECT pg_temp.try($$SELECT 1::int8 = 1::int8$$) AS planted_check_outside;
SET search_path = attacker, pg_catalog, public;
SELECT pg_temp.try($$SELECT 1::int8 = 1::int8$$) AS planted_check_inside;
DELETE FROM csat.breaches;
SET ROLE regress_rights_owner;
CREATE TABLE r.evil (id int8, opened timestamptz, closed timestamptz, seg text);
INSERT INTO r.evil SELECT g, '2030-01-01 00:00+00', NULL, CASE WHEN (g % 2) OPERATOR(pg_catalog.=) 0 THEN 'vip' END FROM generate_series(1, 100) g;
SELECT csat.watch('r.evil', 'span', 'id', start_column => 'opened', end_column => 'closed', segment_column => 'seg') AS backfilled;
-- one row (the speculative path), many rows (the multi-insert path), an update (the upsert)
INSERT INTO r.evil VALUES (1001, '2030-01-01 00:00+00', '2030-01-01 00:01:30+00', 'vip');
INSERT INTO r.evil SELECT g, '2030-01-01 00:00+00', '2030-01-01 00:05+00', NULL FROM generate_series(2001, 2100) g;
UPDATE r.evil SET closed = '2030-01-01 00:03+00' WHERE id OPERATOR(pg_catalog.=) 1001;
RESET ROLE;
SET search_path = attacker, pg_catalog, public;
SELECT csat.sweep('2030-01-01 00:05+00') AS swept;
SELECT level, pg_catalog.count(*) FROM csat.breaches GROUP BY 1 ORDER BY 1;
SET ROLE regress_rights_owner;
SELECT csat.unwatch('r.evil', 'span');
RESET ROLE;
RESET search_path;

-- cleanup (roles are cluster-wide)
SELECT csat.unwatch('r.tickets', 'span');
DROP SCHEMA r CASCADE;
DROP SCHEMA attacker CASCADE;
DELETE FROM csat.breaches;
DROP ROLE regress_rights_owner, regress_rights_reader, regress_rights_nobody;
