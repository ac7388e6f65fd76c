-- kpis: the KPI catalogue (issue 12).  Every shipped KPI against hand-written
-- SQL over the standard views (hour, day, month, quarter; per channel, segment,
-- breakdown value and the totals), pending and overdue at the target boundary,
-- user-defined KPIs (one per measure, edited, disabled, refused), incremental
-- refresh against full after writes and after time passes, and a KPI that no
-- longer checks being disabled by the refresh.  Everything at a fixed as_of.
CREATE EXTENSION csat;
SET timezone = 'UTC';
SET client_min_messages = warning;
SET extra_float_digits = 0;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
INSERT INTO csat.settings (timezone) VALUES ('UTC');
\set asof '2026-04-12 00:00+00'

-- ---------------------------------------------------------------- data
-- three months over two quarters, a row every 4-5 hours per kind, every
-- optional column mapped (some under other names), NULLs and odd values mixed in
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id bigint PRIMARY KEY, created timestamptz NOT NULL, promised_at timestamptz,
	delivered_at timestamptz, exception boolean, channel text, segment text, merchant text,
	category text, customer text, followed_up_at timestamptz);
INSERT INTO shop.orders
SELECT i, o, CASE WHEN i % 10 <> 0 THEN o + interval '3 days' END,
	   CASE WHEN i % 97 = 0 THEN o - interval '1 hour'
			WHEN i % 7 <> 0 THEN o + (i % 5 + 1) * interval '1 day' + (i % 13) * interval '1 hour' END,
	   CASE WHEN i % 17 = 0 THEN NULL ELSE i % 11 = 0 END,
	   CASE WHEN i % 19 <> 0 THEN (ARRAY['web', 'app', 'store'])[i % 3 + 1] END,
	   (ARRAY['new', 'vip'])[i % 2 + 1],
	   CASE WHEN i % 23 <> 0 THEN 'm' || (i % 4) END, 'c' || (i % 3), 'cu' || (i % 50),
	   CASE WHEN i % 6 <> 0 AND i % 7 <> 0 AND i % 97 <> 0 THEN o + (i % 5 + 1) * interval '1 day' + (i % 13) * interval '1 hour' + (i % 4) * interval '20 hours' END
  FROM generate_series(1, 300) i, LATERAL (SELECT timestamptz '2026-02-20 00:20+00' + i * interval '4 hours') x(o);

CREATE TABLE shop.tickets (ticket_id bigint PRIMARY KEY, order_id bigint, opened timestamptz NOT NULL,
	first_response_at timestamptz, resolved_at timestamptz, is_complaint boolean, channel text, priority text,
	segment text, category text, agent text, customer_id text);
INSERT INTO shop.tickets
SELECT i, i % 300 + 1, o,
	   CASE WHEN i % 8 <> 0 THEN o + (i % 9) * interval '7 minutes' + (i % 4) * interval '20 minutes' END,
	   CASE WHEN i % 5 <> 0 THEN o + (i % 6) * interval '9 hours' END,
	   i % 3 = 0, CASE WHEN i % 17 <> 0 THEN (ARRAY['chat', 'email', 'phone'])[i % 3 + 1] END,
	   (ARRAY['low', 'high'])[i % 2 + 1], (ARRAY['new', 'vip'])[(i / 3) % 2 + 1],
	   CASE WHEN i % 29 <> 0 THEN (ARRAY['returns', 'delivery', 'product'])[(i / 3) % 3 + 1] END,
	   'agent' || (i % 5),
	   CASE WHEN i % 13 = 0 THEN NULL WHEN i % 2 = 0 THEN 'a' || (i % 30) ELSE 'b' || (i % 91) END
  FROM generate_series(1, 300) i, LATERAL (SELECT timestamptz '2026-02-20 01:30+00' + i * interval '4 hours') x(o);
-- complaints open at the 24 h boundary of as_of (channel boundary): opened
-- exactly 24 h before, 24 h - 1 s, 24 h + 1 s; one resolved after as_of long
-- ago (open, overdue), one resolved after as_of recently (open, pending)
INSERT INTO shop.tickets (ticket_id, opened, resolved_at, is_complaint, channel, segment, category, customer_id) VALUES
	(1001, timestamptz :'asof' - interval '24 hours', NULL, true, 'boundary', 'new', 'returns', 'z1'),
	(1002, timestamptz :'asof' - interval '24 hours' + interval '1 second', NULL, true, 'boundary', 'new', 'returns', 'z2'),
	(1003, timestamptz :'asof' - interval '24 hours' - interval '1 second', NULL, true, 'boundary', 'new', 'delivery', 'z3'),
	(1004, timestamptz :'asof' - interval '30 hours', timestamptz :'asof' + interval '1 hour', true, 'boundary', 'new', 'delivery', 'z4'),
	(1005, timestamptz :'asof' - interval '1 hour', timestamptz :'asof' + interval '1 hour', true, 'boundary', 'new', NULL, 'z5'),
	(1006, timestamptz :'asof' - interval '20 hours', timestamptz :'asof' - interval '1 hour', true, 'boundary', 'new', NULL, 'z6');

CREATE TABLE shop.surveys (id bigint PRIMARY KEY, answered timestamptz, score int, scale_max int, weight numeric,
	dimension text, channel text, segment text, order_id bigint, sent_at timestamptz, ticket_id bigint);
INSERT INTO shop.surveys
SELECT i, a, CASE WHEN i % 37 = 0 THEN 7 WHEN i % 10 = 0 THEN i % 11 ELSE i % 6 END,
	   CASE WHEN i % 10 = 0 THEN 10 WHEN i % 10 = 1 THEN NULL ELSE 5 END,
	   CASE WHEN i % 4 <> 0 THEN (i % 4) * 0.5 END,
	   (ARRAY['logistics', 'service', 'product', 'returns', 'after-sales', 'complaint', NULL])[i % 7 + 1],
	   CASE WHEN i % 23 <> 0 THEN (ARRAY['web', 'app', 'email'])[(i / 2) % 3 + 1] END,
	   (ARRAY['new', 'vip'])[(i / 5) % 2 + 1], i, CASE WHEN i % 9 <> 0 THEN a - (i % 5) * interval '1 day' END, i
  FROM generate_series(1, 300) i, LATERAL (SELECT timestamptz '2026-02-20 02:10+00' + i * interval '4 hours') x(a);
-- surveys sent and not answered: older than 7 days at as_of (not answered) or younger (pending)
INSERT INTO shop.surveys (id, sent_at, channel, segment)
SELECT 1000 + i, timestamptz '2026-03-01 05:00+00' + i * interval '23 hours', (ARRAY['web', 'app'])[i % 2 + 1], 'new'
  FROM generate_series(1, 40) i;

CREATE TABLE shop.returns (return_id bigint PRIMARY KEY, order_ref bigint, requested timestamptz NOT NULL,
	completed_at timestamptz, reason text);
INSERT INTO shop.returns
SELECT i, CASE WHEN i % 25 = 0 THEN NULL WHEN i % 33 = 0 THEN 9999 ELSE (i * 3) % 300 + 1 END, r,
	   CASE WHEN i % 6 <> 0 THEN r + (i % 8) * interval '13 hours' END,
	   CASE WHEN i % 10 <> 0 THEN (ARRAY['size', 'damaged', 'late'])[i % 3 + 1] END
  FROM generate_series(1, 200) i, LATERAL (SELECT timestamptz '2026-02-21 03:00+00' + i * interval '5 hours') x(r);

SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created","promised_at":"promised_at",
	"delivered_at":"delivered_at","exception":"exception","channel":"channel","segment":"segment","merchant":"merchant",
	"category":"category","customer_id":"customer","followed_up_at":"followed_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"ticket_id","order_id":"order_id","opened_at":"opened",
	"first_response_at":"first_response_at","resolved_at":"resolved_at","is_complaint":"is_complaint","channel":"channel",
	"priority":"priority","segment":"segment","category":"category","agent":"agent","customer_id":"customer_id"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"answered_at":"answered","score":"score","scale_max":"scale_max",
	"weight":"weight","dimension":"dimension","channel":"channel","segment":"segment","order_id":"order_id",
	"sent_at":"sent_at","ticket_id":"ticket_id"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"return_id","order_id":"order_ref","requested_at":"requested",
	"completed_at":"completed_at","reason":"reason"}');
-- per-channel targets of first_response (rows rules); weights of the dimensions
-- (logistics weighs 3 from April on)
INSERT INTO csat.rules (name, metric, channel, breach) VALUES
	('frt_chat', 'first_response', 'chat', 1800), ('frt_all', 'first_response', NULL, 3600);
INSERT INTO csat.dimension_weights (dimension, weight, valid_from) VALUES
	('logistics', 2, '-infinity'), ('logistics', 3, '2026-04-01'), ('service', 1, '-infinity'),
	('product', 1, '-infinity'), ('returns', 0.5, '-infinity');
SELECT (csat.refresh(true, :'asof')).full_rebuild;

