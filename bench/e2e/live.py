#!/usr/bin/env python3
"""bench/e2e/live.py [BUILD_DIR] [--assets N] [--events N] [--rounds N]
[--rate R]: the live inventory under change (`make bench-live`, issue 5,
bench/README.md "Live inventory under change (issue 5)").

One dev broker, one real `assetmatch run` with the N-asset inventory file of
bench-e2e (the cached BUILD/e2e-data, same generator and seeds), and the
assets topic on top of it.  Rounds alternate, in the same process:

  static    no asset change: the instance is stopped (SIGSTOP), a backlog of
            --events JSON events (20% made to hit) is produced, the
            instance continued (SIGCONT), and events/s is taken over the
            middle 80% of that backlog (/metrics every 50 ms);
  changing  the same, while asset changes go to the assets topic at --rate
            per second (kcat -P, one partition so that their order is
            their time order), starting 2 s before the round.

Change to effect: from the moment a change is handed to the producer to
the swap that put it in use.  The service logs each swap ("inventory
version N", ms, debug) and publishes assetmatch_inventory_change_to_effect_
seconds = swap time minus the record time of the oldest change in it; that
oldest change is the first of the swap's batch, so the record times read
back from the assets topic place every change in its swap exactly.  Changes
whose wait spans a SIGSTOP, or that kcat held back (it reads its input in
~1 KB blocks), are left out.

Standard output: JSON lines (name, value, unit; baseline "static
inventory" and ratio for the throughput under change).  Standard error:
progress.  Files in BUILD/live-results.
"""
import argparse
import calendar
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/e2e/run.py: generator, broker, service)

TOPIC = "events-live"
note = run.note


class Poller(threading.Thread):
    """/metrics every 50 ms: (t, consumed on TOPIC, version, effect gauge,
    asset changes applied, CPU seconds)."""

    def __init__(self, svc):
        super().__init__(daemon=True)
        self.svc, self.samples, self.stop = svc, [], False
        self.lock = threading.Lock()

    def run(self):
        while not self.stop:
            t = time.time()
            try:
                txt = urllib.request.urlopen(self.svc.url + "/metrics",
                                             timeout=2).read().decode()
            except OSError:
                time.sleep(0.05)
                continue
            c = sum(float(v) for v in re.findall(
                r'^assetmatch_messages_consumed_total\{topic="%s"[^}]*\} '
                r'(\S+)' % TOPIC, txt, re.M))
            g = lambda n: float(re.search(r"^%s (\S+)" % n, txt, re.M)
                                .group(1))
            s = (t, c, int(g("assetmatch_inventory_version")),
                 g("assetmatch_inventory_change_to_effect_seconds"),
                 g("assetmatch_asset_changes_total"),
                 run.proc_cpu(self.svc.p.pid))
            with self.lock:
                self.samples.append(s)
            time.sleep(max(0, 0.05 - (time.time() - t)))

    def last(self):
        with self.lock:
            return self.samples[-1] if self.samples else None

    def since(self, t0):
        with self.lock:
            return [s for s in self.samples if s[0] >= t0]


class Changer(threading.Thread):
    """Asset changes at RATE/s through kcat -P (key TAB value, partition
    0), while `on` is set: a quarter new assets, a quarter of them deleted
    again later, half changes of assets of the inventory file (new value,
    or verified flipped)."""

    def __init__(self, bootstrap, inv, rate):
        super().__init__(daemon=True)
        self.rate, self.on, self.stop = rate, threading.Event(), False
        self.sent = []          # (python time, key)
        self.kcat = subprocess.Popen(
            ["kcat", "-P", "-b", bootstrap, "-t", "assets", "-p", "0",
             "-K", "\t", "-X", "linger.ms=0"],
            stdin=subprocess.PIPE, text=True)
        rng = random.Random(5)
        with open(inv) as f:
            next(f)
            rows = [ln.rstrip("\n").split(",") for _, ln in
                    zip(range(200000), f)]
        self.existing = [r for r in rng.sample(rows, 5000)
                         if r[2] in ("ip", "domain")]
        self.rng, self.added, self.n = rng, [], 0

    def record(self):
        i, rng = self.n, self.rng
        self.n += 1
        op = i % 4
        if op == 3 and self.added:
            key = self.added.pop(0)
            return key, ""
        if op == 0:
            tenant = "kvk-%d" % (10000000 + rng.randrange(5000))
            aid = "live-%d" % i
            kind, value = "ip", "198.%d.%d.%d" % (
                rng.randrange(18, 20), rng.randrange(256), rng.randrange(256))
            self.added.append("%s/%s" % (tenant, aid))
            verified = "true"
        else:
            tenant, aid, kind, value = self.existing[i % len(self.existing)][:4]
            if kind == "ip":
                value = "10.%d.%d.0/24" % (rng.randrange(256),
                                           rng.randrange(256))
            else:
                value = "live%d.%s" % (i, value)
            verified = "false" if op == 2 else "true"
        return "%s/%s" % (tenant, aid), json.dumps(
            {"tenant_id": tenant, "asset_id": aid, "kind": kind,
             "value": value, "verified": verified == "true"},
            separators=(",", ":"))

    def run(self):
        period = 1.0 / self.rate
        nxt = time.time()
        while not self.stop:
            if not self.on.is_set():
                self.on.wait(0.1)
                nxt = time.time()
                continue
            now = time.time()
            if now < nxt:
                time.sleep(nxt - now)
            key, val = self.record()
            self.sent.append((time.time(), key))
            self.kcat.stdin.write("%s\t%s\n" % (key, val))
            self.kcat.stdin.flush()
            nxt += period

    def close(self):
        self.stop = True
        self.join()
        self.kcat.stdin.close()
        self.kcat.wait(30)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def crossing(samples, idx, level):
    """The time sample[idx] reached level, interpolated."""
    prev = None
    for s in samples:
        if s[idx] >= level:
            if prev is None or s[idx] == prev[idx]:
                return s[0]
            f = (level - prev[idx]) / (s[idx] - prev[idx])
            return prev[0] + f * (s[0] - prev[0])
        prev = s
    return None


