-- scores: the score KPI aggregates and scalar helpers
CREATE EXTENSION csat;
SET extra_float_digits = 0;

-- ---- hand-checked small cases ---------------------------------------------------
CREATE TABLE answers (id int, day int, channel text, score int, nps int, w float8, frt float8, has_complaint bool);
INSERT INTO answers VALUES
 (1, 1, 'chat',  5, 10, 1.0,   30, false),
 (2, 1, 'chat',  4,  9, 2.0,  200, true),
 (3, 1, 'email', 3,  7, 1.0, 3600, false),
 (4, 2, 'email', 1,  0, 0.5, 90000, true),
 (5, 2, 'chat',  NULL, NULL, NULL, NULL, NULL),
 (6, 3, 'phone', 5,  6, 1.5,  180, false);
-- csat: 4 and 5 count; 3 of 5 answers -> 0.6
SELECT csat.csat_rate(score) FROM answers;
-- nps: promoters 10,9 (2), detractors 0,6 (2), passive 7: (2-2)/5*100 = 0
SELECT csat.nps(nps) FROM answers;
SELECT csat.nps(x) FROM (VALUES (10),(10),(9),(0)) v(x);   -- (3-1)/4*100 = 50
-- weighted: (5*1 + 4*2 + 3*1 + 1*0.5 + 5*1.5) / (1+2+1+0.5+1.5) = 24/6 = 4
SELECT csat.weighted_score(score, w) FROM answers;
-- rate: 2 of 5 flags true
SELECT csat.rate(has_complaint) FROM answers;
-- attainment within 180 s: 30, 200, 3600, 90000, 180 -> 2 of 5 (180 itself is within)
SELECT csat.sla_attainment(frt, 180) FROM answers;
SELECT csat.sla_attainment(make_interval(secs => frt), interval '3 minutes') FROM answers;
SELECT csat.sla_attainment(x, y) FROM (VALUES (interval '1 day', interval '24 hours'),
       (interval '1 mon', interval '30 days'), (interval '1 mon 1 sec', interval '30 days')) v(x, y);  -- 2/3
-- csat_rate on another scale: 0-10 answers, satisfied from 8
SELECT csat.csat_rate(x, 8) FROM (VALUES (8.0),(7.9),(10),(NULL)) v(x);  -- 2/3

-- ---- empty input, NULLs, one row ---------------------------------------------------
SELECT csat.csat_rate(score) IS NULL AS empty_csat, csat.nps(nps) IS NULL AS empty_nps,
       csat.weighted_score(score, w) IS NULL AS empty_weighted, csat.rate(has_complaint) IS NULL AS empty_rate,
       csat.sla_attainment(frt, 1) IS NULL AS empty_sla
  FROM answers WHERE false;
SELECT csat.csat_rate(score) IS NULL AS all_null FROM answers WHERE id = 5;
SELECT csat.csat_rate(5), csat.nps(0), csat.weighted_score(3, 2), csat.rate(true), csat.sla_attainment(1, 0);
-- all weights zero -> NULL; a zero weight among others counts for nothing
SELECT csat.weighted_score(x, 0) FROM generate_series(1, 5) x;
SELECT csat.weighted_score(x, CASE WHEN x = 1 THEN 0 ELSE 1 END) FROM generate_series(1, 5) x;  -- 3.5
-- a NULL target skips the row
SELECT csat.sla_attainment(x, CASE WHEN x > 2 THEN NULL ELSE 10 END) FROM generate_series(1, 4) x;

-- ---- GROUP BY and FILTER --------------------------------------------------------
SELECT channel, csat.csat_rate(score), csat.nps(nps), csat.weighted_score(score, w),
       csat.rate(has_complaint), csat.sla_attainment(frt, 180)
  FROM answers GROUP BY channel ORDER BY channel;
SELECT csat.csat_rate(score) FILTER (WHERE channel = 'chat') AS chat,
       csat.csat_rate(score) FILTER (WHERE channel <> 'chat') AS other,
       csat.csat_rate(score) FILTER (WHERE channel = 'fax') AS none
  FROM answers;

