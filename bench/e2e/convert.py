#!/usr/bin/env python3
"""bench/e2e/convert.py EVENTS.jsonl OUTDIR: the native JSON events that
bench_engine generates (AM_BENCH_GENERATE_ONLY=1), as message streams in the
three input formats the end-to-end benchmark feeds the service:

  json.frames   each line as it is (native JSON, decode_json.h)
  avro.frames   each event as a bare value of schemas/event.avsc (union
                index, then the record; schemas/README.md)
  stix.frames   each event as a STIX 2.1 Bundle of one Indicator whose
                pattern ORs the observables the STIX decoder reads (ip, cidr
                with ISSUBSET, domain, url, email; AS numbers have no STIX
                comparison the decoder takes, so they are left out, and an
                event left with nothing is left out too); a scan row becomes
                an Indicator of its ip and hostname.  No valid_until: the
                generator's dates are in the past and STIX would skip them.

A .frames file is a sequence of <4-byte big-endian length><message>; the
load generator (e2e_load.c) produces each frame as one Kafka message.
The conversion is deterministic: the same input gives the same bytes.
"""
import json
import os
import struct
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "schemas", "event.avsc")


def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class AvroWriter:
    """Avro binary encoding of the JSON events against event.avsc: enough
    of the specification for that schema (records, unions with null,
    arrays, enums, string, int, long)."""

    def __init__(self, path):
        self.union = json.load(open(path))
        self.named = {}
        for r in self.union:
            self._collect(r)

    def _collect(self, t):
        if isinstance(t, dict):
            if "name" in t:
                self.named[t["name"]] = t
            for f in t.get("fields", []):
                self._collect(f["type"])
            if t.get("type") == "array":
                self._collect(t["items"])
        elif isinstance(t, list):
            for x in t:
                self._collect(x)

    def _write(self, t, v, out):
        if isinstance(t, str) and t in self.named:
            t = self.named[t]
        if isinstance(t, list):
            if v is None:
                out += zigzag(t.index("null"))
                return
            k = next(i for i, b in enumerate(t) if b != "null")
            out += zigzag(k)
            self._write(t[k], v, out)
            return
        if isinstance(t, dict):
            kind = t["type"]
            if kind == "record":
                for f in t["fields"]:
                    self._write(f["type"], v.get(f["name"], f.get("default")),
                                out)
            elif kind == "array":
                if v:
                    out += zigzag(len(v))
                    for x in v:
                        self._write(t["items"], x, out)
                out += zigzag(0)
            elif kind == "enum":
                out += zigzag(t["symbols"].index(v))
            else:
                self._write(kind, v, out)
            return
        if t == "string":
            b = str(v).encode()
            out += zigzag(len(b)) + b
        elif t in ("int", "long"):
            out += zigzag(int(v))
        else:
            raise ValueError("type %r not handled" % (t,))

    def encode(self, ev):
        branch = 0 if ev.get("kind") == "indicator" else 1
        out = bytearray(zigzag(branch))
        self._write(self.union[branch], ev, out)
        return bytes(out)


def stix_comparisons(ev):
    obs = ev.get("observables")
    if obs is None:
        obs = [{"type": "ip", "value": ev["ip"]}] if ev.get("ip") else []
        if ev.get("hostname"):
            obs.append({"type": "domain", "value": ev["hostname"]})
    out = []
    for o in obs:
        t, v = o["type"], str(o["value"]).replace("\\", "\\\\") \
            .replace("'", "\\'")
        fam = "ipv6-addr" if ":" in v else "ipv4-addr"
        if t == "ip":
            out.append("[%s:value = '%s']" % (fam, v))
        elif t == "cidr":
            out.append("[%s:value ISSUBSET '%s']" % (fam, v))
        elif t == "domain":
            out.append("[domain-name:value = '%s']" % v)
        elif t == "url":
            out.append("[url:value = '%s']" % v)
        elif t == "email":
            out.append("[email-addr:value = '%s']" % v)
    return out


def stix_bundle(ev, n):
    cmp = stix_comparisons(ev)
    if not cmp:
        return None
    ts = ev.get("time") or "2025-01-01T00:00:00Z"
    ts = ts.replace("Z", ".000Z")
    ind = {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--%s" % uuid.UUID(int=(n * 0x9E3779B97F4A7C15) %
                                         (1 << 128), version=4),
        "created": ts, "modified": ts,
        "name": ev.get("category") or ev.get("tag") or "scan",
        "description": ev.get("description", ""),
        "indicator_types": ["malicious-activity"],
        "pattern": " OR ".join(cmp), "pattern_type": "stix",
        "valid_from": ts,
    }
    bundle = {"type": "bundle",
              "id": "bundle--%s" % uuid.UUID(int=n + 1, version=4),
              "objects": [ind]}
    return json.dumps(bundle, separators=(",", ":")).encode()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert.py EVENTS.jsonl OUTDIR")
    src, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    avro = AvroWriter(SCHEMA)
    files = {k: open(os.path.join(outdir, k + ".frames.tmp"), "wb")
             for k in ("json", "avro", "stix")}
    frame = struct.Struct(">I")
    counts = dict.fromkeys(files, 0)
    with open(src, "rb") as f:
        for n, line in enumerate(f):
            line = line.rstrip(b"\n")
            ev = json.loads(line)
            for k, payload in (("json", line), ("avro", avro.encode(ev)),
                               ("stix", stix_bundle(ev, n))):
                if payload is not None:
                    files[k].write(frame.pack(len(payload)) + payload)
                    counts[k] += 1
    for k, fh in files.items():
        fh.close()
        os.rename(os.path.join(outdir, k + ".frames.tmp"),
                  os.path.join(outdir, k + ".frames"))
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
