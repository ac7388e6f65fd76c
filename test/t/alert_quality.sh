#!/usr/bin/env bash
# alert_quality: measures how trustworthy csat.rate_check's breach alerts are.
# Windows (successes, n) are sampled from binomials with known true rates at
# 0.5x, 0.75x, 0.9x and 2x the breach threshold (10 %, warning 5 %, higher is
# worse) and n in {100, 300, 1000}, 400 windows each, with a fixed seed.
#   precision = share of "breach" results whose true rate is past the threshold
#   recall    = share of 2x-truth windows with n >= 300 flagged "breach"
# Asserts, at rate_check's defaults: precision >= 95 %, recall >= 90 %, and a
# better precision than the naive threshold_check(successes / n).
set -euo pipefail

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION csat;
SET max_parallel_workers_per_gather = 0;   -- deterministic random() order
SELECT setseed(0.4242) \g /dev/null

CREATE TEMP TABLE windows AS
SELECT f AS truth_factor, n, w,
       (SELECT count(*) FROM generate_series(1, n) WHERE random() < 0.10 * f) AS successes
FROM unnest(ARRAY[0.5, 0.75, 0.9, 2.0]) f, unnest(ARRAY[100, 300, 1000]) n, generate_series(1, 400) w;

CREATE TEMP TABLE graded AS
SELECT truth_factor, n, truth_factor > 1 AS truly_past,
       csat.rate_check(successes, n, 0.05, 0.10) = 'breach' AS wilson_breach,
       csat.threshold_check(successes::float8 / n, 0.05, 0.10) = 'breach' AS naive_breach
FROM windows;

\echo 'share of windows flagged breach, by true rate (x breach threshold) and n'
SELECT truth_factor, n, round(avg(wilson_breach::int), 3) AS rate_check,
       round(avg(naive_breach::int), 3) AS naive
FROM graded GROUP BY 1, 2 ORDER BY 1, 2;

CREATE TEMP TABLE quality AS
SELECT method,
       round(100.0 * count(*) FILTER (WHERE flagged AND truly_past) / nullif(count(*) FILTER (WHERE flagged), 0), 2) AS precision_pct,
       round(100.0 * count(*) FILTER (WHERE flagged AND truly_past AND n >= 300)
             / count(*) FILTER (WHERE truly_past AND n >= 300), 2) AS recall_pct,
       count(*) FILTER (WHERE flagged) AS alerts,
       count(*) FILTER (WHERE flagged AND NOT truly_past) AS false_alerts
FROM (SELECT 'rate_check' AS method, wilson_breach AS flagged, truly_past, n FROM graded
      UNION ALL
      SELECT 'naive threshold_check', naive_breach, truly_past, n FROM graded) g
GROUP BY method;
SELECT * FROM quality ORDER BY method;

DO $$
DECLARE
  w record;
  nv record;
BEGIN
  SELECT * INTO w FROM quality WHERE method = 'rate_check';
  SELECT * INTO nv FROM quality WHERE method = 'naive threshold_check';
  IF w.precision_pct < 95 THEN RAISE EXCEPTION 'rate_check precision % %% < 95 %%', w.precision_pct; END IF;
  IF w.recall_pct < 90 THEN RAISE EXCEPTION 'rate_check recall % %% < 90 %%', w.recall_pct; END IF;
  IF w.precision_pct <= nv.precision_pct THEN
    RAISE EXCEPTION 'rate_check precision % %% not better than naive % %%', w.precision_pct, nv.precision_pct;
  END IF;
END $$;
SQL
echo "alert quality: targets met"
