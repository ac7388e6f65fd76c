-- watch: breach rules, the breach log, the watch registry, and the C
-- statement-level triggers that flag breaching rows of the user's tables.

CREATE TABLE csat.rules (
	name			text PRIMARY KEY,
	metric			text NOT NULL,
	segment			text,
	channel			text,
	warning			float8,
	breach			float8 NOT NULL,
	higher_is_worse boolean NOT NULL DEFAULT true,
	unit			text NOT NULL DEFAULT 'seconds',
	calendar		text,
	notify			boolean NOT NULL DEFAULT false,
	enabled			boolean NOT NULL DEFAULT true,
	min_samples		integer NOT NULL DEFAULT 30,
	confidence		float8 NOT NULL DEFAULT 0.95,
	applies_to		text NOT NULL DEFAULT 'rows',
	statistic		text,
	CONSTRAINT rules_applies_to_known CHECK (applies_to OPERATOR(pg_catalog.=) ANY ('{rows,kpi}'::text[])),
	CONSTRAINT rules_statistic_known CHECK (statistic OPERATOR(pg_catalog.=) ANY ('{p50,p90,p95,p99,mean,attainment}'::text[])),
	CONSTRAINT rules_thresholds_finite CHECK (
		breach OPERATOR(pg_catalog.>) '-Infinity'::float8
		AND breach OPERATOR(pg_catalog.<) 'Infinity'::float8
		AND (warning IS NULL OR (warning OPERATOR(pg_catalog.>) '-Infinity'::float8
								 AND warning OPERATOR(pg_catalog.<) 'Infinity'::float8))),
	CONSTRAINT rules_thresholds_ordered CHECK (
		warning IS NULL
		OR (higher_is_worse AND warning OPERATOR(pg_catalog.<=) breach)
		OR (NOT higher_is_worse AND warning OPERATOR(pg_catalog.>=) breach)),
	CONSTRAINT rules_min_samples_positive CHECK (min_samples OPERATOR(pg_catalog.>=) 1),
	CONSTRAINT rules_confidence_range CHECK (
		confidence OPERATOR(pg_catalog.>) 0 AND confidence OPERATOR(pg_catalog.<) 1),
	CONSTRAINT rules_name_nonempty CHECK (name OPERATOR(pg_catalog.<>) ''),
	CONSTRAINT rules_metric_nonempty CHECK (metric OPERATOR(pg_catalog.<>) '')
);
-- one enabled rule per scope, so "the most specific rule" is always unique
CREATE UNIQUE INDEX rules_enabled_scope ON csat.rules (metric, applies_to, segment, channel)
	NULLS NOT DISTINCT WHERE enabled;
COMMENT ON TABLE csat.rules IS 'breach rules: warning and breach thresholds of a metric, optionally per customer segment and channel (NULL = all); the most specific enabled rule applies';
COMMENT ON COLUMN csat.rules.name IS 'rule name (key), recorded in csat.breaches';
COMMENT ON COLUMN csat.rules.metric IS 'metric name, as given to csat.watch (e.g. first_response)';
COMMENT ON COLUMN csat.rules.segment IS 'customer segment the rule applies to (e.g. vip), NULL = every segment';
COMMENT ON COLUMN csat.rules.channel IS 'channel the rule applies to (e.g. chat), NULL = every channel';
COMMENT ON COLUMN csat.rules.warning IS 'warning threshold (NULL = no warning level); a value exactly at it is not past it';
COMMENT ON COLUMN csat.rules.breach IS 'breach threshold; a value exactly at it is not past it (180 s "within 3 minutes" is no breach)';
COMMENT ON COLUMN csat.rules.higher_is_worse IS 'true for durations and complaint rates (above = worse), false for scores (below = worse)';
COMMENT ON COLUMN csat.rules.unit IS 'unit of the thresholds, for display (durations are seconds)';
COMMENT ON COLUMN csat.rules.calendar IS 'name of a csat.calendars row: start/end durations are measured in its business hours; NULL = calendar time';
COMMENT ON COLUMN csat.rules.notify IS 'send NOTIFY csat_breach (one per statement) when the rule logs breaches';
COMMENT ON COLUMN csat.rules.enabled IS 'disabled rules are ignored';
COMMENT ON COLUMN csat.rules.min_samples IS 'minimum sample size before a rate check may alert (used by rate checks)';
COMMENT ON COLUMN csat.rules.applies_to IS 'rows: csat.watch flags each row of a watched table against it (and a duration KPI of the same name without its own target takes its breach as target); kpi: it grades the level of the KPI of csat.kpis named by metric, never a row';
COMMENT ON COLUMN csat.rules.statistic IS 'kpi rules of a duration KPI: the figure judged (p50, p90, p95, p99, mean or attainment; NULL = p95); ignored elsewhere';
COMMENT ON COLUMN csat.rules.confidence IS 'confidence of the Wilson bound used by rate checks, in (0,1)';

