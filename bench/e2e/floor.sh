#!/usr/bin/env bash
# How close the service runs to the least its work can cost here, on one
# backlog (issue 6: a mix that matches 20% writes ~0.3 notifications an
# event, which kcat, the baseline, does not):
#   bench/e2e/floor.sh BUILD INVENTORY FRAMES [COUNT]
# 1. lanes alone (run.py's lanes_alone()): decode_frames decodes, matches,
#    encodes and keeps in a window of recent indicators COUNT (default
#    300000) messages of FRAMES in one thread, no Kafka, three times (the
#    fastest is kept), and keeps the notifications it encodes;
# 2. producing alone: e2e_load produces those notifications (at least
#    300000, the file cycled) to a dev broker of its own with the service's
#    producer settings (run.py's PRODUCER_AS_SERVICE: lz4, idempotence,
#    linger), and its CPU and the broker's a notification are taken;
# 3. the service: backlog.sh with KCAT=1 and THREADS=1 (kcat's rate, then
#    the service's, and the CPU of each of its threads and of the dev broker
#    over the middle 80% of the backlog).
# It prints the service's CPU an event split into its lanes (its own
# threads), librdkafka's threads and the dev broker; the floor (run.py's
# floor(), as bench-e2e gives it: the rate this machine's CPUs allow at
# the lanes' cost alone plus librdkafka's threads' and the dev broker's as
# the service ran them); the service's rate and the floor as ratios to
# kcat; and the service's share of the floor.  Extra arguments go to
# backlog.sh (--set KEY=VALUE).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,23p' "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd); inv=$2; frames=$3; shift 3
count=300000
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then count=$1; shift; fi
dir=$(mktemp -d)
trap 'kill ${broker:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT

# The lanes' rate, and how many notifications they wrote (framed).
read -r lanes notes < <(python3 -c "
import sys; sys.path.insert(0, '$here'); import run
rate = run.lanes_alone('$build', '$inv', '$frames', $count,
                       save='$dir/notifications')
b, at, n = open('$dir/notifications', 'rb').read(), 0, 0
while at < len(b):
    at, n = at + 4 + int.from_bytes(b[at:at + 4], 'big'), n + 1
print(rate, n)")
[ "$notes" -gt 0 ] || { echo "floor.sh: $frames makes no notifications" >&2; exit 1; }
produced=$(( notes < 300000 ? 300000 : notes ))

"$build/assetmatch" devbroker --partitions 32 --topics notifications \
    >"$dir/broker" 2>/dev/null &
broker=$!
for _ in $(seq 100); do bs=$(head -1 "$dir/broker"); [ -n "$bs" ] && break; sleep 0.1; done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# shellcheck disable=SC2207 # one word per -X and per setting
xconf=($(python3 -c "
import sys; sys.path.insert(0, '$here'); import run
print(' '.join('-X %s=%s' % kv for kv in run.PRODUCER_AS_SERVICE.items()))"))
c0=$(cpu $broker)
/usr/bin/time -f "%U %S" -o "$dir/time" "$build/bench/e2e_load" produce \
    -b "$bs" -t notifications -p 32 -f "$dir/notifications" -n "$produced" \
    "${xconf[@]}" >"$dir/produced"
c1=$(cpu $broker)
kill $broker; wait $broker 2>/dev/null || true; broker=

THREADS=1 KCAT=1 "$here/backlog.sh" "$build" "$inv" "$frames" "$count" "$@" \
    >"$dir/service"

python3 - "$dir" "$(( c1 - c0 ))" "$(getconf CLK_TCK)" "$lanes" "$notes" \
    "$count" "$here" <<'PY'
import json, os, re, sys

d, broker_ticks, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, sys.argv[7])
import run  # noqa: E402
read = lambda f: open(os.path.join(d, f)).read()
lanes_rate = float(sys.argv[4])
per_event = int(sys.argv[5]) / int(sys.argv[6])
user, sys_ = map(float, read("time").split())
produced = json.loads(read("produced"))
produce_us = (user + sys_ + broker_ticks / tck) / produced["produced"] * 1e6
svc = read("service")
kcat = float(re.search(r"^kcat (\d+) messages/s", svc, re.M)[1])
last = svc.strip().splitlines()[-1]
m = re.match(r"(\d+) events/s, .*; dev broker ([\d.]+) cores", last)
rate, broker_cores = float(m[1]), float(m[2])
own = rdk = 0.0
for name, cores in re.findall(r"^  service thread \d+ \((.*)\): ([\d.]+) cores", svc, re.M):
    if name.startswith("rdk:"):
        rdk += float(cores)
    else:
        own += float(cores)
us = lambda cores: cores / rate * 1e6
floor = run.floor(lanes_rate, us(rdk), us(broker_cores))
print("the service: %.0f events/s (%.2f of kcat's %.0f), %.2f notifications "
      "an event" % (rate, rate / kcat, kcat, per_event))
print("  CPU an event: its own threads %.3f us, librdkafka's %.3f "
      "(producing alone costs %.3f us a notification, %.3f an event), the "
      "dev broker %.3f; %.3f in all" %
      (us(own), us(rdk), produce_us, produce_us * per_event, us(broker_cores),
       us(own + rdk + broker_cores)))
print("floor: the lanes alone %.3f us an event (%d events/s in one thread), "
      "with librdkafka's and the dev broker's %.3f us; at most %.0f events/s "
      "here, %.2f of kcat; the service at %.2f of it" %
      (1e6 / lanes_rate, lanes_rate, 1e6 / lanes_rate + us(rdk + broker_cores),
       floor, floor / kcat, rate / floor))
print(json.dumps({"events_per_s": round(rate), "kcat_per_s": round(kcat),
                  "ratio": round(rate / kcat, 3),
                  "us_own": round(us(own), 3), "us_librdkafka": round(us(rdk), 3),
                  "us_dev_broker": round(us(broker_cores), 3),
                  "us_produce_alone_per_notification": round(produce_us, 3),
                  "notifications_per_event": round(per_event, 4),
                  "us_lanes_alone": round(1e6 / lanes_rate, 3),
                  "floor_per_s": round(floor),
                  "floor_ratio": round(floor / kcat, 3),
                  "service_of_floor": round(rate / floor, 3)}))
PY
