-- csat 0.9 -> 0.10, the part replaying src/*_fn.sql cannot do.
-- An incremental refresh starts the days it recomputes at their first instant
-- (csat.day_start, src/views_fn.sql, replayed): no table changes.  The comment of
-- the daily KPI rollup says how 0.9 computes it.
COMMENT ON TABLE csat.kpi_rollup_daily IS 'mergeable states of every enabled KPI per day, channel, segment and breakdown value, with the totals: NULL in channel, segment or breakdown = the total over it (totals = grouping(channel, segment, breakdown): 4 channel, 2 segment, 1 breakdown; a KPI without breakdown has only rows with bit 1); computed from the sources in the pass that computes the hours (src/kpi_emit.c), breakdown values per day; weeks, months and quarters roll up from it in csat.kpi_values';
