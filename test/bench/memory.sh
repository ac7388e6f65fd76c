#!/usr/bin/env bash
# Peak memory of one backend running csat aggregates over N rows (default
# 100,000,000) streamed from generate_series, so no table is needed: for each
# query a FRESH connection runs it and then reads its own VmHWM (peak resident
# set size since the backend started) from /proc/self/status with
# pg_read_file.  Peers in the same run: count(x) over the same rows (the floor:
# what a backend streaming the rows costs without any aggregate state), exact
# percentile_cont (sorts: with the default work_mem of 4MB it spills to temp
# files) and the tdigest extension; each over the whole input and grouped by a
# 10,000-group key.  Then the sketch aggregate again at N/100 and N/10 rows:
# its peak RSS must not grow with the row count.
#
#   test/bench/memory.sh                 N=100000000 (about 10-15 minutes on 2 cores)
#   N=10000000 test/bench/memory.sh
#
# Settings, so that the figures mean one process: max_parallel_workers_per_gather
# = 0 (parallel workers are separate processes with their own RSS), jit = off
# (loading LLVM adds tens of MB to a backend), default shared_buffers (128MB)
# and work_mem (4MB).  The rows never touch shared buffers: generate_series in
# the select list streams one row at a time (in FROM it would first be stored
# in a tuplestore).  Installs postgresql-15-tdigest if missing, builds and
# installs csat, and runs its own throwaway cluster, holding the machine-wide
# test lock the whole time (make install writes the shared PostgreSQL lib dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh

N=${N:-100000000}

csat_lock
ensure_packages $(csat_pg_packages tdigest) gcc make libc6-dev
build_and_install
DIR=$(mktemp -d /tmp/csat-bench.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
start_cluster "$DIR/pg" "jit = off" "max_parallel_workers_per_gather = 0"

q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
q -c "CREATE EXTENSION csat" -c "CREATE EXTENSION tdigest"

# rows(n): n rows of k (10,000 groups), an NPS answer 0..10 and a duration x
# in seconds (exponential, mean 120 s: 100M of them span about 10 decades).
rows() {
	echo "(SELECT g % 10000 AS k, (g % 11)::int AS score, -ln(1 - random()) * 120 AS x
	     FROM (SELECT generate_series(1, $1::bigint) AS g) s) r"
}

# measure SQL: "seconds rss_start_kb peak_kb" of SQL run in a fresh backend
measure() {
	q -c "SELECT setseed(0.5)" -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]" \
		-c '\timing on' -c "$1" -c '\timing off' \
		-c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]" |
		awk '/^Time: / { t = $2 / 1000; next } NR == 2 { s = $1 } { last = $1 } END { printf "%.1f %s %s\n", t, s, last }'
}

# whole AGG N: the aggregate over N rows; grouped AGG N: the same per k, one row out
# (max() reads every group's result, so the planner cannot drop the aggregate)
whole() { echo "SELECT $1 FROM $(rows "$2")"; }
grouped() { echo "SELECT count(*), max(v) FROM (SELECT k, $1 AS v FROM $(rows "$2") GROUP BY k) t"; }
SKETCH="csat.percentile(csat.sla_sketch(x), 0.95)"
TDIGEST="tdigest_percentile(x, 100, 0.95)"
CONT="percentile_cont(0.95) WITHIN GROUP (ORDER BY x)"
declare -A SQL=(
	[floor]=$(whole "count(x)" "$N")
	[sketch]=$(whole "$SKETCH" "$N")
	[sla_percentile]=$(whole "csat.sla_percentile(x, ARRAY[0.5, 0.9, 0.95, 0.99])" "$N")
	[nps]=$(whole "csat.nps(score)" "$N")
	[weighted_score]=$(whole "csat.weighted_score(score, x)" "$N")
	[tdigest]=$(whole "$TDIGEST" "$N")
	[percentile_cont]=$(whole "$CONT" "$N")
	[floor_10k]=$(grouped "count(x)" "$N")
	[sketch_10k]=$(grouped "$SKETCH" "$N")
	[tdigest_10k]=$(grouped "$TDIGEST" "$N")
	[percentile_cont_10k]=$(grouped "$CONT" "$N")
	[sketch/100]=$(whole "$SKETCH" $((N / 100)))
	[sketch/10]=$(whole "$SKETCH" $((N / 10)))
	[sketch_10k/100]=$(grouped "$SKETCH" $((N / 100)))
	[sketch_10k/10]=$(grouped "$SKETCH" $((N / 10)))
)
ORDER=(floor sketch sla_percentile nps weighted_score tdigest percentile_cont
	floor_10k sketch_10k tdigest_10k percentile_cont_10k)

declare -A R
for m in "${ORDER[@]}" sketch/100 sketch/10 sketch_10k/100 sketch_10k/10; do
	csat_log "$m"
	R[$m]=$(measure "${SQL[$m]}")
done

mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
read -r _ _ floor_kb <<<"${R[floor]}"
read -r _ _ floor10k_kb <<<"${R[floor_10k]}"
echo
echo "== peak RSS (VmHWM) of one backend, N=$N rows from generate_series, $(nproc) cores,"
echo "   max_parallel_workers_per_gather = 0, jit = off, work_mem = 4MB, a fresh connection per query"
printf '%-20s %10s %14s %12s %18s\n' query seconds "RSS start MB" "peak MB" "peak - floor MB"
for m in "${ORDER[@]}"; do
	read -r t s p <<<"${R[$m]}"
	f=$floor_kb; [[ $m == *_10k ]] && f=$floor10k_kb
	printf '%-20s %10s %14s %12s %18s\n' "$m" "$t" "$(mb "$s")" "$(mb "$p")" "$(mb $((p - f)))"
done
echo
echo "== csat.sla_sketch over a growing input: peak RSS must not grow with rows"
printf '%-14s %10s %12s %16s %14s\n' rows seconds "peak MB" "10k groups: s" "peak MB"
for d in 100 10 1; do
	if [ $d = 1 ]; then a=sketch; b=sketch_10k; else a=sketch/$d; b=sketch_10k/$d; fi
	read -r t _ p <<<"${R[$a]}"
	read -r t2 _ p2 <<<"${R[$b]}"
	printf '%-14s %10s %12s %16s %14s\n' $((N / d)) "$t" "$(mb "$p")" "$t2" "$(mb "$p2")"
done
echo
echo "floor: count(x) over the same rows; sketch: $SKETCH; tdigest: $TDIGEST;"
echo "percentile_cont: $CONT (sorts every value; spills to temp files beyond work_mem);"
echo "*_10k: the same per k = g % 10000 (10,000 groups), one row out: max() of the groups' results."
echo "A hash aggregate checks its memory limit (work_mem * hash_mem_multiplier) only when it adds a"
echo "group; states grow in place afterwards.  The sketch aggregates declare SSPACE = 8192 (since 0.3),"
echo "so the hash aggregate admits only as many groups as 8 kB states fit and spills the rest."
