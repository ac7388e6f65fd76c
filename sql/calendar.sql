-- calendar: csat.calendars and csat.business_elapsed
CREATE EXTENSION csat;
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- a Berlin support desk: Mon-Fri 09-12 and 13-17, Saturday 10-14, closed at Christmas
INSERT INTO csat.calendars (name, time_zone) VALUES ('support', 'Europe/Berlin');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes)
SELECT 'support', d, o, c
FROM generate_series(1, 5) d, (VALUES ('09:00'::time, '12:00'::time), ('13:00', '17:00')) r(o, c)
UNION ALL SELECT 'support', 6, '10:00', '14:00';
INSERT INTO csat.calendar_holidays (calendar, day) VALUES
    ('support', '2026-12-24'), ('support', '2026-12-25'), ('support', '2027-01-01');
-- New York: open around the clock, and a night shift 01:00-03:00 every day
INSERT INTO csat.calendars (name, time_zone) VALUES ('ny247', 'America/New_York'), ('ny_night', 'America/New_York');
INSERT INTO csat.calendar_hours SELECT 'ny247', d, '00:00', '24:00' FROM generate_series(1, 7) d;
INSERT INTO csat.calendar_hours SELECT 'ny_night', d, '01:00', '03:00' FROM generate_series(1, 7) d;

SELECT label, csat.business_elapsed(a, b, cal) AS seconds, round((csat.business_elapsed(a, b, cal) / 3600)::numeric, 4) AS hours
FROM (VALUES
  ('same instant',            'support', '2026-06-03 10:00+02'::timestamptz, '2026-06-03 10:00+02'::timestamptz),
  ('inside one range',        'support', '2026-06-03 10:00+02', '2026-06-03 11:15:30.5+02'),
  ('over lunch',              'support', '2026-06-03 11:00+02', '2026-06-03 14:00+02'),
  ('Fri 16:30 -> Mon 09:30',  'support', '2026-06-05 16:30+02', '2026-06-08 09:30+02'),
  ('Sunday only',             'support', '2026-06-07 00:00+02', '2026-06-08 00:00+02'),
  ('one whole week',          'support', '2026-06-01 00:00+02', '2026-06-08 00:00+02'),
  ('Christmas week',          'support', '2026-12-21 00:00+01', '2026-12-28 00:00+01'),
  ('on a holiday',            'support', '2026-12-24 10:00+01', '2026-12-24 16:00+01'),
  ('year-end, two holidays',  'support', '2026-12-31 16:00+01', '2027-01-04 10:00+01'),
  ('Berlin spring forward',   'support', '2026-03-27 00:00+01', '2026-03-30 00:00+02'),
  ('Berlin fall back',        'support', '2026-10-23 00:00+02', '2026-10-26 00:00+01'),
  ('NY 24/7 spring day',      'ny247',   '2026-03-08 00:00-05', '2026-03-09 00:00-04'),
  ('NY 24/7 fall day',        'ny247',   '2026-11-01 00:00-04', '2026-11-02 00:00-05'),
  ('NY night, spring day',    'ny_night','2026-03-08 00:00-05', '2026-03-09 00:00-04'),
  ('NY night, fall day',      'ny_night','2026-11-01 00:00-04', '2026-11-02 00:00-05'),
  ('NY night, normal day',    'ny_night','2026-11-02 00:00-05', '2026-11-03 00:00-05'),
  ('NY night, repeated hour', 'ny_night','2026-11-01 05:30+00', '2026-11-01 06:30+00')
) t(label, cal, a, b)
ORDER BY label;

-- 24/7 in a DST zone is exactly calendar time, over decades
SELECT csat.business_elapsed('1990-02-03 04:05:06.789+00', '2049-07-08 09:10:11.123+00', 'ny247')
     = extract(epoch FROM '2049-07-08 09:10:11.123+00'::timestamptz - '1990-02-03 04:05:06.789+00') AS exact_247;

-- a year of the New York night shift is 365 x 2 h: spring loses its 02:00-03:00,
-- autumn repeats 01:00-02:00; also outside 1900-2200 where transitions are
-- walked one by one (1899 had no DST; 2250 follows the current rule)
SELECT y, csat.business_elapsed(a, b, 'ny_night') / 3600 AS hours
FROM (VALUES ('1899', '1899-01-01 00:00-05'::timestamptz, '1900-01-01 00:00-05'::timestamptz),
             ('2026', '2026-01-01 00:00-05', '2027-01-01 00:00-05'),
             ('2199/2200', '2199-07-01 00:00-04', '2200-07-01 00:00-04'),
             ('2250', '2250-01-01 00:00-05', '2251-01-01 00:00-05'),
             ('2250 spring day', '2250-03-10 00:00-05', '2250-03-11 00:00-04'),
             ('2250 fall day', '2250-11-03 00:00-04', '2250-11-04 00:00-05')) t(y, a, b)
