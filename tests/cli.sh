#!/usr/bin/env bash
# The assetmatch command line end to end: usage, match output against a
# golden file, rejected lines, inventory errors, lookup.
#   cli.sh ASSETMATCH DATA_DIR
# AM_UPDATE_GOLDEN=1 rewrites the golden file from the current output.
set -u
bin=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok()   { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; printf '     %s\n' "$@"; }

# expect NAME STATUS WANT_STATUS
expect_status() {
    if [ "$2" -eq "$3" ]; then ok "$1"; else fail "$1" "exit status $2, expected $3"; fi
}
# expect_grep NAME FILE PATTERN
expect_grep() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else fail "$1" "no '$3' in:" "$(head -20 "$2")"; fi
}

for cmd in "" match lookup; do
    "$bin" $cmd --help >"$tmp/help" 2>&1
    expect_status "help ${cmd:-main}" $? 0
    expect_grep "help ${cmd:-main} text" "$tmp/help" "usage: assetmatch"
done
"$bin" frobnicate >/dev/null 2>"$tmp/err"
expect_status "unknown command" $? 2
expect_grep "unknown command named" "$tmp/err" "unknown command 'frobnicate'"
"$bin" match "$data/events.jsonl" >/dev/null 2>"$tmp/err"
expect_status "match without inventory" $? 2

# match: golden output (match_time varies, so it is cut out).
"$bin" match --inventory "$data/inventory.csv" "$data/events.jsonl" \
    >"$tmp/out" 2>"$tmp/err"
