#!/usr/bin/env bash
# Look-alike operators and functions planted by a non-superuser database owner
# never run and never get bound into csat's objects (issue 10, section 1).
#
# An attacker role owns a database and installs csat there (trusted).  It plants,
# in schema csat (where it can), in public and in a schema "evil", operators
# = <> < > <= >= + - * / || ~~ for every pair of a list of types, and copies of
# the built-in functions, aggregates and type names csat's SQL uses; each planted
# function bumps the non-transactional sequence public.planted_ran and raises.
# Then: install the oldest version, update along the whole chain, map sources,
# watch, write, sweep, refresh full and incremental and read every view, as the
# attacker and as a superuser; and again with the attacker-first search_path
# "evil, pg_catalog, public", which shadows even exact matches in every SQL
# statement that runs with the session's path (SQL that C code runs through SPI).
# Passes when nothing planted ran (sequence untouched, no "planted" error), every
# step succeeded, and no object depends (pg_depend) on a planted one.  Also: a
# schema csat planted before CREATE EXTENSION is refused.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OLDEST=0.1
CUR=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/csat.control")
T=${CSAT_TMP:-/tmp}/security_planted
rm -rf "$T"; mkdir -p "$T"
A=planted_attacker
DB=planted_db
LOG=$T/steps.log
: >"$LOG"
fail=0

su() { psql -qX -d "$DB" -v ON_ERROR_STOP=1 "$@"; }
as_attacker() { psql -qX -U "$A" -d "$DB" -v ON_ERROR_STOP=1 "$@"; }
# step NAME psql-args...: runs one step, keeps its output, counts failures
step() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then
		echo "ok    $name" | tee -a "$LOG"
	else
		echo "FAIL  $name" | tee -a "$LOG"
		echo "$out" | sed 's/^/      /' | head -20 | tee -a "$LOG"
		fail=1
	fi
	# a planted function announces itself even where the error is caught
	if grep -qi planted <<<"$out"; then
		echo "      planted object reached in: $name" | tee -a "$LOG"
		echo "$out" | grep -i planted | sort -u | head -20 | sed 's/^/      /' | tee -a "$LOG"
		fail=1
	fi
}

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS ${DB}_pre" \
	-c "DROP ROLE IF EXISTS $A" -c "CREATE ROLE $A LOGIN" \
	-c "CREATE DATABASE $DB OWNER $A" -c "CREATE DATABASE ${DB}_pre OWNER $A" >/dev/null 2>&1

# ---------------------------------------------------------------- the planting
# plant.sql defines public.plant(schema): run by the attacker after every step.
cat >"$T/plant.sql" <<'SQL'
SET client_min_messages = warning;
CREATE SEQUENCE IF NOT EXISTS public.planted_ran;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.planted_ran TO PUBLIC;
CREATE OR REPLACE FUNCTION public.plant(s name) RETURNS bigint LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $plant$
DECLARE
	types text[] := ARRAY['boolean', 'smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric',
		'text', 'name', 'character varying', 'oid', 'regproc', 'regclass', 'regtype', 'regprocedure',
		'timestamp with time zone', 'timestamp without time zone', 'date', 'interval', 'jsonb', 'csat.level',
		'text[]', 'timestamp with time zone[]', 'date[]', 'bigint[]'];
	numeric_order text[] := ARRAY['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision'];
	ops text[] := ARRAY['=', '<>', '<', '>', '<=', '>=', '+', '-', '*', '/', '||', '~~'];
	-- built-ins csat's SQL calls (functions and aggregates)
	funcs text[] := ARRAY['format', 'now', 'date_trunc', 'date_part', 'to_regclass', 'to_regtype', 'to_regprocedure',
		'to_regnamespace', 'has_table_privilege', 'has_schema_privilege', 'pg_has_role', 'quote_ident', 'quote_literal',
		'array_to_string', 'cardinality', 'clock_timestamp', 'pg_advisory_xact_lock', 'current_setting', 'set_config',
		'current_database', 'substr', 'lower', 'jsonb_each', 'jsonb_typeof', 'jsonb_build_object', 'regexp_split_to_table',
		'isfinite', 'unnest', 'generate_series', 'pg_extension_config_dump', 'format_type', 'string_to_array', 'concat',
		'concat_ws', 'greatest', 'least', 'abs', 'round', 'sqrt', 'length', 'pg_notify', 'timezone', 'nextval',
		'array_agg', 'string_agg', 'sum', 'count', 'min', 'max', 'avg', 'bool_or', 'bool_and', 'row_number',
		'textin', 'int8', 'float8', 'text', 'jsonb_object_keys', 'array_length', 'pg_get_function_identity_arguments',
		'obj_description', 'pg_describe_object', 'pg_get_viewdef', 'xid', 'pg_current_xact_id', 'row_to_json',
		'to_jsonb', 'jsonb_object_agg', 'exp', 'ln', 'power', 'floor', 'ceil', 'extract', 'make_interval'];
	l text; r text; o text; res text; fn text; n bigint := 0;
	p record; sig text;
