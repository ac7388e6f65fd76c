-- csat 0.4 install script (released: frozen; generated at the time from src/*.sql).
\echo Use "CREATE EXTENSION csat" to load this file. \quit
-- Security (issue 10): nothing here may resolve to an object outside pg_catalog
-- and csat's own.  CREATE EXTENSION runs this script with search_path "csat,
-- pg_temp" (pg_catalog implicitly first): a look-alike operator or function with
-- a closer argument match, planted in schema csat, would win over pg_catalog's,
-- be bound into csat's views, defaults and checks, and run as the (bootstrap)
-- superuser.  SET LOCAL here lasts until the end of this script only.
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== src/common.sql ====
-- common: the schema itself

-- Schema csat belongs to the bootstrap superuser (issue 10).  CREATE EXTENSION
-- creates the control file's schema as the calling user, who then owned it and
-- could rename it and put a look-alike csat in its place, or fill it with
-- look-alike operators and functions for superusers' queries to reach.  A schema
-- csat that existed before CREATE EXTENSION is reused by it: one that holds
-- anything is refused (it may hold planted objects); an empty one is taken over
-- like a new one.  Either way its privileges are reset: USAGE for PUBLIC, USAGE
-- and CREATE for the extension's owner (csat.map_source creates the standard
-- views csat.<kind> as the caller).
DO $$
DECLARE
	nsp oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'csat'::pg_catalog.name);
	found text;
	g record;
BEGIN
	SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', '
								 ORDER BY pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid))
	  INTO found
	  FROM pg_catalog.pg_depend d
	 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass::pg_catalog.oid
	   AND d.refobjid OPERATOR(pg_catalog.=) nsp
	   AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid;
	IF found IS NOT NULL THEN
		RAISE EXCEPTION 'schema "csat" already exists and is not empty'
			USING ERRCODE = 'duplicate_schema',
				  DETAIL = pg_catalog.format('It holds: %s.', found),
				  HINT = 'csat installs into its own schema csat only when that is new or empty: drop or rename the existing schema, then create the extension again.';
	END IF;
	EXECUTE pg_catalog.format('ALTER SCHEMA csat OWNER TO %I',
		(SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) 10::pg_catalog.oid));
	FOR g IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
			  WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.grantee OPERATOR(pg_catalog.<>) 10::pg_catalog.oid LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA csat FROM %s',
			CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
				 ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END);
	END LOOP;
END $$;
GRANT USAGE, CREATE ON SCHEMA csat TO @extowner@;
COMMENT ON SCHEMA csat IS 'csat: customer-satisfaction KPIs (score aggregates, SLA percentile sketches, breach detection, KPI views)';

CREATE TYPE csat.level AS ENUM ('ok', 'warning', 'breach');
COMMENT ON TYPE csat.level IS 'alert level of a KPI against a rule: ok < warning < breach (ordered, so max() gives the worst)';

-- csat's functions, aggregates and views are for every role that may read the
-- underlying data (views run with the reader's rights); its tables carry
-- their own grants.
GRANT USAGE ON SCHEMA csat TO PUBLIC;

-- ==== src/scores.sql ====
-- scores: the score KPI aggregates (weighted satisfaction, CSAT rate, NPS,
-- rates, SLA attainment) and scalar helpers (complaint rate, Wilson bounds).
-- States are concrete (int8[] counters, csat.weighted_state sums) so
-- every aggregate can be split into partial aggregates (parallel query, Citus).

-- ---- support functions ------------------------------------------------------
CREATE FUNCTION csat._counts_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_counts_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._share_final(bigint[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_share_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._nps_final(bigint[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_nps_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._csat_rate_accum(bigint[], integer) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_rate_int_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._csat_rate_inv(bigint[], integer) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_rate_int_inv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._csat_rate_accum(bigint[], float8, float8) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_rate_float_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._csat_rate_inv(bigint[], float8, float8) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_rate_float_inv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._nps_accum(bigint[], integer) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_nps_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._nps_inv(bigint[], integer) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_nps_inv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._rate_accum(bigint[], boolean) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_flag_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._rate_inv(bigint[], boolean) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_flag_inv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sla_attainment_accum(bigint[], float8, float8) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_attain_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sla_attainment_inv(bigint[], float8, float8) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_attain_inv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sla_attainment_accum(bigint[], interval, interval) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_attain_iv_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sla_attainment_inv(bigint[], interval, interval) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'csat_attain_iv_inv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- weighted_score's state: (rows, Σw, comp, Σws, comp) as exact text, whatever
-- extra_float_digits says (Citus ships partial states as text)
CREATE TYPE csat.weighted_state;
CREATE FUNCTION csat._weighted_state_in(cstring) RETURNS csat.weighted_state
    AS 'MODULE_PATHNAME', 'csat_weighted_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._weighted_state_out(csat.weighted_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'csat_weighted_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._weighted_state_recv(internal) RETURNS csat.weighted_state
    AS 'MODULE_PATHNAME', 'csat_weighted_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._weighted_state_send(csat.weighted_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'csat_weighted_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE csat.weighted_state (
    INPUT = csat._weighted_state_in, OUTPUT = csat._weighted_state_out,
    RECEIVE = csat._weighted_state_recv, SEND = csat._weighted_state_send,
    INTERNALLENGTH = 40, ALIGNMENT = double);
COMMENT ON TYPE csat.weighted_state IS 'transition state of csat.weighted_score: (rows, sum of weights, its compensation, sum of weight*score, its compensation); text form exact at any extra_float_digits';
COMMENT ON FUNCTION csat._weighted_state_in(cstring) IS 'internal: text input of csat.weighted_state';
COMMENT ON FUNCTION csat._weighted_state_out(csat.weighted_state) IS 'internal: text output of csat.weighted_state (17 significant digits, exact)';
COMMENT ON FUNCTION csat._weighted_state_recv(internal) IS 'internal: binary input of csat.weighted_state';
COMMENT ON FUNCTION csat._weighted_state_send(csat.weighted_state) IS 'internal: binary output of csat.weighted_state';

CREATE FUNCTION csat._weighted_accum(csat.weighted_state, float8, float8) RETURNS csat.weighted_state
    AS 'MODULE_PATHNAME', 'csat_weighted_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._weighted_combine(csat.weighted_state, csat.weighted_state) RETURNS csat.weighted_state
    AS 'MODULE_PATHNAME', 'csat_weighted_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._weighted_final(csat.weighted_state) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_weighted_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION csat._counts_combine(bigint[], bigint[]) IS 'internal: adds two counter states (combine function of the count-based aggregates)';
COMMENT ON FUNCTION csat._share_final(bigint[]) IS 'internal: {n, hits} state to hits/n, NULL when n = 0';
COMMENT ON FUNCTION csat._nps_final(bigint[]) IS 'internal: {n, promoters, detractors} state to NPS, NULL when n = 0';
COMMENT ON FUNCTION csat._csat_rate_accum(bigint[], integer) IS 'internal: transition function of csat_rate(int)';
COMMENT ON FUNCTION csat._csat_rate_inv(bigint[], integer) IS 'internal: moving-aggregate inverse of csat_rate(int)';
COMMENT ON FUNCTION csat._csat_rate_accum(bigint[], float8, float8) IS 'internal: transition function of csat_rate(float8, float8)';
COMMENT ON FUNCTION csat._csat_rate_inv(bigint[], float8, float8) IS 'internal: moving-aggregate inverse of csat_rate(float8, float8)';
COMMENT ON FUNCTION csat._nps_accum(bigint[], integer) IS 'internal: transition function of nps(int)';
COMMENT ON FUNCTION csat._nps_inv(bigint[], integer) IS 'internal: moving-aggregate inverse of nps(int)';
COMMENT ON FUNCTION csat._rate_accum(bigint[], boolean) IS 'internal: transition function of rate(bool)';
COMMENT ON FUNCTION csat._rate_inv(bigint[], boolean) IS 'internal: moving-aggregate inverse of rate(bool)';
COMMENT ON FUNCTION csat._sla_attainment_accum(bigint[], float8, float8) IS 'internal: transition function of sla_attainment(float8, float8)';
COMMENT ON FUNCTION csat._sla_attainment_inv(bigint[], float8, float8) IS 'internal: moving-aggregate inverse of sla_attainment(float8, float8)';
COMMENT ON FUNCTION csat._sla_attainment_accum(bigint[], interval, interval) IS 'internal: transition function of sla_attainment(interval, interval)';
COMMENT ON FUNCTION csat._sla_attainment_inv(bigint[], interval, interval) IS 'internal: moving-aggregate inverse of sla_attainment(interval, interval)';
COMMENT ON FUNCTION csat._weighted_accum(csat.weighted_state, float8, float8) IS 'internal: transition function of weighted_score';
COMMENT ON FUNCTION csat._weighted_combine(csat.weighted_state, csat.weighted_state) IS 'internal: combine function of weighted_score';
COMMENT ON FUNCTION csat._weighted_final(csat.weighted_state) IS 'internal: final function of weighted_score';

-- ---- aggregates ---------------------------------------------------------------
CREATE AGGREGATE csat.weighted_score(score float8, weight float8) (
    SFUNC = csat._weighted_accum, STYPE = csat.weighted_state, INITCOND = '(0,0,0,0,0)',
    FINALFUNC = csat._weighted_final, COMBINEFUNC = csat._weighted_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.weighted_score(float8, float8) IS
    'weighted satisfaction index sum(w*s)/sum(w) (compensated summation); rows with a NULL score or weight are skipped; NULL over no rows or when all weights are 0; negative, NaN or infinite score or weight: ERROR 22023';

CREATE AGGREGATE csat.csat_rate(score integer) (
    SFUNC = csat._csat_rate_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = csat._share_final, COMBINEFUNC = csat._counts_combine,
    MSFUNC = csat._csat_rate_accum, MINVFUNC = csat._csat_rate_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = csat._share_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.csat_rate(integer) IS
    'CSAT (top-2-box) rate: share of 1-5 answers scoring 4 or 5, a fraction in [0,1]; NULLs skipped; NULL over no rows; a score outside 1-5: ERROR 22003';

CREATE AGGREGATE csat.csat_rate(score float8, satisfied_min float8) (
    SFUNC = csat._csat_rate_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = csat._share_final, COMBINEFUNC = csat._counts_combine,
    MSFUNC = csat._csat_rate_accum, MINVFUNC = csat._csat_rate_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = csat._share_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.csat_rate(float8, float8) IS
    'CSAT rate on any scale: share of answers with score >= satisfied_min, a fraction in [0,1]; rows with a NULL argument skipped; NULL over no rows; NaN or infinite score or satisfied_min: ERROR 22023';

CREATE AGGREGATE csat.nps(score integer) (
    SFUNC = csat._nps_accum, STYPE = bigint[], INITCOND = '{0,0,0}',
    FINALFUNC = csat._nps_final, COMBINEFUNC = csat._counts_combine,
    MSFUNC = csat._nps_accum, MINVFUNC = csat._nps_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0,0}', MFINALFUNC = csat._nps_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.nps(integer) IS
    'Net Promoter Score: % promoters (9-10) minus % detractors (0-6) of 0-10 answers, in [-100,100]; NULLs skipped; NULL over no rows; a score outside 0-10: ERROR 22003';

CREATE AGGREGATE csat.rate(flag boolean) (
    SFUNC = csat._rate_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = csat._share_final, COMBINEFUNC = csat._counts_combine,
    MSFUNC = csat._rate_accum, MINVFUNC = csat._rate_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = csat._share_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.rate(boolean) IS
    'share of true among non-NULL flags, a fraction in [0,1] (complaint rate: csat.rate(has_complaint)); NULL over no rows';

CREATE AGGREGATE csat.sla_attainment(elapsed float8, target float8) (
    SFUNC = csat._sla_attainment_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = csat._share_final, COMBINEFUNC = csat._counts_combine,
    MSFUNC = csat._sla_attainment_accum, MINVFUNC = csat._sla_attainment_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = csat._share_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.sla_attainment(float8, float8) IS
    'SLA attainment: share of items with elapsed <= target (seconds), a fraction in [0,1]; rows with a NULL argument skipped; NULL over no rows; negative, NaN or infinite elapsed or target: ERROR 22023';

CREATE AGGREGATE csat.sla_attainment(elapsed interval, target interval) (
    SFUNC = csat._sla_attainment_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = csat._share_final, COMBINEFUNC = csat._counts_combine,
    MSFUNC = csat._sla_attainment_accum, MINVFUNC = csat._sla_attainment_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = csat._share_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.sla_attainment(interval, interval) IS
    'SLA attainment: share of items with elapsed <= target, a fraction in [0,1]; intervals compared as EXTRACT(EPOCH) seconds; rows with a NULL argument skipped; NULL over no rows; negative elapsed or target: ERROR 22023';

-- ---- scalar helpers -----------------------------------------------------------
CREATE FUNCTION csat.complaint_rate(complaints bigint, orders bigint) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_complaint_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.complaint_rate(bigint, bigint) IS
    'complaints / orders as a fraction in [0,1]; NULL when orders = 0; negative counts or complaints > orders: ERROR 22023';

CREATE FUNCTION csat.wilson_lower(successes bigint, n bigint, confidence float8 DEFAULT 0.95) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_wilson_lower' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.wilson_lower(bigint, bigint, float8) IS
    'lower bound of the two-sided Wilson score interval of successes/n at the given confidence (0.95: z = 1.95996), in [0,1]; NULL when n = 0; negative counts, successes > n, confidence outside (0,1): ERROR 22023';

CREATE FUNCTION csat.wilson_upper(successes bigint, n bigint, confidence float8 DEFAULT 0.95) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_wilson_upper' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.wilson_upper(bigint, bigint, float8) IS
    'upper bound of the two-sided Wilson score interval of successes/n at the given confidence (0.95: z = 1.95996), in [0,1]; NULL when n = 0; negative counts, successes > n, confidence outside (0,1): ERROR 22023';

-- ==== src/sketch.sql ====
-- sketch: the mergeable relative-error quantile sketch type csat.sketch, its
-- aggregates (sla_sketch, rollup, sla_percentile) and accessors (percentile,
-- attainment, count, mean, min, max).  States are csat.sketch values (a
-- concrete type, never internal) so every aggregate splits into partial
-- aggregates (parallel query, Citus); the text form round-trips exactly.

-- ---- the type ------------------------------------------------------------------
CREATE TYPE csat.sketch;

CREATE FUNCTION csat.sketch_in(cstring) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.sketch_out(csat.sketch) RETURNS cstring
    AS 'MODULE_PATHNAME', 'csat_sketch_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.sketch_recv(internal) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.sketch_send(csat.sketch) RETURNS bytea
    AS 'MODULE_PATHNAME', 'csat_sketch_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE csat.sketch (
    INPUT = csat.sketch_in,
    OUTPUT = csat.sketch_out,
    RECEIVE = csat.sketch_recv,
    SEND = csat.sketch_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE csat.sketch IS 'mergeable quantile sketch of durations (seconds) with relative error alpha; text form "v1 alpha=A n=N zeros=Z sum=S min=MIN max=MAX [p=P,...] bins=INDEX:COUNT,..."';
COMMENT ON FUNCTION csat.sketch_in(cstring) IS 'text input of csat.sketch (validates everything; 22P02 on bad input)';
COMMENT ON FUNCTION csat.sketch_out(csat.sketch) IS 'canonical text output of csat.sketch, exact (reads back to the same sketch)';
COMMENT ON FUNCTION csat.sketch_recv(internal) IS 'binary input of csat.sketch (the compact form; validates everything; 22P03 on bad input)';
COMMENT ON FUNCTION csat.sketch_send(csat.sketch) IS 'binary output of csat.sketch (the compact form)';

-- ---- aggregate support ----------------------------------------------------------
CREATE FUNCTION csat._sketch_add(csat.sketch, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add(csat.sketch, interval) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_interval' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add(csat.sketch, float8, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_alpha' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add_p(csat.sketch, float8, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_p' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add_p(csat.sketch, interval, float8) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_interval_p' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_add_p(csat.sketch, float8, float8[]) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_add_parray' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_combine(csat.sketch, csat.sketch) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final(csat.sketch) RETURNS csat.sketch
    AS 'MODULE_PATHNAME', 'csat_sketch_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final_percentile(csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_final_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final_percentile_interval(csat.sketch) RETURNS interval
    AS 'MODULE_PATHNAME', 'csat_sketch_final_percentile_interval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat._sketch_final_percentiles(csat.sketch) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_sketch_final_percentiles' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION csat._sketch_add(csat.sketch, float8) IS 'internal: transition function of sla_sketch(float8)';
COMMENT ON FUNCTION csat._sketch_add(csat.sketch, interval) IS 'internal: transition function of sla_sketch(interval)';
COMMENT ON FUNCTION csat._sketch_add(csat.sketch, float8, float8) IS 'internal: transition function of sla_sketch(float8, relative_accuracy)';
COMMENT ON FUNCTION csat._sketch_add_p(csat.sketch, float8, float8) IS 'internal: transition function of sla_percentile(float8, float8); the state carries p';
COMMENT ON FUNCTION csat._sketch_add_p(csat.sketch, interval, float8) IS 'internal: transition function of sla_percentile(interval, float8); the state carries p';
COMMENT ON FUNCTION csat._sketch_add_p(csat.sketch, float8, float8[]) IS 'internal: transition function of sla_percentile(float8, float8[]); the state carries the p list';
COMMENT ON FUNCTION csat._sketch_combine(csat.sketch, csat.sketch) IS 'internal: merges two sketches (combine function of the sketch aggregates, transition function of rollup)';
COMMENT ON FUNCTION csat._sketch_final(csat.sketch) IS 'internal: compacts an aggregate state into the stored form';
COMMENT ON FUNCTION csat._sketch_final_percentile(csat.sketch) IS 'internal: final function of sla_percentile(float8, float8)';
COMMENT ON FUNCTION csat._sketch_final_percentile_interval(csat.sketch) IS 'internal: final function of sla_percentile(interval, float8)';
COMMENT ON FUNCTION csat._sketch_final_percentiles(csat.sketch) IS 'internal: final function of sla_percentile(float8, float8[])';

-- ---- aggregates ------------------------------------------------------------------
-- SSPACE: a sketch state grows from a few hundred bytes to at most 32 kB as
-- values spread; without an estimate a hash aggregate admits every group while
-- its state is small and then outgrows work_mem.  8 kB makes it spill instead.
CREATE AGGREGATE csat.sla_sketch(elapsed float8) (
    SFUNC = csat._sketch_add, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);
CREATE AGGREGATE csat.sla_sketch(elapsed interval) (
    SFUNC = csat._sketch_add, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);
CREATE AGGREGATE csat.sla_sketch(elapsed float8, relative_accuracy float8) (
    SFUNC = csat._sketch_add, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);
CREATE AGGREGATE csat.rollup(csat.sketch) (
    SFUNC = csat._sketch_combine, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);
CREATE AGGREGATE csat.sla_percentile(elapsed float8, p float8) (
    SFUNC = csat._sketch_add_p, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final_percentile, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);
CREATE AGGREGATE csat.sla_percentile(elapsed interval, p float8) (
    SFUNC = csat._sketch_add_p, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final_percentile_interval, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);
CREATE AGGREGATE csat.sla_percentile(elapsed float8, p float8[]) (
    SFUNC = csat._sketch_add_p, STYPE = csat.sketch,
    FINALFUNC = csat._sketch_final_percentiles, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE,
    SSPACE = 8192);

COMMENT ON AGGREGATE csat.sla_sketch(float8) IS 'quantile sketch of durations in seconds, relative accuracy 0.01; NULLs skipped, negative/NaN/infinite -> 22023';
COMMENT ON AGGREGATE csat.sla_sketch(interval) IS 'quantile sketch of interval durations (converted to seconds like EXTRACT(EPOCH)), relative accuracy 0.01';
COMMENT ON AGGREGATE csat.sla_sketch(float8, float8) IS 'quantile sketch of durations in seconds with the given relative accuracy (0.001 to 0.5, the same for every row of a group)';
COMMENT ON AGGREGATE csat.rollup(csat.sketch) IS 'merges stored sketches exactly (bucket counts add); sketches of different relative accuracy -> 22023';
COMMENT ON AGGREGATE csat.sla_percentile(float8, float8) IS 'percentile p of durations in seconds, within 1 % of percentile_disc; parallel; p the same for every row of a group';
COMMENT ON AGGREGATE csat.sla_percentile(interval, float8) IS 'percentile p of interval durations, within 1 % of percentile_disc, as an interval of hours:minutes:seconds';
COMMENT ON AGGREGATE csat.sla_percentile(float8, float8[]) IS 'percentiles of durations in seconds for each p of the array, within 1 % of percentile_disc';

-- ---- accessors -------------------------------------------------------------------
CREATE FUNCTION csat.percentile(sketch csat.sketch, p float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.percentile(sketch csat.sketch, p float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_sketch_percentiles' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.attainment(sketch csat.sketch, target float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_attainment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.count(sketch csat.sketch) RETURNS bigint
    AS 'MODULE_PATHNAME', 'csat_sketch_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.mean(sketch csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.min(sketch csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_min' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION csat.max(sketch csat.sketch) RETURNS float8
    AS 'MODULE_PATHNAME', 'csat_sketch_max' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION csat.percentile(csat.sketch, float8) IS 'value at rank ceil(p*count) (percentile_disc''s rank) within relative error alpha; p=0 exact min, p=1 exact max; p outside [0,1] -> 22003';
COMMENT ON FUNCTION csat.percentile(csat.sketch, float8[]) IS 'percentile for each element of p (same shape; NULL elements answer NULL)';
COMMENT ON FUNCTION csat.attainment(csat.sketch, target float8) IS 'share of durations <= target seconds, never overstated: between share(<= target/gamma) and share(<= target); exact when target >= max or < min';
COMMENT ON FUNCTION csat.count(csat.sketch) IS 'exact number of durations in the sketch';
COMMENT ON FUNCTION csat.mean(csat.sketch) IS 'mean duration in seconds (exact sum / count)';
COMMENT ON FUNCTION csat.min(csat.sketch) IS 'exact smallest duration in seconds';
COMMENT ON FUNCTION csat.max(csat.sketch) IS 'exact largest duration in seconds';

-- ==== src/checks.sql ====
-- checks: grading values and rates against warning / breach thresholds

CREATE FUNCTION csat.threshold_check(value float8, warning float8, breach float8,
                                     higher_is_worse boolean DEFAULT true)
RETURNS csat.level
AS 'MODULE_PATHNAME', 'csat_threshold_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.threshold_check(float8, float8, float8, boolean) IS
'level of value against the thresholds: breach when past breach, warning when past warning, else ok; a value exactly at a threshold is not past it; NULL value, breach or direction -> NULL; NULL warning = no warning level';

CREATE FUNCTION csat.rate_check(successes bigint, n bigint, warning float8, breach float8,
                                higher_is_worse boolean DEFAULT true,
                                min_samples int DEFAULT 30,
                                confidence float8 DEFAULT 0.95)
RETURNS csat.level
AS 'MODULE_PATHNAME', 'csat_rate_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.rate_check(bigint, bigint, float8, float8, boolean, int, float8) IS
'level of the rate successes/n, judged on its Wilson bound (lower bound when higher is worse, upper otherwise) at the given confidence; NULL when n < min_samples';

-- ==== src/calendar.sql ====
-- calendar: business-hours calendars (weekly opening hours, holidays, a time zone)

CREATE FUNCTION csat.is_valid_time_zone(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'csat_is_valid_time_zone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.is_valid_time_zone(text) IS
'true when PostgreSQL knows the time zone name (as accepted by SET timezone / AT TIME ZONE, e.g. Europe/Berlin)';

CREATE TABLE csat.calendars (
    name        text PRIMARY KEY CHECK (name OPERATOR(pg_catalog.<>) ''),
    time_zone   text NOT NULL DEFAULT 'UTC' CHECK (csat.is_valid_time_zone(time_zone)),
    description text
);
COMMENT ON TABLE csat.calendars IS
'business-hours calendars: a name and the time zone whose wall clock the opening hours (csat.calendar_hours) and holidays (csat.calendar_holidays) are read on';
COMMENT ON COLUMN csat.calendars.name IS 'calendar name, as passed to csat.business_elapsed and used by csat.rules';
COMMENT ON COLUMN csat.calendars.time_zone IS 'time zone name, e.g. Europe/Berlin; DST changes are followed';
COMMENT ON COLUMN csat.calendars.description IS 'free text';

CREATE TABLE csat.calendar_hours (
    calendar text NOT NULL REFERENCES csat.calendars (name) ON UPDATE CASCADE ON DELETE CASCADE,
    isodow   integer NOT NULL CHECK (isodow BETWEEN 1 AND 7),
    opens    time NOT NULL,
    closes   time NOT NULL,
    PRIMARY KEY (calendar, isodow, opens),
    CHECK (opens OPERATOR(pg_catalog.<) closes)
);
COMMENT ON TABLE csat.calendar_hours IS
'weekly opening hours: one row per open range of a weekday (several per day allowed; overlapping ranges count once); a weekday without rows is closed';
COMMENT ON COLUMN csat.calendar_hours.calendar IS 'csat.calendars.name';
COMMENT ON COLUMN csat.calendar_hours.isodow IS 'ISO weekday: 1 = Monday .. 7 = Sunday';
COMMENT ON COLUMN csat.calendar_hours.opens IS 'local wall-clock time the range opens (inclusive)';
COMMENT ON COLUMN csat.calendar_hours.closes IS 'local wall-clock time the range closes (exclusive); 24:00 means midnight at the end of the day';

CREATE TABLE csat.calendar_holidays (
    calendar    text NOT NULL REFERENCES csat.calendars (name) ON UPDATE CASCADE ON DELETE CASCADE,
    day         date NOT NULL CHECK (pg_catalog.isfinite(day)),
    description text,
    PRIMARY KEY (calendar, day)
);
COMMENT ON TABLE csat.calendar_holidays IS
'local dates on which a calendar is closed all day';
COMMENT ON COLUMN csat.calendar_holidays.calendar IS 'csat.calendars.name';
COMMENT ON COLUMN csat.calendar_holidays.day IS 'closed local date';
COMMENT ON COLUMN csat.calendar_holidays.description IS 'free text, e.g. Christmas Day';

-- pg_dump keeps the user's rows (the extension creates none)
SELECT pg_catalog.pg_extension_config_dump('csat.calendars', '');
SELECT pg_catalog.pg_extension_config_dump('csat.calendar_hours', '');
SELECT pg_catalog.pg_extension_config_dump('csat.calendar_holidays', '');

-- everyone may read calendars (business_elapsed reads them as the caller);
-- the user who created the extension maintains them
GRANT SELECT ON csat.calendars, csat.calendar_hours, csat.calendar_holidays TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON csat.calendars, csat.calendar_hours, csat.calendar_holidays TO @extowner@;

CREATE FUNCTION csat.business_elapsed(start timestamptz, stop timestamptz, calendar text)
RETURNS float8
AS 'MODULE_PATHNAME', 'csat_business_elapsed'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.business_elapsed(timestamptz, timestamptz, text) IS
'seconds of [start, stop) inside the calendar''s opening hours, read on the wall clock of its time zone (an hour skipped by DST never counts, a repeated hour counts twice), minus holidays';

-- ==== src/watch.sql ====
-- watch: breach rules, the breach log, the watch registry, and the C
-- statement-level triggers that flag breaching rows of the user's tables.

CREATE TABLE csat.rules (
	name			text PRIMARY KEY,
	metric			text NOT NULL,
	segment			text,
	channel			text,
	warning			float8,
	breach			float8 NOT NULL,
	higher_is_worse boolean NOT NULL DEFAULT true,
	unit			text NOT NULL DEFAULT 'seconds',
	calendar		text,
	notify			boolean NOT NULL DEFAULT false,
	enabled			boolean NOT NULL DEFAULT true,
	min_samples		integer NOT NULL DEFAULT 30,
	confidence		float8 NOT NULL DEFAULT 0.95,
	CONSTRAINT rules_thresholds_finite CHECK (
		breach OPERATOR(pg_catalog.>) '-Infinity'::float8
		AND breach OPERATOR(pg_catalog.<) 'Infinity'::float8
		AND (warning IS NULL OR (warning OPERATOR(pg_catalog.>) '-Infinity'::float8
								 AND warning OPERATOR(pg_catalog.<) 'Infinity'::float8))),
	CONSTRAINT rules_thresholds_ordered CHECK (
		warning IS NULL
		OR (higher_is_worse AND warning OPERATOR(pg_catalog.<=) breach)
		OR (NOT higher_is_worse AND warning OPERATOR(pg_catalog.>=) breach)),
	CONSTRAINT rules_min_samples_positive CHECK (min_samples OPERATOR(pg_catalog.>=) 1),
	CONSTRAINT rules_confidence_range CHECK (
		confidence OPERATOR(pg_catalog.>) 0 AND confidence OPERATOR(pg_catalog.<) 1),
	CONSTRAINT rules_name_nonempty CHECK (name OPERATOR(pg_catalog.<>) ''),
	CONSTRAINT rules_metric_nonempty CHECK (metric OPERATOR(pg_catalog.<>) '')
);
-- one enabled rule per scope, so "the most specific rule" is always unique
CREATE UNIQUE INDEX rules_enabled_scope ON csat.rules (metric, segment, channel)
	NULLS NOT DISTINCT WHERE enabled;
COMMENT ON TABLE csat.rules IS 'breach rules: warning and breach thresholds of a metric, optionally per customer segment and channel (NULL = all); the most specific enabled rule applies';
COMMENT ON COLUMN csat.rules.name IS 'rule name (key), recorded in csat.breaches';
COMMENT ON COLUMN csat.rules.metric IS 'metric name, as given to csat.watch (e.g. first_response)';
COMMENT ON COLUMN csat.rules.segment IS 'customer segment the rule applies to (e.g. vip), NULL = every segment';
COMMENT ON COLUMN csat.rules.channel IS 'channel the rule applies to (e.g. chat), NULL = every channel';
COMMENT ON COLUMN csat.rules.warning IS 'warning threshold (NULL = no warning level); a value exactly at it is not past it';
COMMENT ON COLUMN csat.rules.breach IS 'breach threshold; a value exactly at it is not past it (180 s "within 3 minutes" is no breach)';
COMMENT ON COLUMN csat.rules.higher_is_worse IS 'true for durations and complaint rates (above = worse), false for scores (below = worse)';
COMMENT ON COLUMN csat.rules.unit IS 'unit of the thresholds, for display (durations are seconds)';
COMMENT ON COLUMN csat.rules.calendar IS 'name of a csat.calendars row: start/end durations are measured in its business hours; NULL = calendar time';
COMMENT ON COLUMN csat.rules.notify IS 'send NOTIFY csat_breach (one per statement) when the rule logs breaches';
COMMENT ON COLUMN csat.rules.enabled IS 'disabled rules are ignored';
COMMENT ON COLUMN csat.rules.min_samples IS 'minimum sample size before a rate check may alert (used by rate checks)';
COMMENT ON COLUMN csat.rules.confidence IS 'confidence of the Wilson bound used by rate checks, in (0,1)';

CREATE TABLE csat.breaches (
	rule			text NOT NULL,
	source			regclass NOT NULL,
	row_key			text NOT NULL,
	observed		float8 NOT NULL,
	threshold		float8 NOT NULL,
	level			csat.level NOT NULL,
	observed_at		timestamptz NOT NULL,
	-- the one index a write has to maintain; source first, rule last: cheapest comparisons
	CONSTRAINT breaches_one_per_row PRIMARY KEY (source, row_key, rule),
	CONSTRAINT breaches_level_not_ok CHECK (level OPERATOR(pg_catalog.<>) 'ok'::csat.level)
);
-- BRIN: next to free to maintain, enough for retention and "what is new" queries
CREATE INDEX breaches_observed_at ON csat.breaches USING brin (observed_at);
COMMENT ON TABLE csat.breaches IS 'breach log: one row per rule, source table and source row; a worse later observation escalates warning to breach in place';
COMMENT ON COLUMN csat.breaches.rule IS 'name of the csat.rules row that was crossed';
COMMENT ON COLUMN csat.breaches.source IS 'the watched table';
COMMENT ON COLUMN csat.breaches.row_key IS 'the source row''s key column, as text';
COMMENT ON COLUMN csat.breaches.observed IS 'observed value (seconds for durations; business seconds when the rule has a calendar)';
COMMENT ON COLUMN csat.breaches.threshold IS 'the threshold that was crossed (the breach threshold for level breach, else the warning threshold)';
COMMENT ON COLUMN csat.breaches.level IS 'warning or breach';
COMMENT ON COLUMN csat.breaches.observed_at IS 'time of the observation (transaction time of the write, or the sweep''s now)';

CREATE TABLE csat.watches (
	source			regclass NOT NULL,
	metric			text NOT NULL,
	key_column		text NOT NULL,
	value_column	text,
	start_column	text,
	end_column		text,
	segment_column	text,
	channel_column	text,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (source, metric),
	CONSTRAINT watches_value_or_span CHECK (
		(value_column IS NOT NULL AND start_column IS NULL AND end_column IS NULL)
		OR (value_column IS NULL AND start_column IS NOT NULL AND end_column IS NOT NULL))
);
COMMENT ON TABLE csat.watches IS 'watch registry: which tables csat.watch attached breach flagging to, and with which columns (managed by csat.watch and csat.unwatch)';
COMMENT ON COLUMN csat.watches.source IS 'the watched table';
COMMENT ON COLUMN csat.watches.metric IS 'metric whose rules apply to the rows';
COMMENT ON COLUMN csat.watches.key_column IS 'column identifying a row, recorded as csat.breaches.row_key';
COMMENT ON COLUMN csat.watches.value_column IS 'column holding the value (NULL when start/end are used)';
COMMENT ON COLUMN csat.watches.start_column IS 'timestamptz column where the measured span starts';
COMMENT ON COLUMN csat.watches.end_column IS 'timestamptz column where it ends (NULL = still open, flagged by csat.sweep)';
COMMENT ON COLUMN csat.watches.segment_column IS 'column holding the customer segment, matched against csat.rules.segment';
COMMENT ON COLUMN csat.watches.channel_column IS 'column holding the channel, matched against csat.rules.channel';
COMMENT ON COLUMN csat.watches.created_at IS 'when the watch was set up';

SELECT pg_catalog.pg_extension_config_dump('csat.rules', '');
SELECT pg_catalog.pg_extension_config_dump('csat.watches', '');
SELECT pg_catalog.pg_extension_config_dump('csat.breaches', '');

GRANT SELECT ON csat.rules, csat.watches TO PUBLIC;

-- Triggers cache rules and watches per backend; this keeps the caches honest
-- by sending a (transactional) relcache invalidation when either changes.
CREATE FUNCTION csat.watch_config_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'csat_watch_config_changed' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_config_changed() IS 'internal: invalidates the per-backend cache of rules and watches when csat.rules or csat.watches change';
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.rules
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
CREATE TRIGGER watches_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.watches
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();

-- calendars (family calendar) are cached with the rules that use them
CREATE TRIGGER calendars_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendars
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
CREATE TRIGGER calendar_hours_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendar_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();
CREATE TRIGGER calendar_holidays_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendar_holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_config_changed();

CREATE FUNCTION csat.watch_trigger() RETURNS trigger
	AS 'MODULE_PATHNAME', 'csat_watch_trigger' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_trigger() IS 'internal: statement-level AFTER INSERT/UPDATE trigger installed by csat.watch; logs breaching rows into csat.breaches';

CREATE FUNCTION csat.watch_partitions() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'csat_watch_partitions' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_partitions() IS 'internal: event trigger function; gives a partition created in or attached to a watched table the watch triggers';
-- statement triggers fire only for the table a statement names: a partition
-- written directly needs its own, also when it is created after the watch
CREATE EVENT TRIGGER csat_watch_partitions ON ddl_command_end
	WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
	EXECUTE FUNCTION csat.watch_partitions();
COMMENT ON EVENT TRIGGER csat_watch_partitions IS 'csat: puts the watch triggers on partitions created in or attached to watched tables';

CREATE FUNCTION csat.watch(source regclass, metric text, key_column text,
						   value_column text DEFAULT NULL,
						   start_column text DEFAULT NULL, end_column text DEFAULT NULL,
						   segment_column text DEFAULT NULL, channel_column text DEFAULT NULL,
						   backfill boolean DEFAULT true)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'csat_watch' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.watch(regclass, text, text, text, text, text, text, text, boolean) IS 'attach breach flagging for metric to a table the caller owns: value_column, or the span start_column..end_column in seconds; returns the number of breaches logged by the backfill';

CREATE FUNCTION csat.unwatch(source regclass, metric text) RETURNS void
	AS 'MODULE_PATHNAME', 'csat_unwatch' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.unwatch(regclass, text) IS 'stop flagging metric on a table (its triggers go when its last watch goes); logged breaches stay';

CREATE FUNCTION csat.sweep(now timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
	AS 'MODULE_PATHNAME', 'csat_sweep' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.sweep(timestamptz) IS 'flag open rows (start set, end NULL) of every watched table whose elapsed time until now is past a threshold; returns the number of breach rows logged or escalated';

CREATE FUNCTION csat.prune_breaches(older_than interval) RETURNS bigint
	LANGUAGE plpgsql STRICT VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	IF older_than < interval '0' OR isfinite(older_than) IS NOT TRUE THEN
		RAISE EXCEPTION 'retention interval must be a finite non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	DELETE FROM csat.breaches WHERE observed_at < now() - older_than;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION csat.prune_breaches(interval) IS 'delete breaches observed longer ago than older_than, of the tables the caller may SELECT (row security on csat.breaches); returns how many';

-- The objects of a trusted extension belong to the bootstrap superuser; the
-- user who created the extension edits rules and breaches with plain SQL.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON csat.rules TO @extowner@;
GRANT SELECT ON csat.watches TO @extowner@;

-- A breach reveals a row of its source table (key, value), so every role sees,
-- and the extension owner changes, only the breaches of tables it may SELECT.
-- ENABLE, not FORCE: the table's owner, as whom the breach-writing trigger writes,
-- is not subject to it (nor are superusers).  A dropped source's OID makes
-- has_table_privilege NULL: such rows are left to superusers.  TRUNCATE would
-- bypass the policy, so only the owner has it.
ALTER TABLE csat.breaches ENABLE ROW LEVEL SECURITY;
CREATE POLICY breaches_of_readable_tables ON csat.breaches
	USING (pg_catalog.has_table_privilege(source::pg_catalog.oid, 'SELECT'));
COMMENT ON POLICY breaches_of_readable_tables ON csat.breaches IS 'a role sees, updates and deletes (and inserts) only breaches of tables it has SELECT on';
GRANT SELECT ON csat.breaches TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.breaches TO @extowner@;

-- ==== src/views.sql ====
/*
 * views: the KPI product over the user's own tables.
 *
 *   csat.settings              time zone and baseline period (one row, user-edited)
 *   csat.sources               source mapping registry; csat.map_source / unmap_source
 *   csat.orders/tickets/...    standard views (UNION ALL of mapped tables), created by
 *                              map_source, security_invoker
 *   csat.changes               change log written by statement triggers on mapped tables
 *   csat.rollup_hourly/daily   mergeable states (counts, sums, sketches) per period,
 *                              channel, segment ('all' rows for totals)
 *   csat.refresh()             incremental (or full) rebuild of the rollups
 *   csat.kpi_hourly/daily/weekly/monthly   BI views over the rollups (src/views_kpi.sql)
 *   csat.schedule_refresh()    pg_cron scheduling
 *
 * Families this one builds on may be absent from a build (sketch: percentiles;
 * scores: Wilson bounds; checks: rules and levels); the DO blocks below look for
 * them at install time and fill the matching columns with NULL when absent, so the
 * views keep one shape in every build.
 */

-- ---------------------------------------------------------------- settings
CREATE FUNCTION csat.is_valid_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM now() AT TIME ZONE tz;
	RETURN true;
EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
	RETURN false;
END $$;
COMMENT ON FUNCTION csat.is_valid_timezone(text) IS
'true when the text names a time zone PostgreSQL knows (as in AT TIME ZONE); NULL input gives NULL';

CREATE TABLE csat.settings (
	id				boolean PRIMARY KEY DEFAULT true CHECK (id),
	timezone		text CHECK (csat.is_valid_timezone(timezone)),
	baseline_start	date,
	baseline_end	date,
	CHECK (baseline_end >= baseline_start)
);
COMMENT ON TABLE csat.settings IS
'csat configuration, at most one row (id = true); edit with plain SQL, e.g. INSERT INTO csat.settings (timezone) VALUES (''Asia/Shanghai'') ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone';
COMMENT ON COLUMN csat.settings.id IS 'always true: keeps the table to one row';
COMMENT ON COLUMN csat.settings.timezone IS 'time zone in which hours, days, weeks and months are cut (NULL: the database''s ALTER DATABASE ... SET timezone, else the zone of the first refresh); changing it makes the next csat.refresh() rebuild everything';
COMMENT ON COLUMN csat.settings.baseline_start IS 'first day of the baseline period the *_vs_baseline columns compare with (NULL: no baseline)';
COMMENT ON COLUMN csat.settings.baseline_end IS 'last day (inclusive) of the baseline period';
SELECT pg_catalog.pg_extension_config_dump('csat.settings', '');

-- ---------------------------------------------------------------- standard columns
CREATE FUNCTION csat.standard_columns()
RETURNS TABLE (kind text, name text, class text, required boolean, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
VALUES
	('orders', 'order_id', 'id', true, 1), ('orders', 'ordered_at', 'ts', true, 2),
	('orders', 'promised_at', 'ts', false, 3), ('orders', 'delivered_at', 'ts', false, 4),
	('orders', 'exception', 'bool', false, 5), ('orders', 'channel', 'text', false, 6),
	('orders', 'segment', 'text', false, 7), ('orders', 'merchant', 'text', false, 8),
	('tickets', 'ticket_id', 'id', true, 1), ('tickets', 'order_id', 'id', false, 2),
	('tickets', 'opened_at', 'ts', true, 3), ('tickets', 'first_response_at', 'ts', false, 4),
	('tickets', 'resolved_at', 'ts', false, 5), ('tickets', 'is_complaint', 'bool', false, 6),
	('tickets', 'channel', 'text', false, 7), ('tickets', 'priority', 'text', false, 8),
	('tickets', 'segment', 'text', false, 9),
	('surveys', 'answered_at', 'ts', true, 1), ('surveys', 'score', 'int', true, 2),
	('surveys', 'scale_max', 'int', false, 3), ('surveys', 'weight', 'float', false, 4),
	('surveys', 'dimension', 'text', false, 5), ('surveys', 'channel', 'text', false, 6),
	('surveys', 'segment', 'text', false, 7), ('surveys', 'order_id', 'id', false, 8),
	('returns', 'return_id', 'id', true, 1), ('returns', 'order_id', 'id', false, 2),
	('returns', 'requested_at', 'ts', true, 3), ('returns', 'completed_at', 'ts', false, 4),
	('returns', 'reason', 'text', false, 5)
$$;
COMMENT ON FUNCTION csat.standard_columns() IS
'the standard columns of each source kind: name, class (id: any type; ts: timestamptz; bool: boolean; text: any type, shown as text; int: an integer type; float: a numeric type, shown as float8), whether csat.map_source requires it, and its position in the standard view';

-- the period column that decides which hour a row of each kind belongs to
CREATE FUNCTION csat.period_column(kind text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE kind WHEN 'orders' THEN 'ordered_at' WHEN 'tickets' THEN 'opened_at'
	WHEN 'surveys' THEN 'answered_at' WHEN 'returns' THEN 'requested_at' END
$$;
COMMENT ON FUNCTION csat.period_column(text) IS
'the standard timestamp column that places a row of the given kind in its hour/day (orders: ordered_at, tickets: opened_at, surveys: answered_at, returns: requested_at); NULL for an unknown kind';

-- ---------------------------------------------------------------- registry, change log
CREATE TABLE csat.sources (
	kind		text NOT NULL CHECK (kind IN ('orders', 'tickets', 'surveys', 'returns')),
	source		regclass NOT NULL,
	columns		jsonb NOT NULL,
	mapped_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (kind, source)
);
COMMENT ON TABLE csat.sources IS 'source mapping registry: which user tables feed each standard view; written by csat.map_source / csat.unmap_source';
COMMENT ON COLUMN csat.sources.kind IS 'orders, tickets, surveys or returns';
COMMENT ON COLUMN csat.sources.source IS 'the mapped user table';
COMMENT ON COLUMN csat.sources.columns IS 'resolved mapping: standard column name -> the table''s column name, for every standard column the table provides';
COMMENT ON COLUMN csat.sources.mapped_at IS 'when the mapping was (re)made';
SELECT pg_catalog.pg_extension_config_dump('csat.sources', '');

-- Appended to by the statement triggers on mapped tables (as the owner of csat's
-- tables, so writers need no grant); hour NULL means "rebuild everything" (TRUNCATE,
-- mapping changes).
CREATE TABLE csat.changes (
	kind		text NOT NULL,
	hour		timestamptz,
	noted_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX changes_kind_hour ON csat.changes (kind, hour);
COMMENT ON TABLE csat.changes IS 'periods whose source rows changed since the last csat.refresh(): one row per kind and UTC hour touched (hour NULL: rebuild all); written by the change-tracking triggers, consumed by csat.refresh()';
COMMENT ON COLUMN csat.changes.kind IS 'source kind whose rows changed';
COMMENT ON COLUMN csat.changes.hour IS 'start of the touched hour, truncated in UTC (NULL: everything)';
COMMENT ON COLUMN csat.changes.noted_at IS 'when the change was noted';
SELECT pg_catalog.pg_extension_config_dump('csat.changes', '');

-- ---------------------------------------------------------------- rollups
CREATE TABLE csat.rollup_hourly (
	hour				timestamptz NOT NULL,
	channel				text NOT NULL,
	segment				text NOT NULL,
	orders				bigint NOT NULL DEFAULT 0,
	delivered			bigint NOT NULL DEFAULT 0,
	late				bigint NOT NULL DEFAULT 0,
	exceptions			bigint NOT NULL DEFAULT 0,
	tickets				bigint NOT NULL DEFAULT 0,
	complaints			bigint NOT NULL DEFAULT 0,
	responded			bigint NOT NULL DEFAULT 0,
	resolved			bigint NOT NULL DEFAULT 0,
	responses			bigint NOT NULL DEFAULT 0,
	satisfied			bigint NOT NULL DEFAULT 0,
	very_satisfied		bigint NOT NULL DEFAULT 0,
	score_sum			float8 NOT NULL DEFAULT 0,
	weight_sum			float8 NOT NULL DEFAULT 0,
	weighted_sum		float8 NOT NULL DEFAULT 0,
	nps_responses		bigint NOT NULL DEFAULT 0,
	promoters			bigint NOT NULL DEFAULT 0,
	detractors			bigint NOT NULL DEFAULT 0,
	returns				bigint NOT NULL DEFAULT 0,
	returns_completed	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (hour, channel, segment)
);
CREATE TABLE csat.rollup_daily (
	day					date NOT NULL,
	channel				text NOT NULL,
	segment				text NOT NULL,
	orders				bigint NOT NULL DEFAULT 0,
	delivered			bigint NOT NULL DEFAULT 0,
	late				bigint NOT NULL DEFAULT 0,
	exceptions			bigint NOT NULL DEFAULT 0,
	tickets				bigint NOT NULL DEFAULT 0,
	complaints			bigint NOT NULL DEFAULT 0,
	responded			bigint NOT NULL DEFAULT 0,
	resolved			bigint NOT NULL DEFAULT 0,
	responses			bigint NOT NULL DEFAULT 0,
	satisfied			bigint NOT NULL DEFAULT 0,
	very_satisfied		bigint NOT NULL DEFAULT 0,
	score_sum			float8 NOT NULL DEFAULT 0,
	weight_sum			float8 NOT NULL DEFAULT 0,
	weighted_sum		float8 NOT NULL DEFAULT 0,
	nps_responses		bigint NOT NULL DEFAULT 0,
	promoters			bigint NOT NULL DEFAULT 0,
	detractors			bigint NOT NULL DEFAULT 0,
	returns				bigint NOT NULL DEFAULT 0,
	returns_completed	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (day, channel, segment)
);

DO $$
DECLARE
	t text;
BEGIN
	-- percentile sketches, when the sketch family is part of this build
	IF pg_catalog.to_regtype('csat.sketch') IS NOT NULL THEN
		FOREACH t IN ARRAY ARRAY['rollup_hourly', 'rollup_daily'] LOOP
			EXECUTE pg_catalog.format('ALTER TABLE csat.%I ADD COLUMN delivery_sketch csat.sketch,'
									  ' ADD COLUMN frt_sketch csat.sketch, ADD COLUMN resolution_sketch csat.sketch,'
									  ' ADD COLUMN return_sketch csat.sketch', t);
		END LOOP;
	END IF;
END $$;

CREATE TABLE csat.rollup_state (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	timezone	text NOT NULL,
	refreshed_at timestamptz NOT NULL
);
COMMENT ON TABLE csat.rollup_state IS 'the time zone the rollups are cut in and when they were last refreshed (one row, written by csat.refresh())';
COMMENT ON COLUMN csat.rollup_state.id IS 'always true: keeps the table to one row';
COMMENT ON COLUMN csat.rollup_state.timezone IS 'time zone of the periods in csat.rollup_hourly/daily';
COMMENT ON COLUMN csat.rollup_state.refreshed_at IS 'end of the last successful refresh';

CREATE TABLE csat.refresh_log (
	started_at		timestamptz NOT NULL PRIMARY KEY,
	finished_at		timestamptz NOT NULL,
	duration_s		float8 NOT NULL,
	full_rebuild	boolean NOT NULL,
	timezone		text NOT NULL,
	hours_touched	bigint NOT NULL,
	days_touched	bigint NOT NULL,
	first_period	timestamptz,
	last_period		timestamptz
);
COMMENT ON TABLE csat.refresh_log IS 'one row per csat.refresh() run (the last 100 are kept)';
COMMENT ON COLUMN csat.refresh_log.started_at IS 'start of the run';
COMMENT ON COLUMN csat.refresh_log.finished_at IS 'end of the run';
COMMENT ON COLUMN csat.refresh_log.duration_s IS 'run time in seconds';
COMMENT ON COLUMN csat.refresh_log.full_rebuild IS 'true when everything was rebuilt';
COMMENT ON COLUMN csat.refresh_log.timezone IS 'time zone the periods were cut in';
COMMENT ON COLUMN csat.refresh_log.hours_touched IS 'hours recomputed';
COMMENT ON COLUMN csat.refresh_log.days_touched IS 'days recomputed';
COMMENT ON COLUMN csat.refresh_log.first_period IS 'start of the earliest hour recomputed';
COMMENT ON COLUMN csat.refresh_log.last_period IS 'start of the latest hour recomputed';

SELECT pg_catalog.pg_extension_config_dump('csat.rollup_hourly', '');
SELECT pg_catalog.pg_extension_config_dump('csat.rollup_daily', '');
SELECT pg_catalog.pg_extension_config_dump('csat.rollup_state', '');
SELECT pg_catalog.pg_extension_config_dump('csat.refresh_log', '');

COMMENT ON TABLE csat.rollup_hourly IS 'mergeable KPI states per hour (cut in csat.rollup_state.timezone), channel and segment; channel or segment ''all'' holds the totals; kept by csat.refresh(), read by csat.kpi_hourly';
COMMENT ON TABLE csat.rollup_daily IS 'mergeable KPI states per day, channel and segment, rolled up from csat.rollup_hourly; read by csat.kpi_daily/weekly/monthly';

CREATE VIEW csat.refresh_status AS
SELECT l.started_at, l.finished_at, l.duration_s, l.full_rebuild, l.timezone,
	   l.hours_touched, l.days_touched, l.first_period, l.last_period,
	   (SELECT pg_catalog.count(*) FROM csat.changes c) AS pending_changes
FROM csat.refresh_log l
ORDER BY l.started_at DESC
LIMIT 1;
COMMENT ON VIEW csat.refresh_status IS 'the last csat.refresh() run: when, how long, full or incremental, which periods it recomputed; and how many change records wait for the next run';
COMMENT ON COLUMN csat.refresh_status.started_at IS 'start of the last run';
COMMENT ON COLUMN csat.refresh_status.finished_at IS 'end of the last run';
COMMENT ON COLUMN csat.refresh_status.duration_s IS 'run time in seconds';
COMMENT ON COLUMN csat.refresh_status.full_rebuild IS 'true when everything was rebuilt';
COMMENT ON COLUMN csat.refresh_status.timezone IS 'time zone the periods were cut in';
COMMENT ON COLUMN csat.refresh_status.hours_touched IS 'hours recomputed';
COMMENT ON COLUMN csat.refresh_status.days_touched IS 'days recomputed';
COMMENT ON COLUMN csat.refresh_status.first_period IS 'start of the earliest hour recomputed';
COMMENT ON COLUMN csat.refresh_status.last_period IS 'start of the latest hour recomputed';
COMMENT ON COLUMN csat.refresh_status.pending_changes IS 'change records written since (periods the next refresh will recompute)';

-- ---------------------------------------------------------------- time zone
CREATE FUNCTION csat.timezone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT coalesce(
	(SELECT s.timezone FROM csat.settings s),
	(SELECT substr(c, 10) FROM pg_db_role_setting d, unnest(d.setconfig) c
	  WHERE d.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND d.setrole = 0 AND lower(c) LIKE 'timezone=%' LIMIT 1),
	(SELECT r.timezone FROM csat.rollup_state r),
	current_setting('TimeZone'))
$$;
COMMENT ON FUNCTION csat.timezone() IS
'the time zone csat cuts periods in: csat.settings.timezone, else the database''s own TimeZone setting (ALTER DATABASE ... SET timezone), else the zone the rollups were last built in, else the session''s';

-- ---------------------------------------------------------------- mapping
-- Change tracking (C, src/track.c): writers of a mapped table need no rights on
-- csat.changes; the trigger notes the hours as the owner of csat's tables.
CREATE FUNCTION csat.track_change() RETURNS trigger
AS 'MODULE_PATHNAME', 'csat_track_change' LANGUAGE C;
COMMENT ON FUNCTION csat.track_change() IS
'statement trigger installed on mapped tables by csat.map_source (arguments: kind, the period column at mapping time): notes in csat.changes the UTC hours whose rows were inserted, updated or deleted (the period column is the mapping''s; TRUNCATE notes everything), so csat.refresh() recomputes only those; writes as the owner of csat''s tables, and refuses to run on a table not mapped as that kind (55000)';

-- (re)create the standard view of one kind from the registry
CREATE FUNCTION csat.build_standard_view(kind text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	parts text[] := '{}';
	r record;
	c record;
	sel text;
	idtype record;
	vname text := kind;
	cols text;
	i int := 0;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM csat.sources s WHERE s.kind = build_standard_view.kind) THEN
		IF to_regclass(format('csat.%I', vname)) IS NOT NULL THEN
			EXECUTE format('DROP VIEW csat.%I', vname);
		END IF;
		RETURN;
	END IF;
	FOR r IN SELECT s.source, s.columns FROM csat.sources s
			  WHERE s.kind = build_standard_view.kind ORDER BY s.source::oid LOOP
		sel := '';
		FOR c IN SELECT sc.name, sc.class FROM csat.standard_columns() sc
				  WHERE sc.kind = build_standard_view.kind ORDER BY sc.ord LOOP
			IF sel <> '' THEN sel := sel || ', '; END IF;
			IF r.columns ? c.name THEN
				sel := sel || CASE c.class
					WHEN 'id' THEN
						-- ids keep their type when every source of the kind agrees, else text
						CASE WHEN (SELECT count(DISTINCT a.atttypid) FROM csat.sources s2
									 JOIN pg_attribute a ON a.attrelid = s2.source
														AND a.attname = (s2.columns ->> c.name)
									WHERE s2.kind = build_standard_view.kind AND s2.columns ? c.name) > 1
								  OR EXISTS (SELECT 1 FROM csat.sources s3 WHERE s3.kind = build_standard_view.kind
												AND NOT s3.columns ? c.name)
							 -- (as text by the built-in cast or the output function: no user cast)
							 THEN csat.text_sql(r.columns ->> c.name,
								  (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) r.source::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) (r.columns OPERATOR(pg_catalog.->>) c.name)))
							 ELSE format('t.%I', r.columns ->> c.name) END
					-- +-infinity ("not yet") counts as NULL, on every major alike
					WHEN 'ts' THEN format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', r.columns ->> c.name)
					WHEN 'bool' THEN format('t.%I', r.columns ->> c.name)
					WHEN 'text' THEN csat.text_sql(r.columns ->> c.name,
						 (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) r.source::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) (r.columns OPERATOR(pg_catalog.->>) c.name)))
					WHEN 'int' THEN format('t.%I::integer', r.columns ->> c.name)
					WHEN 'float' THEN format('t.%I::double precision', r.columns ->> c.name)
				END;
			ELSE
				sel := sel || CASE c.class
					WHEN 'id' THEN 'NULL::text'
					WHEN 'ts' THEN 'NULL::timestamp with time zone'
					WHEN 'bool' THEN 'NULL::boolean'
					WHEN 'text' THEN 'NULL::text'
					WHEN 'int' THEN 'NULL::integer'
					WHEN 'float' THEN 'NULL::double precision'
				END;
			END IF;
			sel := sel || ' AS ' || quote_ident(c.name);
		END LOOP;
		parts := parts || format('SELECT %s FROM %s t', sel, r.source);
	END LOOP;
	-- the shape may change (an id type), so replace rather than CREATE OR REPLACE
	IF to_regclass(format('csat.%I', vname)) IS NOT NULL THEN
		EXECUTE format('DROP VIEW csat.%I', vname);
	END IF;
	EXECUTE format('CREATE VIEW csat.%I WITH (security_invoker = true) AS %s',
				   vname, array_to_string(parts, ' UNION ALL '));
	EXECUTE format('COMMENT ON VIEW csat.%I IS %L', vname,
				   format('csat standard view of the %s kind: UNION ALL of the tables mapped with csat.map_source (security_invoker: readers see only rows they may read); rebuilt on every mapping change', kind));
	FOR c IN SELECT sc.name, sc.class FROM csat.standard_columns() sc
			  WHERE sc.kind = build_standard_view.kind ORDER BY sc.ord LOOP
		EXECUTE format('COMMENT ON COLUMN csat.%I.%I IS %L', vname, c.name,
					   format('standard column %s of kind %s (NULL where a mapped table lacks it)', c.name, kind));
	END LOOP;
