#!/usr/bin/env bash
# Benchmark of csat.refresh() over Citus distributed sources (not a timed test):
# full vs incremental after 1 % new rows, on a coordinator and two workers on
# 127.0.0.1, as test/bench/views.sh measures it on one node.
#
#   PG_CONFIG=/path/to/bin/pg_config test/bench/citus_refresh.sh
#
# It needs a PostgreSQL 15 installation that already has Citus (it never builds
# or downloads Citus); it builds csat from this checkout and installs it there
# (CSAT_SKIP_INSTALL=1 to skip), like test/citus/check.sh.
#
#   SCALE            demo data scale (test/data/generate.sql; default 0.2: 200k orders)
#   RUNS             rounds (default 5)
#   CSAT_CITUS_PORT  first of three ports (default 9700)
#   RETURNS_BY       distribution column of shop.returns: id (default) or order_id
#                    (then co-located with shop.orders by order id)
#   CSAT_BENCH_LOG   1: log every statement of the refreshes with its duration
#                    (auto_explain, nested statements) on the coordinator, and every
#                    statement Citus runs on the workers; the logs are kept
#   CSAT_CITUS_KEEP  1: leave the servers running (prints how to stop)
#
# The demo data is distributed co-located by id (returns by RETURNS_BY) in 32
# shards, mapped as test/bench/kpi_bench.sql maps it (the whole KPI catalogue,
# the plans' kpi rules), then RUNS rounds of: 1 % new rows of every kind whose
# timestamps fall in the last 7 days (bench.add_one_percent), csat.refresh()
# (incremental), csat.refresh(true) (full).  Prints each run and the medians,
# and the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
: "${PG_CONFIG:?set PG_CONFIG to the pg_config of a PostgreSQL 15 installation with Citus}"
SCALE=${SCALE:-0.2}
RUNS=${RUNS:-5}
PORT0=${CSAT_CITUS_PORT:-9700}
RETURNS_BY=${RETURNS_BY:-id}
case $RETURNS_BY in id | order_id) ;; *) echo "RETURNS_BY: id or order_id" >&2; exit 2 ;; esac
. test/citus/cluster.sh
cluster_init csat-citus-bench
stop_all() { cluster_stop "${CSAT_BENCH_LOG:-0}"; }
trap stop_all EXIT

if [ "${CSAT_SKIP_INSTALL:-0}" != 1 ]; then
	cluster_install || exit 1
fi
for i in 0 1 2; do
	conf=("shared_buffers = 256MB" "work_mem = 64MB")
	# every statement the coordinator sends to the workers, with its duration
	if [ "${CSAT_BENCH_LOG:-0}" = 1 ] && [ "$i" -gt 0 ]; then conf+=("log_min_duration_statement = 0"); fi
	cluster_start_node "$i" "${conf[@]}" || exit 1
done
cluster_form || exit 1
echo "citus $(q "$C" -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"), csat $(q "$C" -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'"), scale $SCALE, returns by $RETURNS_BY"

t0=$(date +%s)
q "$C" -v scale="$SCALE" -v end_ts="'2026-11-22 12:00+00'" -f test/data/generate.sql >/dev/null
q "$C" >/dev/null <<SQL
SET client_min_messages = warning;
SELECT create_distributed_table('shop.orders', 'id');
SELECT create_distributed_table('shop.tickets', 'id', colocate_with => 'shop.orders');
SELECT create_distributed_table('shop.surveys', 'id', colocate_with => 'shop.orders');
-- (by order_id: its primary key must then include order_id)
$([ "$RETURNS_BY" = order_id ] && echo "ALTER TABLE shop.returns DROP CONSTRAINT returns_pkey, ADD PRIMARY KEY (id, order_id);")
SELECT create_distributed_table('shop.returns', '$RETURNS_BY', colocate_with => 'shop.orders');
SET client_min_messages = warning;
SELECT truncate_local_data_after_distributing_table(t)
  FROM unnest(ARRAY['shop.orders', 'shop.tickets', 'shop.surveys', 'shop.returns']::regclass[]) t;
SQL
# kpi_bench.sql without its CREATE EXTENSION (csat is already on every node)
sed '/^CREATE EXTENSION csat;/d' test/bench/kpi_bench.sql | q "$C" >/dev/null
q "$C" >/dev/null <<'SQL'
CREATE TABLE bench.t (run int, what text, s float8, hours int, full_rebuild bool);
VACUUM ANALYZE;
SQL
echo "data generated, distributed and mapped in $(($(date +%s) - t0)) s: $(q "$C" -c "SELECT string_agg(t || ' ' || n, ', ') FROM (VALUES ('orders', (SELECT count(*) FROM shop.orders)), ('tickets', (SELECT count(*) FROM shop.tickets)), ('surveys', (SELECT count(*) FROM shop.surveys)), ('returns', (SELECT count(*) FROM shop.returns))) v(t, n)")"
q "$C" -c "SELECT csat.refresh(true)" >/dev/null

# run R WHAT SQL: time one refresh (its own duration_s, as csat.refresh_log has it)
run() {
	local pre=""
	if [ "${CSAT_BENCH_LOG:-0}" = 1 ]; then
		pre="LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET client_min_messages = warning;"
		echo "== run $1 $2" >>"$DIR/marks"
	fi
	q "$C" -c "$pre INSERT INTO bench.t SELECT $1, '$2', r.duration_s, r.hours_touched, r.full_rebuild FROM $3 r"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
	# bench.add_one_percent's statements with the round number in place (Citus
	# cannot plan a parameter of an SQL function)
	q "$C" -c "SELECT prosrc FROM pg_proc WHERE oid = 'bench.add_one_percent'::regproc" |
		sed "s/10000000 \* round/10000000 * $r/" | q "$C" >/dev/null
	run "$r" incremental 'csat.refresh()'
	run "$r" full 'csat.refresh(true)'
	q "$C" -c "SELECT string_agg(what || ' ' || round(s::numeric, 2) || ' s (' || hours || ' hours' || CASE WHEN full_rebuild THEN ', full' ELSE '' END || ')', ', ' ORDER BY what DESC) FROM bench.t WHERE run = $r" | sed "s/^/run $r: /"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
q "$C" <<'SQL'
SELECT 'median incremental ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FILTER (WHERE what = 'incremental')::numeric, 2)
       || ' s, full ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FILTER (WHERE what = 'full')::numeric, 2)
       || ' s, incremental / full ' || round(100 * (percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FILTER (WHERE what = 'incremental')
          / percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FILTER (WHERE what = 'full'))::numeric, 1) || ' % (target <= 10 %)'
       || ', median of the per-run ratios ' || (SELECT round(100 * percentile_cont(0.5) WITHIN GROUP (ORDER BY i.s / f.s)::numeric, 1)
          FROM bench.t i JOIN bench.t f USING (run) WHERE i.what = 'incremental' AND f.what = 'full') || ' %'
  FROM bench.t;
SELECT 'incremental runs that rebuilt everything: ' || count(*) FILTER (WHERE full_rebuild) FROM bench.t WHERE what = 'incremental';
SQL