BEGIN
	IF to_regnamespace(s) IS NULL THEN RETURN 0; END IF;
	IF to_regtype('csat.level') IS NULL THEN types := array_remove(types, 'csat.level'); END IF;
	FOREACH l IN ARRAY types LOOP
		FOREACH r IN ARRAY types LOOP
			FOREACH o IN ARRAY ops LOOP
				-- in csat and public only where pg_catalog has no exact match (an exact one
				-- wins there, pg_catalog being searched first); in evil, every pair
				CONTINUE WHEN s <> 'evil' AND EXISTS (SELECT FROM pg_operator x WHERE x.oprname = o
					AND x.oprleft = l::regtype AND x.oprright = r::regtype AND x.oprnamespace = 'pg_catalog'::regnamespace);
				CONTINUE WHEN EXISTS (SELECT FROM pg_operator x WHERE x.oprname = o
					AND x.oprleft = l::regtype AND x.oprright = r::regtype AND x.oprnamespace = s::regnamespace);
				res := CASE WHEN o IN ('=', '<>', '<', '>', '<=', '>=', '~~') THEN 'boolean'
							WHEN o = '||' THEN CASE WHEN l LIKE '%[]' THEN l WHEN r LIKE '%[]' THEN r ELSE 'text' END
							WHEN l = ANY (numeric_order) AND r = ANY (numeric_order)
								THEN numeric_order[greatest(array_position(numeric_order, l), array_position(numeric_order, r))]
							WHEN l LIKE 'timestamp%' AND r LIKE 'timestamp%' AND o = '-' THEN 'interval'
							ELSE l END;
				fn := format('planted_op_%s', md5(l || '|' || r || '|' || res));
				BEGIN
					EXECUTE format('CREATE FUNCTION %I.%I(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L', s, fn, l, r, res,
						format('BEGIN PERFORM pg_catalog.nextval(''public.planted_ran''); RAISE EXCEPTION ''planted operator %s.%s(%s, %s) ran as %%'', current_user USING ERRCODE = ''XX666''; END', s, o, l, r));
				EXCEPTION WHEN duplicate_function THEN NULL;
				END;
				EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.%I)', s, o, l, r, s, fn);
				n := n + 1;
			END LOOP;
		END LOOP;
	END LOOP;
	-- copies of the built-ins, same signatures (they win where s comes first in the path)
	FOR p IN SELECT x.oid, x.proname, x.prokind, pg_get_function_arguments(x.oid) AS args,
					oidvectortypes(x.proargtypes) AS iargs, pg_get_function_result(x.oid) AS result
			   FROM pg_proc x
			  WHERE x.pronamespace = 'pg_catalog'::regnamespace AND x.proname = ANY (funcs)
				AND x.prokind IN ('f', 'a')
				AND NOT EXISTS (SELECT FROM unnest(x.proargtypes::oid[] || x.prorettype) t
								 WHERE t IN ('internal'::regtype, '"any"'::regtype, 'cstring'::regtype, 'trigger'::regtype,
											 'event_trigger'::regtype, 'anyenum'::regtype, 'anyrange'::regtype, 'anymultirange'::regtype,
											 'anycompatiblerange'::regtype, 'anycompatiblemultirange'::regtype, 'record'::regtype))
	LOOP
		sig := format('%I.%I(%s)', s, p.proname, p.iargs);
		CONTINUE WHEN to_regprocedure(sig) IS NOT NULL;
		BEGIN
			IF p.prokind = 'a' THEN
				fn := format('planted_agg_%s', md5(p.iargs || p.result));
				EXECUTE format('CREATE FUNCTION %I.%I(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L', s, fn, p.result, p.iargs, p.result,
					format('BEGIN PERFORM pg_catalog.nextval(''public.planted_ran''); RAISE EXCEPTION ''planted aggregate %s ran as %%'', current_user USING ERRCODE = ''XX666''; END', sig));
				EXECUTE format('CREATE AGGREGATE %s (SFUNC = %I.%I, STYPE = %s)', sig, s, fn, p.result);
			ELSE
				EXECUTE format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L', s, p.proname, p.args, p.result,
					format('BEGIN PERFORM pg_catalog.nextval(''public.planted_ran''); RAISE EXCEPTION ''planted function %s ran as %%'', current_user USING ERRCODE = ''XX666''; END', sig));
			END IF;
			n := n + 1;
		EXCEPTION WHEN OTHERS THEN NULL;	-- a signature plpgsql cannot take
		END;
	END LOOP;
	-- format() with fixed arguments beats format(text, VARIADIC "any") as an exact match
	FOREACH l IN ARRAY ARRAY['text', 'name', 'integer', 'bigint', 'double precision', 'regclass', 'oid', 'timestamp with time zone', 'jsonb'] LOOP
		FOREACH r IN ARRAY ARRAY[NULL, 'text', 'name', 'integer', 'bigint', 'double precision', 'regclass', 'oid', 'timestamp with time zone', 'jsonb'] LOOP
			FOREACH fn IN ARRAY ARRAY['format', 'concat'] LOOP
				sig := format('%I.%I(text, %s)', s, fn, concat_ws(', ', l, r));
				CONTINUE WHEN to_regprocedure(sig) IS NOT NULL;
				EXECUTE format('CREATE FUNCTION %s RETURNS text LANGUAGE plpgsql AS %L', sig,
					format('BEGIN PERFORM pg_catalog.nextval(''public.planted_ran''); RAISE EXCEPTION ''planted function %s ran as %%'', current_user USING ERRCODE = ''XX666''; END', sig));
				n := n + 1;
			END LOOP;
		END LOOP;
	END LOOP;
	-- type names that are not SQL keywords, as domains whose check runs a planted function
	IF s = 'evil' THEN
		IF to_regprocedure('evil.planted_check(anyelement)') IS NULL THEN
			CREATE FUNCTION evil.planted_check(anyelement) RETURNS boolean LANGUAGE plpgsql AS
			$f$BEGIN PERFORM pg_catalog.nextval('public.planted_ran'); RAISE EXCEPTION 'planted domain check ran as %', current_user USING ERRCODE = 'XX666'; END$f$;
		END IF;
		FOREACH l IN ARRAY ARRAY['text', 'float8', 'int8', 'int4', 'bool', 'timestamptz', 'regclass', 'oid', 'jsonb', 'date', 'name', 'float4', 'int2', 'regproc', 'regtype'] LOOP
			CONTINUE WHEN to_regtype('evil.' || l) IS NOT NULL;
			EXECUTE format('CREATE DOMAIN evil.%I AS pg_catalog.%I CHECK (evil.planted_check(VALUE))', l, l);
			n := n + 1;
		END LOOP;
	END IF;
	RETURN n;
