-- csat 0.1 -> 0.2 upgrade script: released, frozen.
\echo Use "ALTER EXTENSION csat UPDATE TO '0.2'" to load this file. \quit
-- Security (issue 10): nothing here may resolve to an object outside pg_catalog
-- and csat's own.  CREATE EXTENSION runs this script with search_path "csat,
-- pg_temp" (pg_catalog implicitly first): a look-alike operator or function with
-- a closer argument match, planted in schema csat, would win over pg_catalog's,
-- be bound into csat's views, defaults and checks, and run as the (bootstrap)
-- superuser.  SET LOCAL here lasts until the end of this script only.
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== src/upgrade-0.1--0.2.sql ====
-- changes in 0.2 to families that existed in 0.1 (common, scores)
GRANT USAGE ON SCHEMA csat TO PUBLIC;

-- ==== src/sketch.sql ====
-- sketch: the mergeable relative-error quantile sketch type csat.sketch, its
-- aggregates (sla_sketch, rollup, sla_percentile) and accessors (percentile,
-- attainment, count, mean, min, max).  States are csat.sketch values (a
-- concrete type, never internal) so every aggregate splits into partial
-- aggregates (parallel query, Citus); the text form round-trips exactly.

-- ---- the type ------------------------------------------------------------------
CREATE TYPE csat.sketch;

CREATE FUNCTION csat.sketch_in(cstring) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.sketch_out(csat.sketch) RETURNS cstring
    AS 'MODULE_PATHNAME', 'csat_sketch_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.sketch_recv(internal) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.sketch_send(csat.sketch) RETURNS bytea
    AS 'MODULE_PATHNAME', 'csat_sketch_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE csat.sketch (
    INPUT = csat.sketch_in,
    OUTPUT = csat.sketch_out,
    RECEIVE = csat.sketch_recv,
    SEND = csat.sketch_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE csat.sketch IS 'mergeable quantile sketch of durations (seconds) with relative error alpha; text form "v1 alpha=A n=N zeros=Z sum=S min=MIN max=MAX [p=P,...] bins=INDEX:COUNT,..."';
COMMENT ON FUNCTION csat.sketch_in(cstring) IS 'text input of csat.sketch (validates everything; 22P02 on bad input)';
COMMENT ON FUNCTION csat.sketch_out(csat.sketch) IS 'canonical text output of csat.sketch, exact (reads back to the same sketch)';
COMMENT ON FUNCTION csat.sketch_recv(internal) IS 'binary input of csat.sketch (the compact form; validates everything; 22P03 on bad input)';
COMMENT ON FUNCTION csat.sketch_send(csat.sketch) IS 'binary output of csat.sketch (the compact form)';

