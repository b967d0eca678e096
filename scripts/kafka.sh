#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, controller and broker in one JVM)
# on loopback, for the tests and benchmarks that must not stop at the dev
# broker (librdkafka's mock cluster: no compaction, a sketch of groups).
#
#   scripts/kafka.sh fetch        download Kafka into the cache (once) and
#                                 print the directory of its jars
#   scripts/kafka.sh start DIR    format a fresh KRaft storage dir in DIR,
#                                 start the broker on free loopback ports,
#                                 wait until it answers a Metadata request,
#                                 print its bootstrap address (host:port)
#   scripts/kafka.sh stop DIR     stop the broker started in DIR
#   scripts/kafka.sh version      print the pinned version
#   scripts/kafka.sh cluster-ids N  print N fresh KRaft cluster ids
#
# Kafka is fetched from Maven Central with Maven (org.apache.kafka:kafka_2.13
# and its runtime dependencies, `dependency:copy-dependencies`) into
# ${AM_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/assetmatch}/kafka-<version>,
# outside the source tree; later runs use the cache and need no network.
# Needs Java 17 or later (java on PATH, or JAVA_HOME) and Maven (mvn).
# AM_KAFKA_VERSION overrides the pinned version; AM_KAFKA_HEAP the heap
# (default 512m); AM_KAFKA_PARTITIONS the partitions of auto-created topics
# (default 1).  DIR keeps server.properties, kafka.log, kafka.pid,
# bootstrap and the data; `stop` leaves it for the caller to remove.
set -euo pipefail

KAFKA_VERSION="${AM_KAFKA_VERSION:-4.1.1}"
SCALA_VERSION=2.13
CACHE_ROOT="${AM_KAFKA_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/assetmatch}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
HEAP="${AM_KAFKA_HEAP:-512m}"
START_TIMEOUT="${AM_KAFKA_START_TIMEOUT:-90}"

die() { echo "kafka.sh: $*" >&2; exit 1; }

# N cluster ids: 16 random bytes in URL-safe base64 without padding, what
# `kafka-storage.sh random-uuid` prints.  One in 64 would start with '-',
# which the storage tool's option parser takes for an option ("--cluster-id:
# expected one argument"), so those are drawn again.
cluster_ids() {
    python3 -c 'import base64, os, sys
for _ in range(int(sys.argv[1])):
    while True:
        c = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not c.startswith("-"):
            print(c)
            break' "$1"
}

java_bin() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        echo "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null; then
        command -v java
    else
        die "no java: Kafka $KAFKA_VERSION needs Java 17 or later (Debian: openjdk-17-jre-headless)"
    fi
}

check_java() {
    local j ver major
    j="$(java_bin)"
    ver="$("$j" -XshowSettings:properties -version 2>&1 |
           sed -n 's/^ *java\.specification\.version = //p')"
    major="${ver%%.*}"
    [ -n "$major" ] && [ "$major" -ge 17 ] 2>/dev/null ||
        die "$j is Java '${ver:-?}': Kafka $KAFKA_VERSION needs Java 17 or later"
}