END $$;
COMMENT ON FUNCTION csat.build_standard_view(text) IS
'(re)creates the standard view csat.<kind> as the UNION ALL of the tables mapped to that kind (dropped when none is); called by csat.map_source and csat.unmap_source';

-- Citus distributed and reference tables (not Citus local tables): their rows are
-- written through shards on the workers, where triggers cannot note changes for us.
CREATE FUNCTION csat.citus_sharded(source regclass) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	sharded boolean := false;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		EXECUTE 'SELECT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = $1'
				' AND NOT (p.partmethod = ''n'' AND p.repmodel = ''s'' AND p.colocationid = 0))'
		   INTO sharded USING source;
	END IF;
	RETURN sharded;
END $$;
COMMENT ON FUNCTION csat.citus_sharded(regclass) IS
'internal: true for a Citus distributed or reference table (csat.map_source installs no change tracking on it; csat.refresh then rebuilds everything), false otherwise and without Citus';

CREATE FUNCTION csat.map_source(kind text, source regclass, columns jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	k text;
	v jsonb;
	resolved jsonb := '{}';
	c record;
	col text;
	att record;
	rel record;
	allowed text;
	trig text;
BEGIN
	IF kind IS NULL OR source IS NULL THEN
		RAISE EXCEPTION 'kind and source must not be null' USING ERRCODE = '22004';
	END IF;
	IF kind NOT IN ('orders', 'tickets', 'surveys', 'returns') THEN
		RAISE EXCEPTION 'unknown source kind "%"', kind USING ERRCODE = '22023',
			HINT = 'The kinds are orders, tickets, surveys and returns.';
	END IF;
	columns := coalesce(columns, '{}');
	IF jsonb_typeof(columns) <> 'object' THEN
		RAISE EXCEPTION 'columns must be a JSON object' USING ERRCODE = '22023',
			DETAIL = format('Got a JSON %s.', jsonb_typeof(columns)),
			HINT = 'Map standard names to the table''s column names, e.g. {"opened_at": "created"}.';
	END IF;
	SELECT cl.relkind, cl.relowner INTO rel FROM pg_class cl WHERE cl.oid = source;
	IF rel.relkind NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '"%" is not a table', source USING ERRCODE = '42809',
			DETAIL = 'csat tracks changes with triggers, so only tables and partitioned tables can be mapped.';
	END IF;
	IF NOT pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', source USING ERRCODE = '42501';
	END IF;
	FOR k, v IN SELECT * FROM jsonb_each(columns) LOOP
		IF NOT EXISTS (SELECT 1 FROM csat.standard_columns() sc
						WHERE sc.kind = map_source.kind AND sc.name = k) THEN
			SELECT string_agg(sc.name, ', ' ORDER BY sc.ord) INTO allowed
			  FROM csat.standard_columns() sc WHERE sc.kind = map_source.kind;
			RAISE EXCEPTION '"%" is not a standard column of kind %', k, kind USING ERRCODE = '22023',
				HINT = format('The standard columns of %s are %s.', kind, allowed);
		END IF;
		IF jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'the mapping of "%" must be a column name', k USING ERRCODE = '22023',
				DETAIL = format('Got a JSON %s.', jsonb_typeof(v));
		END IF;
	END LOOP;
	FOR c IN SELECT sc.name, sc.class, sc.required FROM csat.standard_columns() sc
			  WHERE sc.kind = map_source.kind ORDER BY sc.ord LOOP
		col := coalesce(columns ->> c.name, c.name);
		SELECT a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod) AS typname
		  INTO att FROM pg_attribute a
		 WHERE a.attrelid = source AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			IF columns ? c.name THEN
				RAISE EXCEPTION 'column "%" of relation % does not exist', col, source
					USING ERRCODE = '42703',
					DETAIL = format('The mapping names it for standard column %s.', c.name);
			ELSIF c.required THEN
				RAISE EXCEPTION 'required standard column "%" of kind % is not mapped', c.name, kind
					USING ERRCODE = '42703',
					DETAIL = format('Table %s has no column named %s and the mapping does not name one.', source, c.name),
					HINT = format('Pass it in columns, e.g. {"%s": "my_column"}.', c.name);
			END IF;
			CONTINUE;			-- optional column absent: NULL in the view
		END IF;
		IF (c.class = 'ts' AND att.atttypid <> 'timestamptz'::regtype)
		   OR (c.class = 'bool' AND att.atttypid <> 'boolean'::regtype)
		   OR (c.class = 'int' AND att.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype))
		   OR (c.class = 'float' AND att.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
														   'numeric'::regtype, 'real'::regtype, 'double precision'::regtype)) THEN
			RAISE EXCEPTION 'column "%" of relation % has type %, standard column % needs %', col, source, att.typname, c.name,
				CASE c.class WHEN 'ts' THEN 'timestamp with time zone' WHEN 'bool' THEN 'boolean'
					 WHEN 'int' THEN 'an integer type' ELSE 'a numeric type' END
				USING ERRCODE = '42804',
				HINT = CASE WHEN c.class = 'ts' THEN 'Convert it with ALTER TABLE ... ALTER COLUMN ... TYPE timestamptz USING ... AT TIME ZONE ..., or add a generated column and map that.'
							ELSE 'Add a generated column of the right type and map that.' END;
		END IF;
		resolved := resolved || jsonb_build_object(c.name, col);
	END LOOP;

	INSERT INTO csat.sources AS s (kind, source, columns) VALUES (kind, source, resolved)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET columns = EXCLUDED.columns, mapped_at = now();
	PERFORM csat.build_standard_view(kind);

	-- change tracking: one statement trigger per event (transition tables need that)
	trig := 'csat_track_' OPERATOR(pg_catalog.||) kind;
	FOR k IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
			  WHERE tg.tgrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
				AND tg.tgname::pg_catalog.text OPERATOR(pg_catalog.~~) (trig OPERATOR(pg_catalog.||) '\_%') LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', k, source);
	END LOOP;
	-- but none on a Citus distributed or reference table: its triggers would fire on the
	-- workers' shards and note the changes there, where csat.refresh() never looks (it
	-- rebuilds everything while such a table is mapped)
	IF NOT csat.citus_sharded(source) THEN
		col := resolved OPERATOR(pg_catalog.->>) csat.period_column(kind);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_ins', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_upd', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS csat_old'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_del', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_trunc', source, kind, col);
	END IF;
	-- a new or changed mapping invalidates every period
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
END $$;
COMMENT ON FUNCTION csat.map_source(text, regclass, jsonb) IS
'maps a user table to a source kind (orders, tickets, surveys, returns): columns maps standard names to the table''s own ({"opened_at": "created"}; unmapped standard names map to same-named columns, optional ones may be absent); validates names and types (42703 unknown column, 42804 wrong type, 22023 unknown kind or standard name, 42809 not a table, 42501 not owner), records the mapping, (re)creates the standard view csat.<kind> and installs the change-tracking triggers (none on a Citus distributed or reference table: csat.refresh() then rebuilds everything); mapping the same table again replaces its mapping';

