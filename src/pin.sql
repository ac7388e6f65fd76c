-- Security (issue 10): nothing here may resolve to an object outside pg_catalog
-- and csat's own.  CREATE EXTENSION runs this script with search_path "csat,
-- pg_temp" (pg_catalog implicitly first): a look-alike operator or function with
-- a closer argument match, planted in schema csat, would win over pg_catalog's,
-- be bound into csat's views, defaults and checks, and run as the (bootstrap)
-- superuser.  SET LOCAL here lasts until the end of this script only.
SET LOCAL search_path = pg_catalog, pg_temp;
