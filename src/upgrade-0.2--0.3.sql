-- csat 0.2 -> 0.3: changes to objects of 0.2 (0.3 adds no family).

-- ---------------------------------------------------------------- views: refresh on Citus (issue 6)
-- csat.rollup_sql aggregates each kind by hour, channel and segment only and rolls the
-- 'all' rows up from that result (Citus refuses GROUPING SETS over distributed tables);
-- returns join their orders without LATERAL ... LIMIT when a mapped source is distributed.
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
