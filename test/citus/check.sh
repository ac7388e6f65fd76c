#!/usr/bin/env bash
# Manual scale-out check of csat on Citus (not run by test/run): starts a
# coordinator and two workers on 127.0.0.1, distributes a survey/ticket table
# by order_id and, for every csat aggregate in the catalog, checks that
#   - EXPLAIN VERBOSE of a GROUP BY on a non-distribution column shows the
#     split (worker_partial_agg on the workers, coord_combine_agg on the
#     coordinator), and the query still runs with
#     citus.coordinator_aggregation_strategy = 'disabled' (no row gathering);
#   - its results equal the same query on a plain single-node table (counts
#     exactly, float sums to 1e-12 relative), for three groupings.
# It then checks or prints what else matters on a cluster: scalar functions
# over split results (Wilson bounds, checks), FILTER, HAVING, window functions,
# EXPLAIN ANALYZE, ORDER BY/DISTINCT inside aggregates, an internal-state
# aggregate for contrast, calendars read inside split aggregates, watched
# distributed tables (breaches equal to a plain table's, writes on workers,
# concurrent writers, sweep, NOTIFY, rights, bulk load timings), watched reference
# tables (the same against a plain table), csat.prune_breaches over the breach
# tables, mapped distributed sources with csat.refresh and the KPI views against a
# single node (when those families are present), partial states
# under workers' extra_float_digits, and extension propagation (DROP/CREATE,
# ALTER EXTENSION UPDATE, a fourth node added later on port +3; DROP EXTENSION
# taking csat's Citus tables along).
#
# It needs a PostgreSQL 15 installation that already has Citus installed; it
# never builds or downloads Citus.  It builds csat from this checkout and
# installs it into that installation (CSAT_SKIP_INSTALL=1 to skip).
#
#   PG_CONFIG=/path/to/bin/pg_config test/citus/check.sh
#
#   CSAT_CITUS_PORT  first of four ports (default 9700)
#   CSAT_CITUS_ROWS  rows of the test table (default 300000)
#   CSAT_CITUS_SCALE scale of the demo data for the mapped sources (default 0.05)
#   CSAT_CITUS_BULK  rows of the watched/unwatched bulk load timings (default 200000)
#   CSAT_CITUS_KEEP  1: leave the servers running (prints how to stop)
# Exit status 0 when every check passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
: "${PG_CONFIG:?set PG_CONFIG to the pg_config of a PostgreSQL 15 installation with Citus}"
PORT0=${CSAT_CITUS_PORT:-9700}
ROWS=${CSAT_CITUS_ROWS:-300000}
. test/citus/cluster.sh
cluster_init csat-citus

PASS=0
FAIL=0
FAILED=()
record() { # record NAME STATUS
	if [ "$2" -eq 0 ]; then
		PASS=$((PASS + 1)); printf 'ok     %s\n' "$1"
	else
		FAIL=$((FAIL + 1)); FAILED+=("$1"); printf 'FAILED %s\n' "$1"
	fi
}
finish() {
	cluster_stop
	[ ${#FAILED[@]} -gt 0 ] && echo "failed: ${FAILED[*]}"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
	exit $?
}
trap finish EXIT

# ---- install csat (built in a scratch copy, so the checkout stays clean) ----
if [ "${CSAT_SKIP_INSTALL:-0}" != 1 ]; then
	if cluster_install; then record install-csat 0; else record install-csat 1; exit 1; fi
fi

# ---- three servers on loopback ----------------------------------------------
for i in 0 1 2; do
	cluster_start_node "$i" || { record "start-${NAMES[$i]}" 1; exit 1; }
done
record start-3-nodes 0

# ---- extensions on every node, then the cluster ------------------------------
ok=0
cluster_form || ok=1
CSATV=$(q "$C" -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'")
echo "citus $(q "$C" -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"), csat $CSATV"
echo "active workers: $(q "$C" -c 'SELECT string_agg(node_name || $$:$$ || node_port, $$ $$ ORDER BY node_port) FROM citus_get_active_worker_nodes()')"
[ "$(q "$C" -c 'SELECT count(*) FROM citus_get_active_worker_nodes()')" = 2 ] || ok=1
record cluster-setup "$ok"

# ---- data: one plain table, one distributed copy of it ----------------------
ok=0
q "$C" >/dev/null <<SQL || ok=1
SELECT setseed(0.42);
CREATE TABLE responses_local AS
SELECT g::bigint AS order_id,
       (ARRAY['web','app','email','phone','chat'])[1 + floor(random() * 5)::int] AS channel,
       (ARRAY['eu','us','apac','latam'])[1 + floor(random() * 4)::int] AS region,
       date '2026-01-01' + floor(random() * 90)::int AS day,
       CASE WHEN random() < 0.03 THEN NULL ELSE 1 + floor(random() * 5)::int END AS csat_score,
       CASE WHEN random() < 0.03 THEN NULL ELSE floor(random() * 11)::int END AS nps_score,
       CASE WHEN random() < 0.03 THEN NULL ELSE 1 + random() * 4 END AS score,
       CASE WHEN random() < 0.02 THEN NULL WHEN random() < 0.05 THEN 0 ELSE random() * 10 END AS weight,
       CASE WHEN random() < 0.02 THEN NULL ELSE random() < 0.07 END AS complaint,
       CASE WHEN random() < 0.02 THEN NULL ELSE -ln(1 - random()) * 14400 END AS elapsed,
       (ARRAY[3600, 14400, 86400])[1 + floor(random() * 3)::int]::float8 AS target
FROM generate_series(1, $ROWS) g;
-- a small group where every weight is 0 and every score NULL: NULL results
INSERT INTO responses_local
SELECT $ROWS + g, 'kiosk', 'eu', date '2026-01-01', NULL, NULL, 1 + g % 5, 0, NULL, NULL, 3600
FROM generate_series(1, 20) g;
ALTER TABLE responses_local ADD COLUMN elapsed_iv interval, ADD COLUMN target_iv interval;
UPDATE responses_local SET elapsed_iv = make_interval(secs => elapsed), target_iv = make_interval(secs => target);
-- stored one-row sketches, for csat.rollup (when the sketch family is present)
DO \$\$ BEGIN
	IF to_regtype('csat.sketch') IS NOT NULL THEN
		ALTER TABLE responses_local ADD COLUMN sk csat.sketch;
		EXECUTE 'UPDATE responses_local SET sk = (SELECT csat.sla_sketch(x) FROM (VALUES (elapsed)) v(x)) WHERE elapsed IS NOT NULL';
	END IF;
END \$\$;
CREATE TABLE responses (LIKE responses_local);
SELECT create_distributed_table('responses', 'order_id');
INSERT INTO responses SELECT * FROM responses_local;
ANALYZE responses_local;
SQL
n_local=$(q "$C" -c 'SELECT count(*) FROM responses_local')
n_dist=$(q "$C" -c 'SELECT count(*) FROM responses')
echo "rows: local $n_local, distributed $n_dist in $(q "$C" -c "SELECT count(*) FROM citus_shards WHERE table_name = 'responses'::regclass") shards on $(q "$C" -c "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'responses'::regclass") workers"
[ "$n_local" = "$n_dist" ] && [ "$n_local" -gt 0 ] || ok=1
record data "$ok"

# ---- one case per aggregate: signature | expression | exact or float --------
CASES=(
	'csat.weighted_score(double precision,double precision)|csat.weighted_score(score, weight)|float'
	'csat.csat_rate(integer)|csat.csat_rate(csat_score)|exact'
	'csat.csat_rate(double precision,double precision)|csat.csat_rate(score, 3.5)|exact'
	'csat.nps(integer)|csat.nps(nps_score)|exact'
	'csat.rate(boolean)|csat.rate(complaint)|exact'
	'csat.sla_attainment(double precision,double precision)|csat.sla_attainment(elapsed, target)|exact'
	'csat.sla_attainment(interval,interval)|csat.sla_attainment(elapsed_iv, target_iv)|exact'
	# sketches: bucket counts add exactly, so percentiles and counts must match
	# exactly; the mean divides a float sum whose order differs
	'csat.sla_sketch(double precision)|csat.percentile(csat.sla_sketch(elapsed), 0.95)|exact'
	'csat.sla_sketch(double precision)|csat.count(csat.sla_sketch(elapsed))|exact'
	'csat.sla_sketch(double precision)|csat.mean(csat.sla_sketch(elapsed))|float'
	'csat.sla_sketch(interval)|csat.percentile(csat.sla_sketch(elapsed_iv), 0.5)|exact'
	'csat.sla_sketch(double precision,double precision)|csat.percentile(csat.sla_sketch(elapsed, 0.005), 0.99)|exact'
	'csat.rollup(csat.sketch)|csat.percentile(csat.rollup(sk), 0.9)|exact'
	'csat._rollup(csat.sketch)|csat.percentile(csat._rollup(sk), 0.9)|exact'
	'csat.sla_percentile(double precision,double precision)|csat.sla_percentile(elapsed, 0.95)|exact'
	'csat.sla_percentile(interval,double precision)|csat.sla_percentile(elapsed_iv, 0.5)|exact'
	'csat.sla_percentile(double precision,double precision[])|csat.sla_percentile(elapsed, ARRAY[0.5, 0.9, 0.99])|exact'
	'csat.total(bigint)|csat.total(order_id)|exact'
)

# every csat aggregate in the catalog must have a case
covered=$(printf '%s\n' "${CASES[@]}" | cut -d'|' -f1 | sort -u)
in_catalog=$(q "$C" -c "SELECT p.oid::regprocedure FROM pg_proc p WHERE p.prokind = 'a' AND p.pronamespace = 'csat'::regnamespace ORDER BY 1" | sort)
missing=$(comm -13 <(echo "$covered") <(echo "$in_catalog"))
if [ -n "$missing" ]; then echo "aggregates without a case: $missing"; record coverage 1; else record coverage 0; fi

# same_results NAME QUERY-WITH-%T KIND: run on responses and responses_local, compare.
same_results() {
	local name=$1 sql=$2 kind=$3
	q "$C" -c "${sql//%T/responses}" >"$DIR/d.out" 2>"$DIR/d.err" || { cat "$DIR/d.err"; record "$name" 1; return; }
	q "$C" -c "${sql//%T/responses_local}" >"$DIR/l.out" 2>"$DIR/l.err" || { cat "$DIR/l.err"; record "$name" 1; return; }
	local lines
	lines=$(wc -l <"$DIR/l.out")
	# last field is the aggregate; the others are group keys and must match exactly
	if [ "$(wc -l <"$DIR/d.out")" = "$lines" ] && paste -d'#' "$DIR/d.out" "$DIR/l.out" | awk -v kind="$kind" '
		{
			split($0, h, "#"); nd = split(h[1], d, "|"); nl = split(h[2], l, "|");
			if (nd != nl) { bad = 1; exit 1 }
			for (i = 1; i < nd; i++) if ((d[i] "") != (l[i] "")) { bad = 1; exit 1 }
			a = d[nd]; b = l[nd];
			if ((a "") == (b "")) { same++; next }
			if (kind != "float" || a == "" || b == "") { bad = 1; exit 1 }
			diff = a - b; if (diff < 0) diff = -diff;
			m = (a < 0 ? -a : a); mb = (b < 0 ? -b : b); if (mb > m) m = mb;
			if (diff > 1e-12 * m) { bad = 1; exit 1 }
			if (m > 0 && diff / m > worst) worst = diff / m;
		}
		END { if (bad) exit 1; printf("   %d groups, %d bit-identical, worst relative difference %g\n", NR, same + 0, worst + 0) }'; then
		record "$name" 0
	else
		echo "   distributed vs local differ:"; paste -d'#' "$DIR/d.out" "$DIR/l.out" | head -5
		record "$name" 1
	fi
}

# explain_split NAME QUERY: EXPLAIN VERBOSE on the distributed table must show the split.
explain_split() {
	local name=$1 sql=$2
	q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) ${sql//%T/responses}" >"$DIR/e.out" 2>&1
	grep -E 'coord_combine_agg|worker_partial_agg' "$DIR/e.out" | sed 's/^ *//' | cut -c1-240 | sed 's/^/   /'
	if grep -q 'worker_partial_agg' "$DIR/e.out" && grep -q 'coord_combine_agg' "$DIR/e.out"; then
		record "$name" 0
	else
		sed 's/^/   /' "$DIR/e.out" | head -30; record "$name" 1
	fi
}

for c in "${CASES[@]}"; do
	IFS='|' read -r sig expr kind <<<"$c"
	grep -qxF "$sig" <<<"$in_catalog" || { echo "skip $sig (not in this csat)"; continue; }
	echo "== $sig"
	explain_split "split/$sig" "SELECT channel, $expr FROM %T GROUP BY channel"
	if q "$C" -c "SET citus.coordinator_aggregation_strategy = 'disabled'" \
		-c "SELECT count(*) FROM (SELECT channel, $expr FROM responses GROUP BY channel) s" >/dev/null 2>"$DIR/s.err"; then
		record "no-row-gather/$sig" 0
	else
		cat "$DIR/s.err"; record "no-row-gather/$sig" 1
	fi
	same_results "equal-by-channel/$sig" "SELECT channel, $expr FROM %T GROUP BY channel ORDER BY channel" "$kind"
	same_results "equal-by-region-day/$sig" "SELECT region, day, $expr FROM %T GROUP BY region, day ORDER BY region, day" "$kind"
	same_results "equal-whole-table/$sig" "SELECT $expr FROM %T" "$kind"
done

# a dashboard query with every aggregate at once
all=$(for c in "${CASES[@]}"; do IFS='|' read -r sig expr kind <<<"$c"; grep -qxF "$sig" <<<"$in_catalog" && printf '%s, ' "$expr"; done)
echo "== all aggregates in one query"
explain_split "split/dashboard" "SELECT channel, ${all%, } FROM %T GROUP BY channel"

# ---- observations and extra checks -------------------------------------------
echo "== scalar Wilson bounds over pushed-down counts"
q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT channel, csat.wilson_lower(count(*) FILTER (WHERE csat_score >= 4), count(csat_score)) FROM responses GROUP BY channel" >"$DIR/e.out"
grep -E 'wilson_lower\(|Query:' "$DIR/e.out" | sed 's/^ *//' | cut -c1-240 | sed 's/^/   /'
# counts run on the workers, the coordinator sums them and calls the function once per group
if grep -q 'csat.wilson_lower(COALESCE((pg_catalog.sum(' "$DIR/e.out" && grep 'Query:' "$DIR/e.out" | grep -q 'count(csat_score)'; then
	record pushdown/wilson-counts 0
else
	record pushdown/wilson-counts 1
fi
same_results "equal/wilson_lower" "SELECT channel, csat.wilson_lower(count(*) FILTER (WHERE csat_score >= 4), count(csat_score)) FROM %T GROUP BY channel ORDER BY channel" float
same_results "equal/wilson_upper" "SELECT channel, csat.wilson_upper(count(*) FILTER (WHERE complaint), count(complaint), 0.99) FROM %T GROUP BY channel ORDER BY channel" float

echo "== FILTER"
explain_split "split/filter" "SELECT region, csat.nps(nps_score) FILTER (WHERE complaint) FROM %T GROUP BY region"
same_results "equal/filter" "SELECT region, csat.nps(nps_score) FILTER (WHERE complaint) FROM %T GROUP BY region ORDER BY region" exact

echo "== HAVING and ORDER BY an aggregate"
same_results "equal/having" "SELECT region, day, csat.csat_rate(csat_score) FROM %T GROUP BY region, day HAVING csat.nps(nps_score) < 0 ORDER BY region, day" exact

echo "== GROUP BY the distribution column (whole aggregate runs on the workers)"
q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT order_id, csat.nps(nps_score) FROM responses GROUP BY order_id" >"$DIR/e.out"
if grep -q worker_partial_agg "$DIR/e.out"; then echo "   split"; else echo "   not split: $(grep -m1 -oE 'csat\.nps\([^)]*\)' "$DIR/e.out") in the task query"; fi
same_results "equal/group-by-order_id" "SELECT order_id, csat.nps(nps_score) FROM %T WHERE order_id % 1000 = 7 GROUP BY order_id ORDER BY order_id" exact

echo "== window functions"
# a moving csat aggregate partitioned by a non-distribution column, then by it
for w in "PARTITION BY channel ORDER BY order_id ROWS BETWEEN 6 PRECEDING AND CURRENT ROW" \
	"PARTITION BY order_id ORDER BY day"; do
	sql="SELECT order_id, csat.nps(nps_score) OVER ($w) FROM %T WHERE order_id <= 2000 ORDER BY order_id"
	if q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) ${sql//%T/responses}" >"$DIR/e.out" 2>"$DIR/w.err"; then
		# WindowAgg above the Citus scan: rows were pulled to the coordinator
		where=$(awk '/WindowAgg/ { print (seen ? "on the workers" : "on the coordinator (rows pulled)"); exit } /Custom Scan \(Citus/ { seen = 1 }' "$DIR/e.out")
		echo "   OVER ($w): WindowAgg $where"
		same_results "equal/window($w)" "$sql" exact
	else
		echo "   OVER ($w): $(head -1 "$DIR/w.err")"
	fi
done
sql="SELECT day, csat.nps(nps_score), avg(csat.nps(nps_score)) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) FROM %T GROUP BY day ORDER BY day"
if q "$C" -c "${sql//%T/responses}" >/dev/null 2>"$DIR/w.err"; then
	echo "   window over grouped aggregates: runs"
	explain_split "split/window-over-groups" "$sql"
	same_results "equal/window-over-groups" "$sql" float
else
	echo "   window over grouped aggregates: $(head -1 "$DIR/w.err")"
fi

echo "== EXPLAIN ANALYZE of a split aggregate"
if q "$C" -c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) SELECT channel, csat.nps(nps_score) FROM responses GROUP BY channel" >"$DIR/ea.out" 2>&1; then
	echo "   runs; $(grep -c worker_partial_agg "$DIR/ea.out") worker_partial_agg lines"
else
	echo "   $(head -1 "$DIR/ea.out")"
fi

echo "== EXPLAIN ANALYZE where nothing is split"
for sql in "SELECT channel, csat.wilson_lower(count(*) FILTER (WHERE csat_score >= 4), count(csat_score)) FROM responses GROUP BY channel" \
	"SELECT order_id, csat.nps(nps_score) FROM responses WHERE order_id < 100 GROUP BY order_id"; do
	if q "$C" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $sql" >/dev/null 2>"$DIR/ea.err"; then echo "   runs: ${sql:0:60}..."; else echo "   $(head -1 "$DIR/ea.err"): ${sql:0:60}..."; fi
done

echo "== ORDER BY and DISTINCT inside an aggregate"
for a in "csat.nps(nps_score ORDER BY order_id)" "csat.nps(DISTINCT nps_score)"; do
	q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT channel, $a FROM responses GROUP BY channel" >"$DIR/e.out" 2>&1
	if grep -q worker_partial_agg "$DIR/e.out"; then echo "   $a: split"; else echo "   $a: not split; $(grep -m1 'Query:' "$DIR/e.out" | sed 's/^ *//' | cut -c1-120)"; fi
	same_results "equal/$a" "SELECT channel, ${a//responses/%T} FROM %T GROUP BY channel ORDER BY channel" exact
done

echo "== contrast: an internal-state aggregate (avg(int8)'s support functions)"
q "$C" -c "CREATE AGGREGATE public.internal_avg(int8) (SFUNC = int8_avg_accum, STYPE = internal,
	FINALFUNC = numeric_poly_avg, COMBINEFUNC = int8_avg_combine, SERIALFUNC = int8_avg_serialize,
	DESERIALFUNC = int8_avg_deserialize, PARALLEL = SAFE)" >/dev/null 2>&1
