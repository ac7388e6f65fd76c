# Sourced by the watch benchmarks after test/lib/cluster.sh: a private copy of
# the PostgreSQL installation with this tree's csat installed into it, so that
# a long benchmark neither holds the test runner's lock nor loads another
# worktree's csat.so when someone runs `make install` meanwhile.  PostgreSQL
# finds its library and share directories relative to its own binary, so the
# copy's postgres loads the copy's csat.

# private_install DIR: copy the installation under DIR, install csat there, point PGBIN at it
private_install() {
	local inst=$1/inst out
	mkdir -p "$inst/usr/lib/postgresql" "$inst/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$PGVER" "$inst/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$PGVER" "$inst/usr/share/postgresql/"
	out=$(make -s PG_CONFIG="$PG_CONFIG" 2>&1) || { echo "$out" >&2; return 1; }
	out=$(make -s PG_CONFIG="$PG_CONFIG" DESTDIR="$inst" install 2>&1) || { echo "$out" >&2; return 1; }
	chmod -R go+rX "$1"
	PGBIN=$inst/usr/lib/postgresql/$PGVER/bin
}
