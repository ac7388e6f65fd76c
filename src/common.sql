-- common: the schema itself
COMMENT ON SCHEMA csat IS 'csat: customer-satisfaction KPIs (score aggregates, SLA percentile sketches, breach detection, KPI views)';

CREATE TYPE csat.level AS ENUM ('ok', 'warning', 'breach');
COMMENT ON TYPE csat.level IS 'alert level of a KPI against a rule: ok < warning < breach (ordered, so max() gives the worst)';

-- csat's functions, aggregates and views are for every role that may read the
-- underlying data (views run with the reader's rights); its tables carry
-- their own grants.
GRANT USAGE ON SCHEMA csat TO PUBLIC;