q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT channel, public.internal_avg(nps_score) FROM responses GROUP BY channel" >"$DIR/e.out" 2>&1
if grep -q worker_partial_agg "$DIR/e.out"; then echo "   split"; else echo "   not split; task query: $(grep -m1 'Query:' "$DIR/e.out" | sed 's/^ *//' | cut -c1-160)"; fi
echo "   with citus.coordinator_aggregation_strategy = 'disabled': $(q "$C" -c "SET citus.coordinator_aggregation_strategy = 'disabled'" \
	-c "SELECT count(*) FROM (SELECT channel, public.internal_avg(nps_score) FROM responses GROUP BY channel) s" 2>&1 | head -1)"

has_fn() { [ -n "$(q "$C" -c "SELECT 1 FROM pg_proc WHERE proname = '$1' AND pronamespace = 'csat'::regnamespace LIMIT 1")" ]; }

# ---- checks and calendars: scalar functions next to the aggregates ------------
if has_fn rate_check; then
	echo "== csat.rate_check / csat.threshold_check over split results"
	sql="SELECT region, day, csat.rate_check(count(*) FILTER (WHERE complaint), count(complaint), 0.06, 0.08)::text FROM %T GROUP BY region, day ORDER BY region, day"
	q "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) ${sql//%T/responses}" | grep -m1 'rate_check' | sed 's/^ *//' | cut -c1-200 | sed 's/^/   /'
	same_results "equal/rate_check" "$sql" exact
	same_results "equal/threshold_check(nps)" "SELECT region, day, csat.threshold_check(csat.nps(nps_score), -40, -50, false)::text FROM %T GROUP BY region, day ORDER BY region, day" exact
fi
if has_fn business_elapsed; then
	echo "== csat.business_elapsed inside a split aggregate (calendars are tables)"
	q "$C" >/dev/null <<'SQL'
INSERT INTO csat.calendars (name, time_zone) VALUES ('support', 'Europe/Berlin');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes)
SELECT 'support', d, '09:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO csat.calendar_holidays (calendar, day) VALUES ('support', '2026-01-06');
SQL
	# opened somewhere in the first 90 days, answered elapsed seconds later
	be="csat.business_elapsed(timestamptz '2026-01-01 00:00+00' + make_interval(secs => order_id % 7776000), timestamptz '2026-01-01 00:00+00' + make_interval(secs => order_id % 7776000 + elapsed), 'support')"
	sql="SELECT channel, csat.sla_attainment($be, 3600) FROM %T GROUP BY channel ORDER BY channel"
	r=$(q "$C" -c "${sql//%T/responses}" 2>&1 >/dev/null | head -1)
	echo "   calendar defined on the coordinator only: ${r:-runs}"
	# the same calendar rows on every worker
	for p in "${PORTS[@]:1}"; do
		q "$p" >/dev/null 2>&1 <<'SQL'
INSERT INTO csat.calendars (name, time_zone) VALUES ('support', 'Europe/Berlin');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes)
SELECT 'support', d, '09:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO csat.calendar_holidays (calendar, day) VALUES ('support', '2026-01-06');
SQL
	done
	echo "   calendar rows inserted on every node:"
	explain_split "split/sla_attainment(business_elapsed)" "$sql"
	same_results "equal/sla_attainment(business_elapsed)" "$sql" exact
	# instead: the calendar tables as Citus reference tables, rows on the coordinator only
	for p in "${PORTS[@]:1}"; do q "$p" -c "DELETE FROM csat.calendars" >/dev/null; done
	r=$(q "$C" -c "SELECT create_reference_table(t) FROM unnest(ARRAY['csat.calendars', 'csat.calendar_hours', 'csat.calendar_holidays']::regclass[]) t" 2>&1 | grep -v NOTICE | grep -v DETAIL | grep -v HINT | head -1)
	echo "   calendar tables made reference tables: ${r:0:160}"
	r=$(q "$C" -c "${sql//%T/responses}" 2>&1 >/dev/null | head -1)
	echo "   then the query: ${r:-runs}"
	[ -z "$r" ] && same_results "equal/sla_attainment(business_elapsed), reference calendars" "$sql" exact
