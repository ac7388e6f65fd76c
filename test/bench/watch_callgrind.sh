#!/usr/bin/env bash
# Instruction counts of breach flagging (not a timed test): one INSERT ...
# SELECT (and one COPY) of N rows (default 100k, 5 % breaching) run in `postgres --single`
# under valgrind --tool=callgrind, which counts instructions (Ir): unlike
# times they do not move with the load of the machine.  Cases, each on a
# fresh copy of the same data directory:
#   plain   into an unwatched table
#   csat    into a table watched by csat.watch
#   read    into a table with test/bench/floor_trigger.c, a C statement
#           trigger that reads and deforms every transition row, nothing more
#   brins   INSERT ... SELECT of the breaching rows alone (precomputed, in
#           primary-key order) into breaches_plain, shaped and indexed like
#           csat.breaches (LIKE ... INCLUDING ALL)
# floor = read + brins.  Prints Ir per case and the ratios, then the top
# functions of the csat case (inclusive and self) and the functions where
# csat spends more than read + brins together.
#
# What is counted: PortalRun (execution, transition capture, the AFTER
# triggers) and CommitTransactionCommand of the measured statement, nothing
# of start-up or of the warm-up statement that precedes it (same table,
# other keys: loads the library, csat's cache, plans and relcache entries).
# csat is installed into a private copy of the PostgreSQL installation
# (test/bench/private_pg.sh).  Debian's postgres binary is stripped: its
# static functions show up as bare addresses; csat.so has its symbols.
#
#   test/bench/watch_callgrind.sh   CSAT_CALLGRIND_ROWS=100000
#                                   CSAT_CALLGRIND_SHAPES="bare"   (or "bare tickets")
#                                   CSAT_CALLGRIND_HOWS="insert copy"
#                                   CSAT_CALLGRIND_TOP=25
#                                   CSAT_CALLGRIND_KEEP=dir   (keep the callgrind files there)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ensure_packages postgresql-$PGVER postgresql-server-dev-$PGVER postgresql-$PGVER-cron gcc make valgrind
ROWS=${CSAT_CALLGRIND_ROWS:-100000}
SHAPES=${CSAT_CALLGRIND_SHAPES:-bare}
HOWS=${CSAT_CALLGRIND_HOWS:-insert copy}
TOP=${CSAT_CALLGRIND_TOP:-25}
KEEP=${CSAT_CALLGRIND_KEEP:-}
WARM=2000

DIR=$(mktemp -d /tmp/csat-callgrind.XXXXXX)
chmod 755 "$DIR"
trap 'stop_cluster; rm -rf "$DIR"' EXIT
. test/bench/private_pg.sh
private_install "$DIR"
cc -O2 -g -Wall -fPIC -shared $("$PG_CONFIG" --cflags_sl) -I"$("$PG_CONFIG" --includedir-server)" \
	-o "$DIR/floor_trigger.so" test/bench/floor_trigger.c
chmod 755 "$DIR/floor_trigger.so"

# set up in a normal server, then stop it
start_cluster "$DIR/pg" "shared_buffers = '512MB'" "max_wal_size = '4GB'" "checkpoint_timeout = '30min'"
q() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
q >/dev/null <<SQL
CREATE EXTENSION csat;
INSERT INTO csat.rules (name, metric, breach) VALUES ('frt', 'frt', 180);
-- ids 1..N measured, -WARM..-1 for the warm-up; 5 % answered past 180 s
CREATE TABLE src AS
SELECT g AS id, timestamptz '2030-01-01' + g * interval '1 s' AS opened_at,
       timestamptz '2030-01-01' + g * interval '1 s'
       + CASE WHEN abs(hashint8(g)) % 100 < 5
              THEN 181 + abs(hashint8(g)) % 420 ELSE abs(hashint8(g)) % 180 END * interval '1 s' AS answered_at
  FROM generate_series(-$WARM, $ROWS) g WHERE g <> 0;
