-- checks: csat.threshold_check and csat.rate_check
CREATE EXTENSION csat;
SET extra_float_digits = 0;

-- higher is worse (durations): FRT target "within 180 s", warning from 120 s
SELECT v, csat.threshold_check(v, 120, 180) AS level
FROM (VALUES (0::float8), (119.9), (120), (120.001), (179.999), (180), (180.001),
             ('Infinity'), ('-Infinity'), (-5)) t(v) ORDER BY v;

-- lower is worse (scores): warning below 4.0, breach below 3.5
SELECT v, csat.threshold_check(v, 4.0, 3.5, false) AS level
FROM (VALUES (5::float8), (4.0), (3.99), (3.5), (3.49), ('-Infinity')) t(v) ORDER BY v;

-- equal thresholds: no warning band
SELECT csat.threshold_check(10, 10, 10), csat.threshold_check(10.5, 10, 10),
       csat.threshold_check(9.5, 10, 10, false);
-- infinite thresholds are allowed: "never breach"
SELECT csat.threshold_check(1e300, 1, 'Infinity'), csat.threshold_check(-1e300, -1, '-Infinity', false);

-- NULLs: value, breach or direction NULL -> NULL; NULL warning = no warning level
SELECT csat.threshold_check(NULL, 1, 2) IS NULL AS null_value,
       csat.threshold_check(5, 1, NULL) IS NULL AS null_breach,
       csat.threshold_check(5, 1, 2, NULL) IS NULL AS null_direction,
       csat.threshold_check(1.5, NULL, 2) AS no_warning_ok,
       csat.threshold_check(2.5, NULL, 2) AS no_warning_breach;

-- enum results sort and aggregate as levels
SELECT max(csat.threshold_check(v, 1, 2)) AS worst
FROM (VALUES (0.5::float8), (1.5), (NULL)) t(v);

-- bad inputs
\set VERBOSITY sqlstate
SELECT csat.threshold_check(1, 5, 3);                 -- warning past breach (higher worse)
SELECT csat.threshold_check(1, 3, 5, false);          -- warning past breach (lower worse)
SELECT csat.threshold_check(NULL, 5, 3);              -- checked even for NULL value
SELECT csat.threshold_check(1, 'NaN', 3);
SELECT csat.threshold_check(1, 1, 'NaN');
SELECT csat.threshold_check('NaN', 1, 3);
\set VERBOSITY default
SELECT csat.threshold_check(1, 5, 3);

-- rate_check: complaint rate, warning at 5 %, breach at 10 %, higher is worse
-- Wilson 95 % bounds (independent SQL) decide the level
WITH c(s, n) AS (VALUES (0::bigint, 30::bigint), (3, 30), (6, 30), (9, 30), (15, 100),
                         (150, 1000), (16, 100), (120, 1000), (30, 1000), (1000, 1000), (29, 29)),
     w AS (SELECT s, n, s::float8 / n AS p, 1.959963984540054 AS z FROM c)
SELECT s, n, round(((p + z*z/(2*n) - z * sqrt(p*(1-p)/n + z*z/(4*n*n))) / (1 + z*z/n))::numeric, 4) AS wilson_lower,
       csat.rate_check(s, n, 0.05, 0.10) AS level
FROM w ORDER BY n, s;

-- lower is worse: FRT attainment, warning below 95 %, breach below 90 %
SELECT s, n, csat.rate_check(s, n, 0.95, 0.90, false) AS level
FROM (VALUES (100::bigint, 100::bigint), (97, 100), (93, 100), (85, 100), (850, 1000),
             (940, 1000), (28, 30)) t(s, n) ORDER BY n, s;

-- rate_check agrees with threshold_check of csat.wilson_lower / wilson_upper
-- on every (successes, n) with n in 30..120 and every confidence tried
SELECT count(*) AS windows,
       count(*) FILTER (WHERE csat.rate_check(s, n, 0.05, 0.10, true, 30, conf)
                        IS DISTINCT FROM csat.threshold_check(csat.wilson_lower(s, n, conf), 0.05, 0.10)) AS higher_mismatch,
       count(*) FILTER (WHERE csat.rate_check(s, n, 0.95, 0.90, false, 30, conf)
                        IS DISTINCT FROM csat.threshold_check(csat.wilson_upper(s, n, conf), 0.95, 0.90, false)) AS lower_mismatch
FROM generate_series(30, 120) n, generate_series(0, n) s, unnest(ARRAY[0.8, 0.95, 0.99]) conf;

-- min_samples and confidence
SELECT csat.rate_check(20, 29, 0.05, 0.10) IS NULL AS too_few,
       csat.rate_check(20, 29, 0.05, 0.10, min_samples => 29) AS enough,
       csat.rate_check(0, 0, 0.05, 0.10, min_samples => 0) IS NULL AS empty,
       csat.rate_check(1, 1, 0.05, 0.10, min_samples => 0) AS one_row,
       csat.rate_check(14, 100, 0.05, 0.10, confidence => 0.5) AS loose,
       csat.rate_check(14, 100, 0.05, 0.10, confidence => 0.999) AS strict;
-- huge counts
SELECT csat.rate_check(1000000001, 10000000000, 0.05, 0.10) AS at_breach,
       csat.rate_check(1000100000, 10000000000, 0.05, 0.10) AS past_breach;
-- NULLs
SELECT csat.rate_check(NULL, 100, 0.05, 0.1) IS NULL AS a,
       csat.rate_check(1, NULL, 0.05, 0.1) IS NULL AS b,
       csat.rate_check(1, 100, 0.05, NULL) IS NULL AS c,
       csat.rate_check(1, 100, 0.05, 0.1, NULL) IS NULL AS d,
       csat.rate_check(1, 100, 0.05, 0.1, true, NULL) IS NULL AS e,
       csat.rate_check(1, 100, 0.05, 0.1, true, 30, NULL) IS NULL AS f,
       csat.rate_check(50, 100, NULL, 0.1) AS no_warning;

-- bad inputs
\set VERBOSITY sqlstate
SELECT csat.rate_check(5, 100, 0.2, 0.1);             -- order
SELECT csat.rate_check(5, 100, 0.05, 1.5);            -- rate out of range
SELECT csat.rate_check(5, 100, -0.1, 0.1);
SELECT csat.rate_check(5, 100, 0.05, 'NaN');
SELECT csat.rate_check(-1, 100, 0.05, 0.1);
SELECT csat.rate_check(5, -100, 0.05, 0.1);
SELECT csat.rate_check(101, 100, 0.05, 0.1);
SELECT csat.rate_check(5, 100, 0.05, 0.1, true, -1);
SELECT csat.rate_check(5, 100, 0.05, 0.1, true, 30, 1.0);
SELECT csat.rate_check(5, 100, 0.05, 0.1, true, 30, 0);
SELECT csat.rate_check(5, 100, 0.05, 0.1, true, 30, 'NaN');
SELECT csat.rate_check(NULL, NULL, 0.2, 0.1);         -- checked even without data
\set VERBOSITY default
SELECT csat.rate_check(101, 100, 0.05, 0.1);
SELECT csat.rate_check(5, 100, 0.05, 0.1, true, 30, 1.0);
