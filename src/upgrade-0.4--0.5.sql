-- csat 0.4 -> 0.5 (issue 12: the KPI catalogue).  Runs before the families new in
-- 0.5 and the replayed files (src/views_fn.sql, src/views_kpi.sql, src/verify.sql),
-- which define every function exactly as a fresh install does: this file holds
-- only what replaying cannot do (new columns of existing tables, dropped or
-- re-typed functions) and the rebuilds that must follow.

-- rules: what a rule judges (rows of watched tables, or a KPI's level).  A 0.4
-- rule keeps its effect: csat.watch flags rows against rules of its metric as
-- before (applies_to rows); the 0.4 KPI views graded csat_rate, nps and
-- complaint_rate with rules of those metrics, which now grade those KPIs
-- (applies_to kpi) unless a table is watched with that metric.
ALTER TABLE csat.rules ADD COLUMN applies_to text NOT NULL DEFAULT 'rows',
	ADD COLUMN statistic text,
	ADD CONSTRAINT rules_applies_to_known CHECK (applies_to OPERATOR(pg_catalog.=) ANY ('{rows,kpi}'::text[])),
	ADD CONSTRAINT rules_statistic_known CHECK (statistic OPERATOR(pg_catalog.=) ANY ('{p50,p90,p95,p99,mean,attainment}'::text[]));
UPDATE csat.rules r SET applies_to = 'kpi'
 WHERE r.metric OPERATOR(pg_catalog.=) ANY ('{csat_rate,nps,complaint_rate}'::text[])
   AND NOT EXISTS (SELECT FROM csat.watches w WHERE w.metric OPERATOR(pg_catalog.=) r.metric);
DROP INDEX csat.rules_enabled_scope;
CREATE UNIQUE INDEX rules_enabled_scope ON csat.rules (metric, applies_to, segment, channel)
	NULLS NOT DISTINCT WHERE enabled;

-- refresh gains as_of (src/views_fn.sql defines it again)
DROP FUNCTION csat.refresh(boolean);