END $plant$;
SQL

# ---------------------------------------------------------------- 1. a planted csat schema before CREATE EXTENSION
psql -qX -U "$A" -d "${DB}_pre" -v ON_ERROR_STOP=1 -f "$T/plant.sql" >/dev/null
psql -qX -U "$A" -d "${DB}_pre" -v ON_ERROR_STOP=1 -c "CREATE SCHEMA csat" -c "SELECT public.plant('csat')" >/dev/null
out=$(psql -qX -U "$A" -d "${DB}_pre" -v VERBOSITY=verbose -c "CREATE EXTENSION csat" 2>&1)
echo "$out" | head -5 | sed 's/^/  pre-created csat schema: /'
if grep -q 'ERROR:  42P06' <<<"$out"; then
	echo "ok    CREATE EXTENSION refuses a csat schema the attacker filled beforehand (42P06)" | tee -a "$LOG"
else
	echo "FAIL  CREATE EXTENSION over a planted csat schema was not refused" | tee -a "$LOG"; fail=1
fi
# an empty one is taken over: afterwards the bootstrap superuser owns it and nobody else may create in it
psql -qX -U "$A" -d "${DB}_pre" -c "DROP EXTENSION IF EXISTS csat" -c "DROP SCHEMA csat CASCADE" -c "CREATE SCHEMA csat" \
	-c "GRANT CREATE ON SCHEMA csat TO PUBLIC" >/dev/null 2>&1
