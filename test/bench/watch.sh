#!/usr/bin/env bash
# Benchmark of breach flagging (not a timed test): COPY and INSERT ... SELECT
# of N rows (default 1M) with 5 % and 35 % of them breaching, into a table
#   plain   not watched
#   csat    watched by csat.watch (C statement triggers)
#   row     a hand-written PL/pgSQL row trigger doing the same upsert
#   stmt    a hand-written PL/pgSQL statement trigger over a transition table
#   nop     a PL/pgSQL statement trigger with a transition table doing nothing:
#           the floor any transition-table trigger pays (capture + one call)
# in two table shapes:
#   bare     (id, opened_at, answered_at): no index, nothing but the watched
#            columns; the fixed cost of any trigger weighs most here
#   tickets  a realistic tickets table: id bigint PRIMARY KEY, customer,
#            segment, channel, subject, opened_at, answered_at, status
# and single-row INSERTs with pgbench (4 clients) into plain vs csat (bare).
# Runs are interleaved; medians of CSAT_BENCH_RUNS (default 3) are printed
# with the ratio to "plain".  Builds, installs (under the runner's lock) and
# starts its own throwaway cluster.
#
#   test/bench/watch.sh            CSAT_BENCH_ROWS=1000000 CSAT_BENCH_RUNS=3
#                                  CSAT_BENCH_SHAPES="bare tickets"
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ensure_packages $(csat_pg_packages) gcc make bc
ROWS=${CSAT_BENCH_ROWS:-1000000}
RUNS=${CSAT_BENCH_RUNS:-3}
SHAPES=${CSAT_BENCH_SHAPES:-bare tickets}
PGB_SECONDS=${CSAT_BENCH_PGBENCH_SECONDS:-10}

csat_lock
build_and_install
DIR=$(mktemp -d /tmp/csat-bench-watch.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
start_cluster "$DIR/pg" "shared_buffers = '1GB'" "max_wal_size = '8GB'" "checkpoint_timeout = '30min'"
q() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }

q <<SQL
CREATE EXTENSION csat;
INSERT INTO csat.rules (name, metric, breach) VALUES ('frt', 'frt', 180);
-- the sources: answered 0..179 s after opening, or 181..600 s for the breaching share
CREATE TABLE src5 AS
SELECT g AS id, timestamptz '2030-01-01' + g * interval '1 s' AS opened_at,
       timestamptz '2030-01-01' + g * interval '1 s'
       + CASE WHEN abs(hashint8(g)) % 100 < 5
              THEN 181 + abs(hashint8(g)) % 420 ELSE abs(hashint8(g)) % 180 END * interval '1 s' AS answered_at
  FROM generate_series(1, $ROWS) g;
CREATE TABLE src35 AS
SELECT g AS id, timestamptz '2030-01-01' + g * interval '1 s' AS opened_at,
       timestamptz '2030-01-01' + g * interval '1 s'
       + CASE WHEN abs(hashint8(g)) % 100 < 35
              THEN 181 + abs(hashint8(g)) % 420 ELSE abs(hashint8(g)) % 180 END * interval '1 s' AS answered_at
  FROM generate_series(1, $ROWS) g;
-- the tickets shape: the same three columns and five more, realistic widths
CREATE TABLE tsrc5 AS
SELECT id, (abs(hashint8(id)) % 200000)::bigint AS customer_id,
       CASE WHEN id % 10 = 0 THEN 'vip' ELSE 'regular' END AS segment,
       (ARRAY['chat', 'email', 'phone'])[1 + id % 3] AS channel,
       'Order ' || (id::bigint * 7919 % 1000003) || ': where is my parcel?' AS subject,
       opened_at, answered_at, 'answered'::text AS status
  FROM src5;
CREATE TABLE tsrc35 AS SELECT t.id, t.customer_id, t.segment, t.channel, t.subject, s.opened_at, s.answered_at, t.status
  FROM tsrc5 t JOIN src35 s USING (id);
VACUUM FREEZE src5; VACUUM FREEZE src35; VACUUM FREEZE tsrc5; VACUUM FREEZE tsrc35;
COPY src5 TO '$DIR/pg/bare5.copy';
COPY src35 TO '$DIR/pg/bare35.copy';
COPY tsrc5 TO '$DIR/pg/tickets5.copy';
COPY tsrc35 TO '$DIR/pg/tickets35.copy';

CREATE TABLE bare_plain (id bigint, opened_at timestamptz, answered_at timestamptz);
CREATE TABLE tickets_plain (id bigint PRIMARY KEY, customer_id bigint NOT NULL, segment text NOT NULL,
	channel text NOT NULL, subject text, opened_at timestamptz NOT NULL, answered_at timestamptz, status text NOT NULL);
SELECT format('CREATE TABLE %s_%s (LIKE %s_plain INCLUDING ALL)', s, v, s)
  FROM unnest(ARRAY['bare', 'tickets']) s, unnest(ARRAY['csat', 'row', 'stmt', 'nop']) v \gexec
