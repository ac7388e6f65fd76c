#!/usr/bin/env bash
# calendar_bruteforce: csat.business_elapsed against a brute-force reference
# that looks at every minute of 2026 on the calendar zone's wall clock (plain
# SQL, AT TIME ZONE), on thousands of random spans, many of them across DST
# weekends (America/New_York, Europe/Berlin, Australia/Sydney, the 30-minute
# DST shift of Australia/Lord_Howe) and holidays.  The same again shifted by
# 50,000 years (125 whole 400-year cycles: same weekdays, and PostgreSQL
# extrapolates today's DST rules), where spans take the path outside the
# listed 1900-2200 transitions, and shifted by 174 years, where spans cross
# 2200-01-01, the end of that list.  Runs in about 60 s.  Exit 0 = every span equal.
set -euo pipefail

for shift in '0 years' '50000 years' '174 years'; do
echo "== shifted by $shift"
psql -X -q -v ON_ERROR_STOP=1 -v shift="$shift" <<'SQL'
DROP EXTENSION IF EXISTS csat CASCADE;
CREATE EXTENSION csat;
SET max_parallel_workers_per_gather = 0;   -- deterministic random() order
SELECT setseed(0.2026);

INSERT INTO csat.calendars VALUES
  ('ny', 'America/New_York'), ('berlin', 'Europe/Berlin'),
  ('sydney', 'Australia/Sydney'), ('lordhowe', 'Australia/Lord_Howe');
-- fixed hours that straddle the DST switches (01:00-04:00 on Sundays) ...
INSERT INTO csat.calendar_hours VALUES
  ('ny', 1, '08:00', '12:00'), ('ny', 1, '12:30', '18:00'), ('ny', 3, '08:00', '18:00'),
  ('ny', 6, '22:00', '24:00'), ('ny', 7, '00:00', '01:30'), ('ny', 7, '01:15', '04:00'),
  ('berlin', 1, '09:00', '17:00'), ('berlin', 2, '09:00', '17:00'), ('berlin', 5, '09:00', '17:00'),
  ('berlin', 6, '10:00', '14:00'), ('berlin', 7, '00:30', '03:30'),
  ('sydney', 7, '01:00', '04:00'), ('sydney', 2, '07:00', '19:00'),
  ('lordhowe', 7, '01:00', '03:00'), ('lordhowe', 4, '00:00', '24:00');
-- ... plus random minute-aligned ranges on every calendar
INSERT INTO csat.calendar_hours
SELECT cal, d, '00:00'::time + o * interval '1 minute',
       CASE WHEN o + len >= 1440 THEN '24:00'::time ELSE '00:00'::time + (o + len) * interval '1 minute' END
FROM (SELECT c.name AS cal, 1 + floor(random() * 7)::int AS d,
             floor(random() * 1439) AS o, 1 + floor(random() * 300) AS len
      FROM csat.calendars c, generate_series(1, 6)) r
ON CONFLICT DO NOTHING;
-- holidays: the DST Sundays themselves and random days
INSERT INTO csat.calendar_holidays VALUES
  ('ny', ('2026-03-08'::date + :'shift'::interval)::date), ('berlin', ('2026-10-25'::date + :'shift'::interval)::date), ('sydney', ('2026-04-05'::date + :'shift'::interval)::date), ('ny', ('2026-12-25'::date + :'shift'::interval)::date);
INSERT INTO csat.calendar_holidays
SELECT c.name, ('2026-01-01'::date + :'shift'::interval)::date + floor(random() * 365)::int
FROM csat.calendars c, generate_series(1, 12)
ON CONFLICT DO NOTHING;

-- the reference: every minute of the year, open or not on the local wall
-- clock; week_open lists the open minutes of the week straight from the hours
CREATE TEMP TABLE week_open AS
SELECT DISTINCT h.calendar AS cal, h.isodow, mm AS minute_of_day
FROM csat.calendar_hours h,
     generate_series(0, 1439) mm
WHERE '00:00'::time + mm * interval '1 minute' >= h.opens
  AND ('00:00'::time + mm * interval '1 minute' < h.closes OR h.closes = '24:00');
