-- watch: rules, breaches, csat.watch/unwatch triggers, sweep, privileges
CREATE EXTENSION csat;
SET timezone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set VERBOSITY terse
-- runs a statement and reports its SQLSTATE and message instead of failing
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- what was logged, with observed values rounded (huge = measured until now)
CREATE VIEW logged AS
SELECT rule, source, row_key,
       CASE WHEN observed > 1e7 THEN 'huge' ELSE round(observed::numeric, 3)::text END AS observed,
       threshold, level
  FROM csat.breaches;

-- ==== rules: CHECK constraints keep thresholds in order for the direction
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('frt', 'first_response', 120, 180);
INSERT INTO csat.rules (name, metric, segment, warning, breach) VALUES ('frt_vip', 'first_response', 'vip', 30, 60);
INSERT INTO csat.rules (name, metric, segment, channel, warning, breach)
VALUES ('frt_vip_chat', 'first_response', 'vip', 'chat', 10, 20);
INSERT INTO csat.rules (name, metric, channel, breach) VALUES ('frt_email', 'first_response', 'email', 86400);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('x', 'm', 200, 100)$$);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, warning, breach, higher_is_worse) VALUES ('x', 'm', 3, 4, false)$$);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, breach) VALUES ('x', 'm', 'NaN')$$);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('x', 'm', '-Infinity', 1)$$);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, breach, confidence) VALUES ('x', 'm', 1, 1)$$);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, breach, min_samples) VALUES ('x', 'm', 1, 0)$$);
-- one enabled rule per (metric, segment, channel), NULL meaning "all"
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, breach) VALUES ('frt2', 'first_response', 1)$$);
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, breach, enabled) VALUES ('frt2', 'first_response', 1, false)$$);
SELECT pg_temp.try($$UPDATE csat.rules SET warning = 500 WHERE name = 'frt'$$);
-- equal thresholds are allowed (no separate warning band)
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('eq', 'm', 5, 5)$$);
DELETE FROM csat.rules WHERE name IN ('eq', 'frt2');

-- ==== watch: validation
CREATE TABLE tickets (
	id			int PRIMARY KEY,
	segment		text,
	channel		text,
	opened_at	timestamptz NOT NULL,
	first_response_at timestamptz,
	note		text
);
CREATE VIEW tickets_v AS SELECT * FROM tickets;
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'nope', start_column => 'opened_at', end_column => 'first_response_at')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id', start_column => 'opened_at', end_column => 'nope')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id', value_column => 'note')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id', start_column => 'id', end_column => 'first_response_at')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id', start_column => 'opened_at')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id', value_column => 'id', start_column => 'opened_at', end_column => 'first_response_at')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', '', 'id', value_column => 'id')$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets_v', 'first_response', 'id', value_column => 'id')$$);
SELECT pg_temp.try($$SELECT csat.watch('csat.rules', 'first_response', 'name', value_column => 'breach')$$);
SELECT pg_temp.try($$SELECT csat.unwatch('tickets', 'first_response')$$);

-- ==== backfill: existing rows are flagged when the watch starts
INSERT INTO tickets VALUES
	(1, 'regular', 'chat',  '2024-01-01 10:00', '2024-01-01 10:01:40', NULL),	-- 100 s: ok
	(2, 'regular', 'chat',  '2024-01-01 10:00', '2024-01-01 10:02:30', NULL),	-- 150 s: warning
	(3, 'regular', 'chat',  '2024-01-01 10:00', '2024-01-01 10:03:00', NULL),	-- 180 s: at breach = warning
	(4, 'vip',     'chat',  '2024-01-01 10:00', '2024-01-01 10:00:15', NULL),	-- vip chat 15 s: warning
	(5, 'vip',     'phone', '2024-01-01 10:00', '2024-01-01 10:00:45', NULL),	-- vip 45 s: warning
	(6, 'regular', 'email', '2024-01-01 10:00', '2024-01-01 11:00:00', NULL),	-- email 1 h: ok
	(7, 'vip',     'email', '2024-01-01 10:00', '2024-01-01 10:01:01', NULL),	-- vip beats email: breach
	(8, 'regular', 'chat',  '2024-01-01 10:00', NULL, NULL),					-- open since 2024: breach
	(9, NULL,      NULL,    '2024-01-01 10:00', '2024-01-01 10:03:00.5', NULL),	-- 180.5 s: breach
	(10, 'regular', 'chat', '2024-01-01 10:00', '2024-01-01 09:00:00', NULL);	-- negative: ok
