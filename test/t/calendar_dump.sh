#!/usr/bin/env bash
# calendar_dump: calendars survive pg_dump/restore (extension config tables,
# restored in foreign-key order), and their privileges: a non-superuser who
# creates the (trusted) extension maintains calendars, other roles may read
# them and call business_elapsed but not change them (42501).
set -euo pipefail
SRC=${PGDATABASE}
DST=${PGDATABASE}_restored
OWNER=csat_cal_owner_$$
OTHER=csat_cal_other_$$
cleanup() {
	dropdb --if-exists "$DST" >/dev/null 2>&1 || true
	dropdb --if-exists "${SRC}_own" >/dev/null 2>&1 || true
	psql -X -q -c "DROP ROLE IF EXISTS $OWNER" -c "DROP ROLE IF EXISTS $OTHER" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION csat;
INSERT INTO csat.calendars VALUES ('support', 'Europe/Berlin', 'Berlin desk');
INSERT INTO csat.calendar_hours VALUES ('support', 1, '09:00', '17:00'), ('support', 6, '10:00', '14:00');
INSERT INTO csat.calendar_holidays VALUES ('support', '2026-12-28', 'Christmas break');
SQL
before=$(psql -X -At -c "SELECT csat.business_elapsed('2026-12-19 00:00+01', '2027-01-10 00:00+01', 'support')")
pg_dump -Fc -f "$CSAT_TMP/cal.dump" "$SRC"
createdb "$DST"
pg_restore --exit-on-error -d "$DST" "$CSAT_TMP/cal.dump"
after=$(psql -X -At -d "$DST" -c "SELECT csat.business_elapsed('2026-12-19 00:00+01', '2027-01-10 00:00+01', 'support')")
rows=$(psql -X -At -d "$DST" -c "SELECT (SELECT count(*) FROM csat.calendars) || '/' || (SELECT count(*) FROM csat.calendar_hours) || '/' || (SELECT count(*) FROM csat.calendar_holidays)")
echo "before dump: $before s, after restore: $after s, rows $rows"
[ "$before" = "$after" ] && [ "$rows" = "1/2/1" ] && [ "$before" = "115200" ]  # Mondays 21st, 4th (28th is a holiday) 8 h + 4 Saturdays 4 h

# privileges: a non-superuser database owner installs the trusted extension
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE $OWNER LOGIN" -c "CREATE ROLE $OTHER LOGIN"
createdb -O "$OWNER" "${SRC}_own"
psql -X -q -v ON_ERROR_STOP=1 -U "$OWNER" -d "${SRC}_own" <<'SQL'
CREATE EXTENSION csat;
INSERT INTO csat.calendars VALUES ('desk', 'America/New_York');
INSERT INTO csat.calendar_hours VALUES ('desk', 3, '09:00', '17:00');
UPDATE csat.calendar_hours SET closes = '18:00';
GRANT USAGE ON SCHEMA csat TO PUBLIC;   -- not granted by the extension itself (yet)
SQL
got=$(psql -X -At -U "$OTHER" -d "${SRC}_own" -c "SELECT csat.business_elapsed('2026-06-03 00:00-04', '2026-06-04 00:00-04', 'desk')")
[ "$got" = "32400" ] || { echo "other role read $got"; exit 1; }
state=$(psql -X -At -U "$OTHER" -d "${SRC}_own" -c "\\set VERBOSITY sqlstate" \
	-c "INSERT INTO csat.calendars VALUES ('mine', 'UTC')" 2>&1 || true)
echo "other role inserting a calendar: $state"
[[ $state == *42501* ]]
echo "calendar dump and privileges: ok"
