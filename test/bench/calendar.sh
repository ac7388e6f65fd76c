#!/usr/bin/env bash
# Benchmark: csat.business_elapsed over 1M spans against plain calendar time
# (extract(epoch from stop - start)), on a private throwaway cluster.
# Holds the test runner's lock for the whole run so that no other worktree's
# "make install" swaps csat.so underneath.  Prints medians of 5 runs.
#   test/bench/calendar.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ensure_packages $(csat_pg_packages) gcc make bc
ROWS=${1:-1000000}
RUNS=5

csat_lock
build_and_install
DIR=$(mktemp -d /tmp/csat-bench-calendar.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
start_cluster "$DIR/pg" "shared_buffers = '512MB'" "work_mem = '64MB'"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION csat;
INSERT INTO csat.calendars VALUES ('support', 'Europe/Berlin'), ('ny247', 'America/New_York');
INSERT INTO csat.calendar_hours
SELECT 'support', d, o, c FROM generate_series(1, 5) d,
       (VALUES ('09:00'::time, '12:00'::time), ('13:00', '17:00')) r(o, c)
UNION ALL SELECT 'support', 6, '10:00', '14:00'
UNION ALL SELECT 'ny247', d, '00:00', '24:00' FROM generate_series(1, 7) d;
INSERT INTO csat.calendar_holidays
SELECT 'support', d FROM generate_series('2020-01-01'::date, '2030-12-31', '1 day') d
WHERE extract(doy FROM d) IN (1, 100, 121, 200, 276, 358, 359, 360);
SELECT setseed(0.5);
-- spans of up to ten days starting anywhere in 2025-2026 (so many cross DST
-- changes and holidays), and spans of up to ten years
CREATE TABLE spans AS
SELECT a AS start, a + random() * interval '10 days' AS stop,
       a + random() * interval '3650 days' AS stop_long
FROM (SELECT '2025-01-01 00:00+00'::timestamptz + random() * interval '730 days' AS a
      FROM generate_series(1, $ROWS)) s;
VACUUM ANALYZE spans;
SQL

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
time_query() { # time_query SQL -> median milliseconds
	for _ in $(seq $RUNS); do
		psql -X -q -c "SET max_parallel_workers_per_gather = 0" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
	done | median
}

echo "rows: $ROWS, median of $RUNS runs, no parallel workers"
scan=$(time_query "SELECT count(stop) FROM spans")
base=$(time_query "SELECT sum(extract(epoch FROM stop - start)) FROM spans")
biz=$(time_query "SELECT sum(csat.business_elapsed(start, stop, 'support')) FROM spans")
b247=$(time_query "SELECT sum(csat.business_elapsed(start, stop, 'ny247')) FROM spans")
blong=$(time_query "SELECT sum(csat.business_elapsed(start, stop_long, 'support')) FROM spans")
baselong=$(time_query "SELECT sum(extract(epoch FROM stop_long - start)) FROM spans")
printf '%-58s %10s ms\n' "count(stop): the scan alone" "$scan"
printf '%-58s %10s ms\n' "extract(epoch from stop - start), spans <= 10 days" "$base"
printf '%-58s %10s ms  %5.2fx\n' "business_elapsed, Berlin Mon-Sat + holidays, <= 10 days" "$biz" "$(echo "$biz / $base" | bc -l)"
printf '%-58s %10s ms  %5.2fx\n' "business_elapsed, New York 24/7, <= 10 days" "$b247" "$(echo "$b247 / $base" | bc -l)"
printf '%-58s %10s ms\n' "extract(epoch from stop - start), spans <= 10 years" "$baselong"
printf '%-58s %10s ms  %5.2fx\n' "business_elapsed, Berlin, spans <= 10 years" "$blong" "$(echo "$blong / $baselong" | bc -l)"
echo "per span over the scan: extract $(echo "($base - $scan) * 1000 / $ROWS" | bc -l | xargs printf '%.3f') us, business_elapsed $(echo "($biz - $scan) * 1000 / $ROWS" | bc -l | xargs printf '%.3f') us (<= 10 days), $(echo "($blong - $scan) * 1000 / $ROWS" | bc -l | xargs printf '%.3f') us (<= 10 years)"
echo "per span: business_elapsed $(echo "($biz - $base) * 1000 / $ROWS" | bc -l | xargs printf '%.3f') us over plain subtraction (<= 10 days), $(echo "($blong - $baselong) * 1000 / $ROWS" | bc -l | xargs printf '%.3f') us (<= 10 years)"