-- ---- bad input, with SQLSTATEs -------------------------------------------------
\set VERBOSITY sqlstate
SELECT csat.csat_rate(6);
SELECT csat.csat_rate(0);
SELECT csat.nps(11);
SELECT csat.nps(-1);
SELECT csat.csat_rate('NaN'::float8, 4);
SELECT csat.csat_rate(4, 'Infinity'::float8);
SELECT csat.weighted_score(-1, 1);
SELECT csat.weighted_score(1, -1);
SELECT csat.weighted_score('NaN', 1);
SELECT csat.weighted_score(1, 'Infinity');
SELECT csat.sla_attainment(-1, 10);
SELECT csat.sla_attainment('NaN', 10);
SELECT csat.sla_attainment('Infinity', 10);
SELECT csat.sla_attainment(1, -10);
SELECT csat.sla_attainment(interval '-1 second', interval '1 minute');
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
  (VALUES ($$SELECT csat.sla_attainment(x, interval '1 minute') FROM (VALUES ($1)) v(x)$$),
		  ($$SELECT csat.sla_attainment(interval '1 minute', x) FROM (VALUES ($1)) v(x)$$),
		  ($$SELECT csat.sla_attainment(x, x) FROM (VALUES ($1)) v(x)$$)) q(q);
SELECT csat.complaint_rate(-1, 10);
SELECT csat.complaint_rate(11, 10);
SELECT csat.wilson_lower(5, 4);
SELECT csat.wilson_lower(-1, 4);
SELECT csat.wilson_lower(1, 4, 1.0);
SELECT csat.wilson_lower(1, 4, 0);
SELECT csat.wilson_upper(1, 4, 'NaN');
-- a state that is not ours is refused, not trusted
SELECT csat._csat_rate_accum('{1,2,3}'::bigint[], 4);
SELECT csat._counts_combine('{1,2}'::bigint[], '{1,2,3}'::bigint[]);
SELECT '(1,2)'::csat.weighted_state;
SELECT '(1,2,3,4,5) x'::csat.weighted_state;
SELECT '(1,NaN,0,0,0)'::csat.weighted_state;
SELECT '(-1,0,0,0,0)'::csat.weighted_state;
SELECT '(1.5,1,0,1,0)'::csat.weighted_state;
SELECT '(1,1e999,0,0,0)'::csat.weighted_state;
SELECT csat._counts_combine('{9223372036854775807,0}'::bigint[], '{1,0}'::bigint[]);
-- the final functions check the state's shape as the transition functions do
SELECT csat._share_final('{}'::bigint[]);
SELECT csat._share_final('{1,NULL}'::bigint[]);
SELECT csat._share_final('{4}'::bigint[]);
SELECT csat._share_final('{4,1,2}'::bigint[]);
SELECT csat._share_final('{{4,1},{2,2}}'::bigint[]);
SELECT csat._nps_final('{}'::bigint[]);
SELECT csat._nps_final('{10,NULL,2}'::bigint[]);
SELECT csat._nps_final('{10,3}'::bigint[]);
SELECT csat._nps_final('{{10,3,1}}'::bigint[]);
-- weight times score, and the sums, must stay finite: no state its input refuses
SELECT csat.weighted_score(s, w) FROM (VALUES (1e200::float8, 1e200::float8)) v(s, w);
SELECT csat._weighted_accum('(0,0,0,0,0)', 1e300, 1e300);
SELECT csat.weighted_score(s, w) FROM (VALUES (1, 1e308::float8), (1, 1e308)) v(s, w);
SELECT csat._weighted_combine('(1,1e308,0,1e308,0)', '(1,1e308,0,1e308,0)');
\set VERBOSITY default
-- the message names the value
SELECT csat.weighted_score(1, -2.5);
SELECT csat.csat_rate(7);

-- weighted_score's state keeps every bit in its text form, whatever
-- extra_float_digits says (Citus ships partial states between nodes as text)
SET extra_float_digits = -15;
SELECT csat._weighted_accum(csat._weighted_accum('(0,0,0,0,0)', 4.1, 0.1), 3, 1e-9) AS state;
SELECT s::text::csat.weighted_state::text = s::text AS text_round_trip,
       csat._weighted_final(s::text::csat.weighted_state) = csat._weighted_final(s) AS same_result
  FROM (SELECT csat._weighted_accum(csat._weighted_accum('(0,0,0,0,0)', 4.1, 0.1), 3, 1e-9) s) x;
-- subnormal compensation terms too, bit for bit (compared through the binary
-- send output), from text input and from aggregating a subnormal weight
CREATE TABLE wstates (k int, s csat.weighted_state);
INSERT INTO wstates VALUES
  (1, '(2,1,4.9406564584124654e-324,1,-2.2250738585072009e-308)'),
  (2, csat._weighted_accum(csat._weighted_accum('(0,0,0,0,0)', 1, 1), 1, 5e-324)),
  (3, csat._weighted_accum(csat._weighted_accum('(0,0,0,0,0)', 3, 1e-300), 0.1, 1e-310)),
  (4, '(1,0,-0,0,-0)');
