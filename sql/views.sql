-- views: source mapping (good and bad, several sources per kind), the KPI views
-- against hand-written SQL, rollups against direct computation, incremental refresh
-- after inserts/updates/deletes against a full refresh, the time-zone setting, a
-- hostile search_path.  Counts, rates and deltas only: percentiles are checked in
-- views_sketch, alert levels in views_rules.
CREATE EXTENSION csat;
-- (a ticket written recomputes its customer's next 7 days for repeat_contact_rate;
-- this suite checks that an incremental refresh stays local: the catalogue's own
-- suite, kpis, covers that KPI)
UPDATE csat.kpis SET enabled = false WHERE name = 'repeat_contact_rate';
SET timezone = 'UTC';
SET client_min_messages = warning;
-- error catcher: SQLSTATE and message, so expected output shows both
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- small deterministic data from the reusable generator (3000 orders, 900 tickets...)
\set scale 0.003
\set end_ts '''2026-11-22 12:00+00'''
\set schema shop
\set ECHO none
-- (test/run and the upgrade test run suites from a directory that has test/)
\i test/data/generate.sql
\set ON_ERROR_STOP off
\set ECHO all
SELECT (SELECT count(*) FROM shop.orders) AS orders, (SELECT count(*) FROM shop.tickets) AS tickets,
       (SELECT count(*) FROM shop.surveys) AS surveys, (SELECT count(*) FROM shop.returns) AS returns;
-- a second merchant's orders live in their own table (standard column names)
CREATE TABLE shop.orders_b (order_id bigint PRIMARY KEY, ordered_at timestamptz NOT NULL, promised_at timestamptz,
                            delivered_at timestamptz, exception boolean, channel varchar(10), segment text, merchant text);
WITH moved AS (DELETE FROM shop.orders WHERE merchant >= 'm11' RETURNING *)
INSERT INTO shop.orders_b SELECT id, created_at, promised_at, delivered_at, has_exception, sales_channel, customer_segment, merchant FROM moved;
SELECT count(*) AS orders_a, (SELECT count(*) FROM shop.orders_b) AS orders_b FROM shop.orders;

INSERT INTO csat.settings (timezone) VALUES ('UTC');

-- ---- bad mappings
SELECT pg_temp.err($$SELECT csat.map_source('invoices', 'shop.orders')$$);
SELECT pg_temp.err($$SELECT csat.map_source(NULL, 'shop.orders')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '[1]')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '{"ordered":"created_at"}')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '{"ordered_at": 3}')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"nope"}')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '{"ordered_at":"created_at"}')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"merchant"}')$$);
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"merchant"}')$$);
SELECT pg_temp.err($$SELECT csat.map_source('surveys', 'shop.surveys', '{"score":"weight"}')$$);
CREATE VIEW shop.v AS SELECT * FROM shop.orders;
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.v', '{"order_id":"id","ordered_at":"created_at"}')$$);
SELECT pg_temp.err($$SELECT csat.unmap_source('orders', 'shop.orders')$$);
SELECT pg_temp.err($$SELECT csat.unmap_source('nope')$$);
-- nothing was recorded by the failures
SELECT count(*) AS mappings FROM csat.sources;
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.nope')$$);
-- a table owned by someone else
CREATE ROLE regress_views_other;
CREATE TABLE shop.foreign_orders (order_id bigint, ordered_at timestamptz);
ALTER TABLE shop.foreign_orders OWNER TO regress_views_other;
CREATE ROLE regress_views_user;
GRANT USAGE, CREATE ON SCHEMA csat TO regress_views_user;
GRANT USAGE ON SCHEMA shop TO regress_views_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.sources TO regress_views_user;
SET ROLE regress_views_user;
SELECT pg_temp.err($$SELECT csat.map_source('orders', 'shop.foreign_orders')$$);
RESET ROLE;