SELECT csat.watch('tickets', 'first_response', 'id', start_column => 'opened_at',
				  end_column => 'first_response_at', segment_column => 'segment',
				  channel_column => 'channel') AS backfilled;
SELECT * FROM logged ORDER BY rule, row_key::int;
SELECT source, metric, key_column, value_column, start_column, end_column, segment_column, channel_column
  FROM csat.watches;
SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'tickets'::regclass ORDER BY tgname;
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'first_response', 'id', value_column => 'id')$$);

-- ==== INSERT path: multi-row insert and COPY
INSERT INTO tickets VALUES
	(11, 'regular', 'chat', '2024-01-02 10:00', '2024-01-02 10:05', NULL),		-- breach
	(12, 'vip', 'chat', '2024-01-02 10:00', '2024-01-02 10:00:11', NULL),		-- warning
	(13, 'vip', 'chat', '2024-01-02 10:00', '2024-01-02 10:00:10', NULL);		-- at warning: ok
COPY tickets FROM stdin;
14	regular	phone	2024-01-03 10:00:00+00	2024-01-03 10:02:01+00	\N
15	vip	phone	2024-01-03 10:00:00+00	2024-01-03 10:00:30+00	\N
16	vip	phone	2024-01-03 10:00:00+00	2024-01-03 10:00:59+00	\N
\.
SELECT * FROM logged WHERE row_key::int > 10 ORDER BY rule, row_key::int;

-- ==== UPDATE path and escalation in place
INSERT INTO tickets VALUES (20, 'regular', 'chat', now() - interval '10 seconds', NULL, NULL);
SELECT count(*) AS open_fresh_logged FROM csat.breaches WHERE row_key = '20';
UPDATE tickets SET first_response_at = opened_at + interval '150 seconds' WHERE id = 20;
SELECT rule, observed, threshold, level FROM csat.breaches WHERE row_key = '20';
UPDATE tickets SET first_response_at = opened_at + interval '200 seconds' WHERE id = 20;
SELECT rule, observed, threshold, level FROM csat.breaches WHERE row_key = '20';
-- a better value later never downgrades, an unrelated column is ignored
UPDATE tickets SET first_response_at = opened_at + interval '130 seconds' WHERE id = 20;
UPDATE tickets SET note = 'called back' WHERE id = 20;
SELECT count(*), max(observed) AS observed, max(level) AS level FROM csat.breaches WHERE row_key = '20';
-- a rule change takes effect at once (cache invalidated by the rules trigger)
UPDATE csat.rules SET breach = 100, warning = 90 WHERE name = 'frt';
UPDATE tickets SET first_response_at = opened_at + interval '95 seconds' WHERE id = 1;
SELECT * FROM logged WHERE row_key = '1';
UPDATE csat.rules SET enabled = false WHERE name = 'frt';
INSERT INTO tickets VALUES (21, 'regular', 'chat', '2024-01-04 10:00', '2024-01-04 11:00', NULL);
SELECT count(*) AS disabled_rule_logged FROM csat.breaches WHERE row_key = '21';
UPDATE csat.rules SET enabled = true, breach = 180, warning = 120 WHERE name = 'frt';
-- one statement escalating several rows; ticket 7 is a breach already and stays as logged
SELECT count(*) AS before FROM csat.breaches;
UPDATE tickets SET first_response_at = first_response_at + interval '1 hour' WHERE id BETWEEN 1 AND 7;
SELECT * FROM logged WHERE row_key::int BETWEEN 1 AND 7 ORDER BY rule, row_key::int;

