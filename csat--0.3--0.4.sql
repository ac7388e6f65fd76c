-- csat 0.3 -> 0.4 upgrade script (released: frozen).
\echo Use "ALTER EXTENSION csat UPDATE TO '0.4'" to load this file. \quit
-- Security (issue 10): nothing here may resolve to an object outside pg_catalog
-- and csat's own.  CREATE EXTENSION runs this script with search_path "csat,
-- pg_temp" (pg_catalog implicitly first): a look-alike operator or function with
-- a closer argument match, planted in schema csat, would win over pg_catalog's,
-- be bound into csat's views, defaults and checks, and run as the (bootstrap)
-- superuser.  SET LOCAL here lasts until the end of this script only.
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== src/upgrade-0.3--0.4.sql ====
-- csat 0.3 -> 0.4: changes to objects of 0.3 (0.4 adds no family): the
-- security release (issue 10).

-- ---------------------------------------------------------------- views: rights (issue 10, section 3)
-- csat.refresh() reads each mapped table as its owner (src/views_read.c) through
-- statements csat builds from the mapping; change tracking is a C trigger writing
-- as csat's owner (the existing triggers keep their definition and now run it: a
-- function replaced in place keeps its OID); csat.changes is no longer PUBLIC; an
-- sql_drop event trigger forgets dropped tables.
REVOKE SELECT, INSERT ON csat.changes FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON csat.changes TO @extowner@;
GRANT SELECT ON csat.sources TO PUBLIC;
COMMENT ON TABLE csat.changes IS 'periods whose source rows changed since the last csat.refresh(): one row per kind and UTC hour touched (hour NULL: rebuild all); written by the change-tracking triggers, consumed by csat.refresh()';

CREATE OR REPLACE FUNCTION csat.track_change() RETURNS trigger
AS 'MODULE_PATHNAME', 'csat_track_change' LANGUAGE C;
COMMENT ON FUNCTION csat.track_change() IS
'statement trigger installed on mapped tables by csat.map_source (arguments: kind, the period column at mapping time): notes in csat.changes the UTC hours whose rows were inserted, updated or deleted (the period column is the mapping''s; TRUNCATE notes everything), so csat.refresh() recomputes only those; writes as the owner of csat''s tables, and refuses to run on a table not mapped as that kind (55000)';

CREATE FUNCTION csat.text_sql(col text, typ oid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace::pg_catalog.oid
			THEN pg_catalog.format('t.%I::pg_catalog.text', col)
			ELSE pg_catalog.format('CASE WHEN t.%1$I IS NULL THEN NULL ELSE pg_catalog.format(''%%s'', t.%1$I) END', col) END
  FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) typ
$$;
COMMENT ON FUNCTION csat.text_sql(text, oid) IS
'internal: SQL for the text of column col of type typ of the table aliased t: built-in types by their built-in cast to text, other types by their output function (no user-defined cast runs)';

CREATE OR REPLACE FUNCTION csat.build_standard_view(kind text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	parts text[] := '{}';
	r record;
	c record;
	sel text;
	idtype record;
	vname text := kind;
	cols text;
	i int := 0;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM csat.sources s WHERE s.kind = build_standard_view.kind) THEN
		IF to_regclass(format('csat.%I', vname)) IS NOT NULL THEN
			EXECUTE format('DROP VIEW csat.%I', vname);
		END IF;
		RETURN;
	END IF;
	FOR r IN SELECT s.source, s.columns FROM csat.sources s
			  WHERE s.kind = build_standard_view.kind ORDER BY s.source::oid LOOP
		sel := '';
		FOR c IN SELECT sc.name, sc.class FROM csat.standard_columns() sc
				  WHERE sc.kind = build_standard_view.kind ORDER BY sc.ord LOOP
			IF sel <> '' THEN sel := sel || ', '; END IF;
			IF r.columns ? c.name THEN
				sel := sel || CASE c.class
					WHEN 'id' THEN
						-- ids keep their type when every source of the kind agrees, else text
						CASE WHEN (SELECT count(DISTINCT a.atttypid) FROM csat.sources s2
									 JOIN pg_attribute a ON a.attrelid = s2.source
														AND a.attname = (s2.columns ->> c.name)
									WHERE s2.kind = build_standard_view.kind AND s2.columns ? c.name) > 1
								  OR EXISTS (SELECT 1 FROM csat.sources s3 WHERE s3.kind = build_standard_view.kind
												AND NOT s3.columns ? c.name)
							 -- (as text by the built-in cast or the output function: no user cast)
							 THEN csat.text_sql(r.columns ->> c.name,
								  (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) r.source::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) (r.columns OPERATOR(pg_catalog.->>) c.name)))
							 ELSE format('t.%I', r.columns ->> c.name) END
					-- +-infinity ("not yet") counts as NULL, on every major alike
					WHEN 'ts' THEN format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', r.columns ->> c.name)
					WHEN 'bool' THEN format('t.%I', r.columns ->> c.name)
					WHEN 'text' THEN csat.text_sql(r.columns ->> c.name,
						 (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) r.source::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) (r.columns OPERATOR(pg_catalog.->>) c.name)))
					WHEN 'int' THEN format('t.%I::integer', r.columns ->> c.name)
					WHEN 'float' THEN format('t.%I::double precision', r.columns ->> c.name)
				END;
			ELSE
				sel := sel || CASE c.class
					WHEN 'id' THEN 'NULL::text'
					WHEN 'ts' THEN 'NULL::timestamp with time zone'
					WHEN 'bool' THEN 'NULL::boolean'
					WHEN 'text' THEN 'NULL::text'
					WHEN 'int' THEN 'NULL::integer'
					WHEN 'float' THEN 'NULL::double precision'
				END;
			END IF;
			sel := sel || ' AS ' || quote_ident(c.name);
		END LOOP;
		parts := parts || format('SELECT %s FROM %s t', sel, r.source);
	END LOOP;
	-- the shape may change (an id type), so replace rather than CREATE OR REPLACE
	IF to_regclass(format('csat.%I', vname)) IS NOT NULL THEN
		EXECUTE format('DROP VIEW csat.%I', vname);
	END IF;
	EXECUTE format('CREATE VIEW csat.%I WITH (security_invoker = true) AS %s',
				   vname, array_to_string(parts, ' UNION ALL '));
	EXECUTE format('COMMENT ON VIEW csat.%I IS %L', vname,
				   format('csat standard view of the %s kind: UNION ALL of the tables mapped with csat.map_source (security_invoker: readers see only rows they may read); rebuilt on every mapping change', kind));
	FOR c IN SELECT sc.name, sc.class FROM csat.standard_columns() sc
			  WHERE sc.kind = build_standard_view.kind ORDER BY sc.ord LOOP
		EXECUTE format('COMMENT ON COLUMN csat.%I.%I IS %L', vname, c.name,
					   format('standard column %s of kind %s (NULL where a mapped table lacks it)', c.name, kind));
	END LOOP;
END $$;
COMMENT ON FUNCTION csat.build_standard_view(text) IS
'(re)creates the standard view csat.<kind> as the UNION ALL of the tables mapped to that kind (dropped when none is); called by csat.map_source and csat.unmap_source';

