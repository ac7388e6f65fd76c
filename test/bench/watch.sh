#!/usr/bin/env bash
# Benchmark of breach flagging (not a timed test): COPY and INSERT ... SELECT
# of N rows (default 1M) with 5 % and 35 % of them breaching, into a table
#   plain   not watched
#   csat    watched by csat.watch (C statement triggers)
#   row     a hand-written PL/pgSQL row trigger doing the same upsert
#   stmt    a hand-written PL/pgSQL statement trigger over a transition table
#   nop     a PL/pgSQL statement trigger with a transition table doing nothing:
#           what any transition-table trigger pays (capture + one call)
#   read    a C statement trigger (test/bench/floor_trigger.c, built here as a
#           library of its own and loaded by absolute path) that reads every
#           transition row and deforms all its columns, evaluating nothing
# and, for the floor, the breaching rows alone (precomputed, in primary-key
# order, as csat writes them) written into breaches_plain, a table shaped and
# indexed like csat.breaches (LIKE ... INCLUDING ALL: primary key, check, BRIN):
#   brins   INSERT ... SELECT of them          brcopy  COPY of them
# floor = read + the cheaper of brins and brcopy (per run): what reading the
# rows and storing the breaches costs with nothing of csat's own in between.
# in two table shapes:
#   bare     (id, opened_at, answered_at): no index, nothing but the watched
#            columns; the fixed cost of any trigger weighs most here
#   tickets  a realistic tickets table: id bigint PRIMARY KEY, customer,
#            segment, channel, subject, opened_at, answered_at, status
# and single-row INSERTs with pgbench (4 clients) into plain vs csat (bare).
# Runs are interleaved; medians of CSAT_BENCH_RUNS (default 3) are printed
# with the ratios to "plain" and to the floor, and csat's distance above the
# floor in units of plain ((csat - floor) / plain).  Builds, installs into a
# private copy of the PostgreSQL installation (test/bench/private_pg.sh: no
# lock held, no one else's csat.so) and starts its own throwaway cluster.
#
#   test/bench/watch.sh            CSAT_BENCH_ROWS=1000000 CSAT_BENCH_RUNS=3
#                                  CSAT_BENCH_SHAPES="bare tickets"
#                                  CSAT_BENCH_PCTS="5 35"
#                                  CSAT_BENCH_VARIANTS="row stmt nop" (which optional ones)
#                                  CSAT_BENCH_PGBENCH_SECONDS=10 (0: no pgbench)
# (plain, csat and read are always measured; brins and brcopy go with read.)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ensure_packages $(csat_pg_packages) gcc make bc
ROWS=${CSAT_BENCH_ROWS:-1000000}
RUNS=${CSAT_BENCH_RUNS:-3}
SHAPES=${CSAT_BENCH_SHAPES:-bare tickets}
PCTS=${CSAT_BENCH_PCTS:-5 35}
PGB_SECONDS=${CSAT_BENCH_PGBENCH_SECONDS:-10}
VARIANTS="plain csat"
for v in ${CSAT_BENCH_VARIANTS-row stmt nop}; do
	case " $VARIANTS read " in *" $v "*) ;; *) VARIANTS+=" $v" ;; esac
done
VARIANTS+=" read brins brcopy"