-- ==== value columns: numbers (lower is worse) and intervals
INSERT INTO csat.rules (name, metric, warning, breach, higher_is_worse, unit)
VALUES ('low_score', 'survey_score', 3, 2, false, 'points'),
       ('slow_handling', 'handling', 600, 900, true, 'seconds');
CREATE TABLE surveys (ref text, score numeric, handling interval);
INSERT INTO surveys VALUES ('a', 5, '5 min'), ('b', 2.5, '11 min'), ('c', 2, '15 min'),
	('d', 1, '15 min 1 s'), ('e', NULL, NULL), ('f', 'NaN', '1 day');
SELECT csat.watch('surveys', 'survey_score', 'ref', value_column => 'score') AS scores,
       csat.watch('surveys', 'handling', 'ref', value_column => 'handling') AS handling;
-- a key that is not unique: one breach row per key, the worst observation wins
INSERT INTO surveys VALUES ('g', 2.5, NULL), ('g', 0, NULL), ('g', 2.9, NULL);
-- an INSERT meeting a logged key: b escalates to breach in place, c stays a warning
INSERT INTO surveys VALUES ('b', 0.5, NULL), ('c', 2.1, NULL), ('k', 1.5, NULL);
SELECT * FROM logged WHERE source = 'surveys'::regclass ORDER BY rule, row_key;
SELECT pg_temp.try($$SELECT csat.watch('surveys', 'x', 'ref', value_column => 'ref')$$);

-- ==== partitioned table: orders by month, INSERT through the parent, cross-partition UPDATE
INSERT INTO csat.rules (name, metric, warning, breach, unit)
VALUES ('delivery', 'delivery', 2 * 86400, 3 * 86400, 'seconds');
CREATE TABLE orders (id bigint, ordered_at timestamptz NOT NULL, delivered_at timestamptz)
	PARTITION BY RANGE (ordered_at);
CREATE TABLE orders_2024_01 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE orders_2024_02 PARTITION OF orders FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
INSERT INTO orders VALUES (1, '2024-01-05', '2024-01-06'), (2, '2024-01-05', '2024-01-08 00:00:01');
SELECT csat.watch('orders', 'delivery', 'id', start_column => 'ordered_at', end_column => 'delivered_at') AS backfilled;
INSERT INTO orders SELECT g, timestamptz '2024-01-20' + g * interval '1 day', timestamptz '2024-01-20' + g * interval '1 day' + (g % 4) * interval '1 day'
	FROM generate_series(3, 20) g;
SELECT row_key, round(observed::numeric / 86400, 6) AS days, level FROM csat.breaches
 WHERE source = 'orders'::regclass ORDER BY row_key::int;
-- the expected set, computed independently
SELECT count(*) FILTER (WHERE delivered_at - ordered_at > interval '3 days') AS breach,
       count(*) FILTER (WHERE delivered_at - ordered_at > interval '2 days'
                          AND delivered_at - ordered_at <= interval '3 days') AS warning
  FROM orders;
UPDATE orders SET ordered_at = '2024-01-31', delivered_at = '2024-02-05' WHERE id = 1;	-- moves partition
SELECT row_key, round(observed::numeric / 86400, 6) AS days, level FROM csat.breaches
 WHERE source = 'orders'::regclass AND row_key = '1';

-- a bulk INSERT (written straight into the heap and indexes), then one meeting
-- logged keys (retried as an upsert): the log equals the set computed in SQL
INSERT INTO orders SELECT g, timestamptz '2024-02-01' + (g % 20) * interval '1 day',
	timestamptz '2024-02-01' + (g % 20) * interval '1 day' + (g % 5) * interval '1 day'
	FROM generate_series(100, 399) g;
INSERT INTO orders SELECT g, timestamptz '2024-02-01', timestamptz '2024-02-05'
	FROM generate_series(390, 459) g;
CREATE TEMP VIEW orders_expected AS
SELECT id::text AS row_key,
       max(CASE WHEN delivered_at - ordered_at > interval '3 days' THEN 'breach' ELSE 'warning' END::csat.level) AS level
  FROM orders WHERE id >= 100 AND delivered_at - ordered_at > interval '2 days' GROUP BY id;