CREATE OR REPLACE FUNCTION csat.map_source(kind text, source regclass, columns jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	k text;
	v jsonb;
	resolved jsonb := '{}';
	c record;
	col text;
	att record;
	rel record;
	allowed text;
	trig text;
BEGIN
	IF kind IS NULL OR source IS NULL THEN
		RAISE EXCEPTION 'kind and source must not be null' USING ERRCODE = '22004';
	END IF;
	IF kind NOT IN ('orders', 'tickets', 'surveys', 'returns') THEN
		RAISE EXCEPTION 'unknown source kind "%"', kind USING ERRCODE = '22023',
			HINT = 'The kinds are orders, tickets, surveys and returns.';
	END IF;
	columns := coalesce(columns, '{}');
	IF jsonb_typeof(columns) <> 'object' THEN
		RAISE EXCEPTION 'columns must be a JSON object' USING ERRCODE = '22023',
			DETAIL = format('Got a JSON %s.', jsonb_typeof(columns)),
			HINT = 'Map standard names to the table''s column names, e.g. {"opened_at": "created"}.';
	END IF;
	SELECT cl.relkind, cl.relowner INTO rel FROM pg_class cl WHERE cl.oid = source;
	IF rel.relkind NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '"%" is not a table', source USING ERRCODE = '42809',
			DETAIL = 'csat tracks changes with triggers, so only tables and partitioned tables can be mapped.';
	END IF;
	IF NOT pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', source USING ERRCODE = '42501';
	END IF;
	FOR k, v IN SELECT * FROM jsonb_each(columns) LOOP
		IF NOT EXISTS (SELECT 1 FROM csat.standard_columns() sc
						WHERE sc.kind = map_source.kind AND sc.name = k) THEN
			SELECT string_agg(sc.name, ', ' ORDER BY sc.ord) INTO allowed
			  FROM csat.standard_columns() sc WHERE sc.kind = map_source.kind;
			RAISE EXCEPTION '"%" is not a standard column of kind %', k, kind USING ERRCODE = '22023',
				HINT = format('The standard columns of %s are %s.', kind, allowed);
		END IF;
		IF jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'the mapping of "%" must be a column name', k USING ERRCODE = '22023',
				DETAIL = format('Got a JSON %s.', jsonb_typeof(v));
		END IF;
	END LOOP;
	FOR c IN SELECT sc.name, sc.class, sc.required FROM csat.standard_columns() sc
			  WHERE sc.kind = map_source.kind ORDER BY sc.ord LOOP
		col := coalesce(columns ->> c.name, c.name);
		SELECT a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod) AS typname
		  INTO att FROM pg_attribute a
		 WHERE a.attrelid = source AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			IF columns ? c.name THEN
				RAISE EXCEPTION 'column "%" of relation % does not exist', col, source
					USING ERRCODE = '42703',
					DETAIL = format('The mapping names it for standard column %s.', c.name);
			ELSIF c.required THEN
				RAISE EXCEPTION 'required standard column "%" of kind % is not mapped', c.name, kind
					USING ERRCODE = '42703',
					DETAIL = format('Table %s has no column named %s and the mapping does not name one.', source, c.name),
					HINT = format('Pass it in columns, e.g. {"%s": "my_column"}.', c.name);
			END IF;
			CONTINUE;			-- optional column absent: NULL in the view
		END IF;
		IF (c.class = 'ts' AND att.atttypid <> 'timestamptz'::regtype)
		   OR (c.class = 'bool' AND att.atttypid <> 'boolean'::regtype)
		   OR (c.class = 'int' AND att.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype))
		   OR (c.class = 'float' AND att.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
														   'numeric'::regtype, 'real'::regtype, 'double precision'::regtype)) THEN
			RAISE EXCEPTION 'column "%" of relation % has type %, standard column % needs %', col, source, att.typname, c.name,
				CASE c.class WHEN 'ts' THEN 'timestamp with time zone' WHEN 'bool' THEN 'boolean'
					 WHEN 'int' THEN 'an integer type' ELSE 'a numeric type' END
				USING ERRCODE = '42804',
				HINT = CASE WHEN c.class = 'ts' THEN 'Convert it with ALTER TABLE ... ALTER COLUMN ... TYPE timestamptz USING ... AT TIME ZONE ..., or add a generated column and map that.'
							ELSE 'Add a generated column of the right type and map that.' END;
		END IF;
		resolved := resolved || jsonb_build_object(c.name, col);
	END LOOP;

	INSERT INTO csat.sources AS s (kind, source, columns) VALUES (kind, source, resolved)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET columns = EXCLUDED.columns, mapped_at = now();
	PERFORM csat.build_standard_view(kind);

	-- change tracking: one statement trigger per event (transition tables need that)
	trig := 'csat_track_' OPERATOR(pg_catalog.||) kind;
	FOR k IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
			  WHERE tg.tgrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
				AND tg.tgname::pg_catalog.text OPERATOR(pg_catalog.~~) (trig OPERATOR(pg_catalog.||) '\_%') LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', k, source);
	END LOOP;
	-- but none on a Citus distributed or reference table: its triggers would fire on the
	-- workers' shards and note the changes there, where csat.refresh() never looks (it
	-- rebuilds everything while such a table is mapped)
	IF NOT csat.citus_sharded(source) THEN
		col := resolved OPERATOR(pg_catalog.->>) csat.period_column(kind);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_ins', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_upd', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS csat_old'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_del', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_trunc', source, kind, col);
	END IF;
	-- a new or changed mapping invalidates every period
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
END $$;
COMMENT ON FUNCTION csat.map_source(text, regclass, jsonb) IS
'maps a user table to a source kind (orders, tickets, surveys, returns): columns maps standard names to the table''s own ({"opened_at": "created"}; unmapped standard names map to same-named columns, optional ones may be absent); validates names and types (42703 unknown column, 42804 wrong type, 22023 unknown kind or standard name, 42809 not a table, 42501 not owner), records the mapping, (re)creates the standard view csat.<kind> and installs the change-tracking triggers (none on a Citus distributed or reference table: csat.refresh() then rebuilds everything); mapping the same table again replaces its mapping';

CREATE FUNCTION csat.drop_cleanup() RETURNS event_trigger
AS 'MODULE_PATHNAME', 'csat_drop_cleanup' LANGUAGE C;
COMMENT ON FUNCTION csat.drop_cleanup() IS
'internal: sql_drop event trigger function; removes the mappings (csat.sources), watches (csat.watches) and breaches (csat.breaches) of dropped tables, notes a full refresh of the kinds that lost a table and rebuilds their standard views';
CREATE EVENT TRIGGER csat_drop_cleanup ON sql_drop
	EXECUTE FUNCTION csat.drop_cleanup();
COMMENT ON EVENT TRIGGER csat_drop_cleanup IS 'csat: forgets the mappings, watches and breaches of dropped tables';

-- mappings, watches and breaches of tables dropped before this version
DELETE FROM csat.sources s WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid);
DELETE FROM csat.watches w WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) w.source::pg_catalog.oid);
DELETE FROM csat.breaches b WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) b.source::pg_catalog.oid);

