#!/usr/bin/env bash
# Benchmark of csat's rollups and KPI views on the demo database (not a timed test).
#
#   test/bench/views.sh            scale 1: 1M orders, 300k tickets, 200k answers, 30k returns
#   SCALE=0.1 RUNS=5 test/bench/views.sh
#
# Prints medians over RUNS runs (default 3) of:
#   1. csat.refresh(full => true) with the whole shipped KPI catalogue, interleaved
#      with the same refresh of csat 0.4 (the wide rollups only, no catalogue) on a
#      copy of the same data; target: <= 1.5x 0.4's
#   2. csat.refresh() after 1 % new rows (of every kind) whose timestamps fall in the
#      last 7 days; target: incremental <= 5 % of full; of it, the alert
#      evaluation (issue 13; target <= 10 %)
#   3. the daily KPI view (all days; the last 7 and 30 days; target: 30 days <= 50 ms)
#      vs the equivalent hand-written SQL over the raw tables (percentile_cont for the
#      percentiles), and csat.kpi_values for 30 days of every KPI
# Starts its own throwaway cluster (and holds the machine-wide install lock meanwhile).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ensure_packages $(csat_pg_packages) gcc make bc
SCALE=${SCALE:-1}
RUNS=${RUNS:-3}
DIR=${CSAT_BENCH_DIR:-/tmp/csat-bench-views}

csat_lock
build_and_install
rm -rf "$DIR"
start_cluster "$DIR" "shared_buffers = 1GB" "work_mem = 64MB" "max_parallel_workers_per_gather = 2"
trap stop_cluster EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }
# the data in a database of its own: pg_cron's launcher (where installed) stays
# connected to postgres, which CREATE DATABASE ... TEMPLATE would then refuse
psql -c "CREATE DATABASE bench"
export PGDATABASE=bench

echo "== generating scale $SCALE"
t0=$(date +%s.%N)
psql -v scale="$SCALE" -v end_ts="'2026-11-22 12:00+00'" -f test/data/generate.sql >/dev/null
echo "data generated in $(printf %.1f "$(echo "$(date +%s.%N) - $t0" | bc)") s"
# the peer: csat 0.4 (its install script is frozen; same library) on a copy of the data
psql -c "CREATE DATABASE peer TEMPLATE $PGDATABASE"
psql -d peer >/dev/null <<'SQL'
CREATE EXTENSION csat VERSION '0.4';
INSERT INTO csat.settings (timezone) VALUES ('UTC');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id": "id", "ordered_at": "created_at", "exception": "has_exception", "channel": "sales_channel", "segment": "customer_segment"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id": "id", "opened_at": "created", "first_response_at": "first_reply_at", "is_complaint": "complaint"}');
SELECT csat.map_source('surveys', 'shop.surveys');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id": "id", "completed_at": "refunded_at"}');
CREATE SCHEMA bench;
CREATE FUNCTION bench.ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE q;
	RETURN 1000 * extract(epoch FROM clock_timestamp() - t0);
END $$;
SQL
psql >/dev/null <<'SQL'
\i test/bench/kpi_bench.sql
CREATE TABLE bench.t (what text, ms float8);
-- run a statement n times, record each duration
CREATE FUNCTION bench.time(what text, q text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
	FOR i IN 1..n LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		INSERT INTO bench.t VALUES (what, 1000 * extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END $$;
-- the daily KPIs written by hand over the raw tables
CREATE VIEW bench.hand_daily AS
WITH o AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS d, count(*) AS orders,
                  avg((delivered_at > promised_at)::int) AS late_rate,
                  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at)) AS dl
             FROM shop.orders GROUP BY 1),
     t AS (SELECT (created AT TIME ZONE 'UTC')::date AS d, count(*) AS tickets, count(*) FILTER (WHERE complaint) AS complaints,
                  percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY extract(epoch FROM first_reply_at - created)) AS frt,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created)) AS res
             FROM shop.tickets GROUP BY 1),
     s AS (SELECT (answered_at AT TIME ZONE 'UTC')::date AS d,
                  avg((score >= 4)::int) FILTER (WHERE scale_max = 5) AS csat_rate,
                  sum(weight * score) FILTER (WHERE scale_max = 5) / sum(weight) FILTER (WHERE scale_max = 5) AS weighted,
                  100.0 * (count(*) FILTER (WHERE scale_max = 10 AND score >= 9) - count(*) FILTER (WHERE scale_max = 10 AND score <= 6))
                      / nullif(count(*) FILTER (WHERE scale_max = 10), 0) AS nps
             FROM shop.surveys WHERE answered_at IS NOT NULL GROUP BY 1)
SELECT o.d, o.orders, t.complaints::float8 / o.orders AS complaint_rate, s.csat_rate, s.weighted, s.nps,
       t.frt, t.res, o.dl, o.late_rate
  FROM o LEFT JOIN t USING (d) LEFT JOIN s USING (d);
SQL

echo "== full refresh x $RUNS, interleaved with csat 0.4's"
for r in $(seq 1 "$RUNS"); do
	ms=$(psql -At -d peer -c "SELECT bench.ms('SELECT csat.refresh(full => true)')")
	psql -c "INSERT INTO bench.t VALUES ('full refresh, csat 0.4 (peer)', $ms)"
	psql -c "SELECT bench.time('full refresh', 'SELECT csat.refresh(full => true)', 1)"