fi

# ---- mapped distributed sources against a single node ------------------------
# The demo data (test/data/generate.sql, CSAT_CITUS_SCALE, default 0.05 = 50k
# orders) twice: as four distributed tables mapped on the coordinator, and as
# plain tables in a second database of the coordinator (csat_single, csat only).
# Same rules and settings (a half-hour time zone, a baseline); csat.refresh(true),
# then writes of every kind and csat.refresh() (incremental on both: on the cluster
# the hours are noted on the shards, in csat.citus_changes_<co-location id>); every
# KPI view must agree (exactly; floats to 1e-12, relative to the value, absolute
# below 1).  A refresh rolled back must leave the notes; then csat.refresh(true) on
# the cluster must equal its incremental result, and both timings are printed.
SCALE=${CSAT_CITUS_SCALE:-0.05}
qd() { q "$C" "$@"; }
qs() { "$BIN/psql" -h 127.0.0.1 -p "$C" -U postgres -d csat_single -qAtX -v ON_ERROR_STOP=1 -F '|' "$@"; }
# same_rows NAME QUERY [COLUMN-NAMES]: the query on the coordinator's postgres and on csat_single
same_rows() {
	local name=$1 sql=$2 cols=${3:-}
	q "$C" -c "$sql" >"$DIR/d.out" 2>"$DIR/d.err" || { head -3 "$DIR/d.err"; record "$name" 1; return; }
	qs -c "$sql" >"$DIR/l.out" 2>"$DIR/l.err" || { head -3 "$DIR/l.err"; record "$name" 1; return; }
	same_files "$name" "$DIR/d.out" "$DIR/l.out" "$cols" "distributed" "single node"
}
# same_files NAME FILE1 FILE2 COLUMN-NAMES LABEL1 LABEL2: the same rows, floats to 1e-12
same_files() {
	local name=$1 cols=$4
	cp "$2" "$DIR/d.cmp"; cp "$3" "$DIR/l.cmp"
	if [ -s "$DIR/l.cmp" ] && [ "$(wc -l <"$DIR/d.cmp")" = "$(wc -l <"$DIR/l.cmp")" ] &&
		paste -d'#' "$DIR/d.cmp" "$DIR/l.cmp" | awk -v cols="$cols" '
		BEGIN { split(cols, cn, " ") }
		function num(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$/ }
		{
			split($0, h, "#"); nd = split(h[1], d, "|"); nl = split(h[2], l, "|");
			if (nd != nl) { bad = 1; print "   row " NR ": " nd " vs " nl " columns"; exit 1 }
			for (i = 1; i <= nd; i++) {
				if ((d[i] "") == (l[i] "")) continue
				# floats: relative to the larger value, absolute below 1 (differences
				# such as *_mom cancel digits)
				diff = d[i] - l[i]; if (diff < 0) diff = -diff
				m = (d[i] < 0 ? -d[i] : d[i]); mb = (l[i] < 0 ? -l[i] : l[i]); if (mb > m) m = mb; if (m < 1) m = 1
				if (!num(d[i]) || !num(l[i]) || diff > 1e-12 * m) {
					bad = 1; print "   row " NR " (" d[1] " " d[2] " " d[3] "), column " i ": " d[i] " vs " l[i]; exit 1
				}
				differ++; if (diff / m > worst) worst = diff / m
				byc[i]++
			}
		}
		END {
			if (bad) exit 1
			printf("   %d rows x %d columns, %d values not bit-identical, worst difference %g (relative, absolute below 1)\n", NR, nd, differ + 0, worst + 0)
			for (i = 1; i <= nd; i++) if (byc[i]) w = w " " (i in cn ? cn[i] : i) "(" byc[i] ")"
			if (w != "") print "   not bit-identical in:" w
		}'; then
		record "$name" 0
	else
		echo "   $5 ($(wc -l <"$DIR/d.cmp") rows) vs $6 ($(wc -l <"$DIR/l.cmp") rows) differ"
		record "$name" 1
	fi
}
kpi_views_equal() { # kpi_views_equal STEP
	local v
	for v in kpi_hourly kpi_daily kpi_weekly kpi_monthly; do
		same_rows "mapped/$1/$v" "SELECT * FROM csat.$v ORDER BY period_start, channel, segment" \
			"$(q "$C" -c "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'csat.$v'::regclass AND attnum > 0")"
	done
	# the KPI on a business-hours calendar (coordinator's calendar, read on the workers)
	echo "   first_response_business: $(q "$C" -c "SELECT count(*) || ' day rows, ' || coalesce(sum(n), 0) || ' closed items, attainment ' || round(avg(attainment)::numeric, 4) FROM csat.kpi_values WHERE kpi = 'first_response_business' AND grain = 'day' AND channel IS NULL AND segment IS NULL" 2>&1 | head -1)"
	[ "$(q "$C" -c "SELECT count(*) FILTER (WHERE n > 0) > 10 FROM csat.kpi_values WHERE kpi = 'first_response_business' AND grain = 'day'" 2>&1)" = t ]
	record "mapped/$1/calendar-kpi-has-values" $?
	same_rows "mapped/$1/calendar-kpi" "SELECT grain, period_start, channel, segment, value, n, p50, p90, p99, mean, attainment, open_n, overdue_n
	  FROM csat.kpi_values WHERE kpi = 'first_response_business' AND grain IN ('hour', 'day', 'month') ORDER BY 1, 2, 3, 4" \
		"grain period_start channel segment value n p50 p90 p99 mean attainment open_n overdue_n"
}
mapped_sources_vs_single_node() {
	echo "== mapped distributed sources vs a single node (demo data, scale $SCALE)"
	local ok=0 db r t st
	q "$C" -c 'CREATE DATABASE csat_single' >/dev/null 2>&1 || ok=1
	qs -c 'CREATE EXTENSION csat' || ok=1
	for db in postgres csat_single; do
		"$BIN/psql" -h 127.0.0.1 -p "$C" -U postgres -d "$db" -qX -v ON_ERROR_STOP=1 -v scale="$SCALE" \
			-v end_ts="'2026-11-22 12:00+00'" -f "$ROOT/test/data/generate.sql" >/dev/null || ok=1
	done
	q "$C" >/dev/null 2>&1 <<'SQL' || ok=1
SELECT create_distributed_table('shop.orders', 'id');
SELECT create_distributed_table('shop.tickets', 'id', colocate_with => 'shop.orders');
SELECT create_distributed_table('shop.surveys', 'id', colocate_with => 'shop.orders');
SELECT create_distributed_table('shop.returns', 'id', colocate_with => 'shop.orders');
SELECT truncate_local_data_after_distributing_table(t)
  FROM unnest(ARRAY['shop.orders', 'shop.tickets', 'shop.surveys', 'shop.returns']::regclass[]) t;
SQL
	# the same rows in both
	for t in orders tickets surveys returns; do
		[ "$(q "$C" -c "SELECT count(*), sum(hashtext(t::text)) FROM shop.$t t")" = "$(qs -c "SELECT count(*), sum(hashtext(t::text)) FROM shop.$t t")" ] || ok=1
	done
	echo "   rows: $(q "$C" -c "SELECT string_agg(t || ' ' || n, ', ') FROM (VALUES ('orders', (SELECT count(*) FROM shop.orders)), ('tickets', (SELECT count(*) FROM shop.tickets)), ('surveys', (SELECT count(*) FROM shop.surveys)), ('returns', (SELECT count(*) FROM shop.returns))) v(t, n)"), distributed in $(q "$C" -c "SELECT count(*) FROM citus_shards WHERE table_name::text LIKE 'shop.%'") shards"
	if [ -n "$(q "$C" -c "SELECT to_regclass('csat.rules')")" ]; then
		q "$C" -c 'COPY csat.rules TO STDOUT' | qs -c 'COPY csat.rules FROM STDIN' || ok=1
	fi
	for db in qd qs; do
		$db >/dev/null <<'SQL' || ok=1
SET citus.enable_unsafe_triggers = on;
INSERT INTO csat.settings (timezone, baseline_start, baseline_end) VALUES ('Asia/Kolkata', '2026-01-01', '2026-01-31')
ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, baseline_start = EXCLUDED.baseline_start, baseline_end = EXCLUDED.baseline_end;
SELECT csat.map_source('orders', 'shop.orders', '{"order_id": "id", "ordered_at": "created_at", "exception": "has_exception", "channel": "sales_channel", "segment": "customer_segment", "category": "product_category", "followed_up_at": "follow_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id": "id", "opened_at": "created", "first_response_at": "first_reply_at", "is_complaint": "complaint", "category": "topic", "agent": "assignee"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at": "invited_at"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id": "id", "completed_at": "refunded_at"}');
-- a KPI on a business-hours calendar defined on the coordinator only: the shards
-- evaluate csat.business_elapsed, reading the node's copies of the calendars
INSERT INTO csat.calendars (name, time_zone) VALUES ('kpi_hours', 'Europe/Berlin');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes) SELECT 'kpi_hours', d, '08:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csat.calendar_holidays (calendar, day) VALUES ('kpi_hours', '2026-11-19');
INSERT INTO csat.kpis (name, kind, measure, start_column, stop_column, target, calendar, higher_is_better, unit, description)
VALUES ('first_response_business', 'tickets', 'duration', 'opened_at', 'first_response_at', 3600, 'kpi_hours', false, 'seconds',
        'check.sh: first response in business hours (calendar kpi_hours), attainment within 1 business hour');
SQL
	done
	record mapped/setup "$ok"
	[ "$ok" = 0 ] || return
	# full refresh: Citus splits the hour/channel/segment aggregation over the shards
	for db in qd qs; do
		r=$($db -c 'SELECT round(duration_s::numeric, 2) || $$ s, $$ || hours_touched || $$ hours$$ FROM csat.refresh(true)' 2>&1 | head -3)
		echo "   csat.refresh(true) ($([ $db = qd ] && echo distributed || echo single node)): $r"
		case $r in *ERROR*) record "mapped/refresh-full/$db" 1 ;; *) record "mapped/refresh-full/$db" 0 ;; esac
	done
	kpi_views_equal full
	# writes of every kind in the last week: inserts, an update, a delete
	for db in qd qs; do
		$db >/dev/null <<'SQL' || ok=1
INSERT INTO shop.orders
SELECT 90000000 + g, ts, ts + interval '3 days', CASE WHEN g % 4 <> 0 THEN ts + interval '30 hours' END, g % 50 = 0,
       (ARRAY['app', 'web', 'mini'])[1 + g % 3], CASE WHEN g % 10 = 0 THEN 'vip' ELSE 'regular' END, 'm01'
  FROM generate_series(1, 400) g, LATERAL (SELECT timestamptz '2026-11-16 00:00+00' + g * interval '17 minutes') t(ts);
INSERT INTO shop.tickets
SELECT 90000000 + g, 90000000 + g, ts, ts + (g % 900) * interval '1 second', CASE WHEN g % 3 = 0 THEN ts + interval '5 hours' END,
       g % 5 = 0, (ARRAY['chat', 'email', 'phone'])[1 + g % 3], 'normal', CASE WHEN g % 10 = 0 THEN 'vip' ELSE 'regular' END
  FROM generate_series(1, 300) g, LATERAL (SELECT timestamptz '2026-11-17 00:00+00' + g * interval '13 minutes') t(ts);
INSERT INTO shop.surveys (id, answered_at, score, scale_max, weight, dimension, channel, segment, order_id, invited_at)
SELECT 90000000 + g, ts, CASE WHEN g % 3 = 0 THEN g % 11 ELSE 1 + g % 5 END, CASE WHEN g % 3 = 0 THEN 10 ELSE 5 END,
       0.3, 'service', 'chat', 'regular', NULL, ts - interval '2 hours'
  FROM generate_series(1, 300) g, LATERAL (SELECT timestamptz '2026-11-18 00:00+00' + g * interval '11 minutes') t(ts);