ORDER BY y;
SELECT csat.business_elapsed('1850-03-04 05:06:07+00', '1950-01-01 00:00+00', 'ny247')
     = extract(epoch FROM '1950-01-01 00:00+00'::timestamptz - '1850-03-04 05:06:07+00') AS exact_247_old,
       csat.business_elapsed('2150-01-01 00:00+00', '2299-12-31 12:00+00', 'ny247')
     = extract(epoch FROM '2299-12-31 12:00+00'::timestamptz - '2150-01-01 00:00+00') AS exact_247_future;

-- the ends of the timestamp range; the whole range is longer than an interval
-- can hold, so the reference adds up two halves split at 2000-01-01
WITH r AS (SELECT extract(epoch FROM '2000-01-01 00:00+00'::timestamptz - '4713-11-24 00:00+00 BC')
                + extract(epoch FROM '294276-12-31 23:59:59.999999+00'::timestamptz - '2000-01-01 00:00+00') AS secs)
SELECT csat.business_elapsed('294276-12-30 00:00+00', '294276-12-31 23:59:59.999999+00', 'ny247') AS last_days,
       csat.business_elapsed('4713-11-24 00:00+00 BC', '4713-11-26 00:00+00 BC', 'ny247') AS first_days,
       abs(csat.business_elapsed('4713-11-24 00:00+00 BC', '294276-12-31 23:59:59.999999+00', 'ny247') / r.secs::float8 - 1)
       < 1e-15 AS whole_range_247,
       round((csat.business_elapsed('4713-11-24 00:00+00 BC', '294276-12-31 23:59:59.999999+00', 'support')
              / r.secs::float8)::numeric, 6) AS support_share, round(39 / 168.0, 6) AS weekly_share
FROM r;

-- far from 1900-2200: past the end of a zone's table PostgreSQL repeats its
-- last 400 years, and 400 years are whole weeks, so whole cycles are counted
-- once and skipped.  New York's Sunday 02:00-03:00 exists on every Sunday but
-- the spring one: 100,000 years (250 cycles) hold 5,217,750 Sundays and
-- 100,000 spring Sundays, so 5,117,750 such hours.  Holidays there: a spring
-- Sunday (no such hour anyway), an autumn and an ordinary Sunday (one hour
-- each) and a Monday (nothing)
INSERT INTO csat.calendars (name, time_zone) VALUES ('ny_sun2', 'America/New_York'), ('ny_sun2h', 'America/New_York'),
    ('support_far', 'Europe/Berlin'), ('lordhowe', 'Australia/Lord_Howe'), ('posix_sun2', 'EST5EDT,M3.2.0,M11.1.0');
INSERT INTO csat.calendar_hours VALUES ('ny_sun2', 7, '02:00', '03:00'), ('ny_sun2h', 7, '02:00', '03:00'),
    ('posix_sun2', 7, '02:00', '03:00'),
    ('lordhowe', 7, '01:00', '03:00'), ('lordhowe', 4, '00:00', '24:00');
INSERT INTO csat.calendar_hours SELECT 'support_far', isodow, opens, closes FROM csat.calendar_hours WHERE calendar = 'support';
INSERT INTO csat.calendar_holidays (calendar, day) VALUES
    ('ny_sun2h', '60000-03-12'), ('ny_sun2h', '70000-11-05'), ('ny_sun2h', '80000-06-04'), ('ny_sun2h', '90000-06-05'),
    ('support_far', '1850-12-25'), ('support_far', '2199-12-31'), ('support_far', '2200-01-01'),
    ('support_far', '52000-01-03'), ('support_far', '99999-06-07'), ('support_far', '294276-12-29'),
    ('lordhowe', '1000-01-06'), ('lordhowe', '3000-04-04'), ('lordhowe', '77777-10-02');
SELECT to_char(day, 'YYYY-MM-DD') AS day, extract(isodow FROM day) AS isodow,
       extract(epoch FROM ((day + 1)::timestamp AT TIME ZONE 'America/New_York') - (day::timestamp AT TIME ZONE 'America/New_York')) / 3600 AS day_hours
  FROM csat.calendar_holidays WHERE calendar = 'ny_sun2h' ORDER BY day;
