/*
 * kpis: the KPI catalogue (issue 12).  The tables, made once; their functions,
 * triggers, shipped rows and the long view csat.kpi_values are in
 * src/kpis_fn.sql, which every install and upgrade runs (Makefile: REPLAYED).
 *
 *   csat.kpis                 one row per KPI: kind, measure, expressions
 *   csat.dimension_weights    weights of the satisfaction index over dimensions
 *   csat.kpi_rollup_hourly    mergeable states per hour, KPI, channel, segment
 *   csat.kpi_rollup_daily     and breakdown value (NULL = the total), kept by
 *                             csat.refresh(); week, month and quarter roll up
 *                             from the days when read
 */

CREATE TABLE csat.kpis (
	name				text PRIMARY KEY,
	kind				text NOT NULL,
	measure				text NOT NULL,
	filter				text,
	success				text,
	value				text,
	weight				text,
	start_column		text,
	stop_column			text,
	target				float8,
	period_column		text,
	calendar			text,
	breakdown			text,
	denominator_kind	text,
	denominator_filter	text,
	scale				float8 NOT NULL DEFAULT 1,
	higher_is_better	boolean NOT NULL DEFAULT true,
	unit				text,
	description			text,
	enabled				boolean NOT NULL DEFAULT true,
	origin				text NOT NULL DEFAULT 'user',
	modified			boolean NOT NULL DEFAULT false,
	CONSTRAINT kpis_name_format CHECK (name OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]{0,62}$'),
	CONSTRAINT kpis_kind_known CHECK (kind OPERATOR(pg_catalog.=) ANY ('{orders,tickets,surveys,returns}'::text[])),
	CONSTRAINT kpis_denominator_kind_known CHECK (denominator_kind OPERATOR(pg_catalog.=) ANY ('{orders,tickets,surveys,returns}'::text[])),
	CONSTRAINT kpis_measure_known CHECK (measure OPERATOR(pg_catalog.=) ANY ('{share,ratio,mean,duration,nps,count,weighted_mean}'::text[])),
	CONSTRAINT kpis_origin_known CHECK (origin OPERATOR(pg_catalog.=) ANY ('{shipped,user}'::text[])),
	CONSTRAINT kpis_target_finite CHECK (target OPERATOR(pg_catalog.>=) 0::float8 AND target OPERATOR(pg_catalog.<) 'Infinity'::float8),
	CONSTRAINT kpis_scale_finite CHECK (scale OPERATOR(pg_catalog.>) 0::float8 AND scale OPERATOR(pg_catalog.<) 'Infinity'::float8)
);
COMMENT ON TABLE csat.kpis IS 'the KPI catalogue: one row per KPI csat.refresh() computes into csat.kpi_rollup_hourly/daily and csat.kpi_values shows; shipped rows (origin shipped) cover the teams'' quality plans, users add their own with INSERT; only the extension''s owner writes it; expressions are checked when written (42703 unknown column, 22023 otherwise) and stored normalized';
COMMENT ON COLUMN csat.kpis.name IS 'KPI name (key): lower case letters, digits and _; also the csat.rules metric of its level';
COMMENT ON COLUMN csat.kpis.kind IS 'source kind whose rows the KPI counts: orders, tickets, surveys or returns';
COMMENT ON COLUMN csat.kpis.measure IS 'share (success among filtered rows, Wilson interval), ratio (filtered rows per denominator rows, times scale), mean (of value, weighted by weight), duration (start to stop: percentiles, mean, attainment within target), nps (of value, default score, 0-10), count, weighted_mean (mean per dimension, combined with csat.dimension_weights)';
COMMENT ON COLUMN csat.kpis.filter IS 'SQL boolean expression over the kind''s columns (csat.kpi_columns()) choosing the rows the KPI covers; NULL = every row';
COMMENT ON COLUMN csat.kpis.success IS 'share: SQL boolean expression, true = a success; NULL result = not countable (excluded, or pending when the KPI reads as_of)';
COMMENT ON COLUMN csat.kpis.value IS 'mean, weighted_mean, nps: SQL numeric expression (nps: default score); NULL, NaN or infinite results are excluded';
COMMENT ON COLUMN csat.kpis.weight IS 'mean: SQL numeric expression weighting each row (NULL = 1; rows weighing 0 or less are excluded)';
COMMENT ON COLUMN csat.kpis.start_column IS 'duration: the standard timestamp column the duration starts at';
COMMENT ON COLUMN csat.kpis.stop_column IS 'duration: the standard timestamp column it stops at (NULL or later than as_of: still open)';
COMMENT ON COLUMN csat.kpis.target IS 'duration: seconds within which an item attains; NULL = the breach of the matching csat.rules rule of applies_to rows and the KPI''s name as metric (per channel and segment)';
COMMENT ON COLUMN csat.kpis.period_column IS 'the timestamp column that places a row in its period (NULL = the kind''s: ordered_at, opened_at, answered_at, requested_at)';
COMMENT ON COLUMN csat.kpis.calendar IS 'duration: csat.calendars name; durations count business seconds (NULL = calendar time)';
COMMENT ON COLUMN csat.kpis.breakdown IS 'optional standard column to split by (e.g. merchant); its values appear in csat.kpi_values.breakdown beside the total';
COMMENT ON COLUMN csat.kpis.denominator_kind IS 'ratio: kind of the rows counted in the denominator (e.g. orders for complaints per order)';
COMMENT ON COLUMN csat.kpis.denominator_filter IS 'ratio: SQL boolean expression over the denominator kind''s columns (NULL = every row)';
COMMENT ON COLUMN csat.kpis.scale IS 'ratio: multiplier of the value (1000 = per thousand); 1 elsewhere';
COMMENT ON COLUMN csat.kpis.higher_is_better IS 'direction of the KPI, for display and change rules';
COMMENT ON COLUMN csat.kpis.unit IS 'unit of the value, for display';
COMMENT ON COLUMN csat.kpis.description IS 'what the KPI means, with the plans'' target where they set one';
COMMENT ON COLUMN csat.kpis.enabled IS 'disabled KPIs are not computed (csat.refresh() disables a KPI whose definition no longer checks, with a WARNING)';
COMMENT ON COLUMN csat.kpis.origin IS 'shipped (defined by csat: an update replaces it unless modified) or user';
COMMENT ON COLUMN csat.kpis.modified IS 'true once a shipped row has been edited: updates of csat keep it and pg_dump dumps it';
-- pg_dump keeps the user's rows and the edited shipped ones (a restore's row
-- replaces the shipped row of the same name: csat.kpis_write())
SELECT pg_catalog.pg_extension_config_dump('csat.kpis', 'WHERE origin OPERATOR(pg_catalog.=) ''user'' OR modified');

