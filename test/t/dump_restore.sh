#!/usr/bin/env bash
# Whole-database dump and restore: a database with mapped sources, a watched
# table, rules, a calendar, breaches, materialized rollups and sketches stored
# in a user table goes through pg_dump -Fc / pg_restore into a new database.
# Every KPI view returns the same rows, the stored sketches are the same, the
# restored table still flags breaches, and refresh still works (incremental
# after new rows == full rebuild).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${CSAT_TMP:-/tmp}/dump_restore.$$
mkdir -p "$T"
NEW=${PGDATABASE}_restored
trap 'rm -rf "$T"; dropdb --if-exists "$NEW" >/dev/null 2>&1 || true' EXIT

psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION csat"
psql -qX -v ON_ERROR_STOP=1 -v scale=0.01 -v end_ts="'2026-11-20 12:00+00'" -f "$ROOT/test/data/generate.sql" >/dev/null
psql -qX -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO csat.calendars (name, time_zone) VALUES ('office', 'Europe/Berlin');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes) SELECT 'office', d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csat.rules (name, metric, segment, channel, warning, breach, higher_is_worse, unit, min_samples, calendar) VALUES
  ('csat >= 80 %', 'csat_rate', NULL, NULL, 0.85, 0.80, false, 'fraction', 30, NULL),
  ('chat reply in 3 min', 'first_response', NULL, 'chat', 120, 180, true, 'seconds', 30, NULL),
  ('email reply in 8 office hours', 'first_response', NULL, 'email', 14400, 28800, true, 'seconds', 30, 'office');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id": "id", "ordered_at": "created_at", "exception": "has_exception", "channel": "sales_channel", "segment": "customer_segment", "category": "product_category", "followed_up_at": "follow_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id": "id", "opened_at": "created", "first_response_at": "first_reply_at", "is_complaint": "complaint", "category": "topic", "agent": "assignee"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at": "invited_at"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id": "id", "completed_at": "refunded_at"}');
SELECT csat.watch('shop.tickets', 'first_response', 'id', start_column => 'created', end_column => 'first_reply_at',
                  segment_column => 'segment', channel_column => 'channel');
SELECT csat.refresh();
CREATE TABLE public.frt_sketches AS
SELECT channel, created::date AS day, csat.sla_sketch(extract(epoch FROM first_reply_at - created)::float8) AS frt
  FROM shop.tickets WHERE first_reply_at IS NOT NULL GROUP BY 1, 2;
SQL

snapshot() { # everything a user would look at, as text
	psql -qXAt -d "$1" -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'daily ' || md5(string_agg(k::text, '|' ORDER BY k::text)) FROM csat.kpi_daily k;
SELECT 'weekly ' || md5(string_agg(k::text, '|' ORDER BY k::text)) FROM csat.kpi_weekly k;
SELECT 'monthly ' || md5(string_agg(k::text, '|' ORDER BY k::text)) FROM csat.kpi_monthly k;
SELECT 'hourly ' || md5(string_agg(k::text, '|' ORDER BY k::text)) FROM csat.kpi_hourly k;
SELECT 'sketches ' || count(*) || ' ' || md5(string_agg(s::text, '|' ORDER BY s.channel, s.day)) FROM public.frt_sketches s;
SELECT 'p95 ' || round(csat.percentile(csat.rollup(frt), 0.95)::numeric, 3) FROM public.frt_sketches;
SELECT 'breaches ' || count(*) || ' ' || md5(string_agg(format('%s|%s|%s|%s', rule, row_key, observed, level), ',' ORDER BY rule, row_key)) FROM csat.breaches;
SELECT 'rules ' || md5(string_agg(r::text, '|' ORDER BY name)) FROM csat.rules r;
SELECT 'sources ' || count(*) FROM csat.sources;
SELECT 'watches ' || count(*) FROM csat.watches;
SELECT 'calendars ' || count(*) FROM csat.calendar_hours;
SQL
}
snapshot "$PGDATABASE" >"$T/before"
pg_dump -Fc -f "$T/dump" "$PGDATABASE"
createdb "$NEW"
pg_restore --exit-on-error -d "$NEW" "$T/dump"
snapshot "$NEW" >"$T/after"
cat "$T/before"
diff -u "$T/before" "$T/after"
echo "restored: every KPI view, sketch, breach and configuration row is the same"

# the restored database keeps working: breaches flagged, incremental == full refresh
psql -qXAt -d "$NEW" -v ON_ERROR_STOP=1 <<'SQL' | tee "$T/work"
INSERT INTO shop.tickets (id, order_id, created, first_reply_at, resolved_at, complaint, channel, priority, segment)
SELECT 900000 + g, NULL, timestamptz '2026-11-19 10:00+00' + g * interval '1 minute',
       timestamptz '2026-11-19 10:00+00' + g * interval '1 minute' + interval '10 minutes', NULL, g % 2 = 0, 'chat', 'normal', 'regular'
  FROM generate_series(1, 50) g;
SELECT 'new breaches ' || count(*) FROM csat.breaches WHERE row_key::bigint > 900000;
-- float sums behind means and deltas add in another order on a rebuild, so
-- compare at 6 decimals; counts and everything else exactly
CREATE FUNCTION pg_temp.r(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'number' THEN to_jsonb(round(value::text::numeric, 6)) ELSE value END)
    FROM jsonb_each(j) $$;
SELECT csat.refresh();
CREATE TEMP TABLE inc AS SELECT pg_temp.r(to_jsonb(k))::text AS j FROM csat.kpi_daily k;
SELECT csat.refresh(full => true);
CREATE TEMP TABLE rebuilt AS SELECT pg_temp.r(to_jsonb(k))::text AS j FROM csat.kpi_daily k;
SELECT 'incremental vs full: ' || CASE WHEN (SELECT count(*) FROM (SELECT j FROM inc EXCEPT SELECT j FROM rebuilt) a) = 0
        AND (SELECT count(*) FROM (SELECT j FROM rebuilt EXCEPT SELECT j FROM inc) b) = 0
        AND (SELECT count(*) FROM inc) = (SELECT count(*) FROM rebuilt) THEN 'same' ELSE 'DIFFERENT' END;
SQL
grep -qx 'new breaches 50' "$T/work"
grep -qx 'incremental vs full: same' "$T/work"
