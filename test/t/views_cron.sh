#!/usr/bin/env bash
# csat.schedule_refresh with pg_cron, for real: a job scheduled every minute must run
# csat.refresh() within ~70 s, both for csat in pg_cron's own database (direct path)
# and for csat in another database (the error's hint gives the SQL, run in pg_cron's
# database).  Then unschedule_refresh removes the job.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=$PGDATABASE
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# By default pg_cron runs a job by connecting like a client, over TCP to "localhost",
# which a socket-only cluster does not serve (and cron.host pointing at the socket
# directory fails too with pg_cron 1.4).  Background workers need no connection: turn
# them on (a postmaster setting, hence the restart) unless the cluster already did.
if [ "$(q -d postgres -c "SELECT current_setting('cron.use_background_workers')")" != on ]; then
	q -d postgres -c "ALTER SYSTEM SET cron.use_background_workers = on"
	datadir=$(q -d postgres -c 'SHOW data_directory')
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- pg_ctl -D "$datadir" -w -m fast restart -l "$PGHOST/server.log" >/dev/null
	else
		pg_ctl -D "$datadir" -w -m fast restart -l "$PGHOST/server.log" >/dev/null
	fi
fi
q -d postgres -c 'CREATE EXTENSION IF NOT EXISTS pg_cron'

# ---- csat in another database: an error whose hint is the SQL to run
q -c 'CREATE EXTENSION csat'
q -c "CREATE TABLE o (order_id int PRIMARY KEY, ordered_at timestamptz NOT NULL)" \
  -c "INSERT INTO o SELECT g, now() - g * interval '1 hour' FROM generate_series(1, 50) g" \
  -c "SELECT csat.map_source('orders', 'o')" >/dev/null
out=$(psql -X -q -v VERBOSITY=verbose -c "SELECT csat.schedule_refresh('* * * * *')" 2>&1 || true)
echo "$out"
grep -q '55000' <<<"$out"
hint_sql=$(sed -n 's/^HINT:  As a superuser connected to database "postgres", run: //p' <<<"$out")
[ -n "$hint_sql" ]
q -d postgres -c "$hint_sql" >/dev/null

# ---- csat in pg_cron's database: the direct path
created_here=$(q -d postgres -c "SELECT NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'csat')")
if [ "$created_here" = t ]; then
	q -d postgres -c 'CREATE EXTENSION csat'
fi
q -d postgres -c "CREATE TABLE views_cron_o (order_id int PRIMARY KEY, ordered_at timestamptz NOT NULL)" \
  -c "INSERT INTO views_cron_o SELECT g, now() - g * interval '1 hour' FROM generate_series(1, 20) g" \
  -c "SELECT csat.map_source('orders', 'views_cron_o')" >/dev/null
jobid=$(q -d postgres -c "SELECT csat.schedule_refresh('* * * * *')")
echo "direct job id $jobid"
q -d postgres -c "SELECT jobname, schedule, command, database FROM cron.job ORDER BY jobid"

# ---- wait for both refreshes (jobs start on the minute)
ok=0
for i in $(seq 1 80); do
	a=$(q -c 'SELECT count(*) FROM csat.refresh_log')
	b=$(q -d postgres -c 'SELECT count(*) FROM csat.refresh_log')
	if [ "$a" -ge 1 ] && [ "$b" -ge 1 ]; then ok=1; break; fi
	sleep 1
done
q -d postgres -c "SELECT jobid, database, status, return_message FROM cron.job_run_details ORDER BY runid"
[ "$ok" -eq 1 ] || { echo "no scheduled refresh ran within 80 s"; exit 1; }
echo "scheduled refreshes ran after ${i}s"
# the refreshes really built the rollups
[ "$(q -c "SELECT sum(orders) FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all'")" = 50 ]
[ "$(q -d postgres -c "SELECT sum(orders) FROM csat.rollup_daily WHERE channel = 'all' AND segment = 'all'")" = 20 ]

# ---- unschedule: the direct path removes its job; cleanup of the other by name
n=$(q -d postgres -c 'SELECT csat.unschedule_refresh()')
[ "$n" -ge 1 ]
q -d postgres -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname IN ('csat_refresh_$db', 'csat_sweep_$db')" >/dev/null
[ "$(q -d postgres -c "SELECT count(*) FROM cron.job WHERE jobname LIKE 'csat_%'")" = 0 ]
q -d postgres -c "SELECT csat.unmap_source('orders')" -c 'DROP TABLE views_cron_o' >/dev/null
if [ "$created_here" = t ]; then
	q -d postgres -c 'DROP EXTENSION csat' -c 'DROP SCHEMA IF EXISTS csat CASCADE'
fi
echo "cron path ok"
