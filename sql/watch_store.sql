-- watch_store: the direct ways into csat.breaches keep its constraints and
-- yield to SQL when its shape is not csat's; the sweep survives one broken
-- table and huge thresholds; spans over the whole timestamp range.
CREATE EXTENSION csat;
SET timezone = 'UTC';
\set VERBOSITY terse
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('lvl', 'lvl', 5, 10);
CREATE TABLE w (id int, v float8);
SELECT csat.watch('w', 'lvl', 'id', 'v');

-- ==== a CHECK constraint on csat.breaches holds on both direct paths
ALTER TABLE csat.breaches ADD CONSTRAINT regress_small CHECK (observed OPERATOR(pg_catalog.<) 1000);
-- a single row (the speculative path), then 200 rows (the multi-insert path)
SELECT pg_temp.try($$INSERT INTO w VALUES (1, 5000)$$);
SELECT pg_temp.try($$INSERT INTO w SELECT g, 4000 + g FROM generate_series(1, 200) g$$);
SELECT count(*) AS logged_past_check FROM csat.breaches;
-- rows within the constraint still go in, on both paths
INSERT INTO w VALUES (1, 50);
INSERT INTO w SELECT g, 40 + g FROM generate_series(2, 201) g;
SELECT count(*), min(observed), max(observed) FROM csat.breaches;
ALTER TABLE csat.breaches DROP CONSTRAINT regress_small;
DELETE FROM csat.breaches;

-- ==== a column with a default: SQL fills it, on both paths
ALTER TABLE csat.breaches ADD COLUMN regress_note text DEFAULT 'from default';
INSERT INTO w VALUES (1, 50);
INSERT INTO w SELECT g, 40 + g FROM generate_series(2, 201) g;
SELECT regress_note, count(*) FROM csat.breaches GROUP BY 1;
ALTER TABLE csat.breaches DROP COLUMN regress_note;
DELETE FROM csat.breaches;

-- ==== no primary key but a unique constraint: a logged row met by a
-- single-row UPDATE is escalated (through SQL), not a duplicate key error
ALTER TABLE csat.breaches DROP CONSTRAINT breaches_one_per_row;
ALTER TABLE csat.breaches ADD CONSTRAINT regress_unique UNIQUE (source, row_key, rule);
INSERT INTO w VALUES (500, 7);
SELECT pg_temp.try($$UPDATE w SET v = 12 WHERE id = 500$$);
INSERT INTO w SELECT g, 7 FROM generate_series(501, 600) g;
SELECT pg_temp.try($$INSERT INTO w SELECT g, 20 FROM generate_series(501, 600) g$$);
SELECT level, count(*), max(observed) FROM csat.breaches GROUP BY 1 ORDER BY 1;
ALTER TABLE csat.breaches DROP CONSTRAINT regress_unique;
ALTER TABLE csat.breaches ADD CONSTRAINT breaches_one_per_row PRIMARY KEY (source, row_key, rule);
DELETE FROM csat.breaches;

-- ==== spans over the whole timestamp range: no integer overflow
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('span', 'span', 60, 1e9);
CREATE TABLE s (id int, opened timestamptz, closed timestamptz);
SELECT csat.watch('s', 'span', 'id', start_column => 'opened', end_column => 'closed');
INSERT INTO s VALUES (1, '4713-01-01 00:00:00+00 BC', '294276-12-31 23:59:59+00'),
                     (2, '2030-01-01 00:00+00', '2030-01-01 00:02+00');
SELECT row_key, level, observed > 9e12 AS huge FROM csat.breaches ORDER BY row_key;
DELETE FROM csat.breaches;

-- ==== the sweep: a threshold of 1e300 s is no overflow
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('far', 'far', 1e300, 1e301);
CREATE TABLE f (id int, opened timestamptz, closed timestamptz);
SELECT csat.watch('f', 'far', 'id', start_column => 'opened', end_column => 'closed');
INSERT INTO f VALUES (1, '2030-01-01 00:00+00', NULL);
INSERT INTO s VALUES (3, '2030-01-01 00:00+00', NULL);
SELECT csat.sweep('2030-01-01 00:05+00') AS swept;
SELECT source, row_key, level, observed FROM csat.breaches ORDER BY 1::text, 2;
DELETE FROM csat.breaches;

-- ==== the sweep: one broken watch is a WARNING, the others are swept
CREATE TABLE broken (id int, opened timestamptz, closed timestamptz);
SELECT csat.watch('broken', 'span', 'id', start_column => 'opened', end_column => 'closed');
INSERT INTO broken VALUES (1, '2030-01-01 00:00+00', NULL);
ALTER TABLE broken RENAME COLUMN opened TO opened_at;
SELECT csat.sweep('2030-01-01 00:05+00') AS swept;
SELECT source, row_key, level FROM csat.breaches ORDER BY 1::text, 2;
