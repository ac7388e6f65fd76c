-- install: the extension installs, lives in schema csat, and drops cleanly
CREATE EXTENSION csat;
SELECT extname, extversion, extrelocatable, nspname
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'csat';
DROP EXTENSION csat;
-- like any extension whose control file names its schema, the schema itself stays
SELECT count(*) AS schema_kept FROM pg_namespace WHERE nspname = 'csat';
DROP SCHEMA csat;
