-- test/demo/alerts_report.sql: what the demo's replay raised (csat.alerts) against the
-- incidents test/demo/incidents.sql injected, and the plans' "alert accuracy": the
-- share of raised alerts whose period and scope overlap an injected incident (target
-- >= 90 %), and whether every incident was caught.
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE judged AS
SELECT a.*, csat.period_end(a.grain, a.period_start, 'UTC') AS period_end,
       (SELECT min(x.i) FROM shop.incidents x
         WHERE a.kpi = ANY (x.kpis)
           AND a.period_start < x.ends AND csat.period_end(a.grain, a.period_start, 'UTC') > x.starts
           AND (a.channel IS NULL OR x.channel IS NULL OR a.channel = x.channel)
           AND (a.segment IS NULL OR x.segment IS NULL OR a.segment = x.segment)
           AND (a.breakdown IS NULL OR x.breakdown IS NULL OR a.breakdown = x.breakdown)) AS incident
  FROM csat.alerts a;

\echo
\echo '--- the incidents injected (test/demo/incidents.sql) ---'
SELECT i AS "#", to_char(starts AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS "from", to_char(ends AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS "until",
       coalesce(breakdown, coalesce(channel, 'all channels')) AS scope, name
  FROM shop.incidents ORDER BY i;
\echo
\echo '--- alerts raised by the replay (csat.alerts; times UTC; opened = the as_of of the refresh that opened it) ---'
\echo '    (on the sale day: the chat totals; the other sale-day alerts are counted below)'
SELECT rule, grain, to_char(period_start AT TIME ZONE 'UTC', CASE grain WHEN 'hour' THEN 'MM-DD HH24:MI' ELSE 'MM-DD' END) AS period,
       concat_ws('/', coalesce(channel, 'all'), coalesce(segment, 'all'), breakdown) AS scope, level,
       to_char(opened_at AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS opened, coalesce(incident::text, 'none') AS incident, summary
  FROM judged
 WHERE incident IS DISTINCT FROM 1 OR (rule = 'chat replies within target' AND segment IS NULL)
 ORDER BY opened_at, rule, grain, period_start, scope;
\echo
\echo '--- all alerts by rule and grain ---'
SELECT coalesce(incident::text, 'none') AS incident, rule, grain, count(*) AS alerts, count(*) FILTER (WHERE level = 'breach') AS breaches,
       count(DISTINCT concat_ws('/', channel, segment, breakdown)) AS scopes,
       to_char(min(opened_at) AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS "first opened", to_char(max(opened_at) AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS "last opened"
  FROM judged GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
\echo
\echo '--- per incident: caught?, by which rules, first alert opened ---'
SELECT x.i AS "#", count(j.alert_id) AS alerts, CASE WHEN count(j.alert_id) > 0 THEN 'caught' ELSE 'MISSED' END AS caught,
       coalesce(string_agg(DISTINCT j.rule || ' (' || j.grain || ')', ', '), '-') AS "by rules",
       to_char(min(j.opened_at) AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS "first opened",
       round(extract(epoch FROM min(j.opened_at) - x.starts) / 3600, 1) AS "hours after start",
       x.caught_by AS "meant to be caught by"
  FROM shop.incidents x LEFT JOIN judged j ON j.incident = x.i
 GROUP BY x.i, x.starts, x.caught_by ORDER BY x.i;

-- the backlog hours as the refresh at the sale day's midnight saw them (test/demo/run
-- keeps that snapshot of csat.kpi_values in shop.backlog_at_midnight)
\echo
\echo '--- the sale-day backlog, chat, hour by hour, as seen at midnight: the p95 sees answered chats only, attainment counts the waiting ones ---'
SELECT to_char(period_start AT TIME ZONE 'UTC', 'HH24:MI') AS hour, n AS answered, open_n AS waiting,
       round(p95::numeric) AS "p95 of answered (s)", round(100 * attainment::numeric, 1) AS "within target %", level
  FROM shop.backlog_at_midnight ORDER BY period_start;

\echo
SELECT format('alert accuracy: %s of %s raised alerts overlap an injected incident in period and scope = %s %% (target >= 90 %%): %s',
              count(incident), count(*), coalesce(round(100.0 * count(incident) / nullif(count(*), 0), 1)::text, '-'),
              CASE WHEN count(*) > 0 AND count(incident) >= 0.9 * count(*) THEN 'met' ELSE 'MISSED' END) AS " "
  FROM judged;
SELECT format('incidents caught: %s of %s%s', count(*) FILTER (WHERE EXISTS (SELECT FROM judged j WHERE j.incident = x.i)), count(*),
              CASE WHEN bool_and(EXISTS (SELECT FROM judged j WHERE j.incident = x.i)) THEN ' (every incident caught)'
                   ELSE ' (NOT every incident caught: ' || string_agg(x.i::text, ', ') FILTER (WHERE NOT EXISTS (SELECT FROM judged j WHERE j.incident = x.i)) || ' missed)' END) AS " "
  FROM shop.incidents x;
