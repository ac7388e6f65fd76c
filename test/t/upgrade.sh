#!/usr/bin/env bash
# The upgrade chain: installing the oldest released version and updating step
# by step gives exactly the objects of a fresh install of the current version,
# and every pg_regress suite passes, unchanged, against the upgraded schema.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OLDEST=0.1
CUR=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/csat.control")
T=${CSAT_TMP:-/tmp}/upgrade
rm -rf "$T"; mkdir -p "$T"

# every object of the extension, with its definition where one can be printed
describe() {
	psql -qXAt -d "$1" <<'SQL'
SELECT pg_describe_object(d.classid, d.objid, 0) || ' | ' ||
       coalesce(obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)), '-') || ' | ' ||
       CASE d.classid
         WHEN 'pg_proc'::regclass THEN (SELECT concat_ws(' ', p.prosrc, p.provolatile, p.proparallel, p.proisstrict,
                                                  p.prosecdef, p.proconfig::text, pg_get_function_result(p.oid),
                                                  pg_get_function_arguments(p.oid))
                                          FROM pg_proc p WHERE p.oid = d.objid)
                                        || coalesce((SELECT ' aggregate sspace ' || a.aggtransspace || ' combine ' || a.aggcombinefn::text
                                                       FROM pg_aggregate a WHERE a.aggfnoid = d.objid), '')
         WHEN 'pg_class'::regclass THEN (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                                  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
                                          FROM pg_attribute a WHERE a.attrelid = d.objid AND a.attnum > 0 AND NOT a.attisdropped)
                                        || coalesce(' view: ' || pg_get_viewdef(d.objid), '')
         ELSE ''
       END
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csat')
 ORDER BY 1;
SELECT 'schema csat: owner ' || nspowner::regrole::text || ', privileges ' || nspacl::text FROM pg_namespace WHERE nspname = 'csat';
SQL
}

createdb up_fresh
createdb up_chain
psql -qX -v ON_ERROR_STOP=1 -d up_fresh -c "CREATE EXTENSION csat"
psql -qX -v ON_ERROR_STOP=1 -d up_chain -c "CREATE EXTENSION csat VERSION '$OLDEST'" -c "ALTER EXTENSION csat UPDATE"
psql -qXAt -d up_chain -c "SELECT 'updated ' || '$OLDEST' || ' -> ' || extversion FROM pg_extension WHERE extname = 'csat'"
psql -qXAt -d up_chain -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'" | grep -qx "$CUR"
describe up_fresh >"$T/fresh.txt"
describe up_chain >"$T/chain.txt"
echo "objects: fresh $(wc -l <"$T/fresh.txt"), upgraded $(wc -l <"$T/chain.txt")"
diff -u "$T/fresh.txt" "$T/chain.txt"
# every upgrade script refuses to run outside ALTER EXTENSION
for f in "$("$PG_CONFIG" --sharedir)"/extension/csat--*--*.sql; do
	psql -qX -d up_fresh -f "$f" 2>&1 | grep -q 'ALTER EXTENSION csat UPDATE' \
		|| { echo "$(basename "$f") runs outside ALTER EXTENSION"; exit 1; }
done
psql -qXAt -d up_chain -c "SELECT string_agg(source || '->' || target, ' ' ORDER BY source, target) FROM pg_extension_update_paths('csat') WHERE path IS NOT NULL AND path !~ '--.*--'" | sed 's/^/update steps: /'
dropdb up_fresh; dropdb up_chain

# user data survives the last step: a 0.2 database with rules, a calendar, a watched
# partitioned table, breaches, a stored sketch, mapped sources and rollups is
# updated; every row is the same afterwards, KPI views answer the same, and
# the watch now also covers partitions written directly (new in 0.3)
PREV=$(psql -qXAt -d postgres -c "SELECT version FROM pg_available_extension_versions WHERE name = 'csat' AND version <> '$CUR' ORDER BY string_to_array(version, '.')::int[] DESC LIMIT 1")
createdb up_data
psql -qX -v ON_ERROR_STOP=1 -d up_data >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csat VERSION '$PREV';
INSERT INTO csat.calendars VALUES ('office', 'Europe/Berlin', 'Mon-Fri 9-17');
INSERT INTO csat.calendar_hours SELECT 'office', d, '09:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('delivery', 'delivery', 2 * 86400, 3 * 86400);
INSERT INTO csat.rules (name, metric, segment, warning, breach, calendar) VALUES ('delivery_vip', 'delivery', 'vip', 86400, 2 * 86400, 'office');
CREATE TABLE parcels (id bigint, segment text, shipped_at timestamptz NOT NULL, delivered_at timestamptz) PARTITION BY RANGE (shipped_at);
CREATE TABLE parcels_1 PARTITION OF parcels FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE parcels_2 PARTITION OF parcels FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
INSERT INTO parcels SELECT g, CASE WHEN g % 5 = 0 THEN 'vip' END, timestamptz '2024-01-01' + g * interval '7 hours',
       timestamptz '2024-01-01' + g * interval '7 hours' + (g % 97) * interval '1 hour' FROM generate_series(1, 200) g;
