#!/usr/bin/env bash
# The service and live-inventory integration suites (tests/test_service.c,
# tests/test_live.c) run again, unchanged, on the real Apache Kafka broker
# that scripts/kafka.sh started.
#
#   kafka_suite.sh BOOTSTRAP_FILE TEST_EXECUTABLE...
#
# The broker is handed to the harness as AM_IT_BOOTSTRAP=host:port (unset:
# the mock cluster, as before).  The harness gives each test topics of its
# own and skips the tests that need the mock cluster's fault injection
# (Criterion reports them as skipped); any failure fails this test.
set -euo pipefail
bootstrap_file=$1
shift

bootstrap="$(cat "$bootstrap_file")"
export AM_IT_BOOTSTRAP="$bootstrap"
rc=0
for t in "$@"; do
    echo "== $(basename "$t") on Apache Kafka at $bootstrap"
    start=$SECONDS
    "$t" --jobs=1 || rc=1
    echo "== $(basename "$t"): $((SECONDS - start)) s"
done
exit $rc
