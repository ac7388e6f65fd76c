-- alerts_fn: the functions that judge KPI alerts from csat.kpi_values (the
-- alerts family's tables and the functions that need no view are in
-- src/alerts.sql).  Replayed by every upgrade, after the KPI views.

-- a number for a summary: 3 significant digits, shares as percent
-- (SQL-standard bodies, bound when the script creates them: no search_path to
-- set at each call, and the planner inlines them into the statement that writes
-- the summaries, as it cannot a function with SET)
CREATE OR REPLACE FUNCTION csat.alert_number(x float8, unit text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN x IS NULL THEN 'NULL'
			WHEN x OPERATOR(pg_catalog.=) 'Infinity'::pg_catalog.float8 OR x OPERATOR(pg_catalog.=) '-Infinity'::pg_catalog.float8 THEN x::pg_catalog.text
			WHEN unit OPERATOR(pg_catalog.=) ANY ('{share,fraction}'::pg_catalog.text[])
			THEN (x OPERATOR(pg_catalog.*) 100::pg_catalog.float8)::pg_catalog.numeric(30, 1)::pg_catalog.text OPERATOR(pg_catalog.||) ' %'
			WHEN unit OPERATOR(pg_catalog.=) 'pp'
			THEN (x OPERATOR(pg_catalog.*) 100::pg_catalog.float8)::pg_catalog.numeric(30, 1)::pg_catalog.text OPERATOR(pg_catalog.||) ' pp'
			WHEN unit OPERATOR(pg_catalog.=) 'seconds' THEN pg_catalog.round(x::pg_catalog.numeric)::pg_catalog.text OPERATOR(pg_catalog.||) ' s'
			ELSE pg_catalog.rtrim(pg_catalog.rtrim(pg_catalog.round(x::pg_catalog.numeric, 3)::pg_catalog.text, '0'), '.')
				 OPERATOR(pg_catalog.||) CASE WHEN unit IS NULL OR unit OPERATOR(pg_catalog.=) '' THEN '' ELSE ' ' OPERATOR(pg_catalog.||) unit END END;
COMMENT ON FUNCTION csat.alert_number(float8, text) IS 'internal: a figure as csat.alerts.summary writes it (share or fraction as percent, pp as percentage points, seconds rounded, else 3 decimals, with the unit)';

-- the unit a summary shows a rule's figure in: a relative change as a share, an
-- absolute change of a share in percentage points, attainment as a share
CREATE OR REPLACE FUNCTION csat.alert_unit(measure text, unit text, r csat.rules) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN r.change OPERATOR(pg_catalog.=) 'relative' AND r.compare IS NOT NULL THEN 'share'
			WHEN r.compare IS NOT NULL AND (measure OPERATOR(pg_catalog.=) 'share' OR unit OPERATOR(pg_catalog.=) 'fraction') THEN 'pp'
			WHEN measure OPERATOR(pg_catalog.=) 'duration' AND r.statistic OPERATOR(pg_catalog.=) 'attainment' THEN 'share'
			WHEN measure OPERATOR(pg_catalog.=) 'share' THEN 'share' ELSE unit END;
COMMENT ON FUNCTION csat.alert_unit(text, text, csat.rules) IS 'internal: the unit csat.alert_summary shows the figure of rule r on a KPI of the measure and unit in (share, pp or the KPI''s unit)';

-- the summary line of an alert: scope, KPI (and statistic, or the change a
-- change rule judges), figure, comparison, threshold, the deciding end of the
-- rule's two-sided interval and n
CREATE OR REPLACE FUNCTION csat.alert_summary(scope text, kpi text, measure text, unit text, r csat.rules, level csat.level,
											  figure float8, bound float8, n bigint, confidence float8) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN pg_catalog.format('%s %s%s%s %s %s %s (%s, n = %s)', scope, kpi,
		CASE WHEN measure OPERATOR(pg_catalog.=) 'duration' THEN ' ' OPERATOR(pg_catalog.||) coalesce(r.statistic, 'p95') ELSE '' END,
		CASE WHEN r.compare IS NOT NULL THEN pg_catalog.format(' %s change vs %s', r.change, r.compare) ELSE '' END,
		csat.alert_number(figure, csat.alert_unit(measure, unit, r)),
		CASE WHEN r.higher_is_worse THEN '>' ELSE '<' END,
		csat.alert_number(CASE WHEN level OPERATOR(pg_catalog.=) 'breach'::csat.level THEN r.breach ELSE coalesce(r.warning, r.breach) END,
						  csat.alert_unit(measure, unit, r)),
		CASE WHEN confidence IS NULL THEN 'raw value'
			 ELSE pg_catalog.format('%s %% %s bound %s',
					pg_catalog.rtrim(pg_catalog.rtrim(pg_catalog.round((100::pg_catalog.float8 OPERATOR(pg_catalog.*) confidence)::pg_catalog.numeric, 2)::pg_catalog.text, '0'), '.'),
					CASE WHEN r.higher_is_worse THEN 'lower' ELSE 'upper' END, csat.alert_number(bound, csat.alert_unit(measure, unit, r))) END,
		n);
COMMENT ON FUNCTION csat.alert_summary(text, text, text, text, csat.rules, csat.level, float8, float8, bigint, float8) IS 'internal: the one-line summary of an alert (csat.alerts.summary): scope, KPI, the figure the rule judges, the threshold passed, the deciding end of the interval at the confidence it was judged at, and n';

-- The figures of one key of csat.kpi_levels as they are now (value, the bound
-- its rule judged, the items it counted): csat.alert_step's lookup for an open
-- alert that a refresh did not raise again.  A function, so that the view is
-- planned only when an alert needs it, and looked up per key with the key's
-- values in every branch of csat.kpi_states (in a join the hours' totals were
-- aggregated over the whole history first: 47 s at scale 1).
CREATE OR REPLACE FUNCTION csat.alert_figures(grain text, period_start timestamptz, day date, kpi text,
											  channel text, segment text, breakdown text)
RETURNS TABLE (value float8, bound float8, n bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
SELECT l.value, l.bound, l.judged_n FROM csat.kpi_levels l
 WHERE l.grain OPERATOR(pg_catalog.=) alert_figures.grain AND l.period_start OPERATOR(pg_catalog.=) alert_figures.period_start
   AND l.day OPERATOR(pg_catalog.=) alert_figures.day AND l.kpi OPERATOR(pg_catalog.=) alert_figures.kpi
   AND l.channel IS NOT DISTINCT FROM alert_figures.channel AND l.segment IS NOT DISTINCT FROM alert_figures.segment
   AND l.breakdown IS NOT DISTINCT FROM alert_figures.breakdown
$$;
COMMENT ON FUNCTION csat.alert_figures(text, timestamptz, date, text, text, text, text) IS
'internal: the current figures (value, the bound its rule judged, n) of one key of csat.kpi_levels, for csat.alert_step''s open alerts not raised again';

-- The rows at warning or above of the change rules (compare set) among the
-- periods (grain, start) g/ps of the KPIs kpis, from csat.kpi_values, with the
-- figure the rule judges (the change) and the confidence of the period's look.
-- csat.alert_step's read of them, apart so that the comparisons are planned only
-- where a change rule exists.  (EXECUTE ... USING: the statement is planned with
-- the grains as constants, so that only the parts of csat.kpi_values for those
-- grains are planned; as a SQL function's statement it was planned with g a
-- parameter, every grain's part in full.)
CREATE OR REPLACE FUNCTION csat.alert_changes(g text[], ps timestamptz[], kpis text[], minn bigint)
RETURNS TABLE (grain text, period_start timestamptz, kpi text, channel text, segment text, breakdown text, breakdown_by text,
			   rule text, level csat.level, value float8, bound float8, n bigint, measure text, stats float8[], chg float8,
			   confidence float8)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN QUERY EXECUTE 'SELECT v.grain, v.period_start, v.kpi, v.channel, v.segment, v.breakdown, v.breakdown_by, v.rule, v.level, v.value,
			   v.bound, v.n, k.measure, NULL::float8[],
			   CASE WHEN rc.change OPERATOR(pg_catalog.=) ''relative'' THEN
						CASE rc.compare WHEN ''mom'' THEN v.mom_pct WHEN ''yoy'' THEN v.yoy_pct ELSE v.vs_baseline_pct END
					ELSE CASE rc.compare WHEN ''mom'' THEN v.mom WHEN ''yoy'' THEN v.yoy ELSE v.vs_baseline END END,
			   (SELECT l.confidence FROM csat.kpi_levels l WHERE l.grain OPERATOR(pg_catalog.=) v.grain
				   AND l.period_start OPERATOR(pg_catalog.=) v.period_start AND l.kpi OPERATOR(pg_catalog.=) v.kpi
				   AND l.channel IS NOT DISTINCT FROM v.channel AND l.segment IS NOT DISTINCT FROM v.segment
				   AND l.breakdown IS NOT DISTINCT FROM v.breakdown)
		  FROM csat.kpi_values v
		  JOIN csat.rules rc ON rc.name OPERATOR(pg_catalog.=) v.rule AND rc.compare IS NOT NULL
		  JOIN csat.kpis k ON k.name OPERATOR(pg_catalog.=) v.kpi
		 WHERE v.grain OPERATOR(pg_catalog.=) ANY ($1) AND v.period_start OPERATOR(pg_catalog.=) ANY ($2)
		   AND v.kpi OPERATOR(pg_catalog.=) ANY ($3)
		   -- (below every rule''s min_samples there is no level; see csat.alert_step)
		   AND v.n OPERATOR(pg_catalog.+) coalesce(v.overdue_n, 0::bigint) OPERATOR(pg_catalog.>=) $4
		   AND v.level OPERATOR(pg_catalog.>=) ''warning''::csat.level'
		USING g, ps, kpis, minn;
END $$;
COMMENT ON FUNCTION csat.alert_changes(text[], timestamptz[], text[], bigint) IS
'internal: csat.alert_step''s read of the change rules'' rows at warning or above (csat.kpi_values) among the periods (grain, start) g/ps of the KPIs kpis with at least minn items, with the change the rule judges (chg) and the confidence of the period''s look';

-- The alerts of one refresh, in its transaction.  Judged: the periods of the
-- recomputed hours (local period starts) at every grain a kpi rule asks for,
-- ending less than alert_horizon before as_of, and the periods of open alerts
-- that are provisional or not at breach (on a full rebuild, after a rule or
-- KPI was edited: of every open alert).  Rows written late into old
-- periods (a backfill) are judged by no refresh.  Sends one NOTIFY csat_alert
-- when a rule with notify (not muted) opened, escalated or resolved something.
-- (No parallel workers and no JIT: each statement runs once per refresh, in a
-- backend a schedule often starts afresh; launching workers or compiling costs
-- more than it saves here.  No sorts where a hash does: the hours' totals of
-- csat.kpi_states are grouped by hashing their few thousand rows, not sorted
-- with ties broken on text (the planner, reckoning a sketch's state at 8 kB a
-- group, sorts): 0.74 G -> 0.63 G instructions at scale 1 on PostgreSQL 15.
-- Turning nested loops off too, which PostgreSQL 17 chooses to meet the open
-- alerts with the judged rows, cut them further there but cost more on 15.)
CREATE OR REPLACE FUNCTION csat.alert_step(as_of timestamptz, hours timestamptz[], tz text, rebuilt boolean,
										   OUT opened bigint, OUT escalated bigint, OUT resolved bigint, OUT updated bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET max_parallel_workers_per_gather = 0 SET jit = off
SET enable_sort = off AS $$
DECLARE
	minn bigint;
	horizon interval := coalesce((SELECT s.alert_horizon FROM csat.settings s), interval '7 days');
	grace interval := coalesce((SELECT s.alert_grace FROM csat.settings s), interval '1 hour');
	grains text[];
	kpis text[];
	change_kpis text[];
	g text[];
	days date[];
	ps timestamptz[];
	payload jsonb;
BEGIN
	opened := 0; escalated := 0; resolved := 0; updated := 0;
	-- (minn: no rule judges a row with fewer items than the smallest min_samples)
	SELECT pg_catalog.array_agg(DISTINCT x.grain), pg_catalog.array_agg(DISTINCT r.metric),
		   pg_catalog.array_agg(DISTINCT r.metric) FILTER (WHERE r.compare IS NOT NULL),
		   GREATEST(pg_catalog.min(r.min_samples), 1) INTO grains, kpis, change_kpis, minn
	  FROM csat.rules r, pg_catalog.unnest(r.grains) x(grain)
	 WHERE r.enabled AND r.applies_to OPERATOR(pg_catalog.=) 'kpi';
	-- the periods to judge: (grain, start) pairs in g/ps
	SELECT pg_catalog.array_agg(p.grain), pg_catalog.array_agg(p.ps) INTO g, ps
	  FROM (SELECT DISTINCT x.grain, (pg_catalog.date_trunc(x.grain, h AT TIME ZONE tz) AT TIME ZONE tz) AS ps
			  FROM pg_catalog.unnest(hours) h, pg_catalog.unnest(grains) x(grain)
			 WHERE h OPERATOR(pg_catalog.>) (as_of OPERATOR(pg_catalog.-) horizon OPERATOR(pg_catalog.-) interval '3 months')
			   AND csat.period_end(x.grain, pg_catalog.date_trunc(x.grain, h AT TIME ZONE tz) AT TIME ZONE tz, tz)
				   OPERATOR(pg_catalog.>) (as_of OPERATOR(pg_catalog.-) horizon)
			UNION
			SELECT a.grain, a.period_start FROM csat.alerts a
			 WHERE a.resolved_at IS NULL AND (rebuilt OR a.provisional
				   OR a.current_level IS DISTINCT FROM 'breach'::csat.level)) p;
	IF ps IS NULL THEN
		RETURN;
	END IF;
	-- (the days the periods start on: an indexed key of the daily rollup)
	SELECT pg_catalog.array_agg(DISTINCT (p AT TIME ZONE tz)::date) INTO days FROM pg_catalog.unnest(ps) p;

	WITH raised AS (
		-- the periods' rows at warning or above: plain rules from csat.kpi_levels (each
		-- row reads only its own state), change rules from csat.kpi_values
		SELECT l.grain, l.period_start, l.kpi, l.channel, l.segment, l.breakdown, l.breakdown_by, l.rule, l.level, l.value,
			   l.bound, l.judged_n AS n, l.measure, ARRAY[l.p50, l.p90, l.p95, l.p99, l.mean, l.attainment] AS stats, NULL::float8 AS chg,
			   l.confidence
		  FROM csat.kpi_levels l
		 WHERE l.grain OPERATOR(pg_catalog.=) ANY (g) AND l.period_start OPERATOR(pg_catalog.=) ANY (ps)
		   AND l.day OPERATOR(pg_catalog.=) ANY (days)
		   AND l.kpi OPERATOR(pg_catalog.=) ANY (kpis)
		   -- (a row below every rule's min_samples has no level: this test on the state
		   -- alone, the judged n being at most n + overdue_n, skips the rule lookup and
		   -- the bounds for the many small hour x scope rows)
		   AND l.n OPERATOR(pg_catalog.+) coalesce(l.overdue_n, 0::bigint) OPERATOR(pg_catalog.>=) minn
		   AND l.level OPERATOR(pg_catalog.>=) 'warning'::csat.level
		UNION ALL
		-- change rules (csat.kpi_values with its comparisons: planned and run only when
		-- a change rule exists)
		SELECT c.* FROM csat.alert_changes(g, ps, change_kpis, minn) c WHERE change_kpis IS NOT NULL),
	judged AS MATERIALIZED (
		-- with the threshold passed and what the summary line needs (the line itself is
		-- written only for alerts that change: see changed and added)
		SELECT j.grain, j.period_start, j.kpi, j.channel, j.segment, j.breakdown, j.rule, j.level, j.value, j.bound, j.n,
			   CASE WHEN j.level OPERATOR(pg_catalog.=) 'breach'::csat.level THEN r.breach ELSE coalesce(r.warning, r.breach) END AS threshold,
			   csat.period_end(j.grain, j.period_start, tz) OPERATOR(pg_catalog.>) as_of AS provisional,
			   (csat.period_end(j.grain, j.period_start, tz) OPERATOR(pg_catalog.+) grace) OPERATOR(pg_catalog.<=) as_of AS closed,
			   r.notify AND NOT coalesce(r.muted_until OPERATOR(pg_catalog.>) as_of, false) AS notify,
			   pg_catalog.concat_ws('/', coalesce(j.channel, 'all'), coalesce(j.segment, 'all'),
									CASE WHEN j.breakdown IS NOT NULL THEN j.breakdown_by || ' ' || j.breakdown END) AS scope,
			   j.measure, k.unit, r AS rule_row,
			   CASE WHEN r.compare IS NOT NULL THEN j.chg
					WHEN j.measure OPERATOR(pg_catalog.<>) 'duration' THEN j.value
					ELSE j.stats[pg_catalog.array_position('{p50,p90,p95,p99,mean,attainment}'::text[], coalesce(r.statistic, 'p95'))] END AS figure,
			   j.confidence
		  FROM raised j
		  JOIN csat.rules r ON r.name OPERATOR(pg_catalog.=) j.rule AND j.grain OPERATOR(pg_catalog.=) ANY (r.grains)
		  JOIN csat.kpis k ON k.name OPERATOR(pg_catalog.=) j.kpi
		 WHERE (j.grain, j.period_start) IN (SELECT u.g, u.ps FROM ROWS FROM (pg_catalog.unnest(g), pg_catalog.unnest(ps)) u(g, ps))),
	matched AS MATERIALIZED (
		-- each judged row with the alert of its key, if there is one (by the key's index)
		SELECT a.alert_id, a.resolved_at AS a_resolved_at, a.level AS a_level, c.*
		  FROM judged c
		  LEFT JOIN csat.alerts a ON a.rule OPERATOR(pg_catalog.=) c.rule AND a.grain OPERATOR(pg_catalog.=) c.grain
			   AND a.period_start OPERATOR(pg_catalog.=) c.period_start AND a.channel IS NOT DISTINCT FROM c.channel
			   AND a.segment IS NOT DISTINCT FROM c.segment AND a.breakdown IS NOT DISTINCT FROM c.breakdown
		 WHERE c.level OPERATOR(pg_catalog.>=) 'warning'::csat.level),
	moves AS MATERIALIZED (
		-- at warning or above: open (a new key, or a resolved one again), escalate, or
		-- update in place; a period closed past the grace time with only a warning is
		-- not opened, and its open alert is resolved
		SELECT x.alert_id, x.grain, x.period_start, x.kpi, x.channel, x.segment, x.breakdown, x.rule, x.level, x.value,
			   x.bound, x.n, x.threshold, x.provisional, x.closed, x.notify, x.scope, x.measure, x.unit, x.rule_row,
			   x.figure, x.confidence,
			   CASE WHEN x.level OPERATOR(pg_catalog.=) 'warning'::csat.level AND x.closed THEN 'resolve'
					WHEN x.alert_id IS NULL OR x.a_resolved_at IS NOT NULL THEN 'open'
					WHEN x.level OPERATOR(pg_catalog.>) x.a_level THEN 'escalate' ELSE 'update' END AS move
		  FROM matched x
		 WHERE NOT (x.level OPERATOR(pg_catalog.=) 'warning'::csat.level AND x.closed
					AND (x.alert_id IS NULL OR x.a_resolved_at IS NOT NULL))
		UNION ALL
		-- open alerts of the judged periods not raised again: fallen below warning, or
		-- no longer graded (too few items, rule disabled or moved), with their figures
		-- as they are now (a function, so that csat.kpi_levels is planned only when
		-- some alert needs it).  (Those raised again are left out through a hashed
		-- set of their ids: a join with the judged rows was planned as a nested loop
		-- that read them all once per open alert.)
		SELECT a.alert_id, a.grain, a.period_start, a.kpi, a.channel, a.segment, a.breakdown, a.rule, NULL::csat.level,
			   cur.value, cur.bound, cur.n, NULL::float8,
			   csat.period_end(a.grain, a.period_start, tz) OPERATOR(pg_catalog.>) as_of, NULL::boolean,
			   r.notify AND NOT coalesce(r.muted_until OPERATOR(pg_catalog.>) as_of, false),
			   NULL::text, NULL::text, NULL::text, NULL::csat.rules, NULL::float8, NULL::float8, 'resolve'
		  FROM csat.alerts a
		  JOIN ROWS FROM (pg_catalog.unnest(g), pg_catalog.unnest(ps)) u(g, ps) ON u.g OPERATOR(pg_catalog.=) a.grain AND u.ps OPERATOR(pg_catalog.=) a.period_start
		  JOIN csat.rules r ON r.name OPERATOR(pg_catalog.=) a.rule
		  LEFT JOIN LATERAL csat.alert_figures(a.grain, a.period_start, (a.period_start AT TIME ZONE tz)::date, a.kpi,
											   a.channel, a.segment, a.breakdown) cur ON true
		 WHERE a.resolved_at IS NULL
		   AND a.alert_id NOT IN (SELECT x.alert_id FROM matched x WHERE x.alert_id IS NOT NULL)),
	changed AS (
		-- (the summary line is computed here, for the rows written; scope is NULL where
		-- the alert was not raised again: its line stays)
		UPDATE csat.alerts a
		   SET level = CASE WHEN m.move OPERATOR(pg_catalog.=) 'resolve' THEN a.level ELSE GREATEST(a.level, m.level) END,
			   current_level = coalesce(m.level, 'ok'::csat.level),
			   escalated_at = CASE WHEN m.move OPERATOR(pg_catalog.<>) 'resolve' AND m.level OPERATOR(pg_catalog.>) a.level THEN as_of
								   ELSE a.escalated_at END,
			   resolved_at = CASE m.move WHEN 'resolve' THEN as_of WHEN 'open' THEN NULL ELSE a.resolved_at END,
			   value = coalesce(m.value, a.value), bound = coalesce(m.bound, a.bound), threshold = coalesce(m.threshold, a.threshold),
			   n = coalesce(m.n, a.n), provisional = coalesce(m.provisional, a.provisional),
			   summary = coalesce(CASE WHEN m.scope IS NOT NULL THEN
									  csat.alert_summary(m.scope, m.kpi, m.measure, m.unit, m.rule_row, m.level, m.figure, m.bound, m.n, m.confidence)
								  END, a.summary)
		  FROM moves m
		 WHERE a.alert_id OPERATOR(pg_catalog.=) m.alert_id
		   AND (m.move OPERATOR(pg_catalog.<>) 'update'
				OR (a.current_level, a.value, a.bound, a.threshold, a.n, a.provisional)
				   IS DISTINCT FROM (m.level, m.value, m.bound, m.threshold, m.n, m.provisional))
		RETURNING m.move),
	added AS (
		INSERT INTO csat.alerts (rule, kpi, grain, period_start, channel, segment, breakdown, level, current_level, value, bound,
								 threshold, n, provisional, opened_at, summary)
		SELECT m.rule, m.kpi, m.grain, m.period_start, m.channel, m.segment, m.breakdown, m.level, m.level, m.value, m.bound,
			   m.threshold, m.n, m.provisional, as_of,
			   csat.alert_summary(m.scope, m.kpi, m.measure, m.unit, m.rule_row, m.level, m.figure, m.bound, m.n, m.confidence)
		  FROM moves m WHERE m.move OPERATOR(pg_catalog.=) 'open' AND m.alert_id IS NULL
		RETURNING 1)
	SELECT (SELECT pg_catalog.count(*) FROM added) OPERATOR(pg_catalog.+)
		   (SELECT pg_catalog.count(*) FROM changed WHERE changed.move OPERATOR(pg_catalog.=) 'open'),
		   (SELECT pg_catalog.count(*) FROM changed WHERE changed.move OPERATOR(pg_catalog.=) 'escalate'),
		   (SELECT pg_catalog.count(*) FROM changed WHERE changed.move OPERATOR(pg_catalog.=) 'resolve'),
		   (SELECT pg_catalog.count(*) FROM changed WHERE changed.move OPERATOR(pg_catalog.=) 'update'),
		   (SELECT pg_catalog.jsonb_build_object(
					'opened', pg_catalog.count(*) FILTER (WHERE m.move OPERATOR(pg_catalog.=) 'open'),
					'escalated', pg_catalog.count(*) FILTER (WHERE m.move OPERATOR(pg_catalog.=) 'escalate'),
					'resolved', pg_catalog.count(*) FILTER (WHERE m.move OPERATOR(pg_catalog.=) 'resolve'),
					'worst', pg_catalog.max(m.level) FILTER (WHERE m.move OPERATOR(pg_catalog.<>) 'resolve'))
			  FROM moves m WHERE m.notify AND m.move OPERATOR(pg_catalog.<>) 'update')
	  INTO opened, escalated, resolved, updated, payload;
	IF (payload OPERATOR(pg_catalog.->>) 'opened')::int OPERATOR(pg_catalog.+) (payload OPERATOR(pg_catalog.->>) 'escalated')::int
	   OPERATOR(pg_catalog.+) (payload OPERATOR(pg_catalog.->>) 'resolved')::int OPERATOR(pg_catalog.>) 0 THEN
		PERFORM pg_catalog.pg_notify('csat_alert', payload::text);
	END IF;
END $$;
COMMENT ON FUNCTION csat.alert_step(timestamptz, timestamptz[], text, boolean) IS
'internal: csat.refresh() calls it in its transaction with its as_of, the local hours it recomputed, the time zone and whether it rebuilt everything: opens, escalates, resolves and reopens csat.alerts from csat.kpi_values (docs/alerts.md) and sends NOTIFY csat_alert once (JSON: opened, escalated, resolved, worst) when a rule with notify, not muted, changed something; returns the counts (updated: alerts whose figures changed in place)';
