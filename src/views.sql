/*
 * views: the KPI product over the user's own tables.
 *
 *   csat.settings              time zone and baseline period (one row, user-edited)
 *   csat.sources               source mapping registry; csat.map_source / unmap_source
 *   csat.orders/tickets/...    standard views (UNION ALL of mapped tables), created by
 *                              map_source, security_invoker
 *   csat.changes               change log written by statement triggers on mapped tables
 *   csat.rollup_hourly/daily   mergeable states (counts, sums, sketches) per period,
 *                              channel, segment ('all' rows for totals)
 *   csat.refresh()             incremental (or full) rebuild of the rollups
 *   csat.kpi_hourly/daily/weekly/monthly   BI views over the rollups (src/views_kpi.sql)
 *   csat.schedule_refresh()    pg_cron scheduling
 *
 * Families this one builds on may be absent from a build (sketch: percentiles;
 * scores: Wilson bounds; checks: rules and levels); the DO blocks below look for
 * them at install time and fill the matching columns with NULL when absent, so the
 * views keep one shape in every build.
 */

-- ---------------------------------------------------------------- settings
CREATE FUNCTION csat.is_valid_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM now() AT TIME ZONE tz;
	RETURN true;
EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
	RETURN false;
END $$;
COMMENT ON FUNCTION csat.is_valid_timezone(text) IS
'true when the text names a time zone PostgreSQL knows (as in AT TIME ZONE); NULL input gives NULL';

CREATE TABLE csat.settings (
	id				boolean PRIMARY KEY DEFAULT true CHECK (id),
	timezone		text CHECK (csat.is_valid_timezone(timezone)),
	baseline_start	date,
	baseline_end	date,
	CHECK (baseline_end >= baseline_start)
);
COMMENT ON TABLE csat.settings IS
'csat configuration, at most one row (id = true); edit with plain SQL, e.g. INSERT INTO csat.settings (timezone) VALUES (''Asia/Shanghai'') ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone';
COMMENT ON COLUMN csat.settings.id IS 'always true: keeps the table to one row';
COMMENT ON COLUMN csat.settings.timezone IS 'time zone in which hours, days, weeks and months are cut (NULL: the database''s ALTER DATABASE ... SET timezone, else the zone of the first refresh); changing it makes the next csat.refresh() rebuild everything';
COMMENT ON COLUMN csat.settings.baseline_start IS 'first day of the baseline period the *_vs_baseline columns compare with (NULL: no baseline)';
COMMENT ON COLUMN csat.settings.baseline_end IS 'last day (inclusive) of the baseline period';
SELECT pg_catalog.pg_extension_config_dump('csat.settings', '');

-- ---------------------------------------------------------------- registry, change log
CREATE TABLE csat.sources (
	kind		text NOT NULL CHECK (kind IN ('orders', 'tickets', 'surveys', 'returns')),
	source		regclass NOT NULL,
	columns		jsonb NOT NULL,
	mapped_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (kind, source)
);
COMMENT ON TABLE csat.sources IS 'source mapping registry: which user tables feed each standard view; written by csat.map_source / csat.unmap_source';
COMMENT ON COLUMN csat.sources.kind IS 'orders, tickets, surveys or returns';
COMMENT ON COLUMN csat.sources.source IS 'the mapped user table';
COMMENT ON COLUMN csat.sources.columns IS 'resolved mapping: standard column name -> the table''s column name, for every standard column the table provides';
COMMENT ON COLUMN csat.sources.mapped_at IS 'when the mapping was (re)made';
SELECT pg_catalog.pg_extension_config_dump('csat.sources', '');

