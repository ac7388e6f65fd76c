#!/usr/bin/env bash
# Crash safety of breach flagging.  On a cluster of its own (a crash resets
# every backend, and the shared test cluster's log must stay free of them):
# 4 pgbench writers load a watched table with single- and multi-row inserts
# and updates; one backend is killed with SIGKILL (the postmaster then resets
# every backend), and later the server is stopped with -m immediate.  After
# each restart every committed row that crossed a threshold has exactly its
# breach row, and no breach row lacks its source row.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/cluster.sh"
W=${CSAT_TMP:-/tmp}/crash.$$
trap 'stop_cluster; rm -rf "$W"' EXIT
start_cluster "$W/pg" "shared_preload_libraries = ''" "restart_after_crash = on"

psql -v ON_ERROR_STOP=1 -qX <<'SQL'
CREATE EXTENSION csat;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('frt', 'frt', 60, 120);
INSERT INTO csat.rules (name, metric, segment, warning, breach) VALUES ('frt_vip', 'frt', 'vip', 30, 60);
CREATE TABLE tickets (id bigserial PRIMARY KEY, segment text, opened_at timestamptz NOT NULL, answered_at timestamptz);
SELECT csat.watch('tickets', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at',
                  segment_column => 'segment');
SQL

cat >"$W/insert.sql" <<'EOF2'
\set d random(0, 150)
INSERT INTO tickets (segment, opened_at, answered_at)
SELECT CASE WHEN (:d + g) % 4 = 0 THEN 'vip' ELSE 'regular' END, '2030-01-01 10:00+00',
       timestamptz '2030-01-01 10:00+00' + ((:d * g) % 151) * interval '1 second'
  FROM generate_series(1, 1 + :d % 20) g;
EOF2
cat >"$W/update.sql" <<'EOF2'
\set id random(1, 500)
\set s random(1, 40)
UPDATE tickets SET answered_at = answered_at + :s * interval '1 second' WHERE id = :id;
EOF2

check() {
	psql -v ON_ERROR_STOP=1 -qXAt <<'SQL'
CREATE TEMP VIEW expected AS
WITH v AS (SELECT id, CASE WHEN segment = 'vip' THEN 'frt_vip' ELSE 'frt' END AS rule,
                  extract(epoch FROM answered_at - opened_at)::float8 AS s FROM tickets)
SELECT v.rule, v.id::text AS row_key,
       CASE WHEN v.s > r.breach THEN 'breach' ELSE 'warning' END::csat.level AS level
  FROM v JOIN csat.rules r ON r.name = v.rule WHERE v.s > r.warning;
SELECT format('rows %s, expected breaches %s, logged %s, missing %s, extra %s',
              (SELECT count(*) FROM tickets), (SELECT count(*) FROM expected), (SELECT count(*) FROM csat.breaches),
              (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT rule, row_key, level FROM csat.breaches) x),
              (SELECT count(*) FROM (SELECT rule, row_key, level FROM csat.breaches EXCEPT SELECT * FROM expected) x));
SELECT CASE WHEN EXISTS (SELECT * FROM expected EXCEPT SELECT rule, row_key, level FROM csat.breaches)
              OR EXISTS (SELECT rule, row_key, level FROM csat.breaches EXCEPT SELECT * FROM expected)
              OR EXISTS (SELECT rule, source, row_key FROM csat.breaches GROUP BY 1, 2, 3 HAVING count(*) > 1)
            THEN 'MISMATCH' ELSE 'consistent' END;
SQL
}

wait_ready() {
	for _ in $(seq 1 120); do
		pg_isready -q && psql -qXAt -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "server did not come back"; return 1
}

# round 1: SIGKILL of one writing backend
pgbench -n -c 4 -j 2 -T 12 -f "$W/insert.sql@4" -f "$W/update.sql@1" >"$W/pgbench1.log" 2>&1 &
bench=$!
sleep 5
victim=$(psql -qXAt -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'
                        AND application_name = 'pgbench' AND state = 'active' LIMIT 1")
[ -n "$victim" ] || victim=$(psql -qXAt -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' LIMIT 1")
echo "killing backend $victim"
kill -9 "$victim"
wait $bench || true
wait_ready
grep -q "terminated by signal 9" "$W/pg/server.log" && echo "the postmaster reset every backend"
r1=$(check); echo "after SIGKILL: $r1"

# round 2: immediate shutdown under load, then restart
pgbench -n -c 4 -j 2 -T 12 -f "$W/insert.sql@4" -f "$W/update.sql@1" >"$W/pgbench2.log" 2>&1 &
bench=$!
sleep 5
as_pg "$PGBIN/pg_ctl" -D "$W/pg/data" -m immediate -w stop >/dev/null
wait $bench || true
as_pg "$PGBIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/server.log" -w start >/dev/null
wait_ready
r2=$(check); echo "after immediate stop: $r2"

# watching still works after both crashes
psql -qX -v ON_ERROR_STOP=1 -c "INSERT INTO tickets (segment, opened_at, answered_at) VALUES ('vip', '2030-01-01 10:00+00', '2030-01-01 10:05+00')"
r3=$(check); echo "after one more insert: $r3"
! printf '%s\n%s\n%s\n' "$r1" "$r2" "$r3" | grep -q MISMATCH