CREATE TABLE csat.breaches (
	rule			text NOT NULL,
	source			regclass NOT NULL,
	row_key			text NOT NULL,
	observed		float8 NOT NULL,
	threshold		float8 NOT NULL,
	level			csat.level NOT NULL,
	observed_at		timestamptz NOT NULL,
	-- the one index a write has to maintain; source first, rule last: cheapest comparisons
	CONSTRAINT breaches_one_per_row PRIMARY KEY (source, row_key, rule),
	CONSTRAINT breaches_level_not_ok CHECK (level OPERATOR(pg_catalog.<>) 'ok'::csat.level)
);
-- BRIN: next to free to maintain, enough for retention and "what is new" queries
CREATE INDEX breaches_observed_at ON csat.breaches USING brin (observed_at);
COMMENT ON TABLE csat.breaches IS 'breach log: one row per rule, source table and source row; a worse later observation escalates warning to breach in place';
COMMENT ON COLUMN csat.breaches.rule IS 'name of the csat.rules row that was crossed';
COMMENT ON COLUMN csat.breaches.source IS 'the watched table';
COMMENT ON COLUMN csat.breaches.row_key IS 'the source row''s key column, as text';
COMMENT ON COLUMN csat.breaches.observed IS 'observed value (seconds for durations; business seconds when the rule has a calendar)';
COMMENT ON COLUMN csat.breaches.threshold IS 'the threshold that was crossed (the breach threshold for level breach, else the warning threshold)';
COMMENT ON COLUMN csat.breaches.level IS 'warning or breach';
COMMENT ON COLUMN csat.breaches.observed_at IS 'time of the observation (transaction time of the write, or the sweep''s now)';

CREATE TABLE csat.watches (
	source			regclass NOT NULL,
	metric			text NOT NULL,
	key_column		text NOT NULL,
	value_column	text,
	start_column	text,
	end_column		text,
	segment_column	text,
	channel_column	text,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (source, metric),
	CONSTRAINT watches_value_or_span CHECK (
		(value_column IS NOT NULL AND start_column IS NULL AND end_column IS NULL)
		OR (value_column IS NULL AND start_column IS NOT NULL AND end_column IS NOT NULL))
);
COMMENT ON TABLE csat.watches IS 'watch registry: which tables csat.watch attached breach flagging to, and with which columns (managed by csat.watch and csat.unwatch)';
COMMENT ON COLUMN csat.watches.source IS 'the watched table';
COMMENT ON COLUMN csat.watches.metric IS 'metric whose rules apply to the rows';
COMMENT ON COLUMN csat.watches.key_column IS 'column identifying a row, recorded as csat.breaches.row_key';
COMMENT ON COLUMN csat.watches.value_column IS 'column holding the value (NULL when start/end are used)';
COMMENT ON COLUMN csat.watches.start_column IS 'timestamptz column where the measured span starts';
COMMENT ON COLUMN csat.watches.end_column IS 'timestamptz column where it ends (NULL = still open, flagged by csat.sweep)';
COMMENT ON COLUMN csat.watches.segment_column IS 'column holding the customer segment, matched against csat.rules.segment';
COMMENT ON COLUMN csat.watches.channel_column IS 'column holding the channel, matched against csat.rules.channel';
COMMENT ON COLUMN csat.watches.created_at IS 'when the watch was set up';

