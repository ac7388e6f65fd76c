-- guards: csat.percentile_bounds, csat.kpi_bounds, csat.change_bounds against
-- hand-computed bounds, NULLs, errors, and the coverage of the percentile interval
CREATE EXTENSION csat;
SET extra_float_digits = 0;
-- errors as "SQLSTATE: message (detail)", so every bad input shows its code
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(detail, '') || ')', '');
END $$;
-- a float8[] rounded for display
CREATE FUNCTION pg_temp.r(a float8[], d int DEFAULT 4) RETURNS text LANGUAGE sql AS
$$ SELECT '{' || string_agg(CASE WHEN x IS NULL THEN 'NULL' WHEN x IN ('Infinity', '-Infinity') THEN x::text
                                 ELSE round(x::numeric, d)::text END, ',' ORDER BY i) || '}'
     FROM unnest(a) WITH ORDINALITY u(x, i) $$;
-- exact Binomial(n, p) quantile by cumulative sums, ln C(n,k) summed term by term
CREATE FUNCTION pg_temp.qbinom(q float8, n int, p float8) RETURNS int LANGUAGE sql AS $$
  WITH t AS (SELECT k, sum(CASE WHEN k = 0 THEN 0 ELSE ln((n - k + 1)::float8 / k) END) OVER (ORDER BY k) AS lc
               FROM generate_series(0, n) k),
       c AS (SELECT k, sum(exp(greatest(lc + k * ln(p) + (n - k) * ln(1 - p), -700))) OVER (ORDER BY k) AS cdf FROM t)
  SELECT min(k) FROM c WHERE cdf >= q $$;
CREATE TABLE s1000 AS SELECT csat.sla_sketch(x) AS s FROM generate_series(1, 1000) x;

