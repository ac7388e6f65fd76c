-- watch_citus: reading the breaches of watched Citus distributed tables.  Their
-- triggers log them on the shards, into csat.citus_breaches_<co-location id>
-- (distributed tables csat.watch creates, one per co-location group, with the
-- copies of the configuration the shards read: csat.citus_rules,
-- csat.citus_watches, csat.citus_calendars, csat.citus_calendar_hours,
-- csat.citus_calendar_holidays).  None of them exist without Citus.  Also
-- the notification queue of watched reference tables, the DROP EXTENSION
-- cleanup of csat's Citus tables, and csat.prune_breaches over all of them.

-- csat's breach tables among the Citus tables (read dynamically: they exist
-- only with Citus), qualified and quoted; none without Citus
CREATE FUNCTION csat.citus_breach_tables() RETURNS SETOF text
	LANGUAGE plpgsql STABLE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY EXECUTE 'SELECT pg_catalog.format(''%I.%I'', n.nspname, c.relname)'
			' FROM pg_catalog.pg_dist_partition p'
			' JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid'
			' JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace'
			' JOIN pg_catalog.pg_extension e ON e.extnamespace OPERATOR(pg_catalog.=) n.oid'
			' AND e.extname OPERATOR(pg_catalog.=) ''csat'''
			' WHERE c.relname OPERATOR(pg_catalog.~) ''^citus_breaches_[0-9]+$'' ORDER BY 1';
END
$$;
COMMENT ON FUNCTION csat.citus_breach_tables() IS 'internal: the breach tables of watched Citus distributed tables (csat.citus_breaches_<co-location id>), qualified and quoted; none without Citus';

CREATE FUNCTION csat.citus_breaches()
	RETURNS TABLE (rule text, source text, row_key text, observed float8, threshold float8,
				   level csat.level, observed_at timestamptz)
	LANGUAGE plpgsql STABLE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text;
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN;
	END IF;
	-- source stays text here: Citus would evaluate to_regclass on the workers, whose OIDs differ
	FOR t IN SELECT x.t FROM csat.citus_breach_tables() x(t) LOOP
		RETURN QUERY EXECUTE pg_catalog.format(
			'SELECT b.rule, b.source, b.row_key, b.observed, b.threshold,'
			' b.level, b.observed_at FROM %s b', t);
	END LOOP;
END
$$;
COMMENT ON FUNCTION csat.citus_breaches() IS 'the breaches of watched Citus distributed tables (source as its qualified name), from every csat.citus_breaches_<co-location id> (none without Citus); as csat.breaches, a role sees those of the tables it may read';

CREATE VIEW csat.all_breaches WITH (security_invoker = true) AS
	SELECT b.rule, b.source, b.row_key, b.observed, b.threshold, b.level, b.observed_at
	FROM csat.breaches b
	UNION ALL
	SELECT c.rule, pg_catalog.to_regclass(c.source), c.row_key, c.observed, c.threshold, c.level, c.observed_at
	FROM csat.citus_breaches() c;
COMMENT ON VIEW csat.all_breaches IS 'every breach: csat.breaches (plain tables) and, on a Citus coordinator, those of watched distributed tables, kept next to their shards';
GRANT SELECT ON csat.all_breaches TO PUBLIC;
COMMENT ON COLUMN csat.all_breaches.rule IS 'name of the csat.rules row that was crossed';
COMMENT ON COLUMN csat.all_breaches.source IS 'the watched table (NULL when a distributed table''s breaches outlived it)';
COMMENT ON COLUMN csat.all_breaches.row_key IS 'the source row''s key column, as text';
COMMENT ON COLUMN csat.all_breaches.observed IS 'observed value (seconds for durations; business seconds when the rule has a calendar)';
COMMENT ON COLUMN csat.all_breaches.threshold IS 'the threshold that was crossed';
COMMENT ON COLUMN csat.all_breaches.level IS 'warning or breach';
COMMENT ON COLUMN csat.all_breaches.observed_at IS 'time of the observation (transaction time of the write, or the sweep''s now)';

-- Breach notifications of Citus reference tables, queued by their placement on
-- the coordinator (whose transaction may be prepared for two-phase commit, where
-- NOTIFY is refused) and sent by the coordinator's csat.sweep().
CREATE TABLE csat.breach_notices (
	rule			text NOT NULL,
	source			regclass NOT NULL,
	count			bigint NOT NULL,
	level			csat.level NOT NULL
);
COMMENT ON TABLE csat.breach_notices IS 'internal: NOTIFY csat_breach of watched Citus reference tables waiting for the coordinator''s csat.sweep()';
COMMENT ON COLUMN csat.breach_notices.rule IS 'rule (with notify) that logged breaches';
COMMENT ON COLUMN csat.breach_notices.source IS 'the watched reference table';
COMMENT ON COLUMN csat.breach_notices.count IS 'rows one statement logged or escalated';
COMMENT ON COLUMN csat.breach_notices.level IS 'the worst level logged';

CREATE FUNCTION csat.citus_config_setup() RETURNS void
	AS 'MODULE_PATHNAME', 'csat_citus_config_setup' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.citus_config_setup() IS 'internal: on a Citus coordinator, creates the copies of csat''s rules, watches and calendars on every node if they are missing (csat.map_source and csat.watch on a Citus table: the workers read the calendars there); nothing without Citus or on a worker';

CREATE FUNCTION csat.citus_drop_extension() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'csat_citus_drop_extension' LANGUAGE C;
COMMENT ON FUNCTION csat.citus_drop_extension() IS 'internal: event trigger function; DROP EXTENSION csat on a Citus coordinator drops the Citus tables csat created in its schema (breach and change tables, copies of the configuration) on every node';
CREATE EVENT TRIGGER csat_citus_drop_extension ON ddl_command_start
	WHEN TAG IN ('DROP EXTENSION')
	EXECUTE FUNCTION csat.citus_drop_extension();
COMMENT ON EVENT TRIGGER csat_citus_drop_extension IS 'csat: DROP EXTENSION csat drops csat''s Citus tables first (they are not extension members)';

-- Here rather than in watch.sql (0.5): it prunes the breach tables of Citus
-- distributed tables too (a distributed DELETE from the coordinator).
CREATE OR REPLACE FUNCTION csat.prune_breaches(older_than interval) RETURNS bigint
	LANGUAGE plpgsql STRICT VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
	m bigint;
	t text;
	cutoff timestamptz;
BEGIN
	IF older_than < interval '0' OR isfinite(older_than) IS NOT TRUE THEN
		RAISE EXCEPTION 'retention interval must be a finite non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	cutoff := now() OPERATOR(pg_catalog.-) older_than;
	DELETE FROM csat.breaches WHERE observed_at OPERATOR(pg_catalog.<) cutoff;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN n;
	END IF;
	FOR t IN SELECT x.t FROM csat.citus_breach_tables() x(t) LOOP
		EXECUTE pg_catalog.format('DELETE FROM %s WHERE observed_at OPERATOR(pg_catalog.<) $1', t)
			USING cutoff;
		GET DIAGNOSTICS m = ROW_COUNT;
		n := n OPERATOR(pg_catalog.+) m;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION csat.prune_breaches(interval) IS 'delete breaches observed longer ago than older_than, of the tables the caller may SELECT (row security on csat.breaches and, on a Citus coordinator, on the breach tables of distributed tables); returns how many';