-- ---- aggregate support ----------------------------------------------------------
CREATE FUNCTION csat._sketch_add(csat.sketch, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add(csat.sketch, interval) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_interval' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add(csat.sketch, float8, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_alpha' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add_p(csat.sketch, float8, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_p' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add_p(csat.sketch, interval, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_interval_p' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add_p(csat.sketch, float8, float8[]) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_parray' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_combine(csat.sketch, csat.sketch) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final(csat.sketch) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final_percentile(csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_final_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final_percentile_interval(csat.sketch) RETURNS interval
    AS 'MODULE_PATHNAME', 'csat_sketch_final_percentile_interval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final_percentiles(csat.sketch) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_sketch_final_percentiles' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION csat._sketch_add(csat.sketch, float8) IS 'internal: transition function of sla_sketch(float8)';
COMMENT ON FUNCTION csat._sketch_add(csat.sketch, interval) IS 'internal: transition function of sla_sketch(interval)';
COMMENT ON FUNCTION csat._sketch_add(csat.sketch, float8, float8) IS 'internal: transition function of sla_sketch(float8, relative_accuracy)';
COMMENT ON FUNCTION csat._sketch_add_p(csat.sketch, float8, float8) IS 'internal: transition function of sla_percentile(float8, float8); the state carries p';
COMMENT ON FUNCTION csat._sketch_add_p(csat.sketch, interval, float8) IS 'internal: transition function of sla_percentile(interval, float8); the state carries p';
COMMENT ON FUNCTION csat._sketch_add_p(csat.sketch, float8, float8[]) IS 'internal: transition function of sla_percentile(float8, float8[]); the state carries the p list';
COMMENT ON FUNCTION csat._sketch_combine(csat.sketch, csat.sketch) IS 'internal: merges two sketches (combine function of the sketch aggregates, transition function of rollup)';
COMMENT ON FUNCTION csat._sketch_final(csat.sketch) IS 'internal: compacts an aggregate state into the stored form';
COMMENT ON FUNCTION csat._sketch_final_percentile(csat.sketch) IS 'internal: final function of sla_percentile(float8, float8)';
COMMENT ON FUNCTION csat._sketch_final_percentile_interval(csat.sketch) IS 'internal: final function of sla_percentile(interval, float8)';
COMMENT ON FUNCTION csat._sketch_final_percentiles(csat.sketch) IS 'internal: final function of sla_percentile(float8, float8[])';

-- ---- aggregates ------------------------------------------------------------------
CREATE AGGREGATE csat.sla_sketch(elapsed float8) (
    SFUNC = csat._sketch_add, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
CREATE AGGREGATE csat.sla_sketch(elapsed interval) (
    SFUNC = csat._sketch_add, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
CREATE AGGREGATE csat.sla_sketch(elapsed float8, relative_accuracy float8) (
    SFUNC = csat._sketch_add, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
CREATE AGGREGATE csat.rollup(csat.sketch) (
    SFUNC = csat._sketch_combine, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
CREATE AGGREGATE csat.sla_percentile(elapsed float8, p float8) (
    SFUNC = csat._sketch_add_p, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final_percentile, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
CREATE AGGREGATE csat.sla_percentile(elapsed interval, p float8) (
    SFUNC = csat._sketch_add_p, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final_percentile_interval, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
CREATE AGGREGATE csat.sla_percentile(elapsed float8, p float8[]) (
    SFUNC = csat._sketch_add_p, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final_percentiles, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE csat.sla_sketch(float8) IS 'quantile sketch of durations in seconds, relative accuracy 0.01; NULLs skipped, negative/NaN/infinite -> 22023';
COMMENT ON AGGREGATE csat.sla_sketch(interval) IS 'quantile sketch of interval durations (converted to seconds like EXTRACT(EPOCH)), relative accuracy 0.01';
COMMENT ON AGGREGATE csat.sla_sketch(float8, float8) IS 'quantile sketch of durations in seconds with the given relative accuracy (0.001 to 0.5, the same for every row of a group)';
COMMENT ON AGGREGATE csat.rollup(csat.sketch) IS 'merges stored sketches exactly (bucket counts add); sketches of different relative accuracy -> 22023';
COMMENT ON AGGREGATE csat.sla_percentile(float8, float8) IS 'percentile p of durations in seconds, within 1 % of percentile_disc; parallel; p the same for every row of a group';
COMMENT ON AGGREGATE csat.sla_percentile(interval, float8) IS 'percentile p of interval durations, within 1 % of percentile_disc, as an interval of hours:minutes:seconds';
COMMENT ON AGGREGATE csat.sla_percentile(float8, float8[]) IS 'percentiles of durations in seconds for each p of the array, within 1 % of percentile_disc';

-- ---- accessors -------------------------------------------------------------------
CREATE FUNCTION csat.percentile(sketch csat.sketch, p float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.percentile(sketch csat.sketch, p float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_sketch_percentiles' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.attainment(sketch csat.sketch, target float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_attainment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.count(sketch csat.sketch) RETURNS bigint
    AS 'MODULE_PATHNAME', 'csat_sketch_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.mean(sketch csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.min(sketch csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_min' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.max(sketch csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_max' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION csat.percentile(csat.sketch, float8) IS 'value at rank ceil(p*count) (percentile_disc''s rank) within relative error alpha; p=0 exact min, p=1 exact max; p outside [0,1] -> 22003';
COMMENT ON FUNCTION csat.percentile(csat.sketch, float8[]) IS 'percentile for each element of p (same shape; NULL elements answer NULL)';
COMMENT ON FUNCTION csat.attainment(csat.sketch, target float8) IS 'share of durations <= target seconds, never overstated: between share(<= target/gamma) and share(<= target); exact when target >= max or < min';
COMMENT ON FUNCTION csat.count(csat.sketch) IS 'exact number of durations in the sketch';
COMMENT ON FUNCTION csat.mean(csat.sketch) IS 'mean duration in seconds (exact sum / count)';
COMMENT ON FUNCTION csat.min(csat.sketch) IS 'exact smallest duration in seconds';
COMMENT ON FUNCTION csat.max(csat.sketch) IS 'exact largest duration in seconds';

-- ==== src/checks.sql ====
-- checks: grading values and rates against warning / breach thresholds

CREATE FUNCTION csat.threshold_check(value float8, warning float8, breach float8,
                                     higher_is_worse boolean DEFAULT true)
RETURNS csat.level
AS 'MODULE_PATHNAME', 'csat_threshold_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.threshold_check(float8, float8, float8, boolean) IS
'level of value against the thresholds: breach when past breach, warning when past warning, else ok; a value exactly at a threshold is not past it; NULL value, breach or direction -> NULL; NULL warning = no warning level';

CREATE FUNCTION csat.rate_check(successes bigint, n bigint, warning float8, breach float8,
                                higher_is_worse boolean DEFAULT true,
                                min_samples int DEFAULT 30,
                                confidence float8 DEFAULT 0.95)
RETURNS csat.level
AS 'MODULE_PATHNAME', 'csat_rate_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.rate_check(bigint, bigint, float8, float8, boolean, int, float8) IS
'level of the rate successes/n, judged on its Wilson bound (lower bound when higher is worse, upper otherwise) at the given confidence; NULL when n < min_samples';

-- ==== src/calendar.sql ====
-- calendar: business-hours calendars (weekly opening hours, holidays, a time zone)

CREATE FUNCTION csat.is_valid_time_zone(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'csat_is_valid_time_zone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.is_valid_time_zone(text) IS
'true when PostgreSQL knows the time zone name (as accepted by SET timezone / AT TIME ZONE, e.g. Europe/Berlin)';

CREATE TABLE csat.calendars (
    name        text PRIMARY KEY CHECK (name OPERATOR(pg_catalog.<>) ''),
    time_zone   text NOT NULL DEFAULT 'UTC' CHECK (csat.is_valid_time_zone(time_zone)),
    description text
);
COMMENT ON TABLE csat.calendars IS
'business-hours calendars: a name and the time zone whose wall clock the opening hours (csat.calendar_hours) and holidays (csat.calendar_holidays) are read on';
COMMENT ON COLUMN csat.calendars.name IS 'calendar name, as passed to csat.business_elapsed and used by csat.rules';
COMMENT ON COLUMN csat.calendars.time_zone IS 'time zone name, e.g. Europe/Berlin; DST changes are followed';
COMMENT ON COLUMN csat.calendars.description IS 'free text';

CREATE TABLE csat.calendar_hours (
    calendar text NOT NULL REFERENCES csat.calendars (name) ON UPDATE CASCADE ON DELETE CASCADE,
    isodow   integer NOT NULL CHECK (isodow BETWEEN 1 AND 7),
    opens    time NOT NULL,
    closes   time NOT NULL,
    PRIMARY KEY (calendar, isodow, opens),
    CHECK (opens OPERATOR(pg_catalog.<) closes)
);
COMMENT ON TABLE csat.calendar_hours IS
'weekly opening hours: one row per open range of a weekday (several per day allowed; overlapping ranges count once); a weekday without rows is closed';
COMMENT ON COLUMN csat.calendar_hours.calendar IS 'csat.calendars.name';
COMMENT ON COLUMN csat.calendar_hours.isodow IS 'ISO weekday: 1 = Monday .. 7 = Sunday';
COMMENT ON COLUMN csat.calendar_hours.opens IS 'local wall-clock time the range opens (inclusive)';
COMMENT ON COLUMN csat.calendar_hours.closes IS 'local wall-clock time the range closes (exclusive); 24:00 means midnight at the end of the day';

CREATE TABLE csat.calendar_holidays (
    calendar    text NOT NULL REFERENCES csat.calendars (name) ON UPDATE CASCADE ON DELETE CASCADE,
    day         date NOT NULL CHECK (pg_catalog.isfinite(day)),
    description text,
    PRIMARY KEY (calendar, day)
);
COMMENT ON TABLE csat.calendar_holidays IS
'local dates on which a calendar is closed all day';
COMMENT ON COLUMN csat.calendar_holidays.calendar IS 'csat.calendars.name';
COMMENT ON COLUMN csat.calendar_holidays.day IS 'closed local date';
COMMENT ON COLUMN csat.calendar_holidays.description IS 'free text, e.g. Christmas Day';

-- pg_dump keeps the user's rows (the extension creates none)
SELECT pg_catalog.pg_extension_config_dump('csat.calendars', '');
SELECT pg_catalog.pg_extension_config_dump('csat.calendar_hours', '');
SELECT pg_catalog.pg_extension_config_dump('csat.calendar_holidays', '');

-- everyone may read calendars (business_elapsed reads them as the caller);
-- the user who created the extension maintains them
GRANT SELECT ON csat.calendars, csat.calendar_hours, csat.calendar_holidays TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON csat.calendars, csat.calendar_hours, csat.calendar_holidays TO @extowner@;

CREATE FUNCTION csat.business_elapsed(start timestamptz, stop timestamptz, calendar text)
RETURNS float8
AS 'MODULE_PATHNAME', 'csat_business_elapsed'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.business_elapsed(timestamptz, timestamptz, text) IS
'seconds of [start, stop) inside the calendar''s opening hours, read on the wall clock of its time zone (an hour skipped by DST never counts, a repeated hour counts twice), minus holidays';

-- ==== src/watch.sql ====
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
CREATE UNIQUE INDEX rules_enabled_scope ON csat.rules (metric, segment, channel)
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

CREATE FUNCTION csat.prune_breaches(older_than interval) RETURNS bigint
	LANGUAGE plpgsql STRICT VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	IF older_than < interval '0' OR isfinite(older_than) IS NOT TRUE THEN
		RAISE EXCEPTION 'retention interval must be a finite non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	DELETE FROM csat.breaches WHERE observed_at < now() - older_than;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION csat.prune_breaches(interval) IS 'delete breaches observed longer ago than older_than; returns how many';

-- The objects of a trusted extension belong to the bootstrap superuser; the
-- user who created the extension edits rules and breaches with plain SQL.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON csat.rules, csat.breaches TO @extowner@;
GRANT SELECT ON csat.watches TO @extowner@;

-- ==== src/views.sql ====
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
 *   csat.kpi_hourly/daily/weekly/monthly   BI views over the rollups
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

-- ---------------------------------------------------------------- standard columns
CREATE FUNCTION csat.standard_columns()
RETURNS TABLE (kind text, name text, class text, required boolean, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
VALUES
	('orders', 'order_id', 'id', true, 1), ('orders', 'ordered_at', 'ts', true, 2),
	('orders', 'promised_at', 'ts', false, 3), ('orders', 'delivered_at', 'ts', false, 4),
	('orders', 'exception', 'bool', false, 5), ('orders', 'channel', 'text', false, 6),
	('orders', 'segment', 'text', false, 7), ('orders', 'merchant', 'text', false, 8),
	('tickets', 'ticket_id', 'id', true, 1), ('tickets', 'order_id', 'id', false, 2),
	('tickets', 'opened_at', 'ts', true, 3), ('tickets', 'first_response_at', 'ts', false, 4),
	('tickets', 'resolved_at', 'ts', false, 5), ('tickets', 'is_complaint', 'bool', false, 6),
	('tickets', 'channel', 'text', false, 7), ('tickets', 'priority', 'text', false, 8),
	('tickets', 'segment', 'text', false, 9),
	('surveys', 'answered_at', 'ts', true, 1), ('surveys', 'score', 'int', true, 2),
	('surveys', 'scale_max', 'int', false, 3), ('surveys', 'weight', 'float', false, 4),
	('surveys', 'dimension', 'text', false, 5), ('surveys', 'channel', 'text', false, 6),
	('surveys', 'segment', 'text', false, 7), ('surveys', 'order_id', 'id', false, 8),
	('returns', 'return_id', 'id', true, 1), ('returns', 'order_id', 'id', false, 2),
	('returns', 'requested_at', 'ts', true, 3), ('returns', 'completed_at', 'ts', false, 4),
	('returns', 'reason', 'text', false, 5)
$$;
COMMENT ON FUNCTION csat.standard_columns() IS
'the standard columns of each source kind: name, class (id: any type; ts: timestamptz; bool: boolean; text: any type, shown as text; int: an integer type; float: a numeric type, shown as float8), whether csat.map_source requires it, and its position in the standard view';

-- the period column that decides which hour a row of each kind belongs to
CREATE FUNCTION csat.period_column(kind text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE kind WHEN 'orders' THEN 'ordered_at' WHEN 'tickets' THEN 'opened_at'
	WHEN 'surveys' THEN 'answered_at' WHEN 'returns' THEN 'requested_at' END
$$;
COMMENT ON FUNCTION csat.period_column(text) IS
'the standard timestamp column that places a row of the given kind in its hour/day (orders: ordered_at, tickets: opened_at, surveys: answered_at, returns: requested_at); NULL for an unknown kind';

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

-- Appended to by statement triggers on mapped tables (as the writing user, hence the
-- grant); hour NULL means "rebuild everything" (TRUNCATE, mapping changes).
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
GRANT SELECT, INSERT ON csat.changes TO PUBLIC;
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

-- ---------------------------------------------------------------- time zone
CREATE FUNCTION csat.timezone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT coalesce(
	(SELECT s.timezone FROM csat.settings s),
	(SELECT substr(c, 10) FROM pg_db_role_setting d, unnest(d.setconfig) c
	  WHERE d.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND d.setrole = 0 AND lower(c) LIKE 'timezone=%' LIMIT 1),
	(SELECT r.timezone FROM csat.rollup_state r),
	current_setting('TimeZone'))
$$;
COMMENT ON FUNCTION csat.timezone() IS
'the time zone csat cuts periods in: csat.settings.timezone, else the database''s own TimeZone setting (ALTER DATABASE ... SET timezone), else the zone the rollups were last built in, else the session''s';

-- ---------------------------------------------------------------- mapping
CREATE FUNCTION csat.track_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	kind text := TG_ARGV[0];
	col text := TG_ARGV[1];
	q text := 'INSERT INTO csat.changes (kind, hour) SELECT DISTINCT $1, h FROM'
		' (SELECT date_trunc(''hour'', t.%1$I, ''UTC'') AS h FROM %2$I t WHERE t.%1$I IS NOT NULL) s'
		' WHERE NOT EXISTS (SELECT 1 FROM csat.changes c WHERE c.kind = $1 AND c.hour = s.h)';
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
		RETURN NULL;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		EXECUTE format(q, col, 'csat_new') USING kind;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		EXECUTE format(q, col, 'csat_old') USING kind;
	END IF;
	-- returns take their channel from their order: an order updated or deleted may move
	-- returns, so its hours are noted apart (an inserted order has no returns yet)
	IF kind = 'orders' AND TG_OP = 'UPDATE' THEN
		EXECUTE format(q, col, 'csat_new') USING 'orders:returns';
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION csat.track_change() IS
'statement trigger installed on mapped tables by csat.map_source: notes in csat.changes the UTC hours whose rows were inserted, updated or deleted (arguments: kind, the table''s period column), so csat.refresh() recomputes only those';

-- (re)create the standard view of one kind from the registry
CREATE FUNCTION csat.build_standard_view(kind text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	parts text[] := '{}';
	r record;
	c record;
	sel text;
	idtype record;
	vname text := kind;
	cols text;
	i int := 0;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM csat.sources s WHERE s.kind = build_standard_view.kind) THEN
		IF to_regclass(format('csat.%I', vname)) IS NOT NULL THEN
			EXECUTE format('DROP VIEW csat.%I', vname);
		END IF;
		RETURN;
	END IF;
	FOR r IN SELECT s.source, s.columns FROM csat.sources s
			  WHERE s.kind = build_standard_view.kind ORDER BY s.source::oid LOOP
		sel := '';
		FOR c IN SELECT sc.name, sc.class FROM csat.standard_columns() sc
				  WHERE sc.kind = build_standard_view.kind ORDER BY sc.ord LOOP
			IF sel <> '' THEN sel := sel || ', '; END IF;
			IF r.columns ? c.name THEN
				sel := sel || CASE c.class
					WHEN 'id' THEN
						-- ids keep their type when every source of the kind agrees, else text
						CASE WHEN (SELECT count(DISTINCT a.atttypid) FROM csat.sources s2
									 JOIN pg_attribute a ON a.attrelid = s2.source
														AND a.attname = (s2.columns ->> c.name)
									WHERE s2.kind = build_standard_view.kind AND s2.columns ? c.name) > 1
								  OR EXISTS (SELECT 1 FROM csat.sources s3 WHERE s3.kind = build_standard_view.kind
												AND NOT s3.columns ? c.name)
							 THEN format('t.%I::text', r.columns ->> c.name)
							 ELSE format('t.%I', r.columns ->> c.name) END
					WHEN 'ts' THEN format('t.%I', r.columns ->> c.name)
					WHEN 'bool' THEN format('t.%I', r.columns ->> c.name)
					WHEN 'text' THEN format('t.%I::text', r.columns ->> c.name)
					WHEN 'int' THEN format('t.%I::integer', r.columns ->> c.name)
					WHEN 'float' THEN format('t.%I::double precision', r.columns ->> c.name)
				END;
			ELSE
				sel := sel || CASE c.class
					WHEN 'id' THEN 'NULL::text'
					WHEN 'ts' THEN 'NULL::timestamp with time zone'
					WHEN 'bool' THEN 'NULL::boolean'
					WHEN 'text' THEN 'NULL::text'
					WHEN 'int' THEN 'NULL::integer'
					WHEN 'float' THEN 'NULL::double precision'
				END;
			END IF;
			sel := sel || ' AS ' || quote_ident(c.name);
		END LOOP;
		parts := parts || format('SELECT %s FROM %s t', sel, r.source);
	END LOOP;
	-- the shape may change (an id type), so replace rather than CREATE OR REPLACE
	IF to_regclass(format('csat.%I', vname)) IS NOT NULL THEN
		EXECUTE format('DROP VIEW csat.%I', vname);
	END IF;
	EXECUTE format('CREATE VIEW csat.%I WITH (security_invoker = true) AS %s',
				   vname, array_to_string(parts, ' UNION ALL '));
	EXECUTE format('COMMENT ON VIEW csat.%I IS %L', vname,
				   format('csat standard view of the %s kind: UNION ALL of the tables mapped with csat.map_source (security_invoker: readers see only rows they may read); rebuilt on every mapping change', kind));
	FOR c IN SELECT sc.name, sc.class FROM csat.standard_columns() sc
			  WHERE sc.kind = build_standard_view.kind ORDER BY sc.ord LOOP
		EXECUTE format('COMMENT ON COLUMN csat.%I.%I IS %L', vname, c.name,
					   format('standard column %s of kind %s (NULL where a mapped table lacks it)', c.name, kind));
	END LOOP;
END $$;
COMMENT ON FUNCTION csat.build_standard_view(text) IS
'(re)creates the standard view csat.<kind> as the UNION ALL of the tables mapped to that kind (dropped when none is); called by csat.map_source and csat.unmap_source';

CREATE FUNCTION csat.map_source(kind text, source regclass, columns jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	k text;
	v jsonb;
	resolved jsonb := '{}';
	c record;
	col text;
	att record;
	rel record;
	allowed text;
	trig text;
BEGIN
	IF kind IS NULL OR source IS NULL THEN
		RAISE EXCEPTION 'kind and source must not be null' USING ERRCODE = '22004';
	END IF;
	IF kind NOT IN ('orders', 'tickets', 'surveys', 'returns') THEN
		RAISE EXCEPTION 'unknown source kind "%"', kind USING ERRCODE = '22023',
			HINT = 'The kinds are orders, tickets, surveys and returns.';
	END IF;
	columns := coalesce(columns, '{}');
	IF jsonb_typeof(columns) <> 'object' THEN
		RAISE EXCEPTION 'columns must be a JSON object' USING ERRCODE = '22023',
			DETAIL = format('Got a JSON %s.', jsonb_typeof(columns)),
			HINT = 'Map standard names to the table''s column names, e.g. {"opened_at": "created"}.';
	END IF;
	SELECT cl.relkind, cl.relowner INTO rel FROM pg_class cl WHERE cl.oid = source;
	IF rel.relkind NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '"%" is not a table', source USING ERRCODE = '42809',
			DETAIL = 'csat tracks changes with triggers, so only tables and partitioned tables can be mapped.';
	END IF;
	IF NOT pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', source USING ERRCODE = '42501';
	END IF;
	FOR k, v IN SELECT * FROM jsonb_each(columns) LOOP
		IF NOT EXISTS (SELECT 1 FROM csat.standard_columns() sc
						WHERE sc.kind = map_source.kind AND sc.name = k) THEN
			SELECT string_agg(sc.name, ', ' ORDER BY sc.ord) INTO allowed
			  FROM csat.standard_columns() sc WHERE sc.kind = map_source.kind;
			RAISE EXCEPTION '"%" is not a standard column of kind %', k, kind USING ERRCODE = '22023',
				HINT = format('The standard columns of %s are %s.', kind, allowed);
		END IF;
		IF jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'the mapping of "%" must be a column name', k USING ERRCODE = '22023',
				DETAIL = format('Got a JSON %s.', jsonb_typeof(v));
		END IF;
	END LOOP;
	FOR c IN SELECT sc.name, sc.class, sc.required FROM csat.standard_columns() sc
			  WHERE sc.kind = map_source.kind ORDER BY sc.ord LOOP
		col := coalesce(columns ->> c.name, c.name);
		SELECT a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod) AS typname
		  INTO att FROM pg_attribute a
		 WHERE a.attrelid = source AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			IF columns ? c.name THEN
				RAISE EXCEPTION 'column "%" of relation % does not exist', col, source
					USING ERRCODE = '42703',
					DETAIL = format('The mapping names it for standard column %s.', c.name);
			ELSIF c.required THEN
				RAISE EXCEPTION 'required standard column "%" of kind % is not mapped', c.name, kind
					USING ERRCODE = '42703',
					DETAIL = format('Table %s has no column named %s and the mapping does not name one.', source, c.name),
					HINT = format('Pass it in columns, e.g. {"%s": "my_column"}.', c.name);
			END IF;
			CONTINUE;			-- optional column absent: NULL in the view
		END IF;
		IF (c.class = 'ts' AND att.atttypid <> 'timestamptz'::regtype)
		   OR (c.class = 'bool' AND att.atttypid <> 'boolean'::regtype)
		   OR (c.class = 'int' AND att.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype))
		   OR (c.class = 'float' AND att.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
														   'numeric'::regtype, 'real'::regtype, 'double precision'::regtype)) THEN
			RAISE EXCEPTION 'column "%" of relation % has type %, standard column % needs %', col, source, att.typname, c.name,
				CASE c.class WHEN 'ts' THEN 'timestamp with time zone' WHEN 'bool' THEN 'boolean'
					 WHEN 'int' THEN 'an integer type' ELSE 'a numeric type' END
				USING ERRCODE = '42804',
				HINT = CASE WHEN c.class = 'ts' THEN 'Convert it with ALTER TABLE ... ALTER COLUMN ... TYPE timestamptz USING ... AT TIME ZONE ..., or add a generated column and map that.'
							ELSE 'Add a generated column of the right type and map that.' END;
		END IF;
		resolved := resolved || jsonb_build_object(c.name, col);
	END LOOP;

	INSERT INTO csat.sources AS s (kind, source, columns) VALUES (kind, source, resolved)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET columns = EXCLUDED.columns, mapped_at = now();
	PERFORM csat.build_standard_view(kind);

	-- change tracking: one statement trigger per event (transition tables need that)
	trig := 'csat_track_' || kind;
	FOR k IN SELECT tg.tgname FROM pg_trigger tg WHERE tg.tgrelid = source AND tg.tgname LIKE trig || '\_%' LOOP
		EXECUTE format('DROP TRIGGER %I ON %s', k, source);
	END LOOP;
	col := resolved ->> csat.period_column(kind);
	EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS csat_new'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_ins', source, kind, col);
	EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_upd', source, kind, col);
	EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS csat_old'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_del', source, kind, col);
	EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_trunc', source, kind, col);
	-- a new or changed mapping invalidates every period
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
END $$;
COMMENT ON FUNCTION csat.map_source(text, regclass, jsonb) IS
'maps a user table to a source kind (orders, tickets, surveys, returns): columns maps standard names to the table''s own ({"opened_at": "created"}; unmapped standard names map to same-named columns, optional ones may be absent); validates names and types (42703 unknown column, 42804 wrong type, 22023 unknown kind or standard name, 42809 not a table, 42501 not owner), records the mapping, (re)creates the standard view csat.<kind> and installs the change-tracking triggers; mapping the same table again replaces its mapping';

CREATE FUNCTION csat.unmap_source(kind text, source regclass DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
	n bigint := 0;
	t text;
BEGIN
	IF kind IS NULL OR kind NOT IN ('orders', 'tickets', 'surveys', 'returns') THEN
		RAISE EXCEPTION 'unknown source kind "%"', kind USING ERRCODE = '22023',
			HINT = 'The kinds are orders, tickets, surveys and returns.';
	END IF;
	FOR r IN DELETE FROM csat.sources s
			  WHERE s.kind = unmap_source.kind AND (unmap_source.source IS NULL OR s.source = unmap_source.source)
			  RETURNING s.source LOOP
		n := n + 1;
		FOR t IN SELECT tg.tgname FROM pg_trigger tg
				  WHERE tg.tgrelid = r.source AND tg.tgname LIKE 'csat\_track\_' || kind || '\_%' LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', t, r.source);
		END LOOP;
	END LOOP;
	IF n = 0 AND source IS NOT NULL THEN
		RAISE EXCEPTION 'table % is not mapped as %', source, kind USING ERRCODE = '42704';
	END IF;
	PERFORM csat.build_standard_view(kind);
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.unmap_source(text, regclass) IS
'removes the mapping of one table (or, with source NULL, of every table) of a kind, drops its change-tracking triggers and rebuilds (or drops) the standard view; returns how many mappings were removed; 42704 if the given table is not mapped';

-- ---------------------------------------------------------------- refresh
-- The measures of the rollup tables, in table order, and per kind the expression
-- computing each from the standard view's rows (x.<standard column>).
CREATE FUNCTION csat.rollup_measures()
RETURNS TABLE (name text, kind text, expr text, is_sketch boolean, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
VALUES
	('orders', 'orders', 'count(*)', false, 1),
	('delivered', 'orders', 'count(x.delivered_at)', false, 2),
	('late', 'orders', 'count(*) FILTER (WHERE x.delivered_at > x.promised_at)', false, 3),
	('exceptions', 'orders', 'count(*) FILTER (WHERE x.exception)', false, 4),
	('tickets', 'tickets', 'count(*)', false, 5),
	('complaints', 'tickets', 'count(*) FILTER (WHERE x.is_complaint)', false, 6),
	('responded', 'tickets', 'count(x.first_response_at)', false, 7),
	('resolved', 'tickets', 'count(x.resolved_at)', false, 8),
	('responses', 'surveys', 'count(*) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5)', false, 9),
	('satisfied', 'surveys', 'count(*) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 4 AND 5)', false, 10),
	('very_satisfied', 'surveys', 'count(*) FILTER (WHERE x.sc = 5 AND x.score = 5)', false, 11),
	('score_sum', 'surveys', 'coalesce(sum(x.score::float8) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5), 0)', false, 12),
	('weight_sum', 'surveys', 'coalesce(sum(x.w) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5), 0)', false, 13),
	('weighted_sum', 'surveys', 'coalesce(sum(x.w * x.score) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5), 0)', false, 14),
	('nps_responses', 'surveys', 'count(*) FILTER (WHERE x.sc = 10 AND x.score BETWEEN 0 AND 10)', false, 15),
	('promoters', 'surveys', 'count(*) FILTER (WHERE x.sc = 10 AND x.score BETWEEN 9 AND 10)', false, 16),
	('detractors', 'surveys', 'count(*) FILTER (WHERE x.sc = 10 AND x.score BETWEEN 0 AND 6)', false, 17),
	('returns', 'returns', 'count(*)', false, 18),
	('returns_completed', 'returns', 'count(x.completed_at)', false, 19),
	('delivery_sketch', 'orders', 'csat.sla_sketch(date_part(''epoch'', x.delivered_at - x.ordered_at)) FILTER (WHERE x.delivered_at >= x.ordered_at)', true, 20),
	('frt_sketch', 'tickets', 'csat.sla_sketch(date_part(''epoch'', x.first_response_at - x.opened_at)) FILTER (WHERE x.first_response_at >= x.opened_at)', true, 21),
	('resolution_sketch', 'tickets', 'csat.sla_sketch(date_part(''epoch'', x.resolved_at - x.opened_at)) FILTER (WHERE x.resolved_at >= x.opened_at)', true, 22),
	('return_sketch', 'returns', 'csat.sla_sketch(date_part(''epoch'', x.completed_at - x.requested_at)) FILTER (WHERE x.completed_at >= x.requested_at)', true, 23)
$$;
COMMENT ON FUNCTION csat.rollup_measures() IS
'the measures kept in csat.rollup_hourly/daily and, per source kind, the aggregate computing each (CSAT answers: scale_max 5 (the default) and score 1-5; NPS answers: scale_max 10 and score 0-10; weight NULL counts as 1; durations that are negative are left out of the sketches)';

-- The INSERT that recomputes csat.rollup_hourly: over everything, or (ranged) over the
-- hours in [$2[i], $3[i]); $1 is the time zone.
CREATE FUNCTION csat.rollup_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := to_regtype('csat.sketch') IS NOT NULL;
	kinds text[] := '{}';
	k text;
	parts text[] := '{}';
	sel text;
	src text;
	m record;
	collist text;
	outer_sel text;
	pcol text;
	same_type boolean;
BEGIN
	FOREACH k IN ARRAY ARRAY['orders', 'tickets', 'surveys', 'returns'] LOOP
		IF to_regclass('csat.' || k) IS NOT NULL THEN
			kinds := kinds || k;
		END IF;
	END LOOP;
	IF cardinality(kinds) = 0 THEN
		RETURN NULL;
	END IF;
	SELECT string_agg(quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   string_agg(CASE WHEN rm.is_sketch THEN format('csat.rollup(u.%I)', rm.name)
						   WHEN rm.name IN ('score_sum', 'weight_sum', 'weighted_sum') THEN format('sum(u.%I)', rm.name)
						   ELSE format('sum(u.%I)::bigint', rm.name) END, ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;

	FOREACH k IN ARRAY kinds LOOP
		pcol := csat.period_column(k);
		SELECT string_agg(CASE WHEN rm.kind = k THEN rm.expr
							   WHEN rm.is_sketch THEN 'NULL::csat.sketch'
							   WHEN rm.name IN ('score_sum', 'weight_sum', 'weighted_sum') THEN '0::float8'
							   ELSE '0::bigint' END || ' AS ' || quote_ident(rm.name), ', ' ORDER BY rm.ord)
		  INTO sel
		  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
		IF k = 'returns' THEN
			-- returns have no channel or segment of their own: take their order's
			IF to_regclass('csat.orders') IS NOT NULL THEN
				SELECT (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.orders'::regclass AND a.attname = 'order_id')
					 = (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.returns'::regclass AND a.attname = 'order_id')
				  INTO same_type;
				src := 'SELECT t.*, o.channel, o.segment FROM csat.returns t LEFT JOIN LATERAL (SELECT o.channel, o.segment'
					|| ' FROM csat.orders o WHERE '
					|| CASE WHEN same_type THEN 'o.order_id = t.order_id' ELSE 'o.order_id::text = t.order_id::text' END
					|| ' LIMIT 1) o ON true';
			ELSE
				src := 'SELECT t.*, NULL::text AS channel, NULL::text AS segment FROM csat.returns t';
			END IF;
		ELSE
			src := 'SELECT t.* FROM csat.' || k || ' t';
		END IF;
		IF ranged THEN
			src := src || format(' JOIN unnest($2::timestamptz[], $3::timestamptz[]) AS r(lo, hi)'
								 ' ON t.%1$I >= r.lo AND t.%1$I < r.hi', pcol);
		END IF;
		parts := parts || format(
			'SELECT x.h AS hour, CASE WHEN grouping(x.c) = 1 THEN ''all'' ELSE x.c END AS channel,'
			' CASE WHEN grouping(x.s) = 1 THEN ''all'' ELSE x.s END AS segment, %s'
			' FROM (SELECT date_trunc(''hour'', y.%I, $1) AS h, coalesce(y.channel, ''unknown'') AS c,'
			' coalesce(y.segment, ''unknown'') AS s, %s y.* FROM (%s) y WHERE y.%I IS NOT NULL) x'
			' GROUP BY GROUPING SETS ((x.h, x.c, x.s), (x.h, x.c), (x.h, x.s), (x.h))',
			sel, pcol,
			CASE WHEN k = 'surveys' THEN 'coalesce(y.scale_max, 5) AS sc, coalesce(y.weight, 1) AS w,' ELSE '' END,
			src, pcol);
	END LOOP;
	RETURN format('INSERT INTO csat.rollup_hourly (hour, channel, segment, %s) SELECT u.hour, u.channel, u.segment, %s'
				  ' FROM (%s) u GROUP BY u.hour, u.channel, u.segment',
				  collist, outer_sel, array_to_string(parts, ' UNION ALL '));
END $$;
COMMENT ON FUNCTION csat.rollup_sql(boolean) IS
'builds the statement csat.refresh() runs to recompute csat.rollup_hourly from the standard views (all hours, or with ranged the hours in the ranges passed as $2/$3; $1 is the time zone)';

-- The INSERT that rolls hourly rows up into csat.rollup_daily (optionally ranged).
CREATE FUNCTION csat.rollup_daily_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := to_regtype('csat.sketch') IS NOT NULL;
	collist text;
	outer_sel text;
BEGIN
	SELECT string_agg(quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   string_agg(CASE WHEN rm.is_sketch THEN format('csat.rollup(h.%I)', rm.name)
						   WHEN rm.name IN ('score_sum', 'weight_sum', 'weighted_sum') THEN format('sum(h.%I)', rm.name)
						   ELSE format('sum(h.%I)::bigint', rm.name) END, ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
	RETURN format('INSERT INTO csat.rollup_daily (day, channel, segment, %s)'
				  ' SELECT (h.hour AT TIME ZONE $1)::date, h.channel, h.segment, %s FROM %s'
				  ' GROUP BY 1, 2, 3', collist, outer_sel,
				  -- ranged: one primary-key range scan per day (OFFSET 0 keeps the planner
				  -- from flattening it into a scan of the whole table)
				  CASE WHEN ranged THEN 'unnest($2::timestamptz[], $3::timestamptz[]) AS r(lo, hi) CROSS JOIN LATERAL'
										' (SELECT * FROM csat.rollup_hourly h WHERE h.hour >= r.lo AND h.hour < r.hi OFFSET 0) h'
					   ELSE 'csat.rollup_hourly h' END);
END $$;
COMMENT ON FUNCTION csat.rollup_daily_sql(boolean) IS
'builds the statement csat.refresh() runs to roll csat.rollup_hourly up into csat.rollup_daily (all days, or the days whose hour ranges are passed as $2/$3; $1 is the time zone)';

-- (jit off: its compile time costs more than the small incremental queries it speeds up)
CREATE FUNCTION csat.refresh("full" boolean DEFAULT false) RETURNS csat.refresh_log
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	tz text;
	rebuild boolean := coalesce("full", false);
	utc_hours timestamptz[];
	order_hours timestamptz[];
	extra_hours timestamptz[];
	hours timestamptz[];
	lo timestamptz[];
	hi timestamptz[];
	days date[];
	q text;
	res csat.refresh_log;
BEGIN
	-- one refresh at a time: a second caller waits here until the first commits
	PERFORM pg_advisory_xact_lock(1668506996, 1);
	tz := csat.timezone();
	IF NOT EXISTS (SELECT 1 FROM csat.rollup_state s WHERE s.timezone = tz) THEN
		rebuild := true;			-- first run, or the zone changed: every period moved
	END IF;
	-- consume the change log (rows committed later stay for the next run)
	WITH d AS (DELETE FROM csat.changes RETURNING kind, hour)
	SELECT rebuild OR coalesce(bool_or(d.hour IS NULL), false),
		   array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL),
		   array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind = 'orders:returns')
	  INTO rebuild, utc_hours, order_hours FROM d;
	-- returns take channel and segment from their order: an order updated in these
	-- hours moves its returns' hours too (an order deleted with returns left behind,
	-- or inserted after its returns, is only corrected by a full refresh)
	IF NOT rebuild AND order_hours IS NOT NULL AND to_regclass('csat.returns') IS NOT NULL
	   AND to_regclass('csat.orders') IS NOT NULL THEN
		-- (orders of those hours by their time index first, then a hash semi-join)
		EXECUTE format('WITH o AS MATERIALIZED (SELECT o.order_id FROM unnest($1::timestamptz[]) u(h)'
					   ' CROSS JOIN LATERAL (SELECT o.order_id FROM csat.orders o WHERE o.ordered_at >= u.h'
					   ' AND o.ordered_at < u.h + interval ''1 hour'' OFFSET 0) o)'
					   ' SELECT array_agg(DISTINCT date_trunc(''hour'', r.requested_at, ''UTC''))'
					   ' FROM csat.returns r WHERE r.requested_at IS NOT NULL AND %s',
					   CASE WHEN (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.orders'::regclass AND a.attname = 'order_id')
							   = (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.returns'::regclass AND a.attname = 'order_id')
							THEN 'r.order_id IN (SELECT o.order_id FROM o)'
							ELSE 'r.order_id::text IN (SELECT o.order_id::text FROM o)' END)
		   INTO extra_hours USING order_hours;
		utc_hours := utc_hours || coalesce(extra_hours, '{}');
	END IF;

	IF rebuild THEN
		DELETE FROM csat.rollup_hourly;
		DELETE FROM csat.rollup_daily;
		q := csat.rollup_sql(false);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz;
			EXECUTE csat.rollup_daily_sql(false) USING tz;
		END IF;
		SELECT array_agg(h.hour ORDER BY h.hour) INTO hours
		  FROM (SELECT DISTINCT r.hour FROM csat.rollup_hourly r) h;
	ELSIF utc_hours IS NOT NULL THEN
		-- local hours overlapping the touched UTC hours (two in half-hour zones)
		SELECT array_agg(DISTINCT date_trunc('hour', u + v.o, tz)) INTO hours
		  FROM unnest(utc_hours) u, (VALUES (interval '0'), (interval '59 min 59.999999 sec')) v(o);
		SELECT array_agg(i.lo ORDER BY i.lo), array_agg(i.hi ORDER BY i.lo) INTO lo, hi
		  FROM (SELECT min(h) AS lo, max(h) + interval '1 hour' AS hi
				  FROM (SELECT h, h - row_number() OVER (ORDER BY h) * interval '1 hour' AS g
						  FROM unnest(hours) h) s
				 GROUP BY g) i;
		DELETE FROM csat.rollup_hourly r WHERE r.hour = ANY (hours);
		q := csat.rollup_sql(true);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz, lo, hi;
		END IF;
		-- and the days holding them, rolled up again from all their hours
		SELECT array_agg(DISTINCT (h AT TIME ZONE tz)::date) INTO days FROM unnest(hours) h;
		SELECT array_agg(d::timestamp AT TIME ZONE tz ORDER BY d), array_agg((d + 1)::timestamp AT TIME ZONE tz ORDER BY d)
		  INTO lo, hi FROM unnest(days) d;
		DELETE FROM csat.rollup_daily r WHERE r.day = ANY (days);
		EXECUTE csat.rollup_daily_sql(true) USING tz, lo, hi;
	END IF;

	INSERT INTO csat.rollup_state AS s (timezone, refreshed_at) VALUES (tz, clock_timestamp())
	ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, refreshed_at = EXCLUDED.refreshed_at;
	INSERT INTO csat.refresh_log
	SELECT t0, clock_timestamp(), date_part('epoch', clock_timestamp() - t0), rebuild, tz,
		   coalesce(cardinality(hours), 0),
		   (SELECT count(DISTINCT (h AT TIME ZONE tz)::date) FROM unnest(hours) h),
		   (SELECT min(h) FROM unnest(hours) h), (SELECT max(h) FROM unnest(hours) h)
	RETURNING * INTO res;
	DELETE FROM csat.refresh_log l
	 WHERE l.started_at < (SELECT min(x.started_at) FROM (SELECT started_at FROM csat.refresh_log
															 ORDER BY started_at DESC LIMIT 100) x);
	RETURN res;
END $$;
COMMENT ON FUNCTION csat.refresh(boolean) IS
'brings csat.rollup_hourly/daily up to date: recomputes only the hours (and their days) whose source rows changed since the last run, as noted by the change-tracking triggers, or everything with full => true (also after a mapping change, a TRUNCATE or a time-zone change); runs inside the caller''s transaction, so readers see the old or the new state, never a mix; a concurrent second call waits for the first (advisory lock 1668506996, 1); returns the csat.refresh_log row of the run';

-- ---------------------------------------------------------------- KPI views
-- Built by one DO block from a template, so the four views share one definition and
-- the columns of absent families (sketch, scores, checks) become typed NULLs.
DO $do$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	has_wilson boolean := pg_catalog.to_regprocedure('csat.wilson_lower(bigint,bigint,double precision)') IS NOT NULL;
	has_rules boolean := pg_catalog.to_regclass('csat.rules') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.rate_check(bigint,bigint,double precision,double precision,boolean,integer,double precision)') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.threshold_check(double precision,double precision,double precision,boolean)') IS NOT NULL;
	counts text := 'orders, delivered, late, exceptions, tickets, complaints, responded, resolved, responses, satisfied,'
		' very_satisfied, score_sum, weight_sum, weighted_sum, nps_responses, promoters, detractors, returns, returns_completed';
	sketches text[] := ARRAY['delivery_sketch', 'frt_sketch', 'resolution_sketch', 'return_sketch'];
	agg_sel text;
	plain_sel text;
	v record;
	base text;
	body text;
	kpi text;
	c text[];
	tzq text := '(SELECT st.timezone FROM csat.rollup_state st)';
BEGIN
	-- select lists over the rollup columns: plain (hourly, daily) and rolled up (week, month)
	SELECT pg_catalog.string_agg(pg_catalog.format('d.%I', n), ', '),
		   pg_catalog.string_agg(CASE WHEN n IN ('score_sum', 'weight_sum', 'weighted_sum')
									  THEN pg_catalog.format('sum(d.%1$I) AS %1$I', n)
									  ELSE pg_catalog.format('sum(d.%1$I)::bigint AS %1$I', n) END, ', ')
	  INTO plain_sel, agg_sel
	  FROM pg_catalog.regexp_split_to_table(counts, ',\s*') n;
	FOREACH kpi IN ARRAY sketches LOOP
		plain_sel := plain_sel || CASE WHEN has_sketch THEN pg_catalog.format(', d.%I', kpi)
									   ELSE pg_catalog.format(', NULL::float8 AS %I', kpi) END;
		agg_sel := agg_sel || CASE WHEN has_sketch THEN pg_catalog.format(', csat.rollup(d.%1$I) AS %1$I', kpi)
								   ELSE pg_catalog.format(', NULL::float8 AS %I', kpi) END;
	END LOOP;

	FOR v IN SELECT * FROM (VALUES
		('kpi_hourly', 'hour',
		 'SELECT d.hour AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_hourly d',
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 month'') AT TIME ZONE ' || tzq,
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 year'') AT TIME ZONE ' || tzq,
		 'the same hour one month earlier', 'the same hour one year earlier'),
		('kpi_daily', 'day',
		 'SELECT d.day AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_daily d',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the same day one month earlier', 'the same day one year earlier'),
		('kpi_weekly', 'week (Monday)',
		 'SELECT pg_catalog.date_trunc(''week'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 'k.period_start - 28', 'k.period_start - 364',
		 'the week four weeks earlier', 'the week 52 weeks earlier'),
		('kpi_monthly', 'month',
		 'SELECT pg_catalog.date_trunc(''month'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the previous month', 'the same month one year earlier')
	) AS t(name, unit, base, mom, yoy, mom_doc, yoy_doc) LOOP
		body := pg_catalog.format($v$
CREATE VIEW csat.%1$I AS
SELECT k.period_start, k.channel, k.segment,
	k.orders, k.complaints,
	%2$s AS complaint_rate, %3$s AS complaint_rate_low, %4$s AS complaint_rate_high,
	k.responses,
	%5$s AS csat_rate, %6$s AS csat_rate_low, %7$s AS csat_rate_high,
	%8$s AS very_satisfied_rate, %9$s AS mean_score, %10$s AS weighted_score,
	k.nps_responses, %11$s AS nps,
	k.tickets, %12$s AS frt_p50_s, %13$s AS frt_p90_s, %14$s AS frt_p95_s,
	rf.breach AS frt_target_s, %15$s AS frt_attainment,
	%16$s AS resolution_p90_s, %17$s AS resolution_rate,
	k.delivered, %18$s AS delivery_p50_s, %19$s AS delivery_p90_s,
	%20$s AS late_delivery_rate, %21$s AS delivery_exception_rate,
	k.returns, %22$s AS return_p90_s,
	%5$s - %23$s AS csat_rate_mom, %5$s - %24$s AS csat_rate_yoy, %5$s - %25$s AS csat_rate_vs_baseline,
	%11$s - %26$s AS nps_mom, %11$s - %27$s AS nps_yoy, %11$s - %28$s AS nps_vs_baseline,
	%10$s - %29$s AS weighted_score_mom, %10$s - %30$s AS weighted_score_yoy, %10$s - %31$s AS weighted_score_vs_baseline,
	%2$s - %32$s AS complaint_rate_mom, %2$s - %33$s AS complaint_rate_yoy, %2$s - %34$s AS complaint_rate_vs_baseline,
	%14$s - %35$s AS frt_p95_s_mom, %14$s - %36$s AS frt_p95_s_yoy, %14$s - %37$s AS frt_p95_s_vs_baseline,
	%38$s AS csat_rate_level, %39$s AS nps_level, %40$s AS complaint_rate_level, %41$s AS frt_p95_level
FROM (%42$s) k
LEFT JOIN (%42$s) m ON m.channel = k.channel AND m.segment = k.segment AND m.period_start = %43$s
LEFT JOIN (%42$s) y ON y.channel = k.channel AND y.segment = k.segment AND y.period_start = %44$s
LEFT JOIN (SELECT d.channel, d.segment, %45$s
			 FROM csat.rollup_daily d JOIN csat.settings s ON d.day BETWEEN s.baseline_start AND s.baseline_end
			GROUP BY 1, 2) b ON b.channel = k.channel AND b.segment = k.segment
%46$s
$v$,
			v.name,
			'CASE WHEN k.orders > 0 THEN k.complaints::float8 / k.orders END',
			-- complaints are counted on the ticket's channel, orders on the order's: on a
			-- contact channel (chat...) complaints can outnumber orders, and no interval exists
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_lower(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_upper(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.satisfied::float8 / k.responses END',
			CASE WHEN has_wilson THEN 'csat.wilson_lower(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'csat.wilson_upper(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.very_satisfied::float8 / k.responses END',
			'CASE WHEN k.responses > 0 THEN k.score_sum / k.responses END',
			'CASE WHEN k.weight_sum > 0 THEN k.weighted_sum / k.weight_sum END',
			'CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors) / k.nps_responses END',
			-- 12..14 percentiles of first response
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.attainment(k.frt_sketch, rf.breach)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.resolution_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.tickets > 0 THEN k.resolved::float8 / k.tickets END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.delivered > 0 THEN k.late::float8 / k.delivered END',
			'CASE WHEN k.orders > 0 THEN k.exceptions::float8 / k.orders END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.return_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			-- 23..37: the headline KPIs of the compared periods (m, y, b)
			'CASE WHEN m.responses > 0 THEN m.satisfied::float8 / m.responses END',
			'CASE WHEN y.responses > 0 THEN y.satisfied::float8 / y.responses END',
			'CASE WHEN b.responses > 0 THEN b.satisfied::float8 / b.responses END',
			'CASE WHEN m.nps_responses > 0 THEN 100.0::float8 * (m.promoters - m.detractors) / m.nps_responses END',
			'CASE WHEN y.nps_responses > 0 THEN 100.0::float8 * (y.promoters - y.detractors) / y.nps_responses END',
			'CASE WHEN b.nps_responses > 0 THEN 100.0::float8 * (b.promoters - b.detractors) / b.nps_responses END',
			'CASE WHEN m.weight_sum > 0 THEN m.weighted_sum / m.weight_sum END',
			'CASE WHEN y.weight_sum > 0 THEN y.weighted_sum / y.weight_sum END',
			'CASE WHEN b.weight_sum > 0 THEN b.weighted_sum / b.weight_sum END',
			'CASE WHEN m.orders > 0 THEN m.complaints::float8 / m.orders END',
			'CASE WHEN y.orders > 0 THEN y.complaints::float8 / y.orders END',
			'CASE WHEN b.orders > 0 THEN b.complaints::float8 / b.orders END',
			CASE WHEN has_sketch THEN 'csat.percentile(m.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(y.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(b.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			-- 38..41 alert levels
			CASE WHEN has_rules THEN 'CASE WHEN rc.breach IS NOT NULL THEN csat.rate_check(k.satisfied, k.responses, rc.warning::float8, rc.breach::float8, rc.higher_is_worse, rc.min_samples::integer, rc.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN k.nps_responses >= rn.min_samples THEN csat.threshold_check(CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors) / k.nps_responses END, rn.warning::float8, rn.breach::float8, rn.higher_is_worse)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN rp.breach IS NOT NULL AND k.complaints <= k.orders THEN csat.rate_check(k.complaints, k.orders, rp.warning::float8, rp.breach::float8, rp.higher_is_worse, rp.min_samples::integer, rp.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules AND has_sketch THEN 'CASE WHEN k.responded >= rf.min_samples THEN csat.threshold_check(csat.percentile(k.frt_sketch, 0.95::float8), rf.warning::float8, rf.breach::float8, rf.higher_is_worse)::text END' ELSE 'NULL::text' END,
			v.base, v.mom, v.yoy,
			-- 45: the baseline period's states
			'sum(d.responses)::bigint AS responses, sum(d.satisfied)::bigint AS satisfied,'
			' sum(d.nps_responses)::bigint AS nps_responses, sum(d.promoters)::bigint AS promoters,'
			' sum(d.detractors)::bigint AS detractors, sum(d.weighted_sum) AS weighted_sum,'
			' sum(d.weight_sum) AS weight_sum, sum(d.orders)::bigint AS orders,'
			' sum(d.complaints)::bigint AS complaints'
			|| CASE WHEN has_sketch THEN ', csat.rollup(d.frt_sketch) AS frt_sketch' ELSE '' END,
			-- 46: the rule matching each row, per headline metric (most specific first)
			CASE WHEN has_rules THEN (
				SELECT pg_catalog.string_agg(pg_catalog.format(
					'LEFT JOIN LATERAL (SELECT r.breach::float8 AS breach, r.warning, r.higher_is_worse, r.min_samples, r.confidence'
					' FROM csat.rules r WHERE r.enabled AND r.metric = %L'
					' AND (r.channel IS NULL OR r.channel = k.channel) AND (r.segment IS NULL OR r.segment = k.segment)'
					' ORDER BY (r.channel IS NOT NULL)::int + (r.segment IS NOT NULL)::int DESC, r.name LIMIT 1) %s ON true',
					x.metric, x.alias), ' ')
				  FROM (VALUES ('csat_rate', 'rc'), ('nps', 'rn'), ('complaint_rate', 'rp'),
							   ('first_response', 'rf')) x(metric, alias))
			ELSE 'LEFT JOIN (SELECT NULL::float8 AS breach) rf ON true' END);
		EXECUTE body;

		EXECUTE pg_catalog.format('COMMENT ON VIEW csat.%I IS %L', v.name, pg_catalog.format(
			'customer-satisfaction KPIs per %s (cut in the time zone of csat.rollup_state), channel and segment, '
			'with ''all'' rows for the totals; read from the rollups kept by csat.refresh(); '
			'*_mom compares with %s, *_yoy with %s, *_vs_baseline with the period of csat.settings '
			'(each an absolute difference: this minus that); rates are fractions in [0,1], NPS in [-100,100], '
			'durations (_s) in seconds; levels are ok/warning/breach from csat.rules (NULL without a matching '
			'rule or with fewer answers than its min_samples)', v.unit, v.mom_doc, v.yoy_doc));
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.period_start IS %L', v.name,
			CASE WHEN v.name = 'kpi_hourly' THEN 'start of the hour (timestamptz)'
				 ELSE pg_catalog.format('first day of the %s (date, in the csat time zone)', v.unit) END);
		FOREACH c SLICE 1 IN ARRAY ARRAY[
			['channel', 'channel (orders: sales channel; tickets: contact channel; returns: their order''s), ''all'' for the total over channels, ''unknown'' where the source has none'],
			['segment', 'customer segment (e.g. vip, regular), ''all'' for the total over segments, ''unknown'' where the source has none'],
			['orders', 'orders placed in the period (by ordered_at)'],
			['complaints', 'tickets flagged is_complaint opened in the period'],
			['complaint_rate', 'complaints / orders (fraction; NULL without orders); complaints count on the ticket''s channel, orders on the order''s, so read it on the ''all'' channel rows or on channels that carry both'],
			['complaint_rate_low', 'lower bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
			['complaint_rate_high', 'upper bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
			['responses', 'CSAT survey answers (scale 1-5) in the period'],
			['csat_rate', 'share of CSAT answers scoring 4 or 5 (top-2-box, fraction)'],
			['csat_rate_low', 'lower bound of the 95 % Wilson interval of csat_rate'],
			['csat_rate_high', 'upper bound of the 95 % Wilson interval of csat_rate'],
			['very_satisfied_rate', 'share of CSAT answers scoring 5 (top-box, fraction)'],
			['mean_score', 'mean CSAT score (1-5)'],
			['weighted_score', 'weighted satisfaction index: sum(weight * score) / sum(weight) over CSAT answers (weight NULL counts as 1)'],
			['nps_responses', 'NPS answers (scale 0-10) in the period'],
			['nps', 'net promoter score: % promoters (9-10) - % detractors (0-6), in [-100, 100]'],
			['tickets', 'service tickets opened in the period'],
			['frt_p50_s', 'median first-response time, seconds (from the sketch: within its relative accuracy)'],
			['frt_p90_s', '90th percentile of first-response time, seconds'],
			['frt_p95_s', '95th percentile of first-response time, seconds'],
			['frt_target_s', 'breach threshold (seconds) of the csat.rules rule for metric first_response (the one csat.watch uses) matching this channel and segment'],
			['frt_attainment', 'share of answered tickets whose first response came within frt_target_s (fraction)'],
			['resolution_p90_s', '90th percentile of resolution time (resolved_at - opened_at), seconds'],
			['resolution_rate', 'resolved tickets / tickets opened in the period (fraction)'],
			['delivered', 'orders of the period that have been delivered'],
			['delivery_p50_s', 'median delivery time (delivered_at - ordered_at), seconds'],
			['delivery_p90_s', '90th percentile of delivery time, seconds'],
			['late_delivery_rate', 'share of delivered orders delivered after promised_at (fraction)'],
			['delivery_exception_rate', 'share of orders with a delivery exception (fraction)'],
			['returns', 'returns requested in the period'],
			['return_p90_s', '90th percentile of return processing time (completed_at - requested_at), seconds'],
			['csat_rate_mom', 'csat_rate minus its value in the month-earlier period'],
			['csat_rate_yoy', 'csat_rate minus its value in the year-earlier period'],
			['csat_rate_vs_baseline', 'csat_rate minus its value over the baseline period'],
			['nps_mom', 'nps minus its value in the month-earlier period (points)'],
			['nps_yoy', 'nps minus its value in the year-earlier period (points)'],
			['nps_vs_baseline', 'nps minus its value over the baseline period (points)'],
			['weighted_score_mom', 'weighted_score minus its value in the month-earlier period'],
			['weighted_score_yoy', 'weighted_score minus its value in the year-earlier period'],
			['weighted_score_vs_baseline', 'weighted_score minus its value over the baseline period'],
			['complaint_rate_mom', 'complaint_rate minus its value in the month-earlier period'],
			['complaint_rate_yoy', 'complaint_rate minus its value in the year-earlier period'],
			['complaint_rate_vs_baseline', 'complaint_rate minus its value over the baseline period'],
			['frt_p95_s_mom', 'frt_p95_s minus its value in the month-earlier period (seconds)'],
			['frt_p95_s_yoy', 'frt_p95_s minus its value in the year-earlier period (seconds)'],
			['frt_p95_s_vs_baseline', 'frt_p95_s minus its value over the baseline period (seconds)'],
			['csat_rate_level', 'alert level of csat_rate from the matching csat.rules rule of metric csat_rate (csat.rate_check: Wilson-bounded, min_samples)'],
			['nps_level', 'alert level of nps from the matching rule of metric nps (csat.threshold_check; NULL below min_samples answers)'],
			['complaint_rate_level', 'alert level of complaint_rate from the matching rule of metric complaint_rate (csat.rate_check)'],
			['frt_p95_level', 'alert level of frt_p95_s against the matching rule of metric first_response (csat.threshold_check; NULL below min_samples answered tickets)']
		] LOOP
			EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.%I IS %L', v.name, c[1], c[2]);
		END LOOP;
	END LOOP;
END $do$;

-- ---------------------------------------------------------------- scheduling
CREATE FUNCTION csat.schedule_refresh(schedule text DEFAULT '*/5 * * * *') RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	cron_db text := current_setting('cron.database_name', true);
	job text := 'csat_refresh_' || current_database();
	sql text;
	id bigint;
BEGIN
	IF schedule IS NULL THEN
		RAISE EXCEPTION 'schedule must not be null' USING ERRCODE = '22004';
	END IF;
	IF to_regnamespace('cron') IS NULL OR to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
		sql := format('SELECT cron.schedule_in_database(%L, %L, %L, %L);', job, schedule,
					  'SELECT csat.refresh()', current_database());
		IF to_regprocedure('csat.sweep(timestamp with time zone)') IS NOT NULL THEN
			sql := sql || format(' SELECT cron.schedule_in_database(%L, %L, %L, %L);', 'csat_sweep_' || current_database(),
								 '* * * * *', 'SELECT csat.sweep()', current_database());
		END IF;
		IF cron_db IS NOT NULL AND cron_db <> current_database() THEN
			RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
				DETAIL = format('pg_cron runs its jobs from database "%s" (cron.database_name).', cron_db),
				HINT = format('As a superuser connected to database "%s", run: %s', cron_db, sql);
		ELSIF cron_db IS NOT NULL THEN
			RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
				HINT = 'Run CREATE EXTENSION pg_cron; then call csat.schedule_refresh() again.';
		ELSE
			RAISE EXCEPTION 'pg_cron is not available' USING ERRCODE = '55000',
				DETAIL = 'pg_cron is not loaded (shared_preload_libraries).',
				HINT = 'Install pg_cron (Debian: postgresql-15-cron) and preload it, or call SELECT csat.refresh(); from any scheduler every few minutes.';
		END IF;
	END IF;
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO id USING job, schedule, 'SELECT csat.refresh()';
	IF to_regprocedure('csat.sweep(timestamp with time zone)') IS NOT NULL THEN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)'
		  USING 'csat_sweep_' || current_database(), '* * * * *', 'SELECT csat.sweep()';
	END IF;
	RETURN id;
END $$;
COMMENT ON FUNCTION csat.schedule_refresh(text) IS
'schedules SELECT csat.refresh() (and, where csat.sweep exists, SELECT csat.sweep() every minute) with pg_cron under the job name csat_refresh_<database>; schedule is a cron expression (default every 5 minutes); returns the pg_cron job id; when pg_cron is not installed in this database: ERROR 55000 whose hint gives the SQL to run in pg_cron''s database, or says to call csat.refresh() from any scheduler';

CREATE FUNCTION csat.unschedule_refresh() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n bigint;
BEGIN
	IF to_regnamespace('cron') IS NULL OR to_regclass('cron.job') IS NULL THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
			HINT = format('In pg_cron''s database, run: SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname IN (%L, %L);',
						  'csat_refresh_' || current_database(), 'csat_sweep_' || current_database());
	END IF;
	EXECUTE 'SELECT count(cron.unschedule(j.jobid)) FROM cron.job j WHERE j.jobname IN ($1, $2) AND j.username = current_user'
	   INTO n USING 'csat_refresh_' || current_database(), 'csat_sweep_' || current_database();
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.unschedule_refresh() IS
'removes the pg_cron jobs csat.schedule_refresh() created for this database (the caller''s); returns how many were removed; ERROR 55000 with a hint when pg_cron is not installed here';
