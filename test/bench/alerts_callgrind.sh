#!/usr/bin/env bash
# Instruction counts of the KPI alerts' share of an incremental refresh (not a
# timed test; issue 13's target: the evaluation adds <= 10 % to an incremental
# refresh at demo scale 1).  test/bench/views.sh measures the same in wall-clock
# time, which moves with the load of the machine by more than the effect;
# instructions (Ir, valgrind --tool=callgrind) do not.
#
# Set-up in a normal server (as views.sh: the demo data at SCALE, the four
# sources mapped and the plans' 10 kpi rules, test/bench/kpi_bench.sql; a full
# refresh and an incremental one as of the data's end), then in `postgres
# --single` under callgrind, on a copy of the data directory:
#   refresh   1 % new rows of every kind in the last 7 days (not counted), then
#             csat.refresh(false, <the data's end>): what a live schedule runs
#             (it judges the alerts of the periods it recomputed)
#   plain     the same refresh on a copy of the data directory taken before
#             it, with csat.alert_step replaced by a function that does nothing:
#             refresh - plain is what judging the alerts adds to the refresh (the
#             target's measure: caches and catalogs the refresh loads anyway are
#             not counted twice)
#   alerts    in a new backend (as a scheduled refresh starts one: plans and
#             caches cold), csat.alert_step over the same periods alone, as
#             views.sh times it (an upper bound: it counts the cold start too)
# Each count covers one statement: a dump at each pg_sleep(0) marker between
# the statements.  Prints Ir of both and the share.
#
#   test/bench/alerts_callgrind.sh          SCALE=1 (default), SCALE=0.2 for a quick look
#                                           CSAT_CALLGRIND_KEEP=dir (keep the callgrind files)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ensure_packages postgresql-$PGVER postgresql-server-dev-$PGVER gcc make valgrind bc
SCALE=${SCALE:-1}
KEEP=${CSAT_CALLGRIND_KEEP:-}

DIR=$(mktemp -d /tmp/csat-alerts-cg.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
. test/bench/private_pg.sh
private_install "$DIR"

start_cluster "$DIR/pg" "shared_buffers = '1GB'" "max_wal_size = '4GB'" "max_parallel_workers_per_gather = 0"
q() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
echo "== generating scale $SCALE and refreshing"
q -v scale="$SCALE" -v end_ts="'2026-11-22 12:00+00'" -f test/data/generate.sql >/dev/null
q >/dev/null <<'SQL'
\i test/bench/kpi_bench.sql
SELECT csat.refresh(true, (SELECT end_ts FROM shop.params));
SELECT csat.refresh(false, (SELECT end_ts FROM shop.params));
VACUUM ANALYZE;
SQL
stop_cluster
# the copy for the refresh without alert evaluation
cp -a "$DIR/pg/data" "$DIR/pg/plain"

# run NAME SQL: the statements in a single-user backend under callgrind; the
# dump before the k-th pg_sleep(0) marker holds what ran since the one before
mkdir -p "$DIR/cg" && chmod 777 "$DIR/cg"
run() {
	echo "$2" | as_pg valgrind --tool=callgrind --callgrind-out-file="$DIR/cg/$1" --dump-before=pg_sleep \
		"$PGBIN/postgres" --single -D "$DIR/pg/${3:-data}" -c max_parallel_workers_per_gather=0 postgres >"$DIR/cg/$1.log" 2>&1
}
ir() { sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$DIR/cg/$1"; }
echo "== callgrind (a few minutes)"
# (the same new rows in both copies: a fixed seed for bench.add_one_percent's random())
REFRESH="SELECT pg_catalog.setseed(0.5);
SELECT bench.add_one_percent(1);
SELECT pg_sleep(0);
SELECT (csat.refresh(false, (SELECT end_ts FROM shop.params))).hours_touched;
SELECT pg_sleep(0);"
run refresh "$REFRESH"
# (in single-user mode, not counted: csat.alert_step made a no-op in the copy)
echo "CREATE OR REPLACE FUNCTION csat.alert_step(as_of timestamptz, hours timestamptz[], tz text, rebuilt boolean, OUT opened bigint, OUT escalated bigint, OUT resolved bigint, OUT updated bigint) LANGUAGE sql AS 'SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint';" |
	as_pg "$PGBIN/postgres" --single -D "$DIR/pg/plain" postgres >"$DIR/cg/noop.log" 2>&1
run plain "$REFRESH" plain
# (the hours the refresh recomputed are listed before the marker: the refresh
# hands them over, it does not look them up)
# (single-user mode: one statement per line)
run alerts "CREATE TEMP TABLE h AS SELECT (SELECT end_ts FROM shop.params) AS at, ARRAY(SELECT DISTINCT r.period FROM csat.kpi_rollup_hourly r, csat.refresh_status s WHERE r.period BETWEEN s.first_period AND s.last_period) AS hours;
SELECT pg_sleep(0);
SELECT csat.alert_step(h.at, h.hours, 'UTC', false) FROM h;
SELECT pg_sleep(0);"
for f in noop refresh plain alerts; do
	if grep -q ERROR "$DIR/cg/$f.log"; then grep ERROR "$DIR/cg/$f.log" >&2; echo "the $f session failed" >&2; exit 1; fi
done
# refresh.2, plain.2: the refreshes (.1: start-up and the new rows); alerts.2: the evaluation (.1: start-up, the hours listed)
R=$(ir refresh.2); P=$(ir plain.2); A=$(ir alerts.2)
HOURS=$(sed -n 's/.*hours_touched = "\([0-9]*\)".*/\1/p' "$DIR/cg/refresh.log" | head -1)
printf '\nInstructions (Ir) at scale %s, PostgreSQL %s, %s hours recomputed\n' "$SCALE" "$PGVER" "${HOURS:-?}"
printf '  %-60s %15s\n' 'incremental refresh as of the data'"'"'s end (alerts judged)' "$R" \
	'the same refresh, csat.alert_step a no-op' "$P" \
	'alert evaluation alone (csat.alert_step, new backend)' "$A"
printf '  alerts add to the incremental refresh: %s %% ((refresh - no-op) / no-op; target <= 10)\n' "$(echo "scale=1; 100 * ($R - $P) / $P" | bc)"
printf '  alert evaluation alone, new backend / refresh: %s %% (counts its cold start too)\n' "$(echo "scale=1; 100 * $A / $R" | bc)"
if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp -a "$DIR/cg/." "$KEEP/"; fi
