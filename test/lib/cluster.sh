# Shared helpers for csat's test runner, demo and benchmarks (sourced, not run).
# Installs what is missing, builds and installs csat, and starts a throwaway
# PostgreSQL cluster on a private Unix socket (no TCP), owned by the
# "postgres" OS user when we are root.

# Which PostgreSQL: Debian's 15 by default, or the installation whose pg_config
# PG_CONFIG names (PG_CONFIG=/opt/pg17/bin/pg_config test/run), of any major.
# Debian packages (server, headers, pg_cron) are installed only for Debian's
# own major; another installation brings its own server and headers.
CSAT_DEBIAN_PG=15
CSAT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
if [ -n "${PG_CONFIG:-}" ]; then
	PGBIN=$("$PG_CONFIG" --bindir) || { echo "PG_CONFIG=$PG_CONFIG does not run" >&2; exit 1; }
	PGVER=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
else
	PGVER=${PGVER:-$CSAT_DEBIAN_PG}
	PGBIN=/usr/lib/postgresql/$PGVER/bin
	PG_CONFIG=$PGBIN/pg_config
fi
export PG_CONFIG

# is this Debian's own installation of its major (the one its packages serve)?
csat_is_debian_pg() { [ "$PGBIN" = "/usr/lib/postgresql/$PGVER/bin" ]; }

# csat_pg_packages [EXT...]: the Debian packages of the server, its headers,
# pg_cron and the extensions named (e.g. tdigest), for Debian's installation;
# nothing for another one.
csat_pg_packages() {
	csat_is_debian_pg || return 0
	local e
	echo "postgresql-$PGVER postgresql-server-dev-$PGVER postgresql-$PGVER-cron"
	for e in "$@"; do echo "postgresql-$PGVER-$e"; done
}

# csat_lock: wait for and hold (on fd 9, until exit) the lock of this
# installation ("make install" writes its directories), and on fd 8 the lock
# of this checkout (objects, results/).  Different installations, e.g. two
# majors in two checkouts, run in parallel.
csat_lock() {
	local key
	if csat_is_debian_pg && [ "$PGVER" = "$CSAT_DEBIAN_PG" ]; then
		key=""	# Debian's: the name every earlier runner used
	else
		key=-$(printf '%s' "$(readlink -f "$("$PG_CONFIG" --pkglibdir)")" | md5sum | cut -c1-12)
	fi
	exec 9>"/tmp/csat-test$key.lock"
	flock 9
	exec 8>"/tmp/csat-checkout-$(printf '%s' "$CSAT_ROOT" | md5sum | cut -c1-12).lock"
	flock 8
}

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
# Our own builds treat every warning as an error (COPT=-Werror); the Makefile
# users run does not.  Objects built against another installation are
# removed first (the stamp names the pg_config they were built with).
build_and_install() {
	local out stamp=.csat-built-with want
	want="$PG_CONFIG $("$PG_CONFIG" --version)"
	if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		make -s PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
		echo "$want" >"$stamp"
	fi
	out=$(make -s PG_CONFIG="$PG_CONFIG" COPT=-Werror 2>&1) || { echo "$out" >&2; return 1; }
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
		# pg_cron only where it is installed for this major; its settings are
		# harmless placeholders elsewhere (and keep csat's messages alike)
		if [ -e "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
			echo "shared_preload_libraries = 'pg_cron'"
		fi
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