SELECT (SELECT count(*) FROM csat.breaches WHERE source = 'orders'::regclass AND row_key::int >= 100) AS logged,
       (SELECT count(*) FROM orders_expected) AS expected,
       (SELECT count(*) FROM orders_expected WHERE level = 'breach') AS expected_breach,
       (SELECT count(*) FROM (SELECT row_key, level FROM csat.breaches
                               WHERE source = 'orders'::regclass AND row_key::int >= 100
                              EXCEPT SELECT * FROM orders_expected) x) AS extra,
       (SELECT count(*) FROM (SELECT * FROM orders_expected
                              EXCEPT SELECT row_key, level FROM csat.breaches
                               WHERE source = 'orders'::regclass) x) AS missing;

-- ==== partitions written directly, and partitions created or attached after the watch
INSERT INTO orders_2024_01 VALUES (500, '2024-01-02', '2024-01-06'), (501, '2024-01-02', '2024-01-03');
CREATE TABLE orders_2024_03 PARTITION OF orders FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
CREATE TABLE orders_2024_04 (id bigint, ordered_at timestamptz NOT NULL, delivered_at timestamptz);
ALTER TABLE orders ATTACH PARTITION orders_2024_04 FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');
INSERT INTO orders_2024_03 VALUES (502, '2024-03-02', '2024-03-04 12:00');
COPY orders_2024_04 FROM STDIN;
503	2024-04-02 00:00:00+00	2024-04-09 00:00:00+00
504	2024-04-02 00:00:00+00	2024-04-02 01:00:00+00
\.
INSERT INTO orders_2024_04 VALUES (505, '2024-04-03', '2024-04-04');
UPDATE orders_2024_04 SET delivered_at = '2024-04-05 00:00:01' WHERE id = 505;	-- direct UPDATE of a partition
SELECT row_key, round(observed::numeric / 86400, 6) AS days, level FROM csat.breaches
 WHERE source = 'orders'::regclass AND row_key::int >= 500 ORDER BY row_key::int;
-- every table of the tree carries both triggers
SELECT c.relname, count(t.tgname) AS triggers FROM pg_partition_tree('orders') p
  JOIN pg_class c ON c.oid = p.relid LEFT JOIN pg_trigger t ON t.tgrelid = p.relid AND t.tgname LIKE 'csat_watch_%'
 GROUP BY c.relname ORDER BY c.relname;
-- a table and its partitions are watched as one
SELECT pg_temp.try($$SELECT csat.watch('orders_2024_01', 'other', 'id', value_column => 'id')$$);
CREATE TABLE parcels (id bigint, shipped_at timestamptz NOT NULL, days int) PARTITION BY RANGE (shipped_at);
CREATE TABLE parcels_2024 PARTITION OF parcels FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
SELECT csat.watch('parcels_2024', 'delivery', 'id', value_column => 'days');
SELECT pg_temp.try($$SELECT csat.watch('parcels', 'delivery', 'id', value_column => 'days')$$);
SELECT csat.unwatch('parcels_2024', 'delivery');
DROP TABLE parcels;

-- ==== sweep: open rows past a threshold with no event
CREATE TABLE inquiries (id int, opened_at timestamptz, answered_at timestamptz, channel text);
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('inq', 'inquiry', 60, 300);
INSERT INTO csat.rules (name, metric, channel, warning, breach, higher_is_worse)
VALUES ('inq_lower', 'inquiry', 'weird', 10, 5, false);
SELECT csat.watch('inquiries', 'inquiry', 'id', start_column => 'opened_at', end_column => 'answered_at',
				  channel_column => 'channel', backfill => false);
-- open rows in the future of now(): not past anything when inserted
INSERT INTO inquiries VALUES (1, '2030-01-01 10:00:00', NULL, 'chat'), (2, '2030-01-01 09:59:10', NULL, 'chat'),
	(3, '2030-01-01 09:50:00', '2030-01-01 09:50:10', 'chat'), (4, '2030-01-01 09:00:00', NULL, 'weird');
