"""`assetmatch run` on a real Apache Kafka broker (scripts/kafka.sh):
what the dev broker (librdkafka's mock cluster) cannot show.

    kafka_real.py ASSETMATCH SOURCE_DIR BOOTSTRAP

1. compaction: the assets topic is created with cleanup.policy=compact
   (and settings that let the log cleaner run within seconds); assets are
   written in three versions each, some deleted by a tombstone or made
   unverified.  Instance A builds its inventory from the whole log and
   matches probe indicators for every version; then the log is compacted
   (records gone, checked by reading it) and instance B, started afresh,
   rebuilds its inventory from the compacted topic: the same asset counts
   and exactly the same notifications for the same probes.
2. kill -9 in a group of two: two `run` instances share the input
   partitions; mid-stream one is killed with SIGKILL; the other takes its
   partitions over; when the group's committed offsets reach the end of the
   inputs, every notification that `assetmatch match` computes offline for
   the same events is in the notifications topic, none unexpected
   (duplicates are allowed: at-least-once).

Every topic and group name carries a run id, so the checks can share a
broker with other tests and with earlier runs.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, ConfigResource, NewTopic,
                                   ResourceType)

from peerlib import Report, run

RUN = uuid.uuid4().hex[:8]


class World:
    def __init__(self, binary, src, bootstrap, tmp):
        self.binary, self.src, self.bootstrap, self.tmp = binary, src, bootstrap, tmp
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        self.producer = Producer({"bootstrap.servers": bootstrap,
                                  "linger.ms": 5, "enable.idempotence": True})
        self.procs = []

    def create(self, topics):
        """topics: {name: (partitions, {config})}"""
        fs = self.admin.create_topics(
            [NewTopic(n, p, 1, config=c) for n, (p, c) in topics.items()],
            operation_timeout=30)
        for f in fs.values():
            f.result(30)
        # Created is not yet served: wait until every partition has a
        # leader that answers ListOffsets.  (`run` takes an error from the
        # assets topic's watermarks at start as fatal, NOT_LEADER included.)
        c = Consumer({"bootstrap.servers": self.bootstrap,
                      "group.id": f"probe-{RUN}"})
        try:
            deadline = time.monotonic() + 30
            for name, (parts, _) in topics.items():
                for p in range(parts):
                    while True:
                        try:
                            c.get_watermark_offsets(TopicPartition(name, p),
                                                    timeout=5)
                            break
                        except KafkaException:
                            if time.monotonic() > deadline:
                                raise
                            time.sleep(0.2)
        finally:
            c.close()

    def topic_config(self, name):
        res = ConfigResource(ResourceType.TOPIC, name)
        cfg = self.admin.describe_configs([res])[res].result(30)
        return {k: v.value for k, v in cfg.items()}

    def produce(self, topic, key, value):
        while True:
            try:
                self.producer.produce(topic, key=key, value=value)
                break
            except BufferError:
                self.producer.poll(0.1)
        self.producer.poll(0)

    def flush(self):
        left = self.producer.flush(30)
        if left:
            raise RuntimeError(f"{left} records not acknowledged")

    def read_all(self, topic):
        """Every record of \\p topic up to its high watermarks."""
        c = Consumer({"bootstrap.servers": self.bootstrap,
                      "group.id": f"reader-{RUN}-{uuid.uuid4().hex[:6]}",
                      "enable.auto.commit": False,
                      "enable.partition.eof": True})
        try:
            md = c.list_topics(topic, timeout=10).topics[topic]
            parts, ends = [], {}
            for p in md.partitions:
                lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                if hi > lo:
                    parts.append(TopicPartition(topic, p, lo))
                    ends[p] = hi
            c.assign(parts)
            out, done = [], set()
            deadline = time.monotonic() + 30
            while len(done) < len(ends) and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error():
                    continue
                out.append(m)
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
            if len(done) < len(ends):
                raise RuntimeError(f"{topic}: not read to the end in 30 s")
            return out
        finally:
            c.close()

    def ends(self, topics):
        c = Consumer({"bootstrap.servers": self.bootstrap,
                      "group.id": f"probe-{RUN}"})
        try:
            out = {}
            for t in topics:
                md = c.list_topics(t, timeout=10).topics[t]
                for p in md.partitions:
                    out[(t, p)] = c.get_watermark_offsets(
                        TopicPartition(t, p), timeout=10)[1]
            return out
        finally:
            c.close()

    def processed(self, group, topics, timeout):
        """Waits until \\p group's committed offsets reach the ends of
        \\p topics (every notification they caused is then written)."""
        ends = self.ends(topics)
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                tps = c.committed([TopicPartition(t, p) for t, p in ends],
                                  timeout=10)
                if all(tp.offset >= ends[(tp.topic, tp.partition)]
                       for tp in tps if ends[(tp.topic, tp.partition)] > 0):
                    return True
                time.sleep(0.5)
            return False
        finally:
            c.close()

    def config(self, name, group, topics, inventory=None, extra=()):
        path = os.path.join(self.tmp, f"{name}.conf")
        lines = [f"kafka.bootstrap.servers = {self.bootstrap}",
                 f"kafka.group.id = {group}",
                 "kafka.consumer.session.timeout.ms = 6000",
                 "kafka.consumer.heartbeat.interval.ms = 500",
                 "kafka.log_level = 4",
                 f"topics.indicators = {topics['in']}",
                 f"topics.scan_results = {topics['scan']}",
                 f"topics.notifications = {topics['out']}",
                 f"topics.dead_letter = {topics['dlq']}",
                 f"topics.assets = {topics['assets']}",
                 "output.format = json",
                 "http.listen = 127.0.0.1:0",
                 "log.level = info"]
        if inventory:
            lines.append(f"inventory.file = {inventory}")
        lines += list(extra)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self, name, conf):
        log = os.path.join(self.tmp, f"{name}.log")
        p = subprocess.Popen([self.binary, "run", "--config", conf],
                             stdout=subprocess.DEVNULL,
                             stderr=open(log, "w"))
        p.name, p.log, p.port = name, log, None
        self.procs.append(p)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and p.poll() is None:
            text = open(log).read()
            i = text.find("metrics and health on")
            j = text.find("(port ", i) if i >= 0 else -1
            if j >= 0:
                p.port = int(text[j + 6:].split(")")[0])
                return p
            time.sleep(0.05)
        raise RuntimeError(f"{name} not ready: {open(log).read()[-2000:]}")

    def metric(self, p, name):
        """The sum of the samples of \\p name on /metrics of \\p p."""
        with urllib.request.urlopen(f"http://127.0.0.1:{p.port}/metrics",
                                    timeout=5) as r:
            text = r.read().decode()
        total, seen = 0.0, False
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        return total if seen else -1

    def wait_metric(self, p, name, pred, timeout):
        deadline = time.monotonic() + timeout
        v = -1
        while time.monotonic() < deadline:
            v = self.metric(p, name)
            if pred(v):
                return v
            time.sleep(0.2)
        return v

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self):
        return "\n".join(f"--- {p.name}\n{open(p.log).read()[-3000:]}"
                         for p in self.procs)

    def offline(self, inventory, events_path, unverified=False):
        """(tenant, notification_id) -> notification, from `match`."""
        cmd = [self.binary, "match", "-i", inventory, events_path]
        p = run(cmd)
        if p.returncode not in (0, 1):
            raise RuntimeError(f"match: {p.stderr}")
        out = {}
        for line in p.stdout.splitlines():
            n = json.loads(line)
            out[(n["tenant_id"], n["notification_id"])] = n
        return out


def notes_of(w, topic):
    out = []
    for m in w.read_all(topic):
        n = json.loads(m.value())
        out.append(n)
    return out


# ---- 1. compaction ---------------------------------------------------------

N_ASSETS = 60


def asset_versions(i):
    """The three versions of asset i, the last None for a tombstone."""
    tenant, aid = f"t{i % 3}", f"a{i}"
    recs = []
    for k in (1, 2, 3):
        rec = {"tenant_id": tenant, "asset_id": aid, "kind": "ip",
               "value": f"10.{k}.{i}.0/24", "verified": True}
        if k == 3 and i % 10 == 1:
            rec["verified"] = False
        recs.append(None if (k == 3 and i % 10 == 0) else rec)
    return f"{tenant}/{aid}", recs


def compaction(r, w):
    t = {"in": f"ind-c-{RUN}", "scan": f"scan-c-{RUN}", "out": f"notif-c-{RUN}",
         "dlq": f"dlq-c-{RUN}", "assets": f"assets-c-{RUN}"}
    out_b = f"notif-cb-{RUN}"
    w.create({t["in"]: (2, {}), t["scan"]: (1, {}), t["out"]: (2, {}),
              out_b: (2, {}), t["dlq"]: (1, {}),
              t["assets"]: (1, {"cleanup.policy": "compact",
                                "segment.ms": "1000",
                                "min.cleanable.dirty.ratio": "0.01",
                                "min.compaction.lag.ms": "0"})})
    cfg = w.topic_config(t["assets"])
    r.check(cfg.get("cleanup.policy") == "compact",
            f"assets topic created with cleanup.policy=compact ({cfg.get('cleanup.policy')})")

    n_records = 0
    for i in range(N_ASSETS):
        key, recs = asset_versions(i)
        for rec in recs:
            w.produce(t["assets"], key.encode(),
                      None if rec is None else json.dumps(rec).encode())
            n_records += 1
    # Probe indicators: one per asset and version.
    events = os.path.join(w.tmp, "probes.jsonl")
    with open(events, "w") as f:
        for i in range(N_ASSETS):
            for k in (1, 2, 3):
                ev = {"id": f"probe-{k}-{i}",
                      "observables": [{"type": "ip", "value": f"10.{k}.{i}.5"}]}
                line = json.dumps(ev)
                f.write(line + "\n")
                w.produce(t["in"], ev["id"].encode(), line.encode())
    w.flush()

    # What should match: the last version, when it is live and verified.
    want = set()
    for i in range(N_ASSETS):
        if i % 10 not in (0, 1):
            want.add((f"t{i % 3}", f"probe-3-{i}", f"a{i}"))

    a = w.start("compact-a", w.config("compact-a", f"grp-ca-{RUN}", t))
    r.check(w.wait_metric(a, "assetmatch_asset_changes_total",
                          lambda v: v >= n_records, 30) >= n_records,
            f"A applied all {n_records} asset records of the uncompacted log")
    r.check(w.processed(f"grp-ca-{RUN}", [t["in"], t["scan"]], 60),
            "A processed the probes", w.logs())
    assets_a = w.metric(a, "assetmatch_inventory_assets")
    got_a = {(n["tenant_id"], n["event_id"], n["asset_id"])
             for n in notes_of(w, t["out"])}
    r.check(got_a == want,
            f"A: the notifications of the last versions only ({len(got_a)})",
            f"missing {sorted(want - got_a)[:10]}\nunexpected {sorted(got_a - want)[:10]}")
    a.send_signal(signal.SIGTERM)
    r.check(a.wait(30) == 0, "A stops on SIGTERM")

    # Roll the segment (segment.ms has passed) with one more record, a
    # repeat of a last version, so that the cleaner compacts the rest.
    time.sleep(1.2)
    key, recs = asset_versions(2)
    w.produce(t["assets"], key.encode(), json.dumps(recs[2]).encode())
    w.flush()
    n_records += 1
    deadline = time.monotonic() + 60
    left = n_records
    while time.monotonic() < deadline:
        left = len(w.read_all(t["assets"]))
        if left <= N_ASSETS + 1:
            break
        time.sleep(1)
    r.check(left <= N_ASSETS + 1,
            f"the log cleaner compacted the assets topic: {n_records} records -> {left}")

    t_b = dict(t, out=out_b)
    b = w.start("compact-b", w.config("compact-b", f"grp-cb-{RUN}", t_b))
    # Every live or unverified asset is one record of the compacted log;
    # the tombstones left in it delete nothing B knows.
    n_live = sum(1 for i in range(N_ASSETS) if asset_versions(i)[1][2])
    changes_b = w.wait_metric(b, "assetmatch_asset_changes_total",
                              lambda v: v >= n_live, 30)
    r.check(n_live <= changes_b <= left,
            f"B applied {changes_b:.0f} asset records of the compacted log "
            f"({left} records, {n_live} live)")
    r.check(w.processed(f"grp-cb-{RUN}", [t["in"], t["scan"]], 60),
            "B processed the probes", w.logs())
    assets_b = w.metric(b, "assetmatch_inventory_assets")
    r.check(assets_a == assets_b and assets_a > 0,
            f"B rebuilt the same inventory: {assets_b} assets (A: {assets_a})")
    got_b = {(n["tenant_id"], n["event_id"], n["asset_id"])
             for n in notes_of(w, out_b)}
    r.check(got_b == got_a,
            f"B: exactly A's notifications for the same probes ({len(got_b)})",
            f"missing {sorted(got_a - got_b)[:10]}\nunexpected {sorted(got_b - got_a)[:10]}")
    b.send_signal(signal.SIGTERM)
    r.check(b.wait(30) == 0, "B stops on SIGTERM")


# ---- 2. kill -9 in a group of two --------------------------------------------

def stream_event(i):
    """The harness's generated stream (tests/service_harness.c)."""
    m = i % 4
    if m == 0:
        return {"id": f"stream-{i}", "observables": [
            {"type": "ip", "value": f"192.0.2.{i % 250 + 1}"}]}
    if m == 1:
        return {"id": f"stream-{i}", "observables": [
            {"type": "url", "value": f"https://h{i}.example.com/"}]}
    if m == 2:
        return {"id": f"stream-{i}", "kind": "scan",
                "ip": f"198.51.100.{i % 250 + 1}", "port": 443}
    return {"id": f"stream-{i}", "observables": [
        {"type": "ip", "value": f"203.0.113.{i % 250 + 1}"}]}


