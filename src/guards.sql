-- guards: the statistical intervals KPI alerts judge (src/guards.c,
-- src/guards_core.c).  Each is two-sided at the given confidence, so each end
-- is a one-sided bound at (1 + confidence) / 2.

CREATE FUNCTION csat.percentile_bounds(sketch csat.sketch, p float8, confidence float8 DEFAULT 0.95) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_percentile_bounds' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.percentile_bounds(csat.sketch, float8, float8) IS
'{low, high}: distribution-free interval of the p-quantile of the values in the sketch, from order statistics: with n values, ranks qbinom((1-confidence)/2, n, p) and qbinom((1+confidence)/2, n, p) + 1 (exact binomial sums up to n = 1000000, normal approximation with continuity correction above), -Infinity/+Infinity when a rank falls outside [1, n]; the values read at those ranks are widened by the sketch''s relative accuracy (low/(1+alpha), high/(1-alpha)) and kept within the exact min and max';

CREATE FUNCTION csat.kpi_bounds(measure text, scale float8, n bigint, hits bigint, misses bigint,
                                sum_w float8, sum_wx float8, sum_wx2 float8, sum_w2 float8,
                                promoters bigint, detractors bigint, sketch csat.sketch,
                                statistic text, confidence float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_kpi_bounds' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.kpi_bounds(text, float8, bigint, bigint, bigint, float8, float8, float8, float8, bigint, bigint, csat.sketch, text, float8) IS
'{value, low, high} of the figure a KPI rule judges, for a state of csat.kpi_states (fields as in csat.kpi_figures), two-sided at confidence: share hits/n with the Wilson interval; ratio scale*hits/n with Garwood''s exact Poisson interval of hits; count n with Garwood''s interval (n = 0 gives {0, 0, upper}); mean and weighted_mean sum_wx/sum_w with a t interval on Kish''s effective n = sum_w^2/sum_w2 (df neff-1, +/-Infinity when neff <= 1); nps with the trinomial variance (normal, within [-100, 100]); duration by statistic: p50/p90/p95/p99 (NULL = p95) as csat.percentile_bounds, mean sum_wx/n with a t interval, attainment hits/(hits+misses) with the Wilson interval.  No items: {NULL, NULL, NULL}.  confidence NULL: {value, value, value}, the raw (noisy) comparison';

CREATE FUNCTION csat.change_bounds(v1 float8, l1 float8, u1 float8, v0 float8, l0 float8, u0 float8, relative boolean) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'csat_change_bounds' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.change_bounds(float8, float8, float8, float8, float8, float8, boolean) IS
'{change, low, high} of period 1 (v1 in [l1, u1]) against period 0 (v0 in [l0, u0]), both intervals at the same confidence: relative false, the difference v1 - v0 with the MOVER interval (Newcombe''s hybrid score interval when the sides are Wilson intervals); relative true, v1/v0 - 1 with the MOVER-R interval of the ratio (Donner & Zou 2012): NULL when v0 <= 0 or v1 < 0, high +Infinity when l0 <= 0 (the baseline may be zero), low -Infinity when the lower end has no real root';
