-- kpi_expr: csat.kpi_columns() and csat.kpi_expression(), the check of the user
-- SQL expressions of the KPI catalogue: normalized text of valid expressions of
-- every kind, the text evaluated, and every refused construct with its SQLSTATE.
CREATE EXTENSION csat;
SET timezone = 'UTC';
-- SQLSTATE and message of a call, so expected output shows both
CREATE FUNCTION pg_temp.chk(kind text, expr text, want text DEFAULT 'boolean') RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	RETURN csat.kpi_expression(kind, expr, want);
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- the same with the detail and hint
CREATE FUNCTION pg_temp.full_err(kind text, expr text, want text DEFAULT 'boolean') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
	PERFORM csat.kpi_expression(kind, expr, want);
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || E'\nDETAIL: ' || coalesce(d, '') || E'\nHINT: ' || coalesce(h, '');
END $$;

-- ---- the columns of each kind
SELECT kind, string_agg(name || ' ' || type::text, ', ') AS columns
  FROM csat.kpi_columns() GROUP BY kind ORDER BY kind;
SELECT kind, count(*) FILTER (WHERE name = 'as_of' AND type = 'timestamptz'::regtype) AS as_of,
       count(*) FILTER (WHERE name = 'repeat_contact' AND type = 'boolean'::regtype) AS repeat_contact
  FROM csat.kpi_columns() GROUP BY kind ORDER BY kind;
-- every standard column is there, once, with the type of its class
SELECT count(*) AS standard, count(k.name) AS found
  FROM csat.standard_columns() s
  LEFT JOIN csat.kpi_columns() k ON k.kind = s.kind AND k.name = s.name
   AND k.type = CASE s.class WHEN 'int' THEN 'integer' WHEN 'float' THEN 'double precision'
       WHEN 'ts' THEN 'timestamptz' WHEN 'bool' THEN 'boolean' ELSE 'text' END::regtype;

-- ---- valid expressions and their normalized text
SELECT pg_temp.chk('surveys', 'score >= 4');
SELECT pg_temp.chk('surveys', 'x.score >= 4');
SELECT pg_temp.chk('tickets', $$x.channel = 'chat' AND is_complaint$$);
SELECT pg_temp.chk('tickets', $$resolved_at - opened_at <= interval '24 hours'$$);
SELECT pg_temp.chk('tickets', $$CASE WHEN resolved_at IS NULL THEN as_of - opened_at > interval '1 day'
                                      ELSE resolved_at - opened_at > interval '1 day' END$$);
SELECT pg_temp.chk('surveys', 'coalesce(scale_max, 5) = 5');
SELECT pg_temp.chk('orders', 'delivered_at IS NULL AND promised_at < as_of');
SELECT pg_temp.chk('surveys', 'score::float8 / scale_max::numeric > 0.8');
SELECT pg_temp.chk('orders', $$lower(channel) = 'web' OR upper(segment) = 'VIP'$$);
SELECT pg_temp.chk('returns', $$reason IN ('returns', 'refund')$$);
SELECT pg_temp.chk('tickets', $$category IN ('returns', 'refund')$$);
SELECT pg_temp.chk('surveys', 'score::float8 * 2', 'numeric');
SELECT pg_temp.chk('surveys', 'score', 'numeric');
SELECT pg_temp.chk('tickets', $$extract(epoch FROM first_response_at - opened_at)$$, 'numeric');
SELECT pg_temp.chk('tickets', 'repeat_contact');
SELECT pg_temp.chk('tickets', 'channel COLLATE "C" < ''m''');
SELECT pg_temp.chk('surveys', 'score >= 4 -- a comment');
SELECT pg_temp.chk('surveys', '/* top two */ score >= scale_max - 1');
SELECT pg_temp.chk('surveys', '"score" > 3 AND "x"."weight" IS NOT NULL');
SELECT pg_temp.chk('surveys', 'score BETWEEN 1 AND 5 AND dimension ~ ''^log''');
SELECT pg_temp.chk('orders', 'NOT coalesce(exception, false)');
SELECT pg_temp.chk('orders', $$greatest(delivered_at, followed_up_at) - ordered_at > interval '2 days' IS NOT TRUE$$);
-- the result type: any number for numeric
SELECT want, pg_temp.chk('surveys', e, 'numeric')
  FROM (VALUES ('int2', 'score::int2'), ('int8', 'score::int8'), ('numeric', 'score::numeric'),
               ('float4', 'weight::float4'), ('float8', 'weight')) v(want, e);