-- ---- good mappings: two orders tables (one with its own column names), all kinds
SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"has_exception","channel":"sales_channel","segment":"customer_segment","category":"product_category","followed_up_at":"follow_up_at"}');
SELECT csat.map_source('orders', 'shop.orders_b');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"id","opened_at":"created","first_response_at":"first_reply_at","is_complaint":"complaint","category":"topic","agent":"assignee"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at":"invited_at"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"id","completed_at":"refunded_at"}');
-- mapping again replaces (same result, still one row per table)
SELECT csat.map_source('surveys', 'shop.surveys', '{"score":"score","sent_at":"invited_at"}');
SELECT kind, source, columns FROM csat.sources ORDER BY kind, source::text;
-- the standard views: columns, types, security_invoker, comments
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'csat'::regnamespace AND c.relname IN ('orders', 'tickets', 'surveys', 'returns')
 ORDER BY 1, 2;
SELECT relname, reloptions FROM pg_class WHERE relnamespace = 'csat'::regnamespace
   AND relname IN ('orders', 'tickets', 'surveys', 'returns') ORDER BY 1;
SELECT (SELECT count(*) FROM csat.orders) AS orders, (SELECT count(*) FROM csat.tickets) AS tickets,
       (SELECT count(*) FROM csat.surveys) AS surveys, (SELECT count(*) FROM csat.returns) AS returns;
SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgname LIKE 'csat%' ORDER BY tgrelid::regclass::text, tgname;

-- every view in csat and every column of it has a comment
SELECT c.relname, a.attname
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'csat'::regnamespace AND c.relkind = 'v'
   AND col_description(c.oid, a.attnum) IS NULL ORDER BY 1, 2;
SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'csat'::regnamespace AND c.relkind = 'v'
   AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1;
-- the KPI views have only BI-friendly types
SELECT DISTINCT format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_attribute a WHERE a.attrelid IN ('csat.kpi_hourly'::regclass, 'csat.kpi_daily'::regclass,
                                           'csat.kpi_weekly'::regclass, 'csat.kpi_monthly'::regclass,
                                           'csat.kpi_quarterly'::regclass)
   AND a.attnum > 0 ORDER BY 1;

-- ---- full refresh
SELECT full_rebuild, timezone, hours_touched > 0 AS some_hours, days_touched FROM csat.refresh();
SELECT full_rebuild, pending_changes FROM csat.refresh_status;
-- the refresh computes csat.rollup_hourly from the read that computes the KPIs;
-- csat.rollup_sql (each table read again through csat.source_partials) gives the
-- same rows, sketches included
CREATE TEMP VIEW wide_cmp AS
SELECT hour, channel, segment, orders, delivered, late, exceptions, tickets, complaints, responded, resolved,
       responses, satisfied, very_satisfied, round(score_sum::numeric, 6) AS score_sum, round(weight_sum::numeric, 6) AS weight_sum,
       round(weighted_sum::numeric, 6) AS weighted_sum, nps_responses, promoters, detractors, returns, returns_completed,
       csat.count(delivery_sketch) AS dn, round(csat.percentile(delivery_sketch, 0.9)::numeric, 3) AS d90,
       csat.count(frt_sketch) AS fn, round(csat.percentile(frt_sketch, 0.9)::numeric, 3) AS f90,
       csat.count(resolution_sketch) AS rn, round(csat.percentile(resolution_sketch, 0.5)::numeric, 3) AS r50,
       csat.count(return_sketch) AS tn, round(csat.percentile(return_sketch, 0.5)::numeric, 3) AS t50
  FROM csat.rollup_hourly;
CREATE TABLE merged_hourly AS SELECT * FROM wide_cmp;
BEGIN;
DELETE FROM csat.rollup_hourly;
DO $$ BEGIN EXECUTE csat.rollup_sql(false) USING csat.timezone(); END $$;
SELECT (SELECT count(*) FROM merged_hourly) AS merged_rows, (SELECT count(*) FROM wide_cmp) AS rollup_sql_rows,
       (SELECT count(*) FROM (SELECT * FROM merged_hourly EXCEPT ALL SELECT * FROM wide_cmp) x) AS only_merged,
       (SELECT count(*) FROM (SELECT * FROM wide_cmp EXCEPT ALL SELECT * FROM merged_hourly) x) AS only_rollup_sql,
       (SELECT count(*) FROM merged_hourly WHERE tn > 0 AND channel <> 'all') > 0 AS has_returns;
