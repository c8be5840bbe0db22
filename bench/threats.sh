#!/usr/bin/env bash
# Benchmark: the threat index at scale.  N synthetic threats (about five
# mappings each, power-law techniques, three years of dates) in a real
# PostgreSQL, published; then threats/stats from nginx (2 worker
# processes) beside the same aggregation in PostgreSQL with the indexes a
# careful DBA would add; the index's bytes per threat and per mapping; a
# publish after 1,000 changed threats, with the technique lookups' rate
# during it.  Prints a Markdown table.
#
# usage: bench/threats.sh [BUNDLE]     (BENCH_THREATS, default 1000000;
#                                       BENCH_SECONDS, BENCH_CONNECTIONS)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
bundle=$(realpath "${1:-$root/../shared/attack/enterprise-attack-18.1.json}")
n=${BENCH_THREATS:-1000000}
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

dir=$(mktemp -d /tmp/attck-bench-threats.XXXXXX)
chmod 755 "$dir"
chown postgres "$dir" 2>/dev/null || true
. "$root/bench/lib.sh"
pport=$(free_port)
rport=$(free_port)
port=$(free_port)

as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
    as_pg "$bin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$bin/initdb -D $dir/data -A trust -U attck >/dev/null"
as_pg "$bin/pg_ctl -D $dir/data -w -l $dir/pg.log -o '-c listen_addresses=127.0.0.1 -p $pport -k $dir -c fsync=off -c shared_buffers=512MB -c work_mem=64MB' start" >/dev/null
psql -X -q -h 127.0.0.1 -p "$pport" -U attck -d postgres -c 'CREATE DATABASE attck'
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$dir" --logfile "$dir/redis.log" >/dev/null

export ATTCK_DATABASE_URL="postgresql://attck@127.0.0.1:$pport/attck"
export ATTCK_REDIS_URL="redis://127.0.0.1:$rport"
export ATTCK_SNAPSHOT="$dir/attck.snap"
unset ATTCK_CONFIG ATTCK_MODEL

sql() { psql -X -q -A -t -h 127.0.0.1 -p "$pport" -U attck -d attck -v ON_ERROR_STOP=1 "$@"; }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }

"$build/attck-worker" migrate >/dev/null 2>&1
"$build/attck-worker" ingest attack "$bundle" >/dev/null 2>&1

# attck-worker generate (descriptions from ATT&CK's procedure examples),
# else the same shape in SQL
if "$build/attck-worker" generate --help >/dev/null 2>&1; then
    "$build/attck-worker" generate --seed 1 --count "$n" --days 1095 \
        --end 2026-11-30 --mapped "$bundle" >/dev/null 2>&1
else
    sql -f "$root/bench/threats_gen.sql" -v n="$n" >/dev/null
fi

threats=$(sql -c 'SELECT count(*) FROM threat_intelligence_data')
mappings=$(sql -c 'SELECT count(*) FROM mapped_threat_data')

# a full first publish: time and peak memory
/usr/bin/time -f '%e %M' -o "$dir/time" "$build/attck-worker" publish >/dev/null 2>&1
read -r pub_s pub_kb < "$dir/time"

size=$(stat -c %s "$ATTCK_SNAPSHOT")
index=$(perl -e 'open(my $f, "<", $ARGV[0]) or die; binmode $f;
                 read($f, my $h, 64); print unpack("x60 V", $h)' "$ATTCK_SNAPSHOT")
zone=$(( (size * 3 / 1048576) + 128 ))

{
nginx_conf_head "$dir" 2
cat <<CONF
    attck_zone attck ${zone}m;
    attck_redis 127.0.0.1:$rport;
    attck_refresh on;
    attck_refresh_interval 200ms;
    server {
        listen 127.0.0.1:$port;
        location /api/v1/ { attck_api; }
        location /api/pool/ { attck_api; attck_thread_pool default; }
    }
}
CONF
} > "$dir/nginx.conf"
mkdir -p "$dir"/{logs,tmp}
nginx -p "$dir" -c "$dir/nginx.conf"
base="http://127.0.0.1:$port/api/v1"
wait_url "$base/threats/stats?since=2030-01-01" \
    || { echo "nginx did not answer"; tail "$dir/logs/error.log"; exit 1; }