SELECT pg_catalog.pg_extension_config_dump('csat.rules', '');
SELECT pg_catalog.pg_extension_config_dump('csat.watches', '');
SELECT pg_catalog.pg_extension_config_dump('csat.breaches', '');

GRANT SELECT ON csat.rules, csat.watches TO PUBLIC;

-- Triggers cache rules and watches per backend; this keeps the caches honest
-- by sending a (transactional) relcache invalidation when either changes.
CREATE FUNCTION csat.watch_config_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'csat_watch_config_changed' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_config_changed() IS 'internal: invalidates the per-backend cache of rules and watches when csat.rules or csat.watches change';
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.rules
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
CREATE TRIGGER watches_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.watches
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();

-- calendars (family calendar) are cached with the rules that use them
CREATE TRIGGER calendars_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendars
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
CREATE TRIGGER calendar_hours_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendar_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
CREATE TRIGGER calendar_holidays_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendar_holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();

CREATE FUNCTION csat.watch_trigger() RETURNS trigger
	AS 'MODULE_PATHNAME', 'csat_watch_trigger' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_trigger() IS 'internal: statement-level AFTER INSERT/UPDATE trigger installed by csat.watch; logs breaching rows into csat.breaches';

CREATE FUNCTION csat.watch_partitions() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'csat_watch_partitions' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_partitions() IS 'internal: event trigger function; gives a partition created in or attached to a watched table the watch triggers';
-- statement triggers fire only for the table a statement names: a partition
-- written directly needs its own, also when it is created after the watch
CREATE EVENT TRIGGER csat_watch_partitions ON ddl_command_end
	WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
	EXECUTE FUNCTION csat.watch_partitions();
COMMENT ON EVENT TRIGGER csat_watch_partitions IS 'csat: puts the watch triggers on partitions created in or attached to watched tables';

CREATE FUNCTION csat.watch(source regclass, metric text, key_column text,
						   value_column text DEFAULT NULL,
						   start_column text DEFAULT NULL, end_column text DEFAULT NULL,
						   segment_column text DEFAULT NULL, channel_column text DEFAULT NULL,
						   backfill boolean DEFAULT true)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'csat_watch' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.watch(regclass, text, text, text, text, text, text, text, boolean) IS 'attach breach flagging for metric to a table the caller owns: value_column, or the span start_column..end_column in seconds; returns the number of breaches logged by the backfill';

CREATE FUNCTION csat.unwatch(source regclass, metric text) RETURNS void
	AS 'MODULE_PATHNAME', 'csat_unwatch' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.unwatch(regclass, text) IS 'stop flagging metric on a table (its triggers go when its last watch goes); logged breaches stay';

CREATE FUNCTION csat.sweep(now timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
	AS 'MODULE_PATHNAME', 'csat_sweep' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.sweep(timestamptz) IS 'flag open rows (start set, end NULL) of every watched table whose elapsed time until now is past a threshold; returns the number of breach rows logged or escalated';

-- csat.prune_breaches is defined in watch_citus.sql: it prunes the breach
-- tables of Citus distributed tables too.

-- The objects of a trusted extension belong to the bootstrap superuser; the
-- user who created the extension edits rules and breaches with plain SQL.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON csat.rules TO @extowner@;
GRANT SELECT ON csat.watches TO @extowner@;

-- A breach reveals a row of its source table (key, value), so every role sees,
-- and the extension owner changes, only the breaches of tables it may SELECT.
-- ENABLE, not FORCE: the table's owner, as whom the breach-writing trigger writes,
-- is not subject to it (nor are superusers).  A dropped source's OID makes
-- has_table_privilege NULL: such rows are left to superusers.  TRUNCATE would
-- bypass the policy, so only the owner has it.
ALTER TABLE csat.breaches ENABLE ROW LEVEL SECURITY;
CREATE POLICY breaches_of_readable_tables ON csat.breaches
	USING (pg_catalog.has_table_privilege(source::pg_catalog.oid, 'SELECT'));
COMMENT ON POLICY breaches_of_readable_tables ON csat.breaches IS 'a role sees, updates and deletes (and inserts) only breaches of tables it has SELECT on';
GRANT SELECT ON csat.breaches TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.breaches TO @extowner@;