CREATE TABLE csat.dimension_weights (
	dimension	text NOT NULL,
	weight		float8 NOT NULL,
	valid_from	date NOT NULL DEFAULT '-infinity',
	PRIMARY KEY (dimension, valid_from),
	CONSTRAINT dimension_weights_positive CHECK (weight OPERATOR(pg_catalog.>) 0::float8 AND weight OPERATOR(pg_catalog.<) 'Infinity'::float8)
);
COMMENT ON TABLE csat.dimension_weights IS 'weights of the survey dimensions (logistics, service, product, ...) in the weighted satisfaction index of weighted_mean KPIs: index = sum(w_d * mean_d) / sum(w_d) over the dimensions answered in the period; the weight of a period is the row with the latest valid_from on or before its first day; without any row every dimension weighs 1';
COMMENT ON COLUMN csat.dimension_weights.dimension IS 'value of the surveys'' dimension column';
COMMENT ON COLUMN csat.dimension_weights.weight IS 'positive weight';
COMMENT ON COLUMN csat.dimension_weights.valid_from IS 'first day the weight applies (default: always)';
SELECT pg_catalog.pg_extension_config_dump('csat.dimension_weights', '');

-- The mergeable state of one KPI in one period and scope.  What each count means
-- depends on the measure (src/kpis_fn.sql, csat.kpi_figures):
--   share     n rows counted, hits successes
--   ratio     hits numerator rows, n denominator rows
--   mean      n rows, sum_w, sum_wx, sum_wx2, sum_w2 (weights w, values x)
--   duration  n closed items (sketch of their durations, sum_wx, sum_wx2), hits
--             closed within the target, misses closed late or open past it
--   nps       n answers, promoters, detractors
--   count     n rows
-- open_n, overdue_n, pending_n (items whose state changes with time: the
-- refresh recomputes their periods every run) and excluded_n (rows the KPI
-- covers but cannot count: negative durations, off-scale scores) everywhere.
CREATE TABLE csat.kpi_rollup_hourly (
	period		timestamptz NOT NULL,
	kpi			text NOT NULL,
	totals		int2 NOT NULL,
	channel		text,
	segment		text,
	breakdown	text,
	n			bigint NOT NULL,
	hits		bigint NOT NULL,
	misses		bigint NOT NULL,
	open_n		bigint NOT NULL,
	overdue_n	bigint NOT NULL,
	pending_n	bigint NOT NULL,
	excluded_n	bigint NOT NULL,
	sum_w		float8 NOT NULL,
	sum_wx		float8 NOT NULL,
	sum_wx2		float8 NOT NULL,
	sum_w2		float8 NOT NULL,
	promoters	bigint NOT NULL,
	detractors	bigint NOT NULL,
	sketch		csat.sketch
);
-- no unique index: the refresh writes each key once (GROUP BY), and deletes by period
CREATE INDEX kpi_rollup_hourly_period ON csat.kpi_rollup_hourly (period, kpi);
CREATE INDEX kpi_rollup_hourly_pending ON csat.kpi_rollup_hourly (period) WHERE pending_n OPERATOR(pg_catalog.>) 0;
CREATE TABLE csat.kpi_rollup_daily (LIKE csat.kpi_rollup_hourly);
ALTER TABLE csat.kpi_rollup_daily RENAME COLUMN period TO day;
ALTER TABLE csat.kpi_rollup_daily ALTER COLUMN day TYPE date;
CREATE INDEX kpi_rollup_daily_day ON csat.kpi_rollup_daily (day);
CREATE INDEX kpi_rollup_daily_kpi ON csat.kpi_rollup_daily (kpi, day);
COMMENT ON TABLE csat.kpi_rollup_hourly IS 'mergeable states of every enabled KPI of csat.kpis per hour (cut in csat.rollup_state.timezone), channel and segment (no totals: csat.kpi_values adds them up when read; no breakdown values: those are kept per day); kept by csat.refresh()';
COMMENT ON TABLE csat.kpi_rollup_daily IS 'mergeable states of every enabled KPI per day, channel, segment and breakdown value, with the totals: NULL in channel, segment or breakdown = the total over it (totals = grouping(channel, segment, breakdown): 4 channel, 2 segment, 1 breakdown; a KPI without breakdown has only rows with bit 1); computed from the sources in the pass that computes the hours (src/kpi_emit.c), breakdown values per day; weeks, months and quarters roll up from it in csat.kpi_values';
DO $$
DECLARE
	t text;
	c text[];
