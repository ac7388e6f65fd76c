-- csat 0.8 -> 0.9, the part replaying src/*_fn.sql cannot do.
-- csat.source_kpis returns the days and their totals too (computed in the same
-- pass as the hours), so the statements that rolled the hours up into days
-- are gone.
ALTER TYPE csat.kpi_partial ADD ATTRIBUTE totals int2;
COMMENT ON TYPE csat.kpi_partial IS 'internal: a row of csat.source_kpis (partial KPI state of one mapped table, per hour h, channel c, segment s, breakdown b; with totals, per day h as a row of csat.kpi_rollup_daily: NULL c or s = the total over it)';
DROP FUNCTION csat.kpi_rollup_daily_sql(boolean);
