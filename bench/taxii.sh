#!/usr/bin/env bash
# Benchmark: attck_taxii.  A whole Enterprise collection walked with
# objects/?limit=1000 and next (seconds, requests/s, MB/s), then wrk on one
# 1000-object page and on one object, each beside nginx serving the very
# same bytes as a static file.
#
# usage: bench/taxii.sh BUNDLE...   (BENCH_SECONDS, BENCH_CONNECTIONS,
#                                    BENCH_WALKS)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-16}
walks=${BENCH_WALKS:-5}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
[ $# -gt 0 ] || { echo "usage: bench/taxii.sh BUNDLE..."; exit 64; }

dir=$(mktemp -d /tmp/attck-bench-taxii.XXXXXX)
. "$root/bench/lib.sh"
port=$(free_port)
mkdir -p "$dir"/{logs,tmp,static}
chmod 755 "$dir" "$dir/static"

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

"$build/attck-worker" compile --taxii -o "$dir/taxii.snap" "$@" 2>/dev/null

{
nginx_conf_head "$dir" 1
cat <<CONF
    sendfile on;
    tcp_nopush on;
    attck_zone attck 512m;
    attck_snapshot $dir/taxii.snap;
    server {
        listen 127.0.0.1:$port;
        location /taxii2/ { attck_taxii; }
        location /static/ {
            alias $dir/static/;
            default_type application/json;
            open_file_cache max=64 inactive=600s;
            open_file_cache_valid 600s;
        }
    }
}
CONF
} > "$dir/nginx.conf"

nginx -p "$dir" -c "$dir/nginx.conf"
wait_url "http://127.0.0.1:$port/taxii2/" || { echo "nginx did not answer"; exit 1; }

coll=x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019
base="http://127.0.0.1:$port/taxii2/attack/collections/$coll"

# the walk: one keep-alive connection, as a TAXII client polls
perl -MHTTP::Tiny -MTime::HiRes=time -e '
    my ($base, $walks) = @ARGV;
    my $http = HTTP::Tiny->new(keep_alive => 1);
    my ($best, $pages, $bytes, $objs);
    for (1 .. $walks) {
        my ($next, $t0) = (undef, time);
        ($pages, $bytes, $objs) = (0, 0, 0);
        while (1) {
            my $r = $http->get("$base/objects/?limit=1000"
                               . (defined $next ? "&next=$next" : ""));
            die "HTTP $r->{status}\n" unless $r->{success};
            $pages++;
            $bytes += length $r->{content};
            my ($n) = $r->{content} =~ /^\{"more":true,"next":"([^"]+)"/;
            last unless defined $n;
            $next = $n;
        }
        my $t = time - $t0;
        $best = $t if !defined $best || $t < $best;
    }
    printf "| Enterprise walk, limit=1000 | %d pages, %.1f MB | %.3f s | %.0f req/s | %.0f MB/s |\n",
        $pages, $bytes / 1e6, $best, $pages / $best, $bytes / 1e6 / $best;
' "$base" "$walks" | { printf '| walk (best of %s) | size | time | requests/s | MB/s |\n|---|---|---|---|---|\n' "$walks"; cat; }

run_wrk() {
    wrk -t1 -c"$conns" -d"${seconds}s" --latency "$1" 2>/dev/null | awk '
        /Requests\/sec/ { rps = $2 }
        /Transfer\/sec/ { tps = $2 }
        /^ +50%/ { p50 = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad) { print "ERROR non-2xx " bad; exit 1 } print rps, tps, p50 }'
}

printf '\n| resource | bytes | module req/s | module transfer/s | static req/s | ratio |\n'
printf '|---|---|---|---|---|---|\n'

for e in "page|/objects/?limit=1000" \
         "object|/objects/attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298/"
do
    name=${e%%|*}
    url="$base${e#*|}"
    curl -fsS -o "$dir/static/$name.json" "$url"
    chmod 644 "$dir/static/$name.json"
    bytes=$(stat -c %s "$dir/static/$name.json")
    static="http://127.0.0.1:$port/static/$name.json"

    wrk -t1 -c"$conns" -d1s "$url" >/dev/null 2>&1
    wrk -t1 -c"$conns" -d1s "$static" >/dev/null 2>&1

    read -r m_rps m_tps m_p50 < <(run_wrk "$url")
    read -r s_rps s_tps s_p50 < <(run_wrk "$static")
    ratio=$(awk -v m="$m_rps" -v s="$s_rps" 'BEGIN { printf "%.2f", m / s }')

    printf '| %s | %s | %.0f | %s | %.0f | %sx |\n' "${e#*|}" \
        "$bytes" "$m_rps" "$m_tps" "$s_rps" "$ratio"
done