ROLLBACK;
DROP VIEW wide_cmp;

-- hand-written daily KPIs straight from the user's tables, cut in the settings' zone
CREATE VIEW hand_daily AS
WITH tz AS (SELECT timezone AS z FROM csat.settings),
o AS (SELECT (o.created_at AT TIME ZONE tz.z)::date AS d, o.sales_channel AS ch, o.customer_segment AS sg,
             o.delivered_at, o.promised_at, o.has_exception AS ex FROM shop.orders o, tz
      UNION ALL
      SELECT (o.ordered_at AT TIME ZONE tz.z)::date, o.channel, o.segment, o.delivered_at, o.promised_at, o.exception
        FROM shop.orders_b o, tz),
od AS (SELECT d, c.ch, c.sg, count(*) AS orders, count(delivered_at) AS delivered,
              count(*) FILTER (WHERE delivered_at > promised_at)::float8 / nullif(count(delivered_at), 0) AS late_rate,
              count(*) FILTER (WHERE ex)::float8 / count(*) AS exception_rate
         FROM o, LATERAL (VALUES (o.ch, o.sg), ('all', o.sg), (o.ch, 'all'), ('all', 'all')) c(ch, sg)
        GROUP BY 1, 2, 3),
t AS (SELECT (t.created AT TIME ZONE tz.z)::date AS d, c.ch, c.sg, count(*) AS tickets,
             count(*) FILTER (WHERE t.complaint) AS complaints,
             count(t.resolved_at)::float8 / count(*) AS resolution_rate
        FROM shop.tickets t, tz, LATERAL (VALUES (t.channel, t.segment), ('all', t.segment), (t.channel, 'all'), ('all', 'all')) c(ch, sg)
       GROUP BY 1, 2, 3),
s AS (SELECT (s.answered_at AT TIME ZONE tz.z)::date AS d, c.ch, c.sg,
             count(*) FILTER (WHERE s.scale_max = 5) AS responses,
             avg((s.score >= 4)::int::float8) FILTER (WHERE s.scale_max = 5) AS csat_rate,
             avg((s.score = 5)::int::float8) FILTER (WHERE s.scale_max = 5) AS very_rate,
             avg(s.score::float8) FILTER (WHERE s.scale_max = 5) AS mean_score,
             sum(s.weight * s.score) FILTER (WHERE s.scale_max = 5) / sum(s.weight) FILTER (WHERE s.scale_max = 5) AS weighted,
             count(*) FILTER (WHERE s.scale_max = 10) AS nps_n,
             100.0 * (count(*) FILTER (WHERE s.scale_max = 10 AND s.score >= 9) - count(*) FILTER (WHERE s.scale_max = 10 AND s.score <= 6))
                 / nullif(count(*) FILTER (WHERE s.scale_max = 10), 0) AS nps
        FROM shop.surveys s, tz, LATERAL (VALUES (s.channel, s.segment), ('all', s.segment), (s.channel, 'all'), ('all', 'all')) c(ch, sg)
       WHERE s.answered_at IS NOT NULL   -- (invitations not answered: in no day)
       GROUP BY 1, 2, 3),
r AS (SELECT (r.requested_at AT TIME ZONE tz.z)::date AS d, c.ch, c.sg, count(*) AS returns
        FROM shop.returns r
        LEFT JOIN (SELECT id, sales_channel AS ch, customer_segment AS sg FROM shop.orders
                   UNION ALL SELECT order_id, channel, segment FROM shop.orders_b) ro ON ro.id = r.order_id, tz,
             LATERAL (VALUES (coalesce(ro.ch, 'unknown'), coalesce(ro.sg, 'unknown')), ('all', coalesce(ro.sg, 'unknown')),
                             (coalesce(ro.ch, 'unknown'), 'all'), ('all', 'all')) c(ch, sg)
       GROUP BY 1, 2, 3)
