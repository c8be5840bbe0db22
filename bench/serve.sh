#!/usr/bin/env bash
# Benchmark: ngx_http_attck_module against nginx serving the very same
# bytes as static files (open_file_cache, sendfile), in one nginx, one
# run.  Prints requests/s, p50/p99 latency and the module/static ratio.
#
# usage: bench/serve.sh [SNAPSHOT]      (BENCH_SECONDS, BENCH_CONNECTIONS)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
snapshot=$(realpath "${1:-$build/test/all.snap}")
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
[ -f "$snapshot" ] || { echo "no snapshot at $snapshot (make test builds one)"; exit 1; }

dir=$(mktemp -d /tmp/attck-bench.XXXXXX)
. "$root/bench/lib.sh"
port=$(free_port)
mkdir -p "$dir"/{logs,tmp,static}
chmod 755 "$dir" "$dir/static"   # the worker process reads the static files

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

# one worker on one core, wrk on the other: the machine has two
{
nginx_conf_head "$dir" 1
cat <<CONF
    sendfile on;
    tcp_nopush on;
    attck_zone attck 256m;
    attck_snapshot $snapshot;
    server {
        listen 127.0.0.1:$port;
        location /api/v1/ { attck_api; }
        location /cr/ { attck_cyberrange; }
        location /cr-overlay/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_training;
        }
        location = /_training {
            internal;
            proxy_pass http://127.0.0.1:$port/training-defs;
        }
        location = /training-defs {
            default_type application/json;
            return 200 '[{"id":1,"title":"Demo","played":true,"mitre_techniques":["TA0043.T1595","TA0002.T1059.001","TA0007.T1046"]},{"id":2,"title":"Second","played":true,"mitre_techniques":["TA0043.T1595","TA0001.T1566"]}]';
        }
        location /static/ {
            alias $dir/static/;
            default_type application/json;
            charset utf-8;
            charset_types application/json;
            open_file_cache max=64 inactive=600s;
            open_file_cache_valid 600s;
        }
    }
}
CONF
} > "$dir/nginx.conf"

nginx -p "$dir" -c "$dir/nginx.conf"
wait_url "http://127.0.0.1:$port/api/v1/status" || { echo "nginx did not answer"; exit 1; }

# name | module path
endpoints=(
    "technique|/api/v1/techniques/T1059.001"
    "tactic|/api/v1/tactics/TA0002"
    "group|/api/v1/groups/G0016"
    "matrix|/api/v1/matrix?domain=enterprise"
    "search|/api/v1/search?q=powershell"
    "index|/cr/mitre-technique-index"
)

run_wrk() {
    wrk -t1 -c"$conns" -d"${seconds}s" --latency -H "Authorization: Bearer b" \
        "$1" 2>/dev/null | awk '
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad) { print "ERROR non-2xx " bad; exit 1 } print rps, p50, p99 }'
}

printf '| endpoint | bytes | module req/s | static req/s | ratio | module p50 / p99 | static p50 / p99 |\n'
printf '|---|---|---|---|---|---|---|\n'

for e in "${endpoints[@]}"; do
    name=${e%%|*}
    path=${e#*|}
    url="http://127.0.0.1:$port$path"
    curl -fsS -o "$dir/static/$name.json" "$url"
    chmod 644 "$dir/static/$name.json"
    bytes=$(stat -c %s "$dir/static/$name.json")

    # warm both, then measure
    wrk -t1 -c"$conns" -d1s "$url" >/dev/null 2>&1
    wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port/static/$name.json" >/dev/null 2>&1

    read -r m_rps m_p50 m_p99 < <(run_wrk "$url")
    read -r s_rps s_p50 s_p99 < <(run_wrk "http://127.0.0.1:$port/static/$name.json")
    ratio=$(awk -v m="$m_rps" -v s="$s_rps" 'BEGIN { printf "%.2f", m / s }')

    printf '| %s | %s | %.0f | %.0f | %sx | %s / %s | %s / %s |\n' \
        "$path" "$bytes" "$m_rps" "$s_rps" "$ratio" \
        "$m_p50" "$m_p99" "$s_p50" "$s_p99"
done

# the cyber-range matrix: without and with a training overlay, which costs
# a subrequest to the (stand-in) training service and the drawing of dots

printf '\n| matrix fragment | bytes | req/s | p50 / p99 |\n|---|---|---|---|\n'

for e in "plain|/cr/mitre-matrix-visualisation" \
         "with overlay|/cr-overlay/mitre-matrix-visualisation?played=true"
do
    name=${e%%|*}
    url="http://127.0.0.1:$port${e#*|}"
    bytes=$(curl -fsS -H "Authorization: Bearer b" "$url" | wc -c)
    wrk -t1 -c"$conns" -d1s -H "Authorization: Bearer b" "$url" >/dev/null 2>&1
    read -r rps p50 p99 < <(run_wrk "$url")
    printf '| %s | %s | %.0f | %s / %s |\n' "$name" "$bytes" "$rps" "$p50" "$p99"
done