SELECT csat.business_elapsed('2000-01-01 00:00+00', '102000-01-01 00:00+00', 'ny_sun2') / 3600 AS hours,
       csat.business_elapsed('2000-01-01 00:00+00', '102000-01-01 00:00+00', 'ny_sun2h') / 3600 AS hours_with_holidays;
-- a zone given as a POSIX rule has it in the past too: the 4000 years from
-- 1 BC hold 208,710 Sundays and 4,000 spring ones
SELECT csat.business_elapsed('0001-01-01 00:00+00 BC', '4000-01-01 00:00+00', 'posix_sun2') / 3600 AS posix_hours;
-- the sum of its parts: split at a far cycle boundary, at an arbitrary
-- instant, and into 100 pieces of 1,000 years; from the first timestamp on
WITH s(a, b1, b2, c) AS (VALUES ('4713-11-24 00:00+00 BC'::timestamptz, '52000-01-01 00:00+00'::timestamptz,
                                  '61234-05-06 07:08:09.123456+00'::timestamptz, '294276-12-31 23:59:59.999999+00'::timestamptz))
SELECT cal,
       csat.business_elapsed(a, c, cal) = csat.business_elapsed(a, b1, cal) + csat.business_elapsed(b1, c, cal) AS at_cycle,
       csat.business_elapsed(a, c, cal) = csat.business_elapsed(a, b2, cal) + csat.business_elapsed(b2, c, cal) AS at_any,
       csat.business_elapsed('2000-01-01 00:00+00', '102000-01-01 00:00+00', cal)
     = (SELECT sum(csat.business_elapsed(make_timestamptz(y, 1, 1, 0, 0, 0, 'UTC'), make_timestamptz(y + 1000, 1, 1, 0, 0, 0, 'UTC'), cal))
          FROM generate_series(2000, 101000, 1000) y) AS pieces
  FROM s, unnest('{support_far,ny_sun2h,ny_night,lordhowe,posix_sun2}'::text[]) cal
 ORDER BY cal;
-- and quickly: without the skip, each of these walks some 600,000 DST changes
SET statement_timeout = '5s';
SELECT count(*) AS whole_range_spans, count(DISTINCT csat.business_elapsed(a, '294276-12-31 23:59:59.999999+00', c.name)) AS distinct_results
  FROM generate_series(0, 19) i, LATERAL (SELECT '4713-11-24 00:00+00 BC'::timestamptz + i * interval '1 hour' AS a) t,
       csat.calendars c WHERE c.time_zone <> 'UTC';
RESET statement_timeout;
DELETE FROM csat.calendars WHERE name IN ('ny_sun2', 'ny_sun2h', 'support_far', 'lordhowe', 'posix_sun2');

-- ten years of the support desk against independent SQL over days
WITH days AS (
  SELECT d::date AS d FROM generate_series('2020-01-01'::date, '2029-12-31'::date, '1 day') d)
SELECT csat.business_elapsed('2020-01-01 00:00 Europe/Berlin', '2030-01-01 00:00 Europe/Berlin', 'support') / 3600 AS hours,
       (SELECT sum(CASE WHEN extract(isodow FROM d) <= 5 THEN 7 WHEN extract(isodow FROM d) = 6 THEN 4 ELSE 0 END)
        FROM days WHERE d NOT IN (SELECT day FROM csat.calendar_holidays WHERE calendar = 'support')) AS expected;

-- additivity at an arbitrary split point
SELECT csat.business_elapsed('2026-03-20 08:17:03.25+00', '2026-04-02 11:00+00', 'support')
     = csat.business_elapsed('2026-03-20 08:17:03.25+00', '2026-03-29 01:30:00.5+00', 'support')
     + csat.business_elapsed('2026-03-29 01:30:00.5+00', '2026-04-02 11:00+00', 'support') AS additive;

-- overlapping and touching ranges count once; edits show in the next statement
INSERT INTO csat.calendars VALUES ('overlap', 'UTC');
INSERT INTO csat.calendar_hours VALUES ('overlap', 3, '09:00', '12:00'), ('overlap', 3, '10:00', '11:00'),
                                       ('overlap', 3, '12:00', '13:00'), ('overlap', 3, '11:30', '12:30');