SELECT csat.watch('bare_csat', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at');
SELECT csat.watch('tickets_csat', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at');

CREATE FUNCTION row_trg() RETURNS trigger LANGUAGE plpgsql AS \$\$
DECLARE
	s float8 := extract(epoch FROM NEW.answered_at - NEW.opened_at);
BEGIN
	IF s > 180 THEN
		INSERT INTO csat.breaches AS b (rule, source, row_key, observed, threshold, level, observed_at)
		VALUES ('frt', TG_RELID, NEW.id::text, s, 180, 'breach', now())
		ON CONFLICT (rule, source, row_key) DO UPDATE
		   SET observed = excluded.observed, threshold = excluded.threshold,
		       level = excluded.level, observed_at = excluded.observed_at
		 WHERE excluded.level > b.level;
	END IF;
	RETURN NULL;
END \$\$;
CREATE TRIGGER row_trg AFTER INSERT ON bare_row FOR EACH ROW EXECUTE FUNCTION row_trg();
CREATE TRIGGER row_trg AFTER INSERT ON tickets_row FOR EACH ROW EXECUTE FUNCTION row_trg();

CREATE FUNCTION stmt_trg() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	INSERT INTO csat.breaches AS b (rule, source, row_key, observed, threshold, level, observed_at)
	SELECT 'frt', TG_RELID, n.id::text, n.s, 180, 'breach', now()
	  FROM (SELECT id, extract(epoch FROM answered_at - opened_at)::float8 AS s FROM new_rows) n
	 WHERE n.s > 180
	ON CONFLICT (rule, source, row_key) DO UPDATE
	   SET observed = excluded.observed, threshold = excluded.threshold,
	       level = excluded.level, observed_at = excluded.observed_at
	 WHERE excluded.level > b.level;
	RETURN NULL;
END \$\$;
CREATE TRIGGER stmt_trg AFTER INSERT ON bare_stmt REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stmt_trg();
CREATE TRIGGER stmt_trg AFTER INSERT ON tickets_stmt REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stmt_trg();
CREATE FUNCTION nop_trg() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RETURN NULL; END \$\$;
CREATE TRIGGER nop_trg AFTER INSERT ON bare_nop REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION nop_trg();
CREATE TRIGGER nop_trg AFTER INSERT ON tickets_nop REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION nop_trg();
SQL
q -c "SELECT 'breaching share: 5 % -> ' || round(avg((answered_at - opened_at > interval '180 s')::int), 4) FROM src5" \
  -c "SELECT 'breaching share: 35 % -> ' || round(avg((answered_at - opened_at > interval '180 s')::int), 4) FROM src35"

# time_ms SQL: server round trip of one statement, in ms
time_ms() { q -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A T
for shape in $SHAPES; do
	src=src; [ "$shape" = tickets ] && src=tsrc
	for pct in 5 35; do
		for how in insert copy; do
			for run in $(seq "$RUNS"); do
				for v in plain csat row stmt nop; do
					q -c "TRUNCATE ${shape}_$v, csat.breaches" -c "CHECKPOINT" >/dev/null
					if [ $how = insert ]; then
						ms=$(time_ms "INSERT INTO ${shape}_$v SELECT * FROM $src$pct")
					else
						ms=$(time_ms "COPY ${shape}_$v FROM '$DIR/pg/$shape$pct.copy'")
					fi
					n=$(q -c "SELECT count(*) FROM csat.breaches")
					T[$shape,$pct,$how,$v]+="$ms "
					echo "  run $run $shape $how $pct% $v: $ms ms, $n breaches" >&2
				done
			done
		done
	done
done

printf '\n%-34s %10s %10s %10s %10s %10s\n' "median of $RUNS, $ROWS rows" plain csat row stmt nop
for shape in $SHAPES; do
	for pct in 5 35; do
		for how in insert copy; do
			declare -A M=()
			for v in plain csat row stmt nop; do
				M[$v]=$(printf '%s\n' ${T[$shape,$pct,$how,$v]} | median)
			done
			printf '%-34s %9.0fms %9.0fms %9.0fms %9.0fms %9.0fms\n' "$shape: $how, $pct % breaching" \
				"${M[plain]}" "${M[csat]}" "${M[row]}" "${M[stmt]}" "${M[nop]}"
			printf '%-34s %10s %9.2fx %9.2fx %9.2fx %9.2fx\n' "  ratio to plain" "1.00x" \
				"$(echo "${M[csat]} / ${M[plain]}" | bc -l)" "$(echo "${M[row]} / ${M[plain]}" | bc -l)" \
				"$(echo "${M[stmt]} / ${M[plain]}" | bc -l)" "$(echo "${M[nop]} / ${M[plain]}" | bc -l)"
		done
	done
done

# single-row inserts, 5 % breaching, 4 clients
q -c "TRUNCATE bare_plain, bare_csat, csat.breaches"
for v in plain csat; do
	cat >"$DIR/ins_$v.sql" <<EOF2
\set d random(0, 189)
\set id random(1, 1000000000)
INSERT INTO bare_$v VALUES (:id, '2030-01-01', timestamptz '2030-01-01' + :d * interval '1 s');
EOF2
done
declare -A P
for run in 1 2 3; do
	for v in plain csat; do
		tps=$(pgbench -n -c 4 -j 2 -T "$PGB_SECONDS" -f "$DIR/ins_$v.sql" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
		P[$v]+="$tps "
		echo "  pgbench run $run $v: $tps tps" >&2
	done
done
tp=$(printf '%s\n' ${P[plain]} | median)
tc=$(printf '%s\n' ${P[csat]} | median)
printf '\npgbench single-row INSERT, 4 clients, %s s: plain %.0f tps, csat %.0f tps (%.1f %% of plain)\n' \
	"$PGB_SECONDS" "$tp" "$tc" "$(echo "100 * $tc / $tp" | bc -l)"