CREATE FUNCTION csat.unmap_source(kind text, source regclass DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
	n bigint := 0;
	t text;
BEGIN
	IF kind IS NULL OR kind NOT IN ('orders', 'tickets', 'surveys', 'returns') THEN
		RAISE EXCEPTION 'unknown source kind "%"', kind USING ERRCODE = '22023',
			HINT = 'The kinds are orders, tickets, surveys and returns.';
	END IF;
	FOR r IN DELETE FROM csat.sources s
			  WHERE s.kind = unmap_source.kind AND (unmap_source.source IS NULL OR s.source = unmap_source.source)
			  RETURNING s.source LOOP
		n := n + 1;
		FOR t IN SELECT tg.tgname FROM pg_trigger tg
				  WHERE tg.tgrelid = r.source AND tg.tgname LIKE 'csat\_track\_' || kind || '\_%' LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', t, r.source);
		END LOOP;
	END LOOP;
	IF n = 0 AND source IS NOT NULL THEN
		RAISE EXCEPTION 'table % is not mapped as %', source, kind USING ERRCODE = '42704';
	END IF;
	PERFORM csat.build_standard_view(kind);
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.unmap_source(text, regclass) IS
'removes the mapping of one table (or, with source NULL, of every table) of a kind, drops its change-tracking triggers and rebuilds (or drops) the standard view; returns how many mappings were removed; 42704 if the given table is not mapped';

-- ---------------------------------------------------------------- dropped tables
-- A dropped table's OID would dangle in csat.sources (and csat.watches, csat.breaches
-- of family watch), survive pg_dump as a number and could later name an unrelated
-- table.  The cleanup runs as the owner of csat's tables (src/track.c).
CREATE FUNCTION csat.drop_cleanup() RETURNS event_trigger
AS 'MODULE_PATHNAME', 'csat_drop_cleanup' LANGUAGE C;
COMMENT ON FUNCTION csat.drop_cleanup() IS
'internal: sql_drop event trigger function; removes the mappings (csat.sources), watches (csat.watches) and breaches (csat.breaches) of dropped tables, notes a full refresh of the kinds that lost a table and rebuilds their standard views';
CREATE EVENT TRIGGER csat_drop_cleanup ON sql_drop
	EXECUTE FUNCTION csat.drop_cleanup();
