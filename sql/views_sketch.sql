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
-- (a copy of test/data/generate.sql, inlined so the suite runs from any directory)
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 1
\endif
\if :{?schema}
\else
\set schema shop
\endif
\if :{?end_ts}
\else
\set end_ts 'date_trunc(''hour'', now())'
\endif

SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;   -- one process, so random() is deterministic
SET synchronous_commit = off;
DROP SCHEMA IF EXISTS :"schema" CASCADE;
CREATE SCHEMA :"schema";
SET search_path = :"schema", pg_catalog;

-- parameters as a one-row table, so every statement below reads the same values
CREATE TABLE params AS
SELECT (:end_ts)::timestamptz AS end_ts,
       (:end_ts)::timestamptz - interval '395 days' AS start_ts,
       greatest(1, round(1000000 * (:scale)::float8))::bigint AS n_orders,
       greatest(1, round(300000 * (:scale)::float8))::bigint AS n_tickets,
       greatest(1, round(200000 * (:scale)::float8))::bigint AS n_surveys,
       greatest(1, round(30000 * (:scale)::float8))::bigint AS n_returns;
\if :{?peak}
ALTER TABLE params ADD COLUMN peak date;
UPDATE params SET peak = (:peak)::date;
\else
-- the last November 11 strictly before end_ts's date (in UTC)
ALTER TABLE params ADD COLUMN peak date;
UPDATE params SET peak = CASE
    WHEN make_date(extract(year FROM end_ts AT TIME ZONE 'UTC')::int, 11, 11) < (end_ts AT TIME ZONE 'UTC')::date
    THEN make_date(extract(year FROM end_ts AT TIME ZONE 'UTC')::int, 11, 11)
    ELSE make_date(extract(year FROM end_ts AT TIME ZONE 'UTC')::int - 1, 11, 11) END;
\endif

-- standard normal from two uniforms (Box-Muller); volatile so each call draws anew
CREATE FUNCTION gauss() RETURNS float8 LANGUAGE sql VOLATILE AS
$$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;