done
echo "== incremental refresh after 1 % new rows in the last 7 days x $RUNS"
for r in $(seq 1 "$RUNS"); do
	psql -c "SELECT bench.add_one_percent($r)"
	psql -c "SELECT bench.time('incremental refresh (1 % new rows, last 7 days)', 'SELECT csat.refresh()', 1)"
done
# the alerts' share of an incremental refresh, as a live system sees it: as of the
# data's end (now() is days after it, where no period is within the alert
# horizon), 1 % new rows, then the same evaluation alone over the hours that
# refresh recomputed (those it logged: first to last period)
psql -c "SELECT csat.refresh(false, (SELECT end_ts FROM shop.params))" >/dev/null
for r in $(seq 1 "$RUNS"); do
	psql -c "SELECT bench.add_one_percent(100 + $r)"
	psql -c "SELECT bench.time('incremental refresh as of the data''s end (alerts judged)', 'SELECT csat.refresh(false, (SELECT end_ts FROM shop.params))', 1)"
	# (the hours listed outside the timed statement: the refresh hands them over)
	psql -c "SELECT bench.time('alert evaluation alone, as of the data''s end', pg_catalog.format('SELECT csat.alert_step(%L, %L, ''UTC'', false)', (SELECT end_ts FROM shop.params), ARRAY(SELECT DISTINCT r.period FROM csat.kpi_rollup_hourly r, csat.refresh_status s WHERE r.period BETWEEN s.first_period AND s.last_period)), 1)"
done
psql -c "SELECT bench.time('idle refresh (nothing changed)', 'SELECT csat.refresh()', $RUNS)"
psql -c "VACUUM ANALYZE"
echo "== daily view vs hand-written SQL x $RUNS"
psql <<SQL
-- plain SELECT * (EXECUTE without INTO fetches every row and column, as a BI tool does)
SELECT bench.time('daily view, all days, all/all', \$q\$SELECT * FROM csat.kpi_daily WHERE channel = 'all' AND segment = 'all'\$q\$, $RUNS);
SELECT bench.time('hand-written SQL, all days', 'SELECT * FROM bench.hand_daily', $RUNS);
SELECT bench.time('daily view, last 7 days, every channel/segment', \$q\$SELECT * FROM csat.kpi_daily WHERE period_start > '2026-11-15'\$q\$, $RUNS);
SELECT bench.time('hand-written SQL, last 7 days', \$q\$SELECT * FROM bench.hand_daily WHERE d > '2026-11-15'\$q\$, $RUNS);
SELECT bench.time('daily view, last 30 days, all/all', \$q\$SELECT * FROM csat.kpi_daily WHERE channel = 'all' AND segment = 'all' AND period_start > '2026-10-23'\$q\$, $RUNS);
SELECT bench.time('monthly view, all months, every channel/segment', 'SELECT * FROM csat.kpi_monthly', $RUNS);
SELECT bench.time('kpi_values, last 30 days, every KPI, totals', \$q\$SELECT * FROM csat.kpi_values WHERE grain = 'day' AND period_start > '2026-10-23' AND channel IS NULL AND segment IS NULL AND breakdown IS NULL\$q\$, $RUNS);
SELECT bench.time('kpi_values, one KPI, last 30 days, every scope', \$q\$SELECT * FROM csat.kpi_values WHERE grain = 'day' AND kpi = 'csat_rate' AND period_start > '2026-10-23'\$q\$, $RUNS);
SELECT bench.time('kpi_values, every KPI and scope, last 24 hours (hour grain)', \$q\$SELECT * FROM csat.kpi_values WHERE grain = 'hour' AND period_start > '2026-11-21 12:00+00'\$q\$, $RUNS);
SELECT bench.time('kpi_values, one KPI, last 48 hours, totals', \$q\$SELECT * FROM csat.kpi_values WHERE grain = 'hour' AND kpi = 'first_response' AND period_start > '2026-11-20 12:00+00' AND channel IS NULL AND segment IS NULL\$q\$, $RUNS);
SQL
psql <<'SQL'
\pset footer off
SELECT what, count(*) AS runs, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms,
       round(min(ms)::numeric, 1) AS min_ms, round(max(ms)::numeric, 1) AS max_ms
  FROM bench.t GROUP BY what ORDER BY min(ctid);
SELECT round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what = 'full refresh')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what = 'full refresh, csat 0.4 (peer)')::numeric, 2)
       AS "full / 0.4 full (x, target <= 1.5)",
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what LIKE 'incremental refresh (1 %')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what = 'full refresh')::numeric * 100, 2)
       AS "incremental / full (%, target <= 5)",
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what = 'hand-written SQL, all days')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what = 'daily view, all days, all/all')::numeric, 1)
       AS "hand SQL / daily view (x)",
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what LIKE 'alert evaluation%')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench.t WHERE what LIKE 'incremental refresh as of%')::numeric * 100, 1)
       AS "alerts / incremental (%, target <= 10)";
SELECT hours_touched, days_touched, round(duration_s::numeric, 3) AS last_refresh_s FROM csat.refresh_status;
SELECT t AS rollup, pg_size_pretty(pg_total_relation_size(t)) AS size, c.reltuples::bigint AS rows
  FROM unnest(ARRAY['csat.rollup_hourly', 'csat.rollup_daily', 'csat.kpi_rollup_hourly', 'csat.kpi_rollup_daily']::regclass[]) t
  JOIN pg_class c ON c.oid = t;
SELECT count(*) AS enabled_kpis FROM csat.kpis WHERE enabled;
SQL