SELECT k, s FROM wstates ORDER BY k;
SELECT k, csat._weighted_state_send(s::text::csat.weighted_state) = csat._weighted_state_send(s) AS text_bit_exact
  FROM wstates ORDER BY k;
\copy wstates TO 'results/scores_wstates.bin' (FORMAT binary)
CREATE TABLE wstates_bin (LIKE wstates);
\copy wstates_bin FROM 'results/scores_wstates.bin' (FORMAT binary)
SELECT k, csat._weighted_state_send(b.s) = csat._weighted_state_send(w.s) AS binary_bit_exact
  FROM wstates w JOIN wstates_bin b USING (k) ORDER BY k;
SET extra_float_digits = 0;

-- ---- scalar helpers ------------------------------------------------------------------
SELECT csat.complaint_rate(3, 1000), csat.complaint_rate(0, 0) IS NULL AS no_orders,
       csat.complaint_rate(9223372036854775807, 9223372036854775807);
-- Wilson 95 %: 45/50 -> [0.7864, 0.9565]; 0/10 -> [0, 0.2775]; 10/10 -> [0.7225, 1]
SELECT round(csat.wilson_lower(45, 50)::numeric, 4) AS lo, round(csat.wilson_upper(45, 50)::numeric, 4) AS hi;
SELECT csat.wilson_lower(0, 10) AS lo, round(csat.wilson_upper(0, 10)::numeric, 4) AS hi;
SELECT round(csat.wilson_lower(10, 10)::numeric, 4) AS lo, csat.wilson_upper(10, 10) AS hi;
SELECT csat.wilson_lower(0, 0) IS NULL AS empty_lower, csat.wilson_upper(0, 0) IS NULL AS empty_upper;
-- 99 % is wider than 95 %, which is wider than 80 %
SELECT round(csat.wilson_lower(30, 100, 0.99)::numeric, 4) AS lo99, round(csat.wilson_lower(30, 100)::numeric, 4) AS lo95,
       round(csat.wilson_lower(30, 100, 0.80)::numeric, 4) AS lo80;
-- huge counts: the interval shrinks onto the proportion
SELECT round(csat.wilson_lower(4611686018427387904, 9223372036854775807)::numeric, 9) AS lo,
       round(csat.wilson_upper(4611686018427387904, 9223372036854775807)::numeric, 9) AS hi;
-- NULL in, NULL out
SELECT csat.wilson_lower(NULL, 10) IS NULL AS a, csat.complaint_rate(1, NULL) IS NULL AS b;

-- ---- equality with plain SQL on generated data --------------------------------------
CREATE TABLE gen AS
SELECT g AS id,
       (g % 97) / 24 AS day,
       (ARRAY['chat','email','phone'])[1 + g % 3] AS channel,
       CASE WHEN g % 53 = 0 THEN NULL ELSE (1 + (g::bigint * 7919) % 5)::int END AS score,
       ((g::bigint * 104729) % 11)::int AS nps,
       ((g * 31) % 1000) / 100.0 AS w,
       ((g::bigint * 2654435761) % 100000) / 10.0 AS frt,
       (g * 13) % 17 = 0 AS flag
  FROM generate_series(1, 200000) g;
ANALYZE gen;
CREATE VIEW gen_check AS
SELECT (SELECT csat.csat_rate(score) FROM gen) = (SELECT avg((score >= 4)::int)::float8 FROM gen) AS csat_ok,
       (SELECT csat.nps(nps) FROM gen) = (SELECT 100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / count(nps) FROM gen)::float8 AS nps_ok,
       (SELECT csat.rate(flag) FROM gen) = (SELECT avg(flag::int)::float8 FROM gen) AS rate_ok,
       (SELECT csat.sla_attainment(frt, 1800) FROM gen) = (SELECT avg((frt <= 1800)::int)::float8 FROM gen) AS sla_ok,
       (SELECT abs(csat.weighted_score(score, w) / (sum(score::numeric * w::numeric) / sum(w::numeric)) - 1) < 1e-12
          FROM gen WHERE score IS NOT NULL) AS weighted_ok;
SELECT * FROM gen_check;
-- per group, against plain SQL
SELECT count(*) AS groups,
       count(*) FILTER (WHERE c = e) AS csat_equal,
       count(*) FILTER (WHERE n = m) AS nps_equal
  FROM (SELECT day, channel, csat.csat_rate(score) c, avg((score >= 4)::int)::float8 e,
               csat.nps(nps) n, (100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / count(nps))::float8 m
          FROM gen GROUP BY day, channel) s;