-- ---------------------------------------------------------------- hand-written expectations
-- One row per source row and KPI it covers: its period, scope, breakdown value and
-- what it contributes, written from each KPI's description, not from csat's SQL.
--   ok   share: success (NULL: not countable)     x, w  mean/nps/weighted_mean: value, weight (x NULL: excluded)
--   num  ratio: numerator row (true) or denominator row (false)
--   d    duration: seconds of a closed item; st: hit, late, overdue, pending, open (no target), excluded
CREATE TEMP TABLE base (kpi text, at timestamptz, channel text, segment text, b text,
	ok boolean, x float8, w float8, num boolean, d float8, st text);
CREATE TEMP VIEW o AS SELECT *, coalesce(channel, 'unknown') AS ch, coalesce(segment, 'unknown') AS sg FROM csat.orders;
CREATE TEMP VIEW t AS SELECT *, coalesce(channel, 'unknown') AS ch, coalesce(segment, 'unknown') AS sg FROM csat.tickets;
CREATE TEMP VIEW s AS SELECT *, coalesce(channel, 'unknown') AS ch, coalesce(segment, 'unknown') AS sg FROM csat.surveys;
CREATE TEMP VIEW r AS SELECT r.*, coalesce(o.channel, 'unknown') AS ch, coalesce(o.segment, 'unknown') AS sg
	FROM csat.returns r LEFT JOIN csat.orders o ON o.order_id = r.order_id;
-- a duration item's state at as_of with target tgt (seconds; NULL: none)
CREATE FUNCTION pg_temp.dstate(start timestamptz, stop timestamptz, asof timestamptz, tgt float8, OUT d float8, OUT st text)
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN stop <= asof AND stop >= start THEN extract(epoch FROM stop - start)::float8 END,
	   CASE WHEN start IS NULL OR stop < start AND stop <= asof THEN 'excluded'
			WHEN stop <= asof THEN CASE WHEN tgt IS NULL THEN 'closed' WHEN extract(epoch FROM stop - start) <= tgt THEN 'hit' ELSE 'late' END
			WHEN tgt IS NULL THEN 'open'
			WHEN extract(epoch FROM asof - start) > tgt THEN 'overdue' ELSE 'pending' END
$$;
-- business seconds of the calendar office (Monday-Friday 09:00-17:00 UTC) between
-- two whole minutes, minute by minute; and a duration's state on it
CREATE FUNCTION pg_temp.bsec(a timestamptz, b timestamptz) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
SELECT 60 * count(*)::float8 FROM generate_series(a, b - interval '1 minute', interval '1 minute') m
 WHERE extract(isodow FROM m) BETWEEN 1 AND 5 AND m::time >= '09:00' AND m::time < '17:00'
$$;
CREATE FUNCTION pg_temp.bstate(start timestamptz, stop timestamptz, asof timestamptz, tgt float8, OUT d float8, OUT st text)
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN stop <= asof AND stop >= start THEN pg_temp.bsec(start, stop) END,
	   CASE WHEN stop < start AND stop <= asof THEN 'excluded'
			WHEN stop <= asof THEN CASE WHEN pg_temp.bsec(start, stop) <= tgt THEN 'hit' ELSE 'late' END
			WHEN pg_temp.bsec(start, asof) > tgt THEN 'overdue' ELSE 'pending' END
$$;
\set A 'timestamptz ''2026-04-12 00:00+00'''
CREATE FUNCTION pg_temp.fill(asof timestamptz, edited boolean DEFAULT false) RETURNS void LANGUAGE plpgsql AS $fill$
BEGIN
DELETE FROM base;
-- surveys: CSAT answers (1-5; scale_max NULL = 5)
INSERT INTO base (kpi, at, channel, segment, b, ok, x, w)
SELECT k, answered_at, ch, sg, NULL,
	   CASE WHEN score BETWEEN 1 AND 5 THEN CASE k WHEN 'very_satisfied_rate' THEN score = 5 ELSE score >= 4 END END, NULL, NULL
  FROM s, unnest(ARRAY['csat_rate', 'very_satisfied_rate', 'logistics_satisfaction', 'service_satisfaction', 'product_satisfaction',
					   'return_satisfaction', 'complaint_satisfaction']) k
 WHERE answered_at IS NOT NULL AND coalesce(scale_max, 5) = 5
   AND CASE k WHEN 'logistics_satisfaction' THEN dimension = 'logistics' WHEN 'service_satisfaction' THEN dimension = 'service'
			  WHEN 'product_satisfaction' THEN dimension = 'product' WHEN 'return_satisfaction' THEN dimension IN ('returns', 'after-sales')
			  WHEN 'complaint_satisfaction' THEN dimension = 'complaint' ELSE true END;
INSERT INTO base (kpi, at, channel, segment, b, x, w)
SELECT k, answered_at, ch, sg, CASE k WHEN 'satisfaction_index' THEN coalesce(dimension, 'unknown') END,
	   CASE WHEN score BETWEEN 1 AND 5 AND (k <> 'weighted_score' OR coalesce(weight, 1) > 0) THEN score END,
	   CASE k WHEN 'weighted_score' THEN coalesce(weight, 1) ELSE 1 END
  FROM s, unnest(ARRAY['mean_score', 'weighted_score', 'satisfaction_index']) k
 WHERE answered_at IS NOT NULL AND coalesce(scale_max, 5) = 5;
INSERT INTO base (kpi, at, channel, segment, x, w)
SELECT 'nps', answered_at, ch, sg, CASE WHEN score BETWEEN 0 AND 10 THEN score END, 1
  FROM s WHERE answered_at IS NOT NULL AND scale_max = 10;
INSERT INTO base (kpi, at, channel, segment)
SELECT 'responses', answered_at, ch, sg FROM s WHERE answered_at IS NOT NULL AND coalesce(scale_max, 5) = 5 AND score IS NOT NULL;
-- response rate by the hour sent: answered by as_of; unanswered after 7 days: no; else pending
INSERT INTO base (kpi, at, channel, segment, ok)
SELECT 'survey_response_rate', sent_at, ch, sg,
	   CASE WHEN answered_at <= asof THEN true WHEN asof - sent_at > interval '7 days' THEN false END
  FROM s WHERE sent_at IS NOT NULL;
-- orders
-- (edited: the shipped KPI orders, edited in part 4 to count orders with a channel)
INSERT INTO base (kpi, at, channel, segment) SELECT 'orders', ordered_at, ch, sg FROM o WHERE NOT edited OR channel IS NOT NULL;
INSERT INTO base (kpi, at, channel, segment, d, st)
SELECT 'delivery_time', ordered_at, ch, sg, (pg_temp.dstate(ordered_at, delivered_at, asof, NULL)).* FROM o;
INSERT INTO base (kpi, at, channel, segment, b, ok)
SELECT 'late_delivery_rate', ordered_at, ch, sg, coalesce(merchant, 'unknown'),
	   CASE WHEN delivered_at <= asof THEN delivered_at > promised_at WHEN promised_at < asof THEN true END
  FROM o WHERE promised_at IS NOT NULL;
INSERT INTO base (kpi, at, channel, segment, b, ok)
SELECT 'delivery_exception_rate', ordered_at, ch, sg, coalesce(merchant, 'unknown'), exception IS TRUE
  FROM o WHERE delivered_at IS NOT NULL OR exception;
INSERT INTO base (kpi, at, channel, segment, ok)
SELECT 'follow_up_rate_48h', delivered_at, ch, sg,
	   CASE WHEN followed_up_at <= asof THEN followed_up_at - delivered_at <= interval '48 hours'
			WHEN asof - delivered_at > interval '48 hours' THEN false END
  FROM o WHERE delivered_at IS NOT NULL;
INSERT INTO base (kpi, at, channel, segment, ok) SELECT 'order_coverage', ordered_at, ch, sg, promised_at IS NOT NULL FROM o;
-- tickets
INSERT INTO base (kpi, at, channel, segment) SELECT 'tickets', opened_at, ch, sg FROM t;
INSERT INTO base (kpi, at, channel, segment, b) SELECT 'complaints', opened_at, ch, sg, coalesce(category, 'unknown') FROM t WHERE is_complaint;
INSERT INTO base (kpi, at, channel, segment, num) SELECT 'complaint_rate', opened_at, ch, sg, true FROM t WHERE is_complaint;
INSERT INTO base (kpi, at, channel, segment, num) SELECT 'complaint_rate', ordered_at, ch, sg, false FROM o;
INSERT INTO base (kpi, at, channel, segment, ok)
SELECT 'complaint_handling_rate_24h', opened_at, ch, sg,
	   CASE WHEN resolved_at <= asof THEN resolved_at - opened_at <= interval '24 hours'
			WHEN asof - opened_at > interval '24 hours' THEN false END
  FROM t WHERE is_complaint;
