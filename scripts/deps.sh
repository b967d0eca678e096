#!/usr/bin/env bash
# Installs the Debian packages assetmatch needs to build, test and benchmark,
# but only those that are missing, so a second run costs a dpkg query and
# nothing more.  As root it runs apt-get; otherwise it prints the line to run
# and fails, so `make` never half-builds against a missing library.
#
#   scripts/deps.sh          build + test packages
#   scripts/deps.sh --test   also what the peer tests need (Java 17 and Maven
#                            for a real Apache Kafka, scripts/kafka.sh)
#   scripts/deps.sh --bench  also the benchmark baselines (DPDK, kcat, gnuplot)
#                            and curl (bench/e2e/backlog.sh)
set -euo pipefail

pkgs=(
    build-essential cmake pkg-config
    librdkafka-dev libhyperscan-dev libavro-dev libjansson-dev
    libcriterion-dev libmicrohttpd-dev libsimdjson-dev libidn2-dev libssl-dev
    libmimalloc-dev
    clang libclang-rt-14-dev
    python3 python3-venv
)
bench_pkgs=(libdpdk-dev kcat gnuplot-nox valgrind curl)
test_pkgs=(openjdk-17-jre-headless maven)

case "${1:-}" in
    --bench) pkgs+=("${bench_pkgs[@]}") ;;
    --test) pkgs+=("${test_pkgs[@]}") ;;
    "") ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "assetmatch: missing Debian packages: ${missing[*]}" >&2
    echo "run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "assetmatch: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
