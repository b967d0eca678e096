#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) from its seed corpus
# (tests/fuzz/corpus/<format>/ and the decoder's test fixtures; assets:
# its records and the inventory fixtures), keeping what it learns in
# build/fuzz/corpus/.  Fails on the first crash, leak or
# timeout, and leaves the reproducer in build/fuzz/.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-60}
src=$(cd "$(dirname "$0")" && pwd)
data=$src/../data

seeds_for() {
    case $1 in
        json) echo "$src/corpus/json" ;;
        avro) echo "$src/corpus/avro" ;;
        stix) echo "$data/stix" ;;
        intelmq) echo "$src/corpus/intelmq" ;;
        shadowserver) echo "$data/shadowserver" ;;
        auto) echo "$src/corpus/json $src/corpus/avro $src/corpus/intelmq $data/stix $data/shadowserver" ;;
        assets) echo "$src/corpus/assets $data/inventory" ;;
    esac
}

for t in json avro stix intelmq shadowserver auto assets; do
    bin=$build/tests/fuzz/fuzz_$t
    work=$build/corpus/$t
    mkdir -p "$work"
    dirs=()
    for d in $(seeds_for $t); do [ -d "$d" ] && dirs+=("$d"); done
    echo "fuzz_$t: ${secs}s from ${#dirs[@]} seed folder(s)"
    (cd "$build" && "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "$work" "${dirs[@]}" \
        2>"$build/fuzz_$t.log") || {
        echo "fuzz_$t FAILED; see $build/fuzz_$t.log:"; tail -40 "$build/fuzz_$t.log"; exit 1; }
    grep -E "stat::number_of_executed_units|cov:" "$build/fuzz_$t.log" | tail -2
done
