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
