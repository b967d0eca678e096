"""IntelMQ interop: IntelMQ's own Shadowserver parser bot parses the
project's Shadowserver reports; its events go through `assetmatch match`
and give the expected notifications.

    intelmq_shadowserver.py ASSETMATCH DATA_DIR

How the bot is driven: IntelMQ's "bots as a library" mode (IntelMQ >= 3.1,
intelmq.lib.bot.BotLibSettings): the bot class is instantiated in this
process with in-memory pipelines, and process_message() takes a Report and
returns the events the bot sent to its output and error queues.  No
IntelMQ installation, Redis, runtime.yaml or intelmqctl is needed.

What stands in the way of a stock setup, and what this test does instead:
the Shadowserver parser reads its report definitions from
VAR_STATE_PATH/shadowserver-schema.json, which IntelMQ downloads from
Shadowserver at run time (`--update-schema`, or auto_update); the package
ships only a three-entry test schema (test_afs, test_smb, test_telnet).
These machines reach no such host, so, as IntelMQ's documentation says to
do for air-gapped systems, the schema file is put in place by hand:
tests/peers/data/shadowserver-schema.json, written for the project, has
the three report types of tests/data/shadowserver/ in the schema's format.
INTELMQ_ROOT_DIR points IntelMQ's state directory into a temporary dir.

The reports are the project's own fixtures (tests/data/shadowserver/*.csv),
rows with errors included: what IntelMQ refuses goes to its error queue and
is counted here.  Expected notifications are listed below per IntelMQ
event, with the inventory tests/data/cli/inventory.csv.  They differ from
what `assetmatch match` makes of the same CSV directly in two known ways,
both IntelMQ's mapping, not ours: Shadowserver's `hostname` becomes
source.reverse_dns (context, not matched: a PTR name is not the asset
owner's claim), and a row whose IP is invalid keeps its other fields, so it
can still match on its AS number.
"""
import base64
import json
import os
import shutil
import sys
import tempfile

from peerlib import Report, here, run

# (report, time.source, source.ip or source.network or "-") ->
#     {tenant: (asset_id, sorted matched asset ids)}
EXPECTED = {
    ("scan_http_vulnerable", "2026-11-20T03:04:05+00:00", "192.0.2.10"):
        {"acme": ("acme-net", ["acme-net"]),
         "hoster": ("hoster-16", ["hoster-16", "hoster-as"])},
    ("scan_http_vulnerable", "2026-11-20T03:04:06+00:00", "198.51.100.7"): {},
    ("scan_http_vulnerable", "2026-11-20T03:04:07+00:00", "2001:db8::7"): {},
    ("scan_http_vulnerable", "2026-11-20T03:04:08+00:00", "203.0.113.5"): {},
    ("scan_http_vulnerable", "2026-11-20T03:04:09+00:00", "203.0.113.6"): {},
    # 192.0.2.300: IntelMQ drops the invalid address and keeps the AS.
    ("scan_http_vulnerable", "2026-11-20T03:04:10+00:00", "-"):
        {"hoster": ("hoster-as", ["hoster-as"])},
    ("scan_http_vulnerable", "2026-11-20T03:04:12+00:00", "192.0.2.12"):
        {"acme": ("acme-net", ["acme-net"]),
         "hoster": ("hoster-16", ["hoster-16", "hoster-as"])},
    ("scan_http_vulnerable", "2026-11-20T03:04:14+00:00", "192.0.2.14"):
        {"acme": ("acme-net", ["acme-net"]),
         "hoster": ("hoster-16", ["hoster-16", "hoster-as"])},
    # No address, no AS: an event with nothing to match (rejected by match).
    ("scan_http_vulnerable", "2026-11-20T03:04:15+00:00", "-"): None,
    ("event4_sinkhole_http", "2026-11-20T10:00:00+00:00", "192.0.2.20"):
        {"acme": ("acme-net", ["acme-net"]),
         "hoster": ("hoster-16", ["hoster-16", "hoster-as"])},
    ("event4_sinkhole_http", "2026-11-20T10:00:01+00:00", "2001:db8:20::1"):
        {"hoster": ("hoster-as", ["hoster-as"])},
    # No src_ip: IntelMQ keeps the row with no source at all.
    ("event4_sinkhole_http", "2026-11-20T10:00:02+00:00", "-"): None,
    ("event4_sinkhole_http", "2026-11-20T10:00:03+00:00", "192.0.2.23"):
        {"acme": ("acme-net", ["acme-net"]),
         "hoster": ("hoster-16", ["hoster-16", "hoster-as"])},
    ("blocklist", "2026-11-20T00:00:00+00:00", "203.0.113.0/24"): {},
    ("blocklist", "2026-11-20T00:00:00+00:00", "198.51.100.99"): {},
}
# Rows IntelMQ refuses (error queue), per report.
EXPECTED_ERRORS = {"scan_http_vulnerable": 2,   # port 'https', asn 'AS-BAD'
                   "event4_sinkhole_http": 0,
                   "blocklist": 0}