CREATE FUNCTION csat.source_sql(kind text, source regclass, part text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	m jsonb;
	tbl text;
	pcol text := csat.period_column(kind);
	c record;
	cols text := '';
	sel text;
	expr text;
	ranged text;
	typed boolean;
	idtype oid;
	idnum int2;
	indexed boolean;
	is_ranged boolean := part OPERATOR(pg_catalog.~~) '%\_ranged';
BEGIN
	SELECT s.columns, pg_catalog.format('%I.%I', n.nspname, cl.relname) INTO m, tbl
	  FROM csat.sources s JOIN pg_catalog.pg_class cl ON cl.oid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid
	  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) cl.relnamespace
	 WHERE s.kind OPERATOR(pg_catalog.=) source_sql.kind AND s.source::pg_catalog.oid OPERATOR(pg_catalog.=) source_sql.source::pg_catalog.oid;
	IF m IS NULL THEN
		RAISE EXCEPTION 'table % is not mapped as %', source, kind USING ERRCODE = '42704';
	END IF;
	-- a mapped column renamed or dropped since: say so rather than read NULLs
	SELECT k.key, k.value INTO c FROM pg_catalog.jsonb_each_text(m) k
	 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
						  AND a.attname OPERATOR(pg_catalog.=) k.value AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', c.value, source USING ERRCODE = '42703',
			DETAIL = pg_catalog.format('The mapping of kind %s names it for standard column %s.', kind, c.key),
			HINT = 'Map the table again with csat.map_source.';
	END IF;
	IF NOT (part OPERATOR(pg_catalog.=) ANY ('{partials,partials_ranged}'::text[]) AND kind OPERATOR(pg_catalog.=) ANY ('{orders,tickets,surveys}'::text[])
			OR part OPERATOR(pg_catalog.=) ANY ('{returns,returns_ranged,return_hours}'::text[]) AND kind OPERATOR(pg_catalog.=) 'returns'
			OR part OPERATOR(pg_catalog.=) ANY ('{order_keys,order_ids}'::text[]) AND kind OPERATOR(pg_catalog.=) 'orders') THEN
		RAISE EXCEPTION 'no part "%" of kind %', part, kind USING ERRCODE = '22023';
	END IF;
	-- *_ranged: the rows in [$2[i], $3[i]) (each joins once: the ranges are disjoint)
	ranged := pg_catalog.format(' JOIN ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS r(lo, hi)'
								' ON t.%1$I OPERATOR(pg_catalog.>=) r.lo AND t.%1$I OPERATOR(pg_catalog.<) r.hi',
								m OPERATOR(pg_catalog.->>) pcol);

	IF part OPERATOR(pg_catalog.~~) 'partials%' THEN
		-- the standard columns the measures read (the view's, less ids and labels)
		FOR c IN SELECT sc.name, sc.class, a.atttypid AS typ FROM csat.standard_columns() sc
				   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
						AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) sc.name)
				  WHERE sc.kind OPERATOR(pg_catalog.=) source_sql.kind AND sc.class OPERATOR(pg_catalog.<>) 'id'
					AND (sc.class OPERATOR(pg_catalog.<>) 'text' OR sc.name OPERATOR(pg_catalog.=) ANY ('{channel,segment}'::text[]))
				  ORDER BY sc.ord LOOP
			IF c.typ IS NULL THEN
				expr := CASE c.class WHEN 'ts' THEN 'NULL::pg_catalog.timestamptz' WHEN 'bool' THEN 'NULL::pg_catalog.bool'
					WHEN 'text' THEN 'NULL::pg_catalog.text' WHEN 'int' THEN 'NULL::pg_catalog.int4' ELSE 'NULL::pg_catalog.float8' END;
			ELSE
				expr := CASE c.class
					WHEN 'text' THEN csat.text_sql(m OPERATOR(pg_catalog.->>) c.name, c.typ)
					WHEN 'int' THEN pg_catalog.format('t.%I::pg_catalog.int4', m OPERATOR(pg_catalog.->>) c.name)
					WHEN 'float' THEN pg_catalog.format('t.%I::pg_catalog.float8', m OPERATOR(pg_catalog.->>) c.name)
					-- ts: +-infinity counts as NULL (an open item; no hour for the period
					-- column, which the ranged join still compares raw, by its index)
					WHEN 'ts' THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', m OPERATOR(pg_catalog.->>) c.name)
					ELSE pg_catalog.format('t.%I', m OPERATOR(pg_catalog.->>) c.name) END;
			END IF;
			cols := cols || CASE WHEN cols OPERATOR(pg_catalog.=) '' THEN '' ELSE ', ' END
				|| expr || ' AS ' || pg_catalog.quote_ident(c.name);
		END LOOP;
		SELECT pg_catalog.string_agg(CASE WHEN rm.kind OPERATOR(pg_catalog.=) source_sql.kind THEN rm.expr
										  WHEN rm.is_sketch THEN 'NULL::csat.sketch'
										  WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[]) THEN '0::pg_catalog.float8'
										  ELSE '0::pg_catalog.int8' END || ' AS ' || pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord)
		  INTO sel
		  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
		RETURN pg_catalog.format(
			'SELECT x.h AS hour, x.c AS channel, x.s AS segment, %1$s'
			' FROM (SELECT pg_catalog.date_trunc(''hour'', y.%2$I, $1) AS h, coalesce(y.channel, ''unknown'') AS c,'
			' coalesce(y.segment, ''unknown'') AS s, %3$s y.* FROM (SELECT %4$s FROM %5$s t%6$s) y WHERE y.%2$I IS NOT NULL) x'
			' GROUP BY x.h, x.c, x.s',
			sel, pcol,
			CASE WHEN kind OPERATOR(pg_catalog.=) 'surveys' THEN 'coalesce(y.scale_max, 5) AS sc, coalesce(y.weight, 1::pg_catalog.float8) AS w,' ELSE '' END,
			cols, tbl, CASE WHEN is_ranged THEN ranged ELSE '' END);
	END IF;

	-- the row parts: order_id as text, and whether keys may compare typed (the same
	-- built-in type in every table of the other kind) rather than as text
	SELECT a.atttypid, a.attnum INTO idtype, idnum FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) 'order_id');
	IF idtype IS NOT NULL THEN
		expr := csat.text_sql(m OPERATOR(pg_catalog.->>) 'order_id', idtype);
		SELECT pg_catalog.bool_and(a.atttypid OPERATOR(pg_catalog.=) idtype)
			   AND (SELECT t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) idtype)
		  INTO typed
		  FROM csat.sources s LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid
			   AND a.attname OPERATOR(pg_catalog.=) (s.columns OPERATOR(pg_catalog.->>) 'order_id')
		 WHERE s.kind OPERATOR(pg_catalog.=) CASE source_sql.kind WHEN 'orders' THEN 'returns' ELSE 'orders' END;
		typed := coalesce(typed, false);
	ELSE
		expr := 'NULL::pg_catalog.text';
	END IF;
	IF part OPERATOR(pg_catalog.~~) 'returns%' THEN
		-- +-infinity counts as NULL: no request time (the row is skipped), not completed
		RETURN pg_catalog.format('SELECT %1$s, NULL::pg_catalog.text, NULL::pg_catalog.text, t.%2$I, %3$s FROM %4$s t%5$s'
								 ' WHERE pg_catalog.isfinite(t.%2$I)',
								 expr, m OPERATOR(pg_catalog.->>) 'requested_at',
								 CASE WHEN m OPERATOR(pg_catalog.?) 'completed_at'
									  THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', m OPERATOR(pg_catalog.->>) 'completed_at')
									  ELSE 'NULL::pg_catalog.timestamptz' END, tbl, CASE WHEN is_ranged THEN ranged ELSE '' END);
	ELSIF part OPERATOR(pg_catalog.=) 'order_ids' THEN
		RETURN pg_catalog.format('SELECT %s, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.timestamptz,'
								 ' NULL::pg_catalog.timestamptz FROM %s t%s', expr, tbl, ranged);
	END IF;
	-- order_keys, return_hours: the rows whose order_id is one of $4
	IF idtype IS NULL THEN
		sel := 'false';
	ELSIF typed THEN
		sel := pg_catalog.format('t.%I OPERATOR(pg_catalog.=) ANY ($4::pg_catalog.text[]::%s[])',
								 m OPERATOR(pg_catalog.->>) 'order_id', pg_catalog.format_type(idtype, NULL));
	ELSE
		sel := expr || ' OPERATOR(pg_catalog.=) ANY ($4)';
	END IF;
	IF part OPERATOR(pg_catalog.=) 'order_keys' THEN
		FOR c IN SELECT sc.name, a.atttypid AS typ FROM csat.standard_columns() sc
				   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
						AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) sc.name)
				  WHERE sc.kind OPERATOR(pg_catalog.=) 'orders' AND sc.name OPERATOR(pg_catalog.=) ANY ('{channel,segment}'::text[])
				  ORDER BY sc.ord LOOP
			IF c.typ IS NULL THEN
				cols := cols || ', NULL::pg_catalog.text';
			ELSE
				cols := cols || ', ' || csat.text_sql(m OPERATOR(pg_catalog.->>) c.name, c.typ);
			END IF;
		END LOOP;
		-- one order per key, as the standard view's join did: by index lookups where
		-- the key column leads an index, else in one scan
		-- (not on a Citus distributed table: it refuses a LATERAL join with LIMIT)
		indexed := typed AND NOT csat.citus_sharded(source) AND EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
										AND i.indkey[0] OPERATOR(pg_catalog.=) idnum AND i.indpred IS NULL);
		IF indexed THEN
			RETURN pg_catalog.format('SELECT %s%s, NULL::pg_catalog.timestamptz, NULL::pg_catalog.timestamptz'
									 ' FROM ROWS FROM (pg_catalog.unnest($4::pg_catalog.text[]::%s[])) AS k(k) CROSS JOIN LATERAL'
									 ' (SELECT t.* FROM %s t WHERE t.%I OPERATOR(pg_catalog.=) k.k LIMIT 1) t',
									 expr, cols, pg_catalog.format_type(idtype, NULL), tbl, m OPERATOR(pg_catalog.->>) 'order_id');
		END IF;
		RETURN pg_catalog.format('SELECT %s%s, NULL::pg_catalog.timestamptz, NULL::pg_catalog.timestamptz FROM %s t WHERE %s',
								 expr, cols, tbl, sel);
	END IF;
	-- return_hours
	RETURN pg_catalog.format('SELECT NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text,'
							 ' pg_catalog.date_trunc(''hour'', t.%1$I, ''UTC''), NULL::pg_catalog.timestamptz'
							 ' FROM %2$s t WHERE pg_catalog.isfinite(t.%1$I) AND %3$s',
							 m OPERATOR(pg_catalog.->>) 'requested_at', tbl, sel);