SELECT count(*) AS logged_at_insert FROM csat.breaches WHERE source = 'inquiries'::regclass;
SELECT csat.sweep('2030-01-01 10:00:30') AS sweep_30s;
SELECT csat.sweep('2030-01-01 10:01:01') AS sweep_61s;
SELECT row_key, observed, threshold, level, observed_at FROM csat.breaches
 WHERE source = 'inquiries'::regclass ORDER BY row_key;
SELECT csat.sweep('2030-01-01 10:04:50') AS sweep_290s;
SELECT csat.sweep('2030-01-01 10:04:50') AS sweep_again;
SELECT row_key, observed, threshold, level, observed_at FROM csat.breaches
 WHERE source = 'inquiries'::regclass ORDER BY row_key;
-- the expected set at 10:04:50, computed independently
SELECT id, extract(epoch FROM timestamptz '2030-01-01 10:04:50' - opened_at) AS open_seconds
  FROM inquiries WHERE answered_at IS NULL AND channel = 'chat' ORDER BY id;
SELECT pg_temp.try($$SELECT csat.sweep('infinity')$$);
-- +-infinity ("not yet") counts as NULL on every major: an infinite end leaves the
-- span open (measured until now, swept), an infinite start means not started
INSERT INTO inquiries VALUES (5, '2030-01-01 10:10:00', 'infinity', 'chat'),
	(6, '-infinity', NULL, 'chat'), (7, 'infinity', '2030-01-01 10:00:00', 'chat'),
	(8, '2030-01-01 10:10:30', '-infinity', 'chat');
SELECT count(*) AS infinite_logged_at_insert FROM csat.breaches
 WHERE source = 'inquiries'::regclass AND row_key::int >= 5;
SELECT csat.sweep('2030-01-01 10:12:00') > 0 AS swept;
SELECT row_key, observed, threshold, level, observed_at FROM csat.breaches
 WHERE source = 'inquiries'::regclass AND row_key::int >= 5 ORDER BY row_key;

-- ==== business hours: a rule with a calendar measures spans in its opening hours
INSERT INTO csat.calendars (name, time_zone) VALUES ('office', 'Europe/Berlin');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes)
SELECT 'office', d, '09:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO csat.calendar_holidays (calendar, day) VALUES ('office', '2024-01-10');
SELECT pg_temp.try($$INSERT INTO csat.rules (name, metric, breach, calendar) VALUES ('x', 'resolution', 1, 'nope')$$);
INSERT INTO csat.rules (name, metric, warning, breach, calendar)
VALUES ('resolution', 'resolution', 3600, 5400, 'office');
CREATE TABLE complaints (id int, opened timestamptz, resolved timestamptz);
SELECT csat.watch('complaints', 'resolution', 'id', start_column => 'opened', end_column => 'resolved');
-- Berlin is UTC+1 in January: the office is open 08:00-16:00 UTC
INSERT INTO complaints VALUES
	(1, '2024-01-05 15:00+00', '2024-01-08 09:00+00'),	-- Fri 1 h + Mon 1 h = 7200: breach (66 h of calendar time)
	(2, '2024-01-08 09:00+00', '2024-01-08 09:30+00'),	-- 1800: ok
	(3, '2024-01-09 15:00+00', '2024-01-11 08:30+00'),	-- Tue 1 h, Wed holiday, Thu 0.5 h = 5400: warning
	(4, '2024-01-06 10:00+00', '2024-01-07 20:00+00'),	-- weekend: 0
	(5, '2024-01-11 12:00+00', '2024-01-11 11:00+00');	-- negative: ok
SELECT row_key, observed, threshold, level,
       csat.business_elapsed(c.opened, c.resolved, 'office') AS independent
  FROM csat.breaches b JOIN complaints c ON c.id::text = b.row_key
 WHERE b.rule = 'resolution' ORDER BY row_key;