SELECT csat.business_elapsed('2026-06-03 00:00+00', '2026-06-04 00:00+00', 'overlap') / 3600 AS hours_wed;
UPDATE csat.calendars SET time_zone = 'Asia/Kolkata' WHERE name = 'overlap';
SELECT csat.business_elapsed('2026-06-03 00:00+00', '2026-06-03 06:00+00', 'overlap') / 3600 AS hours_after_zone_change;
-- renaming and deleting cascade to hours and holidays
UPDATE csat.calendars SET name = 'overlap2' WHERE name = 'overlap';
SELECT calendar, count(*) FROM csat.calendar_hours WHERE calendar LIKE 'overlap%' GROUP BY 1 ORDER BY 1;
DELETE FROM csat.calendars WHERE name = 'overlap2';
SELECT count(*) FROM csat.calendar_hours WHERE calendar LIKE 'overlap%';
-- a calendar without hours is never open
INSERT INTO csat.calendars VALUES ('closed', 'UTC');
SELECT csat.business_elapsed('2000-01-01 00:00+00', '2100-01-01 00:00+00', 'closed') AS closed;
-- several calendars in one query, NULLs
SELECT name, csat.business_elapsed('2026-06-05 12:00+00', '2026-06-06 12:00+00', name) / 3600 AS hours
FROM csat.calendars ORDER BY name;
SELECT csat.business_elapsed(NULL, now(), 'support') IS NULL AS a,
       csat.business_elapsed(now(), NULL, 'support') IS NULL AS b,
       csat.business_elapsed(now(), now(), NULL) IS NULL AS c;

-- parallel workers load the calendar themselves and agree with a serial scan
CREATE TABLE spans AS
SELECT '2026-01-01 00:00+00'::timestamptz + i * interval '7 hours 13 minutes' AS a,
       '2026-01-01 00:00+00'::timestamptz + i * interval '7 hours 13 minutes' + (i % 97) * interval '1 hour 1 minute' AS b
FROM generate_series(1, 20000) i;
ANALYZE spans;
SELECT sum(csat.business_elapsed(a, b, 'support')) AS serial FROM spans \gset
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT sum(csat.business_elapsed(a, b, 'support')) FROM spans;
SELECT sum(csat.business_elapsed(a, b, 'support')) = :serial AS parallel_equals_serial, :serial / 3600 AS hours FROM spans;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;

-- pg_dump keeps the user's rows
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) r(oid) JOIN pg_class c ON c.oid = r.oid
WHERE e.extname = 'csat' AND c.relname LIKE 'calendar%' ORDER BY 1;
-- time zone validation
SELECT z, csat.is_valid_time_zone(z) FROM (VALUES ('Europe/Berlin'), ('UTC'), ('america/new_york'),
       ('Mars/Olympus'), (''), ('EST5EDT')) t(z) ORDER BY z;

-- bad inputs
\set VERBOSITY sqlstate
SELECT csat.business_elapsed('2026-06-03 10:00+00', '2026-06-03 09:59:59+00', 'support');
SELECT csat.business_elapsed('2026-06-03 10:00+00', '2026-06-03 11:00+00', 'nope');
SELECT csat.business_elapsed('-infinity', '2026-06-03 11:00+00', 'support');
SELECT csat.business_elapsed('2026-06-03 11:00+00', 'infinity', 'support');
INSERT INTO csat.calendars VALUES ('bad', 'Mars/Olympus');
INSERT INTO csat.calendars VALUES ('', 'UTC');
INSERT INTO csat.calendar_hours VALUES ('support', 1, '17:00', '09:00');
INSERT INTO csat.calendar_hours VALUES ('support', 1, '17:00', '17:00');
INSERT INTO csat.calendar_hours VALUES ('support', 8, '09:00', '10:00');
INSERT INTO csat.calendar_hours VALUES ('support', 0, '09:00', '10:00');
INSERT INTO csat.calendar_hours VALUES ('nope', 1, '09:00', '10:00');
INSERT INTO csat.calendar_holidays VALUES ('support', 'infinity');
INSERT INTO csat.calendar_holidays VALUES ('nope', '2026-01-01');
INSERT INTO csat.calendar_holidays VALUES ('support', '2026-12-24');
\set VERBOSITY default
SELECT csat.business_elapsed('2026-06-03 10:00+00', '2026-06-03 09:59:59+00', 'support');
SELECT csat.business_elapsed('2026-06-03 10:00+00', '2026-06-03 11:00+00', 'nope');
