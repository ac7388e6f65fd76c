-- test/demo/incidents.sql: known incidents for the demo's alert replay (make demo; issue 13).
-- Runs after test/data/generate.sql, before csat maps the shop's tables:
--
--   1. injects three incidents into the generated data (deterministic: hashes of row ids)
--      and lists them, with the KPIs and scope each should alert on, in shop.incidents;
--   2. keeps every row as generated in shop.*_truth and takes out of the live tables
--      what a live system would not have seen yet at the start of the replay: rows
--      created later are removed, timestamps later than it (a reply, a delivery, an
--      answer, a refund) are set to NULL;
--   3. defines shop.replay(from, to, step), which moves the clock: at each as_of it
--      inserts the rows created by then and fills in the timestamps reached by then,
--      as the shop's application would, then calls csat.refresh(false, as_of) and
--      commits, as a scheduled refresh would.
--
-- So every refresh sees only what had happened by its as_of.  The generated
-- orders.has_exception has no timestamp of its own: an exception is written when the
-- order is delivered, or at its promised time if it never is (written at the order's
-- creation, the days just behind as_of would count exceptions among few deliveries and
-- raise false alarms that no live shop would see).
SET client_min_messages = warning;
SET search_path = shop, pg_catalog;

-- the replay, hour by hour over the incidents only (a refresh costs seconds at scale
-- 1): the sale day from 16:00 to the next morning at 10:00, then one refresh catching up
-- to the midnight starting the exceptions day (3 days before the end), then hour by hour
-- to the end
CREATE TABLE replay_windows AS
SELECT w.i, w.from_ts, w.to_ts
  FROM params p,
       LATERAL (VALUES (1, p.peak::timestamp AT TIME ZONE 'UTC' + interval '16 hours', p.peak::timestamp AT TIME ZONE 'UTC' + interval '34 hours'),
                       (2, (p.end_ts - interval '3 days')::date::timestamp AT TIME ZONE 'UTC', p.end_ts)) w(i, from_ts, to_ts);

