-- alerts: KPI alerts that csat.refresh() raises, escalates and resolves from
-- the guarded levels of csat.kpi_values (issue 13; docs/alerts.md).
--
-- A kpi rule (csat.rules, applies_to kpi) grades a KPI per period and scope on
-- the pessimistic end of the figure's interval (csat.kpi_bounds).  Each refresh
-- judges the periods it recomputed within settings.alert_horizon at the rule's
-- grains and keeps one row per (rule, grain, period_start, channel, segment,
-- breakdown) in csat.alerts.

-- ---------------------------------------------------------------- rules and settings
ALTER TABLE csat.rules
	ADD COLUMN grains text[] NOT NULL DEFAULT '{hour,day}',
	ADD COLUMN muted_until timestamptz,
	ADD COLUMN compare text,
	ADD COLUMN change text NOT NULL DEFAULT 'absolute',
	ALTER COLUMN confidence DROP NOT NULL,
	ADD CONSTRAINT rules_compare_known CHECK (compare OPERATOR(pg_catalog.=) ANY ('{mom,yoy,baseline}'::text[])),
	ADD CONSTRAINT rules_change_known CHECK (change OPERATOR(pg_catalog.=) ANY ('{absolute,relative}'::text[])),
	ADD CONSTRAINT rules_grains_known CHECK (grains OPERATOR(pg_catalog.<@) '{hour,day,week,month,quarter}'::text[]
		AND pg_catalog.cardinality(grains) OPERATOR(pg_catalog.>) 0);
COMMENT ON COLUMN csat.rules.grains IS 'kpi rules: the grains whose periods csat.refresh() raises alerts for (hour, day, week, month, quarter; default hour and day)';
COMMENT ON COLUMN csat.rules.compare IS 'kpi rules: judge the change of the figure against the compared period (mom, yoy: as csat.kpi_values.mom/yoy; baseline: the baseline days of csat.settings) instead of the figure itself; NULL: the figure';
COMMENT ON COLUMN csat.rules.change IS 'kpi rules with compare: absolute (difference, in the KPI''s unit) or relative (ratio minus 1, a fraction: -0.2 = 20 % below); judged on the interval of the change (csat.change_bounds)';
COMMENT ON COLUMN csat.rules.muted_until IS 'kpi rules: until then the rule''s alerts are kept in csat.alerts but send no NOTIFY';
COMMENT ON COLUMN csat.rules.confidence IS 'two-sided confidence of the interval a rule judges (0.95: each end 97.5 %); kpi rules with NULL judge the raw figure, which is noisy (docs/alerts.md)';

ALTER TABLE csat.settings
	ADD COLUMN alert_horizon interval NOT NULL DEFAULT '7 days',
	ADD COLUMN alert_grace interval NOT NULL DEFAULT '1 hour',
	ADD COLUMN alert_looks integer NOT NULL DEFAULT 6 CONSTRAINT settings_alert_looks_positive CHECK (alert_looks OPERATOR(pg_catalog.>=) 1),
	ADD CONSTRAINT settings_alert_intervals CHECK (alert_horizon OPERATOR(pg_catalog.>=) '0'::interval
		AND alert_grace OPERATOR(pg_catalog.>=) '0'::interval);
COMMENT ON COLUMN csat.settings.alert_horizon IS 'csat.refresh() raises alerts only for periods ending less than this before its as_of (older periods and backfills never alert)';
COMMENT ON COLUMN csat.settings.alert_looks IS 'how many times a refresh schedule judges a period while it is open: an open period is judged at confidence 1 - (1 - c) / alert_looks (Bonferroni), so that repeated looks do not multiply false alarms (docs/alerts.md)';
ALTER TABLE csat.rollup_state ADD COLUMN as_of timestamptz;
COMMENT ON COLUMN csat.rollup_state.as_of IS 'as_of of the last refresh: periods ending after it were still open (csat.kpi_levels)';
COMMENT ON COLUMN csat.settings.alert_grace IS 'an alert whose period closed this long ago without reaching breach is resolved';

