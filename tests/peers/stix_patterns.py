"""The STIX pattern parser (src/stix_pattern.c) against OASIS stix2-patterns.

    stix_patterns.py STIX_PATTERN_DUMP SOURCE_DIR

Patterns: tests/peers/data/stix_patterns.txt (the STIX 2.1 spec's example
patterns, the unit tests' patterns, and invalid ones marked "!"), plus the
"pattern" of every STIX indicator in the JSON fixtures of tests/data/ and
data/demo/.  For each:

  1. validity: am_stix_pattern_parse accepts it exactly when the
     stix2-patterns validator does (and, for "!" lines, both reject it);
  2. observables: what we extract equals what the stix2-patterns inspector
     lists for the paths and operators we support (stix_pattern.h):
     <type>:value for ipv4-addr, ipv6-addr, domain-name, url, email-addr,
     with =, ==, IN (each string of the set) and, for the two address
     types, ISSUBSET; string constants only, never under NOT.  Compared as
     multisets of (path, value), the inspector's literals unescaped.
"""
import glob
import json
import os
import subprocess
import sys

from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator

from peerlib import Report, here

SUPPORTED = {
    "ipv4-addr": {"=", "==", "IN", "ISSUBSET"},
    "ipv6-addr": {"=", "==", "IN", "ISSUBSET"},
    "domain-name": {"=", "==", "IN"},
    "url": {"=", "==", "IN"},
    "email-addr": {"=", "==", "IN"},
}


def unquote(lit):
    """A StringLiteral's value ('it\\'s' -> it's), or None for any other
    literal (numbers, booleans, t'', b'', h'')."""
    if len(lit) < 2 or lit[0] != "'" or lit[-1] != "'":
        return None
    out, i, body = [], 0, lit[1:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def set_items(lit):
    """The literals of a set literal "('a','b',5)" as the inspector
    prints it (its own tokens joined by commas)."""
    body = lit.strip()[1:-1]
    items, cur, in_str, i = [], "", False, 0
    while i < len(body):
        c = body[i]
        if in_str and c == "\\" and i + 1 < len(body):
            cur += body[i:i + 2]
            i += 2
            continue
        if c == "'":
            in_str = not in_str
        if c == "," and not in_str:
            items.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        items.append(cur.strip())
    return items


def expected(pattern):
    """What we should extract, from the OASIS inspector."""
    out = []
    for otype, comps in Pattern(pattern).inspect().comparisons.items():
        ops = SUPPORTED.get(otype)
        if not ops:
            continue
        for path, op, lit in comps:
            if path != ["value"] or op not in ops:
                continue
            lits = set_items(lit) if op == "IN" else [lit]
            for item in lits:
                v = unquote(item)
                if v is not None:
                    out.append((f"{otype}:value", v))
    return sorted(out)


def load_patterns(src):
    cases = []  # (pattern, must_fail, where)
    path = here("data", "stix_patterns.txt")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            bad = line.startswith("!")
            cases.append((line[1:] if bad else line, bad,
                          f"stix_patterns.txt:{n}"))
    files = glob.glob(os.path.join(src, "tests", "data", "**", "*.json*"),
                      recursive=True)
    files += glob.glob(os.path.join(src, "data", "demo", "**", "*.json*"),
                       recursive=True)
    for fpath in sorted(files):
        if ".golden" in fpath:
            continue
        with open(fpath, encoding="utf-8", errors="replace") as f:
            text = f.read()
        docs = []
        try:
            docs.append(json.loads(text))
        except ValueError:
            for line in text.splitlines():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    pass
        stack = docs
        while stack:
            d = stack.pop()
            if isinstance(d, list):
                stack.extend(d)
            elif isinstance(d, dict):
                if (d.get("type") == "indicator"
                        and isinstance(d.get("pattern"), str)
                        and d.get("pattern_type", "stix") == "stix"
                        and "\n" not in d["pattern"]):
                    cases.append((d["pattern"], None,
                                  os.path.relpath(fpath, src)))
                stack.extend(d.values())
    return cases


def main():
    dump, src = sys.argv[1], sys.argv[2]
    r = Report("stix_patterns")
    cases = load_patterns(src)
    seen, uniq = set(), []
    for c in cases:
        if c[0] not in seen:
            seen.add(c[0])
            uniq.append(c)
    p = subprocess.run([dump], input="\n".join(c[0] for c in uniq) + "\n",
                       capture_output=True, text=True, timeout=60)
    r.check(p.returncode == 0, "stix_pattern_dump ran", p.stderr)
    ours = [json.loads(line) for line in p.stdout.splitlines()]
    r.check(len(ours) == len(uniq), f"one answer per pattern ({len(uniq)})")
    n_obs = n_valid = 0
    from_fixtures = 0
    for (pattern, must_fail, where), got in zip(uniq, ours):
        oasis_errors = run_validator(pattern, stix_version="2.1")
        oasis_ok = not oasis_errors
        we_ok = got["rc"] >= 0
        what = f"{where}: {pattern[:100]}"
        if must_fail:
            r.check(not oasis_ok and not we_ok, f"both reject {what}",
                    f"oasis: {oasis_errors or 'valid'}; ours: rc {got['rc']} {got['err']}")
            continue
        if must_fail is None:
            from_fixtures += 1
        if not r.check(oasis_ok == we_ok, f"same verdict on {what}",
                       f"oasis: {oasis_errors or 'valid'}; ours: rc {got['rc']} {got['err']}"):
            continue
        if not oasis_ok:
            continue
        n_valid += 1
        want = expected(pattern)
        have = sorted((path, value) for path, value in got["obs"])
        n_obs += len(have)
        r.check(want == have, f"same observables ({len(have)}) in {what}",
                f"stix2-patterns inspector: {want}\nam_stix_pattern_parse: {have}")
    r.check(n_valid >= 60 and n_obs >= 40,
            f"coverage: {n_valid} valid patterns, {n_obs} observables, "
            f"{from_fixtures} from fixtures")
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
