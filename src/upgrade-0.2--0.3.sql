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
