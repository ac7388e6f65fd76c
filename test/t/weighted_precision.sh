#!/usr/bin/env bash
# csat.weighted_score on 10M rows agrees with the same formula computed in
# numeric to 1e-12 relative, serially and in a parallel plan, including a data
# set built so that naive float8 summation drifts (a weight of 2^53 followed by
# 10M unit weights, whose additions a naive sum rounds away: naive is off by
# 1.1e-9 there).
set -euo pipefail
psql -qX -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION csat;
SELECT setseed(0.17);
CREATE TABLE r AS SELECT random() * 5 AS s, random() * 1000 AS w FROM generate_series(1, 10000000);
CREATE TABLE adv AS SELECT 1::float8 AS s, 9007199254740992::float8 AS w
                    UNION ALL SELECT 2, 1 FROM generate_series(1, 10000000);
ANALYZE r; ANALYZE adv;
CREATE TEMP TABLE exact AS
SELECT 'r' AS t, sum(s::numeric * w::numeric) / sum(w::numeric) AS v FROM r
UNION ALL
SELECT 'adv', sum(s::numeric * w::numeric) / sum(w::numeric) FROM adv;
-- (INSERT ... SELECT never runs in parallel; CREATE TABLE AS does)
SET max_parallel_workers_per_gather = 0;
CREATE TABLE got_r_s AS SELECT 'r'::text AS t, 'serial'::text AS mode, csat.weighted_score(s, w) AS csat, sum(s * w) / sum(w) AS naive FROM r;
CREATE TABLE got_a_s AS SELECT 'adv'::text AS t, 'serial'::text AS mode, csat.weighted_score(s, w) AS csat, sum(s * w) / sum(w) AS naive FROM adv;
SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) CREATE TABLE got_r_p AS SELECT csat.weighted_score(s, w) FROM r;
CREATE TABLE got_r_p AS SELECT 'r'::text AS t, 'parallel'::text AS mode, csat.weighted_score(s, w) AS csat, sum(s * w) / sum(w) AS naive FROM r;
CREATE TABLE got_a_p AS SELECT 'adv'::text AS t, 'parallel'::text AS mode, csat.weighted_score(s, w) AS csat, sum(s * w) / sum(w) AS naive FROM adv;
CREATE VIEW got AS SELECT * FROM got_r_s UNION ALL SELECT * FROM got_a_s UNION ALL SELECT * FROM got_r_p UNION ALL SELECT * FROM got_a_p;
\pset footer off
SELECT g.t, g.mode, round(abs(g.csat::text::numeric / e.v - 1), 20) AS csat_rel_err,
       round(abs(g.naive::text::numeric / e.v - 1), 20) AS naive_rel_err
  FROM got g JOIN exact e USING (t) ORDER BY 1, 2;
DO $$
BEGIN
  IF EXISTS (SELECT FROM got g JOIN exact e USING (t) WHERE abs(g.csat::text::numeric / e.v - 1) >= 1e-12) THEN
    RAISE EXCEPTION 'weighted_score is off by more than 1e-12 relative';
  END IF;
END $$;
SQL