END $$;
COMMENT ON FUNCTION csat.source_sql(text, regclass, text) IS
'internal: the statement csat.source_partials / csat.source_rows run, as the table''s owner, to read one part (partials, partials_ranged, returns, returns_ranged, order_keys, order_ids, return_hours) of a table mapped as the given kind; built from csat.sources only';

CREATE FUNCTION csat.source_partials(kind text, source regclass, tz text,
									 lo timestamptz[] DEFAULT NULL, hi timestamptz[] DEFAULT NULL)
RETURNS SETOF csat.rollup_hourly
AS 'MODULE_PATHNAME', 'csat_source_partials' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_partials(text, regclass, text, timestamptz[], timestamptz[]) IS
'internal: the rollup states of one mapped orders, tickets or surveys table per hour (cut in tz), channel and segment, over every hour or the hours in [lo[i], hi[i]); computed as the table''s owner (restricted), after checking that the caller may SELECT the table and is not subject to its row security (42501)';

CREATE FUNCTION csat.source_rows(kind text, source regclass, part text, lo timestamptz[] DEFAULT NULL,
								 hi timestamptz[] DEFAULT NULL, keys text[] DEFAULT NULL)
RETURNS TABLE (id text, channel text, segment text, at timestamptz, done_at timestamptz)
AS 'MODULE_PATHNAME', 'csat_source_rows' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_rows(text, regclass, text, timestamptz[], timestamptz[], text[]) IS
'internal: rows of one part of a mapped table that csat.refresh() merges across tables (returns: id = order_id, at = requested_at, done_at = completed_at; order_keys: id, channel, segment of the orders whose order_id is in keys; order_ids: id of orders placed in [lo[i], hi[i]); return_hours: at = UTC hour of returns whose order_id is in keys); read as the table''s owner (restricted), after checking that the caller may SELECT the table and is not subject to its row security (42501)';

CREATE OR REPLACE FUNCTION csat.rollup_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	collist text;
	outer_sel text;
	ret_sel text;
	bounds text := CASE WHEN ranged THEN '$2, $3' ELSE 'NULL, NULL' END;
BEGIN
	IF NOT EXISTS (SELECT FROM csat.sources) THEN
		RETURN NULL;
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   pg_catalog.string_agg(CASE WHEN rm.is_sketch THEN pg_catalog.format('csat.rollup(u.%1$I) AS %1$I', rm.name)
						   WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[])
						   THEN pg_catalog.format('pg_catalog.sum(u.%1$I) AS %1$I', rm.name)
						   ELSE pg_catalog.format('pg_catalog.sum(u.%1$I)::pg_catalog.int8 AS %1$I', rm.name) END,
						   ', ' ORDER BY rm.ord),
		   pg_catalog.string_agg(CASE WHEN rm.kind OPERATOR(pg_catalog.=) 'returns' THEN rm.expr
							   WHEN rm.is_sketch THEN 'NULL::csat.sketch'
							   WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[]) THEN '0::pg_catalog.float8'
							   ELSE '0::pg_catalog.int8' END || ' AS ' || pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel, ret_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;

	-- f: one row per hour, channel and segment over every table (sorted, so that the
	-- sketches are merged group by group rather than in a hash table that outgrows
	-- work_mem); rr: the returns; ok: channel and segment of the orders they name,
	-- from the first orders table (by OID) holding each
	RETURN pg_catalog.format(
		'WITH rr AS MATERIALIZED (SELECT r.* FROM csat.sources s CROSS JOIN LATERAL'
		' csat.source_rows(s.kind, s.source, ''returns'', %3$s) r WHERE s.kind OPERATOR(pg_catalog.=) ''returns''),'
		' ok AS MATERIALIZED (SELECT DISTINCT ON (o.id) o.id, o.channel, o.segment FROM csat.sources s CROSS JOIN LATERAL'
		' csat.source_rows(s.kind, s.source, ''order_keys'', NULL, NULL,'
		' (SELECT pg_catalog.array_agg(DISTINCT r.id) FROM rr r WHERE r.id IS NOT NULL)) o'
		' WHERE s.kind OPERATOR(pg_catalog.=) ''orders'' AND EXISTS (SELECT FROM rr)'
		' ORDER BY o.id, s.source::pg_catalog.oid),'
		' f AS MATERIALIZED (SELECT u.hour, u.channel, u.segment, %2$s FROM ('
		'SELECT p.* FROM csat.sources s CROSS JOIN LATERAL csat.source_partials(s.kind, s.source, $1, %3$s) p'
		' WHERE s.kind OPERATOR(pg_catalog.=) ANY (''{orders,tickets,surveys}''::pg_catalog.text[])'
		' UNION ALL SELECT x.h, x.c, x.s, %4$s FROM (SELECT pg_catalog.date_trunc(''hour'', r.at, $1) AS h,'
		' coalesce(o.channel, ''unknown'') AS c, coalesce(o.segment, ''unknown'') AS s,'
		' r.at AS requested_at, r.done_at AS completed_at'
		' FROM rr r LEFT JOIN ok o ON o.id OPERATOR(pg_catalog.=) r.id) x GROUP BY x.h, x.c, x.s'
		') u GROUP BY u.hour, u.channel, u.segment)'
		' INSERT INTO csat.rollup_hourly (hour, channel, segment, %1$s)'
		' SELECT u.hour, CASE WHEN grouping(u.channel) OPERATOR(pg_catalog.=) 1 THEN ''all'' ELSE u.channel END,'
		' CASE WHEN grouping(u.segment) OPERATOR(pg_catalog.=) 1 THEN ''all'' ELSE u.segment END, %2$s'
		' FROM (SELECT f.* FROM f ORDER BY f.hour, f.channel, f.segment) u'
		' GROUP BY GROUPING SETS ((u.hour, u.channel, u.segment), (u.hour, u.channel), (u.hour, u.segment), (u.hour))',
		collist, outer_sel, bounds, ret_sel);