CREATE TABLE tsrc AS
SELECT id, (abs(hashint8(id)) % 200000)::bigint AS customer_id,
       CASE WHEN id % 10 = 0 THEN 'vip' ELSE 'regular' END AS segment,
       (ARRAY['chat', 'email', 'phone'])[1 + abs(id) % 3] AS channel,
       'Order ' || (id::bigint * 7919 % 1000003) || ': where is my parcel?' AS subject,
       opened_at, answered_at, 'answered'::text AS status
  FROM src;
CREATE TABLE src_warm AS SELECT * FROM src WHERE id < 0;
CREATE TABLE src_run AS SELECT * FROM src WHERE id > 0 ORDER BY id;
CREATE TABLE tsrc_warm AS SELECT * FROM tsrc WHERE id < 0;
CREATE TABLE tsrc_run AS SELECT * FROM tsrc WHERE id > 0 ORDER BY id;

CREATE TABLE bare_plain (id bigint, opened_at timestamptz, answered_at timestamptz);
CREATE TABLE tickets_plain (id bigint PRIMARY KEY, customer_id bigint NOT NULL, segment text NOT NULL,
	channel text NOT NULL, subject text, opened_at timestamptz NOT NULL, answered_at timestamptz, status text NOT NULL);
SELECT format('CREATE TABLE %s_%s (LIKE %s_plain INCLUDING ALL)', s, v, s)
  FROM unnest(ARRAY['bare', 'tickets']) s, unnest(ARRAY['csat', 'read']) v \gexec
