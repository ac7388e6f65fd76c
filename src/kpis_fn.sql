/*
 * kpis_fn: the functions of the KPI catalogue (family kpis): checking a
 * definition, the statement that computes the KPIs of one mapped table, the
 * formulas of each measure, the shipped definitions and the long view
 * csat.kpi_values.  Every install and upgrade runs this file (Makefile:
 * REPLAYED): functions are CREATE OR REPLACE, triggers are made again, and the
 * shipped rows of csat.kpis that nobody edited are replaced by this version's.
 */

-- ---------------------------------------------------------------- checking a definition
-- The standard columns of a kind of the given classes.
CREATE OR REPLACE FUNCTION csat.kpi_column_ok(kind text, col text, classes text[]) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT EXISTS (SELECT FROM csat.standard_columns() sc
				WHERE sc.kind OPERATOR(pg_catalog.=) kpi_column_ok.kind AND sc.name OPERATOR(pg_catalog.=) col
				  AND sc.class OPERATOR(pg_catalog.=) ANY (classes))
$$;
COMMENT ON FUNCTION csat.kpi_column_ok(text, text, text[]) IS
'internal: true when col is a standard column of kind whose class (csat.standard_columns()) is one of classes';

-- Checks a definition and returns it with its expressions normalized
-- (csat.kpi_expression); raises 42703 / 22023 quoting what is wrong.
CREATE OR REPLACE FUNCTION csat.kpi_checked(k csat.kpis) RETURNS csat.kpis
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	cols text;
BEGIN
	IF k.measure = 'duration' THEN
		IF k.start_column IS NULL OR k.stop_column IS NULL THEN
			RAISE EXCEPTION 'duration KPI "%" needs start_column and stop_column', k.name USING ERRCODE = '22023';
		END IF;
		FOREACH cols IN ARRAY ARRAY[k.start_column, k.stop_column] LOOP
			IF NOT csat.kpi_column_ok(k.kind, cols, '{ts}') THEN
				RAISE EXCEPTION 'column "%" is not a timestamp column of kind %', cols, k.kind USING ERRCODE = '42703',
					DETAIL = pg_catalog.format('KPI "%s" names it as start or stop.', k.name),
					HINT = pg_catalog.format('The timestamp columns of %s are %s.', k.kind,
						(SELECT pg_catalog.string_agg(sc.name, ', ' ORDER BY sc.ord) FROM csat.standard_columns() sc
						  WHERE sc.kind = k.kind AND sc.class = 'ts'));
			END IF;
		END LOOP;
		IF k.calendar IS NOT NULL AND NOT EXISTS (SELECT FROM csat.calendars c WHERE c.name = k.calendar) THEN
			RAISE EXCEPTION 'calendar "%" does not exist', k.calendar USING ERRCODE = '22023',
				DETAIL = pg_catalog.format('KPI "%s" measures in it.', k.name);
		END IF;
	ELSIF k.start_column IS NOT NULL OR k.stop_column IS NOT NULL OR k.calendar IS NOT NULL OR k.target IS NOT NULL THEN
		RAISE EXCEPTION 'only duration KPIs have start_column, stop_column, calendar and target' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('KPI "%s" is a %s.', k.name, k.measure);
	END IF;
	IF k.measure = 'share' AND k.success IS NULL THEN
		RAISE EXCEPTION 'share KPI "%" needs a success expression', k.name USING ERRCODE = '22023';
	ELSIF k.measure <> 'share' AND k.success IS NOT NULL THEN
		RAISE EXCEPTION 'only share KPIs have a success expression' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('KPI "%s" is a %s.', k.name, k.measure);
	END IF;
	IF k.measure IN ('mean', 'weighted_mean') AND k.value IS NULL THEN
		RAISE EXCEPTION '% KPI "%" needs a value expression', k.measure, k.name USING ERRCODE = '22023';
	ELSIF k.measure NOT IN ('mean', 'weighted_mean', 'nps') AND k.value IS NOT NULL THEN
		RAISE EXCEPTION 'only mean, weighted_mean and nps KPIs have a value expression' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('KPI "%s" is a %s.', k.name, k.measure);
	END IF;
	IF k.measure = 'nps' AND k.value IS NULL THEN
		IF k.kind <> 'surveys' THEN
			RAISE EXCEPTION 'nps KPI "%" needs a value expression', k.name USING ERRCODE = '22023';
		END IF;
		k.value := 'score';
	END IF;
	IF k.weight IS NOT NULL AND k.measure <> 'mean' THEN
		RAISE EXCEPTION 'only mean KPIs have a weight expression' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('KPI "%s" is a %s.', k.name, k.measure);
	END IF;
	IF k.measure = 'ratio' THEN
		IF k.denominator_kind IS NULL THEN
			RAISE EXCEPTION 'ratio KPI "%" needs a denominator_kind', k.name USING ERRCODE = '22023';
		END IF;
		IF k.breakdown IS NOT NULL THEN
			RAISE EXCEPTION 'ratio KPIs have no breakdown' USING ERRCODE = '22023',
				DETAIL = pg_catalog.format('KPI "%s" counts rows of two kinds.', k.name);
		END IF;
	ELSIF k.denominator_kind IS NOT NULL OR k.denominator_filter IS NOT NULL OR k.scale <> 1 THEN
		RAISE EXCEPTION 'only ratio KPIs have denominator_kind, denominator_filter and scale' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('KPI "%s" is a %s.', k.name, k.measure);
	END IF;
	IF k.measure = 'weighted_mean' THEN
		IF k.kind <> 'surveys' OR k.breakdown IS DISTINCT FROM 'dimension' THEN
			IF k.kind <> 'surveys' OR k.breakdown IS NOT NULL THEN
				RAISE EXCEPTION 'weighted_mean KPIs are over the dimensions of surveys' USING ERRCODE = '22023',
					DETAIL = pg_catalog.format('KPI "%s" is of kind %s with breakdown %s.', k.name, k.kind, coalesce(k.breakdown, 'NULL'));
			END IF;
			k.breakdown := 'dimension';
		END IF;
	END IF;
	IF k.period_column IS NOT NULL AND NOT csat.kpi_column_ok(k.kind, k.period_column, '{ts}') THEN
		RAISE EXCEPTION 'column "%" is not a timestamp column of kind %', k.period_column, k.kind USING ERRCODE = '42703',
			DETAIL = pg_catalog.format('KPI "%s" names it as period_column.', k.name);
	END IF;
	IF k.breakdown IS NOT NULL AND NOT csat.kpi_column_ok(k.kind, k.breakdown, '{text,id,int,bool}') THEN
		RAISE EXCEPTION 'column "%" is not a column of kind % to break down by', k.breakdown, k.kind USING ERRCODE = '42703',
			DETAIL = pg_catalog.format('KPI "%s" names it as breakdown.', k.name),
			HINT = pg_catalog.format('Columns of %s to break down by: %s.', k.kind,
				(SELECT pg_catalog.string_agg(sc.name, ', ' ORDER BY sc.ord) FROM csat.standard_columns() sc
				  WHERE sc.kind = k.kind AND sc.class <> ALL ('{ts,float}')));
	END IF;
	k.filter := csat.kpi_expression(k.kind, k.filter, 'boolean');
	k.success := csat.kpi_expression(k.kind, k.success, 'boolean');
	k.value := csat.kpi_expression(k.kind, k.value, 'numeric');
	k.weight := csat.kpi_expression(k.kind, k.weight, 'numeric');
	k.denominator_filter := csat.kpi_expression(k.denominator_kind, k.denominator_filter, 'boolean');
	RETURN k;
END $$;
COMMENT ON FUNCTION csat.kpi_checked(csat.kpis) IS
'internal: checks a csat.kpis row (the fields its measure needs, columns of its kind, a known calendar) and returns it with its expressions normalized by csat.kpi_expression; 42703 for an unknown column, 22023 otherwise';

-- BEFORE INSERT OR UPDATE: check, normalize, note edits of shipped rows.
CREATE OR REPLACE FUNCTION csat.kpis_write() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	shipping boolean := coalesce(pg_catalog.current_setting('csat.shipping', true), '') = 'on';
BEGIN
	IF NEW.enabled THEN
		NEW := csat.kpi_checked(NEW);
	END IF;
	IF TG_OP = 'UPDATE' AND OLD.origin = 'shipped' AND NOT shipping
	   AND (NEW.*) IS DISTINCT FROM (OLD.*) THEN
		NEW.modified := true;
	END IF;
	IF TG_OP = 'INSERT' AND NOT shipping AND NEW.origin = 'shipped' AND NEW.modified THEN
		-- pg_dump restores an edited shipped row over the one CREATE EXTENSION made
		DELETE FROM csat.kpis k WHERE k.name = NEW.name AND k.origin = 'shipped' AND NOT k.modified;
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION csat.kpis_write() IS
'internal: BEFORE INSERT OR UPDATE trigger of csat.kpis: checks an enabled definition and stores its expressions normalized (42703 / 22023); marks an edited shipped row modified; a restored edited shipped row replaces the shipped row of its name';

-- any change of the catalogue or of what durations are judged against: the next
-- refresh recomputes everything
CREATE OR REPLACE FUNCTION csat.kpis_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO csat.changes (kind, hour) VALUES ('kpis', NULL);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION csat.kpis_changed() IS
'internal: statement trigger of csat.kpis, csat.rules and the calendars: notes in csat.changes that the next csat.refresh() recomputes every period';

DROP TRIGGER IF EXISTS kpis_write ON csat.kpis;
CREATE TRIGGER kpis_write BEFORE INSERT OR UPDATE ON csat.kpis
	FOR EACH ROW EXECUTE FUNCTION csat.kpis_write();
DROP TRIGGER IF EXISTS kpis_changed ON csat.kpis;
CREATE TRIGGER kpis_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.kpis
	FOR EACH STATEMENT EXECUTE FUNCTION csat.kpis_changed();
DROP TRIGGER IF EXISTS kpis_changed ON csat.rules;
CREATE TRIGGER kpis_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.rules
	FOR EACH STATEMENT EXECUTE FUNCTION csat.kpis_changed();
DROP TRIGGER IF EXISTS kpis_changed ON csat.calendar_hours;
CREATE TRIGGER kpis_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendar_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csat.kpis_changed();
DROP TRIGGER IF EXISTS kpis_changed ON csat.calendar_holidays;
CREATE TRIGGER kpis_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csat.calendar_holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csat.kpis_changed();

