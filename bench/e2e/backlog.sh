#!/usr/bin/env bash
# One `assetmatch run` on one backlog, for trying a setting quickly:
#   bench/e2e/backlog.sh BUILD INVENTORY FRAMES [COUNT] [--set KEY=VALUE ...]
# starts the dev broker (32 partitions, or PARTITIONS), produces COUNT
# (default 300000) messages of FRAMES (bench-e2e's inputs in BUILD/e2e-data)
# with e2e_load, runs the service on them with the settings of run.py
# (the dev broker's, and the window of recent indicators keeping the
# generated events, dated 2025, as it keeps a feed's fresh ones) and the
# --set options given, and prints events/s, the service's and the dev
# broker's CPU cores from 10% to 90% of the backlog, the CPU an event
# (the service's, and with the dev broker's) and the peak RSS; with
# THREADS=1, each thread's cores before that.  It stops, saying so, when
# the service reads nothing for 20 s.  Alternate the settings you
# compare: the machine is shared.  Example:
#   bench/e2e/backlog.sh build build/e2e-data/inv-1M.csv \
#       build/e2e-data/1M-h1/json.frames 300000 \
#       --set kafka.consumer.queued.min.messages=20000
# With PERF=FILE in the environment, `perf record -a -g` samples the whole
# machine over that same stretch of the backlog into FILE (PERF_OPTS, if
# set, replaces "-a -g": e.g. "-a --call-graph dwarf").  With KCAT=1, kcat
# reads the backlog first, as bench-e2e's baseline does (with the service's
# consumer settings), and its rate is printed before the service's.  PARTITIONS (default 32) sets the
# partitions of the backlog's topic: the dev broker keeps ~5 MB of each,
# so a backlog longer than the consumer's prefetch needs more of them;
# NOTIFICATION_PARTITIONS, if set, those of the notifications topic.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,25p' "$0"; exit 2; }
build=$(cd "$1" && pwd); inv=$2; frames=$3; shift 3
count=300000
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then count=$1; shift; fi
dir=$(mktemp -d)
# The service stops before the broker: the other way round it waits for
# the broker it cannot reach before it gives up.
trap 'kill ${svc:-} 2>/dev/null; wait ${svc:-} 2>/dev/null
      kill $broker; wait 2>/dev/null; rm -rf "$dir"' EXIT

parts=${PARTITIONS:-32}
"$build/assetmatch" devbroker --partitions "$parts" \
    --topics "backlog,scan-results,notifications${NOTIFICATION_PARTITIONS:+:$NOTIFICATION_PARTITIONS},dead-letter,assets" \
    >"$dir/broker" 2>/dev/null &
broker=$!
for _ in $(seq 100); do bs=$(head -1 "$dir/broker"); [ -n "$bs" ] && break; sleep 0.1; done
"$build/bench/e2e_load" produce -b "$bs" -t backlog -p "$parts" -f "$frames" \
    -n "$count" >/dev/null
if [ -n "${KCAT:-}" ]; then
    # shellcheck disable=SC2046 # one word per -X and per setting
    kcat -C -b "$bs" -t backlog -o beginning -e -q $(python3 -c "
import sys; sys.path.insert(0, '$(dirname "$0")'); import run
print(' '.join('-X %s=%s' % kv for kv in run.kcat_conf('dev').items()))") |
        "$build/bench/e2e_load" meter -n "$count" |
        python3 -c 'import json, sys; print("kcat %.0f messages/s" % json.load(sys.stdin)["per_s"])'
fi
port=$((29500 + RANDOM % 400))
cat >"$dir/conf" <<EOF
kafka.bootstrap.servers = $bs
inventory.file = $inv
topics.indicators = backlog
http.listen = 127.0.0.1:$port
log.level = warning
kafka.producer.message.max.bytes = 16000000
window.max_age = 3650d
kafka.consumer.fetch.wait.max.ms = 10
kafka.consumer.session.timeout.ms = 6000
EOF
"$build/assetmatch" run --config "$dir/conf" "$@" 2>"$dir/log" &
svc=$!
# The measurement: one Python process polls /metrics every 50 ms (a curl,
# awk and date per sample took a seventh of the machine), and starts and
# stops perf at the edges of the stretch measured.
BROKER=$broker SVC=$svc PORT=$port COUNT=$count python3 - <<'PY' || { cat "$dir/log"; exit 1; }
import os, signal, subprocess, sys, time, urllib.request

svc, port, count = int(os.environ["SVC"]), os.environ["PORT"], int(os.environ["COUNT"])
broker = int(os.environ["BROKER"])
tck = os.sysconf("SC_CLK_TCK")
STALL_S = 20  # longer than loading 1M assets takes here


def consumed():
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port,
                                    timeout=1) as r:
            return sum(float(l.split()[-1]) for l in r.read().decode().split("\n")
                       if l.startswith("assetmatch_messages_consumed_total"))
    except OSError:
        return 0