def main():
    binary, data = sys.argv[1], sys.argv[2]
    r = Report("intelmq_shadowserver")
    tmp = tempfile.mkdtemp(prefix="am-intelmq-")
    try:
        return check(r, binary, data, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def event_key(report, ev):
    addr = ev.get("source.ip") or ev.get("source.network") or "-"
    return (report, ev.get("time.source"), addr)


def check(r, binary, data, tmp):
    # IntelMQ computes its paths when imported: set the root first.
    os.environ["INTELMQ_ROOT_DIR"] = tmp
    state = os.path.join(tmp, "var", "lib", "bots")
    os.makedirs(state)
    shutil.copy(here("data", "shadowserver-schema.json"),
                os.path.join(state, "shadowserver-schema.json"))
    from intelmq import VAR_STATE_PATH
    from intelmq.lib.bot import BotLibSettings
    from intelmq.bots.parsers.shadowserver.parser import ShadowserverParserBot
    r.check(os.path.realpath(VAR_STATE_PATH) == os.path.realpath(state),
            f"IntelMQ's state path is the test's ({VAR_STATE_PATH})")

    bot = ShadowserverParserBot(
        "shadowserver-parser",
        settings=BotLibSettings | {"logging_level": "CRITICAL"})
    events = []  # (report, event)
    sdir = os.path.join(data, "shadowserver")
    for name in sorted(os.listdir(sdir)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(sdir, name), "rb") as f:
            raw = f.read()
        report = {"__type": "Report", "feed.name": "Shadowserver",
                  "raw": base64.b64encode(raw).decode(),
                  "extra.file_name": name}
        rtype = name[len("2026-11-20-"):].rsplit("-", 1)[0] \
            if name[:4].isdigit() else None
        if rtype not in EXPECTED_ERRORS:
            # Not a report type IntelMQ knows: it must refuse the file.
            try:
                bot.process_message(report)
                r.check(False, f"IntelMQ refuses {name}")
            except ValueError as e:
                r.check("Could not get a config" in str(e),
                        f"IntelMQ refuses {name}", str(e))
            continue
        out = bot.process_message(report)
        evs = [json.loads(e) if isinstance(e, str) else dict(e)
               for e in out.get("output", [])]
        errs = out.get("error", [])
        r.check(len(errs) == EXPECTED_ERRORS[rtype],
                f"{name}: IntelMQ parses {len(evs)} rows, refuses {len(errs)} "
                f"(expected {EXPECTED_ERRORS[rtype]})")
        for ev in evs:
            r.check(ev.get("__type") in (None, "Event")
                    and ev.get("feed.name") == "Shadowserver"
                    and ev.get("classification.taxonomy"),
                    f"{name}: an IntelMQ event with its classification "
                    f"({ev.get('classification.taxonomy')}/{ev.get('classification.type')})")
            events.append((rtype, ev))

    keys = [event_key(rt, ev) for rt, ev in events]
    r.check(sorted(keys) == sorted(EXPECTED),
            f"IntelMQ's events are the expected rows ({len(keys)})",
            f"got {sorted(keys)}\nwant {sorted(EXPECTED)}")

    # Through assetmatch, one event per line, in order.
    path = os.path.join(tmp, "intelmq-events.jsonl")
    with open(path, "w") as f:
        for _, ev in events:
            ev = {k: v for k, v in ev.items() if k != "__type"}
            f.write(json.dumps(ev) + "\n")
    inv = os.path.join(data, "cli", "inventory.csv")
    n_rejected = sum(1 for k in keys if EXPECTED.get(k, 0) is None)
    p = run([binary, "match", "--format", "intelmq", "-i", inv, path])
    r.check(p.returncode == (1 if n_rejected else 0),
            f"assetmatch match --format intelmq: exit {p.returncode}", p.stderr)
    r.check(f"{len(events)} events, {n_rejected} rejected" in p.stderr,
            f"every IntelMQ event accepted but the {n_rejected} without an observable",
            p.stderr)
    total = sum(1 for l in p.stdout.splitlines() if l.strip())
    # Then each event alone, so that every notification is traced to the
    # IntelMQ event it came from.
    got = {}
    n_notes = 0
    for k, (_, ev) in zip(keys, events):
        ev = {a: b for a, b in ev.items() if a != "__type"}
        q = run([binary, "match", "--format", "intelmq", "-i", inv, "-"],
                input=json.dumps(ev) + "\n")
        for line in q.stdout.splitlines():
            n = json.loads(line)
            n_notes += 1
            got.setdefault(k, {})[n["tenant_id"]] = (
                n["asset_id"], sorted(n["matched_asset_ids"]))
            c = n["classification"]
            r.check(c["taxonomy"] == ev["classification.taxonomy"]
                    and c["type"] == ev["classification.type"]
                    and n["feed"] == ev["feed.name"]
                    and n["time"].replace("+00:00", "Z")
                    == ev["time.source"].replace("+00:00", "Z"),
                    f"{k} -> {n['tenant_id']}: IntelMQ's classification "
                    f"{c['taxonomy']}/{c['type']}, feed and time carried over",
                    line[:1500])
    r.check(n_notes == total, f"the same {total} notifications event by event")
    for k, want in sorted(EXPECTED.items()):
        have = got.get(k, {})
        r.check(have == (want or {}), f"notifications for {k}: {have}",
                f"want {want}")
    return r.finish()


if __name__ == "__main__":
    code = main()
    # The bot registered an atexit hook that writes its statistics to
    # Redis (statistics_host), which a library-mode run has not: redis-py
    # retries for about ten seconds.  Nothing is left to clean up here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