COMMENT ON EVENT TRIGGER csat_drop_cleanup IS 'csat: forgets the mappings, watches and breaches of dropped tables';

-- ---------------------------------------------------------------- refresh
-- The measures of the rollup tables, in table order, and per kind the expression
-- computing each from the standard view's rows (x.<standard column>).
CREATE FUNCTION csat.rollup_measures()
RETURNS TABLE (name text, kind text, expr text, is_sketch boolean, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
VALUES
	('orders', 'orders', 'count(*)', false, 1),
	('delivered', 'orders', 'count(x.delivered_at)', false, 2),
	('late', 'orders', 'count(*) FILTER (WHERE x.delivered_at > x.promised_at)', false, 3),
	('exceptions', 'orders', 'count(*) FILTER (WHERE x.exception)', false, 4),
	('tickets', 'tickets', 'count(*)', false, 5),
	('complaints', 'tickets', 'count(*) FILTER (WHERE x.is_complaint)', false, 6),
	('responded', 'tickets', 'count(x.first_response_at)', false, 7),
	('resolved', 'tickets', 'count(x.resolved_at)', false, 8),
	('responses', 'surveys', 'count(*) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5)', false, 9),
	('satisfied', 'surveys', 'count(*) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 4 AND 5)', false, 10),
	('very_satisfied', 'surveys', 'count(*) FILTER (WHERE x.sc = 5 AND x.score = 5)', false, 11),
	('score_sum', 'surveys', 'coalesce(sum(x.score::float8) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5), 0)', false, 12),
	('weight_sum', 'surveys', 'coalesce(sum(x.w) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5), 0)', false, 13),
	('weighted_sum', 'surveys', 'coalesce(sum(x.w * x.score) FILTER (WHERE x.sc = 5 AND x.score BETWEEN 1 AND 5), 0)', false, 14),
	('nps_responses', 'surveys', 'count(*) FILTER (WHERE x.sc = 10 AND x.score BETWEEN 0 AND 10)', false, 15),
	('promoters', 'surveys', 'count(*) FILTER (WHERE x.sc = 10 AND x.score BETWEEN 9 AND 10)', false, 16),
	('detractors', 'surveys', 'count(*) FILTER (WHERE x.sc = 10 AND x.score BETWEEN 0 AND 6)', false, 17),
	('returns', 'returns', 'count(*)', false, 18),
	('returns_completed', 'returns', 'count(x.completed_at)', false, 19),
	('delivery_sketch', 'orders', 'csat.sla_sketch(date_part(''epoch'', x.delivered_at - x.ordered_at)) FILTER (WHERE x.delivered_at >= x.ordered_at)', true, 20),
	('frt_sketch', 'tickets', 'csat.sla_sketch(date_part(''epoch'', x.first_response_at - x.opened_at)) FILTER (WHERE x.first_response_at >= x.opened_at)', true, 21),
	('resolution_sketch', 'tickets', 'csat.sla_sketch(date_part(''epoch'', x.resolved_at - x.opened_at)) FILTER (WHERE x.resolved_at >= x.opened_at)', true, 22),
	('return_sketch', 'returns', 'csat.sla_sketch(date_part(''epoch'', x.completed_at - x.requested_at)) FILTER (WHERE x.completed_at >= x.requested_at)', true, 23)
$$;
COMMENT ON FUNCTION csat.rollup_measures() IS
'the measures kept in csat.rollup_hourly/daily and, per source kind, the aggregate computing each (CSAT answers: scale_max 5 (the default) and score 1-5; NPS answers: scale_max 10 and score 0-10; weight NULL counts as 1; durations that are negative are left out of the sketches)';

-- ---------------------------------------------------------------- reading sources as their owners
-- csat.refresh() does not read the standard views: their UNION ALL spans tables of
-- different owners, and reading them would run those owners' code (row-security
-- policies, functions of mapped views, casts) with the caller's rights.  It reads each
-- mapped table through csat.source_partials / csat.source_rows (C), which check that
-- the caller may read the whole table and then run the statement built here for it
-- as the table's owner (SECURITY_RESTRICTED_OPERATION, search_path pinned).  Only
-- these fixed shapes exist, built from the validated mapping in csat.sources:
--   partials      (orders, tickets, surveys) rows shaped like csat.rollup_hourly, one
--                 per hour, channel and segment ($1 time zone); partials_ranged: of
--                 the rows in [$2[i], $3[i])
--   returns       (returns) order_id (as text), requested_at, completed_at;
--                 returns_ranged: of the returns in [$2[i], $3[i])
--   order_keys    (orders) order_id, channel, segment of the orders whose order_id is
--                 in $4 (text)
--   order_ids     (orders) order_id of the orders placed in [$2[i], $3[i])
--   return_hours  (returns) UTC hours of the returns whose order_id is in $4
-- Values are made text by their type's output function (pg_catalog.format('%s')),
-- except that built-in types keep their built-in cast: no user cast runs.
-- The text of column col (of type typ) of the table aliased t: built-in types by their
-- built-in cast (as the standard views do), other types by their output function, so
-- that no user-defined cast runs.
CREATE FUNCTION csat.text_sql(col text, typ oid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace::pg_catalog.oid
			THEN pg_catalog.format('t.%I::pg_catalog.text', col)
			ELSE pg_catalog.format('CASE WHEN t.%1$I IS NULL THEN NULL ELSE pg_catalog.format(''%%s'', t.%1$I) END', col) END
  FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) typ
