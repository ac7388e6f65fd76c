/*
 * views_fn: the functions of family views (mapping, reading the sources as their
 * owners, refresh, scheduling).  Every upgrade runs this file again (Makefile:
 * REPLAYED), so an upgrade defines them exactly as a fresh install does: a
 * function changes here, once, never in an upgrade script (which only drops the
 * ones whose signature or result type changed).
 */
-- ---------------------------------------------------------------- standard columns
CREATE OR REPLACE FUNCTION csat.standard_columns()
RETURNS TABLE (kind text, name text, class text, required boolean, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
VALUES
	('orders', 'order_id', 'id', true, 1), ('orders', 'ordered_at', 'ts', true, 2),
	('orders', 'promised_at', 'ts', false, 3), ('orders', 'delivered_at', 'ts', false, 4),
	('orders', 'exception', 'bool', false, 5), ('orders', 'channel', 'text', false, 6),
	('orders', 'segment', 'text', false, 7), ('orders', 'merchant', 'text', false, 8),
	('tickets', 'ticket_id', 'id', true, 1), ('tickets', 'order_id', 'id', false, 2),
	('tickets', 'opened_at', 'ts', true, 3), ('tickets', 'first_response_at', 'ts', false, 4),
	('tickets', 'resolved_at', 'ts', false, 5), ('tickets', 'is_complaint', 'bool', false, 6),
	('tickets', 'channel', 'text', false, 7), ('tickets', 'priority', 'text', false, 8),
	('tickets', 'segment', 'text', false, 9),
	('surveys', 'answered_at', 'ts', true, 1), ('surveys', 'score', 'int', true, 2),
	('surveys', 'scale_max', 'int', false, 3), ('surveys', 'weight', 'float', false, 4),
	('surveys', 'dimension', 'text', false, 5), ('surveys', 'channel', 'text', false, 6),
	('surveys', 'segment', 'text', false, 7), ('surveys', 'order_id', 'id', false, 8),
	('returns', 'return_id', 'id', true, 1), ('returns', 'order_id', 'id', false, 2),
	('returns', 'requested_at', 'ts', true, 3), ('returns', 'completed_at', 'ts', false, 4),
	('returns', 'reason', 'text', false, 5),
	-- 0.5: optional columns the KPI catalogue uses (appended: earlier positions stay)
	('orders', 'category', 'text', false, 9), ('orders', 'customer_id', 'id', false, 10),
	('orders', 'followed_up_at', 'ts', false, 11),
	('tickets', 'category', 'text', false, 10), ('tickets', 'agent', 'text', false, 11),
	('tickets', 'customer_id', 'id', false, 12),
	('surveys', 'sent_at', 'ts', false, 9), ('surveys', 'ticket_id', 'id', false, 10)
$$;
COMMENT ON FUNCTION csat.standard_columns() IS
'the standard columns of each source kind: name, class (id: any type; ts: timestamptz; bool: boolean; text: any type, shown as text; int: an integer type; float: a numeric type, shown as float8), whether csat.map_source requires it, and its position in the standard view';

-- the period column that decides which hour a row of each kind belongs to
CREATE OR REPLACE FUNCTION csat.period_column(kind text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE kind WHEN 'orders' THEN 'ordered_at' WHEN 'tickets' THEN 'opened_at'
	WHEN 'surveys' THEN 'answered_at' WHEN 'returns' THEN 'requested_at' END
$$;
COMMENT ON FUNCTION csat.period_column(text) IS
'the standard timestamp column that places a row of the given kind in its hour/day (orders: ordered_at, tickets: opened_at, surveys: answered_at, returns: requested_at); NULL for an unknown kind';

-- ---------------------------------------------------------------- time zone
CREATE OR REPLACE FUNCTION csat.timezone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT coalesce(
	(SELECT s.timezone FROM csat.settings s),
	(SELECT substr(c, 10) FROM pg_db_role_setting d, unnest(d.setconfig) c
	  WHERE d.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND d.setrole = 0 AND lower(c) LIKE 'timezone=%' LIMIT 1),
	(SELECT r.timezone FROM csat.rollup_state r),
	current_setting('TimeZone'))
$$;
COMMENT ON FUNCTION csat.timezone() IS
'the time zone csat cuts periods in: csat.settings.timezone, else the database''s own TimeZone setting (ALTER DATABASE ... SET timezone), else the zone the rollups were last built in, else the session''s';

-- the first instant of a local day: its midnight, or the hour before where the
-- clocks go back from 01:00 to 00:00 and midnight comes twice (Atlantic/Azores,
-- America/Havana, Asia/Amman): day::timestamp AT TIME ZONE gives the second one
CREATE OR REPLACE FUNCTION csat.day_start(day date, tz text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN ((m.t OPERATOR(pg_catalog.-) interval '1 hour') AT TIME ZONE tz)::pg_catalog.date OPERATOR(pg_catalog.=) day
			THEN m.t OPERATOR(pg_catalog.-) interval '1 hour' ELSE m.t END
  FROM (SELECT day::pg_catalog.timestamp AT TIME ZONE tz AS t) m
$$;
COMMENT ON FUNCTION csat.day_start(date, text) IS
'the first instant of day in time zone tz: its midnight, or the first of two where the clocks go back from 01:00 to 00:00 (the start of the ranges an incremental refresh recomputes)';

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

-- Citus distributed and reference tables (not Citus local tables): their rows are
-- written through shards on the workers, where triggers cannot note changes for us.
CREATE OR REPLACE FUNCTION csat.citus_sharded(source regclass) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	sharded boolean := false;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		EXECUTE 'SELECT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = $1'
				' AND NOT (p.partmethod = ''n'' AND p.repmodel = ''s'' AND p.colocationid = 0))'
		   INTO sharded USING source;
	END IF;
	RETURN sharded;
END $$;
COMMENT ON FUNCTION csat.citus_sharded(regclass) IS
'internal: true for a Citus distributed or reference table (its rows are written through shards: csat.map_source tracks changes on the shards of a hash-distributed one, none on a reference table), false otherwise and without Citus';

CREATE OR REPLACE FUNCTION csat.citus_reference(source regclass) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	ref boolean := false;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		EXECUTE 'SELECT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = $1'
				' AND p.partmethod = ''n'' AND p.repmodel = ''t'')'
		   INTO ref USING source;
	END IF;
	RETURN ref;
END $$;
COMMENT ON FUNCTION csat.citus_reference(regclass) IS
'internal: true for a Citus reference table (a placement on every node: csat.map_source tracks its changes on the coordinator''s placement), false otherwise and without Citus';

-- Change tracking on a Citus hash-distributed table (src/track_citus.c): the
-- triggers fire on its shards and note the hours in the co-located shard of
-- csat.citus_changes_<co-location id>, which csat.refresh() consumes.
CREATE OR REPLACE FUNCTION csat.citus_track_setup(source regclass) RETURNS text
AS 'MODULE_PATHNAME', 'csat_citus_track_setup' LANGUAGE C STRICT;
COMMENT ON FUNCTION csat.citus_track_setup(regclass) IS
'internal: for a Citus hash-distributed table, the name of the change table of its co-location group (csat.citus_changes_<co-location id>, a distributed table co-located with it, created as the owner of csat''s tables when missing); NULL for any other table; 42501 unless the caller owns the table';

CREATE OR REPLACE FUNCTION csat.citus_track_cleanup() RETURNS bigint
AS 'MODULE_PATHNAME', 'csat_citus_track_cleanup' LANGUAGE C;
COMMENT ON FUNCTION csat.citus_track_cleanup() IS
'internal: drops the change tables csat.citus_changes_<co-location id> of Citus co-location groups no mapped table is in any more (as the owner of csat''s tables; called by csat.unmap_source); returns how many were dropped (0 without Citus)';

CREATE OR REPLACE FUNCTION csat.citus_tracked(source regclass, kind text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tracked boolean := false;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		-- its insert trigger names the change table of its current co-location group,
		-- and that table is in the group
		EXECUTE 'SELECT EXISTS (SELECT FROM pg_dist_partition p'
				' JOIN pg_trigger tg ON tg.tgrelid = p.logicalrelid AND tg.tgname = ''csat_track_'' || $2 || ''_ins'''
				'  AND tg.tgnargs >= 3 AND split_part(encode(tg.tgargs, ''escape''), ''\000'', 3) = ''citus_changes_'' || p.colocationid'
				' JOIN pg_dist_partition pc ON pc.colocationid = p.colocationid'
				'  AND pc.logicalrelid = to_regclass(''csat.citus_changes_'' || p.colocationid)'
				' WHERE p.logicalrelid = $1 AND p.partmethod = ''h'')'
		   INTO tracked USING source, kind;
		-- a reference table: its plain-table insert trigger, and a placement on the
		-- coordinator (group 0), where that trigger notes the hours into csat.changes
		IF NOT tracked THEN
			EXECUTE 'SELECT EXISTS (SELECT FROM pg_dist_partition p'
					' JOIN pg_trigger tg ON tg.tgrelid = p.logicalrelid AND tg.tgname = ''csat_track_'' || $2 || ''_ins'''
					'  AND tg.tgnargs = 2'
					' WHERE p.logicalrelid = $1 AND p.partmethod = ''n'' AND p.repmodel = ''t'''
					'  AND EXISTS (SELECT FROM pg_dist_shard s JOIN pg_dist_placement pl ON pl.shardid = s.shardid'
					'   WHERE s.logicalrelid = p.logicalrelid AND pl.groupid = 0))'
			   INTO tracked USING source, kind;
		END IF;
	END IF;
	RETURN tracked;
END $$;
COMMENT ON FUNCTION csat.citus_tracked(regclass, text) IS
'internal: true when a Citus table mapped as kind has csat''s change tracking: a hash-distributed table on its shards (installed by csat.map_source after it was distributed, and still in its co-location group), a reference table on the coordinator''s placement (its triggers installed by csat.map_source, and the coordinator holding a placement); csat.refresh() rebuilds everything while a mapped Citus table is not tracked';

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
	sharded boolean;
	unsafe text;
	changes text;
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
	-- on a Citus distributed or reference table, Citus refuses triggers unless asked
	sharded := csat.citus_sharded(source);
	IF sharded THEN
		unsafe := pg_catalog.current_setting('citus.enable_unsafe_triggers', true);
		PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
	END IF;
	FOR k IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
			  WHERE tg.tgrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
				AND tg.tgname::pg_catalog.text OPERATOR(pg_catalog.~~) (trig OPERATOR(pg_catalog.||) '\_%') LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', k, source);
	END LOOP;
	-- On a Citus hash-distributed table the triggers fire on its shards, on the nodes
	-- holding them: they note the hours in the co-located shard of the change table of
	-- its co-location group (arguments: kind, period column, that table, then every
	-- other timestamptz column of the mapping, since the KPI catalogue that says which
	-- of them place rows is not on the workers).
	col := resolved OPERATOR(pg_catalog.->>) csat.period_column(kind);
	IF sharded THEN
		-- the workers read the coordinator's calendars from copies of them (a KPI on a
		-- business-hours calendar is evaluated on the shards)
		IF pg_catalog.to_regprocedure('csat.citus_config_setup()') IS NOT NULL THEN
			PERFORM csat.citus_config_setup();
		END IF;
		changes := csat.citus_track_setup(source);
		IF changes IS NOT NULL THEN
			SELECT pg_catalog.format('%L, %L, %L', map_source.kind, col, changes) OPERATOR(pg_catalog.||)
				   coalesce(pg_catalog.string_agg(pg_catalog.format(', %L', e.value), '' ORDER BY sc.ord), '')
			  INTO changes
			  FROM pg_catalog.jsonb_each_text(resolved) e
			  JOIN csat.standard_columns() sc ON sc.kind OPERATOR(pg_catalog.=) map_source.kind
				   AND sc.name OPERATOR(pg_catalog.=) e.key AND sc.class OPERATOR(pg_catalog.=) 'ts'
			 WHERE e.value OPERATOR(pg_catalog.<>) col;
			EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS csat_new'
						   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%s)', trig OPERATOR(pg_catalog.||) '_ins', source, changes);
			EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new'
						   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%s)', trig OPERATOR(pg_catalog.||) '_upd', source, changes);
			EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS csat_old'
						   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%s)', trig OPERATOR(pg_catalog.||) '_del', source, changes);
			EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
						   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%s)', trig OPERATOR(pg_catalog.||) '_trunc', source, changes);
		END IF;
	END IF;
	-- (a Citus table other than a hash-distributed or reference one: untracked,
	-- csat.refresh() rebuilds everything while it is mapped)
	IF sharded AND changes IS NULL AND NOT csat.citus_reference(source) THEN
		NULL;
	ELSIF changes IS NULL THEN
		-- a plain table, or a Citus reference table: Citus copies the triggers to every
		-- placement, and only the coordinator's notes the hours (src/track_citus.c)
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_ins', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_upd', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS csat_old'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_del', source, kind, col);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig OPERATOR(pg_catalog.||) '_trunc', source, kind, col);
	END IF;
	IF sharded THEN
		PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', coalesce(unsafe, 'off'), true);
	END IF;
	-- a new or changed mapping invalidates every period, and its KPIs are checked again
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
	PERFORM csat.check_kpis(kind);
