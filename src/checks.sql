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