$$;
COMMENT ON FUNCTION csat.text_sql(text, oid) IS
'internal: SQL for the text of column col of type typ of the table aliased t: built-in types by their built-in cast to text, other types by their output function (no user-defined cast runs)';

CREATE FUNCTION csat.source_sql(kind text, source regclass, part text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	m jsonb;
	tbl text;
	pcol text := csat.period_column(kind);
	c record;
	cols text := '';
	sel text;
	expr text;
	ranged text;
	typed boolean;
	idtype oid;
	idnum int2;
	indexed boolean;
	is_ranged boolean := part OPERATOR(pg_catalog.~~) '%\_ranged';
BEGIN
	SELECT s.columns, pg_catalog.format('%I.%I', n.nspname, cl.relname) INTO m, tbl
	  FROM csat.sources s JOIN pg_catalog.pg_class cl ON cl.oid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid
	  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) cl.relnamespace
	 WHERE s.kind OPERATOR(pg_catalog.=) source_sql.kind AND s.source::pg_catalog.oid OPERATOR(pg_catalog.=) source_sql.source::pg_catalog.oid;
	IF m IS NULL THEN
		RAISE EXCEPTION 'table % is not mapped as %', source, kind USING ERRCODE = '42704';
	END IF;
	-- a mapped column renamed or dropped since: say so rather than read NULLs
	SELECT k.key, k.value INTO c FROM pg_catalog.jsonb_each_text(m) k
	 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
						  AND a.attname OPERATOR(pg_catalog.=) k.value AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', c.value, source USING ERRCODE = '42703',
			DETAIL = pg_catalog.format('The mapping of kind %s names it for standard column %s.', kind, c.key),
			HINT = 'Map the table again with csat.map_source.';
	END IF;
	IF NOT (part OPERATOR(pg_catalog.=) ANY ('{partials,partials_ranged}'::text[]) AND kind OPERATOR(pg_catalog.=) ANY ('{orders,tickets,surveys}'::text[])
			OR part OPERATOR(pg_catalog.=) ANY ('{returns,returns_ranged,return_hours}'::text[]) AND kind OPERATOR(pg_catalog.=) 'returns'
			OR part OPERATOR(pg_catalog.=) ANY ('{order_keys,order_ids}'::text[]) AND kind OPERATOR(pg_catalog.=) 'orders') THEN
		RAISE EXCEPTION 'no part "%" of kind %', part, kind USING ERRCODE = '22023';
	END IF;
	-- *_ranged: the rows in [$2[i], $3[i]) (each joins once: the ranges are disjoint)
	ranged := pg_catalog.format(' JOIN ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS r(lo, hi)'
								' ON t.%1$I OPERATOR(pg_catalog.>=) r.lo AND t.%1$I OPERATOR(pg_catalog.<) r.hi',
								m OPERATOR(pg_catalog.->>) pcol);

	IF part OPERATOR(pg_catalog.~~) 'partials%' THEN
		-- the standard columns the measures read (the view's, less ids and labels)
		FOR c IN SELECT sc.name, sc.class, a.atttypid AS typ FROM csat.standard_columns() sc
				   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
						AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) sc.name)
				  WHERE sc.kind OPERATOR(pg_catalog.=) source_sql.kind AND sc.class OPERATOR(pg_catalog.<>) 'id'
					AND (sc.class OPERATOR(pg_catalog.<>) 'text' OR sc.name OPERATOR(pg_catalog.=) ANY ('{channel,segment}'::text[]))
				  ORDER BY sc.ord LOOP
			IF c.typ IS NULL THEN
				expr := CASE c.class WHEN 'ts' THEN 'NULL::pg_catalog.timestamptz' WHEN 'bool' THEN 'NULL::pg_catalog.bool'
					WHEN 'text' THEN 'NULL::pg_catalog.text' WHEN 'int' THEN 'NULL::pg_catalog.int4' ELSE 'NULL::pg_catalog.float8' END;
			ELSE
				expr := CASE c.class
					WHEN 'text' THEN csat.text_sql(m OPERATOR(pg_catalog.->>) c.name, c.typ)
					WHEN 'int' THEN pg_catalog.format('t.%I::pg_catalog.int4', m OPERATOR(pg_catalog.->>) c.name)
					WHEN 'float' THEN pg_catalog.format('t.%I::pg_catalog.float8', m OPERATOR(pg_catalog.->>) c.name)
					-- ts: +-infinity counts as NULL (an open item; no hour for the period
					-- column, which the ranged join still compares raw, by its index)
					WHEN 'ts' THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', m OPERATOR(pg_catalog.->>) c.name)
					ELSE pg_catalog.format('t.%I', m OPERATOR(pg_catalog.->>) c.name) END;
			END IF;
			cols := cols || CASE WHEN cols OPERATOR(pg_catalog.=) '' THEN '' ELSE ', ' END
				|| expr || ' AS ' || pg_catalog.quote_ident(c.name);
		END LOOP;
		SELECT pg_catalog.string_agg(CASE WHEN rm.kind OPERATOR(pg_catalog.=) source_sql.kind THEN rm.expr
										  WHEN rm.is_sketch THEN 'NULL::csat.sketch'
										  WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[]) THEN '0::pg_catalog.float8'
										  ELSE '0::pg_catalog.int8' END || ' AS ' || pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord)
		  INTO sel
		  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
		RETURN pg_catalog.format(
			'SELECT x.h AS hour, x.c AS channel, x.s AS segment, %1$s'
			' FROM (SELECT pg_catalog.date_trunc(''hour'', y.%2$I, $1) AS h, coalesce(y.channel, ''unknown'') AS c,'
			' coalesce(y.segment, ''unknown'') AS s, %3$s y.* FROM (SELECT %4$s FROM %5$s t%6$s) y WHERE y.%2$I IS NOT NULL) x'
			' GROUP BY x.h, x.c, x.s',
			sel, pcol,
			CASE WHEN kind OPERATOR(pg_catalog.=) 'surveys' THEN 'coalesce(y.scale_max, 5) AS sc, coalesce(y.weight, 1::pg_catalog.float8) AS w,' ELSE '' END,
			cols, tbl, CASE WHEN is_ranged THEN ranged ELSE '' END);
	END IF;

	-- the row parts: order_id as text, and whether keys may compare typed (the same
	-- built-in type in every table of the other kind) rather than as text
	SELECT a.atttypid, a.attnum INTO idtype, idnum FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) 'order_id');
	IF idtype IS NOT NULL THEN
		expr := csat.text_sql(m OPERATOR(pg_catalog.->>) 'order_id', idtype);
		SELECT pg_catalog.bool_and(a.atttypid OPERATOR(pg_catalog.=) idtype)
			   AND (SELECT t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) idtype)
		  INTO typed
		  FROM csat.sources s LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid
			   AND a.attname OPERATOR(pg_catalog.=) (s.columns OPERATOR(pg_catalog.->>) 'order_id')
		 WHERE s.kind OPERATOR(pg_catalog.=) CASE source_sql.kind WHEN 'orders' THEN 'returns' ELSE 'orders' END;
		typed := coalesce(typed, false);
	ELSE
		expr := 'NULL::pg_catalog.text';
	END IF;
	IF part OPERATOR(pg_catalog.~~) 'returns%' THEN
		-- +-infinity counts as NULL: no request time (the row is skipped), not completed
		RETURN pg_catalog.format('SELECT %1$s, NULL::pg_catalog.text, NULL::pg_catalog.text, t.%2$I, %3$s FROM %4$s t%5$s'
								 ' WHERE pg_catalog.isfinite(t.%2$I)',
								 expr, m OPERATOR(pg_catalog.->>) 'requested_at',
								 CASE WHEN m OPERATOR(pg_catalog.?) 'completed_at'
									  THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', m OPERATOR(pg_catalog.->>) 'completed_at')
									  ELSE 'NULL::pg_catalog.timestamptz' END, tbl, CASE WHEN is_ranged THEN ranged ELSE '' END);
	ELSIF part OPERATOR(pg_catalog.=) 'order_ids' THEN
		RETURN pg_catalog.format('SELECT %s, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.timestamptz,'
								 ' NULL::pg_catalog.timestamptz FROM %s t%s', expr, tbl, ranged);
	END IF;
	-- order_keys, return_hours: the rows whose order_id is one of $4
	IF idtype IS NULL THEN
		sel := 'false';
	ELSIF typed THEN
		sel := pg_catalog.format('t.%I OPERATOR(pg_catalog.=) ANY ($4::pg_catalog.text[]::%s[])',
								 m OPERATOR(pg_catalog.->>) 'order_id', pg_catalog.format_type(idtype, NULL));
	ELSE
		sel := expr || ' OPERATOR(pg_catalog.=) ANY ($4)';
	END IF;
	IF part OPERATOR(pg_catalog.=) 'order_keys' THEN
		FOR c IN SELECT sc.name, a.atttypid AS typ FROM csat.standard_columns() sc
				   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
						AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) sc.name)
				  WHERE sc.kind OPERATOR(pg_catalog.=) 'orders' AND sc.name OPERATOR(pg_catalog.=) ANY ('{channel,segment}'::text[])
				  ORDER BY sc.ord LOOP
			IF c.typ IS NULL THEN
				cols := cols || ', NULL::pg_catalog.text';
			ELSE
				cols := cols || ', ' || csat.text_sql(m OPERATOR(pg_catalog.->>) c.name, c.typ);
			END IF;
		END LOOP;
		-- one order per key, as the standard view's join did: by index lookups where
		-- the key column leads an index, else in one scan
		-- (not on a Citus distributed table: it refuses a LATERAL join with LIMIT)
		indexed := typed AND NOT csat.citus_sharded(source) AND EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
										AND i.indkey[0] OPERATOR(pg_catalog.=) idnum AND i.indpred IS NULL);
		IF indexed THEN
			RETURN pg_catalog.format('SELECT %s%s, NULL::pg_catalog.timestamptz, NULL::pg_catalog.timestamptz'
									 ' FROM ROWS FROM (pg_catalog.unnest($4::pg_catalog.text[]::%s[])) AS k(k) CROSS JOIN LATERAL'
									 ' (SELECT t.* FROM %s t WHERE t.%I OPERATOR(pg_catalog.=) k.k LIMIT 1) t',
									 expr, cols, pg_catalog.format_type(idtype, NULL), tbl, m OPERATOR(pg_catalog.->>) 'order_id');
		END IF;
		RETURN pg_catalog.format('SELECT %s%s, NULL::pg_catalog.timestamptz, NULL::pg_catalog.timestamptz FROM %s t WHERE %s',
								 expr, cols, tbl, sel);
	END IF;
	-- return_hours
	RETURN pg_catalog.format('SELECT NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text,'
							 ' pg_catalog.date_trunc(''hour'', t.%1$I, ''UTC''), NULL::pg_catalog.timestamptz'
							 ' FROM %2$s t WHERE pg_catalog.isfinite(t.%1$I) AND %3$s',
							 m OPERATOR(pg_catalog.->>) 'requested_at', tbl, sel);
