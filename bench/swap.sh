#!/usr/bin/env bash
# Benchmark: requests/s on a shared-memory endpoint with and without
# snapshot swaps.  Two snapshots of the same data (compiled a second
# apart, so their bytes differ) are put in Redis the way attck-worker
# publish puts them; during the second wrk run attck:current switches
# between them every BENCH_SWAP_EVERY seconds and nginx (attck_refresh on)
# loads each one.  Prints both rates, the dip, and the failed requests.
#
# usage: bench/swap.sh SOURCE...   (BENCH_SECONDS, BENCH_CONNECTIONS,
#                                   BENCH_SWAP_EVERY)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${ATTCK_BUILD:-$root/build}")
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
every=${BENCH_SWAP_EVERY:-1}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

dir=$(mktemp -d /tmp/attck-swap.XXXXXX)
. "$root/bench/lib.sh"
port=$(free_port)
rport=$(free_port)
mkdir -p "$dir"/{logs,tmp}

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

"$build/attck-worker" compile -o "$dir/a.snap" "$@" 2>/dev/null
sleep 1
"$build/attck-worker" compile -o "$dir/b.snap" "$@" 2>/dev/null
sha_a=$(sha256sum "$dir/a.snap" | cut -c1-64)
sha_b=$(sha256sum "$dir/b.snap" | cut -c1-64)

redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$dir" --logfile "$dir/redis.log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$rport" -x SET "attck:snapshot:$sha_a" < "$dir/a.snap" >/dev/null
redis-cli -p "$rport" -x SET "attck:snapshot:$sha_b" < "$dir/b.snap" >/dev/null
redis-cli -p "$rport" SET attck:current "1 $sha_a" >/dev/null

{
nginx_conf_head "$dir" 2
cat <<CONF
    attck_zone attck 256m;
    attck_redis 127.0.0.1:$rport;
    attck_refresh on;
    server {
        listen 127.0.0.1:$port;
        location /api/v1/ { attck_api; }
    }
}
CONF
} > "$dir/nginx.conf"

nginx -p "$dir" -c "$dir/nginx.conf"
url="http://127.0.0.1:$port/api/v1/techniques/T1059.001"
wait_url "$url" || { echo "no answer from $url"; cat "$dir/logs/error.log"; exit 1; }

run_wrk() {
    wrk -t1 -c"$conns" -d"${seconds}s" "$url" > "$dir/wrk.out"
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$dir/wrk.out")
    failed=$(awk '/Non-2xx/ { print $NF }' "$dir/wrk.out")
    errors=$(awk '/Socket errors/ { print }' "$dir/wrk.out")
    echo "${rps} ${failed:-0} ${errors:-none}"
}

read -r rps_still failed_still _ < <(run_wrk)
before=$(grep -c 'is generation' "$dir/logs/error.log" || true)

# swaps during the second run
(
    gen=1
    end=$(( $(date +%s) + seconds ))
    while [ "$(date +%s)" -lt "$end" ]; do
        sleep "$every"
        gen=$((gen + 1))
        if [ $((gen % 2)) = 0 ]; then sha=$sha_b; else sha=$sha_a; fi
        redis-cli -p "$rport" SET attck:current "$gen $sha" >/dev/null
    done
) &
swapper=$!
read -r rps_swap failed_swap errors < <(run_wrk)
wait "$swapper"

loaded=$(( $(grep -c 'is generation' "$dir/logs/error.log" || true) - before ))
size=$(stat -c %s "$dir/a.snap")

echo "snapshot swaps under load: $(nproc) cores, $conns connections," \
     "${seconds}s per run, a $((size / 1048576)) MB snapshot every ${every}s"
printf '%-28s %12s %10s\n' "" "requests/s" "failed"
printf '%-28s %12s %10s\n' "no swaps" "$rps_still" "$failed_still"
printf '%-28s %12s %10s\n' "swaps ($loaded loaded)" "$rps_swap" "$failed_swap"
awk -v a="$rps_still" -v b="$rps_swap" \
    'BEGIN { printf "dip during swaps: %.1f%%\n", (1 - b / a) * 100 }'
[ "$errors" = none ] || echo "wrk: $errors"