DIR=$(mktemp -d /tmp/csat-bench-watch.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
. test/bench/private_pg.sh
private_install "$DIR"
# the reading trigger: a library of its own, never part of csat
cc -O2 -Wall -fPIC -shared $("$PG_CONFIG" --cflags_sl) -I"$("$PG_CONFIG" --includedir-server)" \
	-o "$DIR/floor_trigger.so" test/bench/floor_trigger.c
chmod 755 "$DIR/floor_trigger.so"
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
  FROM unnest(ARRAY['bare', 'tickets']) s, unnest(ARRAY['csat', 'row', 'stmt', 'nop', 'read']) v \gexec
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
CREATE FUNCTION read_trg() RETURNS trigger AS '$DIR/floor_trigger.so', 'floor_read_trigger' LANGUAGE C;
CREATE TRIGGER read_trg AFTER INSERT ON bare_read REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION read_trg();
CREATE TRIGGER read_trg AFTER INSERT ON tickets_read REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION read_trg();

-- the floor's breach log: shaped and indexed like csat.breaches, no trigger
CREATE TABLE breaches_plain (LIKE csat.breaches INCLUDING ALL);
-- the breaching rows as csat logs them, in primary-key order (csat sorts its batch so)
CREATE TABLE brsrc5 AS
SELECT 'frt'::text AS rule, 'bare_csat'::regclass AS source, id::text AS row_key,
       extract(epoch FROM answered_at - opened_at)::float8 AS observed, 180::float8 AS threshold,
       'breach'::csat.level AS level, now() AS observed_at
  FROM src5 WHERE answered_at - opened_at > interval '180 s' ORDER BY id::text COLLATE "C";
CREATE TABLE brsrc35 AS
SELECT 'frt'::text AS rule, 'bare_csat'::regclass AS source, id::text AS row_key,
       extract(epoch FROM answered_at - opened_at)::float8 AS observed, 180::float8 AS threshold,
       'breach'::csat.level AS level, now() AS observed_at
  FROM src35 WHERE answered_at - opened_at > interval '180 s' ORDER BY id::text COLLATE "C";
VACUUM FREEZE brsrc5; VACUUM FREEZE brsrc35;
COPY brsrc5 TO '$DIR/pg/br5.copy';
COPY brsrc35 TO '$DIR/pg/br35.copy';
SQL
q -c "SELECT 'breaching share: 5 % -> ' || round(avg((answered_at - opened_at > interval '180 s')::int), 4) FROM src5" \
  -c "SELECT 'breaching share: 35 % -> ' || round(avg((answered_at - opened_at > interval '180 s')::int), 4) FROM src35"

# time_ms SQL: server round trip of one statement, in ms
time_ms() { q -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# one measurement: ms of the statement, and the rows it left in the breach log
measure() {
	local v=$1 shape=$2 pct=$3 how=$4 src=src log=csat.breaches tab
	[ "$shape" = tickets ] && src=tsrc
	case $v in brins|brcopy) log=breaches_plain ;; esac
	if [ $log = breaches_plain ]; then
		q -c "TRUNCATE breaches_plain" -c "CHECKPOINT" >/dev/null
		if [ $v = brins ]; then
			ms=$(time_ms "INSERT INTO breaches_plain SELECT * FROM brsrc$pct")
		else
			ms=$(time_ms "COPY breaches_plain FROM '$DIR/pg/br$pct.copy'")
		fi
	else
		tab=${shape}_$v
		q -c "TRUNCATE $tab, csat.breaches" -c "CHECKPOINT" >/dev/null
		if [ $how = insert ]; then
			ms=$(time_ms "INSERT INTO $tab SELECT * FROM $src$pct")
		else
			ms=$(time_ms "COPY $tab FROM '$DIR/pg/$shape$pct.copy'")
		fi
	fi
	n=$(q -c "SELECT count(*) FROM $log")
}

declare -A T
for shape in $SHAPES; do
	for pct in $PCTS; do
		for how in insert copy; do
			for run in $(seq "$RUNS"); do
				declare -A R=()
				for v in $VARIANTS; do
					measure "$v" "$shape" "$pct" "$how"
					T[$shape,$pct,$how,$v]+="$ms "
					R[$v]=$ms
					echo "  run $run $shape $how $pct% $v: $ms ms, $n breaches" >&2
				done
				# floor of this run: reading every row, plus the cheaper plain write of the breaches
				T[$shape,$pct,$how,floor]+="$(awk -v r="${R[read]}" -v i="${R[brins]}" -v c="${R[brcopy]}" 'BEGIN { print r + (i < c ? i : c) }') "
			done
		done
	done
done

COLS="$VARIANTS floor"
printf '\n%-34s' "median of $RUNS, $ROWS rows"
for v in $COLS; do printf ' %9s' "$v"; done
printf '\n'
for shape in $SHAPES; do
	for pct in $PCTS; do
		for how in insert copy; do
			declare -A M=()
			printf '%-34s' "$shape: $how, $pct % breaching"
			for v in $COLS; do
				M[$v]=$(printf '%s\n' ${T[$shape,$pct,$how,$v]} | median)
				printf ' %7.0fms' "${M[$v]}"
			done
			printf '\n%-34s' "  ratio to plain"
			for v in $COLS; do printf ' %8.2fx' "$(echo "${M[$v]} / ${M[plain]}" | bc -l)"; done
			printf '\n%-34s %8.2fx   (csat - floor) / plain = %.2fx\n' "  csat / floor" \
				"$(echo "${M[csat]} / ${M[floor]}" | bc -l)" "$(echo "(${M[csat]} - ${M[floor]}) / ${M[plain]}" | bc -l)"
		done
	done
done

# single-row inserts, 5 % breaching, 4 clients
[ "$PGB_SECONDS" -gt 0 ] || exit 0
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