def cpu_of(stat):
    """CPU seconds, user and system, from a /proc stat file."""
    with open(stat) as f:
        raw = f.read()
    v = raw.rsplit(")", 1)[1].split()
    return raw[raw.index("(") + 1:raw.rindex(")")], (int(v[11]) + int(v[12])) / tck


def threads(pid):
    """{(tid, name): CPU seconds} of each thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            name, s = cpu_of("/proc/%d/task/%s/stat" % (pid, tid))
        except OSError:  # the thread ended meanwhile
            continue
        out[(tid, name)] = s
    return out


def total(pid):
    """CPU seconds of pid, its ended threads' included."""
    return cpu_of("/proc/%d/stat" % pid)[1]


lo, hi, t0, perf = count // 10, count - count // 10, None, None
last, moved = -1, time.time()
try:
    while os.path.exists("/proc/%d" % svc):
        c, now = consumed(), time.time()
        if c != last:
            last, moved = c, now
        elif now - moved > STALL_S:
            # The dev broker keeps ~5 MB of each partition and drops the
            # oldest, read or not: what it dropped is never read.
            sys.exit("backlog.sh: the service read nothing for %d s, at %d "
                     "of %d messages; if the backlog is over ~5 MB a "
                     "partition, the dev broker dropped the rest: raise "
                     "PARTITIONS" % (STALL_S, c, count))
        if t0 is None and c >= lo:
            t0, c0 = now, c
            th0 = {p: threads(p) for p in (svc, broker)}
            tot0 = {p: total(p) for p in (svc, broker)}
            if os.environ.get("PERF"):
                perf = subprocess.Popen(
                    ["perf", "record"] +
                    os.environ.get("PERF_OPTS", "-a -g").split() +
                    ["-o", os.environ["PERF"]], stderr=subprocess.DEVNULL)
        if t0 is not None and c >= hi:
            break
        time.sleep(0.05)
    else:
        sys.exit(1)
    th1 = {p: threads(p) for p in (svc, broker)}
    tot1 = {p: total(p) for p in (svc, broker)}
finally:
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
with open("/proc/%d/status" % svc) as f:
    hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
t, n = now - t0, c - c0
cores = {p: {k: (v - th0[p].get(k, 0)) / t for k, v in th1[p].items()}
         for p in (svc, broker)}
if os.environ.get("THREADS"):
    for p, who in ((svc, "service"), (broker, "dev broker")):
        for (tid, name), v in sorted(cores[p].items(), key=lambda x: -x[1]):
            if v >= 0.005:
                print("  %s thread %s (%s): %.3f cores" % (who, tid, name, v))
used = {p: tot1[p] - tot0[p] for p in (svc, broker)}
print("%.0f events/s, %.2f cores, peak RSS %d MB; dev broker %.2f cores; "
      "%.3f us of CPU an event, %.3f with the dev broker's" %
      (n / t, used[svc] / t, hwm // 1024, used[broker] / t,
       used[svc] / n * 1e6, (used[svc] + used[broker]) / n * 1e6))
PY
