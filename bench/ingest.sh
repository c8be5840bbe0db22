#!/usr/bin/env bash
# Benchmark: a full Enterprise ingest into an empty PostgreSQL, a second
# (unchanged) run, and the bare jansson parse of the same file; prints the
# ratio ingest / parse.
#
# usage: bench/ingest.sh [BUNDLE]

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
bundle=$(realpath "${1:-$root/../shared/attack/enterprise-attack-18.1.json}")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

dir=$(mktemp -d /tmp/attck-bench-pg.XXXXXX)
chmod 755 "$dir"
chown postgres "$dir" 2>/dev/null || true
. "$root/bench/lib.sh"
port=$(free_port)

as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }

cleanup() { [ -n "${KEEP_LOG:-}" ] && cp $dir/log /tmp/bench-pg.log; as_pg "$bin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

as_pg "$bin/initdb -D $dir/data -A trust -U attck >/dev/null"
as_pg "$bin/pg_ctl -D $dir/data -w -l $dir/log -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c log_min_duration_statement=0 ${PG_EXTRA:-}' start" >/dev/null
psql -X -q -h 127.0.0.1 -p "$port" -U attck -d postgres -c 'CREATE DATABASE attck'

export ATTCK_DATABASE_URL="postgresql://attck@127.0.0.1:$port/attck"
"$build/attck-worker" migrate 2>/dev/null

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }

parse=$("$build/bench-parse" "$bundle")
first=$(ms "$build/attck-worker" ingest attack "$bundle")
second=$(ms "$build/attck-worker" ingest attack "$bundle")

printf '| %s | ms |\n|---|---|\n' "$(basename "$bundle")"
printf '| jansson parse | %s |\n' "$parse"
printf '| ingest into an empty database | %s |\n' "$first"
printf '| ingest again (unchanged) | %s |\n' "$second"
awk -v i="$first" -v p="$parse" 'BEGIN { printf "| ingest / parse | %.2fx |\n", i / p }'