for _ in $(seq 300); do
    curl -fsS -o /dev/null "$base/threats/stats?since=2030-01-01" 2>/dev/null && break
    sleep 0.2
done

# the default view: the last 30 days of the data
last=$(sql -c "SELECT to_char(max(coalesce(last_seen, first_seen, updated_at)) AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM threat_intelligence_data")
since=$(date -u -d "$last - 29 days" +%F)
until=$(date -u -d "$last + 1 day" +%F)
default="since=$since&until=$until"

wrk -t1 -c"$conns" -d"${seconds}s" "$base/threats/stats?$default" > "$dir/wrk.out"
rps=$(awk '/^Requests\/sec/ { print $2 }' "$dir/wrk.out")

# p99 over filter combinations, one connection at a time, walked in the
# event loop (api/v1) and on the thread pool (api/pool); the broad mapping
# filters (method, min_score alone, all time) walk every threat
combos=("$default" "" "source=virustotal&since=$since"
        "technique=T1059" "tactic=execution&min_score=0.5"
        "country=DE&type=ransomware&since=2025-01-01"
        "tag=tag3,tag5&method=model" "domain=enterprise&interval=month"
        "technique=T1059.001" "method=model" "min_score=0.6"
        "type=ransomware&since=$since")
p99() {
    wrk -t1 -c1 -d3s --latency "$1" > "$dir/lat.out"
    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
         else if (v ~ /ms$/) { sub(/ms/, "", v) } else { sub(/s$/, "", v); v *= 1000 }
         print v }' "$dir/lat.out"
}
worst=0
worst_pool=0
: > "$dir/combos.md"
for q in "${combos[@]}"; do
    p=$(p99 "$base/threats/stats?$q")
    pp=$(p99 "http://127.0.0.1:$port/api/pool/threats/stats?$q")
    worst=$(awk -v a="$worst" -v b="$p" 'BEGIN { print (b > a) ? b : a }')
    worst_pool=$(awk -v a="$worst_pool" -v b="$pp" 'BEGIN { print (b > a) ? b : a }')
    printf '| `%s` | %s ms | %s ms |\n' "${q:-(all time)}" "$p" "$pp" >> "$dir/combos.md"
done
mean_ms=$(wrk -t1 -c1 -d3s --latency "$base/threats/stats?$default" \
          | awk '$1 == "50%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
                  else { sub(/ms/, "", v) } print v }')

# the same answer from PostgreSQL, with the indexes a DBA would add
sql >/dev/null <<'SQL'
CREATE INDEX IF NOT EXISTS bench_seen ON threat_intelligence_data
    ((coalesce(last_seen, first_seen, updated_at)));
CREATE INDEX IF NOT EXISTS bench_countries ON threat_intelligence_data USING gin (countries);
CREATE INDEX IF NOT EXISTS bench_tags ON threat_intelligence_data USING gin (tags);
CREATE INDEX IF NOT EXISTS bench_threat ON mapped_threat_data (threat_id);
ANALYZE;
SQL
cat > "$dir/pg.sql" <<SQL
\\timing on
WITH t AS (SELECT * FROM threat_intelligence_data
           WHERE coalesce(last_seen, first_seen, updated_at) >= '$since'
             AND coalesce(last_seen, first_seen, updated_at) < '$until')
SELECT (SELECT count(*) FROM t),
       (SELECT json_agg(x) FROM (SELECT m.technique_id, count(*), max(m.score),
               avg(m.score) FROM t JOIN mapped_threat_data m ON m.threat_id = t.id
               GROUP BY 1 ORDER BY 2 DESC) x),
       (SELECT json_agg(x) FROM (SELECT date_trunc('day', coalesce(last_seen,
               first_seen, updated_at)), source, count(*) FROM t GROUP BY 1, 2) x),
       (SELECT json_agg(x) FROM (SELECT source, count(*) FROM t GROUP BY 1) x),
       (SELECT json_agg(x) FROM (SELECT threat_type, count(*) FROM t GROUP BY 1) x),
       (SELECT json_agg(x) FROM (SELECT c, count(*) FROM t, unnest(countries) c
               GROUP BY 1) x),
       (SELECT json_agg(x) FROM (SELECT g, count(*) FROM t, unnest(tags) g
               GROUP BY 1 ORDER BY 2 DESC LIMIT 25) x),
       (SELECT json_agg(x) FROM (SELECT g, count(*) FROM t,
               unnest(malware_families) g GROUP BY 1 ORDER BY 2 DESC LIMIT 25) x);
