-- views_sketch: the percentile columns of the KPI views equal the sketch of the raw
-- rows of each period (sketch merges are exact, so rollups of hourly sketches give
-- the very same quantiles), weeks and months included; incremental sketches equal
-- full-refresh ones.
CREATE EXTENSION csat;
SET timezone = 'UTC';
SET client_min_messages = warning;
\set scale 0.003
\set end_ts '''2026-11-22 12:00+00'''
\set schema shop
\set ECHO none
-- (test/run and the upgrade test run suites from a directory that has test/)
\i test/data/generate.sql
\set ON_ERROR_STOP off
\set ECHO all
INSERT INTO csat.settings (timezone) VALUES ('Europe/Paris');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"has_exception","channel":"sales_channel","segment":"customer_segment","category":"product_category","followed_up_at":"follow_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"id","opened_at":"created","first_response_at":"first_reply_at","is_complaint":"complaint","category":"topic","agent":"assignee"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"id","completed_at":"refunded_at"}');
SELECT full_rebuild FROM csat.refresh();

-- per day, channel and segment (and the totals): first response and resolution
CREATE VIEW hand_tickets AS
SELECT (t.created AT TIME ZONE 'Europe/Paris')::date AS d, c.ch, c.sg,
       csat.sla_sketch(date_part('epoch', t.first_reply_at - t.created)) AS frt,
       csat.sla_sketch(date_part('epoch', t.resolved_at - t.created)) AS res
  FROM shop.tickets t, LATERAL (VALUES (t.channel, t.segment), ('all', t.segment), (t.channel, 'all'), ('all', 'all')) c(ch, sg)
 GROUP BY 1, 2, 3;
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE round(k.frt_p50_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.frt, 0.5)::numeric, 6)) AS p50_diff,
       count(*) FILTER (WHERE round(k.frt_p90_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.frt, 0.9)::numeric, 6)) AS p90_diff,
       count(*) FILTER (WHERE round(k.frt_p95_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.frt, 0.95)::numeric, 6)) AS p95_diff,
       count(*) FILTER (WHERE round(k.resolution_p90_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.res, 0.9)::numeric, 6)) AS res_diff,
       count(*) FILTER (WHERE k.frt_p95_s IS NOT NULL) AS with_p95
  FROM hand_tickets h JOIN csat.kpi_daily k ON k.period_start = h.d AND k.channel = h.ch AND k.segment = h.sg;
-- months: rolled up from daily sketches, equal to the sketch of the month's raw rows
SELECT k.period_start, k.channel, count(*) AS tickets,
       round(k.frt_p95_s::numeric, 6) = round(csat.percentile(csat.sla_sketch(date_part('epoch', t.first_reply_at - t.created)), 0.95)::numeric, 6) AS p95_equal
  FROM csat.kpi_monthly k
  JOIN shop.tickets t ON date_trunc('month', t.created AT TIME ZONE 'Europe/Paris')::date = k.period_start
                     AND (k.channel = 'all' OR t.channel = k.channel)
 WHERE k.segment = 'all' AND k.channel IN ('all', 'chat', 'email') AND k.period_start >= '2026-09-01'
 GROUP BY k.period_start, k.channel, k.frt_p95_s ORDER BY 1, 2;
-- deliveries and returns of all channels per week
SELECT count(*) AS weeks,
       count(*) FILTER (WHERE round(k.delivery_p90_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.dl, 0.9)::numeric, 6)) AS delivery_diff,
       count(*) FILTER (WHERE round(k.return_p90_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.rt, 0.9)::numeric, 6)) AS return_diff
  FROM csat.kpi_weekly k
  JOIN (SELECT w, csat.rollup(dl) AS dl, csat.rollup(rt) AS rt FROM (
          SELECT date_trunc('week', o.created_at AT TIME ZONE 'Europe/Paris')::date AS w,
                 csat.sla_sketch(date_part('epoch', o.delivered_at - o.created_at)) AS dl, NULL::csat.sketch AS rt
            FROM shop.orders o GROUP BY 1
          UNION ALL
          SELECT date_trunc('week', r.requested_at AT TIME ZONE 'Europe/Paris')::date,
                 NULL, csat.sla_sketch(date_part('epoch', r.refunded_at - r.requested_at))
            FROM shop.returns r GROUP BY 1) u GROUP BY w) h ON h.w = k.period_start
 WHERE k.channel = 'all' AND k.segment = 'all';
