-- sketch: csat.sketch, its aggregates and accessors
CREATE EXTENSION csat;
SET extra_float_digits = 0;
-- errors as "SQLSTATE: message", so every bad input shows its code
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

-- ---- hand-checked small cases -----------------------------------------------------
-- k = 1/ln(1.01/0.99) = 49.9933; bucket i = ceil(k L(x)), L(2^e m) = e + m - 1: 1 -> 0, 2.5 -> ceil(62.49) = 63, 4 -> 100; one zero
SELECT csat.sla_sketch(x) FROM (VALUES (0), (1), (2.5), (4), (NULL)) v(x);
SELECT csat.count(s), csat.mean(s), csat.min(s), csat.max(s),
       csat.percentile(s, 0) AS p0, csat.percentile(s, 0.25) AS p25,
       round(csat.percentile(s, 0.5)::numeric, 6) AS p50,   -- rank 2 of 4: 1, bucket 0 = (0.99, 1], harmonic mean 0.994975
       round(csat.percentile(s, 0.75)::numeric, 6) AS p75,  -- rank 3: 2.5, bucket 63 = (2.480083, 2.520084] -> 2.499923
       csat.percentile(s, 1) AS p100,
       csat.percentile(s, ARRAY[0, 0.25, 1]) AS arr,
       csat.percentile(s, ARRAY[[0, NULL], [1, 0]]::float8[]) AS arr2d,
       csat.percentile(s, '{}'::float8[]) AS arr0
  FROM (SELECT csat.sla_sketch(x) AS s FROM (VALUES (0), (1), (2.5), (4)) v(x)) t;
-- interval input: seconds as EXTRACT(EPOCH) (1 mon = 30 days), interval output
SELECT csat.sla_sketch(x) FROM (VALUES (interval '90 seconds'), (interval '1 day')) v(x);
SELECT csat.sla_percentile(x, 0.5), csat.sla_percentile(x, 1), csat.sla_percentile(x, 0)
  FROM (VALUES (interval '90 seconds'), (interval '1 day'), (interval '1 mon')) v(x);
-- relative accuracy
SELECT csat.sla_sketch(x, 0.1) FROM (VALUES (1), (10), (100)) v(x);
SELECT round(csat.percentile(csat.sla_sketch(x, 0.1), 0.5)::numeric, 6) AS within_10pct_of_10
  FROM (VALUES (1), (10), (100)) v(x);
-- empty input, all NULL, one row
SELECT csat.sla_sketch(x) IS NULL AS empty, csat.sla_percentile(x, 0.5) IS NULL AS empty_p,
       csat.sla_percentile(x, ARRAY[0.5]) IS NULL AS empty_arr
  FROM (VALUES (1.0)) v(x) WHERE false;
SELECT csat.sla_sketch(x) IS NULL AS all_null, csat.rollup(NULL::csat.sketch) IS NULL AS rollup_null
  FROM (VALUES (NULL::float8), (NULL)) v(x);
SELECT csat.sla_percentile(x, 0.5), csat.sla_percentile(x, ARRAY[0, 0.5, 1]),
       csat.sla_percentile(x, '{}'::float8[]) FROM (VALUES (7.25)) v(x);
-- -0 is a zero; only zeros
SELECT csat.sla_sketch(x) FROM (VALUES ('-0'::float8), (0)) v(x);
-- attainment: exact at and above max and below min; conservative in between
SELECT csat.attainment(s, 4) AS at_max, csat.attainment(s, 100) AS above, csat.attainment(s, 0) AS at_zero,
       csat.attainment(s, 1) AS at_1, csat.attainment(s, 3) AS at_3
  FROM (SELECT csat.sla_sketch(x) AS s FROM (VALUES (0), (1), (2.5), (4)) v(x)) t;
SELECT csat.attainment(csat.sla_sketch(x), 0.5) AS below_min FROM (VALUES (1), (2)) v(x);

