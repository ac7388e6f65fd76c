-- TEMPORARY STUB (replaced by the kpi_expr family of branch expr)
CREATE FUNCTION csat.kpi_expression(kind text, expr text, want text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$ SELECT expr $$;