-- Before a refresh, and when a kind is mapped again: every enabled KPI (of the
-- kind) is checked again; one that no longer checks is disabled with a WARNING.
CREATE OR REPLACE FUNCTION csat.check_kpis(kind text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	k csat.kpis;
	n bigint := 0;
	msg text;
BEGIN
	FOR k IN SELECT * FROM csat.kpis x WHERE x.enabled
			   AND (check_kpis.kind IS NULL OR check_kpis.kind IN (x.kind, x.denominator_kind)) ORDER BY x.name LOOP
		BEGIN
			PERFORM csat.kpi_checked(k);
		EXCEPTION WHEN undefined_column OR invalid_parameter_value THEN
			GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
			RAISE WARNING 'KPI "%" is disabled: %', k.name, msg
				USING HINT = 'Correct its definition in csat.kpis and set enabled = true.';
			UPDATE csat.kpis x SET enabled = false WHERE x.name = k.name;
			n := n + 1;
		END;
	END LOOP;
	RETURN n;
END $$;
COMMENT ON FUNCTION csat.check_kpis(text) IS
'checks every enabled KPI of csat.kpis (of one kind, or all with NULL) again and disables, with a WARNING, each one that no longer checks; returns how many were disabled; called by csat.refresh() and csat.map_source';

-- ---------------------------------------------------------------- computing the KPIs of one table
-- The statement csat.source_kpis runs, as the table's owner, for one table mapped
-- as kind: the partial states (csat.kpi_partial) of every enabled KPI counting
-- rows of that kind (and of every ratio KPI whose denominator is of that kind),
-- per hour, channel and segment, and for KPIs with a breakdown also per day,
-- channel, segment and breakdown value.  $1 time zone, $2/$3 the hour ranges
-- and $6/$7 the day ranges (ranged), $5 as_of.  The KPIs are grouped by period column and
-- breakdown: one scan and one GROUP BY per group, then one row per KPI.
-- Expressions are the stored normalized ones, checked again here (the statement
-- runs with search_path = pg_catalog, pg_temp); every other piece is csat's.
CREATE OR REPLACE FUNCTION csat.kpi_parts(kind text)
RETURNS TABLE (kpi text, role text, pc text, breakdown text, d csat.kpis)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
SELECT x.name, 'main', coalesce(x.period_column, csat.period_column(x.kind)), NULL, csat.kpi_checked(x)
  FROM csat.kpis x WHERE x.enabled AND x.kind OPERATOR(pg_catalog.=) kpi_parts.kind
UNION ALL
SELECT x.name, 'main', coalesce(x.period_column, csat.period_column(x.kind)), x.breakdown, csat.kpi_checked(x)
  FROM csat.kpis x WHERE x.enabled AND x.kind OPERATOR(pg_catalog.=) kpi_parts.kind AND x.breakdown IS NOT NULL
UNION ALL
SELECT x.name, 'denominator', csat.period_column(x.denominator_kind), NULL, csat.kpi_checked(x)
  FROM csat.kpis x WHERE x.enabled AND x.measure OPERATOR(pg_catalog.=) 'ratio'
   AND x.denominator_kind OPERATOR(pg_catalog.=) kpi_parts.kind
$$;
COMMENT ON FUNCTION csat.kpi_parts(text) IS
'internal: what a table of the kind contributes to the enabled KPIs: each KPI of the kind (role main; per hour without breakdown, and per day by its breakdown column when it has one) and each ratio KPI whose denominator is of the kind (role denominator), with the period column and breakdown it is grouped by and its definition, checked again';

-- Where the statement of csat.kpi_source_sql carries the measures of the wide
-- rollup (csat.rollup_measures) in its csat.kpi_partial rows: rows named
-- ~<kind><i> (no KPI name starts with ~), counts in the count fields, sums in
-- the float ones, each sketch in a row of its own; slot = the field (1 n ..
-- 14 sketch).
CREATE OR REPLACE FUNCTION csat.rollup_slots()
RETURNS TABLE (name text, kind text, expr text, is_sketch boolean, ord int, row_name text, slot int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT m.name, m.kind, m.expr, m.is_sketch, m.ord,
	   '~' OPERATOR(pg_catalog.||) m.kind OPERATOR(pg_catalog.||) CASE WHEN m.is_sketch THEN m.k ELSE 1 END::pg_catalog.text,
	   CASE WHEN m.is_sketch THEN 14
			WHEN m.fl THEN ('{8,9,10,11}'::pg_catalog.int4[])[m.k]
			ELSE ('{1,2,3,4,5,6,7,12,13}'::pg_catalog.int4[])[m.k] END
  FROM (SELECT rm.*, pg_catalog.row_number() OVER (PARTITION BY rm.kind, rm.is_sketch, rm.fl ORDER BY rm.ord)::pg_catalog.int4 AS k
		  FROM (SELECT r.*, r.name OPERATOR(pg_catalog.=) ANY ('{score_sum,weight_sum,weighted_sum}'::pg_catalog.text[]) AS fl
				  FROM csat.rollup_measures() r) rm) m
$$;
COMMENT ON FUNCTION csat.rollup_slots() IS
'internal: where the partial states of csat.source_kpis carry each measure of csat.rollup_hourly (csat.rollup_measures): the csat.kpi_partial row (kpi ~<kind><i>) and field (slot 1 n .. 14 sketch)';

-- The parts csat.source_kpis computes over a table of the kind, in the order of
-- its statement's input columns: each part of csat.kpi_parts (code: how its
-- figures are counted, src/kpi_scan.c) and each measure of the wide rollup
-- (codes wcount, wsum, wsketch: kpi is its row ~<kind><i> of csat.rollup_slots,
-- slot its field there, input the row's value of it).  grp numbers the groups
-- (period column, breakdown) a row is placed in: one hour (or, with a
-- breakdown, one day and value) per group.
CREATE OR REPLACE FUNCTION csat.kpi_scan_parts(kind text)
RETURNS TABLE (ord int, grp int, kpi text, code text, slot int, pc text, breakdown text, d csat.kpis, input text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
SELECT (pg_catalog.row_number() OVER (ORDER BY p.pc, p.breakdown NULLS FIRST, p.wide, p.kpi, p.role, p.slot))::pg_catalog.int4,
	   (pg_catalog.dense_rank() OVER (ORDER BY p.pc, p.breakdown NULLS FIRST))::pg_catalog.int4,
	   p.kpi, p.code, p.slot, p.pc, p.breakdown, p.d, p.input
  FROM (SELECT k.kpi, k.role, 0 AS wide, 0 AS slot, k.pc, k.breakdown, k.d, NULL::pg_catalog.text AS input,
			   CASE WHEN k.role OPERATOR(pg_catalog.=) 'denominator' THEN 'denominator'
					WHEN (k.d).measure OPERATOR(pg_catalog.=) 'share' AND (k.d).success OPERATOR(pg_catalog.~) 'as_of' THEN 'share_asof'
					WHEN (k.d).measure OPERATOR(pg_catalog.=) 'weighted_mean' THEN 'mean'
					ELSE (k.d).measure END AS code
		  FROM csat.kpi_parts(kpi_scan_parts.kind) k
		UNION ALL
		SELECT rs.row_name, 'wide', 1, rs.slot, csat.period_column(kpi_scan_parts.kind), NULL, NULL,
			   CASE WHEN i.agg OPERATOR(pg_catalog.=) 'count' THEN i.filter
					ELSE pg_catalog.format('CASE WHEN %s THEN (%s)::pg_catalog.float8 END', i.filter, i.value) END,
			   'w' OPERATOR(pg_catalog.||) i.agg
		  FROM csat.rollup_slots() rs JOIN csat.rollup_inputs() i ON i.name OPERATOR(pg_catalog.=) rs.name
		 WHERE rs.kind OPERATOR(pg_catalog.=) kpi_scan_parts.kind) p
$$;
COMMENT ON FUNCTION csat.kpi_scan_parts(text) IS
'internal: the parts csat.source_kpis computes over a table of the kind, in the order of the input columns of csat.kpi_source_sql''s statement: the KPIs'' parts (csat.kpi_parts) with how each is counted (code), then the wide rollup''s measures (codes wcount, wsum, wsketch; kpi the row and slot the field of csat.rollup_slots, input the per-row SQL); grp numbers the groups (period column, breakdown) rows are placed in';

-- The statement csat.source_kpis runs, as the table's owner, for one table
-- mapped as kind: one row per row of the table (or, ranged, per row whose
-- period falls in the ranges of a group, one branch per group) with its group
-- keys -- scope c and s (returns: order_id, NULL), then for each group its
-- period column, which src/kpi_period.c cuts into the hour (or, with a
-- breakdown, the day) in time zone $1, and the breakdown value (NULL where
-- the group has none, or the row no period) -- and then the inputs of each part of
-- csat.kpi_scan_parts, in order: count, ratio, denominator: filter; share:
-- filter, success; mean, nps: filter, value, weight; duration: filter, open,
-- duration (closed), age (open), target, has stop, no start; wcount: filter;
-- wsum, wsketch: value.  src/kpi_scan.c counts them.  $2/$3 the hour ranges,
-- $6/$7 the day ranges (ranged), $5 as_of.  Expressions are the stored
-- normalized ones, checked again here (the statement runs with search_path =
-- pg_catalog, pg_temp); every other piece is csat's.
CREATE OR REPLACE FUNCTION csat.kpi_source_sql(kind text, source regclass, ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m jsonb;
	tbl text;
	c record;
	p record;
	cols text := '';
	extra text := '';
	need_repeat boolean;
	cscope text;
	sscope text;
	ng int;
	-- per group: period column, breakdown, whether it reads the repeat flag,
	-- its keys and its inputs (and the same as typed NULLs)
	gpc text[] := '{}';
	gb text[] := '{}';
	grp_repeat boolean[] := '{}';
	gkeys text[] := '{}';
	gkeys_null text[] := '{}';
	gin text[] := '{}';
	gin_null text[] := '{}';
	inp text[];
	typ text[];
	f text; v text; w text; st text; sp text; d text; age text; tgt text; cl text; op text;
	stmts text[] := '{}';
	sel text;
	lo text; hi text;
BEGIN
	SELECT s.columns, pg_catalog.format('%I.%I', n.nspname, cl.relname) INTO m, tbl
	  FROM csat.sources s JOIN pg_catalog.pg_class cl ON cl.oid OPERATOR(pg_catalog.=) s.source::pg_catalog.oid
	  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) cl.relnamespace
	 WHERE s.kind OPERATOR(pg_catalog.=) kpi_source_sql.kind AND s.source::pg_catalog.oid OPERATOR(pg_catalog.=) kpi_source_sql.source::pg_catalog.oid;
	IF m IS NULL THEN
		RAISE EXCEPTION 'table % is not mapped as %', source, kind USING ERRCODE = '42704';
	END IF;
	ng := 0;
	need_repeat := false;
	FOR p IN SELECT * FROM csat.kpi_scan_parts(kind) sp ORDER BY sp.ord LOOP
		IF pg_catalog.cardinality(gpc) OPERATOR(pg_catalog.<) p.grp THEN
			-- a new group: its keys
			gpc := gpc || p.pc; gb := gb || p.breakdown;
			gkeys := gkeys || pg_catalog.format('x.%I, %s', p.pc,
				CASE WHEN p.breakdown IS NULL THEN 'NULL::pg_catalog.text'
					 ELSE pg_catalog.format('coalesce(x.%I::pg_catalog.text, ''unknown'')', p.breakdown) END);
			gkeys_null := gkeys_null || 'NULL::pg_catalog.timestamptz, NULL::pg_catalog.text'::text;
			grp_repeat := grp_repeat || false;
			gin := gin || ''::text; gin_null := gin_null || ''::text;
			ng := p.grp;
		END IF;
		IF p.code OPERATOR(pg_catalog.^@) 'w' THEN
			inp := ARRAY[p.input];
			typ := ARRAY[CASE WHEN p.code = 'wcount' THEN 'bool' ELSE 'float8' END];
		ELSE
			IF kind = 'tickets' AND pg_catalog.concat_ws(' ', (p.d).filter, (p.d).success, (p.d).value, (p.d).weight, (p.d).denominator_filter)
					OPERATOR(pg_catalog.~) 'repeat_contact' THEN
				grp_repeat[p.grp] := true;
				need_repeat := true;
			END IF;
			f := coalesce(CASE WHEN p.code = 'denominator' THEN (p.d).denominator_filter ELSE (p.d).filter END, 'true');
			IF p.code IN ('count', 'ratio', 'denominator') THEN
				inp := ARRAY[f]; typ := '{bool}';
			ELSIF p.code IN ('share', 'share_asof') THEN
				inp := ARRAY[f, (p.d).success]; typ := '{bool,bool}';
			ELSIF p.code IN ('mean', 'nps') THEN
				v := '(' || (p.d).value || ')::pg_catalog.float8';
				w := CASE WHEN (p.d).weight IS NULL THEN '1::pg_catalog.float8' ELSE 'coalesce((' || (p.d).weight || ')::pg_catalog.float8, 1::pg_catalog.float8)' END;
				inp := ARRAY[f, v, w]; typ := '{bool,float8,float8}';
			ELSE
				-- duration: start to stop; open = no stop yet as of $5; the target is the
				-- KPI's, else the breach of the matching rows rule (per channel, segment)
				st := pg_catalog.format('x.%I', (p.d).start_column);
				sp := pg_catalog.format('x.%I', (p.d).stop_column);
				IF (p.d).calendar IS NULL THEN
					d := pg_catalog.format('pg_catalog.date_part(''epoch'', %s OPERATOR(pg_catalog.-) %s)', sp, st);
					age := pg_catalog.format('pg_catalog.date_part(''epoch'', x.as_of OPERATOR(pg_catalog.-) %s)', st);
				ELSE
					d := pg_catalog.format('CASE WHEN %1$s OPERATOR(pg_catalog.>=) %2$s THEN csat.business_elapsed(%2$s, %1$s, %3$L) ELSE -1::pg_catalog.float8 END', sp, st, (p.d).calendar);
					age := pg_catalog.format('CASE WHEN x.as_of OPERATOR(pg_catalog.>=) %1$s THEN csat.business_elapsed(%1$s, x.as_of, %2$L) ELSE -1::pg_catalog.float8 END', st, (p.d).calendar);
				END IF;
				IF (p.d).target IS NOT NULL THEN
					tgt := pg_catalog.format('%s::pg_catalog.float8', (p.d).target);
				ELSE
					SELECT 'CASE' || pg_catalog.string_agg(pg_catalog.format(' WHEN %s THEN %s::pg_catalog.float8',
							pg_catalog.concat_ws(' AND ', 'true',
								CASE WHEN r.channel IS NOT NULL THEN pg_catalog.format('x.channel OPERATOR(pg_catalog.=) %L', r.channel) END,
								CASE WHEN r.segment IS NOT NULL THEN pg_catalog.format('x.segment OPERATOR(pg_catalog.=) %L', r.segment) END),
							r.breach), '' ORDER BY (r.segment IS NOT NULL)::int OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.+) (r.channel IS NOT NULL)::int DESC, r.name) || ' END'
					  INTO tgt
					  FROM csat.rules r WHERE r.enabled AND r.applies_to OPERATOR(pg_catalog.=) 'rows' AND r.metric OPERATOR(pg_catalog.=) p.kpi
					   AND (kind <> 'returns' OR (r.channel IS NULL AND r.segment IS NULL));
					tgt := coalesce(tgt, 'NULL::pg_catalog.float8');
				END IF;
				cl := pg_catalog.format('%s IS NOT NULL AND %s OPERATOR(pg_catalog.<=) x.as_of', st, sp);
				op := pg_catalog.format('%1$s IS NOT NULL AND (%2$s IS NULL OR %2$s OPERATOR(pg_catalog.>) x.as_of)', st, sp);
				inp := ARRAY[f, op, pg_catalog.format('CASE WHEN %s THEN %s END', cl, d), pg_catalog.format('CASE WHEN %s THEN %s END', op, age),
							 tgt, sp || ' IS NOT NULL', st || ' IS NULL'];
				typ := '{bool,bool,float8,float8,float8,bool,bool}';
			END IF;
		END IF;
		SELECT pg_catalog.string_agg(pg_catalog.format(', (%s)::pg_catalog.%s', e.e, e.t), '' ORDER BY e.o),
			   pg_catalog.string_agg(pg_catalog.format(', NULL::pg_catalog.%s', e.t), '' ORDER BY e.o)
		  INTO v, w
		  FROM ROWS FROM (pg_catalog.unnest(inp), pg_catalog.unnest(typ)) WITH ORDINALITY AS e(e, t, o);
		gin[p.grp] := gin[p.grp] || v;
		gin_null[p.grp] := gin_null[p.grp] || w;
	END LOOP;

	-- the standard columns, typed as csat.kpi_columns() says
	FOR c IN SELECT sc.name, sc.class, a.atttypid AS typ FROM csat.standard_columns() sc
			   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) source::pg_catalog.oid
					AND a.attname OPERATOR(pg_catalog.=) (m OPERATOR(pg_catalog.->>) sc.name) AND a.attnum OPERATOR(pg_catalog.>) 0
			  WHERE sc.kind OPERATOR(pg_catalog.=) kpi_source_sql.kind ORDER BY sc.ord LOOP
		cols := cols || csat.column_sql(c.class, m OPERATOR(pg_catalog.->>) c.name, c.typ) || ' AS ' || pg_catalog.quote_ident(c.name) || ', ';
	END LOOP;
	cols := cols || '$5::pg_catalog.timestamptz AS as_of';
	IF need_repeat THEN
		-- a ticket whose customer opened another in the 7 days before it
		cols := cols || CASE WHEN m OPERATOR(pg_catalog.?) 'customer_id' THEN pg_catalog.format(
			', CASE WHEN t.%1$I IS NOT NULL AND pg_catalog.isfinite(t.%2$I) THEN coalesce(t.%2$I OPERATOR(pg_catalog.-) pg_catalog.lag(t.%2$I)'
			' OVER (PARTITION BY t.%1$I, pg_catalog.isfinite(t.%2$I) ORDER BY t.%2$I) OPERATOR(pg_catalog.<=) ''7 days''::pg_catalog.interval, false) END AS repeat_contact',
			m OPERATOR(pg_catalog.->>) 'customer_id', m OPERATOR(pg_catalog.->>) 'opened_at')
			ELSE ', NULL::pg_catalog.bool AS repeat_contact' END;
	END IF;
	IF kind = 'surveys' THEN
		-- what the wide rollup's measures read (csat.rollup_inputs)
		extra := ', coalesce(x.scale_max, 5) AS sc, coalesce(x.weight, 1::pg_catalog.float8) AS w';
	END IF;
	IF kind = 'returns' THEN
		-- returns take channel and segment from their order: keyed by order_id here
		cscope := 'x.order_id'; sscope := 'NULL::pg_catalog.text';
	ELSE
		cscope := 'coalesce(x.channel, ''unknown'')'; sscope := 'coalesce(x.segment, ''unknown'')';
	END IF;


	-- one scan of the table, or (ranged) one branch per group whose period
	-- column the table maps, reading the rows in its ranges by index
	FOR g IN 1 .. ng LOOP
		CONTINUE WHEN ranged AND NOT m OPERATOR(pg_catalog.?) gpc[g];
		sel := pg_catalog.format('%s AS c, %s AS s', cscope, sscope);
		FOR k IN 1 .. ng LOOP
			sel := sel || ', ' || CASE WHEN NOT ranged OR k = g THEN gkeys[k] ELSE gkeys_null[k] END;
		END LOOP;
		FOR k IN 1 .. ng LOOP
			sel := sel || CASE WHEN NOT ranged OR k = g THEN gin[k] ELSE gin_null[k] END;
		END LOOP;
		IF NOT ranged THEN
			stmts := stmts || pg_catalog.format('SELECT %s FROM (SELECT x.*%s FROM (SELECT %s FROM %s t) x) x', sel, extra, cols, tbl);
			EXIT;
		END IF;
		-- hours are cut by the hour ranges $2/$3, breakdown values by day ($6/$7);
		-- a window over the customer's tickets needs the 7 days before them too
		lo := CASE WHEN gb[g] IS NULL THEN '$2' ELSE '$6' END;
		hi := CASE WHEN gb[g] IS NULL THEN '$3' ELSE '$7' END;
		stmts := stmts || pg_catalog.format('SELECT %s FROM (SELECT x.*%s FROM (SELECT %s FROM %s t%s) x%s) x WHERE x.%I IS NOT NULL',
			sel, extra, cols, tbl,
			CASE WHEN grp_repeat[g] THEN pg_catalog.format(' WHERE t.%1$I OPERATOR(pg_catalog.>=) ((SELECT pg_catalog.min(l.l) FROM pg_catalog.unnest(%2$s) l(l))'
					' OPERATOR(pg_catalog.-) ''7 days''::pg_catalog.interval)', m OPERATOR(pg_catalog.->>) 'opened_at', lo)
				 ELSE pg_catalog.format(' JOIN ROWS FROM (pg_catalog.unnest(%2$s), pg_catalog.unnest(%3$s)) AS r(lo, hi)'
					' ON t.%1$I OPERATOR(pg_catalog.>=) r.lo AND t.%1$I OPERATOR(pg_catalog.<) r.hi', m OPERATOR(pg_catalog.->>) gpc[g], lo, hi) END,
			CASE WHEN grp_repeat[g] THEN pg_catalog.format(' JOIN ROWS FROM (pg_catalog.unnest(%2$s), pg_catalog.unnest(%3$s)) AS r(lo, hi)'
					' ON x.%1$I OPERATOR(pg_catalog.>=) r.lo AND x.%1$I OPERATOR(pg_catalog.<) r.hi', gpc[g], lo, hi) ELSE '' END,
			gpc[g]);
	END LOOP;
	RETURN nullif(pg_catalog.array_to_string(stmts, ' UNION ALL '), '');
END $$;
COMMENT ON FUNCTION csat.kpi_source_sql(text, regclass, boolean) IS
'internal: the statement csat.source_kpis runs, as the table''s owner, to read one table mapped as kind: per row its group keys (scope, then each group''s period and breakdown value: src/kpi_period.c cuts the periods into hours or days in the time zone $1) and the inputs of every part of csat.kpi_scan_parts ($2/$3 hour and $6/$7 day ranges when ranged, $5 as_of); NULL when ranged and no group''s period column is mapped';

CREATE OR REPLACE FUNCTION csat.source_kpis(kind text, source regclass, tz text, lo timestamptz[], hi timestamptz[],
										   as_of timestamptz, day_lo timestamptz[] DEFAULT NULL, day_hi timestamptz[] DEFAULT NULL)
RETURNS SETOF csat.kpi_partial
AS 'MODULE_PATHNAME', 'csat_source_kpis' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csat.source_kpis(text, regclass, text, timestamptz[], timestamptz[], timestamptz, timestamptz[], timestamptz[]) IS
'internal: the partial states of every enabled KPI over one mapped table per hour (cut in tz) and scope, and per day, scope and breakdown value, over every period or the hours in [lo[i], hi[i]) and the days in [day_lo[i], day_hi[i]), as of as_of; computed as the table''s owner (restricted, search_path pinned) by the statement of csat.kpi_source_sql, after checking that the caller may SELECT the table and is not subject to its row security (42501)';

-- The sum of counts, as a bigint: pg_catalog.sum(bigint) adds up in numeric
-- (a 128-bit state, then a numeric result to cast back), which costs several
-- times int8pl, for counts that never come near 2^63 (an overflow is an error,
-- as the cast was).  0 over no rows.
CREATE OR REPLACE AGGREGATE csat.total(bigint) (
	SFUNC = pg_catalog.int8pl, STYPE = bigint, COMBINEFUNC = pg_catalog.int8pl, INITCOND = '0', PARALLEL = SAFE);
COMMENT ON AGGREGATE csat.total(bigint) IS 'the sum of bigint counts as a bigint (NULLs skipped; 0 over no rows; 22003 on overflow): what the KPI rollups and views add their counts up with';

-- csat.rollup without its final encoding: the merged sketch in the working
-- layout it is merged in (a csat.sketch like any other, read by every sketch
-- function and output in the canonical text and binary forms, but bin by bin
-- rather than compact).  csat.kpi_states merges the hours' totals and the weeks,
-- months and quarters with it: csat.kpi_figures and csat.kpi_bounds then read
-- each merged sketch without decoding it, and nothing is encoded only to be
-- decoded twice (the alert evaluation: 4 % fewer instructions).  To store a
-- merged sketch, use csat.rollup.
CREATE OR REPLACE AGGREGATE csat._rollup(csat.sketch) (
	SFUNC = csat._sketch_combine, STYPE = csat.sketch, COMBINEFUNC = csat._sketch_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE csat._rollup(csat.sketch) IS 'internal: csat.rollup without the final encoding (the merged sketch in its working layout, larger than the compact one: read it, store csat.rollup''s); csat.kpi_states merges with it';

-- The state columns of the rollups and how they merge.
CREATE OR REPLACE FUNCTION csat.kpi_state_sql(alias text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT pg_catalog.string_agg(CASE WHEN c OPERATOR(pg_catalog.=) 'sketch' THEN pg_catalog.format('csat.rollup(%I.sketch)', alias)
								  WHEN c OPERATOR(pg_catalog.~~) 'sum\_%' THEN pg_catalog.format('pg_catalog.sum(%I.%I)', alias, c)
								  ELSE pg_catalog.format('csat.total(%I.%I)', alias, c) END, ', ' ORDER BY o)
  FROM pg_catalog.unnest('{n,hits,misses,open_n,overdue_n,pending_n,excluded_n,sum_w,sum_wx,sum_wx2,sum_w2,promoters,detractors,sketch}'::text[])
	   WITH ORDINALITY AS u(c, o)
$$;
COMMENT ON FUNCTION csat.kpi_state_sql(text) IS
'internal: the select list merging the KPI state columns (n .. sketch) of the rows aliased alias: counts and sums added, sketches merged';

-- The statement that recomputes the KPI rollups from the sources: over
-- everything, or (ranged) the whole days in [$2[i], $3[i]) (also passed as
-- $5/$6); $1 time zone, $4 as_of.  Each table's partial states come from
-- csat.source_kpis (as its owner): per hour, channel and segment into
-- csat.kpi_rollup_hourly, and per day with their totals over channel, segment
-- and breakdown value into csat.kpi_rollup_daily, both added up in the same
-- pass (src/kpi_scan.c).  Returns get channel and segment from their order
-- (grouped by order_id there), so their days and totals are added up here; so
-- are the rows of ratios (numerator and denominator come from two kinds) and,
-- with two tables of a kind, every row.  The same read carries the measures of
-- the wide rollup csat.rollup_hourly (0.3 views), which this statement writes
-- too: one pass over the sources rather than two.
CREATE OR REPLACE FUNCTION csat.kpi_rollup_sql(ranged boolean) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	bounds text := CASE WHEN ranged THEN '$2, $3, $4, $5, $6' ELSE 'NULL, NULL, $4, NULL, NULL' END;
	cols text := 'n, hits, misses, open_n, overdue_n, pending_n, excluded_n, sum_w, sum_wx, sum_wx2, sum_w2, promoters, detractors, sketch';
	-- one table per kind: each (period, KPI, scope) of a KPI that is not a ratio
	-- (whose numerator and denominator come from two kinds) comes from one row of
	-- one table, and needs no merging
	unique_rows boolean := NOT EXISTS (SELECT FROM csat.sources s WHERE s.kind OPERATOR(pg_catalog.<>) 'returns'
										 GROUP BY s.kind HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1);
	ratios text := (SELECT pg_catalog.quote_literal(coalesce(pg_catalog.array_agg(k.name), '{}')::text) || '::pg_catalog.text[]'
					  FROM csat.kpis k WHERE k.enabled AND k.measure OPERATOR(pg_catalog.=) 'ratio');
	-- the rows of the wide rollup (named ~..., csat.rollup_slots) and the KPIs'
	wide text := 'x.kpi OPERATOR(pg_catalog.^@) ''~''';
	kpi_rows text := 'NOT x.kpi OPERATOR(pg_catalog.^@) ''~''';
	collist text;
	pivot text;
	outer_sel text;
BEGIN
	IF NOT EXISTS (SELECT FROM csat.sources) THEN
		RETURN NULL;
	END IF;
	-- csat.rollup_hourly: each measure taken from its row and field of the partial
	-- states and summed per hour, channel and segment (sorted, so that the
	-- sketches are merged group by group), then the 'all' rows rolled up from
	-- those few rows
	SELECT pg_catalog.string_agg(pg_catalog.quote_ident(rs.name), ', ' ORDER BY rs.ord),
		   pg_catalog.string_agg(CASE WHEN rs.is_sketch
									  THEN pg_catalog.format('csat.rollup(x.sketch) FILTER (WHERE x.kpi OPERATOR(pg_catalog.=) %L) AS %I', rs.row_name, rs.name)
									  WHEN rs.slot BETWEEN 8 AND 11
									  THEN pg_catalog.format('coalesce(pg_catalog.sum(x.%I) FILTER (WHERE x.kpi OPERATOR(pg_catalog.=) %L), 0::pg_catalog.float8) AS %I',
															 c.col, rs.row_name, rs.name)
									  ELSE pg_catalog.format('csat.total(x.%I) FILTER (WHERE x.kpi OPERATOR(pg_catalog.=) %L) AS %I',
															 c.col, rs.row_name, rs.name) END, ', ' ORDER BY rs.ord),
		   pg_catalog.string_agg(CASE WHEN rs.is_sketch THEN pg_catalog.format('csat.rollup(u.%1$I) AS %1$I', rs.name)
									  WHEN rs.slot BETWEEN 8 AND 11 THEN pg_catalog.format('pg_catalog.sum(u.%1$I) AS %1$I', rs.name)
									  ELSE pg_catalog.format('csat.total(u.%1$I) AS %1$I', rs.name) END, ', ' ORDER BY rs.ord)
	  INTO collist, pivot, outer_sel
	  FROM csat.rollup_slots() rs
	  JOIN pg_catalog.unnest(pg_catalog.string_to_array(cols, ', ')) WITH ORDINALITY AS c(col, slot) ON c.slot OPERATOR(pg_catalog.=) rs.slot;
	RETURN pg_catalog.format(
		'WITH p AS MATERIALIZED (SELECT k.* FROM csat.sources s CROSS JOIN LATERAL csat.source_kpis(s.kind, s.source, $1, %1$s) k'
		' WHERE s.kind OPERATOR(pg_catalog.<>) ''returns''),'
		' r AS MATERIALIZED (SELECT k.* FROM csat.sources s CROSS JOIN LATERAL csat.source_kpis(s.kind, s.source, $1, %1$s) k'
		' WHERE s.kind OPERATOR(pg_catalog.=) ''returns''),'
		' ok AS MATERIALIZED (SELECT DISTINCT ON (o.id) o.id, o.channel, o.segment FROM csat.sources s CROSS JOIN LATERAL'
		' csat.source_rows(s.kind, s.source, ''order_keys'', NULL, NULL,'
		' (SELECT pg_catalog.array_agg(DISTINCT r.c) FROM r WHERE r.c IS NOT NULL)) o'
		' WHERE s.kind OPERATOR(pg_catalog.=) ''orders'' AND EXISTS (SELECT FROM r) ORDER BY o.id, s.source::pg_catalog.oid),'
		' ru AS MATERIALIZED (SELECT r.h, coalesce(o.channel, ''unknown'') AS c, coalesce(o.segment, ''unknown'') AS s, r.b, r.kpi,'
		' r.n, r.hits, r.misses, r.open_n, r.overdue_n, r.pending_n, r.excluded_n, r.sum_w, r.sum_wx, r.sum_wx2, r.sum_w2,'
		' r.promoters, r.detractors, r.sketch, r.totals FROM r LEFT JOIN ok o ON o.id OPERATOR(pg_catalog.=) r.c),'
		-- the returns' days, with their totals over channel and segment
		' rd (day, kpi, totals, c, s, b, %2$s) AS MATERIALIZED (SELECT (u.h AT TIME ZONE $1)::pg_catalog.date, u.kpi,'
		' (grouping(u.c, u.s) OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.+) CASE WHEN u.b IS NULL THEN 1 ELSE 0 END)::pg_catalog.int2,'
		' u.c, u.s, u.b, %3$s FROM ru u WHERE NOT u.kpi OPERATOR(pg_catalog.^@) ''~'''
		' GROUP BY (u.h AT TIME ZONE $1)::pg_catalog.date, u.kpi, u.b, CUBE (u.c, u.s)),'
		' w AS (INSERT INTO csat.rollup_hourly (hour, channel, segment, %5$s)'
		' SELECT u.hour, CASE WHEN grouping(u.channel) OPERATOR(pg_catalog.=) 1 THEN ''all'' ELSE u.channel END,'
		' CASE WHEN grouping(u.segment) OPERATOR(pg_catalog.=) 1 THEN ''all'' ELSE u.segment END, %7$s'
		' FROM (SELECT f.* FROM (SELECT x.h AS hour, x.c AS channel, x.s AS segment, %6$s'
		' FROM (SELECT p.* FROM p UNION ALL SELECT ru.* FROM ru) x WHERE %8$s GROUP BY x.h, x.c, x.s) f'
		' ORDER BY f.hour, f.channel, f.segment) u'
		' GROUP BY GROUPING SETS ((u.hour, u.channel, u.segment), (u.hour, u.channel), (u.hour, u.segment), (u.hour))),'
		' d AS (INSERT INTO csat.kpi_rollup_daily (day, kpi, totals, channel, segment, breakdown, %2$s) %9$s)'
		' INSERT INTO csat.kpi_rollup_hourly (period, kpi, totals, channel, segment, breakdown, %2$s) %4$s',
		bounds, cols, csat.kpi_state_sql('u'),
		CASE WHEN unique_rows
			 THEN pg_catalog.format('SELECT x.h, x.kpi, 1::pg_catalog.int2, x.c, x.s, NULL, %1$s FROM p x'
									' WHERE x.totals IS NULL AND x.b IS NULL AND x.kpi OPERATOR(pg_catalog.<>) ALL (%3$s) AND %4$s'
									' UNION ALL SELECT u.h, u.kpi, 1::pg_catalog.int2, u.c, u.s, NULL, %2$s'
									' FROM (SELECT p.* FROM p WHERE p.totals IS NULL AND p.b IS NULL AND p.kpi OPERATOR(pg_catalog.=) ANY (%3$s)'
									' UNION ALL SELECT x.* FROM ru x WHERE x.b IS NULL AND %4$s) u GROUP BY u.h, u.kpi, u.c, u.s',
									'x.' || pg_catalog.replace(cols, ', ', ', x.'), csat.kpi_state_sql('u'), ratios, kpi_rows)
			 ELSE pg_catalog.format('SELECT u.h, u.kpi, 1::pg_catalog.int2, u.c, u.s, NULL, %s'
									' FROM (SELECT p.* FROM p UNION ALL SELECT ru.* FROM ru) u'
									' WHERE u.totals IS NULL AND u.b IS NULL AND NOT u.kpi OPERATOR(pg_catalog.^@) ''~'''
									' GROUP BY u.h, u.kpi, u.c, u.s', csat.kpi_state_sql('u')) END,
		collist, pivot, outer_sel, wide,
		-- the days: as they come (one row per key), and merged where a key has more
		CASE WHEN unique_rows
			 THEN pg_catalog.format('SELECT (x.h AT TIME ZONE $1)::pg_catalog.date, x.kpi, x.totals, x.c, x.s, x.b, %1$s FROM p x'
									' WHERE x.totals IS NOT NULL AND x.kpi OPERATOR(pg_catalog.<>) ALL (%3$s)'
									' UNION ALL SELECT y.day, y.kpi, y.totals, y.c, y.s, y.b, %4$s FROM rd y'
									' WHERE y.kpi OPERATOR(pg_catalog.<>) ALL (%3$s)'
									' UNION ALL SELECT u.day, u.kpi, u.totals, u.c, u.s, u.b, %2$s'
									' FROM (SELECT (x.h AT TIME ZONE $1)::pg_catalog.date AS day, x.kpi, x.totals, x.c, x.s, x.b, %1$s FROM p x'
									' WHERE x.totals IS NOT NULL AND x.kpi OPERATOR(pg_catalog.=) ANY (%3$s)'
									' UNION ALL SELECT y.* FROM rd y WHERE y.kpi OPERATOR(pg_catalog.=) ANY (%3$s)) u'
									' GROUP BY u.day, u.kpi, u.totals, u.c, u.s, u.b',
									'x.' || pg_catalog.replace(cols, ', ', ', x.'), csat.kpi_state_sql('u'), ratios,
									'y.' || pg_catalog.replace(cols, ', ', ', y.'))
			 ELSE pg_catalog.format('SELECT u.day, u.kpi, u.totals, u.c, u.s, u.b, %2$s'
									' FROM (SELECT (x.h AT TIME ZONE $1)::pg_catalog.date AS day, x.kpi, x.totals, x.c, x.s, x.b, %1$s FROM p x'
									' WHERE x.totals IS NOT NULL UNION ALL SELECT y.* FROM rd y) u'
									' GROUP BY u.day, u.kpi, u.totals, u.c, u.s, u.b',
									'x.' || pg_catalog.replace(cols, ', ', ', x.'), csat.kpi_state_sql('u')) END);
END $$;
COMMENT ON FUNCTION csat.kpi_rollup_sql(boolean) IS
'internal: builds the statement csat.refresh() runs to recompute csat.kpi_rollup_hourly, csat.kpi_rollup_daily (every row: days, breakdown values and their totals) and csat.rollup_hourly from one read of each mapped table (csat.source_kpis): all periods, or with ranged the whole days in [$2[i], $3[i]) (the same as $5/$6); $1 time zone, $4 as_of; NULL without mapped tables';

-- ---------------------------------------------------------------- the shipped catalogue
-- The KPIs of the teams' quality plans (docs/kpis.md lists them with their
-- formulas and targets).  An update replaces the shipped rows nobody edited;
-- edited ones (modified) and the users' own stay.
SELECT pg_catalog.set_config('csat.shipping', 'on', true);
DELETE FROM csat.kpis k WHERE k.origin OPERATOR(pg_catalog.=) 'shipped' AND NOT k.modified;
INSERT INTO csat.kpis AS k (name, kind, measure, filter, success, value, weight, start_column, stop_column, target,
						   period_column, breakdown, denominator_kind, scale, higher_is_better, unit, description, origin)
SELECT v.name, v.kind, v.measure, v.filter, v.success, v.value, v.weight, v.start_column, v.stop_column, v.target,
	   v.period_column, v.breakdown, v.denominator_kind, coalesce(v.scale, 1), v.higher_is_better, v.unit, v.description, 'shipped'
  FROM (VALUES
	-- satisfaction (CSAT answers: scale_max 5, the default)
	('csat_rate', 'surveys', 'share', 'coalesce(scale_max, 5) = 5', 'CASE WHEN score BETWEEN 1 AND 5 THEN score >= 4 END', NULL, NULL, NULL, NULL, NULL::float8, NULL, NULL, NULL, NULL::float8, true, 'fraction',
	 'CSAT rate (top-2-box): share of answers scoring 4 or 5 on a 1-5 scale (off-scale scores excluded, counted in excluded_n); plans: >= 85-90 %'),
	('very_satisfied_rate', 'surveys', 'share', 'coalesce(scale_max, 5) = 5', 'CASE WHEN score BETWEEN 1 AND 5 THEN score = 5 END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'very satisfied (top-box): share of answers scoring 5 on a 1-5 scale; plans: >= 70 %'),
	('mean_score', 'surveys', 'mean', 'coalesce(scale_max, 5) = 5', NULL, 'CASE WHEN score BETWEEN 1 AND 5 THEN score END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'score 1-5',
	 'mean score of the 1-5 answers'),
	('weighted_score', 'surveys', 'mean', 'coalesce(scale_max, 5) = 5', NULL, 'CASE WHEN score BETWEEN 1 AND 5 THEN score END', 'weight', NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'score 1-5',
	 'weighted satisfaction over answers: sum(w * score) / sum(w) with each answer''s weight (NULL = 1); plans: +10 % vs the baseline year'),
	('satisfaction_index', 'surveys', 'weighted_mean', 'coalesce(scale_max, 5) = 5', NULL, 'CASE WHEN score BETWEEN 1 AND 5 THEN score END', NULL, NULL, NULL, NULL, NULL, 'dimension', NULL, NULL, true, 'score 1-5',
	 'weighted satisfaction index over dimensions: sum(w_d * mean_d) / sum(w_d) with the weights of csat.dimension_weights (logistics, service, product, after-sales...); plans: +10 % vs the baseline year'),
	('logistics_satisfaction', 'surveys', 'share', 'coalesce(scale_max, 5) = 5 AND dimension = ''logistics''', 'CASE WHEN score BETWEEN 1 AND 5 THEN score >= 4 END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'CSAT rate of the answers about delivery (dimension logistics); plans: +10 %'),
	('service_satisfaction', 'surveys', 'share', 'coalesce(scale_max, 5) = 5 AND dimension = ''service''', 'CASE WHEN score BETWEEN 1 AND 5 THEN score >= 4 END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'CSAT rate of the answers about service attitude (dimension service)'),
	('product_satisfaction', 'surveys', 'share', 'coalesce(scale_max, 5) = 5 AND dimension = ''product''', 'CASE WHEN score BETWEEN 1 AND 5 THEN score >= 4 END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'CSAT rate of the answers about product quality (dimension product)'),
	('return_satisfaction', 'surveys', 'share', 'coalesce(scale_max, 5) = 5 AND dimension IN (''returns'', ''after-sales'')', 'CASE WHEN score BETWEEN 1 AND 5 THEN score >= 4 END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'CSAT rate of the answers about returns and after-sales (dimension returns or after-sales); plans: >= 92 %'),
	('complaint_satisfaction', 'surveys', 'share', 'coalesce(scale_max, 5) = 5 AND dimension = ''complaint''', 'CASE WHEN score BETWEEN 1 AND 5 THEN score >= 4 END', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'CSAT rate of the answers about handled complaints (dimension complaint); plans: >= 90 %'),
	('nps', 'surveys', 'nps', 'scale_max = 10', NULL, 'score', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'points',
	 'net promoter score of the 0-10 answers: % promoters (9-10) - % detractors (0-6), from -100 to 100'),
	('survey_response_rate', 'surveys', 'share', 'sent_at IS NOT NULL',
	 'CASE WHEN answered_at <= as_of THEN true WHEN as_of - sent_at > interval ''7 days'' THEN false END', NULL, NULL, NULL, NULL, NULL, 'sent_at', NULL, NULL, NULL, true, 'fraction',
	 'answered surveys / surveys sent, by the hour sent; a survey unanswered for 7 days counts as not answered, a younger one is pending; plans: >= 85 %'),
	('responses', 'surveys', 'count', 'coalesce(scale_max, 5) = 5 AND score IS NOT NULL', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'answers',
	 'CSAT answers (1-5 scale) received'),
	-- orders, logistics
	('orders', 'orders', 'count', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'orders',
	 'orders placed'),
	('delivery_time', 'orders', 'duration', NULL, NULL, NULL, NULL, 'ordered_at', 'delivered_at', NULL, NULL, NULL, NULL, NULL, false, 'seconds',
	 'delivery time, delivered_at - ordered_at (percentiles and mean of delivered orders; open_n: not delivered yet); plans: -15 % vs the baseline'),
	('late_delivery_rate', 'orders', 'share', 'promised_at IS NOT NULL',
	 'CASE WHEN delivered_at <= as_of THEN delivered_at > promised_at WHEN promised_at < as_of THEN true END', NULL, NULL, NULL, NULL, NULL, NULL, 'merchant', NULL, NULL, false, 'fraction',
	 '(delivered after promised_at + undelivered past promised_at) / (delivered + undelivered past promised_at); orders not yet due are pending, a NULL promised_at is left out; per merchant'),
	('delivery_exception_rate', 'orders', 'share', 'delivered_at IS NOT NULL OR exception', 'coalesce(exception, false)', NULL, NULL, NULL, NULL, NULL, NULL, 'merchant', NULL, NULL, false, 'fraction',
	 'delivery exceptions (lost, damaged, delayed) / deliveries (orders delivered or with an exception); per merchant; plans: <= 1.5 %'),
	('follow_up_rate_48h', 'orders', 'share', 'delivered_at IS NOT NULL',
	 'CASE WHEN followed_up_at <= as_of THEN followed_up_at - delivered_at <= interval ''48 hours'' WHEN as_of - delivered_at > interval ''48 hours'' THEN false END',
	 NULL, NULL, NULL, NULL, NULL, 'delivered_at', NULL, NULL, NULL, true, 'fraction',
	 'deliveries followed up within 48 h / deliveries, by the hour delivered; a delivery younger than 48 h without follow-up is pending; plans: >= 75 %'),
	('order_coverage', 'orders', 'share', NULL, 'promised_at IS NOT NULL', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'monitoring coverage of orders: share with a promised delivery time, which late_delivery_rate can judge; plans: 100 %'),
	-- tickets, complaints, service response
	('tickets', 'tickets', 'count', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 'tickets',
	 'service tickets opened'),
	('complaints', 'tickets', 'count', 'is_complaint', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'category', NULL, NULL, false, 'complaints',
	 'complaints opened, per category (the top complaint reasons)'),
	('complaint_rate', 'tickets', 'ratio', 'is_complaint', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'orders', 1, false, 'fraction',
	 'complaints / orders, a fraction as in the 0.3 views and their rules (x 1,000 for per mille; complaints by the ticket''s channel and hour opened, orders by their own); plans: -20 % year over year'),
	('complaint_handling_rate_24h', 'tickets', 'share', 'is_complaint',
	 'CASE WHEN resolved_at <= as_of THEN resolved_at - opened_at <= interval ''24 hours'' WHEN as_of - opened_at > interval ''24 hours'' THEN false END',
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'complaints closed within 24 h / complaints; one still open past 24 h is a miss, a younger open one is pending; plans: >= 90-100 %'),
	('return_complaint_share', 'tickets', 'share', 'is_complaint', 'coalesce(category = ''returns'', false)', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 'fraction',
	 'complaints about returns (category returns) / complaints; plans: -20 %'),
	('repeat_contact_rate', 'tickets', 'share', NULL, 'repeat_contact', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 'fraction',
	 'tickets whose customer opened another in the 7 days before / tickets (tickets without customer_id are left out)'),
	('first_response', 'tickets', 'duration', NULL, NULL, NULL, NULL, 'opened_at', 'first_response_at', NULL, NULL, NULL, NULL, NULL, false, 'seconds',
	 'first response time, first_response_at - opened_at; attainment within the breach of the first_response rows rule per channel and segment (chat <= 3 min, email <= 24 h); plans: attainment >= 95 %'),
	('resolution', 'tickets', 'duration', NULL, NULL, NULL, NULL, 'opened_at', 'resolved_at', NULL, NULL, NULL, NULL, NULL, false, 'seconds',
	 'resolution time, resolved_at - opened_at; attainment within the breach of the resolution rows rule, if any'),
	('complaint_resolution', 'tickets', 'duration', 'is_complaint', NULL, NULL, NULL, 'opened_at', 'resolved_at', 86400, NULL, NULL, NULL, NULL, false, 'seconds',
	 'resolution time of complaints; attainment within 24 h (open past 24 h: overdue, a miss)'),
	('resolution_rate', 'tickets', 'share', NULL, 'resolved_at IS NOT NULL', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'resolved tickets / tickets opened; plans: 80 % -> 95 %'),
	('ticket_coverage', 'tickets', 'share', NULL, 'channel IS NOT NULL', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, 'fraction',
	 'monitoring coverage of inquiries: share with a channel, which the per-channel response targets can judge; plans: 100 %'),
	-- returns
	('returns', 'returns', 'count', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'reason', NULL, NULL, false, 'returns',
	 'returns requested, per reason'),
	('return_processing', 'returns', 'duration', NULL, NULL, NULL, NULL, 'requested_at', 'completed_at', NULL, NULL, NULL, NULL, NULL, false, 'seconds',
	 'return processing time, completed_at (refund issued) - requested_at; plans: -15 % vs the baseline'),
	('return_rate', 'returns', 'ratio', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'orders', 1, false, 'fraction',
	 'returns requested / orders placed (returns by their order''s channel)')
  ) AS v(name, kind, measure, filter, success, value, weight, start_column, stop_column, target,
		 period_column, breakdown, denominator_kind, scale, higher_is_better, unit, description)
ON CONFLICT (name) DO NOTHING;
SELECT pg_catalog.set_config('csat.shipping', 'off', true);

-- ---------------------------------------------------------------- reading the KPIs
-- The figures of one state, one formula per measure (src/kpi_figures.c; 95 %
-- two-sided intervals, z = 1.959964): share Wilson; ratio and count the Poisson score interval of the
-- count; mean a normal interval with Kish's effective n (sum_w^2 / sum_w2); nps
-- the trinomial variance; durations: percentiles from the sketch, mean of the
-- closed items, attainment hits / (hits + misses), no interval.
CREATE OR REPLACE FUNCTION csat.kpi_figures(measure text, scale float8, n bigint, hits bigint, misses bigint,
										   sum_w float8, sum_wx float8, sum_wx2 float8, sum_w2 float8,
										   promoters bigint, detractors bigint, sketch csat.sketch,
										   OUT value float8, OUT low float8, OUT high float8, OUT p50 float8, OUT p90 float8,
										   OUT p95 float8, OUT p99 float8, OUT mean float8, OUT attainment float8)
AS 'MODULE_PATHNAME', 'csat_kpi_figures' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.kpi_figures(text, float8, bigint, bigint, bigint, float8, float8, float8, float8, bigint, bigint, csat.sketch) IS
'the figures of a KPI state (csat.kpi_rollup_*): value (share: hits/n; ratio: scale*hits/n; count: n; nps: 100*(promoters-detractors)/n; mean: sum_wx/sum_w; duration: p95), its 95 % interval low/high (share: Wilson; ratio, count: Poisson score interval of the count; mean: normal with Kish''s effective n; nps: trinomial variance; duration: none), and for durations p50/p90/p95/p99 (within the sketch''s 1 % relative accuracy), the mean of closed items and attainment hits/(hits+misses)';

-- the period compared with: mom (an hour or a day with the same one a month
-- earlier, a week with the one 4 weeks earlier, a month or quarter with the
-- previous one) or yoy (a year earlier; a week 52 weeks earlier), in zone tz
CREATE OR REPLACE FUNCTION csat.kpi_shift(grain text, period_start timestamptz, compare text, tz text) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'csat_kpi_shift' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.kpi_shift(text, timestamptz, text, text) IS
'the start of the period a period of the grain is compared with: mom (hour, day: a month earlier; week: 4 weeks earlier; month: the previous month; quarter: the previous quarter) or yoy (a year earlier; week: 52 weeks earlier), on the wall clock of time zone tz';

-- the end of a period of the grain starting at start, on the wall clock of tz
CREATE OR REPLACE FUNCTION csat.period_end(grain text, start timestamptz, tz text) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'csat_period_end' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.period_end(text, timestamptz, text) IS 'internal: the end of the period of the grain (hour .. quarter) that starts at start, on the wall clock of time zone tz';
-- the most specific enabled rule of a metric and scope (src/kpi_figures.c): the
-- rule of csat.rules with applies_to whose channel and segment match (NULL: any),
-- both set first, then a segment rule, then a channel rule, then by name
CREATE OR REPLACE FUNCTION csat.kpi_rule(applies_to text, metric text, channel text, segment text) RETURNS text
AS 'MODULE_PATHNAME', 'csat_kpi_rule' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.kpi_rule(text, text, text, text) IS 'the name of the enabled csat.rules rule of applies_to (kpi or rows) that grades metric in the scope channel, segment (NULL = a total): a rule''s NULL channel or segment matches any; a rule with both set wins, then a segment rule, then a channel rule (as for the watch triggers), then the first name; NULL when none matches';

-- The states of every grain: hours (totals over channel and segment added up
-- here), days, and weeks, months and quarters rolled up from the days.
-- (weeks, months and quarters: one branch each, with its grain a constant, so
-- that a query's filter on grain skips the others without reading a row)
DO $do$
BEGIN
	EXECUTE 'CREATE OR REPLACE VIEW csat.kpi_states AS ' || $v$
-- (the hours' totals by plain GROUP BYs, not grouping sets: a query's filter on
-- grain, period_start or kpi then reaches every branch)
SELECT 'hour'::text AS grain, h.period AS period_start, h.kpi, h.totals, h.channel, h.segment, h.breakdown,
	   h.n, h.hits, h.misses, h.open_n, h.overdue_n, h.pending_n, h.excluded_n, h.sum_w, h.sum_wx, h.sum_wx2, h.sum_w2,
	   h.promoters, h.detractors, h.sketch, (h.period AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st))::date AS day
  FROM csat.kpi_rollup_hourly h
UNION ALL
-- (the three totals in one read of the hours: each row once per kind of total)
SELECT 'hour', h.period, h.kpi, t.totals, CASE WHEN t.totals = 3 THEN h.channel END, CASE WHEN t.totals = 5 THEN h.segment END, NULL,
	   csat.total(h.n), csat.total(h.hits), csat.total(h.misses), csat.total(h.open_n),
	   csat.total(h.overdue_n), csat.total(h.pending_n), csat.total(h.excluded_n),
	   sum(h.sum_w), sum(h.sum_wx), sum(h.sum_wx2), sum(h.sum_w2),
	   csat.total(h.promoters), csat.total(h.detractors), csat._rollup(h.sketch), (h.period AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st))::date
  FROM csat.kpi_rollup_hourly h CROSS JOIN (VALUES (3::int2), (5::int2), (7::int2)) t(totals)
 GROUP BY h.period, h.kpi, t.totals, CASE WHEN t.totals = 3 THEN h.channel END, CASE WHEN t.totals = 5 THEN h.segment END
UNION ALL
SELECT 'day', (d.day::timestamp AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st)), d.kpi, d.totals, d.channel, d.segment, d.breakdown,
	   d.n, d.hits, d.misses, d.open_n, d.overdue_n, d.pending_n, d.excluded_n, d.sum_w, d.sum_wx, d.sum_wx2, d.sum_w2,
	   d.promoters, d.detractors, d.sketch, d.day
  FROM csat.kpi_rollup_daily d
$v$ || (SELECT pg_catalog.string_agg(pg_catalog.format($b$
UNION ALL
SELECT %1$L::text, (pg_catalog.date_trunc(%1$L, d.day::timestamp) AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st)),
	   d.kpi, d.totals, d.channel, d.segment, d.breakdown,
	   csat.total(d.n), csat.total(d.hits), csat.total(d.misses), csat.total(d.open_n), csat.total(d.overdue_n),
	   csat.total(d.pending_n), csat.total(d.excluded_n), sum(d.sum_w), sum(d.sum_wx), sum(d.sum_wx2), sum(d.sum_w2),
	   csat.total(d.promoters), csat.total(d.detractors), csat._rollup(d.sketch), pg_catalog.date_trunc(%1$L, d.day::timestamp)::date
  FROM csat.kpi_rollup_daily d
 GROUP BY pg_catalog.date_trunc(%1$L, d.day::timestamp), d.kpi, d.totals, d.channel, d.segment, d.breakdown$b$, g.grain), '' ORDER BY g.o)
		  FROM pg_catalog.unnest('{week,month,quarter}'::text[]) WITH ORDINALITY g(grain, o));
END $do$;
COMMENT ON VIEW csat.kpi_states IS
'the mergeable KPI states of csat.kpi_rollup_hourly/daily at every grain (hour, day, week, month, quarter; periods start on the wall clock of csat.rollup_state.timezone, weeks on Monday), with the totals over channel, segment and breakdown value (NULL there; totals = grouping(channel, segment, breakdown)); csat.kpi_values computes the figures from them';

DO $$
DECLARE
	c text[];
BEGIN
	FOREACH c SLICE 1 IN ARRAY ARRAY[
		['grain', 'hour, day, week (Monday), month or quarter'],
		['period_start', 'start of the period, on the wall clock of the csat time zone'],
		['kpi', 'csat.kpis.name'],
		['totals', 'grouping(channel, segment, breakdown): 4 total over channels, 2 over segments, 1 over breakdown values'],
		['channel', 'channel; NULL = total over channels'],
		['segment', 'customer segment; NULL = total over segments'],
		['breakdown', 'value of the KPI''s breakdown column; NULL = total over the values (or no breakdown)'],
		['n', 'state: rows counted (csat.kpi_rollup_hourly)'], ['hits', 'state: successes, numerator rows, attained items'],
		['misses', 'state: items late or open past the target'], ['open_n', 'state: items open at as_of'],
		['overdue_n', 'state: open items past the target'], ['pending_n', 'state: items whose state changes with time'],
		['excluded_n', 'state: rows covered but not countable'], ['sum_w', 'state: sum of weights'],
		['sum_wx', 'state: sum of weight * value'], ['sum_wx2', 'state: sum of weight * value^2'],
		['sum_w2', 'state: sum of weight^2'], ['promoters', 'state: NPS answers 9-10'],
		['detractors', 'state: NPS answers 0-6'], ['sketch', 'state: sketch of the closed items'' durations'],
		['day', 'the day (csat time zone) the period starts on: an index-friendly key of period_start']] LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.kpi_states.%I IS %L', c[1], c[2]);
	END LOOP;
END $$;

-- the weight of a dimension on a day (csat.dimension_weights; 1 for every
-- dimension while the table is empty, 0 for a dimension it does not list)
CREATE OR REPLACE FUNCTION csat.dimension_weight(dimension text, day date) RETURNS float8
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN NOT EXISTS (SELECT FROM csat.dimension_weights) THEN 1::float8
			ELSE coalesce((SELECT w.weight FROM csat.dimension_weights w
							WHERE w.dimension = dimension_weight.dimension AND w.valid_from <= dimension_weight.day
							ORDER BY w.valid_from DESC LIMIT 1), 0::float8) END
$$;
COMMENT ON FUNCTION csat.dimension_weight(text, date) IS
'the weight of a survey dimension on a day: the csat.dimension_weights row with the latest valid_from on or before it; 0 for a dimension the table does not list; 1 for every dimension while the table is empty';

-- the weighted_mean index of a period and scope: sum(w_d * mean_d) / sum(w_d)
-- over the dimension rows (breakdown values) of the period, with the weights of
-- its first day (csat.kpi_levels for the period, csat.kpi_values for the
-- compared ones)
CREATE OR REPLACE FUNCTION csat.kpi_index(grain text, period_start timestamptz, kpi text, totals int2, channel text, segment text)
RETURNS float8
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT pg_catalog.sum(x.w * x.m) / NULLIF(pg_catalog.sum(x.w), 0::float8)
  FROM (SELECT s.sum_wx / s.sum_w AS m, csat.dimension_weight(s.breakdown, s.day) AS w
		  FROM csat.kpi_states s
		 WHERE s.grain = kpi_index.grain AND s.period_start = kpi_index.period_start AND s.kpi = kpi_index.kpi
		   AND s.totals = kpi_index.totals - 1::int2
		   AND s.day = (kpi_index.period_start AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st))::date
		   AND s.breakdown IS NOT NULL AND s.sum_w > 0::float8
		   AND s.channel IS NOT DISTINCT FROM kpi_index.channel AND s.segment IS NOT DISTINCT FROM kpi_index.segment) x
$$;
COMMENT ON FUNCTION csat.kpi_index(text, timestamptz, text, int2, text, text) IS
'internal: the weighted_mean index of a period and scope of csat.kpi_states: sum(w_d * mean_d) / sum(w_d) over its dimension rows, w_d = csat.dimension_weight on the period''s first day';

-- the weighted_mean index of a period and scope with its interval at confidence:
-- {index, low, high}, the half-width the dimensions' own intervals (csat.kpi_bounds:
-- a t interval on Kish's effective n) combined in quadrature with their weights,
-- sqrt(sum(w_d^2 h_d^2)) / sum(w_d); a dimension with too few items for an
-- interval (+/-Infinity) makes the index's infinite; confidence NULL: {index,
-- index, index} (the raw figure)
CREATE OR REPLACE FUNCTION csat.kpi_index_bounds(index float8, grain text, period_start timestamptz, kpi text, totals int2,
												 channel text, segment text, confidence float8)
RETURNS float8[]
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT ARRAY[index, index - y.h, index + y.h]
  FROM (SELECT pg_catalog.sqrt(pg_catalog.sum(x.w * x.w * ((x.b[3] - x.b[2]) / 2::float8) * ((x.b[3] - x.b[2]) / 2::float8)))
			   / NULLIF(pg_catalog.sum(x.w), 0::float8) AS h
		  FROM (SELECT csat.dimension_weight(s.breakdown, s.day) AS w,
					   csat.kpi_bounds('weighted_mean', 1::float8, s.n, s.hits, s.misses, s.sum_w, s.sum_wx, s.sum_wx2, s.sum_w2,
									   s.promoters, s.detractors, NULL::csat.sketch, NULL::text, kpi_index_bounds.confidence) AS b
				  FROM csat.kpi_states s
				 WHERE s.grain = kpi_index_bounds.grain AND s.period_start = kpi_index_bounds.period_start
				   AND s.kpi = kpi_index_bounds.kpi AND s.totals = kpi_index_bounds.totals - 1::int2
				   AND s.day = (kpi_index_bounds.period_start AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st))::date
				   AND s.breakdown IS NOT NULL AND s.sum_w > 0::float8
				   AND s.channel IS NOT DISTINCT FROM kpi_index_bounds.channel AND s.segment IS NOT DISTINCT FROM kpi_index_bounds.segment) x
		 WHERE x.w > 0::float8) y
$$;
COMMENT ON FUNCTION csat.kpi_index_bounds(float8, text, timestamptz, text, int2, text, text, float8) IS
'internal: {index, low, high} of the weighted_mean index of a period and scope (csat.kpi_index) at confidence: the dimensions'' t intervals (csat.kpi_bounds, Kish''s effective n) combined in quadrature with their weights on the period''s first day; +/-Infinity when a weighted dimension has too few items; confidence NULL: the index three times';

-- Every KPI per grain, period and scope with its figures and its level against
-- the plain (not change) rule that grades it: what csat.kpi_values shows without
-- the comparisons, and what the alerts read (each row needs only its own state).
CREATE OR REPLACE VIEW csat.kpi_levels AS
SELECT k.grain, k.period_start, k.kpi, k.totals, k.channel, k.segment, d.breakdown AS breakdown_by, k.breakdown,
	   v.value, k.n, f.low, f.high,
	   CASE WHEN d.measure = 'duration' THEN coalesce(d.target, rr.breach) ELSE r.breach END AS target,
	   CASE WHEN r.name IS NULL OR r.compare IS NOT NULL OR g.n < r.min_samples OR g.n = 0 THEN NULL::csat.level
			-- (no bounds: the figure itself is not past the warning threshold, see g)
			WHEN g.b IS NULL THEN 'ok'::csat.level
			ELSE csat.threshold_check(CASE WHEN r.higher_is_worse THEN g.b[2] ELSE g.b[3] END, r.warning, r.breach, r.higher_is_worse)
	   END AS level,
	   f.p50, f.p90, f.p95, f.p99, f.mean, f.attainment,
	   CASE WHEN d.measure = 'duration' THEN k.open_n END AS open_n,
	   CASE WHEN d.measure = 'duration' THEN k.overdue_n END AS overdue_n,
	   r.name AS rule, CASE WHEN r.compare IS NOT NULL THEN NULL::float8 WHEN r.higher_is_worse THEN bb.b[2] ELSE bb.b[3] END AS bound,
	   bb.b AS bounds, lc.confidence AS confidence, g.n AS judged_n, d.measure, k.day
  FROM csat.kpi_states k
  JOIN csat.kpis d ON d.name = k.kpi
  -- the last refresh's time zone and as_of, and the looks an open period gets (one row, read once)
  -- (LIMIT 1: the table has one row at most, and the planner then knows it)
  LEFT JOIN (SELECT st.timezone, st.as_of, coalesce((SELECT s.alert_looks FROM csat.settings s), 6)::float8 AS looks
			   FROM csat.rollup_state st LIMIT 1) st ON true
  CROSS JOIN LATERAL csat.kpi_figures(d.measure, d.scale, k.n, k.hits, k.misses, k.sum_w, k.sum_wx, k.sum_wx2, k.sum_w2,
									  k.promoters, k.detractors, k.sketch) f
  -- weighted_mean: the value of a row without breakdown is the index over dimensions
  CROSS JOIN LATERAL (SELECT CASE WHEN d.measure = 'weighted_mean' AND k.breakdown IS NULL
								  THEN csat.kpi_index(k.grain, k.period_start, k.kpi, k.totals, k.channel, k.segment)
								  ELSE f.value END AS value) v
  -- the most specific matching kpi rule, and for durations without a target of
  -- their own the matching rows rule's breach
  -- (a period still open at the last refresh's as_of is judged at every refresh:
  -- its confidence is Bonferroni-corrected for settings.alert_looks looks)
  -- (csat.kpi_rule reads the rules once per statement: a lookup per row cost an
  -- index scan and a sort; the rules are then joined, not looked up per row, so
  -- that the planner can hash the few of them: the look's confidence is computed
  -- apart, in lc, and the join does not depend on the row)
  LEFT JOIN csat.rules r ON r.name = csat.kpi_rule('kpi', k.kpi, k.channel, k.segment)
  CROSS JOIN LATERAL (SELECT CASE WHEN csat.period_end(k.grain, k.period_start, st.timezone) > st.as_of
								  THEN 1::float8 - (1::float8 - r.confidence) / st.looks
								  ELSE r.confidence END AS confidence) lc
  -- (for durations without a target of their own only: the others pass NULL)
  LEFT JOIN csat.rules rr ON rr.name = CASE WHEN d.measure = 'duration' AND d.target IS NULL
											THEN csat.kpi_rule('rows', k.kpi, k.channel, k.segment) END
  -- the figure the rule judges with its interval at the rule's confidence ({value,
  -- low, high}, csat.kpi_bounds, never NULL; NULL confidence: the raw figure; the
  -- weighted_mean index over dimensions: csat.kpi_index_bounds), computed here only where the
  -- figure itself is past the warning threshold: every interval holds its
  -- figure, so elsewhere the level is ok whatever the bounds, which are the
  -- costly part (csat.kpi_bounds inverts distributions and decodes sketches); b
  -- is NULL there (see bb)
  LEFT JOIN LATERAL (SELECT CASE WHEN d.measure = 'weighted_mean' AND k.breakdown IS NULL
								 THEN csat.kpi_index_bounds(v.value, k.grain, k.period_start, k.kpi, k.totals, k.channel, k.segment, lc.confidence)
								 WHEN csat.threshold_check(CASE WHEN d.measure <> 'duration' THEN f.value
																WHEN r.statistic IS NULL OR r.statistic = 'p95' THEN f.p95
																WHEN r.statistic = 'attainment' THEN f.attainment WHEN r.statistic = 'p50' THEN f.p50
																WHEN r.statistic = 'p90' THEN f.p90 WHEN r.statistic = 'p99' THEN f.p99 ELSE f.mean END,
														   r.warning, r.breach, r.higher_is_worse) = 'ok'::csat.level THEN NULL::float8[]
								 ELSE csat.kpi_bounds(d.measure, d.scale, k.n, k.hits, k.misses, k.sum_w, k.sum_wx, k.sum_wx2, k.sum_w2,
													  k.promoters, k.detractors, k.sketch, r.statistic, lc.confidence) END AS b,
							 -- (the items the judged figure counts: attainment counts the
							 -- open items past their target too)
							 CASE WHEN d.measure = 'duration' AND r.statistic = 'attainment' THEN k.hits + k.misses ELSE k.n END AS n) g
	   ON r.name IS NOT NULL
  -- the bounds of every graded row, completed where a query reads them (bound, bounds)
  CROSS JOIN LATERAL (SELECT CASE WHEN r.name IS NULL THEN NULL::float8[]
								  ELSE coalesce(g.b, csat.kpi_bounds(d.measure, d.scale, k.n, k.hits, k.misses, k.sum_w, k.sum_wx, k.sum_wx2, k.sum_w2,
																	 k.promoters, k.detractors, k.sketch, r.statistic, lc.confidence)) END AS b) bb;