INSERT INTO shop.returns
SELECT 90000000 + g, 90000000 + g, ts, CASE WHEN g % 2 = 0 THEN ts + interval '2 days' END, 'late'
  FROM generate_series(1, 100) g, LATERAL (SELECT timestamptz '2026-11-19 00:00+00' + g * interval '23 minutes') t(ts);
UPDATE shop.tickets SET complaint = NOT complaint WHERE created >= '2026-11-15' AND id % 3 = 0;
UPDATE shop.orders SET sales_channel = 'web' WHERE created_at >= '2026-11-01' AND id % 13 = 0;
DELETE FROM shop.surveys WHERE answered_at >= '2026-11-15' AND id % 7 = 0;
SQL
	done
	record mapped/writes "$ok"
	# the triggers csat.map_source put on the distributed tables fired on their shards and
	# noted the hours in the co-located shards of csat.citus_changes_<co-location id>
	local notes n1 n2 t_inc t_full v
	notes="SELECT coalesce(sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM csat.%I', c.relname), false, true, '')))[1]::text::bigint), 0)
	         FROM pg_class c WHERE c.relnamespace = 'csat'::regnamespace AND c.relname LIKE 'citus\_changes\_%' AND c.relkind = 'r'"
	n1=$(q "$C" -c "$notes" 2>&1 | head -1)
	echo "   after the writes, change notes: distributed: csat.changes per node:$(for p in "${PORTS[@]}"; do printf ' %s:%s' "$p" "$(q "$p" -c 'SELECT count(*) FROM csat.changes' 2>&1 | head -1)"; done), csat.citus_changes_*: $n1 rows ($(q "$C" -c "SELECT string_agg(c.relname || ' in ' || (SELECT count(*) FROM citus_shards s WHERE s.table_name = c.oid) || ' shards', ', ') FROM pg_class c WHERE c.relnamespace = 'csat'::regnamespace AND c.relname LIKE 'citus\_changes\_%' AND c.relkind = 'r'")); single node: $(qs -c 'SELECT count(*) FROM csat.changes')"
	# a refresh that fails (rolled back) consumes nothing
	q "$C" -c 'BEGIN' -c 'SELECT csat.refresh() IS NULL' -c 'ROLLBACK' >/dev/null 2>&1
	n2=$(q "$C" -c "$notes" 2>&1 | head -1)
	echo "   change notes after a refresh rolled back: $n2 (before: $n1)"
	[ "$n1" -gt 0 ] 2>/dev/null && [ "$n1" = "$n2" ]
	record mapped/rolled-back-refresh-keeps-notes $?
	# an incremental refresh on both
	for db in qd qs; do
		r=$($db -c 'SELECT round(duration_s::numeric, 2) || $$ s, $$ || hours_touched || $$ hours, full rebuild: $$ || full_rebuild FROM csat.refresh()' 2>&1 | head -3)
		echo "   csat.refresh() ($([ $db = qd ] && echo distributed || echo single node)): $r"
		[ $db = qd ] && t_inc=$(echo "$r" | sed -n 's/^\([0-9.]*\) s.*/\1/p')
		case $r in *ERROR*) st=1 ;; *'full rebuild: false') st=0 ;; *) st=1 ;; esac
		record "mapped/refresh-after-writes/$db" $st
	done
	n2=$(q "$C" -c "$notes" 2>&1 | head -1)
	[ "$n2" = 0 ]
	record mapped/refresh-consumed-notes $?
	kpi_views_equal after-writes
	# incremental == full on the cluster itself, and what each costs there
	for v in kpi_hourly kpi_daily kpi_weekly kpi_monthly; do
		q "$C" -c "SELECT * FROM csat.$v ORDER BY period_start, channel, segment" >"$DIR/inc.$v" 2>&1
	done
	r=$(q "$C" -c 'SELECT round(duration_s::numeric, 2) || $$ s, $$ || hours_touched || $$ hours$$ FROM csat.refresh(true)' 2>&1 | head -3)
	t_full=$(echo "$r" | sed -n 's/^\([0-9.]*\) s.*/\1/p')
	echo "   csat.refresh(true) (distributed) after it: $r; incremental/full: $(awk -v i="$t_inc" -v f="$t_full" 'BEGIN { if (f > 0) printf("%.1f %%", 100 * i / f); else print "?" }')"
	for v in kpi_hourly kpi_daily kpi_weekly kpi_monthly; do
		q "$C" -c "SELECT * FROM csat.$v ORDER BY period_start, channel, segment" >"$DIR/full.$v" 2>&1
		same_files "mapped/incremental-equals-full/$v" "$DIR/inc.$v" "$DIR/full.$v" \
			"$(q "$C" -c "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'csat.$v'::regclass AND attnum > 0")" incremental full
	done
	unmap "ARRAY['orders', 'tickets', 'surveys', 'returns']"
}
# unmap KINDS-ARRAY: csat.unmap_source, retried in sequential mode when Citus asks for it
# (a view over a distributed table is a distributed view: replacing it after a parallel
# operation in the same transaction fails)
unmap() {
	local r mode
	for mode in parallel sequential; do
		r=$(q "$C" -c "SET citus.multi_shard_modify_mode = '$mode'" \
			-c "SELECT sum(csat.unmap_source(k)) FROM unnest($1) k" 2>&1 | head -1)
		echo "   csat.unmap_source($1) (citus.multi_shard_modify_mode = $mode): $r"
		case $r in ERROR*) ;; *) break ;; esac
	done
}

# ---- watched tables (csat.watch) and mapped sources (csat.map_source) ----------
# Only when those families are in this csat.  What is checked: the trigger-based
# features on a distributed table, with the rules/registry tables living on the
# coordinator.  Printed as observations; a crash still fails the run.
# breaches_everywhere: csat.breaches row counts on the coordinator and each worker
breaches_everywhere() {
	local p out=""
	for p in "${PORTS[@]}"; do out+=" $p:$(q "$p" -c 'SELECT count(*) FROM csat.breaches' 2>&1 | head -1)"; done
	echo "$out"
}
if has_fn watch && [ -n "$(q "$C" -c "SELECT to_regclass('csat.all_breaches')")" ]; then
	echo "== watched distributed table (csat.watch)"
	# The same writes into a distributed table (tickets, by id) and a plain one
	# (tickets_plain, on the coordinator: one node's path); the breaches must be
	# identical, observation times aside.  Rules: one per segment, one with a
	# business-hours calendar (the copies of csat.calendars* on the workers).
	q "$C" >/dev/null <<'SQL'
INSERT INTO csat.calendars (name, time_zone) VALUES ('desk', 'UTC');
INSERT INTO csat.calendar_hours (calendar, isodow, opens, closes) SELECT 'desk', d, '08:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csat.rules (name, metric, warning, breach) VALUES ('frt', 'first_response', 120, 180);
INSERT INTO csat.rules (name, metric, segment, warning, breach, calendar) VALUES ('frt_vip', 'first_response', 'vip', 60, 90, 'desk');
CREATE TABLE tickets (id bigint PRIMARY KEY, segment text, channel text,
                      opened_at timestamptz NOT NULL, first_response_at timestamptz);