N_STREAM = 6000


def group_kill9(r, w):
    t = {"in": f"ind-g-{RUN}", "scan": f"scan-g-{RUN}", "out": f"notif-g-{RUN}",
         "dlq": f"dlq-g-{RUN}", "assets": f"assets-g-{RUN}"}
    group = f"grp-g-{RUN}"
    w.create({t["in"]: (4, {}), t["scan"]: (4, {}), t["out"]: (4, {}),
              t["dlq"]: (1, {}),
              t["assets"]: (1, {"cleanup.policy": "compact"})})
    inv = os.path.join(w.src, "tests", "data", "service", "inventory.csv")
    conf = w.config("group", group, t, inventory=inv,
                    extra=["consumer.batch_size = 100"])
    a = w.start("group-a", conf)
    b = w.start("group-b", conf)
    for p in (a, b):
        r.check(w.wait_metric(p, "assetmatch_assigned_partitions",
                              lambda v: v > 0, 30) > 0,
                f"{p.name} has partitions in the group")

    events = os.path.join(w.tmp, "stream.jsonl")
    killed = False
    with open(events, "w") as f:
        for i in range(N_STREAM):
            ev = stream_event(i)
            line = json.dumps(ev)
            f.write(line + "\n")
            w.produce(t["scan"] if i % 2 else t["in"], ev["id"].encode(),
                      line.encode())
            if i % 200 == 199:
                w.producer.poll(0)
                time.sleep(0.05)
            if i == N_STREAM // 2:
                w.flush()
                done_b = w.wait_metric(b, "assetmatch_events_total",
                                       lambda v: v > 0, 20)
                r.check(done_b > 0, f"group-b matched events before the kill ({done_b:.0f})")
                b.send_signal(signal.SIGKILL)
                b.wait(10)
                killed = True
    w.flush()
    r.check(killed and b.returncode == -signal.SIGKILL, "group-b killed with SIGKILL mid-stream")
    r.check(w.processed(group, [t["in"], t["scan"]], 120),
            "group-a took over and the group's offsets reached the end of the inputs",
            w.logs())
    want = w.offline(inv, events)
    got = {}
    dups = 0
    for n in notes_of(w, t["out"]):
        k = (n["tenant_id"], n["notification_id"])
        dups += k in got
        got[k] = n
    missing = set(want) - set(got)
    unexpected = set(got) - set(want)
    r.check(not missing and not unexpected,
            f"nothing lost: {len(got)} distinct notifications = the {len(want)} "
            f"of the offline match ({dups} duplicates, at-least-once)",
            f"missing {sorted(missing)[:10]}\nunexpected {sorted(unexpected)[:10]}")
    r.check(len(want) >= N_STREAM * 3 // 4,
            f"the stream gives {len(want)} notifications offline")
    dlq = w.read_all(t["dlq"]) if w.ends([t["dlq"]])[(t["dlq"], 0)] else []
    r.check(not dlq, f"no dead letters ({len(dlq)})")
    a.send_signal(signal.SIGTERM)
    r.check(a.wait(30) == 0, "group-a stops on SIGTERM")


def main():
    binary, src, bootstrap = sys.argv[1], sys.argv[2], sys.argv[3]
    if os.path.isfile(bootstrap):
        bootstrap = open(bootstrap).read().strip()
    r = Report("kafka_real")
    tmp = tempfile.mkdtemp(prefix="am-kafka-real-")
    w = World(binary, src, bootstrap, tmp)
    try:
        for check in (compaction, group_kill9):
            try:
                check(r, w)
            except (RuntimeError, KafkaException, OSError) as e:
                r.check(False, f"{check.__name__}: {e}", w.logs())
            finally:
                w.stop_all()
                w.procs = []
    finally:
        w.stop_all()
    code = r.finish()
    if code == 0 and not os.environ.get("AM_IT_KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"logs and configs in {tmp}")
    return code


if __name__ == "__main__":
    sys.exit(main())
