-- calendar: business-hours calendars (weekly opening hours, holidays, a time zone)

CREATE FUNCTION csat.is_valid_time_zone(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'csat_is_valid_time_zone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.is_valid_time_zone(text) IS
'true when PostgreSQL knows the time zone name (as accepted by SET timezone / AT TIME ZONE, e.g. Europe/Berlin)';

CREATE TABLE csat.calendars (
    name        text PRIMARY KEY CHECK (name OPERATOR(pg_catalog.<>) ''),
    time_zone   text NOT NULL DEFAULT 'UTC' CHECK (csat.is_valid_time_zone(time_zone)),
    description text
);
COMMENT ON TABLE csat.calendars IS
'business-hours calendars: a name and the time zone whose wall clock the opening hours (csat.calendar_hours) and holidays (csat.calendar_holidays) are read on';
COMMENT ON COLUMN csat.calendars.name IS 'calendar name, as passed to csat.business_elapsed and used by csat.rules';
COMMENT ON COLUMN csat.calendars.time_zone IS 'time zone name, e.g. Europe/Berlin; DST changes are followed';
COMMENT ON COLUMN csat.calendars.description IS 'free text';

CREATE TABLE csat.calendar_hours (
    calendar text NOT NULL REFERENCES csat.calendars (name) ON UPDATE CASCADE ON DELETE CASCADE,
    isodow   integer NOT NULL CHECK (isodow BETWEEN 1 AND 7),
    opens    time NOT NULL,
    closes   time NOT NULL,
    PRIMARY KEY (calendar, isodow, opens),
    CHECK (opens OPERATOR(pg_catalog.<) closes)
);
COMMENT ON TABLE csat.calendar_hours IS
'weekly opening hours: one row per open range of a weekday (several per day allowed; overlapping ranges count once); a weekday without rows is closed';
COMMENT ON COLUMN csat.calendar_hours.calendar IS 'csat.calendars.name';
COMMENT ON COLUMN csat.calendar_hours.isodow IS 'ISO weekday: 1 = Monday .. 7 = Sunday';
COMMENT ON COLUMN csat.calendar_hours.opens IS 'local wall-clock time the range opens (inclusive)';
COMMENT ON COLUMN csat.calendar_hours.closes IS 'local wall-clock time the range closes (exclusive); 24:00 means midnight at the end of the day';

CREATE TABLE csat.calendar_holidays (
    calendar    text NOT NULL REFERENCES csat.calendars (name) ON UPDATE CASCADE ON DELETE CASCADE,
    day         date NOT NULL CHECK (pg_catalog.isfinite(day)),
    description text,
    PRIMARY KEY (calendar, day)
);
COMMENT ON TABLE csat.calendar_holidays IS
'local dates on which a calendar is closed all day';
COMMENT ON COLUMN csat.calendar_holidays.calendar IS 'csat.calendars.name';
COMMENT ON COLUMN csat.calendar_holidays.day IS 'closed local date';
COMMENT ON COLUMN csat.calendar_holidays.description IS 'free text, e.g. Christmas Day';

-- pg_dump keeps the user's rows (the extension creates none)
SELECT pg_catalog.pg_extension_config_dump('csat.calendars', '');
SELECT pg_catalog.pg_extension_config_dump('csat.calendar_hours', '');
SELECT pg_catalog.pg_extension_config_dump('csat.calendar_holidays', '');

-- everyone may read calendars (business_elapsed reads them as the caller);
-- the user who created the extension maintains them
GRANT SELECT ON csat.calendars, csat.calendar_hours, csat.calendar_holidays TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON csat.calendars, csat.calendar_hours, csat.calendar_holidays TO @extowner@;

CREATE FUNCTION csat.business_elapsed(start timestamptz, stop timestamptz, calendar text)
RETURNS float8
AS 'MODULE_PATHNAME', 'csat_business_elapsed'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csat.business_elapsed(timestamptz, timestamptz, text) IS
'seconds of [start, stop) inside the calendar''s opening hours, read on the wall clock of its time zone (an hour skipped by DST never counts, a repeated hour counts twice), minus holidays';