-- NULL expression -> NULL
SELECT csat.kpi_expression('surveys', NULL, 'boolean') IS NULL AS null_expr;
-- the normalized text is a fixed point
SELECT e, csat.kpi_expression('tickets', csat.kpi_expression('tickets', e, 'boolean'), 'boolean')
          = csat.kpi_expression('tickets', e, 'boolean') AS stable
  FROM (VALUES ($$x.channel = 'chat' AND is_complaint$$),
               ($$resolved_at - opened_at <= interval '24 hours'$$),
               ($$category IN ('returns','refund')$$)) v(e);
-- the session's settings do not change the text
SET datestyle = 'SQL, DMY';
SET intervalstyle = 'sql_standard';
SET search_path = public;
SELECT pg_temp.chk('tickets', $$resolved_at - opened_at <= interval '1 day 2 hours'$$);
SELECT pg_temp.chk('orders', $$ordered_at::date >= '2026-01-02'::date$$);
RESET datestyle;
RESET intervalstyle;
RESET search_path;
SHOW search_path;

-- ---- the normalized text evaluated under search_path = pg_catalog, pg_temp
CREATE FUNCTION pg_temp.eval(kind text, expr text, want text, row_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	SET LOCAL search_path = pg_catalog, pg_temp;
	EXECUTE format('SELECT (%s)::text FROM (%s) x', csat.kpi_expression(kind, expr, want), row_sql) INTO r;
	RETURN r;
END $$;
SELECT pg_temp.eval('surveys', 'score >= 4', 'boolean',
		'SELECT 4 AS score, 5 AS scale_max') AS top2_yes,
       pg_temp.eval('surveys', 'score >= 4', 'boolean',
		'SELECT 3 AS score, 5 AS scale_max') AS top2_no,
       pg_temp.eval('surveys', 'score::float8 * 2', 'numeric',
		'SELECT 3 AS score') AS doubled,
       pg_temp.eval('surveys', 'coalesce(scale_max, 5) = 5', 'boolean',
		'SELECT NULL::int AS scale_max') AS default_scale;
SELECT pg_temp.eval('tickets', $$x.channel = 'chat' AND is_complaint AND resolved_at - opened_at <= interval '24 hours'$$,
		'boolean', $$SELECT 'chat'::text AS channel, true AS is_complaint,
		'2026-11-01 10:00+00'::timestamptz AS opened_at, '2026-11-02 09:59+00'::timestamptz AS resolved_at$$) AS within_24h,
       pg_temp.eval('tickets', $$resolved_at - opened_at <= interval '24 hours'$$,
		'boolean', $$SELECT '2026-11-01 10:00+00'::timestamptz AS opened_at,
		'2026-11-02 10:01+00'::timestamptz AS resolved_at$$) AS late,
       pg_temp.eval('tickets', $$category IN ('returns','refund')$$, 'boolean',
		$$SELECT 'refund'::text AS category$$) AS refund,
       pg_temp.eval('orders', $$delivered_at IS NULL AND promised_at < as_of$$, 'boolean',
		$$SELECT NULL::timestamptz AS delivered_at, '2026-11-01'::timestamptz AS promised_at,
		'2026-11-02'::timestamptz AS as_of$$) AS overdue;

-- ---- refused: unknown columns (42703), with the columns in the hint
SELECT pg_temp.full_err('tickets', 'foo > 1');
SELECT pg_temp.chk('tickets', 'score >= 4');
SELECT pg_temp.chk('surveys', 't.score >= 4');
SELECT pg_temp.chk('surveys', 'x.y.score >= 4');
SELECT pg_temp.chk('surveys', 'x.* IS NOT NULL');
SELECT pg_temp.chk('surveys', 'x IS NOT NULL');
SELECT pg_temp.chk('orders', 'repeat_contact');
SELECT pg_temp.chk('surveys', 'oid > 0');

-- ---- refused: everything else (22023)
-- functions and operators that are not pg_catalog's, even with search_path finding them
CREATE FUNCTION public.f(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 3';
CREATE FUNCTION public.eq(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = public.eq);
CREATE OPERATOR public.==== (LEFTARG = int, RIGHTARG = int, FUNCTION = pg_catalog.int4eq);
CREATE DOMAIN public.mydomain AS int CHECK (VALUE > 0);
CREATE COLLATION public.mycoll FROM "C";
CREATE SEQUENCE public.s;
CREATE TABLE public.t (a int);
SET search_path = public, pg_catalog;
-- (the detail differs between majors)
SELECT pg_temp.chk('surveys', 'f(score)');
SELECT pg_temp.full_err('surveys', 'public.f(score)');
SELECT pg_temp.chk('surveys', 'score === 4');
SELECT pg_temp.chk('surveys', 'score OPERATOR(public.===) 4');
SELECT pg_temp.chk('surveys', 'score OPERATOR(public.====) 4');
SELECT pg_temp.chk('surveys', 'x.score::public.mydomain > 0');
SELECT pg_temp.chk('tickets', $$channel COLLATE public.mycoll < 'm'$$);
SELECT pg_temp.chk('tickets', $$channel COLLATE "C" < 'm'$$);
RESET search_path;
-- a temporary type is found (pg_temp is searched after pg_catalog) but refused
CREATE DOMAIN pg_temp.mytemp AS int;
SELECT regexp_replace(pg_temp.chk('surveys', 'score::mytemp > 0'), 'pg_temp_[0-9]+', 'pg_temp_N') AS chk;
-- a temporary type named like a pg_catalog one does not shadow it
CREATE DOMAIN pg_temp.int4 AS text;
SELECT pg_temp.chk('surveys', 'score::int4 > 0');
-- not immutable, or not a scalar function
SELECT pg_temp.full_err('surveys', $$table_to_xml('pg_authid', true, true, '') IS NOT NULL$$);
SELECT pg_temp.chk('tickets', 'opened_at < now()');
SELECT pg_temp.chk('tickets', 'opened_at < current_timestamp');
SELECT pg_temp.chk('tickets', $$opened_at + interval '1 day' < as_of$$);
SELECT pg_temp.chk('tickets', 'opened_at::text > ''2026''');
SELECT pg_temp.chk('surveys', 'random() > 0.5');
SELECT pg_temp.chk('surveys', 'pg_sleep(1) IS NULL');
SELECT pg_temp.chk('surveys', 'generate_series(1, 2) > score');
SELECT pg_temp.chk('surveys', 'generate_series(1, 2)', 'numeric');
SELECT pg_temp.chk('surveys', '(SELECT 1) > score');
SELECT pg_temp.chk('surveys', 'EXISTS (SELECT 1)');
SELECT pg_temp.chk('surveys', 'score IN (SELECT a FROM public.t)');
SELECT pg_temp.chk('surveys', 'sum(score)', 'numeric');
SELECT pg_temp.chk('surveys', 'row_number() OVER ()', 'numeric');
SELECT pg_temp.chk('surveys', $$nextval('s') > 0$$);
SELECT pg_temp.chk('surveys', $$nextval('public.s') > 0$$);
SELECT pg_temp.chk('surveys', '$1 > score');
SELECT pg_temp.chk('surveys', 'current_user = ''postgres''');
SELECT pg_temp.chk('surveys', 'ROW(score, 1) IS NOT NULL');
-- injection attempts and what is not one expression
SELECT pg_temp.full_err('surveys', 'true) OR (true');
SELECT pg_temp.chk('surveys', '1) FROM pg_authid --');
SELECT pg_temp.chk('surveys', 'true; DROP TABLE t');
SELECT pg_temp.chk('surveys', 'true FROM public.t');
SELECT pg_temp.chk('surveys', 'true WHERE true');
SELECT pg_temp.chk('surveys', 'true UNION SELECT false');
SELECT pg_temp.chk('surveys', 'FROM public.t');
SELECT pg_temp.chk('surveys', 'true ORDER BY 1');
SELECT pg_temp.chk('surveys', 'true FOR UPDATE');
SELECT pg_temp.chk('surveys', 'DISTINCT true');
SELECT pg_temp.chk('surveys', 'score > 1, score < 3');
SELECT pg_temp.chk('surveys', 'score > 1 AS ok');
SELECT pg_temp.chk('surveys', 'true INTO public.u');
SELECT pg_temp.chk('surveys', '*');
SELECT pg_temp.chk('surveys', '');
SELECT pg_temp.chk('surveys', '   ');
SELECT pg_temp.chk('surveys', '-- only a comment');
SELECT pg_temp.chk('surveys', '/* unterminated');
SELECT pg_temp.chk('surveys', $$'unterminated$$);
SELECT pg_temp.chk('surveys', 'score >= 4 --');
SELECT pg_temp.chk('surveys', E'score >= 4 --\n OR true');
-- wrong result type
SELECT pg_temp.full_err('surveys', 'score >= 4', 'numeric');
SELECT pg_temp.chk('surveys', 'score');
SELECT pg_temp.chk('surveys', 'dimension', 'numeric');
SELECT pg_temp.chk('surveys', $$'true'$$);
SELECT pg_temp.chk('surveys', 'NULL');
SELECT pg_temp.chk('surveys', 'no_such_function(score)');
SELECT pg_temp.chk('surveys', $$score > 'abc'$$);
-- kind and result type
SELECT pg_temp.full_err('invoices', 'true');
SELECT pg_temp.chk('surveys', 'true', 'foo');
SELECT pg_temp.chk(NULL, 'true');
SELECT pg_temp.chk('surveys', 'true', NULL);
-- never a crash: garbage, deep nesting, huge input
SELECT pg_temp.chk('surveys', E'\\x00 ) ( ;; '' " $$ \\');
SELECT left(pg_temp.chk('surveys', repeat('(', 100000) || 'true' || repeat(')', 100000)), 40);
SELECT left(pg_temp.chk('surveys', repeat('score + ', 100000) || '1 > 0'), 40);
SELECT length(pg_temp.chk('surveys', repeat('score + ', 1000) || '1 > 0'));
SELECT pg_temp.chk('surveys', 'dimension = ''' || repeat('x', 1000000) || '''') LIKE '(x.dimension = ''xxxxx%xxx''::text)' AS huge_literal;
SET client_min_messages = warning;
SELECT left(pg_temp.chk('surveys', repeat('x', 1000000)), 40);
RESET client_min_messages;
-- random token soup: every call returns a text or fails with 22023 or 42703
SELECT setseed(0.25);
CREATE TEMP TABLE soup AS
SELECT i, string_agg(tok[1 + floor(random() * array_length(tok, 1))::int], ' ') AS e
  FROM (SELECT ARRAY['score', 'x.', 'x.score', '(', ')', ',', '+', '-', '*', '/', '=', '<', '>=', 'AND',
                     'OR', 'NOT', 'IS', 'NULL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'SELECT', 'FROM',
                     ';', '--', '/*', '*/', '''a''', '1', '2.5', 'interval', '''1 day''', '::', 'text', 'int',
                     'float8', 'now()', 'coalesce', 'lower', 'ARRAY[', ']', 'IN', '$1', 'COLLATE', '"C"',
                     'OVER', 'sum', 'EXISTS', 'pg_sleep', 'generate_series', 'answered_at', 'as_of',
                     'channel', 'weight', 'ROW', 'LIKE', '[1]', '.', '"', 'E''\\', 'true', 'BETWEEN',
                     'DEFAULT', 'VARIADIC', '%', 'public.f', 'table_to_xml', 'CAST', 'AS', '=>'] AS tok) t,
       generate_series(1, 3000) i, generate_series(1, 1 + (i % 12)) j
 GROUP BY i;
CREATE TEMP TABLE soup_out AS
SELECT i, e, pg_temp.chk('surveys', e, CASE WHEN i % 2 = 0 THEN 'boolean' ELSE 'numeric' END) AS r FROM soup;
SELECT CASE WHEN r ~ '^[0-9A-Z]{5}: ' THEN left(r, 5) ELSE 'accepted' END AS outcome, count(*) > 0 AS seen
  FROM soup_out GROUP BY 1 ORDER BY 1;
-- and every accepted one is its own normal form
SELECT count(*) AS accepted_not_fixed_point FROM soup_out
 WHERE r !~ '^[0-9A-Z]{5}: '
   AND csat.kpi_expression('surveys', r, CASE WHEN i % 2 = 0 THEN 'boolean' ELSE 'numeric' END) IS DISTINCT FROM r;

-- random expressions built from operands, operators and functions: past the parser
CREATE TEMP TABLE built (i int, e text);
DO $$
DECLARE
	operands text[] := ARRAY['score', 'x.scale_max', 'weight', 'dimension', 'channel', 'answered_at',
		'sent_at', 'as_of', '1', '2.5', '''a''', 'NULL', 'true', 'interval ''1 day''', '''2026-01-01''::date',
		'ARRAY[1,2]', '''{1,2}''::int[]', 'x.order_id', 'now()', 'random()', '$1'];
	ops text[] := ARRAY['+', '-', '*', '/', '=', '<>', '<', '>=', 'AND', 'OR', '||', 'IS DISTINCT FROM',
		'LIKE', '~', '%', '^', 'IN', '@>', '&&', '#', '->>', 'COLLATE "C" <'];
	fns text[] := ARRAY['lower', 'upper', 'abs', 'coalesce', 'length', 'NOT', '-', 'extract(epoch FROM',
		'date_trunc(''day'',', 'greatest(1,', 'nullif(score,', 'md5', 'sqrt', 'round', 'ceil',
		'array_length(ARRAY[1],', 'pg_typeof', 'upper(channel)::', 'CAST(', 'to_char(', 'num_nulls(',
		'format(''%s'',', 'concat(', 'quote_ident', 'jsonb_build_object(''a'',', 'row_to_json(ROW('];
	e text;
BEGIN
	PERFORM setseed(0.5);
	FOR i IN 1..2000 LOOP
		e := operands[1 + floor(random() * array_length(operands, 1))::int];
		FOR k IN 1..1 + floor(random() * 5)::int LOOP
			IF random() < 0.6 THEN
				e := '(' || e || ') ' || ops[1 + floor(random() * array_length(ops, 1))::int] || ' '
					|| operands[1 + floor(random() * array_length(operands, 1))::int];
			ELSE
				e := fns[1 + floor(random() * array_length(fns, 1))::int] || '(' || e || ')'
					|| CASE WHEN random() < 0.2 THEN ')' ELSE '' END;
			END IF;
		END LOOP;
		INSERT INTO built VALUES (i, e);
	END LOOP;
END $$;
CREATE TEMP TABLE built_out AS
SELECT i, e, pg_temp.chk('surveys', e, CASE WHEN i % 2 = 0 THEN 'boolean' ELSE 'numeric' END) AS r FROM built;
SELECT CASE WHEN r ~ '^[0-9A-Z]{5}: ' THEN left(r, 5) ELSE 'accepted' END AS outcome, count(*) > 0 AS seen
  FROM built_out GROUP BY 1 ORDER BY 1;
SELECT count(*) AS accepted_not_fixed_point FROM built_out
 WHERE r !~ '^[0-9A-Z]{5}: '
   AND csat.kpi_expression('surveys', r, CASE WHEN i % 2 = 0 THEN 'boolean' ELSE 'numeric' END) IS DISTINCT FROM r;
-- none of them accepted a function, operator or type that is not immutable and pg_catalog's
SELECT count(*) AS accepted_bad FROM built_out
 WHERE r !~ '^[0-9A-Z]{5}: ' AND r ~ '(now|random|to_char|format|concat|pg_typeof|row_to_json|date_trunc|\$1)';

-- after every error, the session's settings are as they were
SHOW search_path;
-- and after a call that succeeds
SET datestyle = 'SQL, DMY';
SET intervalstyle = 'sql_standard';
SET extra_float_digits = 0;
SET search_path = public, pg_temp;
SELECT csat.kpi_expression('surveys', 'score >= 4', 'boolean');
SELECT current_setting('search_path') AS search_path, current_setting('datestyle') AS datestyle,
       current_setting('intervalstyle') AS intervalstyle, current_setting('extra_float_digits') AS extra_float_digits;
