#!/usr/bin/env bash
# csat.so exports only what the server looks up by name: the SQL-callable
# functions (csat_*), their info records (pg_finfo_csat_*) and the magic
# block.  The server loads modules with RTLD_GLOBAL, so an exported helper
# (km_add, sk_merge, gd_norm_quantile...) could meet a symbol of the same name
# in another module (src/exports.map on PostgreSQL 15, -fvisibility=hidden on
# 16 and later).  And every C function the install and upgrade scripts name is
# among them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
lib="$("$PG_CONFIG" --pkglibdir)/csat.so"
nm -D --defined-only "$lib" | awk '{print $3}' | sort >"${CSAT_TMP:-/tmp}/exports.$$"
trap 'rm -f "${CSAT_TMP:-/tmp}/exports.$$"' EXIT
syms=${CSAT_TMP:-/tmp}/exports.$$
other=$(grep -Ev '^(csat_.*|pg_finfo_csat_.*|Pg_magic_func|_PG_init)$' "$syms" || true)
if [ -n "$other" ]; then
	echo "csat.so exports symbols outside its prefix:"; echo "$other" | head -20; exit 1
fi
echo "exported: $(grep -c '^pg_finfo_csat_' "$syms") SQL-callable functions, $(wc -l <"$syms") symbols in all"
missing=0
for f in $(grep -ho "MODULE_PATHNAME', *'[a-z_0-9]*'" "$ROOT"/csat--*.sql | sed "s/.*'\([a-z_0-9]*\)'/\1/" | sort -u); do
	grep -qx "$f" "$syms" && grep -qx "pg_finfo_$f" "$syms" || { echo "not exported: $f"; missing=1; }
done
[ "$missing" -eq 0 ] && echo "every C function of the install and upgrade scripts is exported"
exit "$missing"