step "CREATE EXTENSION over an empty pre-created csat schema" psql -qX -U "$A" -d "${DB}_pre" -v ON_ERROR_STOP=1 -c "CREATE EXTENSION csat"
owner=$(psql -qXAt -d "${DB}_pre" -c "SET search_path = pg_catalog" -c "SELECT nspowner FROM pg_namespace WHERE nspname = 'csat'")
pubcreate=$(psql -qXAt -d "${DB}_pre" -c "SELECT has_schema_privilege('public', 'csat', 'CREATE')")
if [ "$owner" = 10 ] && [ "$pubcreate" = f ]; then
	echo "ok    pre-created empty csat schema: now owned by the bootstrap superuser, no CREATE for PUBLIC" | tee -a "$LOG"
else
	echo "FAIL  pre-created empty csat schema: owner oid $owner, PUBLIC may create: $pubcreate" | tee -a "$LOG"; fail=1
fi

# ---------------------------------------------------------------- 2. install the oldest version, plant, update along the chain
as_attacker -f "$T/plant.sql" >/dev/null
as_attacker -c "CREATE SCHEMA evil" -c "GRANT USAGE ON SCHEMA evil TO PUBLIC" >/dev/null
plant_all() {
	# (the test's own queries pin their path: the plants in public would catch them too)
	as_attacker -At -c "SET search_path = pg_catalog" -c "SELECT 'planted ' || public.plant('public')::text || ' in public, ' || public.plant('evil')::text || ' in evil'"
	# in csat too, where the attacker still may
	as_attacker -At -c "SET search_path = pg_catalog" -c "SELECT 'planted ' || public.plant('csat')::text || ' in csat'" 2>&1 | sed 's/^ERROR:  /(csat refused: /' | head -1
}
plant_all
# the update that repaired databases bound to look-alikes (issue 10)
SECFIX=0.4
step "CREATE EXTENSION csat VERSION '$OLDEST' (attacker)" as_attacker -c "CREATE EXTENSION csat VERSION '$OLDEST'"
plant_all
for v in $(psql -qXAt -d "$DB" -c "SET search_path = pg_catalog" -c "SELECT version FROM pg_available_extension_versions WHERE name = 'csat' AND version > '$OLDEST' ORDER BY string_to_array(version, '.')::int[]"); do
	if [ "$v" = "$SECFIX" ]; then
		# a database of an older release whose KPI views got bound to look-alikes in
		# csat: the KPI block of the released 0.3 script run again the way it ran
		# before the scripts pinned search_path (csat first after pg_catalog)
		{
			echo "SET search_path = csat, public;"
			sed -n '/^-- -* KPI views$/,/^END \$do\$;$/p' "$ROOT/csat--0.3.sql" | sed 's/^CREATE VIEW csat/CREATE OR REPLACE VIEW csat/'
		} >"$T/old_kpi.sql"
		su -f "$T/old_kpi.sql" >/dev/null 2>&1
		n=$(su -At -c "SET search_path = pg_catalog" -c "SELECT count(*) FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass JOIN pg_operator o ON o.oid = d.refobjid AND d.refclassid = 'pg_operator'::regclass WHERE r.ev_class = 'csat.kpi_daily'::regclass AND o.oprowner = '$A'::regrole")
		echo "      (before $v: csat.kpi_daily bound to $n planted operators)" | tee -a "$LOG"
		[ "$n" -gt 0 ] || { echo "FAIL  could not bind csat.kpi_daily to a planted operator for the update to repair" | tee -a "$LOG"; fail=1; }
		# and a csat table with a check bound to a planted function: the update refuses it
		su -c "SET search_path = pg_catalog" -c "ALTER TABLE csat.settings ADD CONSTRAINT planted_check CHECK (public.lower(timezone) IS NOT NULL) NOT VALID" >/dev/null
		out=$(as_attacker -c "ALTER EXTENSION csat UPDATE TO '$v'" 2>&1)
		if grep -q 'ERROR:  objects of extension csat depend on objects that are neither in pg_catalog nor part of csat' <<<"$out" \
			&& grep -q 'constraint planted_check on table csat.settings -> function public.lower(text)' <<<"$out"; then
			echo "ok    ALTER EXTENSION csat UPDATE TO '$v' refused: a csat table's check calls a planted function" | tee -a "$LOG"
		else
			echo "FAIL  ALTER EXTENSION csat UPDATE TO '$v' did not refuse a csat check bound to a planted function" | tee -a "$LOG"
			sed 's/^/      /' <<<"$out" | head -5 | tee -a "$LOG"; fail=1
		fi
		su -c "ALTER TABLE csat.settings DROP CONSTRAINT planted_check" >/dev/null
	fi
	if [ "$v" = "$SECFIX" ]; then
		out=$(as_attacker -c "ALTER EXTENSION csat UPDATE TO '$v'" 2>&1)
		if [ $? -eq 0 ] && grep -q 'WARNING:  schema "csat" holds objects that are not part of csat' <<<"$out"; then
			echo "ok    ALTER EXTENSION csat UPDATE TO '$v' (attacker): rebinds, warns of the objects left in csat" | tee -a "$LOG"
		else
			echo "FAIL  ALTER EXTENSION csat UPDATE TO '$v' (attacker)" | tee -a "$LOG"
			sed 's/^/      /' <<<"$out" | head -5 | tee -a "$LOG"; fail=1
		fi
		# a superuser drops them, as the warning says: nothing of csat depends on them any more
		su >/dev/null 2>&1 <<SQL