-- ---- the guarantee against percentile_disc on several distributions -----------------
SELECT setseed(0.42);
CREATE TABLE d (dist text, day int, x float8);
INSERT INTO d SELECT 'lognormal', g % 30, exp(4 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
  FROM generate_series(1, 20000) g;
INSERT INTO d SELECT 'bimodal', g % 30, CASE WHEN random() < 0.7 THEN 20 + 40 * random()      -- chat
                                              ELSE 3600 * (1 + 23 * random()) END           -- email
  FROM generate_series(1, 20000) g;
INSERT INTO d SELECT 'heavy', g % 30, 1 / (1 - random()) ^ 1.5 FROM generate_series(1, 20000) g;
INSERT INTO d SELECT 'zeros', g % 30, CASE WHEN random() < 0.6 THEN 0 ELSE 300 * random() END
  FROM generate_series(1, 20000) g;
INSERT INTO d SELECT 'one', g % 30, 42.5 FROM generate_series(1, 100) g;
INSERT INTO d SELECT 'two', g % 30, CASE WHEN g % 2 = 0 THEN 1 ELSE 1000 END FROM generate_series(1, 10) g;
INSERT INTO d SELECT 'whole', g % 30, g FROM generate_series(1, 1000) g;
INSERT INTO d VALUES ('single', 0, 3.75);
INSERT INTO d SELECT dist, day, NULL FROM d WHERE day = 3;     -- NULLs are skipped
CREATE TABLE ps AS SELECT unnest('{0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1}'::float8[]) AS p;
WITH ex AS (SELECT dist, p, percentile_disc(p) WITHIN GROUP (ORDER BY x) AS x FROM d, ps GROUP BY dist, p),
     sk AS (SELECT dist, csat.sla_sketch(x) AS s FROM d GROUP BY dist),
     pc AS (SELECT dist, p, csat.sla_percentile(x, p) AS v FROM d, ps GROUP BY dist, p)
SELECT ex.dist, ex.p, round(ex.x::numeric, 6) AS exact,
       abs(csat.percentile(s, ex.p) - ex.x) <= 0.01 * ex.x * (1 + 1e-9) AS within_alpha,
       pc.v = csat.percentile(s, ex.p) AS agg_equals_sketch,
       (ex.p IN (0, 1)) <= (pc.v = ex.x) AS ends_exact
  FROM ex JOIN sk USING (dist) JOIN pc USING (dist, p)
 ORDER BY 1, 2;
-- the array form answers the same; count, min, max exact; mean within rounding
SELECT dist,
       csat.sla_percentile(x, ARRAY(SELECT p FROM ps ORDER BY p)) =
         ARRAY(SELECT csat.percentile(csat.sla_sketch(d2.x), p) FROM d d2, ps WHERE d2.dist = d.dist GROUP BY p ORDER BY p) AS array_same,
       csat.count(csat.sla_sketch(x)) = count(x) AS count_exact,
       csat.min(csat.sla_sketch(x)) = min(x) AND csat.max(csat.sla_sketch(x)) = max(x) AS minmax_exact,
       abs(csat.mean(csat.sla_sketch(x)) - avg(x)) <= 1e-9 * avg(x) AS mean_ok
  FROM d GROUP BY dist ORDER BY dist;
-- attainment bound: share(<= t/gamma) <= attainment <= share(<= t)
WITH t AS (SELECT dist, t FROM (VALUES ('lognormal', 30.0), ('lognormal', 55.0), ('lognormal', 300.0),
                                       ('bimodal', 60.0), ('bimodal', 4000.0), ('zeros', 0.0), ('zeros', 150.0),
                                       ('whole', 500.0), ('two', 1.0), ('two', 999.0)) v(dist, t))
SELECT t.dist, t.t, round(csat.attainment(csat.sla_sketch(x), t.t)::numeric, 6) AS attainment,
       round(avg((x <= t.t)::int)::numeric, 6) AS exact,
       csat.attainment(csat.sla_sketch(x), t.t) BETWEEN avg((x <= t.t / (1.01 / 0.99))::int) AND avg((x <= t.t)::int) AS bounded
  FROM t JOIN d USING (dist) WHERE x IS NOT NULL GROUP BY t.dist, t.t ORDER BY 1, 2;

-- ---- rollup of daily sketches equals the sketch of the month -------------------------
CREATE TABLE daily AS SELECT dist, day, csat.sla_sketch(x) AS s FROM d GROUP BY dist, day;
SELECT dist, regexp_replace(r::text, ' sum=\S+', '') = regexp_replace(m::text, ' sum=\S+', '') AS same_buckets,
       csat.count(r) AS n, abs(csat.mean(r) - csat.mean(m)) <= 1e-9 * csat.mean(m) AS same_mean,
       csat.percentile(r, ARRAY[0.5, 0.95, 0.99]) = csat.percentile(m, ARRAY[0.5, 0.95, 0.99]) AS same_percentiles
  FROM (SELECT dist, csat.rollup(s) AS r FROM daily GROUP BY dist) a
  JOIN (SELECT dist, csat.sla_sketch(x) AS m FROM d GROUP BY dist) b USING (dist)
 ORDER BY 1;
-- rollup of rollups (weekly then monthly), any order
SELECT regexp_replace(csat.rollup(w)::text, ' sum=\S+', '') = regexp_replace((SELECT csat.sla_sketch(x) FROM d WHERE dist = 'bimodal')::text, ' sum=\S+', '') AS weeks_to_month
  FROM (SELECT csat.rollup(s ORDER BY day DESC) AS w FROM daily WHERE dist = 'bimodal' GROUP BY day / 7) t;
-- a sketch of 20000 durations is small on disk
SELECT dist, pg_column_size(csat.sla_sketch(x)) < 8192 AS under_8kb FROM d GROUP BY dist ORDER BY dist;

-- ---- parallel plan equals serial plan --------------------------------------------------
CREATE TABLE big AS
  SELECT g % 24 AS hour, CASE WHEN g % 10 = 0 THEN 0 ELSE exp((g::bigint * 7919 % 10007) / 1000.0) END AS x
    FROM generate_series(1, 300000) g;
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET extra_float_digits = 1;   -- shortest exact floats: the comparisons below are exact
EXPLAIN (COSTS OFF) SELECT csat.sla_sketch(x), csat.sla_percentile(x, 0.95), csat.sla_percentile(x, ARRAY[0.5, 0.99]) FROM big;
-- the plan as run, alike on every major (18 shows buffers by default, and rows with decimals)
CREATE FUNCTION pg_temp.analyzed(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END
$$;
SELECT pg_temp.analyzed('SELECT csat.sla_sketch(x) FROM big') AS "QUERY PLAN";
SELECT regexp_replace(csat.sla_sketch(x)::text, ' sum=\S+', '') AS par_s, csat.sla_percentile(x, 0.95)::text AS par_p,
       csat.sla_percentile(x, ARRAY[0.5, 0.99])::text AS par_arr, round(csat.mean(csat.sla_sketch(x))::numeric, 6) AS par_mean
  FROM big \gset
EXPLAIN (COSTS OFF) SELECT hour, csat.sla_percentile(x, ARRAY[0.5, 0.95]) FROM big GROUP BY hour;
SELECT string_agg(hour || ':' || p::text, ';' ORDER BY hour) AS par_grouped
  FROM (SELECT hour, csat.sla_percentile(x, ARRAY[0.5, 0.95]) AS p FROM big GROUP BY hour) t \gset
CREATE TABLE hourly AS SELECT hour, csat.sla_sketch(x) AS s FROM big GROUP BY hour;
EXPLAIN (COSTS OFF) SELECT csat.rollup(s) FROM hourly;
SELECT regexp_replace(csat.rollup(s)::text, ' sum=\S+', '') AS par_rollup FROM hourly \gset
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT csat.sla_sketch(x) FROM big;
SELECT regexp_replace(csat.sla_sketch(x)::text, ' sum=\S+', '') = :'par_s' AS same_sketch,
       csat.sla_percentile(x, 0.95)::text = :'par_p' AS same_p95,
       csat.sla_percentile(x, ARRAY[0.5, 0.99])::text = :'par_arr' AS same_array,
       round(csat.mean(csat.sla_sketch(x))::numeric, 6) = :par_mean AS same_mean
  FROM big;
SELECT string_agg(hour || ':' || p::text, ';' ORDER BY hour) = :'par_grouped' AS same_grouped
  FROM (SELECT hour, csat.sla_percentile(x, ARRAY[0.5, 0.95]) AS p FROM big GROUP BY hour) t;
SELECT regexp_replace(csat.rollup(s)::text, ' sum=\S+', '') = :'par_rollup' AS same_rollup,
       :'par_rollup' = regexp_replace((SELECT csat.sla_sketch(x) FROM big)::text, ' sum=\S+', '') AS rollup_is_whole
  FROM hourly;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET extra_float_digits = 0;

-- ---- text and binary round trips ---------------------------------------------------------
-- canonical text reads back to the same text; the working (aggregate state) layout prints the same
SELECT dist, s::text::csat.sketch::text = s::text AS text_round_trip,
       csat.sketch_send(s::text::csat.sketch) = csat.sketch_send(s) AS binary_equal
  FROM daily WHERE day = 5 ORDER BY dist;
SELECT csat._sketch_add(csat._sketch_add(csat._sketch_add(NULL, 4.0), 1.0), 0)::text AS working,
       csat.sla_sketch(x)::text AS compact FROM (VALUES (4.0), (1.0), (0)) v(x);
-- a sla_percentile state carries its p list through text (how Citus ships states)
SELECT csat._sketch_add_p(csat._sketch_add_p(NULL, 10.0, ARRAY[0.5, 0.95]), 20.0, ARRAY[0.5, 0.95])::text AS state;
SELECT csat._sketch_final_percentiles('v1 alpha=0.01 n=2 zeros=0 sum=30 min=10 max=20 p=0.5,0.95 bins=163:1,213:1');
SELECT csat._sketch_final_percentile(csat._sketch_combine(
         'v1 alpha=0.01 n=1 zeros=0 sum=10 min=10 max=10 p=0.9 bins=163:1',
         'v1 alpha=0.01 n=1 zeros=0 sum=20 min=20 max=20 p=0.9 bins=213:1'));
-- floats needing 17 digits survive
SELECT s::text, s::text::csat.sketch::text = s::text AS exact
  FROM (SELECT csat.sla_sketch(x) AS s FROM (VALUES (0.1), (0.2), (1e-10)) v(x)) t;
-- the largest double; the smallest ones collapse (indexes span more than 4096 buckets), min stays exact
SELECT s::text, csat.percentile(s, 0) AS min, csat.percentile(s, 0.5) AS collapsed_median, csat.percentile(s, 0.75) AS p75
  FROM (SELECT csat.sla_sketch(x) AS s FROM (VALUES (1e-300), (1e-200), (1e300), (1.7976931348623157e308)) v(x)) t;
-- COPY TO/FROM in text and binary format
CREATE TABLE copy_src AS SELECT dist, day, s FROM daily;
INSERT INTO copy_src SELECT 'state', 0, csat._sketch_add_p(csat._sketch_add_p(NULL, 1.5, 0.9), 0, 0.9);
\copy copy_src TO 'results/sketch_copy.txt'
\copy copy_src TO 'results/sketch_copy.bin' (FORMAT binary)
CREATE TABLE copy_txt (LIKE copy_src);
CREATE TABLE copy_bin (LIKE copy_src);
\copy copy_txt FROM 'results/sketch_copy.txt'
\copy copy_bin FROM 'results/sketch_copy.bin' (FORMAT binary)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE t.s::text = c.s::text) AS text_equal,
       count(*) FILTER (WHERE b.s::text = c.s::text) AS binary_equal,
       count(*) FILTER (WHERE csat.sketch_send(b.s) = csat.sketch_send(c.s)) AS binary_bytes_equal
  FROM copy_src c JOIN copy_txt t USING (dist, day) JOIN copy_bin b USING (dist, day);
SELECT csat._sketch_final_percentile(s) FROM copy_bin WHERE dist = 'state';

-- an infinite interval is refused alike on every major: before 17 its input is
-- (22007), from 17 on csat refuses it (22023, "... finite ..."); anything else shows
CREATE FUNCTION pg_temp.infinite(q text, iv text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v interval;
	st text;
	msg text;
BEGIN
	BEGIN
		v := iv::interval;
	EXCEPTION WHEN invalid_datetime_format THEN
		RETURN 'rejected';
	END;
	EXECUTE q USING v;
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	IF st = '22023' AND msg LIKE '%finite%' THEN
		RETURN 'rejected';
	END IF;
	RETURN st || ': ' || msg;
END $$;
SELECT v.iv, pg_temp.infinite(q, v.iv) FROM (VALUES ('infinity'), ('-infinity')) v(iv),
  (VALUES ($$SELECT csat.sla_sketch(x) FROM (VALUES (interval '1 hour'), ($1)) v(x)$$),
		  ($$SELECT csat.sla_percentile(x, 0.5) FROM (VALUES ($1)) v(x)$$)) q(q);

-- ---- bad input, each with its SQLSTATE ---------------------------------------------------
SELECT pg_temp.err(q) FROM (VALUES
  ('SELECT csat.sla_sketch(x) FROM (VALUES (1), (-1)) v(x)'),
  ($$SELECT csat.sla_sketch(x) FROM (VALUES ('NaN'::float8)) v(x)$$),
  ($$SELECT csat.sla_sketch(x) FROM (VALUES ('Infinity'::float8)) v(x)$$),
  ($$SELECT csat.sla_sketch(x) FROM (VALUES ('-Infinity'::float8)) v(x)$$),
  ($$SELECT csat.sla_sketch(x) FROM (VALUES (interval '-1 second')) v(x)$$),
  ($$SELECT csat.sla_percentile(x, 0.5) FROM (VALUES (interval '1 day -25 hours')) v(x)$$),
  ('SELECT csat.sla_sketch(1, 0.0001)'),
  ('SELECT csat.sla_sketch(1, 0.6)'),
  ($$SELECT csat.sla_sketch(1, 'NaN')$$),
  ('SELECT csat.sla_sketch(1, NULL)'),
  ('SELECT csat.sla_sketch(x, a) FROM (VALUES (1, 0.01), (2, 0.02)) v(x, a)'),
  ('SELECT csat.percentile(csat.sla_sketch(1), 1.5)'),
  ('SELECT csat.percentile(csat.sla_sketch(1), -0.1)'),
  ($$SELECT csat.percentile(csat.sla_sketch(1), 'NaN'::float8)$$),
  ('SELECT csat.percentile(csat.sla_sketch(1), ARRAY[0.5, 2])'),
  ('SELECT csat.sla_percentile(1, 1.5)'),
  ('SELECT csat.sla_percentile(1, NULL::float8)'),
  ('SELECT csat.sla_percentile(x, p) FROM (VALUES (1, 0.5), (2, 0.9)) v(x, p)'),
  ('SELECT csat.sla_percentile(x, p) FROM (VALUES (1, ARRAY[0.5]), (2, ARRAY[0.5, 0.9])) v(x, p)'),
  ('SELECT csat.sla_percentile(1, ARRAY[0.5, NULL])'),
  ('SELECT csat.sla_percentile(1, ARRAY[-0.5])'),
  ('SELECT csat.attainment(csat.sla_sketch(1), -1)'),
  ($$SELECT csat.attainment(csat.sla_sketch(1), 'NaN')$$),
  ('SELECT csat.rollup(s) FROM (SELECT csat.sla_sketch(1) UNION ALL SELECT csat.sla_sketch(1, 0.02)) v(s)'),
  ($$SELECT csat.rollup(s::csat.sketch) FROM (VALUES ('v1 alpha=0.01 n=9223372036854775807 zeros=9223372036854775807 sum=0 min=0 max=0 bins='), ('v1 alpha=0.01 n=1 zeros=1 sum=0 min=0 max=0 bins=')) v(s)$$),
  ($$SELECT csat.rollup(s::csat.sketch) FROM (VALUES ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 p=0.5 bins=0:1'), ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1')) v(s)$$)
) v(q);
-- huge counts are fine up to 2^63-1
SELECT csat.count(s), csat.percentile(s, 0.5), csat.attainment(s, 0)
  FROM (VALUES ('v1 alpha=0.01 n=9223372036854775807 zeros=9223372036854775806 sum=2 min=0 max=2 bins=50:1'::csat.sketch)) v(s);
-- text input: every malformed value is 22P02
SELECT pg_temp.err(format('SELECT %L::csat.sketch', s)) FROM (VALUES
  (''), ('garbage'),
  ('v2 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1'),
  ('v1 alpha=0.9 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1'),
  ('v1 alpha=0.01 n=0 zeros=0 sum=0 min=0 max=0 bins='),
  ('v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=0:1'),
  ('v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=1:1,0:1'),
  ('v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=0:1,5000:1'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=2147483647:1'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=-99999999999:1'),
  ('v1 alpha=0.01 n=18446744073709551616 zeros=0 sum=1 min=1 max=1 bins=0:1'),
  ('v1 alpha=0.01 n=2 zeros=0 sum=1 min=1 max=1 bins=0:9223372036854775807,1:9223372036854775807'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=2 max=1 bins=0:1'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=-1 min=1 max=1 bins=0:1'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=NaN bins=0:1'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 p=1.5 bins=0:1'),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1 bins=0:1 '),
  ('v1 alpha=0.01 n=1 zeros=0 sum=1 min=1 max=1')
) v(s);

-- binary input: COPY FROM a binary file whose sketch field is damaged is 22P03
CREATE TEMP TABLE bin_in (s csat.sketch);
CREATE FUNCTION pg_temp.copy_bin(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    f bytea := '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea     -- header
               || '\x0001'::bytea || int4send(length(payload)) || payload          -- one row, one field
               || '\xffff'::bytea;                                                 -- trailer
    lo oid := lo_from_bytea(0, f);
    detail text;
BEGIN
    PERFORM lo_export(lo, '/tmp/csat_sketch_regress.copy');
    PERFORM lo_unlink(lo);
    TRUNCATE bin_in;
    COPY bin_in FROM '/tmp/csat_sketch_regress.copy' (FORMAT binary);
    RETURN 'ok: ' || (SELECT s::text FROM bin_in);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(detail, '') || ')', '');
END $$;
SELECT csat.sketch_send(csat.sla_sketch(x)) AS good FROM (VALUES (0), (1), (2.5)) v(x) \gset
SELECT pg_temp.copy_bin(:'good');
SELECT n, pg_temp.copy_bin(substr(:'good'::bytea, 1, n)) FROM generate_series(0, length(:'good'::bytea) - 1, 7) n ORDER BY n;
SELECT what, pg_temp.copy_bin(b) FROM (VALUES
  ('version', overlay(:'good'::bytea PLACING '\x02' FROM 1)),
  ('layout', overlay(:'good'::bytea PLACING '\x07' FROM 2)),
  ('working layout', overlay(:'good'::bytea PLACING '\x01' FROM 2)),
  ('alpha', overlay(:'good'::bytea PLACING '\x000000000000f03f' FROM 4)),
  ('count', overlay(:'good'::bytea PLACING '\x04' FROM 12)),
  ('trailing', :'good'::bytea || '\x00'::bytea),
  ('varint overflow', overlay(:'good'::bytea PLACING '\xffffffffffffffffffff01' FROM 12))
) v(what, b) ORDER BY what;