-- ---- rolling windows: the moving aggregate equals recomputing each frame ---------------
CREATE TABLE daily AS
SELECT day, channel, score, nps, frt, flag FROM gen WHERE id <= 3000;
-- the plan really uses the moving-aggregate (inverse transition) path
SELECT a.aggmtransfn, a.aggminvtransfn FROM pg_aggregate a
 WHERE a.aggfnoid IN ('csat.csat_rate(int)'::regprocedure, 'csat.nps(int)'::regprocedure) ORDER BY 1::text;
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE w_csat IS NOT DISTINCT FROM r_csat) AS csat_same,
       count(*) FILTER (WHERE w_nps IS NOT DISTINCT FROM r_nps) AS nps_same,
       count(*) FILTER (WHERE w_rate IS NOT DISTINCT FROM r_rate) AS rate_same,
       count(*) FILTER (WHERE w_sla IS NOT DISTINCT FROM r_sla) AS sla_same
  FROM (SELECT d.*,
               csat.csat_rate(score) OVER w AS w_csat, csat.nps(nps) OVER w AS w_nps,
               csat.rate(flag) OVER w AS w_rate, csat.sla_attainment(frt, 600) OVER w AS w_sla
          FROM (SELECT row_number() OVER (ORDER BY day, channel, score, nps, frt, flag) AS rn, * FROM daily) d
        WINDOW w AS (ORDER BY rn ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)) win
  JOIN LATERAL (SELECT avg((score >= 4)::int)::float8 AS r_csat,
                       (100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / nullif(count(nps), 0))::float8 AS r_nps,
                       avg(flag::int)::float8 AS r_rate, avg((frt <= 600)::int)::float8 AS r_sla
                  FROM (SELECT row_number() OVER (ORDER BY day, channel, score, nps, frt, flag) AS rn2, * FROM daily) e
                 WHERE e.rn2 BETWEEN win.rn - 6 AND win.rn) r ON true;
-- a 7-day rolling CSAT rate over daily rows, against the frame recomputed by hand
CREATE TABLE per_day AS SELECT d AS day, 1 + (d * 7) % 5 AS score FROM generate_series(1, 20) d;
SELECT p.day, round(csat.csat_rate(p.score) OVER w::numeric, 6) AS rolling,
       (SELECT round(avg((q.score >= 4)::int)::numeric, 6) FROM per_day q WHERE q.day BETWEEN p.day - 6 AND p.day) AS by_hand
  FROM per_day p WINDOW w AS (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)
 ORDER BY day LIMIT 10;

-- ---- forced parallel plan: Partial Aggregate, same results as serial -------------------
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT csat.csat_rate(score), csat.nps(nps), csat.weighted_score(score, w), csat.rate(flag), csat.sla_attainment(frt, 1800) FROM gen;
EXPLAIN (COSTS OFF)
SELECT channel, csat.csat_rate(score) FROM gen GROUP BY channel;
CREATE TEMP TABLE par AS
SELECT csat.csat_rate(score) c, csat.nps(nps) n, csat.weighted_score(score, w) ws, csat.rate(flag) r, csat.sla_attainment(frt, 1800) s FROM gen;
CREATE TEMP TABLE par_g AS
SELECT channel, csat.csat_rate(score) c, csat.nps(nps) n, csat.weighted_score(score, w) ws FROM gen GROUP BY channel;
SET max_parallel_workers_per_gather = 0;
SELECT p.c = s.c AS csat_same, p.n = s.n AS nps_same, p.r = s.r AS rate_same, p.s = s.s AS sla_same,
       abs(p.ws / s.ws - 1) < 1e-12 AS weighted_close, round(p.ws::numeric, 9) AS weighted
  FROM par p,
       (SELECT csat.csat_rate(score) c, csat.nps(nps) n, csat.weighted_score(score, w) ws, csat.rate(flag) r,
               csat.sla_attainment(frt, 1800) s FROM gen) s;
SELECT g.channel, p.c = g.c AS csat_same, p.n = g.n AS nps_same, abs(p.ws / g.ws - 1) < 1e-12 AS weighted_close
  FROM par_g p JOIN (SELECT channel, csat.csat_rate(score) c, csat.nps(nps) n, csat.weighted_score(score, w) ws
                       FROM gen GROUP BY channel) g USING (channel)
 ORDER BY 1;
RESET ALL;

-- ---- \dx+ lists every object with a comment --------------------------------------
SELECT count(*) AS uncommented
  FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csat')
   AND obj_description(p.oid, 'pg_proc') IS NULL;