SELECT coalesce(od.d, t.d, s.d, r.d) AS d, coalesce(od.ch, t.ch, s.ch, r.ch) AS ch, coalesce(od.sg, t.sg, s.sg, r.sg) AS sg,
       coalesce(od.orders, 0) AS orders, coalesce(t.complaints, 0) AS complaints,
       round((coalesce(t.complaints, 0)::float8 / nullif(od.orders, 0))::numeric, 9) AS complaint_rate,
       coalesce(s.responses, 0) AS responses, round(s.csat_rate::numeric, 9) AS csat_rate,
       round(s.very_rate::numeric, 9) AS very_rate, round(s.mean_score::numeric, 9) AS mean_score,
       round(s.weighted::numeric, 9) AS weighted, coalesce(s.nps_n, 0) AS nps_n, round(s.nps::numeric, 9) AS nps,
       coalesce(t.tickets, 0) AS tickets, round(t.resolution_rate::numeric, 9) AS resolution_rate,
       coalesce(od.delivered, 0) AS delivered, round(od.late_rate::numeric, 9) AS late_rate,
       round(od.exception_rate::numeric, 9) AS exception_rate, coalesce(r.returns, 0) AS returns
FROM od
FULL JOIN t ON t.d = od.d AND t.ch = od.ch AND t.sg = od.sg
FULL JOIN s ON s.d = coalesce(od.d, t.d) AND s.ch = coalesce(od.ch, t.ch) AND s.sg = coalesce(od.sg, t.sg)
FULL JOIN r ON r.d = coalesce(od.d, t.d, s.d) AND r.ch = coalesce(od.ch, t.ch, s.ch) AND r.sg = coalesce(od.sg, t.sg, s.sg);

CREATE VIEW view_daily AS
SELECT period_start AS d, channel AS ch, segment AS sg, orders, complaints, round(complaint_rate::numeric, 9) AS complaint_rate,
       responses, round(csat_rate::numeric, 9) AS csat_rate, round(very_satisfied_rate::numeric, 9) AS very_rate,
       round(mean_score::numeric, 9) AS mean_score, round(weighted_score::numeric, 9) AS weighted, nps_responses AS nps_n,
       round(nps::numeric, 9) AS nps, tickets, round(resolution_rate::numeric, 9) AS resolution_rate,
       delivered, round(late_delivery_rate::numeric, 9) AS late_rate, round(delivery_exception_rate::numeric, 9) AS exception_rate, returns
FROM csat.kpi_daily;

SELECT (SELECT count(*) FROM hand_daily) AS hand_rows, (SELECT count(*) FROM view_daily) AS view_rows,
       (SELECT count(*) FROM (SELECT * FROM hand_daily EXCEPT SELECT * FROM view_daily) x) AS missing_from_view,
       (SELECT count(*) FROM (SELECT * FROM view_daily EXCEPT SELECT * FROM hand_daily) x) AS extra_in_view;
-- a few hand-checkable totals: the last day and the peak day
SELECT d, orders, complaints, responses, nps_n, tickets, returns FROM view_daily
 WHERE ch = 'all' AND sg = 'all' AND d IN ('2026-11-11', '2026-11-21') ORDER BY d;

-- weeks and months roll up from days: equal to a direct weekly/monthly computation
CREATE VIEW hand_monthly AS
SELECT date_trunc('month', d)::date AS m, ch, sg, sum(orders) AS orders, sum(complaints) AS complaints,
       sum(responses) AS responses, sum(tickets) AS tickets, sum(returns) AS returns