END $$;
COMMENT ON FUNCTION csat.map_source(text, regclass, jsonb) IS
'maps a user table to a source kind (orders, tickets, surveys, returns): columns maps standard names to the table''s own ({"opened_at": "created"}; unmapped standard names map to same-named columns, optional ones may be absent); validates names and types (42703 unknown column, 42804 wrong type, 22023 unknown kind or standard name, 42809 not a table, 42501 not owner), records the mapping, (re)creates the standard view csat.<kind> and installs the change-tracking triggers (on a Citus hash-distributed table they fire on its shards and note changes in csat.citus_changes_<co-location id>; on a Citus reference table they fire on every placement and the coordinator''s notes the changes in its csat.changes: without a placement on the coordinator csat.refresh() rebuilds everything); mapping the same table again replaces its mapping';

CREATE OR REPLACE FUNCTION csat.unmap_source(kind text, source regclass DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
	n bigint := 0;
	t text;
	unsafe text := pg_catalog.current_setting('citus.enable_unsafe_triggers', true);
	mode text := pg_catalog.current_setting('citus.multi_shard_modify_mode', true);
BEGIN
	IF kind IS NULL OR kind NOT IN ('orders', 'tickets', 'surveys', 'returns') THEN
		RAISE EXCEPTION 'unknown source kind "%"', kind USING ERRCODE = '22023',
			HINT = 'The kinds are orders, tickets, surveys and returns.';
	END IF;
	FOR r IN DELETE FROM csat.sources s
			  WHERE s.kind = unmap_source.kind AND (unmap_source.source IS NULL OR s.source = unmap_source.source)
			  RETURNING s.source LOOP
		n := n + 1;
		-- (Citus refuses to drop a trigger of a distributed or reference table unless asked,
		-- and to replace the standard view, a distributed view, after dropping them in
		-- parallel over the shards)
		IF csat.citus_sharded(r.source) THEN
			PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
			PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
		END IF;
		FOR t IN SELECT tg.tgname FROM pg_trigger tg
				  WHERE tg.tgrelid = r.source AND tg.tgname LIKE 'csat\_track\_' || kind || '\_%' LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', t, r.source);
		END LOOP;
	END LOOP;
	IF n = 0 AND source IS NOT NULL THEN
		RAISE EXCEPTION 'table % is not mapped as %', source, kind USING ERRCODE = '42704';
	END IF;
	PERFORM csat.build_standard_view(kind);
	IF unsafe IS NOT NULL THEN
		-- and the change tables no mapped distributed table needs any more
		PERFORM csat.citus_track_cleanup();
		PERFORM set_config('citus.enable_unsafe_triggers', unsafe, true);
		PERFORM set_config('citus.multi_shard_modify_mode', mode, true);
	END IF;
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.unmap_source(text, regclass) IS
'removes the mapping of one table (or, with source NULL, of every table) of a kind, drops its change-tracking triggers (and, on Citus, the change tables no mapped distributed table needs any more) and rebuilds (or drops) the standard view; returns how many mappings were removed; 42704 if the given table is not mapped';

-- ---------------------------------------------------------------- refresh
-- The measures of the rollup tables, in table order, and per kind the expression
-- computing each from the standard view's rows (x.<standard column>).
-- Each measure of csat.rollup_hourly as what it takes from one row: a count of
-- the rows where filter holds, or the sum or the sketch of value over them.
-- csat.rollup_measures writes them as aggregates (the 0.3 statements of
-- csat.rollup_sql); csat.source_kpis evaluates them per row (csat.kpi_source_sql).
CREATE OR REPLACE FUNCTION csat.rollup_inputs()
RETURNS TABLE (name text, kind text, agg text, filter text, value text, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
VALUES
	('orders', 'orders', 'count', 'true', NULL, 1),
	('delivered', 'orders', 'count', 'x.delivered_at IS NOT NULL', NULL, 2),
	('late', 'orders', 'count', 'x.delivered_at > x.promised_at', NULL, 3),
	('exceptions', 'orders', 'count', 'x.exception', NULL, 4),
	('tickets', 'tickets', 'count', 'true', NULL, 5),
	('complaints', 'tickets', 'count', 'x.is_complaint', NULL, 6),
	('responded', 'tickets', 'count', 'x.first_response_at IS NOT NULL', NULL, 7),
	('resolved', 'tickets', 'count', 'x.resolved_at IS NOT NULL', NULL, 8),
	('responses', 'surveys', 'count', 'x.sc = 5 AND x.score BETWEEN 1 AND 5', NULL, 9),
	('satisfied', 'surveys', 'count', 'x.sc = 5 AND x.score BETWEEN 4 AND 5', NULL, 10),
	('very_satisfied', 'surveys', 'count', 'x.sc = 5 AND x.score = 5', NULL, 11),
	('score_sum', 'surveys', 'sum', 'x.sc = 5 AND x.score BETWEEN 1 AND 5', 'x.score::float8', 12),
	('weight_sum', 'surveys', 'sum', 'x.sc = 5 AND x.score BETWEEN 1 AND 5', 'x.w', 13),
	('weighted_sum', 'surveys', 'sum', 'x.sc = 5 AND x.score BETWEEN 1 AND 5', 'x.w * x.score', 14),
	('nps_responses', 'surveys', 'count', 'x.sc = 10 AND x.score BETWEEN 0 AND 10', NULL, 15),
	('promoters', 'surveys', 'count', 'x.sc = 10 AND x.score BETWEEN 9 AND 10', NULL, 16),
	('detractors', 'surveys', 'count', 'x.sc = 10 AND x.score BETWEEN 0 AND 6', NULL, 17),
	('returns', 'returns', 'count', 'true', NULL, 18),
	('returns_completed', 'returns', 'count', 'x.completed_at IS NOT NULL', NULL, 19),
	('delivery_sketch', 'orders', 'sketch', 'x.delivered_at >= x.ordered_at', 'date_part(''epoch'', x.delivered_at - x.ordered_at)', 20),
	('frt_sketch', 'tickets', 'sketch', 'x.first_response_at >= x.opened_at', 'date_part(''epoch'', x.first_response_at - x.opened_at)', 21),
	('resolution_sketch', 'tickets', 'sketch', 'x.resolved_at >= x.opened_at', 'date_part(''epoch'', x.resolved_at - x.opened_at)', 22),
	('return_sketch', 'returns', 'sketch', 'x.completed_at >= x.requested_at', 'date_part(''epoch'', x.completed_at - x.requested_at)', 23)
$$;
COMMENT ON FUNCTION csat.rollup_inputs() IS
'internal: each measure of csat.rollup_hourly/daily as what one row of its kind contributes (x: the row''s standard columns; surveys also sc = scale_max or 5 and w = weight or 1): agg count (rows where filter holds), sum or sketch (of value over those rows); csat.rollup_measures writes them as aggregates';

CREATE OR REPLACE FUNCTION csat.rollup_measures()
RETURNS TABLE (name text, kind text, expr text, is_sketch boolean, ord int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT i.name, i.kind,
	   CASE WHEN i.agg OPERATOR(pg_catalog.=) 'count' AND i.filter OPERATOR(pg_catalog.=) 'true' THEN 'count(*)'
			WHEN i.agg OPERATOR(pg_catalog.=) 'count' THEN pg_catalog.format('count(*) FILTER (WHERE %s)', i.filter)
			WHEN i.agg OPERATOR(pg_catalog.=) 'sum' THEN pg_catalog.format('coalesce(sum(%s) FILTER (WHERE %s), 0)', i.value, i.filter)
			ELSE pg_catalog.format('csat.sla_sketch(%s) FILTER (WHERE %s)', i.value, i.filter) END,
	   i.agg OPERATOR(pg_catalog.=) 'sketch', i.ord
  FROM csat.rollup_inputs() i
$$;
COMMENT ON FUNCTION csat.rollup_measures() IS
'the measures kept in csat.rollup_hourly/daily and, per source kind, the aggregate computing each (CSAT answers: scale_max 5 (the default) and score 1-5; NPS answers: scale_max 10 and score 0-10; weight NULL counts as 1; durations that are negative are left out of the sketches)';

-- ---------------------------------------------------------------- reading sources as their owners
-- csat.refresh() does not read the standard views: their UNION ALL spans tables of
-- different owners, and reading them would run those owners' code (row-security
-- policies, functions of mapped views, casts) with the caller's rights.  It reads each
-- mapped table through csat.source_partials / csat.source_rows (C), which check that
-- the caller may read the whole table and then run the statement built here for it
-- as the table's owner (SECURITY_RESTRICTED_OPERATION, search_path pinned).  Only
-- these fixed shapes exist, built from the validated mapping in csat.sources:
--   partials      (orders, tickets, surveys) rows shaped like csat.rollup_hourly, one
--                 per hour, channel and segment ($1 time zone); partials_ranged: of
--                 the rows in [$2[i], $3[i])
--   returns       (returns) order_id (as text), requested_at, completed_at;
--                 returns_ranged: of the returns in [$2[i], $3[i])
--   order_keys    (orders) order_id, channel, segment of the orders whose order_id is
--                 in $4 (text)
--   order_ids     (orders) order_id of the orders placed in [$2[i], $3[i])
--   return_hours  (returns) UTC hours of the returns whose order_id is in $4
-- Values are made text by their type's output function (pg_catalog.format('%s')),
-- except that built-in types keep their built-in cast: no user cast runs.
-- The text of column col (of type typ) of the table aliased t: built-in types by their
-- built-in cast (as the standard views do), other types by their output function, so
-- that no user-defined cast runs.
CREATE OR REPLACE FUNCTION csat.text_sql(col text, typ oid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace::pg_catalog.oid
			THEN pg_catalog.format('t.%I::pg_catalog.text', col)
			ELSE pg_catalog.format('CASE WHEN t.%1$I IS NULL THEN NULL ELSE pg_catalog.format(''%%s'', t.%1$I) END', col) END
  FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) typ
$$;
COMMENT ON FUNCTION csat.text_sql(text, oid) IS
'internal: SQL for the text of column col of type typ of the table aliased t: built-in types by their built-in cast to text, other types by their output function (no user-defined cast runs)';

-- The SQL of one standard column read from the table aliased t: col is the table's
-- column (NULL: not mapped, a typed NULL), typ its type.
CREATE OR REPLACE FUNCTION csat.column_sql(class text, col text, typ oid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN col IS NULL OR typ IS NULL THEN
			CASE class WHEN 'ts' THEN 'NULL::pg_catalog.timestamptz' WHEN 'bool' THEN 'NULL::pg_catalog.bool'
				WHEN 'int' THEN 'NULL::pg_catalog.int4' WHEN 'float' THEN 'NULL::pg_catalog.float8' ELSE 'NULL::pg_catalog.text' END
		WHEN class OPERATOR(pg_catalog.=) ANY ('{text,id}'::text[]) THEN csat.text_sql(col, typ)
		WHEN class OPERATOR(pg_catalog.=) 'int' THEN pg_catalog.format('t.%I::pg_catalog.int4', col)
		WHEN class OPERATOR(pg_catalog.=) 'float' THEN pg_catalog.format('t.%I::pg_catalog.float8', col)
		-- ts: +-infinity counts as NULL (an open item; no hour for the period
		-- column, which a ranged join still compares raw, by its index)
		WHEN class OPERATOR(pg_catalog.=) 'ts' THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite(t.%1$I) THEN t.%1$I END', col)
		ELSE pg_catalog.format('t.%I', col) END
$$;
COMMENT ON FUNCTION csat.column_sql(text, text, oid) IS
'internal: SQL reading a standard column of class class (csat.standard_columns()) from column col of type typ of the table aliased t: typed as csat.kpi_columns() says, +-infinity timestamps as NULL, text by csat.text_sql; a typed NULL when col is not mapped';

CREATE OR REPLACE FUNCTION csat.source_sql(kind text, source regclass, part text) RETURNS text
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
	-- the KPIs of the catalogue (src/kpis_fn.sql)
	IF part OPERATOR(pg_catalog.=) ANY ('{kpis,kpis_ranged}'::text[]) THEN
		RETURN csat.kpi_source_sql(kind, source, part OPERATOR(pg_catalog.=) 'kpis_ranged');
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
			expr := csat.column_sql(c.class, m OPERATOR(pg_catalog.->>) c.name, c.typ);
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

CREATE OR REPLACE FUNCTION csat.source_partials(kind text, source regclass, tz text,
									 lo timestamptz[] DEFAULT NULL, hi timestamptz[] DEFAULT NULL)
RETURNS SETOF csat.rollup_hourly
AS 'MODULE_PATHNAME', 'csat_source_partials' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_partials(text, regclass, text, timestamptz[], timestamptz[]) IS
'internal: the rollup states of one mapped orders, tickets or surveys table per hour (cut in tz), channel and segment, over every hour or the hours in [lo[i], hi[i]); computed as the table''s owner (restricted), after checking that the caller may SELECT the table and is not subject to its row security (42501)';

CREATE OR REPLACE FUNCTION csat.source_rows(kind text, source regclass, part text, lo timestamptz[] DEFAULT NULL,
								 hi timestamptz[] DEFAULT NULL, keys text[] DEFAULT NULL)
RETURNS TABLE (id text, channel text, segment text, at timestamptz, done_at timestamptz)
AS 'MODULE_PATHNAME', 'csat_source_rows' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_rows(text, regclass, text, timestamptz[], timestamptz[], text[]) IS
'internal: rows of one part of a mapped table that csat.refresh() merges across tables (returns: id = order_id, at = requested_at, done_at = completed_at; order_keys: id, channel, segment of the orders whose order_id is in keys; order_ids: id of orders placed in [lo[i], hi[i]); return_hours: at = UTC hour of returns whose order_id is in keys); read as the table''s owner (restricted), after checking that the caller may SELECT the table and is not subject to its row security (42501)';

-- The INSERT that recomputes csat.rollup_hourly: over everything, or (ranged) over the
-- hours in [$2[i], $3[i]); $1 is the time zone.  Each mapped table's rows are
-- aggregated by hour, channel and segment as the table's owner (csat.source_partials);
-- returns, which take channel and segment from their order, come as rows
-- (csat.source_rows: the returns, then the orders they name) and are joined and
-- aggregated here.  The states are merged per hour, channel and segment, and the
-- 'all' rows are rolled up from those few rows, not from the source rows again.
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
'builds a statement that recomputes csat.rollup_hourly from the mapped tables, each read as its owner through csat.source_partials / csat.source_rows (all hours, or with ranged the hours in the ranges passed as $2/$3; $1 is the time zone); csat.refresh() computes the same rows in the statement of csat.kpi_rollup_sql, from the read that computes the KPIs';

-- The INSERT that rolls hourly rows up into csat.rollup_daily (optionally ranged).
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

-- (jit off: its compile time costs more than the small incremental queries it speeds up)
CREATE OR REPLACE FUNCTION csat.refresh("full" boolean DEFAULT false, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS csat.refresh_log
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
	pending timestamptz[];
	ticket_hours timestamptz[];
	dlo timestamptz[];
	dhi timestamptz[];
	at timestamptz := coalesce(as_of, pg_catalog.now());
	ct name;
	c_all boolean;
	c_hours timestamptz[];
	c_order timestamptz[];
	c_ticket timestamptz[];
	mode text;
BEGIN
	IF NOT pg_catalog.isfinite(at) THEN
		RAISE EXCEPTION 'as_of must be finite' USING ERRCODE = '22023', DETAIL = pg_catalog.format('Got %s.', at);
	END IF;
	-- one refresh at a time: a second caller waits here until the first commits
	PERFORM pg_catalog.pg_advisory_xact_lock(1668506996, 1);
	tz := csat.timezone();
	-- a KPI whose definition no longer checks is disabled (WARNING), never fails the run
	PERFORM csat.check_kpis();
	IF NOT EXISTS (SELECT 1 FROM csat.rollup_state s WHERE s.timezone OPERATOR(pg_catalog.=) tz) THEN
		rebuild := true;			-- first run, or the zone changed: every period moved
	END IF;
	-- consume the change log (rows committed later stay for the next run)
	WITH d AS (DELETE FROM csat.changes RETURNING kind, hour)
	SELECT rebuild OR coalesce(pg_catalog.bool_or(d.hour IS NULL), false),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind OPERATOR(pg_catalog.=) 'orders:returns'),
		   pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind OPERATOR(pg_catalog.=) 'tickets')
	  INTO rebuild, utc_hours, order_hours, ticket_hours FROM d;
	-- and the hours noted on the shards of Citus distributed sources, consumed by a
	-- distributed DELETE in this transaction: if the refresh fails, they come back
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		-- over one connection per worker: the notes are a few rows per shard, and
		-- Citus would open more connections to delete them in parallel (in a new
		-- session, as pg_cron's: 0.2 s against 0.1 s with 32 shards)
		mode := pg_catalog.current_setting('citus.multi_shard_modify_mode', true);
		PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
		FOR ct IN SELECT c.relname FROM pg_catalog.pg_class c
				   WHERE c.relnamespace OPERATOR(pg_catalog.=) 'csat'::pg_catalog.regnamespace
					 AND c.relname OPERATOR(pg_catalog.~~) 'citus\_changes\_%' AND c.relkind OPERATOR(pg_catalog.=) 'r' LOOP
			EXECUTE pg_catalog.format('WITH d AS (DELETE FROM csat.%I RETURNING kind, hour)'
					' SELECT coalesce(pg_catalog.bool_or(d.hour IS NULL), false),'
					' pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL),'
					' pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind OPERATOR(pg_catalog.=) ''orders:returns''),'
					' pg_catalog.array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind OPERATOR(pg_catalog.=) ''tickets'')'
					' FROM d', ct)
			   INTO c_all, c_hours, c_order, c_ticket;
			rebuild := rebuild OR c_all;
			utc_hours := utc_hours OPERATOR(pg_catalog.||) c_hours;
			order_hours := order_hours OPERATOR(pg_catalog.||) c_order;
			ticket_hours := ticket_hours OPERATOR(pg_catalog.||) c_ticket;
		END LOOP;
		PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', mode, true);
		-- a Citus source without that tracking (a reference table, a table distributed
		-- after it was mapped, or moved to another co-location group): rebuild everything
		IF NOT rebuild THEN
			rebuild := EXISTS (SELECT FROM csat.sources s WHERE csat.citus_sharded(s.source)
								 AND NOT csat.citus_tracked(s.source, s.kind));
		END IF;
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
	-- a repeat contact looks 7 days back: a ticket written moves the flags of the
	-- customer's tickets of the 7 days after it
	IF NOT rebuild AND ticket_hours IS NOT NULL
	   AND EXISTS (SELECT FROM csat.sources s WHERE s.kind OPERATOR(pg_catalog.=) 'tickets' AND s.columns OPERATOR(pg_catalog.?) 'customer_id')
	   AND EXISTS (SELECT FROM csat.kpis k WHERE k.enabled AND
		pg_catalog.concat_ws(' ', k.filter, k.success, k.value, k.weight, k.denominator_filter) OPERATOR(pg_catalog.~) 'repeat_contact') THEN
		SELECT utc_hours OPERATOR(pg_catalog.||) pg_catalog.array_agg(DISTINCT g) INTO utc_hours
		  FROM pg_catalog.unnest(ticket_hours) c(hour),
			   pg_catalog.generate_series(c.hour OPERATOR(pg_catalog.+) interval '1 hour', c.hour OPERATOR(pg_catalog.+) interval '7 days', interval '1 hour') g;
	END IF;
	-- periods holding items whose state changes with time (open within their
	-- target, a share that cannot tell yet) are recomputed by every run
	IF NOT rebuild THEN
		SELECT pg_catalog.array_agg(DISTINCT r.period) INTO pending FROM csat.kpi_rollup_hourly r
		 WHERE r.pending_n OPERATOR(pg_catalog.>) 0;
	END IF;

	IF rebuild THEN
		DELETE FROM csat.rollup_hourly;
		DELETE FROM csat.rollup_daily;
		DELETE FROM csat.kpi_rollup_hourly;
		DELETE FROM csat.kpi_rollup_daily;
		-- one statement fills csat.kpi_rollup_hourly and csat.rollup_hourly (one
		-- read of each table: csat.kpi_rollup_sql)
		q := csat.kpi_rollup_sql(false);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz, NULL::timestamptz[], NULL::timestamptz[], at, NULL::timestamptz[], NULL::timestamptz[];
			EXECUTE csat.rollup_daily_sql(false) USING tz;
		END IF;
		SELECT pg_catalog.array_agg(h.hour ORDER BY h.hour) INTO hours
		  FROM (SELECT r.hour FROM csat.rollup_hourly r UNION SELECT k.period FROM csat.kpi_rollup_hourly k) h;
	ELSIF utc_hours IS NOT NULL OR pending IS NOT NULL THEN
		-- local hours overlapping the touched UTC hours (two in half-hour zones)
		SELECT pg_catalog.array_agg(DISTINCT h) INTO hours
		  FROM (SELECT pg_catalog.date_trunc('hour', u OPERATOR(pg_catalog.+) v.o, tz) AS h
				  FROM pg_catalog.unnest(utc_hours) u, (VALUES (interval '0'), (interval '59 min 59.999999 sec')) v(o)
				UNION ALL SELECT p FROM pg_catalog.unnest(pending) p) x;
		-- and the days holding them, each recomputed whole: its hours, and the
		-- day with its totals added up from them in the same pass (src/kpi_scan.c)
		SELECT pg_catalog.array_agg(DISTINCT (h AT TIME ZONE tz)::pg_catalog.date) INTO days FROM pg_catalog.unnest(hours) h;
		-- (from each day's first instant: where midnight comes twice, the first)
		SELECT pg_catalog.array_agg(csat.day_start(d, tz) ORDER BY d),
			   pg_catalog.array_agg(csat.day_start(d OPERATOR(pg_catalog.+) 1, tz) ORDER BY d)
		  INTO dlo, dhi FROM pg_catalog.unnest(days) d;
		-- consecutive days as one range
		SELECT pg_catalog.array_agg(i.lo ORDER BY i.lo), pg_catalog.array_agg(i.hi ORDER BY i.lo) INTO lo, hi
		  FROM (SELECT csat.day_start(pg_catalog.min(s.d), tz) AS lo,
					   csat.day_start(pg_catalog.max(s.d) OPERATOR(pg_catalog.+) 1, tz) AS hi
				  FROM (SELECT d, d OPERATOR(pg_catalog.-) (pg_catalog.row_number() OVER (ORDER BY d))::pg_catalog.int4 AS g
						  FROM pg_catalog.unnest(days) d) s
				 GROUP BY s.g) i;
		-- (one range at a time: an index scan each.  Joined to the ranges in one
		-- statement, the planner guesses their share of the table and scans all of
		-- it: 0.5 s of a 2.4 s incremental run on a Citus cluster at 600k rows of
		-- csat.kpi_rollup_hourly, demo scale 0.2)
		FOR i IN 1 .. coalesce(pg_catalog.cardinality(lo), 0) LOOP
			DELETE FROM csat.rollup_hourly r WHERE r.hour OPERATOR(pg_catalog.>=) lo[i] AND r.hour OPERATOR(pg_catalog.<) hi[i];
			DELETE FROM csat.kpi_rollup_hourly r WHERE r.period OPERATOR(pg_catalog.>=) lo[i] AND r.period OPERATOR(pg_catalog.<) hi[i];
		END LOOP;
		DELETE FROM csat.rollup_daily r WHERE r.day OPERATOR(pg_catalog.=) ANY (days);
		DELETE FROM csat.kpi_rollup_daily r WHERE r.day OPERATOR(pg_catalog.=) ANY (days);
		q := csat.kpi_rollup_sql(true);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz, lo, hi, at, lo, hi;
		END IF;
		EXECUTE csat.rollup_daily_sql(true) USING tz, dlo, dhi;
	END IF;

	INSERT INTO csat.rollup_state AS s (timezone, refreshed_at, as_of) VALUES (tz, pg_catalog.clock_timestamp(), at)
	ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, refreshed_at = EXCLUDED.refreshed_at, as_of = EXCLUDED.as_of;
	-- KPI alerts of the periods recomputed (csat.alerts, in this transaction)
	PERFORM csat.alert_step(at, hours, tz, rebuild);
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
COMMENT ON FUNCTION csat.refresh(boolean, timestamptz) IS
'brings csat.rollup_hourly/daily and the KPI rollups csat.kpi_rollup_hourly/daily up to date as of as_of (default now(): open items, overdue ones and shares that read as_of are judged at that time; the periods still holding items whose state changes with time are recomputed by every run, so an incremental run equals a full one at the same as_of): recomputes only the days (each whole: its hours, the day and its totals) holding hours whose source rows changed since the last run, as noted by the change-tracking triggers (on the shards of Citus hash-distributed tables too: their notes are consumed inside this transaction), or everything with full => true (also after a mapping change, a TRUNCATE or a time-zone change, and on every run while a Citus reference table, or a Citus table distributed after it was mapped, is mapped); runs inside the caller''s transaction, so readers see the old or the new state, never a mix; a concurrent second call waits for the first (advisory lock 1668506996, 1); returns the csat.refresh_log row of the run';


-- ---------------------------------------------------------------- scheduling
CREATE OR REPLACE FUNCTION csat.schedule_refresh(schedule text DEFAULT '*/5 * * * *') RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	cron_db text := current_setting('cron.database_name', true);
	job text := 'csat_refresh_' || current_database();
	sql text;
	id bigint;
BEGIN
	IF schedule IS NULL THEN
		RAISE EXCEPTION 'schedule must not be null' USING ERRCODE = '22004';
	END IF;
	IF to_regnamespace('cron') IS NULL OR to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
		sql := format('SELECT cron.schedule_in_database(%L, %L, %L, %L);', job, schedule,
					  'SELECT csat.refresh()', current_database());
		IF to_regprocedure('csat.sweep(timestamp with time zone)') IS NOT NULL THEN
			sql := sql || format(' SELECT cron.schedule_in_database(%L, %L, %L, %L);', 'csat_sweep_' || current_database(),
								 '* * * * *', 'SELECT csat.sweep()', current_database());
		END IF;
		IF cron_db IS NOT NULL AND cron_db <> current_database() THEN
			RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
				DETAIL = format('pg_cron runs its jobs from database "%s" (cron.database_name).', cron_db),
				HINT = format('As a superuser connected to database "%s", run: %s', cron_db, sql);
		ELSIF cron_db IS NOT NULL THEN
			RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
				HINT = 'Run CREATE EXTENSION pg_cron; then call csat.schedule_refresh() again.';
		ELSE
			RAISE EXCEPTION 'pg_cron is not available' USING ERRCODE = '55000',
				DETAIL = 'pg_cron is not loaded (shared_preload_libraries).',
				HINT = 'Install pg_cron (Debian: postgresql-15-cron) and preload it, or call SELECT csat.refresh(); from any scheduler every few minutes.';
		END IF;
	END IF;
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO id USING job, schedule, 'SELECT csat.refresh()';
	IF to_regprocedure('csat.sweep(timestamp with time zone)') IS NOT NULL THEN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)'
		  USING 'csat_sweep_' || current_database(), '* * * * *', 'SELECT csat.sweep()';
	END IF;
	RETURN id;
END $$;
COMMENT ON FUNCTION csat.schedule_refresh(text) IS
'schedules SELECT csat.refresh() (and, where csat.sweep exists, SELECT csat.sweep() every minute) with pg_cron under the job name csat_refresh_<database>; schedule is a cron expression (default every 5 minutes); returns the pg_cron job id; when pg_cron is not installed in this database: ERROR 55000 whose hint gives the SQL to run in pg_cron''s database, or says to call csat.refresh() from any scheduler';

CREATE OR REPLACE FUNCTION csat.unschedule_refresh() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n bigint;
BEGIN
	IF to_regnamespace('cron') IS NULL OR to_regclass('cron.job') IS NULL THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000',
			HINT = format('In pg_cron''s database, run: SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname IN (%L, %L);',
						  'csat_refresh_' || current_database(), 'csat_sweep_' || current_database());
	END IF;
	EXECUTE 'SELECT count(cron.unschedule(j.jobid)) FROM cron.job j WHERE j.jobname IN ($1, $2) AND j.username = current_user'
	   INTO n USING 'csat_refresh_' || current_database(), 'csat_sweep_' || current_database();
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.unschedule_refresh() IS
'removes the pg_cron jobs csat.schedule_refresh() created for this database (the caller''s); returns how many were removed; ERROR 55000 with a hint when pg_cron is not installed here';

