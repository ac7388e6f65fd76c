#!/usr/bin/env bash
# watch_dump: pg_dump keeps the user's rules, watch registry and breaches
# (pg_extension_config_dump), and a restore into a fresh database gives the
# same rows, with working triggers on the restored tables: a plain one and a
# partitioned one with a key (pg_restore runs ALTER TABLE on both after their
# data; csat's partition event trigger must leave them to the dumped triggers).
set -euo pipefail
tmp=${CSAT_TMP:-/tmp}/watch_dump.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"; dropdb --if-exists watch_dump_restored >/dev/null 2>&1 || true' EXIT

psql -v ON_ERROR_STOP=1 -qX <<'SQL'
CREATE EXTENSION csat;
INSERT INTO csat.calendars (name, time_zone) VALUES ('office', 'UTC');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes) VALUES ('office', 1, '09:00', '17:00');
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('frt', 'frt', 60, 120);
INSERT INTO csat.rules (name, metric, segment, breach, calendar) VALUES ('frt_vip', 'frt', 'vip', 30, 'office');
CREATE TABLE tickets (id int, segment text, opened_at timestamptz, answered_at timestamptz);
INSERT INTO tickets SELECT g, CASE WHEN g % 3 = 0 THEN 'vip' END, '2024-01-01 10:00+00',
	timestamptz '2024-01-01 10:00+00' + g * interval '1 s' FROM generate_series(1, 300) g;
SELECT csat.watch('tickets', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at',
                  segment_column => 'segment');
ALTER TABLE tickets ADD PRIMARY KEY (id);
INSERT INTO csat.rules (name, metric, breach) VALUES ('delivery', 'delivery', 86400);
CREATE TABLE parcels (id int, shipped timestamptz NOT NULL, delivered timestamptz, PRIMARY KEY (id, shipped))
	PARTITION BY RANGE (shipped);
CREATE TABLE parcels_2024 PARTITION OF parcels FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
SELECT csat.watch('parcels', 'delivery', 'id', start_column => 'shipped', end_column => 'delivered');
CREATE TABLE parcels_2025 PARTITION OF parcels FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO parcels SELECT g, timestamptz '2024-12-30' + g * interval '1 h', timestamptz '2024-12-30' + g * interval '1 h' + g * interval '1 h'
  FROM generate_series(1, 48) g;
INSERT INTO parcels_2025 VALUES (100, '2025-03-01', '2025-03-05');
SQL
q='SELECT (SELECT string_agg(format($$%s|%s|%s|%s$$, rule, row_key, observed, level), $$,$$ ORDER BY rule, row_key) FROM csat.breaches)
        || (SELECT string_agg(format($$%s|%s$$, name, calendar), $$,$$ ORDER BY name) FROM csat.rules)
        || (SELECT string_agg(format($$%s|%s$$, source, metric), $$,$$) FROM csat.watches)'
before=$(psql -qAtX -c "$q")
psql -qAtX -c "SELECT 'breaches before: ' || count(*) FROM csat.breaches"
pg_dump -Fc -f "$tmp/dump" "$PGDATABASE"
createdb watch_dump_restored
pg_restore --exit-on-error -d watch_dump_restored "$tmp/dump"
after=$(psql -qAtX -d watch_dump_restored -c "$q")
[ "$before" = "$after" ] || { echo "restored rows differ"; echo "$before" | head -c 600; echo; echo "$after" | head -c 600; exit 1; }
# the restored table is still watched
psql -qAtX -d watch_dump_restored -v ON_ERROR_STOP=1 \
	-c "INSERT INTO tickets VALUES (1000, NULL, '2024-01-02 10:00+00', '2024-01-02 10:05+00')" \
	-c "SELECT 'new breach after restore: ' || count(*) FROM csat.breaches WHERE row_key = '1000'" | tee "$tmp/new"
grep -qx 'new breach after restore: 1' "$tmp/new"
# and so is every partition, written directly
psql -qAtX -d watch_dump_restored -v ON_ERROR_STOP=1 \
	-c "INSERT INTO parcels_2025 VALUES (101, '2025-04-01', '2025-04-03')" \
	-c "INSERT INTO parcels_2024 VALUES (102, '2024-04-01', '2024-04-03')" \
	-c "SELECT 'new partition breaches after restore: ' || count(*) FROM csat.breaches WHERE source = 'parcels'::regclass AND row_key IN ('101', '102')" | tee "$tmp/new"
grep -qx 'new partition breaches after restore: 2' "$tmp/new"
psql -qAtX -d watch_dump_restored -c "SELECT 'parcels breaches: ' || count(*) FROM csat.breaches WHERE source = 'parcels'::regclass"
echo "watch_dump: rules, watches and breaches survive pg_dump/pg_restore"