-- the peak day is slow: p95 of chat first response far above a normal day's
SELECT k.tickets, k.frt_p95_s > 20 * (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY o.frt_p95_s) FROM csat.kpi_daily o
         WHERE o.channel = 'chat' AND o.segment = 'all' AND o.period_start <> '2026-11-11') AS p95_over_20x_median_day
  FROM csat.kpi_daily k WHERE k.channel = 'chat' AND k.segment = 'all' AND k.period_start = '2026-11-11';

-- incremental refresh keeps sketches equal to a full rebuild (compared by count and
-- quantiles, which an exact merge preserves)
CREATE FUNCTION pg_temp.sk(x csat.sketch) RETURNS text LANGUAGE sql AS $$
SELECT csat.count(x) || ' ' || round(csat.percentile(x, 0)::numeric, 6) || ' ' || round(csat.percentile(x, 0.25)::numeric, 6)
       || ' ' || round(csat.percentile(x, 0.5)::numeric, 6) || ' ' || round(csat.percentile(x, 0.9)::numeric, 6)
       || ' ' || round(csat.percentile(x, 0.99)::numeric, 6) || ' ' || round(csat.percentile(x, 1)::numeric, 6) $$;
UPDATE shop.tickets SET first_reply_at = first_reply_at + interval '10 minutes' WHERE id % 9 = 0;
INSERT INTO shop.tickets SELECT 50000 + g, NULL, '2026-11-20 08:00+00'::timestamptz + g * interval '3 minutes',
       '2026-11-20 08:00+00'::timestamptz + g * interval '3 minutes' + g * interval '11 seconds', NULL, false, 'chat', 'normal', 'vip'
  FROM generate_series(1, 30) g;
DELETE FROM shop.returns WHERE id % 4 = 0;
SELECT full_rebuild FROM csat.refresh();
CREATE TABLE incr AS SELECT hour, channel, segment, pg_temp.sk(frt_sketch) AS f, pg_temp.sk(resolution_sketch) AS r,
       pg_temp.sk(delivery_sketch) AS d, pg_temp.sk(return_sketch) AS rt FROM csat.rollup_hourly;
CREATE TABLE incr_d AS SELECT day, channel, segment, pg_temp.sk(frt_sketch) AS f, pg_temp.sk(return_sketch) AS rt FROM csat.rollup_daily;
SELECT full_rebuild FROM csat.refresh(true);
CREATE TABLE full_h AS SELECT hour, channel, segment, pg_temp.sk(frt_sketch) AS f, pg_temp.sk(resolution_sketch) AS r,
       pg_temp.sk(delivery_sketch) AS d, pg_temp.sk(return_sketch) AS rt FROM csat.rollup_hourly;
CREATE TABLE full_d AS SELECT day, channel, segment, pg_temp.sk(frt_sketch) AS f, pg_temp.sk(return_sketch) AS rt FROM csat.rollup_daily;
SELECT (SELECT count(*) FROM (SELECT * FROM incr EXCEPT SELECT * FROM full_h) x) AS hourly_diff,
       (SELECT count(*) FROM (SELECT * FROM full_h EXCEPT SELECT * FROM incr) x) AS hourly_diff_rev,
       (SELECT count(*) FROM (SELECT * FROM incr_d EXCEPT SELECT * FROM full_d) x) AS daily_diff,
       (SELECT count(*) FROM (SELECT * FROM full_d EXCEPT SELECT * FROM incr_d) x) AS daily_diff_rev,
       (SELECT count(*) FROM incr_d WHERE f IS NOT NULL) AS daily_frt_sketches;
-- and the view still equals the raw rows after the changes
SELECT count(*) FILTER (WHERE round(k.frt_p95_s::numeric, 6) IS DISTINCT FROM round(csat.percentile(h.frt, 0.95)::numeric, 6)) AS p95_diff
  FROM hand_tickets h JOIN csat.kpi_daily k ON k.period_start = h.d AND k.channel = h.ch AND k.segment = h.sg;

DROP SCHEMA shop CASCADE;
DROP TABLE incr, incr_d, full_h, full_d;
DROP FUNCTION pg_temp.sk(csat.sketch);
DROP EXTENSION csat;