-- and cum counts the open minutes strictly before each minute
CREATE TEMP TABLE cum AS
SELECT cal, m, (count(*) FILTER (WHERE open) OVER (PARTITION BY cal ORDER BY m)) - open::int AS before
FROM (
SELECT l.cal, l.m,
       w.cal IS NOT NULL AND d.day IS NULL AS open
FROM (SELECT c.name AS cal, m, m AT TIME ZONE c.time_zone AS local
      FROM csat.calendars c,
           generate_series(('2025-12-30 00:00+00'::timestamptz + :'shift'::interval), ('2027-01-02 00:00+00'::timestamptz + :'shift'::interval), '1 minute') m) l
LEFT JOIN week_open w ON w.cal = l.cal AND w.isodow = extract(isodow FROM l.local)
                     AND w.minute_of_day = extract(hour FROM l.local) * 60 + extract(minute FROM l.local)
LEFT JOIN csat.calendar_holidays d ON d.calendar = l.cal AND d.day = l.local::date) minutes;
CREATE UNIQUE INDEX ON cum (cal, m);

-- spans: uniform over the year with lengths from minutes to a year, and
-- spans that start within two days of a DST switch of their zone
CREATE TEMP TABLE spans AS
WITH r AS (
  SELECT c.name AS cal, i,
         ('2025-12-30 00:00+00'::timestamptz + :'shift'::interval) + floor(random() * 520000) * interval '1 minute' AS a,
         (CASE WHEN i % 10 < 4 THEN floor(random() * 1440)
               WHEN i % 10 < 7 THEN floor(random() * 14400)
               WHEN i % 10 < 9 THEN floor(random() * 144000)
               ELSE floor(random() * 520000) END) AS len
  FROM csat.calendars c, generate_series(1, 900) i
  UNION ALL
  SELECT s.cal, i, s.t + (floor(random() * 5760) - 2880) * interval '1 minute',
         floor(random() * 4 * 1440)
  FROM (VALUES ('ny', ('2026-03-08 07:00+00'::timestamptz + :'shift'::interval)), ('ny', ('2026-11-01 06:00+00'::timestamptz + :'shift'::interval)),
               ('berlin', ('2026-03-29 01:00+00'::timestamptz + :'shift'::interval)), ('berlin', ('2026-10-25 01:00+00'::timestamptz + :'shift'::interval)),
               ('sydney', ('2026-04-04 16:00+00'::timestamptz + :'shift'::interval)), ('sydney', ('2026-10-03 16:00+00'::timestamptz + :'shift'::interval)),
               ('lordhowe', ('2026-04-04 15:00+00'::timestamptz + :'shift'::interval)), ('lordhowe', ('2026-10-03 15:30+00'::timestamptz + :'shift'::interval))) s(cal, t),
       generate_series(1, 150) i)
SELECT cal, a, least(a + len * interval '1 minute', ('2027-01-01 23:59+00'::timestamptz + :'shift'::interval)) AS b FROM r;

CREATE TEMP TABLE result AS
SELECT s.cal, s.a, s.b, csat.business_elapsed(s.a, s.b, s.cal) AS got,
       60.0 * (cb.before - ca.before) AS want
FROM spans s JOIN cum ca ON ca.cal = s.cal AND ca.m = s.a JOIN cum cb ON cb.cal = s.cal AND cb.m = s.b;

SELECT count(*) AS spans, count(*) FILTER (WHERE b - a > interval '30 days') AS over_30_days,
       count(*) FILTER (WHERE got <> want) AS mismatches, sum(want) / 3600 AS open_hours_checked
FROM result;
SELECT * FROM result WHERE got <> want ORDER BY cal, a LIMIT 10;
DO $$
BEGIN
  IF (SELECT count(*) FROM result) < 4000 THEN RAISE EXCEPTION 'too few spans'; END IF;
  IF EXISTS (SELECT 1 FROM result WHERE got <> want) THEN RAISE EXCEPTION 'business_elapsed differs from brute force'; END IF;
  IF (SELECT count(DISTINCT got) FROM result) < 1000 THEN RAISE EXCEPTION 'spans not varied enough'; END IF;
END $$;
SQL
done
echo "calendar brute force: all spans equal"