FROM hand_daily GROUP BY 1, 2, 3;
SELECT count(*) AS monthly_mismatches FROM (
  (SELECT period_start, channel, segment, orders, complaints, responses, tickets, returns FROM csat.kpi_monthly
   EXCEPT SELECT * FROM hand_monthly)
  UNION ALL
  (SELECT * FROM hand_monthly EXCEPT
   SELECT period_start, channel, segment, orders, complaints, responses, tickets, returns FROM csat.kpi_monthly)) x;
SELECT count(*) AS weekly_mismatches FROM (
  SELECT date_trunc('week', d)::date, ch, sg, sum(orders), sum(responses), sum(tickets) FROM hand_daily GROUP BY 1, 2, 3
  EXCEPT SELECT period_start, channel, segment, orders, responses, tickets FROM csat.kpi_weekly) x;
-- csat rate of a month recomputed from the raw answers
SELECT k.period_start, k.responses, round(k.csat_rate::numeric, 9) AS view_rate,
       round((SELECT avg((score >= 4)::int) FROM shop.surveys s WHERE s.scale_max = 5
                AND s.answered_at >= '2026-10-01 00:00+00' AND s.answered_at < '2026-11-01 00:00+00'), 9) AS raw_rate
  FROM csat.kpi_monthly k WHERE k.period_start = '2026-10-01' AND k.channel = 'all' AND k.segment = 'all';
-- hourly totals sum to the daily ones
SELECT count(*) AS hourly_vs_daily_mismatches FROM (
  SELECT (period_start AT TIME ZONE 'UTC')::date, channel, segment, sum(orders), sum(tickets), sum(responses)
    FROM csat.kpi_hourly GROUP BY 1, 2, 3
  EXCEPT SELECT period_start, channel, segment, orders, tickets, responses FROM csat.kpi_daily) x;

-- ---- month-over-month, year-over-year, baseline
INSERT INTO csat.settings (timezone, baseline_start, baseline_end) VALUES ('UTC', '2025-11-01', '2025-12-31')
ON CONFLICT (id) DO UPDATE SET baseline_start = EXCLUDED.baseline_start, baseline_end = EXCLUDED.baseline_end;
SELECT k.period_start, round(k.csat_rate::numeric, 6) AS csat_rate,
       round(k.csat_rate_mom::numeric, 6) AS mom, round((k.csat_rate - p.csat_rate)::numeric, 6) AS mom_by_hand,
       round(k.csat_rate_yoy::numeric, 6) AS yoy, round((k.csat_rate - y.csat_rate)::numeric, 6) AS yoy_by_hand,
       round(k.nps_mom::numeric, 6) AS nps_mom, round((k.nps - p.nps)::numeric, 6) AS nps_mom_by_hand,
       round(k.complaint_rate_mom::numeric, 6) AS cr_mom, round((k.complaint_rate - p.complaint_rate)::numeric, 6) AS cr_mom_by_hand
  FROM csat.kpi_monthly k
  LEFT JOIN csat.kpi_monthly p ON p.channel = k.channel AND p.segment = k.segment AND p.period_start = (k.period_start - interval '1 month')::date
  LEFT JOIN csat.kpi_monthly y ON y.channel = k.channel AND y.segment = k.segment AND y.period_start = (k.period_start - interval '1 year')::date
 WHERE k.channel = 'all' AND k.segment = 'all' AND k.period_start >= '2026-09-01' ORDER BY 1;
SELECT round(k.csat_rate_vs_baseline::numeric, 6) AS vs_baseline,
       round((k.csat_rate - (SELECT avg((score >= 4)::int::float8) FROM shop.surveys s WHERE s.scale_max = 5
                AND s.answered_at >= '2025-11-01 00:00+00' AND s.answered_at < '2026-01-01 00:00+00'))::numeric, 6) AS by_hand,
       round(k.nps_vs_baseline::numeric, 6) AS nps_vs_baseline
  FROM csat.kpi_monthly k WHERE k.channel = 'all' AND k.segment = 'all' AND k.period_start = '2026-11-01';
