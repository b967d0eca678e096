#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR]: runs the benchmark programs built in BUILD_DIR
# (default "build"; `make bench` calls `bench/run.sh build`), collects the
# JSON result lines they print (bench/bench_common.h: one per figure) into
# BUILD_DIR/bench-results.jsonl, prints those lines as they come, and ends
# with a table of them on standard output.  Progress and notes go to
# standard error.  A benchmark that was not built is skipped with a note;
# one that fails is reported, the others still run, and the exit status is
# then 1.
set -u -o pipefail

build=${1:-build}
benches=(bench_lpm bench_domain bench_decode bench_engine bench_live)
results="$build/bench-results.jsonl"
out=$(mktemp "${TMPDIR:-/tmp}/bench-run.XXXXXX")
trap 'rm -f "$out"' EXIT

if [ ! -d "$build" ]; then
    echo "run.sh: no build directory '$build' (run make first)" >&2
    exit 2
fi
: > "$results"
failed=0
for b in "${benches[@]}"; do
    exe=
    for c in "$build/bench/$b" "$build/$b"; do
        if [ -x "$c" ]; then
            exe=$c
            break
        fi
    done
    if [ -z "$exe" ]; then
        echo "run.sh: $b is not built in $build; skipped" >&2
        continue
    fi
    args=()
    # bench_engine also times the real binary end to end.
    if [ "$b" = bench_engine ] && [ -x "$build/assetmatch" ]; then
        args=("$build/assetmatch")
    fi
    echo "run.sh: $exe ${args[*]}" >&2
    start=$(date +%s)
    "$exe" "${args[@]}" | tee "$out"
    rc=$?
    grep '^{' "$out" >> "$results"
    echo "run.sh: $b finished in $(( $(date +%s) - start )) s" \
         "(exit status $rc)" >&2
    if [ "$rc" -ne 0 ]; then
        echo "run.sh: $b FAILED (exit status $rc); its figures may be" \
             "missing" >&2
        failed=1
    fi
done

echo
python3 - "$results" <<'EOF'
import json, sys

rows = []
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        r = json.loads(line)
    except ValueError:
        print(f"run.sh: {sys.argv[1]}:{n}: not JSON, skipped", file=sys.stderr)
        continue
    rows.append(r)

def num(v):
    if not isinstance(v, (int, float)):
        return str(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"

table = [("name", "value", "unit", "baseline", "ratio")]
for r in rows:
    has = "baseline" in r
    table.append((r.get("name", "?"), num(r.get("value", "")),
                  r.get("unit", ""), r.get("baseline", "-") if has else "-",
                  f"{r['ratio']:.2f}x" if has and "ratio" in r else "-"))
w = [max(len(row[i]) for row in table) for i in range(5)]
for k, row in enumerate(table):
    print(f"{row[0]:<{w[0]}}  {row[1]:>{w[1]}}  {row[2]:<{w[2]}}  "
          f"{row[3]:<{w[3]}}  {row[4]:>{w[4]}}".rstrip())
    if k == 0:
        print("  ".join("-" * x for x in w))
print(f"\n{len(rows)} results in {sys.argv[1]}", file=sys.stderr)
EOF
exit "$failed"