SELECT create_distributed_table('tickets', 'id');
CREATE TABLE tickets_plain (LIKE tickets INCLUDING ALL);
CREATE TABLE tickets_pre (LIKE tickets INCLUDING ALL);
SQL
	r=$(q "$C" -c "SELECT csat.watch('tickets', 'first_response', 'segment', start_column => 'opened_at', end_column => 'first_response_at')" 2>&1 | head -1)
	echo "   csat.watch by another column than the distribution column: $r"
	case $r in *"cannot watch distributed table"*"by column"*) record watch/refuses-other-key 0 ;; *) record watch/refuses-other-key 1 ;; esac
	ok=0
	for t in tickets tickets_plain; do
		r=$(q "$C" -c "SELECT csat.watch('$t', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at', segment_column => 'segment')" 2>&1 | head -1)
		echo "   csat.watch('$t'): ${r}"
		[ "$r" = 0 ] || ok=1
	done
	record watch/distributed-table-without-citus-settings "$ok"
	echo "   copies of the configuration on worker1 (rules, watches, calendars, hours): $(q "${PORTS[1]}" -c "SELECT (SELECT count(*) FROM csat.citus_rules) || ' ' || (SELECT string_agg(source, ',' ORDER BY source) FROM csat.citus_watches) || ' ' || (SELECT count(*) FROM csat.citus_calendars) || ' ' || (SELECT count(*) FROM csat.citus_calendar_hours)")"
	# every kind of write, the same on both tables; $T is the table
	wr() { # wr PORT SQL-with-%T
		local t
		for t in tickets tickets_plain; do
			if [ $t = tickets ]; then q "$1" -c "${2//%T/$t}"; else q "$C" -c "${2//%T/$t}"; fi
		done
	}
	same_breaches() { # same_breaches NAME
		local a b
		a=$(q "$C" -c "SELECT rule || ' ' || row_key || ' ' || observed || ' ' || threshold || ' ' || level FROM csat.all_breaches WHERE source = 'tickets'::regclass ORDER BY rule, row_key::bigint")
		b=$(q "$C" -c "SELECT rule || ' ' || row_key || ' ' || observed || ' ' || threshold || ' ' || level FROM csat.all_breaches WHERE source = 'tickets_plain'::regclass ORDER BY rule, row_key::bigint")
		echo "   $1: $(printf '%s\n' "$a" | grep -c .) breach rows distributed, $(printf '%s\n' "$b" | grep -c .) plain"
		[ -n "$a" ] && [ "$a" = "$b" ]
		record "watch/same-breaches/$1" $?
	}
	# ids 1..100: 30 breach (300 s), 20 warning (150 s); vip rows (every 10th) on the calendar
	wr "$C" "INSERT INTO %T SELECT g, CASE WHEN g % 10 = 0 THEN 'vip' ELSE 'std' END, 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 WHEN g <= 50 THEN 150 ELSE 60 END) FROM generate_series(1, 100) g" >/dev/null
	same_breaches "insert-select"
	for i in 101 102 103; do wr "$C" "INSERT INTO %T VALUES ($i, 'std', 'mail', '2026-03-02 10:00+00', '2026-03-02 10:05+00')" >/dev/null; done
	same_breaches "single-row inserts"
	q "$C" -c "COPY (SELECT g, CASE WHEN g % 7 = 0 THEN 'vip' ELSE 'std' END, 'web', timestamptz '2026-03-03 17:50+00', timestamptz '2026-03-03 17:50+00' + make_interval(secs => (g % 13) * 30) FROM generate_series(201, 1200) g) TO STDOUT" >"$DIR/tickets.copy"
	for t in tickets tickets_plain; do q "$C" -c "\\copy $t FROM '$DIR/tickets.copy'"; done
	same_breaches "copy"
	# warnings escalated to breaches, breaches answered earlier (the log keeps the worse), a multi-shard UPDATE
	# (constants: Citus refuses stable functions over columns, timestamptz + interval, in an UPDATE)
	wr "$C" "UPDATE %T SET first_response_at = '2026-03-02 10:04:30+00' WHERE id BETWEEN 31 AND 60" >/dev/null
	wr "$C" "UPDATE %T SET first_response_at = '2026-03-02 10:00+00' WHERE id BETWEEN 1 AND 10" >/dev/null
	wr "$C" "UPDATE %T SET segment = 'vip' WHERE id % 3 = 0 AND id > 200" >/dev/null
	same_breaches "updates"
	wr "${PORTS[1]}" "INSERT INTO %T SELECT g, 'std', 'chat', timestamptz '2026-03-04 09:00+00', timestamptz '2026-03-04 09:10+00' FROM generate_series(2001, 2100) g" >/dev/null
	wr "${PORTS[2]}" "UPDATE %T SET first_response_at = '2026-03-04 10:10+00' WHERE id BETWEEN 2001 AND 2020" >/dev/null
	same_breaches "writes on the workers"
	r=$(q "$C" -c "SELECT count(*) FROM csat.breaches WHERE source = 'tickets'::regclass")
	rw=$(q "${PORTS[1]}" -c "SET citus.override_table_visibility = off" -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relname LIKE 'citus\_breaches\_%' AND relkind = 'r'" | tail -1)
	echo "   breaches of tickets in the coordinator's csat.breaches: $r; breach shards on worker1: ${rw:0:120}"
	[ "$r" = 0 ] && [ -n "$rw" ]
	record watch/breaches-on-the-workers $?
	# configuration changes reach the shards at commit, and a rolled-back one never does
	q "$C" -c "BEGIN" -c "UPDATE csat.rules SET warning = 10, breach = 20 WHERE name = 'frt'" -c "ROLLBACK" >/dev/null
	wr "$C" "INSERT INTO %T VALUES (3001, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:00:30+00')" >/dev/null
	q "$C" -c "UPDATE csat.rules SET warning = 10, breach = 20 WHERE name = 'frt'" >/dev/null
	wr "$C" "INSERT INTO %T VALUES (3002, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:00:30+00')" >/dev/null
	r=$(q "$C" -c "SELECT string_agg(row_key || ':' || level, ' ' ORDER BY row_key) FROM csat.all_breaches WHERE source = 'tickets'::regclass AND row_key IN ('3001', '3002')")
	echo "   rule changed (rolled back, then committed) between two inserts: $r"
	[ "$r" = "3002:breach" ]
	record watch/rule-change-reaches-workers $?
	q "$C" -c "UPDATE csat.rules SET warning = 120, breach = 180 WHERE name = 'frt'" >/dev/null
	same_breaches "after the rule change"
	# csat.sweep on the coordinator covers the distributed table: open tickets swept
	# an hour after they were opened
	# (opened in the future, so that no trigger flags them, and the same span in both)
	wr "$C" "INSERT INTO %T SELECT g, 'std', 'chat', timestamptz '2030-01-07 10:00+00', NULL FROM generate_series(4001, 4010) g" >/dev/null
	r=$(q "$C" -c "SELECT csat.sweep('2030-01-07 11:00+00')" -c "SELECT csat.sweep('2030-01-07 11:00+00')" | tr '\n' ' ')
	echo "   10 open tickets in each table, csat.sweep() an hour later, twice: $r"
	[ "$r" = "20 0 " ]
	record watch/sweep-covers-distributed $?
	same_breaches "after the sweep"
	# backfill of a distributed table holding rows
	q "$C" -c "CREATE TABLE tickets_bf (LIKE tickets INCLUDING ALL)" -c "SELECT create_distributed_table('tickets_bf', 'id')" >/dev/null
	q "$C" -c "INSERT INTO tickets_bf SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 ELSE 60 END) FROM generate_series(1, 100) g" >/dev/null
	r=$(q "$C" -c "SELECT csat.watch('tickets_bf', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" 2>&1 | head -1)
	n=$(q "$C" -c "SELECT count(*) FROM csat.all_breaches WHERE source = 'tickets_bf'::regclass")
	echo "   csat.watch on a distributed table holding 100 rows (30 past the threshold): backfill logged $r, csat.all_breaches has $n"
	[ "$r" = 30 ] && [ "$n" = 30 ]
	record watch/backfill-distributed $?
	# concurrent writers: through the coordinator and straight into worker2, new
	# rows and escalations of the same rows at once
	q "$C" -c "INSERT INTO tickets SELECT g, 'std', 'chat', timestamptz '2026-03-05 10:00+00', timestamptz '2026-03-05 10:02:30+00' FROM generate_series(5001, 5050) g" >/dev/null
	( for i in $(seq 0 99); do echo "INSERT INTO tickets VALUES ($((6000 + i)), 'std', 'chat', '2026-03-05 10:00+00', '2026-03-05 10:04+00'); UPDATE tickets SET first_response_at = '2026-03-05 10:05+00' WHERE id = $((5001 + i % 50));"; done | q "$C" ) &
	p1=$!
	( for i in $(seq 0 99); do echo "INSERT INTO tickets VALUES ($((7000 + i)), 'std', 'chat', '2026-03-05 10:00+00', '2026-03-05 10:04+00'); UPDATE tickets SET first_response_at = '2026-03-05 10:06+00' WHERE id = $((5050 - i % 50));"; done | q "${PORTS[2]}" ) &
	p2=$!
	wait $p1; s1=$?; wait $p2; s2=$?
	r=$(q "$C" -c "SELECT count(*) FILTER (WHERE row_key::bigint BETWEEN 6000 AND 7099) || ' ' || count(*) FILTER (WHERE row_key::bigint BETWEEN 5001 AND 5050 AND level = 'breach') || ' ' || count(*) FILTER (WHERE row_key::bigint BETWEEN 5001 AND 5050) || ' ' || count(DISTINCT (row_key, rule)) || ' ' || count(*) FROM csat.all_breaches WHERE source = 'tickets'::regclass")
	echo "   two writers (coordinator, worker2), 200 new breaching rows and 50 shared rows escalated 200 times: new, escalated, shared rows, distinct, total: $r"
	set -- $r
	[ $s1 = 0 ] && [ $s2 = 0 ] && [ "$1" = 200 ] && [ "$2" = 50 ] && [ "$3" = 50 ] && [ "$4" = "$5" ]
	record watch/concurrent-writers $?
	# who sees and who writes: row security of the breach tables reaches the shards;
	# a writer with INSERT only on the table gets its rows flagged (the trigger writes
	# as the owner of csat's tables)
	# (LOGIN: Citus connects to the workers as the role)
	q "$C" -c "CREATE ROLE csat_reader LOGIN" -c "GRANT SELECT ON tickets_plain TO csat_reader" \
		-c "CREATE ROLE csat_writer LOGIN" -c "GRANT INSERT ON tickets TO csat_writer" >/dev/null
	a=$(q "$C" -c "SET ROLE csat_reader" -c "SELECT string_agg(DISTINCT source::text, ',') FROM csat.all_breaches")
	q "$C" -c "GRANT SELECT ON tickets TO csat_reader" >/dev/null
	b=$(q "$C" -c "SET ROLE csat_reader" -c "SELECT string_agg(DISTINCT source::text, ',' ORDER BY source::text) FROM csat.all_breaches")
	w=$(q "$C" -c "SET ROLE csat_writer" -c "INSERT INTO tickets VALUES (8001, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:10+00')" 2>&1 | head -1)
	n=$(q "$C" -c "SELECT level FROM csat.all_breaches WHERE source = 'tickets'::regclass AND row_key = '8001'")
	echo "   a reader with SELECT on tickets_plain sees breaches of: $a; with tickets too: $b; INSERT by a writer with INSERT only: ${w:-ok}, logged: $n"
	[ "$a" = tickets_plain ] && [ "$b" = "tickets,tickets_plain" ] && [ -z "$w" ] && [ "$n" = breach ]
	record watch/rights-on-the-cluster $?
	# NOTIFY: the shards log, the coordinator's csat.sweep() announces, once
	q "$C" -c "SELECT csat.sweep()" -c "UPDATE csat.rules SET notify = true WHERE name = 'frt'" >/dev/null
	q "$C" -c "INSERT INTO tickets SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:05+00' FROM generate_series(8101, 8105) g" \
		-c "INSERT INTO tickets SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:02:30+00' FROM generate_series(8106, 8107) g" >/dev/null
	out=$("$BIN/psql" -h 127.0.0.1 -p "$C" -U postgres -d postgres -qAtX -c "LISTEN csat_breach" -c "SELECT csat.sweep()" -c "SELECT csat.sweep()" 2>&1)
	n=$(printf '%s\n' "$out" | grep -c 'Asynchronous notification')
	r=$(printf '%s\n' "$out" | sed -n 's/.*with payload "\(.*\)" received.*/\1/p')
	echo "   7 rows past a threshold of rule frt (notify) logged on the shards (5 breach, 2 warning); two sweeps on the coordinator sent $n notification(s): $r"
	[ "$n" = 1 ] && [ "$r" = '{"rule": "frt", "source": "public.tickets", "count": 7, "level": "breach"}' ]
	record watch/sweep-notifies-distributed $?
	q "$C" -c "UPDATE csat.rules SET notify = false WHERE name = 'frt'" >/dev/null
	# watched first, then distributed (into the group that has a breach table)
	q "$C" -c "SELECT csat.watch('tickets_pre', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" >/dev/null
	r=$(q "$C" -c "SET citus.enable_unsafe_triggers = on" -c "SELECT create_distributed_table('tickets_pre', 'id')" 2>&1 | grep -v NOTICE | head -1)
	echo "   create_distributed_table on a watched table (citus.enable_unsafe_triggers on): ${r:-ok}"
	r=$(q "$C" -c "INSERT INTO tickets_pre SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 ELSE 60 END) FROM generate_series(1, 100) g" 2>&1 | head -1)
	n=$(q "$C" -c "SELECT count(*) FROM csat.all_breaches WHERE source = 'tickets_pre'::regclass")
	echo "   100 rows inserted (30 past the threshold): ${r:-ok}; csat.all_breaches: $n"
	[ -z "$r" ] && [ "$n" = 30 ]
	record watch/distributed-after-watch-same-group $?
	# watched first, then distributed into a group without a breach table: writes
	# fail until csat.sweep() on the coordinator sets the group up
	q "$C" -c "CREATE TABLE tickets_pre4 (LIKE tickets INCLUDING ALL)" \
		-c "SELECT csat.watch('tickets_pre4', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" \
		-c "SET citus.enable_unsafe_triggers = on" -c "SELECT create_distributed_table('tickets_pre4', 'id', shard_count => 4)" >/dev/null 2>&1
	ins="INSERT INTO tickets_pre4 SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 ELSE 60 END) FROM generate_series(1, 100) g"
	r1=$(q "$C" -c "$ins" 2>&1 | grep -o 'ERROR:.*' | head -1)
	q "$C" -c "SELECT csat.sweep()" >/dev/null
	r2=$(q "$C" -c "$ins" 2>&1 | head -1)
	n=$(q "$C" -c "SELECT count(*) FROM csat.all_breaches WHERE source = 'tickets_pre4'::regclass")
	echo "   watched, then distributed into a new co-location group: insert ${r1:-ok}; after csat.sweep(): ${r2:-ok}, csat.all_breaches: $n"
	case $r1 in *"has no breach table"*) [ -z "$r2" ] && [ "$n" = 30 ] ;; *) false ;; esac
	record watch/distributed-after-watch-set-up-by-sweep $?
	# the same within one session: its backends on the workers (Citus keeps a session's
	# connections) cached the shards' metadata, breach table missing; the breach table the
	# sweep creates must reach those caches (Citus's metadata changes invalidate them)
	q "$C" -c "CREATE TABLE tickets_pre2s (LIKE tickets INCLUDING ALL)" \
		-c "SELECT csat.watch('tickets_pre2s', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" \
		-c "SET citus.enable_unsafe_triggers = on" -c "SELECT create_distributed_table('tickets_pre2s', 'id', shard_count => 2)" >/dev/null 2>&1
	ins="INSERT INTO tickets_pre2s SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 ELSE 60 END) FROM generate_series(1, 100) g"
	r=$(q "$C" -v ON_ERROR_STOP=0 -c "$ins" -c "SELECT 'sweep ' || csat.sweep()" -c "$ins" -c "SELECT 'logged ' || count(*) FROM csat.all_breaches WHERE source = 'tickets_pre2s'::regclass" 2>&1 | grep -o 'ERROR:.*breach table\|sweep.*\|logged.*' | tr '\n' ';')
	echo "   one session: insert, csat.sweep(), insert again: $r"
	case $r in *"has no breach table"*";sweep "*";logged 30;") record watch/metadata-cache-invalidated 0 ;; *) record watch/metadata-cache-invalidated 1 ;; esac
	# ---- watched reference table: written on every node, logged once, by the
	# coordinator's placement, into the coordinator's csat.breaches
	q "$C" >/dev/null <<'SQL'
