-- csat 0.1 install script: released, frozen (new versions get an upgrade script, never edits here).
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
COMMENT ON SCHEMA csat IS 'csat: customer-satisfaction KPIs (score aggregates, SLA percentile sketches, breach detection, KPI views)';

CREATE TYPE csat.level AS ENUM ('ok', 'warning', 'breach');
COMMENT ON TYPE csat.level IS 'alert level of a KPI against a rule: ok < warning < breach (ordered, so max() gives the worst)';

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
