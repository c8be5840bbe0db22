#!/usr/bin/env bash
# Benchmark: the dashboard in headless chromium on a store of generated
# threats (BENCH_THREATS, 1,000,000 by default): the time from navigation
# until every widget shows data, the time a filter takes to repaint them,
# and the size of the page's own JS and CSS, compressed (gzip -9).
#
# usage: bench/dashboard.sh    (BENCH_THREATS, BENCH_ROUNDS)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
threats=${BENCH_THREATS:-1000000}
rounds=${BENCH_ROUNDS:-5}

[ -f "$build/dashboard/app.js" ] || { echo "no dashboard: make dashboard"; exit 1; }
command -v chromium >/dev/null || { echo "chromium is needed"; exit 1; }

js=$(gzip -9c "$build/dashboard/app.js" | wc -c)
css=$(gzip -9c "$build/dashboard/app.css" | wc -c)
echo "dashboard: app.js $((js / 1024)) KB + app.css $((css / 1024)) KB" \
     "compressed ($(( (js + css) / 1024 )) KB of the 1 MB budget)"
echo "store: $threats generated threats, $rounds rounds"
cd "$root"
ATTCK_BUILD=$build ATTCK_SHARED=${ATTCK_SHARED:-$root/../shared} \
    perl bench/dashboard.pl "$threats" "$rounds"