expect_status "match with rejected lines" $? 1
sed -e 's/"match_time":"[^"]*"/"match_time":"*"/' "$tmp/out" >"$tmp/out.norm"
if [ "${AM_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$tmp/out.norm" "$data/expected.jsonl"
fi
if diff -u "$data/expected.jsonl" "$tmp/out.norm" >"$tmp/diff"; then
    ok "match output equals the golden file"
else
    fail "match output equals the golden file" "$(head -40 "$tmp/diff")"
fi
expect_grep "rejected line names file, line, field" "$tmp/err" \
    "events.jsonl:5: field 'observables[0].value': bad ip '1.2.3': not an IP address"
expect_grep "invalid JSON reported with its line" "$tmp/err" "events.jsonl:6: invalid JSON"
expect_grep "summary" "$tmp/err" "match: 7 events, 2 rejected, 0 skipped (0 expired), 7 notifications for 3 tenants"

# The same events from standard input, and the unverified switch.
grep -v -e '^not json' -e '1\.2\.3' "$data/events.jsonl" |
    "$bin" match -i "$data/inventory.csv" >"$tmp/stdin.out" 2>"$tmp/err"
expect_status "match from stdin, all accepted" $? 0
if [ "$(wc -l <"$tmp/stdin.out")" -eq "$(wc -l <"$tmp/out")" ]; then
    ok "stdin gives the same notifications"
else
    fail "stdin gives the same notifications" "$(wc -l <"$tmp/stdin.out") lines"
fi
echo '{"id":"u1","observables":[{"type":"ip","value":"198.51.100.1"}]}' |
    "$bin" match -i "$data/inventory.csv" --include-unverified - >"$tmp/unv" 2>/dev/null
expect_grep "include-unverified lets beta-new match" "$tmp/unv" '"asset_id":"beta-new"'

# A published STIX bundle over many lines: one event per live indicator,
# the expired one counted; a bundle with nothing to match is reported.
"$bin" match -i "$data/inventory.csv" "$data/c2-bundle.json" \
    >"$tmp/stix.out" 2>"$tmp/err"
expect_status "stix bundle document" $? 0
expect_grep "stix bundle: both tenants of 192.0.2.66" "$tmp/stix.out" '"tenant_id":"hoster"'
expect_grep "stix bundle: the domain" "$tmp/stix.out" '"asset_id":"acme-web"'
expect_grep "stix bundle: tlp from the marking" "$tmp/stix.out" '"tlp":"amber"'
expect_grep "stix bundle: expired counted" "$tmp/err" "1 skipped (1 expired)"
"$bin" match -i "$data/inventory.csv" "$data/malware-only-bundle.json" \
    >/dev/null 2>"$tmp/err"
expect_status "bundle without indicators is rejected" $? 1
expect_grep "bundle without indicators: why" "$tmp/err" \
    "malware-only-bundle.json: no observable: nothing in the message to match on (1 parts skipped)"
"$bin" match -i "$data/inventory.csv" --output stix "$data/c2-bundle.json" \
    >"$tmp/stix.out" 2>/dev/null
expect_grep "stix output is a bundle with a sighting" "$tmp/stix.out" '"type":"sighting"'
"$bin" match -i "$data/inventory.csv" --output avro "$data/events.jsonl" \
    >"$tmp/out.avro" 2>/dev/null
if [ "$(head -c 4 "$tmp/out.avro" | od -An -c | tr -d ' ')" = "Obj001" ]; then
    ok "avro output is an Avro container file"
else
    fail "avro output is an Avro container file" "$(head -c 16 "$tmp/out.avro" | od -c)"
fi

# A notification larger than avro-c's default file block (16 KB): one
# observed /22 covering 600 assets of one tenant.
{
    echo "tenant_id,asset_id,kind,value"
    for i in $(seq 0 599); do
        echo "big,host-$i,ip,198.51.$((100 + i / 250)).$((i % 250 + 1))"
    done
} >"$tmp/big-inventory.csv"
echo '{"id":"wide","kind":"indicator","observables":[{"type":"ip","value":"198.51.100.0/22"}],"category":"scanner","source":"cert","time":"2026-11-27T10:00:00Z"}' |
    "$bin" match -i "$tmp/big-inventory.csv" --output avro >"$tmp/big.avro" \
    2>"$tmp/err"
expect_status "avro output of a large notification" $? 0
expect_grep "large notification written" "$tmp/err" "1 notifications for 1 tenants"

# Inventory errors: the load fails and lists every bad line.
"$bin" match -i "$data/bad-inventory.csv" </dev/null >/dev/null 2>"$tmp/err"
expect_status "bad inventory fails" $? 2
expect_grep "host bits" "$tmp/err" \
    "bad-inventory.csv:2: field 'value': host bits set (network is 192.0.2.0/24)"
expect_grep "empty tenant" "$tmp/err" "bad-inventory.csv:3: field 'tenant_id': empty"
expect_grep "unknown kind" "$tmp/err" "bad-inventory.csv:4: field 'kind': unknown kind 'hostname'"
expect_grep "label too long" "$tmp/err" "bad-inventory.csv:5: field 'value':"
expect_grep "bad address" "$tmp/err" "bad-inventory.csv:6: field 'value': not an IP address"
expect_grep "duplicate asset id" "$tmp/err" \
    "bad-inventory.csv:8: field 'asset_id': duplicate asset_id 'a6' for tenant 'acme'"
expect_grep "error summary" "$tmp/err" "6 bad records (of 7)"
"$bin" match -i "$data/bad-inventory.csv" --skip-bad </dev/null >/dev/null 2>"$tmp/err"
expect_status "skip-bad loads the rest" $? 0
expect_grep "skipped count" "$tmp/err" "1 assets of 1 tenants"
"$bin" match -i "$tmp/missing.csv" </dev/null >/dev/null 2>"$tmp/err"
expect_status "missing inventory file" $? 2
expect_grep "missing file named" "$tmp/err" "missing.csv: No such file or directory"

# lookup: who owns this?
"$bin" lookup -i "$data/inventory.csv" 192.0.2.1 www.example.com AS64500 \
    198.51.100.9 nothing.example.org >"$tmp/lookup" 2>/dev/null
expect_status "lookup" $? 0
expect_grep "lookup address" "$tmp/lookup" "192.0.2.1 (ip): 2 tenants"
expect_grep "lookup most specific" "$tmp/lookup" "acme-net ip      192.0.2.0/24"
expect_grep "lookup parent domain" "$tmp/lookup" "acme-web domain  example.com"
expect_grep "lookup asn" "$tmp/lookup" "AS64500 (asn): 1 tenant"
expect_grep "lookup unverified marked" "$tmp/lookup" "(unverified)"
expect_grep "lookup no match" "$tmp/lookup" "nothing.example.org (domain): no match"
"$bin" lookup -i "$data/inventory.csv" "exa mple.com" >"$tmp/lookup" 2>/dev/null
expect_status "lookup of a bad value" $? 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
