#!/usr/bin/env bash
# Targeted random SQL: every function and aggregate in schema csat is called
# CSAT_API_FUZZ_CALLS times (default 150) with random argument values drawn
# from edge cases of each argument's type (NULL, zero, negatives, NaN,
# infinities, extreme integers, empty and odd text, malformed sketches...).
# Errors are expected and caught; a backend crash fails the test.  Unlike
# sqlsmith, which rarely picks csat's functions among the thousands it sees,
# this reaches all of csat's API on every run.
set -euo pipefail
CALLS=${CSAT_API_FUZZ_CALLS:-150}
LOG=${CSAT_SERVER_LOG:?the test runner exports CSAT_SERVER_LOG}
before=$(grep -c 'terminated by signal' "$LOG" || true)

PGOPTIONS="-c fz.calls=$CALLS" psql -qX -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION csat;
SET client_min_messages = warning;
CREATE TABLE fz (id int PRIMARY KEY, a float8, b timestamptz, c text);
INSERT INTO fz SELECT g, g * 1.5, now() - g * interval '1 hour', 'x' || g FROM generate_series(1, 20) g;
SELECT setseed(0.31);
CREATE FUNCTION pick(typ regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  pool text[];
BEGIN
  pool := CASE typ
    WHEN 'integer'::regtype THEN ARRAY['NULL','0','1','-1','4','5','6','9','10','11','2147483647','-2147483648']
    WHEN 'bigint'::regtype THEN ARRAY['NULL','0','1','-1','30','1000','9223372036854775807','-9223372036854775808']
    WHEN 'smallint'::regtype THEN ARRAY['NULL','0','1','-1','32767']
    WHEN 'double precision'::regtype THEN ARRAY['NULL','0','-0','1','-1','0.5','0.95','180','1e308','-1e308','1e-308',
         '''NaN''','''Infinity''','''-Infinity''','0.999999999','1.0000001']
    WHEN 'boolean'::regtype THEN ARRAY['NULL','true','false']
    WHEN 'text'::regtype THEN ARRAY['NULL','''''','''x''','''chat''','''orders''','''tickets''','''surveys''','''returns''',
         '''frt''','''24x7''','''a''''b''','repeat(''z'', 3000)']
    WHEN 'interval'::regtype THEN ARRAY['NULL','''0''','''-1 second''','''3 minutes''','''1 mon''','''100 years''','''1 day -24 hours''']
    WHEN 'timestamp with time zone'::regtype THEN ARRAY['NULL','now()','''infinity''','''-infinity''',
         '''2024-03-10 02:30 America/New_York''','''2024-10-27 02:30 Europe/Berlin''','''4000-01-01''','''1900-01-01''']
    WHEN 'date'::regtype THEN ARRAY['NULL','current_date','''infinity''','''2000-02-29''']
    WHEN 'regclass'::regtype THEN ARRAY['NULL','''fz''::regclass','''pg_class''::regclass','0::oid::regclass']
    WHEN 'jsonb'::regtype THEN ARRAY['NULL','''{}''','''[]''','''{"order_id": "id"}''','''{"x": 1}''','''{"opened_at": null}''']
    WHEN 'double precision[]'::regtype THEN ARRAY['NULL','''{}''','''{0.5}''','''{0,0.5,1}''','''{NaN}''','''{2}''','''{NULL}''','''{{0.5}}''']
    WHEN 'bigint[]'::regtype THEN ARRAY['NULL','''{}''','''{0,0}''','''{1,2,3}''','''{-1,5}''','''{9223372036854775807,1}''','''{NULL,1}''']
    ELSE ARRAY['NULL']
  END;
  IF typ::text = 'csat.sketch' THEN
    pool := ARRAY['NULL', '(SELECT csat.sla_sketch(a) FROM fz)', '(SELECT csat.sla_sketch(a, 0.05) FROM fz)',
                  '''garbage''::csat.sketch', '''''::csat.sketch', '(SELECT csat.sla_sketch(a) FROM fz WHERE false)'];
  ELSIF typ::text = 'csat.level' THEN
    pool := ARRAY['NULL', '''ok''', '''warning''', '''breach'''];
  END IF;
  RETURN pool[1 + floor(random() * array_length(pool, 1))::int];
END $$;

DO $$
DECLARE
  f record;
  args text;
  q text;
  ok int := 0;
  failed int := 0;
BEGIN
  FOR f IN
    SELECT p.oid, p.proname, p.prokind, p.proargtypes::regtype[] AS types
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'csat' AND p.prokind IN ('f', 'a')
       AND p.prorettype <> 'trigger'::regtype
       AND p.proname NOT LIKE '%schedule%'
     ORDER BY p.oid
  LOOP
    FOR i IN 1 .. current_setting('fz.calls')::int LOOP
      SELECT string_agg(pick(t), ', ' ORDER BY ord) INTO args
        FROM unnest(f.types) WITH ORDINALITY u(t, ord);
      IF f.prokind = 'a' THEN
        q := format('SELECT csat.%I(%s) FROM fz', f.proname, coalesce(args, ''));
      ELSE
        q := format('SELECT csat.%I(%s)', f.proname, coalesce(args, ''));
      END IF;
      BEGIN
        EXECUTE q;
        ok := ok + 1;
      EXCEPTION WHEN OTHERS THEN
        failed := failed + 1;
      END;
    END LOOP;
  END LOOP;
  RAISE WARNING 'api fuzz: % calls returned, % raised errors', ok, failed;
END $$;
SQL
after=$(grep -c 'terminated by signal' "$LOG" || true)
echo "api fuzz: crashes before $before, after $after"
[ "$after" -eq "$before" ] || { grep -B2 -A8 'terminated by signal' "$LOG" | tail -40; exit 1; }
