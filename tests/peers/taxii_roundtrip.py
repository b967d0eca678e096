"""TAXII 2.1 round trip: the STIX bundles of the notifications go into
medallion (the OASIS TAXII 2.1 server) with taxii2-client and come back
unchanged, one collection per tenant.

    taxii_roundtrip.py ASSETMATCH DATA_DIR

medallion runs on loopback on a free port with its in-memory backend, from a
data file written here: one API root, "assetmatch", and a collection per
tenant of the inventory.  For every tenant, each bundle of its
notifications (`assetmatch match --output stix` over the CLI, STIX,
IntelMQ and Shadowserver fixtures) is posted to its collection; then:

  - every post is "complete" and every object new to the collection is
    accepted (objects already there, the same id and version, are refused:
    medallion's duplicate rule, which our deterministic ids rely on);
  - reading the collection back (all pages) gives exactly the distinct
    objects posted, each equal to what was posted, key by key;
  - a tenant's collection holds only its own Sightings and Identity;
  - posting the same bundles again adds nothing.
"""
import glob
import json
import os
import sys
import tempfile
import uuid

from taxii2client.v21 import Server, as_pages

from peerlib import Report, free_port, run, stop, wait_port
import subprocess

USER, PASSWORD = "assetmatch", "peer-test"
TENANTS = ("acme", "hoster", "beta")
API_ROOT = "assetmatch"


def tenant_bundles(binary, data):
    """{tenant: [bundle, ...]} from the fixtures, in output order."""
    inv = os.path.join(data, "cli", "inventory.csv")
    files = [os.path.join(data, "cli", "events.jsonl"),
             os.path.join(data, "cli", "c2-bundle.json"),
             os.path.join(data, "stix", "bundle.json"),
             os.path.join(data, "intelmq", "events.jsonl")]
    files += sorted(glob.glob(os.path.join(data, "shadowserver", "*.csv")))
    out = {}
    for f in files:
        p = run([binary, "match", "-i", inv, "-o", "stix", f])
        if p.returncode not in (0, 1):
            raise RuntimeError(f"match {f}: exit {p.returncode}: {p.stderr}")
        for line in p.stdout.splitlines():
            b = json.loads(line)
            orgs = [o["name"] for o in b["objects"]
                    if o["type"] == "identity"
                    and o.get("identity_class") == "organization"]
            if len(orgs) != 1:
                raise RuntimeError(f"bundle without one tenant identity: {line[:300]}")
            out.setdefault(orgs[0], []).append(b)
    return out


def medallion_config(tmp, port):
    base = f"http://127.0.0.1:{port}"
    colls = {}
    for t in TENANTS:
        colls[t] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"assetmatch/{t}"))
    data = {
        "/discovery": {
            "title": "assetmatch peer test",
            "description": "medallion with one API root and a collection per tenant",
            "contact": "assetmatch tests",
            "default": f"{base}/{API_ROOT}/",
            "api_roots": [f"{base}/{API_ROOT}/"],
        },
        API_ROOT: {
            "information": {
                "title": "assetmatch notifications",
                "description": "Sightings of tenant assets",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10485760,
            },
            "status": [],
            "collections": [
                {"id": colls[t], "title": t,
                 "description": f"notifications of tenant {t}",
                 "can_read": True, "can_write": True,
                 "media_types": ["application/stix+json;version=2.1"],
                 "objects": [], "manifest": []}
                for t in TENANTS
            ],
        },
    }
    data_path = os.path.join(tmp, "data.json")
    with open(data_path, "w") as f:
        json.dump(data, f, indent=1)
    conf = {
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": data_path},
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": 20},
    }
    conf_path = os.path.join(tmp, "medallion.json")
    with open(conf_path, "w") as f:
        json.dump(conf, f, indent=1)
    return conf_path, colls


def read_all(coll):
    objs = []
    for env in as_pages(coll.get_objects, per_request=20):
        objs += env.get("objects", [])
    return objs


def main():
    binary, data = sys.argv[1], sys.argv[2]
    r = Report("taxii_roundtrip")
    by_tenant = tenant_bundles(binary, data)
    r.check(set(by_tenant) == set(TENANTS),
            f"notifications for every tenant ({sorted(by_tenant)})")
    tmp = tempfile.mkdtemp(prefix="am-taxii-")
    port = free_port()
    conf, colls = medallion_config(tmp, port)
    log = open(os.path.join(tmp, "medallion.log"), "w")
    medallion = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "medallion"),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARN",
         conf], stdout=log, stderr=subprocess.STDOUT)
    try:
        if not r.check(wait_port(port, medallion), f"medallion listens on 127.0.0.1:{port}",
                       open(log.name).read()):
            return r.finish()
        server = Server(f"http://127.0.0.1:{port}/taxii2/", user=USER,
                        password=PASSWORD)
        roots = server.api_roots
        r.check(len(roots) == 1 and roots[0].url.rstrip("/").endswith(API_ROOT),
                "discovery lists the one API root")
        by_title = {c.title: c for c in roots[0].collections}
        r.check(set(by_title) == set(TENANTS), "a collection per tenant")
        for t in TENANTS:
            coll = by_title[t]
            posted = {}
            for b in by_tenant.get(t, []):
                new = [o for o in b["objects"]
                       if (o["id"], o.get("modified")) not in posted]
                st = coll.add_objects(json.dumps(b))
                ok = (st.status == "complete"
                      and st.success_count == len(new)
                      and st.failure_count == len(b["objects"]) - len(new)
                      and st.pending_count == 0)
                r.check(ok, f"{t}: post {b['id']} ({len(new)} new of {len(b['objects'])})",
                        f"status {st.status} success {st.success_count} "
                        f"failure {st.failure_count} pending {st.pending_count}")
                for o in b["objects"]:
                    posted.setdefault((o["id"], o.get("modified")), o)
            got = read_all(coll)
            got_by = {(o["id"], o.get("modified")): o for o in got}
            r.check(len(got) == len(got_by) == len(posted),
                    f"{t}: read back {len(got)} objects, posted {len(posted)} distinct")
            diff = [k for k in posted if posted[k] != got_by.get(k)]
            r.check(not diff, f"{t}: every object comes back unchanged",
                    "\n".join(f"{k}:\n posted {json.dumps(posted[k], sort_keys=True)}\n"
                              f" got    {json.dumps(got_by.get(k), sort_keys=True)}"
                              for k in diff[:5]))
            kinds = sorted({o["type"] for o in got})
            orgs = {o["name"] for o in got if o["type"] == "identity"
                    and o.get("identity_class") == "organization"}
            r.check(orgs == {t} and "sighting" in kinds,
                    f"{t}: only its own identity, with sightings ({', '.join(kinds)})")
            again = coll.add_objects(json.dumps(by_tenant[t][0]))
            r.check(again.success_count == 0
                    and again.failure_count == len(by_tenant[t][0]["objects"])
                    and len(read_all(coll)) == len(posted),
                    f"{t}: posting a bundle again adds nothing")
    finally:
        stop(medallion)
        log.close()
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
