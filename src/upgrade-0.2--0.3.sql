-- csat 0.2 -> 0.3: changes to objects of 0.2 (0.3 adds no family).

-- ---- least privilege (issue 6): breaches of a table are readable only by roles
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