INSERT INTO base (kpi, at, channel, segment, ok)
SELECT 'return_complaint_share', opened_at, ch, sg, category IS NOT DISTINCT FROM 'returns' FROM t WHERE is_complaint;
INSERT INTO base (kpi, at, channel, segment, ok)
SELECT 'repeat_contact_rate', opened_at, ch, sg,
	   CASE WHEN customer_id IS NOT NULL THEN EXISTS (SELECT FROM csat.tickets t2 WHERE t2.customer_id = t.customer_id
			AND t2.ticket_id <> t.ticket_id AND t2.opened_at <= t.opened_at AND t2.opened_at >= t.opened_at - interval '7 days') END
  FROM t;
INSERT INTO base (kpi, at, channel, segment, d, st)
SELECT 'first_response', opened_at, ch, sg,
	   (pg_temp.dstate(opened_at, first_response_at, asof, CASE WHEN channel = 'chat' THEN 1800 ELSE 3600 END)).* FROM t;
INSERT INTO base (kpi, at, channel, segment, d, st)
SELECT 'resolution', opened_at, ch, sg, (pg_temp.dstate(opened_at, resolved_at, asof, NULL)).* FROM t;
INSERT INTO base (kpi, at, channel, segment, d, st)
SELECT 'complaint_resolution', opened_at, ch, sg, (pg_temp.dstate(opened_at, resolved_at, asof, 86400)).* FROM t WHERE is_complaint;
INSERT INTO base (kpi, at, channel, segment, ok) SELECT 'resolution_rate', opened_at, ch, sg, resolved_at IS NOT NULL FROM t;
INSERT INTO base (kpi, at, channel, segment, ok) SELECT 'ticket_coverage', opened_at, ch, sg, channel IS NOT NULL FROM t;
-- returns (scope of their order)
INSERT INTO base (kpi, at, channel, segment, b) SELECT 'returns', requested_at, ch, sg, coalesce(reason, 'unknown') FROM r;
INSERT INTO base (kpi, at, channel, segment, d, st)
SELECT 'return_processing', requested_at, ch, sg, (pg_temp.dstate(requested_at, completed_at, asof, NULL)).* FROM r;
INSERT INTO base (kpi, at, channel, segment, num) SELECT 'return_rate', requested_at, ch, sg, true FROM r;
INSERT INTO base (kpi, at, channel, segment, num) SELECT 'return_rate', ordered_at, ch, sg, false FROM o;
-- the user-defined KPIs of part 4 (compared once they exist and are enabled)
INSERT INTO base (kpi, at, channel, segment, ok)
SELECT 'u_share', resolved_at, ch, sg, CASE WHEN edited THEN priority = 'low' ELSE priority = 'high' END
  FROM t WHERE channel = 'chat' AND resolved_at IS NOT NULL;
INSERT INTO base (kpi, at, channel, segment, num) SELECT 'u_ratio', requested_at, ch, sg, true FROM r WHERE reason = 'damaged';
INSERT INTO base (kpi, at, channel, segment, num) SELECT 'u_ratio', ordered_at, ch, sg, false FROM o WHERE merchant = 'm1';
INSERT INTO base (kpi, at, channel, segment, x, w)
SELECT 'u_mean', answered_at, ch, sg, score, CASE WHEN dimension = 'service' THEN 3 ELSE 1 END
  FROM s WHERE answered_at IS NOT NULL AND score BETWEEN 1 AND 5;
INSERT INTO base (kpi, at, channel, segment, b, d, st)
SELECT 'u_dur', opened_at, ch, sg, coalesce(agent, 'unknown'), (pg_temp.dstate(opened_at, first_response_at, asof, 600)).* FROM t;
INSERT INTO base (kpi, at, channel, segment, d, st)
SELECT 'u_dur_bh', opened_at, ch, sg, (pg_temp.bstate(opened_at, resolved_at, asof, 14400)).* FROM t WHERE priority IS NOT NULL;
INSERT INTO base (kpi, at, channel, segment, b, x, w)
SELECT 'u_nps', answered_at, ch, sg, coalesce(dimension, 'unknown'), CASE WHEN score BETWEEN 1 AND 10 THEN score END, 1
  FROM s WHERE answered_at IS NOT NULL AND scale_max = 10;
INSERT INTO base (kpi, at, channel, segment, b) SELECT 'u_count', requested_at, ch, sg, coalesce(reason, 'unknown') FROM r WHERE completed_at IS NULL;
INSERT INTO base (kpi, at, channel, segment, b, x, w)
SELECT 'u_wmean', answered_at, ch, sg, coalesce(dimension, 'unknown'), score, 1
  FROM s WHERE answered_at IS NOT NULL AND coalesce(scale_max, 5) = 5 AND score IS NOT NULL;
END $fill$;
SELECT pg_temp.fill(:A);

-- the weight of a dimension on a day, as set above
CREATE FUNCTION pg_temp.dw(dim text, day date) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
SELECT CASE dim WHEN 'logistics' THEN CASE WHEN day >= '2026-04-01' THEN 3 ELSE 2 END
		WHEN 'service' THEN 1 WHEN 'product' THEN 1 WHEN 'returns' THEN 0.5 ELSE 0 END::float8
$$;
-- the expected figures per grain, period and scope (grouping sets: NULL = total;
-- breakdown values per day and longer only)
CREATE TEMP VIEW expect_v AS
WITH g AS (
	SELECT gr.grain, date_trunc(gr.grain, b.at) AS p, b.*, k.measure, k.scale
	  FROM base b JOIN csat.kpis k ON k.name = b.kpi AND k.enabled
	 CROSS JOIN (VALUES ('hour'), ('day'), ('month'), ('quarter')) gr(grain)),
agg AS (
	SELECT grain, p, kpi, measure, scale, channel, segment, NULL::text AS b,
		   count(*) AS rows, count(ok) AS n_share, count(*) FILTER (WHERE ok) AS succ,
		   count(x) FILTER (WHERE w > 0) AS n_mean, sum(w * x) FILTER (WHERE w > 0) AS swx, sum(w) FILTER (WHERE x IS NOT NULL AND w > 0) AS sw,
		   count(*) FILTER (WHERE x >= 9) AS prom, count(*) FILTER (WHERE x <= 6) AS detr,
		   count(*) FILTER (WHERE num) AS numer, count(*) FILTER (WHERE NOT num) AS denom,
		   count(d) AS n_dur, avg(d) AS mean_d,
		   percentile_disc(0.5) WITHIN GROUP (ORDER BY d) AS p50, percentile_disc(0.9) WITHIN GROUP (ORDER BY d) AS p90,
		   percentile_disc(0.95) WITHIN GROUP (ORDER BY d) AS p95, percentile_disc(0.99) WITHIN GROUP (ORDER BY d) AS p99,
		   count(*) FILTER (WHERE st = 'hit') AS hit, count(*) FILTER (WHERE st IN ('late', 'overdue')) AS miss,
		   count(*) FILTER (WHERE st IN ('overdue', 'pending', 'open')) AS open_n, count(*) FILTER (WHERE st = 'overdue') AS overdue_n
	  FROM g
	 GROUP BY grain, p, kpi, measure, scale, GROUPING SETS ((channel, segment), (channel), (segment), ())
	UNION ALL
	SELECT grain, p, kpi, measure, scale, channel, segment, b,
		   count(*), count(ok), count(*) FILTER (WHERE ok),
		   count(x) FILTER (WHERE w > 0), sum(w * x) FILTER (WHERE w > 0), sum(w) FILTER (WHERE x IS NOT NULL AND w > 0),
		   count(*) FILTER (WHERE x >= 9), count(*) FILTER (WHERE x <= 6),
		   count(*) FILTER (WHERE num), count(*) FILTER (WHERE NOT num),
		   count(d), avg(d),
		   percentile_disc(0.5) WITHIN GROUP (ORDER BY d), percentile_disc(0.9) WITHIN GROUP (ORDER BY d),
		   percentile_disc(0.95) WITHIN GROUP (ORDER BY d), percentile_disc(0.99) WITHIN GROUP (ORDER BY d),
		   count(*) FILTER (WHERE st = 'hit'), count(*) FILTER (WHERE st IN ('late', 'overdue')),
		   count(*) FILTER (WHERE st IN ('overdue', 'pending', 'open')), count(*) FILTER (WHERE st = 'overdue')
	  FROM g WHERE b IS NOT NULL AND grain <> 'hour'
	 GROUP BY grain, p, kpi, measure, scale, b, GROUPING SETS ((channel, segment), (channel), (segment), ())),
fig AS (
	SELECT a.*, CASE measure
		WHEN 'share' THEN succ::float8 / nullif(n_share, 0)
		WHEN 'count' THEN rows::float8
		WHEN 'ratio' THEN scale * numer / nullif(denom, 0)
		WHEN 'nps' THEN 100.0::float8 * (prom - detr) / nullif(n_mean, 0)
		WHEN 'duration' THEN p95
		ELSE swx / nullif(sw, 0) END AS value,
		CASE measure WHEN 'share' THEN n_share WHEN 'count' THEN rows WHEN 'ratio' THEN denom
			 WHEN 'duration' THEN n_dur ELSE n_mean END AS n
	  FROM agg a),