-- ---------------------------------------------------------------- the alerts
CREATE SEQUENCE csat.alerts_alert_id_seq;
CREATE TABLE csat.alerts (
	alert_id		bigint PRIMARY KEY DEFAULT pg_catalog.nextval('csat.alerts_alert_id_seq'::pg_catalog.regclass),
	rule			text NOT NULL,
	kpi				text NOT NULL,
	grain			text NOT NULL,
	period_start	timestamptz NOT NULL,
	channel			text,
	segment			text,
	breakdown		text,
	level			csat.level NOT NULL,
	current_level	csat.level,
	value			float8,
	bound			float8,
	threshold		float8,
	n				bigint,
	provisional		boolean NOT NULL,
	opened_at		timestamptz NOT NULL,
	escalated_at	timestamptz,
	resolved_at		timestamptz,
	acknowledged_at	timestamptz,
	acknowledged_by	text,
	note			text,
	summary			text NOT NULL,
	CONSTRAINT alerts_key UNIQUE NULLS NOT DISTINCT (rule, grain, period_start, channel, segment, breakdown),
	CONSTRAINT alerts_level_raised CHECK (level OPERATOR(pg_catalog.<>) 'ok'::csat.level)
);
ALTER SEQUENCE csat.alerts_alert_id_seq OWNED BY csat.alerts.alert_id;
COMMENT ON SEQUENCE csat.alerts_alert_id_seq IS 'numbers csat.alerts.alert_id';
CREATE INDEX alerts_open ON csat.alerts (rule, grain, period_start) WHERE resolved_at IS NULL;
SELECT pg_catalog.pg_extension_config_dump('csat.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('csat.alerts_alert_id_seq', '');
-- a rule renamed or deleted takes its alerts along (a trigger, not a foreign key:
-- pg_dump would then restore csat.rules before csat.calendars, which its rules name)
CREATE FUNCTION csat.rules_alerts() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM csat.alerts a WHERE a.rule OPERATOR(pg_catalog.=) OLD.name;
	ELSIF NEW.name OPERATOR(pg_catalog.<>) OLD.name THEN
		UPDATE csat.alerts a SET rule = NEW.name WHERE a.rule OPERATOR(pg_catalog.=) OLD.name;
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION csat.rules_alerts() IS 'trigger on csat.rules: a rule deleted deletes its alerts, a rule renamed renames them';
CREATE TRIGGER rules_alerts AFTER DELETE OR UPDATE OF name ON csat.rules
	FOR EACH ROW EXECUTE FUNCTION csat.rules_alerts();
-- a role sees (and acknowledges) an alert exactly when it may read csat.kpi_values
ALTER TABLE csat.alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY alerts_read ON csat.alerts FOR SELECT
	USING (pg_catalog.has_table_privilege('csat.kpi_values', 'SELECT'));
CREATE POLICY alerts_acknowledge ON csat.alerts FOR UPDATE
	USING (pg_catalog.has_table_privilege('csat.kpi_values', 'SELECT'));
GRANT SELECT ON csat.alerts TO PUBLIC;
GRANT UPDATE (acknowledged_at, acknowledged_by, note) ON csat.alerts TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON csat.alerts TO @extowner@;
GRANT USAGE ON SEQUENCE csat.alerts_alert_id_seq TO @extowner@;

COMMENT ON TABLE csat.alerts IS 'KPI alerts: one row per (rule, grain, period_start, channel, segment, breakdown), opened by csat.refresh() when a kpi rule''s guarded level (csat.kpi_values.level) reaches warning or breach, escalated in place, resolved when the level falls back or the period closes without a breach, reopened if it breaches again; readable by every role that may read csat.kpi_values';
COMMENT ON COLUMN csat.alerts.alert_id IS 'key, for csat.acknowledge()';
COMMENT ON COLUMN csat.alerts.rule IS 'the csat.rules rule (applies_to kpi) that raised it';
COMMENT ON COLUMN csat.alerts.kpi IS 'the KPI (csat.kpis.name, the rule''s metric)';
COMMENT ON COLUMN csat.alerts.grain IS 'hour, day, week, month or quarter';
COMMENT ON COLUMN csat.alerts.period_start IS 'start of the period, as in csat.kpi_values';
COMMENT ON COLUMN csat.alerts.channel IS 'channel; NULL = total over channels';
COMMENT ON COLUMN csat.alerts.segment IS 'segment; NULL = total over segments';
COMMENT ON COLUMN csat.alerts.breakdown IS 'breakdown value; NULL = total over the values (or no breakdown)';
COMMENT ON COLUMN csat.alerts.level IS 'the worst level seen: warning or breach';
COMMENT ON COLUMN csat.alerts.current_level IS 'the level at the last evaluation (ok once the period is judged below warning, has too few items or is no longer graded by the rule)';
COMMENT ON COLUMN csat.alerts.value IS 'the KPI''s value at the last evaluation';
COMMENT ON COLUMN csat.alerts.bound IS 'the interval end that decided the level (csat.kpi_values.bound)';
COMMENT ON COLUMN csat.alerts.threshold IS 'the rule''s threshold the bound is past (breach, else warning)';
COMMENT ON COLUMN csat.alerts.n IS 'items the judged figure counts in the period and scope (csat.kpi_levels.judged_n: for attainment also the open items past their target)';
COMMENT ON COLUMN csat.alerts.provisional IS 'its period was still open at the last evaluation';
COMMENT ON COLUMN csat.alerts.opened_at IS 'as_of of the refresh that opened it';
COMMENT ON COLUMN csat.alerts.escalated_at IS 'as_of of the refresh that turned it from warning to breach';
COMMENT ON COLUMN csat.alerts.resolved_at IS 'as_of of the refresh that resolved it; NULL while open';
COMMENT ON COLUMN csat.alerts.acknowledged_at IS 'when csat.acknowledge() was called for it';
COMMENT ON COLUMN csat.alerts.acknowledged_by IS 'the role that acknowledged it';
COMMENT ON COLUMN csat.alerts.note IS 'the note given to csat.acknowledge()';
COMMENT ON COLUMN csat.alerts.summary IS 'one line for people, e.g. "chat/vip first_response p95 412 s > 180 s (95 % lower bound 366 s, n = 575)": the lower or upper end of the rule''s two-sided interval';

-- ---------------------------------------------------------------- acknowledging and pruning
-- (the functions that judge, src/alerts_fn.sql, follow csat.kpi_values)
CREATE OR REPLACE FUNCTION csat.acknowledge(alert_id bigint, note text DEFAULT NULL) RETURNS csat.alerts
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a csat.alerts;
BEGIN
	UPDATE csat.alerts x SET acknowledged_at = pg_catalog.now(), acknowledged_by = CURRENT_USER::text, note = acknowledge.note
	 WHERE x.alert_id OPERATOR(pg_catalog.=) acknowledge.alert_id RETURNING x.* INTO a;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'alert % does not exist', alert_id USING ERRCODE = '42704',
			HINT = 'Alerts are visible to roles that may read csat.kpi_values.';
	END IF;
	RETURN a;
END $$;
COMMENT ON FUNCTION csat.acknowledge(bigint, text) IS
'marks the alert acknowledged now by the current role, with an optional note (42704 when no alert of that id is visible to the role); returns the alert';

CREATE OR REPLACE FUNCTION csat.prune_alerts(older_than interval) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	gone bigint;
BEGIN
	IF older_than IS NULL OR older_than OPERATOR(pg_catalog.<) '0'::interval THEN
		RAISE EXCEPTION 'older_than must be a non-negative interval' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('Got %s.', coalesce(older_than::text, 'NULL'));
	END IF;
	DELETE FROM csat.alerts a WHERE a.resolved_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) older_than);
	GET DIAGNOSTICS gone = ROW_COUNT;
	RETURN gone;
END $$;
COMMENT ON FUNCTION csat.prune_alerts(interval) IS
'deletes the alerts resolved more than older_than ago; returns how many (open alerts are kept)';
