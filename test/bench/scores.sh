#!/usr/bin/env bash
# Benchmark of the score aggregates: median time of each aggregate over N rows
# (default 10,000,000), its ratio to the column floor (count() of the same
# columns, the least any aggregate reading them can cost) and to the equivalent
# plain SQL, with parallel workers off (0) and on (2).
#   test/bench/scores.sh [N] [RUNS]
# Not a pass/fail test: it prints figures.  Starts its own throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
N=${1:-10000000}
RUNS=${2:-5}

ensure_packages $(csat_pg_packages) gcc make
csat_lock
build_and_install
DIR=$(mktemp -d /tmp/csat-bench.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
start_cluster "$DIR" "shared_buffers = '2GB'" "work_mem = '64MB'" "max_parallel_workers_per_gather = 2" "jit = off"

psql -qX -o /dev/null -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION csat;
SELECT setseed(0.42);
CREATE TABLE bench AS
SELECT (1 + floor(random() * 5))::int AS score,
       floor(random() * 11)::int AS nps,
       random() * 3 AS weight,
       random() < 0.03 AS flag,
       -ln(1 - random()) * 120 AS frt
  FROM generate_series(1, $N);
VACUUM ANALYZE bench;
SQL

# time3 W Q1 Q2 Q3 -> "m1 m2 m3": median milliseconds of each query over RUNS
# rounds (after a warm-up round); the three run interleaved within each round
# so that load from elsewhere on the machine hits all of them alike.
time3() {
	local w=$1; shift
	{
		echo "SET max_parallel_workers_per_gather = $w;"
		echo '\timing on'
		for _ in $(seq 0 "$RUNS"); do printf '%s;\n' "$@"; done
	} | psql -qX -o /dev/null -v ON_ERROR_STOP=1 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n +4 \
		| awk -v k=$# '{ v[(NR - 1) % k, int((NR - 1) / k)] = $1; n = int((NR - 1) / k) + 1 }
			END { for (i = 0; i < k; i++) { for (j = 0; j < n; j++) a[j] = v[i, j];
			  for (x = 0; x < n; x++) for (y = x + 1; y < n; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
			  printf "%s ", (n % 2) ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2 } print "" }'
}

bench() { # name floor-query csat-query plain-query
	local w f c p
	for w in 0 2; do
		read -r f c p < <(time3 $w "SELECT $2 FROM bench" "SELECT $3 FROM bench" "SELECT $4 FROM bench")
		awk -v n="$1" -v w=$w -v c="$c" -v f="$f" -v p="$p" \
			'BEGIN { printf "%-16s %3s %10.0f %10.0f %10.0f %11.2fx %11.2fx\n", n, w, c, f, p, c / f, c / p }'
	done
}
echo "N = $N rows, median of $RUNS runs; floor = count() of the same columns; wrk = max_parallel_workers_per_gather"
printf '%-16s %3s %10s %10s %10s %12s %12s\n' aggregate wrk csat_ms floor_ms plain_ms vs_floor vs_plain
bench csat_rate      "count(score)"               "csat.csat_rate(score)"          "avg((score >= 4)::int)"
bench nps            "count(nps)"                 "csat.nps(nps)"                  "100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / count(nps)"
bench rate           "count(flag)"                "csat.rate(flag)"                "avg(flag::int)"
bench sla_attainment "count(frt)"                 "csat.sla_attainment(frt, 180)"  "avg((frt <= 180)::int)"
bench weighted_score "count(score), count(weight)" "csat.weighted_score(score, weight)" "sum(score * weight) / sum(weight)"
