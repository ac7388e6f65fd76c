-- kpi_expr: the check of the user SQL expressions of the KPI catalogue (filter,
-- success, value): the columns an expression of each kind may use, and the C
-- function that parses, checks and normalizes one expression.

-- plpgsql: csat.standard_columns() is defined later in the install script (views_fn)
CREATE FUNCTION csat.kpi_columns()
RETURNS TABLE (kind text, name text, type regtype)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN QUERY
	SELECT c.kind, c.name, CASE c.class
			WHEN 'id' THEN 'pg_catalog.text'::pg_catalog.regtype
			WHEN 'ts' THEN 'pg_catalog.timestamptz'::pg_catalog.regtype
			WHEN 'bool' THEN 'pg_catalog.bool'::pg_catalog.regtype
			WHEN 'text' THEN 'pg_catalog.text'::pg_catalog.regtype
			WHEN 'int' THEN 'pg_catalog.int4'::pg_catalog.regtype
			WHEN 'float' THEN 'pg_catalog.float8'::pg_catalog.regtype END
	  FROM (SELECT s.kind, s.name, s.class, s.ord FROM csat.standard_columns() s
			UNION ALL
			-- the refresh's as-of time: lets a KPI move with the clock
			SELECT k.kind, 'as_of', 'ts', 1000
			  FROM pg_catalog.unnest(ARRAY['orders', 'tickets', 'surveys', 'returns']) AS k(kind)
			UNION ALL
			-- derived by the refresh: the customer filed another ticket in the previous 7 days
			SELECT 'tickets', 'repeat_contact', 'bool', 1001) c
	 ORDER BY CASE c.kind WHEN 'orders' THEN 1 WHEN 'tickets' THEN 2 WHEN 'surveys' THEN 3 ELSE 4 END, c.ord;
END
$$;
COMMENT ON FUNCTION csat.kpi_columns() IS
'the columns a KPI expression of each kind may use, with their types: the kind''s standard columns (ids as text, timestamps as timestamptz, integers as integer, other numbers as double precision), as_of (timestamptz: the refresh''s as-of time) and, for tickets, repeat_contact (boolean: derived by the refresh)';

CREATE FUNCTION csat.kpi_expression(kind text, expr text, want text)
RETURNS text
AS 'MODULE_PATHNAME', 'csat_kpi_expression'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csat.kpi_expression(text, text, text) IS
'checks expr, a user SQL expression over the columns of kind (csat.kpi_columns) that must return want (boolean, or numeric: any integer, numeric or floating-point type), and returns it normalized, its columns written x.<column>: one scalar expression using only constants and the immutable, non-set-returning functions, operators and casts of pg_catalog, over types and collations of pg_catalog (no subqueries, aggregates, window functions or parameters); errors 42703 for an unknown column, 22023 for anything else, quoting the expression; NULL expr -> NULL.  The text resolves to pg_catalog objects only when evaluated with search_path = pg_catalog, pg_temp, over a relation aliased x that has the kind''s columns';
