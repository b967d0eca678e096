#!/bin/sh
# Regression: one KRaft cluster id in 64 started with '-', which Kafka's
# storage tool took for an option, so the test broker failed to start now
# and then.  kafka.sh must give 5000 ids, none starting with '-'.
ids=$("$1" cluster-ids 5000) || exit 1
n=$(printf '%s\n' "$ids" | grep -c .)
bad=$(printf '%s\n' "$ids" | grep -c '^-')
echo "$n ids, $bad starting with '-'"
[ "$n" -eq 5000 ] && [ "$bad" -eq 0 ]