-- weighted_mean: the index sum(w_d * mean_d) / sum(w_d) over the dimensions of the period and scope
ix AS (
	SELECT grain, p, kpi, coalesce(channel, '<total>') AS ch, coalesce(segment, '<total>') AS sg,
		   sum(pg_temp.dw(b, p::date) * value) / nullif(sum(pg_temp.dw(b, p::date)), 0) AS value
	  FROM fig WHERE measure = 'weighted_mean' AND b IS NOT NULL AND n > 0
	 GROUP BY 1, 2, 3, 4, 5)
SELECT f.grain, f.p, f.kpi, f.measure, f.channel, f.segment, f.b,
	   CASE WHEN f.measure = 'weighted_mean' AND f.b IS NULL THEN i.value ELSE f.value END AS value,
	   f.n, f.p50, f.p90, f.p95, f.p99, f.mean_d, f.hit, f.miss, f.open_n, f.overdue_n
  FROM fig f LEFT JOIN ix i ON f.measure = 'weighted_mean' AND f.b IS NULL AND i.grain = f.grain AND i.p = f.p
   AND i.kpi = f.kpi AND i.ch = coalesce(f.channel, '<total>') AND i.sg = coalesce(f.segment, '<total>');

-- expected against csat.kpi_values: the mismatches (none), and how many figures
-- were compared; pg_temp.snap() takes both once per comparison (each read of
-- csat.kpi_values is a whole-view scan)
CREATE TEMP TABLE expect AS SELECT * FROM expect_v WITH NO DATA;
CREATE TEMP TABLE actual AS SELECT v.* FROM csat.kpi_values v WITH NO DATA;
CREATE PROCEDURE pg_temp.snap() LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE expect, actual;
	INSERT INTO expect SELECT * FROM expect_v;
	INSERT INTO actual SELECT v.* FROM csat.kpi_values v WHERE v.grain IN ('hour', 'day', 'month', 'quarter');
	ANALYZE expect, actual;
