-- csat 0.3 -> 0.4: changes to objects of 0.3 (0.4 adds no family): the
-- security release (issue 10).

-- ==== schema csat belongs to the bootstrap superuser (issue 10)
-- The installing role owned it until now: it could have planted look-alike
-- operators, functions or relations in it.  The schema is handed over and its
-- privileges reset as a fresh install sets them (src/common.sql).  Objects in it
-- that are not csat's own (other than the standard views csat.<kind> that
-- csat.map_source made) are listed in a WARNING: they keep their owner, and once
-- this update has rebuilt csat's views nothing of csat depends on them (checked
-- at the end, src/verify.sql), so a superuser can drop them.  (Refusing the
-- update instead would leave no way out where a 0.3 view is bound to one: it
-- cannot be dropped while an extension member depends on it.)
DO $$
DECLARE
	nsp oid := 'csat'::pg_catalog.regnamespace::pg_catalog.oid;
	ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'csat'::pg_catalog.name);
	found text;
	g record;
BEGIN
	SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', '
								 ORDER BY pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid))
	  INTO found
	  FROM pg_catalog.pg_depend d
	 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass::pg_catalog.oid
	   AND d.refobjid OPERATOR(pg_catalog.=) nsp
	   AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid
	   AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend m
						WHERE m.classid OPERATOR(pg_catalog.=) d.classid AND m.objid OPERATOR(pg_catalog.=) d.objid
						  AND m.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid
						  AND m.refobjid OPERATOR(pg_catalog.=) ext AND m.deptype OPERATOR(pg_catalog.=) 'e'::"char")
	   AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c
						WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid
						  AND c.oid OPERATOR(pg_catalog.=) d.objid AND c.relkind OPERATOR(pg_catalog.=) 'v'::"char"
						  AND c.relname::pg_catalog.text OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.kind FROM csat.sources s)));
	EXECUTE pg_catalog.format('ALTER SCHEMA csat OWNER TO %I',
		(SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) 10::pg_catalog.oid));
	FOR g IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
			  WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.grantee OPERATOR(pg_catalog.<>) 10::pg_catalog.oid LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA csat FROM %s',
			CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
				 ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END);
	END LOOP;
	EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA csat TO PUBLIC; GRANT USAGE, CREATE ON SCHEMA csat TO %s',
		(SELECT e.extowner::pg_catalog.regrole::pg_catalog.text FROM pg_catalog.pg_extension e WHERE e.oid OPERATOR(pg_catalog.=) ext));
	IF found IS NOT NULL THEN
		RAISE WARNING 'schema "csat" holds objects that are not part of csat'
			USING DETAIL = pg_catalog.format('Found: %s.', found),
				  HINT = 'They may be look-alikes put there to run code as a superuser: a superuser should review them and drop them, or move them to another schema.';
	END IF;
END $$;

-- ==== every object csat generated is made again
-- The standard views, by the function that makes them (as this script's user,
-- under its pinned search_path), then given back to the role that owned them;
-- the KPI views follow (src/views_kpi.sql, CREATE OR REPLACE), and src/verify.sql
-- checks at the end that nothing of csat still depends on a foreign object.
DO $$
DECLARE
	k text;
	was name;
BEGIN
	FOR k IN SELECT DISTINCT s.kind FROM csat.sources s ORDER BY 1 LOOP
		was := (SELECT r.rolname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
				 WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('csat.%I', k))::pg_catalog.oid);
		PERFORM csat.build_standard_view(k);
		-- (made inside this script, the view would become a member of csat: it is not)
		EXECUTE pg_catalog.format('ALTER EXTENSION csat DROP VIEW csat.%I', k);
		IF was IS NOT NULL THEN
			EXECUTE pg_catalog.format('ALTER VIEW csat.%I OWNER TO %I', k, was);
		END IF;
	END LOOP;
END $$;
