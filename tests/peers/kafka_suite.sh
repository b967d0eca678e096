#!/usr/bin/env bash
# The service and live-inventory integration suites (tests/test_service.c,
# tests/test_live.c) run again, unchanged, on the real Apache Kafka broker
# that scripts/kafka.sh started.
#
#   kafka_suite.sh BOOTSTRAP_FILE HARNESS_SOURCE TEST_EXECUTABLE...
#
# The broker is handed to the harness as AM_IT_BOOTSTRAP=host:port (unset:
# the mock cluster, as before).  The harness decides which tests need the
# mock cluster's fault injection and skips those on a real broker.  Until
# tests/service_harness.c reads AM_IT_BOOTSTRAP, running the suites here
# would only repeat them on the mock cluster, so this exits 77, which ctest
# reports as skipped, saying why.
set -euo pipefail
bootstrap_file=$1
harness=$2
shift 2

if ! grep -q 'AM_IT_BOOTSTRAP' "$harness"; then
    echo "kafka_suite: SKIPPED: $harness does not take a broker parameter"
    echo "  (AM_IT_BOOTSTRAP) yet; the suites ran on the mock cluster only."
    exit 77
fi
bootstrap="$(cat "$bootstrap_file")"
export AM_IT_BOOTSTRAP="$bootstrap"
rc=0
for t in "$@"; do
    echo "== $(basename "$t") on Apache Kafka at $bootstrap"
    "$t" --jobs=1 || rc=1
done
exit $rc