SELECT csat.watch('bare_csat', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at');
SELECT csat.watch('tickets_csat', 'frt', 'id', start_column => 'opened_at', end_column => 'answered_at');
CREATE FUNCTION read_trg() RETURNS trigger AS '$DIR/floor_trigger.so', 'floor_read_trigger' LANGUAGE C;
CREATE TRIGGER read_trg AFTER INSERT ON bare_read REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION read_trg();
CREATE TRIGGER read_trg AFTER INSERT ON tickets_read REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION read_trg();

-- the breaching rows as csat logs them, in primary-key order (csat sorts its batch so)
CREATE TABLE breaches_plain (LIKE csat.breaches INCLUDING ALL);
CREATE TABLE brsrc AS
SELECT 'frt'::text AS rule, 'bare_csat'::regclass AS source, id::text AS row_key,
       extract(epoch FROM answered_at - opened_at)::float8 AS observed, 180::float8 AS threshold,
       'breach'::csat.level AS level, now() AS observed_at
  FROM src WHERE answered_at - opened_at > interval '180 s' ORDER BY id::text COLLATE "C";
CREATE TABLE brsrc_warm AS SELECT * FROM brsrc WHERE row_key LIKE '-%';
CREATE TABLE brsrc_run AS SELECT * FROM brsrc WHERE row_key NOT LIKE '-%' ORDER BY row_key COLLATE "C";
COPY src_warm TO '$DIR/pg/bare_warm.copy';
COPY src_run TO '$DIR/pg/bare_run.copy';
COPY tsrc_warm TO '$DIR/pg/tickets_warm.copy';
COPY tsrc_run TO '$DIR/pg/tickets_run.copy';
DROP TABLE src, tsrc, brsrc;
VACUUM FREEZE;
CHECKPOINT;
SQL
NBR=$(q -c "SELECT count(*) FROM brsrc_run")
stop_cluster
chown -R postgres: "$DIR"

# run CASE WARM-UP MEASURED: Ir of MEASURED in a single-user backend on a fresh copy
declare -A IR
run() {
	local c=$1 data=$DIR/data_$1 out=$DIR/cg/$1
	rm -rf "$data"
	as_pg cp -a "$DIR/pg/data" "$data"
	as_pg mkdir -p "$DIR/cg"
	# a dump at each PortalRun entry: .1 = start-up, .2 = the warm-up statement,
	# .3 = the measured one (its PortalRun and commit), the last = the closing SELECT
	printf '%s\n%s\nSELECT 1\n' "$2" "$3" |
		as_pg valgrind --tool=callgrind --callgrind-out-file="$out" \
			--collect-atstart=no --toggle-collect=PortalRun --toggle-collect=CommitTransactionCommand \
			--dump-before=PortalRun \
			"$PGBIN/postgres" --single -D "$data" -c shared_preload_libraries= -c fsync=off postgres \
			>"$DIR/cg/$c.log" 2>&1 || { cat "$DIR/cg/$c.log" >&2; return 1; }
	grep -q 'ERROR' "$DIR/cg/$c.log" && { cat "$DIR/cg/$c.log" >&2; return 1; }
	[ -f "$out.3" ] || { echo "no dump $out.3" >&2; ls "$DIR/cg" >&2; return 1; }
	IR[$c]=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out.3")
	rm -rf "$data"
	printf '  %-22s %13d Ir\n' "$c" "${IR[$c]}" >&2
}

run brins "INSERT INTO breaches_plain SELECT * FROM brsrc_warm" "INSERT INTO breaches_plain SELECT * FROM brsrc_run"
for shape in $SHAPES; do
	src=src; [ "$shape" = tickets ] && src=tsrc
	for how in $HOWS; do
		for v in plain read csat; do
			if [ $how = insert ]; then
				run "${shape}_${how}_$v" "INSERT INTO ${shape}_$v SELECT * FROM ${src}_warm" \
					"INSERT INTO ${shape}_$v SELECT * FROM ${src}_run"
			else
				run "${shape}_${how}_$v" "COPY ${shape}_$v FROM '$DIR/pg/${shape}_warm.copy'" \
					"COPY ${shape}_$v FROM '$DIR/pg/${shape}_run.copy'"
			fi
		done
	done
done

# the report: pipelines cut short by head are fine
set +o pipefail
ratio() { echo "scale=3; $1 / $2" | bc -l; }
printf '\nInstructions (Ir) of one statement of %s rows, %s (5 %%) breaching, in postgres --single\n' "$ROWS" "$NBR"
printf '(brins, the breaching rows alone into breaches_plain: %s Ir)\n' "${IR[brins]}"
printf '%-16s %13s %13s %13s %13s %8s %8s %8s %9s %10s\n' "" plain read floor csat \
	read/pl floor/pl csat/pl csat/floor "(c-f)/pl"
for shape in $SHAPES; do
	for how in $HOWS; do
		c=${shape}_$how
		floor=$((IR[${c}_read] + IR[brins]))
		printf '%-16s %13d %13d %13d %13d %7.3fx %7.3fx %7.3fx %8.3fx %9.3fx\n' "$shape $how" \
			"${IR[${c}_plain]}" "${IR[${c}_read]}" "$floor" "${IR[${c}_csat]}" \
			"$(ratio "${IR[${c}_read]}" "${IR[${c}_plain]}")" "$(ratio "$floor" "${IR[${c}_plain]}")" \
			"$(ratio "${IR[${c}_csat]}" "${IR[${c}_plain]}")" "$(ratio "${IR[${c}_csat]}" "$floor")" \
			"$(ratio "$((IR[${c}_csat] - floor))" "${IR[${c}_plain]}")"
	done
done
printf '(floor = read + brins; (c-f)/pl = (csat - floor) / plain, the issue\047s "within 0.1x of the floor")\n'

# per-function Ir of a dump, inclusive (yes) or self (no): "Ir<TAB>function".
# A function with debug information comes in pieces, one per source file of
# its code (inlined header functions): the piece of its own file is the whole
# inclusive cost, the self costs add up.
fn_ir() {
	callgrind_annotate --auto=no --inclusive="$2" --threshold=100 "$1" 2>/dev/null |
		sed -n 's/^ *\([0-9,]*\) ([ 0-9.]*%) *\(.*\)$/\1\t\2/p' | tr -d , |
		sed 's/ \[[^]]*\]$//; s/\t[^ \t]*:\([^ :]*\)$/\t\1/' |
		awk -F'\t' -v incl="$2" '{ if (incl == "yes") { if ($1 > v[$2]) v[$2] = $1 } else v[$2] += $1 }
			END { for (f in v) printf "%.0f\t%s\n", v[f], f }'
}
# callees of one function, inclusive: the lines under "* file:FN" in --tree=calling
callees() {
	callgrind_annotate --auto=no --inclusive=yes --tree=calling --threshold=100 "$1" 2>/dev/null |
		awk -v f="$2" '/^ *[0-9,]+ \([ 0-9.]+%\)  \*/ { on = $0 ~ (":" f "( |$)") } on' |
		sed 's/ \[[^]]*\]$//; s/ *([ 0-9.]*%)  / /; s/[^ ]*:\([^ :]*\) (/\1 (/; s/[^ ]*:\([^ :]*\)$/\1/' | grep -v ' 0 ' | head -n 24
}

for shape in $SHAPES; do
	for how in $HOWS; do
		c=${shape}_$how
		printf '\n== %s %s: where the Ir go, inclusive, by function (csat, read, brins, csat - read - brins)\n' "$shape" "$how"
		for f in csat read brins; do
			d=$DIR/cg/${c}_$f.3; [ $f = brins ] && d=$DIR/cg/brins.3
			fn_ir "$d" yes | sed "s/^/$f\t/"
		done | awk -F'\t' -v list="PortalRun ExecARInsertTriggers tuplestore_puttupleslot BufFileWrite \
			csat_watch_trigger floor_read_trigger tuplestore_gettupleslot BufFileRead slot_getsomeattrs_int eval_row \
			MemoryContextReset flush_batch pg_qsort try_direct_insert table_slot_create ExecDropSingleTupleTableSlot \
			heap_multi_insert heap_insert ExecInsertIndexTuples btinsert brininsert XLogInsert ExecScan" '
			{ v[$1, $3] = $2 }
			END {
				n = split(list, L, /[ \t\n\\]+/)
				for (i = 1; i <= n; i++) if (L[i] != "")
					printf "  %-30s %13.0f %13.0f %13.0f %+13.0f\n", L[i], v["csat", L[i]], v["read", L[i]], v["brins", L[i]],
						v["csat", L[i]] - v["read", L[i]] - v["brins", L[i]]
			}'
	done
done

shape=${SHAPES%% *}
how=${HOWS%% *}
c=${shape}_${how}_csat
printf '\nTop %s functions of %s %s csat by inclusive Ir (of %s; the frames around the whole statement left out):\n' \
	"$TOP" "$shape" "$how" "${IR[$c]}"
fn_ir "$DIR/cg/$c.3" yes | awk -F'\t' -v t="${IR[$c]}" '$1 < 0.999 * t' | sort -t$'\t' -k1,1nr | head -n "$TOP" |
	awk -F'\t' -v t="${IR[$c]}" '{ printf "  %13.0f %5.1f%%  %s\n", $1, 100 * $1 / t, $2 }'
printf '\nTop %s functions of %s %s csat by self Ir:\n' "$TOP" "$shape" "$how"
fn_ir "$DIR/cg/$c.3" no | awk -F'\t' -v t="${IR[$c]}" '$1 < 0.999 * t' | sort -t$'\t' -k1,1nr | head -n "$TOP" |
	awk -F'\t' -v t="${IR[$c]}" '{ printf "  %13.0f %5.1f%%  %s\n", $1, 100 * $1 / t, $2 }'
for f in csat_watch_trigger eval_row flush_batch try_direct_insert; do
	printf '\ncsat %s, %s %s, its callees (inclusive Ir):\n' "$f" "$shape" "$how"
	callees "$DIR/cg/$c.3" "$f"
done
printf '\nthe reading trigger, %s %s, its callees (inclusive Ir):\n' "$shape" "$how"
callees "$DIR/cg/${shape}_${how}_read.3" floor_read_trigger

if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP"
	cp "$DIR"/cg/*.3 "$KEEP"/
	echo "callgrind dumps kept in $KEEP" >&2
fi
