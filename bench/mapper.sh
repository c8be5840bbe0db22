#!/usr/bin/env bash
# Benchmark: training the mapper on a full ATT&CK release (time, peak
# memory, model size) and classify throughput on one core, against the
# targets of the mapping issue: train < 60 s, < 2 GB, model < 50 MB,
# classify >= 5,000 sentences a second.
#
# usage: bench/mapper.sh [BUNDLE]

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTCK_BUILD:-$root/build}
bundle=$(realpath "${1:-$root/../shared/attack/enterprise-attack-18.1.json}")
worker=$build/attck-worker

dir=$(mktemp -d /tmp/attck-bench-map.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# sentences to classify: ATT&CK's own, one JSON object a line
"$worker" examples "$bundle" > "$dir/in.jsonl" 2>/dev/null
lines=$(wc -l < "$dir/in.jsonl")

/usr/bin/time -f '%e %M' -o "$dir/train.time" \
    taskset -c 0 "$worker" train -o "$dir/model" --stix "$bundle" 2>/dev/null
read -r train_s train_kb < "$dir/train.time"

/usr/bin/time -f '%e' -o "$dir/load.time" \
    taskset -c 0 "$worker" classify --model "$dir/model" < /dev/null 2>/dev/null
/usr/bin/time -f '%e' -o "$dir/classify.time" \
    taskset -c 0 "$worker" classify --model "$dir/model" \
    < "$dir/in.jsonl" > "$dir/out.jsonl" 2>/dev/null

load_s=$(cat "$dir/load.time")
classify_s=$(cat "$dir/classify.time")
size=$(stat -c %s "$dir/model")

echo "mapper, one core, $(basename "$bundle")"
printf '| %-28s | %14s | %10s |\n' measure value target
printf '|%s|%s|%s|\n' ------------------------------ ---------------- ------------
printf '| %-28s | %12.1f s | %10s |\n' "train" "$train_s" "< 60 s"
printf '| %-28s | %11d MB | %10s |\n' "train peak memory" $((train_kb / 1024)) "< 2048 MB"
printf '| %-28s | %11.1f MB | %10s |\n' "model size" "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')" "< 50 MB"
printf '| %-28s | %12.2f s | %10s |\n' "model load" "$load_s" ""
printf '| %-28s | %10.0f /s | %10s |\n' "classify ($lines sentences)" \
    "$(awk -v n="$lines" -v t="$classify_s" -v l="$load_s" \
        'BEGIN { print n / (t - l + 0.0001) }')" ">= 5000 /s"
