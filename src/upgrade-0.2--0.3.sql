-- csat 0.2 -> 0.3: changes to objects of 0.2 (0.3 adds no family).

-- ==== watch: partitions written directly are flagged too (issue 4)
CREATE FUNCTION csat.watch_partitions() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'csat_watch_partitions' LANGUAGE C;
COMMENT ON FUNCTION csat.watch_partitions() IS 'internal: event trigger function; gives a partition created in or attached to a watched table the watch triggers';
CREATE EVENT TRIGGER csat_watch_partitions ON ddl_command_end
	WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
	EXECUTE FUNCTION csat.watch_partitions();
COMMENT ON EVENT TRIGGER csat_watch_partitions IS 'csat: puts the watch triggers on partitions created in or attached to watched tables';
-- existing watches of partitioned tables: the same triggers on every partition
DO $$
DECLARE
	p regclass;
BEGIN
	FOR p IN SELECT t.relid FROM (SELECT DISTINCT source FROM csat.watches) w,
	                pg_catalog.pg_partition_tree(w.source) t
	                JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid
	          WHERE t.relid OPERATOR(pg_catalog.<>) w.source AND c.relkind IN ('r', 'p')
	LOOP
		EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER csat_watch_insert AFTER INSERT ON %s'
			' REFERENCING NEW TABLE AS csat_new FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_trigger()', p);
		EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER csat_watch_update AFTER UPDATE ON %s'
			' REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new FOR EACH STATEMENT EXECUTE FUNCTION csat.watch_trigger()', p);
	END LOOP;
END
$$;

-- ==== least privilege (issue 6): breaches of a table are readable only by roles
-- that may SELECT it (see src/watch.sql).  0.2 granted TRUNCATE on csat.breaches
-- to the extension owner; it would bypass the policy, so it goes.  @extowner@ here
-- is whoever runs the update, so the revoke names the owner recorded in
-- pg_extension (and spares the table's owner, to whom 0.2's grant added nothing).
ALTER TABLE csat.breaches ENABLE ROW LEVEL SECURITY;
CREATE POLICY breaches_of_readable_tables ON csat.breaches
	USING (pg_catalog.has_table_privilege(source::pg_catalog.oid, 'SELECT'));
COMMENT ON POLICY breaches_of_readable_tables ON csat.breaches IS 'a role sees, updates and deletes (and inserts) only breaches of tables it has SELECT on';
GRANT SELECT ON csat.breaches TO PUBLIC;
DO $$
DECLARE
	owner_oid pg_catalog.oid := (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'csat');
BEGIN
	IF owner_oid OPERATOR(pg_catalog.<>) (SELECT c.relowner FROM pg_catalog.pg_class c
										  WHERE c.oid OPERATOR(pg_catalog.=) 'csat.breaches'::pg_catalog.regclass) THEN
		EXECUTE pg_catalog.format('REVOKE TRUNCATE ON csat.breaches FROM %s', owner_oid::pg_catalog.regrole);
	END IF;
END $$;
COMMENT ON FUNCTION csat.prune_breaches(interval) IS 'delete breaches observed longer ago than older_than, of the tables the caller may SELECT (row security on csat.breaches); returns how many';

-- ==== least privilege (issue 6): the extension owner of a trusted install maps
-- sources and refreshes; 0.2 granted it nothing of the views family.  As above,
-- the grants go to the owner recorded in pg_extension, not to whoever updates.
DO $$
DECLARE
	owner_name text := (SELECT e.extowner::pg_catalog.regrole::text FROM pg_catalog.pg_extension e
						WHERE e.extname OPERATOR(pg_catalog.=) 'csat');
BEGIN
	EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON csat.settings, csat.sources, csat.rollup_hourly,'
		' csat.rollup_daily, csat.rollup_state, csat.refresh_log TO %s', owner_name);
	EXECUTE pg_catalog.format('GRANT DELETE ON csat.changes TO %s', owner_name);
	EXECUTE pg_catalog.format('GRANT SELECT ON csat.refresh_status, csat.kpi_hourly, csat.kpi_daily, csat.kpi_weekly,'
		' csat.kpi_monthly TO %s WITH GRANT OPTION', owner_name);
END $$;