SET search_path = pg_catalog;
DO \$\$
DECLARE r record;
BEGIN
	FOR r IN SELECT p.oid::regprocedure AS f, p.prokind FROM pg_proc p
			  WHERE p.pronamespace = 'csat'::regnamespace AND p.proowner = '$A'::regrole ORDER BY p.prokind = 'a' DESC LOOP
		IF to_regprocedure(r.f::text) IS NOT NULL THEN
			EXECUTE format('DROP %s %s CASCADE', CASE WHEN r.prokind = 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.f);
		END IF;
	END LOOP;
END \$\$;
SQL
		left=$(su -At -c "SET search_path = pg_catalog" -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'csat'::regnamespace AND proowner = '$A'::regrole")
		[ "$left" = 0 ] && echo "ok    the planted objects in csat could be dropped after the update" | tee -a "$LOG" \
			|| { echo "FAIL  $left planted functions in csat could not be dropped" | tee -a "$LOG"; fail=1; }
		plant_all
		continue
	fi
	step "ALTER EXTENSION csat UPDATE TO '$v' (attacker)" as_attacker -c "ALTER EXTENSION csat UPDATE TO '$v'"
	plant_all
done
got=$(psql -qXAt -d "$DB" -c "SET search_path = pg_catalog" -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'")
[ "$got" = "$CUR" ] || { echo "FAIL  at version '$got', not $CUR"; fail=1; }

# ---------------------------------------------------------------- 3. use every part, as the attacker and as a superuser
step "generate data (attacker)" as_attacker -c '\set scale 0.001' -c "\\set end_ts '''2026-11-22 12:00+00'''" -c '\set schema shop' \
	-c '\set ECHO none' -f "$ROOT/test/data/generate.sql"
step "map sources (attacker)" as_attacker <<'SQL'
INSERT INTO csat.settings (timezone) VALUES ('Europe/Berlin');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"has_exception","channel":"sales_channel","segment":"customer_segment","category":"product_category","followed_up_at":"follow_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"id","opened_at":"created","first_response_at":"first_reply_at","is_complaint":"complaint","category":"topic","agent":"assignee"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at":"invited_at"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"id","completed_at":"refunded_at"}');
SQL
step "rules, calendar, watch (attacker)" as_attacker <<'SQL'
INSERT INTO csat.calendars VALUES ('office', 'Europe/Berlin', 'Mon-Fri 9-17');
INSERT INTO csat.calendar_hours SELECT 'office', d, '09:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO csat.calendar_holidays VALUES ('office', '2026-01-01', 'New Year');
INSERT INTO csat.rules (name, metric, warning, breach, notify) VALUES ('frt', 'first_response', 600, 3600, true);
INSERT INTO csat.rules (name, metric, segment, warning, breach, calendar) VALUES ('frt_vip', 'first_response', 'vip', 300, 1800, 'office');
INSERT INTO csat.rules (name, metric, breach, higher_is_worse) VALUES ('score', 'score', 3, false);
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('csat_rate', 'csat_rate', 0.2, 0.3), ('nps', 'nps', 10, 20);
SELECT csat.watch('shop.tickets', 'first_response', 'id', start_column => 'created', end_column => 'first_reply_at', segment_column => 'segment', channel_column => 'channel');
SELECT csat.watch('shop.surveys', 'score', 'id', value_column => 'score', channel_column => 'channel');
SQL
step "refresh full, sweep, prune (superuser)" su <<'SQL'
SELECT csat.refresh(true);
SELECT csat.sweep();
SELECT csat.prune_breaches('100 years');
SQL
# staging rows, built before any hostile path is set (inserted below with no expressions of ours)
su -c "CREATE TABLE public.new_tickets AS SELECT * FROM shop.tickets LIMIT 0" \
   -c "ALTER TABLE public.new_tickets OWNER TO $A" >/dev/null
as_attacker <<'SQL' >/dev/null
INSERT INTO public.new_tickets SELECT * FROM shop.tickets WHERE id IN (SELECT id FROM shop.tickets ORDER BY id LIMIT 20);
UPDATE public.new_tickets SET id = id + 1000000000, first_reply_at = NULL, created = created - interval '2 days';
CREATE TABLE public.upd_ids AS SELECT id FROM shop.tickets ORDER BY id DESC LIMIT 10;
CREATE TABLE public.new_surveys AS SELECT * FROM shop.surveys ORDER BY id LIMIT 20;
UPDATE public.new_surveys SET id = id + 1000000000, score = 1;
SQL
writes() { # writes WHO: inserts (watch and change-tracking triggers), an update, a delete, reads
	cat <<'SQL'
INSERT INTO shop.tickets SELECT * FROM public.new_tickets;
INSERT INTO shop.surveys SELECT * FROM public.new_surveys;
UPDATE shop.tickets t SET first_reply_at = t.created FROM public.upd_ids u WHERE t.id OPERATOR(pg_catalog.=) u.id;
DELETE FROM shop.surveys s USING public.new_surveys n WHERE s.id OPERATOR(pg_catalog.=) n.id;
DELETE FROM shop.tickets t USING public.new_tickets n WHERE t.id OPERATOR(pg_catalog.=) n.id;
SQL
}
views() {
	for v in kpi_hourly kpi_daily kpi_weekly kpi_monthly kpi_quarterly refresh_status orders tickets surveys returns breaches rules watches sources settings calendars; do
		echo "SELECT * FROM csat.$v;"
	done
}
entry_points() { # every callable csat function, with plain literals only
	cat <<'SQL'
SELECT csat.refresh(true);
SELECT csat.refresh();
SELECT csat.refresh(false);
SELECT csat.sweep();
SELECT csat.sweep('2030-01-01');
SELECT csat.prune_breaches('100 years');
SELECT csat.timezone();
SELECT csat.is_valid_timezone('Europe/Berlin'), csat.is_valid_time_zone('Europe/Berlin');
SELECT csat.period_column('orders');
SELECT * FROM csat.standard_columns();
SELECT * FROM csat.rollup_measures();
SELECT csat.rollup_sql(true) IS NULL, csat.rollup_sql(false) IS NULL, csat.rollup_daily_sql(true) IS NULL, csat.rollup_daily_sql(false) IS NULL;
SELECT csat.build_standard_view('orders');
SELECT csat.citus_sharded('shop.orders');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at":"invited_at"}');
SELECT csat.unmap_source('returns');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"id","completed_at":"refunded_at"}');
SELECT csat.unwatch('shop.surveys', 'score');
SELECT csat.watch('shop.surveys', 'score', 'id', value_column => 'score', channel_column => 'channel');
SELECT csat.business_elapsed('2026-01-02 08:00+01', '2026-01-09 20:00+01', 'office');
SELECT csat.threshold_check(5, 3, 4), csat.threshold_check(1, 4, 3, false);
SELECT csat.rate_check(10, 100, 0.2, 0.3), csat.rate_check(10, 100, 0.3, 0.2, false, 5, 0.9);
SELECT csat.wilson_lower(8, 10), csat.wilson_upper(8, 10), csat.complaint_rate(3, 10);
SELECT csat.csat_rate(score), csat.weighted_score(score, weight), csat.sla_sketch(score), csat.sla_percentile(score, 0.9)
  FROM shop.surveys WHERE scale_max OPERATOR(pg_catalog.=) 5;
SELECT csat.nps(score) FROM shop.surveys WHERE scale_max OPERATOR(pg_catalog.=) 10;
SELECT csat.rate(complaint), csat.sla_attainment(1, 300) FROM shop.tickets;
SELECT csat.percentile(csat.sla_sketch(score), 0.5), csat.count(csat.sla_sketch(score)), csat.mean(csat.sla_sketch(score)),
       csat.min(csat.sla_sketch(score)), csat.max(csat.sla_sketch(score)), csat.attainment(csat.sla_sketch(score), 3) FROM shop.surveys;
SELECT csat.percentile(csat.rollup(s), 0.5) FROM (SELECT csat.sla_sketch(score) s FROM shop.surveys GROUP BY channel) x;
SQL
}
step "writes (attacker)" as_attacker -c "$(writes)"
step "writes (superuser)" su -c "$(writes)"
step "refresh incremental, sweep (superuser)" su -c "SELECT csat.refresh()" -c "SELECT csat.sweep()"
step "read every view (superuser)" su -c "$(views)"
step "read every view (attacker)" as_attacker -c "$(views)"

