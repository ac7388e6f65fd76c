/*
 * views_kpi: the KPI views csat.kpi_hourly/daily/weekly/monthly/quarterly over the
 * rollups (family views).  Every upgrade runs this file again (Makefile: REPLAYED):
 * CREATE OR REPLACE VIEW keeps the views' grants and the views of users built on
 * them, and binds every operator and function anew, to pg_catalog's and csat's own
 * (the script pins search_path), so that a view an older version bound to a
 * look-alike operator planted in schema csat (issue 10) is repaired.
 */

-- ---------------------------------------------------------------- KPI views
-- Generated from data by one DO block: each kind of formula is written once (kinds),
-- each column names its kind, its arguments and its comment (measures, compared,
-- levels), and the block renders every column over the rows it reads: k (the period),
-- m and y (the period a month and a year earlier: the _mom and _yoy columns), b (the
-- baseline period of csat.settings) and the csat.rules row matched for each metric.
-- Columns whose family is absent (sketch, scores, checks) become typed NULLs.  The
-- formulas use operators with exact operand types and schema-qualified functions, so
-- the views' text binds to nothing that depends on search_path.
DO $do$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	has_wilson boolean := pg_catalog.to_regprocedure('csat.wilson_lower(bigint,bigint,double precision)') IS NOT NULL;
	has_rules boolean := pg_catalog.to_regclass('csat.rules') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.rate_check(bigint,bigint,double precision,double precision,boolean,integer,double precision)') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.threshold_check(double precision,double precision,double precision,boolean)') IS NOT NULL;
	present text[] := ARRAY[]::text[];	-- families the formulas may use

	-- Each kind of column: its type (for the NULL standing in when a family it needs
	-- is absent), the families it needs, and its formula.  In a formula {name} is the
	-- column's argument name=value: a column of the row the formula reads (k.orders),
	-- except {q} (a float8 literal), {rule} (the csat.rules row matched for that
	-- metric), {of} (the formula of the column named, over the same row) and {vs}
	-- (the formula of the column "of" names, over the compared row m, y or b).
	kinds text[] := ARRAY[
		['column',          NULL,     NULL,           '{col}'],
		['rate',            'float8', NULL,           'CASE WHEN {den} > 0 THEN {num}::float8 / {den}::float8 END'],
		-- complaints count on the ticket's channel, orders on the order's: on a contact
		-- channel (chat...) complaints can outnumber orders, and no interval exists
		['wilson_low',      'float8', 'wilson',       'CASE WHEN {num} <= {den} THEN csat.wilson_lower({num}, {den}) END'],
		['wilson_high',     'float8', 'wilson',       'CASE WHEN {num} <= {den} THEN csat.wilson_upper({num}, {den}) END'],
		['mean',            'float8', NULL,           'CASE WHEN {weight} > 0::float8 THEN {sum} / {weight} END'],
		['nps',             'float8', NULL,           'CASE WHEN {n} > 0 THEN 100.0::float8 * ({promoters} - {detractors})::float8 / {n}::float8 END'],
		['percentile',      'float8', 'sketch',       'csat.percentile({sketch}, {q})'],
		['target',          'float8', 'rules',        '{rule}.breach'],
		['attainment',      'float8', 'sketch rules', 'csat.attainment({sketch}, {rule}.breach)'],
		['change',          'float8', NULL,           '{of} - {vs}'],
		['rate_level',      'text',   'rules',        'CASE WHEN {rule}.breach IS NOT NULL AND {num} <= {den} THEN csat.rate_check({num}, {den}, {rule}.warning::float8, {rule}.breach::float8, {rule}.higher_is_worse, {rule}.min_samples::integer, {rule}.confidence::float8)::text END'],
		['threshold_level', 'text',   'rules',        'CASE WHEN {n} >= {rule}.min_samples THEN csat.threshold_check({of}, {rule}.warning::float8, {rule}.breach::float8, {rule}.higher_is_worse)::text END']
	];
	-- the columns, in order: name, kind, arguments, comment (period_start's is per view)
	measures text[] := ARRAY[
		['period_start', 'column', 'col=period_start', NULL],
		['channel', 'column', 'col=channel', 'channel (orders: sales channel; tickets: contact channel; returns: their order''s), ''all'' for the total over channels, ''unknown'' where the source has none'],
		['segment', 'column', 'col=segment', 'customer segment (e.g. vip, regular), ''all'' for the total over segments, ''unknown'' where the source has none'],
		['orders', 'column', 'col=orders', 'orders placed in the period (by ordered_at)'],
		['complaints', 'column', 'col=complaints', 'tickets flagged is_complaint opened in the period'],
		['complaint_rate', 'rate', 'num=complaints den=orders', 'complaints / orders (fraction; NULL without orders); complaints count on the ticket''s channel, orders on the order''s, so read it on the ''all'' channel rows or on channels that carry both'],
		['complaint_rate_low', 'wilson_low', 'num=complaints den=orders', 'lower bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
		['complaint_rate_high', 'wilson_high', 'num=complaints den=orders', 'upper bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
		['responses', 'column', 'col=responses', 'CSAT survey answers (scale 1-5) in the period'],
		['csat_rate', 'rate', 'num=satisfied den=responses', 'share of CSAT answers scoring 4 or 5 (top-2-box, fraction)'],
		['csat_rate_low', 'wilson_low', 'num=satisfied den=responses', 'lower bound of the 95 % Wilson interval of csat_rate'],
		['csat_rate_high', 'wilson_high', 'num=satisfied den=responses', 'upper bound of the 95 % Wilson interval of csat_rate'],
		['very_satisfied_rate', 'rate', 'num=very_satisfied den=responses', 'share of CSAT answers scoring 5 (top-box, fraction)'],
		['mean_score', 'rate', 'num=score_sum den=responses', 'mean CSAT score (1-5)'],
		['weighted_score', 'mean', 'sum=weighted_sum weight=weight_sum', 'weighted satisfaction index: sum(weight * score) / sum(weight) over CSAT answers (weight NULL counts as 1)'],
		['nps_responses', 'column', 'col=nps_responses', 'NPS answers (scale 0-10) in the period'],
		['nps', 'nps', 'promoters=promoters detractors=detractors n=nps_responses', 'net promoter score: % promoters (9-10) - % detractors (0-6), in [-100, 100]'],
		['tickets', 'column', 'col=tickets', 'service tickets opened in the period'],
		['frt_p50_s', 'percentile', 'sketch=frt_sketch q=0.5', 'median first-response time, seconds (from the sketch: within its relative accuracy)'],
		['frt_p90_s', 'percentile', 'sketch=frt_sketch q=0.9', '90th percentile of first-response time, seconds'],
		['frt_p95_s', 'percentile', 'sketch=frt_sketch q=0.95', '95th percentile of first-response time, seconds'],
		['frt_target_s', 'target', 'rule=first_response', 'breach threshold (seconds) of the csat.rules rule for metric first_response (the one csat.watch uses) matching this channel and segment'],
		['frt_attainment', 'attainment', 'sketch=frt_sketch rule=first_response', 'share of answered tickets whose first response came within frt_target_s (fraction)'],
		['resolution_p90_s', 'percentile', 'sketch=resolution_sketch q=0.9', '90th percentile of resolution time (resolved_at - opened_at), seconds'],
		['resolution_rate', 'rate', 'num=resolved den=tickets', 'resolved tickets / tickets opened in the period (fraction)'],
		['delivered', 'column', 'col=delivered', 'orders of the period that have been delivered'],
		['delivery_p50_s', 'percentile', 'sketch=delivery_sketch q=0.5', 'median delivery time (delivered_at - ordered_at), seconds'],
		['delivery_p90_s', 'percentile', 'sketch=delivery_sketch q=0.9', '90th percentile of delivery time, seconds'],
		['late_delivery_rate', 'rate', 'num=late den=delivered', 'share of delivered orders delivered after promised_at (fraction)'],
		['delivery_exception_rate', 'rate', 'num=exceptions den=orders', 'share of orders with a delivery exception (fraction)'],
		['returns', 'column', 'col=returns', 'returns requested in the period'],
		['return_p90_s', 'percentile', 'sketch=return_sketch q=0.9', '90th percentile of return processing time (completed_at - requested_at), seconds']
	];
	-- then <column>_mom, _yoy, _vs_baseline (kind change) for these, with the unit of the comment
	compared text[] := ARRAY[['csat_rate', ''], ['nps', ' (points)'], ['weighted_score', ''],
							 ['complaint_rate', ''], ['frt_p95_s', ' (seconds)']];
	comparisons text[] := ARRAY[['mom', 'm', 'in the month-earlier period'], ['yoy', 'y', 'in the year-earlier period'],
								['vs_baseline', 'b', 'over the baseline period']];
	-- then the alert levels
	levels text[] := ARRAY[
		['csat_rate_level', 'rate_level', 'num=satisfied den=responses rule=csat_rate', 'alert level of csat_rate from the matching csat.rules rule of metric csat_rate: csat.rate_check on the Wilson bound at the rule''s confidence, NULL below min_samples (the 0.3 check; csat.kpi_values.level is the guarded verdict alerts use)'],
		['nps_level', 'threshold_level', 'of=nps n=nps_responses rule=nps', 'alert level of nps from the matching rule of metric nps: csat.threshold_check on the raw value, no interval, NULL below min_samples answers (the 0.3 check, noisy; csat.kpi_values.level is the guarded verdict alerts use)'],
		['complaint_rate_level', 'rate_level', 'num=complaints den=orders rule=complaint_rate', 'alert level of complaint_rate from the matching rule of metric complaint_rate: csat.rate_check on the Wilson bound (the 0.3 check; csat.kpi_values.level is the guarded verdict alerts use)'],
		['frt_p95_level', 'threshold_level', 'of=frt_p95_s n=responded rule=first_response', 'alert level of frt_p95_s against the matching rule of metric first_response: csat.threshold_check on the raw p95, no interval, NULL below min_samples answered tickets (the 0.3 check, noisy; csat.kpi_values.level judges the p95''s order-statistic bound)']
	];
	rows text[] := ARRAY['k', 'm', 'y', 'b'];

	-- the rollups' columns: summed (counts as bigint) or merged (sketches) over days
	counts text[] := ARRAY['orders', 'delivered', 'late', 'exceptions', 'tickets', 'complaints', 'responded',
						   'resolved', 'responses', 'satisfied', 'very_satisfied', 'score_sum', 'weight_sum',
						   'weighted_sum', 'nps_responses', 'promoters', 'detractors', 'returns', 'returns_completed'];
	sketches text[] := ARRAY['delivery_sketch', 'frt_sketch', 'resolution_sketch', 'return_sketch'];
	plain_sel text;		-- the rollup's columns as they are (hourly, daily)
	agg_sel text;		-- rolled up (week, month, quarter)
	base_sel text;		-- those the baseline formulas read, rolled up over its days

	cols text[];
	c text[];
	p text[];
	kd text[];
	a record;
	x text;
	f text;
	of_col text;
	formula jsonb := '{}';		-- "column@row": its formula over that row
	missing text[] := ARRAY[]::text[];	-- columns standing as NULL (a family absent)
	metrics text[] := ARRAY[]::text[];	-- the csat.rules metrics the columns read
	sel text;
	rule_joins text;
	v record;
	tzq text := '(SELECT st.timezone FROM csat.rollup_state st)';
BEGIN
	IF has_sketch THEN present := present || 'sketch'::text; END IF;
	IF has_wilson THEN present := present || 'wilson'::text; END IF;
	IF has_rules THEN present := present || 'rules'::text; END IF;

	-- the full column list: measures, their changes, levels
	cols := measures;
	FOREACH c SLICE 1 IN ARRAY compared LOOP
		FOREACH p SLICE 1 IN ARRAY comparisons LOOP
			cols := cols || ARRAY[[c[1] || '_' || p[1], 'change', 'of=' || c[1] || ' vs=' || p[2],
								   pg_catalog.format('%s minus its value %s%s', c[1], p[3], c[2])]];
		END LOOP;
	END LOOP;
	cols := cols || levels;

	-- render each column over each row (a column refers only to columns before it)
	FOREACH c SLICE 1 IN ARRAY cols LOOP
		FOREACH kd SLICE 1 IN ARRAY kinds LOOP
			EXIT WHEN kd[1] = c[2];
		END LOOP;
		IF kd[1] <> c[2] THEN
			RAISE EXCEPTION 'column % has unknown kind %', c[1], c[2];
		END IF;
		of_col := pg_catalog.substring(c[3], 'of=(\S+)');
		IF NOT (pg_catalog.string_to_array(coalesce(kd[3], ''), ' ') <@ present) OR of_col = ANY (missing) THEN
			missing := missing || c[1];
			FOREACH x IN ARRAY rows LOOP
				formula := formula || pg_catalog.jsonb_build_object(c[1] || '@' || x, 'NULL::' || kd[2]);
			END LOOP;
			CONTINUE;
		END IF;
		FOREACH x IN ARRAY rows LOOP
			f := kd[4];
			FOR a IN SELECT m[1] AS name, m[2] AS value FROM pg_catalog.regexp_matches(c[3], '(\w+)=(\S+)', 'g') m LOOP
				f := pg_catalog.replace(f, '{' || a.name || '}', CASE a.name
					WHEN 'q' THEN a.value::float8::text || '::float8'
					WHEN 'rule' THEN pg_catalog.quote_ident('rule_' || a.value)
					WHEN 'of' THEN formula ->> (a.value || '@' || x)
					WHEN 'vs' THEN formula ->> (of_col || '@' || a.value)
					ELSE x || '.' || pg_catalog.quote_ident(a.value) END);
			END LOOP;
			IF f IS NULL OR f ~ '[{}]' THEN
				RAISE EXCEPTION 'column % of kind % has an unknown or missing argument', c[1], c[2];
			END IF;
			formula := formula || pg_catalog.jsonb_build_object(c[1] || '@' || x, f);
		END LOOP;
		IF c[3] ~ 'rule=' AND NOT pg_catalog.substring(c[3], 'rule=(\S+)') = ANY (metrics) THEN
			metrics := metrics || pg_catalog.substring(c[3], 'rule=(\S+)');
		END IF;
	END LOOP;

	SELECT pg_catalog.string_agg(pg_catalog.format('%s AS %I', formula ->> (cols[i][1] || '@k'), cols[i][1]),
								 E',\n\t' ORDER BY i)
	  INTO sel
	  FROM pg_catalog.generate_subscripts(cols, 1) i;

	-- the rule matching each row, per metric (most specific first)
	SELECT pg_catalog.string_agg(pg_catalog.format('
LEFT JOIN LATERAL (SELECT r.breach::float8 AS breach, r.warning, r.higher_is_worse, r.min_samples, r.confidence'
		' FROM csat.rules r WHERE r.enabled AND r.metric = %L'
		' AND (r.channel IS NULL OR r.channel = k.channel) AND (r.segment IS NULL OR r.segment = k.segment)'
		' ORDER BY (r.segment IS NOT NULL)::int * 2 + (r.channel IS NOT NULL)::int DESC, r.name LIMIT 1) %I ON true',
		metric, 'rule_' || metric), '' ORDER BY i)
	  INTO rule_joins
	  FROM pg_catalog.unnest(metrics) WITH ORDINALITY AS u(metric, i);

	-- the rollups' columns as they are, rolled up, and rolled up for the baseline
	SELECT pg_catalog.string_agg(plain, ', ' ORDER BY i),
		   pg_catalog.string_agg(agg, ', ' ORDER BY i),
		   pg_catalog.string_agg(agg, ', ' ORDER BY i) FILTER (WHERE sel ~ ('\mb\.' || n || '\M'))
	  INTO plain_sel, agg_sel, base_sel
	  FROM pg_catalog.unnest(counts || sketches) WITH ORDINALITY AS u(n, i),
		   LATERAL (SELECT CASE WHEN n = ANY (sketches) AND NOT has_sketch THEN pg_catalog.format('NULL::float8 AS %I', n)
								ELSE pg_catalog.format('d.%I', n) END,
						   CASE WHEN n = ANY (sketches) AND NOT has_sketch THEN pg_catalog.format('NULL::float8 AS %I', n)
								WHEN n = ANY (sketches) THEN pg_catalog.format('csat.rollup(d.%1$I) AS %1$I', n)
								WHEN n IN ('score_sum', 'weight_sum', 'weighted_sum') THEN pg_catalog.format('pg_catalog.sum(d.%1$I) AS %1$I', n)
								ELSE pg_catalog.format('pg_catalog.sum(d.%1$I)::bigint AS %1$I', n) END) s(plain, agg);

	FOR v IN SELECT * FROM (VALUES
		('kpi_hourly', 'hour',
		 'SELECT d.hour AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_hourly d',
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 month'') AT TIME ZONE ' || tzq,
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 year'') AT TIME ZONE ' || tzq,
		 'the same hour one month earlier', 'the same hour one year earlier', 'the month-earlier period'),
		('kpi_daily', 'day',
		 'SELECT d.day AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_daily d',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the same day one month earlier', 'the same day one year earlier', 'the month-earlier period'),
		('kpi_weekly', 'week (Monday)',
		 'SELECT pg_catalog.date_trunc(''week'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 'k.period_start - 28', 'k.period_start - 364',
		 'the week four weeks earlier', 'the week 52 weeks earlier', 'the month-earlier period'),
		('kpi_monthly', 'month',
		 'SELECT pg_catalog.date_trunc(''month'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the previous month', 'the same month one year earlier', 'the month-earlier period'),
		('kpi_quarterly', 'quarter',
		 'SELECT pg_catalog.date_trunc(''quarter'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 '(k.period_start - interval ''3 months'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the previous quarter', 'the same quarter one year earlier', 'the previous quarter')
	) AS t(name, unit, base, mom, yoy, mom_doc, yoy_doc, mom_period) LOOP
		EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW csat.%I AS
SELECT %s
FROM (%s) k
LEFT JOIN (%s) m ON m.channel = k.channel AND m.segment = k.segment AND m.period_start = %s
LEFT JOIN (%s) y ON y.channel = k.channel AND y.segment = k.segment AND y.period_start = %s
LEFT JOIN (SELECT d.channel, d.segment, %s FROM csat.rollup_daily d
		   JOIN csat.settings s ON d.day BETWEEN s.baseline_start AND s.baseline_end GROUP BY 1, 2) b
	   ON b.channel = k.channel AND b.segment = k.segment%s',
			v.name, sel, v.base, v.base, v.mom, v.base, v.yoy, base_sel, rule_joins);

		EXECUTE pg_catalog.format('COMMENT ON VIEW csat.%I IS %L', v.name, pg_catalog.format(
			'customer-satisfaction KPIs per %s (cut in the time zone of csat.rollup_state), channel and segment, '
			'with ''all'' rows for the totals; read from the rollups kept by csat.refresh(); '
			'*_mom compares with %s, *_yoy with %s, *_vs_baseline with the period of csat.settings '
			'(each an absolute difference: this minus that); rates are fractions in [0,1], NPS in [-100,100], '
			'durations (_s) in seconds; levels are ok/warning/breach from csat.rules (NULL without a matching '
			'rule or with fewer answers than its min_samples)', v.unit, v.mom_doc, v.yoy_doc));
		FOREACH c SLICE 1 IN ARRAY cols LOOP
			EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.%I IS %L', v.name, c[1], CASE
				WHEN c[1] <> 'period_start' THEN pg_catalog.replace(c[4], 'the month-earlier period', v.mom_period)
				WHEN v.name = 'kpi_hourly' THEN 'start of the hour (timestamptz)'
				ELSE pg_catalog.format('first day of the %s (date, in the csat time zone)', v.unit) END);
		END LOOP;
	END LOOP;
END $do$;

GRANT SELECT ON csat.kpi_hourly, csat.kpi_daily, csat.kpi_weekly, csat.kpi_monthly, csat.kpi_quarterly
	TO @extowner@ WITH GRANT OPTION;