SELECT csat.watch('parcels', 'delivery', 'id', start_column => 'shipped_at', end_column => 'delivered_at', segment_column => 'segment');
CREATE TABLE stored AS SELECT g % 3 AS k, csat.sla_sketch(g::float8) AS s FROM generate_series(1, 5000) g GROUP BY 1;
\set scale 0.002
\set end_ts '''2026-11-22 12:00+00'''
\set schema shop
\i $ROOT/test/data/generate.sql
INSERT INTO csat.settings (timezone) VALUES ('UTC');
SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"has_exception","channel":"sales_channel","segment":"customer_segment"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"id","opened_at":"created","first_response_at":"first_reply_at","is_complaint":"complaint"}');
SELECT csat.map_source('surveys', 'shop.surveys');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"id","completed_at":"refunded_at"}');
SELECT csat.refresh(true);
SQL
snapshot() {
	psql -qXAt -v ON_ERROR_STOP=1 -d up_data <<'SQL'
-- (the columns rules had before 0.5, which adds applies_to and statistic)
SELECT 'rules', count(*), md5(string_agg((r.name, r.metric, r.segment, r.channel, r.warning, r.breach, r.higher_is_worse,
       r.unit, r.calendar, r.notify, r.enabled, r.min_samples, r.confidence)::text, ',' ORDER BY name)) FROM csat.rules r;
SELECT 'calendars', count(*), md5(string_agg(c::text, ',' ORDER BY name)) FROM csat.calendars c;
SELECT 'hours', count(*), md5(string_agg(h::text, ',' ORDER BY isodow)) FROM csat.calendar_hours h;
SELECT 'watches', count(*), md5(string_agg(w::text, ',' ORDER BY source, metric)) FROM csat.watches w;
SELECT 'breaches', count(*), md5(string_agg(b::text, ',' ORDER BY row_key, rule)) FROM csat.breaches b;
SELECT 'sketches', count(*), md5(string_agg(s::text, ',' ORDER BY k)) FROM stored;
SELECT 'sources', count(*), md5(string_agg(s::text, ',' ORDER BY kind, source)) FROM csat.sources s;
SELECT 'rollup_daily', count(*), md5(string_agg(d::text, ',' ORDER BY d::text)) FROM csat.rollup_daily d;
SELECT 'rollup_hourly', count(*), md5(string_agg(h::text, ',' ORDER BY h::text)) FROM csat.rollup_hourly h;
SQL
}
snapshot >"$T/data_before.txt"
psql -qX -v ON_ERROR_STOP=1 -d up_data -c "CREATE TABLE kpi_before AS SELECT * FROM csat.kpi_monthly"
psql -qX -v ON_ERROR_STOP=1 -d up_data -c "ALTER EXTENSION csat UPDATE"
snapshot >"$T/data_after.txt"
sed "s/^/$PREV data: /" "$T/data_before.txt"
if ! diff -u "$T/data_before.txt" "$T/data_after.txt"; then echo "user data differ after $PREV -> $CUR"; exit 1; fi
echo "user data identical after $PREV -> $CUR"
# the KPI view answers the same; float sums may be added in another order by another
# plan (0.3 gives the sketch aggregates a state-size estimate), so numbers to 1e-12
kpi=$(psql -qXAt -v ON_ERROR_STOP=1 -d up_data <<'SQL'
SELECT count(*) FILTER (WHERE b IS NULL OR a IS NULL) || ' rows missing, '
       || coalesce(sum((SELECT count(*) FROM jsonb_each(to_jsonb(b)) e
                         WHERE NOT CASE WHEN jsonb_typeof(e.value) = 'number' AND jsonb_typeof(to_jsonb(a) -> e.key) = 'number'
                                        THEN abs((e.value)::text::numeric - (to_jsonb(a) -> e.key)::text::numeric)
                                             <= 1e-12 * greatest(1, abs((e.value)::text::numeric))
                                        ELSE e.value IS NOT DISTINCT FROM to_jsonb(a) -> e.key END)), 0)
       || ' values differ, of ' || count(*) || ' rows'
  FROM kpi_before b FULL JOIN csat.kpi_monthly a USING (period_start, channel, segment);
SQL
)
echo "kpi_monthly after the update: $kpi"
case $kpi in "0 rows missing, 0 values differ, of "*) ;; *) exit 1 ;; esac
grep -q '^breaches|[1-9]' "$T/data_before.txt" && grep -q '^rollup_daily|[1-9]' "$T/data_before.txt"
# the existing watch now covers its partitions: a row written straight into one is flagged
got=$(psql -qXAt -v ON_ERROR_STOP=1 -d up_data \
	-c "INSERT INTO parcels_2 VALUES (9001, NULL, '2024-02-10', '2024-02-20')" \
	-c "SELECT level FROM csat.breaches WHERE source = 'parcels'::regclass AND row_key = '9001'")
