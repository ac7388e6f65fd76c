#!/usr/bin/env bash
# Bounded memory: GROUP BY over 1M groups of sketches under work_mem = 1MB
# spills the hash aggregate to disk (concrete states can be written out)
# instead of growing the backend, and gives the same result as a sort-based
# plan.
set -euo pipefail
psql -qX -v ON_ERROR_STOP=1 <<'SQL' | tee "${CSAT_TMP:-/tmp}/spill.out"
CREATE EXTENSION csat;
CREATE TABLE d AS SELECT g % 1000000 AS k, (g::bigint * 7919 % 3600)::float8 AS s FROM generate_series(1, 2000000) g;
ANALYZE d;
SET work_mem = '1MB';
SET max_parallel_workers_per_gather = 0;
SET enable_sort = off;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT k, csat.sla_sketch(s) FROM d GROUP BY k;
CREATE TABLE h AS SELECT k, csat.percentile(csat.sla_sketch(s), 0.5) AS p50, csat.count(csat.sla_sketch(s)) AS n FROM d GROUP BY k;
RESET enable_sort;
SET enable_hashagg = off;
CREATE TABLE o AS SELECT k, csat.percentile(csat.sla_sketch(s), 0.5) AS p50, csat.count(csat.sla_sketch(s)) AS n FROM d GROUP BY k;
SELECT (SELECT count(*) FROM h) AS groups,
       (SELECT count(*) FROM (SELECT * FROM h EXCEPT SELECT * FROM o) x) AS differing,
       (SELECT sum(n) FROM h) AS rows_counted;
SQL
grep -Eq 'Batches: ([2-9]|[1-9][0-9]+)' "${CSAT_TMP:-/tmp}/spill.out"
grep -Eq 'Disk Usage: [1-9]' "${CSAT_TMP:-/tmp}/spill.out"
grep -Eq '^ +1000000 \| +0 \| +2000000$' "${CSAT_TMP:-/tmp}/spill.out"

# Few groups whose states grow after they were admitted: 10k groups of 100
# spread-out values each, under work_mem = 4MB.  The states' size estimate
# (SSPACE) must make the hash aggregate spill rather than hold 10k grown
# states (about 130 MB without it).
psql -qX -v ON_ERROR_STOP=1 <<'SQL' | tee "${CSAT_TMP:-/tmp}/spill_grow.out"
CREATE TABLE g AS SELECT x % 10000 AS k, exp((x::bigint * 7919 % 1000) / 40.0) AS s FROM generate_series(1, 1000000) x;
ANALYZE g;
SET work_mem = '4MB';
SET max_parallel_workers_per_gather = 0;
SET enable_sort = off;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT k, csat.sla_sketch(s) FROM g GROUP BY k;
SQL
mem=$(sed -n 's/.*Memory Usage: \([0-9]*\)kB.*/\1/p' "${CSAT_TMP:-/tmp}/spill_grow.out" | head -1)
echo "10k growing groups: hash aggregate peak memory ${mem} kB under work_mem = 4MB"
grep -Eq 'Batches: ([2-9]|[1-9][0-9]+)' "${CSAT_TMP:-/tmp}/spill_grow.out"
[ "$mem" -le 16384 ]
