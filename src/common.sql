-- common: the schema itself

-- Schema csat belongs to the bootstrap superuser (issue 10).  CREATE EXTENSION
-- creates the control file's schema as the calling user, who then owned it and
-- could rename it and put a look-alike csat in its place, or fill it with
-- look-alike operators and functions for superusers' queries to reach.  A schema
-- csat that existed before CREATE EXTENSION is reused by it: one that holds
-- anything is refused (it may hold planted objects); an empty one is taken over
-- like a new one.  Either way its privileges are reset: USAGE for PUBLIC, USAGE
-- and CREATE for the extension's owner (csat.map_source creates the standard
-- views csat.<kind> as the caller).
DO $$
DECLARE
	nsp oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'csat'::pg_catalog.name);
	found text;
	g record;
BEGIN
	SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', '
								 ORDER BY pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid))
	  INTO found
	  FROM pg_catalog.pg_depend d
	 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass::pg_catalog.oid
	   AND d.refobjid OPERATOR(pg_catalog.=) nsp
	   AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid;
	IF found IS NOT NULL THEN
		RAISE EXCEPTION 'schema "csat" already exists and is not empty'
			USING ERRCODE = 'duplicate_schema',
				  DETAIL = pg_catalog.format('It holds: %s.', found),
				  HINT = 'csat installs into its own schema csat only when that is new or empty: drop or rename the existing schema, then create the extension again.';
	END IF;
	EXECUTE pg_catalog.format('ALTER SCHEMA csat OWNER TO %I',
		(SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) 10::pg_catalog.oid));
	FOR g IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
			  WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.grantee OPERATOR(pg_catalog.<>) 10::pg_catalog.oid LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA csat FROM %s',
			CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
				 ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END);
	END LOOP;
END $$;
GRANT USAGE, CREATE ON SCHEMA csat TO @extowner@;
COMMENT ON SCHEMA csat IS 'csat: customer-satisfaction KPIs (score aggregates, SLA percentile sketches, breach detection, KPI views)';

CREATE TYPE csat.level AS ENUM ('ok', 'warning', 'breach');
COMMENT ON TYPE csat.level IS 'alert level of a KPI against a rule: ok < warning < breach (ordered, so max() gives the worst)';

-- csat's functions, aggregates and views are for every role that may read the
-- underlying data (views run with the reader's rights); its tables carry
-- their own grants.
GRANT USAGE ON SCHEMA csat TO PUBLIC;