END $$;
COMMENT ON FUNCTION csat.rollup_sql(boolean) IS
'builds the statement csat.refresh() runs to recompute csat.rollup_hourly from the mapped tables, each read as its owner through csat.source_partials / csat.source_rows (all hours, or with ranged the hours in the ranges passed as $2/$3; $1 is the time zone)';

CREATE OR REPLACE FUNCTION csat.rollup_daily_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	collist text;
	outer_sel text;
BEGIN
	SELECT pg_catalog.string_agg(pg_catalog.quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   pg_catalog.string_agg(CASE WHEN rm.is_sketch THEN pg_catalog.format('csat.rollup(h.%I)', rm.name)
						   WHEN rm.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::text[])
						   THEN pg_catalog.format('pg_catalog.sum(h.%I)', rm.name)
						   ELSE pg_catalog.format('pg_catalog.sum(h.%I)::pg_catalog.int8', rm.name) END, ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
	RETURN pg_catalog.format('INSERT INTO csat.rollup_daily (day, channel, segment, %s)'
				  ' SELECT (h.hour AT TIME ZONE $1)::pg_catalog.date, h.channel, h.segment, %s FROM %s'
				  ' GROUP BY 1, 2, 3', collist, outer_sel,
				  -- ranged: one primary-key range scan per day (OFFSET 0 keeps the planner
				  -- from flattening it into a scan of the whole table)
				  CASE WHEN ranged THEN 'ROWS FROM (pg_catalog.unnest($2::pg_catalog.timestamptz[]), pg_catalog.unnest($3::pg_catalog.timestamptz[])) AS r(lo, hi) CROSS JOIN LATERAL'
										' (SELECT * FROM csat.rollup_hourly h WHERE h.hour OPERATOR(pg_catalog.>=) r.lo'
										' AND h.hour OPERATOR(pg_catalog.<) r.hi OFFSET 0) h'
					   ELSE 'csat.rollup_hourly h' END);
END $$;
COMMENT ON FUNCTION csat.rollup_daily_sql(boolean) IS
'builds the statement csat.refresh() runs to roll csat.rollup_hourly up into csat.rollup_daily (all days, or the days whose hour ranges are passed as $2/$3; $1 is the time zone)';

CREATE OR REPLACE FUNCTION csat.refresh("full" boolean DEFAULT false) RETURNS csat.refresh_log
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	tz text;
	rebuild boolean := coalesce("full", false);
	utc_hours timestamptz[];
	order_hours timestamptz[];
	extra_hours timestamptz[];
	hours timestamptz[];
	lo timestamptz[];
	hi timestamptz[];
	days date[];
	q text;
	res csat.refresh_log;
BEGIN
	-- one refresh at a time: a second caller waits here until the first commits
	PERFORM pg_catalog.pg_advisory_xact_lock(1668506996, 1);
	tz := csat.timezone();
	IF NOT EXISTS (SELECT 1 FROM csat.rollup_state s WHERE s.timezone OPERATOR(pg_catalog.=) tz) THEN
		rebuild := true;			-- first run, or the zone changed: every period moved
	END IF;
	-- consume the change log (rows committed later stay for the next run)
	WITH d AS (DELETE FROM csat.changes RETURNING kind, hour)
	SELECT rebuild OR coalesce(pg_catalog.bool_or(d.hour IS NULL), false),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind OPERATOR(pg_catalog.=) 'orders:returns')
	  INTO rebuild, utc_hours, order_hours FROM d;
	-- a Citus distributed or reference source has no change tracking (csat.map_source
	-- installs none): rebuild everything while one is mapped
	IF NOT rebuild AND pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		rebuild := EXISTS (SELECT FROM csat.sources s WHERE csat.citus_sharded(s.source));
	END IF;
	-- returns take channel and segment from their order: an order updated in these
	-- hours moves its returns' hours too (an order deleted with returns left behind,
	-- or inserted after its returns, is only corrected by a full refresh).  The ids
	-- of those orders, then the hours of the returns naming them, are read from each
	-- table as its owner.
	IF NOT rebuild AND order_hours IS NOT NULL
	   AND EXISTS (SELECT FROM csat.sources s WHERE s.kind OPERATOR(pg_catalog.=) 'returns')
	   AND EXISTS (SELECT FROM csat.sources s WHERE s.kind OPERATOR(pg_catalog.=) 'orders') THEN
		SELECT pg_catalog.array_agg(DISTINCT h.at) INTO extra_hours
		  FROM csat.sources s CROSS JOIN LATERAL csat.source_rows(s.kind, s.source, 'return_hours', NULL, NULL,
			   (SELECT pg_catalog.array_agg(DISTINCT o.id)
				  FROM csat.sources s2 CROSS JOIN LATERAL csat.source_rows(s2.kind, s2.source, 'order_ids', order_hours,
					   (SELECT pg_catalog.array_agg(u OPERATOR(pg_catalog.+) interval '1 hour') FROM pg_catalog.unnest(order_hours) u)) o
				 WHERE s2.kind OPERATOR(pg_catalog.=) 'orders' AND o.id IS NOT NULL)) h
		 WHERE s.kind OPERATOR(pg_catalog.=) 'returns';
		utc_hours := utc_hours OPERATOR(pg_catalog.||) coalesce(extra_hours, '{}');
	END IF;

	IF rebuild THEN
		DELETE FROM csat.rollup_hourly;
		DELETE FROM csat.rollup_daily;
		q := csat.rollup_sql(false);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz;
			EXECUTE csat.rollup_daily_sql(false) USING tz;
		END IF;
		SELECT pg_catalog.array_agg(h.hour ORDER BY h.hour) INTO hours
		  FROM (SELECT DISTINCT r.hour FROM csat.rollup_hourly r) h;
	ELSIF utc_hours IS NOT NULL THEN
		-- local hours overlapping the touched UTC hours (two in half-hour zones)
		SELECT pg_catalog.array_agg(DISTINCT pg_catalog.date_trunc('hour', u OPERATOR(pg_catalog.+) v.o, tz)) INTO hours
		  FROM pg_catalog.unnest(utc_hours) u, (VALUES (interval '0'), (interval '59 min 59.999999 sec')) v(o);
		SELECT pg_catalog.array_agg(i.lo ORDER BY i.lo), pg_catalog.array_agg(i.hi ORDER BY i.lo) INTO lo, hi
		  FROM (SELECT pg_catalog.min(h) AS lo, pg_catalog.max(h) OPERATOR(pg_catalog.+) interval '1 hour' AS hi
				  FROM (SELECT h, h OPERATOR(pg_catalog.-) (pg_catalog.row_number() OVER (ORDER BY h) OPERATOR(pg_catalog.*) interval '1 hour') AS g
						  FROM pg_catalog.unnest(hours) h) s
				 GROUP BY g) i;
		DELETE FROM csat.rollup_hourly r WHERE r.hour OPERATOR(pg_catalog.=) ANY (hours);
		q := csat.rollup_sql(true);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz, lo, hi;
		END IF;
		-- and the days holding them, rolled up again from all their hours
		SELECT pg_catalog.array_agg(DISTINCT (h AT TIME ZONE tz)::pg_catalog.date) INTO days FROM pg_catalog.unnest(hours) h;
		SELECT pg_catalog.array_agg(d::pg_catalog.timestamp AT TIME ZONE tz ORDER BY d),
			   pg_catalog.array_agg((d OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamp AT TIME ZONE tz ORDER BY d)
		  INTO lo, hi FROM pg_catalog.unnest(days) d;
		DELETE FROM csat.rollup_daily r WHERE r.day OPERATOR(pg_catalog.=) ANY (days);
		EXECUTE csat.rollup_daily_sql(true) USING tz, lo, hi;
	END IF;

	INSERT INTO csat.rollup_state AS s (timezone, refreshed_at) VALUES (tz, pg_catalog.clock_timestamp())
	ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, refreshed_at = EXCLUDED.refreshed_at;
	INSERT INTO csat.refresh_log
	SELECT t0, pg_catalog.clock_timestamp(), pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) t0), rebuild, tz,
		   coalesce(pg_catalog.cardinality(hours), 0),
		   (SELECT pg_catalog.count(DISTINCT (h AT TIME ZONE tz)::pg_catalog.date) FROM pg_catalog.unnest(hours) h),
		   (SELECT pg_catalog.min(h) FROM pg_catalog.unnest(hours) h), (SELECT pg_catalog.max(h) FROM pg_catalog.unnest(hours) h)
	RETURNING * INTO res;
	DELETE FROM csat.refresh_log l
	 WHERE l.started_at OPERATOR(pg_catalog.<) (SELECT pg_catalog.min(x.started_at) FROM (SELECT started_at FROM csat.refresh_log
															 ORDER BY started_at DESC LIMIT 100) x);
	RETURN res;