END $$;
COMMENT ON FUNCTION csat.source_sql(text, regclass, text) IS
'internal: the statement csat.source_partials / csat.source_rows run, as the table''s owner, to read one part (partials, partials_ranged, returns, returns_ranged, order_keys, order_ids, return_hours) of a table mapped as the given kind; built from csat.sources only';

CREATE FUNCTION csat.source_partials(kind text, source regclass, tz text,
									 lo timestamptz[] DEFAULT NULL, hi timestamptz[] DEFAULT NULL)
RETURNS SETOF csat.rollup_hourly
AS 'MODULE_PATHNAME', 'csat_source_partials' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_partials(text, regclass, text, timestamptz[], timestamptz[]) IS
'internal: the rollup states of one mapped orders, tickets or surveys table per hour (cut in tz), channel and segment, over every hour or the hours in [lo[i], hi[i]); computed as the table''s owner (restricted), after checking that the caller may SELECT the table and is not subject to its row security (42501)';

CREATE FUNCTION csat.source_rows(kind text, source regclass, part text, lo timestamptz[] DEFAULT NULL,
								 hi timestamptz[] DEFAULT NULL, keys text[] DEFAULT NULL)
RETURNS TABLE (id text, channel text, segment text, at timestamptz, done_at timestamptz)
AS 'MODULE_PATHNAME', 'csat_source_rows' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_rows(text, regclass, text, timestamptz[], timestamptz[], text[]) IS
'internal: rows of one part of a mapped table that csat.refresh() merges across tables (returns: id = order_id, at = requested_at, done_at = completed_at; order_keys: id, channel, segment of the orders whose order_id is in keys; order_ids: id of orders placed in [lo[i], hi[i]); return_hours: at = UTC hour of returns whose order_id is in keys); read as the table''s owner (restricted), after checking that the caller may SELECT the table and is not subject to its row security (42501)';

-- The INSERT that recomputes csat.rollup_hourly: over everything, or (ranged) over the
-- hours in [$2[i], $3[i]); $1 is the time zone.  Each mapped table's rows are
-- aggregated by hour, channel and segment as the table's owner (csat.source_partials);
-- returns, which take channel and segment from their order, come as rows
-- (csat.source_rows: the returns, then the orders they name) and are joined and
-- aggregated here.  The states are merged per hour, channel and segment, and the
-- 'all' rows are rolled up from those few rows, not from the source rows again.
CREATE FUNCTION csat.rollup_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	collist text;
	outer_sel text;
	ret_sel text;
	bounds text := CASE WHEN ranged THEN '$2, $3' ELSE 'NULL, NULL' END;
BEGIN
	IF NOT EXISTS (SELECT FROM csat.sources) THEN
		RETURN NULL;
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   pg_catalog.string_agg(CASE WHEN rm.is_sketch THEN pg_catalog.format('csat.rollup(u.%1$I) AS %1$I', rm.name)
						   WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[])
						   THEN pg_catalog.format('pg_catalog.sum(u.%1$I) AS %1$I', rm.name)
						   ELSE pg_catalog.format('pg_catalog.sum(u.%1$I)::pg_catalog.int8 AS %1$I', rm.name) END,
						   ', ' ORDER BY rm.ord),
		   pg_catalog.string_agg(CASE WHEN rm.kind OPERATOR(pg_catalog.=) 'returns' THEN rm.expr
							   WHEN rm.is_sketch THEN 'NULL::csat.sketch'
							   WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[]) THEN '0::pg_catalog.float8'
							   ELSE '0::pg_catalog.int8' END || ' AS ' || pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel, ret_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;

	-- f: one row per hour, channel and segment over every table (sorted, so that the
	-- sketches are merged group by group rather than in a hash table that outgrows
	-- work_mem); rr: the returns; ok: channel and segment of the orders they name,
	-- from the first orders table (by OID) holding each
	RETURN pg_catalog.format(
		'WITH rr AS MATERIALIZED (SELECT r.* FROM csat.sources s CROSS JOIN LATERAL'
		' csat.source_rows(s.kind, s.source, ''returns'', %3$s) r WHERE s.kind OPERATOR(pg_catalog.=) ''returns''),'
		' ok AS MATERIALIZED (SELECT DISTINCT ON (o.id) o.id, o.channel, o.segment FROM csat.sources s CROSS JOIN LATERAL'
		' csat.source_rows(s.kind, s.source, ''order_keys'', NULL, NULL,'
		' (SELECT pg_catalog.array_agg(DISTINCT r.id) FROM rr r WHERE r.id IS NOT NULL)) o'
		' WHERE s.kind OPERATOR(pg_catalog.=) ''orders'' AND EXISTS (SELECT FROM rr)'
		' ORDER BY o.id, s.source::pg_catalog.oid),'
		' f AS MATERIALIZED (SELECT u.hour, u.channel, u.segment, %2$s FROM ('
		'SELECT p.* FROM csat.sources s CROSS JOIN LATERAL csat.source_partials(s.kind, s.source, $1, %3$s) p'
		' WHERE s.kind OPERATOR(pg_catalog.=) ANY (''{orders,tickets,surveys}''::pg_catalog.text[])'
		' UNION ALL SELECT x.h, x.c, x.s, %4$s FROM (SELECT pg_catalog.date_trunc(''hour'', r.at, $1) AS h,'
		' coalesce(o.channel, ''unknown'') AS c, coalesce(o.segment, ''unknown'') AS s,'
		' r.at AS requested_at, r.done_at AS completed_at'
		' FROM rr r LEFT JOIN ok o ON o.id OPERATOR(pg_catalog.=) r.id) x GROUP BY x.h, x.c, x.s'
		') u GROUP BY u.hour, u.channel, u.segment)'
		' INSERT INTO csat.rollup_hourly (hour, channel, segment, %1$s)'
		' SELECT u.hour, CASE WHEN grouping(u.channel) OPERATOR(pg_catalog.=) 1 THEN ''all'' ELSE u.channel END,'
		' CASE WHEN grouping(u.segment) OPERATOR(pg_catalog.=) 1 THEN ''all'' ELSE u.segment END, %2$s'
		' FROM (SELECT f.* FROM f ORDER BY f.hour, f.channel, f.segment) u'
		' GROUP BY GROUPING SETS ((u.hour, u.channel, u.segment), (u.hour, u.channel), (u.hour, u.segment), (u.hour))',
		collist, outer_sel, bounds, ret_sel);
END $$;
COMMENT ON FUNCTION csat.rollup_sql(boolean) IS
'builds the statement csat.refresh() runs to recompute csat.rollup_hourly from the mapped tables, each read as its owner through csat.source_partials / csat.source_rows (all hours, or with ranged the hours in the ranges passed as $2/$3; $1 is the time zone)';

-- The INSERT that rolls hourly rows up into csat.rollup_daily (optionally ranged).
CREATE FUNCTION csat.rollup_daily_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	collist text;
	outer_sel text;