SQL
sql -f "$dir/pg.sql" >/dev/null
pg_ms=$(sql -f "$dir/pg.sql" | awk '/^Time:/ { print $2 }' | tail -1)
ratio=$(awk -v a="$pg_ms" -v b="$mean_ms" 'BEGIN { printf "%.0f", (b > 0) ? a / b : 0 }')

# a publish after 1,000 changed threats: alone, then again (another
# 1,000) while lookups run, the worker at nice 10 as a batch job beside
# nginx should be; the lookups' rate before and during it
change() {
    sql -c "UPDATE threat_intelligence_data SET title = title || ' (revised)', updated_at = now()
            WHERE id IN (SELECT id FROM threat_intelligence_data ORDER BY md5(id::text || '$1') LIMIT 1000)"
}
change a
t0=$(date +%s%N)
"$build/attck-worker" publish > "$dir/publish.log" 2>&1
t1=$(date +%s%N)
pub2_ms=$(( (t1 - t0) / 1000000 ))
read_n=$(grep -o 'threats, [0-9]* read' "$dir/publish.log" | grep -o '[0-9]* read' | cut -d' ' -f1)
written=$(grep -o '[0-9]* documents written' "$dir/publish.log" | cut -d' ' -f1)

lookup="$base/techniques/T1059.001"
wrk -t1 -c"$conns" -d10s "$lookup" > "$dir/still.out"
rps_still=$(awk '/^Requests\/sec/ { print $2 }' "$dir/still.out")
change b
wrk -t1 -c"$conns" -d10s "$lookup" > "$dir/during.out" &
wpid=$!
sleep 0.5
t0=$(date +%s%N)
nice -n 10 "$build/attck-worker" publish > "$dir/publish2.log" 2>&1
t1=$(date +%s%N)
wait "$wpid"
pub3_ms=$(( (t1 - t0) / 1000000 ))
rps_during=$(awk '/^Requests\/sec/ { print $2 }' "$dir/during.out")
dip=$(awk -v a="$rps_still" -v b="$rps_during" 'BEGIN { printf "%.1f", (a > 0) ? 100 * (a - b) / a : 0 }')

printf '| threats/stats, %s threats, %s mappings, %s cores | |\n|---|---|\n' \
    "$threats" "$mappings" "$(nproc)"
printf '| default view (30 days) | %s requests/s |\n' "$rps"
printf '| p99, worst of %d filter combinations | %s ms (event loop), %s ms (attck_thread_pool) |\n' \
    "${#combos[@]}" "$worst" "$worst_pool"
printf '| median, default view / PostgreSQL | %s ms / %s ms (%sx) |\n' "$mean_ms" "$pg_ms" "$ratio"
printf '| threat index | %s bytes: %s per threat, %s per mapping |\n' "$index" \
    "$(( index / (threats ? threats : 1) ))" "$(( index / (mappings ? mappings : 1) ))"
printf '| first publish | %s s, peak %s MB |\n' "$pub_s" "$(( pub_kb / 1024 ))"
printf '| publish after 1,000 changed | %s ms, %s threats read, %s documents written |\n' "$pub2_ms" "${read_n:-?}" "${written:-?}"
printf '| the same under lookups (nice 10) | %s ms |\n' "$pub3_ms"
printf '| lookups before / during it | %s / %s requests/s (%s%% fewer) |\n' "$rps_still" "$rps_during" "$dip"

printf '\n| filters (p99, 1 connection, 3 s) | event loop | attck_thread_pool |\n|---|---|---|\n'
cat "$dir/combos.md"
