#!/usr/bin/env bash
# Benchmark: the mapper.  Training a full ATT&CK release (time, peak
# memory, model size), model load, and classify throughput on one core
# for report-sized sentences (~150 characters, top 10 with evidence),
# this build beside the previous classifier (1f3b250, the build before the
# working sets, built here from git) in the same run; then POST {api}/map
# in nginx (one worker process on one core, wrk on the other) for a
# 150-character sentence and a 20 KB report, beside GET
# techniques/T1059.001.  Targets of the mapping issue: train <= 60 s,
# model < 50 MB, load < 50 ms, >= 50,000 sentences/s, POST map >= 0.3 of
# the GET's rate.
#
# usage: bench/mapper.sh [BUNDLE]   (BENCH_SECONDS, BENCH_CONNECTIONS,
#                                    BENCH_LINES, BENCH_PREVIOUS=commit,
#                                    BENCH_MODEL: a model already trained,
#                                    BENCH_PREVIOUS=none: no previous build)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
bundle=$(realpath "${1:-$root/../shared/attack/enterprise-attack-18.1.json}")
worker=$build/attck-worker
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-16}
lines=${BENCH_LINES:-40000}
previous=${BENCH_PREVIOUS:-1f3b250}

dir=$(mktemp -d /tmp/attck-bench-map.XXXXXX)
. "$root/bench/lib.sh"

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

# sentences of about 150 characters: procedure examples of one sentence,
# 100 to 200 characters, repeated up to BENCH_LINES lines
"$worker" examples "$bundle" 2>/dev/null | perl -CO -MJSON::PP -ne '
    my $j = decode_json($_);
    next unless $j->{kind} eq "procedure";
    my $t = $j->{text};
    next if length($t) < 100 || length($t) > 200 || $t =~ /\.\s/;
    print JSON::PP->new->canonical->encode({ id => $., text => $t }), "\n"' \
    > "$dir/one.jsonl"
n=$(wc -l < "$dir/one.jsonl")
for _ in $(seq $(( (lines + n - 1) / n ))); do cat "$dir/one.jsonl"; done \
    > "$dir/many.jsonl"