-- the weekly view compares with 4 and 52 weeks earlier
SELECT count(*) FILTER (WHERE round((k.csat_rate - p.csat_rate)::numeric, 9) IS DISTINCT FROM round(k.csat_rate_mom::numeric, 9)) AS weekly_mom_mismatches
  FROM csat.kpi_weekly k LEFT JOIN csat.kpi_weekly p ON p.channel = k.channel AND p.segment = k.segment AND p.period_start = k.period_start - 28;

-- ---- incremental refresh equals a full one, after inserts, updates and deletes
CREATE TABLE before_hourly AS SELECT * FROM csat.rollup_hourly;
INSERT INTO shop.orders (id, created_at, promised_at, delivered_at, has_exception, sales_channel, customer_segment, merchant)
SELECT 100000 + g, '2026-11-20 10:00+00'::timestamptz + g * interval '7 minutes', '2026-11-23 10:00+00', NULL, g % 9 = 0,
       CASE WHEN g % 2 = 0 THEN 'app' ELSE 'web' END, CASE WHEN g % 5 = 0 THEN 'vip' ELSE 'regular' END, 'm01'
FROM generate_series(1, 40) g;
INSERT INTO shop.orders_b VALUES (900001, '2025-12-01 03:00+00', '2025-12-04 03:00+00', '2025-12-02 03:00+00', false, 'newchan', 'vip', 'm15');
UPDATE shop.tickets SET first_reply_at = created + interval '30 seconds', resolved_at = NULL WHERE id % 50 = 0;
UPDATE shop.surveys SET answered_at = answered_at - interval '3 hours', score = least(score + 1, scale_max) WHERE id % 40 = 0;
DELETE FROM shop.returns WHERE id % 7 = 0;
-- (orders with returns are not deleted: their returns would lose their channel, which
-- only a full refresh notices)
DELETE FROM shop.orders o WHERE id % 97 = 0 AND NOT EXISTS (SELECT 1 FROM shop.returns r WHERE r.order_id = o.id);
-- an order's channel changes: its returns follow it
UPDATE shop.orders SET sales_channel = 'mini' WHERE id IN (SELECT order_id FROM shop.returns WHERE id % 5 = 1);
SELECT count(DISTINCT kind) AS kinds_changed, bool_or(kind = 'orders:returns') AS order_updates_noted, count(*) > 10 AS several_hours, bool_or(hour IS NULL) AS any_full FROM csat.changes;
SELECT full_rebuild, hours_touched < 1000 AS few_hours FROM csat.refresh();
SELECT pending_changes FROM csat.refresh_status;
CREATE TABLE incr_hourly AS SELECT * FROM csat.rollup_hourly;
CREATE TABLE incr_daily AS SELECT * FROM csat.rollup_daily;
SELECT full_rebuild FROM csat.refresh(full => true);
SELECT (SELECT count(*) FROM (SELECT hour, channel, segment, orders, delivered, late, exceptions, tickets, complaints, responded, resolved,
               responses, satisfied, very_satisfied, round(score_sum::numeric, 6), round(weighted_sum::numeric, 6), nps_responses, promoters, detractors, returns, returns_completed FROM incr_hourly
        EXCEPT SELECT hour, channel, segment, orders, delivered, late, exceptions, tickets, complaints, responded, resolved,
               responses, satisfied, very_satisfied, round(score_sum::numeric, 6), round(weighted_sum::numeric, 6), nps_responses, promoters, detractors, returns, returns_completed FROM csat.rollup_hourly) x) AS hourly_only_incr,
       (SELECT count(*) FROM (SELECT hour, channel, segment, orders, delivered, late, exceptions, tickets, complaints, responded, resolved,
               responses, satisfied, very_satisfied, round(score_sum::numeric, 6), round(weighted_sum::numeric, 6), nps_responses, promoters, detractors, returns, returns_completed FROM csat.rollup_hourly
        EXCEPT SELECT hour, channel, segment, orders, delivered, late, exceptions, tickets, complaints, responded, resolved,
               responses, satisfied, very_satisfied, round(score_sum::numeric, 6), round(weighted_sum::numeric, 6), nps_responses, promoters, detractors, returns, returns_completed FROM incr_hourly) x) AS hourly_only_full,
       (SELECT count(*) FROM (SELECT day, channel, segment, orders, tickets, complaints, responded, resolved, responses, satisfied, nps_responses, promoters, returns FROM incr_daily
        EXCEPT SELECT day, channel, segment, orders, tickets, complaints, responded, resolved, responses, satisfied, nps_responses, promoters, returns FROM csat.rollup_daily) x) AS daily_only_incr,
       (SELECT count(*) FROM (SELECT day, channel, segment, orders, tickets, complaints, responded, resolved, responses, satisfied, nps_responses, promoters, returns FROM csat.rollup_daily
        EXCEPT SELECT day, channel, segment, orders, tickets, complaints, responded, resolved, responses, satisfied, nps_responses, promoters, returns FROM incr_daily) x) AS daily_only_full;