-- a calendar change reaches the cached rules at once: Monday now opens at 07:00 local
UPDATE csat.calendar_hours SET opens = '07:00' WHERE calendar = 'office' AND isodow = 1;
INSERT INTO complaints VALUES (6, '2024-01-08 06:00+00', '2024-01-08 07:40+00');	-- 100 min open: breach
SELECT row_key, observed, threshold, level FROM csat.breaches WHERE rule = 'resolution' AND row_key = '6';
SELECT pg_temp.try($$DELETE FROM csat.calendars WHERE name = 'office'$$);
SELECT pg_temp.try($$UPDATE csat.calendars SET name = 'office2' WHERE name = 'office'$$);
SELECT pg_temp.try($$UPDATE csat.rules SET calendar = 'home' WHERE name = 'resolution'$$);

-- ==== unwatch
SELECT csat.unwatch('surveys', 'handling');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'surveys'::regclass;
INSERT INTO surveys VALUES ('h', 5, '1 hour'), ('i', 1, NULL);
SELECT rule, row_key FROM csat.breaches WHERE row_key IN ('h', 'i') ORDER BY rule;
SELECT csat.unwatch('surveys', 'survey_score');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'surveys'::regclass;
INSERT INTO surveys VALUES ('j', 0, '1 day');
SELECT count(*) AS logged_after_unwatch FROM csat.breaches WHERE row_key = 'j';
SELECT pg_temp.try($$SELECT csat.unwatch('surveys', 'survey_score')$$);

-- ==== privileges: a writer without csat privileges; watch needs ownership
CREATE ROLE regress_csat_owner;
CREATE ROLE regress_csat_writer;
GRANT CREATE ON SCHEMA public TO regress_csat_owner;
SET ROLE regress_csat_owner;
CREATE TABLE chats (id int, opened_at timestamptz, answered_at timestamptz);
SELECT csat.watch('chats', 'first_response', 'id', start_column => 'opened_at', end_column => 'answered_at');
GRANT INSERT, UPDATE, SELECT ON chats TO regress_csat_writer;
SET ROLE regress_csat_writer;
INSERT INTO chats VALUES (1, '2024-01-01 10:00', '2024-01-01 10:05'), (2, '2024-01-01 10:00', '2024-01-01 10:00:30');
UPDATE chats SET answered_at = '2024-01-01 10:02:30' WHERE id = 2;
-- row security: the writer (SELECT on chats) sees the breaches of chats, and no others
SELECT source, row_key, level FROM csat.breaches ORDER BY source::text, row_key;
SELECT pg_temp.try($$INSERT INTO csat.breaches (rule, source, row_key, observed, threshold, level, observed_at) VALUES ('frt', 'chats', '9', 1, 1, 'breach', now())$$);
SELECT pg_temp.try($$SELECT csat.watch('tickets', 'other', 'id', value_column => 'id')$$);
SELECT pg_temp.try($$SELECT csat.unwatch('chats', 'first_response')$$);
RESET ROLE;
SELECT * FROM logged WHERE source = 'chats'::regclass ORDER BY row_key;
-- the breaches were written as the owner of csat's tables, not as the writer
SELECT pg_get_userbyid(relowner) = current_user AS breaches_owned_by_bootstrap
  FROM pg_class WHERE oid = 'csat.breaches'::regclass;

-- ==== hostile search_path: look-alike objects must not be picked up
CREATE SCHEMA evil;
CREATE TABLE evil.breaches (LIKE csat.breaches);
CREATE FUNCTION evil.always(csat.level, csat.level) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.> (LEFTARG = csat.level, RIGHTARG = csat.level, FUNCTION = evil.always);
CREATE FUNCTION evil.eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eq);
SET search_path = evil, pg_catalog, public;
-- a better observation must still not overwrite the breach of ticket 11
UPDATE tickets SET first_response_at = opened_at + interval '121 seconds' WHERE id = 11;
INSERT INTO tickets VALUES (30, 'vip', 'chat', '2024-01-05 10:00', '2024-01-05 10:01', NULL);
SELECT csat.sweep('2024-01-06');
RESET search_path;
SELECT * FROM logged WHERE row_key IN ('11', '30') AND source = 'tickets'::regclass ORDER BY rule, row_key;
SELECT count(*) AS evil_rows FROM evil.breaches;