-- ---- percentile_bounds ---------------------------------------------------------
-- ranks of the 95 % interval of p95 with n = 1000, by exact sums: 936 and 963 + 1
SELECT pg_temp.qbinom(0.025, 1000, 0.95) AS lo_rank, pg_temp.qbinom(0.975, 1000, 0.95) + 1 AS hi_rank;
-- the values at those ranks (the sketch's answer at (r - 1/2)/n), widened by alpha = 0.01
SELECT pg_temp.r(csat.percentile_bounds(s, 0.95)) AS bounds,
       pg_temp.r(ARRAY[csat.percentile(s, 935.5 / 1000) / 1.01, csat.percentile(s, 963.5 / 1000) / 0.99]) AS by_hand,
       csat.percentile_bounds(s, 0.95) = ARRAY[csat.percentile(s, 935.5 / 1000) / 1.01,
                                              csat.percentile(s, 963.5 / 1000) / 0.99] AS same,
       (csat.percentile_bounds(s, 0.95))[1] <= 936 AND (csat.percentile_bounds(s, 0.95))[2] >= 964 AS holds_true_ranks
  FROM s1000;
-- the default confidence is 0.95; 0.99 is wider, 0.5 narrower
SELECT csat.percentile_bounds(s, 0.95) = csat.percentile_bounds(s, 0.95, 0.95) AS default_095,
       pg_temp.r(csat.percentile_bounds(s, 0.95, 0.99)) AS c99,
       pg_temp.qbinom(0.005, 1000, 0.95) AS lo_rank_99, pg_temp.qbinom(0.995, 1000, 0.95) + 1 AS hi_rank_99,
       pg_temp.r(csat.percentile_bounds(s, 0.95, 0.5)) AS c50
  FROM s1000;
-- the median of 1..1000 at 95 %: ranks 469 and 531 + 1
SELECT pg_temp.qbinom(0.025, 1000, 0.5) AS lo_rank, pg_temp.qbinom(0.975, 1000, 0.5) + 1 AS hi_rank,
       pg_temp.r(csat.percentile_bounds(s, 0.5)) AS bounds FROM s1000;
-- a rank outside [1, n] is infinite: n = 20, p99 (upper rank 21); n = 5, median (ranks 0 and 6)
SELECT pg_temp.qbinom(0.975, 20, 0.99) + 1 AS hi_rank, pg_temp.r(csat.percentile_bounds(csat.sla_sketch(x), 0.99)) AS n20_p99
  FROM generate_series(1, 20) x;
SELECT pg_temp.qbinom(0.025, 5, 0.5) AS lo_rank, pg_temp.qbinom(0.975, 5, 0.5) + 1 AS hi_rank,
       pg_temp.r(csat.percentile_bounds(csat.sla_sketch(x), 0.5)) AS n5_median FROM generate_series(1, 5) x;
-- ranks 1 and n are the exact min and max (no widening): n = 100, p95 -> ranks [90, 100], p5 -> [1, 11]
SELECT pg_temp.qbinom(0.975, 100, 0.95) + 1 AS hi_rank_p95, pg_temp.qbinom(0.025, 100, 0.05) AS lo_rank_p5,
       pg_temp.r(csat.percentile_bounds(csat.sla_sketch(x * 1.5), 0.95)) AS n100_p95,
       pg_temp.r(csat.percentile_bounds(csat.sla_sketch(x * 1.5), 0.05)) AS n100_p5
  FROM generate_series(1, 100) x;
-- p = 0 and p = 1: the minimum's interval ends at the exact minimum (rank 1), the maximum's starts at the exact maximum (rank n)
SELECT pg_temp.r(csat.percentile_bounds(s, 0)) AS p0, pg_temp.r(csat.percentile_bounds(s, 1)) AS p1 FROM s1000;
-- zeros count exactly: 600 zeros of 1000, the median and its interval are 0; p70's ranks hold values r
SELECT pg_temp.qbinom(0.025, 1000, 0.7) AS lo_rank_p70, pg_temp.qbinom(0.975, 1000, 0.7) + 1 AS hi_rank_p70,
       pg_temp.r(csat.percentile_bounds(csat.sla_sketch(x), 0.5)) AS median, pg_temp.r(csat.percentile_bounds(csat.sla_sketch(x), 0.7)) AS p70
  FROM (SELECT CASE WHEN x <= 600 THEN 0 ELSE x END AS x FROM generate_series(1, 1000) x) v;
-- a coarse sketch (alpha 0.1): bounds widened by 1.1 and 0.9, but never beyond the exact max
SELECT pg_temp.r(csat.percentile_bounds(s, 0.95)) AS coarse,
       pg_temp.r(ARRAY[csat.percentile(s, 0.9355) / 1.1, least(csat.max(s), csat.percentile(s, 0.9635) / 0.9)]) AS by_hand
  FROM (SELECT csat.sla_sketch(x, 0.1) AS s FROM generate_series(1, 1000) x) v;
-- NULL sketch, errors
SELECT csat.percentile_bounds(NULL, 0.95) IS NULL AS null_sketch, csat.percentile_bounds(s, NULL) IS NULL AS null_p FROM s1000;
SELECT pg_temp.err($$SELECT csat.percentile_bounds(s, -0.1) FROM s1000$$);
SELECT pg_temp.err($$SELECT csat.percentile_bounds(s, 1.5) FROM s1000$$);
SELECT pg_temp.err($$SELECT csat.percentile_bounds(s, 'NaN') FROM s1000$$);
SELECT pg_temp.err($$SELECT csat.percentile_bounds(s, 0.95, 0) FROM s1000$$);
SELECT pg_temp.err($$SELECT csat.percentile_bounds(s, 0.95, 1) FROM s1000$$);
SELECT pg_temp.err($$SELECT csat.percentile_bounds(s, 0.95, 'NaN') FROM s1000$$);

-- coverage: 2,000 seeded samples of 300 log-normal durations (mu = 3, sigma = 1,
-- true p95 = exp(3 + 1.6448536) = 104.0635); the 95 % interval must cover it in >= 95 %
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.42);
WITH v AS (SELECT i, exp(3 + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS x
             FROM generate_series(1, 2000) i, generate_series(1, 300) j),
     b AS (SELECT csat.percentile_bounds(csat.sla_sketch(x), 0.95) AS b FROM v GROUP BY i)
SELECT round(avg((b[1] <= exp(3 + 1.6448536) AND exp(3 + 1.6448536) <= b[2])::int), 2) AS coverage,
       avg((b[1] <= exp(3 + 1.6448536) AND exp(3 + 1.6448536) <= b[2])::int) >= 0.95 AS at_least_95,
       count(*) AS samples
  FROM b;
RESET max_parallel_workers_per_gather;

-- ---- kpi_bounds ----------------------------------------------------------------
-- (measure, scale, n, hits, misses, sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch, statistic, confidence)
-- share 45/50: Wilson, as csat.wilson_lower/upper
SELECT pg_temp.r(csat.kpi_bounds('share', NULL, 50, 45, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS share,
       csat.kpi_bounds('share', NULL, 50, 45, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.9)
         = ARRAY[0.9, csat.wilson_lower(45, 50, 0.9), csat.wilson_upper(45, 50, 0.9)] AS as_wilson_90;
-- ratio 10 complaints per 5000 orders, scale 1000: 2 per 1000; Garwood for 10 is
-- [qchisq(.025, 20)/2, qchisq(.975, 22)/2] = [4.795389, 18.390356], times 1000/5000
SELECT pg_temp.r(csat.kpi_bounds('ratio', 1000, 5000, 10, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95), 6) AS ratio,
       pg_temp.r(ARRAY[2, 4.795389 / 5, 18.390356 / 5], 6) AS by_hand;
-- a ratio above 1 (3 complaints per order) is fine
SELECT pg_temp.r(csat.kpi_bounds('ratio', 1, 4, 12, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS ratio_above_1;
-- count: Garwood of n; 0 -> [0, -ln 0.025 = 3.688879]; 1 -> [-ln 0.975 = 0.025318, 5.571643]
SELECT pg_temp.r(csat.kpi_bounds('count', NULL, 10, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95), 6) AS count10,
       pg_temp.r(csat.kpi_bounds('count', NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95), 6) AS count0,
       pg_temp.r(csat.kpi_bounds('count', NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95), 6) AS count1;
-- mean of 1..5 (unit weights): 3 +/- t(.975, 4) * stddev_samp / sqrt(5) = 3 +/- 2.776445 * 0.707107
SELECT pg_temp.r(csat.kpi_bounds('mean', NULL, 5, NULL, NULL, 5, 15, 55, 5, NULL, NULL, NULL, NULL, 0.95), 5) AS mean,
       pg_temp.r(ARRAY[avg(x), avg(x) - 2.776445 * stddev_samp(x) / sqrt(5), avg(x) + 2.776445 * stddev_samp(x) / sqrt(5)], 5) AS by_hand
  FROM generate_series(1, 5) x;
-- weighted mean, weights 2 on 1..4: Kish's neff = 8^2/16 = 4, df 3, t = 3.182446:
-- the same interval as the unweighted mean of 1..4, 2.5 +/- 3.182446 * 1.290994 / 2
SELECT pg_temp.r(csat.kpi_bounds('weighted_mean', NULL, 4, NULL, NULL, 8, 20, 60, 16, NULL, NULL, NULL, NULL, 0.95), 5) AS wmean,
       pg_temp.r(ARRAY[2.5, 2.5 - 3.182446 * 1.2909944 / 2, 2.5 + 3.182446 * 1.2909944 / 2], 5) AS by_hand;
-- unequal weights 1,1,2,2 on 1..4: neff = 36/10 = 3.6 (df 2.6); one heavy weight: neff <= 1, no interval
SELECT pg_temp.r(csat.kpi_bounds('weighted_mean', NULL, 4, NULL, NULL, 6, 17, 55, 10, NULL, NULL, NULL, NULL, 0.95), 5) AS neff_3_6,
       pg_temp.r(csat.kpi_bounds('weighted_mean', NULL, 1, NULL, NULL, 3, 6, 12, 9, NULL, NULL, NULL, NULL, 0.95)) AS neff_1,
       pg_temp.r(csat.kpi_bounds('mean', NULL, 3, NULL, NULL, 3, 6, NULL, 3, NULL, NULL, NULL, NULL, 0.95)) AS no_squares;
-- nps: 50 promoters, 20 detractors of 100: 30 +/- 100 * 1.959964 * sqrt((0.7 - 0.09) / 100)
SELECT pg_temp.r(csat.kpi_bounds('nps', NULL, 100, NULL, NULL, NULL, NULL, NULL, NULL, 50, 20, NULL, NULL, 0.95)) AS nps,
       pg_temp.r(ARRAY[30, 30 - 100 * 1.959964 * sqrt(0.61 / 100), 30 + 100 * 1.959964 * sqrt(0.61 / 100)]) AS by_hand,
       pg_temp.r(csat.kpi_bounds('nps', NULL, 3, NULL, NULL, NULL, NULL, NULL, NULL, 3, 0, NULL, NULL, 0.95)) AS all_promoters;
-- durations: percentiles as percentile_bounds (NULL statistic = p95), the value as csat.percentile
SELECT csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, 'p95', 0.95)
         = csat.percentile(s, 0.95) || csat.percentile_bounds(s, 0.95) AS p95,
       csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, NULL, 0.95)
         = csat.percentile(s, 0.95) || csat.percentile_bounds(s, 0.95) AS null_is_p95,
       csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, 'p50', 0.9)
         = csat.percentile(s, 0.5) || csat.percentile_bounds(s, 0.5, 0.9) AS p50,
       csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, 'p90', 0.95)
         = csat.percentile(s, 0.9) || csat.percentile_bounds(s, 0.9) AS p90,
       pg_temp.r(csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, 'p99', 0.95)) AS p99
  FROM s1000;
