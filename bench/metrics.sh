#!/usr/bin/env bash
# Benchmark: what attck_metrics' counting costs the technique lookup.  Two
# nginx instances with the same configuration, one with an attck_metrics
# location (so that every request is counted in the log phase), measured
# in turns; prints each one's median requests/s and, steadier on a shared
# machine, the worker process's CPU time per request (from /proc), whose
# inverse is the throughput of a core of its own.
#
# usage: bench/metrics.sh [SNAPSHOT]    (BENCH_SECONDS, BENCH_CONNECTIONS,
#                                        BENCH_ROUNDS)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
snapshot=$(realpath "${1:-$build/test/all.snap}")
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
rounds=${BENCH_ROUNDS:-3}
path=/api/v1/techniques/T1059.001

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
[ -f "$snapshot" ] || { echo "no snapshot at $snapshot (make test builds one)"; exit 1; }

dir=$(mktemp -d /tmp/attck-bench-metrics.XXXXXX)
. "$root/bench/lib.sh"

cleanup() {
    for v in plain counted; do
        [ -f "$dir/$v/nginx.pid" ] \
            && kill -QUIT "$(cat "$dir/$v/nginx.pid")" 2>/dev/null || true
    done
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

declare -A port

# one worker on one core, wrk on the other: the machine has two
for v in plain counted; do
    port[$v]=$(free_port)
    mkdir -p "$dir/$v"/{logs,tmp}
    {
    nginx_conf_head "$dir/$v" 1
    cat <<CONF
    attck_zone attck 256m;
    attck_snapshot $snapshot;
    server {
        listen 127.0.0.1:${port[$v]};
        location /api/v1/ { attck_api; }
        $([ $v = counted ] && echo 'location = /metrics { attck_metrics; }')
    }
}
CONF
    } > "$dir/$v/nginx.conf"
    nginx -p "$dir/$v" -c "$dir/$v/nginx.conf"
    wait_url "http://127.0.0.1:${port[$v]}$path" \
        || { echo "nginx ($v) did not answer"; exit 1; }
    wrk -t1 -c"$conns" -d1s "http://127.0.0.1:${port[$v]}$path" >/dev/null 2>&1
done

# the CPU ticks the worker process of instance $1 used so far
ticks() {
    awk '{ print $14 + $15 }' "/proc/$(pgrep -P "$(cat "$dir/$1/nginx.pid")")/stat"
}

# "requests/s CPU-microseconds-per-request" of one run against instance $1
run() {
    local t0 t1 out
    t0=$(ticks "$1")
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" \
          "http://127.0.0.1:${port[$1]}$path" 2>/dev/null)
    t1=$(ticks "$1")
    awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" '
        / requests in / { n = $1 }
        /Requests\/sec/ { rps = $2 }
        END { printf "%s %.2f\n", rps, t / hz * 1e6 / n }' <<< "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

plain=()
counted=()
plain_cpu=()
counted_cpu=()
for _ in $(seq "$rounds"); do
    read -r r u < <(run plain)
    plain+=("$r")
    plain_cpu+=("$u")
    read -r r u < <(run counted)
    counted+=("$r")
    counted_cpu+=("$u")
done

p=$(printf '%s\n' "${plain[@]}" | median)
c=$(printf '%s\n' "${counted[@]}" | median)
pu=$(printf '%s\n' "${plain_cpu[@]}" | median)
cu=$(printf '%s\n' "${counted_cpu[@]}" | median)
n=$(curl -fsS "http://127.0.0.1:${port[counted]}/metrics" \
    | awk -F' ' '/^attck_http_requests_total\{endpoint="techniques\/\{id\}",status="200"\}/ { print $2 }')

printf '| technique lookup | req/s (median of %s x %ss) | worker CPU us/request (median) | runs, req/s |\n|---|---|---|---|\n' \
    "$rounds" "$seconds"
printf '| without attck_metrics | %.0f | %s | %s |\n' "$p" "$pu" "${plain[*]}"
printf '| counted (attck_metrics) | %.0f | %s | %s |\n' "$c" "$cu" "${counted[*]}"
awk -v p="$p" -v c="$c" -v pu="$pu" -v cu="$cu" -v n="$n" 'BEGIN {
    f = "\ncounting costs %.1f%% of req/s, %.1f%% of CPU per request"
    printf f " (%s requests counted)\n", (p - c) / p * 100,
           (cu - pu) / pu * 100, n }'