# The jars, fetched once.  A pom that depends on kafka_2.13 (runtime scope
# brings kafka-server, -raft, -metadata, -storage, the coordinators, the
# Scala library, Jackson, ...) plus a log4j2 binding so that the broker
# writes a log; copy-dependencies puts them all in libs/.  The directory is
# built beside the final one and renamed, so an interrupted fetch never
# leaves a half cache behind.
fetch() {
    [ -f "$KAFKA_HOME/.complete" ] && { echo "$KAFKA_HOME/libs"; return; }
    command -v mvn >/dev/null ||
        die "no mvn: fetching Kafka needs Maven (Debian: maven)"
    mkdir -p "$CACHE_ROOT"
    local tmp
    tmp="$(mktemp -d "$CACHE_ROOT/.kafka-$KAFKA_VERSION.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    cat >"$tmp/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>assetmatch.test</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>2.24.3</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.24.3</version>
    </dependency>
  </dependencies>
</project>
EOF
    echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION (kafka_$SCALA_VERSION) with Maven into $KAFKA_HOME" >&2
    (cd "$tmp" && mvn -B -q dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory=libs >"$tmp/mvn.log" 2>&1) || {
        tail -30 "$tmp/mvn.log" >&2
        die "Maven could not fetch Kafka $KAFKA_VERSION"
    }
    [ -f "$tmp/libs/kafka_$SCALA_VERSION-$KAFKA_VERSION.jar" ] ||
        die "Maven ran but kafka_$SCALA_VERSION-$KAFKA_VERSION.jar is not in libs/"
    cat >"$tmp/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.ak.name = org.apache.kafka
logger.ak.level = INFO
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = INFO
EOF
    touch "$tmp/.complete"
    rm -rf "$KAFKA_HOME"
    mv "$tmp" "$KAFKA_HOME"
    trap - EXIT
    echo "$KAFKA_HOME/libs"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A Metadata v4 request (the oldest Kafka 4 still serves) on a plain TCP
# connection; succeeds when the broker answers and lists at least one
# broker, i.e. it is registered with the controller and serving.
probe() {
    python3 - "$1" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
client = b"assetmatch-probe"
body = struct.pack(">hhih", 3, 4, 7, len(client)) + client
body += struct.pack(">i?", -1, False)          # all topics; no auto-create
try:
    s = socket.create_connection((host, int(port)), timeout=2)
    s.settimeout(3)
    s.sendall(struct.pack(">i", len(body)) + body)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit(1)
        buf += chunk
    corr, throttle, nbrokers = struct.unpack(">iii", buf[4:16])
    sys.exit(0 if corr == 7 and nbrokers >= 1 else 1)
except (OSError, struct.error):
    sys.exit(1)
EOF
}

running() { [ -f "$1/kafka.pid" ] && kill -0 "$(cat "$1/kafka.pid")" 2>/dev/null; }

start() {
    local dir="$1" libs java cport bport cid pid deadline
    check_java
    libs="$(fetch)"
    java="$(java_bin)"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    running "$dir" && die "a broker started in $dir is still running (pid $(cat "$dir/kafka.pid"))"
    rm -rf "$dir/data" "$dir/bootstrap"
    bport="$(free_port)"
    cport="$(free_port)"
    [ "$bport" != "$cport" ] || cport="$(free_port)"
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=${AM_KAFKA_PARTITIONS:-1}
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Tests compact topics in seconds, not hours.
log.cleaner.backoff.ms=500
log.retention.check.interval.ms=5000
EOF
    cid="$(cluster_ids 1)"
    local jvm=(-Xms128m "-Xmx$HEAP" -XX:+UseG1GC -XX:TieredStopAtLevel=1
               -Djava.awt.headless=true
               "-Dlog4j2.configurationFile=$(dirname "$libs")/log4j2.properties"
               -cp "$libs/*")
    local storage_tool=kafka.tools.StorageTool
    "$java" "${jvm[@]}" "$storage_tool" format -t "$cid" \
        -c "$dir/server.properties" >"$dir/format.log" 2>&1 || {
        cat "$dir/format.log" >&2
        die "formatting the KRaft storage in $dir/data failed"
    }
    setsid "$java" "${jvm[@]}" kafka.Kafka "$dir/server.properties" \
        >"$dir/kafka.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/kafka.pid"
    deadline=$((SECONDS + START_TIMEOUT))
    until probe "127.0.0.1:$bport"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -40 "$dir/kafka.log" >&2
            die "the broker exited while starting (log: $dir/kafka.log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -40 "$dir/kafka.log" >&2
            stop "$dir"
            die "the broker did not answer within ${START_TIMEOUT}s (log: $dir/kafka.log)"
        fi
        sleep 0.5
    done
    echo "127.0.0.1:$bport" >"$dir/bootstrap"
    echo "127.0.0.1:$bport"
}

# SIGTERM is Kafka's controlled shutdown; after 30 s it gets SIGKILL.
stop() {
    local dir="$1" pid i
    [ -f "$dir/kafka.pid" ] || return 0
    pid="$(cat "$dir/kafka.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "kafka.sh: broker $pid ignored SIGTERM for 30 s: SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/kafka.pid"
}

case "${1:-}" in
    fetch) check_java; fetch ;;
    start) [ $# -eq 2 ] || die "usage: kafka.sh start DIR"; start "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: kafka.sh stop DIR"; stop "$2" ;;
    version) echo "$KAFKA_VERSION" ;;
    cluster-ids) cluster_ids "${2:-1}" ;;
    -h|--help|"") sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ] ;;
    *) die "unknown command '$1' (try --help)" ;;
esac