COMMENT ON VIEW csat.kpi_levels IS
'csat.kpi_values without the comparisons (mom, yoy, baseline): every KPI per grain, period and scope with its figures, and its level against the matching kpi rule judged on the pessimistic end of the figure''s interval (bound; bounds = {value, low, high} at the rule''s confidence, csat.kpi_bounds; for a period still open at the last refresh at 1 - (1 - confidence) / settings.alert_looks); each row reads only its own period''s state, so narrow and wide reads stay cheap; a change rule''s level is in csat.kpi_values';

-- Every KPI with its comparisons, in one part per grain written once ({...}
-- filled in below): the hours and the days, whose compared periods are looked
-- up row by row (LIMIT 1 keeps the lookup a subquery of its own, so that the
-- period's key reaches the index of csat.kpi_rollup_hourly, through the hours'
-- totals too, or of csat.kpi_rollup_daily, and tells the planner what holds: a
-- key has one state row; estimated at several, the lookups pushed wide reads over
-- the cost at which JIT compiles, for seconds), and the weeks, months and
-- quarters, rolled up from the days (a lookup would read the KPI's whole
-- history), where the planner joins the histories.  (Planned as a join, the
-- hours' lookups joined every hour of the history and their totals: 57 s for
-- every KPI and scope of the last 24 hours at demo scale 1, 0.2 s looked up;
-- docs/kpis.md.)  Each part is SELECT '<grain>' AS grain, v.* FROM (WITH fence
-- AS (SELECT) <the part>) v: its grain a constant of a one-relation branch, so
-- that the planner folds a query's filter on grain against it and drops the
-- parts of other grains before planning them (the unused WITH keeps the part
-- from being merged into that branch; a query's other filters still reach it).
-- A read of one grain plans one part: 11-25 ms against 26-51 ms with three
-- parts planned in full (docs/kpis.md).
DO $do$
DECLARE
	body text := $v$
SELECT l.period_start, l.kpi, l.channel, l.segment, l.breakdown_by, l.breakdown,
	   l.value, l.n, l.low, l.high, l.target,
	   CASE WHEN rc.compare IS NULL THEN l.level
			WHEN l.judged_n < rc.min_samples OR l.judged_n = 0 THEN NULL::csat.level
			ELSE csat.threshold_check(c.bound, rc.warning, rc.breach, rc.higher_is_worse) END AS level,
	   l.value - vm.value AS mom, l.value - vy.value AS yoy, l.value - fb.value AS vs_baseline,
	   CASE WHEN vm.value > 0::float8 THEN (l.value - vm.value) / vm.value END AS mom_pct,
	   CASE WHEN vy.value > 0::float8 THEN (l.value - vy.value) / vy.value END AS yoy_pct,
	   CASE WHEN fb.value > 0::float8 THEN (l.value - fb.value) / fb.value END AS vs_baseline_pct,
	   l.p50, l.p90, l.p95, l.p99, l.mean, l.attainment, l.open_n, l.overdue_n,
	   l.rule, CASE WHEN rc.compare IS NULL THEN l.bound ELSE c.bound END AS bound
  FROM csat.kpi_levels l
  JOIN csat.kpis d ON d.name = l.kpi
  -- the compared periods' starts and days
  CROSS JOIN LATERAL (SELECT csat.kpi_shift(l.grain, l.period_start, 'mom', (SELECT st.timezone FROM csat.rollup_state st)) AS m_start,
							 csat.kpi_shift(l.grain, l.period_start, 'yoy', (SELECT st.timezone FROM csat.rollup_state st)) AS y_start) sh
  CROSS JOIN LATERAL (SELECT (sh.m_start AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st))::date AS m_day,
							 (sh.y_start AT TIME ZONE (SELECT st.timezone FROM csat.rollup_state st))::date AS y_day) sd
  -- the compared period's state (by its day, an indexed key: looked up per row for
  -- hours and days, LIMIT 1; joined for the other grains)
  LEFT JOIN LATERAL (SELECT x.* FROM csat.kpi_states x
					  WHERE x.grain = {grain} AND x.kpi = l.kpi AND x.totals = l.totals
						AND x.day = sd.m_day AND x.period_start = sh.m_start
						AND x.channel IS NOT DISTINCT FROM l.channel AND x.segment IS NOT DISTINCT FROM l.segment
						AND x.breakdown IS NOT DISTINCT FROM l.breakdown{lookup}) m ON true
  LEFT JOIN LATERAL (SELECT x.* FROM csat.kpi_states x
					  WHERE x.grain = {grain} AND x.kpi = l.kpi AND x.totals = l.totals
						AND x.day = sd.y_day AND x.period_start = sh.y_start
						AND x.channel IS NOT DISTINCT FROM l.channel AND x.segment IS NOT DISTINCT FROM l.segment
						AND x.breakdown IS NOT DISTINCT FROM l.breakdown{lookup}) y ON true
  -- the compared figures (the weighted_mean index for a row without breakdown)
  CROSS JOIN LATERAL (SELECT CASE WHEN m.kpi IS NULL THEN NULL::float8
								 WHEN l.measure = 'weighted_mean' AND m.breakdown IS NULL
								 THEN csat.kpi_index(m.grain, m.period_start, m.kpi, m.totals, m.channel, m.segment)
								 ELSE (csat.kpi_figures(l.measure, d.scale, m.n, m.hits, m.misses, m.sum_w, m.sum_wx, m.sum_wx2, m.sum_w2,
														m.promoters, m.detractors, m.sketch)).value END AS value) vm
  CROSS JOIN LATERAL (SELECT CASE WHEN y.kpi IS NULL THEN NULL::float8
								 WHEN l.measure = 'weighted_mean' AND y.breakdown IS NULL
								 THEN csat.kpi_index(y.grain, y.period_start, y.kpi, y.totals, y.channel, y.segment)
								 ELSE (csat.kpi_figures(l.measure, d.scale, y.n, y.hits, y.misses, y.sum_w, y.sum_wx, y.sum_wx2, y.sum_w2,
														y.promoters, y.detractors, y.sketch)).value END AS value) vy
  -- the baseline days' state
  LEFT JOIN (SELECT b.kpi, b.totals, b.channel, b.segment, b.breakdown,
					csat.total(b.n) AS n, csat.total(b.hits) AS hits, csat.total(b.misses) AS misses,
					sum(b.sum_w) AS sum_w, sum(b.sum_wx) AS sum_wx, sum(b.sum_wx2) AS sum_wx2, sum(b.sum_w2) AS sum_w2,
					csat.total(b.promoters) AS promoters, csat.total(b.detractors) AS detractors, csat._rollup(b.sketch) AS sketch
			   FROM csat.kpi_rollup_daily b JOIN csat.settings s ON b.day BETWEEN s.baseline_start AND s.baseline_end
			  GROUP BY 1, 2, 3, 4, 5) b
	   ON b.kpi = l.kpi AND b.totals = l.totals AND coalesce(b.channel, '') = coalesce(l.channel, '')
	   AND coalesce(b.segment, '') = coalesce(l.segment, '') AND coalesce(b.breakdown, '') = coalesce(l.breakdown, '')
  LEFT JOIN LATERAL csat.kpi_figures(l.measure, d.scale, b.n, b.hits, b.misses, b.sum_w, b.sum_wx, b.sum_wx2, b.sum_w2,
									 b.promoters, b.detractors, b.sketch) fb ON l.measure <> 'weighted_mean' OR l.breakdown IS NOT NULL
  -- a change rule (compare set) grading this row: the change against the compared
  -- period's figure, judged on its interval (csat.change_bounds of the two
  -- periods' intervals at the rule's confidence; the weighted_mean index has none)
  LEFT JOIN csat.rules rc ON rc.name = l.rule AND rc.compare IS NOT NULL
  LEFT JOIN LATERAL (
	SELECT CASE WHEN rc.higher_is_worse THEN x.b[2] ELSE x.b[3] END AS bound
	  FROM (SELECT csat.change_bounds(l.bounds[1], l.bounds[2], l.bounds[3], o.b[1], o.b[2], o.b[3], rc.change = 'relative') AS b
			  FROM (SELECT CASE WHEN l.measure = 'weighted_mean' AND l.breakdown IS NULL
								THEN ARRAY[s.wm, s.wm, s.wm]
								ELSE csat.kpi_bounds(l.measure, d.scale, s.n, s.hits, s.misses, s.sum_w, s.sum_wx, s.sum_wx2, s.sum_w2,
													 s.promoters, s.detractors, s.sketch, rc.statistic, l.confidence) END AS b
					  FROM (SELECT m.n, m.hits, m.misses, m.sum_w, m.sum_wx, m.sum_wx2, m.sum_w2, m.promoters, m.detractors, m.sketch,
								   vm.value AS wm WHERE rc.compare = 'mom'
							UNION ALL
							SELECT y.n, y.hits, y.misses, y.sum_w, y.sum_wx, y.sum_wx2, y.sum_w2, y.promoters, y.detractors, y.sketch,
								   vy.value WHERE rc.compare = 'yoy'
							UNION ALL
							SELECT b.n, b.hits, b.misses, b.sum_w, b.sum_wx, b.sum_wx2, b.sum_w2, b.promoters, b.detractors, b.sketch,
								   fb.value WHERE rc.compare = 'baseline') s) o) x) c
	   ON rc.name IS NOT NULL
 WHERE l.grain = {grain}$v$;
	part text[];
	q text := '';