def window_rate(samples, base, n):
    """events/s over the middle 80% of n events consumed after base."""
    rel = [(s[0], s[1] - base) for s in samples]
    t10 = crossing(rel, 1, 0.1 * n)
    t90 = crossing(rel, 1, 0.9 * n)
    cpu = [s[5] for s in samples if t10 <= s[0] <= t90]
    return 0.8 * n / (t90 - t10), t10, t90, \
        (cpu[-1] - cpu[0]) / (t90 - t10) if len(cpu) > 1 else 0


def settle(poller, timeout=60):
    """Until the changes sent are applied and swapped in: neither the
    changes applied nor the version move for 2.5 s (interval 1 s + a
    rebuild)."""
    t0 = time.time()
    key, tk = None, time.time()
    while time.time() - t0 < timeout:
        s = poller.last()
        k = s and (s[2], s[4])
        if k != key:
            key, tk = k, time.time()
        elif time.time() - tk >= 2.5:
            return
        time.sleep(0.1)
    sys.exit("asset changes still being applied after %d s" % timeout)


def effects(bootstrap, poller, changer, stops, log):
    """Per change: swap time - hand-over time (s).  The swap time is the
    service's own (its debug line "inventory version N", ms, logged right
    after the swap); the gauge seen with version N gives that batch's
    oldest record time."""
    out = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", "assets", "-p", "0", "-o",
         "beginning", "-e", "-q", "-f", "%T\t%k\n"], stdout=subprocess.PIPE,
        text=True, check=True).stdout.split("\n")
    recs = [int(ln.split("\t")[0]) / 1e3 for ln in out if ln]
    if len(recs) != len(changer.sent):
        sys.exit("the assets topic holds %d changes of %d sent" %
                 (len(recs), len(changer.sent)))
    swap_t = {}
    for ln in open(log):
        m = re.match(r"(\S+)Z\s+DEBUG\s+inventory version (\d+):", ln)
        if m:
            swap_t[int(m.group(2))] = calendar.timegm(time.strptime(
                m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) + \
                int(m.group(1)[20:23]) / 1e3
    gauge = {}
    for s in poller.since(0):
        gauge[s[2]] = s[3]      # the last sample of each version
    swaps, unmatched = [], 0
    for v, t in sorted(swap_t.items()):
        if v not in gauge:
            unmatched += 1
            continue
        oldest = t - gauge[v]
        near = min(recs, key=lambda ts: abs(ts - oldest)) if recs else None
        if near is None or abs(near - oldest) > 0.004:
            unmatched += 1
            continue
        swaps.append((near, t))
    swaps.sort()
    # kcat -P reads its standard input in ~1 KB blocks: a record's time is
    # up to ~70 ms after the change was handed to it, and the last block
    # waits for the end of input.  The wait is measured from the hand-over
    # (the portal's produce call); record times only place a change in its
    # batch, and the changes kcat held back over 0.2 s are left out.
    lag = sorted(ts - t for ts, (t, _) in zip(recs, changer.sent))
    lat, j = [], 0
    for ts, (sent, _) in zip(recs, changer.sent):
        if ts - sent > 0.2:
            continue
        while j + 1 < len(swaps) and swaps[j + 1][0] <= ts:
            j += 1
        if not swaps or swaps[j][0] > ts:
            continue
        eff = swaps[j][1]
        if any(a < eff and b > sent for a, b in stops):
            continue
        lat.append(eff - sent)
    return lat, len(swaps), unmatched, len(recs), lag[len(lag) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--assets", type=int, default=1000000)
    ap.add_argument("--events", type=int, default=250000,
                    help="backlog per round (the dev broker keeps ~5 MB "
                    "per partition: 250K JSON events are ~2.6 MB each)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="pairs of static + changing rounds")
    ap.add_argument("--rate", type=float, default=100,
                    help="asset changes per second")
    ap.add_argument("--set", action="append", default=[],
                    help="KEY=VALUE for the service")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.data = os.path.join(args.build, "e2e-data")
    args.results = os.path.join(args.build, "live-results")
    args.load = os.path.join(args.build, "bench", "e2e_load")
    os.makedirs(args.results, exist_ok=True)
    run.SIZES, run.HITS = [args.assets], [20]
    run.generate(args.build, args.data)
    lab = run.label(args.assets)
    inv = os.path.join(args.data, "inv-%s.csv" % lab)
    frames = os.path.join(args.data, "%s-h20" % lab, "json.frames")

    note("dev broker; load average %s" % " ".join(run.loadavg()))
    broker = run.Broker(args.build, [TOPIC, "assets", "scan-results",
                                     "notifications", "dead-letter"])
    res = run.Results(broker.kind)
    svc = changer = poller = None
    try:
        log = os.path.join(args.results, "service-0.log")
        if os.path.exists(log):
            os.remove(log)
        svc = run.Service(args, broker.bootstrap, inv, TOPIC, "g-live",
                          extra=["log.level=debug"])
        note("service ready in %.1f s (%s assets)" % (svc.wait_ready(), lab))
        svc.wait_assigned()
        poller = Poller(svc)
        poller.start()
        changer = Changer(broker.bootstrap, inv, args.rate)
        changer.start()
        rates = {"static": [], "changing": []}
        cpus = {"static": [], "changing": []}
        stops, base, loads = [], 0, [run.loadavg()[0]]
        for r in range(2 * args.rounds):
            kind = "changing" if r % 2 else "static"
            if kind == "changing":
                changer.on.set()
                time.sleep(2)
            else:
                changer.on.clear()
                settle(poller)
            v0 = poller.last()[2]
            t_stop = time.time()
            svc.p.send_signal(signal.SIGSTOP)
            try:
                subprocess.run(
                        [args.load, "produce", "-b", broker.bootstrap, "-t",
                         TOPIC, "-p", str(run.PARTITIONS), "-f", frames,
                         "-n", str(args.events)], stdout=subprocess.DEVNULL,
                        check=True)
            finally:
                svc.p.send_signal(signal.SIGCONT)
            stops.append((t_stop, time.time()))
            t0 = time.time()
            while poller.last()[1] < base + args.events:
                if svc.p.poll() is not None or time.time() - t0 > 120:
                    sys.exit("the service stopped consuming (%s)" %
                             svc.log.name)
                time.sleep(0.1)
            time.sleep(0.1)
            rate, t10, t90, cores = window_rate(poller.since(t0 - 1), base,
                                                args.events)
            swaps = poller.last()[2] - v0
            base += args.events
            rates[kind].append(rate)
            cpus[kind].append(cores)
            loads.append(run.loadavg()[0])
            note("round %d %s: %.0f events/s, %.2f cores, %d swaps, "
                 "%d changes so far, load %s" %
                 (r + 1, kind, rate, cores, swaps, changer.n,
                  " ".join(run.loadavg())))
        changer.on.clear()
        settle(poller)
        changer.close()
        poller.stop = True
        poller.join()
        lat, nswaps, missed, nrec, lag = effects(broker.bootstrap, poller,
                                            changer, stops, log)
        peak = svc.stop()
        svc = None
    finally:
        if svc:
            svc.stop()
        if changer and not changer.stop:
            changer.close()
        broker.stop()

    st = sum(rates["static"]) / len(rates["static"])
    ch = sum(rates["changing"]) / len(rates["changing"])
    lbl = lab.lower()
    res.add("live_static_events_per_s_%s" % lbl, st, "events/s",
            rounds=[round(x) for x in rates["static"]],
            cores=round(sum(cpus["static"]) / len(cpus["static"]), 2))
    res.add("live_changing_%d_per_s_events_per_s_%s" % (args.rate, lbl), ch,
            "events/s", "static inventory", ch / st,
            rounds=[round(x) for x in rates["changing"]],
            cores=round(sum(cpus["changing"]) / len(cpus["changing"]), 2))
    if lat:
        for p in (50, 99):
            res.add("live_change_to_effect_p%d_%s" % (p, lbl),
                    pct(lat, p) * 1e3, "ms", changes=len(lat))
        res.add("live_change_to_effect_max_%s" % lbl, max(lat) * 1e3, "ms",
                changes=len(lat), swaps=nswaps, swaps_unmatched=missed,
                changes_sent=nrec, kcat_lag_p50_ms=round(lag * 1e3))
    res.add("live_rss_peak_%s" % lbl, peak / 2**20, "MB")
    with open(os.path.join(args.results, "results.json"), "w") as f:
        json.dump({"rows": res.rows, "loadavg": loads,
                   "effect_s": lat}, f)
    note("done: %s; load average during the run %s" %
         (args.results, " ".join(loads)))


if __name__ == "__main__":
    main()
