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