-- ==== a user trigger on csat.breaches: both direct write paths yield to SQL, which fires it
CREATE TABLE audit (row_key text);
CREATE FUNCTION pg_temp.audit_breach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit VALUES (NEW.row_key); RETURN NULL; END $$;
CREATE TRIGGER audit_breach AFTER INSERT ON csat.breaches FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_breach();
CREATE TABLE parcels2 (id int, days int);
SELECT csat.watch('parcels2', 'delivery', 'id', value_column => 'days');
INSERT INTO parcels2 VALUES (1, 300000);	-- one row: the small-statement path
INSERT INTO parcels2 SELECT g, 300000 FROM generate_series(2, 101) g;	-- the batch path
SELECT (SELECT count(*) FROM csat.breaches WHERE source = 'parcels2'::regclass) AS logged,
       (SELECT count(*) FROM audit) AS audited;
DROP TRIGGER audit_breach ON csat.breaches;
SELECT csat.unwatch('parcels2', 'delivery');
DROP TABLE parcels2, audit;

-- ==== retention and pg_dump configuration
SELECT pg_temp.try($$SELECT csat.prune_breaches('-1 day')$$);
-- an infinite interval is refused alike on every major: before 17 its input is
-- (22007), from 17 on csat refuses it (22023, "... finite ..."); anything else shows
CREATE FUNCTION pg_temp.infinite(q text, iv text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v interval;
	st text;
	msg text;
BEGIN
	BEGIN
		v := iv::interval;
	EXCEPTION WHEN invalid_datetime_format THEN
		RETURN 'rejected';
	END;
	EXECUTE q USING v;
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	IF st = '22023' AND msg LIKE '%finite%' THEN
		RETURN 'rejected';
	END IF;
	RETURN st || ': ' || msg;
END $$;
SELECT v.iv, pg_temp.infinite($$SELECT csat.prune_breaches($1)$$, v.iv) FROM (VALUES ('infinity'), ('-infinity')) v(iv);
UPDATE csat.breaches SET observed_at = '2020-01-01' WHERE source = 'orders'::regclass;
SELECT count(*) AS orders_rows FROM csat.breaches WHERE source = 'orders'::regclass;
SELECT csat.prune_breaches('1 day') AS pruned;
SELECT count(*) AS orders_rows_left FROM csat.breaches WHERE source = 'orders'::regclass;
SELECT csat.prune_breaches('1 day') AS pruned_again;
SELECT count(*) > 0 AS rows_left FROM csat.breaches;
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS x(oid) JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'csat' AND c.relname IN ('rules', 'breaches', 'watches', 'calendars', 'calendar_hours', 'calendar_holidays')
 ORDER BY 1;

-- ==== unwatching a partitioned table takes the triggers off every partition
SELECT csat.unwatch('orders', 'delivery');
SELECT count(*) AS orders_tree_triggers FROM pg_partition_tree('orders') p
  JOIN pg_trigger t ON t.tgrelid = p.relid AND t.tgname LIKE 'csat_watch_%';
CREATE TABLE orders_2024_05 PARTITION OF orders FOR VALUES FROM ('2024-05-01') TO ('2024-06-01');
SELECT count(*) AS new_partition_triggers FROM pg_trigger WHERE tgrelid = 'orders_2024_05'::regclass;

-- ==== DROP EXTENSION with watched tables needs CASCADE and takes the triggers
SELECT pg_temp.try($$DROP EXTENSION csat$$);
DROP EXTENSION csat CASCADE;
SELECT count(*) AS csat_triggers_left FROM pg_trigger WHERE tgname LIKE 'csat_watch_%';
DROP TABLE chats;
REVOKE CREATE ON SCHEMA public FROM regress_csat_owner;
DROP ROLE regress_csat_owner;
DROP ROLE regress_csat_writer;