CREATE TABLE tickets_ref (LIKE tickets_plain INCLUDING ALL);
SELECT create_reference_table('tickets_ref');
CREATE TABLE tickets_refp (LIKE tickets_plain INCLUDING ALL);
CREATE TABLE tickets_loc (LIKE tickets_plain INCLUDING ALL);
SELECT citus_add_local_table_to_metadata('tickets_loc');
SQL
	r=$(q "$C" -c "SELECT string_agg(pl.groupid::text, ',' ORDER BY pl.groupid) FROM pg_dist_placement pl JOIN pg_dist_shard s USING (shardid) WHERE s.logicalrelid = 'tickets_ref'::regclass")
	echo "   placements of a reference table (Citus groups): $r"
	case $r in 0,*) record watch/reference-placement-on-coordinator 0 ;; *) record watch/reference-placement-on-coordinator 1 ;; esac
	r=$(q "${PORTS[1]}" -c "SELECT csat.watch('tickets_ref', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" 2>&1 | head -1)
	echo "   csat.watch on a reference table, on worker1: $r"
	case $r in *"watched from the Citus coordinator"*) record watch/reference-refused-on-worker 0 ;; *) record watch/reference-refused-on-worker 1 ;; esac
	ok=0
	for t in tickets_ref tickets_refp; do
		r=$(q "$C" -c "SELECT csat.watch('$t', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at', segment_column => 'segment')" 2>&1 | head -1)
		echo "   csat.watch('$t'): ${r}"
		[ "$r" = 0 ] || ok=1
	done
	record watch/reference-table-without-citus-settings "$ok"
	wref() { # wref PORT SQL-with-%T: the reference table through PORT, its plain twin on the coordinator
		q "$1" -c "${2//%T/tickets_ref}" && q "$C" -c "${2//%T/tickets_refp}"
	}
	same_ref() { # same_ref NAME: identical breaches, each once, none on the workers
		local a b w
		a=$(q "$C" -c "SELECT rule || ' ' || row_key || ' ' || observed || ' ' || threshold || ' ' || level FROM csat.all_breaches WHERE source = 'tickets_ref'::regclass ORDER BY rule, row_key::bigint")
		b=$(q "$C" -c "SELECT rule || ' ' || row_key || ' ' || observed || ' ' || threshold || ' ' || level FROM csat.all_breaches WHERE source = 'tickets_refp'::regclass ORDER BY rule, row_key::bigint")
		w=$(for p in "${PORTS[@]:1}"; do q "$p" -c 'SELECT count(*) FROM csat.breaches'; done | tr '\n' ' ')
		echo "   reference $1: $(printf '%s\n' "$a" | grep -c .) breach rows reference, $(printf '%s\n' "$b" | grep -c .) plain; csat.breaches rows on the workers: $w"
		[ -n "$a" ] && [ "$a" = "$b" ] && [ "$w" = "0 0 " ]
		record "watch/reference-same-breaches/$1" $?
	}
	wref "$C" "INSERT INTO %T SELECT g, CASE WHEN g % 10 = 0 THEN 'vip' ELSE 'std' END, 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 WHEN g <= 50 THEN 150 ELSE 60 END) FROM generate_series(1, 100) g" >/dev/null
	same_ref "insert-select"
	for i in 101 102 103; do wref "$C" "INSERT INTO %T VALUES ($i, 'std', 'mail', '2026-03-02 10:00+00', '2026-03-02 10:05+00')" >/dev/null; done
	same_ref "single-row inserts"
	for t in tickets_ref tickets_refp; do q "$C" -c "\\copy $t FROM '$DIR/tickets.copy'"; done
	same_ref "copy"
	wref "$C" "UPDATE %T SET first_response_at = '2026-03-02 10:04:30+00' WHERE id BETWEEN 31 AND 60" >/dev/null
	wref "$C" "UPDATE %T SET first_response_at = '2026-03-02 10:00+00' WHERE id BETWEEN 1 AND 10" >/dev/null
	wref "$C" "UPDATE %T SET segment = 'vip' WHERE id % 3 = 0 AND id > 200" >/dev/null
	same_ref "updates"
	wref "${PORTS[1]}" "INSERT INTO %T SELECT g, 'std', 'chat', timestamptz '2026-03-04 09:00+00', timestamptz '2026-03-04 09:10+00' FROM generate_series(2001, 2100) g" >/dev/null
	wref "${PORTS[2]}" "UPDATE %T SET first_response_at = '2026-03-04 10:10+00' WHERE id BETWEEN 2001 AND 2020" >/dev/null
	same_ref "writes on the workers"
	wref "$C" "INSERT INTO %T SELECT g, 'std', 'chat', timestamptz '2030-01-07 10:00+00', NULL FROM generate_series(4001, 4010) g" >/dev/null
	r=$(q "$C" -c "SELECT csat.sweep('2030-01-07 11:00+00')" -c "SELECT csat.sweep('2030-01-07 11:00+00')" | tr '\n' ' ')
	echo "   10 open tickets in each of tickets_ref, tickets_refp (and 10 more in tickets, tickets_plain, swept before), csat.sweep() an hour later, twice: $r"
	[ "$r" = "20 0 " ]
	record watch/sweep-covers-reference $?
	same_ref "after the sweep"
	# NOTIFY: queued by the coordinator's placement (a write from a worker runs there in a
	# prepared transaction, which may not NOTIFY), sent once by the coordinator's csat.sweep()
	q "$C" -c "SELECT csat.sweep()" -c "UPDATE csat.rules SET notify = true WHERE name = 'frt'" >/dev/null
	q "$C" -c "INSERT INTO tickets_ref SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:05+00' FROM generate_series(8101, 8104) g" >/dev/null
	r1=$(q "${PORTS[1]}" -c "INSERT INTO tickets_ref SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:02:30+00' FROM generate_series(8105, 8107) g" 2>&1 | head -1)
	out=$("$BIN/psql" -h 127.0.0.1 -p "$C" -U postgres -d postgres -qAtX -c "LISTEN csat_breach" -c "SELECT csat.sweep()" -c "SELECT csat.sweep()" 2>&1)
	n=$(printf '%s\n' "$out" | grep -c 'Asynchronous notification')
	r=$(printf '%s\n' "$out" | sed -n 's/.*with payload "\(.*\)" received.*/\1/p')
	echo "   rule frt (notify): 4 breaching rows inserted into tickets_ref through the coordinator, 3 warnings through worker1 (${r1:-ok}); two sweeps sent $n notification(s): $r"
	[ -z "$r1" ] && [ "$n" = 1 ] && [ "$r" = '{"rule": "frt", "source": "public.tickets_ref", "count": 7, "level": "breach"}' ]
	record watch/sweep-notifies-reference $?
	q "$C" -c "UPDATE csat.rules SET notify = false WHERE name = 'frt'" >/dev/null
	# concurrent writers through the coordinator and worker2: new rows and escalations of the same rows
	q "$C" -c "INSERT INTO tickets_ref SELECT g, 'std', 'chat', timestamptz '2026-03-05 10:00+00', timestamptz '2026-03-05 10:02:30+00' FROM generate_series(5001, 5050) g" >/dev/null
	( for i in $(seq 0 99); do echo "INSERT INTO tickets_ref VALUES ($((6000 + i)), 'std', 'chat', '2026-03-05 10:00+00', '2026-03-05 10:04+00'); UPDATE tickets_ref SET first_response_at = '2026-03-05 10:05+00' WHERE id = $((5001 + i % 50));"; done | q "$C" ) &
	p1=$!
	( for i in $(seq 0 99); do echo "INSERT INTO tickets_ref VALUES ($((7000 + i)), 'std', 'chat', '2026-03-05 10:00+00', '2026-03-05 10:04+00'); UPDATE tickets_ref SET first_response_at = '2026-03-05 10:06+00' WHERE id = $((5050 - i % 50));"; done | q "${PORTS[2]}" ) &
	p2=$!
	wait $p1; s1=$?; wait $p2; s2=$?
	r=$(q "$C" -c "SELECT count(*) FILTER (WHERE row_key::bigint BETWEEN 6000 AND 7099) || ' ' || count(*) FILTER (WHERE row_key::bigint BETWEEN 5001 AND 5050 AND level = 'breach') || ' ' || count(*) FILTER (WHERE row_key::bigint BETWEEN 5001 AND 5050) || ' ' || count(DISTINCT (row_key, rule)) || ' ' || count(*) FROM csat.all_breaches WHERE source = 'tickets_ref'::regclass")
	echo "   reference table, two writers (coordinator, worker2), 200 new breaching rows and 50 shared rows escalated 200 times: new, escalated, shared rows, distinct, total: $r"
	set -- $r
	[ $s1 = 0 ] && [ $s2 = 0 ] && [ "$1" = 200 ] && [ "$2" = 50 ] && [ "$3" = 50 ] && [ "$4" = "$5" ]
	record watch/reference-concurrent-writers $?
	# watched first, then made a reference table (Citus copies the triggers to the placements)
	q "$C" -c "CREATE TABLE tickets_ref2 (LIKE tickets_plain INCLUDING ALL)" \
		-c "SELECT csat.watch('tickets_ref2', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" >/dev/null
	r=$(q "$C" -c "SET citus.enable_unsafe_triggers = on" -c "SELECT create_reference_table('tickets_ref2')" 2>&1 | grep -v NOTICE | head -1)
	r2=$(q "$C" -c "INSERT INTO tickets_ref2 SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 ELSE 60 END) FROM generate_series(1, 100) g" 2>&1 | head -1)
	r3=$(q "${PORTS[2]}" -c "INSERT INTO tickets_ref2 VALUES (101, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:10+00')" 2>&1 | head -1)
	n=$(q "$C" -c "SELECT count(*) FROM csat.all_breaches WHERE source = 'tickets_ref2'::regclass")
	echo "   watched, then create_reference_table: ${r:-ok}; 100 rows inserted (30 past the threshold): ${r2:-ok}; 1 more through worker2: ${r3:-ok}; csat.all_breaches: $n"
	[ -z "$r" ] && [ -z "$r2" ] && [ -z "$r3" ] && [ "$n" = 31 ]
	record watch/reference-after-watch $?
	# unwatch: the triggers leave every placement
	q "$C" -c "SELECT csat.unwatch('tickets_ref', 'first_response')" >/dev/null
	r=$(for p in "${PORTS[@]}"; do q "$p" -c "SET citus.override_table_visibility = off" -c "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname ~ '^tickets_ref(_[0-9]+)?$' AND t.tgname LIKE 'csat_watch%'"; done | tr '\n' ' ')
	q "${PORTS[1]}" -c "INSERT INTO tickets_ref VALUES (9001, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:10+00')" >/dev/null
	n=$(q "$C" -c "SELECT count(*) FROM csat.all_breaches WHERE source = 'tickets_ref'::regclass AND row_key = '9001'")
	echo "   csat.unwatch of the reference table: watch triggers left per node: $r; a breaching insert afterwards logged: $n"
	[ "$r" = "0 0 0 " ] && [ "$n" = 0 ]
	record watch/reference-unwatch-cleans-every-node $?
	# Citus local tables (one shard, its placement on the coordinator): logged like a
	# reference table, by that placement, under the table's own name
	r=$(q "$C" -c "SELECT csat.watch('tickets_loc', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" 2>&1 | grep -v NOTICE | head -1)
	r2=$(q "$C" -c "INSERT INTO tickets_loc SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 20 THEN 300 ELSE 60 END) FROM generate_series(1, 50) g" 2>&1 | head -1)
	n=$(q "$C" -c "SELECT count(*) FILTER (WHERE source = 'tickets_loc'::regclass) || ' ' || count(*) FILTER (WHERE source::text ~ '^tickets_loc_[0-9]+$') FROM csat.all_breaches")
	echo "   csat.watch on a Citus local table: ${r:-ok}; 50 rows inserted (20 past the threshold): ${r2:-ok}; breaches under its name, under its shard's: $n"
	[ -z "$r2" ] && [ "$n" = "20 0" ]
	record watch/citus-local-table $?
	# watched as a plain table first, then added to the metadata as a Citus local table:
	# Citus renames it to its shard and a new table takes its name; csat's registry
	# follows the OID until the next csat.sweep() points it at the table again
	q "$C" -c "CREATE TABLE tickets_loc2 (LIKE tickets_plain INCLUDING ALL)" \
		-c "SELECT csat.watch('tickets_loc2', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" >/dev/null
	r=$(q "$C" -c "SET citus.enable_unsafe_triggers = on" -c "SELECT citus_add_local_table_to_metadata('tickets_loc2')" 2>&1 | grep -v NOTICE | head -1)
	r2=$(q "$C" -c "INSERT INTO tickets_loc2 SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g <= 30 THEN 300 ELSE 60 END) FROM generate_series(1, 100) g" 2>&1 | head -1)
	local_n() { q "$C" -c "SELECT count(*) FILTER (WHERE source = 'tickets_loc2'::regclass) || ' ' || count(*) FILTER (WHERE source::text ~ '^tickets_loc2_[0-9]+$') FROM csat.all_breaches"; }
	n=$(local_n)
	q "$C" -c "SELECT csat.sweep()" >/dev/null
	n2=$(local_n)
	r3=$(q "$C" -c "UPDATE tickets_loc2 SET first_response_at = timestamptz '2026-03-02 10:20+00' WHERE id BETWEEN 31 AND 40" 2>&1 | head -1)
	n3=$(local_n)
	r4=$(q "$C" -c "SELECT csat.unwatch('tickets_loc2', 'first_response')" 2>&1 | grep -v NOTICE | head -1)
	echo "   watched, then citus_add_local_table_to_metadata: ${r:-ok}; 100 rows inserted (30 past the threshold): ${r2:-ok}; breaches under its name, under its shard's: $n; after csat.sweep(): $n2; 40 made late: ${r3:-ok}, $n3; unwatch: ${r4:-ok}"
	[ -z "$r" ] && [ -z "$r2" ] && [ "$n2" = "30 0" ] && [ "$n3" = "40 0" ] && [[ "$r4" != *ERROR* ]]
	record watch/citus-local-after-watch $?
	# bulk loads on the cluster, watched (1 % of rows past a threshold) and not
	q "$C" -c "CREATE TABLE tickets_bulk (LIKE tickets INCLUDING ALL)" -c "SELECT create_distributed_table('tickets_bulk', 'id')" \
		-c "CREATE TABLE tickets_bulk_u (LIKE tickets INCLUDING ALL)" -c "SELECT create_distributed_table('tickets_bulk_u', 'id')" \
		-c "SELECT csat.watch('tickets_bulk', 'first_response', 'id', start_column => 'opened_at', end_column => 'first_response_at')" >/dev/null
	bulk="INSERT INTO %s SELECT g, 'std', 'chat', timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 10:00+00' + make_interval(secs => CASE WHEN g %% 100 = 0 THEN 300 ELSE 60 END) FROM generate_series(1, ${CSAT_CITUS_BULK:-200000}) g"
	for t in tickets_bulk_u tickets_bulk tickets_bulk_u tickets_bulk; do
		ms=$(q "$C" -c '\timing on' -c "$(printf "$bulk" $t)" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
		echo "   bulk INSERT ... SELECT of ${CSAT_CITUS_BULK:-200000} rows into $t: $ms ms"
		q "$C" -c "TRUNCATE $t" >/dev/null
	done
	# single-row INSERTs (one statement per row: the per-statement cost on the shard,
	# where the trigger reads its shard's Citus metadata, cached per backend)
	for t in tickets_bulk_u tickets_bulk; do
		for g in $(seq 1 2000); do echo "INSERT INTO $t VALUES ($g, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:0$(( g % 100 == 0 ? 5 : 1 )):00+00');"; done >"$DIR/$t.rows.sql"
	done
	for t in tickets_bulk_u tickets_bulk tickets_bulk_u tickets_bulk; do
		t0=$(date +%s%N)
		q "$C" -f "$DIR/$t.rows.sql" >/dev/null
		echo "   2000 single-row INSERTs (one session) into $t: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
		q "$C" -c "TRUNCATE $t" >/dev/null
	done
	# unwatch: triggers gone from every shard, the copy of the registry follows
	q "$C" -c "SELECT csat.unwatch('tickets', 'first_response')" >/dev/null
	r=$(q "${PORTS[1]}" -c "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname ~ '^tickets_[0-9]+$' AND t.tgname LIKE 'csat_watch%'")
	rw=$(q "${PORTS[1]}" -c "SELECT count(*) FROM csat.citus_watches WHERE source = 'public.tickets'")
	q "$C" -c "INSERT INTO tickets VALUES (9001, 'std', 'chat', '2026-03-02 10:00+00', '2026-03-02 10:10+00')" >/dev/null
	n=$(q "$C" -c "SELECT count(*) FROM csat.all_breaches WHERE source = 'tickets'::regclass AND row_key = '9001'")
	echo "   csat.unwatch: watch triggers left on worker1's shards: $r, its row in worker1's copy: $rw, a breaching insert afterwards logged: $n"
	[ "$r" = 0 ] && [ "$rw" = 0 ] && [ "$n" = 0 ]
	record watch/unwatch-cleans-every-node $?
	# csat.prune_breaches prunes the breach tables of distributed tables too (a
	# distributed DELETE from the coordinator); the sweep's rows of 2030 stay
	b=$(q "$C" -c "SELECT (SELECT count(*) FROM csat.all_breaches WHERE observed_at < now()) || ' ' || (SELECT count(*) FROM csat.citus_breaches() WHERE observed_at < now()) || ' ' || (SELECT count(*) FROM csat.all_breaches WHERE observed_at > now())")
	r=$(q "$C" -c "SELECT csat.prune_breaches('1 day')" -c "SELECT csat.prune_breaches('0')" | tr '\n' ' ')
	a=$(q "$C" -c "SELECT (SELECT count(*) FROM csat.all_breaches WHERE observed_at < now()) || ' ' || (SELECT count(*) FROM csat.citus_breaches() WHERE observed_at < now()) || ' ' || (SELECT count(*) FROM csat.all_breaches WHERE observed_at > now())")
	echo "   breaches observed before now (all, of distributed tables) and after: $b; csat.prune_breaches('1 day'), then ('0'): $r; afterwards: $a"
	set -- $b
	[ "$2" -gt 0 ] && [ "$r" = "0 $1 " ] && [ "$a" = "0 0 $3" ]
	record watch/prune-distributed $?
	# the mapped sources below copy csat.rules into a database without this calendar
	q "$C" -c "DELETE FROM csat.rules WHERE name = 'frt_vip'" -c "DELETE FROM csat.calendars WHERE name = 'desk'" >/dev/null
else
	echo "== watched tables: csat.watch not in this csat, skipped"
fi
if has_fn map_source; then
	echo "== mapped distributed source (csat.map_source)"
	q "$C" >/dev/null <<'SQL'
CREATE TABLE surveys (survey_id bigint, answered_at timestamptz NOT NULL, score int NOT NULL, channel text);
SELECT create_distributed_table('surveys', 'survey_id');
SQL
	for unsafe in off on; do
		r=$(q "$C" -c "SET citus.enable_unsafe_triggers = $unsafe" -c "SELECT csat.map_source('surveys', 'surveys')" 2>&1 | head -1)
		echo "   csat.map_source on a distributed table (citus.enable_unsafe_triggers = $unsafe): ${r:-ok}"
		case $r in ERROR*) ;; *) break ;; esac
	done
	[ "$unsafe" = off ] && [ "$(q "$C" -c "SELECT csat.citus_tracked('surveys', 'surveys')")" = t ]
	record map/distributed-tracked-without-setting $?
	if [ -z "$r" ] || [ "${r#ERROR}" = "$r" ]; then
		q "$C" -c 'SELECT csat.refresh() IS NULL' >/dev/null
		r=$(q "$C" -c "INSERT INTO surveys SELECT g, timestamptz '2026-03-01 10:00+00' + g * interval '1 minute', 1 + g % 5, 'web' FROM generate_series(1, 500) g" 2>&1 | head -1)
		echo "   insert 500 rows: ${r:-ok}; csat.changes rows per node:$(for p in "${PORTS[@]}"; do printf ' %s:%s' "$p" "$(q "$p" -c 'SELECT count(*) FROM csat.changes' 2>&1 | head -1)"; done); hours noted on the shards: $(q "$C" -c "SELECT count(DISTINCT hour) FROM csat.citus_changes_$(q "$C" -c "SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'surveys'::regclass")" 2>&1 | head -1)"
		q "${PORTS[1]}" -c "SET citus.override_table_visibility = off" -c "SELECT tgrelid::regclass, tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname LIKE 'surveys\_%' AND NOT tgisinternal LIMIT 4" | sed 's/^/   worker1 shard trigger: /'
		echo "   csat.surveys view rows: $(q "$C" -c 'SELECT count(*) FROM csat.surveys' 2>&1 | head -1)"
		if has_fn refresh; then
			# 500 CSAT answers (scale 5, scores 1..5 evenly): 200 satisfied (4, 5)
			r=$(q "$C" -c 'SELECT full_rebuild || $$ $$ || hours_touched FROM csat.refresh()' -c "SELECT sum(responses) || ' ' || sum(satisfied) FROM csat.rollup_hourly WHERE channel = 'all' AND segment = 'all'" 2>&1 | tr '\n' ' ')
			echo "   csat.refresh() (full rebuild, hours), then responses and satisfied over the 'all' rows: ${r:0:160}"
			# incremental: the 9 hours the 500 answers fall in
			[ "$r" = "false 9 500 200 " ]
			record refresh/small-distributed-source $?
			# written directly on a worker (its shell table routes to the shards) and by
			# COPY through the coordinator: tracked the same way (hours 18-20 of March 2,
			# 10 of March 3)
			q "${PORTS[1]}" -c "INSERT INTO surveys SELECT g, timestamptz '2026-03-02 10:00+00' + g * interval '1 minute', 5, 'web' FROM generate_series(501, 600) g" >/dev/null
			q "$C" -c "COPY surveys FROM STDIN (FORMAT csv)" < <(for i in $(seq 601 700); do echo "$i,2026-03-03 10:30:00+00,1,app"; done) >/dev/null
			r=$(q "$C" -c 'SELECT full_rebuild || $$ $$ || hours_touched FROM csat.refresh()' -c "SELECT sum(responses) || ' ' || sum(satisfied) FROM csat.rollup_hourly WHERE channel = 'all' AND segment = 'all'" 2>&1 | tr '\n' ' ')
			echo "   100 rows inserted on worker1, 100 copied through the coordinator; csat.refresh() (full rebuild, hours), responses, satisfied: ${r:0:160}"
			[ "$r" = "false 4 700 300 " ]
			record refresh/worker-and-copy-writes-tracked $?
		fi
		unmap "ARRAY['surveys']"
		r=$(q "$C" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'csat'::regnamespace AND relname LIKE 'citus\_changes\_%'")
		echo "   change tables left after csat.unmap_source: $r"
		[ "$r" = 0 ]
		record map/unmap-drops-change-tables $?
		# mapped as a plain table, then distributed (Citus copies the plain triggers to
		# the shards): writes still work, refresh rebuilds until csat.map_source again
		r=$(q "$C" -c "CREATE TABLE surveys_late (survey_id bigint, answered_at timestamptz NOT NULL, score int NOT NULL, channel text)" \
			-c "SELECT csat.map_source('surveys', 'surveys_late')" -c "SET citus.enable_unsafe_triggers = on" \
			-c "SELECT create_distributed_table('surveys_late', 'survey_id')" \
			-c "INSERT INTO surveys_late SELECT g, timestamptz '2026-03-01 10:00+00' + g * interval '1 minute', 1 + g % 5, 'web' FROM generate_series(1, 50) g" \
			-c "SELECT (csat.refresh()).full_rebuild" -c "SELECT (csat.refresh()).full_rebuild" \
			-c "SELECT csat.map_source('surveys', 'surveys_late')" -c "SELECT (csat.refresh()).full_rebuild" \
			-c "INSERT INTO surveys_late VALUES (51, '2026-03-05 10:00+00', 5, 'web')" \
			-c "SELECT (r).full_rebuild || ' ' || (r).hours_touched FROM csat.refresh() r" \
			-c "SELECT sum(responses) FROM csat.rollup_hourly WHERE channel = 'all' AND segment = 'all'" 2>"$DIR/late.err" | grep -v '^$' | tr '\n' ' ')
		echo "   mapped, then distributed: insert, refresh twice (full rebuild), map again, refresh, insert, refresh (full rebuild, hours), responses: $r"
		[ "$r" = "t t t false 1 51 " ]
		st=$?
		[ $st = 0 ] || grep ERROR "$DIR/late.err"
		record map/distributed-after-mapping $st
		unmap "ARRAY['surveys']"
		# a reference table mapped: its triggers fire on every placement, only the
		# coordinator's notes the hours (once, in its csat.changes); writes through the
		# coordinator and on a worker, then incremental == full
		r=$(q "$C" -c "CREATE TABLE surveys_ref (survey_id bigint, answered_at timestamptz NOT NULL, score int NOT NULL, channel text)" \
			-c "SELECT create_reference_table('surveys_ref')" \
			-c "INSERT INTO surveys_ref SELECT g, timestamptz '2026-03-01 10:00+00' + g * interval '1 minute', 1 + g % 5, 'web' FROM generate_series(1, 100) g" \
			-c "SELECT csat.map_source('surveys', 'surveys_ref')" -c "SELECT csat.citus_tracked('surveys_ref', 'surveys')" \
			-c "SELECT (csat.refresh()).full_rebuild" \
			-c "INSERT INTO surveys_ref SELECT g, timestamptz '2026-03-05 10:00+00' + g * interval '1 minute', 5, 'app' FROM generate_series(101, 150) g" \
			-c "UPDATE surveys_ref SET score = 1 WHERE survey_id <= 10" \
			-c "SELECT count(*) FROM csat.changes WHERE kind = 'surveys'" 2>"$DIR/ref.err" | grep -v '^$' | tr '\n' ' ')
		q "${PORTS[1]}" -c "INSERT INTO surveys_ref SELECT g, timestamptz '2026-03-06 10:30+00', 4, 'web' FROM generate_series(151, 160) g" >/dev/null 2>>"$DIR/ref.err"
		r="$r$(for p in "${PORTS[@]}"; do printf '%s ' "$(q "$p" -c "SELECT count(*) FROM csat.changes WHERE kind = 'surveys'" 2>&1 | head -1)"; done)"
		r="$r$(q "$C" -c "SELECT (x).full_rebuild || ' ' || (x).hours_touched FROM csat.refresh() x" \
			-c "SELECT sum(responses) || ' ' || sum(satisfied) || ' ' || sum(score_sum) FROM csat.rollup_hourly WHERE channel = 'all' AND segment = 'all'" \
			-c "SELECT (csat.refresh(true)).full_rebuild" \
			-c "SELECT sum(responses) || ' ' || sum(satisfied) || ' ' || sum(score_sum) FROM csat.rollup_hourly WHERE channel = 'all' AND segment = 'all'" 2>>"$DIR/ref.err" | grep -v '^$' | tr '\n' ' ')"
		# tracked; the first refresh rebuilds (new mapping); the coordinator's insert
		# and update note 3 hours (11:00 and 12:00 of March 5, 10:00 of March 1), once
		# each, on the coordinator only; with the worker's insert 4 on the coordinator,
		# none on the workers; incremental over 4 hours; 160 answers, the same sums
		# after the incremental refresh as after a full one
		echo "   reference table mapped: tracked, refresh (full rebuild), coordinator notes after an insert and an update; notes per node after a worker's insert; refresh (full rebuild, hours), responses satisfied score_sum; refresh(true); the same: $r"
		# (scores: 1-10 updated to 1, 11-100 1 + g % 5, 101-150 5, 151-160 4: 96
		# satisfied, sum 570)
		[ "$r" = "t t 3 4 0 0 false 4 160 96 570 t 160 96 570 " ]
		st=$?
		[ $st = 0 ] || grep ERROR "$DIR/ref.err"
		record map/reference-table-tracked $st
		unmap "ARRAY['surveys']"
	fi
	if has_fn refresh && [ -n "$(q "$C" -c "SELECT to_regclass('csat.kpi_daily')")" ]; then
		mapped_sources_vs_single_node
	fi
else
	echo "== mapped sources: csat.map_source not in this csat, skipped"
fi

echo "== partial states travel as text: workers' extra_float_digits"
# worker_partial_agg returns the state through its type's output function; a
# float8[] state would lose digits when a worker runs with extra_float_digits <= 0
# (observed: 9.9 % off at -15), so the float-summing states must print exactly.
for efd in 0 -15; do
	for p in "${PORTS[@]:1}"; do q "$p" -c "ALTER SYSTEM SET extra_float_digits = $efd" -c 'SELECT pg_reload_conf()' >/dev/null; done
	sleep 1
	same_results "limit/extra_float_digits=$efd/csat.weighted_score" "SELECT channel, csat.weighted_score(score, weight) FROM %T GROUP BY channel ORDER BY channel" float
	same_results "limit/extra_float_digits=$efd/csat.nps(integer)" "SELECT channel, csat.nps(nps_score) FROM %T GROUP BY channel ORDER BY channel" exact
	if [ -n "$(q "$C" -c "SELECT to_regtype('csat.sketch')")" ]; then
		same_results "limit/extra_float_digits=$efd/csat.sla_sketch mean" "SELECT channel, csat.mean(csat.sla_sketch(elapsed)) FROM %T GROUP BY channel ORDER BY channel" float
		same_results "limit/extra_float_digits=$efd/csat.sla_percentile" "SELECT channel, csat.sla_percentile(elapsed, 0.95) FROM %T GROUP BY channel ORDER BY channel" exact
	fi
done
for p in "${PORTS[@]:1}"; do q "$p" -c 'ALTER SYSTEM RESET extra_float_digits' -c 'SELECT pg_reload_conf()' >/dev/null; done
sleep 1

echo "== extension propagation from the coordinator"
# csat created after citus is a Citus distributed object: DROP/CREATE EXTENSION
# on the coordinator reach the workers, and a node added later gets it.
[ "$(q "$C" -c "SELECT count(*) FROM pg_dist_object WHERE classid = 'pg_extension'::regclass AND objid = (SELECT oid FROM pg_extension WHERE extname = 'csat')")" = 1 ]
record distributed-object/csat $?
ok=0
# csat's tables on the cluster (breach and change tables, copies of the configuration)
# are not extension members: DROP EXTENSION csat drops them first (its event trigger),
# shards and placements included, on every node
citus_left() { # citus_left: csat's Citus tables, shards and orphaned metadata, per node
	local p
	for p in "${PORTS[@]}"; do
		printf '%s ' "$(q "$p" -c "SET citus.override_table_visibility = off" -c "SELECT (SELECT count(*) FROM pg_class WHERE relname ~ '^citus_(breaches|changes|rules|watches|calendars|calendar_hours|calendar_holidays)(_[0-9]+)*\$' AND relnamespace = to_regnamespace('csat')) + (SELECT count(*) FROM pg_dist_shard s WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = s.logicalrelid)) + (SELECT count(*) FROM pg_dist_placement pl WHERE NOT EXISTS (SELECT FROM pg_dist_shard s WHERE s.shardid = pl.shardid))" | tail -1)"
	done
}
before=$(citus_left)
q "$C" -c 'DROP AGGREGATE IF EXISTS public.internal_avg(int8)' -c 'DROP EXTENSION csat CASCADE' >/dev/null 2>&1 || ok=1
for p in "${PORTS[@]:1}"; do [ -z "$(q "$p" -c "SELECT 1 FROM pg_extension WHERE extname = 'csat'")" ] || ok=1; done
after=$(citus_left)
echo "   csat's Citus tables, shards and orphaned shard metadata per node before DROP EXTENSION csat: $before; after: $after"
case $before in "0 "*) ok=1 ;; esac
[ "$after" = "0 0 0 " ] || ok=1
q "$C" -c 'CREATE EXTENSION csat' >/dev/null || ok=1
for p in "${PORTS[@]:1}"; do [ "$(q "$p" -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'")" = "$CSATV" ] || ok=1; done
# an older version, then ALTER EXTENSION ... UPDATE on the coordinator
oldv=$(q "$C" -c "SELECT version FROM pg_available_extension_versions WHERE name = 'csat' AND version <> '$CSATV' ORDER BY string_to_array(version, '.')::int[] DESC LIMIT 1")
if [ -n "$oldv" ]; then
	versions() { local p; for p in "${PORTS[@]}"; do printf ' %s:%s' "$p" "$(q "$p" -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'")"; done; }
	r=$(q "$C" -c 'DROP EXTENSION csat' -c "CREATE EXTENSION csat VERSION '$oldv'" 2>&1 | head -1)
	vs=$(versions)
	echo "   CREATE EXTENSION csat VERSION '$oldv' on the coordinator: ${r:-ok}; versions:$vs"
	[ -z "$r" ] && [ "$vs" = "$(for p in "${PORTS[@]}"; do printf ' %s:%s' "$p" "$oldv"; done)" ] || ok=1
	r=$(q "$C" -c 'ALTER EXTENSION csat UPDATE' 2>&1 | head -1)
	vs=$(versions)
	echo "   ALTER EXTENSION csat UPDATE on the coordinator: ${r:-ok}; versions:$vs"
	[ -z "$r" ] && [ "$vs" = "$(for p in "${PORTS[@]}"; do printf ' %s:%s' "$p" "$CSATV"; done)" ] || ok=1
