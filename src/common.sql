-- common: the schema itself
COMMENT ON SCHEMA csat IS 'csat: customer-satisfaction KPIs (score aggregates, SLA percentile sketches, breach detection, KPI views)';