BEGIN
	SELECT pg_catalog.string_agg(pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   pg_catalog.string_agg(CASE WHEN rm.is_sketch THEN pg_catalog.format('csat.rollup(h.%I)', rm.name)
						   WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[])
						   THEN pg_catalog.format('pg_catalog.sum(h.%I)', rm.name)
						   ELSE pg_catalog.format('pg_catalog.sum(h.%I)::pg_catalog.int8', rm.name) END, ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
	RETURN pg_catalog.format('INSERT INTO csat.rollup_daily (day, channel, segment, %s)'
				  ' SELECT (h.hour AT TIME ZONE $1)::pg_catalog.date, h.channel, h.segment, %s FROM %s'
				  ' GROUP BY 1, 2, 3', collist, outer_sel,
				  -- ranged: one primary-key range scan per day (OFFSET 0 keeps the planner
				  -- from flattening it into a scan of the whole table)
				  CASE WHEN ranged THEN 'ROWS FROM (pg_catalog.unnest($2::pg_catalog.timestamptz[]), pg_catalog.unnest($3::pg_catalog.timestamptz[])) AS r(lo, hi) CROSS JOIN LATERAL'
										' (SELECT * FROM csat.rollup_hourly h WHERE h.hour OPERATOR(pg_catalog.>=) r.lo'
										' AND h.hour OPERATOR(pg_catalog.<) r.hi OFFSET 0) h'
					   ELSE 'csat.rollup_hourly h' END);
END $$;
COMMENT ON FUNCTION csat.rollup_daily_sql(boolean) IS
'builds the statement csat.refresh() runs to roll csat.rollup_hourly up into csat.rollup_daily (all days, or the days whose hour ranges are passed as $2/$3; $1 is the time zone)';

-- (jit off: its compile time costs more than the small incremental queries it speeds up)
CREATE FUNCTION csat.refresh("full" boolean DEFAULT false) RETURNS csat.refresh_log
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	tz text;
	rebuild boolean := coalesce("full", false);
	utc_hours timestamptz[];
	order_hours timestamptz[];
	extra_hours timestamptz[];
	hours timestamptz[];
	lo timestamptz[];
	hi timestamptz[];
	days date[];
	q text;
	res csat.refresh_log;
BEGIN
	-- one refresh at a time: a second caller waits here until the first commits
	PERFORM pg_catalog.pg_advisory_xact_lock(1668506996, 1);
	tz := csat.timezone();
	IF NOT EXISTS (SELECT 1 FROM csat.rollup_state s WHERE s.timezone OPERATOR(pg_catalog.=) tz) THEN
		rebuild := true;			-- first run, or the zone changed: every period moved
	END IF;
	-- consume the change log (rows committed later stay for the next run)
	WITH d AS (DELETE FROM csat.changes RETURNING kind, hour)
	SELECT rebuild OR coalesce(pg_catalog.bool_or(d.hour IS NULL), false),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind OPERATOR(pg_catalog.=) 'orders:returns')
	  INTO rebuild, utc_hours, order_hours FROM d;
	-- a Citus distributed or reference source has no change tracking (csat.map_source
	-- installs none): rebuild everything while one is mapped
	IF NOT rebuild AND pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		rebuild := EXISTS (SELECT FROM csat.sources s WHERE csat.citus_sharded(s.source));
	END IF;
	-- returns take channel and segment from their order: an order updated in these
	-- hours moves its returns' hours too (an order deleted with returns left behind,
	-- or inserted after its returns, is only corrected by a full refresh).  The ids
	-- of those orders, then the hours of the returns naming them, are read from each
	-- table as its owner.
	IF NOT rebuild AND order_hours IS NOT NULL
	   AND EXISTS (SELECT FROM csat.sources s WHERE s.kind OPERATOR(pg_catalog.=) 'returns')
	   AND EXISTS (SELECT FROM csat.sources s WHERE s.kind OPERATOR(pg_catalog.=) 'orders') THEN
		SELECT pg_catalog.array_agg(DISTINCT h.at) INTO extra_hours
		  FROM csat.sources s CROSS JOIN LATERAL csat.source_rows(s.kind, s.source, 'return_hours', NULL, NULL,
			   (SELECT pg_catalog.array_agg(DISTINCT o.id)
				  FROM csat.sources s2 CROSS JOIN LATERAL csat.source_rows(s2.kind, s2.source, 'order_ids', order_hours,
					   (SELECT pg_catalog.array_agg(u OPERATOR(pg_catalog.+) interval '1 hour') FROM pg_catalog.unnest(order_hours) u)) o
				 WHERE s2.kind OPERATOR(pg_catalog.=) 'orders' AND o.id IS NOT NULL)) h
		 WHERE s.kind OPERATOR(pg_catalog.=) 'returns';
		utc_hours := utc_hours OPERATOR(pg_catalog.||) coalesce(extra_hours, '{}');
	END IF;

	IF rebuild THEN
		DELETE FROM csat.rollup_hourly;
		DELETE FROM csat.rollup_daily;
		q := csat.rollup_sql(false);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz;
			EXECUTE csat.rollup_daily_sql(false) USING tz;
		END IF;
		SELECT pg_catalog.array_agg(h.hour ORDER BY h.hour) INTO hours
		  FROM (SELECT DISTINCT r.hour FROM csat.rollup_hourly r) h;
	ELSIF utc_hours IS NOT NULL THEN
		-- local hours overlapping the touched UTC hours (two in half-hour zones)
		SELECT pg_catalog.array_agg(DISTINCT pg_catalog.date_trunc('hour', u OPERATOR(pg_catalog.+) v.o, tz)) INTO hours
		  FROM pg_catalog.unnest(utc_hours) u, (VALUES (interval '0'), (interval '59 min 59.999999 sec')) v(o);
		SELECT pg_catalog.array_agg(i.lo ORDER BY i.lo), pg_catalog.array_agg(i.hi ORDER BY i.lo) INTO lo, hi
		  FROM (SELECT pg_catalog.min(h) AS lo, pg_catalog.max(h) OPERATOR(pg_catalog.+) interval '1 hour' AS hi
				  FROM (SELECT h, h OPERATOR(pg_catalog.-) (pg_catalog.row_number() OVER (ORDER BY h) OPERATOR(pg_catalog.*) interval '1 hour') AS g
						  FROM pg_catalog.unnest(hours) h) s
				 GROUP BY g) i;
		DELETE FROM csat.rollup_hourly r WHERE r.hour OPERATOR(pg_catalog.=) ANY (hours);
		q := csat.rollup_sql(true);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz, lo, hi;
		END IF;
		-- and the days holding them, rolled up again from all their hours
		SELECT pg_catalog.array_agg(DISTINCT (h AT TIME ZONE tz)::pg_catalog.date) INTO days FROM pg_catalog.unnest(hours) h;
		SELECT pg_catalog.array_agg(d::pg_catalog.timestamp AT TIME ZONE tz ORDER BY d),
			   pg_catalog.array_agg((d OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamp AT TIME ZONE tz ORDER BY d)
		  INTO lo, hi FROM pg_catalog.unnest(days) d;
		DELETE FROM csat.rollup_daily r WHERE r.day OPERATOR(pg_catalog.=) ANY (days);
		EXECUTE csat.rollup_daily_sql(true) USING tz, lo, hi;
	END IF;

	INSERT INTO csat.rollup_state AS s (timezone, refreshed_at) VALUES (tz, pg_catalog.clock_timestamp())
	ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, refreshed_at = EXCLUDED.refreshed_at;
	INSERT INTO csat.refresh_log
	SELECT t0, pg_catalog.clock_timestamp(), pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) t0), rebuild, tz,
		   coalesce(pg_catalog.cardinality(hours), 0),
		   (SELECT pg_catalog.count(DISTINCT (h AT TIME ZONE tz)::pg_catalog.date) FROM pg_catalog.unnest(hours) h),
		   (SELECT pg_catalog.min(h) FROM pg_catalog.unnest(hours) h), (SELECT pg_catalog.max(h) FROM pg_catalog.unnest(hours) h)
	RETURNING * INTO res;
	DELETE FROM csat.refresh_log l
	 WHERE l.started_at OPERATOR(pg_catalog.<) (SELECT pg_catalog.min(x.started_at) FROM (SELECT started_at FROM csat.refresh_log
															 ORDER BY started_at DESC LIMIT 100) x);
	RETURN res;
END $$;
COMMENT ON FUNCTION csat.refresh(boolean) IS
'brings csat.rollup_hourly/daily up to date: recomputes only the hours (and their days) whose source rows changed since the last run, as noted by the change-tracking triggers, or everything with full => true (also after a mapping change, a TRUNCATE or a time-zone change, and on every run while a Citus distributed or reference table is mapped); runs inside the caller''s transaction, so readers see the old or the new state, never a mix; a concurrent second call waits for the first (advisory lock 1668506996, 1); returns the csat.refresh_log row of the run';


-- ---------------------------------------------------------------- scheduling
CREATE FUNCTION csat.schedule_refresh(schedule text DEFAULT '*/5 * * * *') RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	cron_db text := current_setting('cron.database_name', true);
	job text := 'csat_refresh_' || current_database();
	sql text;
	id bigint;
BEGIN
	IF schedule IS NULL THEN
		RAISE EXCEPTION 'schedule must not be null' USING ERRCODE = '22004';
	END IF;
	IF to_regnamespace('cron') IS NULL OR to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
		sql := format('SELECT cron.schedule_in_database(%L, %L, %L, %L);', job, schedule,
					  'SELECT csat.refresh()', current_database());
		IF to_regprocedure('csat.sweep(timestamp with time zone)') IS NOT NULL THEN
			sql := sql || format(' SELECT cron.schedule_in_database(%L, %L, %L, %L);', 'csat_sweep_' || current_database(),
								 '* * * * *', 'SELECT csat.sweep()', current_database());
		END IF;
		IF cron_db IS NOT NULL AND cron_db <> current_database() THEN
			RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
				DETAIL = format('pg_cron runs its jobs from database "%s" (cron.database_name).', cron_db),
				HINT = format('As a superuser connected to database "%s", run: %s', cron_db, sql);
		ELSIF cron_db IS NOT NULL THEN
			RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
				HINT = 'Run CREATE EXTENSION pg_cron; then call csat.schedule_refresh() again.';
		ELSE
			RAISE EXCEPTION 'pg_cron is not available' USING ERRCODE = '55000',
				DETAIL = 'pg_cron is not loaded (shared_preload_libraries).',
				HINT = 'Install pg_cron (Debian: postgresql-15-cron) and preload it, or call SELECT csat.refresh(); from any scheduler every few minutes.';
		END IF;
	END IF;
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO id USING job, schedule, 'SELECT csat.refresh()';
	IF to_regprocedure('csat.sweep(timestamp with time zone)') IS NOT NULL THEN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)'
		  USING 'csat_sweep_' || current_database(), '* * * * *', 'SELECT csat.sweep()';
	END IF;
	RETURN id;
END $$;
COMMENT ON FUNCTION csat.schedule_refresh(text) IS
'schedules SELECT csat.refresh() (and, where csat.sweep exists, SELECT csat.sweep() every minute) with pg_cron under the job name csat_refresh_<database>; schedule is a cron expression (default every 5 minutes); returns the pg_cron job id; when pg_cron is not installed in this database: ERROR 55000 whose hint gives the SQL to run in pg_cron''s database, or says to call csat.refresh() from any scheduler';

CREATE FUNCTION csat.unschedule_refresh() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n bigint;
BEGIN
	IF to_regnamespace('cron') IS NULL OR to_regclass('cron.job') IS NULL THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
			HINT = format('In pg_cron''s database, run: SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname IN (%L, %L);',
						  'csat_refresh_' || current_database(), 'csat_sweep_' || current_database());
	END IF;
	EXECUTE 'SELECT count(cron.unschedule(j.jobid)) FROM cron.job j WHERE j.jobname IN ($1, $2) AND j.username = current_user'
	   INTO n USING 'csat_refresh_' || current_database(), 'csat_sweep_' || current_database();
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.unschedule_refresh() IS
'removes the pg_cron jobs csat.schedule_refresh() created for this database (the caller''s); returns how many were removed; ERROR 55000 with a hint when pg_cron is not installed here';

-- The objects of a trusted extension belong to the bootstrap superuser; the
-- user who created the extension maps sources, sets the time zone and runs
-- refresh (which writes the rollups with the caller's rights), and may pass
-- read access to the KPI views on to dashboard roles.
-- which tables are mapped is no secret (pg_class says as much), and refresh reads it
GRANT SELECT ON csat.sources TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.settings, csat.sources, csat.rollup_hourly,
	csat.rollup_daily, csat.rollup_state, csat.refresh_log TO @extowner@;
GRANT SELECT, INSERT, DELETE ON csat.changes TO @extowner@;
GRANT SELECT ON csat.refresh_status TO @extowner@ WITH GRANT OPTION;

-- ==== src/views_kpi.sql ====
/*
 * views_kpi: the KPI views csat.kpi_hourly/daily/weekly/monthly over the rollups
 * (family views).  Every upgrade runs this file again (Makefile: REPLAYED): CREATE
 * OR REPLACE VIEW keeps the views' grants and the views of users built on them,
 * and binds every operator and function anew, to pg_catalog's and csat's own
 * (the script pins search_path), so that a view an older version bound to a
 * look-alike operator planted in schema csat (issue 10) is repaired.
 */

-- ---------------------------------------------------------------- KPI views
-- Built by one DO block from a template, so the four views share one definition and
-- the columns of absent families (sketch, scores, checks) become typed NULLs.
DO $do$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	has_wilson boolean := pg_catalog.to_regprocedure('csat.wilson_lower(bigint,bigint,double precision)') IS NOT NULL;
	has_rules boolean := pg_catalog.to_regclass('csat.rules') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.rate_check(bigint,bigint,double precision,double precision,boolean,integer,double precision)') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.threshold_check(double precision,double precision,double precision,boolean)') IS NOT NULL;
	counts text := 'orders, delivered, late, exceptions, tickets, complaints, responded, resolved, responses, satisfied,'
		' very_satisfied, score_sum, weight_sum, weighted_sum, nps_responses, promoters, detractors, returns, returns_completed';
	sketches text[] := ARRAY['delivery_sketch', 'frt_sketch', 'resolution_sketch', 'return_sketch'];
	agg_sel text;
	plain_sel text;
	v record;
	base text;
	body text;
	kpi text;
	c text[];
	tzq text := '(SELECT st.timezone FROM csat.rollup_state st)';
