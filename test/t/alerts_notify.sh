#!/usr/bin/env bash
# alerts_notify: csat.refresh() sends NOTIFY csat_alert once per refresh that
# opened, escalated or resolved an alert of a rule with notify, with a JSON
# payload {opened, escalated, resolved, worst}; nothing for a refresh that
# changes nothing, for rules without notify, or while a rule is muted.  A
# listening psql session prints every notification it receives; PIDs are cut.
# fast_low grades the totals over channels per hour; fast_quiet (no notify) the
# channel 'unknown' (the tickets map none) per day.
set -euo pipefail
db=$PGDATABASE
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# (alert_looks 1: open periods judged at the rule's confidence, as closed ones)
q -c 'CREATE EXTENSION csat' -c "INSERT INTO csat.settings (timezone, alert_horizon, alert_looks) VALUES ('UTC', '2 days', 1)" \
  -c "UPDATE csat.kpis SET enabled = false" \
  -c "INSERT INTO csat.kpis (name, kind, measure, success) VALUES ('fast', 'tickets', 'share', 'first_response_at - opened_at <= interval ''10 minutes''')" \
  -c "CREATE TABLE t (id int PRIMARY KEY, opened timestamptz NOT NULL, replied timestamptz)" \
  -c "SELECT csat.map_source('tickets', 't', '{\"ticket_id\":\"id\",\"opened_at\":\"opened\",\"first_response_at\":\"replied\"}')" \
  -c "INSERT INTO csat.rules (name, metric, channel, applies_to, warning, breach, higher_is_worse, min_samples, notify, grains)
      VALUES ('fast_low', 'fast', NULL, 'kpi', 0.8, 0.5, false, 10, true, '{hour}'),
             ('fast_quiet', 'fast', 'unknown', 'kpi', 0.8, 0.5, false, 10, false, '{day}')" >/dev/null
add() { q -c "INSERT INTO t SELECT coalesce((SELECT max(id) FROM t), 0) + i, '$1'::timestamptz,
                  '$1'::timestamptz + CASE WHEN i <= $3 THEN interval '1 minute' ELSE interval '1 hour' END
              FROM generate_series(1, $2) i"; }
# each step: the writes, then a refresh in a session that listens
step() {
	echo "-- $1"
	psql -X -q -At -v ON_ERROR_STOP=1 -c 'LISTEN csat_alert' -c "SELECT (csat.refresh(false, '$2')).full_rebuild" \
		| sed -E 's/server process with PID [0-9]+/server process/'
}
out=$(
	step 'first refresh (full, no data): nothing' '2026-03-02 09:00+00'
	add '2026-03-02 10:05+00' 20 5
	step 'hour 10 breaches: opened 2 (hour 10 total and segment unknown)' '2026-03-02 10:30+00'
	step 'nothing changed: no notification' '2026-03-02 10:35+00'
	add '2026-03-02 11:05+00' 20 12
	step 'hour 11 at warning: opened 2, worst warning' '2026-03-02 11:20+00'
	add '2026-03-02 11:25+00' 20 0
	step 'hour 11 breaches: escalated 2' '2026-03-02 11:40+00'
	add '2026-03-02 10:50+00' 200 200
	step 'hour 10 recovers: resolved 2' '2026-03-02 11:45+00'
	q -c "UPDATE csat.rules SET muted_until = '2026-03-03' WHERE name = 'fast_low'"
	add '2026-03-02 12:05+00' 20 0
	step 'muted: hour 12 opens without a notification (a full refresh: the rule changed)' '2026-03-02 12:30+00'
	q -c "SELECT count(*) || ' open alerts of fast_low' FROM csat.alerts WHERE rule = 'fast_low' AND resolved_at IS NULL"
	q -c "SELECT count(*) || ' alerts of fast_quiet (no notify)' FROM csat.alerts WHERE rule = 'fast_quiet'"
)
echo "$out"
expected='-- first refresh (full, no data): nothing
t
-- hour 10 breaches: opened 2 (hour 10 total and segment unknown)
f
Asynchronous notification "csat_alert" with payload "{"worst": "breach", "opened": 2, "resolved": 0, "escalated": 0}" received from server process.
-- nothing changed: no notification
f
-- hour 11 at warning: opened 2, worst warning
f
Asynchronous notification "csat_alert" with payload "{"worst": "warning", "opened": 2, "resolved": 0, "escalated": 0}" received from server process.
-- hour 11 breaches: escalated 2
f
Asynchronous notification "csat_alert" with payload "{"worst": "breach", "opened": 0, "resolved": 0, "escalated": 2}" received from server process.
-- hour 10 recovers: resolved 2
f
Asynchronous notification "csat_alert" with payload "{"worst": null, "opened": 0, "resolved": 2, "escalated": 0}" received from server process.
-- muted: hour 12 opens without a notification (a full refresh: the rule changed)
t
4 open alerts of fast_low
2 alerts of fast_quiet (no notify)'
if [ "$out" != "$expected" ]; then
	diff <(echo "$expected") <(echo "$out") || true
	exit 1
fi
echo "notifications as expected"