[ "$got" = breach ] || { echo "direct partition write after the update not flagged: '$got'"; exit 1; }
echo "direct partition write after the update: flagged ($got)"
# the mapped tables' change-tracking triggers, made in 0.3, run the 0.4 trigger: a
# writer with no rights on csat gets its change noted; csat.changes is not PUBLIC's
got=$(psql -qXAt -v ON_ERROR_STOP=1 -d up_data \
	-c "DELETE FROM csat.changes" -c "CREATE ROLE up_writer" -c "GRANT USAGE ON SCHEMA shop TO up_writer" \
	-c "GRANT INSERT ON shop.orders TO up_writer" -c "SET ROLE up_writer" \
	-c "INSERT INTO shop.orders (id, created_at, promised_at, sales_channel, customer_segment, merchant) VALUES (-1, '2024-05-05 05:05+00', '2024-05-06', 'web', 'regular', 'm01')" -c "RESET ROLE" \
	-c "SELECT string_agg(kind || ' ' || (hour = '2024-05-05 05:00+00'), ',') || ' public: ' || has_table_privilege('public', 'csat.changes', 'INSERT') FROM csat.changes" \
	-c "DELETE FROM shop.orders WHERE id = -1" -c "DROP OWNED BY up_writer" -c "DROP ROLE up_writer")
[ "$got" = "orders true public: false" ] || { echo "change tracking after the update: '$got'"; exit 1; }
echo "change tracking after the update: $got"
# the mappings made in $PREV map the columns new in $CUR once made again
got=$(psql -qXAt -v ON_ERROR_STOP=1 -d up_data \
	-c "SELECT csat.map_source('orders', 'shop.orders', '{\"order_id\":\"id\",\"ordered_at\":\"created_at\",\"exception\":\"has_exception\",\"channel\":\"sales_channel\",\"segment\":\"customer_segment\",\"category\":\"product_category\",\"followed_up_at\":\"follow_up_at\"}')" \
	-c "SELECT csat.map_source('tickets', 'shop.tickets', '{\"ticket_id\":\"id\",\"opened_at\":\"created\",\"first_response_at\":\"first_reply_at\",\"is_complaint\":\"complaint\",\"category\":\"topic\",\"agent\":\"assignee\"}')" \
	-c "SELECT csat.map_source('surveys', 'shop.surveys', '{\"sent_at\":\"invited_at\"}')" \
	-c "SELECT (SELECT count(category) = count(*) AND count(customer_id) = count(*) AND count(followed_up_at) > 0 FROM csat.orders)
	       AND (SELECT count(category) = count(*) AND count(agent) > 0 AND count(customer_id) = count(*) FROM csat.tickets)
	       AND (SELECT count(sent_at) = count(*) AND count(ticket_id) > 0 FROM csat.surveys)" | tail -1)
[ "$got" = t ] || { echo "new standard columns after the update: '$got'"; exit 1; }
echo "new standard columns mapped after the update: $got"
dropdb up_data

# every suite, against the upgraded schema
mkdir -p "$T/sql" "$T/expected"
for f in "$ROOT"/sql/*.sql; do
	s=$(basename "$f" .sql)
	[ "$s" = install ] && continue   # it is about the fresh install itself
	sed "s/^CREATE EXTENSION csat;$/CREATE EXTENSION csat VERSION '$OLDEST'; ALTER EXTENSION csat UPDATE;/" "$f" >"$T/sql/$s.sql"
	sed "s/^CREATE EXTENSION csat;$/CREATE EXTENSION csat VERSION '$OLDEST'; ALTER EXTENSION csat UPDATE;/" "$ROOT/expected/$s.out" >"$T/expected/$s.out"
	cp "$ROOT"/expected/"$s"_[0-9].out "$T/expected/" 2>/dev/null || true
	suites+=("$s")
done
ln -sfn "$ROOT/test" "$T/test"   # suites read test/data/generate.sql
cd "$T"
fail=0
for s in "${suites[@]}"; do
	"$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress" --inputdir=. --outputdir=. \
		--bindir="$(dirname "$PG_CONFIG")" --dbname="up_$s" "$s" >/dev/null 2>&1 \
		&& echo "upgraded schema: $s ok" || { echo "upgraded schema: $s FAILED"; head -60 regression.diffs; fail=1; }
done
exit $fail