BEGIN
	-- select lists over the rollup columns: plain (hourly, daily) and rolled up (week, month)
	SELECT pg_catalog.string_agg(pg_catalog.format('d.%I', n), ', '),
		   pg_catalog.string_agg(CASE WHEN n IN ('score_sum', 'weight_sum', 'weighted_sum')
									  THEN pg_catalog.format('pg_catalog.sum(d.%1$I) AS %1$I', n)
									  ELSE pg_catalog.format('pg_catalog.sum(d.%1$I)::bigint AS %1$I', n) END, ', ')
	  INTO plain_sel, agg_sel
	  FROM pg_catalog.regexp_split_to_table(counts, ',\s*') n;
	FOREACH kpi IN ARRAY sketches LOOP
		plain_sel := plain_sel || CASE WHEN has_sketch THEN pg_catalog.format(', d.%I', kpi)
									   ELSE pg_catalog.format(', NULL::float8 AS %I', kpi) END;
		agg_sel := agg_sel || CASE WHEN has_sketch THEN pg_catalog.format(', csat.rollup(d.%1$I) AS %1$I', kpi)
								   ELSE pg_catalog.format(', NULL::float8 AS %I', kpi) END;
	END LOOP;

	FOR v IN SELECT * FROM (VALUES
		('kpi_hourly', 'hour',
		 'SELECT d.hour AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_hourly d',
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 month'') AT TIME ZONE ' || tzq,
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 year'') AT TIME ZONE ' || tzq,
		 'the same hour one month earlier', 'the same hour one year earlier'),
		('kpi_daily', 'day',
		 'SELECT d.day AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_daily d',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the same day one month earlier', 'the same day one year earlier'),
		('kpi_weekly', 'week (Monday)',
		 'SELECT pg_catalog.date_trunc(''week'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 'k.period_start - 28', 'k.period_start - 364',
		 'the week four weeks earlier', 'the week 52 weeks earlier'),
		('kpi_monthly', 'month',
		 'SELECT pg_catalog.date_trunc(''month'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the previous month', 'the same month one year earlier')
	) AS t(name, unit, base, mom, yoy, mom_doc, yoy_doc) LOOP
		body := pg_catalog.format($v$
CREATE OR REPLACE VIEW csat.%1$I AS
SELECT k.period_start, k.channel, k.segment,
	k.orders, k.complaints,
	%2$s AS complaint_rate, %3$s AS complaint_rate_low, %4$s AS complaint_rate_high,
	k.responses,
	%5$s AS csat_rate, %6$s AS csat_rate_low, %7$s AS csat_rate_high,
	%8$s AS very_satisfied_rate, %9$s AS mean_score, %10$s AS weighted_score,
	k.nps_responses, %11$s AS nps,
	k.tickets, %12$s AS frt_p50_s, %13$s AS frt_p90_s, %14$s AS frt_p95_s,
	rf.breach AS frt_target_s, %15$s AS frt_attainment,
	%16$s AS resolution_p90_s, %17$s AS resolution_rate,
	k.delivered, %18$s AS delivery_p50_s, %19$s AS delivery_p90_s,
	%20$s AS late_delivery_rate, %21$s AS delivery_exception_rate,
	k.returns, %22$s AS return_p90_s,
	%5$s - %23$s AS csat_rate_mom, %5$s - %24$s AS csat_rate_yoy, %5$s - %25$s AS csat_rate_vs_baseline,
	%11$s - %26$s AS nps_mom, %11$s - %27$s AS nps_yoy, %11$s - %28$s AS nps_vs_baseline,
	%10$s - %29$s AS weighted_score_mom, %10$s - %30$s AS weighted_score_yoy, %10$s - %31$s AS weighted_score_vs_baseline,
	%2$s - %32$s AS complaint_rate_mom, %2$s - %33$s AS complaint_rate_yoy, %2$s - %34$s AS complaint_rate_vs_baseline,
	%14$s - %35$s AS frt_p95_s_mom, %14$s - %36$s AS frt_p95_s_yoy, %14$s - %37$s AS frt_p95_s_vs_baseline,
	%38$s AS csat_rate_level, %39$s AS nps_level, %40$s AS complaint_rate_level, %41$s AS frt_p95_level
FROM (%42$s) k
LEFT JOIN (%42$s) m ON m.channel = k.channel AND m.segment = k.segment AND m.period_start = %43$s
LEFT JOIN (%42$s) y ON y.channel = k.channel AND y.segment = k.segment AND y.period_start = %44$s
LEFT JOIN (SELECT d.channel, d.segment, %45$s
			 FROM csat.rollup_daily d JOIN csat.settings s ON d.day BETWEEN s.baseline_start AND s.baseline_end
			GROUP BY 1, 2) b ON b.channel = k.channel AND b.segment = k.segment
%46$s
$v$,
			v.name,
			'CASE WHEN k.orders > 0 THEN k.complaints::float8 / k.orders::float8 END',
			-- complaints are counted on the ticket's channel, orders on the order's: on a
			-- contact channel (chat...) complaints can outnumber orders, and no interval exists
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_lower(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_upper(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.satisfied::float8 / k.responses::float8 END',
			CASE WHEN has_wilson THEN 'csat.wilson_lower(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'csat.wilson_upper(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.very_satisfied::float8 / k.responses::float8 END',
			'CASE WHEN k.responses > 0 THEN k.score_sum / k.responses::float8 END',
			'CASE WHEN k.weight_sum > 0::float8 THEN k.weighted_sum / k.weight_sum END',
			'CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors)::float8 / k.nps_responses::float8 END',
			-- 12..14 percentiles of first response
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.attainment(k.frt_sketch, rf.breach)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.resolution_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.tickets > 0 THEN k.resolved::float8 / k.tickets::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.delivered > 0 THEN k.late::float8 / k.delivered::float8 END',
			'CASE WHEN k.orders > 0 THEN k.exceptions::float8 / k.orders::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.return_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			-- 23..37: the headline KPIs of the compared periods (m, y, b)
			'CASE WHEN m.responses > 0 THEN m.satisfied::float8 / m.responses::float8 END',
			'CASE WHEN y.responses > 0 THEN y.satisfied::float8 / y.responses::float8 END',
			'CASE WHEN b.responses > 0 THEN b.satisfied::float8 / b.responses::float8 END',
			'CASE WHEN m.nps_responses > 0 THEN 100.0::float8 * (m.promoters - m.detractors)::float8 / m.nps_responses::float8 END',
			'CASE WHEN y.nps_responses > 0 THEN 100.0::float8 * (y.promoters - y.detractors)::float8 / y.nps_responses::float8 END',
			'CASE WHEN b.nps_responses > 0 THEN 100.0::float8 * (b.promoters - b.detractors)::float8 / b.nps_responses::float8 END',
			'CASE WHEN m.weight_sum > 0::float8 THEN m.weighted_sum / m.weight_sum END',
			'CASE WHEN y.weight_sum > 0::float8 THEN y.weighted_sum / y.weight_sum END',
			'CASE WHEN b.weight_sum > 0::float8 THEN b.weighted_sum / b.weight_sum END',
			'CASE WHEN m.orders > 0 THEN m.complaints::float8 / m.orders::float8 END',
			'CASE WHEN y.orders > 0 THEN y.complaints::float8 / y.orders::float8 END',
			'CASE WHEN b.orders > 0 THEN b.complaints::float8 / b.orders::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(m.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(y.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(b.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			-- 38..41 alert levels
			CASE WHEN has_rules THEN 'CASE WHEN rc.breach IS NOT NULL THEN csat.rate_check(k.satisfied, k.responses, rc.warning::float8, rc.breach::float8, rc.higher_is_worse, rc.min_samples::integer, rc.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN k.nps_responses >= rn.min_samples THEN csat.threshold_check(CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors)::float8 / k.nps_responses::float8 END, rn.warning::float8, rn.breach::float8, rn.higher_is_worse)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN rp.breach IS NOT NULL AND k.complaints <= k.orders THEN csat.rate_check(k.complaints, k.orders, rp.warning::float8, rp.breach::float8, rp.higher_is_worse, rp.min_samples::integer, rp.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules AND has_sketch THEN 'CASE WHEN k.responded >= rf.min_samples THEN csat.threshold_check(csat.percentile(k.frt_sketch, 0.95::float8), rf.warning::float8, rf.breach::float8, rf.higher_is_worse)::text END' ELSE 'NULL::text' END,
			v.base, v.mom, v.yoy,
			-- 45: the baseline period's states
			'pg_catalog.sum(d.responses)::bigint AS responses, pg_catalog.sum(d.satisfied)::bigint AS satisfied,'
			' pg_catalog.sum(d.nps_responses)::bigint AS nps_responses, pg_catalog.sum(d.promoters)::bigint AS promoters,'
			' pg_catalog.sum(d.detractors)::bigint AS detractors, pg_catalog.sum(d.weighted_sum) AS weighted_sum,'
			' pg_catalog.sum(d.weight_sum) AS weight_sum, pg_catalog.sum(d.orders)::bigint AS orders,'
			' pg_catalog.sum(d.complaints)::bigint AS complaints'
			|| CASE WHEN has_sketch THEN ', csat.rollup(d.frt_sketch) AS frt_sketch' ELSE '' END,
			-- 46: the rule matching each row, per headline metric (most specific first)
			CASE WHEN has_rules THEN (
				SELECT pg_catalog.string_agg(pg_catalog.format(
					'LEFT JOIN LATERAL (SELECT r.breach::float8 AS breach, r.warning, r.higher_is_worse, r.min_samples, r.confidence'
					' FROM csat.rules r WHERE r.enabled AND r.metric = %L'
					' AND (r.channel IS NULL OR r.channel = k.channel) AND (r.segment IS NULL OR r.segment = k.segment)'
					' ORDER BY (r.channel IS NOT NULL)::int + (r.segment IS NOT NULL)::int DESC, r.name LIMIT 1) %s ON true',
					x.metric, x.alias), ' ')
				  FROM (VALUES ('csat_rate', 'rc'), ('nps', 'rn'), ('complaint_rate', 'rp'),
							   ('first_response', 'rf')) x(metric, alias))
			ELSE 'LEFT JOIN (SELECT NULL::float8 AS breach) rf ON true' END);
		EXECUTE body;

		EXECUTE pg_catalog.format('COMMENT ON VIEW csat.%I IS %L', v.name, pg_catalog.format(
			'customer-satisfaction KPIs per %s (cut in the time zone of csat.rollup_state), channel and segment, '
			'with ''all'' rows for the totals; read from the rollups kept by csat.refresh(); '
			'*_mom compares with %s, *_yoy with %s, *_vs_baseline with the period of csat.settings '
			'(each an absolute difference: this minus that); rates are fractions in [0,1], NPS in [-100,100], '
			'durations (_s) in seconds; levels are ok/warning/breach from csat.rules (NULL without a matching '
			'rule or with fewer answers than its min_samples)', v.unit, v.mom_doc, v.yoy_doc));
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.period_start IS %L', v.name,
			CASE WHEN v.name = 'kpi_hourly' THEN 'start of the hour (timestamptz)'
				 ELSE pg_catalog.format('first day of the %s (date, in the csat time zone)', v.unit) END);
		FOREACH c SLICE 1 IN ARRAY ARRAY[
			['channel', 'channel (orders: sales channel; tickets: contact channel; returns: their order''s), ''all'' for the total over channels, ''unknown'' where the source has none'],
			['segment', 'customer segment (e.g. vip, regular), ''all'' for the total over segments, ''unknown'' where the source has none'],
			['orders', 'orders placed in the period (by ordered_at)'],
			['complaints', 'tickets flagged is_complaint opened in the period'],
			['complaint_rate', 'complaints / orders (fraction; NULL without orders); complaints count on the ticket''s channel, orders on the order''s, so read it on the ''all'' channel rows or on channels that carry both'],
			['complaint_rate_low', 'lower bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
			['complaint_rate_high', 'upper bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
			['responses', 'CSAT survey answers (scale 1-5) in the period'],
			['csat_rate', 'share of CSAT answers scoring 4 or 5 (top-2-box, fraction)'],
			['csat_rate_low', 'lower bound of the 95 % Wilson interval of csat_rate'],
			['csat_rate_high', 'upper bound of the 95 % Wilson interval of csat_rate'],
			['very_satisfied_rate', 'share of CSAT answers scoring 5 (top-box, fraction)'],
			['mean_score', 'mean CSAT score (1-5)'],
			['weighted_score', 'weighted satisfaction index: sum(weight * score) / sum(weight) over CSAT answers (weight NULL counts as 1)'],
			['nps_responses', 'NPS answers (scale 0-10) in the period'],
			['nps', 'net promoter score: % promoters (9-10) - % detractors (0-6), in [-100, 100]'],
			['tickets', 'service tickets opened in the period'],
			['frt_p50_s', 'median first-response time, seconds (from the sketch: within its relative accuracy)'],
			['frt_p90_s', '90th percentile of first-response time, seconds'],
			['frt_p95_s', '95th percentile of first-response time, seconds'],
			['frt_target_s', 'breach threshold (seconds) of the csat.rules rule for metric first_response (the one csat.watch uses) matching this channel and segment'],
			['frt_attainment', 'share of answered tickets whose first response came within frt_target_s (fraction)'],
			['resolution_p90_s', '90th percentile of resolution time (resolved_at - opened_at), seconds'],
			['resolution_rate', 'resolved tickets / tickets opened in the period (fraction)'],
			['delivered', 'orders of the period that have been delivered'],
			['delivery_p50_s', 'median delivery time (delivered_at - ordered_at), seconds'],
			['delivery_p90_s', '90th percentile of delivery time, seconds'],
			['late_delivery_rate', 'share of delivered orders delivered after promised_at (fraction)'],
			['delivery_exception_rate', 'share of orders with a delivery exception (fraction)'],
			['returns', 'returns requested in the period'],
			['return_p90_s', '90th percentile of return processing time (completed_at - requested_at), seconds'],
			['csat_rate_mom', 'csat_rate minus its value in the month-earlier period'],
			['csat_rate_yoy', 'csat_rate minus its value in the year-earlier period'],
			['csat_rate_vs_baseline', 'csat_rate minus its value over the baseline period'],
			['nps_mom', 'nps minus its value in the month-earlier period (points)'],
			['nps_yoy', 'nps minus its value in the year-earlier period (points)'],
			['nps_vs_baseline', 'nps minus its value over the baseline period (points)'],
			['weighted_score_mom', 'weighted_score minus its value in the month-earlier period'],
			['weighted_score_yoy', 'weighted_score minus its value in the year-earlier period'],
			['weighted_score_vs_baseline', 'weighted_score minus its value over the baseline period'],
			['complaint_rate_mom', 'complaint_rate minus its value in the month-earlier period'],
			['complaint_rate_yoy', 'complaint_rate minus its value in the year-earlier period'],
			['complaint_rate_vs_baseline', 'complaint_rate minus its value over the baseline period'],
			['frt_p95_s_mom', 'frt_p95_s minus its value in the month-earlier period (seconds)'],
			['frt_p95_s_yoy', 'frt_p95_s minus its value in the year-earlier period (seconds)'],
			['frt_p95_s_vs_baseline', 'frt_p95_s minus its value over the baseline period (seconds)'],
			['csat_rate_level', 'alert level of csat_rate from the matching csat.rules rule of metric csat_rate (csat.rate_check: Wilson-bounded, min_samples)'],
			['nps_level', 'alert level of nps from the matching rule of metric nps (csat.threshold_check; NULL below min_samples answers)'],
			['complaint_rate_level', 'alert level of complaint_rate from the matching rule of metric complaint_rate (csat.rate_check)'],
			['frt_p95_level', 'alert level of frt_p95_s against the matching rule of metric first_response (csat.threshold_check; NULL below min_samples answered tickets)']
		] LOOP
			EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.%I IS %L', v.name, c[1], c[2]);
		END LOOP;
	END LOOP;
END $do$;

GRANT SELECT ON csat.kpi_hourly, csat.kpi_daily, csat.kpi_weekly, csat.kpi_monthly
	TO @extowner@ WITH GRANT OPTION;

-- ==== src/verify.sql ====
-- verify: the last statement of every install and upgrade script (Makefile:
-- REPLAYED).  Fails when an object of csat (a member of the extension, or a rule,
-- constraint, default, trigger, policy or index of one of its tables and views)
-- depends on a function, operator, type, relation or other schema object that is
-- neither in pg_catalog nor csat's own: in a database where a look-alike was
-- planted before this version (issue 10), the objects that bound it must not be
-- kept silently.
DO $$
DECLARE
	found text;
BEGIN
	WITH members AS (
		SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
		 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'::"char"
		   AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
												   WHERE e.extname OPERATOR(pg_catalog.=) 'csat'::pg_catalog.name)),
	rels AS (
		SELECT m.objid AS relid FROM members m
		 WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid),
	ours AS (
		SELECT m.classid, m.objid FROM members m
		UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass::pg_catalog.oid, r.oid FROM pg_catalog.pg_rewrite r
		 WHERE r.ev_class OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid, c.oid FROM pg_catalog.pg_constraint c
		 WHERE c.conrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
			OR c.contypid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT m.objid FROM members m
				WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid))
		UNION ALL SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass::pg_catalog.oid, a.oid FROM pg_catalog.pg_attrdef a
		 WHERE a.adrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass::pg_catalog.oid, t.oid FROM pg_catalog.pg_trigger t
		 WHERE t.tgrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass::pg_catalog.oid, p.oid FROM pg_catalog.pg_policy p
		 WHERE p.polrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, i.indexrelid FROM pg_catalog.pg_index i
		 WHERE i.indrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels)))
	SELECT pg_catalog.string_agg(pg_catalog.format('%s -> %s',
				pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid),
				pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)), '; ')
	  INTO found
	  FROM pg_catalog.pg_depend d
	  JOIN ours o ON o.classid OPERATOR(pg_catalog.=) d.classid AND o.objid OPERATOR(pg_catalog.=) d.objid
	 CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0) i
	 WHERE d.refclassid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_operator'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_collation'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_opclass'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_opfamily'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_conversion'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_ts_config'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_ts_dict'::pg_catalog.regclass::pg_catalog.oid])
	   AND i.schema IS DISTINCT FROM 'pg_catalog'::pg_catalog.text
	   AND NOT EXISTS (SELECT FROM ours o2 WHERE o2.classid OPERATOR(pg_catalog.=) d.refclassid
											AND o2.objid OPERATOR(pg_catalog.=) d.refobjid)
	   -- the array and row types PostgreSQL makes for csat's own types and tables
	   AND NOT EXISTS (SELECT FROM pg_catalog.pg_type t
					    WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid
						  AND t.oid OPERATOR(pg_catalog.=) d.refobjid
						  AND (t.typelem OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT o3.objid FROM ours o3))
							   OR t.typrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))));
	IF found IS NOT NULL THEN
		RAISE EXCEPTION 'objects of extension csat depend on objects that are neither in pg_catalog nor part of csat'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('%s.', found),
				  HINT = 'They may be look-alikes put there to run code as a superuser: drop the objects named on the right (with CASCADE if csat''s objects must go with them), recreate what csat needs, and run the update again.';
	END IF;
END $$;