fi
same_results "equal-after-recreate/csat.nps(integer)" "SELECT channel, csat.nps(nps_score) FROM %T GROUP BY channel ORDER BY channel" exact
record drop-create-propagates "$ok"
P3=$((PORT0 + 3))
n=worker3
as_pg "$BIN/initdb" -D "$DIR/$n" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/$n.initdb.log" 2>&1
NAMES+=("$n")
printf "%s\n" "port = $P3" "listen_addresses = '127.0.0.1'" "unix_socket_directories = '$DIR'" \
	"shared_preload_libraries = 'citus'" "fsync = off" "log_min_messages = warning" >>"$DIR/$n/postgresql.conf"
ok=0
as_pg "$BIN/pg_ctl" -D "$DIR/$n" -l "$DIR/$n.log" -w -t 60 start >/dev/null || ok=1
q "$P3" -c 'CREATE EXTENSION citus' || ok=1
q "$C" -c "SELECT citus_add_node('127.0.0.1', $P3)" >/dev/null || ok=1
v=$(q "$P3" -c "SELECT extversion FROM pg_extension WHERE extname = 'csat'")
echo "   node added later (citus only): csat ${v:-missing}"
[ "$v" = "$CSATV" ] || ok=1
record late-node-gets-csat "$ok"

# servers must not have crashed
if grep -h 'terminated by signal' "$DIR"/*.log; then record server-logs 1; else record server-logs 0; fi
