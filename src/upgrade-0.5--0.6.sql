-- 0.5 -> 0.6, written by hand: only what replaying the families cannot do
-- (new columns of existing tables).  Followed by the families new in 0.6
-- (guards, alerts) and the replayed files (Makefile: UPGRADE_SQL).

-- the hourly KPI rollup's period index also keys the KPI: the alerts' reads of a
-- refresh's periods fetch only the KPIs that rules judge
DROP INDEX csat.kpi_rollup_hourly_period;
CREATE INDEX kpi_rollup_hourly_period ON csat.kpi_rollup_hourly (period, kpi);