-- the changes really changed something, and the view still matches the raw data
SELECT (SELECT count(*) FROM (SELECT hour, channel, segment, orders, tickets, responses, satisfied, returns FROM csat.rollup_hourly
        EXCEPT SELECT hour, channel, segment, orders, tickets, responses, satisfied, returns FROM before_hourly) x) > 0 AS rollups_changed;
SELECT (SELECT count(*) FROM (SELECT * FROM hand_daily EXCEPT SELECT * FROM view_daily) x) AS missing_from_view,
       (SELECT count(*) FROM (SELECT * FROM view_daily EXCEPT SELECT * FROM hand_daily) x) AS extra_in_view;
SELECT orders FROM csat.kpi_daily WHERE period_start = '2025-12-01' AND channel = 'newchan' AND segment = 'vip';
-- an idle refresh touches nothing
SELECT full_rebuild, hours_touched, days_touched FROM csat.refresh();

-- ---- time zone: periods are cut in csat.settings.timezone, never the session's
UPDATE csat.settings SET timezone = 'Asia/Kolkata';
SELECT csat.timezone();
SELECT full_rebuild, timezone FROM csat.refresh();   -- a new zone rebuilds everything
SET timezone = 'America/New_York';                    -- the session's zone changes nothing
SELECT (SELECT count(*) FROM (SELECT * FROM hand_daily EXCEPT SELECT * FROM view_daily) x) AS missing_from_view,
       (SELECT count(*) FROM (SELECT * FROM view_daily EXCEPT SELECT * FROM hand_daily) x) AS extra_in_view;
-- Kolkata is UTC+5:30: its hours start at :30 UTC and an order at 2026-11-21 19:00 UTC
-- belongs to Nov 22 there
SELECT DISTINCT extract(minute FROM period_start AT TIME ZONE 'UTC') AS utc_minute FROM csat.kpi_hourly;
SELECT period_start, orders FROM csat.kpi_daily
 WHERE channel = 'all' AND segment = 'all' AND period_start BETWEEN '2026-11-21' AND '2026-11-22' ORDER BY 1;
SELECT count(*) FILTER (WHERE (created_at AT TIME ZONE 'Asia/Kolkata')::date = '2026-11-22') AS kolkata_nov22
  FROM (SELECT created_at FROM shop.orders UNION ALL SELECT ordered_at FROM shop.orders_b) o;
-- incremental changes in a half-hour zone land in the right local hours
INSERT INTO shop.orders_b VALUES (900002, '2026-11-21 19:10+00', '2026-11-24 00:00+00', NULL, false, 'web', 'regular', 'm15');
SELECT hours_touched, first_period FROM csat.refresh();
SELECT period_start, orders FROM csat.kpi_daily
 WHERE channel = 'all' AND segment = 'all' AND period_start = '2026-11-22';
RESET timezone;
SET timezone = 'UTC';