-- a timestamp in [start_ts, end_ts): with probability peak_share on the peak day,
-- otherwise uniform over the days; the hour of day follows an evening-heavy curve
CREATE FUNCTION random_ts(peak_share float8) RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
-- past end_ts (the last day is cut at end_ts's hour): wrap to the unused first day
SELECT CASE WHEN x >= p.end_ts THEN x - interval '395 days' ELSE x END
FROM params p,
     LATERAL (SELECT CASE WHEN random() < peak_share
                          THEN (p.peak::timestamp AT TIME ZONE 'UTC')
                          ELSE date_trunc('day', p.start_ts, 'UTC') + (1 + floor(random() * 395)) * interval '1 day' END
                     -- hours: a mix of a flat day (8-24h) and an evening bump around 20h
                     + (CASE WHEN random() < 0.6 THEN 8 + 16 * random()
                             ELSE least(23.99, greatest(0, 20 + 2.5 * gauss())) END) * interval '1 hour' AS x) t
$$;

SELECT setseed(0.42) AS seeded \gset

CREATE TABLE orders (
    id               bigint PRIMARY KEY,
    created_at       timestamptz NOT NULL,
    promised_at      timestamptz NOT NULL,
    delivered_at     timestamptz,
    has_exception    boolean NOT NULL DEFAULT false,
    sales_channel    text NOT NULL,
    customer_segment text NOT NULL,
    merchant         text NOT NULL
);
INSERT INTO orders
SELECT id, ts,
       ts + CASE WHEN vip THEN interval '2 days' ELSE interval '3 days' END,
       CASE WHEN ts + dt * interval '1 second' < p.end_ts THEN ts + dt * interval '1 second' END,
       exc, ch, CASE WHEN vip THEN 'vip' ELSE 'regular' END, 'm' || lpad((1 + floor(random() * 20))::int::text, 2, '0')
FROM params p,
     LATERAL (SELECT g AS id, random_ts(0.02) AS ts, random() < 0.10 AS vip,
                     (ARRAY['app','app','app','web','web','mini'])[1 + floor(random() * 6)::int] AS ch,
                     random() < 0.012 AS exc, gauss() AS z
              FROM generate_series(1, p.n_orders) g) o,
     -- delivery seconds: log-normal, median ~2 days (VIP ~1.4), slower around the peak
     LATERAL (SELECT exp(ln(CASE WHEN vip THEN 1.4 ELSE 2.0 END * 86400)
                         + 0.45 * z
                         + CASE WHEN (ts AT TIME ZONE 'UTC')::date BETWEEN p.peak AND p.peak + 3 THEN 0.5 ELSE 0 END) AS dt) d;

CREATE TABLE tickets (
    id             bigint PRIMARY KEY,
    order_id       bigint,
    created        timestamptz NOT NULL,
    first_reply_at timestamptz,
    resolved_at    timestamptz,
    complaint      boolean NOT NULL,
    channel        text NOT NULL,
    priority       text NOT NULL,
    segment        text NOT NULL
);
INSERT INTO tickets
SELECT id, 1 + floor(random() * p.n_orders)::bigint, ts,
       CASE WHEN unanswered OR ts + frt * interval '1 second' >= p.end_ts THEN NULL
            ELSE ts + frt * interval '1 second' END,
       CASE WHEN unanswered OR unresolved OR ts + (frt + res) * interval '1 second' >= p.end_ts THEN NULL
            ELSE ts + (frt + res) * interval '1 second' END,
       complaint, ch, CASE WHEN complaint THEN 'high' ELSE 'normal' END,
       CASE WHEN vip THEN 'vip' ELSE 'regular' END
FROM params p,
     LATERAL (SELECT g AS id, random_ts(0.03) AS ts, random() < 0.10 AS vip,
                     CASE WHEN r < 0.55 THEN 'chat' WHEN r < 0.80 THEN 'email' ELSE 'phone' END AS ch,
                     random() < 0.20 AS complaint, random() < 0.02 AS unanswered,
                     random() < 0.08 AS unresolved, gauss() AS z1, gauss() AS z2
              FROM (SELECT g, random() AS r FROM generate_series(1, p.n_tickets) g) gg) t,
     LATERAL (SELECT exp(ln(CASE ch WHEN 'chat' THEN 45 WHEN 'phone' THEN 80 ELSE 3 * 3600 END)
                         + CASE ch WHEN 'email' THEN 0.9 ELSE 0.8 END * z1
                         - CASE WHEN vip THEN 0.7 ELSE 0 END
                         + CASE WHEN (ts AT TIME ZONE 'UTC')::date = p.peak AND ch <> 'email' THEN 3.2
                                WHEN (ts AT TIME ZONE 'UTC')::date = p.peak THEN 1.0 ELSE 0 END) AS frt,
                     exp(ln(6 * 3600) + 1.0 * z2) AS res) d;

CREATE TABLE surveys (
    id          bigint PRIMARY KEY,
    answered_at timestamptz NOT NULL,
    score       int NOT NULL,
    scale_max   int NOT NULL,
    weight      float8 NOT NULL,
    dimension   text NOT NULL,
    channel     text NOT NULL,
    segment     text NOT NULL,
    order_id    bigint
);
INSERT INTO surveys
SELECT id, ts,
       CASE WHEN nps_q
            -- NPS answers: promoters ~45 %, passives ~30 %, detractors ~25 % (worse on peak)
            THEN least(10, greatest(0, round(8.0 + 2.1 * z - CASE WHEN peakish THEN 1.8 ELSE 0 END)))::int
            ELSE least(5, greatest(1, round(4.35 + 0.9 * z - CASE WHEN peakish THEN 0.9 ELSE 0 END)))::int END,
       CASE WHEN nps_q THEN 10 ELSE 5 END,
       CASE dim WHEN 'logistics' THEN 0.30 WHEN 'service' THEN 0.30 WHEN 'product' THEN 0.25 ELSE 0.15 END,
       dim,
       CASE WHEN dim IN ('service', 'after-sales')
            THEN (ARRAY['chat','chat','email','phone'])[1 + floor(random() * 4)::int]
            ELSE (ARRAY['app','app','web','mini'])[1 + floor(random() * 4)::int] END,
       CASE WHEN vip THEN 'vip' ELSE 'regular' END,
       1 + floor(random() * p.n_orders)::bigint
FROM params p,
     LATERAL (SELECT g AS id, random_ts(0.02) AS ts, random() < 0.30 AS nps_q, random() < 0.10 AS vip,
                     (ARRAY['logistics','service','product','after-sales'])[1 + floor(random() * 4)::int] AS dim,
                     gauss() AS z
              FROM generate_series(1, p.n_surveys) g) s,
     LATERAL (SELECT (ts AT TIME ZONE 'UTC')::date BETWEEN p.peak AND p.peak + 4 AS peakish) k;

CREATE TABLE returns (
    id           bigint PRIMARY KEY,
    order_id     bigint NOT NULL,
    requested_at timestamptz NOT NULL,
    refunded_at  timestamptz,
    reason       text NOT NULL
);
INSERT INTO returns
SELECT r.id, o.id, req,
       CASE WHEN r.open OR req + r.proc * interval '1 second' >= p.end_ts THEN NULL
            ELSE req + r.proc * interval '1 second' END,
       r.reason
FROM params p,
     LATERAL (SELECT g AS id, 1 + floor(random() * p.n_orders)::bigint AS oid,
                     exp(ln(3 * 86400) + 0.8 * gauss()) AS after,
                     exp(ln(2 * 86400) + 0.7 * gauss()) AS proc, random() < 0.05 AS open,
                     (ARRAY['damaged','wrong item','not as described','changed mind','late'])[1 + floor(random() * 5)::int] AS reason
              FROM generate_series(1, p.n_returns) g) r
JOIN orders o ON o.id = r.oid,
     LATERAL (SELECT coalesce(o.delivered_at, o.promised_at) + r.after * interval '1 second' AS req) q
WHERE q.req < p.end_ts;

-- the indexes a platform would have anyway; csat's refresh reads by time ranges
CREATE INDEX ON orders (created_at);
CREATE INDEX ON tickets (created);
CREATE INDEX ON surveys (answered_at);
CREATE INDEX ON returns (requested_at);
DROP FUNCTION random_ts(float8);
DROP FUNCTION gauss();
ANALYZE orders, tickets, surveys, returns;
RESET search_path;
\set ON_ERROR_STOP off
\set ECHO all
INSERT INTO csat.settings (timezone) VALUES ('Europe/Paris');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"has_exception","channel":"sales_channel","segment":"customer_segment"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"id","opened_at":"created","first_response_at":"first_reply_at","is_complaint":"complaint"}');
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
DROP EXTENSION csat;
