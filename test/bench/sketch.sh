#!/usr/bin/env bash
# Benchmark of csat.sla_percentile (4 quantiles) against percentile_cont and
# the tdigest extension, next to SELECT count(x) (the floor: no aggregate that
# reads x can beat a scan that counts it), over N log-normal durations, whole
# table and grouped by day (365 groups), with 0 and 2 parallel workers.
# Prints the median of R runs, ratios, and each method's largest relative
# error against percentile_disc (the exact value csat's rank convention names).
#
#   test/bench/sketch.sh                 N=10000000, R=3
#   N=3000000 R=5 test/bench/sketch.sh
#
# Installs postgresql-15-tdigest if missing, builds and installs csat, and
# runs its own throwaway cluster, holding the machine-wide test lock the whole
# time (make install writes the shared PostgreSQL lib dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh

N=${N:-10000000}
R=${R:-3}
PS='ARRAY[0.5, 0.9, 0.95, 0.99]'

csat_lock
ensure_packages $(csat_pg_packages tdigest) gcc make libc6-dev
build_and_install
DIR=$(mktemp -d /tmp/csat-bench.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
start_cluster "$DIR/pg" "shared_buffers = '2GB'" "work_mem = '1GB'" "jit = off" \
	"max_parallel_workers_per_gather = 2"

q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

echo "== loading $N log-normal durations (median ~55 s, p99 ~900 s), day = 0..364"
q <<SQL
CREATE EXTENSION csat;
CREATE EXTENSION tdigest;
SELECT setseed(0.5);
CREATE TABLE bench AS
  SELECT g % 365 AS day, exp(4 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS x
    FROM generate_series(1, $N) g;
VACUUM ANALYZE bench;
CREATE TABLE exact AS SELECT percentile_disc($PS) WITHIN GROUP (ORDER BY x) AS e FROM bench;
CREATE TABLE exact_day AS SELECT day, percentile_disc($PS) WITHIN GROUP (ORDER BY x) AS e FROM bench GROUP BY day;
SELECT count(x) FROM bench;  -- warm the cache
SQL

# method name -> aggregate expression giving float8[] (count: bigint)
declare -A EXPR=(
	[count]="count(x)"
	[csat]="csat.sla_percentile(x, $PS)"
	[tdigest]="tdigest_percentile(x, 100, $PS)"
	[percentile_cont]="percentile_cont($PS) WITHIN GROUP (ORDER BY x)"
)
METHODS=(count csat tdigest percentile_cont)

# median of R timings (seconds) of one query
time_query() { # workers sql
	local t=() i
	for ((i = 0; i < R; i++)); do
		t+=("$(q -c "SET max_parallel_workers_per_gather = $1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)")
	done
	printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)] / 1000}'
}

# largest relative error of a method against percentile_disc
max_error() { # workers method grouped
	local e=${EXPR[$2]}
	if [ "$3" = 0 ]; then
		q -c "SET max_parallel_workers_per_gather = $1" -c "
		  SELECT round(100 * max(abs(v[i] - e[i]) / e[i])::numeric, 3)
		    FROM (SELECT $e AS v FROM bench) r, exact, generate_series(1, 4) i"
	else
		q -c "SET max_parallel_workers_per_gather = $1" -c "
		  SELECT round(100 * max(abs(v[i] - e[i]) / e[i])::numeric, 3)
		    FROM (SELECT day, $e AS v FROM bench GROUP BY day) r JOIN exact_day USING (day), generate_series(1, 4) i"
	fi
}

declare -A T ERR
for w in 0 2; do
	for g in 0 1; do
		for m in "${METHODS[@]}"; do
			if [ "$g" = 0 ]; then sql="SELECT ${EXPR[$m]} FROM bench"; else sql="SELECT day, ${EXPR[$m]} FROM bench GROUP BY day"; fi
			T[$w,$g,$m]=$(time_query "$w" "$sql")
			if [ "$m" = count ]; then ERR[$w,$g,$m]=-; else ERR[$w,$g,$m]=$(max_error "$w" "$m" "$g"); fi
		done
	done
done

size=$(q -c "SELECT pg_column_size(csat.sla_sketch(x)) FROM bench")
echo
echo "== N=$N rows, median of $R runs, $(nproc) cores; ratio = time / count(x) time of the same row"
printf '%-8s %-8s %-16s %9s %9s %18s\n' workers query method seconds ratio "max rel diff %"
for w in 0 2; do
	for g in 0 1; do
		[ "$g" = 0 ] && label=whole || label=by-day
		for m in "${METHODS[@]}"; do
			ratio=$(awk -v a="${T[$w,$g,$m]}" -v b="${T[$w,$g,count]}" 'BEGIN {printf "%.2f", a / b}')
			printf '%-8s %-8s %-16s %9s %9s %18s\n' "$w" "$label" "$m" "${T[$w,$g,$m]}" "$ratio" "${ERR[$w,$g,$m]}"
		done
	done
done
echo
for w in 0 2; do
	for g in 0 1; do
		[ "$g" = 0 ] && label=whole || label=by-day
		awk -v w="$w" -v l="$label" -v c="${T[$w,$g,csat]}" -v t="${T[$w,$g,tdigest]}" -v p="${T[$w,$g,percentile_cont]}" \
			'BEGIN {printf "workers %s %-7s csat is %.1fx faster than tdigest, %.1fx faster than percentile_cont\n", w, l, t / c, p / c}'
	done
done
echo "max rel diff: largest |v - x| / x over p in 0.5, 0.9, 0.95, 0.99 (and every day), x = percentile_disc;"
echo "  percentile_cont is exact by its own definition: its diff is interpolation between neighbours"
echo "sketch of all $N durations: $size bytes on disk"