END $$;
COMMENT ON FUNCTION csat.refresh(boolean) IS
'brings csat.rollup_hourly/daily up to date: recomputes only the hours (and their days) whose source rows changed since the last run, as noted by the change-tracking triggers, or everything with full => true (also after a mapping change, a TRUNCATE or a time-zone change, and on every run while a Citus distributed or reference table is mapped); runs inside the caller''s transaction, so readers see the old or the new state, never a mix; a concurrent second call waits for the first (advisory lock 1668506996, 1); returns the csat.refresh_log row of the run';

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

-- ==== src/views_kpi.sql ====
/*
 * views_kpi: the KPI views csat.kpi_hourly/daily/weekly/monthly over the rollups
 * (family views).  Every upgrade runs this file again (Makefile: REPLAYED): CREATE
 * OR REPLACE VIEW keeps the views' grants and the views of users built on them,
 * and binds every operator and function anew, to pg_catalog's and csat's own
 * (the script pins search_path), so that a view an older version bound to a
 * look-alike operator planted in schema csat (issue 10) is repaired.
 */

-- ---------------------------------------------------------------- KPI views
-- Built by one DO block from a template, so the four views share one definition and
-- the columns of absent families (sketch, scores, checks) become typed NULLs.
DO $do$
DECLARE
	has_sketch boolean := pg_catalog.to_regtype('csat.sketch') IS NOT NULL;
	has_wilson boolean := pg_catalog.to_regprocedure('csat.wilson_lower(bigint,bigint,double precision)') IS NOT NULL;
	has_rules boolean := pg_catalog.to_regclass('csat.rules') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.rate_check(bigint,bigint,double precision,double precision,boolean,integer,double precision)') IS NOT NULL
		AND pg_catalog.to_regprocedure('csat.threshold_check(double precision,double precision,double precision,boolean)') IS NOT NULL;
	counts text := 'orders, delivered, late, exceptions, tickets, complaints, responded, resolved, responses, satisfied,'
		' very_satisfied, score_sum, weight_sum, weighted_sum, nps_responses, promoters, detractors, returns, returns_completed';
	sketches text[] := ARRAY['delivery_sketch', 'frt_sketch', 'resolution_sketch', 'return_sketch'];
	agg_sel text;
	plain_sel text;
	v record;
	base text;
	body text;
	kpi text;
	c text[];
	tzq text := '(SELECT st.timezone FROM csat.rollup_state st)';