# ---------------------------------------------------------------- 4. the attacker-first search_path
evil_path() { # evil_path WHO: every entry point with search_path = evil, pg_catalog, public
	local who=$1
	{
		echo "SET search_path = evil, pg_catalog, public;"
		writes
		entry_points
		views
		echo "SELECT csat.schedule_refresh();"
	} >"$T/evil_$who.sql"
	# each statement on its own (one failure must not hide the next); schedule_refresh
	# ends in ERROR 55000 here (no pg_cron in this database), which is its documented answer
	local line n=0
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		case $line in SET*) continue ;; esac
		n=$((n + 1))
		if [ "$who" = superuser ]; then
			out=$(psql -qX -d "$DB" -v ON_ERROR_STOP=1 -c "SET search_path = evil, pg_catalog, public" -c "$line" 2>&1)
		else
			out=$(psql -qX -U "$A" -d "$DB" -v ON_ERROR_STOP=1 -c "SET search_path = evil, pg_catalog, public" -c "$line" 2>&1)
		fi
		rc=$?
		if [ $rc -ne 0 ] && ! { [[ $line == *schedule_refresh* ]] && grep -q 'pg_cron is not\|cron.database_name' <<<"$out"; }; then
			echo "FAIL  evil path ($who): $line" | tee -a "$LOG"
			echo "$out" | grep -v '^\s*$' | head -4 | sed 's/^/      /' | tee -a "$LOG"
			fail=1
		fi
	done < <(awk 'BEGIN{RS=";\n"} {gsub(/\n/," "); if (length($0)) print $0 ";"}' "$T/evil_$who.sql")
	echo "ok    evil path ($who): $n statements run" | tee -a "$LOG"
}
evil_path attacker
evil_path superuser