head -n "$lines" "$dir/many.jsonl" > "$dir/in.jsonl"
avg=$(perl -MJSON::PP -ne '$s += length(decode_json($_)->{text}); $n++;
    END { printf "%.0f", $s / $n }' "$dir/in.jsonl")

if [ -n "${BENCH_MODEL:-}" ]; then
    # a model trained before: the throughput figures only
    cp "$BENCH_MODEL" "$dir/model"
    train_s=0 train_kb=0
else
    /usr/bin/time -f '%e %M' -o "$dir/train.time" \
        taskset -c 0 "$worker" train -o "$dir/model" --stix "$bundle" 2>/dev/null
    read -r train_s train_kb < "$dir/train.time"
fi

# the best of three: the machine is shared
best() {
    local b=
    for _ in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$dir/t" "$@" > /dev/null 2>&1
        read -r t m < "$dir/t"
        if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'
        then b=$t; rss=$m; fi
    done
    echo "$b $rss"
}

classify_rate() {
    local w=$1 model=$2 load total
    read -r load _ < <(best taskset -c 0 "$w" classify --model "$model" \
                       < /dev/null)
    read -r total rss < <(best sh -c "taskset -c 0 '$w' classify --model \
                          '$model' < '$dir/in.jsonl'")
    awk -v n="$lines" -v t="$total" -v l="$load" -v r="$rss" \
        'BEGIN { printf "%.0f %.0f %.1f\n", n / (t - l + 0.0001), l * 1000, r / 1024 }'
}

read -r new_rate new_load new_rss < <(classify_rate "$worker" "$dir/model")

# the previous classifier, from git, on its own model of the same data
prev_rate=- prev_load=- prev_rss=- prev_train=-
if [ "$previous" != none ] && git -C "$root" cat-file -e "$previous" 2>/dev/null
then
    mkdir -p "$dir/prev"
    git -C "$root" archive "$previous" worker ngx_attck_module/snapshot \
        | tar -x -C "$dir/prev"
    (cd "$dir/prev" && cc -O2 -w $(pkg-config --cflags jansson libcurl libpq \
        libcrypto yaml-0.1 hiredis cairo) -o attck-worker worker/*.c \
        ngx_attck_module/snapshot/*.c $(pkg-config --libs jansson libcurl \
        zlib libpq libcrypto yaml-0.1 hiredis cairo) -llinear -lm) \
        && /usr/bin/time -f '%e' -o "$dir/prev.time" taskset -c 0 \
            "$dir/prev/attck-worker" train -o "$dir/prev.model" \
            --stix "$bundle" 2>/dev/null \
        && prev_train=$(cat "$dir/prev.time") \
        && read -r prev_rate prev_load prev_rss < <(classify_rate \
            "$dir/prev/attck-worker" "$dir/prev.model")
fi

size=$(stat -c %s "$dir/model")

echo "mapper, one core, $(basename "$bundle"), $lines sentences of $avg characters"
printf '| %-30s | %14s | %14s | %12s |\n' measure "this build" "previous" target
printf '|%s|%s|%s|%s|\n' -------------------------------- ---------------- \
    ---------------- --------------
printf '| %-30s | %12.1f s | %12s s | %12s |\n' train "$train_s" "$prev_train" "<= 60 s"
printf '| %-30s | %11d MB | %14s | %12s |\n' "train peak memory" \
    $((train_kb / 1024)) "" "< 2048 MB"
printf '| %-30s | %11.1f MB | %14s | %12s |\n' "model size" \
    "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')" "" "< 50 MB"
printf '| %-30s | %11s ms | %11s ms | %12s |\n' "model load (process)" \
    "$new_load" "$prev_load" "< 50 ms"
printf '| %-30s | %11s MB | %11s MB | %12s |\n' "classify peak memory" \
    "$new_rss" "$prev_rss" "< 50 MB"
printf '| %-30s | %11s /s | %11s /s | %12s |\n' "classify, top 10 + evidence" \
    "$new_rate" "$prev_rate" ">= 50,000 /s"

# --- POST map in nginx ------------------------------------------------------

command -v wrk >/dev/null || { echo "wrk is needed for POST map"; exit 0; }
snapshot=${ATTCK_TEST_SNAPSHOT:-$build/test/all.snap}
[ -f "$snapshot" ] || { echo "no snapshot at $snapshot: POST map skipped"; exit 0; }

port=$(free_port)
mkdir -p "$dir"/{logs,tmp}
chmod 755 "$dir" "$dir/tmp"     # the worker process keeps long bodies there
{
nginx_conf_head "$dir" 1
cat <<CONF
    attck_zone attck 256m;
    attck_snapshot $snapshot;
    attck_model $dir/model;
    server {
        listen 127.0.0.1:$port;
        location /api/v1/ { attck_api; attck_map_max_body 32k; }
    }
}
CONF
} > "$dir/nginx.conf"

taskset -c 0 nginx -p "$dir" -c "$dir/nginx.conf"
wait_url "http://127.0.0.1:$port/api/v1/status" \
    || { echo "nginx did not answer"; exit 1; }

sentence=$(head -1 "$dir/one.jsonl" | perl -MJSON::PP -ne \
    'print JSON::PP->new->decode($_)->{text}')
# a 20 KB report: procedure examples one after another
perl -CO -MJSON::PP -ne 'print decode_json($_)->{text}, " "' "$dir/one.jsonl" \
    > "$dir/all.txt"
head -c 20480 "$dir/all.txt" | iconv -c -f UTF-8 -t UTF-8 > "$dir/report.txt"

post_lua() {
    perl -e 'local $/; my $b = <STDIN>; $b =~ s/(["\\])/\\$1/g;
        $b =~ s/\n/\\n/g;
        print "wrk.method = \"POST\"\n",
              "wrk.headers[\"Content-Type\"] = \"text/plain\"\n",
              "wrk.body = \"$b\"\n"' < "$1" > "$2"
}

printf '%s' "$sentence" > "$dir/sentence.txt"
post_lua "$dir/sentence.txt" "$dir/sentence.lua"
post_lua "$dir/report.txt" "$dir/report.lua"

run_wrk() {
    taskset -c 1 wrk -t1 -c"$conns" -d"${seconds}s" --latency "$@" 2>/dev/null \
        | awk '/Requests\/sec/ { rps = $2 }
               /^ +99%/ { p99 = $2 }
               /Non-2xx/ { bad = $NF }
               END { if (bad) { print "ERROR", bad; exit 1 } print rps, p99 }'
}

get="http://127.0.0.1:$port/api/v1/techniques/T1059.001"
post="http://127.0.0.1:$port/api/v1/map"
curl -fsS -o /dev/null --data-binary @"$dir/report.txt" \
    -H 'Content-Type: text/plain' "$post" || { echo "POST map fails"; exit 1; }

taskset -c 1 wrk -t1 -c"$conns" -d1s "$get" > /dev/null 2>&1
read -r g_rps g_p99 < <(run_wrk "$get")
read -r s_rps s_p99 < <(run_wrk -s "$dir/sentence.lua" "$post")
read -r r_rps r_p99 < <(run_wrk -s "$dir/report.lua" "$post")

echo
echo "POST map, nginx: one worker process on core 0, wrk ($conns connections) on core 1"
printf '| request | bytes in | req/s | p99 | of GET |\n|---|---|---|---|---|\n'
printf '| GET techniques/T1059.001 | 0 | %.0f | %s | 1.00 |\n' "$g_rps" "$g_p99"
printf '| POST map, one sentence | %s | %.0f | %s | %.2f |\n' \
    "$(stat -c %s "$dir/sentence.txt")" "$s_rps" "$s_p99" \
    "$(awk -v a="$s_rps" -v b="$g_rps" 'BEGIN { print a / b }')"
printf '| POST map, a report | %s | %.0f | %s | %.2f |\n' \
    "$(stat -c %s "$dir/report.txt")" "$r_rps" "$r_p99" \
    "$(awk -v a="$r_rps" -v b="$g_rps" 'BEGIN { print a / b }')"
