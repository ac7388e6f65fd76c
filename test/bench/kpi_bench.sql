-- Shared by test/bench/views.sh and test/bench/alerts_callgrind.sh, on the demo
-- data of test/data/generate.sql: csat installed and the four sources mapped, the
-- plans' targets as kpi rules, and the 1 % of new rows both benchmarks add
-- before an incremental refresh.
CREATE EXTENSION csat;
INSERT INTO csat.settings (timezone) VALUES ('UTC');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id": "id", "ordered_at": "created_at", "exception": "has_exception", "channel": "sales_channel", "segment": "customer_segment", "category": "product_category", "followed_up_at": "follow_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id": "id", "opened_at": "created", "first_response_at": "first_reply_at", "is_complaint": "complaint", "category": "topic", "agent": "assignee"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at": "invited_at"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id": "id", "completed_at": "refunded_at"}');
CREATE SCHEMA IF NOT EXISTS bench;
-- the plans' targets as kpi rules (as the demo has them): every refresh judges them (alerts)
INSERT INTO csat.rules (name, metric, applies_to, statistic, warning, breach, higher_is_worse, unit, min_samples) VALUES
  ('csat >= 80 %', 'csat_rate', 'kpi', NULL, 0.85, 0.80, false, 'fraction', 30),
  ('nps >= 20', 'nps', 'kpi', NULL, 30, 20, false, 'points', 30),
  ('complaints <= 7 %', 'complaint_rate', 'kpi', NULL, 0.06, 0.07, true, 'fraction', 30),
  ('complaints handled in 24 h >= 90 %', 'complaint_handling_rate_24h', 'kpi', NULL, 0.93, 0.90, false, 'fraction', 30),
  ('surveys answered >= 85 %', 'survey_response_rate', 'kpi', NULL, 0.88, 0.85, false, 'fraction', 30),
  ('follow-up in 48 h >= 75 %', 'follow_up_rate_48h', 'kpi', NULL, 0.78, 0.75, false, 'fraction', 30),
  ('return satisfaction >= 92 %', 'return_satisfaction', 'kpi', NULL, 0.94, 0.92, false, 'fraction', 30),
  ('complaint satisfaction >= 90 %', 'complaint_satisfaction', 'kpi', NULL, 0.92, 0.90, false, 'fraction', 30),
  ('exceptions <= 1.5 %', 'delivery_exception_rate', 'kpi', NULL, 0.012, 0.015, true, 'fraction', 30),
  ('first response within target >= 95 %', 'first_response', 'kpi', 'attainment', 0.97, 0.95, false, 'fraction', 30);

-- 1 % new rows of every kind in the last 7 days (ids above the existing ones)
CREATE FUNCTION bench.add_one_percent(round int) RETURNS void LANGUAGE sql AS $$
INSERT INTO shop.orders SELECT 10000000 * round + g, e.end_ts - random() * interval '7 days', e.end_ts + interval '2 days', NULL, false,
       'app', CASE WHEN g % 10 = 0 THEN 'vip' ELSE 'regular' END, 'm01', 'fashion', g, NULL
  FROM shop.params e, generate_series(1, (e.n_orders / 100)::int) g;
INSERT INTO shop.tickets SELECT 10000000 * round + g, g, x, x + random() * interval '10 minutes', NULL, g % 5 = 0,
       (ARRAY['chat','email','phone'])[1 + g % 3], 'normal', 'regular', 'delivery', 'Ada', g
  FROM shop.params e, generate_series(1, (e.n_tickets / 100)::int) g, LATERAL (SELECT e.end_ts - random() * interval '7 days' AS x) t;
INSERT INTO shop.surveys SELECT 10000000 * round + g, x, 1 + g % 5, 5, 0.3, 'service', 'chat', 'regular', g, x - interval '1 hour', NULL
  FROM shop.params e, generate_series(1, (e.n_surveys / 100)::int) g, LATERAL (SELECT e.end_ts - random() * interval '7 days' AS x) t;
INSERT INTO shop.returns SELECT 10000000 * round + g, g, e.end_ts - random() * interval '7 days', NULL, 'late'
  FROM shop.params e, generate_series(1, (e.n_returns / 100)::int) g;
$$;