-- duration mean of 1..5 s (same t interval as above), attainment 90 of 100 (Wilson)
SELECT pg_temp.r(csat.kpi_bounds('duration', NULL, 5, NULL, NULL, NULL, 15, 55, NULL, NULL, NULL, NULL, 'mean', 0.95), 5) AS dmean,
       csat.kpi_bounds('duration', NULL, 100, 90, 10, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'attainment', 0.95)
         = ARRAY[0.9, csat.wilson_lower(90, 100), csat.wilson_upper(90, 100)] AS attainment;
-- confidence NULL: the raw value three times
SELECT pg_temp.r(csat.kpi_bounds('share', NULL, 50, 45, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) AS share,
       pg_temp.r(csat.kpi_bounds('weighted_mean', NULL, 1, NULL, NULL, 3, 6, 12, 9, NULL, NULL, NULL, NULL, NULL)) AS wmean,
       pg_temp.r(csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, 'p99', NULL)) AS p99,
       csat.kpi_bounds('duration', NULL, 1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, 'p99', NULL)
         = ARRAY[csat.percentile(s, 0.99), csat.percentile(s, 0.99), csat.percentile(s, 0.99)] AS p99_raw
  FROM s1000;
-- no items or missing fields: NULLs, as csat.kpi_figures
SELECT pg_temp.r(csat.kpi_bounds('share', NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS share_n0,
       pg_temp.r(csat.kpi_bounds('ratio', 1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS ratio_n0,
       pg_temp.r(csat.kpi_bounds('mean', NULL, 0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0.95)) AS mean_n0,
       pg_temp.r(csat.kpi_bounds('nps', NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, 0.95)) AS nps_n0,
       pg_temp.r(csat.kpi_bounds('duration', NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'p95', 0.95)) AS p95_empty,
       pg_temp.r(csat.kpi_bounds('duration', NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'attainment', 0.95)) AS att_empty,
       pg_temp.r(csat.kpi_bounds('share', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS null_state,
       pg_temp.r(csat.kpi_bounds(NULL, NULL, 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS null_measure,
       pg_temp.r(csat.kpi_bounds('ratio', NULL, 5, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)) AS null_scale;
-- errors
SELECT pg_temp.err($$SELECT csat.kpi_bounds('median', NULL, 5, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.95)$$);
SELECT pg_temp.err($$SELECT csat.kpi_bounds('duration', NULL, 5, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'p80', 0.95)$$);
SELECT pg_temp.err($$SELECT csat.kpi_bounds('share', NULL, 5, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1)$$);
SELECT pg_temp.err($$SELECT csat.kpi_bounds('share', NULL, 5, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -0.5)$$);
SELECT pg_temp.err($$SELECT csat.kpi_bounds('share', NULL, 5, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN')$$);

-- ---- change_bounds -------------------------------------------------------------
-- Newcombe (1998) example: 56/70 against 48/80, difference 0.2, hybrid score interval 0.0524 .. 0.3339
SELECT pg_temp.r(csat.change_bounds(0.8, csat.wilson_lower(56, 70), csat.wilson_upper(56, 70),
                                    0.6, csat.wilson_lower(48, 80), csat.wilson_upper(48, 80), false)) AS difference;
-- relative: MOVER-R of 0.8/0.6 (Donner & Zou 2012, hand computation 1.078295 .. 1.662920), minus 1
SELECT pg_temp.r(csat.change_bounds(0.8, csat.wilson_lower(56, 70), csat.wilson_upper(56, 70),
                                    0.6, csat.wilson_lower(48, 80), csat.wilson_upper(48, 80), true), 6) AS relative;
-- an exact numerator gives v1/u0 - 1 and v1/l0 - 1: 2 against 4 in [2, 5] -> [-0.6, 0]
SELECT pg_temp.r(csat.change_bounds(2, 2, 2, 4, 2, 5, true)) AS exact_numerator;
-- a baseline that may be zero: no upper end; v0 <= 0 or v1 < 0: NULL; infinite sides propagate
SELECT pg_temp.r(csat.change_bounds(2, 1, 3, 4, 0, 8, true)) AS l0_zero,
       csat.change_bounds(2, 1, 3, 0, 0, 1, true) IS NULL AS v0_zero,
       csat.change_bounds(-1, -2, 0, 1, 0.5, 1.5, true) IS NULL AS v1_negative,
       pg_temp.r(csat.change_bounds(100, 80, 'Infinity', 90, '-Infinity', 95, false)) AS infinite_diff,
       csat.change_bounds(1, NULL, 2, 1, 0, 2, false) IS NULL AS strict;
-- a p95 up from 90 s [85, 96] to 120 s [110, 140]: up by 30 s, at least 30 - sqrt(10^2 + 6^2)
SELECT pg_temp.r(csat.change_bounds(120, 110, 140, 90, 85, 96, false)) AS p95_diff,
       pg_temp.r(ARRAY[30, 30 - sqrt(100 + 36), 30 + sqrt(400 + 25)]) AS by_hand;

-- ---- kpi_rule: the rule that grades a KPI row -----------------------------------
-- the most specific enabled rule of the kind: both scope columns, then the
-- segment, then the channel (the watch triggers' order), then neither, then the
-- first name; NULL scope columns (totals) match only rules without them
INSERT INTO csat.rules (name, metric, applies_to, channel, segment, warning, breach, higher_is_worse, unit) VALUES
  ('t all', 'test_kpi', 'kpi', NULL, NULL, 0.9, 0.8, false, 'fraction'),
  ('t chat', 'test_kpi', 'kpi', 'chat', NULL, 0.9, 0.8, false, 'fraction'),
  ('t vip', 'test_kpi', 'kpi', NULL, 'vip', 0.9, 0.8, false, 'fraction'),
  ('a chat vip', 'test_kpi', 'kpi', 'chat', 'vip', 0.9, 0.8, false, 'fraction'),
  ('t rows email', 'test_kpi', 'rows', 'email', NULL, 60, 120, true, 'seconds');
SELECT c, s, csat.kpi_rule('kpi', 'test_kpi', c, s) AS kpi_rule, csat.kpi_rule('rows', 'test_kpi', c, s) AS rows_rule
  FROM (VALUES ('chat', 'vip'), ('chat', 'new'), ('email', 'vip'), ('email', 'new'), ('chat', NULL),
               (NULL, 'vip'), (NULL, NULL)) v(c, s);
-- a disabled rule is passed over: chat/vip falls to the segment rule 't vip', not to
-- 't chat' (the first name)
UPDATE csat.rules SET enabled = false WHERE name = 'a chat vip';
SELECT csat.kpi_rule('kpi', 'test_kpi', 'chat', 'vip') AS tie,
       csat.kpi_rule('kpi', 'other_kpi', 'chat', 'vip') IS NULL AS other_metric,
       csat.kpi_rule(NULL, 'test_kpi', 'chat', 'vip') IS NULL AS null_kind,
       csat.kpi_rule('kpi', NULL, 'chat', 'vip') IS NULL AS null_metric;
SELECT csat.kpi_rule('kpi', 'test_kpi', 'chat', 'new') AS channel_only, csat.kpi_rule('kpi', 'test_kpi', 'email', 'vip') AS segment_only;
-- a statement reads the rules once: every row of it sees the same rule
SELECT count(DISTINCT csat.kpi_rule('kpi', 'test_kpi', 'email', 'vip')) AS one_rule FROM generate_series(1, 1000);
DELETE FROM csat.rules WHERE metric = 'test_kpi';