BEGIN
	-- (grain, the lookups' LIMIT: hours and days looked up, the others joined)
	FOREACH part SLICE 1 IN ARRAY ARRAY[['hour', ' LIMIT 1'], ['day', ' LIMIT 1'], ['week', ''], ['month', ''], ['quarter', '']] LOOP
		q := q || CASE WHEN q = '' THEN '' ELSE E'\nUNION ALL' END
			|| E'\nSELECT ' || pg_catalog.quote_literal(part[1]) || E'::text AS grain, v.* FROM (WITH fence AS (SELECT)'
			|| pg_catalog.replace(pg_catalog.replace(body, '{grain}', pg_catalog.quote_literal(part[1]) || '::text'),
				'{lookup}', part[2]) || E'\n) v';
	END LOOP;
	EXECUTE 'CREATE OR REPLACE VIEW csat.kpi_values AS' || q;
END $do$;
COMMENT ON VIEW csat.kpi_values IS
'every KPI of csat.kpis (enabled when last refreshed) per grain (hour, day, week, month, quarter), period, channel, segment and breakdown value, in long form for BI tools and alerting; NULL in channel, segment or breakdown = the total over it (''unknown'' = the source had no value); read from the rollups kept by csat.refresh()';
DO $$
DECLARE
	c text[];
BEGIN
	FOREACH c SLICE 1 IN ARRAY ARRAY[
		['grain', 'hour, day, week (Monday), month or quarter'],
		['period_start', 'start of the period, on the wall clock of the csat time zone'],
		['kpi', 'csat.kpis.name'],
		['channel', 'channel; NULL = total over channels'],
		['segment', 'customer segment; NULL = total over segments'],
		['breakdown_by', 'the KPI''s breakdown column (NULL: none)'],
		['breakdown', 'value of the breakdown column (per day and longer grains); NULL = total over the values'],
		['value', 'the KPI: share and ratio as fractions (ratio times its scale), nps in points, count, mean, duration p95 in seconds, weighted_mean the index over dimensions'],
		['n', 'items counted (ratio: denominator rows; duration: closed items)'],
		['low', 'lower end of the 95 % two-sided interval of value (csat.kpi_figures), NULL where the measure has none'],
		['high', 'upper end of that interval'],
		['target', 'durations: the KPI''s target or the matching rows rule''s breach (seconds); other measures: the breach of the matching kpi rule'],
		['level', 'ok, warning or breach from the matching csat.rules rule of applies_to kpi (column rule), judged on bound: the guarded verdict (docs/alerts.md); NULL without a rule or with fewer than its min_samples items'],
		['mom', 'value minus the value of the compared period (csat.kpi_shift mom)'],
		['yoy', 'value minus the value a year earlier (a week: 52 weeks)'],
		['vs_baseline', 'value minus its value over the baseline days of csat.settings'],
		['mom_pct', 'mom relative to the earlier value (a fraction; NULL when that is <= 0)'],
		['yoy_pct', 'yoy relative to the earlier value (NULL when that is <= 0)'],
		['vs_baseline_pct', 'vs_baseline relative to the baseline value (NULL when that is <= 0)'],
		['p50', 'durations: median of the closed items, seconds'],
		['p90', 'durations: 90th percentile, seconds'],
		['p95', 'durations: 95th percentile, seconds'],
		['p99', 'durations: 99th percentile, seconds'],
		['mean', 'durations: mean of the closed items, seconds'],
		['attainment', 'durations: closed within target / (closed + open past target); open items younger than the target are pending, not counted'],
		['open_n', 'durations: items still open at the refresh''s as_of'],
		['overdue_n', 'durations: open items past the target'],
		['rule', 'the csat.rules rule (applies_to kpi) that grades this row: the most specific one matching channel and segment'],
		['bound', 'the figure the rule judges (its statistic for durations; for a change rule the change against its compare period, csat.change_bounds) at the pessimistic end of its interval at the rule''s confidence (csat.kpi_bounds): the lower end when higher is worse, else the upper end; the raw figure when the rule''s confidence is NULL']] LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.kpi_values.%I IS %L', c[1], c[2]);
	END LOOP;
END $$;
DO $$
DECLARE
	c text[];
BEGIN
	FOREACH c SLICE 1 IN ARRAY ARRAY[
		['totals', 'grouping(channel, segment, breakdown), as in csat.kpi_states'],
		['level', 'the level against the matching kpi rule (rule) judged on bound; NULL without a rule, below its min_samples, or for a change rule (csat.kpi_values has those)'],
		['bound', 'the pessimistic end of the figure''s interval at the rule''s confidence: bounds[2] when higher is worse, else bounds[3]'],
		['bounds', '{value, low, high} of the figure the rule judges (its statistic for durations) at the rule''s confidence (csat.kpi_bounds)'],
		['confidence', 'the two-sided confidence the row was judged at: the rule''s, or for a period still open at the last refresh 1 - (1 - confidence) / csat.settings.alert_looks (Bonferroni over the looks an open period gets); NULL: the raw figure'],
		['judged_n', 'the items the judged figure counts, compared with the rule''s min_samples: n, or for a duration rule on attainment the closed items and the open ones past their target (hits + misses)'],
		['measure', 'csat.kpis.measure'],
		['day', 'the day the period starts on (an index-friendly key of period_start)']] LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.kpi_levels.%I IS %L', c[1], c[2]);
	END LOOP;
	-- the other columns mean what they mean in csat.kpi_values
	FOR c IN SELECT ARRAY[a.attname::text, d.description] FROM pg_catalog.pg_attribute a
			   JOIN pg_catalog.pg_description d ON d.objoid = 'csat.kpi_values'::pg_catalog.regclass
					AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = a.attnum
			  WHERE a.attrelid = 'csat.kpi_values'::pg_catalog.regclass
				AND a.attname <> ALL ('{level,bound}'::name[])
				AND EXISTS (SELECT FROM pg_catalog.pg_attribute b WHERE b.attrelid = 'csat.kpi_levels'::pg_catalog.regclass AND b.attname = a.attname) LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN csat.kpi_levels.%I IS %L', c[1], c[2]);
	END LOOP;
END $$;
GRANT SELECT ON csat.kpi_values, csat.kpi_levels, csat.kpi_states TO @extowner@ WITH GRANT OPTION;