BEGIN
	-- select lists over the rollup columns: plain (hourly, daily) and rolled up (week, month)
	SELECT pg_catalog.string_agg(pg_catalog.format('d.%I', n), ', '),
		   pg_catalog.string_agg(CASE WHEN n IN ('score_sum', 'weight_sum', 'weighted_sum')
									  THEN pg_catalog.format('pg_catalog.sum(d.%1$I) AS %1$I', n)
									  ELSE pg_catalog.format('pg_catalog.sum(d.%1$I)::bigint AS %1$I', n) END, ', ')
	  INTO plain_sel, agg_sel
	  FROM pg_catalog.regexp_split_to_table(counts, ',\s*') n;
	FOREACH kpi IN ARRAY sketches LOOP
		plain_sel := plain_sel || CASE WHEN has_sketch THEN pg_catalog.format(', d.%I', kpi)
									   ELSE pg_catalog.format(', NULL::float8 AS %I', kpi) END;
		agg_sel := agg_sel || CASE WHEN has_sketch THEN pg_catalog.format(', csat.rollup(d.%1$I) AS %1$I', kpi)
								   ELSE pg_catalog.format(', NULL::float8 AS %I', kpi) END;
	END LOOP;

	FOR v IN SELECT * FROM (VALUES
		('kpi_hourly', 'hour',
		 'SELECT d.hour AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_hourly d',
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 month'') AT TIME ZONE ' || tzq,
		 '((k.period_start AT TIME ZONE ' || tzq || ') - interval ''1 year'') AT TIME ZONE ' || tzq,
		 'the same hour one month earlier', 'the same hour one year earlier'),
		('kpi_daily', 'day',
		 'SELECT d.day AS period_start, d.channel, d.segment, ' || plain_sel || ' FROM csat.rollup_daily d',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the same day one month earlier', 'the same day one year earlier'),
		('kpi_weekly', 'week (Monday)',
		 'SELECT pg_catalog.date_trunc(''week'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 'k.period_start - 28', 'k.period_start - 364',
		 'the week four weeks earlier', 'the week 52 weeks earlier'),
		('kpi_monthly', 'month',
		 'SELECT pg_catalog.date_trunc(''month'', d.day)::date AS period_start, d.channel, d.segment, ' || agg_sel
		 || ' FROM csat.rollup_daily d GROUP BY 1, 2, 3',
		 '(k.period_start - interval ''1 month'')::date', '(k.period_start - interval ''1 year'')::date',
		 'the previous month', 'the same month one year earlier')
	) AS t(name, unit, base, mom, yoy, mom_doc, yoy_doc) LOOP
		body := pg_catalog.format($v$
CREATE OR REPLACE VIEW csat.%1$I AS
SELECT k.period_start, k.channel, k.segment,
	k.orders, k.complaints,
	%2$s AS complaint_rate, %3$s AS complaint_rate_low, %4$s AS complaint_rate_high,
	k.responses,
	%5$s AS csat_rate, %6$s AS csat_rate_low, %7$s AS csat_rate_high,
	%8$s AS very_satisfied_rate, %9$s AS mean_score, %10$s AS weighted_score,
	k.nps_responses, %11$s AS nps,
	k.tickets, %12$s AS frt_p50_s, %13$s AS frt_p90_s, %14$s AS frt_p95_s,
	rf.breach AS frt_target_s, %15$s AS frt_attainment,
	%16$s AS resolution_p90_s, %17$s AS resolution_rate,
	k.delivered, %18$s AS delivery_p50_s, %19$s AS delivery_p90_s,
	%20$s AS late_delivery_rate, %21$s AS delivery_exception_rate,
	k.returns, %22$s AS return_p90_s,
	%5$s - %23$s AS csat_rate_mom, %5$s - %24$s AS csat_rate_yoy, %5$s - %25$s AS csat_rate_vs_baseline,
	%11$s - %26$s AS nps_mom, %11$s - %27$s AS nps_yoy, %11$s - %28$s AS nps_vs_baseline,
	%10$s - %29$s AS weighted_score_mom, %10$s - %30$s AS weighted_score_yoy, %10$s - %31$s AS weighted_score_vs_baseline,
	%2$s - %32$s AS complaint_rate_mom, %2$s - %33$s AS complaint_rate_yoy, %2$s - %34$s AS complaint_rate_vs_baseline,
	%14$s - %35$s AS frt_p95_s_mom, %14$s - %36$s AS frt_p95_s_yoy, %14$s - %37$s AS frt_p95_s_vs_baseline,
	%38$s AS csat_rate_level, %39$s AS nps_level, %40$s AS complaint_rate_level, %41$s AS frt_p95_level
FROM (%42$s) k
LEFT JOIN (%42$s) m ON m.channel = k.channel AND m.segment = k.segment AND m.period_start = %43$s
LEFT JOIN (%42$s) y ON y.channel = k.channel AND y.segment = k.segment AND y.period_start = %44$s
LEFT JOIN (SELECT d.channel, d.segment, %45$s
			 FROM csat.rollup_daily d JOIN csat.settings s ON d.day BETWEEN s.baseline_start AND s.baseline_end
			GROUP BY 1, 2) b ON b.channel = k.channel AND b.segment = k.segment
%46$s
$v$,
			v.name,
			'CASE WHEN k.orders > 0 THEN k.complaints::float8 / k.orders::float8 END',
			-- complaints are counted on the ticket's channel, orders on the order's: on a
			-- contact channel (chat...) complaints can outnumber orders, and no interval exists
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_lower(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'CASE WHEN k.complaints <= k.orders THEN csat.wilson_upper(k.complaints, k.orders) END' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.satisfied::float8 / k.responses::float8 END',
			CASE WHEN has_wilson THEN 'csat.wilson_lower(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			CASE WHEN has_wilson THEN 'csat.wilson_upper(k.satisfied, k.responses)' ELSE 'NULL::float8' END,
			'CASE WHEN k.responses > 0 THEN k.very_satisfied::float8 / k.responses::float8 END',
			'CASE WHEN k.responses > 0 THEN k.score_sum / k.responses::float8 END',
			'CASE WHEN k.weight_sum > 0::float8 THEN k.weighted_sum / k.weight_sum END',
			'CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors)::float8 / k.nps_responses::float8 END',
			-- 12..14 percentiles of first response
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.attainment(k.frt_sketch, rf.breach)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.resolution_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.tickets > 0 THEN k.resolved::float8 / k.tickets::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.5::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(k.delivery_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			'CASE WHEN k.delivered > 0 THEN k.late::float8 / k.delivered::float8 END',
			'CASE WHEN k.orders > 0 THEN k.exceptions::float8 / k.orders::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(k.return_sketch, 0.9::float8)' ELSE 'NULL::float8' END,
			-- 23..37: the headline KPIs of the compared periods (m, y, b)
			'CASE WHEN m.responses > 0 THEN m.satisfied::float8 / m.responses::float8 END',
			'CASE WHEN y.responses > 0 THEN y.satisfied::float8 / y.responses::float8 END',
			'CASE WHEN b.responses > 0 THEN b.satisfied::float8 / b.responses::float8 END',
			'CASE WHEN m.nps_responses > 0 THEN 100.0::float8 * (m.promoters - m.detractors)::float8 / m.nps_responses::float8 END',
			'CASE WHEN y.nps_responses > 0 THEN 100.0::float8 * (y.promoters - y.detractors)::float8 / y.nps_responses::float8 END',
			'CASE WHEN b.nps_responses > 0 THEN 100.0::float8 * (b.promoters - b.detractors)::float8 / b.nps_responses::float8 END',
			'CASE WHEN m.weight_sum > 0::float8 THEN m.weighted_sum / m.weight_sum END',
			'CASE WHEN y.weight_sum > 0::float8 THEN y.weighted_sum / y.weight_sum END',
			'CASE WHEN b.weight_sum > 0::float8 THEN b.weighted_sum / b.weight_sum END',
			'CASE WHEN m.orders > 0 THEN m.complaints::float8 / m.orders::float8 END',
			'CASE WHEN y.orders > 0 THEN y.complaints::float8 / y.orders::float8 END',
			'CASE WHEN b.orders > 0 THEN b.complaints::float8 / b.orders::float8 END',
			CASE WHEN has_sketch THEN 'csat.percentile(m.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(y.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			CASE WHEN has_sketch THEN 'csat.percentile(b.frt_sketch, 0.95::float8)' ELSE 'NULL::float8' END,
			-- 38..41 alert levels
			CASE WHEN has_rules THEN 'CASE WHEN rc.breach IS NOT NULL THEN csat.rate_check(k.satisfied, k.responses, rc.warning::float8, rc.breach::float8, rc.higher_is_worse, rc.min_samples::integer, rc.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN k.nps_responses >= rn.min_samples THEN csat.threshold_check(CASE WHEN k.nps_responses > 0 THEN 100.0::float8 * (k.promoters - k.detractors)::float8 / k.nps_responses::float8 END, rn.warning::float8, rn.breach::float8, rn.higher_is_worse)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules THEN 'CASE WHEN rp.breach IS NOT NULL AND k.complaints <= k.orders THEN csat.rate_check(k.complaints, k.orders, rp.warning::float8, rp.breach::float8, rp.higher_is_worse, rp.min_samples::integer, rp.confidence::float8)::text END' ELSE 'NULL::text' END,
			CASE WHEN has_rules AND has_sketch THEN 'CASE WHEN k.responded >= rf.min_samples THEN csat.threshold_check(csat.percentile(k.frt_sketch, 0.95::float8), rf.warning::float8, rf.breach::float8, rf.higher_is_worse)::text END' ELSE 'NULL::text' END,
			v.base, v.mom, v.yoy,
			-- 45: the baseline period's states
			'pg_catalog.sum(d.responses)::bigint AS responses, pg_catalog.sum(d.satisfied)::bigint AS satisfied,'
			' pg_catalog.sum(d.nps_responses)::bigint AS nps_responses, pg_catalog.sum(d.promoters)::bigint AS promoters,'
			' pg_catalog.sum(d.detractors)::bigint AS detractors, pg_catalog.sum(d.weighted_sum) AS weighted_sum,'
			' pg_catalog.sum(d.weight_sum) AS weight_sum, pg_catalog.sum(d.orders)::bigint AS orders,'
			' pg_catalog.sum(d.complaints)::bigint AS complaints'
			|| CASE WHEN has_sketch THEN ', csat.rollup(d.frt_sketch) AS frt_sketch' ELSE '' END,
			-- 46: the rule matching each row, per headline metric (most specific first)
			CASE WHEN has_rules THEN (
				SELECT pg_catalog.string_agg(pg_catalog.format(
					'LEFT JOIN LATERAL (SELECT r.breach::float8 AS breach, r.warning, r.higher_is_worse, r.min_samples, r.confidence'
					' FROM csat.rules r WHERE r.enabled AND r.metric = %L'
					' AND (r.channel IS NULL OR r.channel = k.channel) AND (r.segment IS NULL OR r.segment = k.segment)'
					' ORDER BY (r.channel IS NOT NULL)::int + (r.segment IS NOT NULL)::int DESC, r.name LIMIT 1) %s ON true',
					x.metric, x.alias), ' ')
				  FROM (VALUES ('csat_rate', 'rc'), ('nps', 'rn'), ('complaint_rate', 'rp'),
							   ('first_response', 'rf')) x(metric, alias))
			ELSE 'LEFT JOIN (SELECT NULL::float8 AS breach) rf ON true' END);
		EXECUTE body;

		EXECUTE pg_catalog.format('COMMENT ON VIEW csat.%I IS %L', v.name, pg_catalog.format(
			'customer-satisfaction KPIs per %s (cut in the time zone of csat.rollup_state), channel and segment, '
			'with ''all'' rows for the totals; read from the rollups kept by csat.refresh(); '
			'*_mom compares with %s, *_yoy with %s, *_vs_baseline with the period of csat.settings '
			'(each an absolute difference: this minus that); rates are fractions in [0,1], NPS in [-100,100], '
			'durations (_s) in seconds; levels are ok/warning/breach from csat.rules (NULL without a matching '
			'rule or with fewer answers than its min_samples)', v.unit, v.mom_doc, v.yoy_doc));
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.period_start IS %L', v.name,
			CASE WHEN v.name = 'kpi_hourly' THEN 'start of the hour (timestamptz)'
				 ELSE pg_catalog.format('first day of the %s (date, in the csat time zone)', v.unit) END);
		FOREACH c SLICE 1 IN ARRAY ARRAY[
			['channel', 'channel (orders: sales channel; tickets: contact channel; returns: their order''s), ''all'' for the total over channels, ''unknown'' where the source has none'],
			['segment', 'customer segment (e.g. vip, regular), ''all'' for the total over segments, ''unknown'' where the source has none'],
			['orders', 'orders placed in the period (by ordered_at)'],
			['complaints', 'tickets flagged is_complaint opened in the period'],
			['complaint_rate', 'complaints / orders (fraction; NULL without orders); complaints count on the ticket''s channel, orders on the order''s, so read it on the ''all'' channel rows or on channels that carry both'],
			['complaint_rate_low', 'lower bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
			['complaint_rate_high', 'upper bound of the 95 % Wilson interval of complaint_rate (NULL when complaints exceed orders)'],
			['responses', 'CSAT survey answers (scale 1-5) in the period'],
			['csat_rate', 'share of CSAT answers scoring 4 or 5 (top-2-box, fraction)'],
			['csat_rate_low', 'lower bound of the 95 % Wilson interval of csat_rate'],
			['csat_rate_high', 'upper bound of the 95 % Wilson interval of csat_rate'],
			['very_satisfied_rate', 'share of CSAT answers scoring 5 (top-box, fraction)'],
			['mean_score', 'mean CSAT score (1-5)'],
			['weighted_score', 'weighted satisfaction index: sum(weight * score) / sum(weight) over CSAT answers (weight NULL counts as 1)'],
			['nps_responses', 'NPS answers (scale 0-10) in the period'],
			['nps', 'net promoter score: % promoters (9-10) - % detractors (0-6), in [-100, 100]'],
			['tickets', 'service tickets opened in the period'],
			['frt_p50_s', 'median first-response time, seconds (from the sketch: within its relative accuracy)'],
			['frt_p90_s', '90th percentile of first-response time, seconds'],
			['frt_p95_s', '95th percentile of first-response time, seconds'],
			['frt_target_s', 'breach threshold (seconds) of the csat.rules rule for metric first_response (the one csat.watch uses) matching this channel and segment'],
			['frt_attainment', 'share of answered tickets whose first response came within frt_target_s (fraction)'],
			['resolution_p90_s', '90th percentile of resolution time (resolved_at - opened_at), seconds'],
			['resolution_rate', 'resolved tickets / tickets opened in the period (fraction)'],
			['delivered', 'orders of the period that have been delivered'],
			['delivery_p50_s', 'median delivery time (delivered_at - ordered_at), seconds'],
			['delivery_p90_s', '90th percentile of delivery time, seconds'],
			['late_delivery_rate', 'share of delivered orders delivered after promised_at (fraction)'],
			['delivery_exception_rate', 'share of orders with a delivery exception (fraction)'],
			['returns', 'returns requested in the period'],
			['return_p90_s', '90th percentile of return processing time (completed_at - requested_at), seconds'],
			['csat_rate_mom', 'csat_rate minus its value in the month-earlier period'],
			['csat_rate_yoy', 'csat_rate minus its value in the year-earlier period'],
			['csat_rate_vs_baseline', 'csat_rate minus its value over the baseline period'],
			['nps_mom', 'nps minus its value in the month-earlier period (points)'],
			['nps_yoy', 'nps minus its value in the year-earlier period (points)'],
			['nps_vs_baseline', 'nps minus its value over the baseline period (points)'],
			['weighted_score_mom', 'weighted_score minus its value in the month-earlier period'],
			['weighted_score_yoy', 'weighted_score minus its value in the year-earlier period'],
			['weighted_score_vs_baseline', 'weighted_score minus its value over the baseline period'],
			['complaint_rate_mom', 'complaint_rate minus its value in the month-earlier period'],
			['complaint_rate_yoy', 'complaint_rate minus its value in the year-earlier period'],
			['complaint_rate_vs_baseline', 'complaint_rate minus its value over the baseline period'],
			['frt_p95_s_mom', 'frt_p95_s minus its value in the month-earlier period (seconds)'],
			['frt_p95_s_yoy', 'frt_p95_s minus its value in the year-earlier period (seconds)'],
			['frt_p95_s_vs_baseline', 'frt_p95_s minus its value over the baseline period (seconds)'],
			['csat_rate_level', 'alert level of csat_rate from the matching csat.rules rule of metric csat_rate (csat.rate_check: Wilson-bounded, min_samples)'],
			['nps_level', 'alert level of nps from the matching rule of metric nps (csat.threshold_check; NULL below min_samples answers)'],
			['complaint_rate_level', 'alert level of complaint_rate from the matching rule of metric complaint_rate (csat.rate_check)'],
			['frt_p95_level', 'alert level of frt_p95_s against the matching rule of metric first_response (csat.threshold_check; NULL below min_samples answered tickets)']
		] LOOP
			EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.%I.%I IS %L', v.name, c[1], c[2]);
		END LOOP;
	END LOOP;
END $do$;

GRANT SELECT ON csat.kpi_hourly, csat.kpi_daily, csat.kpi_weekly, csat.kpi_monthly
	TO @extowner@ WITH GRANT OPTION;

-- ==== src/verify.sql ====
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
