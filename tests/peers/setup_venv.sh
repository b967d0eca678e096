#!/usr/bin/env bash
# Creates the Python virtual environment of the peer tests from
# tests/peers/requirements.txt (pinned versions), only when it is missing or
# the requirements (or the Python) changed since it was made; then checks
# that every tool imports.  A tool that is missing is a failure, not a skip.
#
#   tests/peers/setup_venv.sh [VENV]      default: <source>/build/venv
#
# Prints the venv's python on success.  Safe to run from several tests at
# once (a lock file beside the venv).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${1:-$root/build/venv}"
req="$here/requirements.txt"

command -v python3 >/dev/null || { echo "setup_venv: no python3" >&2; exit 1; }
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

stamp="$( (sha256sum "$req" | cut -d' ' -f1; python3 -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.assetmatch-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "setup_venv: installing $req into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" || {
        echo "setup_venv: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
        exit 1
    }
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        --no-input -r "$req" >"$venv.pip.log" 2>&1 || {
        tail -30 "$venv.pip.log" >&2
        echo "setup_venv: pip could not install $req" >&2
        rm -rf "$venv"
        exit 1
    }
    echo "$stamp" >"$venv/.assetmatch-stamp"
fi

# Every tool the peer tests use, imported the way they use it.
"$venv/bin/python" - <<'EOF' || { echo "setup_venv: a peer tool is missing from $venv" >&2; exit 1; }
import stix2validator, stix2patterns.validator, stix2patterns.pattern
import medallion, medallion.backends.memory_backend, taxii2client.v21
import intelmq.lib.bot, intelmq.bots.parsers.shadowserver.parser
import confluent_kafka.admin
EOF
echo "$venv/bin/python"
