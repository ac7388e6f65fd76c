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
-- ---------------------------------------------------------------- views: refresh on Citus (issue 6)
-- csat.rollup_sql aggregates each kind by hour, channel and segment only and rolls the
-- 'all' rows up from that result (Citus refuses GROUPING SETS over distributed tables);
-- returns join their orders without LATERAL ... LIMIT when a mapped source is distributed.
-- csat.map_source installs no change-tracking triggers on a Citus distributed or reference
-- table, and csat.refresh rebuilds everything while one is mapped.
CREATE OR REPLACE FUNCTION csat.rollup_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	has_sketch boolean := to_regtype('csat.sketch') IS NOT NULL;
	kinds text[] := '{}';
	k text;
	parts text[] := '{}';
	sel text;
	src text;
	m record;
	collist text;
	outer_sel text;
	pcol text;
	same_type boolean;
	distributed boolean := false;
BEGIN
	FOREACH k IN ARRAY ARRAY['orders', 'tickets', 'surveys', 'returns'] LOOP
		IF to_regclass('csat.' || k) IS NOT NULL THEN
			kinds := kinds || k;
		END IF;
	END LOOP;
	IF cardinality(kinds) = 0 THEN
		RETURN NULL;
	END IF;
	SELECT string_agg(quote_ident(rm.name), ', ' ORDER BY rm.ord),
		   string_agg(CASE WHEN rm.is_sketch THEN format('csat.rollup(u.%1$I) AS %1$I', rm.name)
						   WHEN rm.name IN ('score_sum', 'weight_sum', 'weighted_sum') THEN format('sum(u.%1$I) AS %1$I', rm.name)
						   ELSE format('sum(u.%1$I)::bigint AS %1$I', rm.name) END, ', ' ORDER BY rm.ord)
	  INTO collist, outer_sel
	  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;

	FOREACH k IN ARRAY kinds LOOP
		pcol := csat.period_column(k);
		SELECT string_agg(CASE WHEN rm.kind = k THEN rm.expr
							   WHEN rm.is_sketch THEN 'NULL::csat.sketch'
							   WHEN rm.name IN ('score_sum', 'weight_sum', 'weighted_sum') THEN '0::float8'
							   ELSE '0::bigint' END || ' AS ' || quote_ident(rm.name), ', ' ORDER BY rm.ord)
		  INTO sel
		  FROM csat.rollup_measures() rm WHERE has_sketch OR NOT rm.is_sketch;
		IF k = 'returns' THEN
			-- returns have no channel or segment of their own: take their order's
			IF to_regclass('csat.orders') IS NOT NULL THEN
				SELECT (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.orders'::regclass AND a.attname = 'order_id')
					 = (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.returns'::regclass AND a.attname = 'order_id')
				  INTO same_type;
				-- (a Citus distributed source cannot be joined LATERAL with LIMIT: there, one
				-- order per order_id is picked by DISTINCT ON and joined instead)
				IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
					EXECUTE 'SELECT EXISTS (SELECT FROM csat.sources s JOIN pg_catalog.pg_dist_partition p'
							' ON p.logicalrelid OPERATOR(pg_catalog.=) s.source WHERE s.kind IN (''orders'', ''returns''))'
					   INTO distributed;
				END IF;
				IF distributed THEN
					src := 'SELECT t.*, o.channel, o.segment FROM csat.returns t LEFT JOIN (SELECT DISTINCT ON (o.order_id)'
						|| ' o.order_id, o.channel, o.segment FROM csat.orders o ORDER BY o.order_id) o ON '
						|| CASE WHEN same_type THEN 'o.order_id = t.order_id' ELSE 'o.order_id::text = t.order_id::text' END;
				ELSE
					src := 'SELECT t.*, o.channel, o.segment FROM csat.returns t LEFT JOIN LATERAL (SELECT o.channel, o.segment'
						|| ' FROM csat.orders o WHERE '
						|| CASE WHEN same_type THEN 'o.order_id = t.order_id' ELSE 'o.order_id::text = t.order_id::text' END
						|| ' LIMIT 1) o ON true';
				END IF;
			ELSE
				src := 'SELECT t.*, NULL::text AS channel, NULL::text AS segment FROM csat.returns t';
			END IF;
		ELSE
			src := 'SELECT t.* FROM csat.' || k || ' t';
		END IF;
		IF ranged THEN
			src := src || format(' JOIN unnest($2::timestamptz[], $3::timestamptz[]) AS r(lo, hi)'
								 ' ON t.%1$I >= r.lo AND t.%1$I < r.hi', pcol);
		END IF;
		parts := parts || format(
			'SELECT x.h AS hour, x.c AS channel, x.s AS segment, %s'
			' FROM (SELECT date_trunc(''hour'', y.%I, $1) AS h, coalesce(y.channel, ''unknown'') AS c,'
			' coalesce(y.segment, ''unknown'') AS s, %s y.* FROM (%s) y WHERE y.%I IS NOT NULL) x'
			' GROUP BY x.h, x.c, x.s',
			sel, pcol,
			CASE WHEN k = 'surveys' THEN 'coalesce(y.scale_max, 5) AS sc, coalesce(y.weight, 1) AS w,' ELSE '' END,
			src, pcol);
	END LOOP;
	-- f: one row per hour, channel and segment over every kind (MATERIALIZED: Citus runs
	-- it as a distributed subplan, the grouping sets then read its result locally;
	-- sorted, so that the sketches are merged group by group rather than in a hash
	-- table that outgrows work_mem)
	RETURN format('WITH f AS MATERIALIZED (SELECT u.hour, u.channel, u.segment, %2$s'
				  ' FROM (%3$s) u GROUP BY u.hour, u.channel, u.segment)'
				  ' INSERT INTO csat.rollup_hourly (hour, channel, segment, %1$s)'
				  ' SELECT u.hour, CASE WHEN grouping(u.channel) = 1 THEN ''all'' ELSE u.channel END,'
				  ' CASE WHEN grouping(u.segment) = 1 THEN ''all'' ELSE u.segment END, %2$s'
				  ' FROM (SELECT f.* FROM f ORDER BY f.hour, f.channel, f.segment) u'
				  ' GROUP BY GROUPING SETS ((u.hour, u.channel, u.segment), (u.hour, u.channel), (u.hour, u.segment), (u.hour))',
				  collist, outer_sel, array_to_string(parts, ' UNION ALL '));
END $$;
-- Citus distributed and reference tables (not Citus local tables): their rows are
-- written through shards on the workers, where triggers cannot note changes for us.
CREATE FUNCTION csat.citus_sharded(source regclass) RETURNS boolean
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
'internal: true for a Citus distributed or reference table (csat.map_source installs no change tracking on it; csat.refresh then rebuilds everything), false otherwise and without Citus';

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
	trig := 'csat_track_' || kind;
	FOR k IN SELECT tg.tgname FROM pg_trigger tg WHERE tg.tgrelid = source AND tg.tgname LIKE trig || '\_%' LOOP
		EXECUTE format('DROP TRIGGER %I ON %s', k, source);
	END LOOP;
	-- but none on a Citus distributed or reference table: its triggers would fire on the
	-- workers' shards and note the changes there, where csat.refresh() never looks (it
	-- rebuilds everything while such a table is mapped)
	IF NOT csat.citus_sharded(source) THEN
		col := resolved ->> csat.period_column(kind);
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_ins', source, kind, col);
		EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS csat_old NEW TABLE AS csat_new'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_upd', source, kind, col);
		EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS csat_old'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_del', source, kind, col);
		EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION csat.track_change(%L, %L)', trig || '_trunc', source, kind, col);
	END IF;
	-- a new or changed mapping invalidates every period
	INSERT INTO csat.changes (kind, hour) VALUES (kind, NULL);