# ---------------------------------------------------------------- 5. verdict
ran=$(psql -qXAt -d "$DB" -c "SET search_path = pg_catalog" -c "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.planted_ran")
echo "planted functions that ran: $ran"
[ "$ran" = 0 ] || fail=1
deps=$(psql -qXAt -d "$DB" <<SQL
SET search_path = pg_catalog;
WITH planted AS (
	SELECT 'pg_proc'::regclass AS c, oid FROM pg_proc WHERE proowner = '$A'::regrole
	UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator WHERE oprowner = '$A'::regrole
	UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typowner = '$A'::regrole AND typtype = 'd'
	UNION ALL SELECT 'pg_constraint'::regclass, c.oid FROM pg_constraint c JOIN pg_type t ON t.oid = c.contypid
	 WHERE t.typowner = '$A'::regrole)
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' -> ' || pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
  FROM pg_depend d JOIN planted p ON p.c::oid = d.refclassid AND p.oid = d.refobjid
 WHERE NOT EXISTS (SELECT FROM planted q WHERE q.c::oid = d.classid AND q.oid = d.objid)
   AND NOT (d.classid = 'pg_type'::regclass AND d.deptype = 'i')
 ORDER BY 1;
SQL
)
echo "objects bound to a planted one: $(printf '%s' "$deps" | grep -c .)"
[ -n "$deps" ] && { echo "$deps" | head -40; fail=1; }
echo "planted objects: $(psql -qXAt -d "$DB" -c "SET search_path = pg_catalog" -c "SELECT (SELECT count(*) FROM pg_operator WHERE oprowner = '$A'::regrole)::text || ' operators, ' || (SELECT count(*) FROM pg_proc WHERE proowner = '$A'::regrole)::text || ' functions'")"
echo "csat schema owner: $(psql -qXAt -d "$DB" -c "SET search_path = pg_catalog" -c "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'csat'")"

psql -qX -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_pre" -c "DROP ROLE $A" >/dev/null 2>&1
[ $fail -eq 0 ] && echo "nothing planted ran or was bound" || echo "FAILED (see above)"
exit $fail