-- ---- hostile search_path: look-alike functions and operators change nothing
CREATE SCHEMA evil;
CREATE FUNCTION evil.date_trunc(text, timestamptz, text) RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.count(anyelement) RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
CREATE FUNCTION evil.coalesce_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.coalesce_text);
CREATE TABLE before_evil AS SELECT * FROM csat.kpi_daily;
SET search_path = evil, public;
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at":"invited_at"}');
SELECT full_rebuild FROM csat.refresh();
RESET search_path;
SELECT count(*) AS changed_rows FROM (
  SELECT period_start, channel, segment, orders, responses, csat_rate FROM before_evil
  EXCEPT SELECT period_start, channel, segment, orders, responses, csat_rate FROM csat.kpi_daily) x;

-- ---- TRUNCATE and unmapping
TRUNCATE shop.returns;
SELECT count(*) FILTER (WHERE hour IS NULL) AS full_requests FROM csat.changes;
SELECT full_rebuild FROM csat.refresh();
SELECT sum(returns) AS returns_after_truncate FROM csat.rollup_daily;
SELECT csat.unmap_source('orders', 'shop.orders_b');
SELECT count(*) AS orders_in_view FROM csat.orders;
SELECT csat.unmap_source('returns');
SELECT to_regclass('csat.returns') AS returns_view;
SELECT full_rebuild FROM csat.refresh();
SELECT sum(orders) = (SELECT count(*) FROM shop.orders) AS orders_match FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all';
SELECT tgrelid::regclass, count(*) FROM pg_trigger WHERE tgname LIKE 'csat%' GROUP BY 1 ORDER BY tgrelid::regclass::text;

-- ---- +-infinity ("not yet") counts as NULL on every major: a ticket answered at
-- 'infinity' is open (counted, not responded); one opened at 'infinity' is in no hour
INSERT INTO shop.tickets (id, created, first_reply_at, complaint, channel, priority, segment)
VALUES (990001, '2020-01-01 10:30+00', 'infinity', false, 'chat', 'low', 'smb'),
       (990002, 'infinity', '2020-01-01 10:40+00', false, 'chat', 'low', 'smb'),
       (990003, '-infinity', NULL, false, 'chat', 'low', 'smb');
SELECT kind, hour FROM csat.changes ORDER BY kind, hour;
SELECT full_rebuild FROM csat.refresh();
SELECT sum(tickets) AS tickets, sum(responded) AS responded FROM csat.rollup_hourly
 WHERE hour >= '2020-01-01' AND hour < '2020-01-02' AND channel = 'all' AND segment = 'all';
SELECT sum(tickets) = (SELECT count(*) FROM shop.tickets WHERE isfinite(created)) AS tickets_match,
       sum(responded) = (SELECT count(first_reply_at) FROM shop.tickets WHERE isfinite(created) AND isfinite(first_reply_at)) AS responded_match
  FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all';
SELECT ticket_id, opened_at, first_response_at FROM csat.tickets WHERE ticket_id >= 990001 ORDER BY ticket_id;
SELECT full_rebuild FROM csat.refresh(true);
SELECT sum(tickets) AS tickets, sum(responded) AS responded FROM csat.rollup_hourly
 WHERE hour >= '2020-01-01' AND hour < '2020-01-02' AND channel = 'all' AND segment = 'all';

-- ---- scheduling without pg_cron in this database: an error whose hint gives the SQL
SELECT pg_temp.err($$SELECT csat.schedule_refresh()$$);
SELECT pg_temp.err($$SELECT csat.unschedule_refresh()$$);

-- ---- a reader of a security_invoker standard view needs rights on the table
SET ROLE regress_views_user;
SELECT pg_temp.err($$SELECT count(*) FROM csat.orders$$);
RESET ROLE;

DROP SCHEMA shop CASCADE;
DROP SCHEMA evil CASCADE;
DROP VIEW view_daily;
DROP TABLE before_hourly, incr_hourly, incr_daily, before_evil;
DROP EXTENSION csat;
DROP OWNED BY regress_views_user;
DROP ROLE regress_views_user;
DROP ROLE regress_views_other;
