# shellcheck shell=bash
# Sourced by test/citus/check.sh and test/bench/citus_refresh.sh: a Citus
# coordinator and two workers on 127.0.0.1, from a PostgreSQL 15 installation
# that already has Citus (nothing here builds or downloads Citus).
#
# The caller sets PG_CONFIG, PORT0 (first of three ports) and ROOT (this
# checkout), then calls cluster_init PREFIX, which sets BIN, SHARE, LIBDIR,
# PORTS, NAMES, C (the coordinator's port) and DIR (a new scratch directory),
# and takes the machine-wide install lock when the installation is the
# system's (test/run installs there too).

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# q PORT ARGS: psql on a node over TCP loopback, quiet, unaligned, stop on error
q() { "$BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 -F '|' "${@:2}"; }

cluster_init() { # cluster_init PREFIX
	BIN=$("$PG_CONFIG" --bindir)
	SHARE=$("$PG_CONFIG" --sharedir)
	LIBDIR=$("$PG_CONFIG" --pkglibdir)
	PORTS=("$PORT0" $((PORT0 + 1)) $((PORT0 + 2)))
	NAMES=(coordinator worker1 worker2)
	C=${PORTS[0]}
	[ -f "$SHARE/extension/citus.control" ] || { echo "no Citus in $SHARE/extension" >&2; exit 2; }
	case "$LIBDIR" in
	/usr/*) exec 9>/tmp/csat-test.lock; flock 9 ;;
	esac
	DIR=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 755 "$DIR"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR"; fi
}

# cluster_install: build csat in a scratch copy of the checkout (which stays
# clean) and install it; prints the build log and fails on error
cluster_install() {
	mkdir -p "$DIR/build"
	tar -C "$ROOT" --exclude=.git --exclude=results -cf - . | tar -C "$DIR/build" -xf -
	make -s -C "$DIR/build" PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
	make -s -C "$DIR/build" PG_CONFIG="$PG_CONFIG" >"$DIR/build.log" 2>&1 &&
		make -s -C "$DIR/build" PG_CONFIG="$PG_CONFIG" install >>"$DIR/build.log" 2>&1 ||
		{ cat "$DIR/build.log"; return 1; }
}

# cluster_start_node I [CONFIG LINES...]: initdb and start node I (0: coordinator)
cluster_start_node() {
	local i=$1 n=${NAMES[$1]} line
	shift
	as_pg "$BIN/initdb" -D "$DIR/$n" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/$n.initdb.log" 2>&1 ||
		{ cat "$DIR/$n.initdb.log"; return 1; }
	cat >>"$DIR/$n/postgresql.conf" <<CONF
port = ${PORTS[$i]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
shared_preload_libraries = 'citus'
fsync = off
synchronous_commit = off
full_page_writes = off
max_worker_processes = 16
log_min_messages = warning
CONF
	for line in "$@"; do echo "$line" >>"$DIR/$n/postgresql.conf"; done
	as_pg "$BIN/pg_ctl" -D "$DIR/$n" -l "$DIR/$n.log" -w -t 60 start >/dev/null || { cat "$DIR/$n.log"; return 1; }
}

# cluster_form: citus and csat on every node, the workers added to the coordinator
cluster_form() {
	local p
	for p in "${PORTS[@]}"; do
		q "$p" -c 'CREATE EXTENSION citus' -c 'CREATE EXTENSION csat' || return 1
	done
	q "$C" >/dev/null <<SQL
SELECT citus_set_coordinator_host('127.0.0.1', $C);
SELECT citus_add_node('127.0.0.1', ${PORTS[1]});
SELECT citus_add_node('127.0.0.1', ${PORTS[2]});
SQL
}

# cluster_stop [KEEP-FILES]: stop the servers (CSAT_CITUS_KEEP=1: leave them, say how
# to stop them) and remove DIR unless KEEP-FILES is 1
cluster_stop() {
	local n
	if [ "${CSAT_CITUS_KEEP:-0}" = 1 ]; then
		echo "servers left running; stop with:"
		for n in "${NAMES[@]}"; do echo "  $([ "$(id -u)" -eq 0 ] && echo 'runuser -u postgres -- ')$BIN/pg_ctl -D $DIR/$n stop"; done
		return
	fi
	for n in "${NAMES[@]}"; do
		[ -f "$DIR/$n/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR/$n" -m fast -w stop >/dev/null 2>&1
	done
	if [ "${1:-0}" = 1 ]; then echo "logs kept in $DIR/*.log"; else rm -rf "$DIR"; fi
}
