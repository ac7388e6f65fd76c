-- verify: the last statement of every install and upgrade script (Makefile:
-- REPLAYED).  Fails when an object of csat (a member of the extension, or a rule,
-- constraint, default, trigger, policy or index of one of its tables and views)
-- depends on a function, operator, type, relation or other schema object that is
-- neither in pg_catalog nor csat's own: in a database where a look-alike was
-- planted before this version (issue 10), the objects that bound it must not be
-- kept silently.
DO $$
DECLARE
	found text;
BEGIN
	WITH members AS (
		SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
		 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'::"char"
		   AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
												   WHERE e.extname OPERATOR(pg_catalog.=) 'csat'::pg_catalog.name)),
	rels AS (
		SELECT m.objid AS relid FROM members m
		 WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid),
	ours AS (
		SELECT m.classid, m.objid FROM members m
		UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass::pg_catalog.oid, r.oid FROM pg_catalog.pg_rewrite r
		 WHERE r.ev_class OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid, c.oid FROM pg_catalog.pg_constraint c
		 WHERE c.conrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
			OR c.contypid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT m.objid FROM members m
				WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid))
		UNION ALL SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass::pg_catalog.oid, a.oid FROM pg_catalog.pg_attrdef a
		 WHERE a.adrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass::pg_catalog.oid, t.oid FROM pg_catalog.pg_trigger t
		 WHERE t.tgrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass::pg_catalog.oid, p.oid FROM pg_catalog.pg_policy p
		 WHERE p.polrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))
		UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, i.indexrelid FROM pg_catalog.pg_index i
		 WHERE i.indrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels)))
	SELECT pg_catalog.string_agg(pg_catalog.format('%s -> %s',
				pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid),
				pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)), '; ')
	  INTO found
	  FROM pg_catalog.pg_depend d
	  JOIN ours o ON o.classid OPERATOR(pg_catalog.=) d.classid AND o.objid OPERATOR(pg_catalog.=) d.objid
	 CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0) i
	 WHERE d.refclassid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_operator'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_collation'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_opclass'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_opfamily'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_conversion'::pg_catalog.regclass::pg_catalog.oid, 'pg_catalog.pg_ts_config'::pg_catalog.regclass::pg_catalog.oid,
				'pg_catalog.pg_ts_dict'::pg_catalog.regclass::pg_catalog.oid])
	   AND i.schema IS DISTINCT FROM 'pg_catalog'::pg_catalog.text
	   AND NOT EXISTS (SELECT FROM ours o2 WHERE o2.classid OPERATOR(pg_catalog.=) d.refclassid
											AND o2.objid OPERATOR(pg_catalog.=) d.refobjid)
	   -- the array and row types PostgreSQL makes for csat's own types and tables
	   AND NOT EXISTS (SELECT FROM pg_catalog.pg_type t
					    WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid
						  AND t.oid OPERATOR(pg_catalog.=) d.refobjid
						  AND (t.typelem OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT o3.objid FROM ours o3))
							   OR t.typrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT relid FROM rels))));
	IF found IS NOT NULL THEN
		RAISE EXCEPTION 'objects of extension csat depend on objects that are neither in pg_catalog nor part of csat'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('%s.', found),
				  HINT = 'They may be look-alikes put there to run code as a superuser: drop the objects named on the right (with CASCADE if csat''s objects must go with them), recreate what csat needs, and run the update again.';
	END IF;
END $$;