END $$;
CREATE FUNCTION pg_temp.near(a float8, e float8, rel float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
SELECT (a IS NULL AND e IS NULL) OR abs(a - e) <= rel * greatest(abs(e), 1e-300) + 1e-9
$$;
CREATE TEMP VIEW diffs AS
SELECT coalesce(e.grain, a.grain) AS grain, coalesce(e.p, a.period_start) AS period, coalesce(e.kpi, a.kpi) AS kpi,
	   coalesce(e.channel, a.channel) AS channel, coalesce(e.segment, a.segment) AS segment, coalesce(e.b, a.breakdown) AS b,
	   e.value AS e_value, a.value AS a_value, e.n AS e_n, a.n AS a_n,
	   CASE WHEN e.measure = 'duration' THEN format('p50 %s/%s p90 %s/%s p99 %s/%s mean %s/%s att %s/%s open %s/%s overdue %s/%s',
			e.p50, a.p50, e.p90, a.p90, e.p99, a.p99, e.mean_d, a.mean, e.hit::float8 / nullif(e.hit + e.miss, 0), a.attainment,
			e.open_n, a.open_n, e.overdue_n, a.overdue_n) END AS durations
  FROM expect e FULL JOIN actual a
	ON a.grain = e.grain AND a.period_start = e.p AND a.kpi = e.kpi AND coalesce(a.channel, '<total>') = coalesce(e.channel, '<total>')
   AND coalesce(a.segment, '<total>') = coalesce(e.segment, '<total>') AND coalesce(a.breakdown, '<total>') = coalesce(e.b, '<total>')
 WHERE e.kpi IS NULL OR a.kpi IS NULL OR a.n IS DISTINCT FROM e.n
	OR NOT pg_temp.near(a.value, e.value, CASE WHEN e.measure = 'duration' THEN 0.01 ELSE 1e-9 END)
	OR e.measure = 'duration' AND NOT (pg_temp.near(a.p50, e.p50, 0.01) AND pg_temp.near(a.p90, e.p90, 0.01)
		AND pg_temp.near(a.p99, e.p99, 0.01) AND pg_temp.near(a.mean, e.mean_d, 1e-9)
		AND a.attainment IS NOT DISTINCT FROM e.hit::float8 / nullif(e.hit + e.miss, 0)
		AND a.open_n = e.open_n AND a.overdue_n = e.overdue_n);
CREATE TEMP VIEW compared AS
SELECT count(*) AS rows, count(*) FILTER (WHERE e.channel IS NULL AND e.segment IS NULL AND e.b IS NULL) AS totals,
	   count(*) FILTER (WHERE e.b IS NOT NULL) AS breakdown_rows, count(DISTINCT e.kpi) AS kpis,
	   count(DISTINCT e.grain) AS grains
  FROM expect e;
CALL pg_temp.snap();
SELECT * FROM diffs ORDER BY 1, 2, 3, 4, 5, 6 LIMIT 20;
SELECT * FROM compared;
-- every shipped KPI was compared, at every grain, with values
SELECT k.name FROM csat.kpis k WHERE k.origin = 'shipped'
   AND (SELECT count(DISTINCT e.grain) FROM expect e WHERE e.kpi = k.name AND e.value IS NOT NULL) < CASE k.measure WHEN 'weighted_mean' THEN 3 ELSE 4 END;
-- one part of csat.kpi_values per grain, its grain a constant, so that a filter on
-- grain drops the other parts before they are planned (src/kpis_fn.sql)
SELECT count(*) AS constant_grain_parts
  FROM regexp_matches(pg_get_viewdef('csat.kpi_values'::regclass), '''(hour|day|week|month|quarter)''::text AS grain', 'g');
-- and the planner drops them unplanned: the InitPlans and SubPlans of a read of the
-- last part (quarters) are numbered as if it were the only one (about 24; planned
-- in full first, the parts before it would push the numbers past 60; PostgreSQL 19
-- names them expr_24 and the like)
CREATE FUNCTION pg_temp.last_plan_number(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	l text;
	m int := 0;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		m := greatest(m, (SELECT max(x[1]::int) FROM regexp_matches(l, '(?:InitPlan|SubPlan) (?:[a-z]+_)?(\d+)', 'g') x));
	END LOOP;
	RETURN m;
END $$;
SELECT pg_temp.last_plan_number($$SELECT * FROM csat.kpi_values WHERE grain = 'quarter' AND kpi = 'csat_rate'$$) BETWEEN 1 AND 40
	AS quarters_plan_one_part;
-- weeks (not in the expectations above): each week's totals add up its days', and
-- mom compares with the week 4 weeks earlier
SELECT count(*) AS weeks, count(*) FILTER (WHERE w.n IS DISTINCT FROM
		(SELECT sum(d.n) FROM csat.kpi_values d WHERE d.grain = 'day' AND d.kpi = w.kpi AND d.channel IS NULL AND d.segment IS NULL
			AND d.breakdown IS NULL AND date_trunc('week', d.period_start AT TIME ZONE csat.timezone()) = w.period_start AT TIME ZONE csat.timezone())) AS n_off,
	   count(p.kpi) AS compared, count(*) FILTER (WHERE p.kpi IS NOT NULL AND NOT pg_temp.near(w.mom, w.value - p.value, 1e-9)) AS mom_off
  FROM csat.kpi_values w
  LEFT JOIN csat.kpi_values p ON p.grain = 'week' AND p.kpi = w.kpi AND p.channel IS NULL AND p.segment IS NULL AND p.breakdown IS NULL
   AND p.period_start AT TIME ZONE csat.timezone() = (w.period_start AT TIME ZONE csat.timezone()) - interval '28 days'
 WHERE w.grain = 'week' AND w.channel IS NULL AND w.segment IS NULL AND w.breakdown IS NULL;

-- the days (0.9: added up from the hours in the same pass, src/kpi_scan.c, and
-- for returns and ratios in the refresh's statement): a day per channel and
-- segment is the sum of its hours, and every total over channel and segment
-- the sum of the rows it covers (a day's, or a breakdown value's); counts and
-- sketch bins exactly, float sums to 1e-9
CREATE TEMP VIEW day_oracle AS
WITH base AS (
	SELECT (h.period AT TIME ZONE csat.timezone())::date AS day, h.kpi, 1::int2 AS totals, h.channel, h.segment, NULL::text AS breakdown,
		   sum(h.n) AS n, sum(h.hits) AS hits, sum(h.misses) AS misses, sum(h.open_n) AS open_n, sum(h.overdue_n) AS overdue_n,
		   sum(h.pending_n) AS pending_n, sum(h.excluded_n) AS excluded_n, sum(h.sum_w) AS sum_w, sum(h.sum_wx) AS sum_wx,
		   sum(h.sum_wx2) AS sum_wx2, sum(h.sum_w2) AS sum_w2, sum(h.promoters) AS promoters, sum(h.detractors) AS detractors,
		   csat.rollup(h.sketch) AS sketch
	  FROM csat.kpi_rollup_hourly h GROUP BY 1, 2, h.channel, h.segment
	UNION ALL
	SELECT d.day, d.kpi, d.totals, d.channel, d.segment, d.breakdown, d.n, d.hits, d.misses, d.open_n, d.overdue_n, d.pending_n,
		   d.excluded_n, d.sum_w, d.sum_wx, d.sum_wx2, d.sum_w2, d.promoters, d.detractors, d.sketch
	  FROM csat.kpi_rollup_daily d WHERE d.totals = 0)
SELECT b.day, b.kpi, (grouping(b.channel, b.segment) * 2 + b.totals)::int2 AS totals, b.channel, b.segment, b.breakdown,
	   sum(b.n) AS n, sum(b.hits) AS hits, sum(b.misses) AS misses, sum(b.open_n) AS open_n, sum(b.overdue_n) AS overdue_n,
	   sum(b.pending_n) AS pending_n, sum(b.excluded_n) AS excluded_n, sum(b.sum_w) AS sum_w, sum(b.sum_wx) AS sum_wx,
	   sum(b.sum_wx2) AS sum_wx2, sum(b.sum_w2) AS sum_w2, sum(b.promoters) AS promoters, sum(b.detractors) AS detractors,
	   csat.rollup(b.sketch) AS sketch
  FROM base b GROUP BY b.day, b.kpi, b.totals, b.breakdown, CUBE (b.channel, b.segment);
CREATE FUNCTION pg_temp.days_off() RETURNS TABLE (day_rows bigint, totals text, missing bigint, extra bigint, off bigint) LANGUAGE sql AS $$
SELECT count(*), string_agg(DISTINCT coalesce(o.totals, d.totals)::text, ',' ORDER BY coalesce(o.totals, d.totals)::text),
	   count(*) FILTER (WHERE d.kpi IS NULL), count(*) FILTER (WHERE o.kpi IS NULL),
	   count(*) FILTER (WHERE (o.n, o.hits, o.misses, o.open_n, o.overdue_n, o.pending_n, o.excluded_n, o.promoters, o.detractors)
								  IS DISTINCT FROM (d.n, d.hits, d.misses, d.open_n, d.overdue_n, d.pending_n, d.excluded_n, d.promoters, d.detractors)
							   OR regexp_replace(o.sketch::text, ' sum=\S+', '') IS DISTINCT FROM regexp_replace(d.sketch::text, ' sum=\S+', '')
							   OR NOT (pg_temp.near(d.sum_w, o.sum_w, 1e-9) AND pg_temp.near(d.sum_wx, o.sum_wx, 1e-9)
									   AND pg_temp.near(d.sum_wx2, o.sum_wx2, 1e-9) AND pg_temp.near(d.sum_w2, o.sum_w2, 1e-9)))
  FROM (SELECT * FROM pg_temp.day_oracle WHERE totals > 0) o
  FULL JOIN (SELECT * FROM csat.kpi_rollup_daily WHERE totals > 0) d
	ON (o.day, o.kpi, o.totals, coalesce(o.channel, '(total)'), coalesce(o.segment, '(total)'), coalesce(o.breakdown, '(none)'))
	 = (d.day, d.kpi, d.totals, coalesce(d.channel, '(total)'), coalesce(d.segment, '(total)'), coalesce(d.breakdown, '(none)'))
$$;
SELECT * FROM pg_temp.days_off();

-- ---------------------------------------------------------------- 3. the target boundary
-- complaints of channel boundary (as_of 2026-04-12 00:00): 1001 opened exactly 24 h
-- before (pending: not past 24 h yet), 1002 24 h - 1 s before (pending), 1003
-- 24 h + 1 s before (a miss, overdue), 1004 30 h before and resolved after as_of
-- (still open: a miss, overdue), 1005 1 h before, resolved after as_of (open,
-- pending), 1006 resolved after 19 h (a hit)
SELECT period, kpi, n, hits, misses, open_n, overdue_n, pending_n
  FROM csat.kpi_rollup_hourly WHERE channel = 'boundary' AND kpi IN ('complaint_handling_rate_24h', 'complaint_resolution')
 ORDER BY kpi, period;
SELECT kpi, round(value::numeric, 6) AS value, n, round(attainment::numeric, 6) AS attainment, open_n, overdue_n
  FROM csat.kpi_values WHERE grain = 'month' AND period_start = '2026-04-01' AND channel = 'boundary' AND segment IS NULL
   AND breakdown IS NULL AND kpi IN ('complaint_handling_rate_24h', 'complaint_resolution') ORDER BY kpi;

-- ---------------------------------------------------------------- 4. user-defined KPIs
-- one per measure; a business-hours calendar for one duration
INSERT INTO csat.calendars (name, time_zone) VALUES ('office', 'UTC');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes) SELECT 'office', d, '09:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO csat.kpis (name, kind, measure, filter, success, period_column) VALUES
	('u_share', 'tickets', 'share', 'channel = ''chat''', 'priority = ''high''', 'resolved_at');
INSERT INTO csat.kpis (name, kind, measure, filter, denominator_kind, denominator_filter, scale) VALUES
	('u_ratio', 'returns', 'ratio', 'reason = ''damaged''', 'orders', 'merchant = ''m1''', 100);
INSERT INTO csat.kpis (name, kind, measure, filter, value, weight) VALUES
	('u_mean', 'surveys', 'mean', 'score BETWEEN 1 AND 5', 'score', 'CASE WHEN dimension = ''service'' THEN 3 ELSE 1 END');
INSERT INTO csat.kpis (name, kind, measure, start_column, stop_column, target, breakdown) VALUES
	('u_dur', 'tickets', 'duration', 'opened_at', 'first_response_at', 600, 'agent');
INSERT INTO csat.kpis (name, kind, measure, filter, start_column, stop_column, target, calendar) VALUES
	('u_dur_bh', 'tickets', 'duration', 'priority IS NOT NULL', 'opened_at', 'resolved_at', 14400, 'office');
INSERT INTO csat.kpis (name, kind, measure, filter, value, breakdown) VALUES
	('u_nps', 'surveys', 'nps', 'scale_max = 10', 'CASE WHEN score > 0 THEN score END', 'dimension');
INSERT INTO csat.kpis (name, kind, measure, filter, breakdown) VALUES
	('u_count', 'returns', 'count', 'completed_at IS NULL', 'reason');
INSERT INTO csat.kpis (name, kind, measure, filter, value) VALUES
	('u_wmean', 'surveys', 'weighted_mean', 'coalesce(scale_max, 5) = 5 AND score IS NOT NULL', 'score');
-- stored normalized, origin user
SELECT name, origin, modified, breakdown, filter, success, value, weight FROM csat.kpis WHERE name LIKE 'u\_%' ORDER BY name;
SELECT (csat.refresh(false, :'asof')).full_rebuild;
CALL pg_temp.snap();
SELECT * FROM diffs ORDER BY 1, 2, 3, 4, 5, 6 LIMIT 20;
SELECT * FROM compared;
SELECT k.name, count(DISTINCT e.grain) AS grains, count(e.value) AS values, count(*) FILTER (WHERE e.b IS NOT NULL) AS breakdown_rows
  FROM csat.kpis k LEFT JOIN expect e ON e.kpi = k.name WHERE k.origin = 'user' GROUP BY 1 ORDER BY 1;
-- a few values to read: the user KPIs' totals over the first quarter
SELECT kpi, round(value::numeric, 4) AS value, n, round(attainment::numeric, 4) AS attainment, open_n, overdue_n
  FROM csat.kpi_values WHERE grain = 'quarter' AND period_start = '2026-01-01' AND channel IS NULL AND segment IS NULL
   AND breakdown IS NULL AND kpi LIKE 'u\_%' ORDER BY kpi;

-- edits: a shipped row (modified, still shipped), a user row, one disabled
UPDATE csat.kpis SET filter = 'channel IS NOT NULL' WHERE name = 'orders';
UPDATE csat.kpis SET success = 'priority = ''low''' WHERE name = 'u_share';
UPDATE csat.kpis SET enabled = false WHERE name = 'u_count';
SELECT name, origin, modified, enabled, filter, success FROM csat.kpis WHERE name IN ('orders', 'u_share', 'u_count', 'tickets') ORDER BY name;
SELECT (csat.refresh(false, :'asof')).full_rebuild;
SELECT pg_temp.fill(:A, true);
CALL pg_temp.snap();
SELECT * FROM diffs ORDER BY 1, 2, 3, 4, 5, 6 LIMIT 20;
SELECT * FROM compared;
SELECT count(*) AS u_count_values FROM csat.kpi_values WHERE kpi = 'u_count';
SELECT count(*) AS u_count_rollup FROM csat.kpi_rollup_daily WHERE kpi = 'u_count';

-- refused definitions, each with its SQLSTATE
CREATE FUNCTION public.is_good(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 3';
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, filter) VALUES ('bad', 'tickets', 'count', 'nosuch > 1')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, success) VALUES ('bad', 'surveys', 'share', 'table_to_xml(''csat.kpis'', true, true, '''')::text <> ''''')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, success) VALUES ('bad', 'surveys', 'share', 'public.is_good(score)')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, filter) VALUES ('bad', 'surveys', 'count', 'score IN (SELECT 1)')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, start_column) VALUES ('bad', 'tickets', 'duration', 'opened_at')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure) VALUES ('bad', 'tickets', 'share')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, denominator_kind, breakdown) VALUES ('bad', 'tickets', 'ratio', 'orders', 'category')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, breakdown) VALUES ('bad', 'tickets', 'count', 'opened_at')$$);
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure, start_column, stop_column, calendar) VALUES ('bad', 'tickets', 'duration', 'opened_at', 'resolved_at', 'nosuch')$$);
-- nor through an update; a disabled row is not checked, but is when enabled again
SELECT pg_temp.err($$UPDATE csat.kpis SET filter = 'nosuch > 1' WHERE name = 'u_mean'$$);
UPDATE csat.kpis SET filter = 'nosuch > 1' WHERE name = 'u_count';
SELECT pg_temp.err($$UPDATE csat.kpis SET enabled = true WHERE name = 'u_count'$$);
SELECT count(*) AS bad_rows FROM csat.kpis WHERE name = 'bad';
-- only the extension's owner writes the catalogue
CREATE ROLE regress_kpis_other;
SET ROLE regress_kpis_other;
SELECT count(*) > 30 AS readable FROM csat.kpis;
SELECT pg_temp.err($$INSERT INTO csat.kpis (name, kind, measure) VALUES ('mine', 'tickets', 'count')$$);
SELECT pg_temp.err($$UPDATE csat.kpis SET enabled = false WHERE name = 'orders'$$);
SELECT pg_temp.err($$DELETE FROM csat.kpis WHERE name = 'orders'$$);
RESET ROLE;
DROP ROLE regress_kpis_other;