-- Appended to by the statement triggers on mapped tables (as the owner of csat's
-- tables, so writers need no grant); hour NULL means "rebuild everything" (TRUNCATE,
-- mapping changes).
CREATE TABLE csat.changes (
	kind		text NOT NULL,
	hour		timestamptz,
	noted_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX changes_kind_hour ON csat.changes (kind, hour);
COMMENT ON TABLE csat.changes IS 'periods whose source rows changed since the last csat.refresh(): one row per kind and UTC hour touched (hour NULL: rebuild all); written by the change-tracking triggers, consumed by csat.refresh()';
COMMENT ON COLUMN csat.changes.kind IS 'source kind whose rows changed';
COMMENT ON COLUMN csat.changes.hour IS 'start of the touched hour, truncated in UTC (NULL: everything)';
COMMENT ON COLUMN csat.changes.noted_at IS 'when the change was noted';
SELECT pg_catalog.pg_extension_config_dump('csat.changes', '');

-- ---------------------------------------------------------------- rollups
CREATE TABLE csat.rollup_hourly (
	hour				timestamptz NOT NULL,
	channel				text NOT NULL,
	segment				text NOT NULL,
	orders				bigint NOT NULL DEFAULT 0,
	delivered			bigint NOT NULL DEFAULT 0,
	late				bigint NOT NULL DEFAULT 0,
	exceptions			bigint NOT NULL DEFAULT 0,
	tickets				bigint NOT NULL DEFAULT 0,
	complaints			bigint NOT NULL DEFAULT 0,
	responded			bigint NOT NULL DEFAULT 0,
	resolved			bigint NOT NULL DEFAULT 0,
	responses			bigint NOT NULL DEFAULT 0,
	satisfied			bigint NOT NULL DEFAULT 0,
	very_satisfied		bigint NOT NULL DEFAULT 0,
	score_sum			float8 NOT NULL DEFAULT 0,
	weight_sum			float8 NOT NULL DEFAULT 0,
	weighted_sum		float8 NOT NULL DEFAULT 0,
	nps_responses		bigint NOT NULL DEFAULT 0,
	promoters			bigint NOT NULL DEFAULT 0,
	detractors			bigint NOT NULL DEFAULT 0,
	returns				bigint NOT NULL DEFAULT 0,
	returns_completed	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (hour, channel, segment)
);
CREATE TABLE csat.rollup_daily (
	day					date NOT NULL,
	channel				text NOT NULL,
	segment				text NOT NULL,
	orders				bigint NOT NULL DEFAULT 0,
	delivered			bigint NOT NULL DEFAULT 0,
	late				bigint NOT NULL DEFAULT 0,
	exceptions			bigint NOT NULL DEFAULT 0,
	tickets				bigint NOT NULL DEFAULT 0,
	complaints			bigint NOT NULL DEFAULT 0,
	responded			bigint NOT NULL DEFAULT 0,
	resolved			bigint NOT NULL DEFAULT 0,
	responses			bigint NOT NULL DEFAULT 0,
	satisfied			bigint NOT NULL DEFAULT 0,
	very_satisfied		bigint NOT NULL DEFAULT 0,
	score_sum			float8 NOT NULL DEFAULT 0,
	weight_sum			float8 NOT NULL DEFAULT 0,
	weighted_sum		float8 NOT NULL DEFAULT 0,
	nps_responses		bigint NOT NULL DEFAULT 0,
	promoters			bigint NOT NULL DEFAULT 0,
	detractors			bigint NOT NULL DEFAULT 0,
	returns				bigint NOT NULL DEFAULT 0,
	returns_completed	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (day, channel, segment)
);

DO $$
DECLARE
	t text;
BEGIN
	-- percentile sketches, when the sketch family is part of this build
	IF pg_catalog.to_regtype('csat.sketch') IS NOT NULL THEN
		FOREACH t IN ARRAY ARRAY['rollup_hourly', 'rollup_daily'] LOOP
			EXECUTE pg_catalog.format('ALTER TABLE csat.%I ADD COLUMN delivery_sketch csat.sketch,'
									  ' ADD COLUMN frt_sketch csat.sketch, ADD COLUMN resolution_sketch csat.sketch,'
									  ' ADD COLUMN return_sketch csat.sketch', t);
		END LOOP;
	END IF;
END $$;

CREATE TABLE csat.rollup_state (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	timezone	text NOT NULL,
	refreshed_at timestamptz NOT NULL
);
COMMENT ON TABLE csat.rollup_state IS 'the time zone the rollups are cut in and when they were last refreshed (one row, written by csat.refresh())';
COMMENT ON COLUMN csat.rollup_state.id IS 'always true: keeps the table to one row';
COMMENT ON COLUMN csat.rollup_state.timezone IS 'time zone of the periods in csat.rollup_hourly/daily';
COMMENT ON COLUMN csat.rollup_state.refreshed_at IS 'end of the last successful refresh';

CREATE TABLE csat.refresh_log (
	started_at		timestamptz NOT NULL PRIMARY KEY,
	finished_at		timestamptz NOT NULL,
	duration_s		float8 NOT NULL,
	full_rebuild	boolean NOT NULL,
	timezone		text NOT NULL,
	hours_touched	bigint NOT NULL,
	days_touched	bigint NOT NULL,
	first_period	timestamptz,
	last_period		timestamptz
);
COMMENT ON TABLE csat.refresh_log IS 'one row per csat.refresh() run (the last 100 are kept)';
COMMENT ON COLUMN csat.refresh_log.started_at IS 'start of the run';
COMMENT ON COLUMN csat.refresh_log.finished_at IS 'end of the run';
COMMENT ON COLUMN csat.refresh_log.duration_s IS 'run time in seconds';
COMMENT ON COLUMN csat.refresh_log.full_rebuild IS 'true when everything was rebuilt';
COMMENT ON COLUMN csat.refresh_log.timezone IS 'time zone the periods were cut in';
COMMENT ON COLUMN csat.refresh_log.hours_touched IS 'hours recomputed';
COMMENT ON COLUMN csat.refresh_log.days_touched IS 'days recomputed';
COMMENT ON COLUMN csat.refresh_log.first_period IS 'start of the earliest hour recomputed';
COMMENT ON COLUMN csat.refresh_log.last_period IS 'start of the latest hour recomputed';

SELECT pg_catalog.pg_extension_config_dump('csat.rollup_hourly', '');
SELECT pg_catalog.pg_extension_config_dump('csat.rollup_daily', '');
SELECT pg_catalog.pg_extension_config_dump('csat.rollup_state', '');
SELECT pg_catalog.pg_extension_config_dump('csat.refresh_log', '');

COMMENT ON TABLE csat.rollup_hourly IS 'mergeable KPI states per hour (cut in csat.rollup_state.timezone), channel and segment; channel or segment ''all'' holds the totals; kept by csat.refresh(), read by csat.kpi_hourly';
COMMENT ON TABLE csat.rollup_daily IS 'mergeable KPI states per day, channel and segment, rolled up from csat.rollup_hourly; read by csat.kpi_daily/weekly/monthly';

CREATE VIEW csat.refresh_status AS
SELECT l.started_at, l.finished_at, l.duration_s, l.full_rebuild, l.timezone,
	   l.hours_touched, l.days_touched, l.first_period, l.last_period,
	   (SELECT pg_catalog.count(*) FROM csat.changes c) AS pending_changes
FROM csat.refresh_log l
ORDER BY l.started_at DESC
LIMIT 1;
COMMENT ON VIEW csat.refresh_status IS 'the last csat.refresh() run: when, how long, full or incremental, which periods it recomputed; and how many change records wait for the next run';
COMMENT ON COLUMN csat.refresh_status.started_at IS 'start of the last run';
COMMENT ON COLUMN csat.refresh_status.finished_at IS 'end of the last run';
COMMENT ON COLUMN csat.refresh_status.duration_s IS 'run time in seconds';
COMMENT ON COLUMN csat.refresh_status.full_rebuild IS 'true when everything was rebuilt';
COMMENT ON COLUMN csat.refresh_status.timezone IS 'time zone the periods were cut in';
COMMENT ON COLUMN csat.refresh_status.hours_touched IS 'hours recomputed';
COMMENT ON COLUMN csat.refresh_status.days_touched IS 'days recomputed';
COMMENT ON COLUMN csat.refresh_status.first_period IS 'start of the earliest hour recomputed';
COMMENT ON COLUMN csat.refresh_status.last_period IS 'start of the latest hour recomputed';
COMMENT ON COLUMN csat.refresh_status.pending_changes IS 'change records written since (periods the next refresh will recompute)';

-- ---------------------------------------------------------------- mapping
-- Change tracking (C, src/track.c): writers of a mapped table need no rights on
-- csat.changes; the trigger notes the hours as the owner of csat's tables.
CREATE FUNCTION csat.track_change() RETURNS trigger
AS 'MODULE_PATHNAME', 'csat_track_change' LANGUAGE C;
COMMENT ON FUNCTION csat.track_change() IS
'statement trigger installed on mapped tables by csat.map_source (arguments: kind, the period column at mapping time): notes in csat.changes the UTC hours whose rows were inserted, updated or deleted (the period column is the mapping''s; TRUNCATE notes everything), so csat.refresh() recomputes only those; writes as the owner of csat''s tables, and refuses to run on a table not mapped as that kind (55000)';

-- (re)create the standard view of one kind from the registry
-- ---------------------------------------------------------------- dropped tables
-- A dropped table's OID would dangle in csat.sources (and csat.watches, csat.breaches
-- of family watch), survive pg_dump as a number and could later name an unrelated
-- table.  The cleanup runs as the owner of csat's tables (src/track.c).
CREATE FUNCTION csat.drop_cleanup() RETURNS event_trigger
AS 'MODULE_PATHNAME', 'csat_drop_cleanup' LANGUAGE C;
COMMENT ON FUNCTION csat.drop_cleanup() IS
'internal: sql_drop event trigger function; removes the mappings (csat.sources), watches (csat.watches) and breaches (csat.breaches) of dropped tables, notes a full refresh of the kinds that lost a table and rebuilds their standard views';
CREATE EVENT TRIGGER csat_drop_cleanup ON sql_drop
	EXECUTE FUNCTION csat.drop_cleanup();
COMMENT ON EVENT TRIGGER csat_drop_cleanup IS 'csat: forgets the mappings, watches and breaches of dropped tables';

-- The objects of a trusted extension belong to the bootstrap superuser; the
-- user who created the extension maps sources, sets the time zone and runs
-- refresh (which writes the rollups with the caller's rights), and may pass
-- read access to the KPI views on to dashboard roles.
-- which tables are mapped is no secret (pg_class says as much), and refresh reads it
GRANT SELECT ON csat.sources TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.settings, csat.sources, csat.rollup_hourly,
	csat.rollup_daily, csat.rollup_state, csat.refresh_log TO @extowner@;
GRANT SELECT, INSERT, DELETE ON csat.changes TO @extowner@;
GRANT SELECT ON csat.refresh_status TO @extowner@ WITH GRANT OPTION;
