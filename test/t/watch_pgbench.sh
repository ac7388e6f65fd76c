#!/usr/bin/env bash
# watch_pgbench: 8 pgbench clients insert into (and update) a watched table
# for about 10 s; afterwards every breach is logged exactly once and nothing
# else is: csat.breaches must equal the set computed in plain SQL from the
# final rows (answered_at only ever grows, so the final level is the worst).
set -euo pipefail
tmp=${CSAT_TMP:-/tmp}/watch_pgbench.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

psql -v ON_ERROR_STOP=1 -qX <<'SQL'
CREATE EXTENSION csat;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('frt', 'frt', 60, 120);
INSERT INTO csat.rules (name, metric, segment, warning, breach) VALUES ('frt_vip', 'frt', 'vip', 30, 60);
CREATE TABLE events (id bigserial PRIMARY KEY, segment text, opened_at timestamptz NOT NULL,
                     answered_at timestamptz);
SELECT csat.watch('events', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at',
                  segment_column => 'segment');
SQL

cat >"$tmp/insert.sql" <<'EOF2'
\set d random(0, 150)
INSERT INTO events (segment, opened_at, answered_at)
VALUES (CASE WHEN :d % 4 = 0 THEN 'vip' ELSE 'regular' END, '2030-01-01 10:00+00',
        timestamptz '2030-01-01 10:00+00' + :d * interval '1 second');
EOF2
cat >"$tmp/multi.sql" <<'EOF2'
\set d random(0, 150)
INSERT INTO events (segment, opened_at, answered_at)
SELECT CASE WHEN (:d + g) % 3 = 0 THEN 'vip' ELSE 'regular' END, '2030-01-01 10:00+00',
       timestamptz '2030-01-01 10:00+00' + ((:d * g) % 151) * interval '1 second'
  FROM generate_series(1, 5) g;
EOF2
# concurrent updates of the same rows: a small id range, growing answers
cat >"$tmp/update.sql" <<'EOF2'
\set id random(1, 200)
\set s random(1, 40)
UPDATE events SET answered_at = answered_at + :s * interval '1 second' WHERE id = :id;
EOF2

pgbench -n -c 8 -j 2 -T 10 -f "$tmp/insert.sql@6" -f "$tmp/multi.sql@1" -f "$tmp/update.sql@3" \
	>"$tmp/pgbench.log" 2>&1 || { cat "$tmp/pgbench.log"; exit 1; }
grep -E 'number of transactions actually processed|number of failed|tps' "$tmp/pgbench.log"

psql -v ON_ERROR_STOP=1 -qXAt <<'SQL' | tee "$tmp/check.log"
CREATE TEMP VIEW expected AS
WITH v AS (
	SELECT id, CASE WHEN segment = 'vip' THEN 'frt_vip' ELSE 'frt' END AS rule,
	       extract(epoch FROM answered_at - opened_at)::float8 AS s
	  FROM events)
SELECT v.rule, v.id::text AS row_key,
       CASE WHEN v.s > r.breach THEN 'breach' ELSE 'warning' END::csat.level AS level
  FROM v JOIN csat.rules r ON r.name = v.rule
 WHERE v.s > r.warning;
SELECT 'rows ' || count(*) FROM events;
SELECT 'updated rows ' || count(*) FROM events WHERE id <= 200;
SELECT 'expected ' || count(*) FROM expected;
SELECT 'logged ' || count(*) FROM csat.breaches;
SELECT 'missing ' || count(*) FROM (SELECT * FROM expected EXCEPT SELECT rule, row_key, level FROM csat.breaches) x;
SELECT 'extra ' || count(*) FROM (SELECT rule, row_key, level FROM csat.breaches EXCEPT SELECT * FROM expected) x;
SELECT 'duplicates ' || count(*) FROM (SELECT rule, row_key FROM csat.breaches GROUP BY 1, 2 HAVING count(*) > 1) x;
-- each logged row is self-consistent: observed past its threshold, threshold of its level
SELECT 'inconsistent ' || count(*) FROM csat.breaches b JOIN csat.rules r ON r.name = b.rule
 WHERE NOT (b.observed > b.threshold
            AND b.threshold = CASE b.level WHEN 'breach' THEN r.breach ELSE r.warning END);
-- escalations happened (warning rows later past breach) and were logged in place
SELECT 'escalated ' || count(*) FROM csat.breaches b JOIN csat.rules r ON r.name = b.rule
 WHERE b.level = 'breach' AND b.row_key::bigint <= 200;
SQL
grep -qx 'missing 0' "$tmp/check.log"
grep -qx 'extra 0' "$tmp/check.log"
grep -qx 'duplicates 0' "$tmp/check.log"
grep -qx 'inconsistent 0' "$tmp/check.log"
! grep -qx 'expected 0' "$tmp/check.log"
echo "watch_pgbench: every breach logged exactly once"