-- ---------------------------------------------------------------- 5. incremental refresh equals full
-- after writes touching every kind, then after time passes: the incremental
-- rollups are kept aside, a full refresh at the same as_of recomputes them, and
-- the rows that differ either way are counted (sketches by their text form);
-- the incremental run's days are checked against its hours (pg_temp.days_off)
CREATE FUNCTION pg_temp.incremental_vs_full(asof timestamptz) RETURNS TABLE (incremental_was_full boolean, hourly_diff bigint,
	daily_diff bigint, hourly_rows bigint, daily_rows bigint, incremental_days_off bigint)
LANGUAGE plpgsql AS $$
BEGIN
	incremental_was_full := (csat.refresh(false, asof)).full_rebuild;
	-- (the incremental run's days against their hours, as pg_temp.days_off checks them)
	SELECT o.missing + o.extra + o.off INTO incremental_days_off FROM pg_temp.days_off() o;
	CREATE TEMP TABLE inc_h AS SELECT period, kpi, totals, channel, segment, breakdown, n, hits, misses, open_n, overdue_n, pending_n,
		excluded_n, sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch::text AS sketch FROM csat.kpi_rollup_hourly;
	CREATE TEMP TABLE inc_d AS SELECT day, kpi, totals, channel, segment, breakdown, n, hits, misses, open_n, overdue_n, pending_n,
		excluded_n, sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch::text AS sketch FROM csat.kpi_rollup_daily;
	PERFORM csat.refresh(true, asof);
	SELECT count(*) INTO hourly_diff FROM (
		(SELECT * FROM inc_h EXCEPT ALL SELECT period, kpi, totals, channel, segment, breakdown, n, hits, misses, open_n, overdue_n,
			pending_n, excluded_n, sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch::text FROM csat.kpi_rollup_hourly)
		UNION ALL
		(SELECT period, kpi, totals, channel, segment, breakdown, n, hits, misses, open_n, overdue_n, pending_n, excluded_n,
			sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch::text FROM csat.kpi_rollup_hourly EXCEPT ALL SELECT * FROM inc_h)) x;
	SELECT count(*) INTO daily_diff FROM (
		(SELECT * FROM inc_d EXCEPT ALL SELECT day, kpi, totals, channel, segment, breakdown, n, hits, misses, open_n, overdue_n,
			pending_n, excluded_n, sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch::text FROM csat.kpi_rollup_daily)
		UNION ALL
		(SELECT day, kpi, totals, channel, segment, breakdown, n, hits, misses, open_n, overdue_n, pending_n, excluded_n,
			sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch::text FROM csat.kpi_rollup_daily EXCEPT ALL SELECT * FROM inc_d)) x;
	SELECT count(*) INTO hourly_rows FROM inc_h;
	SELECT count(*) INTO daily_rows FROM inc_d;
	DROP TABLE inc_h, inc_d;
	RETURN NEXT;
END $$;
-- (the catalogue changed since the last run: this one is full)
SELECT (csat.refresh(false, :'asof')).full_rebuild;
-- orders: new ones (one an hour before as_of), one moved to another hour, the
-- channel of an order with returns changed, deliveries and a follow-up changed, one deleted
INSERT INTO shop.orders (id, created, promised_at, delivered_at, exception, channel, segment, merchant, category, customer, followed_up_at) VALUES
	(301, '2026-03-03 10:05+00', '2026-03-06 10:05+00', '2026-03-07 10:05+00', false, 'web', 'vip', 'm1', 'c1', 'cu1', '2026-03-08 09:00+00'),
	(302, '2026-04-11 23:00+00', '2026-04-14 23:00+00', NULL, NULL, 'app', 'new', 'm2', NULL, NULL, NULL),
	(303, '2026-02-25 07:45+00', NULL, '2026-02-26 07:45+00', true, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE shop.orders SET created = created + interval '3 hours' WHERE id = 10;
UPDATE shop.orders SET channel = 'web' WHERE id = 4;
UPDATE shop.orders SET delivered_at = delivered_at + interval '2 days' WHERE id = 20;
UPDATE shop.orders SET followed_up_at = delivered_at + interval '1 hour' WHERE id = 25;
UPDATE shop.orders SET delivered_at = '2026-04-11 20:00+00', followed_up_at = NULL WHERE id = 290;
DELETE FROM shop.orders WHERE id = 299;
-- tickets: a new one (a repeat contact of customer a4), one moved, a resolution
-- and a customer changed, one deleted
INSERT INTO shop.tickets (ticket_id, order_id, opened, first_response_at, resolved_at, is_complaint, channel, priority, segment, category, agent, customer_id) VALUES
	(2001, 5, '2026-03-10 08:00+00', '2026-03-10 08:20+00', NULL, true, 'chat', 'high', 'vip', 'returns', 'agent1', 'a4');
UPDATE shop.tickets SET opened = opened - interval '2 hours' WHERE ticket_id = 50;
UPDATE shop.tickets SET resolved_at = opened + interval '1 hour' WHERE ticket_id = 55;
UPDATE shop.tickets SET customer_id = 'a10' WHERE ticket_id = 61;
DELETE FROM shop.tickets WHERE ticket_id = 70;
-- surveys: a new one, a sent_at changed, one answered later, an unanswered one
-- answered, one deleted
INSERT INTO shop.surveys (id, answered, score, scale_max, weight, dimension, channel, segment, sent_at) VALUES
	(2001, '2026-03-15 12:00+00', 4, 5, 2, 'logistics', 'web', 'vip', '2026-03-14 12:00+00');
UPDATE shop.surveys SET sent_at = sent_at - interval '2 days' WHERE id = 30;
UPDATE shop.surveys SET answered = answered + interval '5 hours' WHERE id = 40;
UPDATE shop.surveys SET answered = '2026-04-11 10:00+00', score = 5 WHERE id = 1039;
DELETE FROM shop.surveys WHERE id = 45;
-- returns: a new one of order 4, one completed, one moved, one deleted
INSERT INTO shop.returns (return_id, order_ref, requested, completed_at, reason) VALUES (2001, 4, '2026-03-20 10:00+00', NULL, 'damaged');
UPDATE shop.returns SET completed_at = requested + interval '2 hours' WHERE return_id = 6;
UPDATE shop.returns SET requested = requested + interval '1 day' WHERE return_id = 7;
DELETE FROM shop.returns WHERE return_id = 8;
SELECT * FROM pg_temp.incremental_vs_full(:A);
-- and the figures are still those of the hand-written SQL
SELECT pg_temp.fill(:A, true);
CALL pg_temp.snap();
SELECT * FROM diffs ORDER BY 1, 2, 3, 4, 5, 6 LIMIT 20;
SELECT * FROM compared;
-- time passes (36 hours, no write): complaints turn into misses, orders overdue,
-- surveys unanswered; the incremental run recomputes the pending periods
SELECT * FROM pg_temp.incremental_vs_full('2026-04-13 12:00+00');
SELECT pg_temp.fill('2026-04-13 12:00+00', true);
CALL pg_temp.snap();
SELECT * FROM diffs ORDER BY 1, 2, 3, 4, 5, 6 LIMIT 20;
SELECT * FROM compared;
SELECT kpi, round(value::numeric, 6) AS value, n, round(attainment::numeric, 6) AS attainment, open_n, overdue_n
  FROM csat.kpi_values WHERE grain = 'month' AND period_start = '2026-04-01' AND channel = 'boundary' AND segment IS NULL
   AND breakdown IS NULL AND kpi IN ('complaint_handling_rate_24h', 'complaint_resolution') ORDER BY kpi;

-- ---------------------------------------------------------------- 6. a KPI that no longer checks
-- its calendar deleted: the refresh disables it with a WARNING and goes on
DELETE FROM csat.calendars WHERE name = 'office';
SELECT (csat.refresh(false, '2026-04-13 12:00+00')).full_rebuild;
SELECT name, enabled FROM csat.kpis WHERE name = 'u_dur_bh';
SELECT count(*) AS u_dur_bh_values FROM csat.kpi_values WHERE kpi = 'u_dur_bh';
-- written past the check (triggers off: a superuser's replica session), the
-- expression is caught by the next refresh
SET session_replication_role = replica;
UPDATE csat.kpis SET filter = 'nosuch > 1' WHERE name = 'u_mean';
RESET session_replication_role;
SELECT (csat.refresh(false, '2026-04-13 12:00+00')).full_rebuild;
SELECT name, enabled, filter FROM csat.kpis WHERE name = 'u_mean';
SELECT count(*) AS u_mean_values FROM csat.kpi_values WHERE kpi = 'u_mean';
SELECT csat.check_kpis() AS disabled_now;
-- the others are untouched
SELECT pg_temp.fill('2026-04-13 12:00+00', true);
CALL pg_temp.snap();
SELECT * FROM diffs ORDER BY 1, 2, 3, 4, 5, 6 LIMIT 20;
SELECT * FROM compared;

-- ---------------------------------------------------------------- csat.total
-- the counts' sum as a bigint: NULLs skipped, 0 over no rows, exact near 2^63, 22003 past it
SELECT csat.total(x) AS some, (SELECT csat.total(y) FROM (VALUES (NULL::bigint)) v(y) WHERE false) AS no_rows,
       (SELECT csat.total(y) FROM (VALUES (NULL::bigint), (NULL)) v(y)) AS only_nulls,
       (SELECT csat.total(y) FROM (VALUES (4611686018427387903::bigint), (4611686018427387904)) v(y)) AS max_bigint
  FROM (VALUES (1::bigint), (NULL), (41)) v(x);
SELECT pg_temp.err($$SELECT csat.total(y) FROM (VALUES (9223372036854775807::bigint), (1)) v(y)$$);
-- parallel plans split it: the combine function adds the partial sums
SELECT p.proparallel, a.aggcombinefn::regproc, a.aggtranstype::regtype
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE a.aggfnoid = 'csat.total'::regproc;

-- ---------------------------------------------------------------- csat._rollup
-- csat.rollup without the final encoding (csat.kpi_states merges with it): the
-- same sketch, in text and binary, in the working layout (larger); NULLs skipped,
-- NULL over no rows; parallel safe with a combine function
SELECT count(*) AS merged_groups,
       count(*) FILTER (WHERE w::text = c::text AND csat.sketch_send(w) = csat.sketch_send(c)) AS same_sketch,
       count(*) FILTER (WHERE csat.percentile(w, '{0.5,0.9,0.95,0.99}'::float8[]) = csat.percentile(c, '{0.5,0.9,0.95,0.99}'::float8[])
                          AND csat.count(w) = csat.count(c) AND csat.mean(w) = csat.mean(c)) AS same_figures,
       count(*) FILTER (WHERE pg_column_size(w) > pg_column_size(c)) AS working_larger,
       count(*) FILTER (WHERE csat.sketch_send(w::text::csat.sketch) = csat.sketch_send(c)) AS text_reads_back
  FROM (SELECT h.kpi, h.period::date, csat._rollup(h.sketch) AS w, csat.rollup(h.sketch) AS c
          FROM csat.kpi_rollup_hourly h WHERE h.sketch IS NOT NULL GROUP BY 1, 2) g;
SELECT csat._rollup(s) IS NULL AS only_nulls FROM (VALUES (NULL::csat.sketch), (NULL)) v(s);
SELECT csat._rollup(s) IS NULL AS no_rows FROM (VALUES (NULL::csat.sketch)) v(s) WHERE false;
SELECT p.proparallel, a.aggcombinefn::regproc, a.aggtranstype::regtype, a.aggfinalfn::regproc
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE a.aggfnoid = 'csat._rollup'::regproc;

-- ---------------------------------------------------------------- csat.kpi_index_bounds
-- the weighted_mean index's interval (months): the dimensions' t intervals (Kish) combined in
-- quadrature with their weights; it holds the index, widens with the confidence,
-- is infinite when a weighted dimension has one item, is the index itself at
-- confidence NULL, and equals the combination computed here from the dimension rows
CREATE TEMP TABLE ib AS
SELECT s.period_start, s.totals, s.channel, s.segment, csat.kpi_index('month', s.period_start, s.kpi, s.totals, s.channel, s.segment) AS idx,
       csat.kpi_index_bounds(csat.kpi_index('month', s.period_start, s.kpi, s.totals, s.channel, s.segment), 'month', s.period_start, s.kpi, s.totals, s.channel, s.segment, 0.95) AS b95,
       csat.kpi_index_bounds(csat.kpi_index('month', s.period_start, s.kpi, s.totals, s.channel, s.segment), 'month', s.period_start, s.kpi, s.totals, s.channel, s.segment, 0.99) AS b99,
       csat.kpi_index_bounds(csat.kpi_index('month', s.period_start, s.kpi, s.totals, s.channel, s.segment), 'month', s.period_start, s.kpi, s.totals, s.channel, s.segment, NULL) AS braw,
       (SELECT sqrt(sum(w * w * ((b[3] - b[2]) / 2) ^ 2)) / sum(w)
          FROM (SELECT csat.dimension_weight(x.breakdown, x.day) AS w,
                       csat.kpi_bounds('weighted_mean', 1, x.n, x.hits, x.misses, x.sum_w, x.sum_wx, x.sum_wx2, x.sum_w2, NULL, NULL, NULL, NULL, 0.95) AS b
                  FROM csat.kpi_states x
                 WHERE x.grain = 'month' AND x.period_start = s.period_start AND x.kpi = s.kpi AND x.totals = s.totals - 1
                   AND x.breakdown IS NOT NULL AND x.sum_w > 0
                   AND x.channel IS NOT DISTINCT FROM s.channel AND x.segment IS NOT DISTINCT FROM s.segment) d
         WHERE w > 0) AS h
  FROM csat.kpi_states s
 WHERE s.grain = 'month' AND s.kpi = 'satisfaction_index' AND s.breakdown IS NULL;
DELETE FROM ib WHERE idx IS NULL;
SELECT count(*) > 20 AS many_rows,
       count(*) FILTER (WHERE b95[1] = idx) = count(*) AS value_is_index,
       count(*) FILTER (WHERE b95[2] <= idx AND idx <= b95[3]) = count(*) AS holds_index,
       count(*) FILTER (WHERE b95[2] < b95[3] AND b95[3] < 'Infinity') > 0 AS some_finite,
       count(*) FILTER (WHERE b95[3] = 'Infinity') > 0 AS some_infinite,
       count(*) FILTER (WHERE b99[2] <= b95[2] AND b95[3] <= b99[3]) = count(*) AS wider_at_99,
       count(*) FILTER (WHERE braw = ARRAY[idx, idx, idx]) = count(*) AS raw_at_null,
       count(*) FILTER (WHERE b95[3] = 'Infinity' OR abs(b95[3] - idx - h) <= 1e-12 * abs(idx)) = count(*) AS quadrature
  FROM ib;

-- ---------------------------------------------------------------- 7. which rule sets a duration's target
-- a segment rule wins over a channel rule that also matches (the watch
-- triggers' order), though 'frt_chat' comes first by name: chat tickets of
-- segment vip are judged against 1 s, the other chat tickets against 1800 s
INSERT INTO csat.rules (name, metric, segment, breach) VALUES ('frt_vip', 'first_response', 'vip', 1);
SELECT (csat.refresh(true, :'asof')).full_rebuild;
SELECT h.vip, h.hits, h.closed,
       (SELECT count(*) FROM csat.tickets t WHERE t.channel = 'chat' AND coalesce(t.segment = 'vip', false) = h.vip
           AND t.first_response_at <= :'asof' AND t.first_response_at >= t.opened_at
           AND t.first_response_at - t.opened_at <= CASE WHEN h.vip THEN interval '1 s' ELSE interval '1800 s' END) AS expected
  FROM (SELECT h.segment = 'vip' AS vip, csat.total(h.hits) AS hits, csat.total(h.n) AS closed
          FROM csat.kpi_rollup_hourly h WHERE h.kpi = 'first_response' AND h.channel = 'chat' GROUP BY 1) h
 ORDER BY 1;
DELETE FROM csat.rules WHERE name = 'frt_vip';

-- ---------------------------------------------------------------- 8. a group larger than a batch of sketch values
-- the refresh adds a sketch's values to it 256 at a time (src/kpi_scan.c): one
-- hour and channel with 700 delivered orders has the sketch csat.sla_sketch
-- gives over the same durations, in the KPI rollup and in the wide one
INSERT INTO shop.orders (id, created, delivered_at, channel, segment)
SELECT 10000 + i, timestamptz '2026-03-10 12:00+00' + i * interval '1 s',
	   timestamptz '2026-03-10 12:00+00' + i * interval '1 s' + (i * 37 % 1000) * interval '1 minute', 'bulk', 'new'
  FROM generate_series(1, 700) i;
SELECT (csat.refresh(true, :'asof')).full_rebuild;
SELECT h.n, csat.count(h.sketch) AS in_sketch,
       h.sketch::text = (SELECT csat.sla_sketch(date_part('epoch', o.delivered_at - o.ordered_at))::text
                           FROM csat.orders o WHERE o.channel = 'bulk') AS same_as_aggregate,
       h.sketch::text = (SELECT r.delivery_sketch::text FROM csat.rollup_hourly r
                          WHERE r.channel = 'bulk' AND r.segment = 'new') AS same_as_wide
  FROM csat.kpi_rollup_hourly h WHERE h.kpi = 'delivery_time' AND h.channel = 'bulk';
DELETE FROM shop.orders WHERE id > 10000;
SELECT (csat.refresh(true, :'asof')).full_rebuild;

-- ---------------------------------------------------------------- 9. a day with two midnights
-- Atlantic/Azores goes back from 01:00 to 00:00 on 25 October 2026 (UTC+0 to
-- UTC-1): the day starts at the first midnight (00:00 UTC), an hour before the
-- second one (01:00 UTC, what '2026-10-25'::timestamp AT TIME ZONE gives).
-- An incremental refresh recomputes the days holding the rows written, from
-- their first instant: writes in the hour between the two midnights, and on the
-- day before, leave the same rollups as a full refresh
UPDATE csat.settings SET timezone = 'Atlantic/Azores';
INSERT INTO shop.orders (id, created, promised_at, delivered_at, exception, channel, segment) VALUES
	(401, '2026-10-24 12:00+00', '2026-10-26 12:00+00', '2026-10-25 00:20+00', false, 'web', 'vip'),
	(402, '2026-10-25 00:10+00', '2026-10-26 00:10+00', '2026-10-25 01:10+00', false, 'web', 'vip'),
	(403, '2026-10-25 01:10+00', '2026-10-26 01:10+00', '2026-10-25 09:00+00', false, 'web', 'vip'),
	(404, '2026-10-25 12:00+00', '2026-10-27 12:00+00', NULL, false, 'web', 'vip');
SELECT (csat.refresh(false, '2026-10-28 00:00+00')).full_rebuild AS new_zone_full;
-- the first hour's order is on the 25th's local day, in the hour of the first midnight
SELECT period, (period AT TIME ZONE 'Atlantic/Azores') AS local_hour, n FROM csat.kpi_rollup_hourly
 WHERE kpi = 'orders' AND channel = 'web' AND segment = 'vip' AND period >= '2026-10-24 00:00+00' ORDER BY period;
SELECT day, n FROM csat.kpi_rollup_daily WHERE kpi = 'orders' AND channel = 'web' AND segment = 'vip' AND breakdown IS NULL
   AND day >= '2026-10-24' ORDER BY day;
-- an order in the hour between the two midnights
INSERT INTO shop.orders (id, created, promised_at, channel, segment) VALUES (405, '2026-10-25 00:40+00', '2026-10-26 00:40+00', 'web', 'vip');
SELECT * FROM pg_temp.incremental_vs_full('2026-10-28 00:00+00');
-- one on the day before only (its range must end at the first midnight)
INSERT INTO shop.orders (id, created, promised_at, channel, segment) VALUES (406, '2026-10-24 18:00+00', '2026-10-26 18:00+00', 'web', 'vip');
SELECT * FROM pg_temp.incremental_vs_full('2026-10-28 00:00+00');
-- the first hour's order delivered
UPDATE shop.orders SET delivered_at = '2026-10-25 00:50+00' WHERE id = 405;
SELECT * FROM pg_temp.incremental_vs_full('2026-10-28 00:00+00');
SELECT day, n FROM csat.kpi_rollup_daily WHERE kpi = 'orders' AND channel = 'web' AND segment = 'vip' AND breakdown IS NULL
   AND day >= '2026-10-24' ORDER BY day;
-- csat.day_start: a day's first instant (the first midnight; 01:00 where the
-- clocks skip midnight, as the Azores do on 29 March 2026)
SELECT d, csat.day_start(d, 'Atlantic/Azores') AS azores, csat.day_start(d, 'UTC') AS utc
  FROM unnest('{2026-03-29,2026-10-24,2026-10-25,2026-10-26}'::date[]) d;
SELECT pg_temp.err($$SELECT csat.day_start('2026-10-25', 'Nowhere/Such')$$);
SELECT csat.day_start(NULL, 'UTC') IS NULL AS strict;
DELETE FROM shop.orders WHERE id > 400;
UPDATE csat.settings SET timezone = 'UTC';

-- ---------------------------------------------------------------- 10. hours and days in any zone
-- The scan cuts each row's period into its hour, or its day, itself
-- (src/kpi_period.c: PostgreSQL's date_trunc, kept per 15-minute bucket where
-- the zone's offset is constant over it).  Orders every 7 min 13 s over 30
-- hours around clock changes -- at midnight (Azores, Havana), by 30 minutes
-- (Lord Howe), at a 45-minute offset (Chatham), at -03:30 (St John's), and in
-- 1935 Monrovia, whose offset of -00:44:30 fits no bucket -- counted per
-- hour, per day and per day and merchant (late_delivery_rate: due a day
-- before, never delivered) in each zone, against date_trunc over the rows
CREATE FUNCTION pg_temp.cut_check(zone text) RETURNS TABLE (hours bigint, hours_off bigint, days bigint, days_off bigint,
	merchant_days bigint, merchant_days_off bigint)
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE csat.settings SET timezone = zone;
	PERFORM csat.refresh(true, '2026-12-01 00:00+00');
	SELECT count(*), count(*) FILTER (WHERE k.n IS DISTINCT FROM o.n) INTO hours, hours_off
	  FROM (SELECT period, n FROM csat.kpi_rollup_hourly WHERE kpi = 'orders' AND channel = 'tz' AND segment = 'tz') k
	  FULL JOIN (SELECT date_trunc('hour', created, zone) AS period, count(*) AS n FROM shop.orders WHERE channel = 'tz' GROUP BY 1) o
		ON o.period = k.period;
	SELECT count(*), count(*) FILTER (WHERE k.n IS DISTINCT FROM o.n) INTO days, days_off
	  FROM (SELECT day, n FROM csat.kpi_rollup_daily WHERE kpi = 'orders' AND channel = 'tz' AND segment = 'tz' AND breakdown IS NULL) k
	  FULL JOIN (SELECT (date_trunc('day', created, zone) AT TIME ZONE zone)::date AS day, count(*) AS n FROM shop.orders
				  WHERE channel = 'tz' GROUP BY 1) o ON o.day = k.day;
	SELECT count(*), count(*) FILTER (WHERE k.n IS DISTINCT FROM o.n) INTO merchant_days, merchant_days_off
	  FROM (SELECT day, n FROM csat.kpi_rollup_daily WHERE kpi = 'late_delivery_rate' AND channel = 'tz' AND segment = 'tz'
			   AND breakdown = 'tzm') k
	  FULL JOIN (SELECT (date_trunc('day', created, zone) AT TIME ZONE zone)::date AS day, count(*) AS n FROM shop.orders
				  WHERE channel = 'tz' GROUP BY 1) o ON o.day = k.day;
	RETURN NEXT;
END $$;
INSERT INTO shop.orders (id, created, promised_at, channel, segment, merchant)
SELECT 1000 + row_number() OVER (ORDER BY t), t, t - interval '1 day', 'tz', 'tz', 'tzm'
  FROM unnest(ARRAY['2026-03-29 00:00+00', '2026-10-25 01:00+00', '2026-03-08 05:00+00', '2026-11-01 05:00+00',
					'2026-04-04 15:00+00', '2026-10-03 15:30+00', '2026-04-04 14:00+00', '2026-09-26 14:00+00',
					'2026-03-08 05:30+00', '2026-11-01 04:30+00', '1935-05-15 00:00+00']::timestamptz[]) c,
	   generate_series(c - interval '15 hours', c + interval '15 hours', interval '7 min 13 s') t;
SELECT z AS zone, c.* FROM unnest('{UTC,Atlantic/Azores,America/Havana,Australia/Lord_Howe,Pacific/Chatham,America/St_Johns,Asia/Kathmandu,Africa/Monrovia}'::text[]) z,
	   LATERAL pg_temp.cut_check(z) c;
DELETE FROM shop.orders WHERE channel = 'tz';
UPDATE csat.settings SET timezone = 'UTC';
SELECT (csat.refresh(true, '2026-12-01 00:00+00')).full_rebuild AS back_in_utc;
