# Shared helpers for csat's test runner, demo and benchmarks (sourced, not run).
# Installs what is missing, builds and installs csat, and starts a throwaway
# PostgreSQL cluster on a private Unix socket (no TCP), owned by the
# "postgres" OS user when we are root.

PGVER=${PGVER:-15}
PGBIN=/usr/lib/postgresql/$PGVER/bin
PG_CONFIG=${PG_CONFIG:-$PGBIN/pg_config}
export PG_CONFIG

csat_log() { printf '== %s\n' "$*" >&2; }

# ensure_packages PKG...: install the Debian packages that are not installed yet.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	csat_log "installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build_and_install: make && make install (quietly; output shown on failure).
build_and_install() {
	local out
	out=$(make -s PG_CONFIG="$PG_CONFIG" 2>&1) || { echo "$out" >&2; return 1; }
	[ -n "$out" ] && echo "$out" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	out=$($sudo make -s PG_CONFIG="$PG_CONFIG" install 2>&1) || { echo "$out" >&2; return 1; }
}

# as_pg CMD...: run a server-side command as the cluster's owner.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_cluster DIR [extra postgresql.conf lines]: initdb + start; exports PGHOST etc.
start_cluster() {
	CSAT_CLUSTER_DIR=$1; shift
	mkdir -p "$CSAT_CLUSTER_DIR"
	chmod 755 "$CSAT_CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$CSAT_CLUSTER_DIR"
	as_pg "$PGBIN/initdb" -D "$CSAT_CLUSTER_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$CSAT_CLUSTER_DIR/initdb.log" 2>&1 \
		|| { cat "$CSAT_CLUSTER_DIR/initdb.log" >&2; return 1; }
	local port=${CSAT_PORT:-$((54000 + RANDOM % 1000))}
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CSAT_CLUSTER_DIR'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "max_worker_processes = 16"
		echo "max_parallel_workers = 8"
		echo "shared_preload_libraries = 'pg_cron'"
		echo "cron.database_name = 'postgres'"
		echo "cron.use_background_workers = on"  # socket-only server: no libpq loopback for pg_cron
		echo "log_min_messages = warning"
		for l in "$@"; do echo "$l"; done
	} >>"$CSAT_CLUSTER_DIR/data/postgresql.conf"
	as_pg "$PGBIN/pg_ctl" -D "$CSAT_CLUSTER_DIR/data" -l "$CSAT_CLUSTER_DIR/server.log" -w -t 60 start >/dev/null \
		|| { cat "$CSAT_CLUSTER_DIR/server.log" >&2; return 1; }
	export PGHOST=$CSAT_CLUSTER_DIR PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	export PATH=$PGBIN:$PATH
}

stop_cluster() {
	[ -n "${CSAT_CLUSTER_DIR:-}" ] && [ -d "$CSAT_CLUSTER_DIR/data" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$CSAT_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