-- the incidents: what they are, and which alerts count as catching them (a raised
-- alert overlaps an incident when its KPI is listed, its period overlaps [starts, ends)
-- and its scope is the incident's or contains it: channel, segment, breakdown NULL or equal)
CREATE TABLE incidents (
    i          int PRIMARY KEY,
    name       text NOT NULL,
    kpis       text[] NOT NULL,
    starts     timestamptz NOT NULL,
    ends       timestamptz NOT NULL,
    channel    text,
    segment    text,
    breakdown  text,
    caught_by  text NOT NULL
);
INSERT INTO incidents
SELECT 1, 'sale-day chat backlog: evening chats unanswered until the next morning (and the generator''s sale day: replies ~25x slower, lower scores)',
       '{first_response,csat_rate,nps,weighted_score,satisfaction_index,logistics_satisfaction,service_satisfaction,product_satisfaction,return_satisfaction,complaint_satisfaction}'::text[],
       p.peak::timestamp AT TIME ZONE 'UTC', (p.peak + 1)::timestamp AT TIME ZONE 'UTC', NULL, NULL, NULL,
       'rule ''chat replies within target'' (first_response attainment: an unanswered chat past its target is a miss)'
  FROM params p
UNION ALL
SELECT 2, 'delivery exceptions at merchant m04 for one day (25 % of its orders)', '{delivery_exception_rate}'::text[],
       (p.end_ts - interval '3 days')::date::timestamp AT TIME ZONE 'UTC',
       ((p.end_ts - interval '3 days')::date + 1)::timestamp AT TIME ZONE 'UTC', NULL, NULL, 'm04',
       'rule ''exceptions <= 6 %'' (delivery_exception_rate by merchant, day grain)'
  FROM params p
UNION ALL
SELECT 3, 'return satisfaction falling for a week (each day another 1/8 of the satisfied answers turn unsatisfied)',
       '{return_satisfaction}'::text[],
       (p.end_ts - interval '7 days')::date::timestamp AT TIME ZONE 'UTC',
       (p.end_ts)::date::timestamp AT TIME ZONE 'UTC', NULL, NULL, NULL,
       'rule ''return satisfaction >= 60 %'' (return_satisfaction, day grain)'
  FROM params p;
COMMENT ON TABLE incidents IS 'the incidents the demo injects, with the KPIs and scope of the alerts that catch them';

-- (1) the sale-day backlog: 70 % of the chats opened from 18:00 on the sale day get
-- their first reply only the next morning (08:00-10:00), their resolution no earlier
UPDATE tickets t
   SET first_reply_at = (p.peak + 1)::timestamp AT TIME ZONE 'UTC' + interval '8 hours' + (t.id % 120) * interval '1 minute',
       resolved_at = CASE WHEN t.resolved_at IS NOT NULL
                          THEN greatest(t.resolved_at, (p.peak + 1)::timestamp AT TIME ZONE 'UTC' + interval '10 hours' + (t.id % 240) * interval '1 minute') END
  FROM params p
 WHERE t.channel = 'chat' AND t.first_reply_at IS NOT NULL
   AND t.created >= p.peak::timestamp AT TIME ZONE 'UTC' + interval '18 hours'
   AND t.created < (p.peak + 1)::timestamp AT TIME ZONE 'UTC'
   AND (hashint8(t.id) & 1023) < 717;
-- (2) one day of delivery exceptions at m04: a quarter of its orders of that day
UPDATE orders o SET has_exception = true
  FROM incidents x
 WHERE x.i = 2 AND o.merchant = 'm04' AND o.created_at >= x.starts AND o.created_at < x.ends
   AND (hashint8(o.id + 7) & 1023) < 256;
-- (3) return satisfaction falling for a week: on day k (1..7) of the week a share
-- k/8 of the satisfied return answers (4 or 5 of 5) becomes a 2
UPDATE surveys s SET score = 2
  FROM incidents x
 WHERE x.i = 3 AND s.dimension IN ('returns', 'after-sales') AND s.scale_max = 5 AND s.score >= 4
   AND s.answered_at >= x.starts AND s.answered_at < x.ends
   AND (hashint8(s.id + 11) & 1023) < 128 * (1 + floor(extract(epoch FROM s.answered_at - x.starts) / 86400));

-- the truth, and the live tables as of the start of the replay
CREATE TABLE orders_truth AS SELECT * FROM orders;
CREATE TABLE tickets_truth AS SELECT * FROM tickets;
CREATE TABLE surveys_truth AS SELECT * FROM surveys;
CREATE TABLE returns_truth AS SELECT * FROM returns;
CREATE INDEX ON orders_truth (created_at);
CREATE INDEX ON orders_truth (delivered_at);
CREATE INDEX ON orders_truth (follow_up_at);
CREATE INDEX ON tickets_truth (created);
CREATE INDEX ON tickets_truth (first_reply_at);
CREATE INDEX ON tickets_truth (resolved_at);
CREATE INDEX ON surveys_truth (invited_at);
CREATE INDEX ON surveys_truth (answered_at);
CREATE INDEX ON returns_truth (requested_at);
CREATE INDEX ON returns_truth (refunded_at);
CREATE INDEX ON orders_truth ((coalesce(delivered_at, promised_at))) WHERE has_exception;
CREATE INDEX ON orders (delivered_at);

-- the live tables as of t: rows created after t deleted, later timestamps NULL
-- (surveys are written when the invitation is sent, answered_at and score when answered)
CREATE PROCEDURE rewind(t timestamptz) LANGUAGE sql AS $$
DELETE FROM shop.orders WHERE created_at > t;
UPDATE shop.orders SET delivered_at = CASE WHEN delivered_at <= t THEN delivered_at END,
                       follow_up_at = CASE WHEN follow_up_at <= t THEN follow_up_at END,
                       has_exception = has_exception AND coalesce(delivered_at, promised_at) <= t
 WHERE delivered_at > t OR follow_up_at > t OR (has_exception AND coalesce(delivered_at, promised_at) > t);
DELETE FROM shop.tickets WHERE created > t;
UPDATE shop.tickets SET first_reply_at = CASE WHEN first_reply_at <= t THEN first_reply_at END,
                        resolved_at = CASE WHEN resolved_at <= t THEN resolved_at END,
                        assignee = CASE WHEN first_reply_at <= t THEN assignee END
 WHERE first_reply_at > t OR resolved_at > t;
DELETE FROM shop.surveys WHERE invited_at > t;
UPDATE shop.surveys SET answered_at = NULL, score = NULL WHERE answered_at > t;
DELETE FROM shop.returns WHERE requested_at > t;
UPDATE shop.returns SET refunded_at = NULL WHERE refunded_at > t;
$$;

-- what happened in (t0, t]: new rows as the application writes them, then the
-- timestamps reached (the shop's updates)
CREATE PROCEDURE advance(t0 timestamptz, t timestamptz) LANGUAGE sql AS $$
INSERT INTO shop.orders
SELECT id, created_at, promised_at, CASE WHEN delivered_at <= t THEN delivered_at END,
       has_exception AND coalesce(delivered_at, promised_at) <= t, sales_channel,
       customer_segment, merchant, product_category, customer_id, CASE WHEN follow_up_at <= t THEN follow_up_at END
  FROM shop.orders_truth WHERE created_at > t0 AND created_at <= t;
UPDATE shop.orders o SET delivered_at = x.delivered_at, follow_up_at = CASE WHEN x.follow_up_at <= t THEN x.follow_up_at END
  FROM shop.orders_truth x
 WHERE x.id = o.id AND x.created_at <= t0 AND x.delivered_at > t0 AND x.delivered_at <= t;
UPDATE shop.orders o SET follow_up_at = x.follow_up_at
  FROM shop.orders_truth x
 WHERE x.id = o.id AND x.created_at <= t0 AND x.follow_up_at > t0 AND x.follow_up_at <= t AND x.delivered_at <= t0;
UPDATE shop.orders o SET has_exception = true
  FROM shop.orders_truth x
 WHERE x.id = o.id AND x.has_exception AND x.created_at <= t0
   AND coalesce(x.delivered_at, x.promised_at) > t0 AND coalesce(x.delivered_at, x.promised_at) <= t;
INSERT INTO shop.tickets
SELECT id, order_id, created, CASE WHEN first_reply_at <= t THEN first_reply_at END, CASE WHEN resolved_at <= t THEN resolved_at END,
       complaint, channel, priority, segment, topic, CASE WHEN first_reply_at <= t THEN assignee END, customer_id
  FROM shop.tickets_truth WHERE created > t0 AND created <= t;
UPDATE shop.tickets o SET first_reply_at = x.first_reply_at, assignee = x.assignee,
                          resolved_at = CASE WHEN x.resolved_at <= t THEN x.resolved_at END
  FROM shop.tickets_truth x
 WHERE x.id = o.id AND x.created <= t0 AND x.first_reply_at > t0 AND x.first_reply_at <= t;
UPDATE shop.tickets o SET resolved_at = x.resolved_at
  FROM shop.tickets_truth x
 WHERE x.id = o.id AND x.created <= t0 AND x.resolved_at > t0 AND x.resolved_at <= t AND x.first_reply_at <= t0;
INSERT INTO shop.surveys
SELECT id, CASE WHEN answered_at <= t THEN answered_at END, CASE WHEN answered_at <= t THEN score END, scale_max, weight,
       dimension, channel, segment, order_id, invited_at, ticket_id
  FROM shop.surveys_truth WHERE invited_at > t0 AND invited_at <= t;
UPDATE shop.surveys o SET answered_at = x.answered_at, score = x.score
  FROM shop.surveys_truth x
 WHERE x.id = o.id AND x.invited_at <= t0 AND x.answered_at > t0 AND x.answered_at <= t;
INSERT INTO shop.returns
SELECT id, order_id, requested_at, CASE WHEN refunded_at <= t THEN refunded_at END, reason
  FROM shop.returns_truth WHERE requested_at > t0 AND requested_at <= t;
UPDATE shop.returns o SET refunded_at = x.refunded_at
  FROM shop.returns_truth x
 WHERE x.id = o.id AND x.requested_at <= t0 AND x.refunded_at > t0 AND x.refunded_at <= t;
$$;

-- the clock from from_ts (already reached) to to_ts: each step writes what happened
-- and refreshes as of its end, in its own transaction; a first jump (from the end of
-- the previous window) is one step
CREATE TABLE replay_log (as_of timestamptz PRIMARY KEY, seconds float8 NOT NULL);
CREATE PROCEDURE replay(from_ts timestamptz, to_ts timestamptz, step interval) LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := from_ts;
    t0 timestamptz;
BEGIN
    WHILE t < to_ts LOOP
        CALL shop.advance(t, least(t + step, to_ts));
        t := least(t + step, to_ts);
        t0 := clock_timestamp();
        PERFORM csat.refresh(false, t);
        INSERT INTO shop.replay_log VALUES (t, extract(epoch FROM clock_timestamp() - t0));
        COMMIT;
    END LOOP;
END $$;

SELECT from_ts AS replay_start FROM replay_windows WHERE i = 1 \gset
CALL rewind(:'replay_start');
ANALYZE orders, tickets, surveys, returns, orders_truth, tickets_truth, surveys_truth, returns_truth;
RESET search_path;
