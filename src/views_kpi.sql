/*
 * views_kpi: the KPI views csat.kpi_hourly/daily/weekly/monthly over the rollups
 * (family views).  Every upgrade runs this file again (Makefile: REPLAYED): CREATE
 * OR REPLACE VIEW keeps the views' grants and the views of users built on them,
 * and binds every operator and function anew, to pg_catalog's and csat's own
 * (the script pins search_path), so that a view an older version bound to a
 * look-alike operator planted in schema csat (issue 10) is repaired.
 */

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
									  THEN pg_catalog.format('pg_catalog.sum(d.%1$I) AS %1$I', n)
									  ELSE pg_catalog.format('pg_catalog.sum(d.%1$I)::bigint AS %1$I', n) END, ', ')
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
CREATE OR REPLACE VIEW csat.%1$I AS
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
			'CASE WHEN k.orders > 0 THEN k.complaints::float8 / k.orders::float8 END',
			-- complaints are counted on the ticket's channel, orders on the order's: on a
			-- contact channel (chat...) complaints can outnumber orders, and no interval exists
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_lower(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_upper(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.satisfied::float8 / k.responses::float8 END',
			CASE WHEN has_wilson THEN 'csat.wilson_lower(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'csat.wilson_upper(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.very_satisfied::float8 / k.responses::float8 END',
			'CASE WHEN k.responses > 0 THEN k.score_sum / k.responses::float8 END',
			'CASE WHEN k.weight_sum > 0::float8 THEN k.weighted_sum / k.weight_sum END',
			'CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors)::float8 / k.nps_responses::float8 END',
			-- 12..14 percentiles of first response
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.attainment(k.frt_sketch, rf.breach)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.resolution_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.tickets > 0 THEN k.resolved::float8 / k.tickets::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.delivered > 0 THEN k.late::float8 / k.delivered::float8 END',
			'CASE WHEN k.orders > 0 THEN k.exceptions::float8 / k.orders::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.return_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			-- 23..37: the headline KPIs of the compared periods (m, y, b)
			'CASE WHEN m.responses > 0 THEN m.satisfied::float8 / m.responses::float8 END',
			'CASE WHEN y.responses > 0 THEN y.satisfied::float8 / y.responses::float8 END',
			'CASE WHEN b.responses > 0 THEN b.satisfied::float8 / b.responses::float8 END',
			'CASE WHEN m.nps_responses > 0 THEN 100.0::float8 * (m.promoters - m.detractors)::float8 / m.nps_responses::float8 END',
			'CASE WHEN y.nps_responses > 0 THEN 100.0::float8 * (y.promoters - y.detractors)::float8 / y.nps_responses::float8 END',
			'CASE WHEN b.nps_responses > 0 THEN 100.0::float8 * (b.promoters - b.detractors)::float8 / b.nps_responses::float8 END',
			'CASE WHEN m.weight_sum > 0::float8 THEN m.weighted_sum / m.weight_sum END',
			'CASE WHEN y.weight_sum > 0::float8 THEN y.weighted_sum / y.weight_sum END',
			'CASE WHEN b.weight_sum > 0::float8 THEN b.weighted_sum / b.weight_sum END',
			'CASE WHEN m.orders > 0 THEN m.complaints::float8 / m.orders::float8 END',
			'CASE WHEN y.orders > 0 THEN y.complaints::float8 / y.orders::float8 END',
			'CASE WHEN b.orders > 0 THEN b.complaints::float8 / b.orders::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(m.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(y.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(b.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			-- 38..41 alert levels
			CASE WHEN has_rules THEN 'CASE WHEN rc.breach IS NOT NULL THEN csat.rate_check(k.satisfied, k.responses, rc.warning::float8, rc.breach::float8, rc.higher_is_worse, rc.min_samples::integer, rc.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN k.nps_responses >= rn.min_samples THEN csat.threshold_check(CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors)::float8 / k.nps_responses::float8 END, rn.warning::float8, rn.breach::float8, rn.higher_is_worse)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN rp.breach IS NOT NULL AND k.complaints <= k.orders THEN csat.rate_check(k.complaints, k.orders, rp.warning::float8, rp.breach::float8, rp.higher_is_worse, rp.min_samples::integer, rp.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules AND has_sketch THEN 'CASE WHEN k.responded >= rf.min_samples THEN csat.threshold_check(csat.percentile(k.frt_sketch, 0.95::float8), rf.warning::float8, rf.breach::float8, rf.higher_is_worse)::text END' ELSE 'NULL::text' END,
			v.base, v.mom, v.yoy,
			-- 45: the baseline period's states
			'pg_catalog.sum(d.responses)::bigint AS responses, pg_catalog.sum(d.satisfied)::bigint AS satisfied,'
			' pg_catalog.sum(d.nps_responses)::bigint AS nps_responses, pg_catalog.sum(d.promoters)::bigint AS promoters,'
			' pg_catalog.sum(d.detractors)::bigint AS detractors, pg_catalog.sum(d.weighted_sum) AS weighted_sum,'
			' pg_catalog.sum(d.weight_sum) AS weight_sum, pg_catalog.sum(d.orders)::bigint AS orders,'
			' pg_catalog.sum(d.complaints)::bigint AS complaints'
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

GRANT SELECT ON csat.kpi_hourly, csat.kpi_daily, csat.kpi_weekly, csat.kpi_monthly
	TO @extowner@ WITH GRANT OPTION;
