-- views_rules: alert levels, rule matching (most specific wins, disabled ignored,
-- min_samples), Wilson bounds and first-response attainment in the KPI views, on a
-- tiny hand-made data set whose every number can be checked by hand.
CREATE EXTENSION csat;
SET timezone = 'UTC';
SET client_min_messages = warning;
INSERT INTO csat.settings (timezone) VALUES ('UTC');

CREATE TABLE o (order_id int PRIMARY KEY, ordered_at timestamptz NOT NULL, channel text, segment text);
CREATE TABLE t (ticket_id int PRIMARY KEY, opened_at timestamptz NOT NULL, first_response_at timestamptz,
                is_complaint boolean, channel text, segment text);
CREATE TABLE s (answered_at timestamptz NOT NULL, score int NOT NULL, scale_max int, channel text, segment text);
-- day 1 (2026-03-02): 200 orders (100 web/regular, 100 web/vip), 10 complaints
INSERT INTO o SELECT g, '2026-03-02 10:00+00', 'web', CASE WHEN g <= 100 THEN 'regular' ELSE 'vip' END FROM generate_series(1, 200) g;
-- chat tickets: regular answered in 100 s (40 tickets) or 300 s (10); vip answered in 50 s (20) or 90 s (20)
INSERT INTO t SELECT g, '2026-03-02 10:00+00', '2026-03-02 10:00+00'::timestamptz + CASE WHEN g <= 40 THEN 100 ELSE 300 END * interval '1 second',
                     g <= 10, 'chat', 'regular' FROM generate_series(1, 50) g;
INSERT INTO t SELECT 100 + g, '2026-03-02 10:00+00', '2026-03-02 10:00+00'::timestamptz + CASE WHEN g <= 20 THEN 50 ELSE 90 END * interval '1 second',
                     false, 'chat', 'vip' FROM generate_series(1, 40) g;
-- CSAT answers: regular 60 of 100 satisfied; vip 9 of 10 satisfied (too few for a verdict)
INSERT INTO s SELECT '2026-03-02 10:00+00', CASE WHEN g <= 60 THEN 5 ELSE 2 END, 5, 'web', 'regular' FROM generate_series(1, 100) g;
INSERT INTO s SELECT '2026-03-02 10:00+00', CASE WHEN g <= 9 THEN 4 ELSE 1 END, 5, 'web', 'vip' FROM generate_series(1, 10) g;
-- NPS answers (regular): 50 promoters, 20 passives, 30 detractors -> NPS 20
INSERT INTO s SELECT '2026-03-02 11:00+00', CASE WHEN g <= 50 THEN 10 WHEN g <= 70 THEN 8 ELSE 3 END, 10, 'web', 'regular' FROM generate_series(1, 100) g;

SELECT csat.map_source('orders', 'o');
SELECT csat.map_source('tickets', 't');
SELECT csat.map_source('surveys', 's');

INSERT INTO csat.rules (name, metric, segment, channel, warning, breach, higher_is_worse, min_samples, enabled) VALUES
  ('csat', 'csat_rate', NULL, NULL, 0.85, 0.80, false, 30, true),
  ('nps', 'nps', NULL, NULL, 30, 10, false, 50, true),
  ('complaints', 'complaint_rate', NULL, NULL, 0.01, 0.02, true, 30, true),
  ('frt chat', 'first_response', NULL, 'chat', 120, 180, true, 30, true),
  ('frt chat vip', 'first_response', 'vip', 'chat', 45, 60, true, 30, true),
  ('frt chat vip old', 'first_response', 'vip', 'chat', 1, 2, true, 30, false);
SELECT full_rebuild FROM csat.refresh();

SELECT channel, segment, orders, complaints, round(complaint_rate::numeric, 6) AS cr,
       round(complaint_rate_low::numeric, 6) AS cr_low, round(complaint_rate_high::numeric, 6) AS cr_high,
       complaint_rate_level
  FROM csat.kpi_daily WHERE period_start = '2026-03-02' AND channel IN ('all') ORDER BY 1, 2;
-- the Wilson bounds are csat.wilson_lower/upper of the counts
SELECT round(csat.wilson_lower(10, 200)::numeric, 6) AS low, round(csat.wilson_upper(10, 200)::numeric, 6) AS high;
SELECT channel, segment, responses, round(csat_rate::numeric, 6) AS csat_rate, round(csat_rate_low::numeric, 6) AS low,
       round(csat_rate_high::numeric, 6) AS high, round(very_satisfied_rate::numeric, 6) AS very,
       round(mean_score::numeric, 6) AS mean, round(weighted_score::numeric, 6) AS weighted, csat_rate_level
  FROM csat.kpi_daily WHERE period_start = '2026-03-02' AND channel IN ('web', 'all') AND responses > 0 ORDER BY 1, 2;
SELECT channel, segment, nps_responses, nps, nps_level
  FROM csat.kpi_daily WHERE period_start = '2026-03-02' AND nps_responses > 0 ORDER BY 1, 2;
-- first response: chat regular uses 'frt chat' (180 s); chat vip the more specific
-- 'frt chat vip' (60 s; the disabled one is ignored); 'all' channels have no rule
SELECT channel, segment, tickets, frt_target_s, round(frt_attainment::numeric, 6) AS attainment,
       round(frt_p95_s::numeric, 0) AS p95, frt_p95_level
  FROM csat.kpi_daily WHERE period_start = '2026-03-02' AND tickets > 0 ORDER BY 1, 2;
-- a segment rule wins over a channel rule that also matches, whatever their names
-- (the watch triggers' order): chat vip takes 'frt vip' (100 s), not 'frt chat'
UPDATE csat.rules SET enabled = false WHERE name = 'frt chat vip';
INSERT INTO csat.rules (name, metric, segment, channel, warning, breach, higher_is_worse, min_samples)
  VALUES ('frt vip', 'first_response', 'vip', NULL, 90, 100, true, 30);
SELECT channel, segment, frt_target_s FROM csat.kpi_daily
 WHERE period_start = '2026-03-02' AND tickets > 0 AND channel = 'chat' ORDER BY 1, 2;
DELETE FROM csat.rules WHERE name = 'frt vip';
UPDATE csat.rules SET enabled = true WHERE name = 'frt chat vip';
-- hourly and monthly views apply the same rules
SELECT period_start, channel, segment, csat_rate_level, complaint_rate_level, frt_p95_level
  FROM csat.kpi_hourly WHERE channel IN ('chat', 'all') AND segment = 'all' ORDER BY 1, 2;
SELECT period_start, csat_rate_level, nps_level, complaint_rate_level FROM csat.kpi_monthly WHERE channel = 'all' AND segment = 'all';
-- a stricter csat rule for vip web flips only that row, and min_samples 5 lets 10 answers count
INSERT INTO csat.rules (name, metric, segment, channel, warning, breach, higher_is_worse, min_samples)
VALUES ('csat vip', 'csat_rate', 'vip', NULL, 0.99, 0.95, false, 5);
SELECT channel, segment, responses, csat_rate_level FROM csat.kpi_daily
 WHERE period_start = '2026-03-02' AND responses > 0 ORDER BY 1, 2;

SELECT csat.unmap_source('orders'), csat.unmap_source('tickets'), csat.unmap_source('surveys');
DROP TABLE o, t, s;
DROP EXTENSION csat;