BEGIN
	FOREACH t IN ARRAY ARRAY['kpi_rollup_hourly', 'kpi_rollup_daily'] LOOP
		FOREACH c SLICE 1 IN ARRAY ARRAY[
			['kpi', 'name of the csat.kpis row'],
			['totals', 'which scope columns are totals: grouping(channel, segment, breakdown) (4 channel, 2 segment, 1 breakdown); always 1 in the hourly table'],
			['channel', 'channel (orders, tickets, surveys: their own; returns: their order''s); ''unknown'' where the source has none; NULL = total over channels'],
			['segment', 'customer segment; ''unknown'' where the source has none; NULL = total over segments'],
			['breakdown', 'value of the KPI''s breakdown column (''unknown'' where NULL); NULL = total, or a KPI without breakdown'],
			['n', 'rows counted (ratio: denominator rows; duration: closed items)'],
			['hits', 'share: successes; ratio: numerator rows; duration: closed within the target'],
			['misses', 'duration: closed after the target, or open past it'],
			['open_n', 'duration: items still open at the refresh''s as_of'],
			['overdue_n', 'duration: open items past the target'],
			['pending_n', 'items whose state changes with time (open within the target, or a share that reads as_of and cannot tell yet): their periods are recomputed by every refresh'],
			['excluded_n', 'rows the KPI covers but cannot count (negative durations, off-scale or NULL values)'],
			['sum_w', 'sum of weights (mean; duration: closed items)'],
			['sum_wx', 'sum of weight * value (duration: of seconds)'],
			['sum_wx2', 'sum of weight * value^2'],
			['sum_w2', 'sum of weight^2 (Kish''s effective n)'],
			['promoters', 'nps: answers 9-10'],
			['detractors', 'nps: answers 0-6'],
			['sketch', 'duration: csat.sketch of the closed items'' seconds']] LOOP
			EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.%I IS %L', t, c[1], c[2]);
		END LOOP;
	END LOOP;
END $$;
COMMENT ON COLUMN csat.kpi_rollup_hourly.period IS 'start of the hour';
COMMENT ON COLUMN csat.kpi_rollup_daily.day IS 'the day (csat time zone)';
SELECT pg_catalog.pg_extension_config_dump('csat.kpi_rollup_hourly', '');
SELECT pg_catalog.pg_extension_config_dump('csat.kpi_rollup_daily', '');

-- the rows csat.source_kpis returns: one KPI's partial state of one table, per
-- hour and scope (returns: c is the order_id, whose order gives the scope), or
-- (totals not NULL, every kind but returns) per day with its totals as
-- csat.kpi_rollup_daily keeps them (totals added in 0.9)
CREATE TYPE csat.kpi_partial AS (
	h timestamptz, c text, s text, b text, kpi text,
	n bigint, hits bigint, misses bigint, open_n bigint, overdue_n bigint, pending_n bigint, excluded_n bigint,
	sum_w float8, sum_wx float8, sum_wx2 float8, sum_w2 float8, promoters bigint, detractors bigint,
	sketch csat.sketch, totals int2);
COMMENT ON TYPE csat.kpi_partial IS 'internal: a row of csat.source_kpis (partial KPI state of one mapped table, per hour h, channel c, segment s, breakdown b; with totals, per day h as a row of csat.kpi_rollup_daily: NULL c or s = the total over it)';

GRANT SELECT ON csat.kpis, csat.dimension_weights TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON csat.kpis, csat.dimension_weights TO @extowner@;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.kpi_rollup_hourly, csat.kpi_rollup_daily TO @extowner@;
