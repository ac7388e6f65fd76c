#!/usr/bin/env bash
# Random SQL against a database with csat installed and data in place:
# sqlsmith generates CSAT_SQLSMITH_QUERIES queries (default 3000; the long
# mode in docs/testing.md uses 100000) from everything the catalog offers, csat's
# functions, aggregates and types included.  Any backend crash ("terminated by
# signal" in the server log) fails the test; errors from bad random SQL do not.
# So does a run that sqlsmith cannot finish within CSAT_SQLSMITH_TIMEOUT
# seconds (default 900 + N / 20: 100,000 queries took 476 s on 2 cores).
#
#   CSAT_SQLSMITH_QUERIES=100000 test/run sqlsmith     the long mode
set -euo pipefail
N=${CSAT_SQLSMITH_QUERIES:-3000}
SEED=${CSAT_SQLSMITH_SEED:-20261122}
TIMEOUT=${CSAT_SQLSMITH_TIMEOUT:-$((900 + N / 20))}
LOG=${CSAT_SERVER_LOG:?the test runner exports CSAT_SERVER_LOG}
command -v sqlsmith >/dev/null || { echo "sqlsmith is not installed"; exit 1; }

psql -qX -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION csat;
SELECT setseed(0.5);
CREATE TABLE surveys AS
SELECT g AS id, now() - g * interval '7 minutes' AS answered_at,
       (ARRAY['chat','email','phone'])[1 + g % 3] AS channel,
       (ARRAY['vip','regular'])[1 + (g % 7 = 0)::int] AS segment,
       CASE WHEN g % 50 = 0 THEN NULL ELSE 1 + g % 5 END AS score,
       g % 11 AS nps, random() * 2 AS weight, g % 9 = 0 AS complaint
  FROM generate_series(1, 2000) g;
CREATE TABLE tickets AS
SELECT g AS ticket_id, now() - g * interval '13 minutes' AS opened_at,
       -ln(1 - random()) * 300 AS frt_s,
       CASE WHEN g % 10 = 0 THEN NULL ELSE make_interval(secs => -ln(1 - random()) * 7200) END AS resolution
  FROM generate_series(1, 2000) g;
DO $$
BEGIN
  IF to_regtype('csat.sketch') IS NOT NULL THEN
    EXECUTE 'CREATE TABLE daily_sketches AS SELECT opened_at::date AS day, csat.sla_sketch(frt_s) AS frt FROM tickets GROUP BY 1';
  END IF;
END $$;
ANALYZE;
SQL
psql -qX -c "ALTER DATABASE \"$PGDATABASE\" SET statement_timeout = '2s'" -c "ALTER DATABASE \"$PGDATABASE\" SET track_functions = 'all'"

before=$(grep -c 'terminated by signal' "$LOG" || true)
start=$(date +%s)
set +e
timeout "$TIMEOUT" sqlsmith --target="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER" \
	--seed="$SEED" --max-queries="$N" --exclude-catalog >"${CSAT_TMP:-/tmp}/sqlsmith.out" 2>&1
rc=$?
set -e
tail -5 "${CSAT_TMP:-/tmp}/sqlsmith.out"
after=$(grep -c 'terminated by signal' "$LOG" || true)
echo "sqlsmith: $N queries, seed $SEED, exit $rc, $(($(date +%s) - start)) s; crashes before $before, after $after"
if [ "$after" -gt "$before" ]; then
	grep -B2 -A8 'terminated by signal' "$LOG" | tail -40
	exit 1
fi
if [ "$rc" -eq 124 ]; then
	echo "sqlsmith did not finish $N queries within $TIMEOUT s (CSAT_SQLSMITH_TIMEOUT)"
	exit 1
fi
# csat functions must have been exercised at all
psql -qXAt -c "SELECT 'csat calls seen: ' || coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE schemaname = 'csat'" || true