END $$;
COMMENT ON FUNCTION csat.map_source(text, regclass, jsonb) IS
'maps a user table to a source kind (orders, tickets, surveys, returns): columns maps standard names to the table''s own ({"opened_at": "created"}; unmapped standard names map to same-named columns, optional ones may be absent); validates names and types (42703 unknown column, 42804 wrong type, 22023 unknown kind or standard name, 42809 not a table, 42501 not owner), records the mapping, (re)creates the standard view csat.<kind> and installs the change-tracking triggers (none on a Citus distributed or reference table: csat.refresh() then rebuilds everything); mapping the same table again replaces its mapping';

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
	PERFORM pg_advisory_xact_lock(1668506996, 1);
	tz := csat.timezone();
	IF NOT EXISTS (SELECT 1 FROM csat.rollup_state s WHERE s.timezone = tz) THEN
		rebuild := true;			-- first run, or the zone changed: every period moved
	END IF;
	-- consume the change log (rows committed later stay for the next run)
	WITH d AS (DELETE FROM csat.changes RETURNING kind, hour)
	SELECT rebuild OR coalesce(bool_or(d.hour IS NULL), false),
		   array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL),
		   array_agg(DISTINCT d.hour) FILTER (WHERE d.hour IS NOT NULL AND d.kind = 'orders:returns')
	  INTO rebuild, utc_hours, order_hours FROM d;
	-- a Citus distributed or reference source has no change tracking (csat.map_source
	-- installs none): rebuild everything while one is mapped
	IF NOT rebuild AND to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		rebuild := EXISTS (SELECT FROM csat.sources s WHERE csat.citus_sharded(s.source));
	END IF;
	-- returns take channel and segment from their order: an order updated in these
	-- hours moves its returns' hours too (an order deleted with returns left behind,
	-- or inserted after its returns, is only corrected by a full refresh)
	IF NOT rebuild AND order_hours IS NOT NULL AND to_regclass('csat.returns') IS NOT NULL
	   AND to_regclass('csat.orders') IS NOT NULL THEN
		-- (orders of those hours by their time index first, then a hash semi-join)
		EXECUTE format('WITH o AS MATERIALIZED (SELECT o.order_id FROM unnest($1::timestamptz[]) u(h)'
					   ' CROSS JOIN LATERAL (SELECT o.order_id FROM csat.orders o WHERE o.ordered_at >= u.h'
					   ' AND o.ordered_at < u.h + interval ''1 hour'' OFFSET 0) o)'
					   ' SELECT array_agg(DISTINCT date_trunc(''hour'', r.requested_at, ''UTC''))'
					   ' FROM csat.returns r WHERE r.requested_at IS NOT NULL AND %s',
					   CASE WHEN (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.orders'::regclass AND a.attname = 'order_id')
							   = (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = 'csat.returns'::regclass AND a.attname = 'order_id')
							THEN 'r.order_id IN (SELECT o.order_id FROM o)'
							ELSE 'r.order_id::text IN (SELECT o.order_id::text FROM o)' END)
		   INTO extra_hours USING order_hours;
		utc_hours := utc_hours || coalesce(extra_hours, '{}');
	END IF;

	IF rebuild THEN
		DELETE FROM csat.rollup_hourly;
		DELETE FROM csat.rollup_daily;
		q := csat.rollup_sql(false);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz;
			EXECUTE csat.rollup_daily_sql(false) USING tz;
		END IF;
		SELECT array_agg(h.hour ORDER BY h.hour) INTO hours
		  FROM (SELECT DISTINCT r.hour FROM csat.rollup_hourly r) h;
	ELSIF utc_hours IS NOT NULL THEN
		-- local hours overlapping the touched UTC hours (two in half-hour zones)
		SELECT array_agg(DISTINCT date_trunc('hour', u + v.o, tz)) INTO hours
		  FROM unnest(utc_hours) u, (VALUES (interval '0'), (interval '59 min 59.999999 sec')) v(o);
		SELECT array_agg(i.lo ORDER BY i.lo), array_agg(i.hi ORDER BY i.lo) INTO lo, hi
		  FROM (SELECT min(h) AS lo, max(h) + interval '1 hour' AS hi
				  FROM (SELECT h, h - row_number() OVER (ORDER BY h) * interval '1 hour' AS g
						  FROM unnest(hours) h) s
				 GROUP BY g) i;
		DELETE FROM csat.rollup_hourly r WHERE r.hour = ANY (hours);
		q := csat.rollup_sql(true);
		IF q IS NOT NULL THEN
			EXECUTE q USING tz, lo, hi;
		END IF;
		-- and the days holding them, rolled up again from all their hours
		SELECT array_agg(DISTINCT (h AT TIME ZONE tz)::date) INTO days FROM unnest(hours) h;
		SELECT array_agg(d::timestamp AT TIME ZONE tz ORDER BY d), array_agg((d + 1)::timestamp AT TIME ZONE tz ORDER BY d)
		  INTO lo, hi FROM unnest(days) d;
		DELETE FROM csat.rollup_daily r WHERE r.day = ANY (days);
		EXECUTE csat.rollup_daily_sql(true) USING tz, lo, hi;
	END IF;

	INSERT INTO csat.rollup_state AS s (timezone, refreshed_at) VALUES (tz, clock_timestamp())
	ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, refreshed_at = EXCLUDED.refreshed_at;
	INSERT INTO csat.refresh_log
	SELECT t0, clock_timestamp(), date_part('epoch', clock_timestamp() - t0), rebuild, tz,
		   coalesce(cardinality(hours), 0),
		   (SELECT count(DISTINCT (h AT TIME ZONE tz)::date) FROM unnest(hours) h),
		   (SELECT min(h) FROM unnest(hours) h), (SELECT max(h) FROM unnest(hours) h)
	RETURNING * INTO res;
	DELETE FROM csat.refresh_log l
	 WHERE l.started_at < (SELECT min(x.started_at) FROM (SELECT started_at FROM csat.refresh_log
															 ORDER BY started_at DESC LIMIT 100) x);
	RETURN res;
END $$;
COMMENT ON FUNCTION csat.refresh(boolean) IS
'brings csat.rollup_hourly/daily up to date: recomputes only the hours (and their days) whose source rows changed since the last run, as noted by the change-tracking triggers, or everything with full => true (also after a mapping change, a TRUNCATE or a time-zone change, and on every run while a Citus distributed or reference table is mapped); runs inside the caller''s transaction, so readers see the old or the new state, never a mix; a concurrent second call waits for the first (advisory lock 1668506996, 1); returns the csat.refresh_log row of the run';

-- ==== bounded resources (issue 6): grouped sketches spill to disk instead of
-- outgrowing work_mem; CREATE AGGREGATE ... SSPACE = 8192 in src/sketch.sql,
-- which ALTER AGGREGATE cannot set on an existing aggregate
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 8192
 WHERE aggtranstype OPERATOR(pg_catalog.=) 'csat.sketch'::pg_catalog.regtype
   AND aggfnoid IN (SELECT d.objid FROM pg_catalog.pg_depend d
                     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                       AND d.deptype OPERATOR(pg_catalog.=) 'e'
                       AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                               WHERE e.extname OPERATOR(pg_catalog.=) 'csat'));
